# Helpers for the crash scripts (sourced; they define val and fail).

# Prints the pid of a running "dataops step" worker, waiting up to 10 s;
# prints nothing if none starts.
step_worker_pid() {
    local pid
    for _ in $(seq 1 100); do
        pid=$(val "SELECT pid FROM pg_stat_activity WHERE backend_type = 'dataops step'")
        [ -n "$pid" ] && { echo "$pid"; return; }
        sleep 0.1
    done
}

# Kills a server process with SIGKILL (the postmaster then restarts every
# process) and waits up to 20 s until the server accepts connections again.
sigkill_and_wait() {
    kill -9 "$1"
    for _ in $(seq 1 100); do
        val "SELECT 1" >/dev/null 2>&1 && return
        sleep 0.2
    done
    fail "the server did not come back after SIGKILL of process $1"
}
