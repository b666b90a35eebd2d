#!/usr/bin/env bash
# Build / throwaway-cluster / test driver for the dataops extension.
#
#   test/pg.sh deps                 install missing Debian packages
#   test/pg.sh build                make && make install (with_llvm=no)
#   test/pg.sh start <name> <port>  fresh cluster in /tmp/dataops-<name>
#   test/pg.sh stop <name>          stop it (no error if not running)
#   test/pg.sh restart <name>       pg_ctl -m fast restart
#   test/pg.sh env <name> <port>    print "export PGHOST=... PGPORT=... PGUSER=..."
#   test/pg.sh test                 everything behind `make test`
#   test/pg.sh demo | demo-stop     demo cluster on port 55433
#   test/pg.sh bench                benchmark cluster on port 55434 (fsync on),
#                                   then test/bench/citus.sh (Citus cluster)
#   test/pg.sh bench-peers          dataops against Dataform (test/bench/peers.sh)
#                                   on a cluster on port 55435 (fsync on, SSL)
#
# Environment:
#   PG               PostgreSQL major version (default: the one this Debian
#                    release ships, 15 on Debian 12).  Another version (17,
#                    18) runs test/demo/bench inside a cached Debian root
#                    (test/root.sh), where it is the native one.
#   PG_CONFIG        pg_config to use (default: that of $PG)
#   DATAOPS_PRELOAD  shared_preload_libraries (default: pg_cron,dataops)
#   DATAOPS_CRON_DB  cron.database_name (default: postgres)
#   DATAOPS_FSYNC    "on" to keep fsync on (default: off)
#   DATAOPS_KEEP     "1" to leave the test cluster running after `test`
#   DATAOPS_TEST_NAME, DATAOPS_TEST_PORT  the test cluster's name and port
#                    (default: test, 55432), to run several side by side
#   DATAOPS_BENCH_NAME, DATAOPS_BENCH_PORT  the same for `bench` (default:
#                    bench, 55434)
#   DATAOPS_PEERS_NAME, DATAOPS_PEERS_PORT  the same for `bench-peers`
#                    (default: peers, 55435)
set -euo pipefail

# The major version this Debian release ships (Debian 12: 15, 13: 17, sid: 18).
native_major() {
    local codename=
    [ -r /etc/os-release ] && codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    case "$codename" in
        bookworm) echo 15 ;;
        trixie)   echo 17 ;;
        *)        ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1 ;;
    esac
}
NATIVE_PG=$(native_major)
PG=${PG:-${NATIVE_PG:-15}}
[[ $PG =~ ^[0-9]+$ ]] || { echo "pg.sh: PG must be a major version number, not '$PG'" >&2; exit 2; }
if [ -z "${PG_CONFIG:-}" ]; then
    if [ -x "/usr/lib/postgresql/$PG/bin/pg_config" ] || [ "$PG" = "$NATIVE_PG" ]; then
        PG_CONFIG=/usr/lib/postgresql/$PG/bin/pg_config
    else
        PG_CONFIG=pg_config
    fi
fi
SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
TESTDIR=$(dirname "$SELF")
REPO=$(dirname "$TESTDIR")

PKGS=("postgresql-$PG" "postgresql-server-dev-$PG" "postgresql-$PG-cron" "postgresql-$PG-pgtap"
      libpcre2-dev libtap-parser-sourcehandler-pgtap-perl make gcc python3-psycopg2
      libcurl4-openssl-dev curl prometheus prometheus-postgres-exporter python3-jsonschema
      libyaml-dev python3-yaml)

TEST_NAME=${DATAOPS_TEST_NAME:-test}   TEST_PORT=${DATAOPS_TEST_PORT:-55432}
DEMO_NAME=demo   DEMO_PORT=55433
BENCH_NAME=${DATAOPS_BENCH_NAME:-bench} BENCH_PORT=${DATAOPS_BENCH_PORT:-55434}
PEERS_NAME=${DATAOPS_PEERS_NAME:-peers} PEERS_PORT=${DATAOPS_PEERS_PORT:-55435}

if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo); fi

log() { echo "pg.sh: $*" >&2; }
die() { log "$*"; exit 1; }

bindir() {
    local d
    d=$("$PG_CONFIG" --bindir 2>/dev/null) || die "cannot run '$PG_CONFIG --bindir' (run 'test/pg.sh deps'?)"
    echo "$d"
}

# Run a command as the postgres OS user, from a directory it can access.
as_pg() { (cd / && "${SUDO[@]}" runuser -u postgres -- "$@"); }

check_name() {
    [[ ${1:-} =~ ^[A-Za-z0-9_-]+$ ]] || die "bad cluster name '${1:-}' (use [A-Za-z0-9_-])"
}
check_port() {
    [[ ${1:-} =~ ^[0-9]+$ ]] || die "bad port '${1:-}'"
}
base_of() { echo "/tmp/dataops-$1"; }

