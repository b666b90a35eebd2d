/*
 * catalog_defs.c: persists definitions: pipelines (and their options and
 * pg_cron job ids), steps, their expectations, suites (their expectations
 * and attachments to steps) and dependencies between pipelines.
 *
 * It may use catalog_spi.h (the SPI core, catalog.c) and PostgreSQL only;
 * it does not read runs, results or step state.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/acl.h"
#include "utils/jsonb.h"

#include "catalog_defs.h"
#include "catalog_spi.h"

/*
 * The expectation in columns first..first+6 (name, kind, column_name, args,
 * action, mostly, suite) of row `row`, in the current context.
 */
static ExpectationDef *
expectation_from_row(CatalogRows *r, uint64 row, int first)
{
	ExpectationDef *e = palloc0(sizeof(ExpectationDef));
	bool		isnull;

	e->name = row_text(r, row, first);
	e->kind = row_text(r, row, first + 1);
	e->column_name = row_text(r, row, first + 2);
	e->args = DatumGetJsonbPCopy(row_datum(r, row, first + 3, &isnull));
	e->action = row_text(r, row, first + 4);
	e->mostly = DatumGetFloat8(row_datum(r, row, first + 5, &isnull));
	e->suite = row_text(r, row, first + 6);
	return e;
}

/* Appends the expectation's name, kind, column_name, args, action and mostly. */
static void
arg_expectation(CatalogArgs *a, const ExpectationDef *e)
{
	arg_text(a, e->name);
	arg_text(a, e->kind);
	arg_text(a, e->column_name);
	arg_jsonb(a, e->args);
	arg_text(a, e->action);
	arg_float8(a, e->mostly, false);
}

PipelineDef *
catalog_get_pipeline(const char *name, bool missing_ok)
{
	CatalogRows *r = catalog_query_text_arg("SELECT name, owner::text, options FROM dataops.pipelines WHERE name = $1",
											name);
	PipelineDef *p = NULL;

	if (r->n == 1)
	{
		bool		isnull;

		p = palloc0(sizeof(PipelineDef));
		p->name = row_text(r, 0, 1);
		p->owner = row_text(r, 0, 2);
		p->owner_oid = get_role_oid(p->owner, true);
		p->options = DatumGetJsonbPCopy(row_datum(r, 0, 3, &isnull));
	}

	if (p == NULL && !missing_ok)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("pipeline \"%s\" does not exist", name),
				 errhint("Create it with dataops.create_pipeline(), or list pipelines with SELECT name FROM dataops.pipelines.")));
	return p;
}

void
catalog_insert_pipeline(const char *name, const char *description, const char *owner)
{
	CatalogArgs a = {0};

	arg_text(&a, name);
	arg_text(&a, description);
	arg_text(&a, owner);
	(void) catalog_query("INSERT INTO dataops.pipelines (name, description, owner) VALUES ($1, $2, $3)", &a);
}

void
catalog_delete_pipeline(const char *name)
{
	(void) catalog_query_text_arg("DELETE FROM dataops.pipelines WHERE name = $1", name);
}

void
catalog_set_pipeline_option(const char *pipeline, const char *key, Jsonb *value)
{
	CatalogArgs a = args_text2(pipeline, key);

	arg_jsonb(&a, value);
	(void) catalog_query("UPDATE dataops.pipelines SET options = CASE WHEN $3 IS NULL THEN options - $2 "
						 "ELSE options || pg_catalog.jsonb_build_object($2, $3) END WHERE name = $1",
						 &a);
}

#define STEP_COLUMNS "pipeline, name, layer, target_schema, target_table, query, source, " \
	"unique_key, keep, options, search_path, depends_on"

