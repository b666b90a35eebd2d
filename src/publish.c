/*
 * publish.c: the shared write path of query steps (see publish.h).
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
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "nodes/params.h"
#include "parser/parsetree.h"
#include "optimizer/optimizer.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/plancache.h"
#include "utils/rel.h"

#include "citus.h"
#include "dataops.h"
#include "expect.h"
#include "options.h"
#include "publish.h"
#include "sink.h"
#include "sqlgen.h"
#include "target.h"

bool
publish_columns(Oid relid, TupleDesc desc, const ColumnMatch *rule, List **added, bool *type_changed)
{
	Relation	rel = relation_open(relid, AccessShareLock);
	TupleDesc	td = RelationGetDescr(rel);
	int			i;
	int			j = 0;			/* next column of desc */
	int			extra = 0;		/* the relation's columns after them */
	bool		ok = true;

	for (i = 0; i < td->natts && ok; i++)
	{
		Form_pg_attribute a = TupleDescAttr(td, i);

		if (a->attisdropped)
			continue;
		while (j < desc->natts && TupleDescAttr(desc, j)->attisdropped)
			j++;
		if (j < desc->natts)
		{
			Form_pg_attribute b = TupleDescAttr(desc, j++);

			ok = strcmp(NameStr(a->attname), NameStr(b->attname)) == 0 && a->atttypid == b->atttypid &&
				(!rule->typmod || a->atttypmod == b->atttypmod);
		}
		else if (extra < rule->extra)
		{
			ok = rule->extra_names == NULL || strcmp(NameStr(a->attname), rule->extra_names[extra]) == 0;
			extra++;
		}
		else
			ok = false;
	}
	for (; j < desc->natts; j++)
		if (!TupleDescAttr(desc, j)->attisdropped)
			ok = false;			/* a column of desc the relation lacks */
	if (added)
	{
		*added = NIL;
		*type_changed = false;
		for (i = 0; i < desc->natts; i++)
		{
			Form_pg_attribute a = TupleDescAttr(desc, i);
			int			k;

			if (a->attisdropped)
				continue;
			k = sqlgen_find_att(td, NameStr(a->attname));
			if (k < 0)
				*added = lappend(*added, a);
			else if (TupleDescAttr(td, k)->atttypid != a->atttypid ||
					 (rule->typmod && TupleDescAttr(td, k)->atttypmod != a->atttypmod))
				*type_changed = true;
		}
	}
	relation_close(rel, AccessShareLock);
	return ok && extra == rule->extra;
}

static const char *const quarantine_extra[] = {"_run_id", "_failed_expectations"};
static const char *const unexpected_extra[] = {"_check_run_id", "_expectation"};
static const ColumnMatch exact_columns = {0, NULL, true};

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
	Oid			relid = target_relation_citus(schema, name, what, owner, whose, RowExclusiveLock);
	Oid			target = dataops_relation_oid(schema, table);
	ColumnMatch	rule = {2, extra, true};

	/* the sink writes the side tables of a local target: none of them may be a Citus table */
	if (OidIsValid(relid) && (!OidIsValid(target) || citus_table_kind(target, NULL) == CITUS_NONE))
		target_refuse_distributed(relid, what);

	if (OidIsValid(relid) && !publish_columns(relid, desc, &rule, NULL, NULL))
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
		/* a Citus target's side tables are colocated with it (or reference tables like it) */
		if (OidIsValid(target))
			(void) citus_distribute_like(qname, target);
		relid = target_relation_citus(schema, name, what, owner, whose, RowExclusiveLock);
	}
	if (qname_out)
		*qname_out = qname;
	return relid;
}

Oid
publish_ensure_unexpected(const char *schema, const char *table, const char *subquery, TupleDesc desc,
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

/*
 * A Citus target whose columns differ from the query's: never dropped and
 * re-created (that would make it a local table, or lose its distribution
 * and its shards' placement), but widened with ALTER TABLE ADD COLUMN
 * (Citus runs it on every shard) when the query only adds columns; refused
 * (0A000) when a column is gone or changed type.
 */
static void
citus_target_columns(const StepDef *s, Oid relid, TupleDesc desc)
{
	List	   *added;
	bool		type_changed;
	int			natts = 0;
	int			i;
	ListCell   *lc;
	const char *qname = dataops_qualified_name(s->target_schema, s->target_table);
	Relation	rel;

	if (publish_columns(relid, desc, &exact_columns, &added, &type_changed))
		return;
	rel = relation_open(relid, AccessShareLock);
	for (i = 0; i < RelationGetDescr(rel)->natts; i++)
		natts += !TupleDescAttr(RelationGetDescr(rel), i)->attisdropped;
	relation_close(rel, AccessShareLock);
	for (i = 0; i < desc->natts; i++)
		natts -= !TupleDescAttr(desc, i)->attisdropped;
	if (type_changed || natts + list_length(added) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("columns of step \"%s\" changed and its target %s is a Citus table", s->name, qname),
				 errdetail("dataops does not drop and re-create a distributed or reference table; it only adds "
						   "the columns a query adds, and this change removes a column or changes a type."),
				 errhint("Change the target with ALTER TABLE yourself (Citus propagates it to the shards), "
						 "or drop it so that the next run creates it.")));
	foreach(lc, added)
	{
		Form_pg_attribute a = lfirst(lc);

		ereport(NOTICE,
				(errmsg("adding column \"%s\" of step \"%s\" to %s", NameStr(a->attname), s->name, qname)));
		dataops_exec_sql(psprintf("ALTER TABLE %s ADD COLUMN %s", qname, sqlgen_column_def(a)));
	}
}