is_running() { # <base>
    "${SUDO[@]}" test -f "$1/data/PG_VERSION" || return 1
    as_pg "$(bindir)/pg_ctl" -D "$1/data" status >/dev/null 2>&1
}

log_tail() { # <base>
    local f="$1/log/postgresql.log"
    if "${SUDO[@]}" test -f "$f"; then
        echo "---- last lines of $f ----" >&2
        "${SUDO[@]}" tail -n 40 "$f" >&2 || true
        echo "----" >&2
    fi
}

# Export libpq / test env for cluster <name> <port>.
export_env() {
    local base
    base=$(base_of "$1")
    export PGHOST="$base/sock" PGPORT="$2" PGUSER=postgres
    unset PGDATABASE PGSERVICE PGHOSTADDR
    export DATAOPS_BASE="$base" DATAOPS_NAME="$1" DATAOPS_PORT="$2"
    export DATAOPS_TEST_DATA="$base/files" DATAOPS_PG="$SELF"
}

# ---------------------------------------------------------------- commands

cmd_deps() {
    local missing=() p st
    for p in "${PKGS[@]}"; do
        st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
        [ "$st" = "install ok installed" ] || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing: ${missing[*]}"
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

cmd_build() {
    make -C "$REPO" PG_CONFIG="$PG_CONFIG" with_llvm=no
    "${SUDO[@]}" make -C "$REPO" PG_CONFIG="$PG_CONFIG" with_llvm=no install
}

cmd_start() { # <name> <port>
    local name=${1:-} port=${2:-}
    check_name "$name"; check_port "$port"
    local base bin
    base=$(base_of "$name")
    bin=$(bindir)

    if is_running "$base"; then
        as_pg "$bin/pg_ctl" -D "$base/data" -m fast -w stop >/dev/null 2>&1 \
            || die "could not stop the cluster already running in $base"
    fi
    "${SUDO[@]}" rm -rf "$base"

    "${SUDO[@]}" mkdir -p "$base/data" "$base/sock" "$base/log"
    "${SUDO[@]}" cp -R "$TESTDIR/data" "$base/files"
    "${SUDO[@]}" chown -R postgres:postgres "$base"
    "${SUDO[@]}" chmod 0755 "$base" "$base/sock" "$base/log"
    "${SUDO[@]}" chmod 0700 "$base/data"
    "${SUDO[@]}" chmod -R u+rwX,go+rX "$base/files"

    local fsync=off nosync=(--no-sync)
    if [ "${DATAOPS_FSYNC:-off}" = on ]; then fsync=on; nosync=(); fi

    local out
    if ! out=$(as_pg "$bin/initdb" -D "$base/data" -U postgres --auth=trust \
            --encoding=UTF8 --locale=C "${nosync[@]}" 2>&1); then
        echo "$out" >&2
        die "initdb failed for $base/data"
    fi

    as_pg tee -a "$base/data/postgresql.conf" >/dev/null <<EOF

# ---- added by test/pg.sh ----
port = $port
unix_socket_directories = '$base/sock'
listen_addresses = ''
shared_preload_libraries = '${DATAOPS_PRELOAD:-pg_cron,dataops}'
cron.database_name = '${DATAOPS_CRON_DB:-postgres}'
cron.use_background_workers = on
max_worker_processes = 32
fsync = $fsync
log_min_messages = warning
restart_after_crash = on
EOF

    if ! as_pg "$bin/pg_ctl" -D "$base/data" -w -t 60 \
            -l "$base/log/postgresql.log" start >/dev/null 2>&1; then
        log "server '$name' failed to start (port $port)"
        log_tail "$base"
        exit 1
    fi
}

cmd_stop() { # <name>
    local name=${1:-}
    check_name "$name"
    local base
    base=$(base_of "$name")
    if is_running "$base"; then
        as_pg "$(bindir)/pg_ctl" -D "$base/data" -m fast -w stop >/dev/null
    fi
}

cmd_restart() { # <name>
    local name=${1:-}
    check_name "$name"
    local base
    base=$(base_of "$name")
    "${SUDO[@]}" test -f "$base/data/PG_VERSION" || die "no cluster in $base"
    if ! as_pg "$(bindir)/pg_ctl" -D "$base/data" -m fast -w -t 60 \
            -l "$base/log/postgresql.log" restart >/dev/null 2>&1; then
        log "server '$name' failed to restart"
        log_tail "$base"
        exit 1
    fi
}

cmd_env() { # <name> <port>
    check_name "${1:-}"; check_port "${2:-}"
    echo "export PGHOST=$(base_of "$1")/sock PGPORT=$2 PGUSER=postgres"
}

cmd_test() {
    cmd_deps
    cmd_build
    DATAOPS_CRON_DB=contrib_regression cmd_start "$TEST_NAME" "$TEST_PORT"
    if [ "${DATAOPS_KEEP:-0}" != 1 ]; then
        trap 'cmd_stop "$TEST_NAME" || true' EXIT
    fi
    export_env "$TEST_NAME" "$TEST_PORT"

    local failed=() passed=() skipped=()

    # 1. pg_regress, in contrib_regression, which pg_cron's launcher keeps
    # connected (cron.database_name), so it is created here and reused
    # (--use-existing); sql/setup.sql resets it.
    "$(bindir)/psql" -X -q -d postgres -c 'CREATE DATABASE contrib_regression' 2>/dev/null || true
    if make -C "$REPO" PG_CONFIG="$PG_CONFIG" with_llvm=no installcheck; then
        passed+=(regress)
    else
        [ -f "$REPO/regression.diffs" ] && cat "$REPO/regression.diffs"
        failed+=(regress)
    fi

    # 2. pgTAP
    local tap=()
    shopt -s nullglob
    tap=("$TESTDIR"/pgtap/*.sql)
    shopt -u nullglob
    if [ ${#tap[@]} -gt 0 ]; then
        if psql -X -q -v ON_ERROR_STOP=1 -d postgres -c 'CREATE DATABASE dataops_tap' \
           && psql -X -q -v ON_ERROR_STOP=1 -d dataops_tap \
                -c 'CREATE EXTENSION pgtap' -c 'CREATE EXTENSION dataops' \
           && (cd "$REPO" && pg_prove -d dataops_tap "${tap[@]#"$REPO"/}"); then
            passed+=(pgtap)
        else
            failed+=(pgtap)
        fi
    else
        skipped+=(pgtap)
    fi

    # 3. scripts
    local s n=0
    for s in "$TESTDIR"/scripts/*.sh; do
        [ -f "$s" ] || continue
        if [ ! -x "$s" ]; then
            log "skipping non-executable ${s#"$REPO"/}"
            continue
        fi
        n=$((n + 1))
        echo "==== ${s#"$REPO"/}"
        if (cd "$REPO" && "$s"); then
            passed+=("scripts/$(basename "$s")")
        else
            log "FAILED: ${s#"$REPO"/}"
            failed+=("scripts/$(basename "$s")")
        fi
    done
    [ $n -eq 0 ] && skipped+=(scripts)

    # 4. fuzz: random definition calls and CSV files for DATAOPS_FUZZ_SECONDS
    # (default 60; 0 skips), seed DATAOPS_FUZZ_SEED (test/fuzz/fuzz.py)
    if [ "${DATAOPS_FUZZ_SECONDS:-60}" != 0 ]; then
        echo "==== test/fuzz/fuzz.py"
        if /usr/bin/python3 "$TESTDIR/fuzz/fuzz.py"; then passed+=(fuzz); else failed+=(fuzz); fi
    else
        skipped+=(fuzz)
    fi

    if [ "${DATAOPS_KEEP:-0}" = 1 ]; then
        log "leaving cluster running: $(cmd_env "$TEST_NAME" "$TEST_PORT")"
    else
        cmd_stop "$TEST_NAME"
        trap - EXIT
    fi

    local summary="passed: ${passed[*]:-none}; failed: ${failed[*]:-none}"
    [ ${#skipped[@]} -gt 0 ] && summary+="; skipped (none found): ${skipped[*]}"
    if [ ${#failed[@]} -gt 0 ]; then
        echo "dataops tests FAILED -- $summary"
        exit 1
    fi
    echo "dataops tests OK -- $summary"
}

cmd_demo() {
    local sql="$TESTDIR/demo.sql"
    [ -f "$sql" ] || die "test/demo.sql does not exist (yet); nothing to demo"
    cmd_deps
    cmd_build
    cmd_start "$DEMO_NAME" "$DEMO_PORT"
    export_env "$DEMO_NAME" "$DEMO_PORT"
    local base
    base=$(base_of "$DEMO_NAME")
    if ! (cd "$REPO" && psql -X -v ON_ERROR_STOP=1 -d postgres \
            -v datadir="$base/files" -f "$sql"); then
        log "test/demo.sql failed; the demo cluster is still running (make demo-stop)"
        exit 1
    fi
    cat <<EOF

Demo cluster is running. Connect with:
    psql -h $base/sock -p $DEMO_PORT -U postgres postgres
Stop it with:
    make demo-stop
EOF
}

cmd_demo_stop() { cmd_stop "$DEMO_NAME"; }

cmd_bench() {
    local script="$TESTDIR/bench.sh"
    [ -f "$script" ] || die "test/bench.sh does not exist (yet); nothing to benchmark"
    cmd_deps
    cmd_build
    # BENCH_ONLY may also name "citus": test/bench/citus.sh (the people
    # pipeline on a Citus coordinator + 2 workers), run last, after the
    # bench cluster is stopped; it skips itself without Citus.
    local only=${BENCH_ONLY:-} sections="" citus=yes w
    for w in $only; do
        if [ "$w" = citus ]; then continue; fi
        sections+="${sections:+ }$w"
    done
    [ -z "$only" ] || [[ " $only " == *" citus "* ]] || citus=no
    local rc=0
    if [ -z "$only" ] || [ -n "$sections" ]; then
        DATAOPS_FSYNC=on cmd_start "$BENCH_NAME" "$BENCH_PORT"
        trap 'cmd_stop "$BENCH_NAME" || true' EXIT
        export_env "$BENCH_NAME" "$BENCH_PORT"
        if [ -x "$script" ]; then
            (cd "$REPO" && BENCH_ONLY=$sections "$script") || rc=$?
        else
            (cd "$REPO" && BENCH_ONLY=$sections bash "$script") || rc=$?
        fi
        cmd_stop "$BENCH_NAME"
        trap - EXIT
    fi
    [ $rc -eq 0 ] || die "test/bench.sh failed (exit $rc)"
    if [ "$citus" = yes ]; then
        (cd "$REPO" && PG_CONFIG="$PG_CONFIG" "$TESTDIR/bench/citus.sh") \
            || die "test/bench/citus.sh failed"
    fi
}

# The benchmark against other tools (test/bench/peers.sh).  Dataform's
# PostgreSQL adapter connects over TCP with SSL and a password only, so this
# cluster also listens on 127.0.0.1 with ssl = on (a self-signed certificate
# made in its data directory) and a first pg_hba line `hostssl ... 127.0.0.1/32
# scram-sha-256`, ahead of initdb's trust lines; peers.sh creates the role
# that logs in that way and sets its password.
cmd_bench_peers() {
    local script="$TESTDIR/bench/peers.sh"
    [ -f "$script" ] || die "test/bench/peers.sh does not exist; nothing to benchmark"
    cmd_deps
    if ! command -v openssl >/dev/null; then
        "${SUDO[@]}" apt-get update -qq
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null
    fi
    cmd_build
    DATAOPS_FSYNC=on cmd_start "$PEERS_NAME" "$PEERS_PORT"
    trap 'cmd_stop "$PEERS_NAME" || true' EXIT
    local base
    base=$(base_of "$PEERS_NAME")
    as_pg openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
        -keyout "$base/data/server.key" -out "$base/data/server.crt" >/dev/null 2>&1 \
        || die "openssl could not make the server certificate in $base/data"
    as_pg chmod 0600 "$base/data/server.key"
    as_pg tee -a "$base/data/postgresql.conf" >/dev/null <<EOF
# ---- added by test/pg.sh bench-peers ----
listen_addresses = '127.0.0.1'
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
password_encryption = 'scram-sha-256'
EOF
    as_pg sed -i '1i hostssl all all 127.0.0.1/32 scram-sha-256' "$base/data/pg_hba.conf"
    cmd_restart "$PEERS_NAME"
    export_env "$PEERS_NAME" "$PEERS_PORT"
    local rc=0
    (cd "$REPO" && bash "$script") || rc=$?
    cmd_stop "$PEERS_NAME"
    trap - EXIT
    [ $rc -eq 0 ] || die "test/bench/peers.sh failed (exit $rc)"
}

usage() {
    sed -n '2,22p' "$SELF" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

cmd=${1:-}
[ $# -gt 0 ] && shift

# A major version this Debian release does not ship runs in a Debian root
# that ships it (test/root.sh runs this script there, where it is native).
if [ "$PG" != "$NATIVE_PG" ] && [ "${DATAOPS_IN_ROOT:-0}" != 1 ]; then
    case "$cmd" in
        test|bench) exec "$TESTDIR/root.sh" "$PG" "$cmd" ;;
        demo) die "make demo runs on this machine's PostgreSQL $NATIVE_PG only" ;;
        bench-peers) die "make bench-peers runs on this machine's PostgreSQL $NATIVE_PG only" ;;
    esac
fi
case "$cmd" in
    deps)      cmd_deps ;;
    build)     cmd_build ;;
    start)     [ $# -eq 2 ] || usage; cmd_start "$1" "$2" ;;
    stop)      [ $# -eq 1 ] || usage; cmd_stop "$1" ;;
    restart)   [ $# -eq 1 ] || usage; cmd_restart "$1" ;;
    env)       [ $# -eq 2 ] || usage; cmd_env "$1" "$2" ;;
    test)      cmd_test ;;
    demo)      cmd_demo ;;
    demo-stop) cmd_demo_stop ;;
    bench)     cmd_bench ;;
    bench-peers) cmd_bench_peers ;;
    *)         usage ;;
esac
