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

-- Renames follow the foreign keys: definitions that name a pipeline or a
-- step are updated with it (ON UPDATE CASCADE); history tables, which have
-- no foreign key, are renamed by dataops.rename_pipeline / rename_step.
ALTER TABLE dataops.steps DROP CONSTRAINT steps_pipeline_fkey,
    ADD CONSTRAINT steps_pipeline_fkey FOREIGN KEY (pipeline)
        REFERENCES dataops.pipelines (name) ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE dataops.expectations DROP CONSTRAINT expectations_pipeline_step_fkey,
    ADD CONSTRAINT expectations_pipeline_step_fkey FOREIGN KEY (pipeline, step)
        REFERENCES dataops.steps (pipeline, name) ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE dataops.step_suites DROP CONSTRAINT step_suites_pipeline_step_fkey,
    ADD CONSTRAINT step_suites_pipeline_step_fkey FOREIGN KEY (pipeline, step)
        REFERENCES dataops.steps (pipeline, name) ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE dataops.step_state DROP CONSTRAINT step_state_pipeline_step_fkey,
    ADD CONSTRAINT step_state_pipeline_step_fkey FOREIGN KEY (pipeline, step)
        REFERENCES dataops.steps (pipeline, name) ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE dataops.table_versions DROP CONSTRAINT table_versions_pipeline_step_fkey,
    ADD CONSTRAINT table_versions_pipeline_step_fkey FOREIGN KEY (pipeline, step)
        REFERENCES dataops.steps (pipeline, name) ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE dataops.pipeline_dependencies DROP CONSTRAINT pipeline_dependencies_pipeline_fkey,
    ADD CONSTRAINT pipeline_dependencies_pipeline_fkey FOREIGN KEY (pipeline)
        REFERENCES dataops.pipelines (name) ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE dataops.pipeline_dependencies DROP CONSTRAINT pipeline_dependencies_upstream_fkey,
    ADD CONSTRAINT pipeline_dependencies_upstream_fkey FOREIGN KEY (upstream)
        REFERENCES dataops.pipelines (name) ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE dataops.notifications DROP CONSTRAINT notifications_pipeline_fkey,
    ADD CONSTRAINT notifications_pipeline_fkey FOREIGN KEY (pipeline)
        REFERENCES dataops.pipelines (name) ON DELETE CASCADE ON UPDATE CASCADE;

CREATE FUNCTION dataops.alter_pipeline(name text, description text DEFAULT NULL, reset text[] DEFAULT '{}')
RETURNS void AS 'MODULE_PATHNAME', 'dataops_alter_pipeline' LANGUAGE C;
COMMENT ON FUNCTION dataops.alter_pipeline(text, text, text[]) IS
'Changes a pipeline''s description (reset => ''{description}'' removes it); refused while a run of the pipeline is running or queued';

CREATE FUNCTION dataops.rename_pipeline(name text, new_name text)
RETURNS void AS 'MODULE_PATHNAME', 'dataops_rename_pipeline' LANGUAGE C;
COMMENT ON FUNCTION dataops.rename_pipeline(text, text) IS
'Renames a pipeline; its steps, expectations, dependencies, notifications, schedule, runs, results and lineage follow the new name';

CREATE FUNCTION dataops.alter_step(pipeline text, step text, layer text DEFAULT NULL, target text DEFAULT NULL,
    query text DEFAULT NULL, source text DEFAULT NULL, unique_key text[] DEFAULT NULL, keep text DEFAULT NULL,
    options jsonb DEFAULT NULL, reset text[] DEFAULT '{}')
RETURNS void AS 'MODULE_PATHNAME', 'dataops_alter_step' LANGUAGE C;
COMMENT ON FUNCTION dataops.alter_step(text, text, text, text, text, text, text[], text, jsonb, text[]) IS
'Changes the given fields of a step (NULL: unchanged; reset names query, source, unique_key, keep or options to clear), validated as add_step; the DAG is derived again; refused while a run is running or queued';

CREATE FUNCTION dataops.drop_step(pipeline text, step text, drop_target boolean DEFAULT false)
RETURNS void AS 'MODULE_PATHNAME', 'dataops_drop_step' LANGUAGE C;
COMMENT ON FUNCTION dataops.drop_step(text, text, boolean) IS
'Removes a step and its own expectations (history stays); drop_target also drops its target, side tables and kept versions as the caller; refused while another step reads its target';

CREATE FUNCTION dataops.rename_step(pipeline text, step text, new_name text)
RETURNS void AS 'MODULE_PATHNAME', 'dataops_rename_step' LANGUAGE C;
COMMENT ON FUNCTION dataops.rename_step(text, text, text) IS
'Renames a step; its expectations, suites, watermark, versions, step runs, results and lineage follow the new name';

CREATE FUNCTION dataops.alter_expectation(pipeline text, step text, name text, kind text DEFAULT NULL,
    column_name text DEFAULT NULL, args jsonb DEFAULT NULL, action text DEFAULT NULL, mostly float8 DEFAULT NULL,
    reset text[] DEFAULT '{}')
RETURNS void AS 'MODULE_PATHNAME', 'dataops_alter_expectation' LANGUAGE C;
COMMENT ON FUNCTION dataops.alter_expectation(text, text, text, text, text, jsonb, text, float8, text[]) IS
'Changes the given fields of a step''s own expectation (NULL: unchanged; reset names column_name or args), validated as add_expectation';

CREATE FUNCTION dataops.drop_expectation(pipeline text, step text, name text)
RETURNS void AS 'MODULE_PATHNAME', 'dataops_drop_expectation' LANGUAGE C;
COMMENT ON FUNCTION dataops.drop_expectation(text, text, text) IS
'Removes a step''s own expectation; its past results stay';

CREATE FUNCTION dataops.drop_suite_expectation(suite text, name text)
RETURNS void AS 'MODULE_PATHNAME', 'dataops_drop_suite_expectation' LANGUAGE C;
COMMENT ON FUNCTION dataops.drop_suite_expectation(text, text) IS
'Removes an expectation from a suite; the steps the suite is attached to stop checking it from their next run';

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
