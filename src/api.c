/*
 * api.c: the definition API.
 *
 *   dataops.create_pipeline(name, description)
 *   dataops.drop_pipeline(name)
 *   dataops.add_step(pipeline, name, layer, target, query, source, unique_key, keep, options)
 *   dataops.add_expectation(pipeline, step, name, kind, column_name, args, action, mostly)
 *
 * Every argument is validated before anything is written, so bad input
 * raises a clear ERROR and leaves the catalog unchanged.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "parser/parser.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/varlena.h"
#include "pgtime.h"

#include "api.h"
#include "api_int.h"
#include "args.h"
#include "catalog.h"
#include "citus.h"
#include "dag.h"
#include "dataops.h"
#include "expect.h"
#include "ingest.h"
#include "launcher.h"
#include "options.h"
#include "schedule.h"
#include "sqlgen.h"
#include "suite.h"

PG_FUNCTION_INFO_V1(dataops_create_pipeline);
Datum
dataops_create_pipeline(PG_FUNCTION_ARGS)
{
	char	   *name;
	char	   *description = args_text(fcinfo, 1);

	args_require(PG_ARGISNULL(0), "pipeline name");
	name = args_text(fcinfo, 0);
	args_check_name("pipeline name", name);
	if (catalog_get_pipeline(name, true) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("pipeline \"%s\" already exists", name),
				 errhint("Drop it first with dataops.drop_pipeline(), or choose another name.")));
	catalog_insert_pipeline(name, description, GetUserNameFromId(GetUserId(), false));
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(dataops_drop_pipeline);
Datum
dataops_drop_pipeline(PG_FUNCTION_ARGS)
{
	char	   *name;

	args_require(PG_ARGISNULL(0), "pipeline name");
	name = args_text(fcinfo, 0);
	(void) args_owned_pipeline(name, "drop");
	schedule_remove_if_any(name);
	catalog_delete_pipeline(name);
	PG_RETURN_VOID();
}

/*
 * Splits a target into schema and table.  Text that parses as an SQL name
 * ('silver.people', '"Mixed Case"') is used as such; text that does not
 * ('a;b') is taken literally as one table name, so any name works and none
 * is ever spliced into SQL unquoted.
 */
static void
parse_target(const char *target, const char *layer, char **schema, char **table)
{
	char	   *copy = pstrdup(target);
	List	   *parts = NIL;

	if (SplitIdentifierString(copy, '.', &parts) && list_length(parts) <= 2 && parts != NIL)
	{
		if (list_length(parts) == 2)
		{
			*schema = pstrdup(linitial(parts));
			*table = pstrdup(lsecond(parts));
		}
		else
		{
			*schema = pstrdup(layer);
			*table = pstrdup(linitial(parts));
		}
	}
	else
	{
		*schema = pstrdup(layer);
		*table = pstrdup(target);
	}
	if (strlen(*table) >= NAMEDATALEN || strlen(*schema) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("target name \"%s\" is too long", target),
				 errdetail("Schema and table names are limited to %d bytes.", NAMEDATALEN - 1)));
}

static const char *const csv_options[] = {"header", "delimiter", "quote", "escape", "null", "encoding", "normalize_names"};

/* True when a JSON value is an integer from 0 to 100 (retries, keep_versions). */
static bool
is_int_0_100(JsonbValue *val)
{
	char	   *t;
	char	   *end;
	long		n;

	if (val->type != jbvNumeric)
		return false;
	t = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(val->val.numeric)));
	n = strtol(t, &end, 10);
	return *end == '\0' && n >= 0 && n <= 100;
}

/*
 * Checks a run option's value: retries a non-negative integer, an interval
 * for retry_delay, timeout and step_timeout, a boolean for retry_on_crash.
 * Raises 22023 naming the option.
 */
