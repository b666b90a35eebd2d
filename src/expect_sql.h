/*
 * expect_sql.h: the SQL that evaluates expectations (expect_sql.c): the
 * boolean column of each row-level expectation (true for an unexpected
 * row), the condition of dropped rows, the aggregate columns (counts,
 * samples, observed values and successes) and the sample columns, and the
 * parameters ($1, $2, ...) that SQL uses.
 *
 * Callers include expect.h, which includes this header.
 */
#ifndef DATAOPS_EXPECT_SQL_H
#define DATAOPS_EXPECT_SQL_H

#include "postgres.h"
#include "access/tupdesc.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"

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

#endif							/* DATAOPS_EXPECT_SQL_H */
