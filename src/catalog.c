/*
 * catalog.c: reads and writes the dataops catalog tables through SPI.
 *
 * Every statement runs as the extension owner (SetUserIdAndSecContext, as
 * PostgreSQL does for its own internal queries) with search_path set to
 * "pg_catalog, pg_temp", and every value is a parameter.  Transaction abort
 * restores the user id and the GUC nest level if an ERROR escapes.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "dataops.h"

#define MAX_ARGS 20

typedef struct Args
{
	int			n;
	Oid			types[MAX_ARGS];
	Datum		values[MAX_ARGS];
	char		nulls[MAX_ARGS];
} Args;

static void
arg_datum(Args *a, Oid type, Datum value, bool isnull)
{
	Assert(a->n < MAX_ARGS);
	a->types[a->n] = type;
	a->values[a->n] = isnull ? (Datum) 0 : value;
	a->nulls[a->n] = isnull ? 'n' : ' ';
	a->n++;
}

static void
arg_text(Args *a, const char *s)
{
	arg_datum(a, TEXTOID, s ? CStringGetTextDatum(s) : (Datum) 0, s == NULL);
}

static void
arg_int8(Args *a, int64 v, bool isnull)
{
	arg_datum(a, INT8OID, Int64GetDatum(v), isnull);
}

static void
arg_jsonb(Args *a, Jsonb *j)
{
	arg_datum(a, JSONBOID, j ? JsonbPGetDatum(j) : (Datum) 0, j == NULL);
}

static void
arg_text_array(Args *a, List *items)
{
	Datum	   *elems;
	int			i = 0;
	ListCell   *lc;

	if (items == NIL)
	{
		arg_datum(a, TEXTARRAYOID, PointerGetDatum(construct_empty_array(TEXTOID)), false);
		return;
	}
	elems = palloc(sizeof(Datum) * list_length(items));
	foreach(lc, items)
		elems[i++] = CStringGetTextDatum((char *) lfirst(lc));
	arg_datum(a, TEXTARRAYOID,
			  PointerGetDatum(construct_array(elems, i, TEXTOID, -1, false, TYPALIGN_INT)),
			  false);
}

/*
 * Runs one catalog statement as the extension owner.  Returns SPI_processed;
 * the caller reads SPI_tuptable before the next call.  SPI must be connected.
 * Reads too run in SPI's read-write mode, so they see the transaction's own
 * earlier writes (a new snapshot per statement).
 */
static uint64
catalog_exec(const char *sql, Args *a, bool read_only)
{
	Oid			save_user;
	int			save_sec;
	int			nestlevel;
	int			rc;

	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(dataops_extension_owner(), save_sec | SECURITY_LOCAL_USERID_CHANGE);
	nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);

	rc = SPI_execute_with_args(sql, a ? a->n : 0, a ? a->types : NULL,
							   a ? a->values : NULL, a ? a->nulls : NULL,
							   false, 0);
	if (rc < 0)
		elog(ERROR, "dataops catalog statement failed: %s", SPI_result_code_string(rc));

	AtEOXact_GUC(true, nestlevel);
	SetUserIdAndSecContext(save_user, save_sec);
	return SPI_processed;
}

/* Value of column `col` (1-based) of row `row` of SPI_tuptable as a palloc'd C string, or NULL. */
static char *
get_text(uint64 row, int col)
{
	return SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);
}

static Datum
get_datum(uint64 row, int col, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, isnull);
}

/*
 * The expectation in columns first..first+6 (name, kind, column_name, args,
 * action, mostly, suite) of SPI_tuptable's row `row`, in the current context.
 */
static ExpectationDef *
expectation_from_row(uint64 row, int first)
{
	ExpectationDef *e = palloc0(sizeof(ExpectationDef));
	bool		isnull;

	e->name = get_text(row, first);
	e->kind = get_text(row, first + 1);
	e->column_name = get_text(row, first + 2);
	e->args = DatumGetJsonbPCopy(get_datum(row, first + 3, &isnull));
	e->action = get_text(row, first + 4);
	e->mostly = DatumGetFloat8(get_datum(row, first + 5, &isnull));
	e->suite = get_text(row, first + 6);
	return e;
}

