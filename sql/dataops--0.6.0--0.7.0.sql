/* dataops 0.6.0 -> 0.7.0: operate it like a DataOps team: SLAs and health
 * (MTTR, MTBF, data quality score, SLA compliance), Prometheus metrics,
 * notifications through a transactional outbox, OpenLineage events, and
 * views read by people (issue 12). */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION dataops UPDATE TO '0.7.0'" to load this file. \quit

-- ===== sla and health

-- SLA breaches and recoveries are events of kind 'sla' (status sla_missed,
-- sla_recovered).
ALTER TABLE dataops.events DROP CONSTRAINT events_kind_check;
ALTER TABLE dataops.events ADD CONSTRAINT events_kind_check
    CHECK (kind IN ('run', 'step', 'definition', 'sla'));
COMMENT ON COLUMN dataops.events.kind IS 'run, step, definition, or sla (an SLA missed or recovered)';

CREATE TABLE dataops.sla_breaches (
    breach_id  bigserial PRIMARY KEY,
    pipeline   text NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('freshness', 'deadline')),
    started_at timestamptz NOT NULL,
    ended_at   timestamptz,
    owner      name,
    UNIQUE (pipeline, kind, started_at),
    CHECK (ended_at IS NULL OR ended_at >= started_at)
);
-- at most one open breach per pipeline and kind
CREATE UNIQUE INDEX sla_breaches_open_idx ON dataops.sla_breaches (pipeline, kind) WHERE ended_at IS NULL;
COMMENT ON TABLE dataops.sla_breaches IS
'One row per SLA breach of a pipeline (options sla_freshness, sla_deadline): opened by the scheduler''s SLA evaluation (dataops._evaluate_slas), closed when a run succeeds';
COMMENT ON COLUMN dataops.sla_breaches.breach_id IS 'Breach number, increasing';
COMMENT ON COLUMN dataops.sla_breaches.pipeline IS 'Pipeline whose SLA was missed';
COMMENT ON COLUMN dataops.sla_breaches.kind IS 'freshness (no success within sla_freshness) or deadline (no success between two deadlines)';
COMMENT ON COLUMN dataops.sla_breaches.started_at IS 'When the SLA was missed: last success (or pipeline creation) + sla_freshness, or the deadline that passed';
COMMENT ON COLUMN dataops.sla_breaches.ended_at IS 'When the breach ended: the first successful run finishing after started_at (NULL while open)';
COMMENT ON COLUMN dataops.sla_breaches.owner IS 'Owner of the pipeline (row-level security: its members see the row)';
SELECT pg_catalog.pg_extension_config_dump('dataops.sla_breaches', '');
SELECT pg_catalog.pg_extension_config_dump('dataops.sla_breaches_breach_id_seq', '');
GRANT SELECT ON dataops.sla_breaches TO PUBLIC;
ALTER TABLE dataops.sla_breaches ENABLE ROW LEVEL SECURITY;
CREATE POLICY sla_breaches_visible ON dataops.sla_breaches FOR SELECT
    USING (EXISTS (SELECT 1 FROM pg_catalog.pg_roles o
                    WHERE o.rolname OPERATOR(pg_catalog.=) owner
                      AND pg_catalog.pg_has_role(o.oid, 'USAGE')));

CREATE FUNCTION dataops._sla_breaches_owner() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NEW.owner IS NULL THEN
        NEW.owner := coalesce((SELECT p.owner FROM dataops.pipelines p
                                WHERE p.name OPERATOR(pg_catalog.=) NEW.pipeline),
                              dataops._catalog_caller(), session_user);
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION dataops._sla_breaches_owner() IS
'Trigger: records the owner of a new SLA breach (its pipeline''s owner), unless given (a restore)';
CREATE TRIGGER sla_breaches_owner BEFORE INSERT ON dataops.sla_breaches
    FOR EACH ROW EXECUTE FUNCTION dataops._sla_breaches_owner();

-- The deadline instant of options.sla_deadline ('HH:MM[:SS] [zone]', zone
-- UTC when not given) most recently at or before `at`.
CREATE FUNCTION dataops._sla_last_deadline(deadline text, at timestamptz)
RETURNS timestamptz LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    tz  text := coalesce(NULLIF(pg_catalog.split_part(pg_catalog.btrim(deadline), ' ', 2), ''), 'UTC');
    tod time := CAST(pg_catalog.split_part(pg_catalog.btrim(deadline), ' ', 1) AS time);
    loc timestamp := pg_catalog.timezone(tz, at);
    d   timestamp;
BEGIN
    d := pg_catalog.date_trunc('day', loc) OPERATOR(pg_catalog.+) tod;
    IF d OPERATOR(pg_catalog.>) loc THEN
        d := d OPERATOR(pg_catalog.-) interval '1 day';
    END IF;
    RETURN pg_catalog.timezone(tz, d);
END $$;
COMMENT ON FUNCTION dataops._sla_last_deadline(text, timestamptz) IS
'The last instant at or before `at` at which the daily deadline ''HH:MM[:SS] [zone]'' (zone UTC when not given) fell';

CREATE FUNCTION dataops._evaluate_slas(at timestamptz DEFAULT pg_catalog.now())
RETURNS integer LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    b       record;
    p       record;
    ok_at   timestamptz;
    last_ok timestamptz;
    due     timestamptz;
    d1      timestamptz;
    d0      timestamptz;
    id      bigint;
    changes integer := 0;
BEGIN
    -- 1. close the open breaches that a success ended, or whose SLA is gone
    FOR b IN SELECT s.breach_id, s.pipeline, s.kind, s.started_at, pl.options
               FROM dataops.sla_breaches s
               LEFT JOIN dataops.pipelines pl ON pl.name OPERATOR(pg_catalog.=) s.pipeline
              WHERE s.ended_at IS NULL AND s.started_at OPERATOR(pg_catalog.<=) at
              ORDER BY s.breach_id
    LOOP
        SELECT pg_catalog.min(r.finished_at) INTO ok_at
          FROM dataops.runs r
         WHERE r.pipeline OPERATOR(pg_catalog.=) b.pipeline AND r.kind OPERATOR(pg_catalog.=) 'pipeline'
           AND r.status OPERATOR(pg_catalog.=) 'succeeded'
           AND r.finished_at OPERATOR(pg_catalog.>) b.started_at AND r.finished_at OPERATOR(pg_catalog.<=) at;
        IF ok_at IS NULL AND (b.options IS NULL
                              OR NOT b.options OPERATOR(pg_catalog.?) ('sla_' OPERATOR(pg_catalog.||) b.kind)) THEN
            ok_at := at;        -- the pipeline or its SLA was dropped: the breach ends now
        END IF;
        IF ok_at IS NOT NULL THEN
            UPDATE dataops.sla_breaches s SET ended_at = ok_at
             WHERE s.breach_id OPERATOR(pg_catalog.=) b.breach_id AND s.ended_at IS NULL;
            IF FOUND THEN
                PERFORM dataops._emit_event(NULL, b.pipeline, NULL, 'sla', 'sla_recovered',
                    pg_catalog.jsonb_build_object('breach_id', b.breach_id, 'sla', b.kind,
                        'started_at', b.started_at, 'ended_at', ok_at,
                        'duration', CAST(ok_at OPERATOR(pg_catalog.-) b.started_at AS text)));
                changes := changes OPERATOR(pg_catalog.+) 1;
            END IF;
        END IF;
    END LOOP;

    -- 2. open a breach for every SLA missed at `at`
    FOR p IN SELECT pl.name, pl.created_at, pl.options
               FROM dataops.pipelines pl
              WHERE pl.options OPERATOR(pg_catalog.?|) ARRAY['sla_freshness', 'sla_deadline']
              ORDER BY pl.name
    LOOP
        SELECT pg_catalog.max(r.finished_at) INTO last_ok
          FROM dataops.runs r
         WHERE r.pipeline OPERATOR(pg_catalog.=) p.name AND r.kind OPERATOR(pg_catalog.=) 'pipeline'
           AND r.status OPERATOR(pg_catalog.=) 'succeeded' AND r.finished_at OPERATOR(pg_catalog.<=) at;
        IF p.options OPERATOR(pg_catalog.?) 'sla_freshness' THEN
            due := coalesce(last_ok, p.created_at) OPERATOR(pg_catalog.+)
                   CAST(p.options OPERATOR(pg_catalog.->>) 'sla_freshness' AS interval);
            IF due OPERATOR(pg_catalog.<) at THEN
                id := NULL;
                INSERT INTO dataops.sla_breaches (pipeline, kind, started_at)
                VALUES (p.name, 'freshness', due) ON CONFLICT DO NOTHING RETURNING breach_id INTO id;
                IF id IS NOT NULL THEN
                    PERFORM dataops._emit_event(NULL, p.name, NULL, 'sla', 'sla_missed',
                        pg_catalog.jsonb_build_object('breach_id', id, 'sla', 'freshness',
                            'sla_freshness', p.options OPERATOR(pg_catalog.->>) 'sla_freshness',
                            'last_success', last_ok, 'started_at', due, 'evaluated_at', at));
                    changes := changes OPERATOR(pg_catalog.+) 1;
                END IF;
            END IF;
        END IF;
        IF p.options OPERATOR(pg_catalog.?) 'sla_deadline' THEN
            d1 := dataops._sla_last_deadline(p.options OPERATOR(pg_catalog.->>) 'sla_deadline', at);
            d0 := dataops._sla_last_deadline(p.options OPERATOR(pg_catalog.->>) 'sla_deadline',
                                             d1 OPERATOR(pg_catalog.-) interval '1 second');
            IF d1 OPERATOR(pg_catalog.>) p.created_at
               AND NOT EXISTS (SELECT 1 FROM dataops.runs r
                                WHERE r.pipeline OPERATOR(pg_catalog.=) p.name
                                  AND r.kind OPERATOR(pg_catalog.=) 'pipeline'
                                  AND r.status OPERATOR(pg_catalog.=) 'succeeded'
                                  AND r.finished_at OPERATOR(pg_catalog.>) d0
                                  AND r.finished_at OPERATOR(pg_catalog.<=) d1) THEN
                id := NULL;
                INSERT INTO dataops.sla_breaches (pipeline, kind, started_at)
                VALUES (p.name, 'deadline', d1) ON CONFLICT DO NOTHING RETURNING breach_id INTO id;
                IF id IS NOT NULL THEN
                    PERFORM dataops._emit_event(NULL, p.name, NULL, 'sla', 'sla_missed',
                        pg_catalog.jsonb_build_object('breach_id', id, 'sla', 'deadline',
                            'sla_deadline', p.options OPERATOR(pg_catalog.->>) 'sla_deadline',
                            'previous_deadline', d0, 'started_at', d1,
                            'last_success', last_ok, 'evaluated_at', at));
                    changes := changes OPERATOR(pg_catalog.+) 1;
                END IF;
            END IF;
        END IF;
    END LOOP;
    RETURN changes;
