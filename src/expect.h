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
 *
 * The module is four files: expect.c, the table of kinds (this header);
 * expect_def.c, definitions and their checks (expect_def.h); expect_sql.c,
 * the generated SQL (expect_sql.h); expect_result.c, the results
 * (expect_result.h).  Callers include this header, which includes the
 * other three; expect_int.h is private to the module.
 */
#ifndef DATAOPS_EXPECT_H
#define DATAOPS_EXPECT_H

#include "postgres.h"
#include "nodes/pg_list.h"
#include "catalog.h"

#include "expect_def.h"
#include "expect_sql.h"
#include "expect_result.h"

/* True for kinds checked row by row (they count unexpected rows and may drop). */
extern bool expect_is_row_level(const ExpectationDef *e);

/* True when some expectation of exps is checked row by row (a flag column of the checked query).  No errors. */
extern bool expect_any_row_level(List *exps);

/* The columns whose values are all NULL in a missing row (Great Expectations' missing); NIL when the kind judges NULLs itself. */
extern List *expect_missing_columns(const ExpectationDef *e);

/* args.result_format of e: BASIC (the default), SUMMARY or COMPLETE. */
extern const char *expect_result_format(const ExpectationDef *e);

/* True when some expectation must check rows outside parallel mode (castable_to may need subtransactions). */
extern bool expect_needs_serial(List *exps);

/*
 * True when some row-level expectation (unique, compound_unique) counts
 * among the rows that survive deduplication in SQL, so the step's rows must
 * be numbered per unique_key in the checked query rather than deduplicated
 * by the sink.  No errors.
 */
extern bool expect_needs_live(List *exps);

/* True when some expectation of `exps` is an aggregate kind (mean_between, freshness, ...). */
extern bool expect_any_aggregate(List *exps);

/* True when some expectation of `exps` has result_format COMPLETE. */
extern bool expect_any_complete(List *exps);

/*
 * expect_sql_row_parts: for a row-level expectation e over rows with the
 * columns desc, the SQL condition true when the row's checked value is
 * missing (*missing; NULL when the kind judges NULLs itself) and the SQL
 * text value an unexpected row reports (*sample), as expect_sql_aggregates
 * and sink.c count them.  For statements that count the flags
 * (__dataops_u<k>) of rows stored in a table (publish_citus.c).  Raises
 * nothing.
 */
extern void expect_sql_row_parts(const ExpectationDef *e, TupleDesc desc, char **missing, char **sample);

#endif							/* DATAOPS_EXPECT_H */
