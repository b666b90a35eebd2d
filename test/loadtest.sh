#!/usr/bin/env bash
# Load test of the dataops run queue (`make loadtest`; not part of `make test`).
#
# pgbench drives LOAD_CLIENTS clients that call dataops.start_run() on a
# random one of LOAD_PIPELINES small pipelines (one or two steps over a
# 100-row table) for LOAD_SECONDS, rate limited to LOAD_RATE calls per second
# (pgbench -R).  Each accepted run id is recorded by the pgbench script
# itself, in the same statement:
#
#     INSERT INTO public.load_accepted (run_id) SELECT dataops.start_run(...)
#
# (start_run refuses a transaction that has written data, but the SELECT is
# evaluated before the INSERT writes anything, so this is allowed.)
#
# Before the load, the first run of every pipeline is started at once (they
# create the bronze and silver schemas and the targets concurrently) and
# must all succeed; a pipeline whose first run failed is then run once more
# on its own, so that the load itself runs against existing targets, as in
# steady state.  After pgbench the script waits for the queue to drain and
# checks that:
#
#   - pgbench had no failed or aborted transactions;
#   - every accepted run is in dataops.runs, and every run of the load
#     pipelines was accepted (none lost, none unaccounted for);
#   - the queue drained within LOAD_DRAIN_TIMEOUT and every run is final and
#     succeeded;
#   - no run was executed twice: each run has exactly one step_runs row per
#     step of its pipeline, attempt 1, succeeded, and exactly one queued,
#     one running and one final run event, and one running event per step
#     attempt;
#   - steps lie within their run's interval, and a step starts after the
#     steps it depends on have finished;
#   - no two runs of one pipeline overlapped, and runs of one pipeline
#     started in arrival (run id) order;
#   - at no time were more than dataops.max_parallel_runs runs, or
#     dataops.max_parallel_steps steps, running at once;
#   - no deadlock (pg_stat_database.deadlocks, and "deadlock detected" in
#     the server log), and no ERROR, FATAL or PANIC, crashed background
#     worker or server restart in the server log during the test.
#
# and prints: start_run calls accepted per second (pgbench's tps), runs
# completed per second (first queued_at to last finished_at), how long the
# queue took to drain after the last start_run, p50/p95/max of the time from
# queued to running (started_at - queued_at), of the part of it spent after
# the previous run of the same pipeline had finished (the scheduler's own
# admission delay), and of the run duration (finished_at - started_at).
#
# By default it starts its own throwaway cluster through test/pg.sh (fsync
# on) in /tmp/dataops-load, port 55436, and stops it at the end.  The server
# log is /tmp/dataops-<LOAD_NAME>/log/postgresql.log.  Exits non-zero when a
# check fails.
#
# Environment:
#   LOAD_CLIENTS        pgbench clients (default: 16)
#   LOAD_JOBS           pgbench threads (default: 2)
#   LOAD_SECONDS        pgbench duration in seconds (default: 60)
#   LOAD_PIPELINES      number of pipelines, load_1 .. load_N (default: 10);
#                       odd ones have two steps (bronze, then silver), even
#                       ones one
#   LOAD_RATE           start_run calls per second over all clients
#                       (pgbench -R; default: 30).  A 2-CPU machine runs
#                       about 47-49 of these runs per second with the
#                       default caps, so the queue keeps up with 30 and the
#                       figures measure latency, not backlog.  0: no limit
#                       (the queue then grows far faster than it can be run
#                       -- ~190 calls/s against ~49 runs/s -- and takes
#                       long to drain).  "auto": measure the throughput of
#                       the machine first (a burst of LOAD_CALIBRATE runs)
#                       and use 70% of it.
#   LOAD_CALIBRATE      runs queued to measure the throughput for
#                       LOAD_RATE=auto (default: 200)
#   LOAD_DRAIN_TIMEOUT  seconds to wait for the queue to drain after pgbench
#                       stops (default: 600)
#   LOAD_NAME           test/pg.sh cluster name (default: load)
#   LOAD_PORT           its port (default: 55436)
#   LOAD_REUSE          "1": use the cluster LOAD_NAME/LOAD_PORT already
#                       running (started with test/pg.sh) instead of starting
#                       a fresh one; it is left running
#   LOAD_DB             database, dropped and created (default: dataops_load)
#   LOAD_KEEP           "1": leave the cluster running at the end
#   PG_CONFIG           pg_config whose bindir has pgbench (default: pg_config)
set -euo pipefail

