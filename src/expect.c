/*
 * expect.c: expectations: the table of kinds, one entry per kind holding
 * all that the kind decides, and what is read from it (level, the columns
 * a kind checks, result format).  Definitions and their checks are in
 * expect_def.c, the generated SQL in expect_sql.c, the results in
 * expect_result.c; each kind's entry points at its functions there.
 *
 * May use: expect_def.c, expect_sql.c and expect_result.c (the functions
 * the table points at, through expect_int.h), catalog (JSON helpers),
 * dataops.  Those three files look kinds up here.
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
 */
#include "postgres.h"

#include "access/tupdesc.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "dataops.h"
#include "expect.h"
#include "expect_int.h"

#define BOUNDS		"min max strict_min strict_max"

/*
 * The kinds.  Columns: name, Great Expectations' name, level, column rule,
 * args keys, flags (KF_*), then the functions: args check, trust check,
 * types check, SQL builder, aggregate (of column %1$s), result builder.
 */
static const KindInfo kinds[] = {
	/* row level */
	{"not_null", "expect_column_values_to_not_be_null", L_ROW, COL_REQUIRED, "", KF_JUDGES_NULLS | KF_NOT, NULL, NULL, NULL, flag_null, NULL, result_row},
	{"null", "expect_column_values_to_be_null", L_ROW, COL_REQUIRED, "", KF_JUDGES_NULLS, NULL, NULL, NULL, flag_null, NULL, result_row},
	{"unique", "expect_column_values_to_be_unique", L_ROW, COL_OR_COLUMNS, "columns", KF_LIVE, check_key_columns_arg, NULL, types_key_columns, flag_unique, NULL, result_row},
	{"compound_unique", "expect_compound_columns_to_be_unique", L_ROW, COL_NONE_COLUMNS, "columns", KF_LIVE, check_key_columns_arg, NULL, types_key_columns, flag_unique, NULL, result_row},
	{"match_regex", "expect_column_values_to_match_regex", L_ROW, COL_REQUIRED, "pattern flags", 0, check_regex_args, NULL, NULL, flag_regex, NULL, result_row},
	{"not_match_regex", "expect_column_values_to_not_match_regex", L_ROW, COL_REQUIRED, "pattern flags", KF_NOT, check_regex_args, NULL, NULL, flag_regex, NULL, result_row},
	{"match_regex_list", "expect_column_values_to_match_regex_list", L_ROW, COL_REQUIRED, "patterns match_on flags", 0, check_regex_list_args, NULL, NULL, flag_regex_list, NULL, result_row},
	{"between", "expect_column_values_to_be_between", L_ROW, COL_REQUIRED, BOUNDS, KF_BOUND_STRINGS, check_bounds_args, NULL, types_bounds_fit, flag_between, NULL, result_row},
	{"in_set", "expect_column_values_to_be_in_set", L_ROW, COL_REQUIRED, "values", 0, check_values_arg, NULL, types_values_fit, flag_in_set, NULL, result_row},
	{"not_in_set", "expect_column_values_to_not_be_in_set", L_ROW, COL_REQUIRED, "values", KF_NOT, check_values_arg, NULL, types_values_fit, flag_in_set, NULL, result_row},
	{"value_lengths_between", "expect_column_value_lengths_to_be_between", L_ROW, COL_REQUIRED, BOUNDS, KF_BOUND_WHOLE | KF_BOUND_EMPTY_OK, check_bounds_args, NULL, NULL, flag_value_lengths, NULL, result_row},
	{"match_strftime_format", "expect_column_values_to_match_strftime_format", L_ROW, COL_REQUIRED, "format", 0, check_format_arg, NULL, NULL, flag_strftime, NULL, result_row},
	{"castable_to", NULL, L_ROW, COL_REQUIRED, "type", KF_SERIAL, check_type_arg, require_trusted_type_arg, NULL, flag_castable, NULL, result_row},
	{"relationships", NULL, L_ROW, COL_REQUIRED, "to field", 0, check_relationship_args, require_trusted_relationship, types_relationship, flag_relationship, NULL, result_row},
	{"expression", NULL, L_ROW, COL_NONE, "expression", KF_JUDGES_NULLS, check_expression_arg, require_trusted_expression, NULL, flag_expression, NULL, result_row},
	/* aggregate */
	{"row_count_between", "expect_table_row_count_to_be_between", L_COUNT, COL_NONE, BOUNDS, KF_BOUND_WHOLE, check_bounds_args, NULL, NULL, NULL, NULL, result_row_count_between},
	{"row_count_equal", "expect_table_row_count_to_equal", L_COUNT, COL_NONE, "value", 0, check_count_value_arg, NULL, NULL, NULL, NULL, result_row_count_equal},
	{"mean_between", "expect_column_mean_to_be_between", L_AGGREGATE, COL_REQUIRED, BOUNDS, 0, check_bounds_args, NULL, types_numeric_column, observe_bounds, "pg_catalog.avg(%1$s)", result_aggregate},
	{"min_between", "expect_column_min_to_be_between", L_AGGREGATE, COL_REQUIRED, BOUNDS, KF_BOUND_STRINGS, check_bounds_args, NULL, types_bounds_fit, observe_typed_bounds, "pg_catalog.min(%1$s)", result_aggregate},
	{"max_between", "expect_column_max_to_be_between", L_AGGREGATE, COL_REQUIRED, BOUNDS, KF_BOUND_STRINGS, check_bounds_args, NULL, types_bounds_fit, observe_typed_bounds, "pg_catalog.max(%1$s)", result_aggregate},
	{"sum_between", "expect_column_sum_to_be_between", L_AGGREGATE, COL_REQUIRED, BOUNDS, 0, check_bounds_args, NULL, types_numeric_column, observe_bounds, "pg_catalog.sum(%1$s)", result_aggregate},
	{"median_between", "expect_column_median_to_be_between", L_AGGREGATE, COL_REQUIRED, BOUNDS, 0, check_bounds_args, NULL, types_numeric_column, observe_bounds, "pg_catalog.percentile_cont(0.5) WITHIN GROUP (ORDER BY CAST(%1$s AS pg_catalog.float8))", result_aggregate},
	{"stdev_between", "expect_column_stdev_to_be_between", L_AGGREGATE, COL_REQUIRED, BOUNDS, 0, check_bounds_args, NULL, types_numeric_column, observe_bounds, "pg_catalog.stddev_samp(%1$s)", result_aggregate},
	{"unique_value_count_between", "expect_column_unique_value_count_to_be_between", L_AGGREGATE, COL_REQUIRED, BOUNDS, KF_BOUND_WHOLE, check_bounds_args, NULL, NULL, observe_bounds, "pg_catalog.count(DISTINCT %1$s)", result_aggregate},
	/* NULLIF would look "=" up on the search_path */
	{"proportion_of_unique_values_between", "expect_column_proportion_of_unique_values_to_be_between", L_AGGREGATE, COL_REQUIRED, BOUNDS, KF_BOUND_UNIT, check_bounds_args, NULL, NULL, observe_bounds, "(CAST(pg_catalog.count(DISTINCT %1$s) AS pg_catalog.numeric) OPERATOR(pg_catalog./) CAST(CASE WHEN pg_catalog.count(%1$s) OPERATOR(pg_catalog.>) 0 THEN pg_catalog.count(%1$s) END AS pg_catalog.numeric))", result_aggregate},
	{"distinct_values_in_set", "expect_column_distinct_values_to_be_in_set", L_AGGREGATE, COL_REQUIRED, "values", 0, check_values_arg, NULL, types_values_fit, observe_set, "pg_catalog.array_agg(DISTINCT %1$s ORDER BY %1$s) FILTER (WHERE %1$s IS NOT NULL)", result_aggregate},
	{"freshness", NULL, L_AGGREGATE, COL_OR_ARG, "column max_age", 0, check_max_age_arg, NULL, types_date_column, observe_freshness, "pg_catalog.max(%1$s)", result_aggregate},
	/* schema */
	{"columns_match_set", "expect_table_columns_to_match_set", L_SCHEMA, COL_NONE_COLUMNS, "columns exact_match", 0, check_columns_set_args, NULL, NULL, NULL, NULL, result_columns_match_set},
};

