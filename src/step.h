/*
 * step.h: executing one step: dispatches by materialization to ingest.c
 * (a bronze step that reads files), publish.c (a table step's query) or
 * materialize.c (view, incremental, scd2, versioned table).  Uses those
 * modules and options.h, target.h, expect.h, lineage.h; nothing uses it
 * but the worker.
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
 * pipeline's owner, 0A000 when one is a Citus table (target.h), and any
 * error of the query; the caller's transaction must then be rolled back, so
 * a failed step changes neither the target nor its quarantine.
 */
extern void step_execute(const StepDef *step, int64 run_id, bool full_refresh,
						 StepCounts *counts, List **results, List **lineage,
						 MemoryContext result_cxt);

#endif							/* DATAOPS_STEP_H */
