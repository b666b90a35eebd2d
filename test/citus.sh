#!/usr/bin/env bash
# `make test-citus`: dataops on a Citus coordinator with two workers.
#
#   1. builds Citus from its source archive into the PostgreSQL of PG_CONFIG,
#      unless citus.so is already installed there (the build is cached, so a
#      second run does not rebuild);
#   2. builds and installs dataops into the same PostgreSQL;
#   3. starts a coordinator and two workers on 127.0.0.1 (ports
#      DATAOPS_CITUS_PORT, +1, +2; data under /tmp/dataops-citus/), with
#      shared_preload_libraries = 'citus,dataops', creates the extensions and
#      adds the workers;
#   4. runs test/citus/*.sql on the coordinator (psql, ON_ERROR_STOP: each
#      script's assertions raise an error when a count is wrong);
#   5. stops the cluster (DATAOPS_KEEP=1 leaves it running) and prints a summary.
#
# Without the archive and without an installed Citus it prints why and exits 0
# ("skipped"), so it can run on machines that do not have the archive.
#
# Environment:
#   PG_CONFIG           pg_config of the PostgreSQL to use (default: pg_config)
#   CITUS_TARBALL       the Citus source archive (default:
#                       ../shared/citus/citus-13.2.2.tar.gz beside the repository)
#   DATAOPS_CITUS_PORT  coordinator port (default 55491); workers +1, +2
#   DATAOPS_CITUS_CACHE where the Citus build is kept (default:
#                       /var/cache/dataops if writable, else $TMPDIR)
#   DATAOPS_CITUS_BASE  where the nodes' data go (default /tmp/dataops-citus)
#   DATAOPS_KEEP        "1" to leave the cluster running
#   DATAOPS_CITUS_TESTS the test/citus/*.sql scripts to run, by name without
#                       .sql, space separated (default: all); "none" runs
#                       none and leaves the cluster running (for
#                       test/bench/citus.sh, which stops it with
#                       `test/citus.sh stop`)
#   DATAOPS_CITUS_FSYNC "on" to start the nodes with fsync on (default off)
#
# `test/citus.sh stop` stops the nodes under DATAOPS_CITUS_BASE.
set -euo pipefail

SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
TESTDIR=$(dirname "$SELF")
REPO=$(dirname "$TESTDIR")
PG_CONFIG=${PG_CONFIG:-pg_config}
CITUS_TARBALL=${CITUS_TARBALL:-$(dirname "$REPO")/shared/citus/citus-13.2.2.tar.gz}
PORT=${DATAOPS_CITUS_PORT:-55491}
BASE=${DATAOPS_CITUS_BASE:-/tmp/dataops-citus}
NODES=(coord worker1 worker2)
BUILD_PKGS=(liblz4-dev libzstd-dev libkrb5-dev autoconf build-essential)

if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo); fi

log() { echo "citus.sh: $*" >&2; }
die() { log "$*"; exit 1; }

[[ $PORT =~ ^[0-9]+$ ]] || die "DATAOPS_CITUS_PORT must be a port number, not '$PORT'"
BIN=$("$PG_CONFIG" --bindir 2>/dev/null) || die "cannot run '$PG_CONFIG --bindir' (set PG_CONFIG)"
PKGLIBDIR=$("$PG_CONFIG" --pkglibdir)
PGMAJOR=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')

# Run a command as the postgres OS user (root cannot run initdb), from a
# directory it can access.
as_pg() {
    if [ "$(id -un)" = postgres ]; then (cd / && "$@")
    else (cd / && "${SUDO[@]}" runuser -u postgres -- "$@"); fi
}

node_port() { echo $((PORT + $1)); }
node_dir() { echo "$BASE/${NODES[$1]}"; }

# ---------------------------------------------------------------- Citus build

