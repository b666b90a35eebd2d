-- A pipeline owned by a role that cannot log in (a group role its members
-- define pipelines for).  Each step's background worker connects as the
-- owner: PostgreSQL 16 and later let it (BGWORKER_BYPASS_ROLELOGINCHECK),
-- so the run succeeds and writes its target; on PostgreSQL 15 the worker
-- could not connect, so the run is refused before it is queued (55000) and
-- nothing is written.  expected/security_nologin_1.out is the 15 outcome.
\set VERBOSITY terse
CREATE ROLE sn_group NOLOGIN;
CREATE ROLE sn_member LOGIN IN ROLE sn_group;
CREATE SCHEMA sn_layer AUTHORIZATION sn_group;
SET ROLE sn_member;
SET ROLE sn_group;
SELECT dataops.create_pipeline('sn_group');
SELECT dataops.add_step('sn_group', 's', 'silver', 'sn_layer.g',
    query => 'SELECT 1 AS x UNION ALL SELECT 2');
SELECT dataops.wait(dataops.start_run('sn_group')) AS status;
RESET ROLE;
SELECT count(*) AS runs, count(*) FILTER (WHERE status = 'succeeded') AS succeeded,
       pg_catalog.to_regclass('sn_layer.g') IS NOT NULL AS target_exists
  FROM dataops.runs WHERE pipeline = 'sn_group';
SELECT count(*) AS owner_rows FROM dataops.step_runs sr JOIN dataops.runs r USING (run_id)
 WHERE r.pipeline = 'sn_group' AND sr.rows_written = 2;
SELECT dataops.drop_pipeline('sn_group');
DROP SCHEMA sn_layer CASCADE;
DROP ROLE sn_member;
DROP ROLE sn_group;