static void
validate_run_option(const char *key, JsonbValue *val)
{
	if (strcmp(key, "retries") == 0)
	{
		if (!is_int_0_100(val))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"retries\" must be an integer from 0 to 100"),
					 errhint("Example: '{\"retries\": 3, \"retry_delay\": \"30 seconds\"}'.")));
	}
	else if (strcmp(key, "retry_on_crash") == 0)
	{
		if (val->type != jbvBool)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"retry_on_crash\" must be true or false")));
	}
	else
	{
		if (val->type != jbvString)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"%s\" must be an interval given as a string", key),
					 errhint("Example: '\"5 minutes\"'.")));
		if (dataops_interval_ms(pnstrdup(val->val.string.val, val->val.string.len), key) <= 0 &&
			strcmp(key, "retry_delay") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"%s\" must be a positive interval", key)));
	}
}

static const char *const step_run_options[] = {"retries", "retry_delay", "timeout"};
static const char *const materialization_options[] = {"materialization", "watermark", "on_schema_change",
"track_columns", "hard_deletes", "keep_versions"};

/* Checks one materialization option (issue 5: table, view, incremental, scd2). */
static void
validate_materialization_option(const char *key, JsonbValue *val)
{
	char	   *t = val->type == jbvString ? pnstrdup(val->val.string.val, val->val.string.len) : NULL;

	if (strcmp(key, "materialization") == 0)
	{
		if (t == NULL || (strcmp(t, "table") != 0 && strcmp(t, "view") != 0 &&
						  strcmp(t, "incremental") != 0 && strcmp(t, "scd2") != 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"materialization\" must be table, view, incremental or scd2")));
	}
	else if (strcmp(key, "watermark") == 0)
	{
		if (t == NULL || t[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"watermark\" must name a column of the step's query"),
					 errhint("Example: '{\"watermark\": \"updated_at\"}'.")));
	}
	else if (strcmp(key, "on_schema_change") == 0)
	{
		if (t == NULL || (strcmp(t, "fail") != 0 && strcmp(t, "append_new_columns") != 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"on_schema_change\" must be fail or append_new_columns")));
	}
	else if (strcmp(key, "hard_deletes") == 0)
	{
		if (t == NULL || (strcmp(t, "ignore") != 0 && strcmp(t, "invalidate") != 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"hard_deletes\" must be ignore or invalidate")));
	}
	else if (strcmp(key, "track_columns") == 0)
	{
		if (val->type != jbvBinary)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"track_columns\" must be an array of column names")));
	}
	else if (strcmp(key, "keep_versions") == 0)
	{
		if (!is_int_0_100(val))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"keep_versions\" must be an integer from 0 to 100")));
	}
}
/* Citus (issue 15): how the target is distributed; for steps with a query and steps that read files. */
static const char *const citus_options[] = {"distribution_column", "colocate_with", "reference"};

/*
 * The Citus options together: Citus installed (0A000), distribution_column
 * and reference not both, colocate_with only with distribution_column, and
 * a materialization that writes a table dataops can distribute (not a view,
 * not kept versions); 22023 otherwise.
 */
static void
validate_citus_options(const StepOptions *o)
{
	if (o->colocate_with != NULL && o->distribution_column == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"colocate_with\" needs option \"distribution_column\"")));
	if (o->distribution_column == NULL && !o->reference)
		return;
	if (!citus_installed())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("option \"%s\" needs the citus extension", o->reference ? "reference" : "distribution_column"),
				 errdetail("The extension citus is not installed in this database."),
				 errhint("CREATE EXTENSION citus first, or remove the option.")));
	if (o->distribution_column != NULL && o->reference)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options \"distribution_column\" and \"reference\" exclude each other"),
				 errdetail("A reference table has a copy on every node; a distributed table is split on its distribution column.")));
	if (o->materialization == MATERIALIZATION_VIEW || options_keep_versions(o, 0) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("options \"distribution_column\" and \"reference\" apply to table, incremental and scd2 targets"),
				 errdetail("%s", o->materialization == MATERIALIZATION_VIEW ? "A view has no rows to distribute." :
						   "Kept versions (keep_versions) of a distributed target are not supported yet.")));
}

static const char *const pipeline_run_options[] = {"timeout", "retries", "retry_delay", "step_timeout", "retry_on_crash"};
static const char *const pipeline_health_options[] = {"sla_freshness", "sla_deadline", "target_mttr", "target_mtbf",
"target_dq_score", "target_sla_compliance"};

