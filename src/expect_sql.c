/*
 * expect_sql.c: the SQL that evaluates expectations: for each row-level
 * expectation the condition true for an unexpected row (expect_sql_flags),
 * the condition of dropped rows, the aggregate columns (missing and
 * unexpected counts, samples, most frequent unexpected values, observed
 * values and successes of aggregate kinds), the sample columns, and their
 * parameters.  What each kind generates is in the table of kinds (expect.c),
 * which points at the sql_* functions here.
 *
 * May use: expect.c (the table of kinds, through expect_int.h), expect_def.c
 * (expect_check_types and the names it shares), sqlgen (sqlgen_operator),
 * catalog (JSON helpers), dataops.  Not expect_result.c, which uses this
 * file.
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
 * its real schema (sqlgen.h).  IN, NULLIF, IS DISTINCT FROM and CASE x
 * WHEN, which look "=" up on the search_path, are not generated.  What the
 * user wrote (a step's query, args.expression, args.type) keeps the
 * search_path it was written for.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/stratnum.h"
#include "catalog/namespace.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "dataops.h"
#include "expect_int.h"
#include "expect_sql.h"
#include "sqlgen.h"

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

int
expect_text_param(SqlParams *p, const char *s)
{
	return sql_param(p, TEXTOID, CStringGetTextDatum(s));
}

/* ---------- operators in generated SQL (see the head comment) ---------- */

/* "OPERATOR(schema.name)" for operator opr, the schema quoted. */
static char *
operator_sql(Oid opr)
{
	return psprintf("OPERATOR(%s.%s)", quote_identifier(get_namespace_name(expect_operator_namespace(opr))),
					get_opname(opr));
}

/*
 * "OPERATOR(schema.op)" comparing two values of type typid (column names the
 * column in errors): the member of the type's default btree operator class
 * for btree strategy `strategy` (BTLessStrategyNumber ..
 * BTGreaterStrategyNumber); for equality, else its hash class's (sqlgen.h),
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
			return sqlgen_operator(typid, TYPECACHE_EQ_OPR, column);
		case BTLessStrategyNumber:
			return sqlgen_operator(typid, TYPECACHE_LT_OPR, column);
		case BTGreaterStrategyNumber:
			return sqlgen_operator(typid, TYPECACHE_GT_OPR, column);
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

/* "OPERATOR(schema.=)" from expect_relationship_opname. */
static char *
relationship_operator(Oid ltype)
{
	List	   *name = expect_relationship_opname(ltype);

	return psprintf("OPERATOR(%s.=)", quote_identifier(strVal(linitial(name))));
}

/* ---------- pieces of the kinds' SQL ---------- */

/* SQL condition: the row's checked value is missing (NULL), or NULL if the kind judges NULLs itself. */
static char *
missing_condition(const ExpectationDef *e, const KindInfo *ki)
{
	StringInfoData s;
	ListCell   *lc;

	if (ki->flags & KF_JUDGES_NULLS)
		return NULL;
	initStringInfo(&s);
	foreach(lc, expect_key_columns(e))
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
	char	   *type = expect_qualified_type(typid, typmod);
	StringInfoData cond;

	initStringInfo(&cond);
	if (lo)
		appendStringInfo(&cond, "%s %s CAST($%d AS %s)", expr,
						 type_operator(typid, expect_arg_bool(e, "strict_min", false) ?
									   BTGreaterStrategyNumber : BTGreaterEqualStrategyNumber, column),
						 expect_text_param(params, lo), type);
	if (hi)
		appendStringInfo(&cond, "%s%s %s CAST($%d AS %s)", lo ? " AND " : "", expr,
						 type_operator(typid, expect_arg_bool(e, "strict_max", false) ?
									   BTLessStrategyNumber : BTLessEqualStrategyNumber, column),
						 expect_text_param(params, hi), type);
	return cond.data;
}

