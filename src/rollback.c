/*
 * rollback.c: dataops.rollback(pipeline, step, run_id) (see rollback.h).
 *
 * Undoing a batch deletes the rows of every key it touched and puts back the
 * before-images of the keys it updated; the step's watermark goes back to
 * where it was before the batch, so the next run merges the batch's source
 * rows again.  It runs in the caller's transaction: all of it or nothing.
 *
 * It runs as the caller (the pipeline's owner or a member of it), so it
 * writes only relations owned by the pipeline's owner, as a run does
 * (target.h), with search_path pinned to pg_catalog, pg_temp and every
 * operator of its statements qualified.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"

#include "args.h"
#include "catalog.h"
#include "dataops.h"
#include "materialize.h"
#include "options.h"
#include "sqlgen.h"
#include "target.h"
#include "rollback.h"

/* Undoes the batches of step s newer than to_run (the newest only when to_run is 0). */
static void
rollback_step(const StepDef *s, Oid owner, int64 to_run)
{
	const StepOptions *opts = step_options(s);
	const char *qname = dataops_qualified_name(s->target_schema, s->target_table);
	const char *btable = sqlgen_side_table_name(s->target_table, "_before");
	const char *bq = dataops_qualified_name(s->target_schema, btable);
	Oid			target;
	Oid			before;
	TupleDesc	desc;
	char	   *cur_wm;
	char	   *hash;
	char	   *wm;
	int64		from_run;
	List	   *batches = NIL;
	List	   *cols = NIL;
	ListCell   *lc;
	uint64		i;
	int64		oldest;

	if (opts->materialization == MATERIALIZATION_TABLE && options_keep_versions(opts, 0) > 0)
	{
		int64		restored = materialize_table_rollback(s, owner, to_run);

		catalog_emit_event(0, s->pipeline, s->name, "step", "rolled_back",
						   psprintf("{\"restored_run_id\": " INT64_FORMAT "}", restored));
		return;
	}
	if (opts->materialization != MATERIALIZATION_INCREMENTAL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot roll back step \"%s\": its materialization is %s", s->name, opts->materialization_name),
				 errdetail("dataops keeps versions of incremental targets, and of table targets with options.keep_versions."),
				 errhint("Rebuild the target with a full refresh instead.")));
	/* the owner's target and before-images, checked before they are locked */
	/* a Citus target too: the statements below are SQL Citus runs on the colocated shards */
	target = target_relation_citus(s->target_schema, s->target_table, "target", owner, TARGET_PIPELINE_OWNER,
								   ExclusiveLock);
	before = OidIsValid(target) ?
		target_relation_citus(s->target_schema, btable, "before-images table", owner, TARGET_PIPELINE_OWNER,
							  RowExclusiveLock) : InvalidOid;
	if (!OidIsValid(target) || !OidIsValid(before) ||
		!catalog_get_step_state(s->pipeline, s->name, &cur_wm, &hash))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("step \"%s\" has no batch to roll back", s->name),
				 errhint("Only batches merged since the last full refresh can be rolled back.")));

	(void) sqlgen_exec_int8(psprintf("SELECT DISTINCT _run_id FROM %s WHERE _run_id OPERATOR(pg_catalog.>) $1 "
										  "ORDER BY 1 DESC%s",
										  bq, to_run ? "" : " LIMIT 1"), 1, &to_run);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		int64	   *r = palloc(sizeof(int64));

		*r = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		batches = lappend(batches, r);
	}
	if (batches == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("step \"%s\" has no batch to roll back%s", s->name,
						to_run ? psprintf(" after run " INT64_FORMAT, to_run) : ""),
				 errhint("Only the last keep_versions batches merged since the last full refresh can be rolled back.")));
	oldest = *(int64 *) llast(batches);

	/* every batch between to_run and now must still be kept, or the result would be a mix */
	if (to_run && catalog_watermark_before(s->pipeline, s->name, oldest, &wm, &from_run) && from_run != to_run)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot roll back step \"%s\" to run " INT64_FORMAT, s->name, to_run),
				 errdetail("The before-images of the batches between run " INT64_FORMAT " and run " INT64_FORMAT " are no longer kept.",
						   to_run, oldest),
				 errhint("Raise options.keep_versions to keep more batches.")));

	/* the target's columns */
	{
		Relation	rel = RelationIdGetRelation(target);
		TupleDesc	td = RelationGetDescr(rel);
		int			k;

		desc = CreateTupleDescCopy(td);
		for (k = 0; k < td->natts; k++)
			if (!TupleDescAttr(td, k)->attisdropped)
				cols = lappend(cols, pstrdup(NameStr(TupleDescAttr(td, k)->attname)));
		RelationClose(rel);
	}
	/*
	 * All the batches at once: the rows of every key they touched go, and
	 * each key gets back its image from before the oldest of them (none if
	 * that one inserted it).
	 */
	(void) sqlgen_exec_int8(psprintf("DELETE FROM %s t USING %s b WHERE b._run_id OPERATOR(pg_catalog.>=) $1 AND %s",
										  qname, bq, sqlgen_key_join(s->unique_key, desc, "t", "b")), 1, &oldest);
	(void) sqlgen_exec_int8(psprintf("INSERT INTO %s (%s) SELECT %s FROM "
										  "(SELECT DISTINCT ON (%s) * FROM %s WHERE _run_id OPERATOR(pg_catalog.>=) $1 "
										  "ORDER BY %s, _run_id) b "
										  "WHERE b._op OPERATOR(pg_catalog.=) 'update'",
										  qname, sqlgen_name_list(cols, ""), sqlgen_name_list(cols, "b."),
										  sqlgen_name_list(s->unique_key, ""), bq,
										  sqlgen_name_list(s->unique_key, "")), 1, &oldest);
	(void) sqlgen_exec_int8(psprintf("DELETE FROM %s WHERE _run_id OPERATOR(pg_catalog.>=) $1", bq), 1, &oldest);

	/* the watermark goes back to before the oldest batch undone */
	if (!catalog_watermark_before(s->pipeline, s->name, oldest, &wm, &from_run))
		wm = NULL;
	catalog_set_step_state(s->pipeline, s->name, wm, hash, from_run);
	{
		StringInfoData d;

		initStringInfo(&d);
		appendStringInfoString(&d, "{\"undone_runs\": [");
		foreach(lc, batches)
			appendStringInfo(&d, "%s" INT64_FORMAT, lc == list_head(batches) ? "" : ", ", *(int64 *) lfirst(lc));
		appendStringInfo(&d, "], \"restored_run_id\": " INT64_FORMAT "}", from_run);
		catalog_emit_event(0, s->pipeline, s->name, "step", "rolled_back", d.data);
	}
}

