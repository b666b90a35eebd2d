/*
 * expect_def.c: expectation definitions: checks an expectation's kind,
 * action, mostly, column and args when it is added (expect_validate), and
 * checks it against the columns of the rows it checks and the trust of the
 * objects it evaluates (expect_check_types, expect_require_trusted) when it
 * is added, attached, validated and run.  What each kind checks is in the
 * table of kinds (expect.c), which points at the check_* (args), trust_*
 * and types_* functions here.
 *
 * May use: expect.c (the table of kinds, through expect_int.h), catalog
 * (JSON helpers, a suite's owner), dag (parsing), regex, typecheck, trust,
 * dataops.  Not expect_sql.c nor
 * expect_result.c, which use this file.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "compat.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "parser/analyze.h"
#include "parser/parse_coerce.h"
#include "parser/parse_node.h"
#include "parser/parse_oper.h"
#include "parser/parser.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/syscache.h"
#include "utils/regproc.h"
#include "utils/typcache.h"

#include "dag.h"
#include "dataops.h"
#include "expect_def.h"
#include "expect_int.h"
#include "regex.h"
#include "trust.h"
#include "typecheck.h"

/* Great Expectations' argument names and ours. */
static const char *const arg_aliases[][2] = {
	{"min_value", "min"},
	{"max_value", "max"},
	{"value_set", "values"},
	{"regex", "pattern"},
	{"regex_list", "patterns"},
	{"column_list", "columns"},
	{"column_set", "columns"},
	{"strftime_format", "format"},
};

static void
bad_args(const ExpectationDef *e, const char *msg, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid args for expectation \"%s\": %s", e->name, msg),
			 errhint("%s", hint)));
}

/* A string argument: absent (NULL unless required) or a non-empty JSON string. */
static char *
get_string(const ExpectationDef *e, const char *key, bool required, const char *example)
{
	JsonbValue *v = json_get(e->args, key);

	if (v == NULL || v->type == jbvNull)
	{
		if (required)
			bad_args(e, psprintf("args.%s is missing", key), example);
		return NULL;
	}
	if (v->type != jbvString || v->val.string.len == 0)
		bad_args(e, psprintf("args.%s must be a non-empty string", key), example);
	return json_value_text(v);
}

/* A bound: absent, a JSON number, or (when strings are allowed) a string. */
static JsonbValue *
get_bound(const ExpectationDef *e, const char *key, bool allow_string)
{
	JsonbValue *v = json_get(e->args, key);

	if (v == NULL || v->type == jbvNull)
		return NULL;
	if (v->type != jbvNumeric && !(allow_string && v->type == jbvString))
		bad_args(e, psprintf("args.%s must be a %s", key, allow_string ? "number or a string" : "number"),
				 allow_string ? "Example: '{\"min\": 0, \"max\": 100}' or '{\"min\": \"1900-01-01\"}'." :
				 "Example: '{\"min\": 0, \"max\": 100}'.");
	return v;
}

static void
check_bool_arg(const ExpectationDef *e, const char *key)
{
	JsonbValue *v = json_get(e->args, key);

	if (v != NULL && v->type != jbvBool)
		bad_args(e, psprintf("args.%s must be true or false", key), "Example: '{\"min\": 0, \"strict_min\": true}'.");
}

static int
numeric_cmp_values(JsonbValue *a, JsonbValue *b)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(a->val.numeric),
											 NumericGetDatum(b->val.numeric)));
}

static bool
numeric_is_integer(JsonbValue *v)
{
	Numeric		n = v->val.numeric;

	if (numeric_is_nan(n) || numeric_is_inf(n))
		return false;
	return DatumGetBool(DirectFunctionCall2(numeric_eq, NumericGetDatum(n),
											DirectFunctionCall2(numeric_trunc, NumericGetDatum(n),
																Int32GetDatum(0))));
}

/*
 * min/max/strict_min/strict_max of kind ki: min <= max; with `integers`,
 * bounds are whole numbers >= 0; with unit_interval, in [0, 1].
 *
 * Both bounds may be omitted on aggregate and table kinds, whose check is
 * then vacuously true for any observed value, as Great Expectations 1.x's
 * BatchExpectation._validate_metric_value_between (expectation.py: a
 * missing bound is "above_min = True" / "below_max = True"; an observed
 * value of None still fails).  Row-level between and value_lengths_between
 * need one: GE raises "min_value and max_value cannot both be None"
 * (ExpectColumnValuesToBeBetween's check_min_val_or_max_val, the
 * column_values.value_length.between metric).  min > max is refused
 * except for KF_BOUND_EMPTY_OK kinds (value_lengths_between): GE's
 * column_values.value_length.between metric computes (length >= min) &
 * (length <= max) without checking the bounds, so no value passes.
 */
static void
check_bounds(const ExpectationDef *e, const KindInfo *ki, bool allow_string, bool integers, bool unit_interval)
{
	JsonbValue *lo = get_bound(e, "min", allow_string);
	JsonbValue *hi = get_bound(e, "max", allow_string);
	JsonbValue *b[2] = {lo, hi};
	int			i;

	if (lo == NULL && hi == NULL && ki->level == L_ROW)
		bad_args(e, "args.min and args.max are both missing", "Give at least one bound, e.g. '{\"min\": 0}'.");
	for (i = 0; i < 2; i++)
	{
		double		d;

		if (b[i] == NULL || b[i]->type != jbvNumeric)
			continue;
		d = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(b[i]->val.numeric)));
		if (integers && (!numeric_is_integer(b[i]) || d < 0))
			bad_args(e, psprintf("args.%s must be a whole number of at least 0", i ? "max" : "min"),
					 "Example: '{\"min\": 1, \"max\": 1000000}'.");
		if (unit_interval && (d < 0 || d > 1))
			bad_args(e, psprintf("args.%s must be between 0 and 1", i ? "max" : "min"),
					 "A proportion is a fraction, e.g. '{\"min\": 0.9}'.");
	}
	if (lo && hi && lo->type == jbvNumeric && hi->type == jbvNumeric && numeric_cmp_values(lo, hi) > 0 &&
		!(ki->flags & KF_BOUND_EMPTY_OK))
		bad_args(e, "args.min is greater than args.max", "Swap the bounds.");
	check_bool_arg(e, "strict_min");
	check_bool_arg(e, "strict_max");
}

