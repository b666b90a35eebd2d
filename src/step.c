/*
 * step.c: one step, from rows to published target: the dispatch by
 * materialization.  A bronze step that reads files is ingest.c's; a table
 * step's query is written by publish.c in one scan (PostgreSQL's INSERT
 * ... SELECT only when there is nothing to check or deduplicate and the
 * sink cannot write the table); every other materialization is
 * materialize.c's.
 */
#include "postgres.h"

#include "access/relation.h"
#include "executor/spi.h"
#include "utils/guc.h"
#include "utils/rel.h"

#include "catalog.h"
#include "compat.h"
#include "dataops.h"
#include "expect.h"
#include "ingest.h"
#include "lineage.h"
#include "materialize.h"
#include "options.h"
#include "publish.h"
#include "sink.h"
#include "sqlgen.h"
#include "target.h"
#include "step.h"

static void
execute_query_step(const StepDef *s, Oid owner, int64 run_id, StepCounts *c, List **results,
				   MemoryContext result_cxt)
{
	const char *qname = dataops_qualified_name(s->target_schema, s->target_table);
	TupleDesc	desc = publish_describe(s);
	PublishWrite w = {.step = s, .owner = owner, .run_id = run_id, .subquery = s->query, .desc = desc};
	bool		plain;

	w.into = publish_ensure_target(s, owner, s->query, desc, &c->target_recreated);
	w.into_qname = qname;
	publish_side_tables(s, owner, desc, run_id, &w.quarantine, &w.unexpected);
	dataops_exec_sql(psprintf("TRUNCATE %s", qname));

	plain = s->expectations == NIL && s->unique_key == NIL;
	if (plain && !sink_can_write(w.into))
	{
		/*
		 * Nothing to check or deduplicate, into a table the sink does not
		 * write (partitioned, with row-level security or a transition
		 * table): PostgreSQL's own INSERT ... SELECT.
		 */
		if (SPI_execute(psprintf("INSERT INTO %s (%s) SELECT * FROM (\n%s\n) q", qname,
								 sqlgen_column_list(desc, ""), s->query), false, 0) != SPI_OK_INSERT)
			elog(ERROR, "dataops: could not publish step \"%s\"", s->name);
		c->rows_read = c->rows_written = SPI_processed;
		*results = NIL;
		return;
	}
	/*
	 * Nothing to check or deduplicate: the rows are only copied, and the
	 * sink copies them as COPY does (buffered multi-row inserts, frozen into
	 * the new storage), several times faster than INSERT ... SELECT.  The
	 * plan stays serial, as INSERT ... SELECT's is: a copy gains little from
	 * parallel workers, and the steps of a DAG already run side by side.
	 */
	w.parallel_ok = !plain;
	w.watermark_att = -1;
	w.result_cxt = result_cxt;
	publish_write_checked(&w, NULL, c, results);
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
		(void) publish_ensure_unexpected(s->target_schema, s->target_table, psprintf("SELECT * FROM %s", qname),
										 desc, run_id, owner, TARGET_PIPELINE_OWNER, &unexpected_table);
	*results = expect_check_rows(s->expectations,
								 psprintf("%s s WHERE s._run_id OPERATOR(pg_catalog.=) $1", qname), desc,
								 run_id, unexpected_table, result_cxt);
}

/*
 * Analyzes the step's target before the step commits when its storage is new
 * in this transaction (created, truncated or loaded by a full refresh) and a
 * later step of the pipeline reads it: that step is then planned from the
 * rows just published instead of a guess from the page count (the row
 * estimate decides its join order, memory and parallel plan).  Targets
 * merged into in place (incremental, scd2) and bronze tables loaded by
 * appending keep autovacuum's statistics: analyzing a large table for a small
 * change would cost more than the change.
 */
static void
analyze_for_next_step(const StepDef *s, Oid owner)
{
	Oid			relid = dataops_relation_oid(s->target_schema, s->target_table);
	Relation	rel;
	bool		rewritten;
	int			nest;

	if (!OidIsValid(relid))
		return;
	rel = relation_open(relid, AccessShareLock);
	rewritten = rel->rd_rel->relkind == RELKIND_RELATION &&
		(rel->rd_createSubid != InvalidSubTransactionId ||
		 compat_rel_first_storage_subid(rel) != InvalidSubTransactionId);
	relation_close(rel, AccessShareLock);
	if (!rewritten || !catalog_step_has_dependents(s->pipeline, s->name))
		return;
	/* ours (the pipeline owner's), checked again before it is touched */
	target_require_owner(relid, "target", owner, TARGET_PIPELINE_OWNER);

	/*
	 * A quick one: a sample of 3,000 rows (statistics target 10, where 100
	 * samples 30,000 and sorts them per column) gives the next step the row
	 * count and coarse distributions for a fraction of the cost; the rows
	 * written still count toward autovacuum's analyze threshold, so its
	 * full ANALYZE follows.  Columns with their own statistics target keep
	 * it.
	 */
	nest = NewGUCNestLevel();
	(void) set_config_option("default_statistics_target", "10", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	dataops_exec_sql(psprintf("ANALYZE %s", dataops_qualified_name(s->target_schema, s->target_table)));
	AtEOXact_GUC(true, nest);
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
		 * again).  The bronze table ingest.c loads: another role's table is
		 * refused before COPY touches it.  A Citus table is loaded through
		 * the COPY utility statement Citus routes to the shards (ingest.c).
		 */
		ingest_check_read_privilege(owner, s->pipeline, s->name);
		target = target_relation_citus(s->target_schema, s->target_table, "target", owner,
									 TARGET_PIPELINE_OWNER, RowExclusiveLock);
		ingest_step(s, owner, run_id, full_refresh, c, &files);
		target = target_relation_citus(s->target_schema, s->target_table, "target", owner,
									   TARGET_PIPELINE_OWNER, RowExclusiveLock);
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
	else if (step_options(s)->materialization != MATERIALIZATION_TABLE ||
			 options_keep_versions(step_options(s), 0) > 0)
		materialize_step(s, owner, run_id, full_refresh, c, results, result_cxt);
	else
		execute_query_step(s, owner, run_id, c, results, result_cxt);
	analyze_for_next_step(s, owner);
	SPI_finish();

	/* what the target is computed from, from the analyzed query */
	if (s->query != NULL)
		*lineage = lineage_from_query(s->query);

	expect_raise_failures(*results, s->name);
}
