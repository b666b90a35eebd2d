#!/usr/bin/env bash
# Backup round trip: pg_dump (plain and custom format) of a database with
# pipelines, suites, dependencies, incremental state and run history,
# restored with psql -f (ON_ERROR_STOP) and with pg_restore --exit-on-error
# into fresh databases.  Every catalog table and sequence must come back
# equal, with no error, and runs must work after the restore: files already
# ingested are not loaded again, run ids continue.
set -euo pipefail
: "${DATAOPS_BASE:?run through test/pg.sh}"
: "${DATAOPS_TEST_DATA:?run through test/pg.sh}"
BINDIR=$(${PG_CONFIG:-pg_config} --bindir)
SRC=dataops_backup_src
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
val() { psql -d "$1" -At -c "$2"; }
fail() { echo "backup.sh: FAIL: $*" >&2; exit 1; }
TMP=$(mktemp -d /tmp/dataops-backup.XXXXXX)
chmod 755 "$TMP"
trap 'rm -rf "$TMP"' EXIT

for db in $SRC ${SRC}_plain ${SRC}_custom; do
    psql -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
done
psql -d postgres -c "DROP ROLE IF EXISTS backup_owner" -c "CREATE ROLE backup_owner LOGIN"
psql -d postgres -c "CREATE DATABASE $SRC"
psql -d "$SRC" -v datadir="$DATAOPS_TEST_DATA" >/dev/null <<'SQL'
CREATE EXTENSION dataops;
GRANT pg_read_server_files TO backup_owner;
GRANT CREATE ON DATABASE dataops_backup_src TO backup_owner;
CREATE TABLE public.orders (id int PRIMARY KEY, amount numeric, updated_at timestamptz);
INSERT INTO public.orders SELECT g, g * 1.5, '2024-01-01'::timestamptz + g * interval '1 hour' FROM generate_series(1, 50) g;
GRANT SELECT ON public.orders TO backup_owner;

SELECT dataops.create_pipeline('people', 'bronze to gold');
SELECT dataops.add_step('people', 'raw', 'bronze', 'people_raw', source => :'datadir' || '/people-day*.csv');
SELECT dataops.add_step('people', 'clean', 'silver', 'people',
    query => 'SELECT user_id, lower(email) AS email FROM bronze.people_raw');
SELECT dataops.add_expectation('people', 'clean', 'email_ok', 'match_regex', column_name => 'email',
    args => '{"pattern": "^[^@]+@[^@]+$"}', action => 'drop');
SELECT dataops.add_step('people', 'dedup', 'gold', 'people', query => 'SELECT * FROM silver.people',
    unique_key => ARRAY['user_id'], keep => 'email DESC');
SELECT dataops.create_suite('ids');
SELECT dataops.add_suite_expectation('ids', 'id_nn', 'not_null', column_name => 'user_id');
SELECT dataops.attach_suite('people', 'dedup', 'ids');
SELECT dataops.set_pipeline_option('people', 'retries', '1');

SET ROLE backup_owner;
SELECT dataops.create_pipeline('orders');
SELECT dataops.add_step('orders', 'inc', 'silver', 'bk.orders_inc', query => 'SELECT * FROM public.orders',
    unique_key => ARRAY['id'], options => '{"materialization": "incremental", "watermark": "updated_at"}');
RESET ROLE;
SELECT dataops.add_dependency('orders', 'people');
SQL
psql -d "$SRC" -c "SELECT dataops.run('people')" >/dev/null
psql -d "$SRC" -c "SELECT dataops.wait(max(run_id)) FROM dataops.runs WHERE pipeline = 'orders'" >/dev/null
[ "$(val "$SRC" "SELECT count(*) FROM dataops.runs WHERE status = 'succeeded'")" = 2 ] \
    || fail "the source runs did not both succeed"
[ "$(val "$SRC" "SELECT watermark IS NOT NULL FROM dataops.step_state WHERE pipeline = 'orders'")" = t ] \
    || fail "the incremental step recorded no watermark"

