/* dataops 0.2.0 -> 0.3.0: orchestration: a run queue, a parallel DAG, retries, timeouts, events */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION dataops UPDATE TO '0.3.0'" to load this file. \quit

------------------------------------------------------------------------
-- Pipeline options and dependencies
------------------------------------------------------------------------

ALTER TABLE dataops.pipelines ADD COLUMN options jsonb NOT NULL DEFAULT '{}';
COMMENT ON COLUMN dataops.pipelines.options IS
'Run options set with dataops.set_pipeline_option: timeout (interval, the whole run), retries and retry_delay (defaults for its steps), retry_on_crash (boolean)';

CREATE TABLE dataops.pipeline_dependencies (
    pipeline   text NOT NULL REFERENCES dataops.pipelines (name) ON DELETE CASCADE,
    upstream   text NOT NULL REFERENCES dataops.pipelines (name) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pipeline, upstream),
    CHECK (pipeline <> upstream)
);
CREATE INDEX pipeline_dependencies_upstream_idx ON dataops.pipeline_dependencies (upstream);
COMMENT ON TABLE dataops.pipeline_dependencies IS
'Event-driven chaining: when a run of upstream succeeds, a run of pipeline is queued (dataops.add_dependency)';
COMMENT ON COLUMN dataops.pipeline_dependencies.pipeline IS 'Downstream pipeline, queued when upstream succeeds';
COMMENT ON COLUMN dataops.pipeline_dependencies.upstream IS 'Upstream pipeline';
COMMENT ON COLUMN dataops.pipeline_dependencies.created_at IS 'When the dependency was added';

------------------------------------------------------------------------
-- Runs: the queue
------------------------------------------------------------------------

ALTER TABLE dataops.runs DROP CONSTRAINT runs_status_check;
ALTER TABLE dataops.runs
    ADD CONSTRAINT runs_status_check
        CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'canceled', 'timed_out')),
    ADD COLUMN cancel_requested boolean NOT NULL DEFAULT false,
    ADD COLUMN not_before timestamptz,
    ADD COLUMN crash_count integer NOT NULL DEFAULT 0,
    ADD COLUMN upstream_run_id bigint;
COMMENT ON COLUMN dataops.runs.status IS
'queued (waiting for a slot), running, succeeded, failed, canceled, or timed_out (the pipeline''s timeout passed)';
COMMENT ON COLUMN dataops.runs.cancel_requested IS 'dataops.cancel() was called while the run was running';
COMMENT ON COLUMN dataops.runs.not_before IS
'A queued run does not start before this time (backoff after crashes of the server during the run)';
COMMENT ON COLUMN dataops.runs.crash_count IS
'Times the server crashed or restarted while this run was running (retry_on_crash requeues it with backoff)';
COMMENT ON COLUMN dataops.runs.upstream_run_id IS 'Run of an upstream pipeline whose success queued this run (dataops.add_dependency)';
COMMENT ON COLUMN dataops.runs.worker_pid IS 'Process id of the scheduler that ran the run';
CREATE INDEX runs_queue_idx ON dataops.runs (run_id) WHERE status = 'queued';
CREATE INDEX runs_finished_idx ON dataops.runs (finished_at);

------------------------------------------------------------------------
-- Step runs: one row per attempt
------------------------------------------------------------------------

ALTER TABLE dataops.step_runs DROP CONSTRAINT step_runs_status_check;
ALTER TABLE dataops.step_runs DROP CONSTRAINT step_runs_pkey;
ALTER TABLE dataops.step_runs
    ADD COLUMN attempt integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
    ADD COLUMN step_run_id bigserial UNIQUE,
    ADD COLUMN worker_pid integer,
    ADD COLUMN retry_at timestamptz,
    ADD PRIMARY KEY (run_id, step, attempt),
    ADD CONSTRAINT step_runs_status_check
        CHECK (status IN ('running', 'succeeded', 'failed', 'canceled', 'skipped',
                          'upstream_failed', 'timed_out', 'crashed'));
COMMENT ON COLUMN dataops.step_runs.status IS
'running, succeeded, failed, timed_out (canceled past options.timeout), canceled, crashed (its worker or the server died), upstream_failed (a step it depends on failed), skipped';
COMMENT ON COLUMN dataops.step_runs.attempt IS 'Attempt number, from 1; options.retries allows more';
COMMENT ON COLUMN dataops.step_runs.step_run_id IS 'Surrogate key handed to the step''s background worker';
COMMENT ON COLUMN dataops.step_runs.worker_pid IS 'Process id of the background worker that executed the attempt';
COMMENT ON COLUMN dataops.step_runs.retry_at IS 'A failed attempt that will be retried: when the next attempt starts';

