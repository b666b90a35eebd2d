-- The people demo: bronze -> silver -> gold on the datablist sample shipped in test/data.
-- Run by `make demo` with psql -v datadir=<directory holding the CSV files>.
\set QUIET on
\pset footer off
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataops;
\o /dev/null
SELECT dataops.drop_pipeline(name) FROM dataops.pipelines WHERE name = 'people';
DROP SCHEMA IF EXISTS bronze, silver, gold CASCADE;
TRUNCATE dataops.ingested_files;
RESET client_min_messages;

\o
\echo '== the pipeline as code: dataops.apply_yaml(test/data/people.yaml), the file''s /path/to/ made the data directory'
SELECT * FROM dataops.apply_yaml(replace(pg_read_file(:'datadir' || '/people.yaml'), '/path/to/', :'datadir' || '/'));
\echo '== its data contract drives the silver checks: dataops.apply_contract(test/data/people.odcs.yaml, ODCS v3.1.0)'
SELECT * FROM dataops.apply_contract(pg_read_file(:'datadir' || '/people.odcs.yaml'), 'people');
\echo '== the expectations of the pipeline (contract_id: those the contract made)'
SELECT step, name, kind, column_name, action, mostly, contract_id, contract_version
  FROM dataops.expectations WHERE pipeline = 'people' ORDER BY step, name;

\echo
\echo '== SELECT dataops.run(''people'')'
SELECT dataops.run('people') AS run_id \gset
SELECT run_id, pipeline, status, finished_at - started_at AS duration FROM dataops.runs WHERE run_id = :run_id;

\echo '== rows per layer (dataops.step_runs)'
SELECT step, layer, target, rows_read, rows_written, duplicates_removed, rows_quarantined, files_ingested
  FROM dataops.step_runs WHERE run_id = :run_id ORDER BY started_at;

\echo '== expectations (dataops.expectation_results)'
SELECT step, expectation, kind, action, element_count, missing_count, unexpected_count,
       round(unexpected_percent::numeric, 3) AS unexpected_pct, observed_value, success,
       partial_unexpected_list
  FROM dataops.expectation_results WHERE run_id = :run_id ORDER BY step, expectation;

\echo '== quarantined rows (silver.people_quarantine)'
SELECT user_id, email, _failed_expectations FROM silver.people_quarantine ORDER BY user_id;

\echo '== lineage (dataops.lineage)'
SELECT step, source_relation, source_column, target_relation, target_column
  FROM dataops.lineage WHERE pipeline = 'people'
 ORDER BY step = 'raw' DESC, step = 'clean' DESC, target_column NULLS FIRST, source_relation;

\echo '== classification of the columns in the lineage, from the contract (dataops.column_lineage)'
SELECT target_relation, target_column, source_column, classification, tags
  FROM dataops.column_lineage WHERE pipeline = 'people' AND step = 'clean' AND classification IS NOT NULL
 ORDER BY target_column;

\echo '== OpenLineage: the COMPLETE event of the gold step (dataops.openlineage_events)'
SELECT jsonb_pretty(e) AS openlineage_event
  FROM dataops.openlineage_events(:run_id) e
 WHERE e->>'eventType' = 'COMPLETE' AND e->'job'->>'name' = 'people.people';

\echo '== a second run ingests no file twice'
SELECT dataops.run('people') AS run_id \gset
SELECT step, rows_read, rows_written, files_ingested, files_skipped
  FROM dataops.step_runs WHERE run_id = :run_id ORDER BY started_at;

\echo '== health of the pipeline (dataops.pipeline_health; definitions in the README, Health and SLAs)'
SELECT pipeline, runs, failed_runs, success_rate, mttr, mtbf, dq_score, dq_expectations_passed,
       sla_compliance, status
  FROM dataops.pipeline_health WHERE pipeline = 'people';

\echo '== what is broken and since when (dataops.pipeline_status, dataops.recent_runs)'
SELECT pipeline, health, sla_state, last_run_status, last_run_started, last_success
  FROM dataops.pipeline_status WHERE pipeline = 'people';
SELECT pipeline, status, started, duration, bronze_rows, silver_rows, gold_rows, quarantined
  FROM dataops.recent_runs WHERE pipeline = 'people' LIMIT 5;

\echo '== the same in Prometheus text format (dataops.prometheus_metrics(), first lines)'
SELECT line FROM regexp_split_to_table(dataops.prometheus_metrics(), E'\n') AS t(line)
 WHERE line LIKE 'dataops_runs_total%' OR line LIKE 'dataops_health_%' OR line LIKE 'dataops_step_rows_written_total%';

\echo '== a Slack message for the last run (what a notification with format slack posts)'
SET dataops.http_allowed_hosts = 'hooks.slack.com';
SELECT dataops.add_notification('people', 'https://hooks.slack.com/services/T000/B000/XXXX', '{failed,succeeded}') AS notification_id \gset
SELECT pg_catalog.jsonb_pretty(p) AS slack_message
  FROM dataops._notification_payloads(:notification_id,
         (SELECT max(event_id) FROM dataops.events WHERE run_id = :run_id AND kind = 'run')) AS p;
SELECT dataops.drop_notification(:notification_id);
RESET dataops.http_allowed_hosts;

\echo '== the pipeline as a YAML document again (dataops.export_yaml): what a team keeps in git'
SELECT dataops.export_yaml('people') AS "pipelines/people.yaml";
\echo '== a change reviewed before it is applied: the plan of a document with a stricter gold check (dry run)'
SELECT * FROM dataops.apply(jsonb_set(dataops.export('people'), '{pipelines,0,steps,2,expectations,0,args,min}', '10000'),
                            dry_run => true);
\echo '== the silver step as an ODCS v3.1.0 data contract (dataops.export_contract)'
SELECT dataops.export_contract('people', 'clean') AS "people.odcs.yaml";
