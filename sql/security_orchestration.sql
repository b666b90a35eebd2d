-- Security of the run path (0.5.0): an ordinary, hostile role against
-- start_run, run, wait, cancel, the scheduler and the step workers.
-- Roles (LOGIN: step workers connect as the pipeline owner) and objects
-- are prefixed sorch_.  Each right answer is stated in
-- the comment above the query that shows it.  Run ids vary: errors are
-- shown through sorch_t.try, which masks numbers.
\pset null '(null)'
SET statement_timeout = '60s';

CREATE ROLE sorch_att LOGIN;
CREATE ROLE sorch_vic LOGIN;
CREATE SCHEMA sorch_evil AUTHORIZATION sorch_att;
CREATE SCHEMA sorch_a AUTHORIZATION sorch_att;
CREATE SCHEMA sorch_v AUTHORIZATION sorch_vic;
CREATE SCHEMA sorch_t;
GRANT USAGE ON SCHEMA sorch_t TO PUBLIC;

-- Runs a statement as the current role, with the current search_path
-- (the planted one when the attacker calls it); returns ok, or the error's
-- SQLSTATE, message, detail and hint with every number masked.
CREATE FUNCTION sorch_t.try(cmd text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    st text; m text; d text; h text;
BEGIN
    EXECUTE cmd;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
    RETURN pg_catalog.concat_ws(' | ', st,
        pg_catalog.regexp_replace(pg_catalog.concat_ws(' | ', m, NULLIF(d, ''), NULLIF(h, '')), '[0-9]+', 'N', 'g'));
END $$;

-- Superuser helpers (with their own pinned search_path): wait until a run's
-- step has been running for 200 ms; whether the attacker is superuser.
CREATE FUNCTION sorch_t.wait_step_running(id bigint) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    FOR i IN 1..200 LOOP
        IF EXISTS (SELECT 1 FROM dataops.step_runs WHERE run_id = id AND status = 'running'
                   AND worker_pid IS NULL AND started_at < clock_timestamp() - interval '200 milliseconds') THEN
            RETURN true;
        END IF;
        PERFORM pg_sleep(0.05);
    END LOOP;
    RETURN false;
END $$;
CREATE VIEW sorch_t.attacker AS
    SELECT rolsuper AS attacker_is_superuser FROM pg_catalog.pg_roles WHERE rolname = 'sorch_att';

-- The plant: in schema sorch_evil, which the attacker puts before
-- pg_catalog, operators = and < (bigint, text) and functions count(*),
-- lower(text), row_number(), clock_timestamp() that record every call in
-- sorch_evil.calls, raise a NOTICE when they run as any role other than
-- the attacker, and try ALTER ROLE sorch_att SUPERUSER (which only works
-- when they run with a superuser's rights).
SET ROLE sorch_att;
CREATE TABLE sorch_evil.calls (who text, what text);
GRANT INSERT ON sorch_evil.calls TO PUBLIC;
GRANT USAGE ON SCHEMA sorch_evil TO PUBLIC;
CREATE FUNCTION sorch_evil.hit(what text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO sorch_evil.calls (who, what) VALUES (current_user, what);
    IF current_user OPERATOR(pg_catalog.<>) 'sorch_att' THEN
        RAISE NOTICE 'sorch: planted % ran as another role', what;
    END IF;
    BEGIN
        ALTER ROLE sorch_att SUPERUSER;
    EXCEPTION WHEN insufficient_privilege THEN NULL;
    END;
END $$;
CREATE FUNCTION sorch_evil.eq8(bigint, bigint) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN PERFORM sorch_evil.hit('='); RETURN $1 OPERATOR(pg_catalog.=) $2; END $$;
CREATE FUNCTION sorch_evil.lt8(bigint, bigint) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN PERFORM sorch_evil.hit('<'); RETURN $1 OPERATOR(pg_catalog.<) $2; END $$;
CREATE FUNCTION sorch_evil.eqt(text, text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN PERFORM sorch_evil.hit('='); RETURN $1 OPERATOR(pg_catalog.=) $2; END $$;
CREATE FUNCTION sorch_evil.ltt(text, text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN PERFORM sorch_evil.hit('<'); RETURN $1 OPERATOR(pg_catalog.<) $2; END $$;
CREATE OPERATOR sorch_evil.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = sorch_evil.eq8);
CREATE OPERATOR sorch_evil.< (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = sorch_evil.lt8);
CREATE OPERATOR sorch_evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = sorch_evil.eqt);
CREATE OPERATOR sorch_evil.< (LEFTARG = text, RIGHTARG = text, FUNCTION = sorch_evil.ltt);
CREATE FUNCTION sorch_evil.count_step(bigint) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN PERFORM sorch_evil.hit('count'); RETURN $1 OPERATOR(pg_catalog.+) 1; END $$;
CREATE AGGREGATE sorch_evil.count(*) (SFUNC = sorch_evil.count_step, STYPE = bigint, INITCOND = '0');
CREATE FUNCTION sorch_evil.lower(text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN PERFORM sorch_evil.hit('lower'); RETURN pg_catalog.lower($1); END $$;
CREATE FUNCTION sorch_evil.row_number() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN PERFORM sorch_evil.hit('row_number'); RETURN 1; END $$;
CREATE FUNCTION sorch_evil.clock_timestamp() RETURNS timestamptz LANGUAGE plpgsql AS $$
BEGIN PERFORM sorch_evil.hit('clock_timestamp'); RETURN pg_catalog.clock_timestamp(); END $$;

-- The attacker's pipelines: a quick one, a slow one, and one whose step
-- catches query_canceled forever (so a cancel alone never stops it).
CREATE TABLE sorch_a.src AS SELECT g AS id FROM generate_series(1, 5) g;
CREATE FUNCTION sorch_a.stubborn() RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
    LOOP
        BEGIN
            PERFORM pg_catalog.pg_sleep(0.05);
        EXCEPTION WHEN query_canceled THEN
            NULL;
        END;
    END LOOP;
END $$;
SELECT dataops.create_pipeline('sorch_a_quick');
SELECT dataops.add_step('sorch_a_quick', 'q', 'silver', 'sorch_a.quick', query => 'SELECT id FROM sorch_a.src');
SELECT dataops.create_pipeline('sorch_a_slow');
SELECT dataops.add_step('sorch_a_slow', 's', 'silver', 'sorch_a.slow', query => 'SELECT 1 AS x FROM pg_sleep(30)');
SELECT dataops.create_pipeline('sorch_a_stubborn');
SELECT dataops.add_step('sorch_a_stubborn', 's', 'silver', 'sorch_a.stubborn', query => 'SELECT sorch_a.stubborn() AS x');
SELECT dataops.create_pipeline('sorch_a_stubborn_timeout');
SELECT dataops.add_step('sorch_a_stubborn_timeout', 's', 'silver', 'sorch_a.stubborn_t',
       query => 'SELECT sorch_a.stubborn() AS x', options => '{"timeout": "300 milliseconds"}');

-- The victim's pipelines: a secret slow one and a quick one.
SET ROLE sorch_vic;
SELECT dataops.create_pipeline('sorch_v_secret');
SELECT dataops.add_step('sorch_v_secret', 's', 'silver', 'sorch_v.secret', query => 'SELECT 1 AS x FROM pg_sleep(30)');
SELECT dataops.create_pipeline('sorch_v_quick');
SELECT dataops.add_step('sorch_v_quick', 'q', 'silver', 'sorch_v.quick', query => 'SELECT 1 AS x');
SELECT dataops.run('sorch_v_quick') AS vic_done \gset
SELECT dataops.start_run('sorch_v_secret') AS vic_running \gset
RESET ROLE;

-- The plant is live: as the attacker, with sorch_evil first, every planted
-- operator and function shadows the built-in one (each call is recorded,
-- as the attacker).
SET ROLE sorch_att;
SET search_path = sorch_evil, pg_catalog;
SELECT 1::bigint = 1::bigint AS eq, 1::bigint < 2::bigint AS lt, 'a'::text = 'a'::text AS teq,
       'a'::text < 'b'::text AS tlt, lower('ABC') AS low, row_number() AS rn,
       clock_timestamp() IS NOT NULL AS ts, (SELECT count(*) FROM generate_series(1, 2)) AS cnt;
RESET ROLE;
RESET search_path;
SELECT who, what, count(*) > 0 AS called FROM sorch_evil.calls GROUP BY who, what ORDER BY what;
TRUNCATE sorch_evil.calls;

-- 1-4. wait, cancel, start_run, run on the attacker's own runs, with the
-- plant first on its search_path: each works, and no planted code runs
-- with anyone else's rights (no NOTICE).
SET ROLE sorch_att;
SET search_path = sorch_evil, pg_catalog;
SELECT dataops.start_run('sorch_a_quick') AS own_run \gset
SELECT dataops.wait(:own_run);
SELECT dataops.cancel(:own_run) AS canceled_finished_run;
SELECT dataops.run('sorch_a_quick') > 0 AS run_ok;
-- 5. wait on a run id that does not exist: 42704, nothing else
SELECT sorch_t.try('SELECT dataops.wait(-7)');

-- 6. another role's run: wait and cancel are refused (42501) without
-- naming its pipeline (sorch_v_secret) or its owner (sorch_vic), for a
-- finished run and for a running one
SELECT sorch_t.try('SELECT dataops.wait(' || :'vic_done' || ')');
SELECT sorch_t.try('SELECT dataops.wait(' || :'vic_running' || ', ''1 second'')');
SELECT sorch_t.try('SELECT dataops.cancel(' || :'vic_running' || ')');
-- and its pipeline cannot be run by the attacker (42501)
SELECT split_part(sorch_t.try('SELECT dataops.start_run(''sorch_v_secret'')'), ' | ', 1) AS start_run_refused,
       split_part(sorch_t.try('SELECT dataops.run(''sorch_v_secret'')'), ' | ', 1) AS run_refused;
RESET ROLE;
RESET search_path;
-- the refused cancel changed nothing: the victim's run is not flagged
SELECT status IN ('queued', 'running') AS victim_run_open, cancel_requested AS victim_run_flagged
  FROM dataops.runs WHERE run_id = :vic_running;
SELECT dataops.cancel(:vic_running) AS cleanup;

-- 7. the role-level search_path of the pipeline owner (the step workers
-- connect as it) also puts the plant first: the run succeeds and the
-- workers' catalog writes do not run planted code
SET ROLE sorch_att;
ALTER ROLE sorch_att SET search_path = sorch_evil, pg_catalog;
SELECT dataops.run('sorch_a_quick') > 0 AS run_with_planted_role_path;
ALTER ROLE sorch_att RESET search_path;
RESET ROLE;

-- after 1-7: the planted code ran only as the attacker, and the attacker
-- is not superuser
SELECT count(*) FILTER (WHERE who <> 'sorch_att') AS planted_calls_as_another_role FROM sorch_evil.calls;
SELECT * FROM sorch_t.attacker;

-- 8. Cancel escalation: the stubborn step catches query_canceled; after
-- dataops.cancel() its worker is terminated when dataops.cancel_grace_period
-- (2 s) has passed, and the run is canceled well within 10 s.
SET ROLE sorch_att;
SELECT dataops.start_run('sorch_a_stubborn') AS stubborn_run \gset
RESET ROLE;
SELECT sorch_t.wait_step_running(:stubborn_run) AS step_running;
SET ROLE sorch_att;
SELECT dataops.cancel(:stubborn_run) AS cancel_accepted;
SELECT dataops.wait(:stubborn_run, '10 seconds') AS stubborn_status;
RESET ROLE;
SELECT status, error_sqlstate, error_message FROM dataops.step_runs WHERE run_id = :stubborn_run;

-- 9. the same step with options.timeout 300 ms: it ignores its statement
-- timeout, is terminated a grace period later, and is recorded timed_out
-- (the run fails, as for any timed-out step: see orchestration.sql)
SET ROLE sorch_att;
SELECT dataops.start_run('sorch_a_stubborn_timeout') AS stubborn_t_run \gset
SELECT dataops.wait(:stubborn_t_run, '10 seconds') AS stubborn_timeout_status;
RESET ROLE;
SELECT status, error_sqlstate, finished_at - started_at < interval '8 seconds' AS stopped
  FROM dataops.step_runs WHERE run_id = :stubborn_t_run;

-- 10. run() canceled by its caller's statement_timeout: the run it started
-- is canceled too (the slow step stops at once), and run() ends with 57014
SET ROLE sorch_att;
SET statement_timeout = '1s';
SELECT sorch_t.try('SELECT dataops.run(''sorch_a_slow'')');
SET statement_timeout = '60s';
RESET ROLE;
SELECT max(run_id) AS slow_run FROM dataops.runs WHERE pipeline = 'sorch_a_slow' \gset
SELECT dataops.wait(:slow_run, '10 seconds') AS run_after_caller_timeout;
-- 11. ... also when the step ignores the cancel (escalation)
SET ROLE sorch_att;
SET statement_timeout = '1s';
SELECT sorch_t.try('SELECT dataops.run(''sorch_a_stubborn'')');
SET statement_timeout = '60s';
RESET ROLE;
SELECT max(run_id) AS stubborn_run2 FROM dataops.runs WHERE pipeline = 'sorch_a_stubborn' \gset
SELECT dataops.wait(:stubborn_run2, '10 seconds') AS stubborn_run_after_caller_timeout;

-- 12. start_run() runs are independent of their caller: its transaction
-- rolling back does not cancel the run
SET ROLE sorch_att;
BEGIN;
SELECT dataops.start_run('sorch_a_quick') AS independent_run \gset
ROLLBACK;
SELECT dataops.wait(:independent_run, '10 seconds') AS independent_run_status;
RESET ROLE;

-- 13. Queue fairness: the attacker queues 120 runs of its slow pipeline
-- (more than the scheduler ever read at once before 0.5.0); the victim's
-- run, queued after them, still starts at once and finishes while the
-- attacker's backlog is still queued.
ALTER SYSTEM SET dataops.max_queued_runs_per_owner = 200;
SELECT pg_reload_conf();
SELECT pg_sleep(0.3);
SET ROLE sorch_att;
SELECT count(dataops.start_run('sorch_a_slow')) AS attacker_queued FROM generate_series(1, 120);
SET ROLE sorch_vic;
SELECT dataops.start_run('sorch_v_quick') AS fair_run \gset
SELECT dataops.wait(:fair_run, '10 seconds') AS victim_status;
RESET ROLE;
SELECT count(*) >= 110 AS attacker_backlog_still_queued
  FROM dataops.runs WHERE pipeline = 'sorch_a_slow' AND status = 'queued';
-- one run of a pipeline at a time, in arrival order: only the oldest of the
-- attacker's runs is running
SELECT count(*) AS attacker_open_runs, count(*) FILTER (WHERE status = 'running') AS attacker_running,
       min(run_id) FILTER (WHERE status = 'running') = min(run_id) AS oldest_first
  FROM dataops.runs WHERE pipeline = 'sorch_a_slow' AND status IN ('queued', 'running');
SELECT count(dataops.cancel(run_id)) AS canceled_backlog
  FROM dataops.runs WHERE pipeline = 'sorch_a_slow' AND status IN ('queued', 'running');

-- 14. The per-owner cap: with dataops.max_queued_runs_per_owner = 3, the
-- attacker's fourth queued run is refused (53400) by start_run and run();
-- the victim, another owner, still queues runs.
ALTER SYSTEM SET dataops.max_queued_runs_per_owner = 3;
SELECT pg_reload_conf();
SELECT pg_sleep(0.3);
SET ROLE sorch_att;
SELECT dataops.start_run('sorch_a_stubborn') AS cap_running \gset
RESET ROLE;
SELECT sorch_t.wait_step_running(:cap_running) AS step_running;
SET ROLE sorch_att;
SELECT dataops.start_run('sorch_a_stubborn') > 0 AS q1, dataops.start_run('sorch_a_stubborn') > 0 AS q2,
       dataops.start_run('sorch_a_stubborn') > 0 AS q3;
SELECT sorch_t.try('SELECT dataops.start_run(''sorch_a_quick'')');
SELECT sorch_t.try('SELECT dataops.run(''sorch_a_quick'')');
SET ROLE sorch_vic;
SELECT dataops.start_run('sorch_v_quick') AS vic_capped_run \gset
SELECT dataops.wait(:vic_capped_run, '10 seconds') AS victim_not_capped;
RESET ROLE;
SELECT count(*) AS attacker_queued FROM dataops.runs r JOIN dataops.pipelines p ON p.name = r.pipeline
 WHERE p.owner = 'sorch_att' AND r.status = 'queued';
SELECT count(dataops.cancel(run_id)) AS canceled
  FROM dataops.runs WHERE pipeline = 'sorch_a_stubborn' AND status IN ('queued', 'running');
SELECT dataops.wait(:cap_running, '10 seconds') AS cap_running_status;
ALTER SYSTEM RESET dataops.max_queued_runs_per_owner;
SELECT pg_reload_conf();

-- after everything: the planted code never ran as another role, and the
-- attacker is not superuser
SELECT count(*) FILTER (WHERE who <> 'sorch_att') AS planted_calls_as_another_role FROM sorch_evil.calls;
SELECT * FROM sorch_t.attacker;
-- no run of the test is left open
SELECT count(*) AS open_runs FROM dataops.runs WHERE pipeline LIKE 'sorch\_%' AND status IN ('queued', 'running');

-- cleanup
SET client_min_messages = warning;
SELECT dataops.drop_pipeline(p) FROM unnest(ARRAY['sorch_a_quick', 'sorch_a_slow', 'sorch_a_stubborn',
       'sorch_a_stubborn_timeout', 'sorch_v_secret', 'sorch_v_quick']) p;
DROP SCHEMA sorch_evil, sorch_a, sorch_v, sorch_t CASCADE;
DROP ROLE sorch_att;
DROP ROLE sorch_vic;
RESET client_min_messages;
RESET statement_timeout;
