/*
 * expect.c: expectations.
 *
 * Counting follows Great Expectations: for a column expectation,
 * element_count = rows checked, missing_count = rows whose column is NULL,
 * and NULLs are neither expected nor unexpected, except for not_null and
 * null, which judge the NULLs themselves.  unexpected_percent = unexpected /
 * (element_count - missing_count) * 100 (/ element_count for not_null, null
 * and expression).  Success = (nonmissing - unexpected) / nonmissing >=
 * mostly; an empty or all-NULL column succeeds.  An expression that
 * evaluates to NULL is unexpected: a check never passes silently on NULL.
 *
 * Aggregate kinds (row counts, mean, min, max, sum, median, stdev, distinct
 * values, freshness) report an observed_value computed over the rows the
 * step publishes; an observed value that is NULL (no non-NULL value) does
 * not satisfy a bound, so it fails, as in Great Expectations.
 * columns_match_set is judged on the rows' columns, without a scan.
 *
 * All row-level expectations of a step become boolean columns of one query
 * and all counts and aggregates come from one aggregate over it (step.c
 * runs it), so ten expectations cost one pass over the rows.
 *
 * Names in the generated SQL.  A step's SQL runs as the pipeline's owner
 * under the search_path captured by add_step, dataops.validate's as its
 * caller under the caller's: either may put a schema another role can
 * write before pg_catalog.  So the SQL generated here looks nothing up on
 * the search_path: functions and aggregates are written pg_catalog.f() (or
 * dataops.f()), types pg_catalog.t (format_type_extended with
 * FORMAT_TYPE_FORCE_QUALIFY; the grammar maps integer, numeric, interval,
 * timestamp with time zone ... to pg_catalog itself), and every operator
 * OPERATOR(schema.op): pg_catalog's for dataops' own values (counts,
 * bounds of numeric aggregates, lengths, ages), and for a column's values
 * the operator of its type's default btree (else hash) operator class with
 * its real schema (publish.h).  IN, NULLIF, IS DISTINCT FROM and CASE x
 * WHEN, which look "=" up on the search_path, are not generated.  What the
 * user wrote (a step's query, args.expression, args.type) keeps the
 * search_path it was written for.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "access/stratnum.h"
#include "catalog/namespace.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
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
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/regproc.h"
#include "utils/typcache.h"

#include "dag.h"
#include "dataops.h"
#include "expect.h"
#include "publish.h"
#include "regex.h"
#include "suite.h"
#include "trust.h"
#include "typecheck.h"

typedef enum Kind
{
	/* row level */
	K_NOT_NULL,
	K_NULL,
	K_UNIQUE,
	K_COMPOUND_UNIQUE,
	K_MATCH_REGEX,
	K_NOT_MATCH_REGEX,
	K_MATCH_REGEX_LIST,
	K_BETWEEN,
	K_IN_SET,
	K_NOT_IN_SET,
	K_VALUE_LENGTHS_BETWEEN,
	K_MATCH_STRFTIME_FORMAT,
	K_CASTABLE_TO,
	K_RELATIONSHIPS,
	K_EXPRESSION,
	/* aggregate */
	K_ROW_COUNT_BETWEEN,
	K_ROW_COUNT_EQUAL,
	K_MEAN_BETWEEN,
	K_MIN_BETWEEN,
	K_MAX_BETWEEN,
	K_SUM_BETWEEN,
	K_MEDIAN_BETWEEN,
	K_STDEV_BETWEEN,
	K_UNIQUE_VALUE_COUNT_BETWEEN,
	K_PROPORTION_OF_UNIQUE_VALUES_BETWEEN,
	K_DISTINCT_VALUES_IN_SET,
	K_FRESHNESS,
	/* schema */
	K_COLUMNS_MATCH_SET
} Kind;

typedef enum Level
{
	L_ROW,						/* counts unexpected rows; may drop */
	L_AGGREGATE,				/* one observed value from an aggregate */
	L_COUNT,					/* the published row count */
	L_SCHEMA					/* the columns, no scan */
} Level;

typedef enum ColumnRule
{
	COL_REQUIRED,
	COL_NONE,
	COL_OR_COLUMNS,				/* column_name or args.columns (unique) */
	COL_OR_ARG					/* column_name or args.column (freshness) */
} ColumnRule;

typedef struct KindInfo
{
	const char *name;
	const char *ge_name;		/* Great Expectations' name, or NULL */
	Kind		kind;
	Level		level;
	ColumnRule	column;
	const char *keys;			/* args keys the kind takes, space separated */
} KindInfo;

static const KindInfo kinds[] = {
	{"not_null", "expect_column_values_to_not_be_null", K_NOT_NULL, L_ROW, COL_REQUIRED, ""},
	{"null", "expect_column_values_to_be_null", K_NULL, L_ROW, COL_REQUIRED, ""},
	{"unique", "expect_column_values_to_be_unique", K_UNIQUE, L_ROW, COL_OR_COLUMNS, "columns"},
	{"compound_unique", "expect_compound_columns_to_be_unique", K_COMPOUND_UNIQUE, L_ROW, COL_NONE, "columns"},
	{"match_regex", "expect_column_values_to_match_regex", K_MATCH_REGEX, L_ROW, COL_REQUIRED, "pattern flags"},
	{"not_match_regex", "expect_column_values_to_not_match_regex", K_NOT_MATCH_REGEX, L_ROW, COL_REQUIRED, "pattern flags"},
	{"match_regex_list", "expect_column_values_to_match_regex_list", K_MATCH_REGEX_LIST, L_ROW, COL_REQUIRED, "patterns match_on flags"},
	{"between", "expect_column_values_to_be_between", K_BETWEEN, L_ROW, COL_REQUIRED, "min max strict_min strict_max"},
	{"in_set", "expect_column_values_to_be_in_set", K_IN_SET, L_ROW, COL_REQUIRED, "values"},
	{"not_in_set", "expect_column_values_to_not_be_in_set", K_NOT_IN_SET, L_ROW, COL_REQUIRED, "values"},
	{"value_lengths_between", "expect_column_value_lengths_to_be_between", K_VALUE_LENGTHS_BETWEEN, L_ROW, COL_REQUIRED, "min max strict_min strict_max"},
	{"match_strftime_format", "expect_column_values_to_match_strftime_format", K_MATCH_STRFTIME_FORMAT, L_ROW, COL_REQUIRED, "format"},
	{"castable_to", NULL, K_CASTABLE_TO, L_ROW, COL_REQUIRED, "type"},
	{"relationships", NULL, K_RELATIONSHIPS, L_ROW, COL_REQUIRED, "to field"},
	{"expression", NULL, K_EXPRESSION, L_ROW, COL_NONE, "expression"},
	{"row_count_between", "expect_table_row_count_to_be_between", K_ROW_COUNT_BETWEEN, L_COUNT, COL_NONE, "min max strict_min strict_max"},
	{"row_count_equal", "expect_table_row_count_to_equal", K_ROW_COUNT_EQUAL, L_COUNT, COL_NONE, "value"},
	{"mean_between", "expect_column_mean_to_be_between", K_MEAN_BETWEEN, L_AGGREGATE, COL_REQUIRED, "min max strict_min strict_max"},
	{"min_between", "expect_column_min_to_be_between", K_MIN_BETWEEN, L_AGGREGATE, COL_REQUIRED, "min max strict_min strict_max"},
	{"max_between", "expect_column_max_to_be_between", K_MAX_BETWEEN, L_AGGREGATE, COL_REQUIRED, "min max strict_min strict_max"},
	{"sum_between", "expect_column_sum_to_be_between", K_SUM_BETWEEN, L_AGGREGATE, COL_REQUIRED, "min max strict_min strict_max"},
	{"median_between", "expect_column_median_to_be_between", K_MEDIAN_BETWEEN, L_AGGREGATE, COL_REQUIRED, "min max strict_min strict_max"},
	{"stdev_between", "expect_column_stdev_to_be_between", K_STDEV_BETWEEN, L_AGGREGATE, COL_REQUIRED, "min max strict_min strict_max"},
	{"unique_value_count_between", "expect_column_unique_value_count_to_be_between", K_UNIQUE_VALUE_COUNT_BETWEEN, L_AGGREGATE, COL_REQUIRED, "min max strict_min strict_max"},
	{"proportion_of_unique_values_between", "expect_column_proportion_of_unique_values_to_be_between", K_PROPORTION_OF_UNIQUE_VALUES_BETWEEN, L_AGGREGATE, COL_REQUIRED, "min max strict_min strict_max"},
	{"distinct_values_in_set", "expect_column_distinct_values_to_be_in_set", K_DISTINCT_VALUES_IN_SET, L_AGGREGATE, COL_REQUIRED, "values"},
	{"freshness", NULL, K_FRESHNESS, L_AGGREGATE, COL_OR_ARG, "column max_age"},
	{"columns_match_set", "expect_table_columns_to_match_set", K_COLUMNS_MATCH_SET, L_SCHEMA, COL_NONE, "columns exact_match"},
};

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

