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

CREATE FUNCTION dataops._expectation_canonical(name text, kind text, column_name text, args jsonb,
    action text, mostly float8) RETURNS jsonb
AS 'MODULE_PATHNAME', 'dataops_expectation_canonical' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION dataops._expectation_canonical(text, text, text, jsonb, text, float8) IS
'Internal (apply): {"kind", "args"} of an expectation as add_expectation would store them (canonical kind, normalized args); raises what add_expectation raises for an invalid one; writes nothing';

-- Expectations a contract created carry its id and version: applying a new
-- version of the contract replaces them; expectations the user added have
-- NULL here and are never touched by a contract.  (Data contracts
-- section; here because export and apply, below, read them: a pipeline
-- document leaves the expectations of contracts to the contracts.)
ALTER TABLE dataops.expectations ADD COLUMN contract_id text, ADD COLUMN contract_version text;
COMMENT ON COLUMN dataops.expectations.contract_id IS
'id of the data contract (ODCS) that created the expectation (dataops.apply_contract); NULL for expectations added otherwise';
COMMENT ON COLUMN dataops.expectations.contract_version IS
'version of that data contract (ODCS version) last applied; NULL for expectations added otherwise';

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

-- A definition document (dataops/v1) is the JSON form of pipelines and
-- suites: dataops.export writes it from the catalog (what the caller may
-- see, row-level security applying), dataops.apply makes the database
-- match it by calling the public API functions (so each of their checks
-- applies, as the caller).  Canonical: arrays in a stable order (names
-- compared bytewise, COLLATE "C"), keys with default values omitted.

