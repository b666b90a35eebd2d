/* dataops 0.6.0 -> 0.7.0: operate it like a DataOps team: SLAs and health
 * (MTTR, MTBF, data quality score, SLA compliance), Prometheus metrics,
 * notifications through a transactional outbox, OpenLineage events, and
 * views read by people (issue 12). */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION dataops UPDATE TO '0.7.0'" to load this file. \quit

-- ===== sla and health

-- ===== notifications

-- ===== openlineage

-- ===== metrics

-- Prometheus metrics.  dataops.metrics is one row per series; it reads the
-- catalog with the extension owner's rights (like the monitor_* views) and
-- filters the rows itself: a role sees the series of the pipelines whose
-- owner it has the privileges of (the rule of the catalog's row-level
-- security policies), and a member of pg_monitor sees every pipeline (the
-- exporter's role).  Only names, counts and times leave the catalog: no
-- query texts, error texts, sample values, and no run ids as labels.
-- security_barrier keeps a caller's own WHERE clauses from seeing rows
-- before the filter.  Each metric is one UNION ALL branch: add one by
-- appending a branch (see docs-notes/metrics.md for the health and SLA ones).

CREATE FUNCTION dataops._metrics_visible(owner name) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
SELECT pg_catalog.pg_has_role('pg_monitor', 'USAGE')
    OR EXISTS (SELECT 1 FROM pg_catalog.pg_roles o
                WHERE o.rolname OPERATOR(pg_catalog.=) owner
                  AND pg_catalog.pg_has_role(o.oid, 'USAGE'))
$fn$;
COMMENT ON FUNCTION dataops._metrics_visible(name) IS
'Internal to dataops.metrics: whether the current role may see the metrics of a pipeline owned by owner (it has the privileges of owner, or of pg_monitor)';

CREATE VIEW dataops.metrics WITH (security_barrier = true) AS
WITH runs AS (
    SELECT r.run_id, r.pipeline, r.status, r.started_at, r.finished_at
      FROM dataops.runs r
     WHERE r.kind OPERATOR(pg_catalog.=) 'pipeline' AND r.pipeline IS NOT NULL
       AND dataops._metrics_visible(r.owner)
), last_finished AS (
    SELECT DISTINCT ON (r.pipeline) r.pipeline, r.status, r.started_at, r.finished_at
      FROM runs r
     WHERE r.finished_at IS NOT NULL
       AND r.status OPERATOR(pg_catalog.<>) ALL ('{queued,running}'::text[])
     ORDER BY r.pipeline, r.finished_at DESC, r.run_id DESC
), recent_successes AS (
    SELECT s.pipeline, s.seconds
      FROM (SELECT r.pipeline,
                   pg_catalog.date_part('epoch', r.finished_at OPERATOR(pg_catalog.-) r.started_at) AS seconds,
                   pg_catalog.row_number() OVER (PARTITION BY r.pipeline ORDER BY r.finished_at DESC, r.run_id DESC) AS n
              FROM runs r
             WHERE r.status OPERATOR(pg_catalog.=) 'succeeded' AND r.started_at IS NOT NULL
               AND r.finished_at IS NOT NULL) s
     WHERE s.n OPERATOR(pg_catalog.<=) 20
), steps AS (
    SELECT r.pipeline, s.step,
           pg_catalog.sum(s.rows_read) AS rows_read, pg_catalog.sum(s.rows_written) AS rows_written,
           pg_catalog.sum(s.rows_quarantined) AS rows_quarantined,
           pg_catalog.sum(s.duplicates_removed) AS duplicates_removed
      FROM dataops.step_runs s
      JOIN runs r ON r.run_id OPERATOR(pg_catalog.=) s.run_id
     GROUP BY r.pipeline, s.step
)
-- runs by pipeline and status
SELECT 'dataops_runs_total'::text AS name,
       pg_catalog.jsonb_build_object('pipeline', r.pipeline, 'status', r.status) AS labels,
       pg_catalog.count(*)::float8 AS value, 'counter'::text AS type,
       'Runs of a pipeline by status (queued and running ones included)'::text AS help
  FROM runs r GROUP BY r.pipeline, r.status
UNION ALL
SELECT 'dataops_last_run_duration_seconds', pg_catalog.jsonb_build_object('pipeline', l.pipeline),
       pg_catalog.date_part('epoch', l.finished_at OPERATOR(pg_catalog.-) l.started_at), 'gauge',
       'Duration of the last finished run of a pipeline, in seconds'
  FROM last_finished l WHERE l.started_at IS NOT NULL
UNION ALL
SELECT 'dataops_last_run_failed', pg_catalog.jsonb_build_object('pipeline', l.pipeline),
       CASE WHEN l.status OPERATOR(pg_catalog.=) ANY ('{failed,timed_out}'::text[]) THEN 1 ELSE 0 END, 'gauge',
       '1 if the last finished run of a pipeline failed or timed out, else 0'
  FROM last_finished l
UNION ALL
SELECT 'dataops_last_success_timestamp_seconds', pg_catalog.jsonb_build_object('pipeline', r.pipeline),
       pg_catalog.date_part('epoch', pg_catalog.max(r.finished_at)), 'gauge',
       'When the last successful run of a pipeline finished, in Unix seconds'
  FROM runs r WHERE r.status OPERATOR(pg_catalog.=) 'succeeded' AND r.finished_at IS NOT NULL
 GROUP BY r.pipeline
UNION ALL
SELECT 'dataops_run_running_seconds', pg_catalog.jsonb_build_object('pipeline', r.pipeline),
       pg_catalog.date_part('epoch', pg_catalog.now() OPERATOR(pg_catalog.-) pg_catalog.min(r.started_at)), 'gauge',
       'How long the running run of a pipeline has been running, in seconds (absent when none runs)'
  FROM runs r WHERE r.status OPERATOR(pg_catalog.=) 'running' AND r.started_at IS NOT NULL
 GROUP BY r.pipeline
UNION ALL
SELECT 'dataops_run_expected_duration_seconds', pg_catalog.jsonb_build_object('pipeline', s.pipeline),
       2 OPERATOR(pg_catalog.*) pg_catalog.percentile_cont(0.5) WITHIN GROUP (ORDER BY s.seconds), 'gauge',
       'Expected longest duration of a run: twice the median duration of the last 20 successful runs, in seconds'
  FROM recent_successes s GROUP BY s.pipeline
UNION ALL
SELECT 'dataops_step_rows_read_total', pg_catalog.jsonb_build_object('pipeline', s.pipeline, 'step', s.step),
       COALESCE(s.rows_read, 0)::float8, 'counter',
       'Rows read by a step over all its runs (query rows, or file rows for bronze)'
  FROM steps s
UNION ALL
SELECT 'dataops_step_rows_written_total', pg_catalog.jsonb_build_object('pipeline', s.pipeline, 'step', s.step),
       COALESCE(s.rows_written, 0)::float8, 'counter',
       'Rows published by a step over all its runs'
  FROM steps s
UNION ALL
SELECT 'dataops_step_rows_quarantined_total', pg_catalog.jsonb_build_object('pipeline', s.pipeline, 'step', s.step),
       COALESCE(s.rows_quarantined, 0)::float8, 'counter',
       'Rows kept out of the target by drop expectations over all runs of a step'
  FROM steps s
UNION ALL
SELECT 'dataops_step_duplicates_removed_total', pg_catalog.jsonb_build_object('pipeline', s.pipeline, 'step', s.step),
       COALESCE(s.duplicates_removed, 0)::float8, 'counter',
       'Rows removed by unique_key deduplication over all runs of a step'
  FROM steps s
UNION ALL
SELECT 'dataops_expectation_unexpected_ratio',
       pg_catalog.jsonb_build_object('pipeline', e.pipeline, 'step', e.step, 'expectation', e.expectation),
       e.ratio, 'gauge',
       'Share of the checked rows that failed an expectation in the last run that checked it (0 to 1)'
  FROM (SELECT DISTINCT ON (r.pipeline, x.step, x.expectation) r.pipeline, x.step, x.expectation,
               COALESCE(x.unexpected_percent OPERATOR(pg_catalog./) 100, 0) AS ratio
          FROM dataops.expectation_results x
          JOIN runs r ON r.run_id OPERATOR(pg_catalog.=) x.run_id
         ORDER BY r.pipeline, x.step, x.expectation, x.run_id DESC, x.attempt DESC) e
UNION ALL
SELECT 'dataops_queued_runs', '{}'::jsonb,
       (SELECT pg_catalog.count(*) FROM runs r WHERE r.status OPERATOR(pg_catalog.=) 'queued')::float8, 'gauge',
       'Runs waiting in the queue'
UNION ALL
SELECT 'dataops_running_steps', '{}'::jsonb,
       (SELECT pg_catalog.count(*) FROM dataops.step_runs s JOIN runs r ON r.run_id OPERATOR(pg_catalog.=) s.run_id
         WHERE s.status OPERATOR(pg_catalog.=) 'running')::float8, 'gauge',
       'Step attempts running now'
UNION ALL
-- the launcher: backend_type is visible to pg_read_all_stats (pg_monitor);
-- others see its application name, on a process with no database
SELECT 'dataops_scheduler_up', '{}'::jsonb,
       CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a
                          WHERE a.backend_type OPERATOR(pg_catalog.=) 'dataops launcher'
                             OR (a.backend_type IS NULL AND a.datid IS NULL
                                 AND a.application_name OPERATOR(pg_catalog.=) 'dataops launcher'))
            THEN 1 ELSE 0 END, 'gauge',
       '1 if the dataops launcher, which starts the schedulers, is running, else 0';
