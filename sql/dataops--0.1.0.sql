/* dataops 0.1.0: catalog, definition API, run API */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION dataops" to load this file. \quit

-- Refuses to install unless the library was loaded by shared_preload_libraries.
CREATE FUNCTION dataops._assert_preloaded() RETURNS void
    AS 'MODULE_PATHNAME', 'dataops_assert_preloaded' LANGUAGE C STRICT;
SELECT dataops._assert_preloaded();
DROP FUNCTION dataops._assert_preloaded();

COMMENT ON SCHEMA dataops IS 'dataops: medallion pipelines, their runs, quality results and lineage';

------------------------------------------------------------------------
-- Definitions
------------------------------------------------------------------------

CREATE TABLE dataops.pipelines (
    name        text PRIMARY KEY CHECK (name <> ''),
    description text,
    owner       name NOT NULL DEFAULT current_user,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE dataops.pipelines IS 'One row per pipeline definition (dataops.create_pipeline)';
COMMENT ON COLUMN dataops.pipelines.name IS 'Pipeline name, unique';
COMMENT ON COLUMN dataops.pipelines.description IS 'Free text describing the pipeline';
COMMENT ON COLUMN dataops.pipelines.owner IS 'Role that owns the pipeline; its runs execute with this role''s privileges';
COMMENT ON COLUMN dataops.pipelines.created_at IS 'When the pipeline was created';

CREATE TABLE dataops.steps (
    pipeline     text NOT NULL REFERENCES dataops.pipelines (name) ON DELETE CASCADE,
    name         text NOT NULL CHECK (name <> ''),
    layer        text NOT NULL CHECK (layer IN ('bronze', 'silver', 'gold')),
    target_schema text NOT NULL,
    target_table text NOT NULL,
    query        text,
    source       text,
    unique_key   text[],
    keep         text,
    options      jsonb NOT NULL DEFAULT '{}',
    search_path  text NOT NULL,
    depends_on   text[] NOT NULL DEFAULT '{}',
    reads        text[] NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pipeline, name),
    CHECK (query IS NOT NULL OR source IS NOT NULL)
);
COMMENT ON TABLE dataops.steps IS 'One row per step of a pipeline (dataops.add_step)';
COMMENT ON COLUMN dataops.steps.pipeline IS 'Pipeline the step belongs to';
COMMENT ON COLUMN dataops.steps.name IS 'Step name, unique within its pipeline';
COMMENT ON COLUMN dataops.steps.layer IS 'Medallion layer: bronze, silver or gold';
COMMENT ON COLUMN dataops.steps.target_schema IS 'Schema of the table the step publishes';
COMMENT ON COLUMN dataops.steps.target_table IS 'Name of the table the step publishes';
COMMENT ON COLUMN dataops.steps.query IS 'The single SELECT whose rows the step publishes (NULL for a bronze step that reads files)';
COMMENT ON COLUMN dataops.steps.source IS 'Bronze only: absolute path or glob of the CSV files to ingest';
COMMENT ON COLUMN dataops.steps.unique_key IS 'Columns that identify a row; one row per key survives deduplication';
COMMENT ON COLUMN dataops.steps.keep IS 'ORDER BY list choosing which row of a key survives (the first)';
COMMENT ON COLUMN dataops.steps.options IS 'Step options: CSV options for bronze (header, delimiter, quote, null, encoding, normalize_names)';
COMMENT ON COLUMN dataops.steps.search_path IS 'search_path in effect when the step was added; its query runs under it';
COMMENT ON COLUMN dataops.steps.depends_on IS 'Steps of the same pipeline whose targets the query reads (derived by the parser)';
COMMENT ON COLUMN dataops.steps.reads IS 'Relations the query reads, as schema.table where resolvable when the step was added';
COMMENT ON COLUMN dataops.steps.created_at IS 'When the step was added';

