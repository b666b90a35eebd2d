/* dataops 0.3.0 -> 0.4.0: materializations (view, incremental, scd2) */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION dataops UPDATE TO '0.4.0'" to load this file. \quit

CREATE TABLE dataops.step_state (
    pipeline    text NOT NULL,
    step        text NOT NULL,
    watermark   text,
    query_hash  text NOT NULL,
    run_id      bigint,
    updated_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (pipeline, step),
    FOREIGN KEY (pipeline, step) REFERENCES dataops.steps (pipeline, name) ON DELETE CASCADE
);
COMMENT ON TABLE dataops.step_state IS
'Incremental and scd2 steps: how far their source has been processed, advanced in the transaction that writes the target (exactly once)';
COMMENT ON COLUMN dataops.step_state.pipeline IS 'Pipeline';
COMMENT ON COLUMN dataops.step_state.step IS 'Step';
COMMENT ON COLUMN dataops.step_state.watermark IS
'Largest value of the watermark column processed so far (text of the column''s type); NULL: process every row';
COMMENT ON COLUMN dataops.step_state.query_hash IS
'md5 of the query, unique_key, keep and watermark the target was built with; a change needs a full refresh';
COMMENT ON COLUMN dataops.step_state.run_id IS 'Run that last advanced the watermark';
COMMENT ON COLUMN dataops.step_state.updated_at IS 'When the watermark last advanced';
SELECT pg_catalog.pg_extension_config_dump('dataops.step_state', '');
GRANT SELECT ON dataops.step_state TO PUBLIC;

ALTER TABLE dataops.step_runs
    ADD COLUMN rows_inserted bigint,
    ADD COLUMN rows_updated bigint,
    ADD COLUMN rows_deleted bigint,
    ADD COLUMN watermark text;
COMMENT ON COLUMN dataops.step_runs.rows_inserted IS 'incremental: new keys merged in; scd2: versions opened';
COMMENT ON COLUMN dataops.step_runs.rows_updated IS 'incremental: existing keys updated; scd2: versions closed because the row changed';
COMMENT ON COLUMN dataops.step_runs.rows_deleted IS 'scd2 with hard_deletes = invalidate: versions closed because the key disappeared';
COMMENT ON COLUMN dataops.step_runs.watermark IS 'incremental and scd2: the watermark after the attempt';

CREATE FUNCTION dataops.rollback(pipeline text, step text DEFAULT NULL, run_id bigint DEFAULT NULL)
RETURNS void AS 'MODULE_PATHNAME', 'dataops_rollback' LANGUAGE C;
COMMENT ON FUNCTION dataops.rollback(text, text, bigint) IS
'Undoes the batches merged into an incremental target after run_id (default: the last one), for the step or every gold step, in the caller''s transaction';

CREATE VIEW dataops.versions AS
SELECT r.pipeline, s.step, s.target, s.run_id, s.attempt, s.finished_at AS produced_at,
       s.rows_inserted, s.rows_updated, s.rows_deleted, s.watermark,
       (st.run_id = s.run_id) AS current
  FROM dataops.step_runs s
  JOIN dataops.runs r USING (run_id)
  JOIN dataops.step_state st ON st.pipeline = r.pipeline AND st.step = s.step
 WHERE s.status = 'succeeded' AND s.rows_inserted IS NOT NULL;
COMMENT ON VIEW dataops.versions IS
'Versions of incremental and scd2 targets: one per successful merge, with the run that produced it; the last keep_versions batches of an incremental target can be undone with dataops.rollback()';
COMMENT ON COLUMN dataops.versions.pipeline IS 'Pipeline';
COMMENT ON COLUMN dataops.versions.step IS 'Step';
COMMENT ON COLUMN dataops.versions.target IS 'Target (schema.table)';
COMMENT ON COLUMN dataops.versions.run_id IS 'Run that produced the version';
COMMENT ON COLUMN dataops.versions.attempt IS 'Attempt of the step run';
COMMENT ON COLUMN dataops.versions.produced_at IS 'When the merge committed';
COMMENT ON COLUMN dataops.versions.rows_inserted IS 'Keys inserted (scd2: versions opened)';
COMMENT ON COLUMN dataops.versions.rows_updated IS 'Keys updated (scd2: versions closed by a change)';
COMMENT ON COLUMN dataops.versions.rows_deleted IS 'scd2: versions closed because the key disappeared';
COMMENT ON COLUMN dataops.versions.watermark IS 'Watermark after the merge';
COMMENT ON COLUMN dataops.versions.current IS 'The version the target is at now (after a rollback, an older one)';
GRANT SELECT ON dataops.versions TO PUBLIC;

