/*
 * publish.h: the shared write path of the steps that run a query (step.c's
 * table steps, materialize.c's versioned, view, incremental and scd2
 * steps): describing the query, creating or checking the target and its
 * side tables (<target>_quarantine, <target>_unexpected), comparing a
 * relation's columns with the query's, and streaming the rows through
 * deduplication and the expectations into a relation in one scan (sink.c).
 *
 * Uses expect.h, sink.h, target.h (every relation written is checked to
 * be owned by the pipeline's owner and not to be a Citus table, before it
 * is locked), sqlgen.h, catalog.h and dataops.h; never step.h or
 * materialize.h, which use it.
 */
#ifndef DATAOPS_PUBLISH_H
#define DATAOPS_PUBLISH_H

#include "postgres.h"
#include "access/tupdesc.h"
#include "nodes/pg_list.h"

#include "catalog.h"
#include "sqlgen.h"

struct SqlParams;

/* How publish_columns compares a relation's columns with a description's. */
typedef struct ColumnMatch
{
	int			extra;			/* columns the relation has after desc's */
	const char *const *extra_names; /* their names; NULL: any names */
	bool		typmod;			/* compare typmods too, not only types */
} ColumnMatch;

/*
 * publish_columns: compares relation relid's columns (opened with
 * AccessShareLock for the look) with desc's, dropped columns skipped on
 * both sides.  Returns true when the relation has exactly desc's columns,
 * in order, with the same names and types (and typmods when rule->typmod),
 * followed by exactly rule->extra more (named rule->extra_names, when not
 * NULL).  When `added` is not NULL, also sets *added to desc's columns
 * (Form_pg_attribute) that the relation has no column of that name for,
 * and *type_changed when a column of both, found by name, differs in type
 * (or typmod, with rule->typmod).  No errors of its own (the relation must
 * exist).  The rules are the step's: a target keeps its identity only
 * while its columns are the query's (step.c, materialize.c).
 */
extern bool publish_columns(Oid relid, TupleDesc desc, const ColumnMatch *rule, List **added,
							bool *type_changed);

/*
 * publish_describe: the columns of the step's query (a copy, in the
 * current memory context).  Raises 42939 when one uses dataops' reserved
 * prefix, and the query's own errors.  SPI must be connected.
 */
extern TupleDesc publish_describe(const StepDef *s);

/*
 * publish_ensure_target: creates the target of a table step from the
 * query's columns (`subquery`, described by desc), or recreates it when they
 * changed (*recreated is then set; a NOTICE says so).  An existing target
 * must be owned by `owner`, the pipeline's owner (42501, checked before it
 * is locked), and not be a Citus table (0A000).  Returns its OID, locked
 * with AccessShareLock.  SPI must be connected.
 */
extern Oid	publish_ensure_target(const StepDef *s, Oid owner, const char *subquery, TupleDesc desc,
								  bool *recreated);

/*
 * publish_ensure_unexpected: creates schema.<table>_unexpected (the columns
 * of `subquery`, described by desc, then _check_run_id bigint and
 * _expectation text) where Great Expectations' COMPLETE result format keeps
 * every unexpected row; when it exists with other columns the old one is
 * renamed with the run id (a NOTICE says so).  An existing table must be
 * owned by `owner` exactly (42501, checked before it is locked; `whose` is
 * TARGET_PIPELINE_OWNER or TARGET_CURRENT_USER for the message) and not be
 * a Citus table (0A000).  Returns its OID, locked with RowExclusiveLock,
 * and sets *qname (when not NULL) to its qualified name.  SPI connected.
 */
extern Oid	publish_ensure_unexpected(const char *schema, const char *table, const char *subquery,
									  TupleDesc desc, int64 run_id, Oid owner, const char *whose,
									  char **qname);

/*
 * publish_side_tables: creates, when the step's expectations need them,
 * <target>_quarantine (drop) and <target>_unexpected (COMPLETE), and sets
 * their OIDs (InvalidOid when not needed), locked with RowExclusiveLock.
 * Existing ones must be owned by `owner` (the pipeline's owner; 42501,
 * checked at every run, before they are locked) and not be Citus tables
 * (0A000).  SPI must be connected.
 */
extern void publish_side_tables(const StepDef *s, Oid owner, TupleDesc desc, int64 run_id, Oid *quarantine,
								Oid *unexpected);

/* What publish_write_checked writes, and where. */
typedef struct PublishWrite
{
	const StepDef *step;		/* its expectations, unique_key and keep */
	Oid			owner;			/* the pipeline's owner: owns every relation written */
	int64		run_id;
	const char *subquery;		/* the rows */
	struct SqlParams *params;	/* parameters subquery uses; NULL: none */
	TupleDesc	desc;			/* subquery's columns */
	Oid			into;			/* the relation the surviving rows go to, with desc's columns */
	const char *into_qname;		/* its qualified name */
	Oid			quarantine;		/* publish_side_tables' OIDs, InvalidOid for none */
	Oid			unexpected;
	bool		parallel_ok;	/* the query may run in parallel (when nothing written forbids it) */
	int			watermark_att;	/* column whose largest value is tracked, -1 for none */
	MemoryContext result_cxt;	/* where the results are allocated */
} PublishWrite;

/*
 * publish_write_checked: streams the rows of w->subquery through
 * deduplication (one row per unique_key, the first in keep order) and the
 * step's expectations into relation w->into, the quarantine and
 * _unexpected, in one scan (sink.c); then computes the aggregate
 * expectations over w->into.  With w->watermark_att >= 0 sets *watermark to
 * the largest value of that column over every row read (text, NULL for no
 * row).  Fills rows_read, duplicates_removed, rows_written and
 * rows_quarantined of *c, and *results (ExpectationResult *, in
 * w->result_cxt; failures are raised by the caller).  Raises 42501 when a
 * relation written is not owned by w->owner (sink_create checks again),
 * and the query's errors.  SPI must be connected.
 */
extern void publish_write_checked(const PublishWrite *w, char **watermark, StepCounts *c, List **results);

/*
 * publish_aggregate_row: the observed values of the aggregate kinds of s's
 * expectations, from one aggregate query over `relation` (a qualified
 * relation, or a parenthesized subquery with an alias, holding exactly the
 * published rows whose columns are desc); the row is SPI's (*rowdesc its
 * descriptor), NULL when s has no aggregate kind.  Raises the errors of the
 * query.  SPI must be connected.
 */
extern HeapTuple publish_aggregate_row(const StepDef *s, TupleDesc desc, const char *relation, TupleDesc *rowdesc);

/*
 * publish_write_citus: publish_write_checked for a write whose `into` is a
 * Citus table (publish_citus.c): the same counts, results and watermark,
 * with every row moved by SQL Citus plans (a stage colocated with `into`,
 * aggregate queries, INSERT ... SELECT) instead of the sink.  When a fail
 * expectation failed nothing is written (the caller raises it).  Raises
 * 42P07 when the stage's name (<into>___dataops_stage) is taken, and the
 * errors of the step's query and of Citus.  SPI must be connected.
 */
extern void publish_write_citus(const PublishWrite *w, char **watermark, StepCounts *c, List **results);

#endif							/* DATAOPS_PUBLISH_H */
