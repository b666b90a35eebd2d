/* dataops 0.4.0 -> 0.5.0: safe on a shared server (issue: security and backups) */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION dataops UPDATE TO '0.5.0'" to load this file. \quit

-- ===================================================================== catalog
-- (history visibility, audit, dump and restore)

-- The schema holds only dataops' own objects: a dataops schema that some
-- other role owns (created before the extension) could let that role drop
-- or replace them (a schema's owner may drop any object in it).
DO $$
DECLARE
    o oid;
BEGIN
    SELECT n.nspowner INTO o FROM pg_catalog.pg_namespace n
     WHERE n.nspname OPERATOR(pg_catalog.=) 'dataops';
    IF o IS NOT NULL AND NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) o)
       AND o OPERATOR(pg_catalog.<>) (SELECT r.oid FROM pg_catalog.pg_roles r
                                       WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
        RAISE EXCEPTION 'schema "dataops" is owned by role "%", not by a superuser', pg_catalog.pg_get_userbyid(o)
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'The owner of a schema may drop or replace every object in it, including dataops'' catalog and functions.',
                  HINT = 'Drop or rename that schema (or make a superuser its owner), then create the extension again.';
    END IF;
END $$;

-- Who made a change: the role dataops' catalog code acts for, NULL outside
-- it (read by the triggers below; set by catalog.c around each statement).
CREATE FUNCTION dataops._catalog_caller() RETURNS name
AS 'MODULE_PATHNAME', 'dataops_catalog_caller' LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION dataops._catalog_caller() IS
'The role on whose behalf dataops is writing its catalog (the caller of the API function), NULL when dataops is not writing it (a restore, a superuser''s own statement)';

-- Owners of history rows, so that row-level security can show each role the
-- history of the pipelines it owns (or is a member of the owner of).
ALTER TABLE dataops.runs ADD COLUMN owner name;
COMMENT ON COLUMN dataops.runs.owner IS
'Role the run belongs to: the pipeline''s owner, or the role that called dataops.validate(); only its members (and superusers) see the run';
UPDATE dataops.runs r SET owner = p.owner FROM dataops.pipelines p
 WHERE r.pipeline OPERATOR(pg_catalog.=) p.name AND r.owner IS NULL;
UPDATE dataops.runs r SET owner = pg_catalog.split_part(r.triggered_by, ' ', 1)
 WHERE r.owner IS NULL AND r.kind OPERATOR(pg_catalog.=) 'validation';

ALTER TABLE dataops.events
    ADD COLUMN owner name,
    ADD COLUMN session_role name,
    ADD COLUMN acting_role name;
COMMENT ON COLUMN dataops.events.owner IS
'Role the event belongs to (the pipeline''s or the run''s owner); only its members (and superusers) see the event';
COMMENT ON COLUMN dataops.events.session_role IS 'session_user of the session that caused the event';
COMMENT ON COLUMN dataops.events.acting_role IS
'The role dataops acted for when it wrote the event: for definition events, the role that called the dataops function (current_user then); for run and step events, the role of the process that recorded them';
-- (the append-only guard lets no UPDATE through: set it aside for the backfill)
ALTER TABLE dataops.events DISABLE TRIGGER events_append_only;
UPDATE dataops.events e SET owner = p.owner FROM dataops.pipelines p
 WHERE e.pipeline OPERATOR(pg_catalog.=) p.name AND e.owner IS NULL;
UPDATE dataops.events e SET owner = r.owner FROM dataops.runs r
 WHERE e.run_id OPERATOR(pg_catalog.=) r.run_id AND e.owner IS NULL;
ALTER TABLE dataops.events ENABLE TRIGGER events_append_only;

CREATE FUNCTION dataops._runs_owner() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NEW.owner IS NULL THEN
        IF NEW.kind OPERATOR(pg_catalog.=) 'pipeline' THEN
            NEW.owner := (SELECT p.owner FROM dataops.pipelines p WHERE p.name OPERATOR(pg_catalog.=) NEW.pipeline);
        END IF;
        NEW.owner := coalesce(NEW.owner, dataops._catalog_caller(), session_user);
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION dataops._runs_owner() IS
'Trigger: records the owner of a new run (its pipeline''s owner, or the role that validates), unless given (a restore)';
CREATE TRIGGER runs_owner BEFORE INSERT ON dataops.runs
    FOR EACH ROW EXECUTE FUNCTION dataops._runs_owner();

-- Events: the owner and the roles that caused them; the notification carries
-- no content (only the event's number, kind and status): a listener reads the
-- event from dataops.events, where row-level security applies, and a
-- forged NOTIFY names no event it can read.
CREATE OR REPLACE FUNCTION dataops._emit_event(run_id bigint, pipeline text, step text, kind text, status text, details jsonb)
RETURNS bigint LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    WITH e AS (
        INSERT INTO dataops.events (run_id, pipeline, step, kind, status, details, owner, session_role, acting_role)
        VALUES ($1, $2, $3, $4, $5, coalesce($6, '{}'),
                coalesce((SELECT r.owner FROM dataops.runs r WHERE r.run_id OPERATOR(pg_catalog.=) $1),
                         (SELECT p.owner FROM dataops.pipelines p WHERE p.name OPERATOR(pg_catalog.=) $2),
                         dataops._catalog_caller()),
                session_user, dataops._catalog_caller())
        RETURNING event_id, run_id, kind, status)
    SELECT e.event_id FROM e,
           LATERAL pg_catalog.pg_notify('dataops', pg_catalog.jsonb_build_object(
               'event_id', e.event_id, 'run_id', e.run_id, 'kind', e.kind, 'status', e.status)::text) AS n
$$;
COMMENT ON FUNCTION dataops._emit_event(bigint, text, text, text, text, jsonb) IS
'Appends an event and notifies channel dataops with its number, run, kind and status (delivered when the transaction commits); the rest is read from dataops.events';

-- Definition events are written only for changes dataops itself makes: a
-- restore (pg_dump's COPY into the catalog) or a superuser's direct
-- statement is not a definition change, and must not append events that
-- collide with the restored ones.
CREATE OR REPLACE FUNCTION dataops._definition_event() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    o jsonb;
    n jsonb;
    r jsonb;
BEGIN
    IF dataops._catalog_caller() IS NULL THEN
        RETURN NULL;
    END IF;
    o := CASE WHEN TG_OP OPERATOR(pg_catalog.<>) 'INSERT' THEN pg_catalog.to_jsonb(OLD) END;
    n := CASE WHEN TG_OP OPERATOR(pg_catalog.<>) 'DELETE' THEN pg_catalog.to_jsonb(NEW) END;
    r := coalesce(n, o);
    PERFORM dataops._emit_event(NULL,
        CASE WHEN TG_TABLE_NAME OPERATOR(pg_catalog.=) 'pipelines' THEN r OPERATOR(pg_catalog.->>) 'name'
             ELSE r OPERATOR(pg_catalog.->>) 'pipeline' END,
        CASE WHEN TG_TABLE_NAME OPERATOR(pg_catalog.=) 'steps' THEN r OPERATOR(pg_catalog.->>) 'name'
             WHEN TG_TABLE_NAME IN ('expectations', 'step_suites') THEN r OPERATOR(pg_catalog.->>) 'step' END,
        'definition', pg_catalog.lower(TG_OP),
        pg_catalog.jsonb_build_object('table', TG_TABLE_NAME, 'old', o, 'new', n));
    RETURN NULL;
END $$;

-- Schedules are identified by the pg_cron job id dataops.schedule() got
-- (pg_cron's jobname is a name, 63 bytes: two long pipeline names could
-- share a truncated one).
ALTER TABLE dataops.pipelines ADD COLUMN cron_jobid bigint;
COMMENT ON COLUMN dataops.pipelines.cron_jobid IS
'pg_cron job id (cron.job.jobid) of the pipeline''s schedule (dataops.schedule), NULL when it has none';

CREATE OR REPLACE FUNCTION dataops._schedules(
    OUT pipeline text, OUT jobid bigint, OUT schedule text, OUT active boolean,
    OUT username text, OUT last_start timestamptz, OUT last_status text,
    OUT last_end timestamptz, OUT next_run timestamptz)
RETURNS SETOF record
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    cron_schema oid := pg_catalog.to_regnamespace('cron');
    last_run text := 'NULL::timestamptz, NULL::text, NULL::timestamptz';
    last_join text := '';
BEGIN
    IF cron_schema IS NULL OR NOT pg_catalog.has_schema_privilege(cron_schema, 'USAGE')
       OR pg_catalog.to_regclass('cron.job') IS NULL
       OR NOT pg_catalog.has_table_privilege('cron.job', 'SELECT') THEN
        RETURN;
    END IF;
    IF pg_catalog.to_regclass('cron.job_run_details') IS NOT NULL
       AND pg_catalog.has_table_privilege('cron.job_run_details', 'SELECT') THEN
        last_run := 'd.start_time, d.status, d.end_time';
        last_join := 'LEFT JOIN LATERAL (SELECT r.start_time, r.status, r.end_time
                                           FROM cron.job_run_details r
                                          WHERE r.jobid OPERATOR(pg_catalog.=) j.jobid
                                          ORDER BY r.runid DESC LIMIT 1) d ON true';
    END IF;

    FOR pipeline, jobid, schedule, active, username, last_start, last_status, last_end IN EXECUTE
        pg_catalog.format('SELECT p.name, j.jobid, j.schedule, j.active, j.username::text, %s
                  FROM dataops.pipelines p
                  JOIN cron.job j ON j.jobid OPERATOR(pg_catalog.=) p.cron_jobid
                  %s
                 ORDER BY p.name, j.jobid', last_run, last_join)
    LOOP
        next_run := NULL;
        IF active THEN
            BEGIN
                next_run := dataops.cron_next(schedule, pg_catalog.now());
            EXCEPTION WHEN invalid_parameter_value THEN
                -- a schedule pg_cron took but cron_next cannot read
                next_run := NULL;
            END;
        END IF;
        RETURN NEXT;
    END LOOP;
END
$fn$;
COMMENT ON COLUMN dataops.schedules.jobid IS
'pg_cron job id (cron.job.jobid, recorded in dataops.pipelines.cron_jobid); the job is named dataops:<pipeline>, or dataops:<md5 of the name> when that is longer than 63 bytes';

-- Row-level security: every role may read the catalog, and sees the rows of
-- the pipelines (and runs, events) whose owner it is a member of; superusers
-- and the extension's owner (dataops' own catalog code) see every row.
-- Suites are shared definitions: readable by all, as before.
ALTER TABLE dataops.pipelines ENABLE ROW LEVEL SECURITY;
CREATE POLICY pipelines_visible ON dataops.pipelines FOR SELECT
    USING (EXISTS (SELECT 1 FROM pg_catalog.pg_roles o
                    WHERE o.rolname OPERATOR(pg_catalog.=) owner
                      AND pg_catalog.pg_has_role(o.oid, 'USAGE')));
ALTER TABLE dataops.runs ENABLE ROW LEVEL SECURITY;
CREATE POLICY runs_visible ON dataops.runs FOR SELECT
    USING (EXISTS (SELECT 1 FROM pg_catalog.pg_roles o
                    WHERE o.rolname OPERATOR(pg_catalog.=) owner
                      AND pg_catalog.pg_has_role(o.oid, 'USAGE')));
ALTER TABLE dataops.events ENABLE ROW LEVEL SECURITY;
CREATE POLICY events_visible ON dataops.events FOR SELECT
    USING (EXISTS (SELECT 1 FROM pg_catalog.pg_roles o
                    WHERE o.rolname OPERATOR(pg_catalog.=) owner
                      AND pg_catalog.pg_has_role(o.oid, 'USAGE'))
           OR (owner IS NULL AND details OPERATOR(pg_catalog.->>) 'table' IN ('suites', 'suite_expectations')));

ALTER TABLE dataops.steps ENABLE ROW LEVEL SECURITY;
CREATE POLICY steps_visible ON dataops.steps FOR SELECT
    USING (EXISTS (SELECT 1 FROM dataops.pipelines p WHERE p.name OPERATOR(pg_catalog.=) pipeline));
ALTER TABLE dataops.expectations ENABLE ROW LEVEL SECURITY;
CREATE POLICY expectations_visible ON dataops.expectations FOR SELECT
    USING (EXISTS (SELECT 1 FROM dataops.pipelines p WHERE p.name OPERATOR(pg_catalog.=) pipeline));
ALTER TABLE dataops.step_suites ENABLE ROW LEVEL SECURITY;
CREATE POLICY step_suites_visible ON dataops.step_suites FOR SELECT
    USING (EXISTS (SELECT 1 FROM dataops.pipelines p WHERE p.name OPERATOR(pg_catalog.=) pipeline));
ALTER TABLE dataops.pipeline_dependencies ENABLE ROW LEVEL SECURITY;
CREATE POLICY pipeline_dependencies_visible ON dataops.pipeline_dependencies FOR SELECT
    USING (EXISTS (SELECT 1 FROM dataops.pipelines p WHERE p.name OPERATOR(pg_catalog.=) pipeline));
ALTER TABLE dataops.step_state ENABLE ROW LEVEL SECURITY;
CREATE POLICY step_state_visible ON dataops.step_state FOR SELECT
    USING (EXISTS (SELECT 1 FROM dataops.pipelines p WHERE p.name OPERATOR(pg_catalog.=) pipeline));
ALTER TABLE dataops.table_versions ENABLE ROW LEVEL SECURITY;
CREATE POLICY table_versions_visible ON dataops.table_versions FOR SELECT
    USING (EXISTS (SELECT 1 FROM dataops.pipelines p WHERE p.name OPERATOR(pg_catalog.=) pipeline));

ALTER TABLE dataops.step_runs ENABLE ROW LEVEL SECURITY;
CREATE POLICY step_runs_visible ON dataops.step_runs FOR SELECT
    USING (EXISTS (SELECT 1 FROM dataops.runs r WHERE r.run_id OPERATOR(pg_catalog.=) run_id));
ALTER TABLE dataops.expectation_results ENABLE ROW LEVEL SECURITY;
CREATE POLICY expectation_results_visible ON dataops.expectation_results FOR SELECT
    USING (EXISTS (SELECT 1 FROM dataops.runs r WHERE r.run_id OPERATOR(pg_catalog.=) run_id));
ALTER TABLE dataops.lineage ENABLE ROW LEVEL SECURITY;
CREATE POLICY lineage_visible ON dataops.lineage FOR SELECT
    USING (EXISTS (SELECT 1 FROM dataops.runs r WHERE r.run_id OPERATOR(pg_catalog.=) run_id));
ALTER TABLE dataops.ingested_files ENABLE ROW LEVEL SECURITY;
CREATE POLICY ingested_files_visible ON dataops.ingested_files FOR SELECT
    USING (EXISTS (SELECT 1 FROM dataops.runs r WHERE r.run_id OPERATOR(pg_catalog.=) run_id));

-- Views over the catalog read it with the reader's rights (so its policies apply).
ALTER VIEW dataops.last_runs SET (security_invoker = true);
ALTER VIEW dataops.step_expectations SET (security_invoker = true);
ALTER VIEW dataops.versions SET (security_invoker = true);
ALTER VIEW dataops.schedules SET (security_invoker = true);

-- Monitoring: statuses, timings and counts of every pipeline, without
-- queries, error texts or sample values, for roles granted pg_monitor (or
-- SELECT on these views).  They read the catalog with the extension owner's
-- rights, so they show every pipeline.
CREATE VIEW dataops.monitor_runs AS
SELECT r.run_id, r.kind, r.pipeline, r.owner, r.status, r.full_refresh, r.queued_at, r.started_at,
       r.finished_at, r.finished_at OPERATOR(pg_catalog.-) r.started_at AS duration,
       r.failed_step, r.error_sqlstate
  FROM dataops.runs r;
COMMENT ON VIEW dataops.monitor_runs IS
'Every run of every pipeline (statuses, timings, the failed step and SQLSTATE; no error texts), for monitoring roles (pg_monitor)';
COMMENT ON COLUMN dataops.monitor_runs.run_id IS 'Run';
COMMENT ON COLUMN dataops.monitor_runs.kind IS 'pipeline or validation';
COMMENT ON COLUMN dataops.monitor_runs.pipeline IS 'Pipeline';
COMMENT ON COLUMN dataops.monitor_runs.owner IS 'Owner of the run';
COMMENT ON COLUMN dataops.monitor_runs.status IS 'queued, running, succeeded, failed or canceled';
COMMENT ON COLUMN dataops.monitor_runs.full_refresh IS 'Whether the run rebuilt incremental targets';
COMMENT ON COLUMN dataops.monitor_runs.queued_at IS 'When the run was queued';
COMMENT ON COLUMN dataops.monitor_runs.started_at IS 'When the run started';
COMMENT ON COLUMN dataops.monitor_runs.finished_at IS 'When the run finished';
COMMENT ON COLUMN dataops.monitor_runs.duration IS 'finished_at - started_at';
COMMENT ON COLUMN dataops.monitor_runs.failed_step IS 'Step whose failure failed the run';
COMMENT ON COLUMN dataops.monitor_runs.error_sqlstate IS 'SQLSTATE of the run''s error';

CREATE VIEW dataops.monitor_step_runs AS
SELECT s.run_id, r.pipeline, s.step, s.attempt, s.layer, s.status, s.started_at, s.finished_at,
       s.rows_read, s.rows_written, s.duplicates_removed, s.rows_quarantined,
       s.files_ingested, s.files_skipped, s.error_sqlstate
  FROM dataops.step_runs s
  JOIN dataops.runs r ON r.run_id OPERATOR(pg_catalog.=) s.run_id;
COMMENT ON VIEW dataops.monitor_step_runs IS
'Every step run of every pipeline (statuses, timings, row counts; no error texts), for monitoring roles (pg_monitor)';
COMMENT ON COLUMN dataops.monitor_step_runs.run_id IS 'Run';
COMMENT ON COLUMN dataops.monitor_step_runs.pipeline IS 'Pipeline';
COMMENT ON COLUMN dataops.monitor_step_runs.step IS 'Step';
COMMENT ON COLUMN dataops.monitor_step_runs.attempt IS 'Attempt';
COMMENT ON COLUMN dataops.monitor_step_runs.layer IS 'bronze, silver or gold';
COMMENT ON COLUMN dataops.monitor_step_runs.status IS 'Status of the attempt';
COMMENT ON COLUMN dataops.monitor_step_runs.started_at IS 'When the attempt started';
COMMENT ON COLUMN dataops.monitor_step_runs.finished_at IS 'When the attempt finished';
COMMENT ON COLUMN dataops.monitor_step_runs.rows_read IS 'Rows read';
COMMENT ON COLUMN dataops.monitor_step_runs.rows_written IS 'Rows published';
COMMENT ON COLUMN dataops.monitor_step_runs.duplicates_removed IS 'Duplicate rows removed';
COMMENT ON COLUMN dataops.monitor_step_runs.rows_quarantined IS 'Rows moved to quarantine';
COMMENT ON COLUMN dataops.monitor_step_runs.files_ingested IS 'Files loaded (bronze)';
COMMENT ON COLUMN dataops.monitor_step_runs.files_skipped IS 'Files skipped as already loaded (bronze)';
COMMENT ON COLUMN dataops.monitor_step_runs.error_sqlstate IS 'SQLSTATE of the attempt''s error';

CREATE VIEW dataops.monitor_expectation_results AS
SELECT e.run_id, r.pipeline, e.step, e.attempt, e.expectation, e.kind, e.action, e.success,
       e.element_count, e.missing_count, e.unexpected_count, e.unexpected_percent, e.checked_at
  FROM dataops.expectation_results e
  JOIN dataops.runs r ON r.run_id OPERATOR(pg_catalog.=) e.run_id;
COMMENT ON VIEW dataops.monitor_expectation_results IS
'Every expectation result (success and counts; no sample values or observed values), for monitoring roles (pg_monitor)';
COMMENT ON COLUMN dataops.monitor_expectation_results.run_id IS 'Run';
COMMENT ON COLUMN dataops.monitor_expectation_results.pipeline IS 'Pipeline (NULL for a validation)';
COMMENT ON COLUMN dataops.monitor_expectation_results.step IS 'Step (the relation for a validation)';
COMMENT ON COLUMN dataops.monitor_expectation_results.attempt IS 'Attempt';
COMMENT ON COLUMN dataops.monitor_expectation_results.expectation IS 'Expectation';
COMMENT ON COLUMN dataops.monitor_expectation_results.kind IS 'Kind';
COMMENT ON COLUMN dataops.monitor_expectation_results.action IS 'warn, drop or fail';
COMMENT ON COLUMN dataops.monitor_expectation_results.success IS 'Whether the expectation was met';
COMMENT ON COLUMN dataops.monitor_expectation_results.element_count IS 'Rows checked';
COMMENT ON COLUMN dataops.monitor_expectation_results.missing_count IS 'NULL values';
COMMENT ON COLUMN dataops.monitor_expectation_results.unexpected_count IS 'Values that failed';
COMMENT ON COLUMN dataops.monitor_expectation_results.unexpected_percent IS 'Share of failed values, in percent';
COMMENT ON COLUMN dataops.monitor_expectation_results.checked_at IS 'When the rows were checked';

REVOKE ALL ON dataops.monitor_runs, dataops.monitor_step_runs, dataops.monitor_expectation_results FROM PUBLIC;
GRANT SELECT ON dataops.monitor_runs, dataops.monitor_step_runs, dataops.monitor_expectation_results TO pg_monitor;


-- ===================================================================== files and regex
-- (the checks themselves are in C: src/ingest.c, src/regex.c, src/api.c)

COMMENT ON FUNCTION dataops.add_step(text, text, text, text, text, text, text[], text, jsonb) IS
'Adds a step: bronze reads CSV files (source: a path or glob, read by the server as the pipeline owner, who needs the privileges of pg_read_server_files) or a query; silver and gold publish one SELECT into target';

COMMENT ON FUNCTION dataops.regex_match(text, text) IS
'True when the PCRE2 pattern matches somewhere in value (unanchored search, UTF-8, JIT-compiled and cached); at most 1,000,000 backtracking steps per start position and 10 s per value, else error 54001';

COMMENT ON FUNCTION dataops.regex_match(text, text, text) IS
'True when the PCRE2 pattern matches somewhere in value; flags: i (case-insensitive), m (multiline), s (dot matches newline), x (extended); limits as regex_match(text, text)';

COMMENT ON FUNCTION dataops.regex_extract(text, text, integer) IS
'Text matched by capture group grp (0: the whole match) of the first PCRE2 match in value; NULL when nothing matches or the group took no part; limits as regex_match';

COMMENT ON FUNCTION dataops.regex_replace(text, text, text) IS
'value with every PCRE2 match of pattern replaced by replacement ($1, ${name} refer to groups); limits as regex_match, for all the matches together';

-- ===================================================================== orchestration
-- The run path's fixes are in C (catalog reads with search_path pinned, the
-- access check before anything else, cancel escalation, fair admission, the
-- per-owner cap, run() canceled with its caller); the comments say what the
-- functions now guarantee.  Settings: dataops.cancel_grace_period,
-- dataops.max_queued_runs_per_owner.
COMMENT ON FUNCTION dataops.start_run(text, boolean) IS
'Queues a run of the pipeline and returns its run id at once (status queued); it runs whatever its caller does next. Refused (53400) when the pipeline''s owner has dataops.max_queued_runs_per_owner runs queued';
COMMENT ON FUNCTION dataops.run(text, boolean) IS
'Queues a run, waits for it and returns the run id; raises an error if the run fails. Canceling or terminating the caller cancels the run';
COMMENT ON FUNCTION dataops.wait(bigint, interval) IS
'Waits until the run reaches a final status and returns it; after timeout, returns the current status. Only for the pipeline''s owner, its members and superusers (42501 otherwise)';
COMMENT ON FUNCTION dataops.cancel(bigint) IS
'Cancels a queued or running run; a step that does not stop within dataops.cancel_grace_period has its worker terminated. False if it had already finished. Only for the pipeline''s owner, its members and superusers (42501 otherwise)';

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
-- A suite's expectations run with the privileges of the role that checks the
-- rows: the objects they evaluate must be trusted by that role (owned by it,
-- by a role whose privileges it has, or by a superuser), checked at attach,
-- at validate and at every run (src/trust.c); suite names hold no control
-- characters.  No SQL object changes; the comments say so.
COMMENT ON FUNCTION dataops.create_suite(text) IS
'Creates an empty expectation suite owned by the current role (the name must not be empty nor hold control characters)';
COMMENT ON FUNCTION dataops.attach_suite(text, text, text) IS
'Makes a step check every expectation of a suite; refused unless the pipeline''s owner trusts every object the suite''s expectations evaluate (types, domains, functions, operators, views), checked again at every run';
COMMENT ON FUNCTION dataops.validate(regclass, text) IS
'Checks any table or view against a suite now (with the caller''s privileges: the caller must be allowed to read it, and must trust every object the suite evaluates), records the results under a validation run and returns them';
COMMENT ON FUNCTION dataops.input_is_valid(text, text) IS
'True when value would cast to the type (e.g. ''integer'', ''numeric(10,2)'', ''date'', ''uuid''); a bad value is false, never an error (as PostgreSQL 16''s pg_input_is_valid); refused for a type the caller does not trust (its input function or domain constraints would run as the caller)';

-- ===================================================================== qualified names
-- dataops.validate runs as its caller under the caller's search_path (an
-- expression expectation is written for it), on which another role's schema
-- may come before pg_catalog: its own query names its operator.
CREATE OR REPLACE FUNCTION dataops.validate(relation regclass, suite text)
RETURNS SETOF dataops.expectation_results
LANGUAGE plpgsql AS $$
DECLARE
    rid bigint;
BEGIN
    rid := dataops._validate(relation, suite);
    RETURN QUERY SELECT r.* FROM dataops.expectation_results r
                  WHERE r.run_id OPERATOR(pg_catalog.=) rid ORDER BY r.checked_at, r.expectation;
END
$$;
