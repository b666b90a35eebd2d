#!/usr/bin/env bash
# Benchmark: the people pipeline run by dataops against the same work written
# by hand in SQL (COPY, CREATE TABLE AS for silver, one aggregate query per
# expectation, DISTINCT ON for the dedup), at 100,000 and 1,000,000 rows.
#
# Run through `make bench` (test/pg.sh bench), which starts a throwaway
# cluster with fsync on and exports PGHOST, PGPORT, PGUSER and DATAOPS_BASE.
#
# Environment:
#   DATAOPS_SHARED_DATA  directory holding people/people-100000.csv
#                        (default: ../shared/data next to the repository);
#                        a same-shaped file is generated when it is missing
#   BENCH_SIZES          row counts to run (default: "100000 1000000")
#   BENCH_REPEAT         measurements per side and size, the best is reported
#                        (default: 2)
#   BENCH_BUDGET         seconds; once a size's first round took longer than
#                        this, its repeats are skipped (default: 100)
#   BENCH_KEEP           "1" to keep the generated CSV files
set -euo pipefail

SELF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$SELF_DIR")
: "${PGHOST:?PGHOST is not set; run this through 'make bench'}"
: "${DATAOPS_BASE:?DATAOPS_BASE is not set; run this through 'make bench'}"
SHARED=${DATAOPS_SHARED_DATA:-$(dirname "$REPO")/shared/data}
SIZES=${BENCH_SIZES:-100000 1000000}
REPEAT=${BENCH_REPEAT:-2}
BUDGET=${BENCH_BUDGET:-100}
DATA="$DATAOPS_BASE/bench-data"

if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo); fi

# Keep the server's NOTICEs out of the output.
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"

log() { echo "bench: $*" >&2; }
die() { log "$*"; exit 1; }

# psql, quiet, unaligned, tuples only, stop on the first error.
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
fmin() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a + 0 < b + 0) ? a : b }'; }

cleanup() {
    if [ "${BENCH_KEEP:-0}" != 1 ]; then
        "${SUDO[@]}" rm -f "$DATA"/people-*.csv 2>/dev/null || true
    fi
}
trap cleanup EXIT

"${SUDO[@]}" install -d -o postgres -g postgres -m 0755 "$DATA"

# ------------------------------------------------------------------ input files

# Writes a people-shaped CSV of $1 rows to $2, on the server (as postgres):
# ~5% of the rows repeat an earlier user id (with another email), ~0.5% have
# an invalid email, ~2% an email needing trim/lower, dates 1906..2022.
generate() { # <rows> <file>
    q -d postgres -v rows="$1" -v file="$2" <<'SQL'
COPY (
  WITH g AS (
    SELECT i,
           -- every 20th row re-uses the user id of one of the 19 rows before it
           CASE WHEN i % 20 = 0 THEN i - 1 - (i / 20) % 19 ELSE i END AS k,
           abs(hashint4(i)::bigint) AS h
      FROM generate_series(1, :rows) AS i
  ), p AS (
    SELECT i, k, h,
           (ARRAY['Dawn','Dale','Alexis','Brenda','Tara','Jesse','Jaime','Marcus',
                  'Shelby','Harold','Kristin','Max','Kelli','Colin','Rebekah','Joy',
                  'Evelyn','Alan','Victoria','Roberto','Gina','Terrence','Nina','Wayne']
           )[1 + h % 24] AS first_name,
           (ARRAY['Trevino','Mcknight','Bowen','Hebert','Hayes','Kirk','Wells','Hobbs',
                  'Archer','Clarke','Pacheco','Glass','Huber','Stuart','Lowe','Osborne',
                  'Mcmahon','Odom','Wiley','Sherman','Dyer','Rasmussen','Koch','Bell']
           )[1 + (h / 24) % 24] AS last_name
      FROM g
  )
  SELECT i AS "Index",
         substr(md5(k::text), 1 + (k % 10), 15) AS "User Id",
         first_name AS "First Name",
         last_name AS "Last Name",
         CASE WHEN (h / 577) % 2 = 0 THEN 'Male' ELSE 'Female' END AS "Sex",
         CASE
           WHEN i % 200 = 7 THEN lower(first_name) || lower(last_name) || '.example.com'
           WHEN i % 50 = 3 THEN ' ' || first_name || lower(last_name) || (h % 1000)
                                || '@Example.COM '
           ELSE lower(first_name) || lower(last_name) || (h % 1000) || '@example.'
                || (ARRAY['com','net','org'])[1 + (h / 7) % 3]
         END AS "Email",
         CASE (h / 11) % 4
           WHEN 0 THEN lpad((h % 1000)::text, 3, '0') || '-' || lpad(((h / 1000) % 1000)::text, 3, '0')
                       || '-' || lpad(((h / 7) % 10000)::text, 4, '0')
           WHEN 1 THEN lpad((h % 10000000000)::text, 10, '0')
           WHEN 2 THEN '+1-' || lpad((h % 1000)::text, 3, '0') || '-' || lpad(((h / 1000) % 1000)::text, 3, '0')
                       || '-' || lpad(((h / 7) % 10000)::text, 4, '0') || 'x' || (h % 1000)
           ELSE '(' || lpad((h % 1000)::text, 3, '0') || ')' || lpad(((h / 1000) % 1000)::text, 3, '0')
                || '-' || lpad(((h / 7) % 10000)::text, 4, '0')
         END AS "Phone",
         date '1906-01-01' + ((h / 13) % (date '2022-12-31' - date '1906-01-01' + 1))::int
           AS "Date of birth",
         (ARRAY['Teacher, primary school','Development worker, community','Engineer, civil',
                'Accountant, chartered','Solicitor','Radiographer, diagnostic','Surveyor, mining',
                'Pharmacist, hospital','Data scientist','Chief Executive Officer',
                'Hydrologist','Librarian, public','Nurse, adult','Web designer']
         )[1 + (h / 3) % 14] AS "Job Title"
    FROM p
   ORDER BY i
) TO :'file' WITH (FORMAT csv, HEADER);
SQL
}

