-- Issue 14, item 1: changing a pipeline in place.  alter_step,
-- drop_step, rename_step, alter_expectation, drop_expectation,
-- drop_suite_expectation, alter_pipeline and rename_pipeline: validated as
-- the add_* functions, refused while a run is queued or running, recorded
-- as definition events with the old and new rows, the DAG derived again,
-- history kept under the new names.  run_outcome is defined in kinds.sql.
\pset null '(null)'
CREATE TABLE public.al_src (id int, name text, score int);
INSERT INTO public.al_src VALUES (1, 'ann', 10), (2, 'bob', 20), (3, NULL, 30), (4, 'dee', 40);
SELECT dataops.create_pipeline('al', 'first description');
SELECT dataops.add_step('al', 'clean', 'silver', 'al_clean', query => 'SELECT id, name, score FROM public.al_src');
SELECT dataops.add_step('al', 'top', 'gold', 'al_top', query => 'SELECT id, score FROM silver.al_clean WHERE score > 15');
SELECT dataops.add_expectation('al', 'clean', 'name_nn', 'not_null', 'name');
SELECT dataops.add_expectation('al', 'clean', 'score_ok', 'between', 'score', '{"min": 0, "max": 100}');
SELECT public.run_outcome('al');
SELECT max(event_id) AS ev0 FROM dataops.events \gset

-- alter_step changes only what it is given; the next run uses the new query
SELECT dataops.alter_step('al', 'clean', query => 'SELECT id, upper(name) AS name, score FROM public.al_src WHERE id > 1');
SELECT name, layer, target_schema, target_table, query, unique_key, depends_on, reads
  FROM dataops.steps WHERE pipeline = 'al' ORDER BY name;
-- one definition event, with the old and the new row
SELECT kind, status, pipeline, step, details->>'table' AS tbl,
       details->'old'->>'query' AS old_query, details->'new'->>'query' AS new_query
  FROM dataops.events WHERE event_id > :ev0 ORDER BY event_id;
SELECT public.run_outcome('al');
SELECT * FROM silver.al_clean ORDER BY id;
-- the same values again: no row change, no event
SELECT max(event_id) AS ev1 FROM dataops.events \gset
SELECT dataops.alter_step('al', 'clean', query => 'SELECT id, upper(name) AS name, score FROM public.al_src WHERE id > 1');
SELECT count(*) AS events_for_no_change FROM dataops.events WHERE event_id > :ev1;

-- unique_key and keep, then reset; options replaced and reset
SELECT dataops.alter_step('al', 'clean', unique_key => '{id}', keep => 'score DESC', options => '{"retries": 2}');
SELECT unique_key, keep, options FROM dataops.steps WHERE pipeline = 'al' AND name = 'clean';
SELECT dataops.alter_step('al', 'clean', reset => '{keep,unique_key,options}');
SELECT unique_key, keep, options FROM dataops.steps WHERE pipeline = 'al' AND name = 'clean';

-- bad input: a clear error and nothing changed
SELECT md5(row(s.*)::text) AS before_clean FROM dataops.steps s WHERE pipeline = 'al' AND name = 'clean' \gset
SELECT dataops.alter_step('al', 'clean', layer => 'platinum');
SELECT dataops.alter_step('al', 'clean', query => 'SELEC 1');
SELECT dataops.alter_step('al', 'clean', query => 'SELECT 1; DROP TABLE public.al_src');
SELECT dataops.alter_step('al', 'clean', keep => 'score');            -- keep needs a unique_key
SELECT dataops.alter_step('al', 'clean', keep => 'score', reset => '{keep}');
SELECT dataops.alter_step('al', 'clean', reset => '{layer}');
SELECT dataops.alter_step('al', 'clean', reset => '{query}');          -- nothing left to publish
SELECT dataops.alter_step('al', 'clean', source => '/tmp/x.csv');      -- both a query and a source
SELECT dataops.alter_step('al', 'clean', options => '{"bogus": 1}');
SELECT dataops.alter_step('al', 'clean', options => '{"materialization": "incremental"}');  -- needs a unique_key
SELECT dataops.alter_step('al', 'clean', target => 'gold.al_top');     -- another step's target
SELECT dataops.alter_step('al', 'clean', query => 'SELECT id, NULL::text AS name, score FROM gold.al_top');  -- a cycle
SELECT dataops.alter_step('al', 'nosuch', query => 'SELECT 1');
SELECT dataops.alter_step('nosuch', 'clean', query => 'SELECT 1');
SELECT dataops.alter_step('al', 'clean', reset => NULL);
SELECT md5(row(s.*)::text) = :'before_clean' AS clean_unchanged FROM dataops.steps s WHERE pipeline = 'al' AND name = 'clean';

