#!/usr/bin/env bash
# dataops.run() belongs to its caller (0.5.0): when the caller's backend is
# canceled (pg_cancel_backend) or ends (pg_terminate_backend, which no
# PG_CATCH sees), the run it started is canceled, including a run whose step
# ignores the cancel (it catches query_canceled: its worker is terminated
# after dataops.cancel_grace_period).  A start_run() run survives its
# caller's termination.  pg_regress cannot end a session and go on, hence
# this script.
set -euo pipefail
: "${DATAOPS_BASE:?run through test/pg.sh}"
DB=dataops_caller_gone
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
val() { psql -d "$DB" -At -c "$1"; }
fail() { echo "run_caller_gone.sh: FAIL: $*" >&2; exit 1; }

psql -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
psql -d "$DB" >/dev/null <<'SQL'
CREATE EXTENSION dataops;
CREATE FUNCTION public.stubborn() RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
    LOOP
        BEGIN
            PERFORM pg_sleep(0.05);
        EXCEPTION WHEN query_canceled THEN
            NULL;
        END;
    END LOOP;
END $$;
SELECT dataops.create_pipeline('slow');
SELECT dataops.add_step('slow', 's', 'silver', 'slow', query => 'SELECT 1 AS x FROM pg_sleep(30)');
SELECT dataops.create_pipeline('stubborn');
SELECT dataops.add_step('stubborn', 's', 'silver', 'stubborn', query => 'SELECT public.stubborn() AS x');
SQL

# Starts `SELECT <call>` in a background session named <app>, waits until
# the newest run of <pipeline> has a running step, and prints that run's id.
start_caller() { # <app> <pipeline> <call>
    local app=$1 pipeline=$2 call=$3 before id
    before=$(val "SELECT coalesce(max(run_id), 0) FROM dataops.runs")
    (PGAPPNAME=$app command psql -X -q -d "$DB" -c "SELECT $call" || true) >/dev/null 2>&1 &
    for _ in $(seq 1 100); do
        id=$(val "SELECT r.run_id FROM dataops.runs r JOIN dataops.step_runs s USING (run_id)
                  WHERE r.pipeline = '$pipeline' AND r.run_id > $before AND s.status = 'running'
                  ORDER BY r.run_id DESC LIMIT 1")
        [ -n "$id" ] && { sleep 0.3; echo "$id"; return; }
        sleep 0.1
    done
    fail "the run of $pipeline started by $app never ran"
}

# Signals the session named <app> with pg_<signal>_backend.
signal_caller() { # <app> cancel|terminate
    [ "$(val "SELECT count(pg_$2_backend(pid)) FROM pg_stat_activity WHERE application_name = '$1'")" = 1 ] \
        || fail "no session named $1 to $2"
}

# Waits up to <seconds> for run <id> to be final and checks its status.
expect_status() { # <id> <status> <seconds> <what>
    local got
    got=$(val "SELECT dataops.wait($1, '$3 seconds')")
    [ "$got" = "$2" ] || fail "$4: run $1 is '$got', expected '$2' within $3 s"
}

# pg_terminate_backend of run()'s caller: the run is canceled
id=$(start_caller term_slow slow "dataops.run('slow')")
signal_caller term_slow terminate
expect_status "$id" canceled 10 "run() whose caller was terminated"

# pg_cancel_backend of run()'s caller: the run is canceled
id=$(start_caller cancel_slow slow "dataops.run('slow')")
signal_caller cancel_slow cancel
expect_status "$id" canceled 10 "run() whose caller was canceled"

# the caller is terminated and the step ignores the cancel: its worker is
# terminated after the grace period, the run is canceled
id=$(start_caller term_stubborn stubborn "dataops.run('stubborn')")
signal_caller term_stubborn terminate
expect_status "$id" canceled 10 "run() of a stubborn step whose caller was terminated"
[ "$(val "SELECT status FROM dataops.step_runs WHERE run_id = $id")" = canceled ] \
    || fail "the stubborn step was not recorded canceled"
[ "$(val "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dataops step'")" = 0 ] \
    || fail "a step worker is still running"

# a start_run() run is independent of its caller: terminating the caller
# (here, while it waits on the run) does not cancel the run
id=$(start_caller term_async slow "dataops.wait(dataops.start_run('slow'))")
signal_caller term_async terminate
sleep 1
[ "$(val "SELECT status FROM dataops.runs WHERE run_id = $id")" = running ] \
    || fail "a start_run() run was stopped with its caller"
val "SELECT dataops.cancel($id)" >/dev/null
expect_status "$id" canceled 10 "cancel of the start_run() run"

psql -d postgres -c "DROP DATABASE $DB WITH (FORCE)"
echo "run_caller_gone.sh: ok (run() canceled with its canceled or terminated caller, stubborn step included; start_run() independent)"