static const KindInfo *
kind_info(const char *name)
{
	int			i;
	StringInfoData valid;

	for (i = 0; i < lengthof(kinds); i++)
		if (strcmp(kinds[i].name, name) == 0 ||
			(kinds[i].ge_name && strcmp(kinds[i].ge_name, name) == 0))
			return &kinds[i];
	initStringInfo(&valid);
	for (i = 0; i < lengthof(kinds); i++)
		appendStringInfo(&valid, "%s%s", i ? ", " : "", kinds[i].name);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown expectation kind \"%s\"", name),
			 errhint("Valid kinds are %s (or their Great Expectations names, such as expect_column_values_to_not_be_null).",
					 valid.data)));
	return NULL;				/* keep compiler quiet */
}

static Kind
kind_of(const ExpectationDef *e)
{
	return kind_info(e->kind)->kind;
}

int
sql_param(SqlParams *p, Oid type, Datum value)
{
	if (p->n >= lengthof(p->types))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many expectation arguments in one step"),
				 errhint("Split the expectations across suites of fewer steps, or use fewer set values.")));
	p->types[p->n] = type;
	p->values[p->n] = value;
	return ++p->n;
}

static int
text_param(SqlParams *p, const char *s)
{
	return sql_param(p, TEXTOID, CStringGetTextDatum(s));
}

bool
expect_is_row_level(const ExpectationDef *e)
{
	return kind_info(e->kind)->level == L_ROW;
}

static void
bad_args(const ExpectationDef *e, const char *msg, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid args for expectation \"%s\": %s", e->name, msg),
			 errhint("%s", hint)));
}

static const char *
result_format(const ExpectationDef *e)
{
	char	   *f = json_value_text(json_get(e->args, "result_format"));

	return f ? f : "BASIC";
}