/* "SELECT CAST(v AS type) FROM pg_catalog.jsonb_array_elements_text($n) v" for args.values. */
static char *
set_subquery(const ExpectationDef *e, Form_pg_attribute att, SqlParams *params)
{
	return psprintf("SELECT CAST(" DATAOPS_INTERNAL_PREFIX "set.value AS %s) FROM pg_catalog.jsonb_array_elements_text($%d) AS " DATAOPS_INTERNAL_PREFIX "set(value)",
					expect_qualified_type(att->atttypid, att->atttypmod),
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
					expect_text_param(params, pattern), expect_text_param(params, flags ? flags : ""),
					expect_text_param(params, e->name));
}

/* ---------- the SQL of each kind (KindInfo.sql) ---------- */

/* not_null, null: "(col IS NULL)" for not_null (KF_NOT), "(col IS NOT NULL)" for null. */
void
flag_null(const ExpectationDef *e, const KindInfo *ki, SqlTarget *t)
{
	appendStringInfo(t->sql, "(%s IS %sNULL)", t->col, (ki->flags & KF_NOT) ? "" : "NOT ");
}

/* unique, compound_unique: the key is not missing and occurs more than once among the live rows. */
void
flag_unique(const ExpectationDef *e, const KindInfo *ki, SqlTarget *t)
{
	StringInfoData part;
	ListCell   *c;

	initStringInfo(&part);
	foreach(c, expect_key_columns(e))
		appendStringInfo(&part, "%s%s", part.len ? ", " : "", quote_identifier(lfirst(c)));
	appendStringInfo(t->sql, "(NOT (%s) AND pg_catalog.count(*) FILTER (WHERE %s) OVER (PARTITION BY %s) OPERATOR(pg_catalog.>) 1)",
					 missing_condition(e, ki), t->live, part.data);
}

/* match_regex, not_match_regex (KF_NOT). */
void
flag_regex(const ExpectationDef *e, const KindInfo *ki, SqlTarget *t)
{
	appendStringInfo(t->sql, "(%s IS NOT NULL AND %s%s)", t->col, (ki->flags & KF_NOT) ? "" : "NOT ",
					 regex_call(e, t->col, json_value_text(json_get(e->args, "pattern")), t->params));
}

/* match_regex_list: any (or with match_on all, every) pattern must match. */
void
flag_regex_list(const ExpectationDef *e, const KindInfo *ki, SqlTarget *t)
{
	char	   *on = json_value_text(json_get(e->args, "match_on"));
	bool		all = on && strcmp(on, "all") == 0;
	ListCell   *c;
	bool		first = true;

	appendStringInfo(t->sql, "(%s IS NOT NULL AND NOT (", t->col);
	foreach(c, json_string_list(json_get(e->args, "patterns"), "args.patterns"))
	{
		appendStringInfo(t->sql, "%s%s", first ? "" : (all ? " AND " : " OR "),
						 regex_call(e, t->col, lfirst(c), t->params));
		first = false;
	}
	appendStringInfoString(t->sql, "))");
}

/* between: the bounds, with the column type's operators. */
void
flag_between(const ExpectationDef *e, const KindInfo *ki, SqlTarget *t)
{
	appendStringInfo(t->sql, "(%s IS NOT NULL AND (%s) IS NOT TRUE)", t->col,
					 bound_condition(e, t->col, t->att->atttypid, t->att->atttypmod, e->column_name, t->params));
}

/*
 * value_lengths_between: one range test, so that the length is computed
 * once.  With min > max no length is in range: every non-null value is
 * unexpected, as Great Expectations' column_values.value_length.between
 * metric ((length >= min) & (length <= max), no check of the bounds).
 */
void
flag_value_lengths(const ExpectationDef *e, const KindInfo *ki, SqlTarget *t)
{
	JsonbValue *lov = json_get(e->args, "min");
	JsonbValue *hiv = json_get(e->args, "max");
	char	   *lo = json_value_text(lov);
	char	   *hi = json_value_text(hiv);

	if (lo && hi && lov->type == jbvNumeric && hiv->type == jbvNumeric &&
		DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(lov->val.numeric),
										  NumericGetDatum(hiv->val.numeric))) > 0)
	{
		appendStringInfo(t->sql, "(%s IS NOT NULL)", t->col);
		return;
	}
	appendStringInfo(t->sql,
					 "(%s IS NOT NULL AND NOT (pg_catalog.int4range(%s, %s, '%c%c') OPERATOR(pg_catalog.@>) "
					 "pg_catalog.char_length(CAST(%s AS pg_catalog.text))))",
					 t->col,
					 lo ? psprintf("CAST($%d AS integer)", expect_text_param(t->params, lo)) : "NULL",
					 hi ? psprintf("CAST($%d AS integer)", expect_text_param(t->params, hi)) : "NULL",
					 expect_arg_bool(e, "strict_min", false) ? '(' : '[',
					 expect_arg_bool(e, "strict_max", false) ? ')' : ']', t->col);
}