------------------------------------------------------------------------
-- Events (Delta Live Tables' event log) and alerts (pg_notify)
------------------------------------------------------------------------

CREATE TABLE dataops.events (
    event_id bigserial PRIMARY KEY,
    at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    run_id   bigint,
    pipeline text,
    step     text,
    kind     text NOT NULL CHECK (kind IN ('run', 'step', 'definition')),
    status   text NOT NULL,
    details  jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX events_at_idx ON dataops.events (at);
CREATE INDEX events_run_idx ON dataops.events (run_id) WHERE run_id IS NOT NULL;
CREATE INDEX events_pipeline_idx ON dataops.events (pipeline, at);
COMMENT ON TABLE dataops.events IS
'Append-only event log: a row for every state change of a run or a step and for every definition change; each is also sent with pg_notify(''dataops'', ...)';
COMMENT ON COLUMN dataops.events.event_id IS 'Event number, increasing';
COMMENT ON COLUMN dataops.events.at IS 'When it happened';
COMMENT ON COLUMN dataops.events.run_id IS 'Run concerned (NULL for a definition change)';
COMMENT ON COLUMN dataops.events.pipeline IS 'Pipeline concerned';
COMMENT ON COLUMN dataops.events.step IS 'Step concerned (NULL for a run or pipeline event)';
COMMENT ON COLUMN dataops.events.kind IS 'run, step, or definition';
COMMENT ON COLUMN dataops.events.status IS
'The new status (run and step events) or the change (definition events: insert, update, delete)';
COMMENT ON COLUMN dataops.events.details IS
'Attempt, error, counts, retry time (run and step events); table and old and new rows (definition events)';

CREATE FUNCTION dataops._events_guard() RETURNS trigger
AS 'MODULE_PATHNAME', 'dataops_events_guard' LANGUAGE C;
COMMENT ON FUNCTION dataops._events_guard() IS
'Refuses UPDATE and DELETE on dataops.events, except by dataops'' own history retention';
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON dataops.events
    FOR EACH ROW EXECUTE FUNCTION dataops._events_guard();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON dataops.events
    FOR EACH STATEMENT EXECUTE FUNCTION dataops._events_guard();

CREATE FUNCTION dataops._emit_event(run_id bigint, pipeline text, step text, kind text, status text, details jsonb)
RETURNS bigint LANGUAGE sql AS $$
    WITH e AS (
        INSERT INTO dataops.events (run_id, pipeline, step, kind, status, details)
        VALUES ($1, $2, $3, $4, $5, coalesce($6, '{}'))
        RETURNING event_id, at, run_id, pipeline, step, kind, status, details)
    SELECT e.event_id FROM e,
           LATERAL pg_catalog.pg_notify('dataops', pg_catalog.jsonb_build_object(
               'event_id', e.event_id, 'at', e.at, 'run_id', e.run_id, 'pipeline', e.pipeline,
               'step', e.step, 'kind', e.kind, 'status', e.status, 'details', e.details)::text) AS n
$$;
COMMENT ON FUNCTION dataops._emit_event(bigint, text, text, text, text, jsonb) IS
'Appends an event and notifies channel dataops with its JSON (delivered when the transaction commits)';

CREATE FUNCTION dataops._definition_event() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    o jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
    n jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
    r jsonb := coalesce(n, o);
BEGIN
    PERFORM dataops._emit_event(NULL,
        CASE WHEN TG_TABLE_NAME = 'pipelines' THEN r->>'name' ELSE r->>'pipeline' END,
        CASE WHEN TG_TABLE_NAME IN ('steps') THEN r->>'name'
             WHEN TG_TABLE_NAME IN ('expectations', 'step_suites') THEN r->>'step' END,
        'definition', lower(TG_OP),
        jsonb_build_object('table', TG_TABLE_NAME, 'old', o, 'new', n));
    RETURN NULL;
END $$;
COMMENT ON FUNCTION dataops._definition_event() IS
'Trigger: records a definition change (pipelines, steps, expectations, suites, dependencies) as an event';
CREATE TRIGGER pipelines_event AFTER INSERT OR UPDATE OR DELETE ON dataops.pipelines
    FOR EACH ROW EXECUTE FUNCTION dataops._definition_event();
CREATE TRIGGER steps_event AFTER INSERT OR UPDATE OR DELETE ON dataops.steps
    FOR EACH ROW EXECUTE FUNCTION dataops._definition_event();
CREATE TRIGGER expectations_event AFTER INSERT OR UPDATE OR DELETE ON dataops.expectations
    FOR EACH ROW EXECUTE FUNCTION dataops._definition_event();
CREATE TRIGGER suites_event AFTER INSERT OR UPDATE OR DELETE ON dataops.suites
    FOR EACH ROW EXECUTE FUNCTION dataops._definition_event();
CREATE TRIGGER suite_expectations_event AFTER INSERT OR UPDATE OR DELETE ON dataops.suite_expectations
    FOR EACH ROW EXECUTE FUNCTION dataops._definition_event();
CREATE TRIGGER step_suites_event AFTER INSERT OR UPDATE OR DELETE ON dataops.step_suites
    FOR EACH ROW EXECUTE FUNCTION dataops._definition_event();
CREATE TRIGGER pipeline_dependencies_event AFTER INSERT OR UPDATE OR DELETE ON dataops.pipeline_dependencies
    FOR EACH ROW EXECUTE FUNCTION dataops._definition_event();

------------------------------------------------------------------------
-- Runs: asynchronous API
------------------------------------------------------------------------

CREATE FUNCTION dataops.start_run(pipeline text, full_refresh boolean DEFAULT false)
RETURNS bigint AS 'MODULE_PATHNAME', 'dataops_start_run' LANGUAGE C;
COMMENT ON FUNCTION dataops.start_run(text, boolean) IS
'Queues a run of the pipeline and returns its run id at once (status queued); the scheduler starts it when the caps allow';

CREATE FUNCTION dataops.wait(run_id bigint, timeout interval DEFAULT NULL)
RETURNS text AS 'MODULE_PATHNAME', 'dataops_wait' LANGUAGE C;
COMMENT ON FUNCTION dataops.wait(bigint, interval) IS
'Waits until the run reaches a final status and returns it; after timeout, returns the current status';

CREATE FUNCTION dataops.cancel(run_id bigint)
RETURNS boolean AS 'MODULE_PATHNAME', 'dataops_cancel' LANGUAGE C;
COMMENT ON FUNCTION dataops.cancel(bigint) IS
'Cancels a queued or running run (its running steps are canceled and recorded canceled); false if it had already finished';

CREATE FUNCTION dataops.set_pipeline_option(pipeline text, key text, value jsonb)
RETURNS void AS 'MODULE_PATHNAME', 'dataops_set_pipeline_option' LANGUAGE C;
COMMENT ON FUNCTION dataops.set_pipeline_option(text, text, jsonb) IS
'Sets (or, with a NULL value, removes) a run option of a pipeline: timeout, retries, retry_delay, retry_on_crash';

CREATE FUNCTION dataops.add_dependency(pipeline text, upstream text)
RETURNS void AS 'MODULE_PATHNAME', 'dataops_add_dependency' LANGUAGE C;
COMMENT ON FUNCTION dataops.add_dependency(text, text) IS
'Queues a run of pipeline whenever a run of upstream succeeds; refuses cycles';

CREATE FUNCTION dataops.drop_dependency(pipeline text, upstream text)
RETURNS void AS 'MODULE_PATHNAME', 'dataops_drop_dependency' LANGUAGE C;
COMMENT ON FUNCTION dataops.drop_dependency(text, text) IS 'Removes a dependency added with dataops.add_dependency';

GRANT SELECT ON dataops.events, dataops.pipeline_dependencies TO PUBLIC;

ALTER TABLE dataops.step_runs
    ADD COLUMN error_detail text,
    ADD COLUMN error_sqlstate text;
COMMENT ON COLUMN dataops.step_runs.error_detail IS 'Detail, hint and context of the attempt''s error';
COMMENT ON COLUMN dataops.step_runs.error_sqlstate IS 'SQLSTATE of the attempt''s error';

ALTER TABLE dataops.expectation_results DROP CONSTRAINT expectation_results_pkey;
ALTER TABLE dataops.expectation_results
    ADD COLUMN attempt integer NOT NULL DEFAULT 1,
    ADD PRIMARY KEY (run_id, step, expectation, attempt);
COMMENT ON COLUMN dataops.expectation_results.attempt IS 'Attempt of the step run that checked the rows (1 for validations)';

SELECT pg_catalog.pg_extension_config_dump('dataops.pipeline_dependencies', '');
SELECT pg_catalog.pg_extension_config_dump('dataops.events', '');
SELECT pg_catalog.pg_extension_config_dump('dataops.events_event_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dataops.step_runs_step_run_id_seq', '');

------------------------------------------------------------------------
-- Schedules: each pipeline's pg_cron job with its last and next run
------------------------------------------------------------------------

CREATE FUNCTION dataops.cron_next(schedule text, after timestamptz)
RETURNS timestamptz AS 'MODULE_PATHNAME', 'dataops_cron_next'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataops.cron_next(text, timestamptz) IS
'The first time strictly after "after" at which pg_cron would start a job with this schedule (five cron fields, a macro such as @daily, or ''N seconds''), read in cron.timezone, else GMT; NULL if nothing matches within five years';

-- pg_cron is optional, so cron.job and cron.job_run_details are read with
-- dynamic SQL: without pg_cron (or without the privileges to read its
-- tables) this returns no rows instead of failing.
CREATE FUNCTION dataops._schedules(
    OUT pipeline text, OUT jobid bigint, OUT schedule text, OUT active boolean,
    OUT username text, OUT last_start timestamptz, OUT last_status text,
    OUT last_end timestamptz, OUT next_run timestamptz)
RETURNS SETOF record
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    cron_schema oid := to_regnamespace('cron');
    last_run text := 'NULL::timestamptz, NULL::text, NULL::timestamptz';
    last_join text := '';
BEGIN
    IF cron_schema IS NULL OR NOT has_schema_privilege(cron_schema, 'USAGE')
       OR to_regclass('cron.job') IS NULL
       OR NOT has_table_privilege('cron.job', 'SELECT') THEN
        RETURN;
    END IF;
    IF to_regclass('cron.job_run_details') IS NOT NULL
       AND has_table_privilege('cron.job_run_details', 'SELECT') THEN
        last_run := 'd.start_time, d.status, d.end_time';
        last_join := 'LEFT JOIN LATERAL (SELECT r.start_time, r.status, r.end_time
                                           FROM cron.job_run_details r
                                          WHERE r.jobid = j.jobid
                                          ORDER BY r.runid DESC LIMIT 1) d ON true';
    END IF;

    -- pg_cron's jobname is of type name: compare as name, so a job name
    -- truncated to 63 bytes still matches its pipeline
    FOR pipeline, jobid, schedule, active, username, last_start, last_status, last_end IN EXECUTE
        format('SELECT p.name, j.jobid, j.schedule, j.active, j.username::text, %s
                  FROM dataops.pipelines p
                  JOIN cron.job j ON j.jobname = (''dataops:'' || p.name)::name
                  %s
                 ORDER BY p.name, j.jobid', last_run, last_join)
    LOOP
        next_run := NULL;
        IF active THEN
            BEGIN
                next_run := dataops.cron_next(schedule, now());
            EXCEPTION WHEN invalid_parameter_value THEN
                -- a schedule pg_cron took but cron_next cannot read
                next_run := NULL;
            END;
        END IF;
        RETURN NEXT;
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION dataops._schedules() IS
'Rows of the view dataops.schedules: reads cron.job and cron.job_run_details when pg_cron is installed and readable, else returns no rows';

CREATE VIEW dataops.schedules AS SELECT * FROM dataops._schedules();
COMMENT ON VIEW dataops.schedules IS
'Each pipeline''s pg_cron job (dataops.schedule) with its last and next run; empty without pg_cron, and, as pg_cron''s row security has it, only the current role''s jobs unless it is a superuser';
COMMENT ON COLUMN dataops.schedules.pipeline IS 'Pipeline name';
COMMENT ON COLUMN dataops.schedules.jobid IS 'pg_cron job id (cron.job.jobid); the job is named dataops:<pipeline>';
COMMENT ON COLUMN dataops.schedules.schedule IS 'pg_cron schedule of the job, as given to dataops.schedule()';
COMMENT ON COLUMN dataops.schedules.active IS 'Whether pg_cron runs the job (cron.job.active)';
COMMENT ON COLUMN dataops.schedules.username IS 'Role the job runs as';
COMMENT ON COLUMN dataops.schedules.last_start IS 'When pg_cron last started the job (newest cron.job_run_details row), NULL if never';
COMMENT ON COLUMN dataops.schedules.last_status IS 'Status pg_cron recorded for that run: starting, running, sending, connecting, succeeded or failed';
COMMENT ON COLUMN dataops.schedules.last_end IS 'When that run ended, NULL while it runs';
COMMENT ON COLUMN dataops.schedules.next_run IS
'dataops.cron_next(schedule, now()): when pg_cron will next start the job; NULL when the job is inactive, for @reboot, or when nothing matches within five years';
GRANT SELECT ON dataops.schedules TO PUBLIC;
