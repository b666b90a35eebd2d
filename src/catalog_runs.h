/*
 * catalog_runs.h: runs and what they produce, in the catalog
 * (catalog_runs.c): runs and their queue, step runs (attempts),
 * expectation results, lineage records and the event log.
 *
 * Every statement runs through the SPI core (catalog_spi.h).  May use
 * catalog_spi.h and catalog_defs.h (StepDef, ExpectationDef); other modules
 * include catalog.h.
 */
#ifndef DATAOPS_CATALOG_RUNS_H
#define DATAOPS_CATALOG_RUNS_H

#include "postgres.h"
#include "nodes/pg_list.h"
#include "datatype/timestamp.h"
#include "utils/jsonb.h"

#include "catalog_defs.h"

/* One row of dataops.lineage. */
typedef struct LineageEdge
{
	char	   *source_relation;
	char	   *source_column;	/* NULL for table-level */
	char	   *target_column;	/* NULL for table-level and INDIRECT rows */
	const char *transformation; /* IDENTITY, TRANSFORMATION, FILTER, JOIN,
								 * GROUP_BY, SORT; NULL on table-level rows */
} LineageEdge;

/* One row of dataops.expectation_results. */
typedef struct ExpectationResult
{
	ExpectationDef *def;
	int64		element_count;
	int64		missing_count;	/* -1: not applicable (table-level) */
	int64		unexpected_count;	/* -1: not applicable */
	double		unexpected_percent;
	bool		percent_null;	/* no rows to compute it over (NULL, as GE's None) */
	Jsonb	   *observed_value; /* aggregate and table-level kinds; may be NULL */
	bool		success;
	Jsonb	   *partial_unexpected_list;	/* may be NULL */
	Jsonb	   *partial_unexpected_counts;	/* SUMMARY and COMPLETE; may be NULL */
	const char *result_format;	/* BASIC, SUMMARY or COMPLETE */
} ExpectationResult;

/* Counts of one step run. */
typedef struct StepCounts
{
	int64		rows_read;
	int64		rows_written;
	int64		duplicates_removed;
	int64		rows_quarantined;
	int			files_ingested;
	int			files_skipped;
	bool		target_recreated;
	bool		merged;			/* incremental, scd2: the next three are set */
	int64		rows_inserted;
	int64		rows_updated;
	int64		rows_deleted;
	char	   *watermark;		/* after the attempt, or NULL */
} StepCounts;

/* Runs. */
/* Records a validation run (dataops.validate) as running; returns its id. */
extern int64 catalog_insert_validation_run(const char *relation, const char *suite, const char *triggered_by);
/* ---------- orchestration (scheduler.c, worker.c, run.c) ---------- */

/* A queued run, as the scheduler admits it. */
typedef struct QueuedRun
{
	int64		run_id;
	char	   *pipeline;
	bool		full_refresh;
} QueuedRun;

/* A step attempt, as its worker loads it. */
typedef struct StepAttempt
{
	int64		step_run_id;
	int64		run_id;
	char	   *pipeline;
	char	   *step;
	int			attempt;
	bool		full_refresh;
	char	   *status;
	bool		cancel_requested;	/* the run was canceled before the worker started */
} StepAttempt;

/* A run's state, read with a fresh snapshot (dataops.wait, dataops.run). */
typedef struct RunInfo
{
	char	   *pipeline;
	char	   *kind;
	char	   *status;
	char	   *error_message;
	char	   *error_detail;
	char	   *sqlstate;
	char	   *failed_step;
} RunInfo;

/*
 * Every state change below also appends its event to dataops.events and
 * notifies channel "dataops" (on commit), in the same statement.
 */
extern void catalog_emit_event(int64 run_id, const char *pipeline, const char *step, const char *kind,
							   const char *status, const char *details_json);
/* Queues a run (upstream_run_id 0: none); returns its id. */
extern int64 catalog_insert_run(const char *pipeline, bool full_refresh, const char *triggered_by,
								int64 upstream_run_id);
