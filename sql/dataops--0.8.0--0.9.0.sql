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

-- Expectations a contract created carry its id and version: applying a new
-- version of the contract replaces them; expectations the user added have
-- NULL here and are never touched by a contract.
ALTER TABLE dataops.expectations ADD COLUMN contract_id text, ADD COLUMN contract_version text;
COMMENT ON COLUMN dataops.expectations.contract_id IS
'id of the data contract (ODCS) that created the expectation (dataops.apply_contract); NULL for expectations added otherwise';
COMMENT ON COLUMN dataops.expectations.contract_version IS
'version of that data contract (ODCS version) last applied; NULL for expectations added otherwise';

-- Classification and tags of the columns a step publishes, from data contracts.
CREATE TABLE dataops.column_tags (
    pipeline         text NOT NULL,
    step             text NOT NULL,
    column_name      text NOT NULL,
    classification   text,
    tags             text[] NOT NULL DEFAULT '{}',
    contract_id      text NOT NULL,
    contract_version text,
    tagged_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (pipeline, step, column_name),
    FOREIGN KEY (pipeline, step) REFERENCES dataops.steps (pipeline, name) ON DELETE CASCADE ON UPDATE CASCADE
);
COMMENT ON TABLE dataops.column_tags IS
'Classification and tags of the columns a step publishes, kept from data contracts (ODCS classification and tags of a property; dataops.apply_contract)';
COMMENT ON COLUMN dataops.column_tags.pipeline IS 'Pipeline of the step';
COMMENT ON COLUMN dataops.column_tags.step IS 'Step whose target has the column';
COMMENT ON COLUMN dataops.column_tags.column_name IS 'Column of the step''s target';
COMMENT ON COLUMN dataops.column_tags.classification IS 'ODCS classification of the column (public, restricted, confidential, ...), NULL when the contract gives none';
COMMENT ON COLUMN dataops.column_tags.tags IS 'ODCS tags of the column';
COMMENT ON COLUMN dataops.column_tags.contract_id IS 'id of the data contract that tagged the column; applying it again replaces its tags';
COMMENT ON COLUMN dataops.column_tags.contract_version IS 'version of that data contract';
COMMENT ON COLUMN dataops.column_tags.tagged_at IS 'When the contract last tagged the column';
SELECT pg_catalog.pg_extension_config_dump('dataops.column_tags', '');
GRANT SELECT ON dataops.column_tags TO PUBLIC;
ALTER TABLE dataops.column_tags ENABLE ROW LEVEL SECURITY;
CREATE POLICY column_tags_visible ON dataops.column_tags FOR SELECT
    USING (EXISTS (SELECT 1 FROM dataops.pipelines p WHERE p.name OPERATOR(pg_catalog.=) pipeline));

-- The data contracts applied to each pipeline, with the SLA option each set:
-- a later version without freshness removes sla_freshness only when it
-- still has the value the contract set.
CREATE TABLE dataops.pipeline_contracts (
    pipeline         text NOT NULL REFERENCES dataops.pipelines (name) ON DELETE CASCADE ON UPDATE CASCADE,
    contract_id      text NOT NULL,
    contract_version text,
    sla_freshness    text,
    applied_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (pipeline, contract_id)
);
COMMENT ON TABLE dataops.pipeline_contracts IS
'The data contracts (ODCS) applied to each pipeline by dataops.apply_contract: the last version applied and the pipeline option it set';
COMMENT ON COLUMN dataops.pipeline_contracts.pipeline IS 'Pipeline the contract was applied to';
COMMENT ON COLUMN dataops.pipeline_contracts.contract_id IS 'id of the data contract';
COMMENT ON COLUMN dataops.pipeline_contracts.contract_version IS 'version of the data contract last applied';
COMMENT ON COLUMN dataops.pipeline_contracts.sla_freshness IS
'The sla_freshness option that version set (an interval literal, from its SLA property freshness); NULL when it sets none.  A later version without freshness removes the option only while it still has this value';
COMMENT ON COLUMN dataops.pipeline_contracts.applied_at IS 'When that version was applied';
SELECT pg_catalog.pg_extension_config_dump('dataops.pipeline_contracts', '');
GRANT SELECT ON dataops.pipeline_contracts TO PUBLIC;
ALTER TABLE dataops.pipeline_contracts ENABLE ROW LEVEL SECURITY;
CREATE POLICY pipeline_contracts_visible ON dataops.pipeline_contracts FOR SELECT
    USING (EXISTS (SELECT 1 FROM dataops.pipelines p WHERE p.name OPERATOR(pg_catalog.=) pipeline));

-- Column lineage with the classification and tags of both ends.
CREATE VIEW dataops.column_lineage WITH (security_invoker = true) AS
SELECT l.pipeline, l.step, l.source_relation, l.source_column, l.target_relation, l.target_column,
       l.transformation, t.classification, t.tags,
       s.classification AS source_classification, s.tags AS source_tags, l.run_id
  FROM dataops.lineage l
  LEFT JOIN dataops.column_tags t
         ON t.pipeline OPERATOR(pg_catalog.=) l.pipeline AND t.step OPERATOR(pg_catalog.=) l.step
        AND t.column_name OPERATOR(pg_catalog.=) l.target_column
  LEFT JOIN LATERAL (
        SELECT ct.classification, ct.tags
          FROM dataops.steps st
          JOIN dataops.column_tags ct ON ct.pipeline OPERATOR(pg_catalog.=) st.pipeline
                                     AND ct.step OPERATOR(pg_catalog.=) st.name
         WHERE (st.target_schema OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) st.target_table)
               OPERATOR(pg_catalog.=) l.source_relation
           AND ct.column_name OPERATOR(pg_catalog.=) l.source_column
         ORDER BY ct.pipeline, ct.step LIMIT 1) s ON true
 WHERE l.source_column IS NOT NULL OR l.target_column IS NOT NULL;
COMMENT ON VIEW dataops.column_lineage IS
'Column-level rows of dataops.lineage with the classification and tags data contracts gave the target column (dataops.column_tags) and the source column (when a step publishes the source relation)';
COMMENT ON COLUMN dataops.column_lineage.pipeline IS 'Pipeline name';
COMMENT ON COLUMN dataops.column_lineage.step IS 'Step name';
COMMENT ON COLUMN dataops.column_lineage.source_relation IS 'Relation read, as schema.table (or the file path for bronze)';
COMMENT ON COLUMN dataops.column_lineage.source_column IS 'Column read (NULL when the target column comes from no column)';
COMMENT ON COLUMN dataops.column_lineage.target_relation IS 'Target written, as schema.table';
COMMENT ON COLUMN dataops.column_lineage.target_column IS 'Column written (NULL on INDIRECT rows, which affect the whole target)';
COMMENT ON COLUMN dataops.column_lineage.transformation IS 'IDENTITY, TRANSFORMATION or the INDIRECT kinds FILTER, JOIN, GROUP_BY, SORT (dataops.lineage.transformation)';
COMMENT ON COLUMN dataops.column_lineage.classification IS 'Classification of the target column (dataops.column_tags)';
COMMENT ON COLUMN dataops.column_lineage.tags IS 'Tags of the target column (dataops.column_tags)';
COMMENT ON COLUMN dataops.column_lineage.source_classification IS 'Classification of the source column, when a step publishes the source relation and a contract tagged it';
COMMENT ON COLUMN dataops.column_lineage.source_tags IS 'Tags of the source column, likewise';
COMMENT ON COLUMN dataops.column_lineage.run_id IS 'Run that recorded the lineage';
GRANT SELECT ON dataops.column_lineage TO PUBLIC;

-- The catalog writes (contract.c): each checks the caller's privilege on the pipeline itself.
CREATE FUNCTION dataops._contract_check(pipeline text) RETURNS void
AS 'MODULE_PATHNAME', 'dataops_contract_check' LANGUAGE C;
COMMENT ON FUNCTION dataops._contract_check(text) IS
'Internal (apply_contract): raises 42501 unless the caller has the privileges of the pipeline''s owner, 42704 for an unknown pipeline';
CREATE FUNCTION dataops._contract_mark(pipeline text, step text, names text[], contract_id text, contract_version text)
RETURNS bigint AS 'MODULE_PATHNAME', 'dataops_contract_mark' LANGUAGE C;
COMMENT ON FUNCTION dataops._contract_mark(text, text, text[], text, text) IS
'Internal (apply_contract): marks the step''s expectations of these names as created by the contract (id, version); checks the caller''s privilege on the pipeline';
CREATE FUNCTION dataops._contract_drop(pipeline text, step text, names text[], contract_id text)
RETURNS bigint AS 'MODULE_PATHNAME', 'dataops_contract_drop' LANGUAGE C;
COMMENT ON FUNCTION dataops._contract_drop(text, text, text[], text) IS
'Internal (apply_contract): deletes the step''s expectations of these names that the contract created (never others); checks the caller''s privilege on the pipeline';
CREATE FUNCTION dataops._contract_set_tags(pipeline text, step text, contract_id text, contract_version text, tags jsonb)
RETURNS bigint AS 'MODULE_PATHNAME', 'dataops_contract_set_tags' LANGUAGE C;
COMMENT ON FUNCTION dataops._contract_set_tags(text, text, text, text, jsonb) IS
'Internal (apply_contract): replaces the column classification and tags the contract gave the step (dataops.column_tags) by a JSON array of {column, classification, tags}; checks the caller''s privilege on the pipeline';

CREATE FUNCTION dataops._contract_record(pipeline text, contract_id text, contract_version text, sla_freshness text)
RETURNS void AS 'MODULE_PATHNAME', 'dataops_contract_record' LANGUAGE C;
COMMENT ON FUNCTION dataops._contract_record(text, text, text, text) IS
'Internal (apply_contract): records in dataops.pipeline_contracts the version of the contract applied to the pipeline and the sla_freshness it set (NULL: none); checks the caller''s privilege on the pipeline';

-- An SLA value and unit as an interval literal, or NULL when they are not one.
CREATE FUNCTION dataops._contract_interval(value jsonb, unit text) RETURNS text
LANGUAGE plpgsql IMMUTABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    u text := pg_catalog.lower(pg_catalog.btrim(coalesce(unit, '')));
    word text;
    s text;
BEGIN
    IF value IS NULL OR pg_catalog.jsonb_typeof(value) NOT IN ('number', 'string') THEN
        RETURN NULL;
    END IF;
    s := value OPERATOR(pg_catalog.#>>) '{}';
    IF u OPERATOR(pg_catalog.=) '' THEN
        word := '';
    ELSE
        word := CASE WHEN u IN ('ms', 'millisecond', 'milliseconds') THEN 'milliseconds'
                     WHEN u IN ('s', 'sec', 'secs', 'second', 'seconds') THEN 'seconds'
                     WHEN u IN ('m', 'min', 'mins', 'minute', 'minutes') THEN 'minutes'
                     WHEN u IN ('h', 'hr', 'hrs', 'hour', 'hours') THEN 'hours'
                     WHEN u IN ('d', 'day', 'days') THEN 'days'
                     WHEN u IN ('w', 'wk', 'week', 'weeks') THEN 'weeks'
                     WHEN u IN ('mo', 'mon', 'month', 'months') THEN 'months'
                     WHEN u IN ('y', 'yr', 'yrs', 'year', 'years') THEN 'years' END;
        IF word IS NULL OR pg_catalog.jsonb_typeof(value) OPERATOR(pg_catalog.<>) 'number' THEN
            RETURN NULL;
        END IF;
        s := s OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) word;
    END IF;
    BEGIN
        PERFORM CAST(s AS interval);
    EXCEPTION WHEN OTHERS THEN
        RETURN NULL;
    END;
    RETURN s;
END $fn$;
COMMENT ON FUNCTION dataops._contract_interval(jsonb, text) IS
'Internal: an ODCS SLA value and unit (d, day, days, h, m, s, w, mo, y, ...) as an interval literal such as ''4 days'', or NULL when they are not one';

-- An interval option (sla_freshness) as an ODCS SLA value and unit: a whole
-- number of years, months, days, hours, minutes, else seconds; the text as
-- the value when it mixes months with days or time.
CREATE FUNCTION dataops._contract_sla_value(value text) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    iv interval;
    m numeric;
    e numeric;
BEGIN
    BEGIN
        iv := CAST(value AS interval);
    EXCEPTION WHEN OTHERS THEN
        RETURN pg_catalog.jsonb_build_object('value', value);
    END;
    m := EXTRACT(year FROM iv) OPERATOR(pg_catalog.*) 12 OPERATOR(pg_catalog.+) EXTRACT(month FROM iv);
    e := EXTRACT(epoch FROM iv OPERATOR(pg_catalog.-) pg_catalog.make_interval(months => CAST(m AS int)));
    IF m OPERATOR(pg_catalog.<>) 0 AND e OPERATOR(pg_catalog.=) 0 THEN
        RETURN CASE WHEN m OPERATOR(pg_catalog.%) 12 OPERATOR(pg_catalog.=) 0
                    THEN pg_catalog.jsonb_build_object('value', CAST(m OPERATOR(pg_catalog./) 12 AS bigint), 'unit', 'y')
                    ELSE pg_catalog.jsonb_build_object('value', CAST(m AS bigint), 'unit', 'mo') END;
    ELSIF m OPERATOR(pg_catalog.<>) 0 THEN
        RETURN pg_catalog.jsonb_build_object('value', value);
    END IF;
    RETURN CASE WHEN e OPERATOR(pg_catalog.%) 86400 OPERATOR(pg_catalog.=) 0 THEN pg_catalog.jsonb_build_object('value', CAST(e OPERATOR(pg_catalog./) 86400 AS bigint), 'unit', 'd')
                WHEN e OPERATOR(pg_catalog.%) 3600 OPERATOR(pg_catalog.=) 0 THEN pg_catalog.jsonb_build_object('value', CAST(e OPERATOR(pg_catalog./) 3600 AS bigint), 'unit', 'h')
                WHEN e OPERATOR(pg_catalog.%) 60 OPERATOR(pg_catalog.=) 0 THEN pg_catalog.jsonb_build_object('value', CAST(e OPERATOR(pg_catalog./) 60 AS bigint), 'unit', 'm')
                ELSE pg_catalog.jsonb_build_object('value', pg_catalog.trim_scale(e), 'unit', 's') END;
