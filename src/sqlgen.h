/*
 * sqlgen.h: pieces of the SQL text dataops generates (quoted name lists,
 * column definitions, key joins, qualified operators) and the two ways it
 * runs a generated statement.  The lowest module of the write path: it
 * uses no other dataops module, and every module that writes SQL text
 * uses it.
 *
 * Operators.  Generated SQL runs under the step's captured search_path, on
 * which a user's schema may come before pg_catalog.  Every operator it
 * applies to values is written OPERATOR(schema.op): for a comparison of a
 * column, the operator of the column type's default btree (else hash)
 * operator class, from the type cache, with its real schema
 * (OPERATOR(pg_catalog.=) for built-in types, OPERATOR(s.=) for a type
 * whose operator class lives in schema s); for dataops' own columns
 * (bigint, text), the pg_catalog operator.  Functions are written
 * pg_catalog.f(), type names pg_catalog.t.  What needs no lookup by name is
 * left as it is: ORDER BY, DISTINCT, PARTITION BY, GROUP BY and set
 * operations find their operators through the type's default operator
 * classes, not the search_path.
 */
#ifndef DATAOPS_SQLGEN_H
#define DATAOPS_SQLGEN_H

#include "postgres.h"
#include "fmgr.h"
#include "access/tupdesc.h"
#include "nodes/pg_list.h"

/*
 * sqlgen_name_list: the names (char *) quoted and comma-separated, each
 * after `prefix` ("t." or ""), palloc'd; "" for none.  No errors.
 */
extern char *sqlgen_name_list(List *names, const char *prefix);

/*
 * sqlgen_column_list: sqlgen_name_list of desc's columns (dropped ones
 * skipped), palloc'd.  No errors.
 */
extern char *sqlgen_column_list(TupleDesc desc, const char *prefix);

/* sqlgen_desc_names: the names (char *, palloc'd) of desc's columns, dropped ones skipped.  No errors. */
extern List *sqlgen_desc_names(TupleDesc desc);

/* sqlgen_in_list: true when `name` is one of names (char *), compared with strcmp.  No errors. */
extern bool sqlgen_in_list(List *names, const char *name);

/* sqlgen_find_att: 0-based index of column `name` in desc (dropped ones skipped), or -1.  No errors. */
extern int	sqlgen_find_att(TupleDesc desc, const char *name);

/*
 * sqlgen_column_def: "name type" for a CREATE TABLE or ADD COLUMN, the name
 * quoted, the type schema-qualified with its typmod (format_type_extended).
 */
extern char *sqlgen_column_def(Form_pg_attribute a);

/*
 * sqlgen_side_table_name: name of a table kept next to `table`:
 * <table><suffix>, clipped (on a character boundary) so that it fits in
 * NAMEDATALEN - 1 bytes, as PostgreSQL would truncate it.  Unquoted.
 */
extern char *sqlgen_side_table_name(const char *table, const char *suffix);

/*
 * sqlgen_operator: "OPERATOR(schema.op)" for the operator of type typid's
 * default btree operator class (else hash, for equality) that `which`
 * names: TYPECACHE_EQ_OPR (=), TYPECACHE_LT_OPR (<) or TYPECACHE_GT_OPR
 * (>), with the schema it lives in, quoted.  `column` names the column in
 * the error: 42883 when the type has no such operator.
 */
extern char *sqlgen_operator(Oid typid, int which, const char *column);

/* The type of column `name` of desc; raises 42703 when it has none. */
extern Oid	sqlgen_column_type(TupleDesc desc, const char *name);

/*
 * sqlgen_key_join: "a.k1 OPERATOR(s.=) b.k1 AND ..." for the key columns
 * (of desc), quoted, each with its type's equality operator.
 */
extern char *sqlgen_key_join(List *keys, TupleDesc desc, const char *a, const char *b);

/*
 * sqlgen_distinct: an expression true when a.c IS DISTINCT FROM b.c for
 * some column c of `columns` (of desc), written with each type's equality
 * operator qualified: IS DISTINCT FROM would look "=" up on the
 * search_path.  NULLs are told apart with pg_catalog.num_nulls, as
 * IS DISTINCT FROM does (by the value, not by a row's fields).  "false"
 * for no columns.
 */
extern char *sqlgen_distinct(List *columns, TupleDesc desc, const char *a, const char *b);

/*
 * sqlgen_exec_count: runs a generated statement through SPI (connected)
 * and returns the rows it processed; raises its errors (and XX000 when SPI
 * reports a failure).
 */
extern int64 sqlgen_exec_count(const char *sql);

/* sqlgen_exec_int8: sqlgen_exec_count with nargs (at most 2) bigint parameters $1, $2. */
extern int64 sqlgen_exec_int8(const char *sql, int nargs, const int64 *args);

extern PGDLLEXPORT Datum dataops_equality_operator(PG_FUNCTION_ARGS);

#endif							/* DATAOPS_SQLGEN_H */