SELF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PG=$SELF_DIR/pg.sh

CLIENTS=${LOAD_CLIENTS:-16}
JOBS=${LOAD_JOBS:-2}
SECONDS_=${LOAD_SECONDS:-60}
PIPELINES=${LOAD_PIPELINES:-10}
RATE=${LOAD_RATE:-30}
CALIBRATE=${LOAD_CALIBRATE:-200}
DRAIN_TIMEOUT=${LOAD_DRAIN_TIMEOUT:-600}
NAME=${LOAD_NAME:-load}
PORT=${LOAD_PORT:-55436}
REUSE=${LOAD_REUSE:-0}
DB=${LOAD_DB:-dataops_load}
KEEP=${LOAD_KEEP:-0}
PG_CONFIG=${PG_CONFIG:-pg_config}

if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo); fi

log() { echo "loadtest: $*"; }
die() { echo "loadtest: $*" >&2; exit 1; }

for v in CLIENTS JOBS SECONDS_ PIPELINES CALIBRATE DRAIN_TIMEOUT PORT; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "bad value '${!v}' for LOAD_${v%_} (a positive integer)"
done
[[ $RATE =~ ^([0-9]+(\.[0-9]+)?|auto)$ ]] || die "bad value '$RATE' for LOAD_RATE (calls per second, 0 or auto)"
[[ $NAME =~ ^[A-Za-z0-9_-]+$ ]] || die "bad value '$NAME' for LOAD_NAME"
[[ $DB =~ ^[a-z_][a-z0-9_]*$ ]] || die "bad value '$DB' for LOAD_DB"
[ "$JOBS" -le "$CLIENTS" ] || JOBS=$CLIENTS

BINDIR=$("$PG_CONFIG" --bindir 2>/dev/null) || die "cannot run '$PG_CONFIG --bindir'"
PGBENCH=$BINDIR/pgbench
[ -x "$PGBENCH" ] || PGBENCH=$(command -v pgbench) || die "pgbench not found (postgresql-15 / postgresql-client-15)"

# ---------------------------------------------------------------- cluster

BASE=/tmp/dataops-$NAME
SERVER_LOG=$BASE/log/postgresql.log
TMP=$(mktemp -d /tmp/dataops-loadtest.XXXXXX)
started=0
cleanup() {
    rm -rf "$TMP"
    if [ "$started" = 1 ] && [ "$KEEP" != 1 ]; then
        "$PG" stop "$NAME" || true
    fi
}
trap cleanup EXIT

if [ "$REUSE" = 1 ]; then
    log "using the running cluster '$NAME' (port $PORT)"
else
    log "starting cluster '$NAME' (port $PORT, fsync on) in $BASE"
    DATAOPS_FSYNC=on "$PG" start "$NAME" "$PORT"
    started=1
fi
eval "$("$PG" env "$NAME" "$PORT")"
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"

# the server log from here on is checked at the end
log_size() { "${SUDO[@]}" stat -c %s "$SERVER_LOG" 2>/dev/null || echo 0; }
LOG_START=$(log_size)

q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
qd() { q -d "$DB" "$@"; }

# ---------------------------------------------------------------- setup

q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
qd -v npipe="$PIPELINES" <<'EOF'
CREATE EXTENSION dataops;
CREATE TABLE public.load_src AS SELECT g AS id FROM generate_series(1, 100) g;
-- one row per start_run call that pgbench saw succeed
CREATE TABLE public.load_accepted (run_id bigint NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());
-- phases of the test: calibration (LOAD_RATE=auto), load, drained
CREATE TABLE public.load_marks (mark text PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp(),
                                run_id bigint);
