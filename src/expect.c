/*
 * expect.c: expectations.
 *
 * Counting follows Great Expectations: for a column expectation,
 * element_count = rows checked, missing_count = rows whose column is NULL,
 * and NULLs are neither expected nor unexpected, except for not_null where
 * each NULL is unexpected.  unexpected_percent = unexpected / (element_count
 * - missing_count) * 100 (/ element_count for not_null and expression).
 * Success = (nonmissing - unexpected) / nonmissing >= mostly; an empty or
 * all-NULL column succeeds.  An expression that evaluates to NULL is
 * unexpected: a check never passes silently on NULL.
 *
 * All row-level expectations of a step become boolean columns of one query
 * and their counts aggregates of one scan (step.c runs it), so ten
 * expectations cost one pass over the rows.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"

#include "dag.h"
#include "dataops.h"
#include "expect.h"
#include "regex.h"

typedef enum Kind
{
	K_NOT_NULL,
	K_UNIQUE,
	K_MATCH_REGEX,
	K_BETWEEN,
	K_IN_SET,
	K_ROW_COUNT_BETWEEN,
	K_EXPRESSION
} Kind;

typedef struct KindName
{
	const char *name;
	Kind		kind;
	const char *canonical;
} KindName;

static const KindName kinds[] = {
	{"not_null", K_NOT_NULL, "not_null"},
	{"unique", K_UNIQUE, "unique"},
	{"match_regex", K_MATCH_REGEX, "match_regex"},
	{"between", K_BETWEEN, "between"},
	{"in_set", K_IN_SET, "in_set"},
	{"row_count_between", K_ROW_COUNT_BETWEEN, "row_count_between"},
	{"expression", K_EXPRESSION, "expression"},
	/* Great Expectations' names */
	{"expect_column_values_to_not_be_null", K_NOT_NULL, "not_null"},
	{"expect_column_values_to_be_unique", K_UNIQUE, "unique"},
	{"expect_column_values_to_match_regex", K_MATCH_REGEX, "match_regex"},
	{"expect_column_values_to_be_between", K_BETWEEN, "between"},
	{"expect_column_values_to_be_in_set", K_IN_SET, "in_set"},
	{"expect_table_row_count_to_be_between", K_ROW_COUNT_BETWEEN, "row_count_between"},
};

static Kind
kind_of(const char *name)
{
	int			i;

	for (i = 0; i < lengthof(kinds); i++)
		if (strcmp(kinds[i].name, name) == 0)
			return kinds[i].kind;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown expectation kind \"%s\"", name),
			 errhint("Valid kinds are not_null, unique, match_regex, between, in_set, row_count_between and expression (or their Great Expectations names).")));
	return K_NOT_NULL;			/* keep compiler quiet */
}

int
sql_param(SqlParams *p, Oid type, Datum value)
{
	if (p->n >= lengthof(p->types))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many expectation arguments in one step")));
	p->types[p->n] = type;
	p->values[p->n] = value;
	return ++p->n;
}

bool
expect_is_table_level(const ExpectationDef *e)
{
	return kind_of(e->kind) == K_ROW_COUNT_BETWEEN;
}

static void
bad_args(const ExpectationDef *e, const char *msg, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid args for expectation \"%s\": %s", e->name, msg),
			 errhint("%s", hint)));
}

/* A bound of between/row_count_between: absent, or a JSON string or number. */
static JsonbValue *
get_bound(const ExpectationDef *e, const char *key, bool integer)
{
	JsonbValue *v = json_get(e->args, key);

	if (v == NULL || v->type == jbvNull)
		return NULL;
	if (integer ? v->type != jbvNumeric : (v->type != jbvNumeric && v->type != jbvString))
		bad_args(e, psprintf("args.%s must be a %s", key, integer ? "number" : "number or a string"),
				 integer ? "Example: '{\"min\": 1, \"max\": 1000000}'." :
				 "Example: '{\"min\": 0, \"max\": 100}' or '{\"min\": \"1900-01-01\", \"max\": \"today\"}'.");
	return v;
}