END
$fn$;
REVOKE ALL ON FUNCTION dataops._evaluate_slas(timestamptz) FROM PUBLIC;
COMMENT ON FUNCTION dataops._evaluate_slas(timestamptz) IS
'Evaluates every pipeline''s SLAs at `at` (the scheduler calls it at least every minute): opens a breach (dataops.sla_breaches, event sla_missed) for an SLA missed, closes the open ones a successful run ended (event sla_recovered); idempotent; returns the number of breaches opened or closed';

CREATE FUNCTION dataops._has_sla_work() RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM dataops.pipelines pl
                    WHERE pl.options OPERATOR(pg_catalog.?|) ARRAY['sla_freshness', 'sla_deadline'])
        OR EXISTS (SELECT 1 FROM dataops.sla_breaches s WHERE s.ended_at IS NULL)
$$;
COMMENT ON FUNCTION dataops._has_sla_work() IS
'Whether the scheduler must wake periodically for SLAs: a pipeline has an SLA option or a breach is open';

CREATE FUNCTION dataops.health(since interval DEFAULT '30 days')
RETURNS TABLE(pipeline text, runs bigint, failed_runs bigint, success_rate numeric,
              mttr interval, target_mttr interval, mtbf interval, target_mtbf interval,
              dq_score numeric, dq_expectations_passed numeric, target_dq_score numeric,
              sla_compliance numeric, target_sla_compliance numeric, status text)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp AS $fn$
WITH w AS (
    SELECT pg_catalog.now() OPERATOR(pg_catalog.-) $1 AS t0, pg_catalog.now() AS t1),
p AS (
    SELECT pl.name, pl.options,
           coalesce(CAST(pl.options OPERATOR(pg_catalog.->>) 'target_mttr' AS interval),
                    CAST(pg_catalog.current_setting('dataops.target_mttr') AS interval)) AS t_mttr,
           coalesce(CAST(pl.options OPERATOR(pg_catalog.->>) 'target_mtbf' AS interval),
                    CAST(pg_catalog.current_setting('dataops.target_mtbf') AS interval)) AS t_mtbf,
           coalesce(CAST(pl.options OPERATOR(pg_catalog.->>) 'target_dq_score' AS numeric),
                    CAST(pg_catalog.current_setting('dataops.target_dq_score') AS numeric)) AS t_dq,
           coalesce(CAST(pl.options OPERATOR(pg_catalog.->>) 'target_sla_compliance' AS numeric),
                    CAST(pg_catalog.current_setting('dataops.target_sla_compliance') AS numeric)) AS t_sla
      FROM dataops.pipelines pl),
-- runs started (or queued) in the window
rs AS (
    SELECT r.pipeline, pg_catalog.count(*) AS runs,
           pg_catalog.count(*) FILTER (WHERE r.status IN ('failed', 'timed_out')) AS failed,
           pg_catalog.count(*) FILTER (WHERE r.status OPERATOR(pg_catalog.=) 'succeeded') AS succeeded
      FROM dataops.runs r, w
     WHERE r.kind OPERATOR(pg_catalog.=) 'pipeline'
       AND coalesce(r.started_at, r.queued_at) OPERATOR(pg_catalog.>=) w.t0
       AND coalesce(r.started_at, r.queued_at) OPERATOR(pg_catalog.<=) w.t1
     GROUP BY r.pipeline),
-- finished runs (canceled ones neither start nor end an incident), with the outcome of the one before
fin AS (
    SELECT r.pipeline, r.status, r.finished_at,
           pg_catalog.lag(r.status) OVER (PARTITION BY r.pipeline ORDER BY r.finished_at, r.run_id) AS prev
      FROM dataops.runs r, w
     WHERE r.kind OPERATOR(pg_catalog.=) 'pipeline' AND r.status IN ('succeeded', 'failed', 'timed_out')
       AND r.finished_at OPERATOR(pg_catalog.<=) w.t1),
-- incidents starting in the window: a failure whose previous finished run succeeded (or was none)
inc AS (
    SELECT f.pipeline, f.finished_at AS started,
           (SELECT pg_catalog.min(g.finished_at) FROM fin g
             WHERE g.pipeline OPERATOR(pg_catalog.=) f.pipeline AND g.status OPERATOR(pg_catalog.=) 'succeeded'
               AND g.finished_at OPERATOR(pg_catalog.>) f.finished_at) AS ended
      FROM fin f, w
     WHERE f.status OPERATOR(pg_catalog.<>) 'succeeded'
       AND (f.prev IS NULL OR f.prev OPERATOR(pg_catalog.=) 'succeeded')
       AND f.finished_at OPERATOR(pg_catalog.>=) w.t0),
incs AS (
    SELECT i.pipeline,
           pg_catalog.avg(coalesce(i.ended, w.t1) OPERATOR(pg_catalog.-) i.started) AS mttr,
           CASE WHEN pg_catalog.count(*) OPERATOR(pg_catalog.>=) 2
                THEN (pg_catalog.max(i.started) OPERATOR(pg_catalog.-) pg_catalog.min(i.started))
                     OPERATOR(pg_catalog./) CAST(pg_catalog.count(*) OPERATOR(pg_catalog.-) 1 AS float8) END AS mtbf
      FROM inc i, w GROUP BY i.pipeline),
-- expectation results checked in the window
dq AS (
    SELECT r.pipeline,
           pg_catalog.sum(e.unexpected_count) FILTER (WHERE e.unexpected_count IS NOT NULL) AS unexpected,
           pg_catalog.sum(CASE WHEN e.kind IN ('not_null', 'expression') THEN e.element_count
                               ELSE e.element_count OPERATOR(pg_catalog.-) coalesce(e.missing_count, 0) END)
               FILTER (WHERE e.unexpected_count IS NOT NULL) AS evaluated,
           pg_catalog.avg(CASE WHEN e.success THEN 1.0 ELSE 0.0 END) AS passed
      FROM dataops.expectation_results e
      JOIN dataops.runs r ON r.run_id OPERATOR(pg_catalog.=) e.run_id, w
     WHERE r.kind OPERATOR(pg_catalog.=) 'pipeline'
       AND e.checked_at OPERATOR(pg_catalog.>=) w.t0 AND e.checked_at OPERATOR(pg_catalog.<=) w.t1
     GROUP BY r.pipeline),
-- breaches clipped to the window, merged where they overlap
br AS (
    SELECT b.pipeline,
           GREATEST(b.started_at, w.t0) AS s, LEAST(coalesce(b.ended_at, w.t1), w.t1) AS e
      FROM dataops.sla_breaches b, w
     WHERE b.started_at OPERATOR(pg_catalog.<) w.t1 AND coalesce(b.ended_at, w.t1) OPERATOR(pg_catalog.>) w.t0),