/* in_set, not_in_set (KF_NOT): "= ANY" of the values, with the column type's equality. */
void
flag_in_set(const ExpectationDef *e, const KindInfo *ki, SqlTarget *t)
{
	JsonbValue *values = json_get(e->args, "values");
	int			n;
	char	   *eq;
	const char *is = (ki->flags & KF_NOT) ? "" : "NOT";

	/*
	 * args.values null: the universal set, every value expected, for in_set
	 * and not_in_set alike (Great Expectations' column_values.in_set and
	 * column_values.not_in_set: "Vacuously true" when value_set is None).
	 */
	if (values == NULL || values->type == jbvNull)
	{
		appendStringInfoString(t->sql, "false");
		return;
	}
	n = set_array_param(e, t->att, t->params);
	eq = type_operator(t->att->atttypid, BTEqualStrategyNumber, e->column_name);
	if (n > 0)
		appendStringInfo(t->sql, "(%s IS NOT NULL AND (%s %s ANY($%d)) IS %s TRUE)", t->col, t->col, eq,
						 n, is);
	else
		appendStringInfo(t->sql, "(%s IS NOT NULL AND (%s %s ANY (%s)) IS %s TRUE)", t->col, t->col, eq,
						 set_subquery(e, t->att, t->params), is);
}

/* The value, as text, fails function(text, args.<key>) (a qualified function name). */
static void
text_function_check(const ExpectationDef *e, SqlTarget *t, const char *function, const char *key)
{
	appendStringInfo(t->sql, "(%s IS NOT NULL AND NOT %s(CAST(%s AS pg_catalog.text), $%d))",
					 t->col, function, t->col, expect_text_param(t->params, json_value_text(json_get(e->args, key))));
}

/* match_strftime_format: dataops.matches_strftime. */
void
flag_strftime(const ExpectationDef *e, const KindInfo *ki, SqlTarget *t)
{
	text_function_check(e, t, "dataops.matches_strftime", "format");
}

/* castable_to: dataops.input_is_valid. */
void
flag_castable(const ExpectationDef *e, const KindInfo *ki, SqlTarget *t)
{
	text_function_check(e, t, "dataops.input_is_valid", "type");
}

/* relationships: the value is among args.field of args.to (locked by expect_check_types). */
void
flag_relationship(const ExpectationDef *e, const KindInfo *ki, SqlTarget *t)
{
	Oid			relid = expect_parent_relation(e, GetUserId(), true);

	appendStringInfo(t->sql, "(%s IS NOT NULL AND (%s %s ANY (SELECT %s FROM %s)) IS NOT TRUE)", t->col, t->col,
					 relationship_operator(t->att->atttypid),
					 quote_identifier(json_value_text(json_get(e->args, "field"))),
					 dataops_relation_name(relid));
}

/* expression: what the user wrote, not true. */
void
flag_expression(const ExpectationDef *e, const KindInfo *ki, SqlTarget *t)
{
	appendStringInfo(t->sql, "((\n%s\n) IS NOT TRUE)",
					 json_value_text(json_get(e->args, "expression")));
}

/* The aggregate of an aggregate kind over its column (KindInfo.aggregate). */
static char *
aggregate_expr(const KindInfo *ki, SqlTarget *t)
{
	return psprintf(ki->aggregate, t->col);
}

/* Appends an aggregate kind's observed value and success, as two SQL columns. */
static void
append_observed(SqlTarget *t, const char *observed, const char *success)
{
	appendStringInfo(t->sql, ",\n  %s,\n  COALESCE(%s, false)", observed, success);
}

/*
 * The success of an aggregate kind's bounds: cond, or, when both bounds are
 * omitted (cond empty), the observed value exists: Great Expectations'
 * _validate_metric_value_between is then vacuously true, except that an
 * observed value of None fails.
 */