-- a new target: the DAG follows the queries
SELECT dataops.alter_step('al', 'clean', target => 'al_clean2');
SELECT name, target_schema, target_table, depends_on FROM dataops.steps WHERE pipeline = 'al' ORDER BY name;
SELECT dataops.alter_step('al', 'top', query => 'SELECT id, score FROM silver.al_clean2 WHERE score > 15');
SELECT name, depends_on, reads FROM dataops.steps WHERE pipeline = 'al' ORDER BY name;
SELECT public.run_outcome('al');
SELECT * FROM gold.al_top ORDER BY id;

-- expectations: alter validated as add_expectation, drop keeps past results
SELECT dataops.alter_expectation('al', 'clean', 'score_ok', args => '{"min": 0, "max": 25}', action => 'drop');
SELECT name, kind, column_name, args, action, mostly FROM dataops.expectations WHERE pipeline = 'al' ORDER BY name;
SELECT dataops.alter_expectation('al', 'clean', 'score_ok', kind => 'no_such_kind');
SELECT dataops.alter_expectation('al', 'clean', 'score_ok', mostly => 1.5);
SELECT dataops.alter_expectation('al', 'clean', 'score_ok', column_name => 'no_such_column');
SELECT dataops.alter_expectation('al', 'clean', 'score_ok', reset => '{column_name}');
SELECT dataops.alter_expectation('al', 'clean', 'nosuch', action => 'fail');
SELECT name, args, action FROM dataops.expectations WHERE pipeline = 'al' AND name = 'score_ok';
SELECT public.run_outcome('al');
SELECT id, score FROM silver.al_clean2 ORDER BY id;
SELECT dataops.drop_expectation('al', 'clean', 'name_nn');
SELECT dataops.drop_expectation('al', 'clean', 'name_nn');
SELECT name FROM dataops.expectations WHERE pipeline = 'al';
SELECT count(*) AS name_nn_results_kept FROM dataops.expectation_results r JOIN dataops.runs USING (run_id)
 WHERE pipeline = 'al' AND expectation = 'name_nn';

-- suites: drop_suite_expectation
SELECT dataops.create_suite('al_suite');
SELECT dataops.add_suite_expectation('al_suite', 'id_nn', 'not_null', 'id');
SELECT dataops.add_suite_expectation('al_suite', 'id_pos', 'between', 'id', '{"min": 1}');
SELECT dataops.attach_suite('al', 'top', 'al_suite');
SELECT dataops.drop_suite_expectation('al_suite', 'id_pos');
SELECT dataops.drop_suite_expectation('al_suite', 'id_pos');
SELECT name FROM dataops.suite_expectations WHERE suite = 'al_suite';

-- rename_step: expectations, suites, step runs, results and the DAG follow
SELECT count(*) AS clean_step_runs FROM dataops.step_runs JOIN dataops.runs USING (run_id)
 WHERE pipeline = 'al' AND step = 'clean';
