-- Cancelling the caller stops the worker and records the run as canceled; nothing is published.
SELECT dataops.create_pipeline('slow');
SELECT dataops.add_step('slow', 'sleepy', 'silver', 'sleepy', query => 'SELECT 1 AS x FROM pg_sleep(60)');
SET statement_timeout = '1s';
SELECT dataops.run('slow');
RESET statement_timeout;
SELECT status, failed_step, error_sqlstate, finished_at IS NOT NULL AS finished FROM dataops.runs WHERE pipeline = 'slow';
SELECT step, status FROM dataops.step_runs
 WHERE run_id = (SELECT max(run_id) FROM dataops.runs WHERE pipeline = 'slow');
SELECT to_regclass('silver.sleepy') AS target_not_created;
-- no worker is left behind
SELECT count(*) AS workers FROM pg_stat_activity WHERE backend_type = 'dataops step';

-- the run history view
SELECT pipeline, status FROM dataops.last_runs WHERE pipeline IN ('slow', 'odd') ORDER BY pipeline;
