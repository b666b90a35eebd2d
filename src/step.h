/*
 * step.h: executing one step: rows, dedup, expectations, publish.
 */
#ifndef DATAOPS_STEP_H
#define DATAOPS_STEP_H

#include "postgres.h"
#include "catalog.h"

/*
 * step_execute: runs one step inside the caller's transaction, as the
 * current user, under the current search_path:
 *   rows    the step's query (or, for a bronze step with a source, ingest.c)
 *   dedup   one row per unique_key, the first in keep order
 *   check   every expectation, in the same scan as the write
 *   publish TRUNCATE and INSERT into the target (same OID, grants, views and
 *           comments), failing rows into <target>_quarantine
 * Fills *counts, sets *results to the expectation results (allocated in
 * result_cxt, set before a fail expectation raises) and *lineage to the
 * lineage edges.  Raises 23514 when a fail expectation is not met, and any
 * error of the query; the caller's transaction must then be rolled back, so
 * a failed step changes neither the target nor its quarantine.
 */
extern void step_execute(const StepDef *step, int64 run_id, bool full_refresh,
						 StepCounts *counts, List **results, List **lineage,
						 MemoryContext result_cxt);

#endif							/* DATAOPS_STEP_H */
