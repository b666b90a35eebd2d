-- dataops.cron_next (next pg_cron start of a schedule) and the view dataops.schedules.
-- Times are UTC: cron.timezone is not set in the test cluster, so pg_cron reads schedules in GMT.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
-- 2026-01-01 is a Thursday.
-- every 15 minutes: after 10:07 comes 10:15 the same day
SELECT dataops.cron_next('*/15 * * * *', '2026-01-01 10:07:00+00');
-- strictly after: at 10:15:00 itself the next is 10:30; a microsecond before, 10:15
SELECT dataops.cron_next('*/15 * * * *', '2026-01-01 10:15:00+00') AS at_10_15,
       dataops.cron_next('*/15 * * * *', '2026-01-01 10:14:59.999999+00') AS just_before;
-- minutes 1, 6, 11, ..., 26: after 10:07 comes 10:11
SELECT dataops.cron_next('1-30/5 * * * *', '2026-01-01 10:07:00+00');
-- Sundays at midnight: after Wednesday 2026-01-07 comes Sunday 2026-01-11 00:00; 7 is Sunday too
SELECT dataops.cron_next('0 0 * * sun', '2026-01-07 12:00:00+00') AS sun,
       dataops.cron_next('0 0 * * 7', '2026-01-07 12:00:00+00') AS seven;
-- the 1st and 15th: after 2026-01-02 comes 2026-01-15; after 2026-01-15 00:00 comes 2026-02-01
SELECT dataops.cron_next('0 0 1,15 * *', '2026-01-02 00:00:00+00') AS jan_2,
       dataops.cron_next('0 0 1,15 * *', '2026-01-15 00:00:00+00') AS jan_15;
-- weekdays at 02:30: after Friday 2026-01-09 20:00 comes Monday 2026-01-12 02:30
SELECT dataops.cron_next('30 2 * * 1-5', '2026-01-09 20:00:00+00');
-- names in any case: Mondays of February and March at 09:00; 2026-02-01 is a Sunday, so Monday 2026-02-02 09:00
SELECT dataops.cron_next('0 9 * FEB-mar Mon', '2026-01-01 00:00:00+00');
-- February 29: 2026 and 2027 are not leap years, so 2028-02-29 00:00
SELECT dataops.cron_next('0 0 29 2 *', '2026-01-01 00:00:00+00');
-- the 13th or a Friday (both fields restricted): after 2026-01-01 comes Friday 2026-01-02;
-- after Friday 2026-01-09 00:00 comes Tuesday the 13th, before Friday the 16th
SELECT dataops.cron_next('0 0 13 * fri', '2026-01-01 00:00:00+00') AS jan_1,
       dataops.cron_next('0 0 13 * fri', '2026-01-09 00:00:00+00') AS jan_9;
-- one field restricted: both must match. After Friday 2026-01-02 00:00: 1-31 or Friday is any day (01-03);
-- * and Friday is the next Friday (01-09); */1 begins with * so it counts as * (Vixie cron), 01-09 too
SELECT dataops.cron_next('0 0 1-31 * fri', '2026-01-02 00:00:00+00') AS any_day,
       dataops.cron_next('0 0 * * fri', '2026-01-02 00:00:00+00') AS friday,
       dataops.cron_next('0 0 */1 * fri', '2026-01-02 00:00:00+00') AS star_step_friday;
-- last day of the month ($, pg_cron 1.6): after 2026-02-10 comes 2026-02-28
SELECT dataops.cron_next('0 0 $ * *', '2026-02-10 00:00:00+00');
-- macros, after Wednesday 2026-01-07 10:07: @hourly 11:00; @daily and @midnight 01-08 00:00;
-- @weekly Sunday 01-11 00:00; @monthly 02-01 00:00; @yearly and @annually 2027-01-01 00:00
SELECT s, dataops.cron_next(s, '2026-01-07 10:07:00+00')
  FROM unnest(ARRAY['@hourly', '@daily', '@midnight', '@weekly', '@monthly', '@yearly', '@annually']) s;
-- interval form: after + N seconds (pg_cron starts the job N seconds after its previous start)
SELECT dataops.cron_next('10 seconds', '2026-01-01 10:07:00+00') AS ten,
       dataops.cron_next('1 Second', '2026-01-01 10:07:00.5+00') AS one,
       dataops.cron_next('59 seconds', '2026-01-01 10:07:30+00') AS fifty_nine;
-- nothing matches (no February 30), @reboot (no time-based runs), after infinity, NULL input: NULL
SELECT dataops.cron_next('0 0 30 2 *', '2026-01-01 00:00:00+00') IS NULL AS feb_30,
       dataops.cron_next('@reboot', '2026-01-01 00:00:00+00') IS NULL AS reboot,
       dataops.cron_next('* * * * *', 'infinity') IS NULL AS infinity,
       dataops.cron_next(NULL, '2026-01-01 00:00:00+00') IS NULL AS null_schedule,
       dataops.cron_next('* * * * *', NULL) IS NULL AS null_after;