static void
check_bool_arg(const ExpectationDef *e, const char *key)
{
	JsonbValue *v = json_get(e->args, key);

	if (v != NULL && v->type != jbvBool)
		bad_args(e, psprintf("args.%s must be true or false", key), "Example: '{\"min\": 0, \"strict_min\": true}'.");
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

void
expect_validate(ExpectationDef *e)
{
	Kind		k;
	int			i;
	JsonbValue *v;

	if (e->name == NULL || e->name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expectation name must not be empty")));
	k = kind_of(e->kind);
	for (i = 0; i < lengthof(kinds); i++)
		if (strcmp(kinds[i].name, e->kind) == 0)
			e->kind = pstrdup(kinds[i].canonical);

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

	switch (k)
	{
		case K_NOT_NULL:
		case K_MATCH_REGEX:
		case K_BETWEEN:
		case K_IN_SET:
			if (e->column_name == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("expectation \"%s\" of kind %s needs a column_name", e->name, e->kind)));
			break;
		case K_UNIQUE:
			v = json_get(e->args, "columns");
			if ((e->column_name == NULL) == (v == NULL))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("expectation \"%s\" of kind unique needs either column_name or args.columns", e->name),
						 errhint("Use column_name for one column, or args '{\"columns\": [\"a\", \"b\"]}' for a compound key.")));
			if (v != NULL)
				(void) json_string_list(v, "args.columns");
			break;
		case K_ROW_COUNT_BETWEEN:
		case K_EXPRESSION:
			if (e->column_name != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("expectation \"%s\" of kind %s takes no column_name", e->name, e->kind)));
			break;
	}

	switch (k)
	{
		case K_MATCH_REGEX:
			v = json_get(e->args, "pattern");
			if (v == NULL || v->type != jbvString)
				bad_args(e, "args.pattern must be a string", "Example: '{\"pattern\": \"^[^@]+@[^@]+$\"}'.");
			regex_validate(json_value_text(v));
			break;
		case K_BETWEEN:
		case K_ROW_COUNT_BETWEEN:
			{
				bool		integer = (k == K_ROW_COUNT_BETWEEN);
				JsonbValue *lo = get_bound(e, "min", integer);
				JsonbValue *hi = get_bound(e, "max", integer);

				if (lo == NULL && hi == NULL)
					bad_args(e, "args.min and args.max are both missing",
							 "Give at least one bound, e.g. '{\"min\": 0}'.");
				if (lo && hi && lo->type == jbvNumeric && hi->type == jbvNumeric &&
					DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(lo->val.numeric),
													  NumericGetDatum(hi->val.numeric))) > 0)
					bad_args(e, "args.min is greater than args.max", "Swap the bounds.");
				check_bool_arg(e, "strict_min");
				check_bool_arg(e, "strict_max");
				if (integer && e->action && strcmp(e->action, "drop") == 0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("expectation \"%s\" of kind %s cannot drop rows", e->name, e->kind),
							 errdetail("It is checked on the table as a whole."),
							 errhint("Use action warn or fail.")));
				break;
			}
		case K_IN_SET:
			v = json_get(e->args, "values");
			if (v == NULL || v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
				bad_args(e, "args.values must be a JSON array", "Example: '{\"values\": [\"Male\", \"Female\"]}'.");
			break;
		case K_EXPRESSION:
			v = json_get(e->args, "expression");
			if (v == NULL || v->type != jbvString)
				bad_args(e, "args.expression must be a string", "Example: '{\"expression\": \"score >= 0\"}'.");
			validate_expression(e, json_value_text(v));
			break;
		default:
			break;
	}
}

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

/*
 * Checks that a bound or set value of an expectation reads as a value of
 * the column's type, so that a bad bound fails naming the expectation.
 */