Oid
publish_ensure_target(const StepDef *s, Oid owner, const char *subquery, TupleDesc desc, bool *recreated)
{
	const char *qname = dataops_qualified_name(s->target_schema, s->target_table);
	Oid			relid;

	dataops_ensure_schema(s->target_schema);
	relid = target_relation_citus(s->target_schema, s->target_table, "target", owner, TARGET_PIPELINE_OWNER,
								  AccessShareLock);
	if (OidIsValid(relid) && citus_table_kind(relid, NULL) != CITUS_NONE)
	{
		/* a distributed or reference table (target_relation_citus refuses the other kinds) */
		citus_target_columns(s, relid, desc);
		return relid;
	}
	if (OidIsValid(relid) && !publish_columns(relid, desc, &exact_columns, NULL, NULL))
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
		citus_distribute(qname, step_options(s)->reference, step_options(s)->distribution_column,
						 step_options(s)->colocate_with);
		relid = target_relation_citus(s->target_schema, s->target_table, "target", owner,
									  TARGET_PIPELINE_OWNER, AccessShareLock);
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

/* The relations a prepared statement reads, views expanded (their plan-invalidation dependencies). */
static List *
read_relations(SPIPlanPtr plan)
{
	List	   *relids = NIL;
	ListCell   *lc;

	foreach(lc, SPI_plan_get_plan_sources(plan))
		relids = list_concat(relids, ((CachedPlanSource *) lfirst(lc))->relationOids);
	return relids;
}

/* Whether `expr`, an output of a query level, is computed (not a column of a table, through subqueries). */
static bool
computed_output(Query *q, Expr *expr, int depth)
{
	Var		   *v;
	RangeTblEntry *rte;
	TargetEntry *tle;

	if (expr == NULL || depth > 8)
		return false;
	if (!IsA(expr, Var))
		return true;
	v = (Var *) expr;
	if (v->varlevelsup != 0 || v->varno < 1 || v->varno > list_length(q->rtable))
		return false;
	rte = rt_fetch(v->varno, q->rtable);
	if (rte->rtekind != RTE_SUBQUERY || rte->subquery == NULL || rte->subquery->setOperations ||
		v->varattno < 1 || v->varattno > list_length(rte->subquery->targetList))
		return false;			/* a table's column, or a case not worth following */
	tle = list_nth(rte->subquery->targetList, v->varattno - 1);
	return computed_output(rte->subquery, tle->expr, depth + 1);
}

/*
 * Whether a row-level expectation checks a column the step's query computes
 * (lower(email), a cast): PostgreSQL pulls the query up into the checked
 * query and evaluates such an expression again for every reference, so the
 * check repeats the transform (the people silver step cast each date four
 * times).  Then the query is kept apart (OFFSET 0): each output is computed
 * once, in parallel workers, and the checks run on the results in the
 * leader.  When the checks read only table columns, nothing is repeated and
 * the checks stay in the workers.
 */
static bool
checks_repeat_transforms(const PublishWrite *w, SqlParams *params)
{
	SPIPlanPtr	plan;
	List	   *sources;
	List	   *queries;
	Query	   *q;
	ListCell   *lc;
	bool		any_computed = false;
	bool		repeat = false;

	if (!expect_any_row_level(w->step->expectations))
		return false;
	plan = SPI_prepare(w->subquery, params->n, params->types);
	if (plan == NULL)
		return false;
	sources = SPI_plan_get_plan_sources(plan);
	queries = list_length(sources) == 1 ? ((CachedPlanSource *) linitial(sources))->query_list : NIL;
	q = list_length(queries) == 1 ? linitial_node(Query, queries) : NULL;
	if (q == NULL || q->setOperations || q->hasAggs || q->hasWindowFuncs || q->groupClause ||
		q->distinctClause || q->limitCount || q->limitOffset || q->hasTargetSRFs)
	{
		SPI_freeplan(plan);
		return false;			/* not pulled up: nothing is repeated */
	}
	foreach(lc, q->targetList)
		any_computed |= !((TargetEntry *) lfirst(lc))->resjunk &&
			computed_output(q, ((TargetEntry *) lfirst(lc))->expr, 0);
	foreach(lc, w->step->expectations)
	{
		ExpectationDef *e = lfirst(lc);
		List	   *cols;
		ListCell   *c;

		if (!expect_is_row_level(e) || repeat)
			continue;
		cols = e->column_name ? list_make1(e->column_name) : expect_missing_columns(e);
		if (cols == NIL)
			repeat = any_computed;	/* an expression: it may read any column */
		foreach(c, cols)
		{
			TargetEntry *tle = NULL;
			ListCell   *t;

			foreach(t, q->targetList)
				if (!((TargetEntry *) lfirst(t))->resjunk && ((TargetEntry *) lfirst(t))->resname &&
					strcmp(((TargetEntry *) lfirst(t))->resname, lfirst(c)) == 0)
					tle = lfirst(t);
			if (tle && computed_output(q, tle->expr, 0))
				repeat = true;
		}
	}
	SPI_freeplan(plan);
	return repeat;
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
	int			guc_nest = -1;
	int			i;
	int			rc;

	/*
	 * parallel_tuple_cost (0.1 by default) prices every row a Gather hands
	 * to the leader at ten times cpu_tuple_cost, so a query that returns
	 * all its rows, as a checked query does, stays serial however much work
	 * its transforms and checks do per row.  Here the rows go to the sink in
	 * the leader's own process, so a row costs what one more plan node's
	 * would (cpu_tuple_cost): the parallel plan wins when the query's own
	 * work dominates.  Set for this statement only; an abort unwinds it.
	 */
	if (parallel_ok && parallel_tuple_cost > cpu_tuple_cost)
	{
		guc_nest = NewGUCNestLevel();
		(void) set_config_option("parallel_tuple_cost", psprintf("%g", cpu_tuple_cost), PGC_USERSET,
								 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	}
	plan = SPI_prepare_cursor(sql, params->n, params->types, parallel_ok ? CURSOR_OPT_PARALLEL_OK : 0);
	if (plan == NULL)
		elog(ERROR, "dataops: could not prepare a step's checked query: %s", SPI_result_code_string(SPI_result));
	sink_freeze_target(sink, read_relations(plan));
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
	if (guc_nest >= 0)
		AtEOXact_GUC(true, guc_nest);
}

HeapTuple
publish_aggregate_row(const StepDef *s, TupleDesc desc, const char *relation, TupleDesc *rowdesc)
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
publish_describe(const StepDef *s)
{
	TupleDesc	desc;

	if (SPI_execute(psprintf("SELECT * FROM (\n%s\n) q LIMIT 0", s->query), true, 0) != SPI_OK_SELECT)
		elog(ERROR, "dataops: could not describe the query of step \"%s\"", s->name);
	desc = CreateTupleDescCopy(SPI_tuptable->tupdesc);
	check_reserved_columns(s, desc);
	return desc;
}

void
publish_side_tables(const StepDef *s, Oid owner, TupleDesc desc, int64 run_id, Oid *quarantine, Oid *unexpected)
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
		*unexpected = publish_ensure_unexpected(s->target_schema, s->target_table, s->query, desc, run_id,
												owner, TARGET_PIPELINE_OWNER, NULL);
}

void
publish_write_checked(const PublishWrite *w, char **watermark, StepCounts *c, List **results)
{
	const char *live;
	StringInfoData sql;
	StringInfoData samples;
	bool		fenced;
	bool		sorted;
	const char *subquery;
	DestReceiver *sink;
	SinkCounts	counts;
	ExpectationResult *outcomes;
	HeapTuple	aggs;
	TupleDesc	aggdesc = NULL;
	MemoryContext old;
	const StepDef *s = w->step;
	TupleDesc	desc = w->desc;
	SqlParams  *params = w->params ? w->params : palloc0(sizeof(SqlParams));

	if (citus_table_kind(w->into, NULL) != CITUS_NONE)
	{
		/* the sink would fill the coordinator's shell: SQL Citus runs on the shards */
		publish_write_citus(w, watermark, c, results);
		return;
	}

	/*
	 * The checked query: the rows (sorted by unique_key and keep, the sink
	 * keeping the first of each key; numbered per key in SQL only when a
	 * unique expectation counts the kept rows there), whether each survives
	 * deduplication (no such column when the sink copies the rows whole),
	 * one flag per row-level expectation; then, for
	 * expectations on several columns, outside an optimization fence so that
	 * no flag is computed twice, the row each unexpected row reports.
	 */
	initStringInfo(&samples);
	fenced = expect_sql_samples(s->expectations, desc, &samples);
	sorted = s->unique_key != NIL && !expect_needs_live(s->expectations);
	subquery = w->subquery;
	if (!sorted && checks_repeat_transforms(w, params))
		subquery = psprintf("SELECT * FROM (\n%s\n) " DATAOPS_INTERNAL_PREFIX "q OFFSET 0", subquery);
	initStringInfo(&sql);
	if (fenced)
		appendStringInfo(&sql, "SELECT c.*%s\nFROM (\n", samples.data);
	appendStringInfoString(&sql, "  SELECT s.*");
	if ((sorted || s->unique_key == NIL) && !fenced && !expect_any_row_level(s->expectations))
	{
		/*
		 * The rows as the query returns them: the sink copies them whole.
		 * expect_sql_flags adds no column here, but checks every
		 * expectation's column and types against the query's.
		 */
		expect_sql_flags(s->expectations, desc, "true", params, &sql);
		appendStringInfo(&sql, "\n  FROM (\n%s\n) s", subquery);
	}
	else if (s->unique_key != NIL && !sorted)
	{
		/* a unique expectation counts among the live rows: number them in SQL */
		char	   *keys = sqlgen_name_list(s->unique_key, "");

		live = DATAOPS_INTERNAL_PREFIX "rn OPERATOR(pg_catalog.=) 1";
		appendStringInfo(&sql, ", %s AS " DATAOPS_INTERNAL_PREFIX "live", live);
		expect_sql_flags(s->expectations, desc, live, params, &sql);
		appendStringInfo(&sql,
						 "\n  FROM (\n  SELECT q.*, pg_catalog.row_number() OVER (PARTITION BY %s ORDER BY\n%s\n) AS " DATAOPS_INTERNAL_PREFIX "rn\n"
						 "  FROM (\n%s\n) q\n) s",
						 keys, s->keep ? s->keep : keys, subquery);
	}
	else
	{
		live = "true";
		appendStringInfo(&sql, ", %s AS " DATAOPS_INTERNAL_PREFIX "live", live);
		expect_sql_flags(s->expectations, desc, live, params, &sql);
		appendStringInfo(&sql, "\n  FROM (\n%s\n) s", subquery);
	}
	if (fenced)
		appendStringInfoString(&sql, "\n  OFFSET 0\n) c");
	if (sorted)
	{
		/*
		 * DISTINCT ON's plan: the rows sorted by key, then keep order, and the
		 * sink keeps the first of each key (a sort and a comparison per row,
		 * where row_number() spools every row through a window aggregate).
		 */
		char	   *keys = sqlgen_name_list(s->unique_key, "");

		appendStringInfo(&sql, "\nORDER BY %s%s%s", keys, s->keep ? ",\n" : "", s->keep ? s->keep : "");
	}

	sink = sink_create(s->expectations, desc, w->owner, w->into, w->quarantine, w->unexpected, w->run_id);
	if (sorted)
	{
		List	   *atts = NIL;
		ListCell   *lc;

		foreach(lc, s->unique_key)
		{
			int			att = sqlgen_find_att(desc, lfirst(lc));

			if (att < 0)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_COLUMN),
						 errmsg("unique_key column \"%s\" is not a column of step \"%s\"",
								(char *) lfirst(lc), s->name),
						 errhint("Name columns the step's query returns in unique_key.")));
			atts = lappend_int(atts, att);
		}
		sink_dedup_sorted(sink, atts);
	}
	if (w->watermark_att >= 0)
		sink_track_max(sink, w->watermark_att);
	run_into_sink(sql.data, params, sink,
				  w->parallel_ok && sink_parallel_ok(sink) && !expect_needs_serial(s->expectations));
	if (watermark)
		*watermark = sink_max_text(sink);
	outcomes = sink_finish(sink, &counts, w->result_cxt);
	c->rows_read = counts.rows_read;
	c->duplicates_removed = counts.duplicates;
	c->rows_written = counts.published;
	c->rows_quarantined = counts.quarantined;

	/* over the target, which now holds exactly the published rows */
	aggs = publish_aggregate_row(s, desc, w->into_qname, &aggdesc);
	old = MemoryContextSwitchTo(w->result_cxt);
	*results = expect_results(s->expectations, aggs, aggdesc, 2, counts.rows_read - counts.duplicates,
							  counts.published, desc, outcomes);
	MemoryContextSwitchTo(old);
}

