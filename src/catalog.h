/*
 * catalog.h: the only module that reads and writes dataops' catalog tables.
 *
 * Every statement runs as the extension owner with search_path set to
 * pg_catalog, pg_temp, and passes every value as a parameter, so neither the
 * caller's privileges nor its search_path affect the catalog.
 */
#ifndef DATAOPS_CATALOG_H
#define DATAOPS_CATALOG_H

#include "postgres.h"
#include "nodes/pg_list.h"
#include "datatype/timestamp.h"
#include "utils/jsonb.h"

typedef struct PipelineDef
{
	char	   *name;
	char	   *owner;			/* role name */
	Oid			owner_oid;
	Jsonb	   *options;		/* set_pipeline_option's: timeout, retries, retry_delay, retry_on_crash */
} PipelineDef;

typedef struct ExpectationDef
{
	char	   *name;
	char	   *kind;			/* canonical kind name */
	char	   *column_name;	/* NULL for table-level kinds and expression */
	Jsonb	   *args;
	char	   *action;			/* warn, drop, fail */
	double		mostly;
	char	   *suite;			/* suite it comes from, NULL for the step's own */
} ExpectationDef;

typedef struct StepDef
{
	char	   *pipeline;
	char	   *name;
	char	   *layer;
	char	   *target_schema;
	char	   *target_table;
	char	   *query;			/* NULL for a file-reading bronze step */
	char	   *source;			/* path or glob, bronze only */
	List	   *unique_key;		/* of char * */
	char	   *keep;
	Jsonb	   *options;
	char	   *search_path;
	List	   *depends_on;		/* of char *: step names */
	List	   *expectations;	/* of ExpectationDef * */
	struct StepOptions *parsed_options;	/* options, typed: options.h's step_options() fills it on first use */
} StepDef;

/* One row of dataops.lineage. */
typedef struct LineageEdge
{
	char	   *source_relation;
	char	   *source_column;	/* NULL for table-level */
	char	   *target_column;	/* NULL for table-level */
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

/* Definitions.  Each raises ERROR 42704 (undefined_object) for an unknown name unless missing_ok. */
extern PipelineDef *catalog_get_pipeline(const char *name, bool missing_ok);
extern void catalog_insert_pipeline(const char *name, const char *description, const char *owner);
extern void catalog_delete_pipeline(const char *name);
extern StepDef *catalog_get_step(const char *pipeline, const char *name, bool missing_ok);
extern List *catalog_get_steps(const char *pipeline, bool with_expectations);
extern char *catalog_target_owner_step(const char *schema, const char *table);
extern void catalog_insert_step(const StepDef *step, List *reads);
extern void catalog_set_step_dependencies(const char *pipeline, const char *step, List *depends_on);
extern bool catalog_expectation_exists(const char *pipeline, const char *step, const char *name);
extern void catalog_insert_expectation(const char *pipeline, const char *step, const ExpectationDef *e);

/* Suites.  catalog_get_suite_owner raises 42704 for an unknown suite unless missing_ok. */
extern char *catalog_get_suite_owner(const char *suite, bool missing_ok);
extern void catalog_insert_suite(const char *suite, const char *owner);
extern void catalog_delete_suite(const char *suite);
/* Steps the suite is attached to, as "pipeline.step, ...", or NULL when none. */
extern char *catalog_suite_attachments(const char *suite);
/* The steps (StepDef *, without expectations) the suite is attached to. */
extern List *catalog_suite_steps(const char *suite);
/* Raises 42710 when the suite already has an expectation of that name. */
extern void catalog_insert_suite_expectation(const char *suite, const ExpectationDef *e);
extern List *catalog_get_suite_expectations(const char *suite);
/* Attaches (or detaches) a suite; returns false when nothing changed. */
extern bool catalog_set_suite_attached(const char *pipeline, const char *step, const char *suite, bool attached);
/*
 * Raises 42710 when some step would check two expectations of one name
 * (its own and its suites' together); called after every change to them,
 * so the transaction rolls the change back.
 */
extern void catalog_check_expectation_names(void);

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
extern bool catalog_run_cancel_requested(int64 run_id);
/* Running runs whose cancel was requested (int64 * list). */
extern List *catalog_cancel_requested_runs(void);
extern void catalog_request_run_cancel(int64 run_id);
/* dataops.cancel(): cancels a queued run, or flags a running one; false when it had finished. */
extern bool catalog_cancel_run(int64 run_id);
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
extern List *catalog_downstream_pipelines(const char *upstream);
extern void catalog_set_pipeline_option(const char *pipeline, const char *key, Jsonb *value);
/* Raises 42P17 for a cycle; returns false when the dependency existed. */
extern bool catalog_add_dependency(const char *pipeline, const char *upstream);
extern bool catalog_drop_dependency(const char *pipeline, const char *upstream);
extern bool catalog_has_open_runs(void);

/* A kept version of a table target (dataops.table_versions). */
typedef struct TableVersion
{
	int64		run_id;
	char	   *relation;		/* schema.table, quoted where needed */
} TableVersion;
extern void catalog_add_table_version(const char *pipeline, const char *step, int64 run_id, const char *relation);
/* The kept versions of a step (TableVersion *), newest first. */
extern List *catalog_table_versions(const char *pipeline, const char *step);
extern void catalog_delete_table_version(const char *pipeline, const char *step, int64 run_id);
extern bool catalog_pipeline_has_open_runs(const char *pipeline);
/* The watermark after the last successful attempt of the step before run_id (and that run); false if none. */
extern bool catalog_watermark_before(const char *pipeline, const char *step, int64 run_id, char **watermark,
									 int64 *from_run);

/*
 * Incremental and scd2 state of a step: false when none is recorded; else
 * sets *watermark (NULL: none yet) and *query_hash.
 */
extern bool catalog_get_step_state(const char *pipeline, const char *step, char **watermark, char **query_hash);
extern void catalog_set_step_state(const char *pipeline, const char *step, const char *watermark,
								   const char *query_hash, int64 run_id);
extern bool catalog_run_is_open(int64 run_id);
/* Deletes finished runs (with their step runs and results) and events older than `retention` (an interval). */
extern void catalog_prune_history(const char *retention);

extern void catalog_insert_expectation_result(int64 run_id, const char *step, int attempt,
											  const ExpectationResult *r);
extern void catalog_replace_lineage(const char *pipeline, const char *step, const char *target,
									int64 run_id, List *edges);

/* Bronze ingestion bookkeeping. */
extern bool catalog_file_ingested(const char *target, const char *path, int64 size, const char *sha256);
extern void catalog_record_file(const char *target, const char *path, int64 size, const char *sha256,
								int64 rows, int64 run_id);
extern void catalog_forget_files(const char *target);

/*
 * Schedules: the pg_cron job id (cron.job.jobid) of a pipeline, 0 when it has
 * none; setting 0 clears it.  catalog_all_cron_jobs: every pipeline's job id
 * (int64 * list), for DROP EXTENSION.
 */
extern int64 catalog_get_pipeline_cron_job(const char *pipeline);
extern void catalog_set_pipeline_cron_job(const char *pipeline, int64 jobid);
extern List *catalog_all_cron_jobs(void);

/* Jsonb helpers: a key's value, as text (NULL for JSON null or absent) or as a string list. */
extern JsonbValue *json_get(Jsonb *j, const char *key);
extern char *json_value_text(JsonbValue *v);
extern List *json_string_list(JsonbValue *v, const char *what);

#endif							/* DATAOPS_CATALOG_H */
