-- Health and SLAs (issue 12): the worked example of the README, SLA
-- breaches opened and recovered, the scheduler evaluating an SLA with no
-- run at all, option validation, row-level security, the views for people.
SET client_min_messages = warning;
SET TIME ZONE 'UTC';
SELECT dataops.create_pipeline('hl_demo');
SELECT dataops.create_pipeline('hl_clean');

-- Option validation (22023)
SELECT dataops.set_pipeline_option('hl_demo', 'sla_deadline', '"25:00"');
SELECT dataops.set_pipeline_option('hl_demo', 'sla_deadline', '"6am"');
SELECT dataops.set_pipeline_option('hl_demo', 'sla_deadline', '"06:00 Mars/Olympus"');
SELECT dataops.set_pipeline_option('hl_demo', 'sla_deadline', '"06:00:61"');
SELECT dataops.set_pipeline_option('hl_demo', 'sla_freshness', '"-1 hour"');
SELECT dataops.set_pipeline_option('hl_demo', 'sla_freshness', '3600');
SELECT dataops.set_pipeline_option('hl_demo', 'target_dq_score', '1.5');
SELECT dataops.set_pipeline_option('hl_demo', 'target_mttr', '"soon"');
BEGIN;
SELECT dataops.set_pipeline_option('hl_demo', 'sla_deadline', '"06:00 Europe/Paris"');
SELECT dataops.set_pipeline_option('hl_demo', 'sla_deadline', '"23:59:59"');
SELECT dataops.set_pipeline_option('hl_demo', 'target_sla_compliance', '0.99');
SELECT options FROM dataops.pipelines WHERE name = 'hl_demo';
ROLLBACK;

-- The GUCs and their defaults
SHOW dataops.target_mttr;
SHOW dataops.target_mtbf;
SHOW dataops.target_dq_score;
SHOW dataops.target_sla_compliance;
SET dataops.target_mttr = 'never';

-- ------------------------------------------------------------------
-- The worked example.  Anchor A = now - 4 days; hl_demo was "created" at
-- A - 1 h.  Its finished runs (each started 5 minutes before it finished):
--   r1 succeeded A+00:10   r2 failed A+01:00   r3 failed A+01:10
--   r4 succeeded A+01:30   r5 canceled A+02:00 r6 timed_out A+25:00
--   r7 succeeded A+25:10   r8 failed A+73:00   r9 succeeded A+73:20
-- runs = 9, failed_runs = 4 (r2, r3, r6, r8), success_rate = 4 / (4 + 4)
--   = 0.5 (the canceled run counts in neither)
-- incidents (first failure after a success .. next success):
--   A+01:00 .. A+01:30 = 30 min, A+25:00 .. A+25:10 = 10 min,
--   A+73:00 .. A+73:20 = 20 min
-- MTTR = (30 + 10 + 20) / 3 = 20 min            (target 15 min: breached)
-- MTBF = ((A+25:00 - A+01:00) + (A+73:00 - A+25:00)) / 2 = (24 h + 48 h) / 2
--      = 36 h = 1 day 12:00:00                 (target 30 days: breached)
-- ------------------------------------------------------------------
CREATE TEMP TABLE hl_anchor AS SELECT date_trunc('minute', now()) - interval '4 days' AS a;
UPDATE dataops.pipelines SET created_at = (SELECT a FROM hl_anchor) - interval '1 hour' WHERE name = 'hl_demo';
INSERT INTO dataops.runs (pipeline, status, triggered_by, queued_at, started_at, finished_at)
SELECT 'hl_demo', v.status, 'hl_test', a + v.fin - interval '5 minutes', a + v.fin - interval '5 minutes', a + v.fin
  FROM hl_anchor, (VALUES ('succeeded', interval '00:10'), ('failed', '01:00'), ('failed', '01:10'),
                          ('succeeded', '01:30'), ('canceled', '02:00'), ('timed_out', '25:00'),
                          ('succeeded', '25:10'), ('failed', '73:00'), ('succeeded', '73:20')) v(status, fin)
 ORDER BY v.fin;
