/*
 * dataops.h: module loading, GUCs and helpers shared by every module.
 */
#ifndef DATAOPS_H
#define DATAOPS_H

#include "postgres.h"

/* Number of sample unexpected values kept per expectation (GE's partial_unexpected_list). */
#define DATAOPS_SAMPLE_SIZE 20

/* Prefix of the columns dataops adds to a step's rows while it checks them. */
#define DATAOPS_INTERNAL_PREFIX "__dataops_"

/* True when the library was loaded by shared_preload_libraries. */
extern bool dataops_preloaded;

/* dataops.max_parallel_runs, dataops.max_parallel_steps, dataops.history_retention (PGC_SIGHUP). */
extern int	dataops_max_parallel_runs;
extern int	dataops_max_parallel_steps;
extern char *dataops_history_retention;

/*
 * dataops.cancel_grace_period (PGC_SIGHUP, milliseconds, default 2 s): how
 * long a canceled or timed-out step's worker may go on after it was asked
 * to stop (SIGINT, or its own statement timeout) before the scheduler
 * terminates it (SIGTERM), so a step that catches query_canceled cannot
 * keep running.
 */
extern int	dataops_cancel_grace_ms;

/*
 * dataops.max_queued_runs_per_owner (PGC_SIGHUP, default 100): queued runs
 * of the pipelines of one owner role beyond which dataops.start_run() and
 * dataops.run() refuse with 53400, so one role cannot flood the queue.
 */
extern int	dataops_max_queued_runs_per_owner;

/*
 * Health targets (issue 12; PGC_USERSET: they only change what
 * dataops.health() reports): dataops.target_mttr (an interval, default
 * 15 min), dataops.target_mtbf (an interval, default 30 days),
 * dataops.target_dq_score (0..1, default 0.95) and
 * dataops.target_sla_compliance (0..1, default 0.995).  Pipeline options of
 * the same names (target_mttr, ...) override them per pipeline.
 */
extern char *dataops_target_mttr;
extern char *dataops_target_mtbf;
extern double dataops_target_dq_score;
extern double dataops_target_sla_compliance;

/*
 * dataops_interval_ms: an interval's text ('30 seconds', '1 day') in
 * milliseconds (a month counts 30 days).  Raises 22007 for text that is not
 * an interval and 22023, naming `what`, for a negative one.
 */
extern int64 dataops_interval_ms(const char *text, const char *what);

/* Internal GUCs read by bronze column defaults while a file is ingested. */
extern char *dataops_current_source_file;
extern char *dataops_current_run_id;

/*
 * dataops_require_preload: raises ERROR (ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE)
 * with a hint naming the postgresql.conf line to add, unless the library was
 * loaded through shared_preload_libraries.  `what` names the refused action.
 */
extern void dataops_require_preload(const char *what);

/*
 * dataops_extension_owner: OID of the role that owns the dataops extension
 * (the role catalog writes run as).  Raises ERROR (42704) if the extension
 * is not installed in this database.  Cached per backend; DROP EXTENSION
 * (a relcache invalidation of its dataops.pipelines) forgets the cache.
 */
extern Oid	dataops_extension_owner(void);

/*
 * dataops_qualified_name: "schema.table" with each part quoted only where SQL
 * needs it (quote_identifier), palloc'd in the current memory context.
 */
extern char *dataops_qualified_name(const char *schema, const char *table);

/*
 * dataops_relation_name: dataops_qualified_name of relation relid (its
 * schema and name now).  No lock; the caller holds one or accepts a name
 * that may change.  Raises nothing (NULL parts for a dropped relation).
 */
extern char *dataops_relation_name(Oid relid);

/*
 * dataops_relation_oid: OID of the relation schema.table, or InvalidOid if
 * the schema or the relation does not exist.  Takes no lock.
 */
extern Oid	dataops_relation_oid(const char *schema, const char *table);

/*
 * dataops_take_error: in a PG_CATCH block, the error being handled, copied
 * into `cxt` (which becomes the current memory context), and the error
 * state flushed, so the caller can abort and report it, or raise it again
 * changed (ReThrowError).  PostgreSQL's CopyErrorData idiom; raises nothing.
 */
extern struct ErrorData *dataops_take_error(MemoryContext cxt);

/*
 * dataops_begin_tx, dataops_commit_tx: a transaction of a background worker,
 * as worker_spi does it (StartTransactionCommand, a snapshot, activity
 * reported to pg_stat_activity), and its commit.
 */
extern void dataops_begin_tx(const char *activity);
extern void dataops_commit_tx(void);

/*
 * dataops_ensure_schema: creates `schema` unless it exists, safely when
 * parallel steps create it at once (a transaction-level advisory lock).
 * SPI must be connected; raises CREATE SCHEMA's errors (e.g. 42501).
 */
extern void dataops_ensure_schema(const char *schema);

/*
 * dataops_exec_sql: executes a statement dataops generated (identifiers
 * already quoted) through SPI, which the caller has connected.  Raises the
 * statement's own errors.
 */
extern void dataops_exec_sql(const char *sql);

#endif							/* DATAOPS_H */
