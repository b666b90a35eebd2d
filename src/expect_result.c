/*
 * expect_result.c: the results of expectations: turns the counts, samples
 * and observed values the generated SQL (expect_sql.c) or sink.c computed
 * into one ExpectationResult per expectation (counts, percentages,
 * success, the samples of result formats SUMMARY and COMPLETE), checks the
 * rows of a relation in one statement (expect_check_rows), raises on failed
 * `fail` expectations, and implements dataops.unexpected_sample.  How each
 * kind builds its result is in the table of kinds (expect.c), which points
 * at the result_* functions here.
 *
 * Counting follows Great Expectations (see expect.c's head comment).
 *
 * May use: expect.c (the table of kinds, through expect_int.h), expect_sql.c
 * (the statement of expect_check_rows), catalog (JSON helpers), dataops.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "dataops.h"
#include "expect_int.h"
#include "expect_result.h"

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
	bool		exact = expect_arg_bool(e, "exact_match", true);
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

		if (!expect_user_column(att))
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
		if (expect_find_column(desc, lfirst(lc)) == NULL)
			ok = false;
	return ok;
}

/* ---------- the result of each kind (KindInfo.result) ---------- */

/*
 * Row-level kinds: the missing and unexpected counts and the samples, from
 * sink.c's outcome or from the aggregates row; unexpected_percent and
 * success against mostly (over element_count for KF_JUDGES_NULLS kinds,
 * over the non-missing rows otherwise).
 */
void
result_row(const ExpectationDef *e, const KindInfo *ki, ResultSource *src, ExpectationResult *r)
{
	int64		element_count = src->element_count;
	int64		nonmissing;
	int64		denom;
	bool		isnull;
	Datum		d;

	r->element_count = element_count;
	if (src->outcome)
	{
		const ExpectationResult *o = src->outcome;

		r->missing_count = o->missing_count;
		r->unexpected_count = o->unexpected_count;
		r->partial_unexpected_list = o->partial_unexpected_list;
		r->partial_unexpected_counts = o->partial_unexpected_counts;
	}
	else
	{
		HeapTuple	row = src->row;
		TupleDesc	rowdesc = src->rowdesc;
		int			col = src->col;

		r->missing_count = DatumGetInt64(heap_getattr(row, col, rowdesc, &isnull));
		r->unexpected_count = DatumGetInt64(heap_getattr(row, col + 1, rowdesc, &isnull));
		d = heap_getattr(row, col + 2, rowdesc, &isnull);
		r->partial_unexpected_list = isnull ? NULL : DatumGetJsonbPCopy(d);
		if (expect_aggregate_columns(e) == 4)
		{
			d = heap_getattr(row, col + 3, rowdesc, &isnull);
			r->partial_unexpected_counts = isnull ? NULL : DatumGetJsonbPCopy(d);
		}
		src->col += expect_aggregate_columns(e);
	}
	/* BOOLEAN_ONLY: Great Expectations reports success alone; dataops keeps the counts, no values */
	if (strcmp(r->result_format, "BOOLEAN_ONLY") == 0)
	{
		r->partial_unexpected_list = NULL;
		r->partial_unexpected_counts = NULL;
	}
	nonmissing = element_count - r->missing_count;
	denom = (ki->flags & KF_JUDGES_NULLS) ? element_count : nonmissing;
	r->percent_null = (denom == 0);
	r->unexpected_percent = denom > 0 ? (double) r->unexpected_count * 100.0 / (double) denom : 0.0;
	r->success = (denom == 0) ||
		((double) (denom - r->unexpected_count) / (double) denom >= e->mostly);
}

/* Aggregate kinds: the observed value and success columns of the aggregates row. */
void
result_aggregate(const ExpectationDef *e, const KindInfo *ki, ResultSource *src, ExpectationResult *r)
{
	bool		isnull;
	Datum		d;

	r->element_count = src->published;
	d = heap_getattr(src->row, src->col, src->rowdesc, &isnull);
	r->observed_value = isnull ? NULL : DatumGetJsonbPCopy(d);
	r->success = DatumGetBool(heap_getattr(src->row, src->col + 1, src->rowdesc, &isnull));
	src->col += 2;
}

/* row_count_between: the published row count within min/max (strict_min, strict_max). */
void
result_row_count_between(const ExpectationDef *e, const KindInfo *ki, ResultSource *src, ExpectationResult *r)
{
	char	   *lo = json_value_text(json_get(e->args, "min"));
	char	   *hi = json_value_text(json_get(e->args, "max"));
	bool		slo = expect_arg_bool(e, "strict_min", false);
	bool		shi = expect_arg_bool(e, "strict_max", false);
	double		p = (double) src->published;

	r->element_count = src->published;
	r->observed_value = int8_jsonb(src->published);
	r->success = (lo == NULL || (slo ? p > strtod(lo, NULL) : p >= strtod(lo, NULL))) &&
		(hi == NULL || (shi ? p < strtod(hi, NULL) : p <= strtod(hi, NULL)));
}

/* row_count_equal: the published row count is args.value. */
void
result_row_count_equal(const ExpectationDef *e, const KindInfo *ki, ResultSource *src, ExpectationResult *r)
{
	r->element_count = src->published;
	r->observed_value = int8_jsonb(src->published);
	r->success = src->published == strtoi64(json_value_text(json_get(e->args, "value")), NULL, 10);
}

/* columns_match_set: judged on the rows' columns, without a scan. */
void
result_columns_match_set(const ExpectationDef *e, const KindInfo *ki, ResultSource *src, ExpectationResult *r)
{
	r->element_count = src->published;
	r->success = columns_match_set(e, src->desc, &r->observed_value);
}

List *
expect_results(List *exps, HeapTuple row, TupleDesc rowdesc, int first_col,
			   int64 element_count, int64 published, TupleDesc desc,
			   const ExpectationResult *row_outcomes)
{
	ListCell   *lc;
	List	   *results = NIL;
	ResultSource src = {row, rowdesc, first_col, element_count, published, desc, NULL};

	foreach(lc, exps)
	{
		ExpectationDef *e = lfirst(lc);
		const KindInfo *ki = expect_kind_of(e);
		ExpectationResult *r = palloc0(sizeof(ExpectationResult));

		r->def = e;
		r->result_format = expect_result_format(e);
		r->missing_count = -1;
		r->unexpected_count = -1;
		r->percent_null = true;
		src.outcome = row_outcomes ? &row_outcomes[foreach_current_index(lc)] : NULL;
		ki->result(e, ki, &src, r);
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
	complete = unexpected_table ? expect_complete_sql(exps, params, &names) : NULL;
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
