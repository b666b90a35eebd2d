#!/usr/bin/env bash
# Prometheus: promtool checks and unit-tests the alert rules; Debian's
# prometheus-postgres-exporter, started on a loopback port with
# monitoring/postgres_exporter.yaml against the test cluster as a pg_monitor
# role, is scraped after a pipeline ran, and its dataops series must equal
# the catalog; dataops.prometheus_metrics() must parse (promtool check metrics).
set -euo pipefail
: "${PGHOST:?run through test/pg.sh}"
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DB=dataops_prometheus
MON=prometheus_sh_monitor
EXPORTER=/usr/bin/prometheus-postgres-exporter
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
val() { psql -d "$DB" -At -c "$1"; }
fail() { echo "prometheus.sh: FAIL: $*" >&2; exit 1; }
command -v promtool >/dev/null || fail "promtool not installed (Debian package prometheus)"
[ -x "$EXPORTER" ] || fail "$EXPORTER not installed (Debian package prometheus-postgres-exporter)"

# 1. the rules
promtool check rules "$REPO/monitoring/dataops-rules.yml" >/dev/null || fail "promtool check rules"
(cd "$REPO/monitoring" && promtool test rules dataops-rules.test.yml) >/dev/null || fail "promtool test rules"

# 2. a database with a pipeline that ran twice and failed once
psql -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "DROP ROLE IF EXISTS $MON" \
     -c "CREATE DATABASE $DB" -c "CREATE ROLE $MON LOGIN IN ROLE pg_monitor"
psql -d "$DB" >/dev/null <<'SQL'
CREATE EXTENSION dataops;
CREATE TABLE public.src AS SELECT g AS id, CASE WHEN g % 4 = 0 THEN NULL ELSE g END AS v FROM generate_series(1, 100) g;
SELECT dataops.create_pipeline('prom "one"');
SELECT dataops.add_step('prom "one"', 'load', 'silver', 'prom.load', query => 'SELECT id, v FROM public.src');
SELECT dataops.add_expectation('prom "one"', 'load', 'v_nn', 'not_null', 'v');
SELECT dataops.run('prom "one"');
SELECT dataops.run('prom "one"');
SELECT dataops.create_pipeline('prom_fail');
SELECT dataops.add_step('prom_fail', 'boom', 'silver', 'prom.boom', query => 'SELECT 1 / 0 AS x');
SELECT dataops.wait(dataops.start_run('prom_fail'));
SQL

# 3. the text format parses
val "SELECT dataops.prometheus_metrics()" | promtool check metrics || fail "promtool check metrics on dataops.prometheus_metrics()"

# 4. the exporter on a free loopback port, as the monitoring role
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
DATA_SOURCE_NAME="host=$PGHOST port=$PGPORT user=$MON dbname=$DB sslmode=disable" \
    "$EXPORTER" --web.listen-address="127.0.0.1:$port" --disable-default-metrics --disable-settings-metrics \
    --extend.query-path="$REPO/monitoring/postgres_exporter.yaml" >"$log" 2>&1 &
exporter=$!
cleanup() {
    kill "$exporter" 2>/dev/null || true
    wait "$exporter" 2>/dev/null || true
    rm -f "$log"
    command psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "DROP ROLE IF EXISTS $MON" >/dev/null 2>&1 || true
}
trap cleanup EXIT
scrape=""
for _ in $(seq 1 50); do
    if scrape=$(curl -sf "http://127.0.0.1:$port/metrics") && grep -q '^dataops_runs_total' <<<"$scrape"; then break; fi
    kill -0 "$exporter" 2>/dev/null || { cat "$log" >&2; fail "the exporter exited"; }
    sleep 0.2
done
grep -q '^dataops_runs_total' <<<"$scrape" || { cat "$log" >&2; echo "$scrape" | grep -v '^#' | head -20 >&2; fail "no dataops series scraped"; }

# 5. scraped values equal the catalog (a label with a double quote included)
series() { # <metric> <label="value">... -> the value (the exporter adds a server label)
    local lines m=$1; shift
    lines=$(grep -F "$m{" <<<"$scrape" || true)
    for l in "$@"; do lines=$(grep -F "$l" <<<"$lines" || true); done
    [ "$(grep -c . <<<"$lines")" -le 1 ] || fail "$m $*: more than one series"
    awk '{print $NF}' <<<"$lines"
}
check() { # <what> <scraped> <catalog>
    python3 -c 'import sys; a, b = sys.argv[2], sys.argv[3]; sys.exit(0 if a and b and float(a) == float(b) else 1)' "$1" "$2" "$3" \
        || fail "$1: scraped '$2', catalog '$3'"
}
check 'runs_total succeeded' "$(series dataops_runs_total 'pipeline="prom \"one\""' 'status="succeeded"')" \
    "$(val "SELECT count(*) FROM dataops.runs WHERE pipeline = 'prom \"one\"' AND status = 'succeeded'")"
check 'runs_total failed' "$(series dataops_runs_total 'pipeline="prom_fail"' 'status="failed"')" \
    "$(val "SELECT count(*) FROM dataops.runs WHERE pipeline = 'prom_fail' AND status = 'failed'")"
check 'rows_written' "$(series dataops_step_rows_written_total 'pipeline="prom \"one\""' 'step="load"')" \
    "$(val "SELECT sum(s.rows_written) FROM dataops.step_runs s JOIN dataops.runs r USING (run_id) WHERE r.pipeline = 'prom \"one\"' AND s.step = 'load'")"
check 'rows_read' "$(series dataops_step_rows_read_total 'pipeline="prom \"one\""' 'step="load"')" \
    "$(val "SELECT sum(s.rows_read) FROM dataops.step_runs s JOIN dataops.runs r USING (run_id) WHERE r.pipeline = 'prom \"one\"' AND s.step = 'load'")"
check 'unexpected_ratio' "$(series dataops_expectation_unexpected_ratio 'expectation="v_nn"')" \
    "$(val "SELECT unexpected_percent / 100 FROM dataops.expectation_results WHERE expectation = 'v_nn' ORDER BY run_id DESC LIMIT 1")"
check 'last_run_failed' "$(series dataops_last_run_failed 'pipeline="prom_fail"')" 1
check 'last_run_failed ok' "$(series dataops_last_run_failed 'pipeline="prom \"one\""')" 0
check 'last_success' "$(series dataops_last_success_timestamp_seconds 'pipeline="prom \"one\""')" \
    "$(val "SELECT extract(epoch FROM max(finished_at)) FROM dataops.runs WHERE pipeline = 'prom \"one\"' AND status = 'succeeded'")"
check 'scheduler_up' "$(series dataops_scheduler_up)" 1
check 'queued_runs' "$(series dataops_queued_runs)" 0
grep -q '^# TYPE dataops_runs_total counter' <<<"$scrape" || fail "dataops_runs_total is not a counter"
grep -q '^# TYPE dataops_last_run_failed gauge' <<<"$scrape" || fail "dataops_last_run_failed is not a gauge"
# every metric of the view reached Prometheus under its own name
for m in $(val "SELECT DISTINCT name FROM dataops.metrics ORDER BY 1"); do
    grep -q "^$m[{ ]" <<<"$scrape" || fail "metric $m not scraped"
done
if grep -E '^dataops_[a-z_]+\{[^}]*run_id=' <<<"$scrape"; then fail "a run id as a label"; fi
echo "prometheus.sh: ok (rules checked and unit-tested; exporter series equal the catalog; prometheus_metrics() parses)"