/* Raises 22023 for option `key`: its value must be `what`, e.g. `example`. */
static void
bad_health_option(const char *key, const char *what, const char *example)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("option \"%s\" must be %s", key, what),
			 errhint("Example: SELECT dataops.set_pipeline_option('p', '%s', '%s').", key, example)));
}

/*
 * Checks an SLA or health target option of a pipeline (issue 12):
 * sla_freshness, target_mttr, target_mtbf a positive interval given as a
 * string; sla_deadline 'HH:MM' or 'HH:MM:SS' (00:00 to 23:59:59) with an
 * optional time zone name after one space ('06:00 Europe/Paris'; UTC when
 * not given) that PostgreSQL knows (pg_tzset); target_dq_score and
 * target_sla_compliance a number from 0 to 1.  Raises 22023 naming the
 * option.
 */
static void
validate_health_option(const char *key, JsonbValue *val)
{
	char	   *t = val->type == jbvString ? pnstrdup(val->val.string.val, val->val.string.len) : NULL;

	if (strcmp(key, "target_dq_score") == 0 || strcmp(key, "target_sla_compliance") == 0)
	{
		double		d;
		char	   *end;

		if (val->type != jbvNumeric)
			bad_health_option(key, "a number from 0 to 1", "0.99");
		t = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(val->val.numeric)));
		d = strtod(t, &end);
		if (*end != '\0' || d < 0 || d > 1)
			bad_health_option(key, "a number from 0 to 1", "0.99");
	}
	else if (strcmp(key, "sla_deadline") == 0)
	{
		int			h = -1,
					m = -1,
					sec = 0,
					used = 0;
		const char *zone;

		if (t == NULL)
			bad_health_option(key, "a time of day given as a string, HH:MM or HH:MM:SS with an optional time zone", "06:00 Europe/Paris");
		if (!((sscanf(t, "%2d:%2d:%2d%n", &h, &m, &sec, &used) == 3) ||
			  (sec = 0, used = 0, sscanf(t, "%2d:%2d%n", &h, &m, &used) == 2)) ||
			h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 59 || t[used - 1] < '0' || t[used - 1] > '9' ||
			(t[used] != '\0' && t[used] != ' '))
			bad_health_option(key, "a time of day given as a string, HH:MM or HH:MM:SS with an optional time zone", "06:00 Europe/Paris");
		zone = t + used;
		if (*zone == ' ')
		{
			zone++;
			if (*zone == '\0' || strchr(zone, ' ') != NULL || pg_tzset(zone) == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("time zone \"%s\" of option \"sla_deadline\" is not recognized", zone),
						 errhint("Use a time zone name of pg_timezone_names, such as Europe/Paris or UTC.")));
		}
	}
	else
	{
		if (t == NULL)
			bad_health_option(key, "a positive interval given as a string", "1 hour");
		if (dataops_interval_ms(t, key) <= 0)
			bad_health_option(key, "a positive interval given as a string", "1 hour");
	}
}