const char *
expect_result_format(const ExpectationDef *e)
{
	return result_format(e);
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

static bool
get_bool(const ExpectationDef *e, const char *key, bool dflt)
{
	JsonbValue *v = json_get(e->args, key);

	return (v && v->type == jbvBool) ? v->val.boolean : dflt;
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
 * min/max/strict_min/strict_max: at least one bound; min <= max; with
 * `integers`, bounds are whole numbers >= 0; with unit_interval, in [0, 1].
 */
static void
check_bounds(const ExpectationDef *e, bool allow_string, bool integers, bool unit_interval)
{
	JsonbValue *lo = get_bound(e, "min", allow_string);
	JsonbValue *hi = get_bound(e, "max", allow_string);
	JsonbValue *b[2] = {lo, hi};
	int			i;

	if (lo == NULL && hi == NULL)
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
	if (lo && hi && lo->type == jbvNumeric && hi->type == jbvNumeric && numeric_cmp_values(lo, hi) > 0)
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
	char	   *keys = psprintf(" %s result_format ", ki->keys);

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

void
expect_validate(ExpectationDef *e)
{
	const KindInfo *ki;
	Kind		k;
	JsonbValue *v;
	char	   *s;

	if (e->name == NULL || e->name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expectation name must not be empty")));
	ki = kind_info(e->kind);
	k = ki->kind;
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

	s = json_value_text(json_get(e->args, "result_format"));
	if (json_get(e->args, "result_format") &&
		(s == NULL || (strcmp(s, "BASIC") != 0 && strcmp(s, "SUMMARY") != 0 && strcmp(s, "COMPLETE") != 0)))
		bad_args(e, "args.result_format must be BASIC, SUMMARY or COMPLETE",
				 "SUMMARY adds the 20 most frequent unexpected values; COMPLETE also keeps every unexpected row.");
	if (s && strcmp(s, "BASIC") != 0 && ki->level != L_ROW)
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
			if (e->column_name != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("expectation \"%s\" of kind %s takes no column_name", e->name, e->kind),
						 k == K_COMPOUND_UNIQUE || k == K_COLUMNS_MATCH_SET ?
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

	switch (k)
	{
		case K_NOT_NULL:
		case K_NULL:
			break;
		case K_UNIQUE:
		case K_COMPOUND_UNIQUE:
			if (e->column_name == NULL)
				(void) json_string_list(json_get(e->args, "columns"),
										psprintf("args.columns of expectation \"%s\"", e->name));
			break;
		case K_MATCH_REGEX:
		case K_NOT_MATCH_REGEX:
			s = get_string(e, "flags", false, "Example: '{\"pattern\": \"^[a-z]+$\", \"flags\": \"i\"}'.");
			regex_validate(get_string(e, "pattern", true, "Example: '{\"pattern\": \"^[^@]+@[^@]+$\"}'."),
						   s, e->name);
			break;
		case K_MATCH_REGEX_LIST:
			{
				List	   *pats;
				ListCell   *lc;

				s = get_string(e, "flags", false, "Example: '{\"patterns\": [\"^a\", \"^b\"], \"flags\": \"i\"}'.");
				pats = json_string_list(json_get(e->args, "patterns"),
										psprintf("args.patterns of expectation \"%s\"", e->name));
				foreach(lc, pats)
					regex_validate(lfirst(lc), s, e->name);
				s = get_string(e, "match_on", false, "Example: '{\"patterns\": [\"^a\", \"^b\"], \"match_on\": \"all\"}'.");
				if (s && strcmp(s, "any") != 0 && strcmp(s, "all") != 0)
					bad_args(e, "args.match_on must be any or all",
							 "any: a value must match one of the patterns; all: every pattern.");
				break;
			}
		case K_BETWEEN:
		case K_MIN_BETWEEN:
		case K_MAX_BETWEEN:
			check_bounds(e, true, false, false);
			break;
		case K_MEAN_BETWEEN:
		case K_SUM_BETWEEN:
		case K_MEDIAN_BETWEEN:
		case K_STDEV_BETWEEN:
			check_bounds(e, false, false, false);
			break;
		case K_VALUE_LENGTHS_BETWEEN:
		case K_ROW_COUNT_BETWEEN:
		case K_UNIQUE_VALUE_COUNT_BETWEEN:
			check_bounds(e, false, true, false);
			break;
		case K_PROPORTION_OF_UNIQUE_VALUES_BETWEEN:
			check_bounds(e, false, false, true);
			break;
		case K_ROW_COUNT_EQUAL:
			v = json_get(e->args, "value");
			if (v == NULL || v->type != jbvNumeric || !numeric_is_integer(v) ||
				DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric))) < 0)
				bad_args(e, "args.value must be a whole number of at least 0", "Example: '{\"value\": 1000}'.");
			break;
		case K_IN_SET:
		case K_NOT_IN_SET:
		case K_DISTINCT_VALUES_IN_SET:
			check_array(e, "values", "Example: '{\"values\": [\"Male\", \"Female\"]}'.");
			break;
		case K_MATCH_STRFTIME_FORMAT:
			typecheck_validate_format(get_string(e, "format", true, "Example: '{\"format\": \"%Y-%m-%d\"}'."),
									  e->name);
			break;
		case K_CASTABLE_TO:
			typecheck_validate_type(get_string(e, "type", true, "Example: '{\"type\": \"integer\"}'."),
									e->name);
			break;
		case K_RELATIONSHIPS:
			s = get_string(e, "to", true, "Example: '{\"to\": \"silver.customers\", \"field\": \"customer_id\"}'.");
			(void) compat_qualified_name_list(s);
			(void) get_string(e, "field", true, "Example: '{\"to\": \"silver.customers\", \"field\": \"customer_id\"}'.");
			break;
		case K_EXPRESSION:
			validate_expression(e, get_string(e, "expression", true, "Example: '{\"expression\": \"score >= 0\"}'."));
			break;
		case K_FRESHNESS:
			{
				MemoryContext cxt = CurrentMemoryContext;

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
				break;
			}
		case K_COLUMNS_MATCH_SET:
			(void) json_string_list(json_get(e->args, "columns"),
									psprintf("args.columns of expectation \"%s\"", e->name));
			check_bool_arg(e, "exact_match");
			break;
	}
}

/* ---------- names in generated SQL (see the head comment) ---------- */

/*
 * The SQL name of type typid with typmod typmod (-1: none), schema-qualified
 * unless it is one of the names the grammar maps to pg_catalog itself
 * (integer, numeric(10,2), character varying(3), timestamp with time zone).
 */
static char *
qualified_type(Oid typid, int32 typmod)
{
	return format_type_extended(typid, typmod, FORMAT_TYPE_TYPEMOD_GIVEN | FORMAT_TYPE_FORCE_QUALIFY);
}

/* Namespace of operator opr. */
static Oid
operator_namespace(Oid opr)
{
	HeapTuple	tup = SearchSysCache1(OPEROID, ObjectIdGetDatum(opr));
	Oid			nsp;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for operator %u", opr);
	nsp = ((Form_pg_operator) GETSTRUCT(tup))->oprnamespace;
	ReleaseSysCache(tup);
	return nsp;
}

/* "OPERATOR(schema.name)" for operator opr, the schema quoted. */
static char *
operator_sql(Oid opr)
{
	return psprintf("OPERATOR(%s.%s)", quote_identifier(get_namespace_name(operator_namespace(opr))),
					get_opname(opr));
}

/*
 * "OPERATOR(schema.op)" comparing two values of type typid (column names the
 * column in errors): the member of the type's default btree operator class
 * for btree strategy `strategy` (BTLessStrategyNumber ..
 * BTGreaterStrategyNumber); for equality, else its hash class's (publish.h),
 * else the "=" (typid, typid) of the type's own schema (box, lseg: types
 * with an equality but no operator class).  Raises 42883 when there is none.
 */
static char *
type_operator(Oid typid, int16 strategy, const char *column)
{
	TypeCacheEntry *tc;
	Oid			opr = InvalidOid;

	switch (strategy)
	{
		case BTEqualStrategyNumber:
			tc = lookup_type_cache(typid, TYPECACHE_EQ_OPR);
			if (!OidIsValid(tc->eq_opr))
			{
				HeapTuple	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));

				if (HeapTupleIsValid(tup))
				{
					char	   *nsp = get_namespace_name(((Form_pg_type) GETSTRUCT(tup))->typnamespace);

					ReleaseSysCache(tup);
					opr = OpernameGetOprid(list_make2(makeString(nsp), makeString("=")), typid, typid);
					if (OidIsValid(opr))
						return operator_sql(opr);
				}
			}
			return publish_operator(typid, TYPECACHE_EQ_OPR, column);
		case BTLessStrategyNumber:
			return publish_operator(typid, TYPECACHE_LT_OPR, column);
		case BTGreaterStrategyNumber:
			return publish_operator(typid, TYPECACHE_GT_OPR, column);
		default:
			tc = lookup_type_cache(typid, TYPECACHE_BTREE_OPFAMILY);
			if (OidIsValid(tc->btree_opf))
				opr = get_opfamily_member(tc->btree_opf, tc->btree_opintype, tc->btree_opintype, strategy);
			if (!OidIsValid(opr))
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_FUNCTION),
						 errmsg("column \"%s\" has type %s, which has no default ordering operator",
								column, format_type_be(typid)),
						 errhint("Use a column whose type has a default btree operator class, or cast it in the query.")));
			return operator_sql(opr);
	}
}

/*
 * The qualified name ("schema", "=") under which a relationships check
 * compares its column, of type ltype, with the parent's key: the schema of
 * ltype's default equality operator (pg_catalog for built-in types), else
 * of ltype itself.  Both the trust check (make_op) and the generated SQL
 * (OPERATOR(schema.=)) resolve "=" among that schema's operators only.
 */
static List *
relationship_opname(Oid ltype)
{
	TypeCacheEntry *tc = lookup_type_cache(ltype, TYPECACHE_EQ_OPR);
	Oid			nsp;

	if (OidIsValid(tc->eq_opr))
		nsp = operator_namespace(tc->eq_opr);
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

/* "OPERATOR(schema.=)" from relationship_opname. */
static char *
relationship_operator(Oid ltype)
{
	List	   *name = relationship_opname(ltype);

	return psprintf("OPERATOR(%s.=)", quote_identifier(strVal(linitial(name))));
}

/* ---------- checks against the rows' columns ---------- */

static Form_pg_attribute
find_column(TupleDesc desc, const char *col)
{
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), col) == 0)
			return att;
	}
	return NULL;
}

static Form_pg_attribute
require_column(const ExpectationDef *e, TupleDesc desc, const char *col)
{
	Form_pg_attribute att = find_column(desc, col);

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

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s of expectation \"%s\" does not compare with column \"%s\" of type %s",
						key, e->name, e->column_name, format_type_be(typid)),
				 errdetail("%s", edata->message),
				 errhint("Give a bound of the column's type.")));
	}
	PG_END_TRY();
}