CREATE TABLE dataops.expectations (
    pipeline    text NOT NULL,
    step        text NOT NULL,
    name        text NOT NULL CHECK (name <> ''),
    kind        text NOT NULL,
    column_name text,
    args        jsonb NOT NULL DEFAULT '{}',
    action      text NOT NULL DEFAULT 'warn' CHECK (action IN ('warn', 'drop', 'fail')),
    mostly      float8 NOT NULL DEFAULT 1.0 CHECK (mostly >= 0 AND mostly <= 1),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pipeline, step, name),
    FOREIGN KEY (pipeline, step) REFERENCES dataops.steps (pipeline, name) ON DELETE CASCADE
);
COMMENT ON TABLE dataops.expectations IS 'Data quality expectations attached to steps (dataops.add_expectation)';
COMMENT ON COLUMN dataops.expectations.pipeline IS 'Pipeline of the step';
COMMENT ON COLUMN dataops.expectations.step IS 'Step whose output rows are checked';
COMMENT ON COLUMN dataops.expectations.name IS 'Expectation name, unique within its step';
COMMENT ON COLUMN dataops.expectations.kind IS 'not_null, unique, match_regex, between, in_set, row_count_between or expression';
COMMENT ON COLUMN dataops.expectations.column_name IS 'Column checked (NULL for table-level kinds and expression)';
COMMENT ON COLUMN dataops.expectations.args IS 'Arguments of the kind (pattern, min, max, values, expression, columns)';
COMMENT ON COLUMN dataops.expectations.action IS 'warn: record only; drop: quarantine failing rows; fail: publish nothing and fail the run';
COMMENT ON COLUMN dataops.expectations.mostly IS 'Fraction of non-missing rows that must pass for success (Great Expectations'' mostly)';
COMMENT ON COLUMN dataops.expectations.created_at IS 'When the expectation was added';

------------------------------------------------------------------------
-- History
------------------------------------------------------------------------

CREATE TABLE dataops.runs (
    run_id        bigserial PRIMARY KEY,
    pipeline      text NOT NULL,
    status        text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'canceled')),
    full_refresh  boolean NOT NULL DEFAULT false,
    triggered_by  text NOT NULL,
    queued_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    started_at    timestamptz,
    finished_at   timestamptz,
    error_message text,
    error_detail  text,
    error_sqlstate text,
    failed_step   text,
    worker_pid    integer
);
CREATE INDEX runs_pipeline_started_idx ON dataops.runs (pipeline, started_at);
CREATE INDEX runs_open_idx ON dataops.runs (status) WHERE status IN ('queued', 'running');
COMMENT ON TABLE dataops.runs IS 'One row per run of a pipeline: its status, timing and error';
COMMENT ON COLUMN dataops.runs.run_id IS 'Run identifier, returned by dataops.run()';
COMMENT ON COLUMN dataops.runs.pipeline IS 'Pipeline name';
COMMENT ON COLUMN dataops.runs.status IS 'queued (waiting for an earlier run of the pipeline), running, succeeded, failed or canceled';
COMMENT ON COLUMN dataops.runs.full_refresh IS 'Whether the run reloaded every file and rebuilt every target';
COMMENT ON COLUMN dataops.runs.triggered_by IS 'Role that started the run, followed by (pg_cron) when pg_cron started it';
COMMENT ON COLUMN dataops.runs.queued_at IS 'When the run was requested';
COMMENT ON COLUMN dataops.runs.started_at IS 'When the run started executing steps';
COMMENT ON COLUMN dataops.runs.finished_at IS 'When the run reached its final status';
COMMENT ON COLUMN dataops.runs.error_message IS 'Message of the error that failed the run';
COMMENT ON COLUMN dataops.runs.error_detail IS 'Detail and context of the error (file and line for ingestion errors)';
COMMENT ON COLUMN dataops.runs.error_sqlstate IS 'SQLSTATE of the error that failed the run';
COMMENT ON COLUMN dataops.runs.failed_step IS 'Step that failed';
COMMENT ON COLUMN dataops.runs.worker_pid IS 'Process id of the background worker that executed the run';