br2 AS (
    SELECT br.pipeline, br.s, br.e,
           pg_catalog.max(br.e) OVER (PARTITION BY br.pipeline ORDER BY br.s, br.e
                                      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
      FROM br),
br3 AS (
    SELECT br2.pipeline, br2.s, br2.e,
           pg_catalog.sum(CASE WHEN br2.prev_end IS NULL OR br2.s OPERATOR(pg_catalog.>) br2.prev_end THEN 1 ELSE 0 END)
               OVER (PARTITION BY br2.pipeline ORDER BY br2.s, br2.e ROWS UNBOUNDED PRECEDING) AS island
      FROM br2),
breach AS (
    SELECT x.pipeline, pg_catalog.sum(EXTRACT(epoch FROM x.e OPERATOR(pg_catalog.-) x.s)) AS secs
      FROM (SELECT br3.pipeline, pg_catalog.min(br3.s) AS s, pg_catalog.max(br3.e) AS e
              FROM br3 GROUP BY br3.pipeline, br3.island) x
     GROUP BY x.pipeline),
f AS (
    SELECT p.name, coalesce(rs.runs, 0) AS runs, coalesce(rs.failed, 0) AS failed,
           CAST(rs.succeeded AS numeric) OPERATOR(pg_catalog./)
               NULLIF(rs.succeeded OPERATOR(pg_catalog.+) rs.failed, 0) AS success_rate,
           incs.mttr, p.t_mttr, incs.mtbf, p.t_mtbf,
           1 OPERATOR(pg_catalog.-) (CAST(dq.unexpected AS numeric) OPERATOR(pg_catalog./) NULLIF(dq.evaluated, 0)) AS dq,
           dq.passed, p.t_dq,
           CASE WHEN p.options OPERATOR(pg_catalog.?|) ARRAY['sla_freshness', 'sla_deadline']
                THEN 1 OPERATOR(pg_catalog.-) (coalesce(breach.secs, 0) OPERATOR(pg_catalog./)
                     NULLIF(EXTRACT(epoch FROM w.t1 OPERATOR(pg_catalog.-) w.t0), 0)) END AS sla,
           p.t_sla
      FROM p CROSS JOIN w
      LEFT JOIN rs ON rs.pipeline OPERATOR(pg_catalog.=) p.name
      LEFT JOIN incs ON incs.pipeline OPERATOR(pg_catalog.=) p.name
      LEFT JOIN dq ON dq.pipeline OPERATOR(pg_catalog.=) p.name
      LEFT JOIN breach ON breach.pipeline OPERATOR(pg_catalog.=) p.name)
SELECT f.name, f.runs, f.failed, pg_catalog.round(f.success_rate, 4),
       f.mttr, f.t_mttr, f.mtbf, f.t_mtbf,
       pg_catalog.round(f.dq, 4), pg_catalog.round(f.passed, 4), f.t_dq,
       pg_catalog.round(f.sla, 4), f.t_sla,
       CASE WHEN (f.mttr OPERATOR(pg_catalog.>) f.t_mttr) OR (f.mtbf OPERATOR(pg_catalog.<) f.t_mtbf)
              OR (f.dq OPERATOR(pg_catalog.<) f.t_dq) OR (f.sla OPERATOR(pg_catalog.<) f.t_sla)
            THEN 'breached'
            WHEN (f.mttr OPERATOR(pg_catalog.>) (f.t_mttr OPERATOR(pg_catalog.*) CAST(0.9 AS float8)))
              OR (f.mtbf OPERATOR(pg_catalog.<) (f.t_mtbf OPERATOR(pg_catalog.*) CAST(1.1 AS float8)))
              OR ((1 OPERATOR(pg_catalog.-) f.dq) OPERATOR(pg_catalog.>) (0.9 OPERATOR(pg_catalog.*) (1 OPERATOR(pg_catalog.-) f.t_dq)))
              OR ((1 OPERATOR(pg_catalog.-) f.sla) OPERATOR(pg_catalog.>) (0.9 OPERATOR(pg_catalog.*) (1 OPERATOR(pg_catalog.-) f.t_sla)))
            THEN 'at_risk'
            ELSE 'ok' END
  FROM f
 ORDER BY f.name
$fn$;
COMMENT ON FUNCTION dataops.health(interval) IS
'Health of every pipeline the caller may see over the window [now - since, now]: runs, failures, success rate, MTTR, MTBF, data quality score, SLA compliance, each next to its target (GUCs dataops.target_*, pipeline options target_*), and a status ok, at_risk or breached (definitions in the README, Health and SLAs)';

CREATE VIEW dataops.pipeline_health WITH (security_invoker = true) AS SELECT * FROM dataops.health();
GRANT SELECT ON dataops.pipeline_health TO PUBLIC;
COMMENT ON VIEW dataops.pipeline_health IS 'dataops.health() over the last 30 days: one row per pipeline the reader may see';
COMMENT ON COLUMN dataops.pipeline_health.pipeline IS 'Pipeline';
COMMENT ON COLUMN dataops.pipeline_health.runs IS 'Runs started in the window';
COMMENT ON COLUMN dataops.pipeline_health.failed_runs IS 'Of those, failed or timed out';
COMMENT ON COLUMN dataops.pipeline_health.success_rate IS 'succeeded / (succeeded + failed + timed out) of those runs, 4 decimals (NULL: none finished)';
COMMENT ON COLUMN dataops.pipeline_health.mttr IS 'Mean time to recovery: mean duration of the incidents starting in the window (an open incident counts until now)';
COMMENT ON COLUMN dataops.pipeline_health.target_mttr IS 'MTTR target: option target_mttr, else dataops.target_mttr';
COMMENT ON COLUMN dataops.pipeline_health.mtbf IS 'Mean time between failures: mean time between the starts of consecutive incidents in the window (NULL with fewer than two)';
COMMENT ON COLUMN dataops.pipeline_health.target_mtbf IS 'MTBF target: option target_mtbf, else dataops.target_mtbf';
COMMENT ON COLUMN dataops.pipeline_health.dq_score IS 'Data quality score: 1 - unexpected rows / evaluated rows over the row-level expectation results of the window';
COMMENT ON COLUMN dataops.pipeline_health.dq_expectations_passed IS 'Share of the expectation results of the window that succeeded';
COMMENT ON COLUMN dataops.pipeline_health.target_dq_score IS 'dq_score target: option target_dq_score, else dataops.target_dq_score';
COMMENT ON COLUMN dataops.pipeline_health.sla_compliance IS 'Share of the window not in SLA breach (NULL: the pipeline has no SLA)';
COMMENT ON COLUMN dataops.pipeline_health.target_sla_compliance IS 'SLA compliance target: option target_sla_compliance, else dataops.target_sla_compliance';
COMMENT ON COLUMN dataops.pipeline_health.status IS 'breached (a figure misses its target), at_risk (within 10% of it), or ok';

-- ===== notifications

-- Notifications (issue 12, item 4): webhooks for run and SLA events,
-- written to a transactional outbox (dataops.deliveries) in the event's
-- transaction and posted by a delivery background worker (src/notify.c).
CREATE TABLE dataops.notifications (
    id         bigserial PRIMARY KEY,
    pipeline   text NOT NULL REFERENCES dataops.pipelines (name) ON DELETE CASCADE,
    url        text NOT NULL,
    events     text[] NOT NULL,
    format     text NOT NULL CHECK (format IN ('slack', 'json', 'openlineage')),
    owner      name NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_pipeline_idx ON dataops.notifications (pipeline);
COMMENT ON TABLE dataops.notifications IS
'Webhooks of a pipeline (dataops.add_notification): where its run and SLA events are posted, in which format; only roles with the pipeline owner''s privileges see a row (its URL may hold a token)';
COMMENT ON COLUMN dataops.notifications.id IS 'Notification number (dataops.drop_notification takes it)';
COMMENT ON COLUMN dataops.notifications.pipeline IS 'Pipeline whose events are posted';
COMMENT ON COLUMN dataops.notifications.url IS 'http or https URL the events are posted to; its host matched dataops.http_allowed_hosts when added, and must still match at each delivery';
COMMENT ON COLUMN dataops.notifications.events IS
'Statuses that are posted: failed, succeeded, canceled, timed_out (run events), sla_missed, sla_recovered (SLA events); an openlineage notification posts the RunEvents of every run and step event instead';
COMMENT ON COLUMN dataops.notifications.format IS
'slack (an incoming-webhook message), json (the event row) or openlineage (OpenLineage RunEvents)';
COMMENT ON COLUMN dataops.notifications.owner IS 'Owner of the pipeline when the notification was added; only its members (and superusers) see the row';
COMMENT ON COLUMN dataops.notifications.created_at IS 'When the notification was added';

CREATE TABLE dataops.deliveries (
    id               bigserial PRIMARY KEY,
    notification_id  bigint NOT NULL REFERENCES dataops.notifications (id) ON DELETE CASCADE,
    event_id         bigint NOT NULL,
    payload          jsonb NOT NULL,
    state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_http_status integer,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    delivered_at     timestamptz
);
CREATE INDEX deliveries_pending_idx ON dataops.deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX deliveries_notification_idx ON dataops.deliveries (notification_id);
COMMENT ON TABLE dataops.deliveries IS
'Outbox of notifications: one row per event and matching notification, written in the event''s transaction and posted (at least once) by the delivery worker';
COMMENT ON COLUMN dataops.deliveries.id IS 'Delivery number';
COMMENT ON COLUMN dataops.deliveries.notification_id IS 'Notification (dataops.notifications.id) the payload is posted for';
COMMENT ON COLUMN dataops.deliveries.event_id IS 'Event (dataops.events.event_id) the payload describes';
COMMENT ON COLUMN dataops.deliveries.payload IS 'JSON body posted (dataops._notification_payloads)';
COMMENT ON COLUMN dataops.deliveries.state IS
'pending (not yet posted, or to be retried at next_attempt_at), delivered (a 2xx answer), dead (dataops.http_max_attempts attempts failed, or the host is no longer allowed)';
COMMENT ON COLUMN dataops.deliveries.attempts IS 'Posts attempted so far';
COMMENT ON COLUMN dataops.deliveries.next_attempt_at IS 'When a pending delivery is (next) attempted; the delay doubles from dataops.http_retry_delay after each failure';
COMMENT ON COLUMN dataops.deliveries.last_http_status IS 'HTTP status of the last answer, NULL when none came (timeout, connection refused)';
COMMENT ON COLUMN dataops.deliveries.last_error IS 'Why the last attempt failed (HTTP status, timeout, connection error, refused host), NULL after a success';
COMMENT ON COLUMN dataops.deliveries.created_at IS 'When the event was recorded';
COMMENT ON COLUMN dataops.deliveries.delivered_at IS 'When a 2xx answer came';

ALTER TABLE dataops.notifications ENABLE ROW LEVEL SECURITY;
CREATE POLICY notifications_visible ON dataops.notifications FOR SELECT
    USING (EXISTS (SELECT 1 FROM pg_catalog.pg_roles o
                    WHERE o.rolname OPERATOR(pg_catalog.=) owner
                      AND pg_catalog.pg_has_role(o.oid, 'USAGE')));
ALTER TABLE dataops.deliveries ENABLE ROW LEVEL SECURITY;
CREATE POLICY deliveries_visible ON dataops.deliveries FOR SELECT
    USING (EXISTS (SELECT 1 FROM dataops.notifications n WHERE n.id OPERATOR(pg_catalog.=) notification_id));
GRANT SELECT ON dataops.notifications, dataops.deliveries TO PUBLIC;

SELECT pg_catalog.pg_extension_config_dump('dataops.notifications', '');
SELECT pg_catalog.pg_extension_config_dump('dataops.notifications_id_seq', '');
-- delivered and dead deliveries are history; a restored pending one would be
-- posted again from the restored copy, so those are not dumped
SELECT pg_catalog.pg_extension_config_dump('dataops.deliveries', 'WHERE state OPERATOR(pg_catalog.<>) ''pending''');
SELECT pg_catalog.pg_extension_config_dump('dataops.deliveries_id_seq', '');

CREATE FUNCTION dataops.add_notification(pipeline text, url text,
                                         events text[] DEFAULT '{failed,sla_missed}',
                                         format text DEFAULT 'slack')
RETURNS bigint AS 'MODULE_PATHNAME', 'dataops_add_notification' LANGUAGE C;
COMMENT ON FUNCTION dataops.add_notification(text, text, text[], text) IS
'Posts the pipeline''s events with these statuses (failed, succeeded, canceled, timed_out, sla_missed, sla_recovered) to an http(s) URL whose host dataops.http_allowed_hosts allows, as slack, json or openlineage; returns the notification''s id';

CREATE FUNCTION dataops.drop_notification(id bigint)
RETURNS void AS 'MODULE_PATHNAME', 'dataops_drop_notification' LANGUAGE C;
COMMENT ON FUNCTION dataops.drop_notification(bigint) IS
'Removes a notification added with dataops.add_notification, and its deliveries not yet made';

-- The bodies posted for one event and one notification.  Reads the catalog
-- with the caller's rights (row-level security applies): the outbox trigger
-- calls it as the extension's owner, a user sees only its own pipelines.
CREATE FUNCTION dataops._notification_payloads(notification_id bigint, event_id bigint)
RETURNS SETOF jsonb LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    n record;
    e record;
    r record;
    fx record;
    t record;
    dur interval;
    icon text;
    headline text;
    layers text := '';
    facts jsonb;
    blocks jsonb;
    failure text;
BEGIN
    SELECT x.id, x.pipeline, x.format INTO n FROM dataops.notifications x
     WHERE x.id OPERATOR(pg_catalog.=) $1;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT x.* INTO e FROM dataops.events x WHERE x.event_id OPERATOR(pg_catalog.=) $2;
    IF NOT FOUND THEN
        RETURN;
    END IF;

    IF n.format OPERATOR(pg_catalog.=) 'json' THEN
        RETURN NEXT pg_catalog.jsonb_build_object(
            'event_id', e.event_id, 'at', e.at, 'run_id', e.run_id, 'pipeline', e.pipeline,
            'step', e.step, 'kind', e.kind, 'status', e.status, 'details', e.details);
        RETURN;
    ELSIF n.format OPERATOR(pg_catalog.=) 'openlineage' THEN
        -- the OpenLineage RunEvents of the event (none for an event that maps
        -- to no RunEvent), one delivery each
        RETURN QUERY SELECT o FROM dataops._openlineage_events_for_event($2) AS o;
        RETURN;
    END IF;

    -- slack: an incoming-webhook message, {"text": ..., "blocks": [...]}
    SELECT x.run_id, x.status, x.started_at, x.finished_at, x.error_message, x.error_detail,
           x.error_sqlstate, x.failed_step
      INTO r FROM dataops.runs x WHERE x.run_id OPERATOR(pg_catalog.=) e.run_id;
    IF FOUND THEN
        dur := r.finished_at OPERATOR(pg_catalog.-) r.started_at;
    END IF;
    IF dur IS NULL AND e.details OPERATOR(pg_catalog.?) 'duration' THEN
        dur := CAST(e.details OPERATOR(pg_catalog.->>) 'duration' AS interval);
    END IF;
    dur := pg_catalog.date_trunc('milliseconds', dur);
    icon := CASE e.status WHEN 'succeeded' THEN ':white_check_mark:' WHEN 'sla_recovered' THEN ':white_check_mark:'
                          WHEN 'canceled' THEN ':no_entry_sign:' WHEN 'sla_missed' THEN ':alarm_clock:'
                          ELSE ':x:' END;
    IF e.kind OPERATOR(pg_catalog.=) 'run' THEN
        headline := pg_catalog.format('%s dataops pipeline %s %s (run %s)%s', icon, e.pipeline, e.status, e.run_id,
                                      CASE WHEN dur IS NOT NULL THEN ' in ' OPERATOR(pg_catalog.||) CAST(dur AS text) ELSE '' END);
    ELSE
        headline := pg_catalog.format('%s dataops pipeline %s: %s', icon, e.pipeline,
                                      pg_catalog.replace(e.status, '_', ' '));
    END IF;

    -- counts of the run: the last attempt of every step
    SELECT pg_catalog.sum(s.files_ingested) AS files, pg_catalog.sum(s.duplicates_removed) AS dups,
           pg_catalog.sum(s.rows_quarantined) AS quarantined
      INTO t
      FROM (SELECT DISTINCT ON (x.step) x.* FROM dataops.step_runs x
             WHERE x.run_id OPERATOR(pg_catalog.=) e.run_id
             ORDER BY x.step, x.attempt DESC) s;
    SELECT pg_catalog.string_agg(pg_catalog.format('%s: %s rows read, %s written', l.layer, l.rd, l.wr), E'\n'
                                 ORDER BY pg_catalog.array_position(ARRAY['bronze', 'silver', 'gold'], l.layer))
      INTO layers
      FROM (SELECT s.layer, coalesce(pg_catalog.sum(s.rows_read), 0) AS rd, coalesce(pg_catalog.sum(s.rows_written), 0) AS wr
              FROM (SELECT DISTINCT ON (x.step) x.* FROM dataops.step_runs x
                     WHERE x.run_id OPERATOR(pg_catalog.=) e.run_id
                     ORDER BY x.step, x.attempt DESC) s
             GROUP BY s.layer) l;

    -- the failed expectation (one with action fail first)
    SELECT x.step, x.expectation, x.kind, x.action, x.column_name, x.element_count, x.unexpected_count,
           x.unexpected_percent
      INTO fx
      FROM dataops.expectation_results x
     WHERE x.run_id OPERATOR(pg_catalog.=) e.run_id AND NOT x.success
     ORDER BY (x.action OPERATOR(pg_catalog.=) 'fail') DESC, x.checked_at DESC, x.attempt DESC
     LIMIT 1;

    facts := pg_catalog.jsonb_build_array(
        pg_catalog.jsonb_build_object('type', 'mrkdwn', 'text', '*Pipeline*' OPERATOR(pg_catalog.||) E'\n' OPERATOR(pg_catalog.||) e.pipeline),
        pg_catalog.jsonb_build_object('type', 'mrkdwn', 'text', '*Status*' OPERATOR(pg_catalog.||) E'\n' OPERATOR(pg_catalog.||) e.status),
        pg_catalog.jsonb_build_object('type', 'mrkdwn', 'text', '*Run*' OPERATOR(pg_catalog.||) E'\n' OPERATOR(pg_catalog.||) coalesce(CAST(e.run_id AS text), '-')),
        pg_catalog.jsonb_build_object('type', 'mrkdwn', 'text', '*Duration*' OPERATOR(pg_catalog.||) E'\n' OPERATOR(pg_catalog.||) coalesce(CAST(dur AS text), '-')),
        pg_catalog.jsonb_build_object('type', 'mrkdwn', 'text', '*Files ingested*' OPERATOR(pg_catalog.||) E'\n' OPERATOR(pg_catalog.||) coalesce(t.files, 0)),
        pg_catalog.jsonb_build_object('type', 'mrkdwn', 'text', '*Duplicates removed*' OPERATOR(pg_catalog.||) E'\n' OPERATOR(pg_catalog.||) coalesce(t.dups, 0)),
        pg_catalog.jsonb_build_object('type', 'mrkdwn', 'text', '*Quarantined rows*' OPERATOR(pg_catalog.||) E'\n' OPERATOR(pg_catalog.||) coalesce(t.quarantined, 0)));
    blocks := pg_catalog.jsonb_build_array(
        pg_catalog.jsonb_build_object('type', 'section', 'text',
            pg_catalog.jsonb_build_object('type', 'mrkdwn', 'text', headline)),
        pg_catalog.jsonb_build_object('type', 'section', 'fields', facts));
    IF layers IS NOT NULL THEN
        blocks := blocks OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('type', 'section', 'text',
            pg_catalog.jsonb_build_object('type', 'mrkdwn', 'text', '*Rows per layer*' OPERATOR(pg_catalog.||) E'\n' OPERATOR(pg_catalog.||) layers)));
    END IF;
    IF fx.expectation IS NOT NULL THEN
        failure := pg_catalog.format('*Failed expectation* %s (%s%s, action %s) on step %s: %s of %s rows unexpected (%s %%)',
                                     fx.expectation, fx.kind,
                                     CASE WHEN fx.column_name IS NOT NULL THEN ' on ' OPERATOR(pg_catalog.||) fx.column_name ELSE '' END,
                                     fx.action, fx.step, coalesce(fx.unexpected_count, 0), fx.element_count,
                                     pg_catalog.round(CAST(coalesce(fx.unexpected_percent, 0) AS numeric), 2));
        blocks := blocks OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('type', 'section', 'text',
            pg_catalog.jsonb_build_object('type', 'mrkdwn', 'text', failure)));
    END IF;
    IF r.error_message IS NOT NULL THEN
        blocks := blocks OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('type', 'section', 'text',
            pg_catalog.jsonb_build_object('type', 'mrkdwn', 'text',
                pg_catalog.format('*Error*%s: %s%s', CASE WHEN r.failed_step IS NOT NULL THEN ' in step ' OPERATOR(pg_catalog.||) r.failed_step ELSE '' END,
                                  r.error_message,
                                  CASE WHEN r.error_detail IS NOT NULL THEN E'\n*Detail*: ' OPERATOR(pg_catalog.||) r.error_detail ELSE '' END))));
    END IF;
    IF e.kind OPERATOR(pg_catalog.<>) 'run' AND e.details OPERATOR(pg_catalog.<>) '{}' THEN
        blocks := blocks OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('type', 'section', 'text',
            pg_catalog.jsonb_build_object('type', 'mrkdwn', 'text', '*Details*' OPERATOR(pg_catalog.||) E'\n' OPERATOR(pg_catalog.||) CAST(e.details AS text))));
    END IF;

    RETURN NEXT pg_catalog.jsonb_build_object(
        'text', headline
                OPERATOR(pg_catalog.||) CASE WHEN fx.expectation IS NOT NULL THEN E'\n' OPERATOR(pg_catalog.||) pg_catalog.replace(failure, '*', '') ELSE '' END
                OPERATOR(pg_catalog.||) CASE WHEN r.error_message IS NOT NULL THEN E'\nError: ' OPERATOR(pg_catalog.||) r.error_message ELSE '' END,
        'blocks', blocks);