SET load.npipe = :'npipe';
DO $$
BEGIN
    FOR i IN 1 .. current_setting('load.npipe')::int LOOP
        PERFORM dataops.create_pipeline('load_' || i, 'loadtest pipeline ' || i);
        IF i % 2 = 1 THEN
            PERFORM dataops.add_step('load_' || i, 'raw', 'bronze', 'load_' || i,
                                     query => 'SELECT id FROM public.load_src');
            PERFORM dataops.add_step('load_' || i, 'clean', 'silver', 'load_' || i,
                                     query => format('SELECT id, id * 2 AS twice FROM bronze.load_%s', i));
        ELSE
            PERFORM dataops.add_step('load_' || i, 'one', 'silver', 'load_' || i,
                                     query => 'SELECT id, id % 7 AS bucket FROM public.load_src');
        END IF;
    END LOOP;
END $$;
EOF
MAX_RUNS=$(qd -c "SHOW dataops.max_parallel_runs")
MAX_STEPS=$(qd -c "SHOW dataops.max_parallel_steps")
log "database $DB: $PIPELINES pipelines, $(qd -c 'SELECT count(*) FROM dataops.steps') steps;" \
    "max_parallel_runs $MAX_RUNS, max_parallel_steps $MAX_STEPS," \
    "max_worker_processes $(qd -c 'SHOW max_worker_processes')"

