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
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "dataops.h"

#define MAX_ARGS 20

/* The caller's user id while catalog_exec runs a statement, else InvalidOid. */
static Oid	catalog_caller = InvalidOid;

/* True while catalog_prune_history deletes events (dataops_events_guard lets it). */
static bool pruning = false;

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
	volatile int rc = 0;
	Oid			save_caller = catalog_caller;

	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(dataops_extension_owner(), save_sec | SECURITY_LOCAL_USERID_CHANGE);
	nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);

	/* the catalog's triggers record who made the change (dataops._catalog_caller) */
	catalog_caller = save_user;
	PG_TRY();
	{
		rc = SPI_execute_with_args(sql, a ? a->n : 0, a ? a->types : NULL,
								   a ? a->values : NULL, a ? a->nulls : NULL,
								   false, 0);
	}
	PG_FINALLY();
	{
		catalog_caller = save_caller;
	}
	PG_END_TRY();
	if (rc < 0)
		elog(ERROR, "dataops catalog statement failed: %s", SPI_result_code_string(rc));

	AtEOXact_GUC(true, nestlevel);
	SetUserIdAndSecContext(save_user, save_sec);
	return SPI_processed;
}

/*
 * dataops._catalog_caller() → name: the role on whose behalf catalog_exec
 * is running a statement (the user id before it switched to the extension
 * owner), or NULL when dataops is not writing its catalog: a restore's COPY
 * or a superuser's own statement.  The definition-event and run-owner
 * triggers read it.  Raises nothing.
 */
