/*
 * sink.h: the rows of a step streamed to the target, the quarantine and
 * <target>_unexpected, with the row-level expectations counted on the way.
 *
 * A step's checked query returns its own columns, then
 * __dataops_live (false for a row deduplication discards), one boolean
 * __dataops_u<k> per row-level expectation k (true: the row is unexpected)
 * and one text __dataops_s<k> (the value reported for an unexpected row).
 * The sink is the DestReceiver that query runs into: for each row it
 * counts, per expectation, the missing and unexpected values and keeps
 * Great Expectations' partial_unexpected_list (the first 20) and, for
 * SUMMARY and COMPLETE, the counts behind partial_unexpected_counts; then
 * it inserts the row into the target, or into the quarantine when a drop
 * expectation rejects it (Delta Live Tables' expect_or_drop), and into
 * <target>_unexpected once per COMPLETE expectation it fails.  The rows are
 * never materialized: the query is read once, as it streams.
 */
#ifndef DATAOPS_SINK_H
#define DATAOPS_SINK_H

#include "postgres.h"
#include "access/tupdesc.h"
#include "tcop/dest.h"
#include "catalog.h"

/* Row counts of a step, as the sink saw them. */
typedef struct SinkCounts
{
	int64		rows_read;		/* rows of the query */
	int64		duplicates;		/* rows deduplication discarded */
	int64		published;		/* rows inserted into the target */
	int64		quarantined;	/* rows inserted into the quarantine */
} SinkCounts;

/*
 * sink_create: a DestReceiver for the checked query of a step whose own
 * columns are `desc` (its first desc->natts result columns) and whose
 * expectations are `exps`.  `target`, `quarantine` and `unexpected` are the
 * relations written (the latter two InvalidOid when there is none); their
 * columns must be `desc` followed by dataops' two extra columns, as step.c
 * creates them.  Opens them with RowExclusiveLock.  Raises 42501 when one
 * is not owned by `owner` (the pipeline's owner; the callers checked it
 * before locking, this is the last guard) or the current user may not
 * insert into it, and 0A000 for a relation that is not a plain table, is a
 * Citus table (rows inserted here would never reach its shards), has
 * row-level security enabled, or has triggers with transition tables.  SPI
 * must be connected.  Allocated in the current memory context, which must
 * live until sink_finish.
 */
extern DestReceiver *sink_create(List *exps, TupleDesc desc, Oid owner, Oid target, Oid quarantine,
								 Oid unexpected, int64 run_id);

/*
 * sink_dedup_sorted: deduplicates in the sink, as DISTINCT ON does, for a
 * checked query that returns its rows ordered by the unique key (then the
 * keep order): of each run of rows with equal key_atts (0-based columns of
 * the step's query; equal by the type's default equality operator, with
 * the column's collation, as DISTINCT ON's Unique node compares; NULLs
 * equal to each other) the first is live, the others count as duplicates.
 * Errors: 42883 when a key's type has no default equality operator.
 */
extern void sink_dedup_sorted(DestReceiver *sink, List *key_atts);

/*
 * sink_can_write: whether the sink can write into relation relid (locked
 * by the caller): a plain table, without row-level security and without
 * an insert trigger that collects a transition table, and not a Citus
 * table (SPI must be connected to ask).  For a step with
 * nothing to check, the caller falls back to INSERT ... SELECT otherwise.
 * No errors of its own.
 */
extern bool sink_can_write(Oid relid);

/*
 * sink_freeze_target: writes the target's rows frozen (TABLE_INSERT_FROZEN,
 * as COPY FREEZE does) when its storage was created or truncated in this
 * subtransaction and neither the checked query (read_relids: the relations it
 * reads) nor an open portal can see it; otherwise changes nothing.  Frozen
 * pages are also marked all-visible, so the next step's scan neither sets
 * hint bits nor dirties them.  Like TRUNCATE and COPY FREEZE this is not
 * MVCC-safe against snapshots taken before the commit in other sessions
 * (they see the new rows).  Raises nothing.
 */
extern void sink_freeze_target(DestReceiver *sink, List *read_relids);

/*
 * sink_parallel_ok: false when the rows must not be read by a parallel
 * query: a relation written has BEFORE ROW triggers, which would run in
 * parallel mode.
 */
extern bool sink_parallel_ok(DestReceiver *sink);

/*
 * sink_track_max: makes the sink keep the largest value of the step's
 * column `att` (0-based, in desc) over every row it receives, deduplicated
 * or dropped ones included: an incremental step's next watermark.  Raises
 * 42883 when the column's type has no btree ordering.
 */
extern void sink_track_max(DestReceiver *sink, int att);

/* The largest tracked value as text (the type's output), or NULL when no non-NULL value came. */
extern char *sink_max_text(DestReceiver *sink);

/*
 * sink_finish: closes the relations, sets *counts and returns an array
 * with one ExpectationResult per expectation of `exps` (by position) in
 * which, for row-level ones, missing_count, unexpected_count,
 * partial_unexpected_list and (SUMMARY, COMPLETE) partial_unexpected_counts
 * are filled; allocated in result_cxt.
 */
extern ExpectationResult *sink_finish(DestReceiver *sink, SinkCounts *counts,
									  MemoryContext result_cxt);

#endif							/* DATAOPS_SINK_H */
