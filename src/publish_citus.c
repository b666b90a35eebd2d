/*
 * publish_citus.c: the write path of a step whose target is a Citus table
 * (issue 15), part of the publish module (publish.h).
 *
 * publish.c's sink inserts rows into the relation it opens; on a Citus
 * coordinator that relation is an empty shell and the rows would never
 * reach the shards.  Here every row moves through SQL that Citus plans, so
 * the work runs on the shards wherever the statements allow it:
 *
 *   1. the checked query (the step's rows, numbered per unique_key in keep
 *      order, one flag per row-level expectation) is inserted into a stage
 *      table colocated with the target (INSERT ... SELECT: pushed down when
 *      the rows come from colocated tables and the key holds the
 *      distribution column; otherwise Citus repartitions or goes through
 *      the coordinator, with the same result);
 *   2. the counts come from one aggregate query over the stage (partial
 *      counts on the shards), the samples and the most frequent unexpected
 *      values from one LIMIT / GROUP BY query per failing expectation, the
 *      aggregate kinds from one aggregate query over the rows to publish;
 *   3. when a fail expectation failed, nothing is written: step.c raises
 *      the failure after the results are recorded;
 *   4. otherwise the target, the quarantine and <target>_unexpected are
 *      filled with INSERT ... SELECT from the stage (colocated: on the
 *      shards), and the stage is dropped.
 *
 * All of it runs in the step's transaction: Citus's two-phase commit covers
 * the shards and the catalog rows.  The counts, samples and results have
 * the sink's meaning (sink.h), except that partial_unexpected_list holds 20
 * unexpected values in no defined order (Great Expectations defines none;
 * the sink keeps the first 20 in query order).
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "citus.h"
#include "dataops.h"
#include "expect.h"
#include "publish.h"
#include "sqlgen.h"
#include "target.h"

#define LIVE DATAOPS_INTERNAL_PREFIX "live"

/* The stage's column definitions: the step's columns, the row number, live, one flag per row-level expectation. */
static char *
stage_columns(const PublishWrite *w)
{
	StringInfoData b;
	ListCell   *lc;
	int			i;

	initStringInfo(&b);
	for (i = 0; i < w->desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(w->desc, i);

		if (a->attisdropped)
			continue;
		appendStringInfo(&b, "%s, ", sqlgen_column_def(a));
	}
	if (w->step->unique_key != NIL)
		appendStringInfoString(&b, DATAOPS_INTERNAL_PREFIX "rn pg_catalog.int8, ");
	appendStringInfoString(&b, LIVE " pg_catalog.bool");
	foreach(lc, w->step->expectations)
		if (expect_is_row_level(lfirst(lc)))
			appendStringInfo(&b, ", " DATAOPS_INTERNAL_PREFIX "u%d pg_catalog.bool", foreach_current_index(lc) + 1);
	return b.data;
}

/*
 * Runs a generated statement with the write's parameters; returns the rows it
 * processed.  Never read-only, here and below: each statement takes a new
 * snapshot, which sees the stage rows inserted before it (a read-only SPI
 * call would reuse an older one).
 */
static uint64
exec_params(const char *sql, SqlParams *params)
{
	int			rc = SPI_execute_with_args(sql, params->n, params->types, params->values, NULL, false, 0);

	if (rc < 0)
		elog(ERROR, "dataops: a generated statement on a Citus table failed: %s", SPI_result_code_string(rc));
	return SPI_processed;
}

static int64
int8_col(int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? 0 : DatumGetInt64(d);
}

/*
 * The stage insert; a row whose distribution column is NULL cannot be stored
 * in a distributed table (Citus raises 22004): said in the step's terms.
 */