/* Validates options: known keys only, each of the right JSON type. */
static void
validate_options(Jsonb *options, bool reads_files)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	if (!JB_ROOT_IS_OBJECT(options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options must be a JSON object"),
				 errhint("Example: '{\"delimiter\": \";\", \"header\": true}'.")));
	it = JsonbIteratorInit(&options->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *key;
		JsonbValue	val;
		int			i;
		bool		known = false;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(v.val.string.val, v.val.string.len);
		tok = JsonbIteratorNext(&it, &val, true);
		for (i = 0; i < lengthof(step_run_options); i++)
			if (strcmp(key, step_run_options[i]) == 0)
				known = true;
		if (known)
		{
			validate_run_option(key, &val);
			continue;
		}
		for (i = 0; i < lengthof(materialization_options); i++)
			if (strcmp(key, materialization_options[i]) == 0)
				known = true;
		if (known)
		{
			if (reads_files)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"%s\" applies only to steps with a query", key),
						 errdetail("A bronze step that reads files already loads each file once.")));
			validate_materialization_option(key, &val);
			continue;
		}
		for (i = 0; i < lengthof(citus_options); i++)
			if (strcmp(key, citus_options[i]) == 0)
				known = true;
		if (known)
		{
			if ((strcmp(key, "reference") == 0) ? val.type != jbvBool :
				(val.type != jbvString || val.val.string.len == 0))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"%s\" must be %s", key,
								strcmp(key, "reference") == 0 ? "true or false" :
								strcmp(key, "colocate_with") == 0 ? "default, none or the name of a distributed table" :
								"the name of a column of the step's rows")));
			continue;
		}
		for (i = 0; i < lengthof(csv_options); i++)
			if (strcmp(key, csv_options[i]) == 0)
				known = true;
		if (!known)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown step option \"%s\"", key),
					 errhint("Valid options are retries, retry_delay, timeout, materialization, watermark, on_schema_change, track_columns, hard_deletes, keep_versions, distribution_column, colocate_with and reference, and for steps that read files header, delimiter, quote, escape, null, encoding and normalize_names.")));
		if (!reads_files)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"%s\" applies only to steps that read files", key)));
		if (strcmp(key, "header") == 0 || strcmp(key, "normalize_names") == 0)
		{
			if (val.type != jbvBool)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"%s\" must be true or false", key)));
		}
		else if (val.type != jbvString)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"%s\" must be a string", key)));
		else if ((strcmp(key, "delimiter") == 0 || strcmp(key, "quote") == 0 || strcmp(key, "escape") == 0) &&
				 val.val.string.len != 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"%s\" must be a single one-byte character", key)));
		else if ((strcmp(key, "delimiter") == 0 || strcmp(key, "quote") == 0 || strcmp(key, "escape") == 0) &&
				 (val.val.string.val[0] == '\n' || val.val.string.val[0] == '\r' || val.val.string.val[0] == '\0'))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"%s\" cannot be a newline or carriage return", key),
					 errdetail("A CSV record ends at a newline; as COPY does, dataops refuses it as a delimiter, quote or escape character.")));
		else if (strcmp(key, "encoding") == 0 &&
				 pg_char_to_encoding(pnstrdup(val.val.string.val, val.val.string.len)) < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"encoding\" names an unknown encoding \"%.*s\"",
							val.val.string.len, val.val.string.val),
					 errhint("Use an encoding name PostgreSQL knows, such as UTF8 or LATIN1.")));
	}
}

/* Checks that keep parses as the list of an ORDER BY clause and nothing more. */
static void
validate_keep(const char *keep)
{
	List	   *parsed;
	SelectStmt *sel;
	char	   *sql = psprintf("SELECT 1 ORDER BY\n%s\n", keep);

	parsed = dag_raw_parse(sql, RAW_PARSE_DEFAULT);
	sel = list_length(parsed) == 1 ? (SelectStmt *) ((RawStmt *) linitial(parsed))->stmt : NULL;
	if (sel == NULL || !IsA(sel, SelectStmt) || sel->sortClause == NIL || sel->limitCount ||
		sel->limitOffset || sel->lockingClause || sel->withClause || sel->op != SETOP_NONE)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("keep must be an ORDER BY list"),
				 errhint("Example: 'updated_at DESC, id'.")));
}

/*
 * api_unique_key: the text[] argument `arr` as a List of column names (char
 * *).  Raises 22023 for NULL or empty elements or an empty array.
 */
List *
api_unique_key(ArrayType *arr)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	List	   *key = NIL;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (i = 0; i < n; i++)
	{
		if (nulls[i] || VARSIZE_ANY_EXHDR(DatumGetTextPP(elems[i])) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unique_key must not contain NULL or empty column names")));
		key = lappend(key, TextDatumGetCString(elems[i]));
	}
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unique_key must name at least one column")));
	return key;
}

/*
 * api_check_step: validates step `s` of pipeline `p` as add_step does, for
 * a new step and for one alter_step changed: the layer, the target (when
 * `target` is not NULL it is parsed into s->target_schema/target_table;
 * another step may not publish it), query or source (the query is parsed
 * and stored as parsed; a source needs the owner's right to read server
 * files), options, unique_key, keep and the materialization's needs.
 * Writes nothing.  Raises 22023, 42601 (a query or keep that does not
 * parse), 42710 (target published by another step), 42501 (source without
 * the file privilege), 42622 (name too long).
 */