static StepDef *
step_from_row(CatalogRows *r, uint64 row)
{
	StepDef    *s = palloc0(sizeof(StepDef));
	bool		isnull;

	s->pipeline = row_text(r, row, 1);
	s->name = row_text(r, row, 2);
	s->layer = row_text(r, row, 3);
	s->target_schema = row_text(r, row, 4);
	s->target_table = row_text(r, row, 5);
	s->query = row_text(r, row, 6);
	s->source = row_text(r, row, 7);
	s->unique_key = row_text_list(r, row, 8);
	s->keep = row_text(r, row, 9);
	s->options = DatumGetJsonbPCopy(row_datum(r, row, 10, &isnull));
	s->search_path = row_text(r, row, 11);
	s->depends_on = row_text_list(r, row, 12);
	return s;
}

StepDef *
catalog_get_step(const char *pipeline, const char *name, bool missing_ok)
{
	CatalogArgs a = args_text2(pipeline, name);
	CatalogRows *r;
	StepDef    *s = NULL;

	r = catalog_query("SELECT " STEP_COLUMNS " FROM dataops.steps WHERE pipeline = $1 AND name = $2", &a);
	if (r->n == 1)
		s = step_from_row(r, 0);
	if (s == NULL && !missing_ok)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("step \"%s\" of pipeline \"%s\" does not exist", name, pipeline),
				 errhint("List the steps with SELECT name FROM dataops.steps WHERE pipeline = '%s'.", pipeline)));
	return s;
}

List *
catalog_get_steps(const char *pipeline, bool with_expectations)
{
	CatalogRows *r;
	uint64		i;
	List	   *steps = NIL;
	ListCell   *lc;

	r = catalog_query_text_arg("SELECT " STEP_COLUMNS " FROM dataops.steps WHERE pipeline = $1 "
							   "ORDER BY created_at, name", pipeline);
	for (i = 0; i < r->n; i++)
		steps = lappend(steps, step_from_row(r, i));

	if (with_expectations)
	{
		r = catalog_query_text_arg("SELECT step, name, kind, column_name, args, action, mostly, suite "
								   "FROM dataops.step_expectations WHERE pipeline = $1 "
								   "ORDER BY suite NULLS FIRST, created_at, name",
								   pipeline);
		for (i = 0; i < r->n; i++)
		{
			ExpectationDef *e = expectation_from_row(r, i, 2);
			char	   *step = row_text(r, i, 1);

			foreach(lc, steps)
			{
				StepDef    *s = lfirst(lc);

				if (strcmp(s->name, step) == 0)
					s->expectations = lappend(s->expectations, e);
			}
		}
	}
	return steps;
}

/* Returns "pipeline.step" of the step that publishes schema.table, or NULL. */
char *
catalog_target_owner_step_except(const char *schema, const char *table, const char *pipeline, const char *step)
{
	CatalogArgs a = args_text2(schema, table);
	CatalogRows *r;

	arg_text2(&a, pipeline, step);
	r = catalog_query("SELECT format('step \"%s\" of pipeline \"%s\"', name, pipeline) FROM dataops.steps "
					  "WHERE target_schema = $1 AND target_table = $2 "
					  "AND ($3 IS NULL OR (pipeline, name) IS DISTINCT FROM ($3, $4)) LIMIT 1", &a);
	return r->n == 1 ? row_text(r, 0, 1) : NULL;
}

/*
 * The step's row as arguments: $1 pipeline, $2 name, then layer,
 * target_schema, target_table, query, source, unique_key, keep, options,
 * search_path, depends_on, reads ($3..$13).
 */
static CatalogArgs
step_args(const char *pipeline, const StepDef *s, List *reads)
{
	CatalogArgs a = args_text2(pipeline, s->name);

	arg_text(&a, s->layer);
	arg_text2(&a, s->target_schema, s->target_table);
	arg_text2(&a, s->query, s->source);
	if (s->unique_key)
		arg_text_array(&a, s->unique_key);
	else
		arg_datum(&a, TEXTARRAYOID, (Datum) 0, true);
	arg_text(&a, s->keep);
	arg_jsonb(&a, s->options);
	arg_text(&a, s->search_path);
	arg_text_array(&a, s->depends_on);
	arg_text_array(&a, reads);
	return a;
}

