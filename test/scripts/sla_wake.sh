#!/usr/bin/env bash
# The scheduler evaluates SLAs with no run at all, even after it exited idle:
# the launcher starts it again about every minute while a pipeline has an SLA
# (issue 12).  And DROP DATABASE still works while that periodic work exists.
set -euo pipefail
: "${DATAOPS_BASE:?run through test/pg.sh}"
DB=dataops_sla_wake
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
val() { psql -d "$DB" -At -c "$1"; }
fail() { echo "sla_wake.sh: FAIL: $*" >&2; exit 1; }
schedulers() { psql -d postgres -At -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dataops scheduler' AND datname = '$DB'"; }

psql -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
psql -d "$DB" >/dev/null <<'SQL'
CREATE EXTENSION dataops;
SELECT dataops.create_pipeline('fresh');
SELECT dataops.set_pipeline_option('fresh', 'sla_freshness', '"1 hour"');
SQL
# the scheduler started for the SLA goes idle and exits
for _ in $(seq 1 200); do [ "$(schedulers)" = 0 ] && break; sleep 0.1; done
[ "$(schedulers)" = 0 ] || fail "the scheduler did not exit when idle"
[ "$(val "SELECT count(*) FROM dataops.sla_breaches")" = 0 ] || fail "a breach before the SLA was missed"
# now the pipeline is two hours old: missed since created_at + 1 hour; no run, no request
val "UPDATE dataops.pipelines SET created_at = now() - interval '2 hours'" >/dev/null
for _ in $(seq 1 90); do
    [ "$(val "SELECT count(*) FROM dataops.sla_breaches WHERE pipeline = 'fresh' AND ended_at IS NULL")" = 1 ] && break
    sleep 1
done
[ "$(val "SELECT count(*) FROM dataops.sla_breaches WHERE pipeline = 'fresh' AND ended_at IS NULL")" = 1 ] \
    || fail "no breach recorded within 90 s by a periodically woken scheduler"
[ "$(val "SELECT count(*) FROM dataops.events WHERE kind = 'sla' AND status = 'sla_missed'")" = 1 ] \
    || fail "no sla_missed event"
# DROP DATABASE (without FORCE) succeeds while periodic work exists: the scheduler leaves within seconds
ok=0
for _ in $(seq 1 5); do
    if psql -d postgres -c "DROP DATABASE $DB" 2>/dev/null; then ok=1; break; fi
    sleep 1
done
[ "$ok" = 1 ] || fail "DROP DATABASE kept failing"
echo "sla_wake.sh: ok (breach recorded by a scheduler the launcher woke with no run; DROP DATABASE works with periodic work)"