input_file() { # <rows> -> prints the path
    local rows=$1 f="$DATA/people-$1.csv"
    local shared="$SHARED/people/people-$rows.csv"
    if [ -f "$shared" ]; then
        "${SUDO[@]}" install -o postgres -g postgres -m 0644 "$shared" "$f"
        log "people-$rows.csv: copied from $shared"
    else
        generate "$rows" "$f"
        log "people-$rows.csv: generated ($rows rows)"
    fi
    echo "$f"
}

# ------------------------------------------------------------------ the two sides

define_pipeline() { # <db> <file>
    q -d "$1" -v file="$2" <<'SQL' >/dev/null
CREATE EXTENSION dataops;
SELECT dataops.create_pipeline('people');
SELECT dataops.add_step('people', 'raw', 'bronze', 'people', source => :'file');
SELECT dataops.add_step('people', 'clean', 'silver', 'people', query => $$
  SELECT user_id, first_name, last_name, sex, lower(trim(email)) AS email, phone,
         date_of_birth::date AS date_of_birth, job_title, _ingested_at
  FROM bronze.people $$);
SELECT dataops.add_step('people', 'people', 'gold', 'people', query => 'SELECT * FROM silver.people',
   unique_key => '{user_id}', keep => 'email');
SELECT dataops.add_expectation('people', 'clean', 'email_valid', 'match_regex', 'email', '{"pattern": "^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$"}', 'drop');
SELECT dataops.add_expectation('people', 'clean', 'user_id_not_null', 'not_null', 'user_id', action => 'fail');
SELECT dataops.add_expectation('people', 'clean', 'birth_date_range', 'between', 'date_of_birth', '{"min": "1900-01-01", "max": "today"}');
SELECT dataops.add_expectation('people', 'clean', 'sex_known', 'in_set', 'sex', '{"values": ["Male", "Female"]}');
SELECT dataops.add_expectation('people', 'people', 'gold_row_count', 'row_count_between', NULL, '{"min": 1, "max": 10000000}', 'fail');
SQL
}

# Sets RUN_ID and SECS.
run_dataops() { # <db> <full_refresh>
    q -d "$1" -c 'CHECKPOINT' >/dev/null
    local t0 t1
    t0=$(now)
    RUN_ID=$(q -d "$1" -c "SELECT dataops.run('people', full_refresh => $2)")
    t1=$(now)
    SECS=$(elapsed "$t0" "$t1")
}

