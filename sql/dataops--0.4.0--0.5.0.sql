/* dataops 0.4.0 -> 0.5.0: safe on a shared server (issue: security and backups) */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION dataops UPDATE TO '0.5.0'" to load this file. \quit

-- ===================================================================== catalog
-- (history visibility, audit, dump and restore)

-- ===================================================================== files and regex

-- ===================================================================== orchestration

-- ===================================================================== publish

-- The equality operator of a type's default btree (else hash) operator class,
-- written OPERATOR(schema.op) with its real schema: generated comparisons
-- name their operators so that no schema on a search_path can shadow them.
CREATE FUNCTION dataops._equality_operator(regtype) RETURNS text
AS 'MODULE_PATHNAME', 'dataops_equality_operator' LANGUAGE C STRICT STABLE PARALLEL SAFE;
COMMENT ON FUNCTION dataops._equality_operator(regtype) IS
'Internal: OPERATOR(schema.op) for the equality operator of the type''s default operator class (dataops.diff joins keys with it)';

-- diff: only versions that are plain tables owned by the pipeline's owner
-- are read (a relation of the same name another role created after the
-- version was dropped would be read as the caller: a view's functions run
-- with the caller's rights); keys are joined with their type's own equality
-- operator, qualified.
CREATE OR REPLACE FUNCTION dataops.diff(pipeline text, step text, run_a bigint, run_b bigint)
RETURNS TABLE (change text, key jsonb, row_a jsonb, row_b jsonb)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ra regclass;    -- printed with %s, a regclass is quoted where SQL needs it
    rb regclass;
    owner_name name;
    keys text[];
    keyjson text;
    joincond text;
    missing text;
    r record;
BEGIN
    SELECT p.owner INTO owner_name FROM dataops.pipelines p WHERE p.name OPERATOR(pg_catalog.=) diff.pipeline;
    SELECT pg_catalog.to_regclass(v.relation) INTO ra FROM dataops.table_versions v
     WHERE v.pipeline OPERATOR(pg_catalog.=) diff.pipeline AND v.step OPERATOR(pg_catalog.=) diff.step
       AND v.run_id OPERATOR(pg_catalog.=) run_a;
    IF ra IS NULL THEN
        RAISE EXCEPTION 'run % of step "%" of pipeline "%" has no kept version', run_a, step, pipeline
            USING ERRCODE = 'undefined_object',
                  HINT = 'Versions are kept for table steps with options.keep_versions; see dataops.table_versions.';
    END IF;
    SELECT pg_catalog.to_regclass(v.relation) INTO rb FROM dataops.table_versions v
     WHERE v.pipeline OPERATOR(pg_catalog.=) diff.pipeline AND v.step OPERATOR(pg_catalog.=) diff.step
       AND v.run_id OPERATOR(pg_catalog.=) run_b;
    IF rb IS NULL THEN
        RAISE EXCEPTION 'run % of step "%" of pipeline "%" has no kept version', run_b, step, pipeline
            USING ERRCODE = 'undefined_object',
                  HINT = 'Versions are kept for table steps with options.keep_versions; see dataops.table_versions.';
    END IF;
    FOR r IN SELECT c.oid::regclass AS rel, c.relkind, pg_catalog.pg_get_userbyid(c.relowner) AS relowner
               FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) ANY (ARRAY[ra, rb]::pg_catalog.oid[]) LOOP
        IF r.relkind OPERATOR(pg_catalog.<>) 'r' OR owner_name IS NULL
           OR r.relowner OPERATOR(pg_catalog.<>) owner_name THEN
            RAISE EXCEPTION 'kept version % of step "%" is not a table owned by the pipeline''s owner "%"',
                  r.rel, step, owner_name
                USING ERRCODE = 'insufficient_privilege',
                      DETAIL = pg_catalog.format('It is a relation of kind %s owned by role "%s"; dataops reads only the versions it built.',
                                                 r.relkind, r.relowner),
                      HINT = 'The version''s table was dropped and the name reused: diff other runs (see dataops.table_versions).';
        END IF;
    END LOOP;
    SELECT s.unique_key INTO keys FROM dataops.steps s
     WHERE s.pipeline OPERATOR(pg_catalog.=) diff.pipeline AND s.name OPERATOR(pg_catalog.=) diff.step;
    IF keys IS NULL THEN
        -- no key: whole rows, as multisets
        RETURN QUERY EXECUTE pg_catalog.format(
            'SELECT ''removed'', NULL::pg_catalog.jsonb, pg_catalog.to_jsonb(x), NULL::pg_catalog.jsonb '
            'FROM (SELECT * FROM %s EXCEPT ALL SELECT * FROM %s) x '
            'UNION ALL SELECT ''added'', NULL::pg_catalog.jsonb, NULL::pg_catalog.jsonb, pg_catalog.to_jsonb(y) '
            'FROM (SELECT * FROM %s EXCEPT ALL SELECT * FROM %s) y',
            ra, rb, rb, ra);
        RETURN;
    END IF;
    SELECT pg_catalog.string_agg(k, ', ') INTO missing FROM pg_catalog.unnest(keys) k
     WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a
                        WHERE a.attrelid OPERATOR(pg_catalog.=) ra AND a.attname OPERATOR(pg_catalog.=) k
                          AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped);
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'kept version % has no unique_key column %', ra, missing
            USING ERRCODE = 'undefined_column';
    END IF;
    SELECT pg_catalog.string_agg(pg_catalog.format('%L, coalesce(a.%I, b.%I)', k, k, k), ', '),
           pg_catalog.string_agg(pg_catalog.format('a.%I %s b.%I', k, dataops._equality_operator(a.atttypid::regtype), k),
                                 ' AND ')
      INTO keyjson, joincond
      FROM pg_catalog.unnest(keys) k
      JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) ra AND a.attname OPERATOR(pg_catalog.=) k;
    RETURN QUERY EXECUTE pg_catalog.format(
        'SELECT CASE WHEN a.__a IS NULL THEN ''added'' WHEN b.__b IS NULL THEN ''removed'' ELSE ''changed'' END, '
        'pg_catalog.jsonb_build_object(%s), pg_catalog.to_jsonb(a) OPERATOR(pg_catalog.-) ''__a'', '
        'pg_catalog.to_jsonb(b) OPERATOR(pg_catalog.-) ''__b'' '
        'FROM (SELECT *, true AS __a FROM %s) a FULL JOIN (SELECT *, true AS __b FROM %s) b ON %s '
        'WHERE a.__a IS NULL OR b.__b IS NULL '
        'OR ((pg_catalog.to_jsonb(a) OPERATOR(pg_catalog.-) ''__a'') OPERATOR(pg_catalog.=) '
        '(pg_catalog.to_jsonb(b) OPERATOR(pg_catalog.-) ''__b'')) IS NOT TRUE '
        'ORDER BY 2', keyjson, ra, rb, joincond);
END $$;
COMMENT ON FUNCTION dataops.diff(text, text, bigint, bigint) IS
'Rows added, removed and changed between the kept versions two runs built of a table step (by unique_key; without one, whole rows); reads only versions that are tables owned by the pipeline''s owner';

-- ===================================================================== suites