void
api_check_step(const PipelineDef *p, StepDef *s, const char *target)
{
	char	   *owner_step;

	if (strcmp(s->layer, "bronze") != 0 && strcmp(s->layer, "silver") != 0 && strcmp(s->layer, "gold") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid layer \"%s\"", s->layer),
				 errhint("Valid layers are bronze, silver and gold.")));
	if (target != NULL)
	{
		args_check_name("target", target);
		parse_target(target, s->layer, &s->target_schema, &s->target_table);
	}
	owner_step = catalog_target_owner_step_except(s->target_schema, s->target_table, s->pipeline, s->name);
	if (owner_step != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("target %s is already published by %s",
						dataops_qualified_name(s->target_schema, s->target_table), owner_step),
				 errhint("Each table is the target of one step.")));

	if (s->source != NULL && s->query != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("step \"%s\" has both a query and a source", s->name),
				 errhint("A bronze step reads either files (source) or a query; dataops.alter_step takes reset => '{source}' or '{query}' to switch.")));
	if (s->source != NULL)
	{
		if (strcmp(s->layer, "bronze") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("only bronze steps read files"),
					 errhint("Give the %s step a query that reads the bronze table.", s->layer)));
		/* the owner may read server files: checked on the role alone, no file is touched */
		ingest_check_read_privilege(p->owner_oid, s->pipeline, s->name);
		if (s->source[0] != '/')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("source must be an absolute path, got \"%s\"", s->source),
					 errhint("Files are read by the server; give a path such as '/data/in/people-*.csv'.")));
	}
	else if (s->query == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("step \"%s\" needs a query", s->name),
				 errhint("Silver and gold steps publish the rows of one SELECT; bronze steps may read files (source) instead.")));
	else
		s->query = dag_parse_select(s->query, NULL);

	validate_options(s->options, s->source != NULL);

	if (s->keep != NULL)
	{
		if (s->unique_key == NIL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("keep needs a unique_key"),
					 errhint("keep orders the rows of one key; give the key in unique_key.")));
		validate_keep(s->keep);
	}

	{
		const StepOptions *o = step_options(s);
		const char *mat = o->materialization_name;

		if ((o->materialization == MATERIALIZATION_INCREMENTAL || o->materialization == MATERIALIZATION_SCD2) &&
			s->unique_key == NIL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("materialization %s needs a unique_key", mat),
					 errhint("Name the columns that identify a row, e.g. unique_key => '{id}'.")));
		if (o->materialization == MATERIALIZATION_VIEW && s->unique_key != NIL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("materialization view takes no unique_key"),
					 errhint("Deduplicate in the view's query, e.g. with DISTINCT ON.")));
		validate_citus_options(o);
		if (o->distribution_column != NULL && s->unique_key != NIL &&
			!sqlgen_in_list(s->unique_key, o->distribution_column))
		{
			if (o->materialization == MATERIALIZATION_INCREMENTAL || o->materialization == MATERIALIZATION_SCD2)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("unique_key of %s step \"%s\" must contain its distribution column \"%s\"",
								mat, s->name, o->distribution_column),
						 errdetail("The merge relies on a unique index on the key, and Citus creates unique indexes "
								   "on distributed tables only when they contain the distribution column."),
						 errhint("Add \"%s\" to unique_key, or distribute the target on a column of the key.",
								 o->distribution_column)));
			ereport(WARNING,
					(errmsg("unique_key of step \"%s\" does not contain its distribution column \"%s\"",
							s->name, o->distribution_column),
					 errdetail("Rows with the same key may be on different shards: deduplication then runs "
							   "on the coordinator, which receives every row."),
					 errhint("Distribute the target on a column of the key to deduplicate on the shards.")));
		}
	}
}

/*
 * api_store_dependencies: stores the depends_on dag_rebuild derived for
 * each step of `steps` but `except` (the step the caller writes itself; NULL
 * for none).  Writes a row only where depends_on changed.
 */