# Waits until no run is queued or running, for at most $1 seconds; prints
# progress every 10 s.  Returns 1 on timeout.
drain() {
    local limit=$1 t0 now open last=-1
    t0=$(date +%s)
    while :; do
        open=$(qd -c "SELECT count(*) FILTER (WHERE status = 'queued') || ' queued, '
                             || count(*) FILTER (WHERE status = 'running') || ' running'
                        FROM dataops.runs WHERE status IN ('queued', 'running')")
        [ "$open" = "0 queued, 0 running" ] && return 0
        now=$(date +%s)
        if [ $((now - t0)) -ge "$limit" ]; then
            log "queue not drained after ${limit}s: $open"
            return 1
        fi
        if [ $(((now - t0) / 10)) -ne "$last" ]; then
            last=$(((now - t0) / 10))
            [ "$last" -gt 0 ] && log "  draining, $((now - t0))s: $open"
        fi
        sleep 0.5
    done
}

# ---------------------------------------------------------------- first runs

# The first run of every pipeline, all queued at once: they create their
# schemas and targets concurrently.  These runs are not part of the load.
log "first runs: all $PIPELINES pipelines at once"
qd -c "INSERT INTO public.load_marks (mark) VALUES ('first_runs')" \
   -c "SELECT dataops.start_run('load_' || g) FROM generate_series(1, $PIPELINES) g" >/dev/null
drain 120 || die "the first runs did not finish within 120 s"
first_q="SELECT run_id, pipeline, status, failed_step, error_sqlstate, error_message
           FROM dataops.runs
          WHERE queued_at >= (SELECT at FROM public.load_marks WHERE mark = 'first_runs')
            AND status <> 'succeeded'"
first_failed=$(qd -c "SELECT count(*) FROM ($first_q) f")
if [ "$first_failed" != 0 ]; then
    log "  $first_failed of the $PIPELINES first runs did not succeed:"
    qd -F ' | ' -c "$first_q ORDER BY run_id" | sed 's/^/loadtest:         /'
    # once more, one at a time, so that the load finds every target in place
    for p in $(qd -c "SELECT DISTINCT pipeline FROM ($first_q) f ORDER BY 1"); do
        st=$(qd -c "SELECT dataops.wait(dataops.start_run('$p'))")
        log "  $p run again on its own: $st"
        [ "$st" = succeeded ] || die "pipeline $p does not succeed even on its own"
    done
fi

# ---------------------------------------------------------------- rate

if [ "$RATE" = auto ]; then
    log "calibrating: queuing $CALIBRATE runs at once"
    qd -c "INSERT INTO public.load_marks (mark) VALUES ('calibrate')" \
       -c "SELECT dataops.start_run('load_' || (1 + g % $PIPELINES)) FROM generate_series(1, $CALIBRATE) g" >/dev/null
    drain 300 || die "calibration runs did not drain"
    read -r cal_rps RATE < <(qd -F ' ' -c "
        SELECT round(count(*) / extract(epoch FROM max(finished_at) - min(queued_at)), 1),
               greatest(1, floor(0.7 * count(*) / extract(epoch FROM max(finished_at) - min(queued_at))))
          FROM dataops.runs WHERE queued_at >= (SELECT at FROM public.load_marks WHERE mark = 'calibrate')")
    log "calibration: $cal_rps runs/s; rate set to 70% of it: $RATE start_run/s"
fi
RATE_OPT=()
if [ "$RATE" != 0 ]; then
    RATE_OPT=(-R "$RATE")
    log "rate: $RATE start_run calls/s (pgbench -R), $(awk -v r="$RATE" -v p="$PIPELINES" 'BEGIN { printf "%.2f", r / p }') per pipeline"
else
    log "rate: no limit"
fi

# ---------------------------------------------------------------- load

cat >"$TMP/start_run.sql" <<EOF
\\set p random(1, $PIPELINES)
INSERT INTO public.load_accepted (run_id) SELECT dataops.start_run('load_' || :p);
EOF

qd -c "INSERT INTO public.load_marks (mark, run_id) SELECT 'load', coalesce(max(run_id), 0) FROM dataops.runs"
log "pgbench: $CLIENTS clients, $JOBS threads, ${SECONDS_}s"
pgbench_rc=0
"$PGBENCH" -n -c "$CLIENTS" -j "$JOBS" -T "$SECONDS_" "${RATE_OPT[@]}" \
    -f "$TMP/start_run.sql" "$DB" >"$TMP/pgbench.out" 2>&1 || pgbench_rc=$?
qd -c "INSERT INTO public.load_marks (mark) VALUES ('pgbench_done')"
sed 's/^/  | /' "$TMP/pgbench.out"

log "waiting for the queue to drain (at most ${DRAIN_TIMEOUT}s)"
drained=1
drain "$DRAIN_TIMEOUT" || drained=0
qd -c "INSERT INTO public.load_marks (mark) VALUES ('drained')"

# ---------------------------------------------------------------- checks

failures=()
check() { # <name> <value> <expected>: records a failure unless value = expected
    if [ "$2" = "$3" ]; then
        printf 'loadtest:   ok    %-58s %s\n' "$1" "$2"
    else
        printf 'loadtest:   FAIL  %-58s %s (expected %s)\n' "$1" "$2" "$3"
        failures+=("$1")
    fi
}
# Lists up to 10 rows of a query that shows what went wrong.
show() { qd -F ' | ' -c "$1 LIMIT 10" | sed 's/^/loadtest:         /'; }

# The runs of this test: those of the load pipelines queued after the mark.
qd <<'EOF'
CREATE VIEW public.load_runs AS
    SELECT r.* FROM dataops.runs r
     WHERE r.run_id > (SELECT run_id FROM public.load_marks WHERE mark = 'load')
       AND r.pipeline LIKE 'load\_%';
EOF

echo
log "checks"
check "first runs, all pipelines at once, not succeeded" "$first_failed" 0
failed_tx=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$TMP/pgbench.out")
processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$TMP/pgbench.out")
tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$TMP/pgbench.out")
check "pgbench exit status" "$pgbench_rc" 0
check "pgbench failed transactions" "${failed_tx:-missing}" 0
check "pgbench errors / aborted clients in its output" \
    "$(grep -v '^transaction type:' "$TMP/pgbench.out" | grep -ciE 'error|aborted' || true)" 0
accepted=$(qd -c "SELECT count(*) FROM public.load_accepted")
check "accepted runs recorded = pgbench transactions" "$accepted" "${processed:-missing}"
check "accepted run ids recorded twice" \
    "$(qd -c "SELECT count(*) FROM (SELECT run_id FROM public.load_accepted GROUP BY 1 HAVING count(*) > 1) d")" 0
lost=$(qd -c "SELECT count(*) FROM public.load_accepted a
               WHERE NOT EXISTS (SELECT 1 FROM public.load_runs r WHERE r.run_id = a.run_id)")
check "accepted runs missing from dataops.runs (lost)" "$lost" 0
[ "$lost" = 0 ] || show "SELECT run_id, at FROM public.load_accepted a
                          WHERE NOT EXISTS (SELECT 1 FROM public.load_runs r WHERE r.run_id = a.run_id)"
extra=$(qd -c "SELECT count(*) FROM public.load_runs r
                WHERE NOT EXISTS (SELECT 1 FROM public.load_accepted a WHERE a.run_id = r.run_id)")
check "runs in dataops.runs never accepted (unaccounted)" "$extra" 0
[ "$extra" = 0 ] || show "SELECT run_id, pipeline, status, queued_at FROM public.load_runs r
                           WHERE NOT EXISTS (SELECT 1 FROM public.load_accepted a WHERE a.run_id = r.run_id)"
check "queue drained within ${DRAIN_TIMEOUT}s" "$drained" 1
check "runs not final" \
    "$(qd -c "SELECT count(*) FROM public.load_runs WHERE status IN ('queued', 'running') OR finished_at IS NULL")" 0
succeeded=$(qd -c "SELECT count(*) FROM public.load_runs WHERE status = 'succeeded'")
check "runs succeeded (of $accepted accepted)" "$succeeded" "$accepted"
[ "$succeeded" = "$accepted" ] || {
    show "SELECT status, count(*) FROM public.load_runs GROUP BY 1 ORDER BY 1"
    show "SELECT run_id, pipeline, status, failed_step, error_sqlstate, error_message
            FROM public.load_runs WHERE status <> 'succeeded' ORDER BY run_id"
}

# Executed once: one attempt per step, all succeeded, nothing else.
twice_q="SELECT r.run_id, r.pipeline, count(s.step) AS step_rows,
                count(DISTINCT s.step) AS steps, max(s.attempt) AS max_attempt,
                string_agg(DISTINCT s.status, ',') AS statuses,
                (SELECT count(*) FROM dataops.steps p WHERE p.pipeline = r.pipeline) AS expected
           FROM public.load_runs r LEFT JOIN dataops.step_runs s USING (run_id)
          GROUP BY r.run_id, r.pipeline
         HAVING count(s.step) <> (SELECT count(*) FROM dataops.steps p WHERE p.pipeline = r.pipeline)
             OR count(DISTINCT s.step) <> count(s.step)
             OR max(s.attempt) <> 1
             OR bool_or(s.status <> 'succeeded')
             OR bool_or(s.step NOT IN (SELECT p.name FROM dataops.steps p WHERE p.pipeline = r.pipeline))"
bad=$(qd -c "SELECT count(*) FROM ($twice_q) b")
check "runs without exactly one succeeded attempt 1 per step" "$bad" 0
[ "$bad" = 0 ] || show "$twice_q ORDER BY r.run_id"

# step attempts of the run that were executed (each has one running event)
executed="(SELECT count(*) FROM dataops.step_runs s
             WHERE s.run_id = r.run_id AND s.status NOT IN ('upstream_failed', 'skipped'))"
ev_q="SELECT r.run_id,
             count(*) FILTER (WHERE e.kind = 'run' AND e.status = 'queued') AS queued,
             count(*) FILTER (WHERE e.kind = 'run' AND e.status = 'running') AS running,
             count(*) FILTER (WHERE e.kind = 'run' AND e.status NOT IN ('queued', 'running')) AS final,
             count(*) FILTER (WHERE e.kind = 'step' AND e.status = 'running') AS step_running,
             $executed AS attempts
        FROM public.load_runs r LEFT JOIN dataops.events e USING (run_id)
       GROUP BY r.run_id, r.pipeline
      HAVING count(*) FILTER (WHERE e.kind = 'run' AND e.status = 'queued') <> 1
          OR count(*) FILTER (WHERE e.kind = 'run' AND e.status = 'running') <> 1
          OR count(*) FILTER (WHERE e.kind = 'run' AND e.status NOT IN ('queued', 'running')) <> 1
          OR count(*) FILTER (WHERE e.kind = 'step' AND e.status = 'running') <> $executed"
bad=$(qd -c "SELECT count(*) FROM ($ev_q) b")
check "runs without one queued/running/final event, one per attempt" "$bad" 0
[ "$bad" = 0 ] || show "$ev_q ORDER BY r.run_id"

order_q="SELECT r.run_id, s.step, r.started_at, s.started_at AS step_started,
                s.finished_at AS step_finished, r.finished_at
           FROM public.load_runs r JOIN dataops.step_runs s USING (run_id)
          WHERE s.started_at < r.started_at OR s.finished_at > r.finished_at
             OR s.started_at < r.queued_at
             OR EXISTS (SELECT 1 FROM dataops.step_runs u, dataops.steps d
                         WHERE d.pipeline = r.pipeline AND d.name = s.step
                           AND u.run_id = r.run_id AND u.step = ANY (d.depends_on)
                           AND u.finished_at > s.started_at)"
bad=$(qd -c "SELECT count(*) FROM ($order_q) b")
check "steps outside their run, or before their dependencies" "$bad" 0
[ "$bad" = 0 ] || show "$order_q ORDER BY r.run_id"

overlap_q="SELECT a.pipeline, a.run_id, a.started_at, a.finished_at,
                  b.run_id AS other, b.started_at AS other_started, b.finished_at AS other_finished
             FROM public.load_runs a JOIN public.load_runs b
               ON b.pipeline = a.pipeline AND b.run_id > a.run_id
              AND b.started_at < a.finished_at AND a.started_at < b.finished_at"
bad=$(qd -c "SELECT count(*) FROM ($overlap_q) b")
check "overlapping runs of one pipeline" "$bad" 0
[ "$bad" = 0 ] || show "$overlap_q ORDER BY a.run_id"

fifo_q="SELECT pipeline, run_id, started_at, prev_run_id, prev_started_at
          FROM (SELECT pipeline, run_id, started_at,
                       lag(run_id) OVER w AS prev_run_id, lag(started_at) OVER w AS prev_started_at
                  FROM public.load_runs WINDOW w AS (PARTITION BY pipeline ORDER BY run_id)) x
         WHERE started_at < prev_started_at"
bad=$(qd -c "SELECT count(*) FROM ($fifo_q) b")
check "runs of one pipeline started out of arrival order" "$bad" 0
[ "$bad" = 0 ] || show "$fifo_q ORDER BY run_id"

# Most runs (steps) running at once: +1 at each start, -1 at each finish, a
# finish before a start at the same instant.
peak() {
    qd -c "SELECT coalesce(max(n), 0) FROM (
             SELECT sum(d) OVER (ORDER BY t, d ROWS UNBOUNDED PRECEDING) AS n
               FROM (SELECT started_at AS t, 1 AS d FROM ($1) x
                     UNION ALL SELECT finished_at, -1 FROM ($1) y) e) p"
}
peak_runs=$(peak "SELECT started_at, finished_at FROM public.load_runs")
peak_steps=$(peak "SELECT s.started_at, s.finished_at FROM dataops.step_runs s
                    WHERE s.run_id IN (SELECT run_id FROM public.load_runs)")
check_le() { # <name> <value> <limit>
    if [ "$2" -le "$3" ]; then check "$1" "$2" "$2"; else check "$1" "$2" "at most $3"; fi
}
check_le "peak concurrent runs (max_parallel_runs $MAX_RUNS)" "$peak_runs" "$MAX_RUNS"
check_le "peak concurrent steps (max_parallel_steps $MAX_STEPS)" "$peak_steps" "$MAX_STEPS"

check "deadlocks (pg_stat_database)" \
    "$(qd -c "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")" 0

# the server log written during the test
if "${SUDO[@]}" test -f "$SERVER_LOG"; then
    "${SUDO[@]}" tail -c +$((LOG_START + 1)) "$SERVER_LOG" >"$TMP/server.log"
    check "\"deadlock detected\" in the server log" "$(grep -c 'deadlock detected' "$TMP/server.log" || true)" 0
    pattern='(ERROR|FATAL|PANIC): |exited with exit code|terminated by signal|server process .* was terminated|all server processes terminated'
    nbad=$(grep -cE "$pattern" "$TMP/server.log" || true)
    check "ERROR/FATAL/PANIC or crashed workers in the server log" "$nbad" 0
    [ "$nbad" = 0 ] || grep -E -A2 "$pattern" "$TMP/server.log" | head -n 30 | sed 's/^/loadtest:         /'
    nwarn=$(grep -c 'WARNING: ' "$TMP/server.log" || true)
    if [ "$nwarn" != 0 ]; then
        log "  note: $nwarn WARNING lines in the server log, e.g.:"
        grep 'WARNING: ' "$TMP/server.log" | head -n 5 | sed 's/^/loadtest:         /'
    fi
else
    log "  note: no server log at $SERVER_LOG; log checks skipped"
fi

# ---------------------------------------------------------------- figures

echo
log "figures"
qd -F '|' <<'EOF' | while IFS='|' read -r label value; do printf 'loadtest:   %-46s %s\n' "$label" "$value"; done
WITH r AS (SELECT run_id, pipeline, queued_at, started_at, finished_at,
             extract(epoch FROM started_at - queued_at) * 1000 AS wait_ms,
             -- the part of the wait after the previous run of the pipeline had finished
             extract(epoch FROM started_at - greatest(queued_at,
                 lag(finished_at) OVER (PARTITION BY pipeline ORDER BY run_id))) * 1000 AS admit_ms,
             extract(epoch FROM finished_at - started_at) * 1000 AS run_ms
        FROM public.load_runs WHERE finished_at IS NOT NULL),
a AS (SELECT count(*) AS n, min(at) AS first, max(at) AS last FROM public.load_accepted)
SELECT 'start_run calls accepted', n || ' in ' || round(extract(epoch FROM last - first)::numeric, 1) || ' s ('
       || round(n / nullif(extract(epoch FROM last - first), 0)::numeric, 1) || ' per second)'
  FROM a
UNION ALL
SELECT 'runs completed per second', round(count(*) / extract(epoch FROM max(finished_at) - min(queued_at))::numeric, 1)
       || '  (' || count(*) || ' runs, first queued to last finished: '
       || round(extract(epoch FROM max(finished_at) - min(queued_at))::numeric, 1) || ' s)' FROM r
UNION ALL
SELECT 'last run finished after the last start_run',
       round(extract(epoch FROM (SELECT max(finished_at) FROM r) - (SELECT last FROM a))::numeric, 2) || ' s'
UNION ALL
SELECT 'queued -> running  p50 / p95 / max',
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY wait_ms)::numeric, 1) || ' / '
       || round(percentile_cont(0.95) WITHIN GROUP (ORDER BY wait_ms)::numeric, 1) || ' / '
       || round(max(wait_ms)::numeric, 1) || ' ms' FROM r
UNION ALL
SELECT '  of which once the pipeline was free',
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY greatest(admit_ms, 0))::numeric, 1) || ' / '
       || round(percentile_cont(0.95) WITHIN GROUP (ORDER BY greatest(admit_ms, 0))::numeric, 1) || ' / '
       || round(max(admit_ms)::numeric, 1) || ' ms' FROM r