const KindInfo *
expect_kind_info(const char *name)
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
const KindInfo *
expect_kind_of(const ExpectationDef *e)
{
	return expect_kind_info(e->kind);
}

bool
expect_is_row_level(const ExpectationDef *e)
{
	return expect_kind_of(e)->level == L_ROW;
}

const char *
expect_result_format(const ExpectationDef *e)
{
	char	   *f = json_value_text(json_get(e->args, "result_format"));

	return f ? f : "BASIC";
}

bool
expect_arg_bool(const ExpectationDef *e, const char *key, bool dflt)
{
	JsonbValue *v = json_get(e->args, key);

	return (v && v->type == jbvBool) ? v->val.boolean : dflt;
}

Form_pg_attribute
expect_find_column(TupleDesc desc, const char *col)
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

bool
expect_user_column(Form_pg_attribute att)
{
	return !att->attisdropped && strncmp(NameStr(att->attname), DATAOPS_INTERNAL_PREFIX,
										 strlen(DATAOPS_INTERNAL_PREFIX)) != 0;
}

List *
expect_key_columns(const ExpectationDef *e)
{
	if (e->column_name)
		return list_make1(e->column_name);
	return json_string_list(json_get(e->args, "columns"), "args.columns");
}

List *
expect_missing_columns(const ExpectationDef *e)
{
	const KindInfo *ki = expect_kind_of(e);

	if (ki->level != L_ROW || (ki->flags & KF_JUDGES_NULLS))
		return NIL;
	return expect_key_columns(e);
}