static void
check_value_fits(const ExpectationDef *e, TupleDesc desc, const char *key, const char *value)
{
	Form_pg_attribute att = find_column(desc, e->column_name);
	MemoryContext cxt = CurrentMemoryContext;
	Oid			infunc;
	Oid			ioparam;

	if (att == NULL || value == NULL)
		return;
	getTypeInputInfo(att->atttypid, &infunc, &ioparam);
	PG_TRY();
	{
		(void) OidInputFunctionCall(infunc, (char *) value, ioparam, att->atttypmod);
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
						key, e->name, e->column_name, format_type_be(att->atttypid)),
				 errdetail("%s", edata->message),
				 errhint("Give a bound of the column's type.")));
	}
	PG_END_TRY();
}

/* Quoted column name and its SQL type, checked against the step's output. */
static const char *
column_type(const ExpectationDef *e, TupleDesc desc, const char *col)
{
	Form_pg_attribute att = find_column(desc, col);

	if (att != NULL)
		return format_type_with_typemod(att->atttypid, att->atttypmod);
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("column \"%s\" of expectation \"%s\" is not in the step's output", col, e->name),
			 errhint("Check the column name against the columns the step's query returns.")));
	return NULL;
}

static List *
unique_columns(const ExpectationDef *e)
{
	if (e->column_name)
		return list_make1(e->column_name);
	return json_string_list(json_get(e->args, "columns"), "args.columns");
}

/* SQL condition: the row's key columns are all NULL (a missing value). */
static char *
missing_condition(const ExpectationDef *e, Kind k)
{
	StringInfoData s;
	ListCell   *lc;

	if (k == K_NOT_NULL || k == K_EXPRESSION)
		return NULL;
	initStringInfo(&s);
	foreach(lc, unique_columns(e))
		appendStringInfo(&s, "%s%s IS NULL", s.len ? " AND " : "", quote_identifier(lfirst(lc)));
	return s.data;
}