# Sets SECS.
run_hand() { # <db> <file>
    q -d "$1" -c 'DROP TABLE IF EXISTS h_bronze, h_silver, h_quarantine, h_gold' -c 'CHECKPOINT' >/dev/null
    local t0 t1
    t0=$(now)
    q -d "$1" -v file="$2" <<'SQL' >/dev/null
CREATE TABLE h_bronze (index text, user_id text, first_name text, last_name text, sex text,
                       email text, phone text, date_of_birth text, job_title text,
                       _source_file text DEFAULT :'file',
                       _ingested_at timestamptz DEFAULT now(), _run_id bigint);
COPY h_bronze (index, user_id, first_name, last_name, sex, email, phone, date_of_birth, job_title)
  FROM :'file' (FORMAT csv, HEADER true);
CREATE TABLE h_silver AS
  SELECT user_id, first_name, last_name, sex, lower(trim(email)) AS email, phone,
         date_of_birth::date AS date_of_birth, job_title, _ingested_at
    FROM h_bronze;
SELECT count(*), count(*) FILTER (WHERE NOT (email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[a-z]{2,}$'))
  FROM h_silver;
SELECT count(*), count(*) FILTER (WHERE user_id IS NULL) FROM h_silver;
SELECT count(*), count(*) FILTER (WHERE NOT (date_of_birth BETWEEN date '1900-01-01' AND current_date))
  FROM h_silver;
SELECT count(*), count(*) FILTER (WHERE NOT (sex IN ('Male', 'Female'))) FROM h_silver;
CREATE TABLE h_quarantine AS
  SELECT * FROM h_silver WHERE NOT (email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[a-z]{2,}$');
DELETE FROM h_silver WHERE NOT (email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[a-z]{2,}$');
CREATE TABLE h_gold AS
  SELECT DISTINCT ON (user_id) * FROM h_silver ORDER BY user_id, email;
SELECT count(*) FROM h_gold;
SQL
    t1=$(now)
    SECS=$(elapsed "$t0" "$t1")
}

# ------------------------------------------------------------------ main

SUMMARY=()
TABLE=()

# Each round uses a fresh database bench_<n>: the pipeline is defined there,
# run once by dataops, and then the hand-written SQL runs in the same database.
# Every round thus measures the same thing on both sides: a first load that
# creates its tables (a repeat with dataops.run('people', full_refresh => true)
# would instead truncate and replace existing targets).
for n in $SIZES; do
    [[ $n =~ ^[0-9]+$ ]] || die "bad size '$n' in BENCH_SIZES"
    db="bench_$n"
    file=$(input_file "$n")

    echo
    echo "== people $n rows (database $db, file $file)"
    best_d="" best_h="" rows=""
    for ((r = 1; r <= REPEAT; r++)); do
        q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
        define_pipeline "$db" "$file"
        run_dataops "$db" false
        d=$SECS
        run_hand "$db" "$file"
        h=$SECS
        printf '   round %d: dataops %8.3f s   hand-written %8.3f s\n' "$r" "$d" "$h"
        best_d=$(fmin "$d" "$best_d")
        best_h=$(fmin "$h" "$best_h")

        if [ "$r" -eq 1 ]; then
            rows=$(q -d "$db" -c "SELECT rows_read FROM dataops.step_runs WHERE run_id = $RUN_ID AND step = 'raw'")
            echo "   dataops rows per layer (round 1, run $RUN_ID):"
            q -d "$db" -v rid="$RUN_ID" -P format=aligned -P tuples_only=off -P footer=off <<'SQL' | sed '/^$/d; s/^/     /'
SELECT step, layer, target, rows_read, rows_written, duplicates_removed AS dups_removed,
       rows_quarantined AS quarantined, files_ingested AS files
  FROM dataops.step_runs WHERE run_id = :rid ORDER BY started_at, step;
SQL
            q -d "$db" -F ' ' <<'SQL' | awk '{ printf "   hand-written rows: bronze %s, silver %s, quarantine %s, gold %s\n", $1, $2, $3, $4 }'
SELECT (SELECT count(*) FROM h_bronze), (SELECT count(*) FROM h_silver),
       (SELECT count(*) FROM h_quarantine), (SELECT count(*) FROM h_gold);
SQL
            if [ "$r" -lt "$REPEAT" ] \
               && awk -v a="$d" -v b="$h" -v l="$BUDGET" 'BEGIN { exit !(a + b > l) }'; then
                echo "   (first round took longer than ${BUDGET} s; no repeat)"
                break
            fi
        fi
    done

    line=$(awk -v n="$rows" -v d="$best_d" -v h="$best_h" 'BEGIN {
        printf "%s|%.3f|%.3f|%.3f|%.0f", n, d, h, d / h, n / d }')
    TABLE+=("$line")
    SUMMARY+=("$(echo "$line" | awk -F'|' '{
        printf "people %s rows: dataops %.2f s, hand-written %.2f s, ratio %s, %s rows/s", $1, $2, $3, $4, $5 }')")
done

echo
echo "== results (best of up to $REPEAT rounds; wall-clock seconds)"
printf '%10s %12s %14s %8s %14s\n' rows dataops_s hand_written_s ratio dataops_rows/s
for line in "${TABLE[@]}"; do
    IFS='|' read -r n d h ratio rps <<<"$line"
    printf '%10s %12s %14s %8s %14s\n' "$n" "$d" "$h" "$ratio" "$rps"
done
echo
printf '%s\n' "${SUMMARY[@]}"
