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
 * LineageEdge:
 *  - one table-level edge (NULL columns and transformation) per relation
 *    the query reads, anywhere in it (subqueries, CTEs, sublinks), and,
 *    for a view, per relation behind it (nested views expanded);
 *  - one column edge per (source column, target column) pair where the
 *    target column's expression references the source column, followed
 *    through subqueries, CTEs, joins, every branch of a set operation, the
 *    output of subqueries in expressions and the queries of views, down to
 *    base relation columns: transformation "IDENTITY" when the target column
 *    is the source column unchanged, else "TRANSFORMATION";
 *  - one INDIRECT edge (NULL target column) per source column used in a
 *    WHERE or HAVING ("FILTER"), a join condition ("JOIN"), a GROUP BY
 *    ("GROUP_BY") or an ORDER BY ("SORT"), at any level of the query and of
 *    the views it reads.
 * The kinds are OpenLineage's ColumnLineageDatasetFacet 1-2-0 subtypes.
 * Views are expanded from their stored query (get_view_query), locked
 * AccessShareLock as the executor would.  Raises the analyzer's errors
 * (42P01 for a missing table) and 54001 when views nest too deep for the
 * stack.
 */
extern List *lineage_from_query(const char *query);

#endif							/* DATAOPS_LINEAGE_H */
