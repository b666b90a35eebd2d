/* dataops 0.4.0 -> 0.5.0: safe on a shared server (issue: security and backups) */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION dataops UPDATE TO '0.5.0'" to load this file. \quit

-- ===================================================================== catalog
-- (history visibility, audit, dump and restore)

-- ===================================================================== files and regex

-- ===================================================================== orchestration

-- ===================================================================== publish

-- ===================================================================== suites
-- A suite's expectations run with the privileges of the role that checks the
-- rows: the objects they evaluate must be trusted by that role (owned by it,
-- by a role whose privileges it has, or by a superuser), checked at attach,
-- at validate and at every run (src/trust.c); suite names hold no control
-- characters.  No SQL object changes; the comments say so.
COMMENT ON FUNCTION dataops.create_suite(text) IS
'Creates an empty expectation suite owned by the current role (the name must not be empty nor hold control characters)';
COMMENT ON FUNCTION dataops.attach_suite(text, text, text) IS
'Makes a step check every expectation of a suite; refused unless the pipeline''s owner trusts every object the suite''s expectations evaluate (types, domains, functions, operators, views), checked again at every run';
COMMENT ON FUNCTION dataops.validate(regclass, text) IS
'Checks any table or view against a suite now (with the caller''s privileges: the caller must be allowed to read it, and must trust every object the suite evaluates), records the results under a validation run and returns them';
COMMENT ON FUNCTION dataops.input_is_valid(text, text) IS
'True when value would cast to the type (e.g. ''integer'', ''numeric(10,2)'', ''date'', ''uuid''); a bad value is false, never an error (as PostgreSQL 16''s pg_input_is_valid); refused for a type the caller does not trust (its input function or domain constraints would run as the caller)';
