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
extern int64 catalog_insert_run(const char *pipeline, bool full_refresh, const char *triggered_by, int pid);
extern void catalog_set_run_running(int64 run_id);
extern void catalog_finish_run(int64 run_id, const char *status, const char *error_message,
							   const char *error_detail, const char *sqlstate, const char *failed_step);
extern int	catalog_recover_runs(const char *pipeline, int64 except_run_id);
/* Records a step run, or updates the one recorded as running when the step started. */
extern void catalog_insert_step_run(int64 run_id, const StepDef *step, const char *status,
									const StepCounts *counts, const char *error_message,
									TimestampTz started_at);
extern void catalog_insert_expectation_result(int64 run_id, const char *step, const ExpectationResult *r);
extern void catalog_replace_lineage(const char *pipeline, const char *step, const char *target,
									int64 run_id, List *edges);

/* Bronze ingestion bookkeeping. */
extern bool catalog_file_ingested(const char *target, const char *path, int64 size, const char *sha256);
extern void catalog_record_file(const char *target, const char *path, int64 size, const char *sha256,
								int64 rows, int64 run_id);
extern void catalog_forget_files(const char *target);

/* Jsonb helpers: a key's value, as text (NULL for JSON null or absent) or as a string list. */
extern JsonbValue *json_get(Jsonb *j, const char *key);
extern char *json_value_text(JsonbValue *v);
extern List *json_string_list(JsonbValue *v, const char *what);

#endif							/* DATAOPS_CATALOG_H */
