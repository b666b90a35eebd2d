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
 * lineage edges.  Raises 23514 when a fail expectation is not met, and any
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
 * user.  Returns its qualified name.
 */
extern char *step_ensure_unexpected_table(const char *schema, const char *table,
										  const char *subquery, TupleDesc desc, int64 run_id);

#endif							/* DATAOPS_STEP_H */
