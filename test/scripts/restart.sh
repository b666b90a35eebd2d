#!/usr/bin/env bash
# Restart the server in the middle of a run (immediate shutdown, as a crash) and
# check the recovered state: the interrupted run is recorded failed, its target
# keeps the content of the last successful run, and new runs work.
set -euo pipefail
: "${DATAOPS_BASE:?run through test/pg.sh}"
BINDIR=$(${PG_CONFIG:-pg_config} --bindir)
DB=dataops_restart
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
val() { psql -d "$DB" -At -c "$1"; }
fail() { echo "restart.sh: FAIL: $*" >&2; exit 1; }
. "$(dirname "${BASH_SOURCE[0]}")/lib/crash.bash"

psql -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
psql -d "$DB" >/dev/null <<'SQL'
CREATE EXTENSION dataops;
CREATE TABLE public.src AS SELECT g AS id FROM generate_series(1, 100) g;
CREATE TABLE public.delay (seconds float8);
INSERT INTO public.delay VALUES (0);
SELECT dataops.create_pipeline('crashy');
SELECT dataops.add_step('crashy', 'slow', 'silver', 'slow',
  query => 'SELECT s.id FROM public.src s, public.delay d, LATERAL pg_sleep(d.seconds + s.id * 0) p');
SELECT dataops.create_pipeline('other');
SELECT dataops.add_step('other', 'quick', 'silver', 'quick', query => 'SELECT 1 AS one');
SQL
psql -d "$DB" -c "SELECT dataops.run('crashy')" >/dev/null
[ "$(val "SELECT count(*) FROM silver.slow")" = 100 ] || fail "first run did not publish 100 rows"

# a second run that sleeps 0.2 s per row, interrupted by a crash
val "UPDATE public.delay SET seconds = 0.2" >/dev/null
(command psql -X -q -d "$DB" -c "SELECT dataops.run('crashy')" >/dev/null 2>&1 || true) &
for _ in $(seq 1 100); do
    [ "$(val "SELECT count(*) FROM dataops.runs WHERE status = 'running'")" = 1 ] && break
    sleep 0.1
done
[ "$(val "SELECT count(*) FROM dataops.runs WHERE status = 'running'")" = 1 ] || fail "the run never started"
sleep 0.5
runuser -u postgres -- "$BINDIR/pg_ctl" -D "$DATAOPS_BASE/data" -m immediate -w stop >/dev/null
runuser -u postgres -- "$BINDIR/pg_ctl" -D "$DATAOPS_BASE/data" -l "$DATAOPS_BASE/log/postgresql.log" -w -t 60 start >/dev/null
wait || true

# the next run in the database records the interrupted one as failed
psql -d "$DB" -c "SELECT dataops.run('other')" >/dev/null
status=$(val "SELECT status || ': ' || error_message FROM dataops.runs WHERE pipeline = 'crashy' ORDER BY run_id DESC LIMIT 1")
[ "$status" = "failed: server restarted while the run was running" ] || fail "interrupted run recorded as '$status'"
[ "$(val "SELECT count(*) FROM dataops.runs WHERE status IN ('queued', 'running')")" = 0 ] || fail "runs left open"
[ "$(val "SELECT count(*) FROM silver.slow")" = 100 ] || fail "target not intact after the crash"
[ "$(val "SELECT status FROM dataops.step_runs WHERE step = 'slow' ORDER BY run_id DESC LIMIT 1")" = crashed ] \
    || fail "interrupted step not recorded crashed"

# and the pipeline runs again
val "UPDATE public.delay SET seconds = 0" >/dev/null
psql -d "$DB" -c "SELECT dataops.run('crashy')" >/dev/null
[ "$(val "SELECT status FROM dataops.runs WHERE pipeline = 'crashy' ORDER BY run_id DESC LIMIT 1")" = succeeded ] \
    || fail "run after restart did not succeed"

# SIGKILL of a step's worker mid-step: the postmaster restarts every
# process.  The killed run is queued again (retry_on_crash) after its
# backoff, a run queued behind it resumes, the target stays intact, and
# the history is consistent.
val "UPDATE public.delay SET seconds = 0.2" >/dev/null
val "SELECT dataops.set_pipeline_option('crashy', 'retry_on_crash', 'true')" >/dev/null
crashed=$(val "SELECT dataops.start_run('crashy')")
pid=$(step_worker_pid)
[ -n "$pid" ] || fail "the step's worker never started"
queued=$(val "SELECT dataops.start_run('other')")
sleep 0.5
sigkill_and_wait "$pid"
val "UPDATE public.delay SET seconds = 0" >/dev/null
[ "$(val "SELECT dataops.wait($queued, '60 seconds')")" = succeeded ] || fail "the queued run did not resume"
[ "$(val "SELECT status || ' ' || crash_count FROM dataops.runs WHERE run_id = $crashed")" = "queued 1" ] \
    || [ "$(val "SELECT status FROM dataops.runs WHERE run_id = $crashed")" = running ] \
    || [ "$(val "SELECT status FROM dataops.runs WHERE run_id = $crashed")" = succeeded ] \
    || fail "the killed run was not queued again: $(val "SELECT status FROM dataops.runs WHERE run_id = $crashed")"
[ "$(val "SELECT status FROM dataops.step_runs WHERE run_id = $crashed AND attempt = 1")" = crashed ] \
    || fail "the killed step was not recorded crashed"
[ "$(val "SELECT dataops.wait($crashed, '60 seconds')")" = succeeded ] || fail "the killed run did not succeed on its retry"
[ "$(val "SELECT count(*) FROM silver.slow")" = 100 ] || fail "target not intact after SIGKILL"
[ "$(val "SELECT count(*) FROM dataops.runs WHERE status IN ('queued', 'running')")" = 0 ] || fail "runs left open after SIGKILL"
[ "$(val "SELECT count(*) FROM dataops.step_runs WHERE status = 'running'")" = 0 ] || fail "step runs left running after SIGKILL"
[ "$(val "SELECT string_agg(status, ',' ORDER BY event_id) FROM dataops.events WHERE run_id = $crashed AND kind = 'run'")" \
  = "queued,running,queued,running,succeeded" ] || fail "events of the killed run: $(val "SELECT string_agg(status, ',' ORDER BY event_id) FROM dataops.events WHERE run_id = $crashed AND kind = 'run'")"

psql -d postgres -c "DROP DATABASE $DB WITH (FORCE)"
echo "restart.sh: ok (interrupted run recorded failed, target intact, runs resume; SIGKILLed step requeued with backoff)"