COMMENT ON VIEW dataops.metrics IS
'Prometheus metrics of the pipelines the role may see (all of them for pg_monitor members): one row per series; no run ids, query or error texts';
COMMENT ON COLUMN dataops.metrics.name IS 'Metric name (dataops_*)';
COMMENT ON COLUMN dataops.metrics.labels IS 'Labels of the series (pipeline, status, step, expectation), as a JSON object';
COMMENT ON COLUMN dataops.metrics.value IS 'Value of the series';
COMMENT ON COLUMN dataops.metrics.type IS 'counter or gauge';
COMMENT ON COLUMN dataops.metrics.help IS 'What the metric measures';
GRANT SELECT ON dataops.metrics TO PUBLIC;

CREATE FUNCTION dataops._prometheus_label_value(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $fn$
SELECT pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(value, E'\\', E'\\\\'), '"', E'\\"'), E'\n', E'\\n')
$fn$;
COMMENT ON FUNCTION dataops._prometheus_label_value(text) IS
'Internal to dataops.prometheus_metrics: a label value escaped per the Prometheus text exposition format (backslash, double quote and line feed become \\, \" and \n)';

CREATE FUNCTION dataops.prometheus_metrics() RETURNS text
LANGUAGE sql STABLE
AS $fn$
WITH m AS (
    SELECT m.name, m.type, m.help, m.value,
           (SELECT pg_catalog.string_agg(l.key OPERATOR(pg_catalog.||) '="' OPERATOR(pg_catalog.||)
                       dataops._prometheus_label_value(l.value)
                       OPERATOR(pg_catalog.||) '"', ',' ORDER BY l.key COLLATE "C")
              FROM pg_catalog.jsonb_each_text(m.labels) l) AS labels
      FROM dataops.metrics m
), series AS (
    SELECT m.name, m.type, m.help,
           m.name OPERATOR(pg_catalog.||)
             CASE WHEN m.labels IS NULL THEN '' ELSE '{' OPERATOR(pg_catalog.||) m.labels OPERATOR(pg_catalog.||) '}' END
             OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||)
             CASE WHEN m.value IS NULL OR m.value OPERATOR(pg_catalog.=) 'NaN'::float8 THEN 'NaN'
                  WHEN m.value OPERATOR(pg_catalog.=) 'Infinity'::float8 THEN '+Inf'
                  WHEN m.value OPERATOR(pg_catalog.=) '-Infinity'::float8 THEN '-Inf'
                  ELSE m.value::text END AS line,
           m.labels
      FROM m
), named AS (
    SELECT s.name, pg_catalog.min(s.type) AS type, pg_catalog.min(s.help) AS help,
           pg_catalog.string_agg(s.line, E'\n' ORDER BY s.labels COLLATE "C") AS lines
      FROM series s GROUP BY s.name
)
SELECT COALESCE(pg_catalog.string_agg(
           '# HELP ' OPERATOR(pg_catalog.||) n.name OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||)
           pg_catalog.replace(pg_catalog.replace(n.help, E'\\', E'\\\\'), E'\n', E'\\n') OPERATOR(pg_catalog.||) E'\n' OPERATOR(pg_catalog.||)
           '# TYPE ' OPERATOR(pg_catalog.||) n.name OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) n.type OPERATOR(pg_catalog.||) E'\n' OPERATOR(pg_catalog.||)
           n.lines OPERATOR(pg_catalog.||) E'\n', '' ORDER BY n.name COLLATE "C"), '')
  FROM named n
$fn$;
COMMENT ON FUNCTION dataops.prometheus_metrics() IS
'dataops.metrics in the Prometheus text exposition format (version 0.0.4): # HELP and # TYPE once per metric, label values escaped, metrics sorted by name and series by labels';


-- ===== views for people