void
api_store_dependencies(List *steps, const StepDef *except)
{
	ListCell   *lc;

	foreach(lc, steps)
	{
		StepDef    *o = lfirst(lc);

		if (o != except)
			catalog_set_step_dependencies(o->pipeline, o->name, o->depends_on);
	}
}

PG_FUNCTION_INFO_V1(dataops_add_step);
Datum
dataops_add_step(PG_FUNCTION_ARGS)
{
	PipelineDef *p;
	StepDef    *s = palloc0(sizeof(StepDef));
	char	   *target;
	List	   *steps;
	List	   *reads = NIL;

	args_require(PG_ARGISNULL(0), "pipeline");
	args_require(PG_ARGISNULL(1), "step name");
	args_require(PG_ARGISNULL(2), "layer");
	args_require(PG_ARGISNULL(3), "target");
	args_require(PG_ARGISNULL(8), "options");

	s->pipeline = args_text(fcinfo, 0);
	s->name = args_text(fcinfo, 1);
	s->layer = args_text(fcinfo, 2);
	target = args_text(fcinfo, 3);
	s->query = args_text(fcinfo, 4);
	s->source = args_text(fcinfo, 5);
	s->keep = args_text(fcinfo, 7);
	s->options = PG_GETARG_JSONB_P(8);

	p = args_changing_pipeline(s->pipeline, "change");
	args_check_name("step name", s->name);
	if (catalog_get_step(s->pipeline, s->name, true) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("step \"%s\" of pipeline \"%s\" already exists", s->name, s->pipeline),
				 errhint("Change it with dataops.alter_step(), or drop it with dataops.drop_step().")));
	if (!PG_ARGISNULL(6))
		s->unique_key = api_unique_key(PG_GETARG_ARRAYTYPE_P(6));
	api_check_step(p, s, target);

	s->search_path = pstrdup(namespace_search_path);

	/* dependencies over the whole pipeline, new step included */
	steps = lappend(catalog_get_steps(s->pipeline, false), s);
	dag_rebuild(steps, p->owner);
	if (s->query)
		reads = dag_query_reads(s->query, s->search_path, p->owner, steps);
	catalog_insert_step(s, reads);
	api_store_dependencies(steps, s);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(dataops_add_expectation);
Datum
dataops_add_expectation(PG_FUNCTION_ARGS)
{
	char	   *pipeline;
	char	   *step;
	ExpectationDef e = {0};
	StepDef    *s;

	args_require(PG_ARGISNULL(0), "pipeline");
	args_require(PG_ARGISNULL(1), "step");
	pipeline = args_text(fcinfo, 0);
	step = args_text(fcinfo, 1);
	args_expectation(fcinfo, 2, &e);

	(void) args_changing_pipeline(pipeline, "change");
	expect_validate(&e);
	s = catalog_get_step(pipeline, step, false);
	args_check_drop_allowed(s, &e);
	if (catalog_expectation_exists(pipeline, step, e.name))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("expectation \"%s\" of step \"%s\" already exists", e.name, step)));
	suite_check_expectation_on_step(s, &e);
	catalog_insert_expectation(pipeline, step, &e);
	catalog_check_expectation_names();
	PG_RETURN_VOID();
}

/*
 * dataops.set_pipeline_option(pipeline text, key text, value jsonb) → void:
 * sets a run option of the pipeline (timeout: an interval string, the whole
 * run; retries, retry_delay, step_timeout: defaults for its steps;
 * retry_on_crash: a boolean; issue 12's SLAs sla_freshness, an interval,
 * and sla_deadline, 'HH:MM[:SS] [zone]', and health targets target_mttr,
 * target_mtbf (intervals), target_dq_score, target_sla_compliance (0 to
 * 1)), or removes it when value is NULL.  Setting an SLA starts the
 * database's scheduler if none runs (it evaluates SLAs).  Raises
 * 42704 for an unknown pipeline, 42501 unless the caller has the privileges
 * of its owner, 22023 for an unknown key or a value of the wrong type.
 */
