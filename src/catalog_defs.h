/*
 * catalog_defs.h: definitions in the catalog (catalog_defs.c): pipelines
 * (their options and pg_cron job ids), steps, expectations, suites and
 * dependencies between pipelines.
 *
 * Every statement runs through the SPI core (catalog_spi.h): as the
 * extension owner, search_path "pg_catalog, pg_temp", values as
 * parameters.  May use catalog_spi.h only; other modules include catalog.h.
 */
#ifndef DATAOPS_CATALOG_DEFS_H
#define DATAOPS_CATALOG_DEFS_H

#include "postgres.h"
#include "nodes/pg_list.h"
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

/* Definitions.  Each raises ERROR 42704 (undefined_object) for an unknown name unless missing_ok. */
extern PipelineDef *catalog_get_pipeline(const char *name, bool missing_ok);
extern void catalog_insert_pipeline(const char *name, const char *description, const char *owner);
extern void catalog_delete_pipeline(const char *name);
extern StepDef *catalog_get_step(const char *pipeline, const char *name, bool missing_ok);
extern List *catalog_get_steps(const char *pipeline, bool with_expectations);
extern void catalog_insert_step(const StepDef *step, List *reads);
/* Whether another step of `pipeline` reads the target of `step` (depends_on names it).  No errors of its own. */
extern bool catalog_step_has_dependents(const char *pipeline, const char *step);
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

extern List *catalog_downstream_pipelines(const char *upstream);
extern void catalog_set_pipeline_option(const char *pipeline, const char *key, Jsonb *value);
/* Raises 42P17 for a cycle; returns false when the dependency existed. */
extern bool catalog_add_dependency(const char *pipeline, const char *upstream);
extern bool catalog_drop_dependency(const char *pipeline, const char *upstream);

/*
 * Schedules: the pg_cron job id (cron.job.jobid) of a pipeline, 0 when it has
 * none; setting 0 clears it.  catalog_all_cron_jobs: every pipeline's job id
 * (int64 * list), for DROP EXTENSION.
 */
extern int64 catalog_get_pipeline_cron_job(const char *pipeline);
extern void catalog_set_pipeline_cron_job(const char *pipeline, int64 jobid);
extern List *catalog_all_cron_jobs(void);

/*
 * Changes in place (issue 14).  Each runs as the extension owner; callers
 * check privileges first.
 *
 * catalog_lock_pipeline_definition: with `lock`, locks the pipeline's row
 * FOR UPDATE (the scheduler admits no run of it until this transaction
 * ends; see catalog_try_share_pipeline); returns the id of a run of it that is
 * running or queued (running first), with its status in *open_status, or 0.
 * Waits for a concurrent change of the same pipeline.
 */
extern int64 catalog_lock_pipeline_definition(const char *pipeline, bool lock, char **open_status);
/*
 * catalog_try_share_pipeline: takes a KEY SHARE lock on the pipeline's row
 * unless a definition change holds it; false when one does (the scheduler
 * then leaves the run queued until the next turn).  True for a pipeline
 * that no longer exists.
 */
extern bool catalog_try_share_pipeline(const char *pipeline);
extern void catalog_set_pipeline_description(const char *pipeline, const char *description);
/* Renames the pipeline; its definitions follow (ON UPDATE CASCADE), its runs, lineage and SLA breaches too. */
extern void catalog_rename_pipeline(const char *pipeline, const char *new_name);
/* The target of another step than pipeline.step (either NULL: any step), as text, or NULL. */
extern char *catalog_target_owner_step_except(const char *schema, const char *table,
											  const char *pipeline, const char *step);
/* Rewrites the step's row (named s->name in `pipeline`); no row change when nothing differs. */
extern void catalog_update_step(const char *pipeline, const StepDef *s, List *reads);
/* Renames the step; expectations, suites, state, versions, step runs, results and lineage follow. */
extern void catalog_rename_step(const char *pipeline, const char *step, const char *new_name);
/* Deletes the step (its expectations, attachments, state and version records cascade; history stays). */
extern void catalog_delete_step(const char *pipeline, const char *step);
/* The other steps of the pipeline that read the step's target, as '"a", "b"', or NULL. */
extern char *catalog_step_dependents(const char *pipeline, const char *step);
/* The step's own expectation (not a suite's); 42704 when missing unless missing_ok. */
extern ExpectationDef *catalog_get_expectation(const char *pipeline, const char *step, const char *name,
											   bool missing_ok);
extern void catalog_update_expectation(const char *pipeline, const char *step, const ExpectationDef *e);
extern bool catalog_delete_expectation(const char *pipeline, const char *step, const char *name);
extern bool catalog_delete_suite_expectation(const char *suite, const char *name);

#endif							/* DATAOPS_CATALOG_DEFS_H */