static void
check_array(const ExpectationDef *e, const char *key, const char *example)
{
	JsonbValue *v = json_get(e->args, key);

	if (v == NULL || v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		bad_args(e, psprintf("args.%s must be a JSON array", key), example);
}

/* Parses text as exactly one SQL expression; raises 42601 otherwise. */
static void
validate_expression(const ExpectationDef *e, const char *expr)
{
	List	   *parsed;
	SelectStmt *sel;

	parsed = dag_raw_parse(expr, RAW_PARSE_PLPGSQL_EXPR);
	sel = (SelectStmt *) ((RawStmt *) linitial(parsed))->stmt;
	if (list_length(sel->targetList) != 1 || sel->fromClause || sel->whereClause ||
		sel->groupClause || sel->havingClause || sel->windowClause || sel->sortClause ||
		sel->limitCount || sel->limitOffset || sel->lockingClause || sel->distinctClause ||
		((ResTarget *) linitial(sel->targetList))->name != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("args.expression of expectation \"%s\" must be a single SQL expression", e->name),
				 errhint("Write a boolean condition over the step's columns, e.g. 'score >= 0 AND score <= 100'.")));
}

/*
 * Renames Great Expectations' argument names to ours and refuses keys the
 * kind does not take (a typo would otherwise be silently ignored).
 */
static Jsonb *
normalize_args(const ExpectationDef *e, const KindInfo *ki)
{
	JsonbIterator *it = JsonbIteratorInit(&e->args->root);
	JsonbValue	v;
	JsonbIteratorToken tok;
	JsonbParseState *ps = NULL;
	JsonbValue *res = NULL;
	List	   *seen = NIL;
	char	   *keys = psprintf(" %s result_format meta ", ki->keys);

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			char	   *key = pnstrdup(v.val.string.val, v.val.string.len);
			ListCell   *lc;
			int			i;

			for (i = 0; i < lengthof(arg_aliases); i++)
				if (strcmp(key, arg_aliases[i][0]) == 0)
					key = pstrdup(arg_aliases[i][1]);
			if (strstr(keys, psprintf(" %s ", key)) == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid args for expectation \"%s\": kind %s takes no argument \"%s\"",
								e->name, ki->name, pnstrdup(v.val.string.val, v.val.string.len)),
						 ki->keys[0] ? errhint("Kind %s takes %s and result_format.", ki->name, ki->keys) :
						 errhint("Kind %s takes only result_format.", ki->name)));
			foreach(lc, seen)
				if (strcmp(lfirst(lc), key) == 0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("invalid args for expectation \"%s\": argument \"%s\" is given twice", e->name, key),
							 errhint("Great Expectations' names (such as min_value) are aliases of dataops' (min).")));
			seen = lappend(seen, key);
			v.val.string.val = key;
			v.val.string.len = strlen(key);
		}
		res = pushJsonbValue(&ps, tok, tok < WJB_BEGIN_ARRAY ? &v : NULL);
	}
	return JsonbValueToJsonb(res);
}

/* ---------- Great Expectations' suite parameters ({"$PARAMETER": "name"}) ---------- */

/*
 * GUC dataops.parameters: a JSON object of the values of the suite
 * parameters (Great Expectations 1.x's suite_parameters, 0.x's evaluation
 * parameters) that expectation args name as {"$PARAMETER": "name"}; read
 * when the expectation is checked.
 */
static char *expect_parameters = NULL;

/* The args that may be a parameter: values, never names of columns, types or relations. */
static const char *const parameter_keys[] = {"min", "max", "value", "values", "pattern", "strict_min", "strict_max"};

/*
 * The name of the parameter when v is an object with the key "$PARAMETER"
 * (any object that has it is meant as one), else NULL; "" when its value
 * is not a string (check_parameters refuses it).
 */
static char *
parameter_name(JsonbValue *v)
{
	JsonbValue *p;

	if (v == NULL || v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		return NULL;
	p = getKeyJsonValueFromContainer(v->val.binary.data, "$PARAMETER", strlen("$PARAMETER"), NULL);
	if (p == NULL)
		return NULL;
	return p->type == jbvString ? pnstrdup(p->val.string.val, p->val.string.len) : pstrdup("");
}

static bool
has_parameters(const ExpectationDef *e)
{
	int			i;

	for (i = 0; i < lengthof(parameter_keys); i++)
		if (parameter_name(json_get(e->args, parameter_keys[i])) != NULL)
			return true;
	return false;
}

/*
 * Refuses a "$PARAMETER" object anywhere but as the whole value of one of
 * parameter_keys, with other keys, or without a name of letters, digits,
 * _ . and -.
 */
static void
check_parameters(const ExpectationDef *e)
{
	JsonbIterator *it = JsonbIteratorInit(&e->args->root);
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *name;
		const char *c;
		bool		allowed = false;
		int			i;

		if (tok == WJB_KEY)
			key = pnstrdup(v.val.string.val, v.val.string.len);
		if (tok != WJB_VALUE || (name = parameter_name(&v)) == NULL)
			continue;
		for (i = 0; i < lengthof(parameter_keys); i++)
			allowed |= strcmp(parameter_keys[i], key) == 0;
		if (!allowed)
			bad_args(e, psprintf("args.%s cannot be a parameter", key),
					 "A {\"$PARAMETER\": \"name\"} may give min, max, value, values, pattern, strict_min or strict_max.");
		for (c = name; *c; c++)
			if (!isalnum((unsigned char) *c) && *c != '_' && *c != '.' && *c != '-')
				break;
		if (name[0] == '\0' || *c != '\0' || JsonContainerSize(v.val.binary.data) != 1)
			bad_args(e, psprintf("args.%s is not a valid parameter", key),
					 "Write {\"$PARAMETER\": \"name\"}: one key, a name of letters, digits, _, . and -.");
	}
}