CREATE TEMP TABLE hl_runs AS
SELECT r.run_id, r.finished_at - a AS fin FROM dataops.runs r, hl_anchor WHERE r.pipeline = 'hl_demo';

-- Expectation results:
--   r1 e_notnull  not_null  100 rows, 5 missing, 5 unexpected, failed: evaluated 100 (not_null counts every row)
--   r1 e_between  between   100 rows, 10 missing, 9 unexpected, passed: evaluated 100 - 10 = 90
--   r4 e_rows     row_count_between (table level, no unexpected count), passed: not in the score
--   r4 e_between  between   210 rows, 0 missing, 6 unexpected, passed: evaluated 210
-- dq_score = 1 - (5 + 9 + 6) / (100 + 90 + 210) = 1 - 20 / 400 = 0.95
--   (target 0.95: not breached; 1 - 0.95 = 0.05 > 0.9 * (1 - 0.95) = 0.045: at_risk)
-- dq_expectations_passed = 3 / 4 = 0.75
INSERT INTO dataops.expectation_results (run_id, step, expectation, kind, action, mostly, element_count,
                                         missing_count, unexpected_count, success, checked_at)
SELECT r.run_id, 's1', v.e, v.kind, 'warn', 0.9, v.n, v.missing, v.unexpected, v.ok, a + r.fin
  FROM hl_anchor, hl_runs r,
       (VALUES (interval '00:10', 'e_notnull', 'not_null', 100, 5, 5, false),
               ('00:10', 'e_between', 'between', 100, 10, 9, true),
               ('01:30', 'e_rows', 'row_count_between', 100, NULL, NULL, true),
               ('01:30', 'e_between', 'between', 210, 0, 6, true)) v(fin, e, kind, n, missing, unexpected, ok)
 WHERE r.fin = v.fin;

-- SLA: sla_freshness 1 day.  Successes at A+00:10, A+01:30, A+25:10 (gaps
-- under a day), then none until A+73:20: the SLA is missed at
-- A+25:10 + 1 day = A+49:10 and recovered at A+73:20, a breach of 24:10 =
-- 87000 s.  Evaluated at fixed instants (the scheduler, evaluating at
-- now, finds the same: the last success, A+73:20, is less than a day old).
-- sla_compliance = 1 - 87000 / (30 * 86400) = 1 - 87000 / 2592000
--   = 0.966435 -> 0.9664                    (target 0.995: breached)
BEGIN;
UPDATE dataops.pipelines SET options = options || '{"sla_freshness": "1 day"}' WHERE name = 'hl_demo';
SELECT dataops._evaluate_slas(a + interval '49 hours') AS changes_before_due FROM hl_anchor;
SELECT dataops._evaluate_slas(a + interval '50 hours') AS changes_at_50h FROM hl_anchor;
COMMIT;
SELECT kind, started_at - a AS started, ended_at IS NULL AS open FROM dataops.sla_breaches, hl_anchor
 WHERE pipeline = 'hl_demo';
SELECT dataops._evaluate_slas(a + interval '74 hours') >= 0 AS evaluated FROM hl_anchor;
SELECT dataops._evaluate_slas(a + interval '74 hours') AS changes_run_twice FROM hl_anchor;
SELECT kind, started_at - a AS started, ended_at - a AS ended, ended_at - started_at AS duration, owner
  FROM dataops.sla_breaches, hl_anchor WHERE pipeline = 'hl_demo';
SELECT kind, status, details->>'sla' AS sla, (details->>'started_at')::timestamptz - a AS started,
       (details->>'ended_at')::timestamptz - a AS ended
  FROM dataops.events, hl_anchor WHERE pipeline = 'hl_demo' AND kind = 'sla' ORDER BY event_id;

-- The figures
SELECT * FROM dataops.health() WHERE pipeline = 'hl_demo';
SELECT * FROM dataops.pipeline_health WHERE pipeline = 'hl_clean';
-- a 4-day window: the breach (24:10 of 96 h) is 87000 / 345600 of it: 1 - 0.251736 = 0.7483
SELECT runs, sla_compliance FROM dataops.health('4 days') WHERE pipeline = 'hl_demo';
-- a 1-hour window holds nothing of the history
SELECT runs, failed_runs, success_rate, mttr, mtbf, dq_score, sla_compliance, status
  FROM dataops.health('1 hour') WHERE pipeline = 'hl_demo';

