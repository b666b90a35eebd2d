#!/usr/bin/env bash
# Crash during an incremental step (issue 5): the step's worker is killed
# with SIGKILL in the middle of its merge into the target (a row trigger on
# the target makes each merged row take 15 ms, so the kill lands after
# some rows were written); after the automatic restart the target must
# hold none of the batch, and a re-run
# must leave the target exactly as an uninterrupted run does (EXCEPT both
# ways empty), and the watermark must not have moved past the lost batch.
# Run by test/pg.sh (make test), which exports DATAOPS_BASE and the PG* env.
set -euo pipefail
: "${DATAOPS_BASE:?run through test/pg.sh}"
DB=dataops_inc_crash
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
val() { psql -d "$DB" -At -c "$1"; }
fail() { echo "incremental_crash.sh: FAIL: $*" >&2; exit 1; }
. "$(dirname "${BASH_SOURCE[0]}")/lib/crash.bash"

psql -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
psql -d "$DB" >/dev/null <<'SQL'
CREATE EXTENSION dataops;
CREATE TABLE public.src (id int, v text, _ingested_at timestamptz);
INSERT INTO public.src SELECT g, 'v' || g, '2026-01-01' FROM generate_series(1, 1000) g;
CREATE TABLE public.pause (seconds float8);
INSERT INTO public.pause VALUES (0);
-- the step's query reads public.pause (0 except during the killed run)
SELECT dataops.create_pipeline('inc');
SELECT dataops.add_step('inc', 's', 'silver', 'inc_t',
  query => 'SELECT s.id, s.v, s._ingested_at FROM public.src s CROSS JOIN (SELECT pg_sleep(seconds) FROM public.pause) p',
  unique_key => '{id}', options => '{"materialization": "incremental"}');
SELECT dataops.run('inc');
SQL
[ "$(val "SELECT count(*) FROM silver.inc_t")" = 1000 ] || fail "first run did not load 1000 rows"
wm1=$(val "SELECT watermark FROM dataops.step_state")
# every row the merge writes into the target waits public.pause.seconds
psql -d "$DB" >/dev/null <<'SQL'
-- (a sequence, not rolled back, counts the rows the merge reached)
CREATE SEQUENCE public.merged_rows;
CREATE FUNCTION public.slow_row() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN PERFORM nextval('public.merged_rows'), pg_sleep((SELECT seconds FROM public.pause)); RETURN NEW; END $$;
CREATE TRIGGER slow_row BEFORE INSERT OR UPDATE ON silver.inc_t FOR EACH ROW EXECUTE FUNCTION public.slow_row();
SQL

# a batch: 100 changed keys and 100 new ones
val "INSERT INTO public.src SELECT g, 'w' || g, '2026-01-02' FROM generate_series(901, 1100) g" >/dev/null
val "UPDATE public.pause SET seconds = 0.015" >/dev/null
run=$(val "SELECT dataops.start_run('inc')")
pid=$(step_worker_pid)
[ -n "$pid" ] || fail "the step's worker never started"
sleep 1
# 200 merged rows take 3 s: at 1 s the merge has written some and not all
merged=$(val "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM public.merged_rows")
[ "$merged" -gt 0 ] && [ "$merged" -lt 200 ] || fail "the worker is not in the middle of its merge when killed ($merged rows merged)"
sigkill_and_wait "$pid"
sleep 1
[ "$(val "SELECT status FROM dataops.runs WHERE run_id = $run")" = failed ] \
    || fail "the killed run is not recorded failed: $(val "SELECT status FROM dataops.runs WHERE run_id = $run")"
[ "$(val "SELECT watermark FROM dataops.step_state")" = "$wm1" ] || fail "the watermark moved past the lost batch"
[ "$(val "SELECT count(*) || ' ' || count(*) FILTER (WHERE v LIKE 'w%') FROM silver.inc_t")" = "1000 0" ] \
    || fail "the killed merge left rows or changes behind"

# the re-run processes the batch exactly once
val "UPDATE public.pause SET seconds = 0" >/dev/null
psql -d "$DB" -c "SELECT dataops.run('inc')" >/dev/null
# what an uninterrupted run gives: the newest row of each key
val "CREATE TABLE public.expected AS SELECT DISTINCT ON (id) id, v, _ingested_at FROM public.src ORDER BY id, _ingested_at DESC" >/dev/null
[ "$(val "SELECT count(*) FROM (SELECT * FROM silver.inc_t EXCEPT SELECT * FROM public.expected) d")" = 0 ] \
    || fail "the target has rows an uninterrupted run does not"
[ "$(val "SELECT count(*) FROM (SELECT * FROM public.expected EXCEPT SELECT * FROM silver.inc_t) d")" = 0 ] \
    || fail "the target lacks rows of an uninterrupted run"
[ "$(val "SELECT rows_inserted || ' ' || rows_updated FROM dataops.step_runs ORDER BY step_run_id DESC LIMIT 1")" = "100 100" ] \
    || fail "the re-run did not merge 100 new and 100 changed keys"
psql -d postgres -c "DROP DATABASE $DB WITH (FORCE)" >/dev/null
echo "incremental_crash.sh: ok (a merge killed by SIGKILL changed nothing; the re-run equals an uninterrupted run)"