static void
insert_stage(const StepDef *s, Oid into, const char *sql, SqlParams *params)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	char	   *column;
	bool		distributed = citus_table_kind(into, &column) == CITUS_DISTRIBUTED;
	char	   *qname = dataops_qualified_name(s->target_schema, s->target_table);

	PG_TRY();
	{
		(void) exec_params(sql, params);
	}
	PG_CATCH();
	{
		/* strings only here: the transaction is failed until the error is rethrown */
		ErrorData  *edata = dataops_take_error(oldcxt);

		if (edata->sqlerrcode == ERRCODE_NULL_VALUE_NOT_ALLOWED && distributed)
		{
			edata->detail = psprintf("%s (A distributed table cannot hold a row whose distribution column is "
									 "NULL; the target, its quarantine and the stage of its rows share that column.)",
									 edata->message);
			edata->message = psprintf("a row of step \"%s\" has no value in \"%s\", the distribution column of %s",
									  s->name, column, qname);
			edata->hint = psprintf("Filter those rows in the step's query (WHERE %s IS NOT NULL), give them a value "
								   "(COALESCE), or distribute the target on a column that always has one.",
								   quote_identifier(column));
		}
		ReThrowError(edata);
	}
	PG_END_TRY();
}

/*
 * The samples of row-level expectation e (flag u<idx>), read from the stage:
 * up to DATAOPS_SAMPLE_SIZE unexpected values, and for SUMMARY and COMPLETE
 * the most frequent ones with their counts (ordered as sink.c orders them:
 * count descending, then value, NULL last).  Into *r, in result_cxt.
 */
static void
stage_samples(const ExpectationDef *e, int idx, const char *sample, const char *stage, int64 unexpected,
			  ExpectationResult *r, MemoryContext result_cxt)
{
	const char *format = expect_result_format(e);
	char	   *values[DATAOPS_SAMPLE_SIZE];
	int			n = 0;
	MemoryContext old;
	uint64		i;

	if (unexpected > 0)
	{
		if (SPI_execute(psprintf("SELECT %s FROM %s WHERE " LIVE " AND " DATAOPS_INTERNAL_PREFIX "u%d LIMIT %d",
								 sample, stage, idx, DATAOPS_SAMPLE_SIZE), false, 0) != SPI_OK_SELECT)
			elog(ERROR, "dataops: could not read the unexpected values of expectation \"%s\"", e->name);
		for (i = 0; i < SPI_processed && n < DATAOPS_SAMPLE_SIZE; i++)
			values[n++] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
	}
	old = MemoryContextSwitchTo(result_cxt);
	r->partial_unexpected_list = expect_sample_jsonb(values, n);
	MemoryContextSwitchTo(old);
	if (strcmp(format, "BASIC") == 0 || strcmp(format, "BOOLEAN_ONLY") == 0)
		return;
	if (unexpected == 0)
	{
		old = MemoryContextSwitchTo(result_cxt);
		r->partial_unexpected_counts = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("[]")));
		MemoryContextSwitchTo(old);
		return;
	}
	if (SPI_execute(psprintf("SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('value', t.v, 'count', t.n) "
							 "ORDER BY t.n DESC, t.v), CAST('[]' AS pg_catalog.jsonb)) "
							 "FROM (SELECT %s AS v, pg_catalog.count(*) AS n FROM %s WHERE " LIVE " AND "
							 DATAOPS_INTERNAL_PREFIX "u%d GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT %d) t",
							 sample, stage, idx, DATAOPS_SAMPLE_SIZE), false, 0) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "dataops: could not count the unexpected values of expectation \"%s\"", e->name);
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		old = MemoryContextSwitchTo(result_cxt);
		r->partial_unexpected_counts = DatumGetJsonbPCopy(d);
		MemoryContextSwitchTo(old);
	}
}

/* Whether a fail expectation failed: then nothing is published (step.c raises it). */
static bool
any_failure(List *results)
{
	ListCell   *lc;

	foreach(lc, results)
	{
		ExpectationResult *r = lfirst(lc);

		if (!r->success && strcmp(r->def->action, "fail") == 0)
			return true;
	}
	return false;
}