-- Per-pipeline targets: MTTR 20 min <= 0.9 * 1 h, MTBF 36 h >= 1.1 * 1 day,
-- dq 0.95 with target 0.5, compliance 0.9664 with target 0.9
-- (1 - 0.9664 = 0.0336 <= 0.9 * 0.1): ok
SELECT dataops.set_pipeline_option('hl_demo', 'target_mttr', '"1 hour"');
SELECT dataops.set_pipeline_option('hl_demo', 'target_mtbf', '"1 day"');
SELECT dataops.set_pipeline_option('hl_demo', 'target_dq_score', '0.5');
SELECT dataops.set_pipeline_option('hl_demo', 'target_sla_compliance', '0.9');
SELECT target_mttr, target_mtbf, target_dq_score, target_sla_compliance, status
  FROM dataops.health() WHERE pipeline = 'hl_demo';
-- MTBF 36 h against 34 h: not below it, but below 1.1 * 34 h = 37.4 h: at_risk
SELECT dataops.set_pipeline_option('hl_demo', 'target_mtbf', '"34 hours"');
SELECT status FROM dataops.health() WHERE pipeline = 'hl_demo';
-- the GUC applies where no option overrides it
SET dataops.target_mttr = '5 minutes';
SELECT target_mttr FROM dataops.health() WHERE pipeline = 'hl_clean';
RESET dataops.target_mttr;