/*
 * Queued runs that may start now (not_before passed), at most `limit`, in
 * admission order (QueuedRun *): the oldest queued run of each pipeline
 * without a running run, round-robin across the pipelines' owners (an
 * owner's running runs count as taken turns), oldest first among equals.
 * *next_not_before: the next later not_before, or 0.
 */
extern List *catalog_queued_runs(int limit, TimestampTz *next_not_before);
/* Marks a queued run running; false when it is no longer queued (canceled meanwhile). */
extern bool catalog_set_run_running(int64 run_id, int pid);
extern void catalog_finish_run(int64 run_id, const char *status, const char *error_message,
							   const char *error_detail, const char *sqlstate, const char *failed_step);
/* Runs left running by a dead scheduler: failed, or queued again with backoff (retry_on_crash); returns how many. */
extern int	catalog_recover_orphaned_runs(void);
/*
 * Records the step's next attempt as running (the crash mark, committed
 * before its worker starts); sets *attempt to its number and returns its
 * step_run_id.
 */
extern int64 catalog_insert_step_attempt(int64 run_id, const StepDef *step, int *attempt);
extern void catalog_delete_step_attempt(int64 step_run_id);
/* The attempt a worker executes (NULL if gone). */
extern StepAttempt *catalog_get_step_attempt(int64 step_run_id);
/* Status (and error message) of an attempt, NULL if gone. */
extern char *catalog_step_attempt_status(int64 step_run_id, char **error_message);
/* Records an attempt's outcome (and, called from a step's worker, its pid). */
extern void catalog_finish_step_attempt(int64 step_run_id, const char *status, const StepCounts *counts,
										const char *error_message, const char *error_detail,
										const char *sqlstate, bool bronze_files);
extern void catalog_set_step_retry(int64 step_run_id, TimestampTz retry_at);
/* Records a step that will not run (upstream_failed, canceled) as its next attempt. */
extern void catalog_mark_step(int64 run_id, const StepDef *step, const char *status, const char *reason);
/* NULL when there is no such run.  Latest snapshot, search_path pinned. */
extern RunInfo *catalog_get_run_info(int64 run_id);
/*
 * For the access check of wait and cancel, before anything else is read:
 * false when there is no such run; else *kind, and *owner: the role that
 * may act on it (pipeline owner, or the role that ran a validation), NULL
 * when its pipeline is gone.
 */
extern bool catalog_get_run_access(int64 run_id, char **kind, char **owner);
/* Queued runs of the pipelines owned by role `owner`. */
extern int64 catalog_owner_queued_runs(const char *owner);
/* The first failed attempt of a run: its step and error. */
extern void catalog_run_error_from_steps(int64 run_id, char **step, char **message, char **detail,
										 char **sqlstate);
extern bool catalog_has_open_runs(void);
extern bool catalog_pipeline_has_open_runs(const char *pipeline);
extern bool catalog_run_is_open(int64 run_id);
/* Deletes finished runs (with their step runs and results) and events older than `retention` (an interval). */
extern void catalog_prune_history(const char *retention);

extern void catalog_insert_expectation_result(int64 run_id, const char *step, int attempt,
											  const ExpectationResult *r);
extern void catalog_replace_lineage(const char *pipeline, const char *step, const char *target,
									int64 run_id, List *edges);

/*
 * catalog_evaluate_slas: evaluates every pipeline's SLAs now
 * (dataops._evaluate_slas: opens and closes dataops.sla_breaches rows with
 * their sla_missed / sla_recovered events) in the caller's transaction;
 * returns the number of breaches opened or closed, 0 when the installed
 * extension predates SLAs (0.7.0).  Raises the statement's errors.
 */
extern int	catalog_evaluate_slas(void);

/*
 * catalog_has_sla_work: whether some pipeline has an SLA option or a
 * breach is open (dataops._has_sla_work), so the scheduler must wake
 * periodically.  False when the installed extension predates SLAs.
 */
extern bool catalog_has_sla_work(void);

#endif							/* DATAOPS_CATALOG_RUNS_H */