CREATE TABLE dataops.step_runs (
    run_id             bigint NOT NULL REFERENCES dataops.runs ON DELETE CASCADE,
    step               text NOT NULL,
    layer              text NOT NULL,
    target             text NOT NULL,
    status             text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'canceled', 'skipped')),
    rows_read          bigint,
    rows_written       bigint,
    duplicates_removed bigint,
    rows_quarantined   bigint,
    files_ingested     integer,
    files_skipped      integer,
    target_recreated   boolean NOT NULL DEFAULT false,
    started_at         timestamptz,
    finished_at        timestamptz,
    error_message      text,
    PRIMARY KEY (run_id, step)
);
COMMENT ON TABLE dataops.step_runs IS 'One row per step of each run, with its row counts';
COMMENT ON COLUMN dataops.step_runs.run_id IS 'Run the step belongs to';
COMMENT ON COLUMN dataops.step_runs.step IS 'Step name';
COMMENT ON COLUMN dataops.step_runs.layer IS 'Layer of the step';
COMMENT ON COLUMN dataops.step_runs.target IS 'Target relation, as schema.table';
COMMENT ON COLUMN dataops.step_runs.status IS 'succeeded, failed, canceled, or skipped (an earlier step failed)';
COMMENT ON COLUMN dataops.step_runs.rows_read IS 'Rows produced by the query, or read from the files for bronze';
COMMENT ON COLUMN dataops.step_runs.rows_written IS 'Rows published to the target';
COMMENT ON COLUMN dataops.step_runs.duplicates_removed IS 'Rows removed by unique_key deduplication';
COMMENT ON COLUMN dataops.step_runs.rows_quarantined IS 'Rows kept out of the target by drop expectations';
COMMENT ON COLUMN dataops.step_runs.files_ingested IS 'Bronze: files loaded by this run';
COMMENT ON COLUMN dataops.step_runs.files_skipped IS 'Bronze: files skipped because an earlier run loaded them';
COMMENT ON COLUMN dataops.step_runs.target_recreated IS 'Whether the target was dropped and recreated because the query''s columns changed';
COMMENT ON COLUMN dataops.step_runs.started_at IS 'When the step started';
COMMENT ON COLUMN dataops.step_runs.finished_at IS 'When the step finished';
COMMENT ON COLUMN dataops.step_runs.error_message IS 'Error that failed the step';

CREATE TABLE dataops.expectation_results (
    run_id                  bigint NOT NULL REFERENCES dataops.runs ON DELETE CASCADE,
    step                    text NOT NULL,
    expectation             text NOT NULL,
    kind                    text NOT NULL,
    action                  text NOT NULL,
    column_name             text,
    mostly                  float8 NOT NULL,
    element_count           bigint NOT NULL,
    missing_count           bigint,
    unexpected_count        bigint,
    unexpected_percent      float8,
    observed_value          jsonb,
    success                 boolean NOT NULL,
    partial_unexpected_list jsonb,
    checked_at              timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (run_id, step, expectation)
);
COMMENT ON TABLE dataops.expectation_results IS 'Result of every expectation in every run (Great Expectations BASIC result format)';
COMMENT ON COLUMN dataops.expectation_results.run_id IS 'Run that checked the expectation';
COMMENT ON COLUMN dataops.expectation_results.step IS 'Step whose rows were checked';
COMMENT ON COLUMN dataops.expectation_results.expectation IS 'Expectation name';
COMMENT ON COLUMN dataops.expectation_results.kind IS 'Expectation kind';
COMMENT ON COLUMN dataops.expectation_results.action IS 'warn, drop or fail';
COMMENT ON COLUMN dataops.expectation_results.column_name IS 'Column checked';
COMMENT ON COLUMN dataops.expectation_results.mostly IS 'Success threshold in effect';
COMMENT ON COLUMN dataops.expectation_results.element_count IS 'Rows checked';
COMMENT ON COLUMN dataops.expectation_results.missing_count IS 'Rows whose column is NULL (neither expected nor unexpected, except for not_null)';
COMMENT ON COLUMN dataops.expectation_results.unexpected_count IS 'Rows that failed the expectation';
COMMENT ON COLUMN dataops.expectation_results.unexpected_percent IS 'unexpected_count / (element_count - missing_count) * 100 (/ element_count for not_null and expression)';
COMMENT ON COLUMN dataops.expectation_results.observed_value IS 'Table-level kinds: the value observed (row count)';
COMMENT ON COLUMN dataops.expectation_results.success IS 'Whether at least mostly of the non-missing rows passed';
COMMENT ON COLUMN dataops.expectation_results.partial_unexpected_list IS 'Up to 20 unexpected values (Great Expectations partial_unexpected_list)';
COMMENT ON COLUMN dataops.expectation_results.checked_at IS 'When the result was recorded';