static List *
key_columns(const ExpectationDef *e)
{
	if (e->column_name)
		return list_make1(e->column_name);
	return json_string_list(json_get(e->args, "columns"), "args.columns");
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
static Oid
parent_relation(const ExpectationDef *e, Oid role, bool lock)
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
						 qualified_type(att->atttypid, att->atttypmod),
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

/*
 * The checks of expect_require_trusted and expect_check_types: with `desc`
 * NULL (the columns are not known), without locking or analyzing anything.
 */
static void
check_trusted(const ExpectationDef *e, TupleDesc desc, Oid role)
{
	char	   *user = expectation_user(e);

	switch (kind_of(e))
	{
		case K_CASTABLE_TO:
			typecheck_require_trusted_type(json_value_text(json_get(e->args, "type")), role, user);
			break;
		case K_RELATIONSHIPS:
			if (desc == NULL)
			{
				Oid			relid = parent_relation(e, role, false);
				AttrNumber	attnum;

				if (!OidIsValid(relid))
					break;		/* not yet created (by an upstream step?): each run checks */
				attnum = get_attnum(relid, json_value_text(json_get(e->args, "field")));
				trust_require_relation(relid, role, user);
				if (attnum != InvalidAttrNumber)
					trust_require_type(get_atttype(relid, attnum), role, user);
			}
			/* with desc: expect_check_types checks the relation once locked */
			break;
		case K_EXPRESSION:
			if (e->suite)
				suite_require_expression_owner(e, role);
			check_expression_trusted(e, desc, role, user);
			break;
		default:
			break;
	}
}

void
expect_require_trusted(const ExpectationDef *e, Oid role)
{
	check_trusted(e, NULL, role);
}

void
expect_check_types(const ExpectationDef *e, TupleDesc desc)
{
	Kind		k = kind_of(e);
	Form_pg_attribute att = NULL;
	ListCell   *lc;

	if (e->column_name)
		att = require_column(e, desc, e->column_name);
	check_trusted(e, desc, GetUserId());
	switch (k)
	{
		case K_UNIQUE:
		case K_COMPOUND_UNIQUE:
			foreach(lc, key_columns(e))
				(void) require_column(e, desc, lfirst(lc));
			break;
		case K_BETWEEN:
		case K_MIN_BETWEEN:
		case K_MAX_BETWEEN:
			check_value_fits(e, att->atttypid, att->atttypmod, "args.min",
							 json_value_text(json_get(e->args, "min")));
			check_value_fits(e, att->atttypid, att->atttypmod, "args.max",
							 json_value_text(json_get(e->args, "max")));
			break;
		case K_MEAN_BETWEEN:
		case K_SUM_BETWEEN:
		case K_MEDIAN_BETWEEN:
		case K_STDEV_BETWEEN:
			if (TypeCategory(getBaseType(att->atttypid)) != TYPCATEGORY_NUMERIC)
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("expectation \"%s\" of kind %s needs a numeric column, but \"%s\" is of type %s",
								e->name, e->kind, e->column_name, format_type_be(att->atttypid)),
						 errhint("Cast the column to numeric in the step's query.")));
			break;
		case K_FRESHNESS:
			{
				Oid			t = getBaseType(att->atttypid);

				if (t != TIMESTAMPTZOID && t != TIMESTAMPOID && t != DATEOID)
					ereport(ERROR,
							(errcode(ERRCODE_DATATYPE_MISMATCH),
							 errmsg("expectation \"%s\" of kind freshness needs a date or timestamp column, but \"%s\" is of type %s",
									e->name, e->column_name, format_type_be(att->atttypid))));
				break;
			}
		case K_IN_SET:
		case K_NOT_IN_SET:
		case K_DISTINCT_VALUES_IN_SET:
			{
				Jsonb	   *arr = JsonbValueToJsonb(json_get(e->args, "values"));
				JsonbIterator *it = JsonbIteratorInit(&arr->root);
				JsonbValue	elem;
				JsonbIteratorToken tok;

				while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
					if (tok == WJB_ELEM && elem.type != jbvNull)
						check_value_fits(e, att->atttypid, att->atttypmod, "a value of args.values",
										 json_value_text(&elem));
				break;
			}
		case K_RELATIONSHIPS:
			{
				Oid			relid = parent_relation(e, GetUserId(), true);
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
				opname = relationship_opname(att->atttypid);
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
				break;
			}
		default:
			break;
	}
}

/* ---------- SQL generation ---------- */

List *
expect_missing_columns(const ExpectationDef *e)
{
	Kind		k = kind_of(e);

	if (!expect_is_row_level(e) || k == K_NOT_NULL || k == K_NULL || k == K_EXPRESSION)
		return NIL;
	return key_columns(e);
}

/* SQL condition: the row's checked value is missing (NULL), or NULL if the kind judges NULLs itself. */
static char *
missing_condition(const ExpectationDef *e, Kind k)
{
	StringInfoData s;
	ListCell   *lc;

	if (k == K_NOT_NULL || k == K_NULL || k == K_EXPRESSION)
		return NULL;
	initStringInfo(&s);
	foreach(lc, key_columns(e))
		appendStringInfo(&s, "%s%s IS NULL", s.len ? " AND " : "", quote_identifier(lfirst(lc)));
	return s.data;
}

/*
 * "expr >= CAST($n AS type) AND expr <= CAST($m AS type)" from
 * min/max/strict_*, for expr of type typid (typmod: the bounds'), with the
 * type's btree operators, qualified (column names it in errors).
 */
static char *
bound_condition(const ExpectationDef *e, const char *expr, Oid typid, int32 typmod, const char *column,
				SqlParams *params)
{
	char	   *lo = json_value_text(json_get(e->args, "min"));
	char	   *hi = json_value_text(json_get(e->args, "max"));
	char	   *type = qualified_type(typid, typmod);
	StringInfoData cond;

	initStringInfo(&cond);
	if (lo)
		appendStringInfo(&cond, "%s %s CAST($%d AS %s)", expr,
						 type_operator(typid, get_bool(e, "strict_min", false) ?
									   BTGreaterStrategyNumber : BTGreaterEqualStrategyNumber, column),
						 text_param(params, lo), type);
	if (hi)
		appendStringInfo(&cond, "%s%s %s CAST($%d AS %s)", lo ? " AND " : "", expr,
						 type_operator(typid, get_bool(e, "strict_max", false) ?
									   BTLessStrategyNumber : BTLessEqualStrategyNumber, column),
						 text_param(params, hi), type);
	return cond.data;
}

/* "SELECT CAST(v AS type) FROM pg_catalog.jsonb_array_elements_text($n) v" for args.values. */
static char *
set_subquery(const ExpectationDef *e, Form_pg_attribute att, SqlParams *params)
{
	return psprintf("SELECT CAST(" DATAOPS_INTERNAL_PREFIX "set.value AS %s) FROM pg_catalog.jsonb_array_elements_text($%d) AS " DATAOPS_INTERNAL_PREFIX "set(value)",
					qualified_type(att->atttypid, att->atttypmod),
					sql_param(params, JSONBOID, JsonbPGetDatum(JsonbValueToJsonb(json_get(e->args, "values")))));
}

/*
 * args.values as one array parameter of the column's type, so that the set
 * test is "= ANY($n)" on a constant array, which PostgreSQL hashes; -1 when
 * the type has no array type.
 */
