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