/* The jsonb of text, or NULL when it is not JSON. */
static Jsonb *
parse_parameters(const char *text)
{
	MemoryContext cxt = CurrentMemoryContext;
	Jsonb	   *volatile params = NULL;

	PG_TRY();
	{
		params = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text)));
	}
	PG_CATCH();
	{
		(void) dataops_take_error(cxt);
		params = NULL;
	}
	PG_END_TRY();
	return params;
}

/*
 * e's args with every {"$PARAMETER": "name"} replaced by the value of
 * "name" in the JSON object of dataops.parameters.  A parameter that is not
 * set raises 22023, or, with missing_ok, stays as it is and *complete is
 * set to false.  22023 also when dataops.parameters is not a JSON object.
 */
static Jsonb *
resolve_args(const ExpectationDef *e, bool missing_ok, bool *complete)
{
	Jsonb	   *params = NULL;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	JsonbParseState *ps = NULL;
	JsonbValue *res = NULL;

	if (complete)
		*complete = true;
	if (expect_parameters != NULL && expect_parameters[0] != '\0')
	{
		params = parse_parameters(expect_parameters);
		if (params == NULL || !JB_ROOT_IS_OBJECT(params) || JB_ROOT_IS_SCALAR(params))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("dataops.parameters is not a JSON object"),
					 errdetail("Expectation \"%s\" reads a suite parameter from it.", e->name),
					 errhint("Example: SET dataops.parameters = '{\"min_rows\": 100}'.")));
	}
	it = JsonbIteratorInit(&e->args->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *name = tok == WJB_VALUE ? parameter_name(&v) : NULL;
		JsonbValue *value = NULL;

		if (name != NULL)
		{
			if (params != NULL)
				value = getKeyJsonValueFromContainer(&params->root, name, strlen(name), NULL);
			if (value == NULL && !missing_ok)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("suite parameter \"%s\" of expectation \"%s\" is not set", name, e->name),
						 errdetail("The expectation's args give {\"$PARAMETER\": \"%s\"}, and dataops.parameters has no key \"%s\".",
								   name, name),
						 errhint("Set it for the session (SET dataops.parameters = '{\"%s\": ...}'), or for the role that runs the pipeline (ALTER ROLE ... SET dataops.parameters = ...).",
								 name)));
			if (value == NULL)
				*complete = false;
			else if (parameter_name(value) != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("suite parameter \"%s\" of expectation \"%s\" is itself a parameter", name, e->name),
						 errhint("Give the parameter's value in dataops.parameters.")));
			else
				v = *value;
		}
		res = pushJsonbValue(&ps, tok, tok < WJB_BEGIN_ARRAY ? &v : NULL);
	}
	return JsonbValueToJsonb(res);
}

void
expect_resolve_parameters(List *exps)
{
	ListCell   *lc;

	foreach(lc, exps)
	{
		ExpectationDef *e = lfirst(lc);
		ExpectationDef c;
		MemoryContext old;

		if (!has_parameters(e))
			continue;

		/*
		 * In the definition's own context: callers resolve inside SPI (whose
		 * memory SPI_finish frees) and read the definition afterwards, when
		 * they record its results.
		 */
		old = MemoryContextSwitchTo(GetMemoryChunkContext(e));
		c = *e;
		c.args = resolve_args(e, false, NULL);
		expect_validate(&c);
		*e = c;
		MemoryContextSwitchTo(old);
	}
}

void
expect_define_gucs(void)
{
	DefineCustomStringVariable("dataops.parameters",
							   "Values of the suite parameters expectations name as {\"$PARAMETER\": \"name\"}, as a JSON object.",
							   "Great Expectations' suite (evaluation) parameters; read when an expectation is checked.",
							   &expect_parameters,
							   "",
							   PGC_USERSET, 0,
							   NULL, NULL, NULL);
}

/* ---------- the args of each kind (KindInfo.check_args) ---------- */

/* unique, compound_unique: args.columns, a list of names, unless column_name is given. */
void
check_key_columns_arg(const ExpectationDef *e, const KindInfo *ki)
{
	if (e->column_name == NULL)
		(void) json_string_list(json_get(e->args, "columns"),
								psprintf("args.columns of expectation \"%s\"", e->name));
}

/* match_regex, not_match_regex: args.pattern compiles with args.flags (2201B otherwise). */
void
check_regex_args(const ExpectationDef *e, const KindInfo *ki)
{
	char	   *s;

	JsonbValue *p = json_get(e->args, "pattern");

	s = get_string(e, "flags", false, "Example: '{\"pattern\": \"^[a-z]+$\", \"flags\": \"i\"}'.");

	/*
	 * An empty pattern is valid and matches every value, as in Great
	 * Expectations (Python's re.search("", v) and PostgreSQL's v ~ '' are
	 * true): match_regex is then vacuously true, not_match_regex finds
	 * every non-null value unexpected.
	 */
	if (p != NULL && p->type == jbvString && p->val.string.len == 0)
		return;
	regex_validate(get_string(e, "pattern", true, "Example: '{\"pattern\": \"^[^@]+@[^@]+$\"}'."),
				   s, e->name);
}

