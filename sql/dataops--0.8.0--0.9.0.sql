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
            -- no GE type: kept in the suite's meta, which GE carries along
            own := own OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_array(pg_catalog.jsonb_strip_nulls(
                       pg_catalog.jsonb_build_object('name', e.name, 'kind', e.kind,
                                                     -- freshness keeps args.column, its column_name
                                                     'column', CASE WHEN e.args OPERATOR(pg_catalog.?) 'column' THEN NULL
                                                                    ELSE e.column_name END,
                                                     'args', e.args, 'action', e.action, 'mostly', e.mostly)));
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
