/* dataops 0.6.0 -> 0.7.0: operate it like a DataOps team: SLAs and health
 * (MTTR, MTBF, data quality score, SLA compliance), Prometheus metrics,
 * notifications through a transactional outbox, OpenLineage events, and
 * views read by people (issue 12). */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION dataops UPDATE TO '0.7.0'" to load this file. \quit

-- ===== sla and health

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
        -- MERGE (issue 12, item 5): the OpenLineage RunEvents of the event come
        -- from the openlineage area; the lead wires them in here at merge:
        --   RETURN QUERY SELECT o FROM dataops._openlineage_events_for_event($2) AS o;
        -- Until then an openlineage notification posts nothing.
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

-- ===== metrics

-- ===== views for people
