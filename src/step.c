/*
 * step.c: one step, from rows to published target, in one scan.
 *
 * The rows of the step's query are numbered per unique_key (row_number()
 * in keep order) and every row-level expectation becomes a boolean column
 * of one checked query, which streams into sink.c's DestReceiver: it
 * counts the expectations and inserts each row into the target, the
 * quarantine (drop) or <target>_unexpected (COMPLETE) as it arrives, so the
 * query runs once and no row is materialized.  Aggregate kinds then share
 * one aggregate query over the target, which holds exactly the published
 * rows.
 *
 * The target keeps its identity (OID, grants, views, comments): it is
 * truncated and refilled in the step's transaction, and only recreated when
 * the query's columns change (the step run records it).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/params.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "dataops.h"
#include "expect.h"
#include "ingest.h"
#include "lineage.h"
#include "materialize.h"
#include "sink.h"
#include "sqlgen.h"
#include "target.h"
#include "step.h"

/* True when the relation's columns are exactly `desc` followed by `extra` columns named in extra_names. */
static bool
columns_match(Oid relid, TupleDesc desc, int extra, const char *const *extra_names)
{
	Relation	rel = relation_open(relid, AccessShareLock);
	TupleDesc	td = RelationGetDescr(rel);
	int			i;
	int			j = 0;
	bool		ok = true;

	for (i = 0; i < td->natts && ok; i++)
	{
		Form_pg_attribute a = TupleDescAttr(td, i);

		if (a->attisdropped)
			continue;
		if (j < desc->natts)
		{
			Form_pg_attribute b = TupleDescAttr(desc, j);

			ok = strcmp(NameStr(a->attname), NameStr(b->attname)) == 0 &&
				a->atttypid == b->atttypid && a->atttypmod == b->atttypmod;
		}
		else if (j - desc->natts < extra)
			ok = strcmp(NameStr(a->attname), extra_names[j - desc->natts]) == 0;
		else
			ok = false;
		j++;
	}
	relation_close(rel, AccessShareLock);
	return ok && j == desc->natts + extra;
}

static const char *const quarantine_extra[] = {"_run_id", "_failed_expectations"};
static const char *const unexpected_extra[] = {"_check_run_id", "_expectation"};

/*
 * Creates schema.<table><suffix> with the columns of `subquery` (described
 * by desc) followed by two extra columns, or, when it exists with other
 * columns, keeps the old one under a name carrying the run id and creates a
 * new one.  An existing table must be owned by `owner` (42501, before it is
 * locked) and not be a Citus table (0A000).  Returns its OID, locked with
 * RowExclusiveLock, and sets *qname_out (if not NULL) to its qualified name.
 */
static Oid
ensure_side_table(const char *schema, const char *table, const char *suffix, const char *what,
				  Oid owner, const char *whose, const char *subquery,
				  TupleDesc desc, const char *const *extra, const char *extra_sql,
				  const char *comment, const char *const *extra_comments, int64 run_id, char **qname_out)
{
	char	   *name = sqlgen_side_table_name(table, suffix);
	char	   *qname = dataops_qualified_name(schema, name);
	Oid			relid = target_relation(schema, name, what, owner, whose, RowExclusiveLock);

	if (OidIsValid(relid) && !columns_match(relid, desc, 2, extra))
	{
		char	   *old = psprintf("%.*s_%lld", pg_mbcliplen(name, strlen(name), NAMEDATALEN - 22),
								   name, (long long) run_id);

		ereport(NOTICE,
				(errmsg("columns of %s changed: the old table is kept as %s",
						dataops_qualified_name(schema, table), dataops_qualified_name(schema, old))));
		dataops_exec_sql(psprintf("ALTER TABLE %s RENAME TO %s", qname, quote_identifier(old)));
		relid = InvalidOid;
	}
	if (!OidIsValid(relid))
	{
		dataops_exec_sql(psprintf("CREATE TABLE %s AS SELECT q.*, %s FROM (\n%s\n) q WITH NO DATA",
								  qname, extra_sql, subquery));
		dataops_exec_sql(psprintf("COMMENT ON TABLE %s IS %s", qname, quote_literal_cstr(comment)));
		dataops_exec_sql(psprintf("COMMENT ON COLUMN %s.%s IS %s", qname, quote_identifier(extra[0]),
								  quote_literal_cstr(extra_comments[0])));
		dataops_exec_sql(psprintf("COMMENT ON COLUMN %s.%s IS %s", qname, quote_identifier(extra[1]),
								  quote_literal_cstr(extra_comments[1])));
		/* ours now; a Citus schema could have distributed it */
		relid = target_relation(schema, name, what, owner, whose, RowExclusiveLock);
	}
	if (qname_out)
		*qname_out = qname;
	return relid;
}