void
publish_write_citus(const PublishWrite *w, char **watermark, StepCounts *c, List **results)
{
	const StepDef *s = w->step;
	TupleDesc	desc = w->desc;
	List	   *exps = s->expectations;
	SqlParams  *params = w->params ? w->params : palloc0(sizeof(SqlParams));
	char	   *schema = get_namespace_name(get_rel_namespace(w->into));
	char	   *sname = sqlgen_side_table_name(get_rel_name(w->into), "_" DATAOPS_INTERNAL_PREFIX "stage");
	char	   *stage = dataops_qualified_name(schema, sname);
	char	   *cols = sqlgen_column_list(desc, "");
	char	   *dropped = expect_sql_dropped(exps);
	char	   *kept;
	StringInfoData sql;
	ExpectationResult *outcomes;
	char	  **samples;
	int64		live_rows;
	int64		quarantined;
	int			col;
	ListCell   *lc;
	MemoryContext old;

	/* the rows to publish: live, and rejected by no drop expectation */
	kept = psprintf(LIVE " AND %s IS NOT TRUE", dropped ? dropped : "false");

	/* 1. the checked rows into a stage colocated with the target */
	if (OidIsValid(target_relation_citus(schema, sname, "stage table", w->owner, TARGET_PIPELINE_OWNER,
										 AccessExclusiveLock)))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_TABLE),
				 errmsg("relation %s exists", stage),
				 errdetail("dataops creates a table of this name for the rows of a step that publishes into "
						   "a Citus table, and drops it before the step ends."),
				 errhint("Drop or rename it.")));
	dataops_exec_sql(psprintf("CREATE TABLE %s (%s)", stage, stage_columns(w)));
	(void) target_relation_citus(schema, sname, "stage table", w->owner, TARGET_PIPELINE_OWNER,
								 AccessExclusiveLock);
	(void) citus_distribute_like(stage, w->into);

	initStringInfo(&sql);
	appendStringInfo(&sql, "INSERT INTO %s\nSELECT %s", stage, sqlgen_column_list(desc, "s."));
	if (s->unique_key != NIL)
	{
		char	   *keys = sqlgen_name_list(s->unique_key, "");
		const char *live = DATAOPS_INTERNAL_PREFIX "rn OPERATOR(pg_catalog.=) 1";

		appendStringInfo(&sql, ", s." DATAOPS_INTERNAL_PREFIX "rn, %s", live);
		expect_sql_flags(exps, desc, live, params, &sql);
		appendStringInfo(&sql,
						 "\nFROM (\n  SELECT q.*, pg_catalog.row_number() OVER (PARTITION BY %s ORDER BY\n%s\n) AS "
						 DATAOPS_INTERNAL_PREFIX "rn\n  FROM (\n%s\n) q\n) s",
						 keys, s->keep ? s->keep : keys, w->subquery);
	}
	else
	{
		appendStringInfoString(&sql, ", true");
		expect_sql_flags(exps, desc, "true", params, &sql);
		appendStringInfo(&sql, "\nFROM (\n%s\n) s", w->subquery);
	}
	insert_stage(s, w->into, sql.data, params);

	/* 2. the counts: rows, duplicates, quarantined, and per row-level expectation missing and unexpected */
	resetStringInfo(&sql);
	appendStringInfo(&sql, "SELECT pg_catalog.count(*), pg_catalog.count(*) FILTER (WHERE NOT " LIVE "), "
					 "pg_catalog.count(*) FILTER (WHERE " LIVE " AND %s IS TRUE)", dropped ? dropped : "false");
	samples = palloc0(sizeof(char *) * Max(list_length(exps), 1));
	foreach(lc, exps)
	{
		char	   *missing;

		if (!expect_is_row_level(lfirst(lc)))
			continue;
		expect_sql_row_parts(lfirst(lc), desc, &missing, &samples[foreach_current_index(lc)]);
		appendStringInfo(&sql, ", pg_catalog.count(*) FILTER (WHERE " LIVE " AND (%s)), "
						 "pg_catalog.count(*) FILTER (WHERE " LIVE " AND " DATAOPS_INTERNAL_PREFIX "u%d)",
						 missing ? missing : "false", foreach_current_index(lc) + 1);
	}
	appendStringInfo(&sql, " FROM %s", stage);
	if (SPI_execute(sql.data, false, 0) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "dataops: could not count the rows of step \"%s\"", s->name);
	c->rows_read = int8_col(1);
	c->duplicates_removed = int8_col(2);
	quarantined = int8_col(3);
	live_rows = c->rows_read - c->duplicates_removed;
	c->rows_quarantined = quarantined;
	c->rows_written = live_rows - quarantined;

	old = MemoryContextSwitchTo(w->result_cxt);
	outcomes = palloc0(sizeof(ExpectationResult) * Max(list_length(exps), 1));
	MemoryContextSwitchTo(old);
	col = 4;
	foreach(lc, exps)
	{
		if (!expect_is_row_level(lfirst(lc)))
			continue;
		outcomes[foreach_current_index(lc)].missing_count = int8_col(col++);
		outcomes[foreach_current_index(lc)].unexpected_count = int8_col(col++);
	}
	foreach(lc, exps)
	{
		ExpectationResult *r = &outcomes[foreach_current_index(lc)];

		if (expect_is_row_level(lfirst(lc)))
			stage_samples(lfirst(lc), foreach_current_index(lc) + 1, samples[foreach_current_index(lc)], stage,
						  r->unexpected_count, r, w->result_cxt);
	}

	/* the aggregate kinds, over the rows that would be published */
	{
		TupleDesc	aggdesc = NULL;
		HeapTuple	aggs = publish_aggregate_row(s, desc, psprintf("(SELECT %s FROM %s WHERE %s) s", cols, stage, kept),
												 &aggdesc);

		old = MemoryContextSwitchTo(w->result_cxt);
		*results = expect_results(exps, aggs, aggdesc, 2, live_rows, c->rows_written, desc, outcomes);
		MemoryContextSwitchTo(old);
	}
	if (watermark && w->watermark_att >= 0)
	{
		/* every row's, duplicates and dropped ones included, as sink_track_max */
		if (SPI_execute(psprintf("SELECT pg_catalog.max(%s) FROM %s",
								 quote_identifier(NameStr(TupleDescAttr(desc, w->watermark_att)->attname)), stage),
						false, 0) != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "dataops: could not read the watermark of step \"%s\"", s->name);
		*watermark = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	}
	else if (watermark)
		*watermark = NULL;

	/* 3. a failed fail expectation: nothing is published */
	if (!any_failure(*results))
	{
		/* 4. the target, the quarantine and <target>_unexpected, from the stage */
		(void) sqlgen_exec_count(psprintf("INSERT INTO %s (%s) SELECT %s FROM %s WHERE %s",
										  w->into_qname, cols, cols, stage, kept));
		if (OidIsValid(w->quarantine) && quarantined > 0)
		{
			SqlParams  *qparams = palloc0(sizeof(SqlParams));
			StringInfoData names;

			(void) sql_param(qparams, INT8OID, Int64GetDatum(w->run_id));
			initStringInfo(&names);
			foreach(lc, exps)
				if (expect_is_row_level(lfirst(lc)))
					appendStringInfo(&names, "%sCASE WHEN " DATAOPS_INTERNAL_PREFIX "u%d THEN $%d END",
									 names.len ? ", " : "", foreach_current_index(lc) + 1,
									 sql_param(qparams, TEXTOID,
											   CStringGetTextDatum(((ExpectationDef *) lfirst(lc))->name)));
			(void) exec_params(psprintf("INSERT INTO %s (%s, _run_id, _failed_expectations) "
										"SELECT %s, $1, pg_catalog.array_remove(CAST(ARRAY[%s] AS pg_catalog.text[]), NULL) "
										"FROM %s WHERE " LIVE " AND %s IS TRUE",
										dataops_relation_name(w->quarantine),
										cols, cols, names.data, stage, dropped),
							   qparams);
		}
		if (OidIsValid(w->unexpected))
			foreach(lc, exps)
			{
				ExpectationDef *e = lfirst(lc);
				SqlParams  *uparams;

				if (!expect_is_row_level(e) || strcmp(expect_result_format(e), "COMPLETE") != 0 ||
					outcomes[foreach_current_index(lc)].unexpected_count == 0)
					continue;
				uparams = palloc0(sizeof(SqlParams));
				(void) sql_param(uparams, INT8OID, Int64GetDatum(w->run_id));
				(void) sql_param(uparams, TEXTOID, CStringGetTextDatum(e->name));
				(void) exec_params(psprintf("INSERT INTO %s (%s, _check_run_id, _expectation) SELECT %s, $1, $2 "
											"FROM %s WHERE " LIVE " AND " DATAOPS_INTERNAL_PREFIX "u%d",
											dataops_relation_name(w->unexpected),
											cols, cols, stage, foreach_current_index(lc) + 1),
								   uparams);
			}
	}
	dataops_exec_sql(psprintf("DROP TABLE %s", stage));
}
