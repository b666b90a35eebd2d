-- Orchestration (0.3.0): async runs, the parallel DAG, failures, retries,
-- timeouts, cancel, dependencies, events.  Each right answer is stated in
-- the comment above the query that shows it.
\pset null '(null)'
CREATE TABLE public.o_src AS SELECT g AS id FROM generate_series(1, 10) g;

-- start_run returns at once; wait returns the final status
SELECT dataops.create_pipeline('o_quick');
SELECT dataops.add_step('o_quick', 'one', 'silver', 'o_quick', query => 'SELECT id FROM public.o_src');
SELECT dataops.start_run('o_quick') AS quick_run \gset
SELECT status IN ('queued', 'running', 'succeeded') AS accepted FROM dataops.runs WHERE run_id = :quick_run;
SELECT dataops.wait(:quick_run);
SELECT count(*) AS published FROM silver.o_quick;
-- waiting on a finished run returns at once; an unknown run is an error
SELECT dataops.wait(:quick_run, '1 second');
SELECT dataops.wait(-1);

-- A diamond: a feeds b and c, which both feed d.  b and c sleep 1 s each and
-- run in parallel (max_parallel_steps is 4), so their intervals overlap, and
-- d starts after both have finished.
SELECT dataops.create_pipeline('o_diamond');
SELECT dataops.add_step('o_diamond', 'a', 'bronze', 'o_a', query => 'SELECT id FROM public.o_src');
SELECT dataops.add_step('o_diamond', 'b', 'silver', 'o_b', query => 'SELECT id FROM bronze.o_a, pg_sleep(1) s');
SELECT dataops.add_step('o_diamond', 'c', 'silver', 'o_c', query => 'SELECT id FROM bronze.o_a, pg_sleep(1) s');
SELECT dataops.add_step('o_diamond', 'd', 'gold', 'o_d',
       query => 'SELECT b.id FROM silver.o_b b JOIN silver.o_c c USING (id)');
SELECT dataops.run('o_diamond') AS diamond_run \gset
SELECT step, status, attempt FROM dataops.step_runs WHERE run_id = :diamond_run ORDER BY step;
SELECT b.started_at < c.finished_at AND c.started_at < b.finished_at AS b_and_c_overlap,
       d.started_at >= greatest(b.finished_at, c.finished_at) AS d_after_both,
       b.started_at >= a.finished_at AND c.started_at >= a.finished_at AS b_c_after_a
  FROM dataops.step_runs a, dataops.step_runs b, dataops.step_runs c, dataops.step_runs d
 WHERE a.run_id = :diamond_run AND b.run_id = :diamond_run AND c.run_id = :diamond_run AND d.run_id = :diamond_run
   AND a.step = 'a' AND b.step = 'b' AND c.step = 'c' AND d.step = 'd';

-- A failing branch: b fails (division by zero), so d, downstream of it, is
-- upstream_failed; c, independent of b, still succeeds; the run fails at b.
SELECT dataops.create_pipeline('o_branch');
SELECT dataops.add_step('o_branch', 'a', 'bronze', 'o_ba', query => 'SELECT id FROM public.o_src');
SELECT dataops.add_step('o_branch', 'b', 'silver', 'o_bb', query => 'SELECT id / 0 AS id FROM bronze.o_ba');
SELECT dataops.add_step('o_branch', 'c', 'silver', 'o_bc', query => 'SELECT id FROM bronze.o_ba');
SELECT dataops.add_step('o_branch', 'd', 'gold', 'o_bd', query => 'SELECT id FROM silver.o_bb');
SELECT dataops.start_run('o_branch') AS branch_run \gset
SELECT dataops.wait(:branch_run);
SELECT step, status, attempt, error_sqlstate FROM dataops.step_runs WHERE run_id = :branch_run ORDER BY step;
SELECT status, failed_step, error_sqlstate, error_message FROM dataops.runs WHERE run_id = :branch_run;
-- run() raises the failed step's error (run_outcome, from kinds.sql, shows it without the run id)
SELECT public.run_outcome('o_branch');

-- Retries: b fails on its first attempt only (the sequence is not rolled
-- back), so with retries 2 it is recorded failed once, then succeeded on
-- attempt 2, at least retry_delay (200 ms) later.
CREATE SEQUENCE public.o_seq;
SELECT dataops.create_pipeline('o_retry');
SELECT dataops.add_step('o_retry', 'b', 'silver', 'o_rb',
       query => 'SELECT 1 / (nextval(''public.o_seq'') - 1)::int AS x',
       options => '{"retries": 2, "retry_delay": "200 milliseconds"}');
SELECT dataops.run('o_retry') AS retry_run \gset
SELECT attempt, status, retry_at IS NOT NULL AS retry_planned FROM dataops.step_runs
 WHERE run_id = :retry_run ORDER BY attempt;
