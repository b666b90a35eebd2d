/*
 * options.c: a step's and a pipeline's options, parsed once into typed
 * structs (see options.h).
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "dataops.h"
#include "options.h"

/* The text of key `key` of options (NULL for absent or JSON null). */
static char *
option_text(Jsonb *options, const char *key)
{
	JsonbValue *v = options ? json_get(options, key) : NULL;

	return v ? json_value_text(v) : NULL;
}

static const char *const materialization_names[] = {
	[MATERIALIZATION_TABLE] = "table",
	[MATERIALIZATION_VIEW] = "view",
	[MATERIALIZATION_INCREMENTAL] = "incremental",
	[MATERIALIZATION_SCD2] = "scd2"
};

/* The CSV options of a step that reads files, with COPY's defaults but for header and normalize_names. */
static void
parse_csv(Jsonb *options, CsvOptions *o)
{
	JsonbValue *v;
	char	   *t;

	o->header = true;
	o->delimiter = ',';
	o->quote = '"';
	o->escape = NULL;
	o->null = NULL;
	o->encoding = NULL;
	o->normalize = true;
	if ((v = json_get(options, "header")) && v->type == jbvBool)
		o->header = v->val.boolean;
	if ((v = json_get(options, "normalize_names")) && v->type == jbvBool)
		o->normalize = v->val.boolean;
	if ((t = json_value_text(json_get(options, "delimiter"))))
		o->delimiter = t[0];
	if ((t = json_value_text(json_get(options, "quote"))))
		o->quote = t[0];
	o->escape = json_value_text(json_get(options, "escape"));
	o->null = json_value_text(json_get(options, "null"));
	o->encoding = json_value_text(json_get(options, "encoding"));
}

StepOptions *
options_parse_step(Jsonb *options)
{
	StepOptions *o = palloc0(sizeof(StepOptions));
	char	   *t;
	int			i;

	t = option_text(options, "materialization");
	o->materialization_name = t ? t : "table";
	o->materialization = MATERIALIZATION_UNKNOWN;
	for (i = 0; i < lengthof(materialization_names); i++)
		if (strcmp(o->materialization_name, materialization_names[i]) == 0)
			o->materialization = (Materialization) i;
	o->watermark = option_text(options, "watermark");
	t = option_text(options, "on_schema_change");
	o->append_new_columns = t != NULL && strcmp(t, "append_new_columns") == 0;
	t = option_text(options, "hard_deletes");
	o->hard_deletes_invalidate = t != NULL && strcmp(t, "invalidate") == 0;
	o->track_columns = options ? json_get(options, "track_columns") : NULL;
	t = option_text(options, "keep_versions");
	o->keep_versions = t ? atoi(t) : -1;
	o->retries = option_text(options, "retries");
	o->retry_delay = option_text(options, "retry_delay");
	o->timeout = option_text(options, "timeout");
	parse_csv(options, &o->csv);
	o->distribution_column = option_text(options, "distribution_column");
	o->colocate_with = option_text(options, "colocate_with");
	t = option_text(options, "reference");
	o->reference = t != NULL && strcmp(t, "true") == 0;
	return o;
}

const StepOptions *
step_options(const StepDef *s)
{
	if (s->parsed_options == NULL)
	{
		/* kept as long as the step: allocated where it is */
		MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext((void *) s));

		((StepDef *) s)->parsed_options = options_parse_step(s->options);
		MemoryContextSwitchTo(old);
	}
	return s->parsed_options;
}

int
options_keep_versions(const StepOptions *o, int dflt)
{
	return o->keep_versions >= 0 ? o->keep_versions : dflt;
}

PipelineOptions *
options_parse_pipeline(Jsonb *options)
{
	PipelineOptions *p = palloc0(sizeof(PipelineOptions));
	char	   *t;

	p->timeout = option_text(options, "timeout");
	p->retries = option_text(options, "retries");
	p->retry_delay = option_text(options, "retry_delay");
	p->step_timeout = option_text(options, "step_timeout");
	t = option_text(options, "retry_on_crash");
	p->retry_on_crash = t != NULL && strcmp(t, "true") == 0;
	p->sla_freshness = option_text(options, "sla_freshness");
	p->sla_deadline = option_text(options, "sla_deadline");
	p->target_mttr = option_text(options, "target_mttr");
	p->target_mtbf = option_text(options, "target_mtbf");
	p->target_dq_score = option_text(options, "target_dq_score");
	p->target_sla_compliance = option_text(options, "target_sla_compliance");
	return p;
}

int64
options_pipeline_timeout_ms(const PipelineOptions *p)
{
	return p->timeout ? dataops_interval_ms(p->timeout, "timeout") : 0;
}

/* An interval option in ms: the step's, else the pipeline's, else dflt; errors name `key`. */
static int64
interval_ms(const char *step_value, const char *pipeline_value, const char *key, int64 dflt)
{
	const char *t = step_value ? step_value : pipeline_value;

	return t ? dataops_interval_ms(t, key) : dflt;
}

void
options_step_limits(const StepOptions *s, const PipelineOptions *p, StepLimits *out)
{
	const char *retries = s->retries ? s->retries : p->retries;

	out->retries = Max(retries ? (int) strtol(retries, NULL, 10) : 0, 0);
	out->retry_delay_ms = interval_ms(s->retry_delay, p->retry_delay, "retry_delay", 10000);
	out->timeout_ms = interval_ms(s->timeout, p->step_timeout, "timeout", 0);
}
