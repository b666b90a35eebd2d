/* dataops 0.5.0 -> 0.6.0: PostgreSQL 15, 17 and 18 from one tree; an upgraded
 * install's catalog made identical to a fresh one (test/scripts/install_chain.sh) */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION dataops UPDATE TO '0.6.0'" to load this file. \quit

-- ===================================================================== the schema
-- Up to 0.4.0 the control file said schema = dataops: CREATE EXTENSION
-- created that schema outside the extension and recorded it as the
-- extension's own schema (pg_extension.extnamespace, with a dependency on
-- it).  Since 0.5.0 the control file says pg_catalog and a fresh install
-- creates the schema as a member (sql/install-header.sql), so DROP EXTENSION
-- removes it.  An install upgraded from 0.4.0 or earlier still had the old
-- arrangement, which also broke its dumps (pg_dump wrote CREATE EXTENSION
-- dataops WITH SCHEMA dataops, which today's control file refuses).  Give it
-- a fresh install's: the extension in pg_catalog (ALTER EXTENSION SET SCHEMA
-- is refused for a non-relocatable extension, hence the catalog update, as
-- CREATE EXTENSION would have written it; pg_catalog is pinned, so no
-- dependency on it is recorded) and the schema a member.  0.5.0's update
-- already refused a schema owned by a role that is neither a superuser nor
-- the installing role.
DO $$
DECLARE
    ext oid := (SELECT e.oid FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'dataops');
    nsp oid := (SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname OPERATOR(pg_catalog.=) 'dataops');
BEGIN
    IF (SELECT e.extnamespace FROM pg_catalog.pg_extension e WHERE e.oid OPERATOR(pg_catalog.=) ext)
       OPERATOR(pg_catalog.=) nsp THEN
        UPDATE pg_catalog.pg_extension e SET extnamespace = 'pg_catalog'::pg_catalog.regnamespace
         WHERE e.oid OPERATOR(pg_catalog.=) ext;
        DELETE FROM pg_catalog.pg_depend d
         WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
           AND d.objid OPERATOR(pg_catalog.=) ext
           AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass
           AND d.refobjid OPERATOR(pg_catalog.=) nsp
           AND d.deptype OPERATOR(pg_catalog.=) 'n';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                    WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass
                      AND d.objid OPERATOR(pg_catalog.=) nsp
                      AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
                      AND d.refobjid OPERATOR(pg_catalog.=) ext
                      AND d.deptype OPERATOR(pg_catalog.=) 'e') THEN
        ALTER EXTENSION dataops ADD SCHEMA dataops;
    END IF;
END $$;
COMMENT ON SCHEMA dataops IS
'dataops: pipeline definitions, run history, quality results and lineage, and the functions that manage them';

-- ===================================================================== stale comments
-- Comments written by earlier scripts that later versions contradicted.

-- 0.1.0 named only the CSV options; since 0.3.0 and 0.4.0 steps also take
-- run options and materialization options (src/api.c validate_options).
COMMENT ON COLUMN dataops.steps.options IS
'Step options (dataops.add_step): run options retries, retry_delay, timeout; for steps with a query, materialization options materialization (table, view, incremental, scd2), watermark, on_schema_change, track_columns, hard_deletes, keep_versions; for bronze steps that read files, CSV options header, delimiter, quote, escape, null, encoding, normalize_names';

-- 0.3.0 added step_timeout (the default timeout of the pipeline's steps).
COMMENT ON COLUMN dataops.pipelines.options IS
'Run options set with dataops.set_pipeline_option: timeout (interval, the whole run), step_timeout, retries and retry_delay (defaults for its steps), retry_on_crash (boolean)';
COMMENT ON FUNCTION dataops.set_pipeline_option(text, text, jsonb) IS
'Sets (or, with a NULL value, removes) a run option of a pipeline: timeout, step_timeout, retries, retry_delay, retry_on_crash';

-- 0.2.0 added SUMMARY and COMPLETE (column result_format).
COMMENT ON TABLE dataops.expectation_results IS
'Result of every expectation in every run and validation, in the Great Expectations result format named by result_format (BASIC, SUMMARY or COMPLETE)';

-- Nothing records skipped since 0.3.0: a step downstream of a failed one is
-- upstream_failed.  The value stays allowed for step runs recorded before.
COMMENT ON COLUMN dataops.step_runs.status IS
'running, succeeded, failed, timed_out (canceled past options.timeout), canceled, crashed (its worker or the server died), upstream_failed (a step it depends on failed); skipped only in step runs recorded by 0.1.0 and 0.2.0 (an earlier step failed)';

-- 0.3.0 added timed_out.
COMMENT ON COLUMN dataops.monitor_runs.status IS 'queued, running, succeeded, failed, canceled or timed_out';
COMMENT ON COLUMN dataops.monitor_runs.full_refresh IS
'Whether the run reloaded every file and rebuilt every target (incremental and scd2 ones from scratch)';

-- Validation runs record the pid of the backend that validated.
COMMENT ON COLUMN dataops.runs.worker_pid IS
'Process id of the scheduler that ran the run (for a validation run, of the backend that called dataops.validate)';

-- 0.5.0 names a job after the md5 of a pipeline name too long for pg_cron.
COMMENT ON FUNCTION dataops.schedule(text, text) IS
'Schedules a pipeline with pg_cron (job dataops:<pipeline>, or dataops:<md5 of the name> when that is longer than 63 bytes) and returns the pg_cron job id';

-- drop_pipeline also removes the pipeline's pg_cron job (since 0.1.0) and,
-- by cascade, its dependencies (0.3.0), incremental state and kept-version
-- records (0.4.0).
COMMENT ON FUNCTION dataops.drop_pipeline(text) IS
'Removes a pipeline definition with its steps, expectations, suite attachments, dependencies and pg_cron job; target tables, kept versions and run history stay';
