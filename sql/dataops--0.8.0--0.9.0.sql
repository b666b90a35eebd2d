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
                          WHERE e.pipeline = s.pipeline AND e.step = s.name)))
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
-- distinct names).
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
    ELSIF type IN ('string', 'text', 'name') THEN
        IF t <> 'string' THEN
            PERFORM dataops._doc_error(path, 'must be a string');
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
    ELSIF type IN ('array', 'names') THEN
        IF t <> 'array' THEN
            PERFORM dataops._doc_error(path, 'must be an array');
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
'Internal (apply): raises 22023 naming the path unless value (when given) is of the type: name, text (not blank), string, string? (or null), object, array, names (distinct names)';

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
        PERFORM dataops._doc_check(e -> 'column', p || '.column', 'name');
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
            PERFORM dataops._doc_check(s -> 'unique_key', spath || '.unique_key', 'names');
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
CREATE FUNCTION dataops._doc_expectation_entry(e jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT dataops._doc_expectation($1 ->> 'name', $1 ->> 'kind', $1 ->> 'column', coalesce($1 -> 'args', '{}'),
                                    coalesce($1 ->> 'action', 'warn'), coalesce(($1 ->> 'mostly')::float8, 1.0))
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
                    SELECT dataops._doc_expectation(e.name, e.kind, e.column_name, e.args, e.action, e.mostly) INTO v_db
                      FROM dataops.expectations e
                     WHERE e.pipeline = v_cur AND e.step = v_scur AND e.name = de ->> 'name';
                END IF;
                IF v_db IS NULL THEN
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
                          WHERE e.pipeline = v_cur AND e.step = v_scur
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

------------------------------------------------------------------------
-- Great Expectations suites in and out
------------------------------------------------------------------------
