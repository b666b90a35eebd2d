/*
 * lineage.h: table- and column-level lineage from the analyzed query tree.
 */
#ifndef DATAOPS_LINEAGE_H
#define DATAOPS_LINEAGE_H

#include "postgres.h"
#include "nodes/parsenodes.h"

/*
 * lineage_from_query: analyzes `query` (one SELECT) with PostgreSQL's
 * parser and analyzer under the current search_path and returns a List of
 * LineageEdge: one table-level edge (NULL columns) per relation the query
 * reads, anywhere in it (subqueries, CTEs, sublinks), and one column-level
 * edge per (source column, target column) pair where the target column's
 * expression references the source column, followed through subqueries,
 * CTEs and joins.  Raises the analyzer's errors (42P01 for a missing table).
 */
extern List *lineage_from_query(const char *query);

#endif							/* DATAOPS_LINEAGE_H */