static int
set_array_param(const ExpectationDef *e, Form_pg_attribute att, SqlParams *params)
{
	JsonbValue *values = json_get(e->args, "values");
	Jsonb	   *jb = JsonbValueToJsonb(values);
	Oid			arraytype = get_array_type(att->atttypid);
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	Oid			infunc;
	Oid			ioparam;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *elems;
	bool	   *nulls;
	int			n = 0;
	int			dims[1];
	int			lbs[1] = {1};

	if (!OidIsValid(arraytype))
		return -1;
	getTypeInputInfo(att->atttypid, &infunc, &ioparam);
	get_typlenbyvalalign(att->atttypid, &typlen, &typbyval, &typalign);
	elems = palloc(sizeof(Datum) * Max(JB_ROOT_COUNT(jb), 1));
	nulls = palloc(sizeof(bool) * Max(JB_ROOT_COUNT(jb), 1));
	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		nulls[n] = v.type == jbvNull;
		elems[n] = nulls[n] ? (Datum) 0 :
			OidInputFunctionCall(infunc, json_value_text(&v), ioparam, att->atttypmod);
		n++;
	}
	dims[0] = n;
	return sql_param(params, arraytype,
					 PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs, att->atttypid,
														typlen, typbyval, typalign)));
}

static char *
regex_call(const ExpectationDef *e, const char *col, const char *pattern, SqlParams *params)
{
	char	   *flags = json_value_text(json_get(e->args, "flags"));

	return psprintf("dataops._expect_regex(CAST(%s AS pg_catalog.text), $%d, $%d, $%d)", col,
					text_param(params, pattern), text_param(params, flags ? flags : ""),
					text_param(params, e->name));
}

void
expect_sql_flags(List *exps, TupleDesc desc, const char *live, SqlParams *params, StringInfo sql)
{
	ListCell   *lc;
	int			idx = 0;

	foreach(lc, exps)
	{
		ExpectationDef *e = lfirst(lc);
		Kind		k = kind_of(e);
		const char *col = e->column_name ? quote_identifier(e->column_name) : NULL;
		Form_pg_attribute att = NULL;

		idx++;
		expect_check_types(e, desc);
		if (!expect_is_row_level(e))
			continue;
		if (e->column_name)
			att = find_column(desc, e->column_name);
		appendStringInfoString(sql, ",\n  ");
		switch (k)
		{
			case K_NOT_NULL:
				appendStringInfo(sql, "(%s IS NULL)", col);
				break;
			case K_NULL:
				appendStringInfo(sql, "(%s IS NOT NULL)", col);
				break;
			case K_UNIQUE:
			case K_COMPOUND_UNIQUE:
				{
					StringInfoData part;
					ListCell   *c;

					initStringInfo(&part);
					foreach(c, key_columns(e))
						appendStringInfo(&part, "%s%s", part.len ? ", " : "", quote_identifier(lfirst(c)));
					appendStringInfo(sql, "(NOT (%s) AND pg_catalog.count(*) FILTER (WHERE %s) OVER (PARTITION BY %s) OPERATOR(pg_catalog.>) 1)",
									 missing_condition(e, k), live, part.data);
					break;
				}
			case K_MATCH_REGEX:
			case K_NOT_MATCH_REGEX:
				appendStringInfo(sql, "(%s IS NOT NULL AND %s%s)", col, k == K_MATCH_REGEX ? "NOT " : "",
								 regex_call(e, col, json_value_text(json_get(e->args, "pattern")), params));
				break;
			case K_MATCH_REGEX_LIST:
				{
					char	   *on = json_value_text(json_get(e->args, "match_on"));
					bool		all = on && strcmp(on, "all") == 0;
					ListCell   *c;
					bool		first = true;

					appendStringInfo(sql, "(%s IS NOT NULL AND NOT (", col);
					foreach(c, json_string_list(json_get(e->args, "patterns"), "args.patterns"))
					{
						appendStringInfo(sql, "%s%s", first ? "" : (all ? " AND " : " OR "),
										 regex_call(e, col, lfirst(c), params));
						first = false;
					}
					appendStringInfoString(sql, "))");
					break;
				}
			case K_BETWEEN:
				appendStringInfo(sql, "(%s IS NOT NULL AND (%s) IS NOT TRUE)", col,
								 bound_condition(e, col, att->atttypid, att->atttypmod, e->column_name, params));
				break;
			case K_VALUE_LENGTHS_BETWEEN:
				{
					/* one range test, so that the length is computed once */
					char	   *lo = json_value_text(json_get(e->args, "min"));
					char	   *hi = json_value_text(json_get(e->args, "max"));

					appendStringInfo(sql,
									 "(%s IS NOT NULL AND NOT (pg_catalog.int4range(%s, %s, '%c%c') OPERATOR(pg_catalog.@>) "
									 "pg_catalog.char_length(CAST(%s AS pg_catalog.text))))",
									 col,
									 lo ? psprintf("CAST($%d AS integer)", text_param(params, lo)) : "NULL",
									 hi ? psprintf("CAST($%d AS integer)", text_param(params, hi)) : "NULL",
									 get_bool(e, "strict_min", false) ? '(' : '[',
									 get_bool(e, "strict_max", false) ? ')' : ']', col);
					break;
				}
			case K_IN_SET:
			case K_NOT_IN_SET:
				{
					int			n = set_array_param(e, att, params);
					char	   *eq = type_operator(att->atttypid, BTEqualStrategyNumber, e->column_name);

					if (n > 0)
						appendStringInfo(sql, "(%s IS NOT NULL AND (%s %s ANY($%d)) IS %s TRUE)", col, col, eq,
										 n, k == K_IN_SET ? "NOT" : "");
					else
						appendStringInfo(sql, "(%s IS NOT NULL AND (%s %s ANY (%s)) IS %s TRUE)", col, col, eq,
										 set_subquery(e, att, params), k == K_IN_SET ? "NOT" : "");
					break;
				}
			case K_MATCH_STRFTIME_FORMAT:
				appendStringInfo(sql, "(%s IS NOT NULL AND NOT dataops.matches_strftime(CAST(%s AS pg_catalog.text), $%d))",
								 col, col, text_param(params, json_value_text(json_get(e->args, "format"))));
				break;
			case K_CASTABLE_TO:
				appendStringInfo(sql, "(%s IS NOT NULL AND NOT dataops.input_is_valid(CAST(%s AS pg_catalog.text), $%d))",
								 col, col, text_param(params, json_value_text(json_get(e->args, "type"))));
				break;
			case K_RELATIONSHIPS:
				{
					Oid			relid = parent_relation(e, GetUserId(), true);

					appendStringInfo(sql, "(%s IS NOT NULL AND (%s %s ANY (SELECT %s FROM %s)) IS NOT TRUE)", col, col,
									 relationship_operator(att->atttypid),
									 quote_identifier(json_value_text(json_get(e->args, "field"))),
									 dataops_qualified_name(get_namespace_name(get_rel_namespace(relid)),
															get_rel_name(relid)));
					break;
				}
			case K_EXPRESSION:
				appendStringInfo(sql, "((\n%s\n) IS NOT TRUE)",
								 json_value_text(json_get(e->args, "expression")));
				break;
			default:
				break;
		}
		appendStringInfo(sql, " AS %s", quote_identifier(psprintf(DATAOPS_INTERNAL_PREFIX "u%d", idx)));
	}
}

