/*
 * expect.h: expectations: validation of their definitions, the SQL that
 * evaluates them in the one scan of a step's rows, and their results.
 *
 * Semantics follow Great Expectations (element/missing/unexpected counts,
 * mostly, partial_unexpected_list, result formats BASIC, SUMMARY and
 * COMPLETE); actions follow Delta Live Tables (warn, drop, fail).
 *
 * Every row-level expectation k (its position in the list, from 1) becomes
 * one boolean column __dataops_u<k>, true for an unexpected row
 * (expect_sql_flags).  A step's checked query streams those flags into
 * sink.c, which counts them; dataops.validate() and bronze checks aggregate
 * them in SQL over a CTE named __dataops_chk (expect_sql_aggregates).
 * Either way expect_results turns the counts into results.
 */
#ifndef DATAOPS_EXPECT_H
#define DATAOPS_EXPECT_H

#include "postgres.h"
#include "access/tupdesc.h"
#include "lib/stringinfo.h"
#include "utils/jsonb.h"
#include "catalog.h"

/* Parameters of a generated statement ($1, $2, ...). */
typedef struct SqlParams
{
	int			n;
	Oid			types[1024];
	Datum		values[1024];
} SqlParams;

/* Adds a parameter and returns its number (for "$%d"); ERROR 54000 past 1024. */
extern int	sql_param(SqlParams *p, Oid type, Datum value);

/*
 * expect_validate: checks an expectation definition before it is stored,
 * canonicalises its kind (Great Expectations names become the short kind)
 * and its args (Great Expectations argument names such as min_value,
 * value_set or regex become min, values, pattern).  Raises 22023
 * (invalid_parameter_value) for an unknown kind, action or argument (the
 * hint lists the valid ones), missing or mistyped args, min > max, mostly
 * outside [0, 1] or below 1 for an aggregate kind, drop on an aggregate
 * kind; 2201B for a pattern that does not compile; 42601 for an expression
 * that is not one SQL expression; 42704 for an unknown args.type.
 */
extern void expect_validate(ExpectationDef *e);

/* True for kinds checked row by row (they count unexpected rows and may drop). */
extern bool expect_is_row_level(const ExpectationDef *e);

/*
 * expect_check_types: checks an expectation against the columns `desc` of
 * the rows it will check: every column it names exists (42703), numeric
 * kinds name numeric columns and bounds and set values read as values of
 * the column's type (42804), relationships' parent exists (42P01) and its
 * field compares with the column (42883).  Errors name the expectation.
 * Also raises 42501 unless the current role trusts every object the
 * expectation evaluates (trust.h): castable_to's type; relationships'
 * relation, which the current role must be allowed to read before it is
 * locked, its field's type and the comparison's operator and casts; an
 * expression's suite owner and, parsed over `desc`, every function,
 * operator, type and relation it uses (checked on its raw parse tree
 * before parse analysis locks or converts anything).  Called when an
 * expectation is added (if the step's target exists), when a suite is
 * attached, by dataops.validate and again each time a run generates its
 * SQL, so that objects replaced since are checked again.
 */
extern void expect_check_types(const ExpectationDef *e, TupleDesc desc);

/*
 * expect_require_trusted: raises 42501 (insufficient_privilege) unless
 * `role` trusts the objects e evaluates (trust.h), as far as they are known
 * without the columns of the rows checked and without locking anything:
 * castable_to's type (its input function, a domain's CHECK constraints,
 * recursively); relationships' relation (readable by `role`: 42501 naming
 * it otherwise; a view, materialized view or foreign table owned by a
 * trusted role; no untrusted row-level security) and its field's type; an
 * expression's suite owner (suite_require_expression_owner) and the
 * relations, types, functions and operators it names.  For the role that
 * will check the rows (e.g. a pipeline's owner when a suite is attached);
 * expect_check_types checks all of it, and more, for the current role each
 * time the expectation is checked.  Objects that do not exist yet (a type,
 * a relation an upstream step creates) are left to those checks.
 */
extern void expect_require_trusted(const ExpectationDef *e, Oid role);