int
expect_aggregate_columns(const ExpectationDef *e)
{
	switch (expect_kind_of(e)->level)
	{
		case L_ROW:
			return (strcmp(expect_result_format(e), "BASIC") == 0 ||
					strcmp(expect_result_format(e), "BOOLEAN_ONLY") == 0) ? 3 : 4;
		case L_AGGREGATE:
			return 2;
		default:
			return 0;
	}
}

bool
expect_needs_serial(List *exps)
{
	ListCell   *lc;

	foreach(lc, exps)
		if (expect_kind_of(lfirst(lc))->flags & KF_SERIAL)
			return true;
	return false;
}

bool
expect_needs_live(List *exps)
{
	ListCell   *lc;

	foreach(lc, exps)
		if (expect_kind_of(lfirst(lc))->flags & KF_LIVE)
			return true;
	return false;
}

bool
expect_any_row_level(List *exps)
{
	ListCell   *lc;

	foreach(lc, exps)
		if (expect_is_row_level(lfirst(lc)))
			return true;
	return false;
}

bool
expect_any_aggregate(List *exps)
{
	ListCell   *lc;

	foreach(lc, exps)
		if (expect_kind_of(lfirst(lc))->level == L_AGGREGATE)
			return true;
	return false;
}

bool
expect_any_complete(List *exps)
{
	ListCell   *lc;

	foreach(lc, exps)
		if (expect_is_row_level(lfirst(lc)) && strcmp(expect_result_format(lfirst(lc)), "COMPLETE") == 0)
			return true;
	return false;
}


/*
 * dataops.expectation_kinds() → TABLE(kind text, ge_type text, level text,
 * args text[]): the table of kinds: each kind, its Great Expectations
 * expectation type (NULL for dataops' own kinds: castable_to,
 * relationships, expression, freshness), its level (row, aggregate,
 * count, schema) and the args it takes (dataops' names; result_format and
 * meta are taken by every kind).  dataops.import_ge_suite and
 * export_ge_suite map GE types with it.  No errors.
 */
PG_FUNCTION_INFO_V1(dataops_expectation_kinds);
Datum
dataops_expectation_kinds(PG_FUNCTION_ARGS)
{
	static const char *const levels[] = {"row", "aggregate", "count", "schema"};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < lengthof(kinds); i++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};
		List	   *keys = NIL;
		Datum	   *elems;
		ListCell   *lc;
		char	   *copy = pstrdup(kinds[i].keys);
		char	   *tok;
		char	   *save = NULL;
		int			n = 0;

		for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
			keys = lappend(keys, tok);
		elems = palloc(sizeof(Datum) * Max(list_length(keys), 1));
		foreach(lc, keys)
			elems[n++] = CStringGetTextDatum(lfirst(lc));
		values[0] = CStringGetTextDatum(kinds[i].name);
		values[1] = kinds[i].ge_name ? CStringGetTextDatum(kinds[i].ge_name) : (Datum) 0;
		nulls[1] = kinds[i].ge_name == NULL;
		values[2] = CStringGetTextDatum(levels[kinds[i].level]);
		values[3] = PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
