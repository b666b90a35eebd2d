/* dataops 0.9.0 -> 0.10.0: scale out on Citus (issue 15).  Distributed and
 * reference targets (the step options distribution_column, colocate_with
 * and reference, stored in dataops.steps.options), the publish path Citus
 * runs on the shards, bronze loads through Citus's COPY, incremental and
 * scd2 merges between colocated tables: all in the library; no SQL object
 * changes. */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION dataops UPDATE TO '0.10.0'" to load this file. \quit