void
expect_sql_flags(List *exps, TupleDesc desc, const char *live, SqlParams *params, StringInfo sql)
{
	ListCell   *lc;
	int			idx = 0;

	foreach(lc, exps)
	{
		ExpectationDef *e = lfirst(lc);
		Kind		k = kind_of(e->kind);
		const char *col = e->column_name ? quote_identifier(e->column_name) : NULL;
		const char *type = NULL;

		idx++;
		if (k == K_ROW_COUNT_BETWEEN)
			continue;
		if (e->column_name)
			type = column_type(e, desc, e->column_name);
		appendStringInfoString(sql, ",\n  ");
		switch (k)
		{
			case K_NOT_NULL:
				appendStringInfo(sql, "(%s IS NULL)", col);
				break;
			case K_UNIQUE:
				{
					List	   *cols = unique_columns(e);
					StringInfoData part;
					ListCell   *c;

					initStringInfo(&part);
					foreach(c, cols)
					{
						(void) column_type(e, desc, lfirst(c));
						appendStringInfo(&part, "%s%s", part.len ? ", " : "", quote_identifier(lfirst(c)));
					}
					appendStringInfo(sql, "(NOT (%s) AND count(*) FILTER (WHERE %s) OVER (PARTITION BY %s) > 1)",
									 missing_condition(e, k), live, part.data);
					break;
				}
			case K_MATCH_REGEX:
				appendStringInfo(sql, "(%s IS NOT NULL AND NOT dataops.regex_match(CAST(%s AS text), $%d))",
								 col, col,
								 sql_param(params, TEXTOID,
										   CStringGetTextDatum(json_value_text(json_get(e->args, "pattern")))));
				break;
			case K_BETWEEN:
				{
					char	   *lo = json_value_text(json_get(e->args, "min"));
					char	   *hi = json_value_text(json_get(e->args, "max"));
					JsonbValue *smin = json_get(e->args, "strict_min");
					JsonbValue *smax = json_get(e->args, "strict_max");
					StringInfoData cond;

					check_value_fits(e, desc, "args.min", lo);
					check_value_fits(e, desc, "args.max", hi);
					initStringInfo(&cond);
					if (lo)
						appendStringInfo(&cond, "%s %s CAST($%d AS %s)", col,
										 (smin && smin->val.boolean) ? ">" : ">=",
										 sql_param(params, TEXTOID, CStringGetTextDatum(lo)), type);
					if (hi)
						appendStringInfo(&cond, "%s%s %s CAST($%d AS %s)", lo ? " AND " : "", col,
										 (smax && smax->val.boolean) ? "<" : "<=",
										 sql_param(params, TEXTOID, CStringGetTextDatum(hi)), type);
					appendStringInfo(sql, "(%s IS NOT NULL AND (%s) IS NOT TRUE)", col, cond.data);
					break;
				}
			case K_IN_SET:
				{
					JsonbValue *v = json_get(e->args, "values");
					Jsonb	   *arr = JsonbValueToJsonb(v);
					JsonbIterator *it = JsonbIteratorInit(&arr->root);
					JsonbValue	elem;
					JsonbIteratorToken tok;

					while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
						if (tok == WJB_ELEM && elem.type != jbvNull)
							check_value_fits(e, desc, "a value of args.values", json_value_text(&elem));

					appendStringInfo(sql, "(%s IS NOT NULL AND (%s IN (SELECT CAST(" DATAOPS_INTERNAL_PREFIX "set.value AS %s) FROM pg_catalog.jsonb_array_elements_text($%d) AS " DATAOPS_INTERNAL_PREFIX "set(value))) IS NOT TRUE)",
									 col, col, type, sql_param(params, JSONBOID, JsonbPGetDatum(arr)));
					break;
				}
			case K_EXPRESSION:
				appendStringInfo(sql, "((\n%s\n) IS NOT TRUE)",
								 json_value_text(json_get(e->args, "expression")));
				break;
			case K_ROW_COUNT_BETWEEN:
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
		if (strcmp(e->action, "drop") == 0 && !expect_is_table_level(e))
			appendStringInfo(&s, "%s%su%d", s.len ? " OR " : "", DATAOPS_INTERNAL_PREFIX, idx);
	}
	return s.len ? psprintf("(%s)", s.data) : NULL;
}

char *
expect_sql_failed_names(List *exps, SqlParams *params)
{
	StringInfoData s;
	ListCell   *lc;
	int			idx = 0;
	bool		first = true;

	initStringInfo(&s);
	appendStringInfoString(&s, "pg_catalog.array_remove(ARRAY[");
	foreach(lc, exps)
	{
		ExpectationDef *e = lfirst(lc);

		idx++;
		if (expect_is_table_level(e))
			continue;
		appendStringInfo(&s, "%sCASE WHEN %su%d THEN $%d END", first ? "" : ", ",
						 DATAOPS_INTERNAL_PREFIX, idx,
						 sql_param(params, TEXTOID, CStringGetTextDatum(e->name)));
		first = false;
	}
	appendStringInfoString(&s, "]::text[], NULL)");
	return s.data;
}

/* SQL text value sampled for an unexpected row. */
static char *
sample_value(const ExpectationDef *e, Kind k, TupleDesc desc)
{
	StringInfoData s;
	int			i;

	if (e->column_name)
		return psprintf("CAST(%s AS text)", quote_identifier(e->column_name));
	initStringInfo(&s);
	appendStringInfoString(&s, "CAST(ROW(");
	if (k == K_UNIQUE)
	{
		List	   *cols = unique_columns(e);
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
	appendStringInfoString(&s, ") AS text)");
	return s.data;
}

void
expect_sql_aggregates(List *exps, TupleDesc desc, const char *live, StringInfo sql)
{
	ListCell   *lc;
	int			idx = 0;

	foreach(lc, exps)
	{
		ExpectationDef *e = lfirst(lc);
		Kind		k = kind_of(e->kind);
		char	   *missing;
		char	   *u;

		idx++;
		if (k == K_ROW_COUNT_BETWEEN)
			continue;
		missing = missing_condition(e, k);
		u = psprintf(DATAOPS_INTERNAL_PREFIX "u%d", idx);
		if (missing)
			appendStringInfo(sql, ",\n  count(*) FILTER (WHERE %s AND %s)", live, missing);
		else
			appendStringInfoString(sql, ",\n  0::bigint");
		appendStringInfo(sql, ",\n  count(*) FILTER (WHERE %s AND %s)", live, u);
		appendStringInfo(sql, ",\n  dataops.unexpected_sample(%s) FILTER (WHERE %s AND %s)",
						 sample_value(e, k, desc), live, u);
	}
}

List *
expect_results(List *exps, HeapTuple row, TupleDesc rowdesc, int first_col,
			   int64 element_count, int64 published)
{
	ListCell   *lc;
	List	   *results = NIL;
	int			col = first_col;

	foreach(lc, exps)
	{
		ExpectationDef *e = lfirst(lc);
		Kind		k = kind_of(e->kind);
		ExpectationResult *r = palloc0(sizeof(ExpectationResult));
		bool		isnull;

		r->def = e;
		if (k == K_ROW_COUNT_BETWEEN)
		{
			char	   *lo = json_value_text(json_get(e->args, "min"));
			char	   *hi = json_value_text(json_get(e->args, "max"));

			r->element_count = published;
			r->missing_count = -1;
			r->unexpected_count = -1;
			r->observed_value = published;
			r->success = (lo == NULL || (double) published >= strtod(lo, NULL)) &&
				(hi == NULL || (double) published <= strtod(hi, NULL));
		}
		else
		{
			int64		nonmissing;
			int64		denom;

			r->element_count = element_count;
			r->missing_count = DatumGetInt64(heap_getattr(row, col, rowdesc, &isnull));
			r->unexpected_count = DatumGetInt64(heap_getattr(row, col + 1, rowdesc, &isnull));
			{
				Datum		d = heap_getattr(row, col + 2, rowdesc, &isnull);

				r->partial_unexpected_list = isnull ? NULL : DatumGetJsonbPCopy(d);
			}
			col += 3;
			nonmissing = element_count - r->missing_count;
			denom = (k == K_NOT_NULL || k == K_EXPRESSION) ? element_count : nonmissing;
			r->percent_null = (denom == 0);
			r->unexpected_percent = denom > 0 ? (double) r->unexpected_count * 100.0 / (double) denom : 0.0;
			r->success = (denom == 0) ||
				((double) (denom - r->unexpected_count) / (double) denom >= e->mostly);
		}
		results = lappend(results, r);
	}
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
					 errdetail("The step would publish " INT64_FORMAT " rows, outside the expected range.",
							   r->observed_value),
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

PG_FUNCTION_INFO_V1(dataops_sample_final);
Datum
dataops_sample_final(PG_FUNCTION_ARGS)
{
	SampleState *state = PG_ARGISNULL(0) ? NULL : (SampleState *) PG_GETARG_POINTER(0);
	JsonbParseState *ps = NULL;
	JsonbValue *res;
	int			i;

	(void) pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
	for (i = 0; state && i < state->n; i++)
	{
		JsonbValue	v;

		if (state->values[i] == NULL)
			v.type = jbvNull;
		else
		{
			v.type = jbvString;
			v.val.string.val = state->values[i];
			v.val.string.len = strlen(state->values[i]);
		}
		(void) pushJsonbValue(&ps, WJB_ELEM, &v);
	}
	res = pushJsonbValue(&ps, WJB_END_ARRAY, NULL);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(res));
}