/* match_regex_list: every pattern of args.patterns compiles; args.match_on is any or all. */
void
check_regex_list_args(const ExpectationDef *e, const KindInfo *ki)
{
	List	   *pats;
	ListCell   *lc;
	char	   *s;

	s = get_string(e, "flags", false, "Example: '{\"patterns\": [\"^a\", \"^b\"], \"flags\": \"i\"}'.");
	pats = json_string_list(json_get(e->args, "patterns"),
							psprintf("args.patterns of expectation \"%s\"", e->name));
	foreach(lc, pats)
		regex_validate(lfirst(lc), s, e->name);
	s = get_string(e, "match_on", false, "Example: '{\"patterns\": [\"^a\", \"^b\"], \"match_on\": \"all\"}'.");
	if (s && strcmp(s, "any") != 0 && strcmp(s, "all") != 0)
		bad_args(e, "args.match_on must be any or all",
				 "any: a value must match one of the patterns; all: every pattern.");
}

/* The *_between kinds: check_bounds as the kind's KF_BOUND_* flags say. */
void
check_bounds_args(const ExpectationDef *e, const KindInfo *ki)
{
	check_bounds(e, ki, (ki->flags & KF_BOUND_STRINGS) != 0, (ki->flags & KF_BOUND_WHOLE) != 0,
				 (ki->flags & KF_BOUND_UNIT) != 0);
}

/* row_count_equal: args.value, a whole number >= 0. */
void
check_count_value_arg(const ExpectationDef *e, const KindInfo *ki)
{
	JsonbValue *v = json_get(e->args, "value");

	if (v == NULL || v->type != jbvNumeric || !numeric_is_integer(v) ||
		DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric))) < 0)
		bad_args(e, "args.value must be a whole number of at least 0", "Example: '{\"value\": 1000}'.");
}

/*
 * in_set, not_in_set, distinct_values_in_set: args.values, a JSON array, or
 * null: Great Expectations 1.0's ValueSetField (Union[Sequence, set,
 * SuiteParameterDict, None]) takes None as the universal set: the
 * column_values.in_set and column_values.not_in_set metrics return "Vacuously
 * true" for every row, and ExpectColumnDistinctValuesToBeInSet._validate
 * succeeds when the expected set is empty (value_set None or []).
 */
void
check_values_arg(const ExpectationDef *e, const KindInfo *ki)
{
	JsonbValue *v = json_get(e->args, "values");

	if (v != NULL && v->type == jbvNull)
		return;
	check_array(e, "values", "Example: '{\"values\": [\"Male\", \"Female\"]}'.");
}

/* match_strftime_format: args.format. */
void
check_format_arg(const ExpectationDef *e, const KindInfo *ki)
{
	typecheck_validate_format(get_string(e, "format", true, "Example: '{\"format\": \"%Y-%m-%d\"}'."),
							  e->name);
}

/* castable_to: args.type names a type. */
void
check_type_arg(const ExpectationDef *e, const KindInfo *ki)
{
	typecheck_validate_type(get_string(e, "type", true, "Example: '{\"type\": \"integer\"}'."),
							e->name);
}

/* relationships: args.to, a qualified name, and args.field. */
void
check_relationship_args(const ExpectationDef *e, const KindInfo *ki)
{
	char	   *s;

	s = get_string(e, "to", true, "Example: '{\"to\": \"silver.customers\", \"field\": \"customer_id\"}'.");
	(void) compat_qualified_name_list(s);
	(void) get_string(e, "field", true, "Example: '{\"to\": \"silver.customers\", \"field\": \"customer_id\"}'.");
}

/* expression: args.expression, one SQL expression. */
void
check_expression_arg(const ExpectationDef *e, const KindInfo *ki)
{
	validate_expression(e, get_string(e, "expression", true, "Example: '{\"expression\": \"score >= 0\"}'."));
}