/* step_ensure_unexpected_table, for a relation that must be owned by `owner`; returns its OID. */
static Oid
ensure_unexpected(const char *schema, const char *table, const char *subquery, TupleDesc desc,
				  int64 run_id, Oid owner, const char *whose, char **qname)
{
	static const char *const comments[] = {
		"run whose expectation found the row unexpected",
		"expectation (with result_format COMPLETE) the row failed; a row failing several appears once per expectation"
	};

	return ensure_side_table(schema, table, "_unexpected", "table of unexpected rows", owner, whose,
							 subquery, desc, unexpected_extra,
							 "CAST(NULL AS pg_catalog.int8) AS _check_run_id, CAST(NULL AS pg_catalog.text) AS _expectation",
							 psprintf("every row of %s that an expectation with result_format COMPLETE found unexpected, kept by dataops",
									  dataops_qualified_name(schema, table)),
							 comments, run_id, qname);
}

char *
step_ensure_unexpected_table(const char *schema, const char *table, const char *subquery,
							 TupleDesc desc, int64 run_id)
{
	char	   *qname;

	(void) ensure_unexpected(schema, table, subquery, desc, run_id, GetUserId(), TARGET_CURRENT_USER, &qname);
	return qname;
}

/*
 * Creates the target from the query's columns, or recreates it when they
 * changed (*recreated is then set).  An existing target must be owned by
 * the pipeline's owner (42501, checked before it is locked) and not be a
 * Citus table (0A000).  Returns its OID.
 */
static Oid
ensure_tables(const StepDef *s, Oid owner, const char *subquery, TupleDesc desc, int64 run_id, bool *recreated)
{
	const char *qname = dataops_qualified_name(s->target_schema, s->target_table);
	Oid			relid;

	dataops_ensure_schema(s->target_schema);
	relid = target_relation(s->target_schema, s->target_table, "target", owner, TARGET_PIPELINE_OWNER,
							 AccessShareLock);
	if (OidIsValid(relid) && !columns_match(relid, desc, 0, NULL))
	{
		ereport(NOTICE,
				(errmsg("columns of step \"%s\" changed: recreating %s", s->name, qname),
				 errdetail("Views that depend on the target must be dropped first; the run fails otherwise.")));
		dataops_exec_sql(psprintf("DROP TABLE %s", qname));
		relid = InvalidOid;
		*recreated = true;
	}
	if (!OidIsValid(relid))
	{
		dataops_exec_sql(psprintf("CREATE TABLE %s AS SELECT * FROM (\n%s\n) q WITH NO DATA", qname, subquery));
		dataops_exec_sql(psprintf("COMMENT ON TABLE %s IS %s", qname,
						  quote_literal_cstr(psprintf("%s target of step \"%s\" of pipeline \"%s\", published by dataops",
													  s->layer, s->name, s->pipeline))));
		relid = target_relation(s->target_schema, s->target_table, "target", owner, TARGET_PIPELINE_OWNER,
								 AccessShareLock);
	}
	return relid;
}

static void
check_reserved_columns(const StepDef *s, TupleDesc desc)
{
	int			i;

	for (i = 0; i < desc->natts; i++)
		if (strncmp(NameStr(TupleDescAttr(desc, i)->attname), DATAOPS_INTERNAL_PREFIX,
					strlen(DATAOPS_INTERNAL_PREFIX)) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_RESERVED_NAME),
					 errmsg("column \"%s\" of step \"%s\" uses the reserved prefix \"%s\"",
							NameStr(TupleDescAttr(desc, i)->attname), s->name, DATAOPS_INTERNAL_PREFIX)));
}