static char *
bounds_success(const char *cond, const char *agg)
{
	return cond[0] ? (char *) cond : psprintf("(%s) IS NOT NULL", agg);
}

/* mean, sum, median, stdev, unique_value_count, proportion_of_unique_values: numeric bounds. */
void
observe_bounds(const ExpectationDef *e, const KindInfo *ki, SqlTarget *t)
{
	char	   *agg = aggregate_expr(ki, t);

	append_observed(t, psprintf("pg_catalog.to_jsonb(%s)", agg),
					bounds_success(bound_condition(e, psprintf("CAST(%s AS pg_catalog.numeric)", agg), NUMERICOID,
												   -1, NULL, t->params), agg));
}

/*
 * min_between, max_between: compared as a value of the column's type, with
 * its operators: pg_catalog.min of a type without its own (varchar,
 * citext) is that of the type it converts to (text)
 */
void
observe_typed_bounds(const ExpectationDef *e, const KindInfo *ki, SqlTarget *t)
{
	char	   *agg = aggregate_expr(ki, t);
	Form_pg_attribute att = t->att;

	append_observed(t, psprintf("pg_catalog.to_jsonb(%s)", agg),
					bounds_success(bound_condition(e, psprintf("CAST(%s AS %s)", agg,
															   expect_qualified_type(att->atttypid, att->atttypmod)),
												   att->atttypid, att->atttypmod, e->column_name, t->params), agg));
}

/*
 * distinct_values_in_set: the distinct values, contained in args.values; a
 * null or empty args.values is the universal set, as Great Expectations'
 * ExpectColumnDistinctValuesToBeInSet._validate ("if not
 * expected_value_set: success = True").
 */
void
observe_set(const ExpectationDef *e, const KindInfo *ki, SqlTarget *t)
{
	char	   *agg = aggregate_expr(ki, t);
	JsonbValue *values = json_get(e->args, "values");

	if (values == NULL || values->type == jbvNull ||
		(values->type == jbvBinary && JsonContainerSize(values->val.binary.data) == 0))
	{
		append_observed(t, psprintf("COALESCE(pg_catalog.to_jsonb(%s), CAST('[]' AS pg_catalog.jsonb))", agg),
						"true");
		return;
	}
	append_observed(t, psprintf("COALESCE(pg_catalog.to_jsonb(%s), CAST('[]' AS pg_catalog.jsonb))", agg),
					psprintf("COALESCE(%s OPERATOR(pg_catalog.<@) ARRAY(%s), true)", agg,
							 set_subquery(e, t->att, t->params)));
}

/* freshness: the latest value and its age, at most args.max_age. */
void
observe_freshness(const ExpectationDef *e, const KindInfo *ki, SqlTarget *t)
{
	char	   *agg = aggregate_expr(ki, t);
	char	   *age = psprintf("(pg_catalog.now() OPERATOR(pg_catalog.-) CAST(%s AS pg_catalog.timestamptz))",
							   agg);

	append_observed(t, psprintf("pg_catalog.jsonb_build_object('max', %s, 'age', CAST(%s AS pg_catalog.text))",
								agg, age),
					psprintf("%s OPERATOR(pg_catalog.<=) CAST($%d AS pg_catalog.interval)", age,
							 expect_text_param(t->params, json_value_text(json_get(e->args, "max_age")))));
}

