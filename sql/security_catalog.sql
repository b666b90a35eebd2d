-- Hostile roles against the catalog: history is private to the members of a
-- pipeline's owner, monitoring roles see statuses and counts only, nobody
-- writes the catalog or rewrites events, definition changes record who made
-- them, and the extension's schema and pg_cron jobs go with the extension.
\set VERBOSITY terse
CREATE ROLE sc_victim LOGIN;
CREATE ROLE sc_attacker;
CREATE ROLE sc_member IN ROLE sc_victim;
CREATE ROLE sc_monitor IN ROLE pg_monitor;
GRANT USAGE, CREATE ON SCHEMA public TO sc_victim;
GRANT CREATE ON DATABASE contrib_regression TO sc_victim;
CREATE TABLE public.sc_cards (id int, card text);
INSERT INTO public.sc_cards VALUES (1, '4111-1111-1111-1111'), (2, 'not a card'), (3, '5500-0000-0000-0004');
GRANT SELECT ON public.sc_cards TO sc_victim;

-- the victim's pipeline: a check that keeps card numbers as samples, and a failing step
SET ROLE sc_victim;
SELECT dataops.create_pipeline('sc_private', 'secret query inside');
SELECT dataops.add_step('sc_private', 'cards', 'silver', 'sc_layer.cards_out',
    query => 'SELECT id, card FROM public.sc_cards');
SELECT dataops.add_expectation('sc_private', 'cards', 'no_cards', 'not_match_regex', column_name => 'card',
    args => '{"pattern": "^[0-9]{4}-"}');
SELECT dataops.run('sc_private') > 0 AS ran;
SELECT dataops.create_pipeline('sc_failing');
SELECT dataops.add_step('sc_failing', 'boom', 'silver', 'sc_layer.boom',
    query => $q$SELECT 1 / (SELECT count(*) FROM public.sc_cards WHERE card = 'secret-detail')::int AS x$q$);
SELECT dataops.wait(dataops.start_run('sc_failing')) AS status;
SELECT (SELECT count(*) FROM dataops.runs WHERE pipeline LIKE 'sc\_%') AS own_runs,
       (SELECT partial_unexpected_list FROM dataops.expectation_results WHERE expectation = 'no_cards') AS own_samples;
RESET ROLE;

-- 1-16: the attacker sees none of it, in any table or view
SET ROLE sc_attacker;
SELECT 'pipelines' AS relation, count(*) FROM dataops.pipelines WHERE name LIKE 'sc\_%'
UNION ALL SELECT 'steps', count(*) FROM dataops.steps WHERE pipeline LIKE 'sc\_%'
UNION ALL SELECT 'expectations', count(*) FROM dataops.expectations WHERE pipeline LIKE 'sc\_%'
UNION ALL SELECT 'runs', count(*) FROM dataops.runs WHERE pipeline LIKE 'sc\_%'
UNION ALL SELECT 'step_runs', count(*) FROM dataops.step_runs WHERE step IN ('cards', 'boom')
UNION ALL SELECT 'expectation_results', count(*) FROM dataops.expectation_results WHERE expectation = 'no_cards'
UNION ALL SELECT 'lineage', count(*) FROM dataops.lineage WHERE pipeline LIKE 'sc\_%'
UNION ALL SELECT 'events', count(*) FROM dataops.events WHERE pipeline LIKE 'sc\_%'
UNION ALL SELECT 'step_state', count(*) FROM dataops.step_state WHERE pipeline LIKE 'sc\_%'
UNION ALL SELECT 'step_suites', count(*) FROM dataops.step_suites WHERE pipeline LIKE 'sc\_%'
UNION ALL SELECT 'pipeline_dependencies', count(*) FROM dataops.pipeline_dependencies WHERE pipeline LIKE 'sc\_%'
UNION ALL SELECT 'table_versions', count(*) FROM dataops.table_versions WHERE pipeline LIKE 'sc\_%'
UNION ALL SELECT 'last_runs', count(*) FROM dataops.last_runs WHERE pipeline LIKE 'sc\_%'
UNION ALL SELECT 'step_expectations', count(*) FROM dataops.step_expectations WHERE pipeline LIKE 'sc\_%'
UNION ALL SELECT 'versions', count(*) FROM dataops.versions WHERE pipeline LIKE 'sc\_%'
UNION ALL SELECT 'events_any_sample', count(*) FROM dataops.events WHERE details::text LIKE '%4111%';
-- 17-19: nor through the monitoring views (pg_monitor only)
SELECT count(*) FROM dataops.monitor_runs;
SELECT count(*) FROM dataops.monitor_step_runs;
SELECT count(*) FROM dataops.monitor_expectation_results;
-- 20-24: the attacker cannot write the catalog, nor forge history
INSERT INTO dataops.pipelines (name, owner) VALUES ('sc_forged', 'sc_victim');
UPDATE dataops.runs SET status = 'succeeded' WHERE pipeline = 'sc_failing';
DELETE FROM dataops.events;
INSERT INTO dataops.events (kind, status) VALUES ('run', 'succeeded');
TRUNCATE dataops.runs;
-- 25: nor act on the victim's pipeline
SELECT dataops.drop_pipeline('sc_private');
RESET ROLE;