/*
 * Runs the checked query into the sink: with the parameters as constants,
 * and in parallel only when nothing written needs a serial executor.
 * Without parameters no ParamList is passed (NULL, as SPI_execute does):
 * planner hooks such as Citus' take an empty one for parameters to bind.
 */
static void
run_into_sink(const char *sql, SqlParams *params, DestReceiver *sink, bool parallel_ok)
{
	SPIPlanPtr	plan;
	ParamListInfo pli = params->n > 0 ? makeParamList(params->n) : NULL;
	SPIExecuteOptions options;
	int			i;
	int			rc;

	plan = SPI_prepare_cursor(sql, params->n, params->types, parallel_ok ? CURSOR_OPT_PARALLEL_OK : 0);
	if (plan == NULL)
		elog(ERROR, "dataops: could not prepare a step's checked query: %s", SPI_result_code_string(SPI_result));
	for (i = 0; i < params->n; i++)
	{
		pli->params[i].value = params->values[i];
		pli->params[i].isnull = false;
		pli->params[i].pflags = PARAM_FLAG_CONST;
		pli->params[i].ptype = params->types[i];
	}
	memset(&options, 0, sizeof(options));
	options.params = pli;
	options.read_only = false;
	options.dest = sink;
	rc = SPI_execute_plan_extended(plan, &options);
	if (rc < 0)
		elog(ERROR, "dataops: a step's checked query returned %d (%s)", rc, SPI_result_code_string(rc));
	SPI_freeplan(plan);
}

/*
 * The observed values of the aggregate kinds, from one aggregate query over
 * the target (which now holds exactly the published rows); NULL if none.
 */
static HeapTuple
aggregate_row(const StepDef *s, TupleDesc desc, const char *relation, TupleDesc *rowdesc)
{
	SqlParams  *params = palloc0(sizeof(SqlParams));
	StringInfoData sql;

	if (!expect_any_aggregate(s->expectations))
		return NULL;
	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT true");
	expect_sql_aggregates(s->expectations, desc, false, params, &sql);
	appendStringInfo(&sql, "\nFROM %s", relation);
	if (SPI_execute_with_args(sql.data, params->n, params->types, params->values, NULL, false, 0) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "dataops: the aggregate expectations of step \"%s\" returned no row", s->name);
	*rowdesc = SPI_tuptable->tupdesc;
	return SPI_tuptable->vals[0];
}

TupleDesc
step_describe(const StepDef *s)
{
	TupleDesc	desc;

	if (SPI_execute(psprintf("SELECT * FROM (\n%s\n) q LIMIT 0", s->query), true, 0) != SPI_OK_SELECT)
		elog(ERROR, "dataops: could not describe the query of step \"%s\"", s->name);
	desc = CreateTupleDescCopy(SPI_tuptable->tupdesc);
	check_reserved_columns(s, desc);
	return desc;
}

void
step_side_tables(const StepDef *s, Oid owner, TupleDesc desc, int64 run_id, Oid *quarantine, Oid *unexpected)
{
	static const char *const comments[] = {
		"run that quarantined the row",
		"expectations the row failed (at least one of them with action drop)"
	};

	*quarantine = *unexpected = InvalidOid;
	if (expect_sql_dropped(s->expectations) != NULL)
	{
		*quarantine = ensure_side_table(s->target_schema, s->target_table, "_quarantine", "quarantine table",
										owner, TARGET_PIPELINE_OWNER, s->query, desc, quarantine_extra,
										"CAST(NULL AS pg_catalog.int8) AS _run_id, "
										"CAST(NULL AS pg_catalog.text[]) AS _failed_expectations",
										psprintf("rows of step \"%s\" of pipeline \"%s\" kept out of %s by drop expectations",
												 s->name, s->pipeline,
												 dataops_qualified_name(s->target_schema, s->target_table)),
										comments, run_id, NULL);
	}
	if (expect_any_complete(s->expectations))
		*unexpected = ensure_unexpected(s->target_schema, s->target_table, s->query, desc, run_id,
										owner, TARGET_PIPELINE_OWNER, NULL);
}