install_build_deps() {
    local missing=() p st
    for p in "${BUILD_PKGS[@]}" "postgresql-server-dev-$PGMAJOR"; do
        st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
        [ "$st" = "install ok installed" ] || missing+=("$p")
    done
    # a private PostgreSQL installation ships its own server headers
    if [ -f "$("$PG_CONFIG" --includedir-server)/postgres.h" ]; then
        local keep=() m
        for m in "${missing[@]}"; do
            [ "$m" = "postgresql-server-dev-$PGMAJOR" ] || keep+=("$m")
        done
        missing=("${keep[@]}")
    fi
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing: ${missing[*]}"
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Prints the Citus version of the archive (citus-X.Y.Z.tar.gz).
tarball_version() {
    basename "$1" | sed -nE 's/^citus-([0-9][0-9.]*)\.tar\.gz$/\1/p'
}

CITUS_BUILT=no
build_citus() {
    local version cache src stamp want
    version=$(tarball_version "$CITUS_TARBALL")
    [ -n "$version" ] || die "cannot read the Citus version from the name '$CITUS_TARBALL' (want citus-X.Y.Z.tar.gz)"
    if [ -n "${DATAOPS_CITUS_CACHE:-}" ]; then cache=$DATAOPS_CITUS_CACHE
    elif "${SUDO[@]}" mkdir -p /var/cache/dataops 2>/dev/null && "${SUDO[@]}" test -w /var/cache/dataops; then
        cache=/var/cache/dataops
    else cache=${TMPDIR:-/tmp}; fi
    src="$cache/citus-$version-pg$PGMAJOR"
    stamp="$src/.dataops-built"
    # the build is configured for one pg_config; another one rebuilds it
    want="$(readlink -f "$(command -v "$PG_CONFIG")") $(sha256sum "$CITUS_TARBALL" | cut -c1-16)"
    if "${SUDO[@]}" test -f "$stamp" && [ "$("${SUDO[@]}" cat "$stamp")" = "$want" ]; then
        log "using the cached Citus $version build in $src"
    else
        install_build_deps
        log "building Citus $version in $src (a few minutes)"
        local t0=$SECONDS
        "${SUDO[@]}" rm -rf "$src"
        "${SUDO[@]}" mkdir -p "$src"
        "${SUDO[@]}" tar -xzf "$CITUS_TARBALL" -C "$src"
        # the archive holds the tree itself or one directory with it
        if [ ! -f "$src/configure" ]; then
            local top
            top=$("${SUDO[@]}" find "$src" -mindepth 2 -maxdepth 2 -name configure -printf '%h\n' | head -n 1)
            [ -n "$top" ] || die "no configure script in $CITUS_TARBALL"
            "${SUDO[@]}" sh -c 'mv "$1"/* "$1"/.[!.]* "$2"/ 2>/dev/null; rmdir "$1"' sh "$top" "$src" || true
        fi
        # PostgreSQL 15.20 declares have_createdb_privilege(); Citus 13.2.2
        # defines a static function of that name: rename Citus's copy.
        { "${SUDO[@]}" grep -rlw have_createdb_privilege "$src/src" || true; } \
            | while read -r f; do
                "${SUDO[@]}" sed -i 's/\bhave_createdb_privilege\b/citus_have_createdb_privilege/g' "$f"
            done
        (cd "$src" && "${SUDO[@]}" ./configure --without-libcurl PG_CONFIG="$PG_CONFIG" >"$src.configure.log" 2>&1) \
            || { tail -n 30 "$src.configure.log" >&2; die "Citus configure failed (log: $src.configure.log)"; }
        (cd "$src" && "${SUDO[@]}" make -j"$(nproc)" >"$src.make.log" 2>&1) \
            || { tail -n 40 "$src.make.log" >&2; die "Citus build failed (log: $src.make.log)"; }
        echo "$want" | "${SUDO[@]}" tee "$stamp" >/dev/null
        log "Citus $version built in $((SECONDS - t0)) s"
        CITUS_BUILT=yes
    fi
    (cd "$src" && "${SUDO[@]}" make install >"$src.install.log" 2>&1) \
        || { tail -n 30 "$src.install.log" >&2; die "Citus make install failed (log: $src.install.log)"; }
}

# ---------------------------------------------------------------- cluster

stop_node() { # <index>
    local d
    d=$(node_dir "$1")
    if "${SUDO[@]}" test -f "$d/data/PG_VERSION" \
       && as_pg "$BIN/pg_ctl" -D "$d/data" status >/dev/null 2>&1; then
        as_pg "$BIN/pg_ctl" -D "$d/data" -m fast -w stop >/dev/null
    fi
}
stop_cluster() { local i; for i in 2 1 0; do stop_node "$i" || true; done; }

start_node() { # <index>
    local i=$1 d port out
    d=$(node_dir "$i"); port=$(node_port "$i")
    "${SUDO[@]}" mkdir -p "$d/data" "$d/sock" "$d/log"
    "${SUDO[@]}" chown -R postgres:postgres "$d"
    "${SUDO[@]}" chmod 0755 "$d" "$d/sock" "$d/log"
    "${SUDO[@]}" chmod 0700 "$d/data"
    if ! out=$(as_pg "$BIN/initdb" -D "$d/data" -U postgres --auth=trust \
            --encoding=UTF8 --locale=C --no-sync 2>&1); then
        echo "$out" >&2
        die "initdb failed for $d/data"
    fi
    as_pg tee -a "$d/data/postgresql.conf" >/dev/null <<EOF

# ---- added by test/citus.sh (throwaway cluster) ----
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$d/sock'
shared_preload_libraries = 'citus,dataops'
max_worker_processes = 32
max_connections = 100
fsync = $FSYNC
log_min_messages = warning
EOF
    # initdb --auth=trust already trusts 127.0.0.1/32; say it explicitly
    as_pg sed -i '1i host all all 127.0.0.1/32 trust' "$d/data/pg_hba.conf"
    if ! as_pg "$BIN/pg_ctl" -D "$d/data" -w -t 60 -l "$d/log/postgresql.log" start >/dev/null 2>&1; then
        log "${NODES[$i]} failed to start (port $port); last lines of its log:"
        "${SUDO[@]}" tail -n 30 "$d/log/postgresql.log" >&2 || true
        exit 1
    fi
}

# psql on node <index> as postgres over TCP, database postgres
node_psql() { # <index> psql-args...
    local i=$1; shift
    "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$(node_port "$i")" -U postgres -d postgres "$@"
}

# ---------------------------------------------------------------- main

if [ "${1:-}" = stop ]; then
    stop_cluster
    exit 0
fi
[ $# -eq 0 ] || die "unknown argument '$1' (none, or 'stop')"
TESTS=${DATAOPS_CITUS_TESTS:-}
FSYNC=off
[ "${DATAOPS_CITUS_FSYNC:-off}" = on ] && FSYNC=on
if [ "$TESTS" = none ]; then DATAOPS_KEEP=1; fi

T_START=$SECONDS
if [ ! -f "$PKGLIBDIR/citus.so" ] && [ ! -f "$CITUS_TARBALL" ]; then
    echo "citus.sh: Citus is not installed in $PKGLIBDIR and there is no source archive at"
    echo "          $CITUS_TARBALL (set CITUS_TARBALL=...): skipped"
    exit 0
fi

T_CITUS=$SECONDS
if [ -f "$PKGLIBDIR/citus.so" ]; then
    log "Citus is already installed in $PKGLIBDIR: not building it"
    CITUS_SOURCE="installed"
else
    build_citus
    CITUS_SOURCE="built from $(basename "$CITUS_TARBALL")"
    [ "$CITUS_BUILT" = yes ] || CITUS_SOURCE="installed from the cached build of $(basename "$CITUS_TARBALL")"
fi
T_CITUS=$((SECONDS - T_CITUS))

log "building and installing dataops into $PKGLIBDIR"
make -s -C "$REPO" PG_CONFIG="$PG_CONFIG" with_llvm=no >/dev/null
"${SUDO[@]}" make -s -C "$REPO" PG_CONFIG="$PG_CONFIG" with_llvm=no install >/dev/null

# a fresh cluster every time
stop_cluster
"${SUDO[@]}" rm -rf "$BASE"
"${SUDO[@]}" mkdir -p "$BASE"
"${SUDO[@]}" cp -R "$TESTDIR/data" "$BASE/files"
"${SUDO[@]}" chown -R postgres:postgres "$BASE"
"${SUDO[@]}" chmod 0755 "$BASE"
"${SUDO[@]}" chmod -R u+rwX,go+rX "$BASE/files"
if [ "${DATAOPS_KEEP:-0}" != 1 ]; then trap 'stop_cluster' EXIT; fi

T_TEST=$SECONDS
log "starting the coordinator (port $PORT) and two workers ($((PORT + 1)), $((PORT + 2))) in $BASE"
for i in 0 1 2; do start_node "$i"; done
for i in 1 2; do node_psql "$i" -c 'CREATE EXTENSION citus'; done
node_psql 0 -c 'CREATE EXTENSION citus'
node_psql 0 -c "SELECT citus_set_coordinator_host('127.0.0.1', $PORT)" >/dev/null
for i in 1 2; do
    node_psql 0 -c "SELECT citus_add_node('127.0.0.1', $(node_port "$i"))" >/dev/null
done
node_psql 0 -c 'CREATE EXTENSION dataops'
# CREATE EXTENSION on the coordinator is propagated to the workers by Citus;
# create it where it did not arrive.
for i in 1 2; do
    if [ "$(node_psql "$i" -A -t -c "SELECT count(*) FROM pg_extension WHERE extname = 'dataops'")" != 1 ]; then
        log "dataops was not propagated to ${NODES[$i]}: creating it there"
        node_psql "$i" -c 'CREATE EXTENSION dataops'
        PROPAGATED=no
    fi
done
PROPAGATED=${PROPAGATED:-yes}
echo "workers: $(node_psql 0 -A -t -c "SELECT string_agg(nodename || ':' || nodeport, ', ' ORDER BY nodeport) FROM pg_dist_node WHERE noderole = 'primary' AND groupid <> 0")"

if [ "$TESTS" = none ]; then
    log "cluster started (fsync $FSYNC); DATAOPS_CITUS_TESTS=none: no test scripts run"
    log "stop it with: test/citus.sh stop (same DATAOPS_CITUS_BASE)"
    exit 0
fi
failed=() passed=()
for f in "$TESTDIR"/citus/*.sql; do
    [ -f "$f" ] || continue
    name=$(basename "$f" .sql)
    if [ -n "$TESTS" ] && [[ " $TESTS " != *" $name "* ]]; then continue; fi
    echo "==== test/citus/$name.sql"
    if (cd "$REPO" && node_psql 0 -v datadir="$BASE/files" -v coordlog="$(node_dir 0)/log/postgresql.log" -f "$f"); then
        passed+=("$name")
    else
        log "FAILED: test/citus/$name.sql"
        failed+=("$name")
    fi
done
T_TEST=$((SECONDS - T_TEST))

if [ "${DATAOPS_KEEP:-0}" = 1 ]; then
    log "leaving the cluster running: psql -h 127.0.0.1 -p $PORT -U postgres postgres"
    log "stop it with: for n in worker2 worker1 coord; do runuser -u postgres -- $BIN/pg_ctl -D $BASE/\$n/data stop; done"
else
    stop_cluster
    trap - EXIT
fi

summary="Citus: $CITUS_SOURCE (${T_CITUS} s); dataops extension propagated to the workers: $PROPAGATED;"
summary+=" tests ${T_TEST} s, total $((SECONDS - T_START)) s; passed: ${passed[*]:-none}; failed: ${failed[*]:-none}"
if [ ${#failed[@]} -gt 0 ] || [ ${#passed[@]} -eq 0 ]; then
    echo "dataops Citus tests FAILED -- $summary"
    exit 1
fi
echo "dataops Citus tests OK -- $summary"