/* freshness: args.max_age, an interval. */
void
check_max_age_arg(const ExpectationDef *e, const KindInfo *ki)
{
	MemoryContext cxt = CurrentMemoryContext;
	char	   *s;

	s = get_string(e, "max_age", true, "Example: '{\"max_age\": \"1 day\"}'.");
	PG_TRY();
	{
		(void) DirectFunctionCall3(interval_in, CStringGetDatum(s),
								   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
		bad_args(e, psprintf("args.max_age \"%s\" is not an interval", s),
				 "Example: '{\"max_age\": \"36 hours\"}'.");
	}
	PG_END_TRY();
}

/* columns_match_set: args.columns and args.exact_match. */
void
check_columns_set_args(const ExpectationDef *e, const KindInfo *ki)
{
	check_key_columns_arg(e, ki);
	check_bool_arg(e, "exact_match");
}

void
expect_validate(ExpectationDef *e)
{
	const KindInfo *ki;
	JsonbValue *v;
	char	   *s;

	if (e->name == NULL || e->name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expectation name must not be empty")));
	ki = expect_kind_info(e->kind);
	e->kind = pstrdup(ki->name);

	if (e->action == NULL ||
		(strcmp(e->action, "warn") != 0 && strcmp(e->action, "drop") != 0 && strcmp(e->action, "fail") != 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid action \"%s\" for expectation \"%s\"", e->action ? e->action : "", e->name),
				 errhint("Valid actions are warn, drop and fail.")));
	if (isnan(e->mostly) || e->mostly < 0.0 || e->mostly > 1.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("mostly must be between 0 and 1, got %g", e->mostly),
				 errhint("mostly is the fraction of non-missing rows that must pass, e.g. 0.95.")));
	if (e->args == NULL || !JB_ROOT_IS_OBJECT(e->args))
		bad_args(e, "args must be a JSON object", "Example: '{\"pattern\": \"^[a-z]+$\"}'.");
	if (e->column_name != NULL && e->column_name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("column_name of expectation \"%s\" must not be empty", e->name)));
	e->args = normalize_args(e, ki);
	check_parameters(e);

	/* args.meta: Great Expectations' meta of the expectation, kept as given (dataops.export_ge_suite) */
	v = json_get(e->args, "meta");
	if (v != NULL && (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data)))
		bad_args(e, "args.meta must be a JSON object", "Example: '{\"meta\": {\"notes\": \"from the contract\"}}'.");

	if (ki->level != L_ROW)
	{
		if (strcmp(e->action, "drop") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("expectation \"%s\" of kind %s cannot drop rows", e->name, e->kind),
					 errdetail("It is checked on the rows as a whole."),
					 errhint("Use action warn or fail.")));
		if (e->mostly != 1.0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("expectation \"%s\" of kind %s takes no mostly", e->name, e->kind),
					 errdetail("mostly is the fraction of rows that must pass a row-level check; %s checks one observed value.", e->kind),
					 errhint("Leave mostly at 1.")));
	}

	/*
	 * BOOLEAN_ONLY, Great Expectations' result format that reports success
	 * alone, applies to every kind: its results keep their counts and
	 * observed value but no unexpected values (partial_unexpected_list and
	 * partial_unexpected_counts are NULL; expect_result.c).
	 */
	s = json_value_text(json_get(e->args, "result_format"));
	if (json_get(e->args, "result_format") &&
		(s == NULL || (strcmp(s, "BASIC") != 0 && strcmp(s, "SUMMARY") != 0 && strcmp(s, "COMPLETE") != 0 &&
					   strcmp(s, "BOOLEAN_ONLY") != 0)))
		bad_args(e, "args.result_format must be BOOLEAN_ONLY, BASIC, SUMMARY or COMPLETE",
				 "SUMMARY adds the 20 most frequent unexpected values; COMPLETE also keeps every unexpected row; BOOLEAN_ONLY keeps none.");
	if (s && strcmp(s, "BASIC") != 0 && strcmp(s, "BOOLEAN_ONLY") != 0 && ki->level != L_ROW)
		bad_args(e, psprintf("result_format %s applies to row-level kinds only", s),
				 psprintf("Kind %s reports one observed value; leave result_format at BASIC.", e->kind));

	switch (ki->column)
	{
		case COL_REQUIRED:
			if (e->column_name == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("expectation \"%s\" of kind %s needs a column_name", e->name, e->kind)));
			break;
		case COL_NONE:
		case COL_NONE_COLUMNS:
			if (e->column_name != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("expectation \"%s\" of kind %s takes no column_name", e->name, e->kind),
						 ki->column == COL_NONE_COLUMNS ?
						 errhint("Name the columns in args, e.g. '{\"columns\": [\"a\", \"b\"]}'.") : 0));
			break;
		case COL_OR_COLUMNS:
			v = json_get(e->args, "columns");
			if ((e->column_name == NULL) == (v == NULL))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("expectation \"%s\" of kind unique needs either column_name or args.columns", e->name),
						 errhint("Use column_name for one column, or args '{\"columns\": [\"a\", \"b\"]}' for a compound key.")));
			break;
		case COL_OR_ARG:
			s = get_string(e, "column", false, "Example: '{\"column\": \"updated_at\", \"max_age\": \"1 day\"}'.");
			if ((e->column_name == NULL) == (s == NULL))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("expectation \"%s\" of kind %s needs either column_name or args.column", e->name, e->kind),
						 errhint("Example: column_name => 'updated_at', args => '{\"max_age\": \"1 day\"}'.")));
			if (s)
				e->column_name = s;
			break;
	}

	/*
	 * Args that are suite parameters are checked with their values when
	 * they are set now, and each time the expectation is checked
	 * (expect_resolve_parameters).
	 */
	if (ki->check_args && has_parameters(e))
	{
		ExpectationDef c = *e;
		bool		complete;

		c.args = resolve_args(e, true, &complete);
		if (complete)
			ki->check_args(&c, ki);
		return;
	}
	if (ki->check_args)
		ki->check_args(e, ki);
}

/* ---------- names that checks and generated SQL share (expect_sql.c's head comment) ---------- */

/*
 * The SQL name of type typid with typmod typmod (-1: none), schema-qualified
 * unless it is one of the names the grammar maps to pg_catalog itself
 * (integer, numeric(10,2), character varying(3), timestamp with time zone).
 */
char *
expect_qualified_type(Oid typid, int32 typmod)
{
	return format_type_extended(typid, typmod, FORMAT_TYPE_TYPEMOD_GIVEN | FORMAT_TYPE_FORCE_QUALIFY);
}

/* Namespace of operator opr. */
Oid
expect_operator_namespace(Oid opr)
{
	HeapTuple	tup = SearchSysCache1(OPEROID, ObjectIdGetDatum(opr));
	Oid			nsp;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for operator %u", opr);
	nsp = ((Form_pg_operator) GETSTRUCT(tup))->oprnamespace;
	ReleaseSysCache(tup);
	return nsp;
}

/*
 * The qualified name ("schema", "=") under which a relationships check
 * compares its column, of type ltype, with the parent's key: the schema of
 * ltype's default equality operator (pg_catalog for built-in types), else
 * of ltype itself.  Both the trust check (make_op) and the generated SQL
 * (OPERATOR(schema.=)) resolve "=" among that schema's operators only.
 */
List *
expect_relationship_opname(Oid ltype)
{
	TypeCacheEntry *tc = lookup_type_cache(ltype, TYPECACHE_EQ_OPR);
	Oid			nsp;

	if (OidIsValid(tc->eq_opr))
		nsp = expect_operator_namespace(tc->eq_opr);
	else
	{
		HeapTuple	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(ltype));

		if (!HeapTupleIsValid(tup))
			elog(ERROR, "cache lookup failed for type %u", ltype);
		nsp = ((Form_pg_type) GETSTRUCT(tup))->typnamespace;
		ReleaseSysCache(tup);
	}
	return list_make2(makeString(get_namespace_name(nsp)), makeString("="));
}