void
expect_sql_flags(List *exps, TupleDesc desc, const char *live, SqlParams *params, StringInfo sql)
{
	ListCell   *lc;
	int			idx = 0;

	expect_resolve_parameters(exps);
	foreach(lc, exps)
	{
		ExpectationDef *e = lfirst(lc);
		const KindInfo *ki = expect_kind_of(e);
		SqlTarget	t = {NULL, NULL, live, params, sql};

		t.col = e->column_name ? quote_identifier(e->column_name) : NULL;
		idx++;
		expect_check_types(e, desc);
		if (ki->level != L_ROW)
			continue;
		if (e->column_name)
			t.att = expect_find_column(desc, e->column_name);
		appendStringInfoString(sql, ",\n  ");
		ki->sql(e, ki, &t);
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

/*
 * For the expectations with result_format COMPLETE: the SQL condition true
 * for a row one of them flags, and in *names a text[] expression naming
 * those it flags (their names as parameters); NULL if there are none.
 */
char *
expect_complete_sql(List *exps, SqlParams *params, char **names)
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
		if (!expect_is_row_level(e) || strcmp(expect_result_format(e), "COMPLETE") != 0)
			continue;
		appendStringInfo(&s, "%sCASE WHEN %su%d THEN $%d END", any.len ? ", " : "",
						 DATAOPS_INTERNAL_PREFIX, idx, expect_text_param(params, e->name));
		appendStringInfo(&any, "%s%su%d", any.len ? " OR " : "", DATAOPS_INTERNAL_PREFIX, idx);
	}
	appendStringInfoString(&s, "] AS pg_catalog.text[]), NULL)");
	*names = any.len ? s.data : NULL;
	return any.len ? psprintf("(%s)", any.data) : NULL;
}

/* SQL text value reported for an unexpected row. */
static char *
sample_value(const ExpectationDef *e, const KindInfo *ki, TupleDesc desc)
{
	StringInfoData s;
	int			i;

	if (e->column_name)
		return psprintf("CAST(%s AS pg_catalog.text)", quote_identifier(e->column_name));
	initStringInfo(&s);
	appendStringInfoString(&s, "CAST(ROW(");
	if (ki->column == COL_OR_COLUMNS || ki->column == COL_NONE_COLUMNS)
	{
		List	   *cols = expect_key_columns(e);
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

			if (!expect_user_column(att))
				continue;
			appendStringInfo(&s, "%s%s", first ? "" : ", ", quote_identifier(NameStr(att->attname)));
			first = false;
		}
	}
	appendStringInfoString(&s, ") AS pg_catalog.text)");
	return s.data;
}

void
expect_sql_aggregates(List *exps, TupleDesc desc, bool row_level, SqlParams *params, StringInfo sql)
{
	ListCell   *lc;
	int			idx = 0;

	expect_resolve_parameters(exps);
	foreach(lc, exps)
	{
		ExpectationDef *e = lfirst(lc);
		const KindInfo *ki = expect_kind_of(e);
		char	   *missing;
		char	   *u;

		idx++;
		if (ki->level == L_AGGREGATE)
		{
			SqlTarget	t = {quote_identifier(e->column_name), expect_find_column(desc, e->column_name), NULL, params, sql};

			ki->sql(e, ki, &t);
			continue;
		}
		if (ki->level != L_ROW || !row_level)
			continue;
		missing = missing_condition(e, ki);
		u = psprintf(DATAOPS_INTERNAL_PREFIX "u%d", idx);
		if (missing)
			appendStringInfo(sql, ",\n  pg_catalog.count(*) FILTER (WHERE %s)", missing);
		else
			appendStringInfoString(sql, ",\n  CAST(0 AS pg_catalog.int8)");
		appendStringInfo(sql, ",\n  pg_catalog.count(*) FILTER (WHERE %s)", u);
		appendStringInfo(sql, ",\n  dataops.unexpected_sample(%s) FILTER (WHERE %s)",
						 sample_value(e, ki, desc), u);
		if (expect_aggregate_columns(e) == 4)
			appendStringInfo(sql,
							 ",\n  COALESCE((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('value', t.v, 'count', t.n) ORDER BY t.n DESC, t.v)"
							 " FROM (SELECT %s AS v, pg_catalog.count(*) AS n FROM " DATAOPS_INTERNAL_PREFIX "chk WHERE %s"
							 " GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT %d) t), CAST('[]' AS pg_catalog.jsonb))",
							 sample_value(e, ki, desc), u, DATAOPS_SAMPLE_SIZE);
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
						 sample_value(e, expect_kind_of(e), desc), DATAOPS_INTERNAL_PREFIX, idx);
		any = true;
	}
	return any;
}

void
expect_sql_row_parts(const ExpectationDef *e, TupleDesc desc, char **missing, char **sample)
{
	const KindInfo *ki = expect_kind_of(e);

	*missing = missing_condition(e, ki);
	*sample = sample_value(e, ki, desc);
}