END
$fn$;
COMMENT ON FUNCTION dataops._notification_payloads(bigint, bigint) IS
'The JSON bodies posted for an event and a notification: a Slack incoming-webhook message (pipeline, status, duration, rows per layer, files ingested, duplicates removed, quarantined rows, the failed expectation with its counts, the error and its hint), the event row (json), or OpenLineage RunEvents (openlineage); none for a notification or event the caller cannot see';

-- The outbox: every run and SLA event that a notification asks for gets its
-- deliveries in the event's own transaction.  A payload that cannot be
-- built is recorded dead rather than failing the run's state change.
CREATE FUNCTION dataops._events_outbox() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    n record;
BEGIN
    -- a restore (no dataops caller) re-creates history, not new events
    IF dataops._catalog_caller() IS NULL OR NEW.pipeline IS NULL
       OR NEW.kind NOT IN ('run', 'step', 'sla') THEN
        RETURN NULL;
    END IF;
    -- slack and json: run and SLA events with a status the notification
    -- names; openlineage: every run and step event (each step attempt's
    -- START and its end; dataops._notification_payloads returns no body for
    -- an event that maps to no RunEvent)
    FOR n IN SELECT x.id FROM dataops.notifications x
              WHERE x.pipeline OPERATOR(pg_catalog.=) NEW.pipeline
                AND CASE WHEN x.format OPERATOR(pg_catalog.=) 'openlineage' THEN NEW.kind IN ('run', 'step')
                         ELSE NEW.kind IN ('run', 'sla') AND NEW.status OPERATOR(pg_catalog.=) ANY (x.events) END
              ORDER BY x.id
    LOOP
        BEGIN
            INSERT INTO dataops.deliveries (notification_id, event_id, payload)
            SELECT n.id, NEW.event_id, p.payload
              FROM dataops._notification_payloads(n.id, NEW.event_id) AS p(payload);
        EXCEPTION WHEN OTHERS THEN
            INSERT INTO dataops.deliveries (notification_id, event_id, payload, state, last_error)
            VALUES (n.id, NEW.event_id, '{}', 'dead', 'payload could not be built: ' OPERATOR(pg_catalog.||) SQLERRM);
        END;
    END LOOP;
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION dataops._events_outbox() IS
'Trigger: writes one delivery (dataops.deliveries) per notification of the event''s pipeline that asks for its status, in the event''s transaction';
CREATE TRIGGER events_outbox AFTER INSERT ON dataops.events
    FOR EACH ROW EXECUTE FUNCTION dataops._events_outbox();