-- The planner's cost of the checking functions, in units of cpu_operator_cost:
-- a PCRE2 match or a strptime call costs about 20 times a comparison, so a
-- step with several of them is worth checking in parallel workers while the
-- leader publishes.
ALTER FUNCTION dataops.regex_match(text, text) COST 20;
ALTER FUNCTION dataops.regex_match(text, text, text) COST 20;
ALTER FUNCTION dataops._expect_regex(text, text, text, text) COST 20;
ALTER FUNCTION dataops.matches_strftime(text, text) COST 20;
ALTER FUNCTION dataops.input_is_valid(text, text) COST 50;

-- Versions of table targets (options.keep_versions > 0): the target is a
-- partitioned table whose only (DEFAULT) partition is the version a run
-- built; publishing attaches the new version and detaches the old one, which
-- is kept as it is, not copied.
CREATE TABLE dataops.table_versions (
    pipeline   text NOT NULL,
    step       text NOT NULL,
    run_id     bigint NOT NULL,
    relation   text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (pipeline, step, run_id),
    FOREIGN KEY (pipeline, step) REFERENCES dataops.steps (pipeline, name) ON DELETE CASCADE
);
COMMENT ON TABLE dataops.table_versions IS
'Kept versions of table targets with options.keep_versions > 0: each the table a run built, attached to the target while it is the current one';
COMMENT ON COLUMN dataops.table_versions.pipeline IS 'Pipeline';
COMMENT ON COLUMN dataops.table_versions.step IS 'Step';
COMMENT ON COLUMN dataops.table_versions.run_id IS 'Run that built the version';
COMMENT ON COLUMN dataops.table_versions.relation IS 'The version''s table (schema.table, <target>__v<run_id>)';
COMMENT ON COLUMN dataops.table_versions.created_at IS 'When the version was built';
SELECT pg_catalog.pg_extension_config_dump('dataops.table_versions', '');
GRANT SELECT ON dataops.table_versions TO PUBLIC;

CREATE FUNCTION dataops.diff(pipeline text, step text, run_a bigint, run_b bigint)
RETURNS TABLE (change text, key jsonb, row_a jsonb, row_b jsonb)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ra regclass;    -- printed with %s, a regclass is quoted where SQL needs it
    rb regclass;
    keys text[];
    keyjson text;
    joincond text;
BEGIN
    SELECT to_regclass(v.relation) INTO ra FROM dataops.table_versions v
     WHERE v.pipeline = diff.pipeline AND v.step = diff.step AND v.run_id = run_a;
    IF ra IS NULL THEN
        RAISE EXCEPTION 'run % of step "%" of pipeline "%" has no kept version', run_a, step, pipeline
            USING ERRCODE = 'undefined_object',
                  HINT = 'Versions are kept for table steps with options.keep_versions; see dataops.table_versions.';
    END IF;
    SELECT to_regclass(v.relation) INTO rb FROM dataops.table_versions v
     WHERE v.pipeline = diff.pipeline AND v.step = diff.step AND v.run_id = run_b;
    IF rb IS NULL THEN
        RAISE EXCEPTION 'run % of step "%" of pipeline "%" has no kept version', run_b, step, pipeline
            USING ERRCODE = 'undefined_object',
                  HINT = 'Versions are kept for table steps with options.keep_versions; see dataops.table_versions.';
    END IF;
    SELECT s.unique_key INTO keys FROM dataops.steps s WHERE s.pipeline = diff.pipeline AND s.name = diff.step;
    IF keys IS NULL THEN
        -- no key: whole rows, as multisets
        RETURN QUERY EXECUTE format(
            'SELECT ''removed'', NULL::jsonb, to_jsonb(x), NULL::jsonb FROM (SELECT * FROM %s EXCEPT ALL SELECT * FROM %s) x '
            'UNION ALL SELECT ''added'', NULL::jsonb, NULL::jsonb, to_jsonb(y) FROM (SELECT * FROM %s EXCEPT ALL SELECT * FROM %s) y',
            ra, rb, rb, ra);
        RETURN;
    END IF;
    SELECT string_agg(format('%L, coalesce(a.%I, b.%I)', k, k, k), ', '),
           string_agg(format('a.%I = b.%I', k, k), ' AND ')
      INTO keyjson, joincond FROM unnest(keys) k;
    RETURN QUERY EXECUTE format(
        'SELECT CASE WHEN a.__a IS NULL THEN ''added'' WHEN b.__b IS NULL THEN ''removed'' ELSE ''changed'' END, '
        'jsonb_build_object(%s), to_jsonb(a) - ''__a'', to_jsonb(b) - ''__b'' '
        'FROM (SELECT *, true AS __a FROM %s) a FULL JOIN (SELECT *, true AS __b FROM %s) b ON %s '
        'WHERE a.__a IS NULL OR b.__b IS NULL OR (to_jsonb(a) - ''__a'') IS DISTINCT FROM (to_jsonb(b) - ''__b'') '
        'ORDER BY 2', keyjson, ra, rb, joincond);
END $$;
COMMENT ON FUNCTION dataops.diff(text, text, bigint, bigint) IS
'Rows added, removed and changed between the kept versions two runs built of a table step (by unique_key; without one, whole rows)';
