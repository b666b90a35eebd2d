/*
 * options.h: a step's options (dataops.steps.options) and a pipeline's
 * (dataops.pipelines.options, set_pipeline_option) as typed structs, read
 * from the jsonb once instead of by key at every use.
 *
 * The values were validated when they were stored (api.c's add_step and
 * set_pipeline_option raise 22023 for a bad one); parsing raises nothing
 * itself.  What can still be refused at run time is refused where it is
 * used, with the same errors as before: track_columns (kept as given, read
 * with json_string_list) and the intervals (converted by
 * options_step_limits with dataops_interval_ms).
 *
 * Uses catalog.h (StepDef, json_get) and dataops.h only; used by api.c,
 * ingest.c, materialize.c, step.c, rollback.c (and the scheduler).
 */
#ifndef DATAOPS_OPTIONS_H
#define DATAOPS_OPTIONS_H

#include "postgres.h"
#include "utils/jsonb.h"

#include "catalog.h"

/* options.materialization (issue 5); the default is table. */
typedef enum Materialization
{
	MATERIALIZATION_TABLE,		/* a table, or a versioned one with keep_versions > 0 */
	MATERIALIZATION_VIEW,
	MATERIALIZATION_INCREMENTAL,
	MATERIALIZATION_SCD2,
	MATERIALIZATION_UNKNOWN		/* not one of those (only a catalog edited by hand) */
} Materialization;

/* The CSV options of a bronze step that reads files (ingest.c), defaults filled in. */
typedef struct CsvOptions
{
	bool		header;			/* default true */
	char		delimiter;		/* default ',' */
	char		quote;			/* default '"' */
	char	   *escape;			/* NULL: COPY's default */
	char	   *null;			/* NULL: COPY's default */
	char	   *encoding;		/* NULL: the client encoding */
	bool		normalize;		/* normalize_names, default true */
} CsvOptions;

/* A step's options. */
typedef struct StepOptions
{
	Materialization materialization;
	const char *materialization_name;	/* as given ("table" by default): for messages and the definition hash */
	const char *watermark;		/* the watermark column; NULL: none given */
	bool		append_new_columns; /* on_schema_change = append_new_columns */
	bool		hard_deletes_invalidate;	/* hard_deletes = invalidate */
	JsonbValue *track_columns;	/* as given (read with json_string_list where used); NULL: none */
	int			keep_versions;	/* -1: not given */
	const char *retries;		/* run options as given (text); NULL: not given */
	const char *retry_delay;	/* interval text */
	const char *timeout;		/* interval text */
	CsvOptions	csv;
	/* Citus (issue 15): how a target dataops creates is distributed */
	const char *distribution_column;	/* create_distributed_table on this column; NULL: not given */
	const char *colocate_with;	/* its colocate_with ('default', 'none', a table); NULL: 'default' */
	bool		reference;		/* create_reference_table */
} StepOptions;

/* A pipeline's run options (set_pipeline_option), as given (text); NULL: not given. */
typedef struct PipelineOptions
{
	const char *timeout;		/* interval: the whole run */
	const char *retries;		/* integer: default for its steps */
	const char *retry_delay;	/* interval: default for its steps */
	const char *step_timeout;	/* interval: default timeout of its steps */
	bool		retry_on_crash; /* default false */
	const char *sla_freshness;	/* interval: a run must have succeeded within it (issue 12) */
	const char *sla_deadline;	/* 'HH:MM[:SS] [zone]': a success since the previous deadline by then */
	const char *target_mttr;	/* health targets overriding the dataops.target_* GUCs */
	const char *target_mtbf;
	const char *target_dq_score;
	const char *target_sla_compliance;
} PipelineOptions;

/* A step's retry and timeout limits, step options before the pipeline's. */
typedef struct StepLimits
{
	int			retries;		/* at least 0; default 0 */
	int64		retry_delay_ms; /* default 10000 */
	int64		timeout_ms;		/* 0: none */
} StepLimits;

/*
 * options_parse_step: the typed options of a step's options jsonb (NULL:
 * none), palloc'd in the current memory context.  Raises nothing.
 */
extern StepOptions *options_parse_step(Jsonb *options);

/*
 * step_options: s's options, parsed once (options_parse_step) and kept in
 * s->parsed_options, in the memory context that holds s.  Raises nothing.
 */
extern const StepOptions *step_options(const StepDef *s);

/*
 * options_keep_versions: options.keep_versions, or dflt when not given.
 * Semantics: how many versions (table) or batches (incremental) are kept.
 */
extern int	options_keep_versions(const StepOptions *o, int dflt);

/*
 * options_parse_pipeline: the typed run options of a pipeline's options
 * jsonb (NULL: none), palloc'd in the current memory context.  Raises
 * nothing.
 */
extern PipelineOptions *options_parse_pipeline(Jsonb *options);

/*
 * options_pipeline_timeout_ms: the pipeline's timeout in milliseconds, 0
 * for none.  Raises 22007 / 22023 (dataops_interval_ms, naming "timeout")
 * for an interval that is not one or is negative.
 */
extern int64 options_pipeline_timeout_ms(const PipelineOptions *p);

/*
 * options_step_limits: a step's retries (options.retries, else the
 * pipeline's, else 0; never negative), retry delay (retry_delay, else the
 * pipeline's, else 10 s) and timeout (timeout, else the pipeline's
 * step_timeout, else none), as the scheduler applies them.  Raises 22007 /
 * 22023 (dataops_interval_ms, naming the step's key) for a bad interval.
 */
extern void options_step_limits(const StepOptions *s, const PipelineOptions *p, StepLimits *out);

#endif							/* DATAOPS_OPTIONS_H */