PG_FUNCTION_INFO_V1(dataops_set_pipeline_option);
Datum
dataops_set_pipeline_option(PG_FUNCTION_ARGS)
{
	char	   *pipeline;
	char	   *key;
	Jsonb	   *value = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
	int			i;
	bool		known = false;
	bool		health = false;

	args_require(PG_ARGISNULL(0), "pipeline");
	args_require(PG_ARGISNULL(1), "key");
	pipeline = text_to_cstring(PG_GETARG_TEXT_PP(0));
	key = text_to_cstring(PG_GETARG_TEXT_PP(1));
	(void) args_owned_pipeline(pipeline, "change");
	for (i = 0; i < lengthof(pipeline_run_options); i++)
		if (strcmp(key, pipeline_run_options[i]) == 0)
			known = true;
	for (i = 0; i < lengthof(pipeline_health_options); i++)
		if (strcmp(key, pipeline_health_options[i]) == 0)
			known = health = true;
	if (!known)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown pipeline option \"%s\"", key),
				 errhint("Valid options are timeout, retries, retry_delay, step_timeout, retry_on_crash, sla_freshness, sla_deadline, target_mttr, target_mtbf, target_dq_score and target_sla_compliance.")));
	if (value)
	{
		JsonbValue	v;

		if (!JsonbExtractScalar(&value->root, &v))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("value of option \"%s\" must be a JSON scalar", key)));
		if (v.type == jbvNull)
			value = NULL;
		else if (health)
			validate_health_option(key, &v);
		else
			validate_run_option(key, &v);
	}
	catalog_set_pipeline_option(pipeline, key, value);
	/* an SLA is evaluated by the scheduler: make sure one runs (it then wakes every minute) */
	if (strncmp(key, "sla_", 4) == 0 && value != NULL)
		launcher_want_scheduler();
	PG_RETURN_VOID();
}

/*
 * dataops.add_dependency(pipeline text, upstream text) → void: whenever a
 * run of `upstream` succeeds, a run of `pipeline` is queued (event-driven
 * chaining).  Raises 42704 for an unknown pipeline, 42501 unless the caller
 * has the privileges of both owners, 22023 for a pipeline depending on
 * itself, 42P17 for a cycle.  Adding an existing dependency does nothing.
 */
PG_FUNCTION_INFO_V1(dataops_add_dependency);
Datum
dataops_add_dependency(PG_FUNCTION_ARGS)
{
	char	   *pipeline;
	char	   *upstream;

	args_require(PG_ARGISNULL(0), "pipeline");
	args_require(PG_ARGISNULL(1), "upstream");
	pipeline = text_to_cstring(PG_GETARG_TEXT_PP(0));
	upstream = text_to_cstring(PG_GETARG_TEXT_PP(1));
	(void) args_owned_pipeline(pipeline, "change");
	(void) args_owned_pipeline(upstream, "depend on");
	if (strcmp(pipeline, upstream) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pipeline \"%s\" cannot depend on itself", pipeline)));
	(void) catalog_add_dependency(pipeline, upstream);
	PG_RETURN_VOID();
}

/*
 * dataops.drop_dependency(pipeline text, upstream text) → void.  Raises
 * 42704 when there is no such dependency, 42501 unless the caller has the
 * privileges of the pipeline's owner.
 */
PG_FUNCTION_INFO_V1(dataops_drop_dependency);
Datum
dataops_drop_dependency(PG_FUNCTION_ARGS)
{
	char	   *pipeline;
	char	   *upstream;

	args_require(PG_ARGISNULL(0), "pipeline");
	args_require(PG_ARGISNULL(1), "upstream");
	pipeline = text_to_cstring(PG_GETARG_TEXT_PP(0));
	upstream = text_to_cstring(PG_GETARG_TEXT_PP(1));
	(void) args_owned_pipeline(pipeline, "change");
	if (!catalog_drop_dependency(pipeline, upstream))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("pipeline \"%s\" does not depend on \"%s\"", pipeline, upstream),
				 errhint("See SELECT * FROM dataops.pipeline_dependencies.")));
	PG_RETURN_VOID();
}