void
catalog_insert_step(const StepDef *s, List *reads)
{
	CatalogArgs a = step_args(s->pipeline, s, reads);

	(void) catalog_query("INSERT INTO dataops.steps (pipeline, name, layer, target_schema, target_table, "
						 "query, source, unique_key, keep, options, search_path, depends_on, reads, created_at) "
						 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, clock_timestamp())",
						 &a);
}

bool
catalog_step_has_dependents(const char *pipeline, const char *step)
{
	return catalog_step_dependents(pipeline, step) != NULL;
}

void
catalog_set_step_dependencies(const char *pipeline, const char *step, List *depends_on)
{
	CatalogArgs a = args_text2(pipeline, step);

	arg_text_array(&a, depends_on);
	(void) catalog_query("UPDATE dataops.steps SET depends_on = $3 WHERE pipeline = $1 AND name = $2 "
						 "AND depends_on IS DISTINCT FROM $3", &a);
}

bool
catalog_expectation_exists(const char *pipeline, const char *step, const char *name)
{
	CatalogArgs a = args_text2(pipeline, step);

	arg_text(&a, name);
	return catalog_query("SELECT 1 FROM dataops.expectations WHERE pipeline = $1 AND step = $2 AND name = $3",
						 &a)->n > 0;
}

void
catalog_insert_expectation(const char *pipeline, const char *step, const ExpectationDef *e)
{
	CatalogArgs a = args_text2(pipeline, step);

	arg_expectation(&a, e);
	(void) catalog_query("INSERT INTO dataops.expectations (pipeline, step, name, kind, column_name, args, action, mostly, created_at) "
						 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, clock_timestamp())", &a);
}

/* ---------- suites ---------- */

char *
catalog_get_suite_owner(const char *suite, bool missing_ok)
{
	char	   *owner = catalog_query_text("SELECT owner::text FROM dataops.suites WHERE name = $1", suite);

	if (owner == NULL && !missing_ok)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("suite \"%s\" does not exist", suite),
				 errhint("Create it with dataops.create_suite(), or list suites with SELECT name FROM dataops.suites.")));
	return owner;
}

void
catalog_insert_suite(const char *suite, const char *owner)
{
	CatalogArgs a = args_text2(suite, owner);

	(void) catalog_query("INSERT INTO dataops.suites (name, owner) VALUES ($1, $2)", &a);
}

/* Steps (as "pipeline.step") a suite is attached to, comma-separated, or NULL. */
char *
catalog_suite_attachments(const char *suite)
{
	return catalog_query_text("SELECT string_agg(format('%s.%s', pipeline, step), ', ' ORDER BY pipeline, step) "
							  "FROM dataops.step_suites WHERE suite = $1", suite);
}

List *
catalog_suite_steps(const char *suite)
{
	CatalogRows *r = catalog_query_text_arg("SELECT pipeline, step FROM dataops.step_suites WHERE suite = $1 ORDER BY 1, 2",
											suite);
	uint64		i;
	List	   *steps = NIL;

	for (i = 0; i < r->n; i++)
		steps = lappend(steps, catalog_get_step(row_text(r, i, 1), row_text(r, i, 2), false));
	return steps;
}

void
catalog_delete_suite(const char *suite)
{
	(void) catalog_query_text_arg("DELETE FROM dataops.suites WHERE name = $1", suite);
}

void
catalog_insert_suite_expectation(const char *suite, const ExpectationDef *e)
{
	CatalogArgs a = {0};

	arg_text(&a, suite);
	arg_expectation(&a, e);
	if (catalog_query("INSERT INTO dataops.suite_expectations (suite, name, kind, column_name, args, action, mostly, created_at) "
					  "VALUES ($1, $2, $3, $4, $5, $6, $7, clock_timestamp()) ON CONFLICT DO NOTHING", &a)->n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("expectation \"%s\" of suite \"%s\" already exists", e->name, suite)));
}

