-- pgTAP: the people pipeline runs end to end on the shipped data (runs commit, so no wrapping transaction).
\set QUIET on
\getenv datadir DATAOPS_TEST_DATA
SELECT plan(9);
SELECT dataops.run('people_tap') AS run_id \gset
SELECT is((SELECT status FROM dataops.runs WHERE run_id = :run_id), 'succeeded', 'the run succeeds');
-- day 1: 6000 rows, day 2: 5000 rows
SELECT is((SELECT rows_written FROM dataops.step_runs WHERE run_id = :run_id AND step = 'raw'), 11000::bigint,
          'bronze holds both deliveries');
-- day 2 carries two invalid emails (Index 7001, 7002); the padded upper-case one (7003) is cleaned, not dropped
SELECT is((SELECT rows_quarantined FROM dataops.step_runs WHERE run_id = :run_id AND step = 'clean'), 2::bigint,
          'two rows quarantined');
SELECT is((SELECT rows_written FROM dataops.step_runs WHERE run_id = :run_id AND step = 'clean'), 10998::bigint,
          'silver publishes the rest');
-- rows 5001..6000 arrive twice
SELECT is((SELECT duplicates_removed FROM dataops.step_runs WHERE run_id = :run_id AND step = 'people'), 1000::bigint,
          'gold removes the overlap');
SELECT is((SELECT count(*) FROM gold_tap.people), 9998::bigint, 'one gold row per user_id');
SELECT is((SELECT count(DISTINCT user_id) FROM gold_tap.people), 9998::bigint, 'user_id is unique in gold');
SELECT results_eq($$SELECT email FROM silver_tap.people_quarantine ORDER BY email$$,
                  $$VALUES ('broken@'), ('not-an-email')$$, 'the invalid emails are in quarantine');
-- the worker commits the run: read its rows in a later statement
SELECT dataops.run('people_tap') AS rerun_id \gset
SELECT is((SELECT files_skipped FROM dataops.step_runs WHERE run_id = :rerun_id AND step = 'raw'), 2,
          'a re-run ingests no file twice');
SELECT * FROM finish();