-- 26-27: a member of the owner role sees everything of the owner's pipelines, samples and errors included
SET ROLE sc_member;
SELECT count(*) AS runs, bool_or(error_message LIKE '%division by zero%') AS sees_errors
  FROM dataops.runs WHERE pipeline LIKE 'sc\_%';
SELECT partial_unexpected_list IS NOT NULL AS sees_samples FROM dataops.expectation_results WHERE expectation = 'no_cards';
RESET ROLE;

-- 28-30: a monitoring role sees statuses and counts of every pipeline, without texts or samples
SET ROLE sc_monitor;
SELECT pipeline, status, failed_step, error_sqlstate FROM dataops.monitor_runs WHERE pipeline LIKE 'sc\_%' ORDER BY run_id;
SELECT pipeline, step, status, rows_written FROM dataops.monitor_step_runs WHERE pipeline LIKE 'sc\_%' ORDER BY run_id, step;
SELECT expectation, success, element_count, unexpected_count FROM dataops.monitor_expectation_results
 WHERE pipeline = 'sc_private';
-- and nothing from the tables themselves
SELECT count(*) AS raw_runs FROM dataops.runs WHERE pipeline LIKE 'sc\_%';
RESET ROLE;

-- 31: the monitoring views hold no query, error text or sample column
SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE c.relname LIKE 'monitor\_%' AND c.relnamespace = 'dataops'::regnamespace
   AND a.attname ~ '(query|message|detail|partial|observed|args|source)' ORDER BY 1, 2;

-- 32-33: events are append-only, even for a superuser outside history retention
UPDATE dataops.events SET status = 'forged' WHERE pipeline = 'sc_failing';
DELETE FROM dataops.events WHERE pipeline = 'sc_failing';

-- 34: definition events record the session and the acting role
SET ROLE sc_member;
SELECT dataops.set_pipeline_option('sc_private', 'retries', '1');
RESET ROLE;
SELECT kind, status, owner, session_role, acting_role FROM dataops.events
 WHERE pipeline = 'sc_private' AND kind = 'definition' ORDER BY event_id DESC LIMIT 1;

-- 35: the notification carries the event's number, not its content
SELECT pg_get_functiondef('dataops._emit_event(bigint, text, text, text, text, jsonb)'::regprocedure)
       ~ $$'event_id', e.event_id, 'run_id', e.run_id, 'kind', e.kind, 'status', e.status\)::text$$ AS payload_is_a_pointer;

-- 36: validation runs are private to the role that validated
SET ROLE sc_victim;
SELECT dataops.create_suite('sc_suite');
SELECT dataops.add_suite_expectation('sc_suite', 'ids', 'not_null', column_name => 'id');
SELECT count(*) AS results FROM dataops.validate('public.sc_cards', 'sc_suite') v;
RESET ROLE;
SET ROLE sc_attacker;
SELECT count(*) AS validations_seen FROM dataops.runs WHERE kind = 'validation' AND relation LIKE '%sc_cards%';
RESET ROLE;
SET ROLE sc_victim;
SELECT count(*) AS own_validations_seen FROM dataops.runs WHERE kind = 'validation' AND relation LIKE '%sc_cards%';
RESET ROLE;

-- 37-40: schedules by job id; long names never share a job; the attacker cannot touch them;
-- DROP EXTENSION removes the jobs and the schema; an attacker's pre-created schema is refused
CREATE EXTENSION pg_cron;
SELECT dataops.create_pipeline(repeat('x', 60) || '_one');
SELECT dataops.create_pipeline(repeat('x', 60) || '_two');
SELECT dataops.schedule(repeat('x', 60) || '_one', '0 3 29 2 *') <> dataops.schedule(repeat('x', 60) || '_two', '0 3 29 2 *') AS distinct_jobs;
SELECT dataops.unschedule(repeat('x', 60) || '_one');
SELECT p.name = repeat('x', 60) || '_two' AS still_scheduled FROM dataops.pipelines p JOIN cron.job j ON j.jobid = p.cron_jobid;
SET ROLE sc_attacker;
SELECT dataops.unschedule(repeat('x', 60) || '_two');
SELECT dataops.schedule('sc_private', '* * * * *');
RESET ROLE;
SELECT count(*) AS jobs_before_drop FROM cron.job;
DROP EXTENSION dataops;
SELECT count(*) AS jobs_after_drop FROM cron.job;
SELECT count(*) AS dataops_schemas FROM pg_namespace WHERE nspname = 'dataops';
DROP EXTENSION pg_cron;
CREATE SCHEMA dataops AUTHORIZATION sc_attacker;
CREATE EXTENSION dataops;
DROP SCHEMA dataops;
CREATE EXTENSION dataops;
SELECT extversion FROM pg_extension WHERE extname = 'dataops';

-- clean up
DROP TABLE public.sc_cards;
DROP SCHEMA sc_layer CASCADE;
REVOKE USAGE, CREATE ON SCHEMA public FROM sc_victim;
REVOKE CREATE ON DATABASE contrib_regression FROM sc_victim;
DROP ROLE sc_member, sc_monitor, sc_attacker, sc_victim;
