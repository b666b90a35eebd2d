#!/usr/bin/env bash
# OpenLineage events of a demo-like pipeline (bronze CSV -> silver with
# expectations, incremental -> gold): a first run, an incremental run that
# ingests one new file, and a failed run.  Every event of
# dataops.openlineage_events is written to a file per run and validated
# against the official OpenLineage 2-0-2 schemas with
# ../shared/openlineage/validate-events; then their content is checked.
set -euo pipefail
: "${DATAOPS_BASE:?run through test/pg.sh}"
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OL="$ROOT/../shared/openlineage"
DB=dataops_openlineage
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
val() { psql -d "$DB" -At -c "$1"; }
fail() { echo "openlineage.sh: FAIL: $*" >&2; exit 1; }
expect() { # expect <what> <expected> <sql>
    local got
    got=$(val "$3")
    [ "$got" = "$2" ] || fail "$1: expected '$2', got '$got'"
}
if [ ! -x "$OL/validate-events" ]; then
    echo "openlineage.sh: SKIP: $OL/validate-events is absent (the OpenLineage schemas are kept in ../shared/openlineage)"
    exit 0
fi

DATA="$DATAOPS_BASE/files/openlineage"
OUT="$DATAOPS_BASE/openlineage-events"
rm -rf "$DATA" "$OUT"
mkdir -p "$DATA" "$OUT"
cp "$ROOT/test/data/people-day1.csv" "$DATA/"
chmod -R a+rX "$DATA"

psql -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
psql -d "$DB" -v datadir="$DATA" >/dev/null <<'SQL'
CREATE EXTENSION dataops;
SELECT dataops.create_pipeline('ol_people');
SELECT dataops.add_step('ol_people', 'raw', 'bronze', 'ol_people', source => :'datadir' || '/people-day*.csv');
SELECT dataops.add_step('ol_people', 'clean', 'silver', 'ol_people', query => $$
  SELECT user_id, first_name, lower(trim(email)) AS email, date_of_birth::date AS date_of_birth, _ingested_at
    FROM bronze.ol_people WHERE user_id IS NOT NULL $$,
  unique_key => '{user_id}', keep => '_ingested_at DESC', options => '{"materialization": "incremental"}');
SELECT dataops.add_step('ol_people', 'by_year', 'gold', 'ol_people_by_year', query => $$
  SELECT extract(year FROM date_of_birth)::int AS birth_year, count(*) AS people
    FROM silver.ol_people GROUP BY 1 $$);
SELECT dataops.add_expectation('ol_people', 'clean', 'email_valid', 'match_regex', 'email',
  '{"pattern": "^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$"}', 'drop');
SELECT dataops.add_expectation('ol_people', 'clean', 'user_id_not_null', 'not_null', 'user_id', action => 'fail');
SQL

dump() { # dump <run_id> <file>: every event of the run, one per line
    val "SELECT e FROM dataops.openlineage_events($1) e" > "$2"
}
validate() {
    local report
    if ! report=$("$OL/validate-events" "$1" 2>&1); then
        echo "$report" >&2
        fail "events of $1 are not valid OpenLineage"
    fi
    echo "$report" | tail -1
}

# 1. the first run
run1=$(val "SELECT dataops.run('ol_people')")
expect "run 1 status" succeeded "SELECT status FROM dataops.runs WHERE run_id = $run1"
dump "$run1" "$OUT/run1.ndjson"
v1=$(validate "$OUT/run1.ndjson")

# 2. an incremental run: one new file, new rows merged into silver
cp "$ROOT/test/data/people-day2.csv" "$DATA/"
chmod a+r "$DATA/people-day2.csv"
run2=$(val "SELECT dataops.run('ol_people')")
expect "run 2 status" succeeded "SELECT status FROM dataops.runs WHERE run_id = $run2"
dump "$run2" "$OUT/run2.ndjson"
v2=$(validate "$OUT/run2.ndjson")

# 3. a failed run: gold's row count expectation fails
val "SELECT dataops.add_expectation('ol_people', 'by_year', 'few_years', 'row_count_between', NULL,
       '{\"min\": 1, \"max\": 2}', 'fail')" >/dev/null
# dataops.run raises when the run fails
psql -d "$DB" -c "SELECT dataops.run('ol_people')" >/dev/null 2>&1 && fail "run 3 did not fail"
run3=$(val "SELECT max(run_id) FROM dataops.runs WHERE pipeline = 'ol_people'")
expect "run 3 status" failed "SELECT status FROM dataops.runs WHERE run_id = $run3"
dump "$run3" "$OUT/run3.ndjson"
v3=$(validate "$OUT/run3.ndjson")