-- ------------------------------------------------------------------
-- Deadline SLA, at fixed dates (one transaction, rolled back, so the
-- scheduler's own evaluation at now sees none of it).
-- ------------------------------------------------------------------
BEGIN;
UPDATE dataops.pipelines SET created_at = '2026-01-01 00:00+00',
       options = '{"sla_deadline": "06:00 Europe/Paris"}' WHERE name = 'hl_clean';
SELECT dataops._sla_last_deadline('06:00 Europe/Paris', '2026-01-02 06:30+01') AS d1,
       dataops._sla_last_deadline('06:00 Europe/Paris', '2026-01-02 05:59+01') AS d0,
       dataops._sla_last_deadline('06:00', '2026-07-02 06:30+00') AS utc_default,
       dataops._sla_last_deadline('06:00 Europe/Paris', '2026-07-02 06:30+02') AS summer;
-- 06:30 Paris on Jan 2, no success since Jan 1 06:00: missed at 06:00 Paris (05:00 UTC)
SELECT dataops._evaluate_slas('2026-01-02 06:30+01');
SELECT dataops._evaluate_slas('2026-01-02 06:40+01');
INSERT INTO dataops.runs (pipeline, status, triggered_by, started_at, finished_at)
VALUES ('hl_clean', 'succeeded', 'hl_test', '2026-01-02 06:50+01', '2026-01-02 07:00+01');
-- recovered by the run finishing at 07:00 Paris
SELECT dataops._evaluate_slas('2026-01-02 08:00+01');
-- not missed again for that deadline
SELECT dataops._evaluate_slas('2026-01-02 09:00+01');
-- Jan 3 06:00: a success since Jan 2 06:00 (07:00): met
SELECT dataops._evaluate_slas('2026-01-03 06:30+01');
-- Jan 4 06:00: none since Jan 3 06:00: missed
SELECT dataops._evaluate_slas('2026-01-04 06:01+01');
SELECT kind, started_at, ended_at FROM dataops.sla_breaches WHERE pipeline = 'hl_clean' ORDER BY breach_id;
SELECT status, details->>'sla' AS sla, details->>'started_at' AS started, details->>'ended_at' AS ended
  FROM dataops.events WHERE pipeline = 'hl_clean' AND kind = 'sla' ORDER BY event_id;
-- the SLA removed: the open breach ends when evaluated
UPDATE dataops.pipelines SET options = '{}' WHERE name = 'hl_clean';
SELECT dataops._evaluate_slas('2026-01-05 00:00+00');
SELECT kind, started_at, ended_at FROM dataops.sla_breaches WHERE pipeline = 'hl_clean' ORDER BY breach_id;
ROLLBACK;

-- ------------------------------------------------------------------
-- The scheduler evaluates SLAs with no run: a pipeline that never ran,
-- created an hour ago, with sla_freshness 1 second is in breach since
-- created_at + 1 s, which the scheduler records within seconds.
-- ------------------------------------------------------------------
SELECT dataops.create_pipeline('hl_fresh');
UPDATE dataops.pipelines SET created_at = now() - interval '1 hour' WHERE name = 'hl_fresh';
SELECT dataops.set_pipeline_option('hl_fresh', 'sla_freshness', '"1 second"');
DO $$
BEGIN
    FOR i IN 1..600 LOOP
        EXIT WHEN EXISTS (SELECT 1 FROM dataops.sla_breaches WHERE pipeline = 'hl_fresh');
        PERFORM pg_sleep(0.1);
    END LOOP;
END $$;
SELECT b.kind, b.started_at = p.created_at + interval '1 second' AS since_created_plus_1s, b.ended_at IS NULL AS open
  FROM dataops.sla_breaches b JOIN dataops.pipelines p ON p.name = b.pipeline WHERE b.pipeline = 'hl_fresh';
SELECT kind, status, details->>'sla' AS sla FROM dataops.events WHERE pipeline = 'hl_fresh' AND kind = 'sla';

-- ------------------------------------------------------------------
-- Views for people
-- ------------------------------------------------------------------
SELECT pipeline, status, started - a AS started, duration, bronze_rows, quarantined, failed_step,
       failed_expectation, error
  FROM dataops.recent_runs, hl_anchor WHERE pipeline = 'hl_demo' LIMIT 3;
SELECT pipeline, health, sla_state, sla_missed_since IS NOT NULL AS missed, last_run_status,
       last_success - a AS last_success, failing_since, next_run, success_rate, dq_score, sla_compliance
  FROM dataops.pipeline_status, hl_anchor WHERE pipeline IN ('hl_demo', 'hl_clean') ORDER BY pipeline;
SELECT sla_state, sla_missed_since = (SELECT created_at + interval '1 second' FROM dataops.pipelines WHERE name = 'hl_fresh') AS since,
       sla_compliance < 1 AS below_one
  FROM dataops.pipeline_status WHERE pipeline = 'hl_fresh';
-- every column has a comment
SELECT c.relname, count(*) FILTER (WHERE col_description(c.oid, a.attnum) IS NULL) AS uncommented
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
 WHERE c.relnamespace = 'dataops'::regnamespace
   AND c.relname IN ('recent_runs', 'pipeline_status', 'pipeline_health', 'sla_breaches')
 GROUP BY c.relname ORDER BY c.relname;

-- ------------------------------------------------------------------
-- Row-level security: a role sees the health of its own pipelines only
-- ------------------------------------------------------------------
CREATE ROLE hl_viewer;
SET ROLE hl_viewer;
SELECT count(*) AS health_rows FROM dataops.health();
SELECT count(*) AS pipeline_health_rows FROM dataops.pipeline_health;
SELECT count(*) AS breaches FROM dataops.sla_breaches;
SELECT count(*) AS recent_runs FROM dataops.recent_runs;
SELECT count(*) AS status_rows FROM dataops.pipeline_status;
SELECT dataops._evaluate_slas();
RESET ROLE;
DROP ROLE hl_viewer;

-- Cleanup: the dropped pipeline's open breach is closed by the next evaluation
SELECT dataops.drop_pipeline('hl_fresh');
SELECT dataops._evaluate_slas() >= 0 AS evaluated;
SELECT count(*) AS open_breaches FROM dataops.sla_breaches WHERE ended_at IS NULL;
SELECT dataops.drop_pipeline('hl_demo');
SELECT dataops.drop_pipeline('hl_clean');
DELETE FROM dataops.runs WHERE pipeline IN ('hl_demo', 'hl_clean');
