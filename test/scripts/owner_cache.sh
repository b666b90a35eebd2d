#!/usr/bin/env bash
# The extension owner is cached per backend (dataops_extension_owner): a
# DROP EXTENSION and a CREATE EXTENSION by another role must be seen, in the
# same session (in and out of one transaction, and after a rollback) and by
# a session that cached the owner before another session re-created the
# extension.  The first owner role is dropped in between, so a stale cached
# owner would fail the catalog writes (permission denied for table
# pipelines).  pg_regress cannot create and drop roles owning the extension
# around its other files, hence this script.
set -euo pipefail
: "${DATAOPS_BASE:?run through test/pg.sh}"
fail() { echo "owner_cache.sh: FAIL: $*" >&2; exit 1; }
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
DB=dataops_owner_cache
# one value read in $DB
val() { psql -d "$DB" -At -c "$1"; }

psql -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" \
    -c "DROP ROLE IF EXISTS oc_owner_a" -c "DROP ROLE IF EXISTS oc_owner_b" -c "DROP ROLE IF EXISTS oc_owner_c" \
    -c "CREATE ROLE oc_owner_a SUPERUSER" -c "CREATE ROLE oc_owner_b SUPERUSER" -c "CREATE ROLE oc_owner_c SUPERUSER"

# one session: cache a's ownership, drop, drop a, b re-creates, write; then
# drop and re-create inside a transaction that rolls back
got=$(psql -d "$DB" -At <<'SQL'
SET ROLE oc_owner_a;
CREATE EXTENSION dataops;
RESET ROLE;
SELECT dataops.create_pipeline('one');
DROP EXTENSION dataops;
DROP ROLE oc_owner_a;
SET ROLE oc_owner_b;
CREATE EXTENSION dataops;
RESET ROLE;
SELECT dataops.create_pipeline('two');
BEGIN;
DROP EXTENSION dataops;
CREATE EXTENSION dataops;
SELECT dataops.create_pipeline('rolled_back');
ROLLBACK;
SELECT dataops.create_pipeline('three');
SELECT string_agg(name, ',' ORDER BY name) FROM dataops.pipelines;
SQL
)
[ "$(echo "$got" | tail -n 1)" = "three,two" ] || fail "same session: pipelines are '$got', expected three,two"

# two sessions: the first caches b's ownership; the second drops, makes c the
# owner and drops b; the first writes again
fifo=$(mktemp -u); mkfifo "$fifo"
out=$(mktemp)
(command psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -At <"$fifo" >"$out" 2>&1 || true) &
reader=$!
exec 7>"$fifo"
echo "SELECT dataops.create_pipeline('cached');" >&7
for _ in $(seq 1 100); do
    [ "$(val "SELECT count(*) FROM dataops.pipelines WHERE name = 'cached'")" = 1 ] && break
    sleep 0.1
done
psql -d "$DB" -c "DROP EXTENSION dataops" -c "SET ROLE oc_owner_c" -c "CREATE EXTENSION dataops" \
    -c "RESET ROLE" -c "DROP ROLE oc_owner_b"
echo "SELECT dataops.create_pipeline('after'); SELECT 'written';" >&7
exec 7>&-
wait "$reader"
rm -f "$fifo"
grep -q '^written$' "$out" || { cat "$out" >&2; rm -f "$out"; fail "other session: the write after the re-create failed"; }
rm -f "$out"
[ "$(val "SELECT string_agg(name, ',') FROM dataops.pipelines")" = after ] || fail "other session: pipeline 'after' missing"
[ "$(val "SELECT extowner::regrole FROM pg_extension WHERE extname = 'dataops'")" = oc_owner_c ] || fail "owner is not oc_owner_c"

psql -d postgres -c "DROP DATABASE $DB WITH (FORCE)" -c "DROP ROLE oc_owner_c"
echo "owner_cache.sh: ok (DROP and CREATE EXTENSION by another owner seen by the same session, after a rollback, and by another session)"
