#!/usr/bin/env bash
# Every contract dataops.export_contract writes is a valid ODCS v3.1.0
# document: the people pipeline (bronze CSV -> silver) with the people
# contract applied and expectations of every kind the export maps (schema
# fields, library rules, custom rules of engine dataops) is exported per step
# and checked with ../shared/odcs/validate-contract (the official JSON
# schema); so are the contracts shipped in test/data.
set -euo pipefail
: "${DATAOPS_BASE:?run through test/pg.sh}"
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ODCS="$ROOT/../shared/odcs"
DB=dataops_contracts
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
val() { psql -d "$DB" -At -c "$1"; }
fail() { echo "contracts_validate.sh: FAIL: $*" >&2; exit 1; }
if [ ! -x "$ODCS/validate-contract" ]; then
    echo "contracts_validate.sh: SKIP: $ODCS/validate-contract is absent (the ODCS schema is kept in ../shared/odcs)"
    exit 0
fi

DATA="$DATAOPS_BASE/files/contracts"
OUT="$DATAOPS_BASE/contracts-exported"
rm -rf "$DATA" "$OUT"
mkdir -p "$DATA" "$OUT"
cp "$ROOT/test/data/people-day1.csv" "$ROOT/test/data/people.odcs.yaml" "$DATA/"
chmod -R a+rX "$DATA"

psql -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
psql -d "$DB" -v datadir="$DATA" >/dev/null <<'SQL'
CREATE EXTENSION dataops;
SELECT dataops.create_pipeline('cv_people');
SELECT dataops.add_step('cv_people', 'raw', 'bronze', 'cv_people', source => :'datadir' || '/people-day1.csv');
SELECT dataops.add_step('cv_people', 'clean', 'silver', 'cv_people', query => $$
  SELECT user_id, first_name, last_name, sex, lower(trim(email)) AS email, phone,
         date_of_birth::date AS date_of_birth, job_title, length(job_title) AS title_length,
         _ingested_at, _source_file
  FROM bronze.cv_people $$);
SELECT dataops.add_step('cv_people', 'by_sex', 'gold', 'cv_people_by_sex', query => $$
  SELECT sex, count(*) AS people, min(date_of_birth) AS oldest FROM silver.cv_people GROUP BY sex $$);
SELECT * FROM dataops.apply_contract(pg_read_file(:'datadir' || '/people.odcs.yaml'), 'cv_people', 'clean');
-- one of each export form
SELECT dataops.add_expectation('cv_people', 'clean', 'phone_len', 'value_lengths_between', 'phone', '{"min": 7}');
SELECT dataops.add_expectation('cv_people', 'clean', 'job_set', 'in_set', 'job_title', '{"values": ["Editor"]}', mostly => 0.0);
SELECT dataops.add_expectation('cv_people', 'clean', 'last_not_null', 'not_null', 'last_name', action => 'fail', mostly => 0.9);
SELECT dataops.add_expectation('cv_people', 'clean', 'first_unique', 'unique', 'first_name', mostly => 0.1);
SELECT dataops.add_expectation('cv_people', 'clean', 'rows_max', 'row_count_between', NULL, '{"max": 100000}');
SELECT dataops.add_expectation('cv_people', 'clean', 'rows_range', 'row_count_between', NULL, '{"min": 1, "max": 100000}');
SELECT dataops.add_expectation('cv_people', 'clean', 'key', 'compound_unique', NULL, '{"columns": ["user_id", "email"]}');
SELECT dataops.add_expectation('cv_people', 'clean', 'title_len', 'between', 'title_length', '{"min": 1, "max": 80}', 'drop');
SELECT dataops.add_expectation('cv_people', 'clean', 'adult', 'expression', NULL, '{"expression": "date_of_birth < current_date"}');
SELECT dataops.add_expectation('cv_people', 'by_sex', 'three', 'row_count_equal', NULL, '{"value": 2}');
SELECT dataops.add_expectation('cv_people', 'by_sex', 'fresh', 'freshness', 'oldest', '{"max_age": "200 years"}');
SQL
val "SELECT dataops.run('cv_people')" >/dev/null
for step in raw clean by_sex; do
    val "SELECT dataops.export_contract('cv_people', '$step')" > "$OUT/$step.odcs.yaml"
done
if ! report=$("$ODCS/validate-contract" "$OUT"/*.odcs.yaml "$ROOT"/test/data/people.odcs.yaml "$ROOT"/test/data/odcs/*.odcs.* 2>&1); then
    echo "$report" >&2
    fail "an exported or shipped contract is not valid ODCS v3.1.0"
fi
echo "$report" | tail -1
# the export applied to a fresh copy of the pipeline gives the same expectations
psql -d "$DB" -v c="$(cat "$OUT/clean.odcs.yaml")" >/dev/null <<'SQL'
SELECT dataops.create_pipeline('cv_copy');
SELECT dataops.add_step('cv_copy', 'clean', 'silver', 'cv_copy', query => 'SELECT * FROM silver.cv_people');
SELECT dataops.run('cv_copy');
SELECT * FROM dataops.apply_contract(:'c', 'cv_copy', 'clean');
SQL
diff=$(val "SELECT count(*) FROM ((SELECT name, kind, column_name, args, action, mostly FROM dataops.expectations WHERE pipeline = 'cv_people' AND step = 'clean'
        EXCEPT SELECT name, kind, column_name, args, action, mostly FROM dataops.expectations WHERE pipeline = 'cv_copy')
        UNION ALL (SELECT name, kind, column_name, args, action, mostly FROM dataops.expectations WHERE pipeline = 'cv_copy'
        EXCEPT SELECT name, kind, column_name, args, action, mostly FROM dataops.expectations WHERE pipeline = 'cv_people' AND step = 'clean')) d")
[ "$diff" = 0 ] || fail "export -> apply changed $diff expectations"
n=$(val "SELECT count(*) FROM dataops.expectations WHERE pipeline = 'cv_copy'")
[ "$n" -eq 16 ] || fail "$n expectations reached the copy, not the 16 of the silver step (7 from the contract, 9 added)"
psql -d postgres -c "DROP DATABASE $DB WITH (FORCE)"
echo "contracts_validate.sh: ok (3 exported contracts and the shipped ones are valid ODCS v3.1.0; export -> apply keeps the $n expectations of the silver step)"