List *
catalog_get_suite_expectations(const char *suite)
{
	CatalogRows *r = catalog_query_text_arg("SELECT name, kind, column_name, args, action, mostly, suite "
											"FROM dataops.suite_expectations WHERE suite = $1 ORDER BY created_at, name",
											suite);
	uint64		i;
	List	   *exps = NIL;

	for (i = 0; i < r->n; i++)
		exps = lappend(exps, expectation_from_row(r, i, 1));
	return exps;
}

bool
catalog_set_suite_attached(const char *pipeline, const char *step, const char *suite, bool attached)
{
	CatalogArgs a = args_text2(pipeline, step);

	arg_text(&a, suite);
	if (attached)
		return catalog_query("INSERT INTO dataops.step_suites (pipeline, step, suite) VALUES ($1, $2, $3) "
							 "ON CONFLICT DO NOTHING", &a)->n > 0;
	return catalog_query("DELETE FROM dataops.step_suites WHERE pipeline = $1 AND step = $2 AND suite = $3",
						 &a)->n > 0;
}

void
catalog_check_expectation_names(void)
{
	CatalogRows *r;

	r = catalog_query("SELECT pipeline, step, name, string_agg(coalesce('suite ' || quote_literal(suite), 'the step itself'), ' and ' "
					  "ORDER BY suite NULLS FIRST) FROM dataops.step_expectations "
					  "GROUP BY pipeline, step, name HAVING count(*) > 1 LIMIT 1", NULL);
	if (r->n == 1)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("step \"%s\" of pipeline \"%s\" would have two expectations named \"%s\"",
						row_text(r, 0, 2), row_text(r, 0, 1), row_text(r, 0, 3)),
				 errdetail("They come from %s.", row_text(r, 0, 4)),
				 errhint("Expectation names must be unique within a step: rename one of them.")));
}

/* ---------- dependencies between pipelines ---------- */

List *
catalog_downstream_pipelines(const char *upstream)
{
	CatalogRows *r = catalog_query_text_arg("SELECT pipeline FROM dataops.pipeline_dependencies WHERE upstream = $1 ORDER BY pipeline",
											upstream);
	List	   *result = NIL;
	uint64		i;

	for (i = 0; i < r->n; i++)
		result = lappend(result, row_text(r, i, 1));
	return result;
}

bool
catalog_add_dependency(const char *pipeline, const char *upstream)
{
	CatalogArgs a = args_text2(pipeline, upstream);

	/* a cycle: pipeline is already upstream of upstream */
	if (catalog_query("WITH RECURSIVE up(name) AS (SELECT upstream FROM dataops.pipeline_dependencies WHERE pipeline = $2 "
					  "UNION SELECT d.upstream FROM dataops.pipeline_dependencies d JOIN up ON d.pipeline = up.name) "
					  "SELECT 1 FROM up WHERE name = $1", &a)->n > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("dependency of pipeline \"%s\" on \"%s\" would create a cycle", pipeline, upstream),
				 errdetail("Pipeline \"%s\" already runs after \"%s\", directly or through other pipelines.",
						   upstream, pipeline),
				 errhint("Remove a dependency with dataops.drop_dependency().")));
	return catalog_query("INSERT INTO dataops.pipeline_dependencies (pipeline, upstream) VALUES ($1, $2) "
						 "ON CONFLICT DO NOTHING", &a)->n > 0;
}

bool
catalog_drop_dependency(const char *pipeline, const char *upstream)
{
	CatalogArgs a = args_text2(pipeline, upstream);

	return catalog_query("DELETE FROM dataops.pipeline_dependencies WHERE pipeline = $1 AND upstream = $2",
						 &a)->n > 0;
}

/* ---------- schedules (schedule.c) ---------- */