void
step_write_checked(const StepDef *s, Oid owner, int64 run_id, const char *subquery, SqlParams *params, TupleDesc desc,
				   Oid into, const char *into_qname, Oid quarantine, Oid unexpected, bool parallel_ok,
				   int watermark_att, char **watermark, StepCounts *c, List **results,
				   MemoryContext result_cxt)
{
	const char *live;
	StringInfoData sql;
	StringInfoData samples;
	bool		fenced;
	DestReceiver *sink;
	SinkCounts	counts;
	ExpectationResult *outcomes;
	HeapTuple	aggs;
	TupleDesc	aggdesc = NULL;
	MemoryContext old;

	/*
	 * The checked query: the rows (numbered per unique_key), whether each
	 * survives deduplication, one flag per row-level expectation; then, for
	 * expectations on several columns, outside an optimization fence so that
	 * no flag is computed twice, the row each unexpected row reports.
	 */
	initStringInfo(&samples);
	fenced = expect_sql_samples(s->expectations, desc, &samples);
	initStringInfo(&sql);
	if (fenced)
		appendStringInfo(&sql, "SELECT c.*%s\nFROM (\n", samples.data);
	appendStringInfoString(&sql, "  SELECT s.*, ");
	if (s->unique_key != NIL)
	{
		StringInfoData keys;
		ListCell   *lc;

		initStringInfo(&keys);
		foreach(lc, s->unique_key)
			appendStringInfo(&keys, "%s%s", keys.len ? ", " : "", quote_identifier(lfirst(lc)));
		live = DATAOPS_INTERNAL_PREFIX "rn OPERATOR(pg_catalog.=) 1";
		appendStringInfo(&sql, "%s AS " DATAOPS_INTERNAL_PREFIX "live", live);
		expect_sql_flags(s->expectations, desc, live, params, &sql);
		appendStringInfo(&sql,
						 "\n  FROM (\n  SELECT q.*, pg_catalog.row_number() OVER (PARTITION BY %s ORDER BY\n%s\n) AS " DATAOPS_INTERNAL_PREFIX "rn\n"
						 "  FROM (\n%s\n) q\n) s",
						 keys.data, s->keep ? s->keep : keys.data, subquery);
	}
	else
	{
		live = "true";
		appendStringInfo(&sql, "%s AS " DATAOPS_INTERNAL_PREFIX "live", live);
		expect_sql_flags(s->expectations, desc, live, params, &sql);
		appendStringInfo(&sql, "\n  FROM (\n%s\n) s", subquery);
	}
	if (fenced)
		appendStringInfoString(&sql, "\n  OFFSET 0\n) c");

	sink = sink_create(s->expectations, desc, owner, into, quarantine, unexpected, run_id);
	if (watermark_att >= 0)
		sink_track_max(sink, watermark_att);
	run_into_sink(sql.data, params, sink,
				  parallel_ok && sink_parallel_ok(sink) && !expect_needs_serial(s->expectations));
	if (watermark)
		*watermark = sink_max_text(sink);
	outcomes = sink_finish(sink, &counts, result_cxt);
	c->rows_read = counts.rows_read;
	c->duplicates_removed = counts.duplicates;
	c->rows_written = counts.published;
	c->rows_quarantined = counts.quarantined;

	aggs = aggregate_row(s, desc, into_qname, &aggdesc);
	old = MemoryContextSwitchTo(result_cxt);
	*results = expect_results(s->expectations, aggs, aggdesc, 2, counts.rows_read - counts.duplicates,
							  counts.published, desc, outcomes);
	MemoryContextSwitchTo(old);
}