SELECT s2.started_at - s1.finished_at >= interval '200 milliseconds' AS waited_retry_delay
  FROM dataops.step_runs s1 JOIN dataops.step_runs s2 USING (run_id, step)
 WHERE s1.run_id = :retry_run AND s1.attempt = 1 AND s2.attempt = 2;
-- always failing with retries 2: three attempts, all failed; backoff doubles
-- (100 ms, then 200 ms)
SELECT dataops.create_pipeline('o_retry_fail');
SELECT dataops.add_step('o_retry_fail', 'b', 'silver', 'o_rfb', query => 'SELECT 1 / 0 AS x',
       options => '{"retries": 2, "retry_delay": "100 milliseconds"}');
SELECT dataops.start_run('o_retry_fail') AS retry_fail_run \gset
SELECT dataops.wait(:retry_fail_run);
SELECT attempt, status FROM dataops.step_runs WHERE run_id = :retry_fail_run ORDER BY attempt;
SELECT s3.started_at - s2.finished_at >= interval '200 milliseconds' AS second_delay_doubled
  FROM dataops.step_runs s2 JOIN dataops.step_runs s3 USING (run_id, step)
 WHERE s2.run_id = :retry_fail_run AND s2.attempt = 2 AND s3.attempt = 3;

-- Timeouts: a step past options.timeout is canceled and recorded timed_out.
SELECT dataops.create_pipeline('o_timeout');
SELECT dataops.add_step('o_timeout', 's', 'silver', 'o_ts', query => 'SELECT 1 AS x FROM pg_sleep(30)',
       options => '{"timeout": "500 milliseconds"}');
SELECT dataops.start_run('o_timeout') AS timeout_run \gset
SELECT dataops.wait(:timeout_run, '20 seconds');
SELECT status, error_sqlstate, finished_at - started_at < interval '10 seconds' AS stopped_early
  FROM dataops.step_runs WHERE run_id = :timeout_run;
-- a pipeline timeout stops the whole run: timed_out
SELECT dataops.create_pipeline('o_ptimeout');
SELECT dataops.add_step('o_ptimeout', 's', 'silver', 'o_pts', query => 'SELECT 1 AS x FROM pg_sleep(30)');
SELECT dataops.set_pipeline_option('o_ptimeout', 'timeout', '"500 milliseconds"');
SELECT dataops.start_run('o_ptimeout') AS ptimeout_run \gset
SELECT dataops.wait(:ptimeout_run, '20 seconds');
SELECT step, status FROM dataops.step_runs WHERE run_id = :ptimeout_run;

-- Cancel: a running run is canceled, its running step recorded canceled;
-- a second run of the same pipeline waits queued (one run per pipeline)
-- and is canceled at once; canceling a finished run returns false.
SELECT dataops.create_pipeline('o_cancel');
SELECT dataops.add_step('o_cancel', 's', 'silver', 'o_cs', query => 'SELECT 1 AS x FROM pg_sleep(30)');
SELECT dataops.start_run('o_cancel') AS cancel_run \gset
SELECT dataops.start_run('o_cancel') AS cancel_queued \gset
DO $$ BEGIN
  FOR i IN 1..200 LOOP
    EXIT WHEN EXISTS (SELECT 1 FROM dataops.step_runs s JOIN dataops.runs r USING (run_id)
                       WHERE r.pipeline = 'o_cancel' AND s.status = 'running');
    PERFORM pg_sleep(0.05);
  END LOOP;
END $$;
SELECT status FROM dataops.runs WHERE run_id = :cancel_queued;
SELECT dataops.cancel(:cancel_queued) AS canceled_queued, dataops.cancel(:cancel_run) AS canceled_running;
SELECT dataops.wait(:cancel_run, '20 seconds'), dataops.wait(:cancel_queued, '1 second');
SELECT step, status FROM dataops.step_runs WHERE run_id = :cancel_run;
SELECT dataops.cancel(:cancel_run) AS canceled_again;
SELECT to_regclass('silver.o_cs') AS nothing_published;

-- Pipeline dependencies: o_quick succeeding queues o_down; cycles refused.
SELECT dataops.create_pipeline('o_down');
SELECT dataops.add_step('o_down', 'x', 'gold', 'o_down', query => 'SELECT count(*) AS n FROM silver.o_quick');
SELECT dataops.add_dependency('o_down', 'o_quick');
SELECT dataops.add_dependency('o_down', 'o_quick');
SELECT dataops.add_dependency('o_quick', 'o_down');
SELECT dataops.add_dependency('o_down', 'o_down');
SELECT dataops.run('o_quick') AS up_run \gset
DO $$ BEGIN
  FOR i IN 1..200 LOOP
    EXIT WHEN EXISTS (SELECT 1 FROM dataops.runs WHERE pipeline = 'o_down' AND status = 'succeeded');
    PERFORM pg_sleep(0.05);
  END LOOP;