# the events for one dataops event each (what the notifications outbox sends)
val "SELECT e FROM dataops.events ev, dataops._openlineage_events_for_event(ev.event_id) e
      WHERE ev.run_id IN ($run1, $run2, $run3) ORDER BY ev.event_id" > "$OUT/per-event.ndjson"
v4=$(validate "$OUT/per-event.ndjson")

# content
ev="dataops.openlineage_events"
expect "run 1 jobs and event types" \
    "START ol_people|START ol_people.raw|COMPLETE ol_people.raw|START ol_people.clean|COMPLETE ol_people.clean|START ol_people.by_year|COMPLETE ol_people.by_year|COMPLETE ol_people" \
    "SELECT string_agg((e->>'eventType') || ' ' || (e->'job'->>'name'), '|') FROM $ev($run1) e"
expect "namespace is the setting's" "t" \
    "SELECT bool_and(e->'job'->>'namespace' = current_setting('dataops.openlineage_namespace')) FROM $ev($run1) e"
expect "steps' parent is the pipeline run" "t" \
    "SELECT bool_and(e->'run'->'facets'->'parent'->'run'->>'runId' =
            (SELECT p->'run'->>'runId' FROM $ev($run1) p WHERE p->'job'->>'name' = 'ol_people' LIMIT 1))
       FROM $ev($run1) e WHERE e->'job'->>'name' <> 'ol_people'"
expect "a START and its COMPLETE share the runId, each attempt its own" "4" \
    "SELECT count(DISTINCT e->'run'->>'runId') FROM $ev($run1) e"
expect "runIds are deterministic" "t" \
    "SELECT array_agg(e->'run'->>'runId') = (SELECT array_agg(f->'run'->>'runId') FROM $ev($run1) f) FROM $ev($run1) e"
expect "bronze reads the file as a file dataset" "file|people-day1.csv" \
    "SELECT string_agg(split_part(i->>'namespace', ':', 1) || '|' || regexp_replace(i->>'name', '^.*/', ''), ',')
       FROM $ev($run1) e, jsonb_array_elements(e->'inputs') i
      WHERE e->>'eventType' = 'COMPLETE' AND e->'job'->>'name' = 'ol_people.raw'"
expect "the incremental run reads only the new file" "people-day2.csv" \
    "SELECT string_agg(regexp_replace(i->>'name', '^.*/', ''), ',')
       FROM $ev($run2) e, jsonb_array_elements(e->'inputs') i
      WHERE e->>'eventType' = 'COMPLETE' AND e->'job'->>'name' = 'ol_people.raw'"
expect "silver reads bronze" "bronze.ol_people" \
    "SELECT string_agg(i->>'name', ',') FROM $ev($run1) e, jsonb_array_elements(e->'inputs') i
      WHERE e->>'eventType' = 'COMPLETE' AND e->'job'->>'name' = 'ol_people.clean'"
expect "the sql job facet holds the query" "t" \
    "SELECT e->'job'->'facets'->'sql'->>'query' = (SELECT query FROM dataops.steps WHERE name = 'clean')
       FROM $ev($run1) e WHERE e->>'eventType' = 'COMPLETE' AND e->'job'->>'name' = 'ol_people.clean'"
expect "schema facet of silver" "user_id:text,first_name:text,email:text,date_of_birth:date,_ingested_at:timestamp with time zone" \
    "SELECT string_agg((f->>'name') || ':' || (f->>'type'), ',' ORDER BY (f->>'ordinal_position')::int)
       FROM $ev($run1) e, jsonb_array_elements(e->'outputs'->0->'facets'->'schema'->'fields') f
      WHERE e->>'eventType' = 'COMPLETE' AND e->'job'->>'name' = 'ol_people.clean'
        AND f->>'name' IN ('user_id', 'first_name', 'email', 'date_of_birth', '_ingested_at')"
cl="e->'outputs'->0->'facets'->'columnLineage'"
expect "columnLineage: email is a transformation of bronze email, filtered on user_id" \
    "bronze.ol_people.email DIRECT/TRANSFORMATION|bronze.ol_people.user_id INDIRECT/FILTER" \
    "SELECT string_agg((i->>'name') || '.' || (i->>'field') || ' ' ||
            (SELECT string_agg((t->>'type') || '/' || (t->>'subtype'), ',') FROM jsonb_array_elements(i->'transformations') t),
            '|' ORDER BY i->>'field')
       FROM $ev($run1) e, jsonb_array_elements($cl->'fields'->'email'->'inputFields') i
      WHERE e->>'eventType' = 'COMPLETE' AND e->'job'->>'name' = 'ol_people.clean'"
expect "columnLineage: user_id is the bronze column itself" "DIRECT/IDENTITY,INDIRECT/FILTER" \
    "SELECT string_agg((t->>'type') || '/' || (t->>'subtype'), ',' ORDER BY t->>'type')
       FROM $ev($run1) e, jsonb_array_elements($cl->'fields'->'user_id'->'inputFields') i,
            jsonb_array_elements(i->'transformations') t
      WHERE e->>'eventType' = 'COMPLETE' AND e->'job'->>'name' = 'ol_people.clean'"