int64
catalog_get_pipeline_cron_job(const char *pipeline)
{
	CatalogRows *r = catalog_query_text_arg("SELECT cron_jobid FROM dataops.pipelines WHERE name = $1 AND cron_jobid IS NOT NULL",
											pipeline);

	return r->n == 1 ? row_int8(r, 0, 1) : 0;
}

void
catalog_set_pipeline_cron_job(const char *pipeline, int64 jobid)
{
	CatalogArgs a = {0};

	arg_text(&a, pipeline);
	arg_int8(&a, jobid, jobid == 0);
	(void) catalog_query("UPDATE dataops.pipelines SET cron_jobid = $2 WHERE name = $1 "
						 "AND cron_jobid IS DISTINCT FROM $2", &a);
}

List *
catalog_all_cron_jobs(void)
{
	return catalog_query_int8_list("SELECT cron_jobid FROM dataops.pipelines WHERE cron_jobid IS NOT NULL ORDER BY cron_jobid");
}

/* ---- Changes in place (issue 14: alter, drop, rename) ---- */

int64
catalog_lock_pipeline_definition(const char *pipeline, bool lock, char **open_status)
{
	CatalogRows *r;

	*open_status = NULL;
	/* FOR UPDATE: the scheduler admits no run of the pipeline while this transaction changes it */
	if (lock)
	{
		r = catalog_query_text_arg("SELECT 1 FROM dataops.pipelines WHERE name = $1 FOR UPDATE", pipeline);
		if (r->n == 0)
			return 0;
	}
	r = catalog_query_text_arg("SELECT run_id, status FROM dataops.runs WHERE pipeline = $1 "
							   "AND status IN ('queued', 'running') ORDER BY status DESC, run_id LIMIT 1",
							   pipeline);
	if (r->n == 0)
		return 0;
	*open_status = row_text(r, 0, 2);
	return row_int8(r, 0, 1);
}

bool
catalog_try_share_pipeline(const char *pipeline)
{
	return catalog_query_text_arg("SELECT 1 FROM dataops.pipelines WHERE name = $1 FOR KEY SHARE SKIP LOCKED",
								  pipeline)->n > 0 ||
		catalog_query_text_arg("SELECT 1 FROM dataops.pipelines WHERE name = $1", pipeline)->n == 0;
}

void
catalog_set_pipeline_description(const char *pipeline, const char *description)
{
	CatalogArgs a = args_text2(pipeline, description);

	(void) catalog_query("UPDATE dataops.pipelines SET description = $2 WHERE name = $1 "
						 "AND description IS DISTINCT FROM $2", &a);
}

void
catalog_rename_pipeline(const char *pipeline, const char *new_name)
{
	CatalogArgs a = args_text2(pipeline, new_name);

	/* definitions follow through ON UPDATE CASCADE; history is renamed here */
	(void) catalog_query("UPDATE dataops.pipelines SET name = $2 WHERE name = $1", &a);
	(void) catalog_query("UPDATE dataops.runs SET pipeline = $2 WHERE pipeline = $1", &a);
	(void) catalog_query("UPDATE dataops.lineage SET pipeline = $2 WHERE pipeline = $1", &a);
	(void) catalog_query("UPDATE dataops.sla_breaches SET pipeline = $2 WHERE pipeline = $1", &a);
}

void
catalog_update_step(const char *pipeline, const StepDef *s, List *reads)
{
	CatalogArgs a = step_args(pipeline, s, reads);

	(void) catalog_query("UPDATE dataops.steps SET layer = $3, target_schema = $4, target_table = $5, "
						 "query = $6, source = $7, unique_key = $8, keep = $9, options = $10, search_path = $11, "
						 "depends_on = $12, reads = $13 WHERE pipeline = $1 AND name = $2 "
						 "AND (layer, target_schema, target_table, query, source, unique_key, keep, options, "
						 "search_path, depends_on, reads) IS DISTINCT FROM ($3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
						 &a);
}

