-- F4: a pipeline owned by a role that cannot log in (a group role used
-- with SET ROLE) never runs: its step workers connect as the owner, and on
-- PostgreSQL 15 a background worker cannot connect as a NOLOGIN role
-- (server log: FATAL: role "..." is not permitted to log in), so the run
-- fails with the unhelpful "the step's background worker exited without
-- recording an outcome".  Either refuse such an owner with a clear error
-- when the pipeline is created or run, or say why the run failed.
-- Run as a superuser in a database with dataops:
--   psql -X -d <db> -f test/fuzz/repro/F4_nologin_owner.sql
CREATE ROLE dataops_f4_group NOLOGIN;
GRANT CREATE ON SCHEMA public TO dataops_f4_group;
SET ROLE dataops_f4_group;
SELECT dataops.create_pipeline('f4');
SELECT dataops.add_step('f4', 's', 'silver', 'public.f4', query => 'SELECT 1 AS x');
SELECT dataops.run('f4');
SELECT dataops.drop_pipeline('f4');
RESET ROLE;
REVOKE CREATE ON SCHEMA public FROM dataops_f4_group;
DROP ROLE dataops_f4_group;