# Every catalog table's rows (text of each row, sorted) and every sequence.
snapshot() {
    val "$1" "SELECT string_agg(x, E'\n' ORDER BY x) FROM (
        SELECT c.relname || ': ' || (xpath('/row/c/text()',
               query_to_xml(format('SELECT count(*) || '' '' || coalesce(md5(string_agg(t::text, ''|'' ORDER BY t::text)), '''') AS c FROM %s t',
                                   c.oid::regclass), false, true, '')))[1]::text AS x
          FROM pg_class c JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
          JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'dataops'
         WHERE c.relkind = 'r'
        UNION ALL
        SELECT c.relname || ': ' || pg_sequence_last_value(c.oid)
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'dataops' AND c.relkind = 'S') s"
}
before=$(snapshot "$SRC")
[ "$(echo "$before" | grep -c '^pipelines: 2 ')" = 1 ] || fail "snapshot does not see 2 pipelines: $before"

"$BINDIR/pg_dump" -d "$SRC" -f "$TMP/plain.sql"
"$BINDIR/pg_dump" -d "$SRC" -Fc -f "$TMP/custom.dump"

psql -d postgres -c "CREATE DATABASE ${SRC}_plain"
psql -d "${SRC}_plain" -f "$TMP/plain.sql" >"$TMP/plain.log" 2>&1 || { cat "$TMP/plain.log"; fail "psql -f of the plain dump failed"; }
grep -q ERROR "$TMP/plain.log" && { cat "$TMP/plain.log"; fail "the plain restore printed errors"; }
psql -d postgres -c "CREATE DATABASE ${SRC}_custom"
"$BINDIR/pg_restore" --exit-on-error -d "${SRC}_custom" "$TMP/custom.dump" 2>"$TMP/custom.log" \
    || { cat "$TMP/custom.log"; fail "pg_restore of the custom dump failed"; }

for db in ${SRC}_plain ${SRC}_custom; do
    after=$(snapshot "$db")
    if [ "$before" != "$after" ]; then
        diff <(echo "$before") <(echo "$after") || true
        fail "$db: the catalog differs from the source after the restore"
    fi
    [ "$(val "$db" "SELECT count(*) FROM gold.people")" = "$(val "$SRC" "SELECT count(*) FROM gold.people")" ] \
        || fail "$db: gold.people differs"
    # runs work after the restore: no file loaded twice, run ids continue, events append
    last=$(val "$db" "SELECT max(run_id) FROM dataops.runs")
    events=$(val "$db" "SELECT max(event_id) FROM dataops.events")
    run=$(val "$db" "SELECT dataops.run('people')")
    [ "$run" -gt "$last" ] || fail "$db: run id $run does not continue after $last"
    [ "$(val "$db" "SELECT files_ingested || '/' || files_skipped FROM dataops.step_runs WHERE run_id = $run AND step = 'raw'")" = 0/2 ] \
        || fail "$db: the restored database loaded files again"
    [ "$(val "$db" "SELECT min(event_id) > $events FROM dataops.events WHERE run_id = $run")" = t ] \
        || fail "$db: new events do not continue the restored ones"
    [ "$(val "$db" "SELECT owner FROM dataops.pipelines WHERE name = 'orders'")" = backup_owner ] \
        || fail "$db: the pipeline lost its owner"
    # the incremental step resumes from its restored watermark: nothing new to merge
    orders=$(val "$db" "SELECT max(run_id) FROM dataops.runs WHERE pipeline = 'orders'")
    val "$db" "SELECT dataops.wait($orders)" >/dev/null
    [ "$(val "$db" "SELECT s.status || ' ' || coalesce(s.rows_inserted, -1) FROM dataops.step_runs s WHERE s.run_id = $orders")" = "succeeded 0" ] \
        || fail "$db: the incremental step did not resume from its watermark"
    # definition events are recorded again for dataops' own changes
    psql -d "$db" -c "SELECT dataops.set_pipeline_option('people', 'retries', '2')" >/dev/null
    [ "$(val "$db" "SELECT count(*) FROM dataops.events WHERE kind = 'definition' AND event_id > $events")" = 1 ] \
        || fail "$db: a definition change after the restore was not recorded once"
done

# DROP EXTENSION leaves no dataops schema behind
psql -d "${SRC}_plain" -c "DROP EXTENSION dataops"
[ "$(val "${SRC}_plain" "SELECT count(*) FROM pg_namespace WHERE nspname = 'dataops'")" = 0 ] \
    || fail "DROP EXTENSION left the dataops schema"

for db in $SRC ${SRC}_plain ${SRC}_custom; do
    psql -d postgres -c "DROP DATABASE $db WITH (FORCE)"
done
psql -d postgres -c "DROP ROLE backup_owner"
echo "backup.sh: ok (plain and custom dumps restore every catalog table and sequence; runs resume)"