SELECT dataops.rename_step('al', 'clean', 'people');
SELECT dataops.rename_step('al', 'people', 'top');          -- taken
SELECT dataops.rename_step('al', 'people', '');             -- not a name
SELECT dataops.rename_step('al', 'nosuch', 'x');
SELECT name, depends_on FROM dataops.steps WHERE pipeline = 'al' ORDER BY name;
SELECT step, name FROM dataops.expectations WHERE pipeline = 'al';
SELECT step, count(*) FROM dataops.step_runs JOIN dataops.runs USING (run_id)
 WHERE pipeline = 'al' GROUP BY step ORDER BY step;
SELECT step, count(*) FROM dataops.expectation_results JOIN dataops.runs USING (run_id)
 WHERE pipeline = 'al' GROUP BY step ORDER BY step;
SELECT DISTINCT step FROM dataops.lineage WHERE pipeline = 'al' ORDER BY step;
SELECT public.run_outcome('al');

-- alter_pipeline, rename_pipeline: history, dependencies and the schedule follow
SELECT dataops.alter_pipeline('al', description => 'second description');
SELECT description FROM dataops.pipelines WHERE name = 'al';
SELECT dataops.alter_pipeline('al', reset => '{description}');
SELECT description FROM dataops.pipelines WHERE name = 'al';
SELECT dataops.create_pipeline('al_down');
SELECT dataops.add_dependency('al_down', 'al');
CREATE EXTENSION pg_cron;
SELECT dataops.schedule('al', '0 3 * * *') > 0 AS scheduled;
SELECT array_agg(run_id ORDER BY run_id) AS al_runs FROM dataops.runs WHERE pipeline = 'al' \gset
SELECT dataops.rename_pipeline('al', 'al_people');
SELECT dataops.rename_pipeline('al_people', 'al_down');     -- taken
SELECT dataops.rename_pipeline('nosuch', 'x');
SELECT name, description FROM dataops.pipelines WHERE name LIKE 'al%' ORDER BY name;
SELECT array_agg(run_id ORDER BY run_id) = :'al_runs' AS runs_follow, count(*) AS runs
  FROM dataops.runs WHERE run_id = ANY (:'al_runs') AND pipeline = 'al_people';
SELECT pipeline, upstream FROM dataops.pipeline_dependencies WHERE pipeline = 'al_down';
SELECT jobname, schedule, command FROM cron.job WHERE jobname LIKE 'dataops:al%';
SELECT pipeline, schedule FROM dataops.schedules WHERE pipeline LIKE 'al%';
SELECT dataops.unschedule('al_people');
-- a job another role scheduled is invisible to the owner in pg_cron: the rename is refused, not left behind
CREATE ROLE al_owner;
GRANT USAGE ON SCHEMA cron TO al_owner;
SET ROLE al_owner;
SELECT dataops.create_pipeline('al_cron');
RESET ROLE;
SELECT dataops.schedule('al_cron', '0 4 * * *') > 0 AS scheduled_by_another_role;
SET ROLE al_owner;
SELECT dataops.rename_pipeline('al_cron', 'al_cron2');
RESET ROLE;
SELECT name FROM dataops.pipelines WHERE name LIKE 'al_cron%';
SELECT dataops.rename_pipeline('al_cron', 'al_cron2');     -- as the role that scheduled it
SELECT jobname, command FROM cron.job WHERE jobname LIKE 'dataops:al_cron%';
SELECT dataops.unschedule('al_cron2');
SELECT dataops.drop_pipeline('al_cron2');
REVOKE USAGE ON SCHEMA cron FROM al_owner;
DROP ROLE al_owner;
SELECT count(*) AS jobs_left FROM cron.job WHERE jobname LIKE 'dataops:al%';
DROP EXTENSION pg_cron;
SELECT pipeline, step, name FROM dataops.expectations WHERE pipeline LIKE 'al%';
SELECT public.run_outcome('al_people');

-- refused while a run is queued or running (every step of a run uses one definition)
SELECT dataops.add_step('al_down', 'slow', 'silver', 'al_slow', query => 'SELECT 1 AS x FROM pg_sleep(1.5)');
SELECT dataops.start_run('al_down') AS slow_run \gset
DO $$
BEGIN
    PERFORM dataops.alter_step('al_down', 'slow', query => 'SELECT 2 AS x');
