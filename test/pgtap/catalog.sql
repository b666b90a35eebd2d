-- pgTAP: the catalog contract (tables, columns, comments, functions) and the demo pipeline.
\set QUIET on
\getenv datadir DATAOPS_TEST_DATA
BEGIN;
SELECT plan(74);

SELECT has_schema('dataops');
SELECT has_table('dataops', t, 'table dataops.' || t)
  FROM unnest(ARRAY['pipelines', 'steps', 'expectations', 'runs', 'step_runs',
                    'expectation_results', 'lineage', 'ingested_files',
                    'suites', 'suite_expectations', 'step_suites', 'events', 'pipeline_dependencies',
                    'step_state', 'table_versions']) t;
SELECT has_view('dataops', 'last_runs', 'view dataops.last_runs');
SELECT has_view('dataops', 'step_expectations', 'view dataops.step_expectations');
SELECT has_view('dataops', 'schedules', 'view dataops.schedules');
SELECT has_view('dataops', 'versions', 'view dataops.versions');
SELECT columns_are('dataops', 'runs', ARRAY['run_id', 'pipeline', 'status', 'full_refresh', 'triggered_by',
       'queued_at', 'started_at', 'finished_at', 'error_message', 'error_detail', 'error_sqlstate',
       'failed_step', 'worker_pid', 'kind', 'relation', 'suite', 'cancel_requested', 'not_before',
       'crash_count', 'upstream_run_id', 'owner']);
SELECT columns_are('dataops', 'step_runs', ARRAY['run_id', 'step', 'layer', 'target', 'status', 'rows_read',
       'rows_written', 'duplicates_removed', 'rows_quarantined', 'files_ingested', 'files_skipped',
       'target_recreated', 'started_at', 'finished_at', 'error_message', 'attempt', 'step_run_id',
       'worker_pid', 'retry_at', 'error_detail', 'error_sqlstate', 'rows_inserted', 'rows_updated',
       'rows_deleted', 'watermark']);
SELECT columns_are('dataops', 'expectation_results', ARRAY['run_id', 'step', 'expectation', 'kind', 'action',
       'column_name', 'mostly', 'element_count', 'missing_count', 'unexpected_count', 'unexpected_percent',
       'observed_value', 'success', 'partial_unexpected_list', 'checked_at', 'suite', 'result_format',
       'missing_percent', 'partial_unexpected_counts', 'attempt']);
SELECT columns_are('dataops', 'events', ARRAY['event_id', 'at', 'run_id', 'pipeline', 'step', 'kind', 'status',
       'details', 'owner', 'session_role', 'acting_role']);
SELECT has_view('dataops', v, 'view dataops.' || v)
  FROM unnest(ARRAY['monitor_runs', 'monitor_step_runs', 'monitor_expectation_results']) v;