/* ---------- checks against the rows' columns ---------- */

static Form_pg_attribute
require_column(const ExpectationDef *e, TupleDesc desc, const char *col)
{
	Form_pg_attribute att = expect_find_column(desc, col);

	if (att == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of expectation \"%s\" is not among the columns checked", col, e->name),
				 errhint("Check the column name against the columns of the step's query or of the relation validated.")));
	return att;
}

/*
 * Checks that a bound or set value of an expectation reads as a value of
 * type typid, so that a bad bound fails naming the expectation.
 */
static void
check_value_fits(const ExpectationDef *e, Oid typid, int32 typmod, const char *key, const char *value)
{
	MemoryContext cxt = CurrentMemoryContext;
	Oid			infunc;
	Oid			ioparam;

	if (value == NULL)
		return;
	getTypeInputInfo(typid, &infunc, &ioparam);
	PG_TRY();
	{
		(void) OidInputFunctionCall(infunc, (char *) value, ioparam, typmod);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		edata = dataops_take_error(cxt);
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s of expectation \"%s\" does not compare with column \"%s\" of type %s",
						key, e->name, e->column_name, format_type_be(typid)),
				 errdetail("%s", edata->message),
				 errhint("Give a bound of the column's type.")));
	}
	PG_END_TRY();
}

/* How errors about the objects an expectation uses name it: expectation "x" [of suite "s"]. */
static char *
expectation_user(const ExpectationDef *e)
{
	if (e->suite)
		return psprintf("expectation \"%s\" of suite \"%s\"", e->name, e->suite);
	return psprintf("expectation \"%s\"", e->name);
}

/* What parent_callback checks: the role that reads args.field of args.to. */
typedef struct ParentLookup
{
	const ExpectationDef *e;
	Oid			role;
} ParentLookup;

/*
 * RangeVarGetRelidExtended's callback for args.to, run before the relation
 * is locked (and again if its name was meanwhile given to another): the
 * role reading it must be allowed to read args.field, so that a role
 * cannot lock (and queue behind or block) a table it may not read.
 */
static void
parent_callback(const RangeVar *rv, Oid relid, Oid oldrelid, void *arg)
{
	ParentLookup *p = arg;

	if (!OidIsValid(relid))
		return;
	trust_require_select(relid, get_attnum(relid, json_value_text(json_get(p->e->args, "field"))),
						 ACLMASK_ANY, p->role, expectation_user(p->e));
}

/*
 * OID of args.to of a relationships expectation, locked (AccessShareLock)
 * once `role` is known to be allowed to read args.field of it (42501
 * otherwise, with no lock taken), 42P01 naming it if absent; or, when
 * `lock` is false, only looked up and checked (no lock), InvalidOid if
 * absent.
 */
Oid
expect_parent_relation(const ExpectationDef *e, Oid role, bool lock)
{
	char	   *to = json_value_text(json_get(e->args, "to"));
	RangeVar   *rv = makeRangeVarFromNameList(compat_qualified_name_list(to));
	ParentLookup p = {e, role};
	Oid			relid;

	if (lock)
		relid = RangeVarGetRelidExtended(rv, AccessShareLock, RVR_MISSING_OK, parent_callback, &p);
	else
	{
		relid = RangeVarGetRelid(rv, NoLock, true);
		parent_callback(rv, relid, InvalidOid, &p);
		return relid;
	}
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s\" of expectation \"%s\" does not exist", to, e->name),
				 errhint("args.to names the table whose args.field the column's values must exist in.")));
	return relid;
}

/* Reports an error in the text analyzed by check_expression_trusted inside it (as SPI does). */
static void
analysis_error_callback(void *arg)
{
	int			pos = geterrposition();

	if (pos > 0)
	{
		errposition(0);
		internalerrposition(pos);
		internalerrquery((const char *) arg);
	}
}

/*
 * The objects args.expression of e uses must be trusted by `role`: first
 * on its raw parse tree (trust_require_raw_expr: no lock and no code of
 * theirs runs before they are trusted), then, when the columns `desc` it
 * is checked on are known, on the analyzed expression (every function,
 * operator and relation it ends up using).
 */
static void
check_expression_trusted(const ExpectationDef *e, TupleDesc desc, Oid role, const char *user)
{
	char	   *expr = json_value_text(json_get(e->args, "expression"));
	List	   *parsed;
	SelectStmt *sel;
	StringInfoData sql;
	int			i;
	bool		first = true;
	Query	   *q;
	ErrorContextCallback errcb;

	parsed = dag_raw_parse(expr, RAW_PARSE_PLPGSQL_EXPR);
	sel = (SelectStmt *) ((RawStmt *) linitial(parsed))->stmt;
	trust_require_raw_expr((Node *) sel->targetList, role, user);
	if (desc == NULL)
		return;

	/* the expression over NULLs of the columns' types, as alias s */
	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT (\n%s\n) FROM (SELECT ", expr);
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped)
			continue;
		appendStringInfo(&sql, "%sCAST(NULL AS %s) AS %s", first ? "" : ", ",
						 expect_qualified_type(att->atttypid, att->atttypmod),
						 quote_identifier(NameStr(att->attname)));
		first = false;
	}
	appendStringInfoString(&sql, ") AS s");

	errcb.callback = analysis_error_callback;
	errcb.arg = sql.data;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;
	parsed = raw_parser(sql.data, RAW_PARSE_DEFAULT);
	q = parse_analyze_fixedparams(linitial(parsed), sql.data, NULL, 0, NULL);
	error_context_stack = errcb.previous;
	trust_require_expr((Node *) ((TargetEntry *) linitial(q->targetList))->expr, role, user);
}

