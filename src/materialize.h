/*
 * materialize.h: the materializations of a step other than table (step.c):
 *   view         CREATE OR REPLACE VIEW target AS the query; expectations
 *                are checked on the view's rows (no drop)
 *   incremental  dbt's incremental models and Delta Live Tables' streaming
 *                tables: only the source rows past the step's watermark are
 *                read, checked (drop and fail act on this batch),
 *                deduplicated, and merged into the target by unique_key
 *                (INSERT ... ON CONFLICT on a unique index dataops creates);
 *                the watermark advances in the same transaction, so each
 *                row is processed exactly once
 *   scd2         dbt snapshots and DLT's STORED AS SCD TYPE 2: the target
 *                keeps every version with valid_from, valid_to and
 *                is_current; a row whose tracked columns changed closes its
 *                current version and opens a new one; with hard_deletes =
 *                invalidate, a key missing from the snapshot is closed
 * A change of the query (a stored hash) stops an incremental or scd2 run
 * with a hint to run a full refresh, unless on_schema_change =
 * append_new_columns, which adds the new columns.
 *
 * Uses publish.h (the shared write path), target.h, sqlgen.h, options.h,
 * expect.h, catalog.h and dataops.h; never step.h, which uses it.
 */
#ifndef DATAOPS_MATERIALIZE_H
#define DATAOPS_MATERIALIZE_H

#include "postgres.h"
#include "catalog.h"

/*
 * materialize_step: executes a view, incremental or scd2 step inside the
 * caller's transaction (SPI connected), as step_execute does for tables;
 * `owner` is the pipeline's owner.  Fills *c (rows_inserted, rows_updated,
 * rows_deleted, watermark) and *results.  Raises 55000 when the query
 * changed since the target was built (hint: full refresh), 42703 for a
 * unique_key or watermark column the query lacks, 42804 when a column
 * changed type, 42809 when a view step's target is a table, 42501 when a
 * relation it would write, replace or drop (target, view, _quarantine,
 * _unexpected, _before, <target>__v<run_id>) is not owned by `owner`,
 * 0A000 for a Citus table, 42P07 when <target>_dataops_key is not the
 * target's key index, and the query's own errors.
 */
extern void materialize_step(const StepDef *s, Oid owner, int64 run_id, bool full_refresh, StepCounts *c,
							 List **results, MemoryContext result_cxt);

/*
 * materialize_table_rollback: makes the kept version of run to_run (0: the
 * one before the current) the current version of a versioned table target,
 * in the caller's transaction.  Returns the run restored.  Raises 55000 when
 * that version is not kept, 42501 when the target or the version's table is
 * not owned by `owner` (the pipeline's owner).  SPI connected.
 */
extern int64 materialize_table_rollback(const StepDef *s, Oid owner, int64 to_run);


#endif							/* DATAOPS_MATERIALIZE_H */