UNION ALL
SELECT '  runs that waited for their pipeline',
       count(*) FILTER (WHERE admit_ms < wait_ms - 0.001) || ' of ' || count(*) FROM r
UNION ALL
SELECT 'run duration       p50 / p95 / max',
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY run_ms)::numeric, 1) || ' / '
       || round(percentile_cont(0.95) WITHIN GROUP (ORDER BY run_ms)::numeric, 1) || ' / '
       || round(max(run_ms)::numeric, 1) || ' ms' FROM r
UNION ALL
SELECT 'queued -> finished p50 / p95',
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY wait_ms + run_ms)::numeric, 1) || ' / '
       || round(percentile_cont(0.95) WITHIN GROUP (ORDER BY wait_ms + run_ms)::numeric, 1) || ' ms' FROM r;
EOF
printf 'loadtest:   %-46s %s\n' "start_run calls per second (pgbench tps)" \
    "${tps:-?}  (rate limit: $([ "$RATE" = 0 ] && echo none || echo "$RATE/s"), $CLIENTS clients, ${SECONDS_} s)"
lag=$(sed -n 's/^rate limit schedule lag: //p' "$TMP/pgbench.out")
[ -z "$lag" ] || printf 'loadtest:   %-46s %s\n' "pgbench schedule lag" "$lag"
lat=$(sed -n 's/^latency average = //p' "$TMP/pgbench.out")
[ -z "$lat" ] || printf 'loadtest:   %-46s %s\n' "start_run latency (pgbench average)" "$lat"

echo
if [ "$KEEP" = 1 ]; then
    log "cluster left running: $("$PG" env "$NAME" "$PORT"); database $DB"
fi
if [ ${#failures[@]} -gt 0 ]; then
    log "FAILED (${#failures[@]} checks): $(IFS=';'; echo "${failures[*]}")"
    log "server log: $SERVER_LOG"
    exit 1
fi
log "OK"