/* ---------- trust of the objects of each kind (KindInfo.check_trust) ---------- */

/* castable_to: args.type (its input function, a domain's CHECK constraints, recursively). */
void
require_trusted_type_arg(const ExpectationDef *e, TupleDesc desc, Oid role, const char *user)
{
	typecheck_require_trusted_type(json_value_text(json_get(e->args, "type")), role, user);
}

/*
 * relationships, without desc: args.to (readable by role) and its field's
 * type, if args.to exists.  With desc, expect_check_types checks the
 * relation once locked (types_relationship).
 */
void
require_trusted_relationship(const ExpectationDef *e, TupleDesc desc, Oid role, const char *user)
{
	Oid			relid;
	AttrNumber	attnum;

	if (desc != NULL)
		return;
	relid = expect_parent_relation(e, role, false);
	if (!OidIsValid(relid))
		return;					/* not yet created (by an upstream step?): each run checks */
	attnum = get_attnum(relid, json_value_text(json_get(e->args, "field")));
	trust_require_relation(relid, role, user);
	if (attnum != InvalidAttrNumber)
		trust_require_type(get_atttype(relid, attnum), role, user);
}

void
expect_require_expression_owner(const char *suite, const char *owner, const ExpectationDef *e, Oid role)
{
	Oid			owner_oid = get_role_oid(owner, true);

	if (OidIsValid(owner_oid) && trust_role_trusts(role, owner_oid))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("suite \"%s\" has an expression expectation (\"%s\") that role \"%s\" may not run",
					suite, e->name, GetUserNameFromId(role, false)),
			 errdetail("An expression runs with the privileges of the role checking the rows, and the suite is owned by role \"%s\".",
					   owner),
			 errhint("Only the suite's owner, roles with its privileges, and any role when a superuser owns the suite may check its expression expectations.")));
}

/* expression: its suite's owner, then what the expression uses (check_expression_trusted). */
void
require_trusted_expression(const ExpectationDef *e, TupleDesc desc, Oid role, const char *user)
{
	if (e->suite)
		expect_require_expression_owner(e->suite, catalog_get_suite_owner(e->suite, false), e, role);
	check_expression_trusted(e, desc, role, user);
}

/*
 * The checks of expect_require_trusted and expect_check_types: with `desc`
 * NULL (the columns are not known), without locking or analyzing anything.
 */
static void
check_trusted(const ExpectationDef *e, TupleDesc desc, Oid role)
{
	const KindInfo *ki = expect_kind_of(e);

	if (ki->check_trust)
		ki->check_trust(e, desc, role, expectation_user(e));
}

void
expect_require_trusted(const ExpectationDef *e, Oid role)
{
	check_trusted(e, NULL, role);
}

void
expect_check_types(const ExpectationDef *e, TupleDesc desc)
{
	const KindInfo *ki = expect_kind_of(e);
	Form_pg_attribute att = NULL;
	ExpectationDef resolved;
	bool		complete = true;

	/* suite parameters: checked with their values when they are set */
	if (has_parameters(e))
	{
		resolved = *e;
		resolved.args = resolve_args(e, true, &complete);
		e = &resolved;
	}
	if (e->column_name)
		att = require_column(e, desc, e->column_name);
	check_trusted(e, desc, GetUserId());
	if (ki->check_types && complete)
		ki->check_types(e, desc, att);
}

/* ---------- each kind against the rows' columns (KindInfo.check_types) ---------- */

/* unique, compound_unique: every key column exists. */
void
types_key_columns(const ExpectationDef *e, TupleDesc desc, Form_pg_attribute att)
{
	ListCell   *lc;

	foreach(lc, expect_key_columns(e))
		(void) require_column(e, desc, lfirst(lc));
}

/*
 * between, min_between, max_between: the bounds read as values of the
 * column's type.  A bound given as a JSON number needs a numeric column
 * (42804 otherwise): it used to be read as text for a text column and
 * compared as text ('2' > '10', so 2..9 fell "outside" 1..10), where Great
 * Expectations compares numbers (pandas raises TypeError comparing str
 * with int; ExpectColumnValuesToBeBetween's min_value and max_value are
 * numbers, or strings/datetimes compared as such).  A string bound keeps
 * comparing as a value of the column's type.
 */
void
types_bounds_fit(const ExpectationDef *e, TupleDesc desc, Form_pg_attribute att)
{
	static const char *const keys[] = {"min", "max"};
	int			i;

	for (i = 0; i < lengthof(keys); i++)
	{
		JsonbValue *v = json_get(e->args, keys[i]);

		if (v != NULL && v->type == jbvNumeric &&
			TypeCategory(getBaseType(att->atttypid)) != TYPCATEGORY_NUMERIC)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("numeric args.%s of expectation \"%s\" does not compare with column \"%s\" of type %s",
							keys[i], e->name, e->column_name, format_type_be(att->atttypid)),
					 errdetail("Compared with values of type %s, the number would compare as one of them (as text, '2' > '10'), not as a number.",
							   format_type_be(att->atttypid)),
					 errhint("Cast the column to a numeric type in the query (e.g. CAST(%s AS numeric)), or give the bound as a string to compare values of the column's type.",
							 quote_identifier(e->column_name))));
	}
	check_value_fits(e, att->atttypid, att->atttypmod, "args.min",
					 json_value_text(json_get(e->args, "min")));
	check_value_fits(e, att->atttypid, att->atttypmod, "args.max",
					 json_value_text(json_get(e->args, "max")));
}

/* mean, sum, median, stdev: a numeric column. */
void
types_numeric_column(const ExpectationDef *e, TupleDesc desc, Form_pg_attribute att)
{
	if (TypeCategory(getBaseType(att->atttypid)) != TYPCATEGORY_NUMERIC)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("expectation \"%s\" of kind %s needs a numeric column, but \"%s\" is of type %s",
						e->name, e->kind, e->column_name, format_type_be(att->atttypid)),
				 errhint("Cast the column to numeric in the step's query.")));
}