PG_FUNCTION_INFO_V1(dataops_catalog_caller);
Datum
dataops_catalog_caller(PG_FUNCTION_ARGS)
{
	char	   *name;
	Name		result;

	if (!OidIsValid(catalog_caller))
		PG_RETURN_NULL();
	name = GetUserNameFromId(catalog_caller, true);
	if (name == NULL)
		PG_RETURN_NULL();
	result = (Name) palloc0(NAMEDATALEN);
	namestrcpy(result, name);
	PG_RETURN_NAME(result);
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

/* Runs one catalog write whose only parameter is the bigint `arg`. */
static void
exec_int8_arg(const char *sql, int64 arg)
{
	Args		a = {0};

	enter_spi();
	arg_int8(&a, arg, false);
	catalog_exec(sql, &a, false);
	SPI_finish();
}

/* True when the catalog read whose only parameter is the bigint `arg` returns a row. */
static bool
exists_int8_arg(const char *sql, int64 arg)
{
	Args		a = {0};
	bool		found;

	enter_spi();
	arg_int8(&a, arg, false);
	found = catalog_exec(sql, &a, true) > 0;
	SPI_finish();
	return found;
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
	if (catalog_exec("SELECT name, owner::text, options FROM dataops.pipelines WHERE name = $1", &a, true) == 1)
	{
		MemoryContext spi = MemoryContextSwitchTo(caller);
		bool		isnull;

		p = palloc0(sizeof(PipelineDef));
		p->name = get_text(0, 1);
		p->owner = get_text(0, 2);
		p->owner_oid = get_role_oid(p->owner, true);
		p->options = DatumGetJsonbPCopy(get_datum(0, 3, &isnull));
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

void
catalog_insert_expectation_result(int64 run_id, const char *step, int attempt, const ExpectationResult *r)
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
	arg_datum(&a, INT4OID, Int32GetDatum(attempt), false);
	catalog_exec("INSERT INTO dataops.expectation_results (run_id, step, expectation, kind, action, column_name, "
				 "mostly, element_count, missing_count, unexpected_count, unexpected_percent, observed_value, "
				 "success, partial_unexpected_list, suite, result_format, missing_percent, partial_unexpected_counts, attempt) "
				 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
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

/* ---------- orchestration: runs, step attempts, events ---------- */

void
catalog_emit_event(int64 run_id, const char *pipeline, const char *step, const char *kind,
				   const char *status, const char *details_json)
{
	Args		a = {0};

	enter_spi();
	arg_int8(&a, run_id, run_id == 0);
	arg_text(&a, pipeline);
	arg_text(&a, step);
	arg_text(&a, kind);
	arg_text(&a, status);
	arg_text(&a, details_json);
	catalog_exec("SELECT dataops._emit_event($1, $2, $3, $4, $5, CAST($6 AS jsonb))", &a, false);
	SPI_finish();
}

int64
catalog_insert_run(const char *pipeline, bool full_refresh, const char *triggered_by, int64 upstream_run_id)
{
	Args		a = {0};
	int64		run_id;
	bool		isnull;

	enter_spi();
	arg_text(&a, pipeline);
	arg_datum(&a, BOOLOID, BoolGetDatum(full_refresh), false);
	arg_text(&a, triggered_by);
	arg_int8(&a, upstream_run_id, upstream_run_id == 0);
	catalog_exec("WITH r AS (INSERT INTO dataops.runs (pipeline, status, full_refresh, triggered_by, upstream_run_id) "
				 "VALUES ($1, 'queued', $2, $3, $4) RETURNING run_id) "
				 "SELECT r.run_id, dataops._emit_event(r.run_id, $1, NULL, 'run', 'queued', "
				 "pg_catalog.jsonb_build_object('triggered_by', $3, 'full_refresh', $2, 'upstream_run_id', $4)) FROM r",
				 &a, false);
	run_id = DatumGetInt64(get_datum(0, 1, &isnull));
	SPI_finish();
	return run_id;
}

List *
catalog_queued_runs(int limit, TimestampTz *next_not_before)
{
	MemoryContext caller = enter_spi();
	Args		a = {0};
	List	   *result = NIL;
	uint64		i;
	uint64		n;

	arg_int8(&a, limit, false);

	/*
	 * Fair admission.  Only the oldest queued run of each pipeline that has
	 * no running run is a candidate (one run per pipeline at a time, in
	 * arrival order), so the
	 * backlog of one pipeline cannot hide the others behind a fixed limit.
	 * The candidates are then taken round-robin across the pipelines'
	 * owners: an owner's k-th candidate, counting its runs already running,
	 * comes after every owner's (k-1)-th, and among equals the oldest run
	 * first.  A run whose pipeline (and so owner) is gone counts as its own
	 * owner; admit_run fails it.
	 */
	n = catalog_exec("WITH c AS ("
					 "  SELECT DISTINCT ON (r.pipeline) r.run_id, r.pipeline, r.full_refresh "
					 "  FROM dataops.runs r "
					 "  WHERE r.status OPERATOR(pg_catalog.=) 'queued' AND r.kind OPERATOR(pg_catalog.=) 'pipeline' "
					 "  AND (r.not_before IS NULL OR r.not_before OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp()) "
					 "  AND NOT EXISTS (SELECT 1 FROM dataops.runs x WHERE x.pipeline OPERATOR(pg_catalog.=) r.pipeline "
					 "    AND x.status OPERATOR(pg_catalog.=) 'running' AND x.kind OPERATOR(pg_catalog.=) 'pipeline') "
					 "  ORDER BY r.pipeline, r.run_id), "
					 "o AS (SELECT c.*, CAST(p.owner AS pg_catalog.text) AS owner, "
					 "  pg_catalog.row_number() OVER (PARTITION BY CAST(p.owner AS pg_catalog.text) ORDER BY c.run_id) AS nth "
					 "  FROM c LEFT JOIN dataops.pipelines p ON p.name OPERATOR(pg_catalog.=) c.pipeline), "
					 "b AS (SELECT CAST(p.owner AS pg_catalog.text) AS owner, pg_catalog.count(*) AS running "
					 "  FROM dataops.runs r JOIN dataops.pipelines p ON p.name OPERATOR(pg_catalog.=) r.pipeline "
					 "  WHERE r.status OPERATOR(pg_catalog.=) 'running' AND r.kind OPERATOR(pg_catalog.=) 'pipeline' "
					 "  GROUP BY 1) "
					 "SELECT o.run_id, o.pipeline, o.full_refresh FROM o LEFT JOIN b ON b.owner OPERATOR(pg_catalog.=) o.owner "
					 "ORDER BY CASE WHEN o.owner IS NULL THEN 1 ELSE o.nth OPERATOR(pg_catalog.+) COALESCE(b.running, 0) END, "
					 "o.run_id LIMIT $1",
					 &a, true);
	for (i = 0; i < n; i++)
	{
		MemoryContext spi = MemoryContextSwitchTo(caller);
		QueuedRun  *q = palloc0(sizeof(QueuedRun));
		bool		isnull;

		q->run_id = DatumGetInt64(get_datum(i, 1, &isnull));
		q->pipeline = get_text(i, 2);
		q->full_refresh = DatumGetBool(get_datum(i, 3, &isnull));
		result = lappend(result, q);
		MemoryContextSwitchTo(spi);
	}
	*next_not_before = 0;
	if (catalog_exec("SELECT pg_catalog.min(not_before) FROM dataops.runs WHERE status OPERATOR(pg_catalog.=) 'queued' "
					 "AND not_before OPERATOR(pg_catalog.>) pg_catalog.clock_timestamp()", NULL, true) == 1)
	{
		bool		isnull;
		Datum		d = get_datum(0, 1, &isnull);

		if (!isnull)
			*next_not_before = DatumGetTimestampTz(d);
	}
	SPI_finish();
	return result;
}

bool
catalog_set_run_running(int64 run_id, int pid)
{
	Args		a = {0};
	uint64		n;

	enter_spi();
	arg_int8(&a, run_id, false);
	arg_datum(&a, INT4OID, Int32GetDatum(pid), false);
	/* only if still queued: dataops.cancel() may have won the row */
	n = catalog_exec("WITH r AS (UPDATE dataops.runs SET status = 'running', started_at = clock_timestamp(), "
					 "worker_pid = $2 WHERE run_id = $1 AND status = 'queued' RETURNING run_id, pipeline) "
					 "SELECT dataops._emit_event(r.run_id, r.pipeline, NULL, 'run', 'running', '{}') FROM r",
					 &a, false);
	SPI_finish();
	return n > 0;
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
	catalog_exec("WITH r AS (UPDATE dataops.runs SET status = $2, finished_at = clock_timestamp(), "
				 "started_at = coalesce(started_at, clock_timestamp()), "
				 "error_message = $3, error_detail = $4, error_sqlstate = $5, failed_step = $6 "
				 "WHERE run_id = $1 RETURNING run_id, pipeline, started_at, finished_at) "
				 "SELECT dataops._emit_event(r.run_id, r.pipeline, NULL, 'run', $2, "
				 "pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('error', $3, 'failed_step', $6, "
				 "'sqlstate', $5, 'duration', CAST(r.finished_at - r.started_at AS text)))) FROM r",
				 &a, false);
	SPI_finish();
}

int
catalog_recover_orphaned_runs(void)
{
	uint64		n;

	enter_spi();

	/*
	 * Every run still marked running lost its scheduler (only one runs per
	 * database): the server restarted or crashed.  Its running attempts
	 * crashed.  With retry_on_crash the run is queued again, after a backoff
	 * that doubles with each crash (10 s, 20 s, ... capped at 1 h), and given
	 * up after 5 crashes, so a step that crashes the server is not retried in
	 * a tight loop (TimescaleDB's crash accounting).
	 */
	catalog_exec("WITH s AS (UPDATE dataops.step_runs s SET status = 'crashed', finished_at = clock_timestamp(), "
				 "error_message = 'the server restarted while the step was running' "
				 "FROM dataops.runs r WHERE s.run_id = r.run_id AND r.status = 'running' AND s.status = 'running' "
				 "RETURNING s.run_id, r.pipeline, s.step, s.attempt) "
				 "SELECT dataops._emit_event(s.run_id, s.pipeline, s.step, 'step', 'crashed', "
				 "pg_catalog.jsonb_build_object('attempt', s.attempt)) FROM s",
				 NULL, false);
	n = catalog_exec("WITH o AS (SELECT r.run_id, r.crash_count + 1 AS crashes, "
					 "  coalesce((p.options->>'retry_on_crash')::boolean, false) AS retry "
					 "  FROM dataops.runs r LEFT JOIN dataops.pipelines p ON p.name = r.pipeline "
					 "  WHERE r.status = 'running' AND r.kind = 'pipeline' FOR UPDATE OF r), "
					 "u AS (UPDATE dataops.runs r SET crash_count = o.crashes, "
					 "  status = CASE WHEN o.retry AND o.crashes <= 5 THEN 'queued' ELSE 'failed' END, "
					 "  not_before = CASE WHEN o.retry AND o.crashes <= 5 THEN clock_timestamp() + "
					 "    least(interval '10 seconds' * power(2, o.crashes - 1), interval '1 hour') END, "
					 "  finished_at = CASE WHEN o.retry AND o.crashes <= 5 THEN NULL ELSE clock_timestamp() END, "
					 "  error_message = CASE WHEN o.retry AND o.crashes <= 5 THEN NULL "
					 "    WHEN o.retry THEN 'server restarted while the run was running (' || o.crashes || ' times); not retried again' "
					 "    ELSE 'server restarted while the run was running' END "
					 "  FROM o WHERE r.run_id = o.run_id "
					 "  RETURNING r.run_id, r.pipeline, r.status, r.not_before, r.crash_count) "
					 "SELECT dataops._emit_event(u.run_id, u.pipeline, NULL, 'run', u.status, "
					 "pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('reason', 'server restarted', "
					 "'crash_count', u.crash_count, 'not_before', u.not_before))) FROM u",
					 NULL, false);
	/* validations run in their caller's backend: only a server restart ends them */
	catalog_exec("UPDATE dataops.runs SET status = 'failed', finished_at = clock_timestamp(), "
				 "error_message = 'server restarted while the validation was running' "
				 "WHERE kind = 'validation' AND status = 'running' AND started_at < pg_postmaster_start_time()",
				 NULL, false);
	SPI_finish();
	return (int) n;
}

int64
catalog_insert_step_attempt(int64 run_id, const StepDef *step, int *attempt)
{
	Args		a = {0};
	int64		id;
	bool		isnull;

	enter_spi();
	arg_int8(&a, run_id, false);
	arg_text(&a, step->name);
	arg_text(&a, step->layer);
	arg_text(&a, psprintf("%s.%s", step->target_schema, step->target_table));
	arg_text(&a, step->pipeline);
	/* attempts continue where an earlier admission of the run (before a crash) stopped */
	catalog_exec("WITH n AS (SELECT coalesce(max(attempt), 0) + 1 AS attempt FROM dataops.step_runs "
				 "  WHERE run_id = $1 AND step = $2), "
				 "s AS (INSERT INTO dataops.step_runs (run_id, step, layer, target, status, attempt, started_at) "
				 "  SELECT $1, $2, $3, $4, 'running', n.attempt, clock_timestamp() FROM n "
				 "  RETURNING step_run_id, attempt) "
				 "SELECT s.step_run_id, s.attempt, dataops._emit_event($1, $5, $2, 'step', 'running', "
				 "pg_catalog.jsonb_build_object('attempt', s.attempt)) FROM s",
				 &a, false);
	id = DatumGetInt64(get_datum(0, 1, &isnull));
	*attempt = DatumGetInt32(get_datum(0, 2, &isnull));
	SPI_finish();
	return id;
}

void
catalog_delete_step_attempt(int64 step_run_id)
{
	exec_int8_arg("DELETE FROM dataops.step_runs WHERE step_run_id = $1", step_run_id);
}

StepAttempt *
catalog_get_step_attempt(int64 step_run_id)
{
	MemoryContext caller = enter_spi();
	Args		a = {0};
	StepAttempt *sa = NULL;

	arg_int8(&a, step_run_id, false);
	/* read-only: the worker's pid is recorded with the outcome, in the step's own transaction */
	if (catalog_exec("SELECT s.run_id, r.pipeline, s.step, s.attempt, r.full_refresh, s.status, r.cancel_requested "
					 "FROM dataops.step_runs s JOIN dataops.runs r USING (run_id) WHERE s.step_run_id = $1",
					 &a, true) == 1)
	{
		MemoryContext spi = MemoryContextSwitchTo(caller);
		bool		isnull;

		sa = palloc0(sizeof(StepAttempt));
		sa->step_run_id = step_run_id;
		sa->run_id = DatumGetInt64(get_datum(0, 1, &isnull));
		sa->pipeline = get_text(0, 2);
		sa->step = get_text(0, 3);
		sa->attempt = DatumGetInt32(get_datum(0, 4, &isnull));
		sa->full_refresh = DatumGetBool(get_datum(0, 5, &isnull));
		sa->status = get_text(0, 6);
		sa->cancel_requested = DatumGetBool(get_datum(0, 7, &isnull));
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	return sa;
}

char *
catalog_step_attempt_status(int64 step_run_id, char **error_message)
{
	MemoryContext caller = enter_spi();
	Args		a = {0};
	char	   *status = NULL;

	*error_message = NULL;
	arg_int8(&a, step_run_id, false);
	if (catalog_exec("SELECT status, error_message FROM dataops.step_runs WHERE step_run_id = $1", &a, true) == 1)
	{
		MemoryContext spi = MemoryContextSwitchTo(caller);

		status = get_text(0, 1);
		*error_message = get_text(0, 2);
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	return status;
}

void
catalog_finish_step_attempt(int64 step_run_id, const char *status, const StepCounts *c,
							const char *error_message, const char *error_detail, const char *sqlstate,
							bool bronze_files)
{
	Args		a = {0};
	bool		have = (c != NULL);

	bronze_files = bronze_files && have;
	enter_spi();
	arg_int8(&a, step_run_id, false);
	arg_text(&a, status);
	arg_int8(&a, have ? c->rows_read : 0, !have);
	arg_int8(&a, have ? c->rows_written : 0, !have);
	arg_int8(&a, have ? c->duplicates_removed : 0, !have);
	arg_int8(&a, have ? c->rows_quarantined : 0, !have);
	arg_int8(&a, bronze_files ? c->files_ingested : 0, !bronze_files);
	arg_int8(&a, bronze_files ? c->files_skipped : 0, !bronze_files);
	arg_datum(&a, BOOLOID, BoolGetDatum(have && c->target_recreated), false);
	arg_text(&a, error_message);
	arg_text(&a, error_detail);
	arg_text(&a, sqlstate);
	arg_datum(&a, INT4OID, Int32GetDatum(MyBgworkerEntry && strcmp(MyBgworkerEntry->bgw_type, "dataops step") == 0 ? MyProcPid : 0),
			  !(MyBgworkerEntry && strcmp(MyBgworkerEntry->bgw_type, "dataops step") == 0));
	arg_int8(&a, have && c->merged ? c->rows_inserted : 0, !(have && c->merged));
	arg_int8(&a, have && c->merged ? c->rows_updated : 0, !(have && c->merged));
	arg_int8(&a, have && c->merged ? c->rows_deleted : 0, !(have && c->merged));
	arg_text(&a, have ? c->watermark : NULL);
	catalog_exec("WITH s AS (UPDATE dataops.step_runs SET status = $2, rows_read = $3, rows_written = $4, "
				 "duplicates_removed = $5, rows_quarantined = $6, files_ingested = $7, files_skipped = $8, "
				 "target_recreated = $9, error_message = $10, error_detail = $11, error_sqlstate = $12, "
				 "worker_pid = coalesce($13, worker_pid), rows_inserted = $14, rows_updated = $15, rows_deleted = $16, "
				 "watermark = $17, finished_at = clock_timestamp() WHERE step_run_id = $1 "
				 "RETURNING run_id, step, attempt, started_at, finished_at), "
				 "r AS (SELECT s.*, r.pipeline FROM s JOIN dataops.runs r USING (run_id)) "
				 "SELECT dataops._emit_event(r.run_id, r.pipeline, r.step, 'step', $2, "
				 "pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('attempt', r.attempt, "
				 "'rows_written', $4, 'rows_quarantined', $6, 'error', $10, 'sqlstate', $12, "
				 "'duration', CAST(r.finished_at - r.started_at AS text)))) FROM r",
				 &a, false);
	SPI_finish();
}

void
catalog_set_step_retry(int64 step_run_id, TimestampTz retry_at)
{
	Args		a = {0};

	enter_spi();
	arg_int8(&a, step_run_id, false);
	arg_datum(&a, TIMESTAMPTZOID, TimestampTzGetDatum(retry_at), false);
	catalog_exec("WITH s AS (UPDATE dataops.step_runs SET retry_at = $2 WHERE step_run_id = $1 "
				 "RETURNING run_id, step, attempt) "
				 "SELECT dataops._emit_event(s.run_id, r.pipeline, s.step, 'step', 'retrying', "
				 "pg_catalog.jsonb_build_object('attempt', s.attempt, 'retry_at', $2)) "
				 "FROM s JOIN dataops.runs r USING (run_id)",
				 &a, false);
	SPI_finish();
}

void
catalog_mark_step(int64 run_id, const StepDef *step, const char *status, const char *reason)
{
	Args		a = {0};

	enter_spi();
	arg_int8(&a, run_id, false);
	arg_text(&a, step->name);
	arg_text(&a, step->layer);
	arg_text(&a, psprintf("%s.%s", step->target_schema, step->target_table));
	arg_text(&a, status);
	arg_text(&a, reason);
	arg_text(&a, step->pipeline);
	catalog_exec("WITH s AS (INSERT INTO dataops.step_runs (run_id, step, layer, target, status, attempt, finished_at, error_message) "
				 "  SELECT $1, $2, $3, $4, $5, coalesce(max(attempt), 0) + 1, clock_timestamp(), $6 "
				 "  FROM dataops.step_runs WHERE run_id = $1 AND step = $2 RETURNING attempt) "
				 "SELECT dataops._emit_event($1, $7, $2, 'step', $5, "
				 "pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('attempt', s.attempt, 'reason', $6))) FROM s",
				 &a, false);
	SPI_finish();
}

bool
catalog_run_cancel_requested(int64 run_id)
{
	return exists_int8_arg("SELECT 1 FROM dataops.runs WHERE run_id = $1 AND cancel_requested", run_id);
}

/*
 * The first column (bigint) of every row a parameterless catalog read
 * returns, as a list of int64 * in the caller's context.
 */
static List *
query_int8_list(const char *sql)
{
	MemoryContext caller = enter_spi();
	List	   *result = NIL;
	uint64		i;
	uint64		n;

	n = catalog_exec(sql, NULL, true);
	for (i = 0; i < n; i++)
	{
		bool		isnull;
		int64		v = DatumGetInt64(get_datum(i, 1, &isnull));
		MemoryContext spi = MemoryContextSwitchTo(caller);
		int64	   *p = palloc(sizeof(int64));

		*p = v;
		result = lappend(result, p);
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	return result;
}

List *
catalog_cancel_requested_runs(void)
{
	return query_int8_list("SELECT run_id FROM dataops.runs WHERE status = 'running' AND cancel_requested");
}

void
catalog_request_run_cancel(int64 run_id)
{
	exec_int8_arg("UPDATE dataops.runs SET cancel_requested = true WHERE run_id = $1", run_id);
}

bool
catalog_cancel_run(int64 run_id)
{
	Args		a = {0};
	uint64		n;

	enter_spi();
	arg_int8(&a, run_id, false);
	n = catalog_exec("WITH r AS (UPDATE dataops.runs SET status = 'canceled', finished_at = clock_timestamp(), "
					 "cancel_requested = true, error_message = 'canceled while queued' "
					 "WHERE run_id = $1 AND status = 'queued' RETURNING run_id, pipeline) "
					 "SELECT dataops._emit_event(r.run_id, r.pipeline, NULL, 'run', 'canceled', "
					 "'{\"reason\": \"canceled while queued\"}') FROM r",
					 &a, false);
	if (n == 0)
		n = catalog_exec("WITH r AS (UPDATE dataops.runs SET cancel_requested = true "
						 "WHERE run_id = $1 AND status = 'running' AND NOT cancel_requested RETURNING run_id, pipeline) "
						 "SELECT dataops._emit_event(r.run_id, r.pipeline, NULL, 'run', 'canceling', '{}') FROM r",
						 &a, false);
	if (n == 0)
		n = catalog_exec("SELECT 1 FROM dataops.runs WHERE run_id = $1 AND status = 'running'", &a, true);
	SPI_finish();
	return n > 0;
}

/*
 * Runs one catalog read as the extension owner, as catalog_exec does
 * (search_path pinned to "pg_catalog, pg_temp", values as parameters), but
 * with the latest snapshot, even in a REPEATABLE READ transaction: the
 * scheduler and the workers commit a run's progress while its caller waits.
 * Returns SPI_processed; SPI must be connected.
 *
 * The caller's search_path must never reach a statement run with the
 * owner's rights: an operator or function planted in a schema the caller
 * puts first would run as the owner (usually a superuser).  With
 * pg_catalog first and pg_temp (never searched for functions or operators)
 * last, unqualified built-in names resolve to pg_catalog; the statements
 * also qualify their operators.
 */
static uint64
catalog_read_fresh(const char *sql, Args *a)
{
	Oid			save_user;
	int			save_sec;
	int			nestlevel;
	int			rc;

	PushActiveSnapshot(GetLatestSnapshot());
	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(dataops_extension_owner(),
						   save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	rc = SPI_execute_with_args(sql, a->n, a->types, a->values, a->nulls, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "dataops catalog read failed: %s", SPI_result_code_string(rc));
	AtEOXact_GUC(true, nestlevel);
	SetUserIdAndSecContext(save_user, save_sec);
	PopActiveSnapshot();
	return SPI_processed;
}

RunInfo *
catalog_get_run_info(int64 run_id)
{
	MemoryContext caller = enter_spi();
	Args		a = {0};
	RunInfo    *ri = NULL;

	arg_int8(&a, run_id, false);
	if (catalog_read_fresh("SELECT pipeline, status, error_message, error_detail, error_sqlstate, failed_step, kind "
						   "FROM dataops.runs WHERE run_id OPERATOR(pg_catalog.=) $1", &a) == 1)
	{
		MemoryContext spi = MemoryContextSwitchTo(caller);

		ri = palloc0(sizeof(RunInfo));
		ri->pipeline = get_text(0, 1);
		ri->status = get_text(0, 2);
		ri->error_message = get_text(0, 3);
		ri->error_detail = get_text(0, 4);
		ri->sqlstate = get_text(0, 5);
		ri->failed_step = get_text(0, 6);
		ri->kind = get_text(0, 7);
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	return ri;
}

void
catalog_run_error_from_steps(int64 run_id, char **step, char **message, char **detail, char **sqlstate)
{
	MemoryContext caller = enter_spi();
	Args		a = {0};

	*step = *message = *detail = *sqlstate = NULL;
	arg_int8(&a, run_id, false);
	if (catalog_exec("SELECT step, error_message, error_detail, error_sqlstate FROM dataops.step_runs "
					 "WHERE run_id = $1 AND status IN ('failed', 'timed_out', 'crashed') "
					 "ORDER BY finished_at, step_run_id LIMIT 1", &a, true) == 1)
	{
		MemoryContext spi = MemoryContextSwitchTo(caller);

		*step = get_text(0, 1);
		*message = get_text(0, 2);
		*detail = get_text(0, 3);
		*sqlstate = get_text(0, 4);
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
}

List *
catalog_downstream_pipelines(const char *upstream)
{
	MemoryContext caller = enter_spi();
	Args		a = {0};
	List	   *result = NIL;
	uint64		i;
	uint64		n;

	arg_text(&a, upstream);
	n = catalog_exec("SELECT pipeline FROM dataops.pipeline_dependencies WHERE upstream = $1 ORDER BY pipeline",
					 &a, true);
	for (i = 0; i < n; i++)
	{
		MemoryContext spi = MemoryContextSwitchTo(caller);

		result = lappend(result, get_text(i, 1));
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	return result;
}

void
catalog_set_pipeline_option(const char *pipeline, const char *key, Jsonb *value)
{
	Args		a = {0};

	enter_spi();
	arg_text(&a, pipeline);
	arg_text(&a, key);
	arg_jsonb(&a, value);
	catalog_exec("UPDATE dataops.pipelines SET options = CASE WHEN $3 IS NULL THEN options - $2 "
				 "ELSE options || pg_catalog.jsonb_build_object($2, $3) END WHERE name = $1",
				 &a, false);
	SPI_finish();
}

bool
catalog_add_dependency(const char *pipeline, const char *upstream)
{
	Args		a = {0};
	uint64		n;

	enter_spi();
	arg_text(&a, pipeline);
	arg_text(&a, upstream);
	/* a cycle: pipeline is already upstream of upstream */
	if (catalog_exec("WITH RECURSIVE up(name) AS (SELECT upstream FROM dataops.pipeline_dependencies WHERE pipeline = $2 "
					 "UNION SELECT d.upstream FROM dataops.pipeline_dependencies d JOIN up ON d.pipeline = up.name) "
					 "SELECT 1 FROM up WHERE name = $1", &a, true) > 0)
	{
		SPI_finish();
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("dependency of pipeline \"%s\" on \"%s\" would create a cycle", pipeline, upstream),
				 errdetail("Pipeline \"%s\" already runs after \"%s\", directly or through other pipelines.",
						   upstream, pipeline),
				 errhint("Remove a dependency with dataops.drop_dependency().")));
	}
	n = catalog_exec("INSERT INTO dataops.pipeline_dependencies (pipeline, upstream) VALUES ($1, $2) "
					 "ON CONFLICT DO NOTHING", &a, false);
	SPI_finish();
	return n > 0;
}

bool
catalog_drop_dependency(const char *pipeline, const char *upstream)
{
	Args		a = {0};
	uint64		n;

	enter_spi();
	arg_text(&a, pipeline);
	arg_text(&a, upstream);
	n = catalog_exec("DELETE FROM dataops.pipeline_dependencies WHERE pipeline = $1 AND upstream = $2", &a, false);
	SPI_finish();
	return n > 0;
}

bool
catalog_run_is_open(int64 run_id)
{
	return exists_int8_arg("SELECT 1 FROM dataops.runs WHERE run_id = $1 AND status IN ('queued', 'running')", run_id);
}

bool
catalog_get_step_state(const char *pipeline, const char *step, char **watermark, char **query_hash)
{
	MemoryContext caller = enter_spi();
	Args		a = {0};
	bool		found = false;

	*watermark = *query_hash = NULL;
	arg_text(&a, pipeline);
	arg_text(&a, step);
	if (catalog_exec("SELECT watermark, query_hash FROM dataops.step_state WHERE pipeline = $1 AND step = $2",
					 &a, true) == 1)
	{
		MemoryContext spi = MemoryContextSwitchTo(caller);

		*watermark = get_text(0, 1);
		*query_hash = get_text(0, 2);
		found = true;
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	return found;
}

void
catalog_set_step_state(const char *pipeline, const char *step, const char *watermark,
					   const char *query_hash, int64 run_id)
{
	Args		a = {0};

	enter_spi();
	arg_text(&a, pipeline);
	arg_text(&a, step);
	arg_text(&a, watermark);
	arg_text(&a, query_hash);
	arg_int8(&a, run_id, false);
	catalog_exec("INSERT INTO dataops.step_state (pipeline, step, watermark, query_hash, run_id) "
				 "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (pipeline, step) DO UPDATE SET "
				 "watermark = EXCLUDED.watermark, query_hash = EXCLUDED.query_hash, run_id = EXCLUDED.run_id, "
				 "updated_at = clock_timestamp()", &a, false);
	SPI_finish();
}

bool
catalog_watermark_before(const char *pipeline, const char *step, int64 run_id, char **watermark, int64 *from_run)
{
	MemoryContext caller = enter_spi();
	Args		a = {0};
	bool		found = false;

	*watermark = NULL;
	*from_run = 0;
	arg_text(&a, pipeline);
	arg_text(&a, step);
	arg_int8(&a, run_id, false);
	if (catalog_exec("SELECT s.watermark, s.run_id FROM dataops.step_runs s JOIN dataops.runs r USING (run_id) "
					 "WHERE r.pipeline = $1 AND s.step = $2 AND s.run_id < $3 AND s.status = 'succeeded' "
					 "ORDER BY s.run_id DESC, s.attempt DESC LIMIT 1", &a, true) == 1)
	{
		MemoryContext spi = MemoryContextSwitchTo(caller);
		bool		isnull;

		*watermark = get_text(0, 1);
		*from_run = DatumGetInt64(get_datum(0, 2, &isnull));
		found = true;
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	return found;
}

bool
catalog_pipeline_has_open_runs(const char *pipeline)
{
	Args		a = {0};
	bool		result;

	enter_spi();
	arg_text(&a, pipeline);
	result = catalog_exec("SELECT 1 FROM dataops.runs WHERE pipeline = $1 AND status IN ('queued', 'running') LIMIT 1",
						  &a, true) > 0;
	SPI_finish();
	return result;
}

void
catalog_add_table_version(const char *pipeline, const char *step, int64 run_id, const char *relation)
{
	Args		a = {0};

	enter_spi();
	arg_text(&a, pipeline);
	arg_text(&a, step);
	arg_int8(&a, run_id, false);
	arg_text(&a, relation);
	catalog_exec("INSERT INTO dataops.table_versions (pipeline, step, run_id, relation) VALUES ($1, $2, $3, $4) "
				 "ON CONFLICT (pipeline, step, run_id) DO UPDATE SET relation = EXCLUDED.relation, "
				 "created_at = clock_timestamp()", &a, false);
	SPI_finish();
}

List *
catalog_table_versions(const char *pipeline, const char *step)
{
	MemoryContext caller = enter_spi();
	Args		a = {0};
	List	   *result = NIL;
	uint64		i;
	uint64		n;

	arg_text(&a, pipeline);
	arg_text(&a, step);
	n = catalog_exec("SELECT run_id, relation FROM dataops.table_versions WHERE pipeline = $1 AND step = $2 "
					 "ORDER BY run_id DESC", &a, true);
	for (i = 0; i < n; i++)
	{
		MemoryContext spi = MemoryContextSwitchTo(caller);
		TableVersion *v = palloc(sizeof(TableVersion));
		bool		isnull;

		v->run_id = DatumGetInt64(get_datum(i, 1, &isnull));
		v->relation = get_text(i, 2);
		result = lappend(result, v);
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	return result;
}

void
catalog_delete_table_version(const char *pipeline, const char *step, int64 run_id)
{
	Args		a = {0};

	enter_spi();
	arg_text(&a, pipeline);
	arg_text(&a, step);
	arg_int8(&a, run_id, false);
	catalog_exec("DELETE FROM dataops.table_versions WHERE pipeline = $1 AND step = $2 AND run_id = $3", &a, false);
	SPI_finish();
}

bool
catalog_has_open_runs(void)
{
	bool		result;

	enter_spi();
	result = catalog_exec("SELECT 1 FROM dataops.runs WHERE status IN ('queued', 'running') "
						  "AND kind = 'pipeline' LIMIT 1", NULL, true) > 0;
	SPI_finish();
	return result;
}

void
catalog_prune_history(const char *retention)
{
	Args		a = {0};

	enter_spi();
	arg_text(&a, retention);
	catalog_exec("DELETE FROM dataops.runs WHERE finished_at < clock_timestamp() - CAST($1 AS interval) "
				 "AND status NOT IN ('queued', 'running')", &a, false);
	pruning = true;
	PG_TRY();
	{
		catalog_exec("DELETE FROM dataops.events WHERE at < clock_timestamp() - CAST($1 AS interval)", &a, false);
	}
	PG_FINALLY();
	{
		pruning = false;
	}
	PG_END_TRY();
	SPI_finish();
}

/*
 * dataops._events_guard(): trigger on dataops.events refusing UPDATE,
 * DELETE and TRUNCATE (42501) except from catalog_prune_history: the event
 * log is append-only, as Delta Live Tables' event log.
 */
PG_FUNCTION_INFO_V1(dataops_events_guard);
Datum
dataops_events_guard(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "dataops_events_guard: not called as a trigger");
	if (!pruning)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("dataops.events is append-only"),
				 errdetail("Events are removed only by dataops' history retention (dataops.history_retention)."),
				 errhint("Lower dataops.history_retention to keep fewer events.")));
	if (TRIGGER_FIRED_FOR_ROW(td->tg_event))
		return PointerGetDatum(TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple);
	return PointerGetDatum(NULL);
}

/* ---------- schedules (schedule.c) ---------- */

int64
catalog_get_pipeline_cron_job(const char *pipeline)
{
	Args		a = {0};
	int64		jobid = 0;

	enter_spi();
	arg_text(&a, pipeline);
	if (catalog_exec("SELECT cron_jobid FROM dataops.pipelines WHERE name = $1 AND cron_jobid IS NOT NULL",
					 &a, true) == 1)
	{
		bool		isnull;

		jobid = DatumGetInt64(get_datum(0, 1, &isnull));
	}
	SPI_finish();
	return jobid;
}

void
catalog_set_pipeline_cron_job(const char *pipeline, int64 jobid)
{
	Args		a = {0};

	enter_spi();
	arg_text(&a, pipeline);
	arg_int8(&a, jobid, jobid == 0);
	catalog_exec("UPDATE dataops.pipelines SET cron_jobid = $2 WHERE name = $1 "
				 "AND cron_jobid IS DISTINCT FROM $2", &a, false);
	SPI_finish();
}

List *
catalog_all_cron_jobs(void)
{
	return query_int8_list("SELECT cron_jobid FROM dataops.pipelines WHERE cron_jobid IS NOT NULL ORDER BY cron_jobid");
}

/* ---------- orchestration: access checks and the queue cap (0.5.0) ---------- */

/*
 * catalog_get_run_access: what dataops.wait() and dataops.cancel() check
 * before they read anything else of a run.  Returns false when there is no
 * run `run_id`; else sets *kind (pipeline, validation) and *owner: the role
 * name that may act on the run (the pipeline's owner; for a validation, the
 * role that ran it), NULL when the pipeline no longer exists.  Read with
 * the latest snapshot, search_path pinned, operators qualified.
 */
bool
catalog_get_run_access(int64 run_id, char **kind, char **owner)
{
	MemoryContext caller = enter_spi();
	Args		a = {0};
	bool		found = false;

	*kind = *owner = NULL;
	arg_int8(&a, run_id, false);
	if (catalog_read_fresh("SELECT r.kind, CASE WHEN r.kind OPERATOR(pg_catalog.=) 'pipeline' "
						   "THEN CAST(p.owner AS pg_catalog.text) ELSE r.triggered_by END "
						   "FROM dataops.runs r LEFT JOIN dataops.pipelines p "
						   "ON r.kind OPERATOR(pg_catalog.=) 'pipeline' AND p.name OPERATOR(pg_catalog.=) r.pipeline "
						   "WHERE r.run_id OPERATOR(pg_catalog.=) $1", &a) == 1)
	{
		MemoryContext spi = MemoryContextSwitchTo(caller);

		*kind = get_text(0, 1);
		*owner = get_text(0, 2);
		found = true;
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	return found;
}

/*
 * catalog_owner_queued_runs: the number of queued runs of the pipelines
 * owned by role `owner` (dataops.max_queued_runs_per_owner caps it).
 */
int64
catalog_owner_queued_runs(const char *owner)
{
	Args		a = {0};
	int64		n = 0;
	bool		isnull;

	enter_spi();
	arg_text(&a, owner);
	if (catalog_exec("SELECT pg_catalog.count(*) FROM dataops.runs r JOIN dataops.pipelines p "
					 "ON p.name OPERATOR(pg_catalog.=) r.pipeline "
					 "WHERE r.status OPERATOR(pg_catalog.=) 'queued' AND r.kind OPERATOR(pg_catalog.=) 'pipeline' "
					 "AND CAST(p.owner AS pg_catalog.text) OPERATOR(pg_catalog.=) $1", &a, true) == 1)
		n = DatumGetInt64(get_datum(0, 1, &isnull));
	SPI_finish();
	return n;
}