END $$;
SELECT status, upstream_run_id = :up_run AS queued_by_upstream, triggered_by LIKE 'dependency: o_quick run %' AS by
  FROM dataops.runs WHERE pipeline = 'o_down';
SELECT n FROM gold.o_down;
SELECT dataops.drop_dependency('o_down', 'o_quick');
SELECT dataops.drop_dependency('o_down', 'o_quick');

-- Options: unknown keys and wrong types are refused
SELECT dataops.set_pipeline_option('o_quick', 'timeot', '"1 minute"');
SELECT dataops.set_pipeline_option('o_quick', 'timeout', '5');
SELECT dataops.set_pipeline_option('o_quick', 'retries', '-1');
SELECT dataops.set_pipeline_option('o_quick', 'retry_on_crash', '"yes"');
SELECT dataops.set_pipeline_option('o_quick', 'retry_on_crash', 'true');
SELECT dataops.set_pipeline_option('o_quick', 'retries', '3');
SELECT dataops.set_pipeline_option('o_quick', 'retries', NULL);
SELECT options FROM dataops.pipelines WHERE name = 'o_quick';
SELECT dataops.add_step('o_quick', 'bad', 'silver', 'o_bad', query => 'SELECT 1 AS x', options => '{"timeout": "soon"}');
SELECT dataops.add_step('o_quick', 'bad', 'silver', 'o_bad', query => 'SELECT 1 AS x', options => '{"retries": 1.5}');

-- Events: every state change of the quick run, in order; append-only
SELECT kind, step, status FROM dataops.events WHERE run_id = :quick_run ORDER BY event_id;
SELECT kind, status, details->>'table' AS tbl FROM dataops.events
 WHERE kind = 'definition' AND pipeline = 'o_down' ORDER BY event_id;
UPDATE dataops.events SET status = 'x' WHERE run_id = :quick_run;
DELETE FROM dataops.events WHERE run_id = :quick_run;

-- Privileges: only the owner (or a member, or a superuser) may start, wait on or cancel
CREATE ROLE dataops_o_other;
SET ROLE dataops_o_other;
SELECT dataops.start_run('o_quick');
-- (the refusals name the run id, which depends on the tests before; the
-- messages are checked in security_orchestration.sql)
\set VERBOSITY sqlstate
SELECT dataops.wait(:quick_run);
SELECT dataops.cancel(:quick_run);
\set VERBOSITY default
RESET ROLE;
DROP ROLE dataops_o_other;

-- History retention must be a positive interval
ALTER SYSTEM SET dataops.history_retention = 'forever';
ALTER SYSTEM SET dataops.history_retention = '-1 day';

-- History retention: after a reload, the scheduler prunes finished runs (with
-- their step runs and results) and events older than the retention; open
-- and recent history stays.
SELECT count(*) > 0 AS old_runs, (SELECT count(*) > 0 FROM dataops.events) AS old_events
  FROM dataops.runs WHERE pipeline LIKE 'o\_%';
-- an open run, older than the retention when the pruning runs
SELECT dataops.create_pipeline('o_long');
SELECT dataops.add_step('o_long', 'sleep', 'silver', 'o_long', query => 'SELECT 1 AS x FROM pg_sleep(60)');
SELECT dataops.start_run('o_long') AS long_run \gset
SELECT pg_sleep(1.2);
ALTER SYSTEM SET dataops.history_retention = '1 second';
SELECT pg_reload_conf();
SELECT dataops.run('o_quick') AS fresh_run \gset
DO $$ BEGIN
  FOR i IN 1..100 LOOP
    EXIT WHEN NOT EXISTS (SELECT 1 FROM dataops.runs WHERE pipeline = 'o_diamond');
    PERFORM pg_sleep(0.1);
  END LOOP;
END $$;
SELECT count(*) AS diamond_runs_left,
       (SELECT count(*) FROM dataops.step_runs WHERE run_id = :diamond_run) AS diamond_steps_left,
       (SELECT count(*) FROM dataops.events WHERE run_id = :diamond_run) AS diamond_events_left
  FROM dataops.runs WHERE pipeline = 'o_diamond';
-- the open run and its step run stay
SELECT status AS long_run_status,
       (SELECT string_agg(status, ',') FROM dataops.step_runs WHERE run_id = :long_run) AS long_step_status
  FROM dataops.runs WHERE run_id = :long_run;
SELECT dataops.cancel(:long_run);
SELECT dataops.wait(:long_run);
ALTER SYSTEM RESET dataops.history_retention;
SELECT pg_reload_conf();
