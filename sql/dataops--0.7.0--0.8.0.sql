/* dataops 0.7.0 -> 0.8.0: faster than the SQL a good engineer writes by
 * hand (issue 13).  The speed-up is in the library (parallel checked
 * queries, frozen writes, DISTINCT ON-style dedup, cheaper bronze loads,
 * statistics for the next step); no SQL object changes. */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION dataops UPDATE TO '0.8.0'" to load this file. \quit