-- ===== openlineage

-- column lineage: the kind of each column edge (OpenLineage ColumnLineageDatasetFacet 1-2-0 subtypes)
ALTER TABLE dataops.lineage ADD COLUMN transformation text
    CHECK (transformation IN ('IDENTITY', 'TRANSFORMATION', 'FILTER', 'JOIN', 'GROUP_BY', 'SORT'));
-- rows recorded before 0.7.0 did not tell a copy from an expression: the weaker claim
UPDATE dataops.lineage SET transformation = 'TRANSFORMATION' WHERE source_column IS NOT NULL AND target_column IS NOT NULL;
COMMENT ON COLUMN dataops.lineage.transformation IS
'Column rows: IDENTITY (the target column is the source column unchanged), TRANSFORMATION (an expression of it); '
'rows with a source column and no target column are INDIRECT edges affecting the whole target: FILTER (WHERE, HAVING), '
'JOIN (join conditions), GROUP_BY, SORT (ORDER BY). NULL on table-level rows';

-- OpenLineage (https://openlineage.io, spec 2-0-2): RunEvents built from the catalog
CREATE FUNCTION dataops._openlineage_host() RETURNS text
AS 'MODULE_PATHNAME', 'dataops_openlineage_host' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION dataops._openlineage_host() IS
'Host name of the server''s machine: the host of file datasets'' namespace file://<host> in OpenLineage events';

CREATE FUNCTION dataops._openlineage_namespace() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$ SELECT coalesce(nullif(pg_catalog.current_setting('dataops.openlineage_namespace', true), ''),
                      'postgres://localhost:' OPERATOR(pg_catalog.||) pg_catalog.current_setting('port')) $$;
COMMENT ON FUNCTION dataops._openlineage_namespace() IS
'Namespace of OpenLineage jobs and relation datasets: the setting dataops.openlineage_namespace (default postgres://<host>:<port>)';

CREATE FUNCTION dataops._openlineage_uuid(kind text, id bigint) RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$
  WITH h AS (SELECT pg_catalog.md5(pg_catalog.concat_ws(':', 'dataops', dataops._openlineage_namespace(),
                                                         pg_catalog.current_database(), kind, id)) AS h)
  SELECT pg_catalog.concat(pg_catalog.substr(h, 1, 12), '4', pg_catalog.substr(h, 14, 3),
           pg_catalog.substr('89ab', (CAST(CAST(pg_catalog.concat('x', pg_catalog.substr(h, 17, 1)) AS bit(4)) AS integer)
                                      OPERATOR(pg_catalog.%) 4) OPERATOR(pg_catalog.+) 1, 1),
           pg_catalog.substr(h, 18, 15))::uuid
    FROM h $$;
COMMENT ON FUNCTION dataops._openlineage_uuid(text, bigint) IS
'The OpenLineage runId of a dataops run (kind ''run'') or step attempt (kind ''step'', by step_run_id): a version-4-shaped UUID from the MD5 of the namespace, database, kind and id, so the same attempt always has the same runId';

CREATE FUNCTION dataops._openlineage_producer() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$ SELECT pg_catalog.concat('urn:postgresql:extension:dataops:', coalesce(
         (SELECT e.extversion FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'dataops'), 'unknown')) $$;
COMMENT ON FUNCTION dataops._openlineage_producer() IS
'The producer URI of dataops'' OpenLineage events and facets: urn:postgresql:extension:dataops:<version>';

CREATE FUNCTION dataops._openlineage_facet(body jsonb, schema_file text, def text) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$ SELECT pg_catalog.jsonb_build_object(
         '_producer', dataops._openlineage_producer(),
         '_schemaURL', pg_catalog.concat('https://openlineage.io/spec/facets/', schema_file, '#/$defs/', def))
         OPERATOR(pg_catalog.||) body $$;
COMMENT ON FUNCTION dataops._openlineage_facet(jsonb, text, text) IS
'An OpenLineage facet: body with _producer and the _schemaURL of the facet schema (version/File.json) and definition';

CREATE FUNCTION dataops._openlineage_schema_facet(relation text) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
  SELECT dataops._openlineage_facet(pg_catalog.jsonb_build_object('fields',
           pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('name', a.attname,
                                'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
                                'ordinal_position', a.attnum) ORDER BY a.attnum)),
           '1-2-0/SchemaDatasetFacet.json', 'SchemaDatasetFacet')
    FROM pg_catalog.pg_attribute a
   WHERE a.attrelid OPERATOR(pg_catalog.=) pg_catalog.to_regclass(relation)
     AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
  HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 0 $$;
COMMENT ON FUNCTION dataops._openlineage_schema_facet(text) IS
'OpenLineage schema facet of a relation (schema.table, quoted as needed): its columns and types; NULL if it does not exist';

CREATE FUNCTION dataops._openlineage_step_event(p_step_run_id bigint, p_event_type text) RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    sr record;
    r record;
    st record;
    ns text := dataops._openlineage_namespace();
    file_ns text := 'file://' OPERATOR(pg_catalog.||) dataops._openlineage_host();
    tgt text;
    inputs jsonb;
    ds_facets jsonb := '{}';
    out_facets jsonb := '{}';
    run_facets jsonb;
    job_facets jsonb;
    cl jsonb;
    cl_dataset jsonb;
    assertions jsonb;
    schema_facet jsonb;
    event_time timestamptz;