char *
expect_sql_dropped(List *exps)
{
	StringInfoData s;
	ListCell   *lc;
	int			idx = 0;

	initStringInfo(&s);
	foreach(lc, exps)
	{
		ExpectationDef *e = lfirst(lc);

		idx++;
		if (strcmp(e->action, "drop") == 0 && expect_is_row_level(e))
			appendStringInfo(&s, "%s%su%d", s.len ? " OR " : "", DATAOPS_INTERNAL_PREFIX, idx);
	}
	return s.len ? psprintf("(%s)", s.data) : NULL;
}

bool
expect_any_complete(List *exps)
{
	ListCell   *lc;

	foreach(lc, exps)
		if (expect_is_row_level(lfirst(lc)) && strcmp(result_format(lfirst(lc)), "COMPLETE") == 0)
			return true;
	return false;
}

/*
 * For the expectations with result_format COMPLETE: the SQL condition true
 * for a row one of them flags, and in *names a text[] expression naming
 * those it flags (their names as parameters); NULL if there are none.
 */
static char *
complete_sql(List *exps, SqlParams *params, char **names)
{
	StringInfoData s;
	StringInfoData any;
	ListCell   *lc;
	int			idx = 0;

	initStringInfo(&s);
	initStringInfo(&any);
	appendStringInfoString(&s, "pg_catalog.array_remove(CAST(ARRAY[");
	foreach(lc, exps)
	{
		ExpectationDef *e = lfirst(lc);

		idx++;
		if (!expect_is_row_level(e) || strcmp(result_format(e), "COMPLETE") != 0)
			continue;
		appendStringInfo(&s, "%sCASE WHEN %su%d THEN $%d END", any.len ? ", " : "",
						 DATAOPS_INTERNAL_PREFIX, idx, text_param(params, e->name));
		appendStringInfo(&any, "%s%su%d", any.len ? " OR " : "", DATAOPS_INTERNAL_PREFIX, idx);
	}
	appendStringInfoString(&s, "] AS pg_catalog.text[]), NULL)");
	*names = any.len ? s.data : NULL;
	return any.len ? psprintf("(%s)", any.data) : NULL;
}

/* SQL text value reported for an unexpected row. */
static char *
sample_value(const ExpectationDef *e, Kind k, TupleDesc desc)
{
	StringInfoData s;
	int			i;

	if (e->column_name)
		return psprintf("CAST(%s AS pg_catalog.text)", quote_identifier(e->column_name));
	initStringInfo(&s);
	appendStringInfoString(&s, "CAST(ROW(");
	if (k == K_UNIQUE || k == K_COMPOUND_UNIQUE)
	{
		List	   *cols = key_columns(e);
		ListCell   *lc;

		foreach(lc, cols)
			appendStringInfo(&s, "%s%s", lc == list_head(cols) ? "" : ", ",
							 quote_identifier(lfirst(lc)));
	}
	else
	{
		bool		first = true;

		for (i = 0; i < desc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, i);

			if (att->attisdropped || strncmp(NameStr(att->attname), DATAOPS_INTERNAL_PREFIX,
											 strlen(DATAOPS_INTERNAL_PREFIX)) == 0)
				continue;
			appendStringInfo(&s, "%s%s", first ? "" : ", ", quote_identifier(NameStr(att->attname)));
			first = false;
		}
	}
	appendStringInfoString(&s, ") AS pg_catalog.text)");
	return s.data;
}

/* Number of aggregate columns expect_sql_aggregates emits for e. */
static int
aggregate_columns(const ExpectationDef *e)
{
	switch (kind_info(e->kind)->level)
	{
		case L_ROW:
			return strcmp(result_format(e), "BASIC") == 0 ? 3 : 4;
		case L_AGGREGATE:
			return 2;
		default:
			return 0;
	}
}

/* observed value and success of an aggregate kind, as two SQL columns. */
static void
aggregate_sql(const ExpectationDef *e, Kind k, TupleDesc desc, SqlParams *params, StringInfo sql)
{
	const char *col = quote_identifier(e->column_name);
	Form_pg_attribute att = find_column(desc, e->column_name);
	char	   *agg = NULL;
	char	   *observed;
	char	   *success;

	switch (k)
	{
		case K_MEAN_BETWEEN:
			agg = psprintf("pg_catalog.avg(%s)", col);
			break;
		case K_SUM_BETWEEN:
			agg = psprintf("pg_catalog.sum(%s)", col);
			break;
		case K_MIN_BETWEEN:
			agg = psprintf("pg_catalog.min(%s)", col);
			break;
		case K_MAX_BETWEEN:
		case K_FRESHNESS:
			agg = psprintf("pg_catalog.max(%s)", col);
			break;
		case K_MEDIAN_BETWEEN:
			agg = psprintf("pg_catalog.percentile_cont(0.5) WITHIN GROUP (ORDER BY CAST(%s AS pg_catalog.float8))", col);
			break;
		case K_STDEV_BETWEEN:
			agg = psprintf("pg_catalog.stddev_samp(%s)", col);
			break;
		case K_UNIQUE_VALUE_COUNT_BETWEEN:
			agg = psprintf("pg_catalog.count(DISTINCT %s)", col);
			break;
		case K_PROPORTION_OF_UNIQUE_VALUES_BETWEEN:
			/* NULLIF would look "=" up on the search_path */
			agg = psprintf("(CAST(pg_catalog.count(DISTINCT %s) AS pg_catalog.numeric) OPERATOR(pg_catalog./) "
						   "CAST(CASE WHEN pg_catalog.count(%s) OPERATOR(pg_catalog.>) 0 THEN pg_catalog.count(%s) END "
						   "AS pg_catalog.numeric))", col, col, col);
			break;
		case K_DISTINCT_VALUES_IN_SET:
			agg = psprintf("pg_catalog.array_agg(DISTINCT %s ORDER BY %s) FILTER (WHERE %s IS NOT NULL)", col, col, col);
			break;
		default:
			elog(ERROR, "dataops: kind %s is not an aggregate", e->kind);
	}

	switch (k)
	{
		case K_MIN_BETWEEN:
		case K_MAX_BETWEEN:
			/*
			 * compared as a value of the column's type, with its operators:
			 * pg_catalog.min of a type without its own (varchar, citext) is
			 * that of the type it converts to (text)
			 */
			observed = psprintf("pg_catalog.to_jsonb(%s)", agg);
			success = bound_condition(e, psprintf("CAST(%s AS %s)", agg, qualified_type(att->atttypid, att->atttypmod)),
									  att->atttypid, att->atttypmod, e->column_name, params);
			break;
		case K_DISTINCT_VALUES_IN_SET:
			observed = psprintf("COALESCE(pg_catalog.to_jsonb(%s), CAST('[]' AS pg_catalog.jsonb))", agg);
			success = psprintf("COALESCE(%s OPERATOR(pg_catalog.<@) ARRAY(%s), true)", agg,
							   set_subquery(e, att, params));
			break;
		case K_FRESHNESS:
			{
				char	   *age = psprintf("(pg_catalog.now() OPERATOR(pg_catalog.-) CAST(%s AS pg_catalog.timestamptz))",
										   agg);

				observed = psprintf("pg_catalog.jsonb_build_object('max', %s, 'age', CAST(%s AS pg_catalog.text))",
									agg, age);
				success = psprintf("%s OPERATOR(pg_catalog.<=) CAST($%d AS pg_catalog.interval)", age,
								   text_param(params, json_value_text(json_get(e->args, "max_age"))));
				break;
			}
		default:
			observed = psprintf("pg_catalog.to_jsonb(%s)", agg);
			success = bound_condition(e, psprintf("CAST(%s AS pg_catalog.numeric)", agg), NUMERICOID, -1, NULL,
									  params);
			break;
	}
	appendStringInfo(sql, ",\n  %s,\n  COALESCE(%s, false)", observed, success);
}