CREATE TABLE dataops.lineage (
    pipeline        text NOT NULL,
    step            text NOT NULL,
    source_relation text NOT NULL,
    source_column   text,
    target_relation text NOT NULL,
    target_column   text,
    run_id          bigint NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX lineage_step_idx ON dataops.lineage (pipeline, step);
CREATE INDEX lineage_target_idx ON dataops.lineage (target_relation);
COMMENT ON TABLE dataops.lineage IS 'Lineage of each step''s target, from its last successful run: table-level rows (NULL columns) and column-level rows';
COMMENT ON COLUMN dataops.lineage.pipeline IS 'Pipeline name';
COMMENT ON COLUMN dataops.lineage.step IS 'Step name';
COMMENT ON COLUMN dataops.lineage.source_relation IS 'Relation read, as schema.table (or the file path for bronze)';
COMMENT ON COLUMN dataops.lineage.source_column IS 'Column read (NULL on table-level rows)';
COMMENT ON COLUMN dataops.lineage.target_relation IS 'Target written, as schema.table';
COMMENT ON COLUMN dataops.lineage.target_column IS 'Column written (NULL on table-level rows)';
COMMENT ON COLUMN dataops.lineage.run_id IS 'Run that recorded the lineage';
COMMENT ON COLUMN dataops.lineage.recorded_at IS 'When the lineage was recorded';

CREATE TABLE dataops.ingested_files (
    target      text NOT NULL,
    path        text NOT NULL,
    size_bytes  bigint NOT NULL,
    sha256      text NOT NULL,
    rows_loaded bigint NOT NULL,
    run_id      bigint NOT NULL,
    ingested_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (target, path, size_bytes, sha256)
);
COMMENT ON TABLE dataops.ingested_files IS 'Files loaded into bronze targets; a file with the same path, size and hash is not loaded twice';
COMMENT ON COLUMN dataops.ingested_files.target IS 'Bronze target, as schema.table';
COMMENT ON COLUMN dataops.ingested_files.path IS 'Absolute path of the file';
COMMENT ON COLUMN dataops.ingested_files.size_bytes IS 'File size in bytes';
COMMENT ON COLUMN dataops.ingested_files.sha256 IS 'SHA-256 of the file contents, hex';
COMMENT ON COLUMN dataops.ingested_files.rows_loaded IS 'Rows loaded from the file';
COMMENT ON COLUMN dataops.ingested_files.run_id IS 'Run that loaded the file';
COMMENT ON COLUMN dataops.ingested_files.ingested_at IS 'When the file was loaded';

-- definitions and history survive pg_dump
SELECT pg_catalog.pg_extension_config_dump('dataops.pipelines', '');
SELECT pg_catalog.pg_extension_config_dump('dataops.steps', '');
SELECT pg_catalog.pg_extension_config_dump('dataops.expectations', '');
SELECT pg_catalog.pg_extension_config_dump('dataops.runs', '');
SELECT pg_catalog.pg_extension_config_dump('dataops.runs_run_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dataops.step_runs', '');
SELECT pg_catalog.pg_extension_config_dump('dataops.expectation_results', '');
SELECT pg_catalog.pg_extension_config_dump('dataops.lineage', '');
SELECT pg_catalog.pg_extension_config_dump('dataops.ingested_files', '');

-- Everyone may read the catalog; only dataops' functions write it.
GRANT USAGE ON SCHEMA dataops TO PUBLIC;
GRANT SELECT ON ALL TABLES IN SCHEMA dataops TO PUBLIC;

------------------------------------------------------------------------
-- Definition API
------------------------------------------------------------------------

CREATE FUNCTION dataops.create_pipeline(name text, description text DEFAULT NULL)
RETURNS void AS 'MODULE_PATHNAME', 'dataops_create_pipeline' LANGUAGE C;
COMMENT ON FUNCTION dataops.create_pipeline(text, text) IS
'Creates an empty pipeline owned by the current role';

CREATE FUNCTION dataops.drop_pipeline(name text)
RETURNS void AS 'MODULE_PATHNAME', 'dataops_drop_pipeline' LANGUAGE C;
COMMENT ON FUNCTION dataops.drop_pipeline(text) IS
'Removes a pipeline definition with its steps and expectations; target tables and run history stay';

CREATE FUNCTION dataops.add_step(pipeline text, name text, layer text, target text,
                                 query text DEFAULT NULL, source text DEFAULT NULL,
                                 unique_key text[] DEFAULT NULL, keep text DEFAULT NULL,
                                 options jsonb DEFAULT '{}')
RETURNS void AS 'MODULE_PATHNAME', 'dataops_add_step' LANGUAGE C;
COMMENT ON FUNCTION dataops.add_step(text, text, text, text, text, text, text[], text, jsonb) IS
'Adds a step: bronze reads CSV files (source) or a query; silver and gold publish one SELECT into target';

CREATE FUNCTION dataops.add_expectation(pipeline text, step text, name text, kind text,
                                        column_name text DEFAULT NULL, args jsonb DEFAULT '{}',
                                        action text DEFAULT 'warn', mostly float8 DEFAULT 1.0)
RETURNS void AS 'MODULE_PATHNAME', 'dataops_add_expectation' LANGUAGE C;
COMMENT ON FUNCTION dataops.add_expectation(text, text, text, text, text, jsonb, text, float8) IS
'Adds an expectation checked on a step''s rows before they are published';

------------------------------------------------------------------------
-- Running and scheduling
------------------------------------------------------------------------

CREATE FUNCTION dataops.run(pipeline text, full_refresh boolean DEFAULT false)
RETURNS bigint AS 'MODULE_PATHNAME', 'dataops_run' LANGUAGE C;
COMMENT ON FUNCTION dataops.run(text, boolean) IS
'Runs a pipeline in a background worker, waits for it and returns the run id; raises an error if the run fails';

CREATE FUNCTION dataops.schedule(pipeline text, schedule text)
RETURNS bigint AS 'MODULE_PATHNAME', 'dataops_schedule' LANGUAGE C;
COMMENT ON FUNCTION dataops.schedule(text, text) IS
'Schedules a pipeline with pg_cron (job dataops:<pipeline>) and returns the pg_cron job id';

CREATE FUNCTION dataops.unschedule(pipeline text)
RETURNS void AS 'MODULE_PATHNAME', 'dataops_unschedule' LANGUAGE C;
COMMENT ON FUNCTION dataops.unschedule(text) IS
'Removes the pg_cron job of a pipeline';

------------------------------------------------------------------------
-- Regular expressions (PCRE2) and expectation helpers
------------------------------------------------------------------------

CREATE FUNCTION dataops.regex_match(value text, pattern text)
RETURNS boolean AS 'MODULE_PATHNAME', 'dataops_regex_match'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataops.regex_match(text, text) IS
'True when the PCRE2 pattern matches somewhere in value (unanchored search, UTF-8, JIT-compiled and cached)';

CREATE FUNCTION dataops._sample_add(internal, text)
RETURNS internal AS 'MODULE_PATHNAME', 'dataops_sample_add' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION dataops._sample_add(internal, text) IS
'Transition function of dataops.unexpected_sample: keeps the first 20 values';
CREATE FUNCTION dataops._sample_final(internal)
RETURNS jsonb AS 'MODULE_PATHNAME', 'dataops_sample_final' LANGUAGE C PARALLEL SAFE;
COMMENT ON FUNCTION dataops._sample_final(internal) IS
'Final function of dataops.unexpected_sample: the kept values as a JSON array';
CREATE AGGREGATE dataops.unexpected_sample(text) (
    SFUNC = dataops._sample_add, STYPE = internal, FINALFUNC = dataops._sample_final
);
COMMENT ON AGGREGATE dataops.unexpected_sample(text) IS
'The first 20 values as a JSON array (Great Expectations partial_unexpected_list), in constant memory';

------------------------------------------------------------------------
-- Views
------------------------------------------------------------------------

CREATE VIEW dataops.last_runs AS
SELECT DISTINCT ON (r.pipeline)
       r.pipeline, r.run_id, r.status, r.started_at, r.finished_at,
       r.finished_at - r.started_at AS duration, r.failed_step, r.error_message
  FROM dataops.runs r
 ORDER BY r.pipeline, r.run_id DESC;
COMMENT ON VIEW dataops.last_runs IS 'The latest run of each pipeline';
COMMENT ON COLUMN dataops.last_runs.pipeline IS 'Pipeline name';
COMMENT ON COLUMN dataops.last_runs.run_id IS 'Latest run id';
COMMENT ON COLUMN dataops.last_runs.status IS 'Status of the latest run';
COMMENT ON COLUMN dataops.last_runs.started_at IS 'When it started';
COMMENT ON COLUMN dataops.last_runs.finished_at IS 'When it finished';
COMMENT ON COLUMN dataops.last_runs.duration IS 'finished_at - started_at';
COMMENT ON COLUMN dataops.last_runs.failed_step IS 'Step that failed, if any';
COMMENT ON COLUMN dataops.last_runs.error_message IS 'Error message, if any';
GRANT SELECT ON dataops.last_runs TO PUBLIC;
