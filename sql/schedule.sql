-- Scheduling with pg_cron (this database is cron.database_name in the test cluster).
SELECT dataops.create_pipeline('sched');
SELECT dataops.schedule('sched', '0 * * * *');
CREATE EXTENSION pg_cron;
SELECT dataops.schedule('sched', '0 * * * *') > 0 AS job_created;
SELECT jobname, schedule, command, username FROM cron.job;
-- scheduling again replaces the schedule of the same job
SELECT dataops.schedule('sched', '*/5 * * * *') > 0 AS job_updated;
SELECT jobname, schedule FROM cron.job;
-- pg_cron's own error (its hint differs between pg_cron versions)
\set VERBOSITY terse
SELECT dataops.schedule('sched', 'every full moon');
\set VERBOSITY default
SELECT dataops.schedule('nope', '* * * * *');
SELECT dataops.unschedule('sched');
SELECT count(*) AS jobs FROM cron.job;
SELECT dataops.unschedule('sched');
-- dropping a pipeline removes its schedule
SELECT dataops.schedule('sched', '0 0 * * *') > 0 AS job_created;
SELECT dataops.drop_pipeline('sched');
SELECT count(*) AS jobs FROM cron.job;
DROP EXTENSION pg_cron;
