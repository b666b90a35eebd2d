#!/usr/bin/env bash
# make valgrind: the regression suite (the installcheck REGRESS list and the
# isolation spec) against a server running under valgrind memcheck.
#
# A throwaway cluster /tmp/dataops-<name>-vg is created as `make test` does
# (test/pg.sh start), stopped, and started again with postgres run by
# valgrind (pg_ctl -p <wrapper>); every process of the server (postmaster,
# backends, dataops' launcher, schedulers and workers, pg_cron) writes its
# own log, <cluster>/valgrind/<pid>.log.  At the end every error is read
# from those logs and the ones with a frame in dataops (dataops.so or a
# source file of src/) are printed with their stacks; the exit status is 1
# if there is any, so 0 is the goal.  Errors with no dataops frame are
# counted and listed by kind and top frame, for information.
#
# It takes many minutes (memcheck slows the server 20 to 50 times) and is
# not part of `make test`.
#
# Environment: PG_CONFIG, DATAOPS_TEST_NAME and DATAOPS_TEST_PORT as for
# `make test` (the cluster is named <name>-vg and listens on
# DATAOPS_VALGRIND_PORT, default DATAOPS_TEST_PORT + 100);
# DATAOPS_VALGRIND_EXITCODE (default 128: a process with an unsuppressed
# error exits with it, so the postmaster treats it as crashed, as
# PostgreSQL's buildfarm animal skink does; 0 turns that off);
# DATAOPS_VALGRIND_TRACK_ORIGINS (default yes); DATAOPS_VALGRIND_REGRESS
# (a shorter list of tests, e.g. "setup api", without the isolation spec);
# DATAOPS_VALGRIND_FUZZ_SECONDS (also run the fuzz target, test/fuzz, that
# long against the server under valgrind; default 0).  The cluster is
# stopped at the end; its logs stay in place until the next run.
set -euo pipefail

PG_CONFIG=${PG_CONFIG:-pg_config}
export PG_CONFIG
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PGSH="$REPO/test/pg.sh"
TEST_NAME=${DATAOPS_TEST_NAME:-test}
TEST_PORT=${DATAOPS_TEST_PORT:-55432}
NAME="$TEST_NAME-vg"
PORT=${DATAOPS_VALGRIND_PORT:-$((TEST_PORT + 100))}
BASE="/tmp/dataops-$NAME"
VGDIR="$BASE/valgrind"
SUPP="$HERE/postgres.supp"
EXITCODE=${DATAOPS_VALGRIND_EXITCODE:-128}

log() { echo "valgrind.sh: $*" >&2; }
die() { log "$*"; exit 1; }
if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo); fi
as_pg() { (cd / && "${SUDO[@]}" runuser -u postgres -- "$@"); }

if ! command -v valgrind >/dev/null 2>&1; then
    log "installing valgrind"
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends valgrind >/dev/null
fi

"$PGSH" deps
"$PGSH" build
BINDIR=$("$PG_CONFIG" --bindir)

# 1. a fresh cluster configured as make test's, with contrib_regression
# (pg_cron's database) created; then stopped
DATAOPS_CRON_DB=contrib_regression "$PGSH" start "$NAME" "$PORT"
eval "$("$PGSH" env "$NAME" "$PORT")"
export DATAOPS_BASE="$BASE" DATAOPS_NAME="$NAME" DATAOPS_PORT="$PORT" DATAOPS_TEST_DATA="$BASE/files" DATAOPS_PG="$PGSH"
unset PGDATABASE PGSERVICE PGHOSTADDR
"$BINDIR/psql" -X -q -d postgres -c 'CREATE DATABASE contrib_regression'
"$PGSH" stop "$NAME"

# fewer connection slots (each backend under valgrind takes far more memory),
# and no LLVM JIT
as_pg tee -a "$BASE/data/postgresql.conf" >/dev/null <<EOF
# ---- added by test/valgrind/run.sh ----
max_connections = 40
log_min_messages = warning
# no LLVM-compiled expressions: their code, like PCRE2's JIT code, has no
# symbols, and postgres.supp treats such frames as PCRE2's
jit = off
EOF

