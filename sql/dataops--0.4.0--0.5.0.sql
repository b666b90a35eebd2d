/* dataops 0.4.0 -> 0.5.0: safe on a shared server (issue: security and backups) */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION dataops UPDATE TO '0.5.0'" to load this file. \quit

-- ===================================================================== catalog
-- (history visibility, audit, dump and restore)

-- ===================================================================== files and regex

-- ===================================================================== orchestration

-- ===================================================================== publish

-- ===================================================================== suites