END $fn$;
COMMENT ON FUNCTION dataops._contract_sla_value(text) IS
'Internal (export_contract): an interval such as ''1 day'' as an ODCS SLA value and unit ({"value": 1, "unit": "d"}; y, mo, d, h, m or s), or {"value": text} when it mixes months with days or time';

-- A quality rule's threshold on a count of bad rows, as Great Expectations'
-- mostly: "none" (mustBe 0, mustBeLessThan 1, mustBeLessOrEqualTo 0) is 1;
-- with unit percent, at most p percent is 1 - p/100.  NULL: not expressible.
CREATE FUNCTION dataops._contract_mostly(rule jsonb) RETURNS float8
LANGUAGE plpgsql IMMUTABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    pct boolean := pg_catalog.lower(coalesce(rule OPERATOR(pg_catalog.->>) 'unit', 'rows')) IN ('percent', '%');
    v numeric;
BEGIN
    IF pg_catalog.jsonb_typeof(rule OPERATOR(pg_catalog.->) 'mustBe') OPERATOR(pg_catalog.=) 'number' THEN
        v := CAST(rule OPERATOR(pg_catalog.->>) 'mustBe' AS numeric);
        RETURN CASE WHEN v OPERATOR(pg_catalog.=) 0 THEN 1.0 END;
    ELSIF pg_catalog.jsonb_typeof(rule OPERATOR(pg_catalog.->) 'mustBeLessOrEqualTo') OPERATOR(pg_catalog.=) 'number' THEN
        v := CAST(rule OPERATOR(pg_catalog.->>) 'mustBeLessOrEqualTo' AS numeric);
    ELSIF pg_catalog.jsonb_typeof(rule OPERATOR(pg_catalog.->) 'mustBeBetween') OPERATOR(pg_catalog.=) 'array'
          AND CAST(rule OPERATOR(pg_catalog.#>>) '{mustBeBetween,0}' AS numeric) OPERATOR(pg_catalog.<=) 0 THEN
        v := CAST(rule OPERATOR(pg_catalog.#>>) '{mustBeBetween,1}' AS numeric);
    ELSIF pg_catalog.jsonb_typeof(rule OPERATOR(pg_catalog.->) 'mustBeLessThan') OPERATOR(pg_catalog.=) 'number' THEN
        v := CAST(rule OPERATOR(pg_catalog.->>) 'mustBeLessThan' AS numeric);
        -- fewer than v bad rows, v in (0, 1]: none
        RETURN CASE WHEN NOT pct AND v OPERATOR(pg_catalog.>) 0 AND v OPERATOR(pg_catalog.<=) 1 THEN 1.0 END;
    ELSE
        RETURN NULL;
    END IF;
    IF v IS NULL OR v OPERATOR(pg_catalog.<) 0 THEN
        RETURN NULL;
    ELSIF pct THEN
        RETURN CASE WHEN v OPERATOR(pg_catalog.<=) 100 THEN CAST(1 OPERATOR(pg_catalog.-) (v OPERATOR(pg_catalog./) 100) AS float8) END;
    END IF;
    RETURN CASE WHEN v OPERATOR(pg_catalog.<) 1 THEN 1.0 END;
END $fn$;
COMMENT ON FUNCTION dataops._contract_mostly(jsonb) IS
'Internal: an ODCS quality rule''s threshold on the bad rows as a mostly fraction (1 for none; 1 - p/100 for at most p percent), or NULL when dataops cannot express it';

-- A quality rule's threshold on an observed value as the min/max args of a
-- *_between kind; NULL when it cannot be one (mustNotBe, mustNotBeBetween).
CREATE FUNCTION dataops._contract_bounds(rule jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $fn$
SELECT CASE
    WHEN rule OPERATOR(pg_catalog.?) 'mustBe' AND pg_catalog.jsonb_typeof(rule OPERATOR(pg_catalog.->) 'mustBe') IN ('number', 'string')
        THEN pg_catalog.jsonb_build_object('min', rule OPERATOR(pg_catalog.->) 'mustBe', 'max', rule OPERATOR(pg_catalog.->) 'mustBe')
    WHEN rule OPERATOR(pg_catalog.?) 'mustBeGreaterThan'
        THEN pg_catalog.jsonb_build_object('min', rule OPERATOR(pg_catalog.->) 'mustBeGreaterThan', 'strict_min', true)
    WHEN rule OPERATOR(pg_catalog.?) 'mustBeGreaterOrEqualTo'
        THEN pg_catalog.jsonb_build_object('min', rule OPERATOR(pg_catalog.->) 'mustBeGreaterOrEqualTo')
    WHEN rule OPERATOR(pg_catalog.?) 'mustBeLessThan'
        THEN pg_catalog.jsonb_build_object('max', rule OPERATOR(pg_catalog.->) 'mustBeLessThan', 'strict_max', true)
    WHEN rule OPERATOR(pg_catalog.?) 'mustBeLessOrEqualTo'
        THEN pg_catalog.jsonb_build_object('max', rule OPERATOR(pg_catalog.->) 'mustBeLessOrEqualTo')
    WHEN pg_catalog.jsonb_typeof(rule OPERATOR(pg_catalog.->) 'mustBeBetween') OPERATOR(pg_catalog.=) 'array'
        THEN pg_catalog.jsonb_build_object('min', rule OPERATOR(pg_catalog.#>) '{mustBeBetween,0}',
                                           'max', rule OPERATOR(pg_catalog.#>) '{mustBeBetween,1}')
END
$fn$;
COMMENT ON FUNCTION dataops._contract_bounds(jsonb) IS
'Internal: an ODCS quality rule''s mustBe / mustBeGreaterThan / ... / mustBeBetween threshold as the min, max, strict_min, strict_max args of a *_between kind; NULL for mustNotBe and mustNotBeBetween';

-- The keys of an ODCS element that carry meaning dataops does not apply:
-- those not in `known`, without their default values (false, -1, [], {}, null).
CREATE FUNCTION dataops._contract_other_keys(element jsonb, known text[]) RETURNS SETOF text
LANGUAGE sql IMMUTABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $fn$
SELECT e.key FROM pg_catalog.jsonb_each(element) e
 WHERE NOT (e.key OPERATOR(pg_catalog.=) ANY (known))
   AND e.value NOT IN ('false', '-1', '[]', '{}', 'null', '""')
 ORDER BY e.key
$fn$;
COMMENT ON FUNCTION dataops._contract_other_keys(jsonb, text[]) IS
'Internal: the keys of a contract element not in known whose values are not defaults (false, -1, [], {}, null, empty string), sorted';

-- One quality rule as an expectation: kind, column, args, mostly; or the
-- reason it cannot be one (problem).
CREATE FUNCTION dataops._contract_rule(rule jsonb, col text, relnames text[],
                                       OUT kind text, OUT column_name text, OUT args jsonb,
                                       OUT mostly float8, OUT problem text)
LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    typ text := coalesce(rule OPERATOR(pg_catalog.->>) 'type',
                         CASE WHEN rule OPERATOR(pg_catalog.?|) ARRAY['metric', 'rule'] THEN 'library' END, 'library');
    metric text := coalesce(rule OPERATOR(pg_catalog.->>) 'metric', rule OPERATOR(pg_catalog.->>) 'rule');
    a jsonb := coalesce(rule OPERATOR(pg_catalog.->) 'arguments', '{}');
    pct boolean := pg_catalog.lower(coalesce(rule OPERATOR(pg_catalog.->>) 'unit', 'rows')) IN ('percent', '%');
    vals jsonb;
    q text;
    m text[];
    agg text[];
    rel text;
    impl jsonb;
BEGIN
    mostly := 1.0;
    args := '{}';
    column_name := col;
    IF typ OPERATOR(pg_catalog.=) 'text' THEN
        problem := 'a text rule describes quality in words; there is nothing to check';
        RETURN;
    ELSIF typ OPERATOR(pg_catalog.=) 'custom' THEN
        impl := rule OPERATOR(pg_catalog.->) 'implementation';
        IF rule OPERATOR(pg_catalog.->>) 'engine' IS DISTINCT FROM 'dataops' OR pg_catalog.jsonb_typeof(impl) IS DISTINCT FROM 'object' THEN
            problem := pg_catalog.format('custom rules of engine %s are not run by dataops (only engine dataops, as export_contract writes them)',
                                         coalesce(rule OPERATOR(pg_catalog.->>) 'engine', '(none)'));
            RETURN;
        END IF;
        kind := impl OPERATOR(pg_catalog.->>) 'kind';
        column_name := coalesce(impl OPERATOR(pg_catalog.->>) 'column', col);
        args := coalesce(impl OPERATOR(pg_catalog.->) 'args', '{}');
        mostly := coalesce(CAST(impl OPERATOR(pg_catalog.->>) 'mostly' AS float8), 1.0);
        RETURN;
    ELSIF typ OPERATOR(pg_catalog.=) 'library' THEN
        IF metric OPERATOR(pg_catalog.=) 'rowCount' THEN
            column_name := NULL;
            IF pct THEN
                problem := 'rowCount counts rows; unit percent has no meaning for it';
            ELSIF pg_catalog.jsonb_typeof(rule OPERATOR(pg_catalog.->) 'mustBe') OPERATOR(pg_catalog.=) 'number' THEN
                kind := 'row_count_equal';
                args := pg_catalog.jsonb_build_object('value', rule OPERATOR(pg_catalog.->) 'mustBe');
            ELSE
                args := dataops._contract_bounds(rule);
                kind := 'row_count_between';
                IF args IS NULL THEN
                    problem := 'dataops checks a row count between bounds; mustNotBe and mustNotBeBetween have no kind';
                END IF;
            END IF;
            RETURN;
        END IF;
        IF metric NOT IN ('nullValues', 'missingValues', 'invalidValues', 'duplicateValues') OR metric IS NULL THEN
            problem := pg_catalog.format('library metric %s is not one of nullValues, missingValues, invalidValues, duplicateValues, rowCount',
                                         coalesce(metric, '(none)'));
            RETURN;
        END IF;
        mostly := dataops._contract_mostly(rule);
        IF mostly IS NULL THEN
            problem := 'dataops checks the fraction of rows that pass (mostly): give mustBe: 0, or mustBeLessOrEqualTo with unit: percent';
            RETURN;
        END IF;
        IF metric OPERATOR(pg_catalog.=) 'duplicateValues' THEN
            IF col IS NOT NULL THEN
                kind := 'unique';
            ELSIF pg_catalog.jsonb_typeof(a OPERATOR(pg_catalog.->) 'properties') OPERATOR(pg_catalog.=) 'array' THEN
                kind := 'compound_unique';
                args := pg_catalog.jsonb_build_object('columns', a OPERATOR(pg_catalog.->) 'properties');
            ELSE
                problem := 'duplicateValues of a whole object needs arguments.properties (the columns of the key)';
            END IF;
            RETURN;
        END IF;
        IF col IS NULL THEN
            problem := pg_catalog.format('%s applies to a property; put the rule under the property', metric);
            RETURN;
        END IF;
        IF metric OPERATOR(pg_catalog.=) 'nullValues' THEN
            kind := 'not_null';
        ELSIF metric OPERATOR(pg_catalog.=) 'missingValues' THEN
            SELECT pg_catalog.jsonb_agg(v) INTO vals
              FROM pg_catalog.jsonb_array_elements(CASE WHEN pg_catalog.jsonb_typeof(a OPERATOR(pg_catalog.->) 'missingValues') OPERATOR(pg_catalog.=) 'array'
                                                        THEN a OPERATOR(pg_catalog.->) 'missingValues' ELSE '[]' END) v
             WHERE v OPERATOR(pg_catalog.<>) 'null';
            IF vals IS NULL THEN
                kind := 'not_null';
            ELSE
                kind := 'expression';
                column_name := NULL;
                args := pg_catalog.jsonb_build_object('expression', pg_catalog.format(
                    '%1$I IS NOT NULL AND CAST(%1$I AS pg_catalog.text) OPERATOR(pg_catalog.<>) ALL (ARRAY[%2$s])', col,
                    (SELECT pg_catalog.string_agg(pg_catalog.quote_literal(v OPERATOR(pg_catalog.#>>) '{}'), ', ')
                       FROM pg_catalog.jsonb_array_elements(vals) v)));
            END IF;
        ELSE -- invalidValues
            IF pg_catalog.jsonb_typeof(a OPERATOR(pg_catalog.->) 'validValues') OPERATOR(pg_catalog.=) 'array' THEN
                SELECT pg_catalog.jsonb_agg(v) INTO vals
                  FROM pg_catalog.jsonb_array_elements(a OPERATOR(pg_catalog.->) 'validValues') v
                 WHERE v OPERATOR(pg_catalog.<>) 'null';
                IF vals IS NULL THEN
                    problem := 'arguments.validValues lists no value but null';
                    RETURN;
                END IF;
                kind := 'in_set';
                args := pg_catalog.jsonb_build_object('values', vals);
            ELSIF pg_catalog.jsonb_typeof(a OPERATOR(pg_catalog.->) 'pattern') OPERATOR(pg_catalog.=) 'string' THEN
                kind := 'match_regex';
                args := pg_catalog.jsonb_build_object('pattern', a OPERATOR(pg_catalog.->) 'pattern');
            ELSE
                problem := 'invalidValues needs arguments.validValues or arguments.pattern';
            END IF;
        END IF;
        RETURN;
    ELSIF typ OPERATOR(pg_catalog.=) 'sql' THEN
        column_name := NULL;
        q := coalesce(rule OPERATOR(pg_catalog.->>) 'query', '');
        IF col IS NOT NULL THEN
            q := pg_catalog.replace(q, '${column}', pg_catalog.quote_ident(col));
            q := pg_catalog.replace(q, '${property}', pg_catalog.quote_ident(col));
        END IF;
        q := pg_catalog.btrim(pg_catalog.regexp_replace(pg_catalog.regexp_replace(q, '\s+', ' ', 'g'), ';\s*$', ''));
        m := pg_catalog.regexp_match(q, '^select (.*) from ([^ ]+)( where (.*))?$', 'i');
        IF m IS NULL THEN
            problem := 'only queries of the form SELECT <count(*) or an aggregate of one column> FROM <the object> [WHERE <condition>] become expectations';
            RETURN;
        END IF;
        rel := pg_catalog.lower(pg_catalog.replace(m[2], '"', ''));
        IF NOT (rel OPERATOR(pg_catalog.=) ANY (relnames) OR rel IN ('${object}', '${table}')) THEN
            problem := pg_catalog.format('the query reads %s, not the schema object the rule belongs to', m[2]);
            RETURN;
        END IF;
        IF pg_catalog.lower(pg_catalog.replace(m[1], ' ', '')) IN ('count(*)', 'count(1)') THEN
            IF m[4] IS NOT NULL THEN
                -- the rows matching the condition are the bad ones
                mostly := dataops._contract_mostly(rule);
                IF mostly IS NULL THEN
                    problem := 'a count of bad rows becomes an expression expectation only with mustBe: 0 (or mustBeLessOrEqualTo with unit: percent)';
                    RETURN;
                END IF;
                kind := 'expression';
                args := pg_catalog.jsonb_build_object('expression', pg_catalog.format('(%s) IS NOT TRUE', m[4]));
            ELSIF pg_catalog.jsonb_typeof(rule OPERATOR(pg_catalog.->) 'mustBe') OPERATOR(pg_catalog.=) 'number' THEN
                kind := 'row_count_equal';
                args := pg_catalog.jsonb_build_object('value', rule OPERATOR(pg_catalog.->) 'mustBe');
            ELSE
                kind := 'row_count_between';
                args := dataops._contract_bounds(rule);
            END IF;
        ELSE
            IF m[4] IS NOT NULL THEN
                problem := 'an aggregate with a WHERE clause has no expectation kind';
                RETURN;
            END IF;
            agg := pg_catalog.regexp_match(m[1], '^(avg|min|max|sum|stddev|stddev_samp|median|count) ?\( ?(distinct )?("[^"]+"|[A-Za-z_][A-Za-z0-9_$]*) ?\)$', 'i');
            IF agg IS NULL OR (pg_catalog.lower(agg[1]) OPERATOR(pg_catalog.=) 'count') OPERATOR(pg_catalog.<>) (agg[2] IS NOT NULL) THEN
                problem := pg_catalog.format('the aggregate %s has no expectation kind (avg, min, max, sum, stddev, median and count(distinct) have)', m[1]);
                RETURN;
            END IF;
            kind := CASE pg_catalog.lower(agg[1]) WHEN 'avg' THEN 'mean_between' WHEN 'min' THEN 'min_between'
                        WHEN 'max' THEN 'max_between' WHEN 'sum' THEN 'sum_between' WHEN 'median' THEN 'median_between'
                        WHEN 'count' THEN 'unique_value_count_between' ELSE 'stdev_between' END;
            column_name := CASE WHEN agg[3] LIKE '"%' THEN pg_catalog.replace(pg_catalog.btrim(agg[3], '"'), '""', '"')
                                ELSE pg_catalog.lower(agg[3]) END;
            args := dataops._contract_bounds(rule);
        END IF;
        IF args IS NULL THEN
            kind := NULL;
            problem := 'an observed value is checked between bounds; mustNotBe and mustNotBeBetween have no kind';
        END IF;
        RETURN;
    END IF;
    problem := pg_catalog.format('quality rules of type %s are not known', typ);
END $fn$;
COMMENT ON FUNCTION dataops._contract_rule(jsonb, text, text[]) IS
'Internal: one ODCS quality rule (of the column col, NULL at object level; relnames: the names a sql rule may read) as an expectation kind, column, args and mostly, or the reason it cannot be one (problem)';

-- A Java DateTimeFormatter pattern (ODCS logicalTypeOptions.format of dates
-- and times) as a strftime format, or NULL when it has a letter dataops'
-- match_strftime_format cannot check (fractions of seconds, ...).
CREATE FUNCTION dataops._contract_strftime(pattern text) RETURNS text
LANGUAGE plpgsql IMMUTABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    out text := '';
    i int := 1;
    n int := pg_catalog.length(pattern);
    c text;
    run int;
    conv text;
BEGIN
    WHILE i OPERATOR(pg_catalog.<=) n LOOP
        c := pg_catalog.substr(pattern, i, 1);
        IF c OPERATOR(pg_catalog.=) '''' THEN
            -- quoted literal text; '' is a quote
            run := pg_catalog.strpos(pg_catalog.substr(pattern, i OPERATOR(pg_catalog.+) 1), '''');
            IF run OPERATOR(pg_catalog.=) 0 THEN
                RETURN NULL;
            ELSIF run OPERATOR(pg_catalog.=) 1 THEN
                out := out OPERATOR(pg_catalog.||) '''';
            ELSE
                out := out OPERATOR(pg_catalog.||) pg_catalog.replace(pg_catalog.substr(pattern, i OPERATOR(pg_catalog.+) 1, run OPERATOR(pg_catalog.-) 1), '%', '%%');
            END IF;
            i := i OPERATOR(pg_catalog.+) run OPERATOR(pg_catalog.+) 1;
            CONTINUE;
        END IF;
        IF c !~ '^[A-Za-z]$' THEN
            out := out OPERATOR(pg_catalog.||) CASE WHEN c OPERATOR(pg_catalog.=) '%' THEN '%%' ELSE c END;
            i := i OPERATOR(pg_catalog.+) 1;
            CONTINUE;
        END IF;
        run := 1;
        WHILE i OPERATOR(pg_catalog.+) run OPERATOR(pg_catalog.<=) n
              AND pg_catalog.substr(pattern, i OPERATOR(pg_catalog.+) run, 1) OPERATOR(pg_catalog.=) c LOOP
            run := run OPERATOR(pg_catalog.+) 1;
        END LOOP;
        conv := CASE
            WHEN c IN ('y', 'u') AND run OPERATOR(pg_catalog.=) 2 THEN '%y'
            WHEN c IN ('y', 'u') THEN '%Y'
            WHEN c OPERATOR(pg_catalog.=) 'M' AND run OPERATOR(pg_catalog.>=) 4 THEN '%B'
            WHEN c OPERATOR(pg_catalog.=) 'M' AND run OPERATOR(pg_catalog.=) 3 THEN '%b'
            WHEN c OPERATOR(pg_catalog.=) 'M' THEN '%m'
            WHEN c OPERATOR(pg_catalog.=) 'd' AND run OPERATOR(pg_catalog.<=) 2 THEN '%d'
            WHEN c OPERATOR(pg_catalog.=) 'D' THEN '%j'
            WHEN c OPERATOR(pg_catalog.=) 'H' AND run OPERATOR(pg_catalog.<=) 2 THEN '%H'
            WHEN c OPERATOR(pg_catalog.=) 'h' AND run OPERATOR(pg_catalog.<=) 2 THEN '%I'
            WHEN c OPERATOR(pg_catalog.=) 'm' AND run OPERATOR(pg_catalog.<=) 2 THEN '%M'
            WHEN c OPERATOR(pg_catalog.=) 's' AND run OPERATOR(pg_catalog.<=) 2 THEN '%S'
            WHEN c OPERATOR(pg_catalog.=) 'a' AND run OPERATOR(pg_catalog.=) 1 THEN '%p'
            WHEN c OPERATOR(pg_catalog.=) 'E' AND run OPERATOR(pg_catalog.>=) 4 THEN '%A'
            WHEN c OPERATOR(pg_catalog.=) 'E' THEN '%a'
            WHEN c IN ('X', 'x', 'Z') THEN '%z'
            WHEN c OPERATOR(pg_catalog.=) 'z' THEN '%Z'
        END;
        IF conv IS NULL THEN
            RETURN NULL;
        END IF;
        out := out OPERATOR(pg_catalog.||) conv;
        i := i OPERATOR(pg_catalog.+) run;
    END LOOP;
    RETURN out;
END $fn$;
COMMENT ON FUNCTION dataops._contract_strftime(text) IS
'Internal: a Java DateTimeFormatter pattern (ODCS date formats such as yyyy-MM-dd) as a strftime format (%Y-%m-%d), or NULL when it uses a letter dataops cannot check';

-- Why dataops does not apply a key of a contract element.
CREATE FUNCTION dataops._contract_why(key text) RETURNS text
LANGUAGE sql IMMUTABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $fn$
SELECT CASE
    WHEN key IN ('relationships') THEN 'relationships between objects are not checked (add a relationships expectation)'
    WHEN key IN ('partitioned', 'partitionKeyPosition') THEN 'partitioning is not managed by dataops'
    WHEN key IN ('transformSourceObjects', 'transformLogic', 'transformDescription') THEN 'lineage comes from the step''s query (dataops.lineage)'
    WHEN key IN ('customProperties') THEN 'custom properties are not applied'
    WHEN key IN ('encryptedName') THEN 'encryption is not managed by dataops'
    WHEN key IN ('criticalDataElement') THEN 'not kept'
    WHEN key IN ('tags') THEN 'only the tags of properties (columns) are kept'
    WHEN key IN ('schedule', 'scheduler') THEN 'dataops checks at every run of the step, not on a schedule of its own'
    WHEN key IN ('items', 'properties') THEN 'nested properties are not checked'
    WHEN key IN ('servers') THEN 'the step''s target is the dataset; servers are not used'
    WHEN key IN ('team', 'roles', 'support', 'price') THEN 'not applied: dataops grants nothing and keeps no team, support or price'
    ELSE 'not applied by dataops'
END
$fn$;
COMMENT ON FUNCTION dataops._contract_why(text) IS
'Internal: the detail of the unsupported row apply_contract returns for a contract key it does not apply';

-- The quality rules of one element (a property: col; an object: col NULL)
-- as expectations; rules it cannot express come back with a problem.
CREATE FUNCTION dataops._contract_quality(rules jsonb, col text, relnames text[], base text, path text)
RETURNS TABLE(name text, kind text, column_name text, args jsonb, action text, mostly float8, problem text, rpath text)
LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $fn$
#variable_conflict use_variable
DECLARE
    r jsonb;
    i int;
    x record;
    k text;
BEGIN
    IF pg_catalog.jsonb_typeof(rules) IS DISTINCT FROM 'array' THEN
        RETURN;
    END IF;
    FOR i IN 0 .. pg_catalog.jsonb_array_length(rules) OPERATOR(pg_catalog.-) 1 LOOP
        r := rules OPERATOR(pg_catalog.->) i;
        rpath := pg_catalog.format('%s.quality[%s]', path, i);
        SELECT * INTO x FROM dataops._contract_rule(r, col, relnames) AS t;
        name := coalesce(r OPERATOR(pg_catalog.->>) 'name',
                         base OPERATOR(pg_catalog.||) '_' OPERATOR(pg_catalog.||)
                         pg_catalog.lower(coalesce(r OPERATOR(pg_catalog.->>) 'metric', r OPERATOR(pg_catalog.->>) 'rule',
                                                   r OPERATOR(pg_catalog.->>) 'type', 'library')));
        kind := x.kind;
        column_name := x.column_name;
        args := x.args;
        mostly := x.mostly;
        problem := x.problem;
        action := CASE WHEN r OPERATOR(pg_catalog.->>) 'type' OPERATOR(pg_catalog.=) 'custom'
                       THEN coalesce(r OPERATOR(pg_catalog.#>>) '{implementation,action}', 'warn')
                       WHEN pg_catalog.lower(r OPERATOR(pg_catalog.->>) 'severity') OPERATOR(pg_catalog.=) 'error' THEN 'fail'
                       ELSE 'warn' END;
        RETURN NEXT;
        -- what the rule says that is not applied
        FOR k IN SELECT * FROM dataops._contract_other_keys(r, ARRAY[
                    'type', 'metric', 'rule', 'arguments', 'mustBe', 'mustNotBe', 'mustBeGreaterThan',
                    'mustBeGreaterOrEqualTo', 'mustBeLessThan', 'mustBeLessOrEqualTo', 'mustBeBetween',
                    'mustNotBeBetween', 'unit', 'severity', 'name', 'query', 'engine', 'implementation', 'id',
                    'description', 'dimension', 'businessImpact', 'method', 'authoritativeDefinitions']) LOOP
            kind := NULL;
            problem := dataops._contract_why(k);
            name := NULL;
            rpath := pg_catalog.format('%s.quality[%s].%s', path, i, k);
            RETURN NEXT;
        END LOOP;
    END LOOP;
END $fn$;
COMMENT ON FUNCTION dataops._contract_quality(jsonb, text, text[], text, text) IS
'Internal: the ODCS quality rules of a property (col) or an object (col NULL) as expectations (name, kind, column, args, action, mostly), with a problem for what cannot be one';

CREATE FUNCTION dataops.apply_contract(contract text, pipeline text, step text DEFAULT NULL)
RETURNS TABLE(action text, object text, detail text)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $fn$
#variable_conflict use_variable
DECLARE
    v_pipeline text := apply_contract.pipeline;
    v_step text := apply_contract.step;
    doc jsonb;
    cid text;
    cver text;
    objs jsonb;
    o jsonb;
    p jsonb;
    opts jsonb;
    sla jsonb;
    i int;
    j int;
    n int;
    s text;
    matches text[];
    obj_step text[] := '{}';
    oname text;
    pname text;
    path text;
    relid oid;
    tschema text;
    ttable text;
    col text;
    a_name name;
    a_typid oid;
    a_typmod int;
    a_notnull boolean;
    a_cat "char";
    ltype text;
    ptype text;
    preg regtype;
    pnorm text;
    castable text;
    satisfied_by text;
    k text;
    f text;
    lo jsonb;
    hi jsonb;
    pk jsonb;
    relnames text[];
    want jsonb := '[]';      -- {step, name, kind, column, args, action, mostly, path}
    tags jsonb := '{}';      -- step -> [{column, classification, tags}]
    w jsonb;
    x record;
    old record;
    touched text[];
    names text[];
    kept text[];
    gone text[];
    iv text;
    fresh text;              -- the sla_freshness this version sets
    satisfied text[] := '{}';  -- step/name of the expectations the published columns make needless
    el text[];
BEGIN
    IF contract IS NULL THEN
        RAISE EXCEPTION 'contract must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF v_pipeline IS NULL THEN
        RAISE EXCEPTION 'pipeline must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- the privilege first: nothing is read or changed for a role without it
    PERFORM dataops._contract_check(v_pipeline);
    IF v_step IS NOT NULL AND NOT EXISTS (SELECT 1 FROM dataops.steps st
                                           WHERE st.pipeline OPERATOR(pg_catalog.=) v_pipeline
                                             AND st.name OPERATOR(pg_catalog.=) v_step) THEN
        RAISE EXCEPTION 'step "%" of pipeline "%" does not exist', v_step, v_pipeline
            USING ERRCODE = 'undefined_object',
                  HINT = pg_catalog.format('List the steps with SELECT name FROM dataops.steps WHERE pipeline = %L.', v_pipeline);
    END IF;

    -- YAML, and JSON (which is YAML)
    doc := dataops.yaml_to_jsonb(contract);
    IF pg_catalog.jsonb_typeof(doc) IS DISTINCT FROM 'object'
       OR doc OPERATOR(pg_catalog.->>) 'kind' IS DISTINCT FROM 'DataContract' THEN
        RAISE EXCEPTION 'not an ODCS data contract: kind is %',
                        coalesce(CASE WHEN pg_catalog.jsonb_typeof(doc) OPERATOR(pg_catalog.=) 'object'
                                      THEN doc OPERATOR(pg_catalog.->>) 'kind' END, 'missing')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'An Open Data Contract Standard document has kind: DataContract and apiVersion: v3.1.0.';
    END IF;
    IF coalesce(doc OPERATOR(pg_catalog.->>) 'apiVersion', '') NOT IN ('v3.1.0', 'v3.0.2', 'v3.0.1', 'v3.0.0') THEN
        RAISE EXCEPTION 'ODCS apiVersion % is not supported', coalesce(doc OPERATOR(pg_catalog.->>) 'apiVersion', '(missing)')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'dataops reads ODCS v3.1.0 (and v3.0.x) contracts; convert older ones with the ODCS tools.';
    END IF;
    cid := doc OPERATOR(pg_catalog.->>) 'id';
    cver := doc OPERATOR(pg_catalog.->>) 'version';
    IF coalesce(cid, '') OPERATOR(pg_catalog.=) '' OR cver IS NULL THEN
        RAISE EXCEPTION 'data contract has no %', CASE WHEN coalesce(cid, '') OPERATOR(pg_catalog.=) '' THEN 'id' ELSE 'version' END
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'ODCS requires id and version: the expectations a contract creates are kept under its id and replaced by its next version.';
    END IF;
    objs := CASE WHEN pg_catalog.jsonb_typeof(doc OPERATOR(pg_catalog.->) 'schema') OPERATOR(pg_catalog.=) 'array'
                 THEN doc OPERATOR(pg_catalog.->) 'schema' ELSE '[]' END;

    -- 1. each schema object to the step that publishes it
    FOR i IN 0 .. pg_catalog.jsonb_array_length(objs) OPERATOR(pg_catalog.-) 1 LOOP
        o := objs OPERATOR(pg_catalog.->) i;
        oname := coalesce(o OPERATOR(pg_catalog.->>) 'name', pg_catalog.format('schema[%s]', i));
        matches := NULL;
        FOREACH pname IN ARRAY ARRAY[o OPERATOR(pg_catalog.->>) 'physicalName', o OPERATOR(pg_catalog.->>) 'name'] LOOP
            CONTINUE WHEN pname IS NULL OR matches IS NOT NULL;
            SELECT pg_catalog.array_agg(st.name ORDER BY st.name) INTO matches FROM dataops.steps st
             WHERE st.pipeline OPERATOR(pg_catalog.=) v_pipeline
               AND (st.target_table OPERATOR(pg_catalog.=) pname
                    OR (st.target_schema OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) st.target_table) OPERATOR(pg_catalog.=) pname);
            IF matches IS NULL THEN
                SELECT pg_catalog.array_agg(st.name ORDER BY st.name) INTO matches FROM dataops.steps st
                 WHERE st.pipeline OPERATOR(pg_catalog.=) v_pipeline
                   AND (pg_catalog.lower(st.target_table) OPERATOR(pg_catalog.=) pg_catalog.lower(pname)
                        OR pg_catalog.lower(st.target_schema OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) st.target_table)
                           OPERATOR(pg_catalog.=) pg_catalog.lower(pname));
            END IF;
        END LOOP;
        IF pg_catalog.cardinality(matches) OPERATOR(pg_catalog.>) 1 THEN
            IF v_step OPERATOR(pg_catalog.=) ANY (matches) THEN
                matches := ARRAY[v_step];
            ELSE
                RAISE EXCEPTION 'schema object "%" of the contract matches % steps of pipeline "%": %',
                                oname, pg_catalog.cardinality(matches), v_pipeline, pg_catalog.array_to_string(matches, ', ')
                    USING ERRCODE = 'invalid_parameter_value',
                          HINT = 'Give the step (apply_contract''s third argument), or a physicalName schema.table.';
            END IF;
        ELSIF matches IS NULL AND v_step IS NOT NULL AND NOT v_step OPERATOR(pg_catalog.=) ANY (obj_step) THEN
            matches := ARRAY[v_step];
        END IF;
        IF matches IS NULL THEN
            RAISE EXCEPTION 'schema object "%" of the contract matches no step of pipeline "%"', oname, v_pipeline
                USING ERRCODE = 'undefined_object',
                      DETAIL = 'A step matches when its target (table or schema.table) is the object''s physicalName, or else its name.',
                      HINT = 'Give the step (apply_contract''s third argument), or set physicalName to the step''s target.';
        END IF;
        IF matches[1] OPERATOR(pg_catalog.=) ANY (obj_step) THEN
            RAISE EXCEPTION 'two schema objects of the contract match step "%" of pipeline "%"', matches[1], v_pipeline
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'A step publishes one object: give each object the physicalName of its own step''s target.';
        END IF;
        obj_step := obj_step OPERATOR(pg_catalog.||) matches[1];
    END LOOP;

    -- what the contract says beyond its objects and SLAs
    FOR k IN SELECT * FROM dataops._contract_other_keys(doc, ARRAY[
                'apiVersion', 'kind', 'id', 'version', 'status', 'name', 'description', 'domain', 'dataProduct',
                'tenant', 'authoritativeDefinitions', 'contractCreatedTs', 'schema', 'slaProperties', 'slaDefaultElement']) LOOP
        action := 'unsupported'; object := k; detail := dataops._contract_why(k);
        RETURN NEXT;
    END LOOP;

    -- 2. what each object asks of its step
    FOR i IN 0 .. pg_catalog.jsonb_array_length(objs) OPERATOR(pg_catalog.-) 1 LOOP
        o := objs OPERATOR(pg_catalog.->) i;
        s := obj_step[i OPERATOR(pg_catalog.+) 1];
        oname := coalesce(o OPERATOR(pg_catalog.->>) 'name', pg_catalog.format('schema[%s]', i));
        SELECT st.target_schema, st.target_table INTO tschema, ttable FROM dataops.steps st
         WHERE st.pipeline OPERATOR(pg_catalog.=) v_pipeline AND st.name OPERATOR(pg_catalog.=) s;
        relid := pg_catalog.to_regclass(pg_catalog.quote_ident(tschema) OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(ttable));
        relnames := ARRAY[pg_catalog.lower(o OPERATOR(pg_catalog.->>) 'name'), pg_catalog.lower(o OPERATOR(pg_catalog.->>) 'physicalName'),
                          pg_catalog.lower(ttable), pg_catalog.lower(tschema OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) ttable)];
        tags := pg_catalog.jsonb_set(tags, ARRAY[s], coalesce(tags OPERATOR(pg_catalog.->) s, '[]'));
        FOR k IN SELECT * FROM dataops._contract_other_keys(o, ARRAY[
                    'name', 'physicalName', 'physicalType', 'id', 'description', 'businessName',
                    'authoritativeDefinitions', 'dataGranularityDescription', 'logicalType', 'properties', 'quality']) LOOP
            action := 'unsupported'; object := oname OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) k;
            detail := dataops._contract_why(k);
            RETURN NEXT;
        END LOOP;
        pk := '[]';
        FOR j IN 0 .. coalesce(pg_catalog.jsonb_array_length(CASE WHEN pg_catalog.jsonb_typeof(o OPERATOR(pg_catalog.->) 'properties') OPERATOR(pg_catalog.=) 'array'
                                                                   THEN o OPERATOR(pg_catalog.->) 'properties' END), 0) OPERATOR(pg_catalog.-) 1 LOOP
            p := o OPERATOR(pg_catalog.->) 'properties' OPERATOR(pg_catalog.->) j;
            col := coalesce(p OPERATOR(pg_catalog.->>) 'physicalName', p OPERATOR(pg_catalog.->>) 'name');
            path := oname OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) coalesce(p OPERATOR(pg_catalog.->>) 'name', col);
            a_name := NULL; a_typid := NULL; a_typmod := NULL; a_notnull := NULL; a_cat := NULL;
            IF relid IS NOT NULL THEN
                SELECT a.attname, a.atttypid, a.atttypmod, a.attnotnull, t.typcategory
                  INTO a_name, a_typid, a_typmod, a_notnull, a_cat
                  FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid OPERATOR(pg_catalog.=) a.atttypid
                 WHERE a.attrelid OPERATOR(pg_catalog.=) relid AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
                   AND pg_catalog.lower(a.attname) OPERATOR(pg_catalog.=) pg_catalog.lower(col)
                 ORDER BY a.attname OPERATOR(pg_catalog.=) col DESC
                 LIMIT 1;
                IF a_name IS NOT NULL THEN
                    col := a_name;
                END IF;
            END IF;
            FOR k IN SELECT * FROM dataops._contract_other_keys(p, ARRAY[
                        'name', 'physicalName', 'id', 'description', 'businessName', 'authoritativeDefinitions',
                        'examples', 'required', 'unique', 'primaryKey', 'primaryKeyPosition', 'logicalType',
                        'logicalTypeOptions', 'physicalType', 'classification', 'tags', 'quality']) LOOP
                action := 'unsupported'; object := path OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) k;
                detail := dataops._contract_why(k);
                RETURN NEXT;
            END LOOP;
            -- required
            IF p OPERATOR(pg_catalog.->) 'required' OPERATOR(pg_catalog.=) 'true' THEN
                IF a_notnull IS TRUE THEN
                    satisfied := satisfied OPERATOR(pg_catalog.||) pg_catalog.format('%s/odcs_%s_required', s, col);
                    action := 'satisfied'; object := path OPERATOR(pg_catalog.||) '.required';
                    detail := pg_catalog.format('column %I is NOT NULL', col);
                    RETURN NEXT;
                ELSE
                    want := want OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('step', s, 'name', pg_catalog.format('odcs_%s_required', col),
                        'kind', 'not_null', 'column', col, 'args', '{}'::jsonb, 'action', 'fail', 'mostly', 1, 'path', path OPERATOR(pg_catalog.||) '.required');
                END IF;
            END IF;
            -- unique, and primaryKey of one column
            IF p OPERATOR(pg_catalog.->) 'primaryKey' OPERATOR(pg_catalog.=) 'true' THEN
                pk := pk OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('column', col, 'position',
                          coalesce(CAST(p OPERATOR(pg_catalog.->>) 'primaryKeyPosition' AS int), -1), 'j', j);
            END IF;
            IF p OPERATOR(pg_catalog.->) 'unique' OPERATOR(pg_catalog.=) 'true' THEN
                want := want OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('step', s, 'name', pg_catalog.format('odcs_%s_unique', col),
                    'kind', 'unique', 'column', col, 'args', '{}'::jsonb, 'action', 'fail', 'mostly', 1, 'path', path OPERATOR(pg_catalog.||) '.unique');
            END IF;
            -- physicalType: the published column's type, else castable_to
            ptype := p OPERATOR(pg_catalog.->>) 'physicalType';
            preg := NULL;
            IF ptype IS NOT NULL THEN
                BEGIN
                    preg := pg_catalog.to_regtype(ptype);
                EXCEPTION WHEN OTHERS THEN
                    preg := NULL;
                END;
                IF preg IS NULL THEN
                    action := 'unsupported'; object := path OPERATOR(pg_catalog.||) '.physicalType';
                    detail := pg_catalog.format('%s is not a PostgreSQL type', ptype);
                    RETURN NEXT;
                ELSE
                    pnorm := pg_catalog.format_type(preg, NULL) OPERATOR(pg_catalog.||)
                             coalesce(pg_catalog.substring(pg_catalog.replace(ptype, ' ', ''), '\(.*\)$'), '');
                    IF a_name IS NOT NULL AND a_typid OPERATOR(pg_catalog.=) preg
                       AND (pnorm OPERATOR(pg_catalog.=) pg_catalog.format_type(preg, NULL)
                            OR pg_catalog.replace(pnorm, ' ', '') OPERATOR(pg_catalog.=)
                               pg_catalog.replace(pg_catalog.format_type(a_typid, a_typmod), ' ', '')) THEN
                        satisfied := satisfied OPERATOR(pg_catalog.||) pg_catalog.format('%s/odcs_%s_type', s, col);
                        action := 'satisfied'; object := path OPERATOR(pg_catalog.||) '.physicalType';
                        detail := pg_catalog.format('column %I is of type %s', col, pg_catalog.format_type(a_typid, a_typmod));
                        RETURN NEXT;
                    ELSIF pnorm OPERATOR(pg_catalog.=) ANY (ARRAY['text', 'character varying', 'character']) THEN
                        satisfied := satisfied OPERATOR(pg_catalog.||) pg_catalog.format('%s/odcs_%s_type', s, col);
                        action := 'satisfied'; object := path OPERATOR(pg_catalog.||) '.physicalType';
                        detail := pg_catalog.format('every value is a %s', pnorm);
                        RETURN NEXT;
                    ELSE
                        want := want OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('step', s, 'name', pg_catalog.format('odcs_%s_type', col),
                            'kind', 'castable_to', 'column', col, 'args', pg_catalog.jsonb_build_object('type', ptype), 'action', 'fail',
                            'mostly', 1, 'path', path OPERATOR(pg_catalog.||) '.physicalType');
                    END IF;
                END IF;
            END IF;
            -- logicalType: the published column's type category, else castable_to
            ltype := p OPERATOR(pg_catalog.->>) 'logicalType';
            opts := CASE WHEN pg_catalog.jsonb_typeof(p OPERATOR(pg_catalog.->) 'logicalTypeOptions') OPERATOR(pg_catalog.=) 'object'
                         THEN p OPERATOR(pg_catalog.->) 'logicalTypeOptions' ELSE '{}' END;
            castable := CASE ltype
                WHEN 'integer' THEN CASE coalesce(opts OPERATOR(pg_catalog.->>) 'format', '') WHEN 'i8' THEN 'smallint' WHEN 'i16' THEN 'smallint'
                                         WHEN 'u8' THEN 'smallint' WHEN 'i32' THEN 'integer' WHEN 'u16' THEN 'integer'
                                         WHEN 'i64' THEN 'bigint' WHEN 'u32' THEN 'bigint' WHEN '' THEN 'bigint' ELSE 'numeric' END
                WHEN 'number' THEN CASE opts OPERATOR(pg_catalog.->>) 'format' WHEN 'f32' THEN 'real' WHEN 'f64' THEN 'double precision' ELSE 'numeric' END
                WHEN 'date' THEN 'date'
                WHEN 'timestamp' THEN CASE WHEN opts OPERATOR(pg_catalog.->) 'timezone' OPERATOR(pg_catalog.=) 'true'
                                           THEN 'timestamp with time zone' ELSE 'timestamp without time zone' END
                WHEN 'time' THEN 'time without time zone'
                WHEN 'boolean' THEN 'boolean' END;
            IF ltype IN ('object', 'array') THEN
                action := 'unsupported'; object := path OPERATOR(pg_catalog.||) '.logicalType';
                detail := pg_catalog.format('logicalType %s: nested objects and arrays are not checked', ltype);
                RETURN NEXT;
            ELSIF castable IS NOT NULL THEN
                -- the type that holds the values: the published column's, else the physicalType's
                satisfied_by := CASE WHEN a_name IS NOT NULL THEN pg_catalog.format_type(a_typid, NULL)
                                     WHEN preg IS NOT NULL THEN pg_catalog.format_type(preg, NULL) END;
                IF satisfied_by IS NOT NULL AND (
                       (ltype OPERATOR(pg_catalog.=) 'integer' AND satisfied_by IN ('smallint', 'integer', 'bigint'))
                    OR (ltype OPERATOR(pg_catalog.=) 'number' AND satisfied_by IN ('smallint', 'integer', 'bigint', 'numeric', 'real', 'double precision'))
                    OR (ltype OPERATOR(pg_catalog.=) 'date' AND satisfied_by OPERATOR(pg_catalog.=) 'date')
                    OR (ltype OPERATOR(pg_catalog.=) 'timestamp' AND satisfied_by LIKE 'timestamp%')
                    OR (ltype OPERATOR(pg_catalog.=) 'time' AND satisfied_by LIKE 'time %')
                    OR (ltype OPERATOR(pg_catalog.=) 'boolean' AND satisfied_by OPERATOR(pg_catalog.=) 'boolean')) THEN
                    IF a_name IS NOT NULL THEN
                        satisfied := satisfied OPERATOR(pg_catalog.||) pg_catalog.format('%s/odcs_%s_logical_type', s, col);
                        action := 'satisfied'; object := path OPERATOR(pg_catalog.||) '.logicalType';
                        detail := pg_catalog.format('column %I is of type %s', col, satisfied_by);
                        RETURN NEXT;
                    END IF;
                ELSIF NOT (ptype IS NOT NULL AND preg IS NOT NULL AND a_name IS NULL
                           AND pg_catalog.format_type(preg, NULL) OPERATOR(pg_catalog.=) castable) THEN
                    want := want OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('step', s, 'name', pg_catalog.format('odcs_%s_logical_type', col),
                        'kind', 'castable_to', 'column', col, 'args', pg_catalog.jsonb_build_object('type', castable), 'action', 'fail',
                        'mostly', 1, 'path', path OPERATOR(pg_catalog.||) '.logicalType');
                END IF;
            END IF;
            -- logicalTypeOptions
            FOR k IN SELECT e.key FROM pg_catalog.jsonb_each(opts) e ORDER BY e.key LOOP
                IF k OPERATOR(pg_catalog.=) 'pattern' THEN
                    want := want OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('step', s, 'name', pg_catalog.format('odcs_%s_pattern', col),
                        'kind', 'match_regex', 'column', col, 'args', pg_catalog.jsonb_build_object('pattern', opts OPERATOR(pg_catalog.->) 'pattern'),
                        'action', 'fail', 'mostly', 1, 'path', path OPERATOR(pg_catalog.||) '.logicalTypeOptions.pattern');
                ELSIF k IN ('minLength', 'maxLength') THEN
                    CONTINUE WHEN k OPERATOR(pg_catalog.=) 'maxLength' AND opts OPERATOR(pg_catalog.?) 'minLength';
                    want := want OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('step', s, 'name', pg_catalog.format('odcs_%s_length', col),
                        'kind', 'value_lengths_between', 'column', col,
                        'args', pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('min', opts OPERATOR(pg_catalog.->) 'minLength',
                                                                                           'max', opts OPERATOR(pg_catalog.->) 'maxLength')),
                        'action', 'fail', 'mostly', 1, 'path', path OPERATOR(pg_catalog.||) '.logicalTypeOptions.' OPERATOR(pg_catalog.||) k);
                ELSIF k IN ('minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum') THEN
                    CONTINUE WHEN k OPERATOR(pg_catalog.<>) (SELECT e.key FROM pg_catalog.jsonb_each(opts) e
                                                              WHERE e.key IN ('minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum')
                                                              ORDER BY e.key LIMIT 1);
                    IF opts OPERATOR(pg_catalog.?) 'minimum' AND opts OPERATOR(pg_catalog.?) 'exclusiveMinimum'
                       OR opts OPERATOR(pg_catalog.?) 'maximum' AND opts OPERATOR(pg_catalog.?) 'exclusiveMaximum' THEN
                        action := 'unsupported'; object := path OPERATOR(pg_catalog.||) '.logicalTypeOptions';
                        detail := 'both an inclusive and an exclusive bound on one side';
                        RETURN NEXT;
                        CONTINUE;
                    END IF;
                    lo := coalesce(opts OPERATOR(pg_catalog.->) 'exclusiveMinimum', opts OPERATOR(pg_catalog.->) 'minimum');
                    hi := coalesce(opts OPERATOR(pg_catalog.->) 'exclusiveMaximum', opts OPERATOR(pg_catalog.->) 'maximum');
                    want := want OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('step', s, 'name', pg_catalog.format('odcs_%s_range', col),
                        'kind', 'between', 'column', col,
                        'args', pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('min', lo, 'max', hi,
                                    'strict_min', CASE WHEN opts OPERATOR(pg_catalog.?) 'exclusiveMinimum' THEN true END,
                                    'strict_max', CASE WHEN opts OPERATOR(pg_catalog.?) 'exclusiveMaximum' THEN true END)),
                        'action', 'fail', 'mostly', 1, 'path', path OPERATOR(pg_catalog.||) '.logicalTypeOptions');
                ELSIF k OPERATOR(pg_catalog.=) 'format' AND ltype IN ('integer', 'number') THEN
                    CONTINUE;   -- chose the castable type above
                ELSIF k OPERATOR(pg_catalog.=) 'format' AND ltype IN ('date', 'timestamp', 'time') THEN
                    f := dataops._contract_strftime(opts OPERATOR(pg_catalog.->>) 'format');
                    IF f IS NULL THEN
                        action := 'unsupported'; object := path OPERATOR(pg_catalog.||) '.logicalTypeOptions.format';
                        detail := pg_catalog.format('%s has no strftime form dataops can check', opts OPERATOR(pg_catalog.->>) 'format');
                        RETURN NEXT;
                    ELSIF a_name IS NOT NULL AND a_cat OPERATOR(pg_catalog.<>) 'S' THEN
                        satisfied := satisfied OPERATOR(pg_catalog.||) pg_catalog.format('%s/odcs_%s_format', s, col);
                        action := 'satisfied'; object := path OPERATOR(pg_catalog.||) '.logicalTypeOptions.format';
                        detail := pg_catalog.format('column %I is of type %s: its values are parsed, a text format does not apply',
                                                    col, pg_catalog.format_type(a_typid, a_typmod));
                        RETURN NEXT;
                    ELSE
                        want := want OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('step', s, 'name', pg_catalog.format('odcs_%s_format', col),
                            'kind', 'match_strftime_format', 'column', col, 'args', pg_catalog.jsonb_build_object('format', f),
                            'action', 'fail', 'mostly', 1, 'path', path OPERATOR(pg_catalog.||) '.logicalTypeOptions.format');
                    END IF;
                ELSIF k OPERATOR(pg_catalog.=) 'format' AND opts OPERATOR(pg_catalog.->>) 'format' OPERATOR(pg_catalog.=) 'uuid' THEN
                    want := want OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('step', s, 'name', pg_catalog.format('odcs_%s_format', col),
                        'kind', 'castable_to', 'column', col, 'args', '{"type": "uuid"}'::jsonb,
                        'action', 'fail', 'mostly', 1, 'path', path OPERATOR(pg_catalog.||) '.logicalTypeOptions.format');
                ELSIF k OPERATOR(pg_catalog.=) 'timezone' AND ltype OPERATOR(pg_catalog.=) 'timestamp' THEN
                    CONTINUE;   -- chose the castable type above
                ELSE
                    action := 'unsupported'; object := path OPERATOR(pg_catalog.||) '.logicalTypeOptions.' OPERATOR(pg_catalog.||) k;
                    detail := CASE WHEN k OPERATOR(pg_catalog.=) 'format' THEN pg_catalog.format('format %s has no check in dataops', opts OPERATOR(pg_catalog.->>) k)
                                   ELSE pg_catalog.format('%s has no check in dataops', k) END;
                    RETURN NEXT;
                END IF;
            END LOOP;
            -- classification and tags
            IF p OPERATOR(pg_catalog.?) 'classification' OR pg_catalog.jsonb_typeof(p OPERATOR(pg_catalog.->) 'tags') OPERATOR(pg_catalog.=) 'array'
                                                            AND p OPERATOR(pg_catalog.->) 'tags' OPERATOR(pg_catalog.<>) '[]' THEN
                tags := pg_catalog.jsonb_set(tags, ARRAY[s], (tags OPERATOR(pg_catalog.->) s) OPERATOR(pg_catalog.||)
                            pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('column', col,
                                'classification', p OPERATOR(pg_catalog.->>) 'classification',
                                'tags', coalesce(p OPERATOR(pg_catalog.->) 'tags', '[]'))));
            END IF;
            -- quality rules of the property
            FOR x IN SELECT * FROM dataops._contract_quality(p OPERATOR(pg_catalog.->) 'quality', col, relnames,
                                                              pg_catalog.format('odcs_%s', col), path) q LOOP
                IF x.problem IS NOT NULL THEN
                    action := 'unsupported'; object := x.rpath; detail := x.problem;
                    RETURN NEXT;
                ELSE
                    want := want OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('step', s, 'name', x.name, 'kind', x.kind,
                        'column', x.column_name, 'args', x.args, 'action', x.action, 'mostly', x.mostly, 'path', x.rpath);
                END IF;
            END LOOP;
        END LOOP;
        -- primaryKey: one column is unique, several are a compound key in primaryKeyPosition order
        IF pg_catalog.jsonb_array_length(pk) OPERATOR(pg_catalog.=) 1 THEN
            col := pk OPERATOR(pg_catalog.#>>) '{0,column}';
            IF NOT EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(want) e
                            WHERE e OPERATOR(pg_catalog.->>) 'step' OPERATOR(pg_catalog.=) s
                              AND e OPERATOR(pg_catalog.->>) 'name' OPERATOR(pg_catalog.=) pg_catalog.format('odcs_%s_unique', col)) THEN
                want := want OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('step', s, 'name', pg_catalog.format('odcs_%s_unique', col),
                    'kind', 'unique', 'column', col, 'args', '{}'::jsonb, 'action', 'fail', 'mostly', 1,
                    'path', oname OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) col OPERATOR(pg_catalog.||) '.primaryKey');
            END IF;
        ELSIF pg_catalog.jsonb_array_length(pk) OPERATOR(pg_catalog.>) 1 THEN
            want := want OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('step', s, 'name', 'odcs_primary_key',
                'kind', 'compound_unique', 'column', NULL,
                'args', pg_catalog.jsonb_build_object('columns',
                    (SELECT pg_catalog.jsonb_agg(e OPERATOR(pg_catalog.->) 'column'
                                                 ORDER BY CAST(e OPERATOR(pg_catalog.->>) 'position' AS int) OPERATOR(pg_catalog.<) 1,
                                                          CAST(e OPERATOR(pg_catalog.->>) 'position' AS int),
                                                          CAST(e OPERATOR(pg_catalog.->>) 'j' AS int))
                       FROM pg_catalog.jsonb_array_elements(pk) e)),
                'action', 'fail', 'mostly', 1, 'path', oname OPERATOR(pg_catalog.||) '.primaryKey');
        END IF;
        -- quality rules of the object
        FOR x IN SELECT * FROM dataops._contract_quality(o OPERATOR(pg_catalog.->) 'quality', NULL, relnames, 'odcs', oname) q LOOP
            IF x.problem IS NOT NULL THEN
                action := 'unsupported'; object := x.rpath; detail := x.problem;
                RETURN NEXT;
            ELSE
                want := want OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('step', s, 'name', x.name, 'kind', x.kind,
                    'column', x.column_name, 'args', x.args, 'action', x.action, 'mostly', x.mostly, 'path', x.rpath);
            END IF;
        END LOOP;
    END LOOP;

    -- 3. SLA properties
    FOR i IN 0 .. coalesce(pg_catalog.jsonb_array_length(CASE WHEN pg_catalog.jsonb_typeof(doc OPERATOR(pg_catalog.->) 'slaProperties') OPERATOR(pg_catalog.=) 'array'
                                                               THEN doc OPERATOR(pg_catalog.->) 'slaProperties' END), 0) OPERATOR(pg_catalog.-) 1 LOOP
        sla := doc OPERATOR(pg_catalog.->) 'slaProperties' OPERATOR(pg_catalog.->) i;
        path := pg_catalog.format('slaProperties[%s] (%s)', i, sla OPERATOR(pg_catalog.->>) 'property');
        iv := dataops._contract_interval(sla OPERATOR(pg_catalog.->) 'value', sla OPERATOR(pg_catalog.->>) 'unit');
        IF sla OPERATOR(pg_catalog.->>) 'property' OPERATOR(pg_catalog.=) 'freshness' THEN
            IF iv IS NULL THEN
                action := 'unsupported'; object := path;
                detail := pg_catalog.format('value %s %s is not an interval', sla OPERATOR(pg_catalog.->>) 'value', coalesce(sla OPERATOR(pg_catalog.->>) 'unit', ''));
            ELSE
                fresh := iv;
                IF (SELECT pl.options OPERATOR(pg_catalog.->>) 'sla_freshness' FROM dataops.pipelines pl
                     WHERE pl.name OPERATOR(pg_catalog.=) v_pipeline) IS NOT DISTINCT FROM iv THEN
                    CONTINUE;
                END IF;
                PERFORM dataops.set_pipeline_option(v_pipeline, 'sla_freshness', pg_catalog.to_jsonb(iv));
                action := 'set'; object := pg_catalog.format('pipeline %s', v_pipeline);
                detail := pg_catalog.format('sla_freshness = %s', iv);
            END IF;
            RETURN NEXT;
        ELSIF sla OPERATOR(pg_catalog.->>) 'property' OPERATOR(pg_catalog.=) 'latency' THEN
            -- latency of an element object.column: the newest value of the column is at most that old
            el := pg_catalog.regexp_match(coalesce(sla OPERATOR(pg_catalog.->>) 'element', doc OPERATOR(pg_catalog.->>) 'slaDefaultElement', ''),
                                          '^(.+)\.([^.]+)$');
            s := NULL;
            IF el IS NOT NULL THEN
                FOR j IN 0 .. pg_catalog.jsonb_array_length(objs) OPERATOR(pg_catalog.-) 1 LOOP
                    IF el[1] IN (objs OPERATOR(pg_catalog.->) j OPERATOR(pg_catalog.->>) 'name',
                                 objs OPERATOR(pg_catalog.->) j OPERATOR(pg_catalog.->>) 'physicalName') THEN
                        s := obj_step[j OPERATOR(pg_catalog.+) 1];
                    END IF;
                END LOOP;
            END IF;
            IF s IS NULL OR iv IS NULL THEN
                action := 'unsupported'; object := path;
                detail := CASE WHEN iv IS NULL THEN pg_catalog.format('value %s %s is not an interval', sla OPERATOR(pg_catalog.->>) 'value',
                                                                    coalesce(sla OPERATOR(pg_catalog.->>) 'unit', ''))
                               ELSE pg_catalog.format('latency needs an element object.column naming a schema object of the contract (element %s)',
                                                      coalesce(sla OPERATOR(pg_catalog.->>) 'element', doc OPERATOR(pg_catalog.->>) 'slaDefaultElement', 'missing')) END;
                RETURN NEXT;
            ELSE
                want := want OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('step', s, 'name', pg_catalog.format('odcs_%s_latency', el[2]),
                    'kind', 'freshness', 'column', el[2], 'args', pg_catalog.jsonb_build_object('max_age', iv), 'action', 'warn', 'mostly', 1,
                    'path', path);
            END IF;
        ELSE
            action := 'unsupported'; object := path;
            detail := pg_catalog.format('SLA property %s has no dataops option (freshness and latency have)', sla OPERATOR(pg_catalog.->>) 'property');
            RETURN NEXT;
        END IF;
    END LOOP;

    -- a freshness an earlier version set and this one no longer has: removed, unless it was changed since
    IF fresh IS NULL THEN
        SELECT pc.sla_freshness INTO iv FROM dataops.pipeline_contracts pc
         WHERE pc.pipeline OPERATOR(pg_catalog.=) v_pipeline AND pc.contract_id OPERATOR(pg_catalog.=) cid;
        s := (SELECT pl.options OPERATOR(pg_catalog.->>) 'sla_freshness' FROM dataops.pipelines pl
               WHERE pl.name OPERATOR(pg_catalog.=) v_pipeline);
        IF iv IS NOT NULL AND s IS NOT NULL THEN
            object := pg_catalog.format('pipeline %s', v_pipeline);
            IF s OPERATOR(pg_catalog.=) iv THEN
                PERFORM dataops.set_pipeline_option(v_pipeline, 'sla_freshness', NULL);
                action := 'unset';
                detail := pg_catalog.format('sla_freshness = %s removed: version %s of contract %s has no freshness', iv, cver, cid);
            ELSE
                action := 'keep';
                detail := pg_catalog.format('sla_freshness = %s kept: version %s of contract %s has no freshness, but the option was changed since the contract set %s',
                                            s, cver, cid, iv);
            END IF;
            RETURN NEXT;
        END IF;
    END IF;

    -- 4. each step: drop the contract's expectations this version changes or no longer has, create the new ones
    SELECT pg_catalog.array_agg(DISTINCT t.s ORDER BY t.s) INTO touched FROM (
        SELECT pg_catalog.unnest(obj_step) AS s
        UNION SELECT e OPERATOR(pg_catalog.->>) 'step' FROM pg_catalog.jsonb_array_elements(want) e
        UNION SELECT ex.step FROM dataops.expectations ex
               WHERE ex.pipeline OPERATOR(pg_catalog.=) v_pipeline AND ex.contract_id OPERATOR(pg_catalog.=) cid
        UNION SELECT ct.step FROM dataops.column_tags ct
               WHERE ct.pipeline OPERATOR(pg_catalog.=) v_pipeline AND ct.contract_id OPERATOR(pg_catalog.=) cid) t;
    FOREACH s IN ARRAY coalesce(touched, '{}') LOOP
        -- this step's expectations, names made unique in the order they came
        names := '{}';
        kept := '{}';
        gone := '{}';
        w := '[]';
        FOR x IN SELECT e AS v FROM pg_catalog.jsonb_array_elements(want) WITH ORDINALITY AS t(e, n)
                  WHERE e OPERATOR(pg_catalog.->>) 'step' OPERATOR(pg_catalog.=) s ORDER BY t.n LOOP
            k := x.v OPERATOR(pg_catalog.->>) 'name';
            n := 1;
            WHILE k OPERATOR(pg_catalog.=) ANY (names) LOOP
                n := n OPERATOR(pg_catalog.+) 1;
                k := pg_catalog.format('%s_%s', x.v OPERATOR(pg_catalog.->>) 'name', n);
            END LOOP;
            names := names OPERATOR(pg_catalog.||) k;
            w := w OPERATOR(pg_catalog.||) pg_catalog.jsonb_set(x.v, '{name}', pg_catalog.to_jsonb(k));
        END LOOP;
        -- a name the user (or another contract) already gave an expectation of the step
        SELECT ex.name, ex.contract_id INTO old FROM dataops.expectations ex
         WHERE ex.pipeline OPERATOR(pg_catalog.=) v_pipeline AND ex.step OPERATOR(pg_catalog.=) s
           AND ex.name OPERATOR(pg_catalog.=) ANY (names) AND ex.contract_id IS DISTINCT FROM cid
         ORDER BY ex.name LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'expectation "%" of step "%" already exists and does not come from contract "%"', old.name, s, cid
                USING ERRCODE = 'duplicate_object',
                      DETAIL = CASE WHEN old.contract_id IS NULL THEN 'It was added with dataops.add_expectation.'
                                    ELSE pg_catalog.format('It comes from contract "%s".', old.contract_id) END,
                      HINT = 'Rename or drop that expectation, or give the contract''s quality rule another name.';
        END IF;
        -- the contract's expectations already there: kept when unchanged, dropped otherwise
        FOR old IN SELECT ex.name, ex.kind, ex.column_name, ex.args, ex.action, ex.mostly FROM dataops.expectations ex
                    WHERE ex.pipeline OPERATOR(pg_catalog.=) v_pipeline AND ex.step OPERATOR(pg_catalog.=) s
                      AND ex.contract_id OPERATOR(pg_catalog.=) cid ORDER BY ex.name LOOP
            IF EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(w) e
                        WHERE e OPERATOR(pg_catalog.->>) 'name' OPERATOR(pg_catalog.=) old.name
                          AND e OPERATOR(pg_catalog.->>) 'kind' OPERATOR(pg_catalog.=) old.kind
                          AND (e OPERATOR(pg_catalog.->>) 'column') IS NOT DISTINCT FROM old.column_name
                          AND e OPERATOR(pg_catalog.->) 'args' OPERATOR(pg_catalog.=) old.args
                          AND e OPERATOR(pg_catalog.->>) 'action' OPERATOR(pg_catalog.=) old.action
                          AND CAST(e OPERATOR(pg_catalog.->>) 'mostly' AS float8) OPERATOR(pg_catalog.=) old.mostly) THEN
                kept := kept OPERATOR(pg_catalog.||) old.name;
            ELSE
                gone := gone OPERATOR(pg_catalog.||) old.name;
                IF NOT old.name OPERATOR(pg_catalog.=) ANY (names) THEN
                    action := 'drop'; object := pg_catalog.format('expectation %s.%s', s, old.name);
                    detail := CASE WHEN pg_catalog.format('%s/%s', s, old.name) OPERATOR(pg_catalog.=) ANY (satisfied)
                                   THEN 'the published column satisfies it (see the satisfied row)'
                                   ELSE pg_catalog.format('not in version %s of contract %s', cver, cid) END;
                    RETURN NEXT;
                END IF;
            END IF;
        END LOOP;
        IF pg_catalog.cardinality(gone) OPERATOR(pg_catalog.>) 0 THEN
            PERFORM dataops._contract_drop(v_pipeline, s, gone, cid);
        END IF;
        FOR x IN SELECT e AS v FROM pg_catalog.jsonb_array_elements(w) WITH ORDINALITY AS t(e, n) ORDER BY t.n LOOP
            k := x.v OPERATOR(pg_catalog.->>) 'name';
            CONTINUE WHEN k OPERATOR(pg_catalog.=) ANY (kept);
            BEGIN
                PERFORM dataops.add_expectation(v_pipeline, s, k, x.v OPERATOR(pg_catalog.->>) 'kind', x.v OPERATOR(pg_catalog.->>) 'column',
                                                x.v OPERATOR(pg_catalog.->) 'args', x.v OPERATOR(pg_catalog.->>) 'action',
                                                CAST(x.v OPERATOR(pg_catalog.->>) 'mostly' AS float8));
                kept := kept OPERATOR(pg_catalog.||) k;
                action := CASE WHEN k OPERATOR(pg_catalog.=) ANY (gone) THEN 'replace' ELSE 'create' END;
                object := pg_catalog.format('expectation %s.%s', s, k);
                detail := pg_catalog.concat_ws(' ', x.v OPERATOR(pg_catalog.->>) 'kind', x.v OPERATOR(pg_catalog.->>) 'column',
                              CASE WHEN x.v OPERATOR(pg_catalog.->) 'args' OPERATOR(pg_catalog.<>) '{}' THEN x.v OPERATOR(pg_catalog.->>) 'args' END,
                              x.v OPERATOR(pg_catalog.->>) 'action',
                              CASE WHEN CAST(x.v OPERATOR(pg_catalog.->>) 'mostly' AS float8) OPERATOR(pg_catalog.<) 1
                                   THEN 'mostly ' OPERATOR(pg_catalog.||) (x.v OPERATOR(pg_catalog.->>) 'mostly') END);
            EXCEPTION WHEN invalid_parameter_value OR null_value_not_allowed OR syntax_error OR undefined_object
                           OR datatype_mismatch OR invalid_text_representation OR invalid_datetime_format
                           OR datetime_field_overflow OR invalid_regular_expression OR numeric_value_out_of_range
                           OR undefined_column OR undefined_function OR invalid_object_definition THEN
                action := 'unsupported'; object := x.v OPERATOR(pg_catalog.->>) 'path';
                detail := pg_catalog.format('%s: %s', x.v OPERATOR(pg_catalog.->>) 'kind', SQLERRM);
            END;
            RETURN NEXT;
        END LOOP;
        IF pg_catalog.cardinality(kept) OPERATOR(pg_catalog.>) 0 THEN
            PERFORM dataops._contract_mark(v_pipeline, s, kept, cid, cver);
        END IF;
        IF tags OPERATOR(pg_catalog.?) s OR EXISTS (SELECT 1 FROM dataops.column_tags ct
                                                     WHERE ct.pipeline OPERATOR(pg_catalog.=) v_pipeline
                                                       AND ct.step OPERATOR(pg_catalog.=) s AND ct.contract_id OPERATOR(pg_catalog.=) cid) THEN
            -- the columns this contract tagged that this version no longer does
            FOR x IN SELECT ct.column_name FROM dataops.column_tags ct
                      WHERE ct.pipeline OPERATOR(pg_catalog.=) v_pipeline AND ct.step OPERATOR(pg_catalog.=) s
                        AND ct.contract_id OPERATOR(pg_catalog.=) cid
                        AND NOT EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(coalesce(tags OPERATOR(pg_catalog.->) s, '[]')) e
                                         WHERE e OPERATOR(pg_catalog.->>) 'column' OPERATOR(pg_catalog.=) ct.column_name)
                      ORDER BY ct.column_name LOOP
                action := 'untag'; object := pg_catalog.format('column %s.%s', s, x.column_name);
                detail := pg_catalog.format('no classification or tags in version %s of contract %s', cver, cid);
                RETURN NEXT;
            END LOOP;
            PERFORM dataops._contract_set_tags(v_pipeline, s, cid, cver, coalesce(tags OPERATOR(pg_catalog.->) s, '[]'));
            FOR x IN SELECT e AS v FROM pg_catalog.jsonb_array_elements(coalesce(tags OPERATOR(pg_catalog.->) s, '[]')) e LOOP
                action := 'tag'; object := pg_catalog.format('column %s.%s', s, x.v OPERATOR(pg_catalog.->>) 'column');
                detail := pg_catalog.concat_ws(', ', 'classification ' OPERATOR(pg_catalog.||) (x.v OPERATOR(pg_catalog.->>) 'classification'),
                              CASE WHEN x.v OPERATOR(pg_catalog.->) 'tags' OPERATOR(pg_catalog.<>) '[]'
                                   THEN 'tags ' OPERATOR(pg_catalog.||) (SELECT pg_catalog.string_agg(t, ' ')
                                                                          FROM pg_catalog.jsonb_array_elements_text(x.v OPERATOR(pg_catalog.->) 'tags') t) END);
                RETURN NEXT;
            END LOOP;
        END IF;
    END LOOP;
    PERFORM dataops._contract_record(v_pipeline, cid, cver, fresh);
END $fn$;
COMMENT ON FUNCTION dataops.apply_contract(text, text, text) IS
'Applies an ODCS v3.1.0 data contract (YAML, or JSON, read by dataops.yaml_to_jsonb) to a pipeline: expectations from each schema object''s required, unique, primaryKey, physicalType, logicalType, logicalTypeOptions and quality rules on the step that publishes it (matched by physicalName or name, or the given step), marked with the contract''s id and version and replaced by its next version; SLA freshness as the pipeline''s sla_freshness (removed by a later version without freshness while the option still has the value the contract set; dataops.pipeline_contracts), latency as a freshness expectation; classification and tags into dataops.column_tags.  Refused (55006) while a run of the pipeline is queued or running.  Returns one row per change (create, replace, drop, set, unset, keep, tag, untag, satisfied) and one row, action unsupported, per contract part dataops cannot apply';

-- The ODCS logicalType of a PostgreSQL type.
CREATE FUNCTION dataops._contract_logical_type(typid oid) RETURNS text
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $fn$
SELECT CASE
    WHEN t.typname IN ('int2', 'int4', 'int8') THEN 'integer'
    WHEN t.typcategory OPERATOR(pg_catalog.=) 'N' THEN 'number'
    WHEN t.typname OPERATOR(pg_catalog.=) 'bool' THEN 'boolean'
    WHEN t.typname OPERATOR(pg_catalog.=) 'date' THEN 'date'
    WHEN t.typname IN ('timestamp', 'timestamptz') THEN 'timestamp'
    WHEN t.typname IN ('time', 'timetz') THEN 'time'
    WHEN t.typcategory OPERATOR(pg_catalog.=) 'A' THEN 'array'
    WHEN t.typname IN ('json', 'jsonb') THEN 'object'
    ELSE 'string' END
  FROM pg_catalog.pg_type t WHERE t.oid OPERATOR(pg_catalog.=) typid
$fn$;
COMMENT ON FUNCTION dataops._contract_logical_type(oid) IS
'Internal: the ODCS logicalType (integer, number, boolean, date, timestamp, time, array, object, string) of a PostgreSQL type';

-- The step's published schema and expectations as an ODCS v3.1.0 document (jsonb).
CREATE FUNCTION dataops._contract_document(pipeline text, step text) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $fn$
#variable_conflict use_variable
DECLARE
    v_pipeline text := _contract_document.pipeline;
    v_step text := _contract_document.step;
    st record;
    relid oid;
    c record;
    e record;
    props jsonb := '[]';
    prop jsonb;
    q jsonb;
    objq jsonb := '[]';
    rule jsonb;
    done text[] := '{}';
    pkcols jsonb;
    opts jsonb;
    cid text;
    cver text;
    sev text;
    thr jsonb;
    doc jsonb;
    lt text;
BEGIN
    IF v_pipeline IS NULL OR v_step IS NULL THEN
        RAISE EXCEPTION '% must not be NULL', CASE WHEN v_pipeline IS NULL THEN 'pipeline' ELSE 'step' END
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT s.target_schema, s.target_table, s.options INTO st FROM dataops.steps s
     WHERE s.pipeline OPERATOR(pg_catalog.=) v_pipeline AND s.name OPERATOR(pg_catalog.=) v_step;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'step "%" of pipeline "%" does not exist', v_step, v_pipeline
            USING ERRCODE = 'undefined_object',
                  HINT = pg_catalog.format('List the steps with SELECT name FROM dataops.steps WHERE pipeline = %L.', v_pipeline);
    END IF;
    relid := pg_catalog.to_regclass(pg_catalog.quote_ident(st.target_schema) OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(st.target_table));
    IF relid IS NULL THEN
        RAISE EXCEPTION 'step "%" of pipeline "%" has not published its target %.% yet', v_step, v_pipeline, st.target_schema, st.target_table
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'The contract describes the published columns: run the pipeline first (dataops.run).';
    END IF;
    -- the contract the step's expectations came from, if one
    SELECT ex.contract_id, ex.contract_version INTO cid, cver FROM dataops.expectations ex
     WHERE ex.pipeline OPERATOR(pg_catalog.=) v_pipeline AND ex.step OPERATOR(pg_catalog.=) v_step AND ex.contract_id IS NOT NULL
     GROUP BY ex.contract_id, ex.contract_version ORDER BY pg_catalog.count(*) DESC, ex.contract_id LIMIT 1;

    -- a compound key the contract's primaryKey gives back
    SELECT ex.args OPERATOR(pg_catalog.->) 'columns' INTO pkcols FROM dataops.expectations ex
     WHERE ex.pipeline OPERATOR(pg_catalog.=) v_pipeline AND ex.step OPERATOR(pg_catalog.=) v_step
       AND ex.name OPERATOR(pg_catalog.=) 'odcs_primary_key' AND ex.kind OPERATOR(pg_catalog.=) 'compound_unique'
       AND ex.action OPERATOR(pg_catalog.=) 'fail' AND ex.mostly OPERATOR(pg_catalog.=) 1
       AND ex.args OPERATOR(pg_catalog.=) pg_catalog.jsonb_build_object('columns', ex.args OPERATOR(pg_catalog.->) 'columns')
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements_text(ex.args OPERATOR(pg_catalog.->) 'columns') k
                        WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=) relid
                                             AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
                                             AND a.attname OPERATOR(pg_catalog.=) k));
    IF pkcols IS NOT NULL THEN
        done := done OPERATOR(pg_catalog.||) 'odcs_primary_key'::text;
    END IF;

    FOR c IN SELECT a.attname::text AS name, a.attnotnull, a.atttypid,
                    pg_catalog.format_type(a.atttypid, a.atttypmod) AS ptype,
                    dataops._contract_logical_type(a.atttypid) AS ltype, ct.classification, ct.tags
               FROM pg_catalog.pg_attribute a
               LEFT JOIN dataops.column_tags ct ON ct.pipeline OPERATOR(pg_catalog.=) v_pipeline AND ct.step OPERATOR(pg_catalog.=) v_step
                                               AND ct.column_name OPERATOR(pg_catalog.=) a.attname::text
              WHERE a.attrelid OPERATOR(pg_catalog.=) relid AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
              ORDER BY a.attnum LOOP
        lt := c.ltype;
        prop := pg_catalog.jsonb_build_object('name', c.name, 'logicalType', lt, 'physicalType', c.ptype);
        IF c.attnotnull THEN
            prop := prop OPERATOR(pg_catalog.||) '{"required": true}';
        END IF;
        IF pkcols IS NOT NULL AND pkcols OPERATOR(pg_catalog.?) c.name THEN
            prop := prop OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('primaryKey', true, 'primaryKeyPosition',
                        (SELECT t.n FROM pg_catalog.jsonb_array_elements_text(pkcols) WITH ORDINALITY t(v, n)
                          WHERE t.v OPERATOR(pg_catalog.=) c.name LIMIT 1));
        END IF;
        opts := '{}';
        -- the expectations a contract's schema fields give back exactly
        FOR e IN SELECT ex.name, ex.kind, ex.args FROM dataops.expectations ex
                  WHERE ex.pipeline OPERATOR(pg_catalog.=) v_pipeline AND ex.step OPERATOR(pg_catalog.=) v_step
                    AND ex.column_name OPERATOR(pg_catalog.=) c.name AND ex.action OPERATOR(pg_catalog.=) 'fail'
                    AND ex.mostly OPERATOR(pg_catalog.=) 1 ORDER BY ex.name LOOP
            IF e.kind OPERATOR(pg_catalog.=) 'not_null' AND e.name OPERATOR(pg_catalog.=) pg_catalog.format('odcs_%s_required', c.name)
               AND e.args OPERATOR(pg_catalog.=) '{}' AND NOT c.attnotnull THEN
                prop := prop OPERATOR(pg_catalog.||) '{"required": true}';
            ELSIF e.kind OPERATOR(pg_catalog.=) 'unique' AND e.name OPERATOR(pg_catalog.=) pg_catalog.format('odcs_%s_unique', c.name)
                  AND e.args OPERATOR(pg_catalog.=) '{}' THEN
                prop := prop OPERATOR(pg_catalog.||) '{"unique": true}';
            ELSIF e.kind OPERATOR(pg_catalog.=) 'match_regex' AND e.name OPERATOR(pg_catalog.=) pg_catalog.format('odcs_%s_pattern', c.name)
                  AND lt OPERATOR(pg_catalog.=) 'string' AND e.args OPERATOR(pg_catalog.=) pg_catalog.jsonb_build_object('pattern', e.args OPERATOR(pg_catalog.->) 'pattern') THEN
                opts := opts OPERATOR(pg_catalog.||) e.args;
            ELSIF e.kind OPERATOR(pg_catalog.=) 'value_lengths_between' AND e.name OPERATOR(pg_catalog.=) pg_catalog.format('odcs_%s_length', c.name)
                  AND lt OPERATOR(pg_catalog.=) 'string' AND NOT e.args OPERATOR(pg_catalog.?|) ARRAY['strict_min', 'strict_max', 'result_format'] THEN
                opts := opts OPERATOR(pg_catalog.||) pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                            'minLength', e.args OPERATOR(pg_catalog.->) 'min', 'maxLength', e.args OPERATOR(pg_catalog.->) 'max'));
            ELSIF e.kind OPERATOR(pg_catalog.=) 'between' AND e.name OPERATOR(pg_catalog.=) pg_catalog.format('odcs_%s_range', c.name)
                  AND NOT e.args OPERATOR(pg_catalog.?) 'result_format'
                  AND ((lt IN ('integer', 'number') AND pg_catalog.jsonb_typeof(coalesce(e.args OPERATOR(pg_catalog.->) 'min', '0')) OPERATOR(pg_catalog.=) 'number'
                                                   AND pg_catalog.jsonb_typeof(coalesce(e.args OPERATOR(pg_catalog.->) 'max', '0')) OPERATOR(pg_catalog.=) 'number')
                       OR (lt IN ('date', 'timestamp', 'time') AND pg_catalog.jsonb_typeof(coalesce(e.args OPERATOR(pg_catalog.->) 'min', '""')) OPERATOR(pg_catalog.=) 'string'
                                                   AND pg_catalog.jsonb_typeof(coalesce(e.args OPERATOR(pg_catalog.->) 'max', '""')) OPERATOR(pg_catalog.=) 'string')) THEN
                opts := opts OPERATOR(pg_catalog.||) pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                    CASE WHEN e.args OPERATOR(pg_catalog.->) 'strict_min' OPERATOR(pg_catalog.=) 'true' THEN 'exclusiveMinimum' ELSE 'minimum' END,
                    e.args OPERATOR(pg_catalog.->) 'min',
                    CASE WHEN e.args OPERATOR(pg_catalog.->) 'strict_max' OPERATOR(pg_catalog.=) 'true' THEN 'exclusiveMaximum' ELSE 'maximum' END,
                    e.args OPERATOR(pg_catalog.->) 'max'));
            ELSE
                CONTINUE;
            END IF;
            done := done OPERATOR(pg_catalog.||) e.name;
        END LOOP;
        IF opts OPERATOR(pg_catalog.<>) '{}' THEN
            prop := prop OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('logicalTypeOptions', opts);
        END IF;
        IF c.classification IS NOT NULL THEN
            prop := prop OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('classification', c.classification);
        END IF;
        IF c.tags IS NOT NULL AND pg_catalog.cardinality(c.tags) OPERATOR(pg_catalog.>) 0 THEN
            prop := prop OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('tags', pg_catalog.to_jsonb(c.tags));
        END IF;
        props := props OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_array(prop);
    END LOOP;

    -- every other expectation of the step as a quality rule: a library metric where one says
    -- the same, else a custom rule of engine dataops that apply_contract reads back
    FOR e IN SELECT ex.name, ex.kind, ex.column_name, ex.args, ex.action, ex.mostly FROM dataops.expectations ex
              WHERE ex.pipeline OPERATOR(pg_catalog.=) v_pipeline AND ex.step OPERATOR(pg_catalog.=) v_step
                AND NOT ex.name OPERATOR(pg_catalog.=) ANY (done) ORDER BY ex.name LOOP
        sev := CASE e.action WHEN 'fail' THEN 'error' WHEN 'warn' THEN 'warning' END;
        thr := CASE WHEN e.mostly OPERATOR(pg_catalog.=) 1 THEN '{"mustBe": 0}'
                    ELSE pg_catalog.jsonb_build_object('mustBeLessOrEqualTo',
                             CAST(pg_catalog.round(CAST((1 OPERATOR(pg_catalog.-) e.mostly) OPERATOR(pg_catalog.*) 100 AS numeric), 10) AS float8),
                             'unit', 'percent') END;
        rule := NULL;
        IF sev IS NOT NULL AND e.column_name IS NOT NULL AND NOT e.args OPERATOR(pg_catalog.?) 'result_format' THEN
            IF e.kind OPERATOR(pg_catalog.=) 'not_null' AND e.args OPERATOR(pg_catalog.=) '{}' THEN
                rule := pg_catalog.jsonb_build_object('type', 'library', 'metric', 'nullValues') OPERATOR(pg_catalog.||) thr;
            ELSIF e.kind OPERATOR(pg_catalog.=) 'unique' AND e.args OPERATOR(pg_catalog.=) '{}' THEN
                rule := pg_catalog.jsonb_build_object('type', 'library', 'metric', 'duplicateValues') OPERATOR(pg_catalog.||) thr;
            ELSIF e.kind OPERATOR(pg_catalog.=) 'in_set' AND e.args OPERATOR(pg_catalog.=) pg_catalog.jsonb_build_object('values', e.args OPERATOR(pg_catalog.->) 'values') THEN
                rule := pg_catalog.jsonb_build_object('type', 'library', 'metric', 'invalidValues',
                            'arguments', pg_catalog.jsonb_build_object('validValues', e.args OPERATOR(pg_catalog.->) 'values')) OPERATOR(pg_catalog.||) thr;
            ELSIF e.kind OPERATOR(pg_catalog.=) 'match_regex' AND e.args OPERATOR(pg_catalog.=) pg_catalog.jsonb_build_object('pattern', e.args OPERATOR(pg_catalog.->) 'pattern') THEN
                rule := pg_catalog.jsonb_build_object('type', 'library', 'metric', 'invalidValues',
                            'arguments', pg_catalog.jsonb_build_object('pattern', e.args OPERATOR(pg_catalog.->) 'pattern')) OPERATOR(pg_catalog.||) thr;
            END IF;
        ELSIF sev IS NOT NULL AND e.column_name IS NULL AND e.mostly OPERATOR(pg_catalog.=) 1 THEN
            IF e.kind OPERATOR(pg_catalog.=) 'row_count_equal' AND e.args OPERATOR(pg_catalog.=) pg_catalog.jsonb_build_object('value', e.args OPERATOR(pg_catalog.->) 'value') THEN
                rule := pg_catalog.jsonb_build_object('type', 'library', 'metric', 'rowCount', 'mustBe', e.args OPERATOR(pg_catalog.->) 'value');
            ELSIF e.kind OPERATOR(pg_catalog.=) 'row_count_between' AND NOT e.args OPERATOR(pg_catalog.?) 'result_format'
                  AND NOT (e.args OPERATOR(pg_catalog.?) 'min' AND e.args OPERATOR(pg_catalog.?) 'max'
                           AND (e.args OPERATOR(pg_catalog.?) 'strict_min' OR e.args OPERATOR(pg_catalog.?) 'strict_max'
                                OR (e.args OPERATOR(pg_catalog.->) 'min') OPERATOR(pg_catalog.=) (e.args OPERATOR(pg_catalog.->) 'max'))) THEN
                rule := pg_catalog.jsonb_build_object('type', 'library', 'metric', 'rowCount') OPERATOR(pg_catalog.||) CASE
                    WHEN e.args OPERATOR(pg_catalog.?) 'min' AND e.args OPERATOR(pg_catalog.?) 'max'
                        THEN pg_catalog.jsonb_build_object('mustBeBetween', pg_catalog.jsonb_build_array(e.args OPERATOR(pg_catalog.->) 'min', e.args OPERATOR(pg_catalog.->) 'max'))
                    WHEN e.args OPERATOR(pg_catalog.?) 'min' AND e.args OPERATOR(pg_catalog.->) 'strict_min' OPERATOR(pg_catalog.=) 'true'
                        THEN pg_catalog.jsonb_build_object('mustBeGreaterThan', e.args OPERATOR(pg_catalog.->) 'min')
                    WHEN e.args OPERATOR(pg_catalog.?) 'min' AND NOT e.args OPERATOR(pg_catalog.?) 'strict_min'
                        THEN pg_catalog.jsonb_build_object('mustBeGreaterOrEqualTo', e.args OPERATOR(pg_catalog.->) 'min')
                    WHEN e.args OPERATOR(pg_catalog.?) 'max' AND e.args OPERATOR(pg_catalog.->) 'strict_max' OPERATOR(pg_catalog.=) 'true'
                        THEN pg_catalog.jsonb_build_object('mustBeLessThan', e.args OPERATOR(pg_catalog.->) 'max')
                    WHEN e.args OPERATOR(pg_catalog.?) 'max' AND NOT e.args OPERATOR(pg_catalog.?) 'strict_max'
                        THEN pg_catalog.jsonb_build_object('mustBeLessOrEqualTo', e.args OPERATOR(pg_catalog.->) 'max') END;
                IF rule OPERATOR(pg_catalog.->>) 'metric' IS NULL OR pg_catalog.jsonb_typeof(rule) IS NULL
                   OR NOT rule OPERATOR(pg_catalog.?|) ARRAY['mustBeBetween', 'mustBeGreaterThan', 'mustBeGreaterOrEqualTo', 'mustBeLessThan', 'mustBeLessOrEqualTo'] THEN
                    rule := NULL;
                END IF;
            ELSIF e.kind OPERATOR(pg_catalog.=) 'compound_unique' AND e.args OPERATOR(pg_catalog.=) pg_catalog.jsonb_build_object('columns', e.args OPERATOR(pg_catalog.->) 'columns') THEN
                rule := pg_catalog.jsonb_build_object('type', 'library', 'metric', 'duplicateValues', 'mustBe', 0,
                            'arguments', pg_catalog.jsonb_build_object('properties', e.args OPERATOR(pg_catalog.->) 'columns'));
            END IF;
        END IF;
        IF rule IS NOT NULL THEN
            rule := pg_catalog.jsonb_build_object('name', e.name) OPERATOR(pg_catalog.||) rule
                    OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('severity', sev);
        ELSE
            rule := pg_catalog.jsonb_build_object('name', e.name, 'type', 'custom', 'engine', 'dataops',
                        'implementation', pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                            'kind', e.kind, 'column', e.column_name, 'args', e.args, 'action', e.action, 'mostly', e.mostly)));
        END IF;
        -- under its column's property when the target has the column, else the object's
        IF e.column_name IS NOT NULL AND EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(props) pr
                                                   WHERE pr OPERATOR(pg_catalog.->>) 'name' OPERATOR(pg_catalog.=) e.column_name) THEN
            SELECT pg_catalog.jsonb_agg(CASE WHEN pr OPERATOR(pg_catalog.->>) 'name' OPERATOR(pg_catalog.=) e.column_name
                                             THEN pr OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('quality',
                                                      coalesce(pr OPERATOR(pg_catalog.->) 'quality', '[]') OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_array(rule))
                                             ELSE pr END ORDER BY t.n)
              INTO props FROM pg_catalog.jsonb_array_elements(props) WITH ORDINALITY t(pr, n);
        ELSE
            objq := objq OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_array(rule);
        END IF;
    END LOOP;

    doc := pg_catalog.jsonb_build_object(
        'apiVersion', 'v3.1.0', 'kind', 'DataContract',
        'id', coalesce(cid, v_pipeline OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) v_step),
        'name', v_pipeline OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) v_step,
        'version', coalesce(cver, '1.0.0'), 'status', 'active',
        'schema', pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
            'name', st.target_table,
            'physicalName', st.target_schema OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) st.target_table,
            'physicalType', CASE WHEN (SELECT r.relkind FROM pg_catalog.pg_class r WHERE r.oid OPERATOR(pg_catalog.=) relid) IN ('v', 'm')
                                 THEN 'view' ELSE 'table' END,
            'properties', props) OPERATOR(pg_catalog.||)
            CASE WHEN objq OPERATOR(pg_catalog.<>) '[]' THEN pg_catalog.jsonb_build_object('quality', objq) ELSE '{}' END));
    SELECT CASE WHEN p.options OPERATOR(pg_catalog.?) 'sla_freshness'
                THEN pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('property', 'freshness')
                         OPERATOR(pg_catalog.||) dataops._contract_sla_value(p.options OPERATOR(pg_catalog.->>) 'sla_freshness')) END
      INTO q FROM dataops.pipelines p WHERE p.name OPERATOR(pg_catalog.=) v_pipeline;
    IF q IS NOT NULL THEN
        doc := doc OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('slaProperties', q);
    END IF;
    RETURN doc;
END $fn$;
COMMENT ON FUNCTION dataops._contract_document(text, text) IS
'The ODCS v3.1.0 contract of a step as jsonb (what dataops.export_contract writes as YAML): the target''s columns as properties, the expectations as schema fields and quality rules';

CREATE FUNCTION dataops.export_contract(pipeline text, step text) RETURNS text
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $fn$
SELECT dataops.jsonb_to_yaml(dataops._contract_document(pipeline, step))
$fn$;
COMMENT ON FUNCTION dataops.export_contract(text, text) IS
'The step''s published schema (its target''s columns: name, physicalType, logicalType, required) and its expectations as an ODCS v3.1.0 data contract in YAML: required, unique, primaryKey and logicalTypeOptions where a contract field says the same, library quality rules (nullValues, duplicateValues, invalidValues, rowCount) where one does, custom rules of engine dataops otherwise; dataops.apply_contract reads it back';

------------------------------------------------------------------------
-- Great Expectations suites in and out
------------------------------------------------------------------------