/*
 * dataops.rollback(pipeline text, step text DEFAULT NULL, run_id bigint
 * DEFAULT NULL) → void: for the step (or every gold step of the pipeline),
 * undoes the batches merged after run_id, by default the last one, in the
 * caller's transaction.  Raises 42704 for an unknown pipeline or step,
 * 42501 unless the caller has the privileges of the pipeline's owner or
 * when the target or its before-images (or kept version) is not owned by
 * the pipeline's owner itself,
 * 55006 while a run of the pipeline is queued or running, 0A000 for a step
 * that is not incremental, 55000 when the batches are not kept.
 */
PG_FUNCTION_INFO_V1(dataops_rollback);
Datum
dataops_rollback(PG_FUNCTION_ARGS)
{
	char	   *pipeline;
	char	   *step = args_text(fcinfo, 1);
	int64		to_run = PG_ARGISNULL(2) ? 0 : PG_GETARG_INT64(2);
	List	   *steps = NIL;
	ListCell   *lc;
	PipelineDef *p;
	int			nest;

	args_require(PG_ARGISNULL(0), "pipeline");
	pipeline = text_to_cstring(PG_GETARG_TEXT_PP(0));
	p = args_owned_pipeline(pipeline, "roll back");
	if (catalog_pipeline_has_open_runs(pipeline))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("pipeline \"%s\" has a run queued or running", pipeline),
				 errhint("Wait for it (dataops.wait) or cancel it (dataops.cancel), then roll back.")));
	if (step)
		steps = list_make1(catalog_get_step(pipeline, step, false));
	else
		foreach(lc, catalog_get_steps(pipeline, false))
			if (strcmp(((StepDef *) lfirst(lc))->layer, "gold") == 0)
				steps = lappend(steps, lfirst(lc));
	if (steps == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("pipeline \"%s\" has no gold step", pipeline),
				 errhint("Name the step to roll back.")));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	nest = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	foreach(lc, steps)
		rollback_step(lfirst(lc), p->owner_oid, to_run);
	AtEOXact_GUC(true, nest);
	SPI_finish();
	PG_RETURN_VOID();
}