static void
execute_query_step(const StepDef *s, Oid owner, int64 run_id, StepCounts *c, List **results,
				   MemoryContext result_cxt)
{
	const char *qname = dataops_qualified_name(s->target_schema, s->target_table);
	TupleDesc	desc = step_describe(s);
	Oid			target;
	Oid			quarantine;
	Oid			unexpected;

	target = ensure_tables(s, owner, s->query, desc, run_id, &c->target_recreated);
	step_side_tables(s, owner, desc, run_id, &quarantine, &unexpected);
	dataops_exec_sql(psprintf("TRUNCATE %s", qname));

	if (s->expectations == NIL && s->unique_key == NIL)
	{
		/* nothing to check or deduplicate: a plain INSERT ... SELECT */
		if (SPI_execute(psprintf("INSERT INTO %s (%s) SELECT * FROM (\n%s\n) q", qname,
								 sqlgen_column_list(desc, ""), s->query), false, 0) != SPI_OK_INSERT)
			elog(ERROR, "dataops: could not publish step \"%s\"", s->name);
		c->rows_read = c->rows_written = SPI_processed;
		*results = NIL;
		return;
	}
	step_write_checked(s, owner, run_id, s->query, palloc0(sizeof(SqlParams)), desc, target, qname,
					   quarantine, unexpected, true, -1, NULL, c, results, result_cxt);
}

/* Expectations of a bronze step that reads files: checked on the rows this run loaded. */
static void
check_bronze_rows(const StepDef *s, Oid owner, Oid target, int64 run_id, List **results, MemoryContext result_cxt)
{
	const char *qname = dataops_qualified_name(s->target_schema, s->target_table);
	Relation	rel;
	TupleDesc	desc;
	char	   *unexpected_table = NULL;

	rel = relation_open(target, AccessShareLock);
	desc = CreateTupleDescCopy(RelationGetDescr(rel));
	relation_close(rel, AccessShareLock);

	if (expect_any_complete(s->expectations))
		(void) ensure_unexpected(s->target_schema, s->target_table, psprintf("SELECT * FROM %s", qname), desc,
								 run_id, owner, TARGET_PIPELINE_OWNER, &unexpected_table);
	*results = expect_check_rows(s->expectations,
								 psprintf("%s s WHERE s._run_id OPERATOR(pg_catalog.=) $1", qname), desc,
								 run_id, unexpected_table, result_cxt);
}

void
step_execute(const StepDef *s, int64 run_id, bool full_refresh, StepCounts *c,
			 List **results, List **lineage, MemoryContext result_cxt)
{
	MemoryContext caller = CurrentMemoryContext;
	Oid			owner;

	memset(c, 0, sizeof(StepCounts));
	*results = NIL;
	*lineage = NIL;

	owner = target_pipeline_owner(s->pipeline);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (s->query == NULL)
	{
		List	   *files = NIL;
		ListCell   *lc;
		MemoryContext spi;
		Oid			target;

		/*
		 * Nothing before the file privilege check (ingest_step checks it
		 * again).  The bronze table ingest.c loads: another role's table is refused
		 * before COPY touches it, and a Citus table (COPY into its
		 * coordinator shell loses the rows) before and after, in case ingest
		 * created it in a distributed schema.
		 */
		ingest_check_read_privilege(owner, s->pipeline, s->name);
		(void) target_relation(s->target_schema, s->target_table, "target", owner, TARGET_PIPELINE_OWNER,
								RowExclusiveLock);
		ingest_step(s, owner, run_id, full_refresh, c, &files);
		target = target_relation(s->target_schema, s->target_table, "target", owner, TARGET_PIPELINE_OWNER,
								  RowExclusiveLock);
		if (s->expectations != NIL && c->files_ingested > 0 && OidIsValid(target))
			check_bronze_rows(s, owner, target, run_id, results, result_cxt);
		spi = MemoryContextSwitchTo(caller);
		foreach(lc, files)
		{
			LineageEdge *e = palloc0(sizeof(LineageEdge));

			e->source_relation = pstrdup(lfirst(lc));
			*lineage = lappend(*lineage, e);
		}
		MemoryContextSwitchTo(spi);
	}
	else if (strcmp(materialization_of(s), "table") != 0 || materialize_keep_versions(s, 0) > 0)
		materialize_step(s, owner, run_id, full_refresh, c, results, result_cxt);
	else
		execute_query_step(s, owner, run_id, c, results, result_cxt);
	SPI_finish();

	/* what the target is computed from, from the analyzed query */
	if (s->query != NULL)
		*lineage = lineage_from_query(s->query);

	expect_raise_failures(*results, s->name);
}
