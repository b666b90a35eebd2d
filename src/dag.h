/*
 * dag.h: what a step's query reads, the dependencies between steps, and
 * their order.
 */
#ifndef DATAOPS_DAG_H
#define DATAOPS_DAG_H

#include "postgres.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "catalog.h"

/*
 * dag_raw_parse: raw_parser(), with the position of a syntax error reported
 * in `text` itself (as an internal query) rather than in the calling
 * statement.
 */
extern List *dag_raw_parse(const char *text, RawParseMode mode);

/*
 * dag_parse_select: parses `query` with PostgreSQL's raw parser and returns
 * the text of its single statement (trailing semicolon removed).  Raises
 * ERROR 42601 (syntax_error) when it does not parse, and 42809
 * (wrong_object_type) when it is not exactly one plain SELECT (WITH allowed;
 * no DML in WITH, no SELECT INTO, no FOR UPDATE).
 */
extern char *dag_parse_select(const char *query, RawStmt **raw);

/*
 * dag_view_query: a copy of the stored query of view `relid` (its rewrite
 * rule, get_view_query), or NULL when relid is not a view or `role` may not
 * SELECT from it: the privilege is checked before the view is locked
 * (AccessShareLock, released again), so nothing a role cannot read is
 * locked on its behalf.  Used by the DAG and by lineage to follow views
 * down to base relations.  Raises nothing of its own.
 */
extern Query *dag_view_query(Oid relid, Oid role);

/*
 * dag_query_reads: the relations a SELECT reads, found by walking its raw
 * parse tree (CTE names excluded), each resolved to "schema.table" under
 * `search_path` (a search_path setting string) the way the executor would:
 * an existing relation first, else a target of one of `steps` in the first
 * schema of the path.  Unresolvable names are returned unqualified.
 * A view read is followed to the relations behind it (nested views too),
 * which are returned as well, so that a step reading a view over another
 * step's target depends on it; a view `owner` may not SELECT from is not
 * expanded (nor locked).
 */
extern List *dag_query_reads(const char *query, const char *search_path, const char *owner, List *steps);

/*
 * dag_rebuild: recomputes depends_on for every step of `steps` (StepDef *,
 * all of one pipeline) from what their queries read, and raises ERROR 42P17
 * (invalid_object_definition) naming the cycle if there is one.  Sets each
 * step's depends_on.
 */
extern void dag_rebuild(List *steps, const char *owner);

/*
 * dag_order: steps in an order where each comes after the steps it depends
 * on; among ready steps bronze comes before silver before gold, then the
 * order they were added.  The input must be acyclic (dag_rebuild ensures it).
 */
extern List *dag_order(List *steps);

#endif							/* DATAOPS_DAG_H */