expect "columnLineage: gold groups by the birth date" "silver.ol_people.date_of_birth GROUP_BY" \
    "SELECT string_agg((d->>'name') || '.' || (d->>'field') || ' ' || (d->'transformations'->0->>'subtype'), ',')
       FROM $ev($run1) e, jsonb_array_elements($cl->'dataset') d
      WHERE e->>'eventType' = 'COMPLETE' AND e->'job'->>'name' = 'ol_people.by_year'"
expect "assertions of silver, one per expectation" "email_valid:match_regex:email:t|user_id_not_null:not_null:user_id:t" \
    "SELECT string_agg(concat_ws(':', a->>'name', a->>'assertion', a->>'column', left(a->>'success', 1)), '|' ORDER BY a->>'name')
       FROM $ev($run1) e, jsonb_array_elements(e->'outputs'->0->'facets'->'dataQualityAssertions'->'assertions') a
      WHERE e->>'eventType' = 'COMPLETE' AND e->'job'->>'name' = 'ol_people.clean'"
expect "assertion results match expectation_results" "t" \
    "SELECT bool_and((a->>'success')::boolean = r.success)
       FROM $ev($run1) e, jsonb_array_elements(e->'outputs'->0->'facets'->'dataQualityAssertions'->'assertions') a
       JOIN dataops.expectation_results r ON r.run_id = $run1 AND r.expectation = a->>'name'
      WHERE e->>'eventType' = 'COMPLETE' AND e->'job'->>'name' = 'ol_people.clean'"
expect "outputStatistics rowCount is rows_written" "t" \
    "SELECT bool_and((e->'outputs'->0->'outputFacets'->'outputStatistics'->>'rowCount')::bigint = s.rows_written)
       FROM $ev($run2) e JOIN dataops.step_runs s ON s.run_id = $run2 AND 'ol_people.' || s.step = e->'job'->>'name'
      WHERE e->>'eventType' = 'COMPLETE'"
expect "the failed run: gold FAILs with its error, the pipeline too" \
    "FAIL ol_people.by_year true false|FAIL ol_people true false" \
    "SELECT string_agg(concat_ws(' ', e->>'eventType', e->'job'->>'name',
              (e->'run'->'facets'->'errorMessage'->>'message' <> '')::text,
              (SELECT bool_and((a->>'success')::boolean) FROM jsonb_array_elements(
                 coalesce(e->'outputs'->0->'facets'->'dataQualityAssertions'->'assertions', '[{\"success\": false}]')) a)::text),
              '|')
       FROM $ev($run3) e WHERE e->>'eventType' = 'FAIL'"
expect "the failed assertion" "few_years:row_count_between:f" \
    "SELECT string_agg(concat_ws(':', a->>'name', a->>'assertion', left(a->>'success', 1)), '|')
       FROM $ev($run3) e, jsonb_array_elements(e->'outputs'->0->'facets'->'dataQualityAssertions'->'assertions') a
      WHERE e->>'eventType' = 'FAIL' AND e->'job'->>'name' = 'ol_people.by_year'"
expect "per event: the same events as per run" "t" \
    "SELECT (SELECT array_agg(x ORDER BY x::text) FROM $ev($run1) x) =
            (SELECT array_agg(e ORDER BY e::text) FROM dataops.events ev, dataops._openlineage_events_for_event(ev.event_id) e
              WHERE ev.run_id = $run1)"
expect "per event: a definition event has none" "0" \
    "SELECT count(*) FROM dataops.events ev, dataops._openlineage_events_for_event(ev.event_id) e WHERE ev.kind = 'definition'"

# a role sees the events of the runs it may see only
psql -d "$DB" -c "DROP ROLE IF EXISTS ol_sh_other" -c "CREATE ROLE ol_sh_other" >/dev/null
got=$(psql -d "$DB" -At -c "SET ROLE ol_sh_other" -c "SELECT count(*) FROM dataops.openlineage_events($run1)")
[ "$got" = 0 ] || fail "another role sees $got events of run $run1"
got=$(psql -d "$DB" -At -c "SET ROLE ol_sh_other" \
          -c "SELECT count(*) FROM dataops._openlineage_events_for_event((SELECT max(event_id) FROM dataops.events))")
[ "$got" = 0 ] || fail "another role sees $got events of the last dataops event"

psql -d postgres -c "DROP DATABASE $DB WITH (FORCE)" -c "DROP ROLE ol_sh_other"
echo "openlineage.sh: ok (valid: run 1 $v1; incremental run 2 $v2; failed run 3 $v3; per event $v4)"
