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

CREATE FUNCTION dataops.yaml_to_jsonb(document text) RETURNS jsonb
AS 'MODULE_PATHNAME', 'dataops_yaml_to_jsonb' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataops.yaml_to_jsonb(text) IS
'One YAML document as jsonb (libyaml): plain scalars by the YAML 1.2 core schema (null, ~ and empty are null; true/false; ints, 0o and 0x ints and floats are numbers; .inf and .nan refused), quoted and block scalars are strings, tags !!str !!int !!float !!bool !!null !!seq !!map honoured and others refused; keys are strings as written, duplicates refused; aliases expanded up to 1,000,000 nodes or 64 MB; the merge key << refused; at most 1000 levels; no document gives null, two are refused';

CREATE FUNCTION dataops.jsonb_to_yaml(document jsonb) RETURNS text
AS 'MODULE_PATHNAME', 'dataops_jsonb_to_yaml' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataops.jsonb_to_yaml(jsonb) IS
'A jsonb document as block-style YAML (libyaml''s emitter) that dataops.yaml_to_jsonb reads back to the same jsonb: keys "name", "format", "scope" first, then scalar-valued keys, then keys of arrays and objects; strings that would read as another type (or as one under YAML 1.1) double-quoted; multi-line strings as literal blocks (|) where possible; empty arrays and objects as [] and {}';

------------------------------------------------------------------------
-- Export and apply: definitions as documents
------------------------------------------------------------------------

------------------------------------------------------------------------
-- Data contracts (ODCS v3.1.0)
------------------------------------------------------------------------

------------------------------------------------------------------------
-- Great Expectations suites in and out
------------------------------------------------------------------------