BEGIN
    SELECT * INTO sr FROM dataops.step_runs s WHERE s.step_run_id OPERATOR(pg_catalog.=) p_step_run_id;
    IF NOT FOUND OR sr.started_at IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT * INTO r FROM dataops.runs x WHERE x.run_id OPERATOR(pg_catalog.=) sr.run_id;
    SELECT * INTO st FROM dataops.steps x
     WHERE x.pipeline OPERATOR(pg_catalog.=) r.pipeline AND x.name OPERATOR(pg_catalog.=) sr.step;
    IF st.name IS NOT NULL THEN
        tgt := pg_catalog.quote_ident(st.target_schema) OPERATOR(pg_catalog.||) '.'
               OPERATOR(pg_catalog.||) pg_catalog.quote_ident(st.target_table);
    ELSE
        tgt := sr.target;
    END IF;
    event_time := CASE WHEN p_event_type OPERATOR(pg_catalog.=) 'START' THEN sr.started_at
                       ELSE coalesce(sr.finished_at, sr.started_at) END;

    -- inputs: the relations the query reads (its lineage, else what the DAG found), and this run's files
    SELECT pg_catalog.jsonb_agg(d ORDER BY d OPERATOR(pg_catalog.->>) 'name') INTO inputs FROM (
        SELECT pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('namespace', ns, 'name', rel,
                   'facets', CASE WHEN sf IS NOT NULL THEN pg_catalog.jsonb_build_object('schema', sf) END)) AS d
          FROM (SELECT rel, dataops._openlineage_schema_facet(rel) AS sf FROM (
                  SELECT DISTINCT l.source_relation AS rel FROM dataops.lineage l
                   WHERE l.pipeline OPERATOR(pg_catalog.=) r.pipeline AND l.step OPERATOR(pg_catalog.=) sr.step
                     AND l.source_column IS NULL AND l.source_relation NOT LIKE '/%'
                  UNION
                  SELECT u.rel FROM pg_catalog.unnest(st.reads) u(rel)
                   WHERE NOT EXISTS (SELECT 1 FROM dataops.lineage l
                                      WHERE l.pipeline OPERATOR(pg_catalog.=) r.pipeline
                                        AND l.step OPERATOR(pg_catalog.=) sr.step)) rels) rs
        UNION ALL
        SELECT pg_catalog.jsonb_build_object('namespace', file_ns, 'name', f.path)
          FROM dataops.ingested_files f
         WHERE f.run_id OPERATOR(pg_catalog.=) sr.run_id AND f.target OPERATOR(pg_catalog.=) sr.target) i;

    -- the target: schema, column lineage, quality assertions, row count
    schema_facet := dataops._openlineage_schema_facet(tgt);
    IF schema_facet IS NOT NULL THEN
        ds_facets := ds_facets OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('schema', schema_facet);
    END IF;
    WITH edges AS (
        SELECT l.target_column, l.source_relation, l.source_column, l.transformation
          FROM dataops.lineage l
         WHERE l.pipeline OPERATOR(pg_catalog.=) r.pipeline AND l.step OPERATOR(pg_catalog.=) sr.step
           AND l.source_column IS NOT NULL),
    indirect AS (
        SELECT e.source_relation, e.source_column,
               pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('type', 'INDIRECT', 'subtype', e.transformation)
                                    ORDER BY e.transformation) AS t
          FROM edges e WHERE e.target_column IS NULL GROUP BY 1, 2),
    per_field AS (
        SELECT c.target_column, x.source_relation, x.source_column,
               pg_catalog.jsonb_agg(x.t ORDER BY x.ord, x.t OPERATOR(pg_catalog.->>) 'subtype') AS t
          FROM (SELECT DISTINCT e.target_column FROM edges e WHERE e.target_column IS NOT NULL) c
          CROSS JOIN LATERAL (
              SELECT e.source_relation, e.source_column, 0 AS ord,
                     pg_catalog.jsonb_build_object('type', 'DIRECT', 'subtype', coalesce(e.transformation, 'TRANSFORMATION')) AS t
                FROM edges e WHERE e.target_column OPERATOR(pg_catalog.=) c.target_column
              UNION ALL
              SELECT i.source_relation, i.source_column, 1, pg_catalog.jsonb_array_elements(i.t)
                FROM indirect i) x
         GROUP BY 1, 2, 3)
    SELECT (SELECT pg_catalog.jsonb_object_agg(f.target_column, pg_catalog.jsonb_build_object('inputFields', f.fields))
              FROM (SELECT p.target_column,
                           pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('namespace', ns, 'name', p.source_relation,
                                                'field', p.source_column, 'transformations', p.t)
                                                ORDER BY p.source_relation, p.source_column) AS fields
                      FROM per_field p GROUP BY p.target_column) f),
           (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('namespace', ns, 'name', i.source_relation,
                                        'field', i.source_column, 'transformations', i.t)
                                        ORDER BY i.source_relation, i.source_column)
              FROM indirect i)
      INTO cl, cl_dataset;
    IF cl IS NOT NULL THEN
        ds_facets := ds_facets OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('columnLineage',
            dataops._openlineage_facet(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('fields', cl, 'dataset', cl_dataset)),
                                       '1-2-0/ColumnLineageDatasetFacet.json', 'ColumnLineageDatasetFacet'));
    END IF;
    IF p_event_type OPERATOR(pg_catalog.<>) 'START' THEN
        SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                   'assertion', e.kind, 'name', e.expectation, 'success', e.success, 'column', e.column_name,
                   'severity', CASE e.action WHEN 'fail' THEN 'error' ELSE 'warn' END))
                   ORDER BY e.expectation)
          INTO assertions
          FROM dataops.expectation_results e
         WHERE e.run_id OPERATOR(pg_catalog.=) sr.run_id AND e.step OPERATOR(pg_catalog.=) sr.step
           AND e.attempt OPERATOR(pg_catalog.=) sr.attempt;
        IF assertions IS NOT NULL THEN
            ds_facets := ds_facets OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('dataQualityAssertions',
                dataops._openlineage_facet(pg_catalog.jsonb_build_object('assertions', assertions),
                                           '1-1-0/DataQualityAssertionsDatasetFacet.json', 'DataQualityAssertionsDatasetFacet'));
        END IF;
        IF sr.rows_written IS NOT NULL THEN
            out_facets := pg_catalog.jsonb_build_object('outputStatistics',
                dataops._openlineage_facet(pg_catalog.jsonb_build_object('rowCount', sr.rows_written),
                                           '1-0-2/OutputStatisticsOutputDatasetFacet.json', 'OutputStatisticsOutputDatasetFacet'));
        END IF;
    END IF;

    run_facets := pg_catalog.jsonb_build_object('parent',
        dataops._openlineage_facet(pg_catalog.jsonb_build_object(
            'run', pg_catalog.jsonb_build_object('runId', dataops._openlineage_uuid('run', sr.run_id)),
            'job', pg_catalog.jsonb_build_object('namespace', ns, 'name', r.pipeline),
            'root', pg_catalog.jsonb_build_object(
                'run', pg_catalog.jsonb_build_object('runId', dataops._openlineage_uuid('run', sr.run_id)),
                'job', pg_catalog.jsonb_build_object('namespace', ns, 'name', r.pipeline))),
            '1-2-0/ParentRunFacet.json', 'ParentRunFacet'));
    IF p_event_type IN ('FAIL', 'ABORT') AND sr.error_message IS NOT NULL THEN
        run_facets := run_facets OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('errorMessage',
            dataops._openlineage_facet(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                'message', sr.error_message, 'programmingLanguage', 'SQL',
                'stackTrace', CASE WHEN sr.error_sqlstate IS NOT NULL
                                   THEN pg_catalog.concat_ws(E'\n', 'SQLSTATE ' OPERATOR(pg_catalog.||) sr.error_sqlstate,
                                                             sr.error_detail) END)),
                '1-0-1/ErrorMessageRunFacet.json', 'ErrorMessageRunFacet'));
    END IF;
    job_facets := pg_catalog.jsonb_build_object('jobType',
        dataops._openlineage_facet(pg_catalog.jsonb_build_object('processingType', 'BATCH', 'integration', 'DATAOPS',
                                                                 'jobType', 'TASK'),
                                   '2-0-4/JobTypeJobFacet.json', 'JobTypeJobFacet'));
    IF st.query IS NOT NULL THEN
        job_facets := job_facets OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('sql',
            dataops._openlineage_facet(pg_catalog.jsonb_build_object('query', st.query, 'dialect', 'postgres'),
                                       '1-1-0/SQLJobFacet.json', 'SQLJobFacet'));
    END IF;

    RETURN pg_catalog.jsonb_build_object(
        'eventType', p_event_type,
        'eventTime', event_time,
        'producer', dataops._openlineage_producer(),
        'schemaURL', 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
        'run', pg_catalog.jsonb_build_object('runId', dataops._openlineage_uuid('step', sr.step_run_id), 'facets', run_facets),
        'job', pg_catalog.jsonb_build_object('namespace', ns, 'name', r.pipeline OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) sr.step,
                                             'facets', job_facets),
        'inputs', coalesce(inputs, '[]'),
        'outputs', pg_catalog.jsonb_build_array(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
            'namespace', ns, 'name', sr.target,
            'facets', ds_facets,
            'outputFacets', CASE WHEN out_facets OPERATOR(pg_catalog.<>) '{}' THEN out_facets END))));
END
$$;
COMMENT ON FUNCTION dataops._openlineage_step_event(bigint, text) IS
'The OpenLineage RunEvent of a step attempt (step_run_id) of the given type (START, COMPLETE, FAIL, ABORT): job <pipeline>.<step>, parent run facet to the pipeline run, inputs, the target with schema, columnLineage and dataQualityAssertions facets and outputStatistics, the sql job facet, errorMessage on FAIL and ABORT; NULL for an attempt that never started';