void
catalog_rename_step(const char *pipeline, const char *step, const char *new_name)
{
	CatalogArgs a = args_text2(pipeline, step);

	arg_text(&a, new_name);
	/* expectations, suites, state and kept versions follow through ON UPDATE CASCADE */
	(void) catalog_query("UPDATE dataops.steps SET name = $3 WHERE pipeline = $1 AND name = $2", &a);
	(void) catalog_query("UPDATE dataops.step_runs s SET step = $3 FROM dataops.runs r "
						 "WHERE r.run_id = s.run_id AND r.pipeline = $1 AND s.step = $2", &a);
	(void) catalog_query("UPDATE dataops.expectation_results e SET step = $3 FROM dataops.runs r "
						 "WHERE r.run_id = e.run_id AND r.pipeline = $1 AND e.step = $2", &a);
	(void) catalog_query("UPDATE dataops.runs SET failed_step = $3 WHERE pipeline = $1 AND failed_step = $2", &a);
	(void) catalog_query("UPDATE dataops.lineage SET step = $3 WHERE pipeline = $1 AND step = $2", &a);
}

void
catalog_delete_step(const char *pipeline, const char *step)
{
	CatalogArgs a = args_text2(pipeline, step);

	(void) catalog_query("DELETE FROM dataops.steps WHERE pipeline = $1 AND name = $2", &a);
}

char *
catalog_step_dependents(const char *pipeline, const char *step)
{
	CatalogArgs a = args_text2(pipeline, step);
	CatalogRows *r;

	r = catalog_query("SELECT string_agg(format('\"%s\"', name), ', ' ORDER BY name) FROM dataops.steps "
					  "WHERE pipeline = $1 AND $2 = ANY (depends_on) AND name <> $2", &a);
	return r->n == 1 ? row_text(r, 0, 1) : NULL;
}

ExpectationDef *
catalog_get_expectation(const char *pipeline, const char *step, const char *name, bool missing_ok)
{
	CatalogArgs a = args_text2(pipeline, step);
	CatalogRows *r;

	arg_text(&a, name);
	r = catalog_query("SELECT name, kind, column_name, args, action, mostly, NULL::text FROM dataops.expectations "
					  "WHERE pipeline = $1 AND step = $2 AND name = $3", &a);
	if (r->n == 1)
		return expectation_from_row(r, 0, 1);
	if (!missing_ok)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("expectation \"%s\" of step \"%s\" does not exist", name, step),
				 errhint("List them with SELECT name FROM dataops.expectations WHERE pipeline = '%s' AND step = '%s'; "
						 "expectations of an attached suite are changed in the suite.", pipeline, step)));
	return NULL;
}

void
catalog_update_expectation(const char *pipeline, const char *step, const ExpectationDef *e)
{
	CatalogArgs a = args_text2(pipeline, step);

	arg_expectation(&a, e);
	(void) catalog_query("UPDATE dataops.expectations SET kind = $4, column_name = $5, args = $6, action = $7, "
						 "mostly = $8 WHERE pipeline = $1 AND step = $2 AND name = $3 "
						 "AND (kind, column_name, args, action, mostly) IS DISTINCT FROM ($4, $5, $6, $7, $8)", &a);
}

bool
catalog_delete_expectation(const char *pipeline, const char *step, const char *name)
{
	CatalogArgs a = args_text2(pipeline, step);

	arg_text(&a, name);
	return catalog_query("DELETE FROM dataops.expectations WHERE pipeline = $1 AND step = $2 AND name = $3 "
						 "RETURNING 1", &a)->n > 0;
}

bool
catalog_delete_suite_expectation(const char *suite, const char *name)
{
	CatalogArgs a = args_text2(suite, name);

	return catalog_query("DELETE FROM dataops.suite_expectations WHERE suite = $1 AND name = $2 RETURNING 1",
						 &a)->n > 0;
}
