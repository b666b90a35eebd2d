/* dataops 0.8.0 -> 0.9.0: pipelines as code (issue 14).  Change a
 * pipeline in place (alter, drop and rename steps and expectations),
 * export and apply definitions as JSON or YAML, data contracts (ODCS
 * v3.1.0) as the source of checks and SLAs, Great Expectations suites in
 * and out. */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION dataops UPDATE TO '0.9.0'" to load this file. \quit

------------------------------------------------------------------------
-- Change in place: alter, drop and rename (lead)
------------------------------------------------------------------------

------------------------------------------------------------------------
-- YAML (libyaml): documents to and from jsonb
------------------------------------------------------------------------

------------------------------------------------------------------------
-- Export and apply: definitions as documents
------------------------------------------------------------------------

------------------------------------------------------------------------
-- Data contracts (ODCS v3.1.0)
------------------------------------------------------------------------

------------------------------------------------------------------------
-- Great Expectations suites in and out
------------------------------------------------------------------------