-- bad schedules
SELECT dataops.cron_next('', '2026-01-01 00:00:00+00');
SELECT dataops.cron_next('every full moon', '2026-01-01 00:00:00+00');
SELECT dataops.cron_next('* * * * * 2026', '2026-01-01 00:00:00+00');
SELECT dataops.cron_next('60 * * * *', '2026-01-01 00:00:00+00');
SELECT dataops.cron_next('99999999999 * * * *', '2026-01-01 00:00:00+00');
SELECT dataops.cron_next('*/0 * * * *', '2026-01-01 00:00:00+00');
SELECT dataops.cron_next('5/15 * * * *', '2026-01-01 00:00:00+00');
SELECT dataops.cron_next('5-1 * * * *', '2026-01-01 00:00:00+00');
SELECT dataops.cron_next('0 0 * * funday', '2026-01-01 00:00:00+00');
SELECT dataops.cron_next('0 0 1,,15 * *', '2026-01-01 00:00:00+00');
SELECT dataops.cron_next('@fortnightly', '2026-01-01 00:00:00+00');
SELECT dataops.cron_next('60 seconds', '2026-01-01 00:00:00+00');

-- The view: one row per pg_cron job dataops:<pipeline> of an existing pipeline.
SELECT dataops.create_pipeline('sched_view');
SELECT dataops.add_step('sched_view', 'one', 'silver', 'sched_view_one', query => 'SELECT 1 AS x');
-- without pg_cron the view exists and is empty
SELECT to_regclass('cron.job') IS NULL AS no_pg_cron, count(*) AS schedules FROM dataops.schedules;
CREATE EXTENSION pg_cron;
SELECT count(*) AS schedules FROM dataops.schedules;
-- February 29 at 03:00 UTC, so that pg_cron does not start the job while the test runs
SELECT dataops.schedule('sched_view', '0 3 29 2 *') > 0 AS job_created;
-- not shown: a job of no pipeline, and a job not named dataops:<pipeline>
SELECT cron.schedule('dataops:ghost', '0 3 29 2 *', 'SELECT 1') > 0 AS ghost_created;
SELECT cron.schedule('other', '0 3 29 2 *', 'SELECT 1') > 0 AS other_created;
SELECT pipeline, jobid = (SELECT jobid FROM cron.job WHERE jobname = 'dataops:sched_view') AS jobid_ok,
       schedule, active, username, last_start, last_status, last_end,
       -- the next February 29 at 03:00 UTC after now, computed independently
       next_run = (SELECT min(d) FROM (SELECT (make_date(y, 3, 1) - 1 + time '03:00') AT TIME ZONE 'UTC' AS d
                                         FROM generate_series(extract(year FROM now())::int,
                                                              extract(year FROM now())::int + 8) y) leap
                    WHERE extract(day FROM d AT TIME ZONE 'UTC') = 29 AND d > now()) AS next_run_ok,
       to_char(next_run, 'MM-DD HH24:MI') AS next_run_at
  FROM dataops.schedules;
-- last_*: the newest run pg_cron recorded for the job
INSERT INTO cron.job_run_details (jobid, job_pid, database, username, command, status, return_message, start_time, end_time)
SELECT jobid, 0, current_database(), username, command, 'failed', 'boom', '2024-02-29 03:00:00+00', '2024-02-29 03:00:02+00'
  FROM cron.job WHERE jobname = 'dataops:sched_view';
INSERT INTO cron.job_run_details (jobid, job_pid, database, username, command, status, return_message, start_time, end_time)
SELECT jobid, 0, current_database(), username, command, 'succeeded', '1 row', '2024-03-01 03:00:00+00', '2024-03-01 03:00:05+00'
  FROM cron.job WHERE jobname = 'dataops:sched_view';
SELECT pipeline, last_start, last_status, last_end FROM dataops.schedules;
-- an inactive job has no next run
SELECT cron.alter_job(jobid, active => false) FROM cron.job WHERE jobname = 'dataops:sched_view';
SELECT pipeline, schedule, active, next_run FROM dataops.schedules;
-- a schedule pg_cron takes but cron_next refuses (pg_cron ignores a sixth field): next_run is NULL, the view still works
SELECT cron.alter_job(jobid, schedule => '0 3 29 2 * 2028', active => true) FROM cron.job WHERE jobname = 'dataops:sched_view';
SELECT pipeline, schedule, active, next_run FROM dataops.schedules;
-- a role that may not read pg_cron's tables sees no rows rather than an error
CREATE ROLE dataops_sched_reader;
SET ROLE dataops_sched_reader;
SELECT count(*) AS schedules FROM dataops.schedules;
RESET ROLE;
DROP ROLE dataops_sched_reader;
-- clean up: after unschedule the view is empty again, and stays so without pg_cron
SELECT dataops.unschedule('sched_view');
SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname IN ('dataops:ghost', 'other');
SELECT count(*) AS schedules FROM dataops.schedules;
DROP EXTENSION pg_cron;
SELECT count(*) AS schedules FROM dataops.schedules;
SELECT dataops.drop_pipeline('sched_view');
