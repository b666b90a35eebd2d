/*
 * step.h: executing one step: rows, dedup, expectations, publish.
 */
#ifndef DATAOPS_STEP_H
#define DATAOPS_STEP_H

#include "postgres.h"
#include "access/tupdesc.h"
#include "catalog.h"

/*
 * step_execute: runs one step inside the caller's transaction, as the
 * current user, under the current search_path:
 *   rows    the step's query (or, for a bronze step with a source, ingest.c)
 *   dedup   one row per unique_key, the first in keep order
 *   check   every expectation, in the same scan as the write
 *   publish TRUNCATE and INSERT into the target (same OID, grants, views and
 *           comments), failing rows into <target>_quarantine, and every
 *           row a COMPLETE expectation flags into <target>_unexpected
 * Fills *counts, sets *results to the expectation results (allocated in
 * result_cxt, set before a fail expectation raises) and *lineage to the
 * lineage edges.  Raises 23514 when a fail expectation is not met, 42501
 * when a relation it would publish into (target, quarantine, _unexpected,
 * _before, a version table, a view) exists but is not owned by the
 * pipeline's owner, 0A000 when one is a Citus table (publish.h), and any
 * error of the query; the caller's transaction must then be rolled back, so
 * a failed step changes neither the target nor its quarantine.
 */
extern void step_execute(const StepDef *step, int64 run_id, bool full_refresh,
						 StepCounts *counts, List **results, List **lineage,
						 MemoryContext result_cxt);

/*
 * step_ensure_unexpected_table: creates schema.<table>_unexpected (the
 * columns of `subquery`, described by desc, then _check_run_id bigint and
 * _expectation text) where Great Expectations' COMPLETE result format keeps
 * every unexpected row; when it exists with other columns the old one is
 * renamed with the run id.  SPI must be connected; runs as the current
 * user, and an existing table must be owned by the current user (42501,
 * checked before it is locked; 0A000 for a Citus table).  Returns its
 * qualified name.
 */
extern char *step_ensure_unexpected_table(const char *schema, const char *table,
										  const char *subquery, TupleDesc desc, int64 run_id);

struct SqlParams;

/*
 * step_describe: the columns of the step's query (a copy).  Raises 42939
 * when one uses dataops' reserved prefix.  SPI must be connected.
 */
extern TupleDesc step_describe(const StepDef *s);

/*
 * step_side_tables: creates, when the step's expectations need them,
 * <target>_quarantine (drop) and <target>_unexpected (COMPLETE), and sets
 * their OIDs (InvalidOid when not needed), locked with RowExclusiveLock.
 * Existing ones must be owned by `owner` (the pipeline's owner; 42501,
 * checked at every run, before they are locked) and not be Citus tables
 * (0A000).
 */
extern void step_side_tables(const StepDef *s, Oid owner, TupleDesc desc, int64 run_id, Oid *quarantine,
							 Oid *unexpected);

/*
 * step_write_checked: streams the rows of `subquery` (columns `desc`; it may
 * use the parameters already in `params`) through deduplication and the
 * step's expectations into relation `into` (named into_qname, with desc's
 * columns), the quarantine and _unexpected, in one scan (sink.c); then
 * computes the aggregate expectations over `into`.  With watermark_att >= 0
 * sets *watermark to the largest value of that column over every row read.
 * Fills the counts in *c and *results (in result_cxt).  SPI connected.
 * `owner` must own every relation written (sink_create checks again).
 */
extern void step_write_checked(const StepDef *s, Oid owner, int64 run_id, const char *subquery, struct SqlParams *params,
							   TupleDesc desc, Oid into, const char *into_qname, Oid quarantine,
							   Oid unexpected, bool parallel_ok, int watermark_att, char **watermark,
							   StepCounts *c, List **results, MemoryContext result_cxt);

#endif							/* DATAOPS_STEP_H */