/* freshness: a date or timestamp column. */
void
types_date_column(const ExpectationDef *e, TupleDesc desc, Form_pg_attribute att)
{
	Oid			t = getBaseType(att->atttypid);

	if (t != TIMESTAMPTZOID && t != TIMESTAMPOID && t != DATEOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("expectation \"%s\" of kind freshness needs a date or timestamp column, but \"%s\" is of type %s",
						e->name, e->column_name, format_type_be(att->atttypid))));
}

/* in_set, not_in_set, distinct_values_in_set: every non-null value of args.values reads as a value of the column's type. */
void
types_values_fit(const ExpectationDef *e, TupleDesc desc, Form_pg_attribute att)
{
	JsonbValue *values = json_get(e->args, "values");
	Jsonb	   *arr;
	JsonbIterator *it;
	JsonbValue	elem;
	JsonbIteratorToken tok;

	if (values == NULL || values->type == jbvNull)
		return;					/* the universal set (check_values_arg) */
	arr = JsonbValueToJsonb(values);
	it = JsonbIteratorInit(&arr->root);
	while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
		if (tok == WJB_ELEM && elem.type != jbvNull)
			check_value_fits(e, att->atttypid, att->atttypmod, "a value of args.values",
							 json_value_text(&elem));
}

/*
 * relationships: args.to, locked once the current role may read args.field
 * of it, trusted, with that field; its type trusted; the column compares
 * with it, and the comparison's operator and casts are trusted.
 */
void
types_relationship(const ExpectationDef *e, TupleDesc desc, Form_pg_attribute att)
{
	Oid			relid = expect_parent_relation(e, GetUserId(), true);
	char	   *field = json_value_text(json_get(e->args, "field"));
	AttrNumber	attnum = get_attnum(relid, field);
	Oid			ftype;
	int32		ftypmod;
	Oid			fcoll;
	Operator	op;
	List	   *opname;
	ParseState *pstate;
	Expr	   *cmp;

	trust_require_relation(relid, GetUserId(), expectation_user(e));
	if (attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" named by expectation \"%s\" does not exist",
						field, get_rel_name(relid), e->name)));
	get_atttypetypmodcoll(relid, attnum, &ftype, &ftypmod, &fcoll);
	trust_require_type(ftype, GetUserId(), expectation_user(e));
	opname = expect_relationship_opname(att->atttypid);
	op = oper(NULL, opname, att->atttypid, ftype, true, -1);
	if (op == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("column \"%s\" (%s) of expectation \"%s\" does not compare with \"%s\" (%s)",
						e->column_name, format_type_be(att->atttypid), e->name, field,
						format_type_be(ftype)),
				 errhint("Cast the column in the step's query to the type of the parent key.")));
	ReleaseSysCache(op);

	/*
	 * The comparison the check makes (col OPERATOR(s.=) ANY
	 * (SELECT field ...)), with the casts it needs: their
	 * functions run as the reader.
	 */
	pstate = make_parsestate(NULL);
	cmp = make_op(pstate, opname,
				  (Node *) makeNullConst(att->atttypid, att->atttypmod, att->attcollation),
				  (Node *) makeNullConst(ftype, ftypmod, fcoll), pstate->p_last_srf, -1);
	trust_require_expr((Node *) cmp, GetUserId(), expectation_user(e));
	free_parsestate(pstate);
}

/*
 * dataops._expectation_canonical(name text, kind text, column_name text,
 * args jsonb, action text, mostly float8) → jsonb: the expectation as
 * add_expectation would store it, {"kind": canonical kind, "args":
 * normalized args}, so that dataops.apply compares a document's entry
 * written with an alias (a Great Expectations name) or equivalent args with
 * the stored one.  Raises what expect_validate raises (22023 and others)
 * for an expectation add_expectation would refuse.  Writes nothing.
 */
PG_FUNCTION_INFO_V1(dataops_expectation_canonical);
Datum
dataops_expectation_canonical(PG_FUNCTION_ARGS)
{
	ExpectationDef e = {0};
	JsonbParseState *state = NULL;
	JsonbValue	k;
	JsonbValue	v;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(3) || PG_ARGISNULL(4) || PG_ARGISNULL(5))
		PG_RETURN_NULL();
	e.name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	e.kind = text_to_cstring(PG_GETARG_TEXT_PP(1));
	e.column_name = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	e.args = PG_GETARG_JSONB_P(3);
	e.action = text_to_cstring(PG_GETARG_TEXT_PP(4));
	e.mostly = PG_GETARG_FLOAT8(5);
	/* stored with both (column_name copied from args.column): as given, with args.column alone */
	if (e.column_name != NULL)
	{
		JsonbValue *c = json_get(e.args, "column");

		if (c != NULL && c->type == jbvString && strlen(e.column_name) == c->val.string.len &&
			strncmp(e.column_name, c->val.string.val, c->val.string.len) == 0)
			e.column_name = NULL;
	}
	expect_validate(&e);

	(void) pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	k.type = jbvString;
	k.val.string.val = "kind";
	k.val.string.len = 4;
	(void) pushJsonbValue(&state, WJB_KEY, &k);
	v.type = jbvString;
	v.val.string.val = e.kind;
	v.val.string.len = strlen(e.kind);
	(void) pushJsonbValue(&state, WJB_VALUE, &v);
	k.val.string.val = "args";
	(void) pushJsonbValue(&state, WJB_KEY, &k);
	v.type = jbvBinary;
	v.val.binary.data = &e.args->root;
	v.val.binary.len = VARSIZE(e.args) - VARHDRSZ;
	(void) pushJsonbValue(&state, WJB_VALUE, &v);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, NULL)));
}
