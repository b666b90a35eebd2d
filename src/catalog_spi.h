/*
 * catalog_spi.h: the shared SPI core of the catalog modules (catalog.c).
 *
 * Private to catalog.c, catalog_defs.c, catalog_runs.c and catalog_state.c:
 * no other module includes it (they include catalog.h).  It may use
 * dataops.h (the extension owner) and PostgreSQL only.
 *
 * Every statement runs through catalog_spi(): it connects SPI, runs the
 * statement as the extension owner (SetUserIdAndSecContext, as PostgreSQL
 * does for its own internal queries) with search_path set to
 * "pg_catalog, pg_temp" and every value a parameter, copies the rows into
 * the caller's memory context and finishes SPI.  Transaction abort restores
 * the user id and the GUC nest level if an ERROR escapes.
 */
#ifndef DATAOPS_CATALOG_SPI_H
#define DATAOPS_CATALOG_SPI_H

#include "postgres.h"
#include "access/htup.h"
#include "access/tupdesc.h"
#include "executor/spi.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"

#define CATALOG_MAX_ARGS 20

/* The parameters $1, $2, ... of one catalog statement, in order. */
typedef struct CatalogArgs
{
	int			n;
	Oid			types[CATALOG_MAX_ARGS];
	Datum		values[CATALOG_MAX_ARGS];
	char		nulls[CATALOG_MAX_ARGS];
} CatalogArgs;

/* Appends one parameter; a NULL pointer (text, jsonb) or isnull gives SQL NULL. */
extern void arg_datum(CatalogArgs *a, Oid type, Datum value, bool isnull);
extern void arg_text(CatalogArgs *a, const char *s);
/* Two text parameters, for the statements keyed by (pipeline, step) and the like. */
extern void arg_text2(CatalogArgs *a, const char *first, const char *second);
/* New parameters starting with those two texts. */
extern CatalogArgs args_text2(const char *first, const char *second);
extern void arg_int8(CatalogArgs *a, int64 v, bool isnull);
extern void arg_int4(CatalogArgs *a, int32 v, bool isnull);
extern void arg_float8(CatalogArgs *a, double v, bool isnull);
extern void arg_bool(CatalogArgs *a, bool v);
extern void arg_jsonb(CatalogArgs *a, Jsonb *j);
/* A text[] of the C strings in `items`; NIL gives an empty array, not NULL. */
extern void arg_text_array(CatalogArgs *a, List *items);

/* The rows a statement returned, copied (detoasted) into the caller's context. */
typedef struct CatalogRows
{
	uint64		n;				/* SPI_processed: rows returned, or rows changed */
	TupleDesc	desc;			/* NULL when the statement returned no rows */
	HeapTuple  *rows;
} CatalogRows;

/* Column `col` (1-based) of row `row` as a palloc'd C string (output function), or NULL. */
extern char *row_text(CatalogRows *r, uint64 row, int col);
extern Datum row_datum(CatalogRows *r, uint64 row, int col, bool *isnull);
/* A bigint column; 0 for SQL NULL. */
extern int64 row_int8(CatalogRows *r, uint64 row, int col);
/* The first column (bigint) of every row, as a list of int64 *. */
extern List *rows_int8_list(CatalogRows *r);
/* A text[] column as a List of C strings (NULL elements skipped); NIL for SQL NULL. */
extern List *row_text_list(CatalogRows *r, uint64 row, int col);

/*
 * How catalog_spi runs a statement:
 * CATALOG_WRITE: SPI's read-write mode, so reads too see the transaction's
 *   own earlier writes (a new snapshot per statement); the catalog's
 *   triggers see the caller's user id through dataops._catalog_caller().
 * CATALOG_READ_FRESH: a read-only SELECT with the latest snapshot, even in a
 *   REPEATABLE READ transaction (the scheduler and the workers commit a
 *   run's progress while its caller waits), as a SECURITY_RESTRICTED_OPERATION.
 */
typedef enum CatalogMode
{
	CATALOG_WRITE,
	CATALOG_READ_FRESH
} CatalogMode;

/*
 * A statement whose plan is prepared once per backend (SPI_prepare,
 * SPI_keepplan) and reused: one static CatalogPlan per statement, for the
 * statements the scheduler runs every turn.  The plan cache re-validates
 * the plan when a catalog table, a function or the search_path it was
 * planned with changes (DROP EXTENSION and CREATE EXTENSION included), and
 * its parameter types must be the same at every call.
 */
typedef struct CatalogPlan
{
	const char *sql;
	SPIPlanPtr	plan;			/* NULL until first used */
} CatalogPlan;

/*
 * catalog_spi: runs one catalog statement, `sql` or the kept plan `kept`
 * (sql is then ignored), with the parameters `a` (NULL: none), as described
 * above.  Returns its rows (n also counts the rows an INSERT, UPDATE or
 * DELETE changed) in the caller's context.  Connects and finishes SPI
 * itself, so it may be called with or without SPI connected.  Raises 42704
 * when the extension is not installed (dataops_extension_owner), the
 * statement's own errors, and an internal error if SPI fails.
 */
extern CatalogRows *catalog_spi(const char *sql, CatalogPlan *kept, CatalogArgs *a, CatalogMode mode);

/* catalog_spi in CATALOG_WRITE mode, without a kept plan: the common case. */
extern CatalogRows *catalog_query(const char *sql, CatalogArgs *a);

/* catalog_query for statements whose one parameter is a text or a bigint. */
extern CatalogRows *catalog_query_text_arg(const char *sql, const char *arg);
extern CatalogRows *catalog_query_int8_arg(const char *sql, int64 arg);
/* First column of the first row as text in the caller's context, NULL for no row or a NULL. */
extern char *catalog_query_text(const char *sql, const char *arg);
/* The first column (bigint) of every row a parameterless read returns, as int64 * list. */
extern List *catalog_query_int8_list(const char *sql);

#endif							/* DATAOPS_CATALOG_SPI_H */