CREATE FUNCTION dataops._doc_strip(obj jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(pg_catalog.jsonb_object_agg(e.key, e.value), '{}'::jsonb)
      FROM pg_catalog.jsonb_each(obj) e
     WHERE e.value NOT IN ('null'::jsonb, '{}'::jsonb, '[]'::jsonb)
$$;
COMMENT ON FUNCTION dataops._doc_strip(jsonb) IS
'Internal (export): the object without its keys whose value is null, {} or [] (the defaults a canonical document omits)';

CREATE FUNCTION dataops._doc_expectation(name text, kind text, column_name text, args jsonb, action text, mostly float8)
RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT dataops._doc_strip(pg_catalog.jsonb_build_object(
        'name', $1, 'kind', $2, 'column', $3, 'args', $4,
        'action', CASE WHEN $5 = 'warn' THEN NULL ELSE $5 END,
        'mostly', CASE WHEN $6 = 1 THEN NULL ELSE $6 END))
$$;
COMMENT ON FUNCTION dataops._doc_expectation(text, text, text, jsonb, text, float8) IS
'Internal (export): an expectation as a document entry (name, kind, column, args, action, mostly; defaults omitted)';

CREATE FUNCTION dataops._doc_text_array(value jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN pg_catalog.jsonb_typeof($1) = 'array' THEN
        ARRAY(SELECT t.v FROM pg_catalog.jsonb_array_elements_text($1) WITH ORDINALITY t(v, n) ORDER BY t.n) END
$$;
COMMENT ON FUNCTION dataops._doc_text_array(jsonb) IS
'Internal (apply): a JSON array of strings as text[], in order; NULL when value is not an array';

CREATE FUNCTION dataops._step_levels(pipeline text) RETURNS TABLE (step text, level integer)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $$
    WITH RECURSIVE d(step, level) AS (
        SELECT s.name, 0 FROM dataops.steps s WHERE s.pipeline = $1
        UNION
        SELECT s.name, d.level + 1
          FROM d JOIN dataops.steps s ON s.pipeline = $1 AND d.step = ANY (s.depends_on)
         WHERE d.level < 10000)
    SELECT d.step, pg_catalog.max(d.level)::integer FROM d GROUP BY d.step
$$;
COMMENT ON FUNCTION dataops._step_levels(text) IS
'Internal (export, apply): each step of the pipeline with its depth in the DAG (0 for a step that depends on none; else one more than its deepest dependency); steps in order of depth, then name, are in dependency order';

CREATE FUNCTION dataops._target_parts(target text, layer text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    parts text[];
BEGIN
    -- as dataops.add_step reads a target: an SQL name (schema.table, or a
    -- table in the layer's schema), else the text taken literally as a table
    BEGIN
        parts := pg_catalog.parse_ident(target);
    EXCEPTION WHEN others THEN
        parts := NULL;
    END;
    IF pg_catalog.cardinality(parts) = 2 THEN
        RETURN parts;
    ELSIF pg_catalog.cardinality(parts) = 1 THEN
        RETURN ARRAY[layer, parts[1]];
    END IF;
    RETURN ARRAY[layer, target];
END $$;
COMMENT ON FUNCTION dataops._target_parts(text, text) IS
'Internal (apply): {schema, table} of a step''s target as dataops.add_step reads it (schema.table, a table in the layer''s schema, or text that is no SQL name taken as the table''s name)';

CREATE FUNCTION dataops._query_norm(query text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.regexp_replace($1, '^\s+|[\s;]+$', '', 'g')
$$;
COMMENT ON FUNCTION dataops._query_norm(text) IS
'Internal (apply): a query without leading white space and trailing white space and semicolons, as compared by dataops.apply';

CREATE FUNCTION dataops._export_step(pipeline text, step text) RETURNS jsonb
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $$
    SELECT dataops._doc_strip(pg_catalog.jsonb_build_object(
        'name', s.name,
        'layer', s.layer,
        'target', pg_catalog.format('%I.%I', s.target_schema, s.target_table),
        'query', s.query,
        'source', s.source,
        'unique_key', pg_catalog.to_jsonb(s.unique_key),
        'keep', s.keep,
        'options', s.options,
        'suites', (SELECT pg_catalog.jsonb_agg(ss.suite ORDER BY ss.suite COLLATE "C")
                     FROM dataops.step_suites ss
                    WHERE ss.pipeline = s.pipeline AND ss.step = s.name),
        'expectations', (SELECT pg_catalog.jsonb_agg(dataops._doc_expectation(e.name, e.kind, e.column_name, e.args,
                                                                              e.action, e.mostly)
                                                     ORDER BY e.name COLLATE "C")
                           FROM dataops.expectations e
                          WHERE e.pipeline = s.pipeline AND e.step = s.name AND e.contract_id IS NULL)))
      FROM dataops.steps s
     WHERE s.pipeline = $1 AND s.name = $2
$$;
COMMENT ON FUNCTION dataops._export_step(text, text) IS
'Internal (export): one step as a document entry (name, layer, target, query or source, unique_key, keep, options, suites, expectations)';

CREATE FUNCTION dataops._export_pipeline(name text) RETURNS jsonb
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $$
    SELECT dataops._doc_strip(pg_catalog.jsonb_build_object(
        'name', p.name,
        'description', p.description,
        'owner', p.owner,
        'options', p.options,
        'schedule', (SELECT sc.schedule FROM dataops.schedules sc WHERE sc.pipeline = p.name LIMIT 1),
        'depends_on', (SELECT pg_catalog.jsonb_agg(d.upstream ORDER BY d.upstream COLLATE "C")
                         FROM dataops.pipeline_dependencies d WHERE d.pipeline = p.name),
        'notifications', (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('events', pg_catalog.to_jsonb(n.ev),
                                                                                    'format', n.format)
                                                      ORDER BY n.format COLLATE "C", n.ev::text COLLATE "C", n.id)
                            FROM (SELECT n.id, n.format,
                                         ARRAY(SELECT x FROM pg_catalog.unnest(n.events) x ORDER BY x COLLATE "C") AS ev
                                    FROM dataops.notifications n WHERE n.pipeline = p.name) n),
        'steps', (SELECT pg_catalog.jsonb_agg(dataops._export_step(p.name, l.step) ORDER BY l.level, l.step COLLATE "C")
                    FROM dataops._step_levels(p.name) l)))
      FROM dataops.pipelines p
     WHERE p.name = $1
$$;
COMMENT ON FUNCTION dataops._export_pipeline(text) IS
'Internal (export): one pipeline as a document entry (name, description, owner, options, schedule, depends_on, notifications without their URLs, steps in dependency order)';

CREATE FUNCTION dataops.export(pipeline text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    pipes jsonb;
    suites jsonb;
BEGIN
    IF pipeline IS NOT NULL AND NOT EXISTS (SELECT FROM dataops.pipelines p WHERE p.name = export.pipeline) THEN
        RAISE EXCEPTION 'pipeline "%" does not exist', pipeline
            USING ERRCODE = 'undefined_object',
                  HINT = 'dataops.export() exports the pipelines you may see (those of roles whose privileges you have); see SELECT name FROM dataops.pipelines.';
    END IF;
    SELECT pg_catalog.jsonb_agg(dataops._export_pipeline(p.name) ORDER BY p.name COLLATE "C") INTO pipes
      FROM dataops.pipelines p
     WHERE export.pipeline IS NULL OR p.name = export.pipeline;
    -- the suites the exported steps check; with every pipeline, also the
    -- suites of roles whose privileges the caller has (apply would drop them)
    SELECT pg_catalog.jsonb_agg(dataops._doc_strip(pg_catalog.jsonb_build_object(
               'name', s.name,
               'expectations', (SELECT pg_catalog.jsonb_agg(dataops._doc_expectation(e.name, e.kind, e.column_name, e.args,
                                                                                     e.action, e.mostly)
                                                            ORDER BY e.name COLLATE "C")
                                  FROM dataops.suite_expectations e WHERE e.suite = s.name)))
           ORDER BY s.name COLLATE "C") INTO suites
      FROM dataops.suites s
     WHERE EXISTS (SELECT FROM dataops.step_suites ss
                    WHERE ss.suite = s.name AND (export.pipeline IS NULL OR ss.pipeline = export.pipeline))
        OR (export.pipeline IS NULL
            AND EXISTS (SELECT FROM pg_catalog.pg_roles o
                         WHERE o.rolname = s.owner AND pg_catalog.pg_has_role(o.oid, 'USAGE')));
    RETURN dataops._doc_strip(pg_catalog.jsonb_build_object(
        'format', 'dataops/v1',
        'scope', CASE WHEN pipeline IS NULL THEN 'all' ELSE 'pipelines' END,
        'pipelines', pipes,
        'suites', suites));
END $$;
COMMENT ON FUNCTION dataops.export(text) IS
'The definition document (format dataops/v1) of one pipeline (scope pipelines) or of every pipeline the caller may see (scope all): options, schedule, dependencies, notifications without their URLs, steps in dependency order with their expectations and suites, and those suites; canonical (stable order, defaults omitted), for dataops.apply';

CREATE FUNCTION dataops._doc_error(path text, problem text, hint text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RAISE EXCEPTION 'invalid definition document at %: %', path, problem
        USING ERRCODE = 'invalid_parameter_value',
              HINT = coalesce(hint, 'dataops.export() writes a document in the expected form; see the README''s "Definition documents".');
END $$;
COMMENT ON FUNCTION dataops._doc_error(text, text, text) IS
'Internal (apply): raises 22023 "invalid definition document at <path>: <problem>"';

-- Checks that value is an object with only the allowed keys and every
-- required one; the path names it in errors.
CREATE FUNCTION dataops._doc_object(value jsonb, path text, allowed text[], required text[]) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    k text;
BEGIN
    IF pg_catalog.jsonb_typeof(value) IS DISTINCT FROM 'object' THEN
        PERFORM dataops._doc_error(path, 'must be an object');
    END IF;
    FOR k IN SELECT x FROM pg_catalog.jsonb_object_keys(value) x ORDER BY x COLLATE "C" LOOP
        IF NOT k = ANY (allowed) THEN
            PERFORM dataops._doc_error(CASE WHEN path = '$' THEN k ELSE path || '.' || k END, 'unknown key',
                pg_catalog.format('Keys allowed here: %s.', pg_catalog.array_to_string(allowed, ', ')));
        END IF;
    END LOOP;
    FOREACH k IN ARRAY required LOOP
        IF NOT value ? k THEN
            PERFORM dataops._doc_error(CASE WHEN path = '$' THEN k ELSE path || '.' || k END, 'is required');
        END IF;
    END LOOP;
END $$;
COMMENT ON FUNCTION dataops._doc_object(jsonb, text, text[], text[]) IS
'Internal (apply): raises 22023 naming the path unless value is a JSON object with only the allowed keys and all the required ones';

-- Checks the type of value (at path): 'name' (a non-empty string without
-- control characters), 'text' (a string not only white space), 'string',
-- 'string?' (string or null), 'object', 'array', 'names' (an array of
-- distinct names), 'column' (a non-empty string: a column name may hold any
-- character, as add_step and add_expectation accept it), 'columns' (an array
-- of them, repeats allowed as in add_step's unique_key).
CREATE FUNCTION dataops._doc_check(value jsonb, path text, type text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t text := pg_catalog.jsonb_typeof(value);
    i bigint;
    e jsonb;
BEGIN
    IF value IS NULL THEN
        RETURN;     -- key absent
    END IF;
    IF type = 'string?' THEN
        IF t NOT IN ('string', 'null') THEN
            PERFORM dataops._doc_error(path, 'must be a string or null');
        END IF;
    ELSIF type IN ('string', 'text', 'name', 'column') THEN
        IF t <> 'string' THEN
            PERFORM dataops._doc_error(path, 'must be a string');
        END IF;
        IF type = 'column' AND value #>> '{}' = '' THEN
            PERFORM dataops._doc_error(path, 'must be a column name (not empty)');
        END IF;
        IF type = 'text' AND value #>> '{}' !~ '[^[:space:]]' THEN
            PERFORM dataops._doc_error(path, 'must not be empty');
        END IF;
        IF type = 'name' AND (value #>> '{}' = '' OR value #>> '{}' ~ '[[:cntrl:]]') THEN
            PERFORM dataops._doc_error(path, 'must be a name (not empty, no control characters)');
        END IF;
    ELSIF type = 'object' THEN
        IF t <> 'object' THEN
            PERFORM dataops._doc_error(path, 'must be an object');
        END IF;
    ELSIF type IN ('array', 'names', 'columns') THEN
        IF t <> 'array' THEN
            PERFORM dataops._doc_error(path, 'must be an array');
        END IF;
        IF type = 'columns' THEN
            FOR e, i IN SELECT x.v, x.n - 1 FROM pg_catalog.jsonb_array_elements(value) WITH ORDINALITY x(v, n) LOOP
                PERFORM dataops._doc_check(e, pg_catalog.format('%s[%s]', path, i), 'column');
            END LOOP;
        END IF;
        IF type = 'names' THEN
            FOR e, i IN SELECT x.v, x.n - 1 FROM pg_catalog.jsonb_array_elements(value) WITH ORDINALITY x(v, n) LOOP
                PERFORM dataops._doc_check(e, pg_catalog.format('%s[%s]', path, i), 'name');
                IF EXISTS (SELECT FROM pg_catalog.jsonb_array_elements(value) WITH ORDINALITY y(v, n)
                            WHERE y.v = e AND y.n - 1 < i) THEN
                    PERFORM dataops._doc_error(pg_catalog.format('%s[%s]', path, i),
                        pg_catalog.format('%s appears more than once', e));
                END IF;
            END LOOP;
        END IF;
    END IF;
END $$;
COMMENT ON FUNCTION dataops._doc_check(jsonb, text, text) IS
'Internal (apply): raises 22023 naming the path unless value (when given) is of the type: name, text (not blank), string, string? (or null), object, array, names (distinct names), column (a non-empty string), columns (an array of them)';

-- Checks the entries of an expectations array.
CREATE FUNCTION dataops._doc_check_expectations(value jsonb, path text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    e jsonb;
    i bigint;
    p text;
BEGIN
    PERFORM dataops._doc_check(value, path, 'array');
    FOR e, i IN SELECT x.v, x.n - 1 FROM pg_catalog.jsonb_array_elements(value) WITH ORDINALITY x(v, n) LOOP
        p := pg_catalog.format('%s[%s]', path, i);
        PERFORM dataops._doc_object(e, p, '{name,kind,column,args,action,mostly}', '{name,kind}');
        PERFORM dataops._doc_check(e -> 'name', p || '.name', 'name');
        PERFORM dataops._doc_check(e -> 'kind', p || '.kind', 'name');
        PERFORM dataops._doc_check(e -> 'column', p || '.column', 'column');
        PERFORM dataops._doc_check(e -> 'args', p || '.args', 'object');
        IF e ? 'action' AND (pg_catalog.jsonb_typeof(e -> 'action') <> 'string'
                             OR e ->> 'action' NOT IN ('warn', 'drop', 'fail')) THEN
            PERFORM dataops._doc_error(p || '.action', 'must be warn, drop or fail');
        END IF;
        IF e ? 'mostly' AND (pg_catalog.jsonb_typeof(e -> 'mostly') <> 'number'
                             OR (e ->> 'mostly')::numeric NOT BETWEEN 0 AND 1) THEN
            PERFORM dataops._doc_error(p || '.mostly', 'must be a number from 0 to 1');
        END IF;
        IF EXISTS (SELECT FROM pg_catalog.jsonb_array_elements(value) WITH ORDINALITY y(v, n)
                    WHERE y.v -> 'name' = e -> 'name' AND y.n - 1 < i) THEN
            PERFORM dataops._doc_error(p || '.name', pg_catalog.format('expectation %s appears more than once', e -> 'name'));
        END IF;
    END LOOP;
END $$;
COMMENT ON FUNCTION dataops._doc_check_expectations(jsonb, text) IS
'Internal (apply): raises 22023 naming the path of the first bad entry of an expectations array (keys, types, action, mostly, duplicate names)';

-- Checks renamed_from of the entries of an array of named objects (at path):
-- never the entry's own name, nor another entry's name or renamed_from.
CREATE FUNCTION dataops._doc_check_names(value jsonb, path text, what text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    e jsonb;
    i bigint;
BEGIN
    FOR e, i IN SELECT x.v, x.n - 1 FROM pg_catalog.jsonb_array_elements(value) WITH ORDINALITY x(v, n) LOOP
        IF EXISTS (SELECT FROM pg_catalog.jsonb_array_elements(value) WITH ORDINALITY y(v, n)
                    WHERE y.v -> 'name' = e -> 'name' AND y.n - 1 < i) THEN
            PERFORM dataops._doc_error(pg_catalog.format('%s[%s].name', path, i),
                pg_catalog.format('%s %s appears more than once', what, e -> 'name'));
        END IF;
        IF e ? 'renamed_from' THEN
            IF e -> 'renamed_from' = e -> 'name' THEN
                PERFORM dataops._doc_error(pg_catalog.format('%s[%s].renamed_from', path, i),
                    'must differ from the name');
            END IF;
            IF EXISTS (SELECT FROM pg_catalog.jsonb_array_elements(value) WITH ORDINALITY y(v, n)
                        WHERE y.v -> 'name' = e -> 'renamed_from'
                           OR (y.v -> 'renamed_from' = e -> 'renamed_from' AND y.n - 1 <> i)) THEN
                PERFORM dataops._doc_error(pg_catalog.format('%s[%s].renamed_from', path, i),
                    pg_catalog.format('%s %s is also defined or renamed by another entry', what, e -> 'renamed_from'));
            END IF;
        END IF;
    END LOOP;
END $$;
COMMENT ON FUNCTION dataops._doc_check_names(jsonb, text, text) IS
'Internal (apply): raises 22023 for a name that appears twice in an array of named entries, or a renamed_from naming the entry itself or another entry';

CREATE FUNCTION dataops._doc_validate(doc jsonb) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p jsonb;
    s jsonb;
    n jsonb;
    i bigint;
    j bigint;
    path text;
    spath text;
    k text;
    v jsonb;
BEGIN
    IF doc IS NULL THEN
        PERFORM dataops._doc_error('$', 'the document is NULL');
    END IF;
    PERFORM dataops._doc_object(doc, '$', '{format,scope,pipelines,suites}', '{format}');
    IF doc -> 'format' IS DISTINCT FROM '"dataops/v1"'::jsonb THEN
        PERFORM dataops._doc_error('format', 'must be "dataops/v1"');
    END IF;
    IF doc ? 'scope' AND doc -> 'scope' NOT IN ('"all"'::jsonb, '"pipelines"'::jsonb) THEN
        PERFORM dataops._doc_error('scope', 'must be "all" or "pipelines"',
            'scope "all" also drops (with allow_drop) the pipelines and suites you may change that the document does not define; "pipelines" (the default) touches only the pipelines and suites it names.');
    END IF;
    PERFORM dataops._doc_check(doc -> 'pipelines', 'pipelines', 'array');
    PERFORM dataops._doc_check(doc -> 'suites', 'suites', 'array');

    FOR s, i IN SELECT x.v, x.n - 1 FROM pg_catalog.jsonb_array_elements(doc -> 'suites') WITH ORDINALITY x(v, n) LOOP
        path := pg_catalog.format('suites[%s]', i);
        PERFORM dataops._doc_object(s, path, '{name,expectations}', '{name}');
        PERFORM dataops._doc_check(s -> 'name', path || '.name', 'name');
        PERFORM dataops._doc_check_expectations(s -> 'expectations', path || '.expectations');
    END LOOP;
    PERFORM dataops._doc_check_names(doc -> 'suites', 'suites', 'suite');

    FOR p, i IN SELECT x.v, x.n - 1 FROM pg_catalog.jsonb_array_elements(doc -> 'pipelines') WITH ORDINALITY x(v, n) LOOP
        path := pg_catalog.format('pipelines[%s]', i);
        PERFORM dataops._doc_object(p, path,
            '{name,renamed_from,description,owner,options,schedule,depends_on,notifications,steps}', '{name}');
        PERFORM dataops._doc_check(p -> 'name', path || '.name', 'name');
        PERFORM dataops._doc_check(p -> 'renamed_from', path || '.renamed_from', 'name');
        PERFORM dataops._doc_check(p -> 'description', path || '.description', 'string?');
        PERFORM dataops._doc_check(p -> 'owner', path || '.owner', 'string?');
        PERFORM dataops._doc_check(p -> 'options', path || '.options', 'object');
        FOR k, v IN SELECT o.key, o.value FROM pg_catalog.jsonb_each(p -> 'options') o LOOP
            IF pg_catalog.jsonb_typeof(v) NOT IN ('string', 'number', 'boolean') THEN
                PERFORM dataops._doc_error(path || '.options.' || k, 'must be a string, a number or a boolean',
                    'Omit an option to remove it.');
            END IF;
        END LOOP;
        PERFORM dataops._doc_check(p -> 'schedule', path || '.schedule', 'string?');
        PERFORM dataops._doc_check(p -> 'depends_on', path || '.depends_on', 'names');
        IF p -> 'depends_on' @> pg_catalog.jsonb_build_array(p -> 'name') THEN
            PERFORM dataops._doc_error(path || '.depends_on', 'a pipeline cannot depend on itself');
        END IF;
        PERFORM dataops._doc_check(p -> 'notifications', path || '.notifications', 'array');
        FOR n, j IN SELECT x.v, x.n - 1 FROM pg_catalog.jsonb_array_elements(p -> 'notifications') WITH ORDINALITY x(v, n) LOOP
            spath := pg_catalog.format('%s.notifications[%s]', path, j);
            PERFORM dataops._doc_object(n, spath, '{events,format,url}', '{}');
            PERFORM dataops._doc_check(n -> 'events', spath || '.events', 'names');
            PERFORM dataops._doc_check(n -> 'format', spath || '.format', 'name');
            PERFORM dataops._doc_check(n -> 'url', spath || '.url', 'name');
        END LOOP;
        PERFORM dataops._doc_check(p -> 'steps', path || '.steps', 'array');
        FOR s, j IN SELECT x.v, x.n - 1 FROM pg_catalog.jsonb_array_elements(p -> 'steps') WITH ORDINALITY x(v, n) LOOP
            spath := pg_catalog.format('%s.steps[%s]', path, j);
            PERFORM dataops._doc_object(s, spath,
                '{name,renamed_from,layer,target,query,source,unique_key,keep,options,suites,expectations}',
                '{name,layer,target}');
            PERFORM dataops._doc_check(s -> 'name', spath || '.name', 'name');
            PERFORM dataops._doc_check(s -> 'renamed_from', spath || '.renamed_from', 'name');
            IF s -> 'layer' NOT IN ('"bronze"'::jsonb, '"silver"'::jsonb, '"gold"'::jsonb) THEN
                PERFORM dataops._doc_error(spath || '.layer', 'must be bronze, silver or gold');
            END IF;
            PERFORM dataops._doc_check(s -> 'target', spath || '.target', 'name');
            PERFORM dataops._doc_check(s -> 'query', spath || '.query', 'text');
            PERFORM dataops._doc_check(s -> 'source', spath || '.source', 'text');
            IF s ? 'query' AND s ? 'source' THEN
                PERFORM dataops._doc_error(spath, 'has both a query and a source',
                    'A bronze step reads either files (source) or a query.');
            ELSIF NOT s ? 'query' AND NOT s ? 'source' THEN
                PERFORM dataops._doc_error(spath || '.query', 'is required (or, for a bronze step, source)');
            END IF;
            PERFORM dataops._doc_check(s -> 'unique_key', spath || '.unique_key', 'columns');
            IF s -> 'unique_key' = '[]'::jsonb THEN
                PERFORM dataops._doc_error(spath || '.unique_key', 'must name at least one column (omit it for none)');
            END IF;
            PERFORM dataops._doc_check(s -> 'keep', spath || '.keep', 'text');
            PERFORM dataops._doc_check(s -> 'options', spath || '.options', 'object');
            PERFORM dataops._doc_check(s -> 'suites', spath || '.suites', 'names');
            PERFORM dataops._doc_check_expectations(s -> 'expectations', spath || '.expectations');
        END LOOP;
        PERFORM dataops._doc_check_names(p -> 'steps', path || '.steps', 'step');
    END LOOP;
    PERFORM dataops._doc_check_names(doc -> 'pipelines', 'pipelines', 'pipeline');
END $$;
COMMENT ON FUNCTION dataops._doc_validate(jsonb) IS
'Internal (apply): raises 22023 "invalid definition document at <path>: <problem>" for the first thing wrong in a definition document (unknown keys, wrong types, missing keys, duplicate names, format not dataops/v1)';

CREATE FUNCTION dataops._plan(phase integer, action text, object text, detail text, op text, args jsonb,
                              destructive boolean DEFAULT false)
RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.jsonb_build_object('phase', $1, 'action', $2, 'object', $3, 'detail', $4,
                                         'op', $5, 'args', $6, 'destructive', $7)
$$;
COMMENT ON FUNCTION dataops._plan(integer, text, text, text, text, jsonb, boolean) IS
'Internal (apply): one planned change: its phase (the order of kinds of change), the row apply reports (action, object, detail), the API call that performs it (op, args) and whether it drops something (allow_drop)';

CREATE FUNCTION dataops._apply_op(op text, a jsonb) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- every change is a call of a public API function, with the caller's rights
    CASE op
    WHEN 'create_pipeline' THEN
        PERFORM dataops.create_pipeline(a ->> 'name', a ->> 'description');
    WHEN 'rename_pipeline' THEN
        PERFORM dataops.rename_pipeline(a ->> 'name', a ->> 'new_name');
    WHEN 'alter_pipeline' THEN
        PERFORM dataops.alter_pipeline(a ->> 'name', a ->> 'description',
                                       coalesce(dataops._doc_text_array(a -> 'reset'), '{}'));
    WHEN 'drop_pipeline' THEN
        PERFORM dataops.drop_pipeline(a ->> 'name');
    WHEN 'create_suite' THEN
        PERFORM dataops.create_suite(a ->> 'name');
    WHEN 'drop_suite' THEN
        PERFORM dataops.drop_suite(a ->> 'name');
    WHEN 'add_suite_expectation' THEN
        PERFORM dataops.add_suite_expectation(a ->> 'suite', a ->> 'name', a ->> 'kind', a ->> 'column',
                                              coalesce(a -> 'args', '{}'), coalesce(a ->> 'action', 'warn'),
                                              coalesce((a ->> 'mostly')::float8, 1.0));
    WHEN 'replace_suite_expectation' THEN
        PERFORM dataops.drop_suite_expectation(a ->> 'suite', a ->> 'name');
        PERFORM dataops.add_suite_expectation(a ->> 'suite', a ->> 'name', a ->> 'kind', a ->> 'column',
                                              coalesce(a -> 'args', '{}'), coalesce(a ->> 'action', 'warn'),
                                              coalesce((a ->> 'mostly')::float8, 1.0));
    WHEN 'drop_suite_expectation' THEN
        PERFORM dataops.drop_suite_expectation(a ->> 'suite', a ->> 'name');
    WHEN 'rename_step' THEN
        PERFORM dataops.rename_step(a ->> 'pipeline', a ->> 'step', a ->> 'new_name');
    WHEN 'add_step' THEN
        PERFORM dataops.add_step(a ->> 'pipeline', a ->> 'name', a ->> 'layer', a ->> 'target',
                                 query => a ->> 'query', source => a ->> 'source',
                                 unique_key => dataops._doc_text_array(a -> 'unique_key'),
                                 keep => a ->> 'keep', options => coalesce(a -> 'options', '{}'));
    WHEN 'alter_step' THEN
        PERFORM dataops.alter_step(a ->> 'pipeline', a ->> 'step',
                                   layer => a ->> 'layer', target => a ->> 'target',
                                   query => a ->> 'query', source => a ->> 'source',
                                   unique_key => dataops._doc_text_array(a -> 'unique_key'),
                                   keep => a ->> 'keep', options => a -> 'options',
                                   reset => coalesce(dataops._doc_text_array(a -> 'reset'), '{}'));
    WHEN 'drop_step' THEN
        PERFORM dataops.drop_step(a ->> 'pipeline', a ->> 'step');
    WHEN 'add_expectation' THEN
        PERFORM dataops.add_expectation(a ->> 'pipeline', a ->> 'step', a ->> 'name', a ->> 'kind', a ->> 'column',
                                        coalesce(a -> 'args', '{}'), coalesce(a ->> 'action', 'warn'),
                                        coalesce((a ->> 'mostly')::float8, 1.0));
    WHEN 'alter_expectation' THEN
        PERFORM dataops.alter_expectation(a ->> 'pipeline', a ->> 'step', a ->> 'name',
                                          kind => a ->> 'kind', column_name => a ->> 'column',
                                          args => a -> 'args', action => a ->> 'action',
                                          mostly => (a ->> 'mostly')::float8,
                                          reset => coalesce(dataops._doc_text_array(a -> 'reset'), '{}'));
    WHEN 'drop_expectation' THEN
        PERFORM dataops.drop_expectation(a ->> 'pipeline', a ->> 'step', a ->> 'name');
    WHEN 'attach_suite' THEN
        PERFORM dataops.attach_suite(a ->> 'pipeline', a ->> 'step', a ->> 'suite');
    WHEN 'detach_suite' THEN
        PERFORM dataops.detach_suite(a ->> 'pipeline', a ->> 'step', a ->> 'suite');
    WHEN 'add_dependency' THEN
        PERFORM dataops.add_dependency(a ->> 'pipeline', a ->> 'upstream');
    WHEN 'drop_dependency' THEN
        PERFORM dataops.drop_dependency(a ->> 'pipeline', a ->> 'upstream');
    WHEN 'set_pipeline_option' THEN
        PERFORM dataops.set_pipeline_option(a ->> 'pipeline', a ->> 'key', a -> 'value');
    WHEN 'schedule' THEN
        PERFORM dataops.schedule(a ->> 'pipeline', a ->> 'schedule');
    WHEN 'unschedule' THEN
        PERFORM dataops.unschedule(a ->> 'pipeline');
    WHEN 'add_notification' THEN
        PERFORM dataops.add_notification(a ->> 'pipeline', a ->> 'url', dataops._doc_text_array(a -> 'events'),
                                         a ->> 'format');
    WHEN 'drop_notification' THEN
        PERFORM dataops.drop_notification((a ->> 'id')::bigint);
    ELSE
        NULL;   -- a reported row that changes nothing (skip)
    END CASE;
END $$;
COMMENT ON FUNCTION dataops._apply_op(text, jsonb) IS
'Internal (apply): performs one planned change by calling the public API function it names, as the caller (so its validation and privilege checks apply)';

-- Compares two expectations (document entries, defaults omitted): the
-- fields that differ, in the order kind, column, args, action, mostly.
CREATE FUNCTION dataops._doc_expectation_changes(old jsonb, new jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT ARRAY(SELECT k FROM pg_catalog.unnest('{kind,column,args,action,mostly}'::text[]) WITH ORDINALITY u(k, n)
                  WHERE $1 -> k IS DISTINCT FROM $2 -> k ORDER BY u.n)
$$;
COMMENT ON FUNCTION dataops._doc_expectation_changes(jsonb, jsonb) IS
'Internal (apply): the fields (kind, column, args, action, mostly) in which two canonical expectation entries differ';

-- A document's expectation entry in canonical form (as export writes it).
-- The kind and args as add_expectation stores them (an alias such as a Great
-- Expectations name becomes the canonical kind), so that apply compares like
-- with like and applying the same document twice changes nothing.
CREATE FUNCTION dataops._doc_expectation_entry(e jsonb) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT dataops._doc_expectation($1 ->> 'name', c ->> 'kind', $1 ->> 'column', c -> 'args',
                                    coalesce($1 ->> 'action', 'warn'), coalesce(($1 ->> 'mostly')::float8, 1.0))
      FROM dataops._expectation_canonical($1 ->> 'name', $1 ->> 'kind', $1 ->> 'column', coalesce($1 -> 'args', '{}'),
                                          coalesce($1 ->> 'action', 'warn'), coalesce(($1 ->> 'mostly')::float8, 1.0)) c
$$;
COMMENT ON FUNCTION dataops._doc_expectation_entry(jsonb) IS
'Internal (apply): an expectation entry of a document in the canonical form export writes (defaults omitted)';

-- The arguments of alter_expectation that make old (canonical entry) into new.
CREATE FUNCTION dataops._doc_expectation_alter(old jsonb, new jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT dataops._doc_strip(pg_catalog.jsonb_build_object(
        'kind', CASE WHEN $1 -> 'kind' IS DISTINCT FROM $2 -> 'kind' THEN $2 -> 'kind' END,
        'column', CASE WHEN $1 -> 'column' IS DISTINCT FROM $2 -> 'column' THEN $2 -> 'column' END,
        'args', CASE WHEN $1 -> 'args' IS DISTINCT FROM $2 -> 'args' THEN $2 -> 'args' END,
        'action', CASE WHEN $1 -> 'action' IS DISTINCT FROM $2 -> 'action'
                       THEN coalesce($2 -> 'action', '"warn"') END,
        'mostly', CASE WHEN $1 -> 'mostly' IS DISTINCT FROM $2 -> 'mostly'
                       THEN coalesce($2 -> 'mostly', '1') END,
        'reset', pg_catalog.to_jsonb(ARRAY(SELECT r FROM (VALUES (1, 'column_name', 'column'), (2, 'args', 'args')) v(n, r, k)
                                            WHERE $1 ? v.k AND NOT $2 ? v.k ORDER BY v.n))))
$$;
COMMENT ON FUNCTION dataops._doc_expectation_alter(jsonb, jsonb) IS
'Internal (apply): the arguments (kind, column, args, action, mostly, reset) of dataops.alter_expectation that turn one canonical expectation entry into another';

-- An expectation for the detail of a row: kind, on its column.
CREATE FUNCTION dataops._doc_expectation_detail(e jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT ($1 ->> 'kind') || coalesce(' on ' || ($1 ->> 'column'), '')
$$;
COMMENT ON FUNCTION dataops._doc_expectation_detail(jsonb) IS
'Internal (apply): the detail apply reports for an expectation (its kind and column)';

CREATE FUNCTION dataops.apply(definition jsonb, dry_run boolean DEFAULT false, allow_drop boolean DEFAULT false)
RETURNS TABLE (action text, object text, detail text)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
    v_plan jsonb[] := '{}';
    v_scope text;
    v_renames jsonb := '{}';        -- old pipeline name -> new name
    v_kept_pipes text[] := '{}';    -- pipelines of the database the document keeps
    v_doc_suites text[];
    v_used_suites text[];
    dp jsonb;                       -- a pipeline, step, expectation, notification of the document
    ds jsonb;
    de jsonb;
    dn jsonb;
    i bigint;
    j bigint;
    v_name text;                    -- its name in the document
    v_old text;                     -- its renamed_from
    v_cur text;                     -- the pipeline it is in the database (NULL: to create)
    v_step text;
    v_scur text;                    -- the step it is in the database (NULL: to create)
    v_obj text;
    v_has_new boolean;
    v_has_old boolean;
    v_kept_steps text[];
    v_claimed text[];               -- targets (schema.table, quoted) the document's steps publish
    v_db_pipe dataops.pipelines;
    v_db_step dataops.steps;
    v_db jsonb;
    v_contract text;
    v_doc jsonb;
    v_args jsonb;
    v_changed text[];
    v_reset text[];
    v_parts text[];
    v_sched text;
    v_events text[];
    v_format text;
    v_matched bigint[];
    v_nid bigint;
    v_refused text[];
    r record;
BEGIN
    PERFORM dataops._doc_validate(definition);
    v_scope := coalesce(definition ->> 'scope', 'pipelines');
    v_doc_suites := ARRAY(SELECT s ->> 'name' FROM pg_catalog.jsonb_array_elements(coalesce(definition -> 'suites', '[]')) s);
    v_used_suites := ARRAY(SELECT x FROM pg_catalog.jsonb_array_elements(coalesce(definition -> 'pipelines', '[]')) p,
                                         pg_catalog.jsonb_array_elements(coalesce(p -> 'steps', '[]')) s,
                                         pg_catalog.jsonb_array_elements_text(coalesce(s -> 'suites', '[]')) x);

    -- pipelines renamed: dependencies in the database name them by their old names
    FOR dp IN SELECT p FROM pg_catalog.jsonb_array_elements(coalesce(definition -> 'pipelines', '[]')) p
               WHERE p ? 'renamed_from' LOOP
        IF NOT EXISTS (SELECT FROM dataops.pipelines p WHERE p.name = dp ->> 'name')
           AND EXISTS (SELECT FROM dataops.pipelines p WHERE p.name = dp ->> 'renamed_from') THEN
            v_renames := v_renames || pg_catalog.jsonb_build_object(dp ->> 'renamed_from', dp ->> 'name');
        END IF;
    END LOOP;

    ------------------------------------------------------------ suites
    FOR ds IN SELECT s FROM pg_catalog.jsonb_array_elements(coalesce(definition -> 'suites', '[]')) s LOOP
        v_name := ds ->> 'name';
        v_has_new := EXISTS (SELECT FROM dataops.suites s WHERE s.name = v_name);
        IF NOT v_has_new THEN
            v_plan := v_plan || dataops._plan(20, 'create', pg_catalog.format('suite %s', v_name), NULL,
                                              'create_suite', pg_catalog.jsonb_build_object('name', v_name));
        END IF;
        FOR de IN SELECT e FROM pg_catalog.jsonb_array_elements(coalesce(ds -> 'expectations', '[]')) e LOOP
            v_doc := dataops._doc_expectation_entry(de);
            v_obj := pg_catalog.format('suite expectation %s.%s', v_name, de ->> 'name');
            SELECT dataops._doc_expectation(e.name, e.kind, e.column_name, e.args, e.action, e.mostly) INTO v_db
              FROM dataops.suite_expectations e WHERE e.suite = v_name AND e.name = de ->> 'name';
            IF v_db IS NULL THEN
                v_plan := v_plan || dataops._plan(21, 'create', v_obj, dataops._doc_expectation_detail(v_doc),
                                                  'add_suite_expectation', v_doc || pg_catalog.jsonb_build_object('suite', v_name));
            ELSIF v_db <> v_doc THEN
                v_plan := v_plan || dataops._plan(21, 'alter', v_obj,
                                                  'changed: ' || pg_catalog.array_to_string(dataops._doc_expectation_changes(v_db, v_doc), ', '),
                                                  'replace_suite_expectation', v_doc || pg_catalog.jsonb_build_object('suite', v_name));
            END IF;
        END LOOP;
        FOR r IN SELECT e.name FROM dataops.suite_expectations e
                  WHERE e.suite = v_name
                    AND NOT coalesce(ds -> 'expectations', '[]') @> pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('name', e.name))
                  ORDER BY e.name COLLATE "C" LOOP
            v_plan := v_plan || dataops._plan(96, 'drop', pg_catalog.format('suite expectation %s.%s', v_name, r.name),
                                              'not in the document', 'drop_suite_expectation',
                                              pg_catalog.jsonb_build_object('suite', v_name, 'name', r.name), true);
        END LOOP;
    END LOOP;

    ------------------------------------------------------------ pipelines
    FOR dp, i IN SELECT p.v, p.n - 1 FROM pg_catalog.jsonb_array_elements(coalesce(definition -> 'pipelines', '[]'))
                                          WITH ORDINALITY p(v, n) LOOP
        v_name := dp ->> 'name';
        v_old := dp ->> 'renamed_from';
        v_has_new := EXISTS (SELECT FROM dataops.pipelines p WHERE p.name = v_name);
        v_has_old := v_old IS NOT NULL AND EXISTS (SELECT FROM dataops.pipelines p WHERE p.name = v_old);
        v_obj := pg_catalog.format('pipeline %s', v_name);
        IF v_has_new AND v_has_old THEN
            RAISE EXCEPTION 'cannot rename pipeline "%" to "%": both exist', v_old, v_name
                USING ERRCODE = 'duplicate_object',
                      DETAIL = pg_catalog.format('pipelines[%s].renamed_from names a pipeline that still exists.', i),
                      HINT = 'Drop one of them, or remove renamed_from from the document once the rename is applied.';
        ELSIF v_has_new THEN
            v_cur := v_name;
        ELSIF v_has_old THEN
            v_cur := v_old;
            v_plan := v_plan || dataops._plan(10, 'rename', v_obj, pg_catalog.format('from %s', v_old), 'rename_pipeline',
                                              pg_catalog.jsonb_build_object('name', v_old, 'new_name', v_name));
        ELSE
            v_cur := NULL;
            v_plan := v_plan || dataops._plan(11, 'create', v_obj, dp ->> 'description', 'create_pipeline',
                                              pg_catalog.jsonb_build_object('name', v_name, 'description', dp ->> 'description'));
        END IF;
        v_db_pipe := NULL;
        IF v_cur IS NOT NULL THEN
            v_kept_pipes := v_kept_pipes || v_cur;
            SELECT * INTO v_db_pipe FROM dataops.pipelines p WHERE p.name = v_cur;
            IF v_db_pipe.description IS DISTINCT FROM dp ->> 'description' THEN
                v_plan := v_plan || dataops._plan(12, 'alter', v_obj,
                                                  CASE WHEN dp ->> 'description' IS NULL THEN 'description removed'
                                                       ELSE 'changed: description' END,
                                                  'alter_pipeline',
                                                  CASE WHEN dp ->> 'description' IS NULL
                                                       THEN pg_catalog.jsonb_build_object('name', v_name, 'reset', '["description"]'::jsonb)
                                                       ELSE pg_catalog.jsonb_build_object('name', v_name, 'description', dp ->> 'description') END);
            END IF;
        END IF;

        -------------------------------------------------------- its steps
        v_kept_steps := '{}';
        v_claimed := '{}';
        FOR ds, j IN SELECT s.v, s.n - 1 FROM pg_catalog.jsonb_array_elements(coalesce(dp -> 'steps', '[]'))
                                              WITH ORDINALITY s(v, n) LOOP
            v_step := ds ->> 'name';
            v_old := ds ->> 'renamed_from';
            v_parts := dataops._target_parts(ds ->> 'target', ds ->> 'layer');
            v_claimed := v_claimed || pg_catalog.format('%I.%I', v_parts[1], v_parts[2]);
            v_obj := pg_catalog.format('step %s.%s', v_name, v_step);
            v_scur := NULL;
            IF v_cur IS NOT NULL THEN
                v_has_new := EXISTS (SELECT FROM dataops.steps s WHERE s.pipeline = v_cur AND s.name = v_step);
                v_has_old := v_old IS NOT NULL
                             AND EXISTS (SELECT FROM dataops.steps s WHERE s.pipeline = v_cur AND s.name = v_old);
                IF v_has_new AND v_has_old THEN
                    RAISE EXCEPTION 'cannot rename step "%" of pipeline "%" to "%": both exist', v_old, v_cur, v_step
                        USING ERRCODE = 'duplicate_object',
                              DETAIL = pg_catalog.format('pipelines[%s].steps[%s].renamed_from names a step that still exists.', i, j),
                              HINT = 'Drop one of them, or remove renamed_from from the document once the rename is applied.';
                ELSIF v_has_new THEN
                    v_scur := v_step;
                ELSIF v_has_old THEN
                    v_scur := v_old;
                    v_plan := v_plan || dataops._plan(30, 'rename', v_obj, pg_catalog.format('from %s.%s', v_name, v_old),
                                                      'rename_step',
                                                      pg_catalog.jsonb_build_object('pipeline', v_name, 'step', v_old,
                                                                                    'new_name', v_step));
                END IF;
            END IF;
            IF v_scur IS NULL THEN
                v_plan := v_plan || dataops._plan(31, 'create', v_obj,
                                                  pg_catalog.format('%s step publishing %s', ds ->> 'layer', ds ->> 'target'),
                                                  'add_step',
                                                  (ds - '{renamed_from,suites,expectations}'::text[])
                                                  || pg_catalog.jsonb_build_object('pipeline', v_name));
            ELSE
                v_kept_steps := v_kept_steps || v_scur;
                SELECT * INTO v_db_step FROM dataops.steps s WHERE s.pipeline = v_cur AND s.name = v_scur;
                v_args := pg_catalog.jsonb_build_object('pipeline', v_name, 'step', v_step);
                v_changed := '{}';
                v_reset := '{}';
                IF v_db_step.layer <> ds ->> 'layer' THEN
                    v_args := v_args || pg_catalog.jsonb_build_object('layer', ds -> 'layer');
                    v_changed := v_changed || 'layer'::text;
                END IF;
                IF v_parts IS DISTINCT FROM ARRAY[v_db_step.target_schema, v_db_step.target_table]::text[] THEN
                    v_args := v_args || pg_catalog.jsonb_build_object('target', ds -> 'target');
                    v_changed := v_changed || 'target'::text;
                END IF;
                IF ds ? 'query' AND dataops._query_norm(ds ->> 'query') IS DISTINCT FROM dataops._query_norm(v_db_step.query) THEN
                    v_args := v_args || pg_catalog.jsonb_build_object('query', ds -> 'query');
                    v_changed := v_changed || 'query'::text;
                ELSIF NOT ds ? 'query' AND v_db_step.query IS NOT NULL THEN
                    v_reset := v_reset || 'query'::text;
                END IF;
                IF ds ? 'source' AND ds ->> 'source' IS DISTINCT FROM v_db_step.source THEN
                    v_args := v_args || pg_catalog.jsonb_build_object('source', ds -> 'source');
                    v_changed := v_changed || 'source'::text;
                ELSIF NOT ds ? 'source' AND v_db_step.source IS NOT NULL THEN
                    v_reset := v_reset || 'source'::text;
                END IF;
                IF dataops._doc_text_array(ds -> 'unique_key') IS DISTINCT FROM v_db_step.unique_key THEN
                    IF ds ? 'unique_key' THEN
                        v_args := v_args || pg_catalog.jsonb_build_object('unique_key', ds -> 'unique_key');
                        v_changed := v_changed || 'unique_key'::text;
                    ELSE
                        v_reset := v_reset || 'unique_key'::text;
                    END IF;
                END IF;
                IF ds ->> 'keep' IS DISTINCT FROM v_db_step.keep THEN
                    IF ds ? 'keep' THEN
                        v_args := v_args || pg_catalog.jsonb_build_object('keep', ds -> 'keep');
                        v_changed := v_changed || 'keep'::text;
                    ELSE
                        v_reset := v_reset || 'keep'::text;
                    END IF;
                END IF;
                IF coalesce(ds -> 'options', '{}') <> v_db_step.options THEN
                    IF coalesce(ds -> 'options', '{}') = '{}'::jsonb THEN
                        v_reset := v_reset || 'options'::text;
                    ELSE
                        v_args := v_args || pg_catalog.jsonb_build_object('options', ds -> 'options');
                        v_changed := v_changed || 'options'::text;
                    END IF;
                END IF;
                IF v_changed <> '{}' OR v_reset <> '{}' THEN
                    v_plan := v_plan || dataops._plan(31, 'alter', v_obj,
                                                      pg_catalog.concat_ws('; ',
                                                          'changed: ' || nullif(pg_catalog.array_to_string(v_changed, ', '), ''),
                                                          'removed: ' || nullif(pg_catalog.array_to_string(v_reset, ', '), '')),
                                                      'alter_step',
                                                      v_args || pg_catalog.jsonb_build_object('reset', pg_catalog.to_jsonb(v_reset)));
                END IF;
            END IF;

            ---------------------------------------------------- its expectations
            FOR de IN SELECT e FROM pg_catalog.jsonb_array_elements(coalesce(ds -> 'expectations', '[]')) e LOOP
                v_doc := dataops._doc_expectation_entry(de);
                v_obj := pg_catalog.format('expectation %s.%s.%s', v_name, v_step, de ->> 'name');
                v_db := NULL;
                IF v_scur IS NOT NULL THEN
                    SELECT dataops._doc_expectation(e.name, e.kind, e.column_name, e.args, e.action, e.mostly),
                           e.contract_id INTO v_db, v_contract
                      FROM dataops.expectations e
                     WHERE e.pipeline = v_cur AND e.step = v_scur AND e.name = de ->> 'name';
                END IF;
                IF v_db IS NOT NULL AND v_contract IS NOT NULL THEN
                    -- a contract's expectation: the contract changes it (dataops.apply_contract), not the document
                    v_plan := v_plan || dataops._plan(40, 'skip', v_obj,
                                                      pg_catalog.format('comes from data contract %s: change the contract', v_contract),
                                                      NULL, NULL);
                ELSIF v_db IS NULL THEN
                    v_plan := v_plan || dataops._plan(40, 'create', v_obj, dataops._doc_expectation_detail(v_doc),
                                                      'add_expectation',
                                                      v_doc || pg_catalog.jsonb_build_object('pipeline', v_name, 'step', v_step));
                ELSIF v_db <> v_doc THEN
                    v_plan := v_plan || dataops._plan(40, 'alter', v_obj,
                                                      'changed: ' || pg_catalog.array_to_string(dataops._doc_expectation_changes(v_db, v_doc), ', '),
                                                      'alter_expectation',
                                                      dataops._doc_expectation_alter(v_db, v_doc)
                                                      || pg_catalog.jsonb_build_object('pipeline', v_name, 'step', v_step,
                                                                                       'name', de ->> 'name'));
                END IF;
            END LOOP;
            IF v_scur IS NOT NULL THEN
                FOR r IN SELECT e.name FROM dataops.expectations e
                          WHERE e.pipeline = v_cur AND e.step = v_scur AND e.contract_id IS NULL
                            AND NOT coalesce(ds -> 'expectations', '[]')
                                    @> pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('name', e.name))
                          ORDER BY e.name COLLATE "C" LOOP
                    v_plan := v_plan || dataops._plan(95, 'drop', pg_catalog.format('expectation %s.%s.%s', v_name, v_step, r.name),
                                                      'not in the document', 'drop_expectation',
                                                      pg_catalog.jsonb_build_object('pipeline', v_name, 'step', v_step,
                                                                                    'name', r.name), true);
                END LOOP;
            END IF;

            ---------------------------------------------------- its suites
            FOR v_obj, j IN SELECT x.v, x.n - 1 FROM pg_catalog.jsonb_array_elements_text(coalesce(ds -> 'suites', '[]'))
                                                     WITH ORDINALITY x(v, n) LOOP
                IF NOT v_obj = ANY (v_doc_suites) AND NOT EXISTS (SELECT FROM dataops.suites s WHERE s.name = v_obj) THEN
                    RAISE EXCEPTION 'suite "%" does not exist', v_obj
                        USING ERRCODE = 'undefined_object',
                              DETAIL = pg_catalog.format('Step "%s" of pipeline "%s" attaches it; the document''s suites do not define it.',
                                                         v_step, v_name),
                              HINT = 'Add the suite to the document''s "suites", or create it with dataops.create_suite().';
                END IF;
                IF v_scur IS NULL OR NOT EXISTS (SELECT FROM dataops.step_suites ss
                                                  WHERE ss.pipeline = v_cur AND ss.step = v_scur AND ss.suite = v_obj) THEN
                    v_plan := v_plan || dataops._plan(50, 'attach', pg_catalog.format('suite %s on step %s.%s', v_obj, v_name, v_step),
                                                      NULL, 'attach_suite',
                                                      pg_catalog.jsonb_build_object('pipeline', v_name, 'step', v_step, 'suite', v_obj));
                END IF;
            END LOOP;
            IF v_scur IS NOT NULL THEN
                FOR r IN SELECT ss.suite FROM dataops.step_suites ss
                          WHERE ss.pipeline = v_cur AND ss.step = v_scur
                            AND NOT coalesce(ds -> 'suites', '[]') @> pg_catalog.jsonb_build_array(ss.suite)
                          ORDER BY ss.suite COLLATE "C" LOOP
                    v_plan := v_plan || dataops._plan(94, 'detach', pg_catalog.format('suite %s on step %s.%s', r.suite, v_name, v_step),
                                                      'not in the document', 'detach_suite',
                                                      pg_catalog.jsonb_build_object('pipeline', v_name, 'step', v_step, 'suite', r.suite),
                                                      true);
                END LOOP;
            END IF;
        END LOOP;

        IF v_cur IS NOT NULL THEN
            -- steps the document does not define: dropped last, those that read
            -- others first; but a step whose target a step of the document
            -- publishes (a step replaced by another of a new name) is dropped
            -- before the steps are created and altered, when no step reads it
            FOR r IN SELECT l.step, l.level,
                            pg_catalog.format('%I.%I', s.target_schema, s.target_table) = ANY (v_claimed)
                            AND NOT EXISTS (SELECT FROM dataops.steps o
                                             WHERE o.pipeline = v_cur AND l.step = ANY (o.depends_on)) AS early
                       FROM dataops._step_levels(v_cur) l
                       JOIN dataops.steps s ON s.pipeline = v_cur AND s.name = l.step
                      WHERE NOT l.step = ANY (v_kept_steps)
                      ORDER BY l.level DESC, l.step COLLATE "C" LOOP
                v_plan := v_plan || dataops._plan(CASE WHEN r.early THEN 29 ELSE 97 END, 'drop', pg_catalog.format('step %s.%s', v_name, r.step),
                                                  'not in the document', 'drop_step',
                                                  pg_catalog.jsonb_build_object('pipeline', v_name, 'step', r.step), true);
            END LOOP;
        END IF;

        -------------------------------------------------------- dependencies
        FOR v_obj IN SELECT x FROM pg_catalog.jsonb_array_elements_text(coalesce(dp -> 'depends_on', '[]')) x LOOP
            IF v_cur IS NULL OR NOT EXISTS (SELECT FROM dataops.pipeline_dependencies d
                                             WHERE d.pipeline = v_cur
                                               AND coalesce(v_renames ->> d.upstream, d.upstream) = v_obj) THEN
                v_plan := v_plan || dataops._plan(60, 'create', pg_catalog.format('dependency %s on %s', v_name, v_obj),
                                                  NULL, 'add_dependency',
                                                  pg_catalog.jsonb_build_object('pipeline', v_name, 'upstream', v_obj));
            END IF;
        END LOOP;
        IF v_cur IS NOT NULL THEN
            FOR r IN SELECT coalesce(v_renames ->> d.upstream, d.upstream) AS upstream
                       FROM dataops.pipeline_dependencies d
                      WHERE d.pipeline = v_cur
                        AND NOT coalesce(dp -> 'depends_on', '[]')
                                @> pg_catalog.jsonb_build_array(coalesce(v_renames ->> d.upstream, d.upstream))
                      ORDER BY coalesce(v_renames ->> d.upstream, d.upstream) COLLATE "C" LOOP
                v_plan := v_plan || dataops._plan(93, 'drop', pg_catalog.format('dependency %s on %s', v_name, r.upstream),
                                                  'not in the document', 'drop_dependency',
                                                  pg_catalog.jsonb_build_object('pipeline', v_name, 'upstream', r.upstream), true);
            END LOOP;
        END IF;

        -------------------------------------------------------- options
        FOR r IN SELECT o.key, o.value FROM pg_catalog.jsonb_each(coalesce(dp -> 'options', '{}')) o
                  ORDER BY o.key COLLATE "C" LOOP
            v_db := v_db_pipe.options -> r.key;
            IF v_db IS NULL OR v_db <> r.value THEN
                v_plan := v_plan || dataops._plan(70, CASE WHEN v_db IS NULL THEN 'create' ELSE 'alter' END,
                                                  pg_catalog.format('option %s.%s', v_name, r.key),
                                                  CASE WHEN v_db IS NULL THEN r.value::text
                                                       ELSE pg_catalog.format('%s (was %s)', r.value, v_db) END,
                                                  'set_pipeline_option',
                                                  pg_catalog.jsonb_build_object('pipeline', v_name, 'key', r.key, 'value', r.value));
            END IF;
        END LOOP;
        FOR r IN SELECT o.key, o.value FROM pg_catalog.jsonb_each(coalesce(v_db_pipe.options, '{}')) o
                  WHERE NOT coalesce(dp -> 'options', '{}') ? o.key
                  ORDER BY o.key COLLATE "C" LOOP
            v_plan := v_plan || dataops._plan(92, 'drop', pg_catalog.format('option %s.%s', v_name, r.key),
                                              'not in the document', 'set_pipeline_option',
                                              pg_catalog.jsonb_build_object('pipeline', v_name, 'key', r.key), true);
        END LOOP;

        -------------------------------------------------------- schedule
        v_sched := NULL;
        IF v_cur IS NOT NULL THEN
            SELECT sc.schedule INTO v_sched FROM dataops.schedules sc WHERE sc.pipeline = v_cur LIMIT 1;
        END IF;
        IF dp ->> 'schedule' IS NOT NULL AND dp ->> 'schedule' IS DISTINCT FROM v_sched THEN
            v_plan := v_plan || dataops._plan(80, 'schedule', pg_catalog.format('schedule %s', v_name),
                                              CASE WHEN v_sched IS NULL THEN dp ->> 'schedule'
                                                   ELSE pg_catalog.format('%s (was %s)', dp ->> 'schedule', v_sched) END,
                                              'schedule',
                                              pg_catalog.jsonb_build_object('pipeline', v_name, 'schedule', dp ->> 'schedule'));
        ELSIF dp ->> 'schedule' IS NULL AND v_sched IS NOT NULL THEN
            v_plan := v_plan || dataops._plan(91, 'unschedule', pg_catalog.format('schedule %s', v_name),
                                              pg_catalog.format('not in the document (was %s)', v_sched), 'unschedule',
                                              pg_catalog.jsonb_build_object('pipeline', v_name), true);
        END IF;

        -------------------------------------------------------- notifications
        v_matched := '{}';
        FOR dn IN SELECT n FROM pg_catalog.jsonb_array_elements(coalesce(dp -> 'notifications', '[]')) n LOOP
            v_events := ARRAY(SELECT x FROM pg_catalog.unnest(coalesce(dataops._doc_text_array(dn -> 'events'),
                                                                         '{failed,sla_missed}')) x
                               ORDER BY x COLLATE "C");
            v_format := coalesce(dn ->> 'format', 'slack');
            v_nid := NULL;
            IF v_cur IS NOT NULL THEN
                SELECT n.id INTO v_nid FROM dataops.notifications n
                 WHERE n.pipeline = v_cur AND NOT n.id = ANY (v_matched) AND n.format = v_format
                   AND ARRAY(SELECT x FROM pg_catalog.unnest(n.events) x ORDER BY x COLLATE "C") = v_events
                   AND (NOT dn ? 'url' OR n.url = dn ->> 'url')
                 ORDER BY n.id LIMIT 1;
            END IF;
            v_obj := pg_catalog.format('%s: %s', v_format, pg_catalog.array_to_string(v_events, ', '));
            IF v_nid IS NOT NULL THEN
                v_matched := v_matched || v_nid;
            ELSIF dn ? 'url' THEN
                v_plan := v_plan || dataops._plan(85, 'create', pg_catalog.format('notification %s', v_name), v_obj,
                                                  'add_notification',
                                                  pg_catalog.jsonb_build_object('pipeline', v_name, 'url', dn ->> 'url',
                                                                                'events', pg_catalog.to_jsonb(v_events),
                                                                                'format', v_format));
            ELSE
                v_plan := v_plan || dataops._plan(85, 'skip', pg_catalog.format('notification %s', v_name),
                                                  v_obj || ': not created, the document gives no url', NULL, NULL);
            END IF;
        END LOOP;
        IF v_cur IS NOT NULL THEN
            FOR r IN SELECT n.id, n.format, ARRAY(SELECT x FROM pg_catalog.unnest(n.events) x ORDER BY x COLLATE "C") AS ev
                       FROM dataops.notifications n
                      WHERE n.pipeline = v_cur AND NOT n.id = ANY (v_matched)
                      ORDER BY n.id LOOP
                v_plan := v_plan || dataops._plan(90, 'drop', pg_catalog.format('notification %s', v_name),
                                                  pg_catalog.format('%s: %s: not in the document', r.format,
                                                                    pg_catalog.array_to_string(r.ev, ', ')),
                                                  'drop_notification', pg_catalog.jsonb_build_object('id', r.id), true);
            END LOOP;
        END IF;
    END LOOP;

    ------------------------------------------------------------ scope all
    IF v_scope = 'all' THEN
        FOR r IN SELECT p.name FROM dataops.pipelines p
                  WHERE NOT p.name = ANY (v_kept_pipes)
                  ORDER BY p.name COLLATE "C" LOOP
            v_plan := v_plan || dataops._plan(98, 'drop', pg_catalog.format('pipeline %s', r.name),
                                              'not in the document', 'drop_pipeline',
                                              pg_catalog.jsonb_build_object('name', r.name), true);
        END LOOP;
        FOR r IN SELECT s.name FROM dataops.suites s
                  WHERE NOT s.name = ANY (v_doc_suites) AND NOT s.name = ANY (v_used_suites)
                    AND EXISTS (SELECT FROM pg_catalog.pg_roles o
                                 WHERE o.rolname = s.owner AND pg_catalog.pg_has_role(o.oid, 'USAGE'))
                  ORDER BY s.name COLLATE "C" LOOP
            v_plan := v_plan || dataops._plan(99, 'drop', pg_catalog.format('suite %s', r.name),
                                              'not in the document', 'drop_suite',
                                              pg_catalog.jsonb_build_object('name', r.name), true);
        END LOOP;
    END IF;

    ------------------------------------------------------------ the plan, performed in order
    IF NOT allow_drop THEN
        v_refused := ARRAY(SELECT pg_catalog.format('%s %s', x.v ->> 'action', x.v ->> 'object')
                             FROM pg_catalog.unnest(v_plan) WITH ORDINALITY x(v, n)
                            WHERE (x.v ->> 'destructive')::boolean
                            ORDER BY (x.v ->> 'phase')::integer, x.n);
        IF v_refused <> '{}' AND NOT dry_run THEN
            RAISE EXCEPTION 'the document does not define % object(s) that apply would have to drop', pg_catalog.cardinality(v_refused)
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = pg_catalog.format('Refused: %s.', pg_catalog.array_to_string(v_refused, ', ')),
                      HINT = 'Review the plan with dry_run => true; pass allow_drop => true to drop them, or add them to the document. Nothing was changed.';
        END IF;
    END IF;
    FOR r IN SELECT x.v FROM pg_catalog.unnest(v_plan) WITH ORDINALITY x(v, n)
              ORDER BY (x.v ->> 'phase')::integer, x.n LOOP
        IF NOT dry_run THEN
            PERFORM dataops._apply_op(r.v ->> 'op', r.v -> 'args');
        END IF;
        action := r.v ->> 'action';
        object := r.v ->> 'object';
        detail := CASE WHEN (r.v ->> 'destructive')::boolean AND NOT allow_drop THEN 'refused: needs allow_drop'
                       ELSE r.v ->> 'detail' END;
        RETURN NEXT;
    END LOOP;
END $$;
COMMENT ON FUNCTION dataops.apply(jsonb, boolean, boolean) IS
'Makes the database match a definition document (dataops.export''s format, dataops/v1) in the caller''s transaction by calling the public API functions as the caller; returns one row per change (create, alter, rename, drop, attach, detach, schedule, unschedule, skip); nothing when it already matches. Drops need allow_drop (else 55000, nothing changed); dry_run lists the changes without making them, a refused drop with detail "refused: needs allow_drop"';

CREATE FUNCTION dataops.export_yaml(pipeline text DEFAULT NULL) RETURNS text
LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN dataops.jsonb_to_yaml(dataops.export(pipeline));
END $$;
COMMENT ON FUNCTION dataops.export_yaml(text) IS
'dataops.export() as a YAML document (dataops.jsonb_to_yaml), for a pipelines/*.yaml file kept in git';

CREATE FUNCTION dataops.apply_yaml(definition text, dry_run boolean DEFAULT false, allow_drop boolean DEFAULT false)
RETURNS TABLE (action text, object text, detail text)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN QUERY SELECT a.action, a.object, a.detail
                   FROM dataops.apply(dataops.yaml_to_jsonb(definition), dry_run, allow_drop) a;
END $$;
COMMENT ON FUNCTION dataops.apply_yaml(text, boolean, boolean) IS
'dataops.apply() of a YAML definition document (read with dataops.yaml_to_jsonb)';

------------------------------------------------------------------------
-- Data contracts (ODCS v3.1.0)
------------------------------------------------------------------------

-- (dataops.expectations.contract_id and contract_version are added above,
-- before the export and apply functions that read them.)

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
            -- nulls stripped at the top only: a null inside args means something (GE's universal value set)
            rule := pg_catalog.jsonb_build_object('name', e.name, 'type', 'custom', 'engine', 'dataops',
                        'implementation', pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                            'kind', e.kind, 'column', e.column_name, 'action', e.action, 'mostly', e.mostly))
                        OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('args', coalesce(e.args, '{}')));
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

-- Result format BOOLEAN_ONLY (Great Expectations): success alone; dataops
-- keeps the counts and observed value, not the unexpected values.
ALTER TABLE dataops.expectation_results DROP CONSTRAINT expectation_results_result_format_check;
ALTER TABLE dataops.expectation_results ADD CONSTRAINT expectation_results_result_format_check
    CHECK (result_format IN ('BOOLEAN_ONLY', 'BASIC', 'SUMMARY', 'COMPLETE'));
COMMENT ON COLUMN dataops.expectation_results.result_format IS
'Great Expectations result format of the expectation: BOOLEAN_ONLY (no unexpected values kept), BASIC (up to 20 unexpected values), SUMMARY (also the most frequent unexpected values) or COMPLETE (also every unexpected row, in the target''s _unexpected table)';

CREATE FUNCTION dataops.expectation_kinds()
RETURNS TABLE (kind text, ge_type text, level text, args text[])
AS 'MODULE_PATHNAME', 'dataops_expectation_kinds' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION dataops.expectation_kinds() IS
'The expectation kinds: each kind, its Great Expectations expectation type (NULL for dataops'' own kinds), its level (row, aggregate, count, schema) and the args it takes (besides result_format and meta)';

-- import_ge_suite: a Great Expectations 1.x (or 0.x) expectation suite
-- document → a new dataops suite, through dataops.create_suite and
-- dataops.add_suite_expectation (so every check of those applies).  Runs as
-- the caller; one statement, so an error changes nothing.
CREATE FUNCTION dataops.import_ge_suite(suite jsonb, name text DEFAULT NULL)
RETURNS TABLE (action text, object text, detail text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    sname    text;
    item     jsonb;
    pos      bigint;
    gtype    text;
    kinfo    record;
    kwargs   jsonb;
    meta     jsonb;
    dmeta    jsonb;
    ename    text;
    col      text;
    eargs    jsonb;
    emostly  float8;
    ekind    text;
    eaction  text;
    rf       jsonb;
    why      text;
    notes    text[];
    k        text;
    n        bigint := 0;
BEGIN
    IF suite IS NULL OR pg_catalog.jsonb_typeof(suite) IS DISTINCT FROM 'object'
       OR pg_catalog.jsonb_typeof(pg_catalog.jsonb_extract_path(suite, 'expectations')) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'not a Great Expectations suite document'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A suite is a JSON object with an "expectations" array, as Great Expectations writes it (ExpectationSuite.to_json_dict).',
                  HINT = 'Pass the JSON of the suite file, e.g. pg_read_file(''gx/expectations/my_suite.json'')::jsonb.';
    END IF;
    sname := coalesce(import_ge_suite.name, pg_catalog.jsonb_extract_path_text(suite, 'name'),
                      pg_catalog.jsonb_extract_path_text(suite, 'expectation_suite_name'));
    IF sname IS NULL THEN
        RAISE EXCEPTION 'the Great Expectations suite document has no name'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Neither "name" (1.x) nor "expectation_suite_name" (0.x) is given.',
                  HINT = 'Give the suite a name: dataops.import_ge_suite(document, name => ''my_suite'').';
    END IF;
    PERFORM dataops.create_suite(sname);
    action := 'create';
    object := pg_catalog.format('suite %s', sname);
    detail := pg_catalog.format('Great Expectations suite, expectations: %s',
                                pg_catalog.jsonb_array_length(pg_catalog.jsonb_extract_path(suite, 'expectations')));
    RETURN NEXT;

    FOR item, pos IN SELECT e.value, e.ordinality
                       FROM pg_catalog.jsonb_array_elements(pg_catalog.jsonb_extract_path(suite, 'expectations'))
                            WITH ORDINALITY AS e(value, ordinality)
    LOOP
        IF pg_catalog.jsonb_typeof(item) IS DISTINCT FROM 'object' THEN
            RAISE EXCEPTION 'expectation % of the Great Expectations suite is not a JSON object', pos
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        gtype := coalesce(pg_catalog.jsonb_extract_path_text(item, 'type'),
                          pg_catalog.jsonb_extract_path_text(item, 'expectation_type'));
        IF gtype IS NULL THEN
            RAISE EXCEPTION 'expectation % of the Great Expectations suite has no type', pos
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Each expectation has "type" (1.x) or "expectation_type" (0.x), "kwargs" and "meta".';
        END IF;
        -- GE 1.x ExpectationConfigurationSchema: type, kwargs, meta, and
        -- keys that do not change what is checked (ignored, listed)
        notes := '{}';
        FOR k IN SELECT pg_catalog.jsonb_object_keys(item) ORDER BY 1 LOOP
            IF k OPERATOR(pg_catalog.=) ANY (ARRAY['id', 'notes', 'rendered_content', 'description',
                                                   'expectation_context', 'ge_cloud_id']) THEN
                notes := pg_catalog.array_append(notes, CAST(k AS text));
            ELSIF NOT k OPERATOR(pg_catalog.=) ANY (ARRAY['type', 'expectation_type', 'kwargs', 'meta', 'severity']) THEN
                RAISE EXCEPTION 'expectation % (%) of the Great Expectations suite has an unknown key "%"', pos, gtype, k
                    USING ERRCODE = 'invalid_parameter_value',
                          HINT = 'An expectation has type, kwargs, meta and severity (and id, notes, rendered_content, description, which are ignored).';
            END IF;
        END LOOP;
        kwargs := coalesce(pg_catalog.jsonb_extract_path(item, 'kwargs'), '{}');
        IF pg_catalog.jsonb_typeof(kwargs) IS DISTINCT FROM 'object' THEN
            RAISE EXCEPTION 'kwargs of expectation % (%) of the Great Expectations suite must be a JSON object', pos, gtype
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        meta := pg_catalog.jsonb_extract_path(item, 'meta');
        IF meta OPERATOR(pg_catalog.=) 'null' THEN
            meta := NULL;
        END IF;
        IF meta IS NOT NULL AND pg_catalog.jsonb_typeof(meta) IS DISTINCT FROM 'object' THEN
            RAISE EXCEPTION 'meta of expectation % (%) of the Great Expectations suite must be a JSON object', pos, gtype
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        -- meta.dataops: what export_ge_suite writes for dataops (name,
        -- action, kind, args GE has no place for); the rest is the user's
        dmeta := coalesce(pg_catalog.jsonb_extract_path(meta, 'dataops'), '{}');
        meta := meta OPERATOR(pg_catalog.-) 'dataops';
        IF meta OPERATOR(pg_catalog.=) '{}' THEN
            meta := NULL;
        END IF;
        col := pg_catalog.jsonb_extract_path_text(kwargs, 'column');
        SELECT * INTO kinfo FROM dataops.expectation_kinds() AS ki WHERE ki.ge_type OPERATOR(pg_catalog.=) gtype;
        ename := coalesce(pg_catalog.jsonb_extract_path_text(dmeta, 'name'),
                          pg_catalog.jsonb_extract_path_text(meta, 'name'),
                          pg_catalog.concat_ws('_', coalesce(kinfo.kind, pg_catalog.regexp_replace(gtype, '^expect_', '')),
                                               col, pos));
        object := pg_catalog.format('expectation %s.%s', sname, ename);

        why := NULL;
        IF kinfo.kind IS NULL THEN
            why := 'no dataops kind checks this expectation type';
        ELSIF coalesce(pg_catalog.jsonb_extract_path_text(kwargs, 'row_condition'), '') OPERATOR(pg_catalog.<>) '' THEN
            why := 'row_condition (checking a subset of the rows) is not supported; filter the rows in a step''s query';
        ELSIF pg_catalog.jsonb_typeof(pg_catalog.jsonb_extract_path(kwargs, 'mostly')) OPERATOR(pg_catalog.=) 'object' THEN
            why := 'mostly given as a suite parameter is not supported';
        ELSIF coalesce(pg_catalog.jsonb_extract_path_text(kwargs, 'ignore_row_if'), 'all_values_are_missing')
                  OPERATOR(pg_catalog.<>) 'all_values_are_missing' THEN
            why := pg_catalog.format('ignore_row_if %s is not supported (dataops ignores a row when all its values are missing)',
                                     pg_catalog.jsonb_extract_path_text(kwargs, 'ignore_row_if'));
        END IF;
        IF why IS NOT NULL THEN
            action := 'unsupported';
            detail := pg_catalog.format('%s: %s', gtype, why);
            RETURN NEXT;
            CONTINUE;
        END IF;

        -- GE's kwargs → column_name, mostly, args (add_suite_expectation
        -- renames GE's argument names: min_value → min, value_set → values...)
        emostly := 1.0;
        IF kinfo.level OPERATOR(pg_catalog.=) 'row' THEN
            emostly := coalesce(CAST(pg_catalog.jsonb_extract_path_text(kwargs, 'mostly') AS float8), 1.0);
        ELSIF kwargs OPERATOR(pg_catalog.?) 'mostly' THEN
            notes := pg_catalog.array_append(notes, CAST('mostly' AS text));    -- not a success key of aggregate types
        END IF;
        rf := pg_catalog.jsonb_extract_path(kwargs, 'result_format');
        IF pg_catalog.jsonb_typeof(rf) OPERATOR(pg_catalog.=) 'object' THEN
            IF (SELECT pg_catalog.count(*) FROM pg_catalog.jsonb_object_keys(rf)) OPERATOR(pg_catalog.>) 1 THEN
                notes := pg_catalog.array_append(notes, CAST('result_format options' AS text));
            END IF;
            rf := pg_catalog.jsonb_extract_path(rf, 'result_format');
        END IF;
        IF rf OPERATOR(pg_catalog.=) 'null' THEN
            rf := NULL;
        END IF;
        IF kinfo.level OPERATOR(pg_catalog.<>) 'row'
           AND pg_catalog.jsonb_build_array(rf) OPERATOR(pg_catalog.<@) '["BASIC", "SUMMARY", "COMPLETE"]' THEN
            notes := pg_catalog.array_append(notes, CAST('result_format' AS text));   -- one observed value in each of them
            rf := NULL;
        END IF;
        FOR k IN SELECT x FROM pg_catalog.unnest(ARRAY['catch_exceptions', 'include_config', 'batch_id',
                                                       'condition_parser', 'ignore_row_if']) AS x
        LOOP
            IF kwargs OPERATOR(pg_catalog.?) k THEN
                notes := pg_catalog.array_append(notes, CAST(k AS text));
            END IF;
        END LOOP;
        eargs := kwargs OPERATOR(pg_catalog.-) ARRAY['column', 'mostly', 'result_format', 'catch_exceptions',
                                                     'include_config', 'batch_id', 'row_condition',
                                                     'condition_parser', 'ignore_row_if'];
        IF rf IS NOT NULL THEN
            eargs := eargs OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('result_format', rf);
        END IF;
        -- meta.dataops.args replace the args GE wrote otherwise (a regex
        -- with its flags inline), under either name
        IF pg_catalog.jsonb_typeof(pg_catalog.jsonb_extract_path(dmeta, 'args')) OPERATOR(pg_catalog.=) 'object' THEN
            eargs := eargs OPERATOR(pg_catalog.-) ARRAY(
                         SELECT x FROM pg_catalog.jsonb_object_keys(pg_catalog.jsonb_extract_path(dmeta, 'args')) AS a(key),
                                LATERAL pg_catalog.unnest(ARRAY[a.key, CASE a.key
                                    WHEN 'min' THEN 'min_value' WHEN 'max' THEN 'max_value'
                                    WHEN 'values' THEN 'value_set' WHEN 'pattern' THEN 'regex'
                                    WHEN 'patterns' THEN 'regex_list' WHEN 'format' THEN 'strftime_format'
                                    WHEN 'columns' THEN 'column_list' END, CASE a.key WHEN 'columns' THEN 'column_set' END]) AS x
                          WHERE x IS NOT NULL);
            eargs := eargs OPERATOR(pg_catalog.||) pg_catalog.jsonb_extract_path(dmeta, 'args');
        END IF;
        IF meta IS NOT NULL THEN
            eargs := eargs OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('meta', meta);
        END IF;
        ekind := coalesce(pg_catalog.jsonb_extract_path_text(dmeta, 'kind'), kinfo.kind);
        -- GE's severity (critical, warning, info): critical fails the check
        -- as dataops' action fail does; the others only record it (warn)
        eaction := coalesce(pg_catalog.jsonb_extract_path_text(dmeta, 'action'),
                            CASE pg_catalog.jsonb_extract_path_text(item, 'severity')
                                WHEN 'critical' THEN 'fail' WHEN 'warning' THEN 'warn' WHEN 'info' THEN 'warn' END,
                            'warn');
        IF item OPERATOR(pg_catalog.?) 'severity' AND eaction OPERATOR(pg_catalog.<>) 'fail'
           AND pg_catalog.jsonb_extract_path_text(item, 'severity') OPERATOR(pg_catalog.<>) ALL (ARRAY['warning', 'info']) THEN
            RAISE EXCEPTION 'severity of expectation % (%) of the Great Expectations suite must be critical, warning or info', pos, gtype
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        PERFORM dataops.add_suite_expectation(sname, ename, ekind, col, eargs, eaction, emostly);
        n := n OPERATOR(pg_catalog.+) 1;
        action := 'create';
        detail := gtype OPERATOR(pg_catalog.||)
                  CASE WHEN ekind OPERATOR(pg_catalog.<>) kinfo.kind THEN pg_catalog.format(' as kind %s', ekind) ELSE '' END
                  OPERATOR(pg_catalog.||)
                  CASE WHEN pg_catalog.cardinality(notes) OPERATOR(pg_catalog.>) 0
                       THEN pg_catalog.format(' (ignored: %s)', pg_catalog.array_to_string(notes, ', ')) ELSE '' END;
        RETURN NEXT;
    END LOOP;

    -- dataops' own kinds (no GE type), kept by export_ge_suite in the suite's meta
    FOR item IN SELECT e.value
                  FROM pg_catalog.jsonb_array_elements(coalesce(
                           pg_catalog.jsonb_extract_path(suite, 'meta', 'dataops', 'expectations'), '[]')) AS e(value)
    LOOP
        ename := pg_catalog.jsonb_extract_path_text(item, 'name');
        PERFORM dataops.add_suite_expectation(sname, ename, pg_catalog.jsonb_extract_path_text(item, 'kind'),
                    pg_catalog.jsonb_extract_path_text(item, 'column'),
                    coalesce(pg_catalog.jsonb_extract_path(item, 'args'), '{}'),
                    coalesce(pg_catalog.jsonb_extract_path_text(item, 'action'), 'warn'),
                    coalesce(CAST(pg_catalog.jsonb_extract_path_text(item, 'mostly') AS float8), 1.0));
        action := 'create';
        object := pg_catalog.format('expectation %s.%s', sname, ename);
        detail := pg_catalog.format('dataops kind %s (from the suite''s meta.dataops)',
                                    pg_catalog.jsonb_extract_path_text(item, 'kind'));
        RETURN NEXT;
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION dataops.import_ge_suite(jsonb, text) IS
'Creates a suite (named name, else the document''s name or expectation_suite_name; an existing suite of that name is an error) from a Great Expectations 1.x (or 0.x) expectation suite document: each expectation (type or expectation_type, kwargs, meta; id, notes, rendered_content and description ignored) becomes a suite expectation through dataops.add_suite_expectation, named meta.name or <kind>_<column>_<position>; returns one row per object: create, or unsupported with the reason for an expectation dataops cannot check.  All or nothing';

-- export_ge_suite: a dataops suite → a Great Expectations 1.x expectation
-- suite document; import_ge_suite(export_ge_suite(s)) creates the same rows.
CREATE FUNCTION dataops.export_ge_suite(name text)
RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    e      record;
    exps   jsonb := '[]';
    own    jsonb := '[]';
    kw     jsonb;
    a      jsonb;
    meta   jsonb;
    dm     jsonb;
    gtype  text;
    flags  text;
    sm     jsonb;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM dataops.suites s WHERE s.name OPERATOR(pg_catalog.=) export_ge_suite.name) THEN
        RAISE EXCEPTION 'suite "%" does not exist', export_ge_suite.name USING ERRCODE = 'undefined_object';
    END IF;
    FOR e IN SELECT se.name, se.kind, se.column_name, se.args, se.action, se.mostly, ki.ge_type
               FROM dataops.suite_expectations se
               JOIN dataops.expectation_kinds() ki ON ki.kind OPERATOR(pg_catalog.=) se.kind
              WHERE se.suite OPERATOR(pg_catalog.=) export_ge_suite.name
              ORDER BY se.name
    LOOP
        IF e.ge_type IS NULL THEN
            -- no GE type: kept in the suite's meta, which GE carries along (nulls stripped at
            -- the top only: a null inside args is the user's)
            own := own OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_array(pg_catalog.jsonb_strip_nulls(
                       pg_catalog.jsonb_build_object('name', e.name, 'kind', e.kind,
                                                     -- freshness keeps args.column, its column_name
                                                     'column', CASE WHEN e.args OPERATOR(pg_catalog.?) 'column' THEN NULL
                                                                    ELSE e.column_name END,
                                                     'action', e.action, 'mostly', e.mostly))
                       OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('args', coalesce(e.args, '{}')));
            CONTINUE;
        END IF;
        gtype := e.ge_type;
        a := e.args;
        meta := coalesce(pg_catalog.jsonb_extract_path(a, 'meta'), '{}');
        dm := pg_catalog.jsonb_build_object('name', e.name);
        IF e.action OPERATOR(pg_catalog.<>) 'warn' THEN
            dm := dm OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('action', e.action);
        END IF;
        kw := '{}';
        IF e.column_name IS NOT NULL THEN
            kw := pg_catalog.jsonb_build_object('column', e.column_name);
        END IF;
        IF e.mostly OPERATOR(pg_catalog.<>) 1.0 THEN
            kw := kw OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('mostly', e.mostly);
        END IF;
        -- GE has no regex flags: written inline ((?i) is Python's and PCRE2's),
        -- the exact pattern and flags kept in meta.dataops.args
        flags := pg_catalog.jsonb_extract_path_text(a, 'flags');
        IF flags IS NOT NULL AND a OPERATOR(pg_catalog.?) 'pattern' THEN
            dm := dm OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('args',
                      pg_catalog.jsonb_build_object('pattern', pg_catalog.jsonb_extract_path(a, 'pattern'), 'flags', flags));
            a := pg_catalog.jsonb_set(a, '{pattern}', pg_catalog.to_jsonb(pg_catalog.format('(?%s)%s', flags,
                     pg_catalog.jsonb_extract_path_text(a, 'pattern'))));
        ELSIF flags IS NOT NULL THEN
            dm := dm OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('args',
                      pg_catalog.jsonb_build_object('patterns', pg_catalog.jsonb_extract_path(a, 'patterns'), 'flags', flags));
            a := pg_catalog.jsonb_set(a, '{patterns}', (SELECT pg_catalog.jsonb_agg(pg_catalog.format('(?%s)%s', flags, p.value) ORDER BY p.ordinality)
                                                         FROM pg_catalog.jsonb_array_elements_text(pg_catalog.jsonb_extract_path(a, 'patterns'))
                                                              WITH ORDINALITY AS p(value, ordinality)));
        END IF;
        -- unique over several columns is GE's compound columns type
        IF e.kind OPERATOR(pg_catalog.=) 'unique' AND e.column_name IS NULL THEN
            gtype := 'expect_compound_columns_to_be_unique';
            dm := dm OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('kind', 'unique');
        END IF;
        -- dataops' argument names → GE's
        kw := kw OPERATOR(pg_catalog.||) coalesce((
            SELECT pg_catalog.jsonb_object_agg(
                       CASE x.key
                           WHEN 'min' THEN 'min_value'
                           WHEN 'max' THEN 'max_value'
                           WHEN 'values' THEN 'value_set'
                           WHEN 'pattern' THEN 'regex'
                           WHEN 'patterns' THEN 'regex_list'
                           WHEN 'format' THEN 'strftime_format'
                           WHEN 'columns' THEN CASE gtype WHEN 'expect_table_columns_to_match_set' THEN 'column_set'
                                                          ELSE 'column_list' END
                           ELSE x.key
                       END, x.value)
              FROM pg_catalog.jsonb_each(a) AS x
             WHERE x.key OPERATOR(pg_catalog.<>) ALL (ARRAY['meta', 'flags'])), '{}');
        exps := exps OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                    'type', gtype, 'kwargs', kw,
                    'meta', meta OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('dataops', dm)));
    END LOOP;
    sm := pg_catalog.jsonb_build_object('great_expectations_version', '1.3.0');
    IF own OPERATOR(pg_catalog.<>) '[]' THEN
        sm := sm OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('dataops', pg_catalog.jsonb_build_object('expectations', own));
    END IF;
    RETURN pg_catalog.jsonb_build_object('name', export_ge_suite.name, 'expectations', exps, 'meta', sm);
END
$fn$;
COMMENT ON FUNCTION dataops.export_ge_suite(text) IS
'The suite as a Great Expectations 1.x expectation suite document ({"name", "expectations": [{"type", "kwargs", "meta"}], "meta"}); dataops'' own name, action and regex flags of each expectation are in its meta.dataops, expectations of kinds GE does not have (castable_to, relationships, expression, freshness) in the suite''s meta.dataops.expectations, so that dataops.import_ge_suite of it creates the same suite';