void
expect_sql_aggregates(List *exps, TupleDesc desc, bool row_level, SqlParams *params, StringInfo sql)
{
	ListCell   *lc;
	int			idx = 0;

	foreach(lc, exps)
	{
		ExpectationDef *e = lfirst(lc);
		const KindInfo *ki = kind_info(e->kind);
		char	   *missing;
		char	   *u;

		idx++;
		if (ki->level == L_AGGREGATE)
		{
			aggregate_sql(e, ki->kind, desc, params, sql);
			continue;
		}
		if (ki->level != L_ROW || !row_level)
			continue;
		missing = missing_condition(e, ki->kind);
		u = psprintf(DATAOPS_INTERNAL_PREFIX "u%d", idx);
		if (missing)
			appendStringInfo(sql, ",\n  pg_catalog.count(*) FILTER (WHERE %s)", missing);
		else
			appendStringInfoString(sql, ",\n  CAST(0 AS pg_catalog.int8)");
		appendStringInfo(sql, ",\n  pg_catalog.count(*) FILTER (WHERE %s)", u);
		appendStringInfo(sql, ",\n  dataops.unexpected_sample(%s) FILTER (WHERE %s)",
						 sample_value(e, ki->kind, desc), u);
		if (aggregate_columns(e) == 4)
			appendStringInfo(sql,
							 ",\n  COALESCE((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('value', t.v, 'count', t.n) ORDER BY t.n DESC, t.v)"
							 " FROM (SELECT %s AS v, pg_catalog.count(*) AS n FROM " DATAOPS_INTERNAL_PREFIX "chk WHERE %s"
							 " GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT %d) t), CAST('[]' AS pg_catalog.jsonb))",
							 sample_value(e, ki->kind, desc), u, DATAOPS_SAMPLE_SIZE);
	}
}

bool
expect_sql_samples(List *exps, TupleDesc desc, StringInfo sql)
{
	ListCell   *lc;
	bool		any = false;

	foreach(lc, exps)
	{
		ExpectationDef *e = lfirst(lc);
		int			idx = foreach_current_index(lc) + 1;

		if (!expect_is_row_level(e) || e->column_name != NULL)
			continue;
		appendStringInfo(sql, ",\n  CASE WHEN %su%d THEN %s END AS %ss%d", DATAOPS_INTERNAL_PREFIX, idx,
						 sample_value(e, kind_of(e), desc), DATAOPS_INTERNAL_PREFIX, idx);
		any = true;
	}
	return any;
}

bool
expect_needs_serial(List *exps)
{
	ListCell   *lc;

	foreach(lc, exps)
		if (kind_of(lfirst(lc)) == K_CASTABLE_TO)
			return true;
	return false;
}

bool
expect_any_aggregate(List *exps)
{
	ListCell   *lc;

	foreach(lc, exps)
		if (kind_info(((ExpectationDef *) lfirst(lc))->kind)->level == L_AGGREGATE)
			return true;
	return false;
}

static Jsonb *
int8_jsonb(int64 v)
{
	JsonbValue	jv;

	jv.type = jbvNumeric;
	jv.val.numeric = int64_to_numeric(v);
	return JsonbValueToJsonb(&jv);
}

/* Observed columns (excluding dataops' own) and success of columns_match_set. */
static bool
columns_match_set(const ExpectationDef *e, TupleDesc desc, Jsonb **observed)
{
	List	   *want = json_string_list(json_get(e->args, "columns"), "args.columns");
	bool		exact = get_bool(e, "exact_match", true);
	JsonbParseState *ps = NULL;
	JsonbValue *res;
	ListCell   *lc;
	int			i;
	bool		ok = true;

	(void) pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		JsonbValue	v;
		bool		listed = false;

		if (att->attisdropped || strncmp(NameStr(att->attname), DATAOPS_INTERNAL_PREFIX,
										 strlen(DATAOPS_INTERNAL_PREFIX)) == 0)
			continue;
		v.type = jbvString;
		v.val.string.val = NameStr(att->attname);
		v.val.string.len = strlen(NameStr(att->attname));
		(void) pushJsonbValue(&ps, WJB_ELEM, &v);
		foreach(lc, want)
			listed |= strcmp(lfirst(lc), NameStr(att->attname)) == 0;
		if (exact && !listed)
			ok = false;
	}
	res = pushJsonbValue(&ps, WJB_END_ARRAY, NULL);
	*observed = JsonbValueToJsonb(res);
	foreach(lc, want)
		if (find_column(desc, lfirst(lc)) == NULL)
			ok = false;
	return ok;
}

List *
expect_results(List *exps, HeapTuple row, TupleDesc rowdesc, int first_col,
			   int64 element_count, int64 published, TupleDesc desc,
			   const ExpectationResult *row_outcomes)
{
	ListCell   *lc;
	List	   *results = NIL;
	int			col = first_col;

	foreach(lc, exps)
	{
		ExpectationDef *e = lfirst(lc);
		const KindInfo *ki = kind_info(e->kind);
		ExpectationResult *r = palloc0(sizeof(ExpectationResult));
		bool		isnull;
		Datum		d;

		r->def = e;
		r->result_format = result_format(e);
		r->missing_count = -1;
		r->unexpected_count = -1;
		r->percent_null = true;
		switch (ki->level)
		{
			case L_COUNT:
				r->element_count = published;
				r->observed_value = int8_jsonb(published);
				if (ki->kind == K_ROW_COUNT_EQUAL)
					r->success = published == strtoi64(json_value_text(json_get(e->args, "value")), NULL, 10);
				else
				{
					char	   *lo = json_value_text(json_get(e->args, "min"));
					char	   *hi = json_value_text(json_get(e->args, "max"));
					bool		slo = get_bool(e, "strict_min", false);
					bool		shi = get_bool(e, "strict_max", false);
					double		p = (double) published;

					r->success = (lo == NULL || (slo ? p > strtod(lo, NULL) : p >= strtod(lo, NULL))) &&
						(hi == NULL || (shi ? p < strtod(hi, NULL) : p <= strtod(hi, NULL)));
				}
				break;
			case L_SCHEMA:
				r->element_count = published;
				r->success = columns_match_set(e, desc, &r->observed_value);
				break;
			case L_AGGREGATE:
				r->element_count = published;
				d = heap_getattr(row, col, rowdesc, &isnull);
				r->observed_value = isnull ? NULL : DatumGetJsonbPCopy(d);
				r->success = DatumGetBool(heap_getattr(row, col + 1, rowdesc, &isnull));
				col += 2;
				break;
			case L_ROW:
				{
					int64		nonmissing;
					int64		denom;

					r->element_count = element_count;
					if (row_outcomes)
					{
						const ExpectationResult *o = &row_outcomes[foreach_current_index(lc)];

						r->missing_count = o->missing_count;
						r->unexpected_count = o->unexpected_count;
						r->partial_unexpected_list = o->partial_unexpected_list;
						r->partial_unexpected_counts = o->partial_unexpected_counts;
					}
					else
					{
						r->missing_count = DatumGetInt64(heap_getattr(row, col, rowdesc, &isnull));
						r->unexpected_count = DatumGetInt64(heap_getattr(row, col + 1, rowdesc, &isnull));
						d = heap_getattr(row, col + 2, rowdesc, &isnull);
						r->partial_unexpected_list = isnull ? NULL : DatumGetJsonbPCopy(d);
						if (aggregate_columns(e) == 4)
						{
							d = heap_getattr(row, col + 3, rowdesc, &isnull);
							r->partial_unexpected_counts = isnull ? NULL : DatumGetJsonbPCopy(d);
						}
						col += aggregate_columns(e);
					}
					nonmissing = element_count - r->missing_count;
					denom = (ki->kind == K_NOT_NULL || ki->kind == K_NULL || ki->kind == K_EXPRESSION) ?
						element_count : nonmissing;
					r->percent_null = (denom == 0);
					r->unexpected_percent = denom > 0 ? (double) r->unexpected_count * 100.0 / (double) denom : 0.0;
					r->success = (denom == 0) ||
						((double) (denom - r->unexpected_count) / (double) denom >= e->mostly);
					break;
				}
		}
		results = lappend(results, r);
	}
	return results;
}

