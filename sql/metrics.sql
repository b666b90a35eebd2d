-- Prometheus metrics: dataops.metrics and dataops.prometheus_metrics().
-- Series of the pipelines a role may see (all for pg_monitor), labels escaped
-- per the text exposition format, HELP and TYPE once per metric, no run ids.
\set VERBOSITY terse
CREATE ROLE metrics_owner LOGIN;
CREATE ROLE metrics_stranger;
CREATE ROLE metrics_monitor IN ROLE pg_monitor;
GRANT USAGE, CREATE ON SCHEMA public TO metrics_owner;
GRANT CREATE ON DATABASE contrib_regression TO metrics_owner;
CREATE TABLE public.metrics_src (id int, v text);
INSERT INTO public.metrics_src VALUES (1, 'a'), (1, 'a'), (2, NULL), (3, 'c'), (4, NULL);
GRANT SELECT ON public.metrics_src TO metrics_owner;

SET ROLE metrics_owner;
-- a name with a double quote and a backslash
SELECT dataops.create_pipeline(E'metrics "q\\b');
SELECT dataops.add_step(E'metrics "q\\b', 'load', 'silver', 'metrics_layer.load',
    query => 'SELECT id, v FROM public.metrics_src', unique_key => '{id}');
SELECT dataops.add_expectation(E'metrics "q\\b', 'load', 'v_not_null', 'not_null', 'v');
SELECT dataops.run(E'metrics "q\\b') > 0 AS ran;
SELECT dataops.run(E'metrics "q\\b') > 0 AS ran;
SELECT dataops.create_pipeline('metrics_failing');
SELECT dataops.add_step('metrics_failing', 'boom', 'silver', 'metrics_layer.boom',
    query => 'SELECT 1 / 0 AS x');
SELECT dataops.wait(dataops.start_run('metrics_failing')) AS status;
RESET ROLE;

-- 1: the series of both pipelines (times left out: they vary; an open
-- incident's MTTR runs up to now)
SELECT name, labels, value, type FROM dataops.metrics
 WHERE labels ->> 'pipeline' IN (E'metrics "q\\b', 'metrics_failing')
   AND name NOT IN ('dataops_last_run_duration_seconds', 'dataops_last_success_timestamp_seconds',
                    'dataops_run_expected_duration_seconds', 'dataops_health_mttr_seconds')
 ORDER BY name, labels::text;
-- the health series are dataops.health()'s figures (metrics_failing's run
-- failed: an open incident, so an MTTR; the other has no incident)
SELECT h.pipeline,
       (SELECT m.value FROM dataops.metrics m WHERE m.name = 'dataops_health_mttr_seconds'
           AND m.labels ->> 'pipeline' = h.pipeline) IS NOT DISTINCT FROM date_part('epoch', h.mttr) AS mttr_equal,
       (SELECT m.value FROM dataops.metrics m WHERE m.name = 'dataops_health_dq_score'
           AND m.labels ->> 'pipeline' = h.pipeline) IS NOT DISTINCT FROM h.dq_score::float8 AS dq_equal,
       (SELECT m.value FROM dataops.metrics m WHERE m.name = 'dataops_health_status'
           AND m.labels ->> 'pipeline' = h.pipeline) AS status_value, h.status
  FROM dataops.health() h WHERE h.pipeline IN (E'metrics "q\\b', 'metrics_failing') ORDER BY 1;
-- 2: the time series exist where they should, with sane values
SELECT name, labels ->> 'pipeline' AS pipeline, value >= 0 AS non_negative
  FROM dataops.metrics
 WHERE labels ->> 'pipeline' IN (E'metrics "q\\b', 'metrics_failing')
   AND name IN ('dataops_last_run_duration_seconds', 'dataops_last_success_timestamp_seconds',
                'dataops_run_expected_duration_seconds')
 ORDER BY 1, 2;
-- 3: the unlabelled gauges
SELECT name, labels, value, type FROM dataops.metrics
 WHERE name IN ('dataops_queued_runs', 'dataops_running_steps', 'dataops_scheduler_up') ORDER BY name;
-- 4: every metric has one type and one help text; names are dataops_*; counters end in _total
SELECT count(DISTINCT name) AS metrics,
       bool_and(name ~ '^dataops_[a-z_]+$') AS names_ok,
       bool_and(type IN ('counter', 'gauge')) AS types_ok,
       bool_and(type <> 'counter' OR name LIKE '%\_total') AS counters_total
  FROM dataops.metrics;
SELECT name FROM dataops.metrics GROUP BY name HAVING count(DISTINCT type) > 1 OR count(DISTINCT help) > 1;
-- 5: no run id anywhere in the labels
SELECT count(*) AS run_id_labels FROM dataops.metrics m, jsonb_each_text(m.labels) l
 WHERE l.key LIKE '%run%' OR l.value IN (SELECT run_id::text FROM dataops.runs);
SELECT DISTINCT l.key FROM dataops.metrics m, jsonb_each_text(m.labels) l ORDER BY 1;