CREATE FUNCTION dataops._openlineage_run_event(p_run_id bigint, p_event_type text) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
  SELECT pg_catalog.jsonb_build_object(
        'eventType', p_event_type,
        'eventTime', CASE WHEN p_event_type OPERATOR(pg_catalog.=) 'START' THEN r.started_at
                          ELSE coalesce(r.finished_at, r.started_at) END,
        'producer', dataops._openlineage_producer(),
        'schemaURL', 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
        'run', pg_catalog.jsonb_build_object('runId', dataops._openlineage_uuid('run', r.run_id),
                 'facets', CASE WHEN p_event_type IN ('FAIL', 'ABORT') AND r.error_message IS NOT NULL THEN
                   pg_catalog.jsonb_build_object('errorMessage', dataops._openlineage_facet(
                     pg_catalog.jsonb_build_object('message', r.error_message, 'programmingLanguage', 'SQL'),
                     '1-0-1/ErrorMessageRunFacet.json', 'ErrorMessageRunFacet'))
                   ELSE '{}' END),
        'job', pg_catalog.jsonb_build_object('namespace', dataops._openlineage_namespace(), 'name', r.pipeline,
                 'facets', pg_catalog.jsonb_build_object('jobType', dataops._openlineage_facet(
                   pg_catalog.jsonb_build_object('processingType', 'BATCH', 'integration', 'DATAOPS', 'jobType', 'DAG'),
                   '2-0-4/JobTypeJobFacet.json', 'JobTypeJobFacet'))),
        'inputs', '[]'::jsonb, 'outputs', '[]'::jsonb)
    FROM dataops.runs r
   WHERE r.run_id OPERATOR(pg_catalog.=) p_run_id AND r.started_at IS NOT NULL $$;
COMMENT ON FUNCTION dataops._openlineage_run_event(bigint, text) IS
'The OpenLineage RunEvent of a pipeline run (job <pipeline>, the parent of its steps'' runs) of the given type; NULL for a run that never started';

CREATE FUNCTION dataops._openlineage_end_type(status text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$ SELECT CASE status WHEN 'succeeded' THEN 'COMPLETE' WHEN 'failed' THEN 'FAIL' WHEN 'crashed' THEN 'FAIL'
                         WHEN 'canceled' THEN 'ABORT' WHEN 'timed_out' THEN 'ABORT' END $$;
COMMENT ON FUNCTION dataops._openlineage_end_type(text) IS
'OpenLineage eventType ending a run or step attempt of this dataops status: succeeded COMPLETE, failed and crashed FAIL, canceled and timed_out ABORT; NULL for other statuses';

CREATE FUNCTION dataops.openlineage_events(run_id bigint) RETURNS SETOF jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
  SELECT e FROM (
    SELECT 0 AS part, 0::bigint AS ord, 0 AS sub, dataops._openlineage_run_event(r.run_id, 'START') AS e
      FROM dataops.runs r WHERE r.run_id OPERATOR(pg_catalog.=) $1
    UNION ALL
    SELECT 1, s.step_run_id, x.sub, dataops._openlineage_step_event(s.step_run_id, x.t)
      FROM dataops.step_runs s
     CROSS JOIN LATERAL (VALUES (0, 'START'), (1, dataops._openlineage_end_type(s.status))) x(sub, t)
     WHERE s.run_id OPERATOR(pg_catalog.=) $1 AND s.started_at IS NOT NULL AND x.t IS NOT NULL
    UNION ALL
    SELECT 2, 0, 0, dataops._openlineage_run_event(r.run_id, dataops._openlineage_end_type(r.status))
      FROM dataops.runs r
     WHERE r.run_id OPERATOR(pg_catalog.=) $1 AND dataops._openlineage_end_type(r.status) IS NOT NULL) ev
   WHERE e IS NOT NULL
   ORDER BY part, (SELECT s.started_at FROM dataops.step_runs s WHERE s.step_run_id OPERATOR(pg_catalog.=) ev.ord), ord, sub $$;
COMMENT ON FUNCTION dataops.openlineage_events(bigint) IS
'OpenLineage 2-0-2 RunEvents of a run: START of the pipeline job, START and COMPLETE / FAIL / ABORT of every step attempt (job <pipeline>.<step>), then the pipeline''s end; rows of runs the caller may not see are not returned';

CREATE FUNCTION dataops._openlineage_events_for_event(event_id bigint) RETURNS SETOF jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
  SELECT x.e FROM dataops.events ev
   CROSS JOIN LATERAL (
      SELECT dataops._openlineage_step_event(s.step_run_id,
               CASE WHEN ev.status OPERATOR(pg_catalog.=) 'running' THEN 'START' ELSE dataops._openlineage_end_type(ev.status) END) AS e
        FROM dataops.step_runs s
       WHERE ev.kind OPERATOR(pg_catalog.=) 'step' AND s.run_id OPERATOR(pg_catalog.=) ev.run_id
         AND s.step OPERATOR(pg_catalog.=) ev.step
         AND s.attempt OPERATOR(pg_catalog.=) coalesce(CAST(ev.details OPERATOR(pg_catalog.->>) 'attempt' AS integer), 1)
         AND (ev.status OPERATOR(pg_catalog.=) 'running' OR dataops._openlineage_end_type(ev.status) IS NOT NULL)
      UNION ALL
      SELECT dataops._openlineage_run_event(ev.run_id,
               CASE WHEN ev.status OPERATOR(pg_catalog.=) 'running' THEN 'START' ELSE dataops._openlineage_end_type(ev.status) END)
       WHERE ev.kind OPERATOR(pg_catalog.=) 'run'
         AND (ev.status OPERATOR(pg_catalog.=) 'running' OR dataops._openlineage_end_type(ev.status) IS NOT NULL)) x
   WHERE ev.event_id OPERATOR(pg_catalog.=) $1 AND x.e IS NOT NULL $$;
COMMENT ON FUNCTION dataops._openlineage_events_for_event(bigint) IS
'OpenLineage RunEvents for one dataops event (for the notifications outbox, format openlineage): step running START, succeeded COMPLETE, failed and crashed FAIL, canceled and timed_out ABORT of that attempt; run events likewise for the pipeline job; none for other events';

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
-- appending a branch (the health and SLA ones come last).

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

-- Health figures for the metrics view.  health() reads the catalog with the
-- caller's rights (row-level security), which would give the exporter's
-- pg_monitor role none of them; this C function reads them as the
-- extension owner and keeps the pipelines the calling role (GetUserId(),
-- taken before the switch: no argument can widen it) may see by the rule of
-- _metrics_visible.  Only figures leave it: no query, error text or sample.
CREATE FUNCTION dataops._metrics_health()
RETURNS TABLE(pipeline text, success_rate numeric, mttr interval, target_mttr interval,
              mtbf interval, target_mtbf interval, dq_score numeric, dq_expectations_passed numeric,
              target_dq_score numeric, sla_compliance numeric, target_sla_compliance numeric, status text)
LANGUAGE c STABLE AS 'MODULE_PATHNAME', 'dataops_metrics_health';
COMMENT ON FUNCTION dataops._metrics_health() IS
'Internal to dataops.metrics: dataops.health() over the default window for the pipelines the calling role may see (it has the privileges of their owner, or of pg_monitor), read with the extension owner''s rights';

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
       '1 if the dataops launcher, which starts the schedulers, is running, else 0'
UNION ALL
SELECT 'dataops_health_' OPERATOR(pg_catalog.||) f.metric, pg_catalog.jsonb_build_object('pipeline', h.pipeline),
       f.value, 'gauge', f.help
  FROM dataops._metrics_health() h
 CROSS JOIN LATERAL (VALUES
       ('success_rate', h.success_rate::float8, 'Share of runs that succeeded in the health window (0 to 1)'),
       ('mttr_seconds', pg_catalog.date_part('epoch', h.mttr), 'Mean time to recovery in the health window, in seconds'),
       ('target_mttr_seconds', pg_catalog.date_part('epoch', h.target_mttr), 'Target mean time to recovery, in seconds'),
       ('mtbf_seconds', pg_catalog.date_part('epoch', h.mtbf), 'Mean time between failures in the health window, in seconds'),
       ('target_mtbf_seconds', pg_catalog.date_part('epoch', h.target_mtbf), 'Target mean time between failures, in seconds'),
       ('dq_score', h.dq_score::float8, 'Data quality score in the health window (0 to 1)'),
       ('target_dq_score', h.target_dq_score::float8, 'Target data quality score (0 to 1)'),
       ('dq_expectations_passed', h.dq_expectations_passed::float8, 'Share of expectation results that succeeded in the health window (0 to 1)'),
       ('sla_compliance', h.sla_compliance::float8, 'Share of the health window not in SLA breach (0 to 1)'),
       ('target_sla_compliance', h.target_sla_compliance::float8, 'Target SLA compliance (0 to 1)'),
       ('status', CASE h.status WHEN 'ok' THEN 0 WHEN 'at_risk' THEN 1 ELSE 2 END::float8,
        'Health status: 0 ok, 1 at_risk, 2 breached')) AS f(metric, value, help)
 WHERE f.value IS NOT NULL
UNION ALL
SELECT 'dataops_sla_breached', pg_catalog.jsonb_build_object('pipeline', p.name, 'kind', k.kind),
       CASE WHEN EXISTS (SELECT 1 FROM dataops.sla_breaches b
                          WHERE b.pipeline OPERATOR(pg_catalog.=) p.name
                            AND b.kind OPERATOR(pg_catalog.=) k.kind AND b.ended_at IS NULL)
            THEN 1 ELSE 0 END, 'gauge',
       '1 while a pipeline is in breach of an SLA (an open row of dataops.sla_breaches), else 0'
  FROM dataops.pipelines p
 CROSS JOIN (VALUES ('freshness'), ('deadline')) AS k(kind)
 WHERE dataops._metrics_visible(p.owner)
   AND p.options OPERATOR(pg_catalog.?) ('sla_' OPERATOR(pg_catalog.||) k.kind)
UNION ALL
SELECT 'dataops_sla_breaches_total', pg_catalog.jsonb_build_object('pipeline', b.pipeline, 'kind', b.kind),
       pg_catalog.count(*)::float8, 'counter', 'SLA breaches of a pipeline, open or closed'
  FROM dataops.sla_breaches b
  JOIN dataops.pipelines p ON p.name OPERATOR(pg_catalog.=) b.pipeline
 WHERE dataops._metrics_visible(p.owner)
 GROUP BY b.pipeline, b.kind;
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
                       OPERATOR(pg_catalog.||) '"', ',' ORDER BY l.key COLLATE pg_catalog."C")
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
           pg_catalog.string_agg(s.line, E'\n' ORDER BY s.labels COLLATE pg_catalog."C") AS lines
      FROM series s GROUP BY s.name
)
SELECT COALESCE(pg_catalog.string_agg(
           '# HELP ' OPERATOR(pg_catalog.||) n.name OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||)
           pg_catalog.replace(pg_catalog.replace(n.help, E'\\', E'\\\\'), E'\n', E'\\n') OPERATOR(pg_catalog.||) E'\n' OPERATOR(pg_catalog.||)
           '# TYPE ' OPERATOR(pg_catalog.||) n.name OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) n.type OPERATOR(pg_catalog.||) E'\n' OPERATOR(pg_catalog.||)
           n.lines OPERATOR(pg_catalog.||) E'\n', '' ORDER BY n.name COLLATE pg_catalog."C"), '')
  FROM named n
