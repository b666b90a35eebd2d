#!/usr/bin/env bash
# Notifications (issue 12, item 4): webhooks posted from the outbox
# (dataops.deliveries) by the delivery worker to a local receiver
# (lib/webhook_receiver.py on 127.0.0.1): a failed run's Slack message with
# its counts and failed expectation, a 500 then a success (delivered at the
# second attempt), an endpoint that hangs past dataops.http_timeout (dead
# with the timeout error, runs not delayed), a host refused at add time and
# at delivery time, and URLs hidden from a role without the owner's
# privileges.  Small timeouts and backoff through ALTER SYSTEM (reset at the end).
set -euo pipefail
: "${DATAOPS_BASE:?run through test/pg.sh}"
DB=dataops_notifications
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
val() { psql -d "$DB" -At -c "$1"; }
fail() { echo "notifications.sh: FAIL: $*" >&2; exit 1; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

tmp=$(mktemp -d)
chmod 755 "$tmp"
receiver=
cleanup() {
    [ -n "$receiver" ] && kill "$receiver" 2>/dev/null || true
    psql -d postgres -c "ALTER SYSTEM RESET dataops.http_allowed_hosts" -c "ALTER SYSTEM RESET dataops.http_timeout" \
        -c "ALTER SYSTEM RESET dataops.http_retry_delay" -c "ALTER SYSTEM RESET dataops.http_max_attempts" \
        -c "SELECT pg_reload_conf()" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT

/usr/bin/python3 "$here/lib/webhook_receiver.py" "$tmp/port" "$tmp/log" 3 &
receiver=$!
for _ in $(seq 1 50); do [ -f "$tmp/port" ] && break; sleep 0.1; done
[ -f "$tmp/port" ] || fail "the receiver did not start"
PORT=$(cat "$tmp/port")
touch "$tmp/log"
# requests the receiver got on paths starting with $1
got() { grep -c "\"path\": \"$1" "$tmp/log" || true; }

psql -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" \
    -c "DROP ROLE IF EXISTS nt_owner" -c "DROP ROLE IF EXISTS nt_other" \
    -c "CREATE ROLE nt_owner" -c "CREATE ROLE nt_other" \
    -c "ALTER SYSTEM SET dataops.http_allowed_hosts = '127.0.0.1:$PORT'" \
    -c "ALTER SYSTEM SET dataops.http_timeout = '1s'" \
    -c "ALTER SYSTEM SET dataops.http_retry_delay = '300ms'" \
    -c "ALTER SYSTEM SET dataops.http_max_attempts = 2" \
    -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.3

psql -d "$DB" >/dev/null <<SQL
CREATE EXTENSION dataops;
CREATE TABLE public.src AS SELECT g AS id, CASE WHEN g <= 2 THEN NULL ELSE g END AS v FROM generate_series(1, 5) g;
SELECT dataops.create_pipeline('nt_fail');
SELECT dataops.add_step('nt_fail', 'chk', 'silver', 'nt_chk', query => 'SELECT id, v FROM public.src');
SELECT dataops.add_expectation('nt_fail', 'chk', 'v_not_null', 'not_null', 'v', action => 'fail');
SELECT dataops.create_pipeline('nt_flaky');
SELECT dataops.add_step('nt_flaky', 'one', 'silver', 'nt_one', query => 'SELECT 1 AS one');
SELECT dataops.create_pipeline('nt_hang');
SELECT dataops.add_step('nt_hang', 'one', 'silver', 'nt_hang_one', query => 'SELECT 1 AS one');
SELECT dataops.create_pipeline('nt_moved');
SELECT dataops.add_step('nt_moved', 'one', 'silver', 'nt_moved_one', query => 'SELECT 1 AS one');
SQL

# --- refusals at add time (SQLSTATE)
refused() { # <expected sqlstate> <sql>
    local out
    out=$(psql -d "$DB" -v VERBOSITY=verbose -c "$2" 2>&1 || true)
    grep -q "ERROR:  $1" <<<"$out" || fail "expected SQLSTATE $1 for: $2; got: $out"
}
refused 42501 "SELECT dataops.add_notification('nt_fail', 'http://10.1.2.3:$PORT/ok')"
refused 42501 "SELECT dataops.add_notification('nt_fail', 'http://127.0.0.1:1/ok')"
refused 42501 "SELECT dataops.add_notification('nt_fail', 'http://2130706434:$PORT/ok')"
refused 42501 "SELECT dataops.add_notification('nt_fail', 'http://localhost:$PORT/ok')"
refused 22023 "SELECT dataops.add_notification('nt_fail', 'file:///etc/passwd')"
refused 22023 "SELECT dataops.add_notification('nt_fail', 'gopher://127.0.0.1:$PORT/')"
refused 22023 "SELECT dataops.add_notification('nt_fail', 'not a url')"
refused 22023 "SELECT dataops.add_notification('nt_fail', 'http://127.0.0.1:$PORT/ok', '{failed,exploded}')"
refused 22023 "SELECT dataops.add_notification('nt_fail', 'http://127.0.0.1:$PORT/ok', '{}')"
refused 22023 "SELECT dataops.add_notification('nt_fail', 'http://127.0.0.1:$PORT/ok', format => 'teams')"
refused 22004 "SELECT dataops.add_notification('nt_fail', NULL)"
refused 42704 "SELECT dataops.add_notification('nt_nope', 'http://127.0.0.1:$PORT/ok')"
refused 42704 "SELECT dataops.drop_notification(424242)"

# host patterns (session value): *.domain matches names under it only, an IP literal only itself
wild="SET dataops.http_allowed_hosts = '*.example.com, [::1]:8443'; SELECT dataops.add_notification('nt_fail', "
psql -d "$DB" -c "BEGIN" -c "${wild}'https://hooks.example.com/services/x')" -c "${wild}'http://[::1]:8443/x')" -c "ROLLBACK" >/dev/null \
    || fail "a host matching *.example.com or [::1]:8443 was refused"
refused 42501 "${wild}'https://example.com.evil.net/x')"
refused 42501 "${wild}'https://evilexample.com/x')"
refused 42501 "${wild}'https://example.com/x')"
refused 42501 "${wild}'http://[::1]:8080/x')"
refused 42501 "${wild}'http://hooks.example.com@10.0.0.1/x')"
refused 42501 "SET dataops.http_allowed_hosts = '*.0.1'; SELECT dataops.add_notification('nt_fail', 'http://127.0.0.1:$PORT/ok')"

n_fail=$(val "SELECT dataops.add_notification('nt_fail', 'http://127.0.0.1:$PORT/ok/T0KEN-fail')")
n_json=$(val "SELECT dataops.add_notification('nt_fail', 'http://127.0.0.1:$PORT/ok/json', '{failed}', 'json')")
# OpenLineage (a Marquez or DataHub endpoint): every RunEvent of the run
n_ol=$(val "SELECT dataops.add_notification('nt_fail', 'http://127.0.0.1:$PORT/ok/ol', '{failed}', 'openlineage')")
n_flaky=$(val "SELECT dataops.add_notification('nt_flaky', 'http://127.0.0.1:$PORT/flaky/x', '{succeeded}', 'json')")
n_hang=$(val "SELECT dataops.add_notification('nt_hang', 'http://127.0.0.1:$PORT/hang/x', '{succeeded}')")
# allowed in this session only: the delivery worker (server settings) refuses it
n_moved=$(psql -d "$DB" -At -c "SET dataops.http_allowed_hosts = '127.0.0.1:$PORT, localhost:$PORT'" \
    -c "SELECT dataops.add_notification('nt_moved', 'http://localhost:$PORT/ok/moved', '{succeeded}')")
[ -n "$n_moved" ] || fail "a host allowed in the session was refused"

# --- the runs, none delayed by the hanging endpoint
start=$(date +%s%N)
run_fail=$(val "SELECT dataops.start_run('nt_fail')")
[ "$(val "SELECT dataops.wait($run_fail, '30 s')")" = failed ] || fail "nt_fail did not fail"
val "SELECT dataops.wait(dataops.start_run('nt_flaky'), '30 s')" >/dev/null
for i in 1 2 3; do
    [ "$(val "SELECT dataops.wait(dataops.start_run('nt_hang'), '30 s')")" = succeeded ] || fail "nt_hang run $i did not succeed"
done
val "SELECT dataops.wait(dataops.start_run('nt_moved'), '30 s')" >/dev/null
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
# the three deliveries to /hang take 3 x 2 attempts x 1 s (timeout) at least: the runs did not wait for them
[ "$elapsed" -lt 4000 ] || fail "the runs took $elapsed ms: delayed by the hanging endpoint?"

# --- the outbox was written with the events
[ "$(val "SELECT count(*) FROM dataops.deliveries d JOIN dataops.events e USING (event_id)
          WHERE e.run_id = $run_fail AND e.kind = 'run' AND e.status = 'failed'
            AND d.notification_id <> $n_ol")" = 2 ] \
    || fail "the failed run did not get two deliveries (slack and json)"

# --- wait for every delivery to be final (up to 30 s)
for _ in $(seq 1 300); do
    [ "$(val "SELECT count(*) FROM dataops.deliveries WHERE state = 'pending'")" = 0 ] && break
    sleep 0.1
done
[ "$(val "SELECT count(*) FROM dataops.deliveries WHERE state = 'pending'")" = 0 ] \
    || fail "deliveries still pending: $(val "SELECT string_agg(id || ' ' || attempts || ' ' || coalesce(last_error, ''), '; ') FROM dataops.deliveries WHERE state = 'pending'")"

# the failed run: one Slack message with the counts and the failed expectation
[ "$(val "SELECT state || ' ' || attempts || ' ' || last_http_status FROM dataops.deliveries WHERE notification_id = $n_fail")" = "delivered 1 200" ] \
    || fail "the Slack delivery: $(val "SELECT state, attempts, last_error FROM dataops.deliveries WHERE notification_id = $n_fail")"
[ "$(got /ok/T0KEN-fail)" = 1 ] || fail "the receiver got $(got /ok/T0KEN-fail) Slack posts, expected 1"
/usr/bin/python3 - "$tmp/log" "$run_fail" <<'PY' || fail "the Slack message is not right"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
slack = [r for r in rows if r["path"] == "/ok/T0KEN-fail"][0]
assert slack["type"] == "application/json", slack["type"]
m = json.loads(slack["body"])
assert set(m) == {"text", "blocks"}, m.keys()
text = m["text"]
assert "nt_fail failed (run %s)" % sys.argv[2] in text, text
assert "v_not_null" in text and "2 of 5 rows unexpected" in text, text
blocks = json.dumps(m["blocks"])
for want in ["*Pipeline*\\nnt_fail", "*Status*\\nfailed", "*Duration*", "*Files ingested*\\n0",
             "*Duplicates removed*\\n0", "*Quarantined rows*", "*Failed expectation* v_not_null (not_null on v, action fail) on step chk: 2 of 5 rows unexpected (40.00 %)",
             "*Error* in step chk"]:
    assert want in blocks, (want, blocks)
for b in m["blocks"]:
    assert b["type"] == "section", b
j = [r for r in rows if r["path"] == "/ok/json"][0]
e = json.loads(j["body"])
assert e["kind"] == "run" and e["status"] == "failed" and e["pipeline"] == "nt_fail" and e["run_id"] == int(sys.argv[2]), e
PY

# the OpenLineage notification: each RunEvent of the failed run posted once,
# the same as dataops.openlineage_events(), each valid against the official
# OpenLineage 2-0-2 schemas (../shared/openlineage, when present)
n_ol_all=$(val "SELECT count(*) FROM dataops.deliveries WHERE notification_id = $n_ol")
[ "$n_ol_all" -ge 4 ] && [ "$(val "SELECT count(*) FROM dataops.deliveries WHERE notification_id = $n_ol AND state = 'delivered'")" = "$n_ol_all" ] \
    || fail "openlineage deliveries: $(val "SELECT string_agg(state || ' ' || coalesce(last_error, ''), '; ') FROM dataops.deliveries WHERE notification_id = $n_ol")"
[ "$(got /ok/ol)" = "$n_ol_all" ] || fail "the receiver got $(got /ok/ol) OpenLineage posts, expected $n_ol_all"
val "SELECT e FROM dataops.openlineage_events($run_fail) e" > "$tmp/ol_expected"
/usr/bin/python3 - "$tmp/log" "$tmp/ol_expected" "$tmp/ol_posted" <<'PY' || fail "the OpenLineage posts are not the run's events"
import json, sys
posted = [json.loads(r["body"]) for r in map(json.loads, open(sys.argv[1])) if r["path"] == "/ok/ol"]
expected = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
key = lambda e: (e["job"]["name"], e["eventType"], e["run"]["runId"])
assert sorted(map(key, posted)) == sorted(map(key, expected)), (sorted(map(key, posted)), sorted(map(key, expected)))
types = {(e["job"]["name"], e["eventType"]) for e in posted}
assert ("nt_fail", "START") in types and ("nt_fail", "FAIL") in types, types
assert ("nt_fail.chk", "FAIL") in types, types
with open(sys.argv[3], "w") as f:
    for e in posted:
        f.write(json.dumps(e) + "\n")
PY
OL="$here/../../../shared/openlineage"
if [ -x "$OL/validate-events" ]; then
    "$OL/validate-events" "$tmp/ol_posted" >/dev/null || fail "posted OpenLineage events do not validate: $("$OL/validate-events" "$tmp/ol_posted" | head -5)"
fi
val "SELECT dataops.drop_notification($n_ol)" >/dev/null

# a 500, then a success: delivered at the second attempt
[ "$(val "SELECT state || ' ' || attempts || ' ' || last_http_status || ' ' || (last_error IS NULL) FROM dataops.deliveries WHERE notification_id = $n_flaky")" = "delivered 2 200 true" ] \
    || fail "the flaky delivery: $(val "SELECT state, attempts, last_http_status, last_error FROM dataops.deliveries WHERE notification_id = $n_flaky")"
[ "$(got /flaky/x)" = 2 ] || fail "the receiver got $(got /flaky/x) flaky posts, expected 2"

# a hang past the timeout: two attempts, then dead with the timeout
[ "$(val "SELECT count(*) FROM dataops.deliveries WHERE notification_id = $n_hang AND state = 'dead' AND attempts = 2
          AND last_http_status IS NULL AND last_error LIKE 'timeout after 1000 ms%'")" = 3 ] \
    || fail "the hanging deliveries: $(val "SELECT string_agg(state || ' ' || attempts || ' ' || coalesce(last_error, ''), '; ') FROM dataops.deliveries WHERE notification_id = $n_hang")"

# a host no longer allowed at delivery: dead at once, never posted
[ "$(val "SELECT state || ' ' || attempts || ' ' || last_error FROM dataops.deliveries WHERE notification_id = $n_moved")" = \
  "dead 1 host \"localhost\" port $PORT is not allowed by dataops.http_allowed_hosts" ] \
    || fail "the refused delivery: $(val "SELECT state, attempts, last_error FROM dataops.deliveries WHERE notification_id = $n_moved")"
[ "$(got /ok/moved)" = 0 ] || fail "a host no longer allowed was posted to"

# --- a worker terminated during a request stops at once; the delivery stays pending (at least once)
psql -d postgres -c "ALTER SYSTEM SET dataops.http_timeout = '20s'" -c "ALTER SYSTEM SET dataops.http_retry_delay = '60s'" \
    -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.3
val "SELECT dataops.drop_notification($n_hang)" >/dev/null
n_stuck=$(val "SELECT dataops.add_notification('nt_hang', 'http://127.0.0.1:$PORT/hang30/x', '{succeeded}')")
val "SELECT dataops.wait(dataops.start_run('nt_hang'), '30 s')" >/dev/null
pid=
for _ in $(seq 1 100); do
    pid=$(val "SELECT pid FROM pg_stat_activity WHERE backend_type = 'dataops delivery' AND state = 'active' AND query = 'dataops: posting a notification'")
    [ -n "$pid" ] && break
    sleep 0.1
done
[ -n "$pid" ] || fail "the delivery worker never posted to /hang30"
t0=$(date +%s%N)
val "SELECT pg_terminate_backend($pid)" >/dev/null
for _ in $(seq 1 50); do
    [ "$(val "SELECT count(*) FROM pg_stat_activity WHERE pid = $pid")" = 0 ] && break
    sleep 0.1
done
stop_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$stop_ms" -lt 2000 ] || fail "the delivery worker took $stop_ms ms to stop during a request"
[ "$(val "SELECT state || ' ' || attempts || ' ' || (next_attempt_at > now()) FROM dataops.deliveries WHERE notification_id = $n_stuck")" = "pending 1 true" ] \
    || fail "the interrupted delivery: $(val "SELECT state, attempts, next_attempt_at - now(), last_error FROM dataops.deliveries WHERE notification_id = $n_stuck")"
val "SELECT dataops.drop_notification($n_stuck)" >/dev/null
psql -d postgres -c "ALTER SYSTEM SET dataops.http_timeout = '1s'" -c "ALTER SYSTEM SET dataops.http_retry_delay = '300ms'" \
    -c "SELECT pg_reload_conf()" >/dev/null

# --- URLs visible only with the owner's privileges
psql -d "$DB" >/dev/null <<SQL
GRANT CREATE ON SCHEMA public TO nt_owner;
SET ROLE nt_owner;
SELECT dataops.create_pipeline('nt_owned');
RESET ROLE;
SQL
psql -d "$DB" -c "SET dataops.http_allowed_hosts = '127.0.0.1:$PORT'" -c "SET ROLE nt_owner" \
    -c "SELECT dataops.add_notification('nt_owned', 'http://127.0.0.1:$PORT/ok/owned-secret')" >/dev/null
[ "$(psql -d "$DB" -At -c "SET ROLE nt_owner" -c "SELECT string_agg(pipeline, ',') FROM dataops.notifications")" = nt_owned ] \
    || fail "the owner does not see exactly its own notification"
[ "$(psql -d "$DB" -At -c "SET ROLE nt_other" -c "SELECT count(*) FROM dataops.notifications WHERE url LIKE '%secret%' OR url LIKE '%T0KEN%'")" = 0 ] \
    || fail "another role sees notification URLs"
[ "$(psql -d "$DB" -At -c "SET ROLE nt_other" -c "SELECT count(*) FROM dataops.deliveries")" = 0 ] \
    || fail "another role sees deliveries"
[ "$(psql -d "$DB" -At -c "SET ROLE nt_other" -c "SELECT count(*) FROM dataops._notification_payloads($n_fail, (SELECT max(event_id) FROM dataops.events))")" = 0 ] \
    || fail "another role reads payloads of a pipeline it does not own"
out=$(psql -d "$DB" -v VERBOSITY=verbose -c "SET ROLE nt_other" -c "SELECT dataops.drop_notification($n_fail)" 2>&1 || true)
grep -q "ERROR:  42501" <<<"$out" || fail "another role dropped a notification: $out"
refused 42501 "SET ROLE nt_other; SELECT dataops.add_notification('nt_owned', 'http://127.0.0.1:$PORT/ok/x')"

# --- drop
val "SELECT dataops.drop_notification($n_fail)" >/dev/null
[ "$(val "SELECT count(*) FROM dataops.deliveries WHERE notification_id = $n_fail")" = 0 ] || fail "drop left deliveries"
run2=$(val "SELECT dataops.start_run('nt_fail')")
val "SELECT dataops.wait($run2, '30 s')" >/dev/null
[ "$(val "SELECT count(*) FROM dataops.deliveries d JOIN dataops.events e USING (event_id) WHERE e.run_id = $run2")" = 1 ] \
    || fail "after the drop, the failed run should be posted only as json"

psql -d postgres -c "DROP DATABASE $DB WITH (FORCE)" -c "DROP OWNED BY nt_owner" -c "DROP ROLE nt_owner" -c "DROP ROLE nt_other" >/dev/null
echo "notifications.sh: ok (Slack, json and OpenLineage payloads, 500 then success, timeout, refused hosts at add and delivery, runs not delayed, URLs hidden)"