/*
 * expect_sql_flags: appends to `sql`, for each row-level expectation k of
 * `exps`, ",\n <expr> AS __dataops_u<k>" where <expr> is true for a row
 * that is unexpected.  `desc` is the rows' columns; `live` is the SQL
 * condition of rows that survive deduplication.  Calls expect_check_types.
 */
extern void expect_sql_flags(List *exps, TupleDesc desc, const char *live,
							 SqlParams *params, StringInfo sql);

/* SQL condition true for a row some drop expectation rejects, or NULL if none. */
extern char *expect_sql_dropped(List *exps);

/*
 * expect_sql_aggregates: appends to `sql` the aggregate columns of every
 * expectation: when `row_level`, for a row-level one its missing count,
 * unexpected count, sample (and for SUMMARY and COMPLETE its 20 most
 * frequent unexpected values, read from __dataops_chk); for an aggregate
 * one its observed value (jsonb) and success (boolean), over every row
 * of the relation the caller's query reads.
 */
extern void expect_sql_aggregates(List *exps, TupleDesc desc, bool row_level,
								  SqlParams *params, StringInfo sql);

/*
 * expect_sql_samples: appends, for each row-level expectation k that names
 * no single column (unique or compound_unique on args.columns, expression),
 * ",\n CASE WHEN __dataops_u<k> THEN <value> END AS __dataops_s<k>": the
 * text reported for an unexpected row (the key as a row, or the whole row),
 * as sink.c reads it.  (For one column, sink.c casts the value to text
 * itself.)  Returns whether it appended anything.
 */
extern bool expect_sql_samples(List *exps, TupleDesc desc, StringInfo sql);

/* The columns whose values are all NULL in a missing row (Great Expectations' missing); NIL when the kind judges NULLs itself. */
extern List *expect_missing_columns(const ExpectationDef *e);

/* args.result_format of e: BASIC (the default), SUMMARY or COMPLETE. */
extern const char *expect_result_format(const ExpectationDef *e);

/* True when some expectation must check rows outside parallel mode (castable_to may need subtransactions). */
extern bool expect_needs_serial(List *exps);

/* True when some expectation of `exps` is an aggregate kind (mean_between, freshness, ...). */
extern bool expect_any_aggregate(List *exps);

/* A JSON array of the n strings (NULL entries become JSON nulls): partial_unexpected_list. */
extern Jsonb *expect_sample_jsonb(char *const *values, int n);

/*
 * expect_results: builds the result of every expectation from the
 * aggregates row (`first_col` is the 1-based column of the first aggregate
 * of expect_sql_aggregates), `element_count` checked rows, `published`
 * rows written to the target, and `desc` the rows' columns (for
 * columns_match_set).  When row_outcomes is given (sink.c's, by position),
 * row-level expectations take their counts and samples from it and the
 * aggregates row holds only aggregate kinds' columns.  Allocated in the
 * current memory context.
 */
extern List *expect_results(List *exps, HeapTuple row, TupleDesc rowdesc, int first_col,
							int64 element_count, int64 published, TupleDesc desc,
							const ExpectationResult *row_outcomes);

/*
 * expect_check_rows: checks every expectation of `exps` on the rows of
 * `from_sql` (a relation with alias s, optionally followed by a WHERE
 * clause that may use $1 = run_id), in one statement, writing the rows
 * COMPLETE expectations flag to `unexpected_table` (qualified, created by
 * the caller) when it is not NULL.  SPI must be connected.  Results are
 * allocated in result_cxt.
 */
extern List *expect_check_rows(List *exps, const char *from_sql, TupleDesc desc, int64 run_id,
							   const char *unexpected_table, MemoryContext result_cxt);

/* True when some expectation of `exps` has result_format COMPLETE. */
extern bool expect_any_complete(List *exps);

/*
 * expect_raise_failures: raises ERROR 23514 (check_violation) naming the
 * first failed `fail` expectation of `results`, the step and the counts.
 */
extern void expect_raise_failures(List *results, const char *step);

#endif							/* DATAOPS_EXPECT_H */
