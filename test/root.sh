#!/usr/bin/env bash
# Run `make test` (or another make target) against a PostgreSQL major version
# that Debian 12 does not ship, inside a cached Debian root.
#
#   test/root.sh <major> [target]    e.g. test/root.sh 17 test
#   test/root.sh <major> root        only make (or keep) the cached root
#
# PostgreSQL 15 is this machine's own (Debian 12).  17 runs in a Debian 13
# ("trixie") root, 18 in a Debian unstable ("sid") root.  The root is made
# once with `debootstrap --variant=minbase` from the Debian mirror that this
# machine's apt sources name, gets postgresql-NN, its server headers, pg_cron,
# pgTAP and PCRE2, and is kept in $DATAOPS_ROOTS (default
# /var/cache/dataops/roots) for later runs.  The working tree (tracked and
# untracked files, not ignored ones) is copied into the root at
# /build/dataops and `make <target> PG=<major>` runs there as root, with
# /proc, /sys, /dev and /tmp bound; the test cluster is named test<major> on port
# 554<major> so that it cannot meet a cluster of this machine.
#
# Needs root (debootstrap, chroot, mount).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MAJOR=${1:-}
TARGET=${2:-test}
ROOTS=${DATAOPS_ROOTS:-/var/cache/dataops/roots}

log() { echo "root.sh: $*" >&2; }
die() { log "$*"; exit 1; }

case "$MAJOR" in
    17) SUITE=trixie ;;
    18) SUITE=sid ;;
    *)  die "PostgreSQL $MAJOR: no Debian root is known for it (17: trixie, 18: sid; 15 runs on this machine)" ;;
esac
[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, chroot and mount need it)"

ROOT="$ROOTS/$SUITE"
STAMP="$ROOT/.dataops-root-$MAJOR"

# The mirror this machine's apt sources name (deb822 or one-line format).
mirror() {
    local m
    m=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
        | awk '{print $2}' | grep -E '/debian/?$' | head -n 1 || true)
    [ -n "$m" ] || m=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
        | awk '{print $2}' | grep -E '/debian/?$' | head -n 1 || true)
    [ -n "$m" ] || die "no Debian mirror found in /etc/apt/sources.list*"
    echo "$m"
}

MOUNTS=()
unmount_all() {
    local i
    for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
        umount -l "${MOUNTS[$i]}" 2>/dev/null || true
    done
    MOUNTS=()
}
bind() { # <host dir> <dir in root>
    mkdir -p "$ROOT$2"
    mount --bind "$1" "$ROOT$2"
    MOUNTS+=("$ROOT$2")
}
in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }

make_root() {
    local m
    m=$(mirror)
    command -v debootstrap >/dev/null || {
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
    }
    log "making the $SUITE root in $ROOT from $m (once; cached afterwards)"
    rm -rf "$ROOT"
    mkdir -p "$ROOTS"
    debootstrap --variant=minbase "$SUITE" "$ROOT" "$m" >"$ROOTS/$SUITE.debootstrap.log" 2>&1 \
        || { tail -n 30 "$ROOTS/$SUITE.debootstrap.log" >&2; die "debootstrap $SUITE failed"; }
    echo "deb $m $SUITE main" > "$ROOT/etc/apt/sources.list"
    valid_until
    # services must not start inside the root
    printf '#!/bin/sh\nexit 101\n' > "$ROOT/usr/sbin/policy-rc.d"
    chmod 0755 "$ROOT/usr/sbin/policy-rc.d"
    bind /proc /proc; bind /dev /dev
    # the unstable suite's Release file on the mirror can be past Valid-Until
    in_root apt-get -qq -o Acquire::Check-Valid-Until=false update
    in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "postgresql-$MAJOR" "postgresql-server-dev-$MAJOR" "postgresql-$MAJOR-cron" \
        "postgresql-$MAJOR-pgtap" libpcre2-dev libyaml-dev libtap-parser-sourcehandler-pgtap-perl \
        make gcc python3 python3-psycopg2 git ca-certificates >/dev/null
    unmount_all
    touch "$STAMP"
}

# The unstable suite's Release file on the mirror can be past its
# Valid-Until date: every apt run in that root (make_root's, and the one
# test/pg.sh makes for missing packages) must not refuse it.
valid_until() {
    [ "$SUITE" = sid ] || return 0
    mkdir -p "$ROOT/etc/apt/apt.conf.d"
    echo 'Acquire::Check-Valid-Until "false";' > "$ROOT/etc/apt/apt.conf.d/99dataops-valid-until"
}

trap unmount_all EXIT
[ -f "$STAMP" ] || make_root
valid_until
[ "$TARGET" = root ] && exit 0   # `test/root.sh NN root`: only make the root

# A fresh copy of the working tree for this run.
rm -rf "$ROOT/build/dataops"
mkdir -p "$ROOT/build/dataops"
(cd "$REPO" && git ls-files -z --cached --others --exclude-standard \
    | xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh \
    | tar --null -T - -cf -) | tar -xf - -C "$ROOT/build/dataops"
# shared material (benchmarks, optional tests) read-only when present
if [ -d "$REPO/../shared" ]; then bind "$(cd "$REPO/../shared" && pwd)" /build/shared; mount -o remount,bind,ro "$ROOT/build/shared" || true; fi

bind /proc /proc; bind /sys /sys; bind /dev /dev; bind /tmp /tmp
log "PostgreSQL $MAJOR in the $SUITE root: make $TARGET"
rc=0
in_root env DATAOPS_TEST_NAME="test$MAJOR" DATAOPS_TEST_PORT="554$MAJOR" \
    DATAOPS_IN_ROOT=1 DATAOPS_FUZZ_SECONDS="${DATAOPS_FUZZ_SECONDS:-60}" \
    DATAOPS_FUZZ_SEED="${DATAOPS_FUZZ_SEED:-1}" \
    make -C /build/dataops "$TARGET" PG="$MAJOR" || rc=$?
unmount_all
exit $rc