$fn$;
COMMENT ON FUNCTION dataops.prometheus_metrics() IS
'dataops.metrics in the Prometheus text exposition format (version 0.0.4): # HELP and # TYPE once per metric, label values escaped, metrics sorted by name and series by labels';


-- ===== views for people

CREATE VIEW dataops.recent_runs WITH (security_invoker = true) AS
SELECT r.pipeline,
       r.status,
       coalesce(r.started_at, r.queued_at) AS started,
       pg_catalog.date_trunc('second', coalesce(r.finished_at, pg_catalog.now())
                             OPERATOR(pg_catalog.-) coalesce(r.started_at, r.queued_at)) AS duration,
       c.bronze_rows, c.silver_rows, c.gold_rows, c.quarantined,
       r.failed_step,
       (SELECT e.step OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) e.expectation
          FROM dataops.expectation_results e
         WHERE e.run_id OPERATOR(pg_catalog.=) r.run_id AND NOT e.success
         ORDER BY (e.action OPERATOR(pg_catalog.=) 'fail') DESC, e.checked_at LIMIT 1) AS failed_expectation,
       pg_catalog.btrim(pg_catalog.regexp_replace(r.error_message, '\s+', ' ', 'g')) AS error,
       r.triggered_by,
       r.run_id
  FROM dataops.runs r
  LEFT JOIN LATERAL (
       SELECT pg_catalog.sum(s.rows_written) FILTER (WHERE s.layer OPERATOR(pg_catalog.=) 'bronze') AS bronze_rows,
              pg_catalog.sum(s.rows_written) FILTER (WHERE s.layer OPERATOR(pg_catalog.=) 'silver') AS silver_rows,
              pg_catalog.sum(s.rows_written) FILTER (WHERE s.layer OPERATOR(pg_catalog.=) 'gold') AS gold_rows,
              pg_catalog.sum(s.rows_quarantined) AS quarantined
         FROM dataops.step_runs s
        WHERE s.run_id OPERATOR(pg_catalog.=) r.run_id AND s.status OPERATOR(pg_catalog.=) 'succeeded') c ON true
 WHERE r.kind OPERATOR(pg_catalog.=) 'pipeline'
 ORDER BY coalesce(r.started_at, r.queued_at) DESC, r.run_id DESC;
GRANT SELECT ON dataops.recent_runs TO PUBLIC;
COMMENT ON VIEW dataops.recent_runs IS
'Runs the reader may see, newest first, as a person reads them: what ran, how it ended, how long, how many rows, and what broke';
COMMENT ON COLUMN dataops.recent_runs.pipeline IS 'Pipeline';
COMMENT ON COLUMN dataops.recent_runs.status IS 'queued, running, succeeded, failed, canceled or timed_out';
COMMENT ON COLUMN dataops.recent_runs.started IS 'When the run started (when it was queued, if it has not started)';
COMMENT ON COLUMN dataops.recent_runs.duration IS 'How long it ran (so far, while running), to the second';
COMMENT ON COLUMN dataops.recent_runs.bronze_rows IS 'Rows written by its bronze steps';
COMMENT ON COLUMN dataops.recent_runs.silver_rows IS 'Rows written by its silver steps';
COMMENT ON COLUMN dataops.recent_runs.gold_rows IS 'Rows written by its gold steps';
COMMENT ON COLUMN dataops.recent_runs.quarantined IS 'Rows kept out of the targets by drop expectations';
COMMENT ON COLUMN dataops.recent_runs.failed_step IS 'Step whose failure failed the run';
COMMENT ON COLUMN dataops.recent_runs.failed_expectation IS 'step.expectation that did not pass (a fail expectation first)';
COMMENT ON COLUMN dataops.recent_runs.error IS 'The run''s error message on one line';
COMMENT ON COLUMN dataops.recent_runs.triggered_by IS 'Who or what started the run';
COMMENT ON COLUMN dataops.recent_runs.run_id IS 'Run id (dataops.runs, dataops.step_runs, dataops.events)';

CREATE VIEW dataops.pipeline_status WITH (security_invoker = true) AS
SELECT p.name AS pipeline,
       h.status AS health,
       CASE WHEN sb.since IS NOT NULL THEN 'missed'
            WHEN p.options OPERATOR(pg_catalog.?|) ARRAY['sla_freshness', 'sla_deadline'] THEN 'met'
            ELSE 'none' END AS sla_state,
       sb.since AS sla_missed_since,
       l.status AS last_run_status,
       l.started AS last_run_started,
       l.duration AS last_run_duration,
       ok.last_success,
       CASE WHEN l.status IN ('failed', 'timed_out') THEN
            (SELECT pg_catalog.min(r.finished_at) FROM dataops.runs r
              WHERE r.pipeline OPERATOR(pg_catalog.=) p.name AND r.kind OPERATOR(pg_catalog.=) 'pipeline'
                AND r.status IN ('failed', 'timed_out')
                AND r.finished_at OPERATOR(pg_catalog.>) coalesce(ok.last_success, '-infinity')) END AS failing_since,
       l.error AS last_error,
       sc.next_run,
       pg_catalog.round(h.success_rate, 2) AS success_rate,
       pg_catalog.round(h.dq_score, 4) AS dq_score,
       pg_catalog.round(h.sla_compliance, 4) AS sla_compliance,
       p.owner
  FROM dataops.pipelines p
  LEFT JOIN dataops.health() h ON h.pipeline OPERATOR(pg_catalog.=) p.name
  LEFT JOIN LATERAL (
       SELECT rr.status, rr.started, rr.duration, rr.error FROM dataops.recent_runs rr
        WHERE rr.pipeline OPERATOR(pg_catalog.=) p.name LIMIT 1) l ON true
  LEFT JOIN LATERAL (
       SELECT pg_catalog.max(r.finished_at) AS last_success FROM dataops.runs r
        WHERE r.pipeline OPERATOR(pg_catalog.=) p.name AND r.kind OPERATOR(pg_catalog.=) 'pipeline'
          AND r.status OPERATOR(pg_catalog.=) 'succeeded') ok ON true
  LEFT JOIN LATERAL (
       SELECT pg_catalog.min(b.started_at) AS since FROM dataops.sla_breaches b
        WHERE b.pipeline OPERATOR(pg_catalog.=) p.name AND b.ended_at IS NULL) sb ON true
  LEFT JOIN LATERAL (
       SELECT pg_catalog.min(s.next_run) AS next_run FROM dataops.schedules s
        WHERE s.pipeline OPERATOR(pg_catalog.=) p.name) sc ON true
 ORDER BY CASE h.status WHEN 'breached' THEN 0 WHEN 'at_risk' THEN 1 ELSE 2 END, p.name;
GRANT SELECT ON dataops.pipeline_status TO PUBLIC;
COMMENT ON VIEW dataops.pipeline_status IS
'One row per pipeline the reader may see, broken ones first: health, SLA state, last run, last success, failing since when, next scheduled run';
COMMENT ON COLUMN dataops.pipeline_status.pipeline IS 'Pipeline';
COMMENT ON COLUMN dataops.pipeline_status.health IS 'Status of dataops.pipeline_health: ok, at_risk or breached';
COMMENT ON COLUMN dataops.pipeline_status.sla_state IS 'missed (an SLA breach is open), met, or none (no SLA option)';
COMMENT ON COLUMN dataops.pipeline_status.sla_missed_since IS 'Start of the open SLA breach';
COMMENT ON COLUMN dataops.pipeline_status.last_run_status IS 'Status of the latest run';
COMMENT ON COLUMN dataops.pipeline_status.last_run_started IS 'When the latest run started';
COMMENT ON COLUMN dataops.pipeline_status.last_run_duration IS 'How long the latest run took (so far, while running)';
COMMENT ON COLUMN dataops.pipeline_status.last_success IS 'When the latest successful run finished';
COMMENT ON COLUMN dataops.pipeline_status.failing_since IS 'When the latest run failed: end of the first failed run since the last success';
COMMENT ON COLUMN dataops.pipeline_status.last_error IS 'Error of the latest run, on one line';
COMMENT ON COLUMN dataops.pipeline_status.next_run IS 'Next run of its pg_cron schedule (dataops.schedules), NULL when unscheduled';
COMMENT ON COLUMN dataops.pipeline_status.success_rate IS 'Share of the runs of the last 30 days that succeeded, 2 decimals';
COMMENT ON COLUMN dataops.pipeline_status.dq_score IS 'Data quality score of the last 30 days (dataops.pipeline_health)';
COMMENT ON COLUMN dataops.pipeline_status.sla_compliance IS 'SLA compliance of the last 30 days (NULL: no SLA)';
COMMENT ON COLUMN dataops.pipeline_status.owner IS 'Owner of the pipeline';