SELECT is((SELECT array_agg(c.relname::text ORDER BY c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'dataops' AND c.relkind = 'r' AND NOT c.relrowsecurity),
          ARRAY['suite_expectations', 'suites'],
          'row-level security on every catalog table but the shared suites');
SELECT is((SELECT array_agg(c.relname::text ORDER BY c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'dataops' AND c.relkind = 'v'
              AND NOT coalesce('security_invoker=true' = ANY (c.reloptions), false)),
          ARRAY['metrics', 'monitor_expectation_results', 'monitor_runs', 'monitor_step_runs'],
          'every view but the monitoring ones reads the catalog with the reader''s rights');
-- dataops.metrics reads with the owner's rights too, and filters its rows itself
SELECT ok((SELECT 'security_barrier=true' = ANY (c.reloptions) FROM pg_class c
            WHERE c.oid = 'dataops.metrics'::regclass),
          'dataops.metrics, which filters its rows itself, is a security barrier');
SELECT ok(EXISTS (SELECT 1 FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
                   WHERE d.classid = 'pg_namespace'::regclass AND d.objid = 'dataops'::regnamespace
                     AND e.extname = 'dataops' AND d.deptype = 'e'),
          'the dataops schema belongs to the extension (DROP EXTENSION removes it)');
SELECT columns_are('dataops', 'lineage', ARRAY['pipeline', 'step', 'source_relation', 'source_column',
       'target_relation', 'target_column', 'run_id', 'recorded_at', 'transformation']);

SELECT is((SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'dataops' AND c.relkind IN ('r', 'v')
              AND obj_description(c.oid, 'pg_class') IS NULL), 0,
          'every catalog table and view has a comment');
SELECT is((SELECT count(*)::int FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'dataops' AND c.relkind IN ('r', 'v') AND a.attnum > 0 AND NOT a.attisdropped
              AND col_description(c.oid, a.attnum) IS NULL), 0,
          'every catalog column has a comment');
SELECT is((SELECT count(*)::int FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'dataops' AND obj_description(p.oid, 'pg_proc') IS NULL), 0,
          'every dataops function has a comment');
SELECT has_function('dataops', f, 'function dataops.' || f)
  FROM unnest(ARRAY['create_pipeline', 'drop_pipeline', 'add_step', 'add_expectation', 'run',
                    'schedule', 'unschedule', 'regex_match', 'regex_extract', 'regex_replace',
                    'input_is_valid', 'matches_strftime', 'create_suite', 'drop_suite',
                    'add_suite_expectation', 'attach_suite', 'detach_suite', 'validate', 'start_run',
                    'wait', 'cancel', 'set_pipeline_option', 'add_dependency', 'drop_dependency',
                    'rollback', 'diff']) f;
SELECT function_returns('dataops', 'validate', ARRAY['regclass', 'text'], 'setof dataops.expectation_results');
SELECT function_returns('dataops', 'run', ARRAY['text', 'boolean'], 'bigint');
SELECT function_returns('dataops', 'schedule', ARRAY['text', 'text'], 'bigint');
SELECT function_returns('dataops', 'start_run', ARRAY['text', 'boolean'], 'bigint');
SELECT function_returns('dataops', 'wait', ARRAY['bigint', 'interval'], 'text');
SELECT function_returns('dataops', 'cancel', ARRAY['bigint'], 'boolean');
SELECT is((SELECT count(*)::int FROM pg_extension e, unnest(e.extconfig) c WHERE e.extname = 'dataops'), 26,
          'definitions and history are dumped by pg_dump (pg_extension_config_dump)');

-- the demo pipeline
SELECT lives_ok($$SELECT dataops.create_pipeline('people_tap')$$, 'create the pipeline');
SELECT lives_ok(format($f$SELECT dataops.add_step('people_tap', 'raw', 'bronze', 'bronze_tap.people', source => %L)$f$,
                       :'datadir' || '/people-day*.csv'), 'add the bronze step');
SELECT lives_ok($$SELECT dataops.add_step('people_tap', 'clean', 'silver', 'silver_tap.people', query => $q$
  SELECT user_id, sex, lower(trim(email)) AS email, date_of_birth::date AS date_of_birth, _source_file
    FROM bronze_tap.people $q$)$$, 'add the silver step');
SELECT lives_ok($$SELECT dataops.add_step('people_tap', 'people', 'gold', 'gold_tap.people',
  query => 'SELECT * FROM silver_tap.people', unique_key => '{user_id}', keep => '_source_file DESC')$$,
  'add the gold step');
SELECT lives_ok($$SELECT dataops.add_expectation('people_tap', 'clean', 'email_valid', 'match_regex', 'email',
  '{"pattern": "^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$"}', 'drop')$$, 'add the email expectation');
SELECT is((SELECT depends_on FROM dataops.steps WHERE pipeline = 'people_tap' AND name = 'people'),
          ARRAY['clean'], 'gold depends on silver, found by the parser');
SELECT * FROM finish();
COMMIT;