List *
expect_check_rows(List *exps, const char *from_sql, TupleDesc desc, int64 run_id,
				  const char *unexpected_table, MemoryContext result_cxt)
{
	SqlParams  *params = palloc0(sizeof(SqlParams));
	StringInfoData sql;
	char	   *names = NULL;
	char	   *complete;
	int			rc;
	bool		isnull;
	int64		n;
	List	   *results;
	MemoryContext old;
	int			nestlevel;

	(void) sql_param(params, INT8OID, Int64GetDatum(run_id));
	initStringInfo(&sql);
	appendStringInfoString(&sql, "WITH " DATAOPS_INTERNAL_PREFIX "chk AS (\n  SELECT s.*");
	expect_sql_flags(exps, desc, "true", params, &sql);
	appendStringInfo(&sql, "\n  FROM %s\n)", from_sql);
	complete = unexpected_table ? complete_sql(exps, params, &names) : NULL;
	if (complete)
	{
		StringInfoData cols;
		int			i;

		initStringInfo(&cols);
		for (i = 0; i < desc->natts; i++)
			if (!TupleDescAttr(desc, i)->attisdropped)
				appendStringInfo(&cols, "%s%s", cols.len ? ", " : "",
								 quote_identifier(NameStr(TupleDescAttr(desc, i)->attname)));
		appendStringInfo(&sql,
						 ", " DATAOPS_INTERNAL_PREFIX "unx AS (\n  INSERT INTO %s (%s, _check_run_id, _expectation) "
						 "SELECT %s, $1, " DATAOPS_INTERNAL_PREFIX "x.n FROM " DATAOPS_INTERNAL_PREFIX "chk "
						 "CROSS JOIN LATERAL pg_catalog.unnest(%s) AS " DATAOPS_INTERNAL_PREFIX "x(n) WHERE %s\n)",
						 unexpected_table, cols.data, cols.data, names, complete);
	}
	appendStringInfoString(&sql, "\nSELECT pg_catalog.count(*)");
	expect_sql_aggregates(exps, desc, true, params, &sql);
	appendStringInfoString(&sql, "\nFROM " DATAOPS_INTERNAL_PREFIX "chk");

	/*
	 * castable_to may need a subtransaction per value (domains, types whose
	 * input function is not built in), which parallel mode forbids: check
	 * such rows without parallel workers.
	 */
	nestlevel = NewGUCNestLevel();
	if (expect_needs_serial(exps))
		(void) set_config_option("max_parallel_workers_per_gather", "0", PGC_USERSET,
								 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	rc = SPI_execute_with_args(sql.data, params->n, params->types, params->values, NULL, false, 0);
	AtEOXact_GUC(true, nestlevel);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "dataops: generated check statement returned %d (%s)", rc, SPI_result_code_string(rc));
	n = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	old = MemoryContextSwitchTo(result_cxt);
	results = expect_results(exps, SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, n, n, desc, NULL);
	MemoryContextSwitchTo(old);
	return results;
}

void
expect_raise_failures(List *results, const char *step)
{
	ListCell   *lc;

	foreach(lc, results)
	{
		ExpectationResult *r = lfirst(lc);

		if (r->success || strcmp(r->def->action, "fail") != 0)
			continue;
		if (r->missing_count < 0)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("expectation \"%s\" of step \"%s\" failed", r->def->name, step),
					 errdetail("The observed value is %s.",
							   r->observed_value ? JsonbToCString(NULL, &r->observed_value->root,
																   VARSIZE(r->observed_value)) : "null"),
					 errhint("The target was left unchanged; see dataops.expectation_results.")));
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("expectation \"%s\" of step \"%s\" failed", r->def->name, step),
				 errdetail(INT64_FORMAT " of " INT64_FORMAT " rows were unexpected (%.2f%%; " INT64_FORMAT " missing); mostly is %g.",
						   r->unexpected_count, r->element_count, r->unexpected_percent,
						   r->missing_count, r->def->mostly),
				 errhint("The target was left unchanged; see dataops.expectation_results.")));
	}
}

/* ---------- dataops.unexpected_sample(text): the first N values, in constant memory ---------- */

typedef struct SampleState
{
	int			n;
	char	   *values[DATAOPS_SAMPLE_SIZE];	/* NULL entries are SQL NULLs */
} SampleState;

PG_FUNCTION_INFO_V1(dataops_sample_add);
Datum
dataops_sample_add(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	SampleState *state;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "dataops_sample_add called in non-aggregate context");
	state = PG_ARGISNULL(0) ? NULL : (SampleState *) PG_GETARG_POINTER(0);
	if (state == NULL)
		state = MemoryContextAllocZero(aggcontext, sizeof(SampleState));
	if (state->n < DATAOPS_SAMPLE_SIZE)
	{
		state->values[state->n] = PG_ARGISNULL(1) ? NULL :
			MemoryContextStrdup(aggcontext, TextDatumGetCString(PG_GETARG_DATUM(1)));
		state->n++;
	}
	PG_RETURN_POINTER(state);
}

Jsonb *
expect_sample_jsonb(char *const *values, int n)
{
	JsonbParseState *ps = NULL;
	int			i;

	(void) pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
	for (i = 0; i < n; i++)
	{
		JsonbValue	v;

		if (values[i] == NULL)
			v.type = jbvNull;
		else
		{
			v.type = jbvString;
			v.val.string.val = values[i];
			v.val.string.len = strlen(values[i]);
		}
		(void) pushJsonbValue(&ps, WJB_ELEM, &v);
	}
	return JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_ARRAY, NULL));
}

PG_FUNCTION_INFO_V1(dataops_sample_final);
Datum
dataops_sample_final(PG_FUNCTION_ARGS)
{
	SampleState *state = PG_ARGISNULL(0) ? NULL : (SampleState *) PG_GETARG_POINTER(0);

	PG_RETURN_JSONB_P(state ? expect_sample_jsonb(state->values, state->n) : expect_sample_jsonb(NULL, 0));
}