-- 6: the text format: HELP and TYPE once per metric, label values escaped
-- (the lines of the two pipelines, times masked)
SELECT CASE WHEN line ~ '^dataops_(last_run_duration_seconds|last_success_timestamp_seconds|run_expected_duration_seconds|health_mttr_seconds)\{'
            THEN regexp_replace(line, ' [0-9.e+]+$', ' <varies>') ELSE line END AS line
  FROM regexp_split_to_table(dataops.prometheus_metrics(), E'\n') WITH ORDINALITY AS t(line, n)
 WHERE line LIKE '%metrics \\"q\\\\b%' OR line LIKE '%metrics_failing%'
 ORDER BY n;
SELECT line FROM regexp_split_to_table(dataops.prometheus_metrics(), E'\n') AS t(line)
 WHERE line LIKE '# % dataops_runs_total %' OR line LIKE '# % dataops_scheduler_up %' OR line LIKE 'dataops_scheduler_up%';
WITH t AS (SELECT line FROM regexp_split_to_table(dataops.prometheus_metrics(), E'\n') AS t(line))
SELECT (SELECT count(*) FROM t WHERE line LIKE '# HELP %') AS help_lines,
       (SELECT count(*) FROM t WHERE line LIKE '# TYPE %') AS type_lines,
       (SELECT count(DISTINCT name) FROM dataops.metrics) AS metrics,
       (SELECT count(*) FROM t WHERE line NOT LIKE '#%' AND line <> '') = (SELECT count(*) FROM dataops.metrics) AS one_line_per_series,
       right(dataops.prometheus_metrics(), 1) = E'\n' AS ends_with_newline;
-- sorted: metric names in C order, each metric's block contiguous
WITH t AS (SELECT n, substring(line FROM '^# TYPE ([a-z_]+) ') AS name
             FROM regexp_split_to_table(dataops.prometheus_metrics(), E'\n') WITH ORDINALITY AS t(line, n))
SELECT array_agg(name ORDER BY n) = array_agg(name ORDER BY name COLLATE "C") AS sorted
  FROM t WHERE name IS NOT NULL;
-- stable: the same text twice
SELECT dataops.prometheus_metrics() = dataops.prometheus_metrics() AS stable;

-- 7: the escaping of a label value: backslash, double quote, line feed
-- (names cannot hold a line feed; other label values may)
SELECT dataops._prometheus_label_value(E'a\\b"c\nd') AS escaped;

-- 8: a stranger sees no series of these pipelines, only the unlabelled gauges
SET ROLE metrics_stranger;
SELECT count(*) AS pipeline_series FROM dataops.metrics
 WHERE labels ->> 'pipeline' IN (E'metrics "q\\b', 'metrics_failing');
SELECT position('metrics_failing' IN dataops.prometheus_metrics()) AS in_text;
SELECT name, value FROM dataops.metrics WHERE name = 'dataops_scheduler_up';
-- its WHERE clause cannot see the rows before the filter (security_barrier)
CREATE FUNCTION pg_temp.metrics_peek(t text) RETURNS boolean LANGUAGE plpgsql COST 0.0001 AS
$$BEGIN RAISE NOTICE 'peek: %', t; RETURN true; END$$;
SELECT count(*) FROM dataops.metrics WHERE pg_temp.metrics_peek(labels::text) AND labels ->> 'pipeline' = 'metrics_failing';
DROP FUNCTION pg_temp.metrics_peek(text);
RESET ROLE;
-- 9: a pg_monitor member sees every pipeline
SET ROLE metrics_monitor;
SELECT count(*) > 0 AS owner_series, count(DISTINCT labels ->> 'pipeline') AS pipelines FROM dataops.metrics
 WHERE labels ->> 'pipeline' IN (E'metrics "q\\b', 'metrics_failing');
SELECT name, value FROM dataops.metrics WHERE name = 'dataops_scheduler_up';
RESET ROLE;
-- 10: the owner sees the same series as the superuser
SET ROLE metrics_owner;
SELECT count(*) AS owner_series FROM dataops.metrics
 WHERE labels ->> 'pipeline' IN (E'metrics "q\\b', 'metrics_failing');
RESET ROLE;
SELECT count(*) AS superuser_series FROM dataops.metrics
 WHERE labels ->> 'pipeline' IN (E'metrics "q\\b', 'metrics_failing');

-- clean up
SELECT dataops.drop_pipeline(E'metrics "q\\b');
SELECT dataops.drop_pipeline('metrics_failing');
DELETE FROM dataops.runs WHERE pipeline IN (E'metrics "q\\b', 'metrics_failing');
DROP SCHEMA IF EXISTS metrics_layer CASCADE;
DROP TABLE public.metrics_src;
REVOKE ALL ON SCHEMA public FROM metrics_owner;
REVOKE ALL ON DATABASE contrib_regression FROM metrics_owner;
DROP OWNED BY metrics_owner;
DROP ROLE metrics_owner;
DROP ROLE metrics_stranger;
DROP ROLE metrics_monitor;