EXCEPTION WHEN object_in_use THEN
    RAISE NOTICE 'refused: %', SQLSTATE;
END $$;
DO $$
BEGIN
    PERFORM dataops.rename_pipeline('al_down', 'al_down2');
EXCEPTION WHEN object_in_use THEN
    RAISE NOTICE 'refused: %', SQLSTATE;
END $$;
-- adding to a pipeline is a definition change too
DO $$
BEGIN
    PERFORM dataops.add_expectation('al_down', 'slow', 'x_nn', 'not_null', 'x');
EXCEPTION WHEN object_in_use THEN
    RAISE NOTICE 'refused: %', SQLSTATE;
END $$;
DO $$
BEGIN
    PERFORM dataops.add_step('al_down', 'more', 'gold', 'al_more', query => 'SELECT 1 AS y');
EXCEPTION WHEN object_in_use THEN
    RAISE NOTICE 'refused: %', SQLSTATE;
END $$;
SELECT dataops.wait(:slow_run);
SELECT count(*) AS added_during_run FROM dataops.steps WHERE pipeline = 'al_down' AND name = 'more';
SELECT dataops.alter_step('al_down', 'slow', query => 'SELECT 2 AS x');
SELECT public.run_outcome('al_down');
SELECT x FROM silver.al_slow;

-- an incremental step whose query changes follows the query-hash rule
SELECT dataops.add_step('al_down', 'inc', 'gold', 'al_inc', query => 'SELECT id, score FROM public.al_src',
                        unique_key => '{id}', options => '{"materialization": "incremental", "watermark": "id"}');
SELECT public.run_outcome('al_down');
SELECT dataops.alter_step('al_down', 'inc', query => 'SELECT id, score * 2 AS score FROM public.al_src');
SELECT public.run_outcome('al_down');
SELECT dataops.run('al_down', full_refresh => true) > 0 AS refreshed;
SELECT id, score FROM gold.al_inc ORDER BY id;

-- drop_step: refused while another step reads its target; drop_target as the caller
SELECT dataops.drop_step('al_people', 'people');
SELECT dataops.drop_step('al_people', 'top', drop_target => true);
SELECT to_regclass('gold.al_top') AS top_table;
SELECT name FROM dataops.steps WHERE pipeline = 'al_people';
SELECT count(*) > 0 AS top_history_kept FROM dataops.step_runs JOIN dataops.runs USING (run_id)
 WHERE pipeline = 'al_people' AND step = 'top';
CREATE VIEW public.al_reader AS SELECT * FROM silver.al_clean2;
SELECT dataops.drop_step('al_people', 'people', drop_target => true);   -- the view depends on it
SELECT name FROM dataops.steps WHERE pipeline = 'al_people';
DROP VIEW public.al_reader;
SELECT dataops.drop_step('al_people', 'people');
SELECT to_regclass('silver.al_clean2') IS NOT NULL AS target_left;
SELECT dataops.drop_step('al_people', 'people');

-- another role may not change the pipeline
CREATE ROLE al_other;
SET ROLE al_other;
SELECT dataops.alter_step('al_down', 'slow', query => 'SELECT 3 AS x');
SELECT dataops.rename_pipeline('al_down', 'mine');
SELECT dataops.drop_step('al_down', 'slow');
SELECT dataops.alter_pipeline('al_down', description => 'mine');
SELECT dataops.drop_suite_expectation('al_suite', 'id_nn');
RESET ROLE;
SELECT query FROM dataops.steps WHERE pipeline = 'al_down' AND name = 'slow';

SELECT dataops.drop_pipeline('al_down');
SELECT dataops.drop_pipeline('al_people');
SELECT dataops.drop_suite('al_suite');
DROP TABLE public.al_src, silver.al_clean, silver.al_clean2, silver.al_slow, gold.al_inc;
DROP ROLE al_other;
