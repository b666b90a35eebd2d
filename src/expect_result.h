/*
 * expect_result.h: the results of expectations (expect_result.c): turns
 * the counts, samples and observed values of the generated SQL into one
 * ExpectationResult per expectation (success, percentages, the result
 * formats' samples), checks rows in one statement (expect_check_rows),
 * raises on failed `fail` expectations, and dataops.unexpected_sample, the
 * aggregate that keeps the first unexpected values.
 *
 * Callers include expect.h, which includes this header.
 */
#ifndef DATAOPS_EXPECT_RESULT_H
#define DATAOPS_EXPECT_RESULT_H

#include "postgres.h"
#include "access/htup.h"
#include "access/tupdesc.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"
#include "catalog.h"

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

/*
 * expect_raise_failures: raises ERROR 23514 (check_violation) naming the
 * first failed `fail` expectation of `results`, the step and the counts.
 */
extern void expect_raise_failures(List *results, const char *step);

#endif							/* DATAOPS_EXPECT_RESULT_H */
