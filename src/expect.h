/*
 * expect.h: expectations: validation of their definitions, the SQL that
 * evaluates them in the one scan of a step's rows, and their results.
 *
 * Semantics follow Great Expectations (element/missing/unexpected counts,
 * mostly, partial_unexpected_list); actions follow Delta Live Tables
 * (warn, drop, fail).
 */
#ifndef DATAOPS_EXPECT_H
#define DATAOPS_EXPECT_H

#include "postgres.h"
#include "access/tupdesc.h"
#include "lib/stringinfo.h"
#include "catalog.h"

/* Parameters of a generated statement ($1, $2, ...). */
typedef struct SqlParams
{
	int			n;
	Oid			types[256];
	Datum		values[256];
} SqlParams;

/* Adds a parameter and returns its number (for "$%d"); ERROR 54000 past 256. */
extern int	sql_param(SqlParams *p, Oid type, Datum value);

/*
 * expect_validate: checks an expectation definition before it is stored and
 * canonicalises its kind.  Raises 22023 (invalid_parameter_value) for an
 * unknown kind or action (the hint lists the valid ones), missing or
 * mistyped args, min > max, mostly outside [0, 1], drop on a table-level
 * kind; 2201B for a pattern that does not compile; 42601 for an expression
 * that is not one SQL expression.
 */
extern void expect_validate(ExpectationDef *e);

/* True for kinds checked on the table as a whole (row_count_between). */
extern bool expect_is_table_level(const ExpectationDef *e);

/*
 * expect_sql_flags: appends to `sql`, for each row-level expectation k of
 * `exps`, ",\n <expr> AS __dataops_u<k>" where <expr> is true for a row
 * that is unexpected.  `desc` is the step's output; `live` is the SQL
 * condition of rows that survive deduplication.  Raises 42703 when a column
 * an expectation names is not in the output.
 */
extern void expect_sql_flags(List *exps, TupleDesc desc, const char *live,
							 SqlParams *params, StringInfo sql);

/* SQL condition true for a row some drop expectation rejects, or NULL if none. */
extern char *expect_sql_dropped(List *exps);

/* SQL text[] expression naming the expectations a row failed (names as parameters). */
extern char *expect_sql_failed_names(List *exps, SqlParams *params);

/*
 * expect_sql_aggregates: appends to `sql` three aggregate columns per
 * row-level expectation: missing count, unexpected count and sample.
 */
extern void expect_sql_aggregates(List *exps, TupleDesc desc, const char *live, StringInfo sql);

/*
 * expect_results: builds the result of every expectation from the
 * aggregates row (`first_col` is the 1-based column of the first aggregate
 * of expect_sql_aggregates), `element_count` checked rows and `published`
 * rows written to the target.  Allocated in the current memory context.
 */
extern List *expect_results(List *exps, HeapTuple row, TupleDesc rowdesc, int first_col,
							int64 element_count, int64 published);

/*
 * expect_raise_failures: raises ERROR 23514 (check_violation) naming the
 * first failed `fail` expectation of `results`, the step and the counts.
 */
extern void expect_raise_failures(List *results, const char *step);

#endif							/* DATAOPS_EXPECT_H */