# 2. the server under valgrind
"${SUDO[@]}" mkdir -p "$VGDIR"
"${SUDO[@]}" chown postgres:postgres "$VGDIR"
WRAPPER="$BASE/valgrind-postgres"
"${SUDO[@]}" tee "$WRAPPER" >/dev/null <<EOF
#!/bin/sh
exec valgrind --tool=memcheck --trace-children=yes --error-exitcode=$EXITCODE \\
    --track-origins=${DATAOPS_VALGRIND_TRACK_ORIGINS:-yes} --read-var-info=no --num-callers=40 \\
    --leak-check=no --error-limit=no --gen-suppressions=all --fullpath-after= --smc-check=all-non-file \\
    --error-markers=VALGRINDERROR-BEGIN,VALGRINDERROR-END \\
    --suppressions="$SUPP" --log-file="$VGDIR/%p.log" \\
    "$BINDIR/postgres" "\$@"
EOF
"${SUDO[@]}" chmod 0755 "$WRAPPER"
# the suppressions file must be readable by postgres
as_pg test -r "$SUPP" || die "the server's OS user postgres cannot read $SUPP"

log "starting the server under valgrind (logs in $VGDIR)"
started=$(date +%s)
if ! as_pg "$BINDIR/pg_ctl" -D "$BASE/data" -p "$WRAPPER" -w -t 900 \
        -l "$BASE/log/postgresql.log" start >/dev/null 2>&1; then
    log "the server did not start under valgrind"
    "${SUDO[@]}" tail -n 40 "$BASE/log/postgresql.log" >&2 || true
    exit 1
fi
trap 'as_pg "$BINDIR/pg_ctl" -D "$BASE/data" -m immediate -w -t 300 stop >/dev/null 2>&1 || true' EXIT

# 3. the regression suite, then the isolation spec (run even when the
# suite fails, which make installcheck would not)
# (DATAOPS_VALGRIND_REGRESS="setup api" runs only those tests, and no isolation spec)
regress_list=()
if [ -n "${DATAOPS_VALGRIND_REGRESS:-}" ]; then
    regress_list=(REGRESS="$DATAOPS_VALGRIND_REGRESS")
fi
regress=passed
if ! make -C "$REPO" PG_CONFIG="$PG_CONFIG" with_llvm=no installcheck "${regress_list[@]}" ISOLATION=; then
    regress=failed
    [ -f "$REPO/regression.diffs" ] && cp "$REPO/regression.diffs" "$VGDIR/regression.diffs"
fi
if [ -z "${DATAOPS_VALGRIND_REGRESS:-}" ]; then
    if make -C "$REPO" PG_CONFIG="$PG_CONFIG" with_llvm=no installcheck REGRESS=; then
        regress+=", isolation passed"
    else
        regress+=", isolation failed"
        [ -f "$REPO/output_iso/regression.diffs" ] && cp "$REPO/output_iso/regression.diffs" "$VGDIR/isolation.diffs"
    fi
fi

# optionally the fuzz target too, for DATAOPS_VALGRIND_FUZZ_SECONDS (default 0)
if [ "${DATAOPS_VALGRIND_FUZZ_SECONDS:-0}" != 0 ]; then
    if DATAOPS_FUZZ_SECONDS=$DATAOPS_VALGRIND_FUZZ_SECONDS /usr/bin/python3 "$REPO/test/fuzz/fuzz.py"; then
        regress+=", fuzz passed"
    else
        regress+=", fuzz failed"
    fi
fi

# 4. stop (fast: processes exit normally, so valgrind finishes their logs)
as_pg "$BINDIR/pg_ctl" -D "$BASE/data" -m fast -w -t 600 stop >/dev/null 2>&1 || \
    as_pg "$BINDIR/pg_ctl" -D "$BASE/data" -m immediate -w -t 300 stop >/dev/null 2>&1 || true
trap - EXIT
elapsed=$(( $(date +%s) - started ))

crashes=$("${SUDO[@]}" grep -c -E 'terminated by signal|exited with exit code [0-9]{2,}' "$BASE/log/postgresql.log" || true)

# 5. the summary
rc=0
"${SUDO[@]}" /usr/bin/python3 "$HERE/summarize.py" "$VGDIR" "$REPO" || rc=$?
echo "valgrind.sh: regression suite under valgrind: $regress (diffs are expected where tests time work:" \
     "see $VGDIR/regression.diffs); server processes that died: $crashes; $elapsed s"
log "the cluster is stopped; its valgrind logs stay in $VGDIR"
exit $rc