/* Copies a text[] datum into a List of C strings. */
static List *
text_array_to_list(Datum d)
{
	ArrayType  *arr = DatumGetArrayTypeP(d);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	List	   *result = NIL;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (i = 0; i < n; i++)
		if (!nulls[i])
			result = lappend(result, TextDatumGetCString(elems[i]));
	return result;
}

/*
 * SPI allocates in its own context; results that must outlive SPI_finish are
 * copied into the caller's context by running the loaders below between
 * SPI_connect and SPI_finish with the caller's context switched in.
 */
static MemoryContext
enter_spi(void)
{
	MemoryContext caller = CurrentMemoryContext;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	return caller;
}

/* Runs one catalog write whose only parameter is the text `arg`. */
static void
exec_text_arg(const char *sql, const char *arg)
{
	Args		a = {0};

	enter_spi();
	arg_text(&a, arg);
	catalog_exec(sql, &a, false);
	SPI_finish();
}

/*
 * First column, as text in the caller's context, of the row a catalog read
 * with the one text parameter `arg` returns; NULL when it returns no row (or
 * a NULL).
 */
static char *
query_text(const char *sql, const char *arg)
{
	MemoryContext caller = enter_spi();
	Args		a = {0};
	char	   *result = NULL;

	arg_text(&a, arg);
	if (catalog_exec(sql, &a, true) == 1)
	{
		MemoryContext spi = MemoryContextSwitchTo(caller);

		result = get_text(0, 1);
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	return result;
}

PipelineDef *
catalog_get_pipeline(const char *name, bool missing_ok)
{
	MemoryContext caller = enter_spi();
	Args		a = {0};
	PipelineDef *p = NULL;

	arg_text(&a, name);
	if (catalog_exec("SELECT name, owner::text FROM dataops.pipelines WHERE name = $1", &a, true) == 1)
	{
		MemoryContext spi = MemoryContextSwitchTo(caller);

		p = palloc0(sizeof(PipelineDef));
		p->name = get_text(0, 1);
		p->owner = get_text(0, 2);
		p->owner_oid = get_role_oid(p->owner, true);
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();

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
	Args		a = {0};

	enter_spi();
	arg_text(&a, name);
	arg_text(&a, description);
	arg_text(&a, owner);
	catalog_exec("INSERT INTO dataops.pipelines (name, description, owner) VALUES ($1, $2, $3)", &a, false);
	SPI_finish();
}

void
catalog_delete_pipeline(const char *name)
{
	exec_text_arg("DELETE FROM dataops.pipelines WHERE name = $1", name);
}

#define STEP_COLUMNS "pipeline, name, layer, target_schema, target_table, query, source, " \
	"unique_key, keep, options, search_path, depends_on"

static StepDef *
step_from_row(uint64 row)
{
	StepDef    *s = palloc0(sizeof(StepDef));
	bool		isnull;
	Datum		d;

	s->pipeline = get_text(row, 1);
	s->name = get_text(row, 2);
	s->layer = get_text(row, 3);
	s->target_schema = get_text(row, 4);
	s->target_table = get_text(row, 5);
	s->query = get_text(row, 6);
	s->source = get_text(row, 7);
	d = get_datum(row, 8, &isnull);
	s->unique_key = isnull ? NIL : text_array_to_list(d);
	s->keep = get_text(row, 9);
	d = get_datum(row, 10, &isnull);
	s->options = DatumGetJsonbPCopy(d);
	s->search_path = get_text(row, 11);
	d = get_datum(row, 12, &isnull);
	s->depends_on = isnull ? NIL : text_array_to_list(d);
	return s;
}

StepDef *
catalog_get_step(const char *pipeline, const char *name, bool missing_ok)
{
	MemoryContext caller = enter_spi();
	Args		a = {0};
	StepDef    *s = NULL;

	arg_text(&a, pipeline);
	arg_text(&a, name);
	if (catalog_exec("SELECT " STEP_COLUMNS " FROM dataops.steps WHERE pipeline = $1 AND name = $2",
					 &a, true) == 1)
	{
		MemoryContext spi = MemoryContextSwitchTo(caller);

		s = step_from_row(0);
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
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
	MemoryContext caller = enter_spi();
	MemoryContext spi;
	Args		a = {0};
	uint64		n;
	uint64		i;
	List	   *steps = NIL;
	ListCell   *lc;

	arg_text(&a, pipeline);
	n = catalog_exec("SELECT " STEP_COLUMNS " FROM dataops.steps WHERE pipeline = $1 "
					 "ORDER BY created_at, name", &a, true);
	spi = MemoryContextSwitchTo(caller);
	for (i = 0; i < n; i++)
		steps = lappend(steps, step_from_row(i));
	MemoryContextSwitchTo(spi);

	if (with_expectations)
	{
		n = catalog_exec("SELECT step, name, kind, column_name, args, action, mostly, suite "
						 "FROM dataops.step_expectations WHERE pipeline = $1 "
						 "ORDER BY suite NULLS FIRST, created_at, name",
						 &a, true);
		spi = MemoryContextSwitchTo(caller);
		for (i = 0; i < n; i++)
		{
			ExpectationDef *e = expectation_from_row(i, 2);
			char	   *step = get_text(i, 1);
			foreach(lc, steps)
			{
				StepDef    *s = lfirst(lc);

				if (strcmp(s->name, step) == 0)
					s->expectations = lappend(s->expectations, e);
			}
		}
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	return steps;
}

/* Returns "pipeline.step" of the step that publishes schema.table, or NULL. */
char *
catalog_target_owner_step(const char *schema, const char *table)
{
	MemoryContext caller = enter_spi();
	Args		a = {0};
	char	   *result = NULL;

	arg_text(&a, schema);
	arg_text(&a, table);
	if (catalog_exec("SELECT format('step \"%s\" of pipeline \"%s\"', name, pipeline) FROM dataops.steps "
					 "WHERE target_schema = $1 AND target_table = $2 LIMIT 1", &a, true) == 1)
	{
		MemoryContext spi = MemoryContextSwitchTo(caller);

		result = get_text(0, 1);
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	return result;
}

void
catalog_insert_step(const StepDef *s, List *reads)
{
	Args		a = {0};

	enter_spi();
	arg_text(&a, s->pipeline);
	arg_text(&a, s->name);
	arg_text(&a, s->layer);
	arg_text(&a, s->target_schema);
	arg_text(&a, s->target_table);
	arg_text(&a, s->query);
	arg_text(&a, s->source);
	if (s->unique_key)
		arg_text_array(&a, s->unique_key);
	else
		arg_datum(&a, TEXTARRAYOID, (Datum) 0, true);
	arg_text(&a, s->keep);
	arg_jsonb(&a, s->options);
	arg_text(&a, s->search_path);
	arg_text_array(&a, s->depends_on);
	arg_text_array(&a, reads);
	catalog_exec("INSERT INTO dataops.steps (pipeline, name, layer, target_schema, target_table, "
				 "query, source, unique_key, keep, options, search_path, depends_on, reads, created_at) "
				 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, clock_timestamp())",
				 &a, false);
	SPI_finish();
}

void
catalog_set_step_dependencies(const char *pipeline, const char *step, List *depends_on)
{
	Args		a = {0};

	enter_spi();
	arg_text(&a, pipeline);
	arg_text(&a, step);
	arg_text_array(&a, depends_on);
	catalog_exec("UPDATE dataops.steps SET depends_on = $3 WHERE pipeline = $1 AND name = $2 "
				 "AND depends_on IS DISTINCT FROM $3", &a, false);
	SPI_finish();
}

bool
catalog_expectation_exists(const char *pipeline, const char *step, const char *name)
{
	Args		a = {0};
	bool		found;

	enter_spi();
	arg_text(&a, pipeline);
	arg_text(&a, step);
	arg_text(&a, name);
	found = catalog_exec("SELECT 1 FROM dataops.expectations WHERE pipeline = $1 AND step = $2 AND name = $3",
						 &a, true) > 0;
	SPI_finish();
	return found;
}

void
catalog_insert_expectation(const char *pipeline, const char *step, const ExpectationDef *e)
{
	Args		a = {0};

	enter_spi();
	arg_text(&a, pipeline);
	arg_text(&a, step);
	arg_text(&a, e->name);
	arg_text(&a, e->kind);
	arg_text(&a, e->column_name);
	arg_jsonb(&a, e->args);
	arg_text(&a, e->action);
	arg_datum(&a, FLOAT8OID, Float8GetDatum(e->mostly), false);
	catalog_exec("INSERT INTO dataops.expectations (pipeline, step, name, kind, column_name, args, action, mostly, created_at) "
				 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, clock_timestamp())", &a, false);
	SPI_finish();
}

int64
catalog_insert_run(const char *pipeline, bool full_refresh, const char *triggered_by, int pid)
{
	Args		a = {0};
	int64		run_id;
	bool		isnull;

	enter_spi();
	arg_text(&a, pipeline);
	arg_datum(&a, BOOLOID, BoolGetDatum(full_refresh), false);
	arg_text(&a, triggered_by);
	arg_datum(&a, INT4OID, Int32GetDatum(pid), false);
	catalog_exec("INSERT INTO dataops.runs (pipeline, status, full_refresh, triggered_by, worker_pid) "
				 "VALUES ($1, 'queued', $2, $3, $4) RETURNING run_id", &a, false);
	run_id = DatumGetInt64(get_datum(0, 1, &isnull));
	SPI_finish();
	return run_id;
}

void
catalog_set_run_running(int64 run_id)
{
	Args		a = {0};

	enter_spi();
	arg_int8(&a, run_id, false);
	catalog_exec("UPDATE dataops.runs SET status = 'running', started_at = clock_timestamp() WHERE run_id = $1",
				 &a, false);
	SPI_finish();
}

void
catalog_finish_run(int64 run_id, const char *status, const char *error_message,
				   const char *error_detail, const char *sqlstate, const char *failed_step)
{
	Args		a = {0};

	enter_spi();
	arg_int8(&a, run_id, false);
	arg_text(&a, status);
	arg_text(&a, error_message);
	arg_text(&a, error_detail);
	arg_text(&a, sqlstate);
	arg_text(&a, failed_step);
	catalog_exec("UPDATE dataops.runs SET status = $2, finished_at = clock_timestamp(), "
				 "started_at = coalesce(started_at, clock_timestamp()), "
				 "error_message = $3, error_detail = $4, error_sqlstate = $5, failed_step = $6 "
				 "WHERE run_id = $1", &a, false);
	SPI_finish();
}

/*
 * Marks runs that can no longer be executing as failed: those queued or
 * running before the server started (their worker died with it), and, for
 * `pipeline`, any other open run (the caller holds the pipeline's run lock, so
 * no other worker is executing it).  Returns the number of runs recovered.
 */
int
catalog_recover_runs(const char *pipeline, int64 except_run_id)
{
	Args		a = {0};
	uint64		n;

	enter_spi();
	arg_text(&a, pipeline);
	arg_int8(&a, except_run_id, false);
	n = catalog_exec("UPDATE dataops.runs SET status = 'failed', finished_at = clock_timestamp(), "
					 "error_message = CASE WHEN queued_at < pg_postmaster_start_time() "
					 "  THEN 'server restarted while the run was ' || status "
					 "  ELSE 'the run''s background worker exited without recording an outcome' END "
					 "WHERE status IN ('queued', 'running') AND run_id <> $2 "
					 "AND (queued_at < pg_postmaster_start_time() OR (pipeline = $1 AND status = 'running'))",
					 &a, false);
	if (n > 0)
		catalog_exec("UPDATE dataops.step_runs s SET status = 'failed', finished_at = r.finished_at, "
					 "error_message = r.error_message FROM dataops.runs r "
					 "WHERE s.run_id = r.run_id AND s.status = 'running' AND r.status = 'failed'",
					 NULL, false);
	SPI_finish();
	return (int) n;
}

void
catalog_insert_step_run(int64 run_id, const StepDef *step, const char *status,
						const StepCounts *c, const char *error_message, TimestampTz started_at)
{
	Args		a = {0};
	bool		have = (c != NULL);
	bool		bronze_files = have && step->query == NULL;

	enter_spi();
	arg_int8(&a, run_id, false);
	arg_text(&a, step->name);
	arg_text(&a, step->layer);
	arg_text(&a, psprintf("%s.%s", step->target_schema, step->target_table));
	arg_text(&a, status);
	arg_int8(&a, have ? c->rows_read : 0, !have);
	arg_int8(&a, have ? c->rows_written : 0, !have);
	arg_int8(&a, have ? c->duplicates_removed : 0, !have);
	arg_int8(&a, have ? c->rows_quarantined : 0, !have);
	arg_int8(&a, bronze_files ? c->files_ingested : 0, !bronze_files);
	arg_int8(&a, bronze_files ? c->files_skipped : 0, !bronze_files);
	arg_datum(&a, BOOLOID, BoolGetDatum(have && c->target_recreated), false);
	arg_datum(&a, TIMESTAMPTZOID, TimestampTzGetDatum(started_at), started_at == 0);
	arg_text(&a, error_message);
	catalog_exec("INSERT INTO dataops.step_runs (run_id, step, layer, target, status, rows_read, rows_written, "
				 "duplicates_removed, rows_quarantined, files_ingested, files_skipped, target_recreated, "
				 "started_at, finished_at, error_message) "
				 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
				 "CASE WHEN $5 IN ('skipped', 'running') THEN NULL ELSE clock_timestamp() END, $14) "
				 "ON CONFLICT (run_id, step) DO UPDATE SET status = EXCLUDED.status, "
				 "rows_read = EXCLUDED.rows_read, rows_written = EXCLUDED.rows_written, "
				 "duplicates_removed = EXCLUDED.duplicates_removed, rows_quarantined = EXCLUDED.rows_quarantined, "
				 "files_ingested = EXCLUDED.files_ingested, files_skipped = EXCLUDED.files_skipped, "
				 "target_recreated = EXCLUDED.target_recreated, finished_at = EXCLUDED.finished_at, "
				 "error_message = EXCLUDED.error_message",
				 &a, false);
	SPI_finish();
}

void
catalog_insert_expectation_result(int64 run_id, const char *step, const ExpectationResult *r)
{
	Args		a = {0};
	bool		table_level = r->missing_count < 0;

	enter_spi();
	arg_int8(&a, run_id, false);
	arg_text(&a, step);
	arg_text(&a, r->def->name);
	arg_text(&a, r->def->kind);
	arg_text(&a, r->def->action);
	arg_text(&a, r->def->column_name);
	arg_datum(&a, FLOAT8OID, Float8GetDatum(r->def->mostly), false);
	arg_int8(&a, r->element_count, false);
	arg_int8(&a, r->missing_count, table_level);
	arg_int8(&a, r->unexpected_count, table_level);
	arg_datum(&a, FLOAT8OID, Float8GetDatum(r->unexpected_percent), table_level || r->percent_null);
	arg_jsonb(&a, r->observed_value);
	arg_datum(&a, BOOLOID, BoolGetDatum(r->success), false);
	arg_jsonb(&a, r->partial_unexpected_list);
	arg_text(&a, r->def->suite);
	arg_text(&a, r->result_format ? r->result_format : "BASIC");
	arg_datum(&a, FLOAT8OID,
			  Float8GetDatum(r->element_count > 0 ? (double) r->missing_count * 100.0 / (double) r->element_count : 0.0),
			  table_level || r->element_count == 0);
	arg_jsonb(&a, r->partial_unexpected_counts);
	catalog_exec("INSERT INTO dataops.expectation_results (run_id, step, expectation, kind, action, column_name, "
				 "mostly, element_count, missing_count, unexpected_count, unexpected_percent, observed_value, "
				 "success, partial_unexpected_list, suite, result_format, missing_percent, partial_unexpected_counts) "
				 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
				 &a, false);
	SPI_finish();
}

/* ---------- suites ---------- */

char *
catalog_get_suite_owner(const char *suite, bool missing_ok)
{
	char	   *owner = query_text("SELECT owner::text FROM dataops.suites WHERE name = $1", suite);

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
	Args		a = {0};

	enter_spi();
	arg_text(&a, suite);
	arg_text(&a, owner);
	catalog_exec("INSERT INTO dataops.suites (name, owner) VALUES ($1, $2)", &a, false);
	SPI_finish();
}

/* Steps (as "pipeline.step") a suite is attached to, comma-separated, or NULL. */
char *
catalog_suite_attachments(const char *suite)
{
	return query_text("SELECT string_agg(format('%s.%s', pipeline, step), ', ' ORDER BY pipeline, step) "
					  "FROM dataops.step_suites WHERE suite = $1", suite);
}

List *
catalog_suite_steps(const char *suite)
{
	MemoryContext caller = enter_spi();
	MemoryContext spi;
	Args		a = {0};
	uint64		n;
	uint64		i;
	List	   *pairs = NIL;
	List	   *steps = NIL;
	ListCell   *lc;

	arg_text(&a, suite);
	n = catalog_exec("SELECT pipeline, step FROM dataops.step_suites WHERE suite = $1 ORDER BY 1, 2", &a, true);
	spi = MemoryContextSwitchTo(caller);
	for (i = 0; i < n; i++)
		pairs = lappend(pairs, list_make2(get_text(i, 1), get_text(i, 2)));
	MemoryContextSwitchTo(spi);
	SPI_finish();
	foreach(lc, pairs)
		steps = lappend(steps, catalog_get_step(linitial(lfirst(lc)), lsecond(lfirst(lc)), false));
	return steps;
}

void
catalog_delete_suite(const char *suite)
{
	exec_text_arg("DELETE FROM dataops.suites WHERE name = $1", suite);
}

void
catalog_insert_suite_expectation(const char *suite, const ExpectationDef *e)
{
	Args		a = {0};

	enter_spi();
	arg_text(&a, suite);
	arg_text(&a, e->name);
	arg_text(&a, e->kind);
	arg_text(&a, e->column_name);
	arg_jsonb(&a, e->args);
	arg_text(&a, e->action);
	arg_datum(&a, FLOAT8OID, Float8GetDatum(e->mostly), false);
	if (catalog_exec("INSERT INTO dataops.suite_expectations (suite, name, kind, column_name, args, action, mostly, created_at) "
					 "VALUES ($1, $2, $3, $4, $5, $6, $7, clock_timestamp()) ON CONFLICT DO NOTHING", &a, false) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("expectation \"%s\" of suite \"%s\" already exists", e->name, suite)));
	SPI_finish();
}

List *
catalog_get_suite_expectations(const char *suite)
{
	MemoryContext caller = enter_spi();
	MemoryContext spi;
	Args		a = {0};
	uint64		n;
	uint64		i;
	List	   *exps = NIL;

	arg_text(&a, suite);
	n = catalog_exec("SELECT name, kind, column_name, args, action, mostly, suite "
					 "FROM dataops.suite_expectations WHERE suite = $1 ORDER BY created_at, name", &a, true);
	spi = MemoryContextSwitchTo(caller);
	for (i = 0; i < n; i++)
	{
		exps = lappend(exps, expectation_from_row(i, 1));
	}
	MemoryContextSwitchTo(spi);
	SPI_finish();
	return exps;
}

bool
catalog_set_suite_attached(const char *pipeline, const char *step, const char *suite, bool attached)
{
	Args		a = {0};
	uint64		n;

	enter_spi();
	arg_text(&a, pipeline);
	arg_text(&a, step);
	arg_text(&a, suite);
	if (attached)
		n = catalog_exec("INSERT INTO dataops.step_suites (pipeline, step, suite) VALUES ($1, $2, $3) "
						 "ON CONFLICT DO NOTHING", &a, false);
	else
		n = catalog_exec("DELETE FROM dataops.step_suites WHERE pipeline = $1 AND step = $2 AND suite = $3",
						 &a, false);
	SPI_finish();
	return n > 0;
}

void
catalog_check_expectation_names(void)
{
	MemoryContext caller = enter_spi();
	char	   *pipeline = NULL;
	char	   *step = NULL;
	char	   *name = NULL;
	char	   *sources = NULL;

	if (catalog_exec("SELECT pipeline, step, name, string_agg(coalesce('suite ' || quote_literal(suite), 'the step itself'), ' and ' "
					 "ORDER BY suite NULLS FIRST) FROM dataops.step_expectations "
					 "GROUP BY pipeline, step, name HAVING count(*) > 1 LIMIT 1", NULL, true) == 1)
	{
		MemoryContext spi = MemoryContextSwitchTo(caller);

		pipeline = get_text(0, 1);
		step = get_text(0, 2);
		name = get_text(0, 3);
		sources = get_text(0, 4);
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	if (name)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("step \"%s\" of pipeline \"%s\" would have two expectations named \"%s\"", step, pipeline, name),
				 errdetail("They come from %s.", sources),
				 errhint("Expectation names must be unique within a step: rename one of them.")));
}

int64
catalog_insert_validation_run(const char *relation, const char *suite, const char *triggered_by)
{
	Args		a = {0};
	int64		run_id;
	bool		isnull;

	enter_spi();
	arg_text(&a, relation);
	arg_text(&a, suite);
	arg_text(&a, triggered_by);
	arg_datum(&a, INT4OID, Int32GetDatum(MyProcPid), false);
	catalog_exec("INSERT INTO dataops.runs (kind, relation, suite, status, triggered_by, worker_pid, started_at) "
				 "VALUES ('validation', $1, $2, 'running', $3, $4, clock_timestamp()) RETURNING run_id", &a, false);
	run_id = DatumGetInt64(get_datum(0, 1, &isnull));
	SPI_finish();
	return run_id;
}

void
catalog_replace_lineage(const char *pipeline, const char *step, const char *target,
						int64 run_id, List *edges)
{
	Args		a = {0};
	ListCell   *lc;

	enter_spi();
	arg_text(&a, pipeline);
	arg_text(&a, step);
	catalog_exec("DELETE FROM dataops.lineage WHERE pipeline = $1 AND step = $2", &a, false);
	foreach(lc, edges)
	{
		LineageEdge *e = lfirst(lc);

		a.n = 2;
		arg_text(&a, e->source_relation);
		arg_text(&a, e->source_column);
		arg_text(&a, target);
		arg_text(&a, e->target_column);
		arg_int8(&a, run_id, false);
		catalog_exec("INSERT INTO dataops.lineage (pipeline, step, source_relation, source_column, "
					 "target_relation, target_column, run_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
					 &a, false);
	}
	SPI_finish();
}

bool
catalog_file_ingested(const char *target, const char *path, int64 size, const char *sha256)
{
	Args		a = {0};
	bool		found;

	enter_spi();
	arg_text(&a, target);
	arg_text(&a, path);
	arg_int8(&a, size, false);
	arg_text(&a, sha256);
	found = catalog_exec("SELECT 1 FROM dataops.ingested_files WHERE target = $1 AND path = $2 "
						 "AND size_bytes = $3 AND sha256 = $4", &a, true) > 0;
	SPI_finish();
	return found;
}

void
catalog_record_file(const char *target, const char *path, int64 size, const char *sha256,
					int64 rows, int64 run_id)
{
	Args		a = {0};

	enter_spi();
	arg_text(&a, target);
	arg_text(&a, path);
	arg_int8(&a, size, false);
	arg_text(&a, sha256);
	arg_int8(&a, rows, false);
	arg_int8(&a, run_id, false);
	catalog_exec("INSERT INTO dataops.ingested_files (target, path, size_bytes, sha256, rows_loaded, run_id) "
				 "VALUES ($1, $2, $3, $4, $5, $6)", &a, false);
	SPI_finish();
}

void
catalog_forget_files(const char *target)
{
	exec_text_arg("DELETE FROM dataops.ingested_files WHERE target = $1", target);
}

/* ---------- jsonb helpers ---------- */

JsonbValue *
json_get(Jsonb *j, const char *key)
{
	if (j == NULL || !JB_ROOT_IS_OBJECT(j))
		return NULL;
	return getKeyJsonValueFromContainer(&j->root, key, strlen(key), NULL);
}

char *
json_value_text(JsonbValue *v)
{
	if (v == NULL)
		return NULL;
	switch (v->type)
	{
		case jbvNull:
			return NULL;
		case jbvString:
			return pnstrdup(v->val.string.val, v->val.string.len);
		case jbvNumeric:
			return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
		case jbvBool:
			return pstrdup(v->val.boolean ? "true" : "false");
		default:
			return JsonbToCString(NULL, v->val.binary.data, v->val.binary.len);
	}
}

/*
 * Returns the strings of a JSON array of strings; raises ERROR 22023 naming
 * `what` if v is not a non-empty array of strings.
 */
List *
json_string_list(JsonbValue *v, const char *what)
{
	List	   *result = NIL;
	JsonbIterator *it;
	JsonbValue	elem;
	JsonbIteratorToken tok;
	bool		ok = (v != NULL && v->type == jbvBinary &&
					  JsonContainerIsArray(v->val.binary.data));

	if (ok)
	{
		it = JsonbIteratorInit(v->val.binary.data);
		while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
		{
			if (tok != WJB_ELEM)
				continue;
			if (elem.type != jbvString || elem.val.string.len == 0)
			{
				ok = false;
				break;
			}
			result = lappend(result, pnstrdup(elem.val.string.val, elem.val.string.len));
		}
	}
	if (!ok || result == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a non-empty JSON array of strings", what)));
	return result;
}
