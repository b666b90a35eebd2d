#!/usr/bin/env bash
# Benchmarks of dataops against the same work written by hand in SQL.
#
# Sections (BENCH_ONLY selects them, default all, in this order):
#
#   people        the people pipeline run by dataops against the same work
#                 written by hand (COPY, CREATE TABLE AS for silver, one
#                 aggregate query per expectation, DISTINCT ON for the
#                 dedup), at 100,000 and 1,000,000 rows.
#   regex         dataops.regex_match(value, pattern) against PostgreSQL's
#                 `value ~ pattern` on 1,000,000 email-like strings, a
#                 quarter of them invalid, without parallel query.
#                 Goal: time(~) / time(regex_match) >= 4.
#   expectations  one silver step over a 1,000,000-row table checked by 1
#                 and by 10 row-level expectations (and by none, for
#                 reference).  Goal: time(10) / time(1) <= 1.5.
#   people10      the people pipeline with 10 expectations on its silver
#                 step against the hand-written floor that runs each check
#                 as its own aggregate query (as dbt or Great Expectations
#                 would).  Goal: dataops / hand-written <= 1.2.
#   orchestration the overhead of a run: dataops.run() of a one-step
#                 pipeline over a 1-row table, start to finish, p50 and p95
#                 of BENCH_RUNS runs (goal: p50 <= 50 ms); and a DAG of four
#                 independent steps of BENCH_DAG_ROWS rows each with
#                 dataops.max_parallel_steps = 2 against 1 (goal: time(2) <=
#                 0.7 x time(1)).
#   incremental   BENCH_INC_ROWS rows in gold: an incremental run that brings
#                 1% new or changed rows against a full refresh (goal: <= 10%),
#                 and an scd2 step (watermark on _ingested_at, as a change
#                 feed) with 1% changed keys against its full refresh (goal:
#                 <= 15%).
#
# Times are taken inside one psql session per measurement, from the server's
# clock_timestamp(), so psql's start-up is not counted; each figure is the
# best of BENCH_REPEAT measurements.  The goals are printed, not enforced:
# the script fails only when something does not work (or counts differ).
#
# Run through `make bench` (test/pg.sh bench), which starts a throwaway
# cluster with fsync on and exports PGHOST, PGPORT, PGUSER and DATAOPS_BASE.
#
# Environment:
#   BENCH_ONLY           sections to run, space separated
#                        (default: "people regex expectations people10")
#   BENCH_REPEAT         measurements per figure, the best is reported
#                        (default: 3)
#   BENCH_SIZES          people: row counts to run (default: "100000 1000000")
#   BENCH_BUDGET         people, people10: seconds; once a size's first round
#                        took longer than this, its repeats are skipped
#                        (default: 100)
#   BENCH_REGEX_ROWS     regex: strings in the table (default: 1000000)
#   BENCH_EXPECT_ROWS    expectations: rows of the table (default: 1000000)
#   BENCH_PEOPLE10_ROWS  people10: row count (default: 100000)
#   BENCH_RUNS           orchestration: runs timed for the overhead (default: 200)
#   BENCH_DAG_ROWS       orchestration: rows of each DAG step (default: 1000000)
#   BENCH_INC_ROWS       incremental: rows in gold (default: 1000000)
#   DATAOPS_SHARED_DATA  directory holding people/people-<rows>.csv
#                        (default: ../shared/data next to the repository);
#                        a same-shaped file is generated when it is missing
#   BENCH_KEEP           "1" to keep the generated CSV files and databases
set -euo pipefail

SELF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$SELF_DIR")
: "${PGHOST:?PGHOST is not set; run this through 'make bench'}"
: "${DATAOPS_BASE:?DATAOPS_BASE is not set; run this through 'make bench'}"
SHARED=${DATAOPS_SHARED_DATA:-$(dirname "$REPO")/shared/data}
ALL_SECTIONS="people regex expectations people10 orchestration incremental"
SECTIONS=${BENCH_ONLY:-$ALL_SECTIONS}
SIZES=${BENCH_SIZES:-100000 1000000}
REPEAT=${BENCH_REPEAT:-3}
BUDGET=${BENCH_BUDGET:-100}
REGEX_ROWS=${BENCH_REGEX_ROWS:-1000000}
EXPECT_ROWS=${BENCH_EXPECT_ROWS:-1000000}
PEOPLE10_ROWS=${BENCH_PEOPLE10_ROWS:-100000}
RUNS=${BENCH_RUNS:-200}
DAG_ROWS=${BENCH_DAG_ROWS:-1000000}
INC_ROWS=${BENCH_INC_ROWS:-1000000}
DATA="$DATAOPS_BASE/bench-data"

if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo); fi

# Keep the server's NOTICEs out of the output.
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"

log() { echo "bench: $*" >&2; }
die() { log "$*"; exit 1; }

for s in $SECTIONS; do
    [[ " $ALL_SECTIONS " == *" $s "* ]] || die "unknown section '$s' in BENCH_ONLY (known: $ALL_SECTIONS)"
done
for v in REPEAT BUDGET REGEX_ROWS EXPECT_ROWS PEOPLE10_ROWS RUNS DAG_ROWS INC_ROWS; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "bad value '${!v}' for BENCH_$v (a positive integer)"
done
want() { [[ " $SECTIONS " == *" $1 "* ]]; }

# psql, quiet, unaligned, tuples only, stop on the first error.
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

fmin() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a + 0 < b + 0) ? a : b }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# verdict <value> <op> <goal>: "ok" or "MISSED"
verdict() { awk -v v="$1" -v g="$3" -v op="$2" 'BEGIN {
    ok = (op == ">=") ? (v + 0 >= g + 0) : (v + 0 <= g + 0); print ok ? "ok" : "MISSED" }'; }

# Server-side stopwatch, as SQL lines for a psql script: T0 starts it, T1
# prints "TIME|<label>|<seconds>[|<extra>]" (extra: an SQL expression, which
# may use psql variables set with \gset in between).
T0() { printf '%s\n' "SELECT clock_timestamp() AS bench_t0 \\gset"; }
T1() {
    printf "SELECT 'TIME', '%s', round(extract(epoch FROM clock_timestamp() - :'bench_t0'::timestamptz)::numeric, 4)%s;\n" \
        "$1" "${2:+, $2}"
}
# field <label> <n> < output: field n (1-based after the label) of its TIME line
field() { awk -F'|' -v l="$1" -v n="$2" '$1 == "TIME" && $2 == l { print $(n + 2) }'; }

SUMMARY=()
WARNINGS=()

cleanup() {
    if [ "${BENCH_KEEP:-0}" != 1 ]; then
        "${SUDO[@]}" rm -f "$DATA"/people-*.csv 2>/dev/null || true
    fi
}
trap cleanup EXIT

"${SUDO[@]}" install -d -o postgres -g postgres -m 0755 "$DATA"

fresh_db() { # <db>
    q -d postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null
}
drop_db() { # <db>
    [ "${BENCH_KEEP:-0}" = 1 ] || q -d postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null
}

# ------------------------------------------------------------------ people: input files

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
    if [ -f "$f" ]; then
        :
    elif [ -f "$shared" ]; then
        "${SUDO[@]}" install -o postgres -g postgres -m 0644 "$shared" "$f"
        log "people-$rows.csv: copied from $shared"
    else
        generate "$rows" "$f"
        log "people-$rows.csv: generated ($rows rows)"
    fi
    echo "$f"
}

# ------------------------------------------------------------------ people: the two sides

# The pipeline; variant "people" has 4 expectations on silver, "people10" 10.
define_pipeline() { # <db> <file> <variant>
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
    [ "$3" = people10 ] || return 0
    q -d "$1" <<'SQL' >/dev/null
SELECT dataops.add_expectation('people', 'clean', 'user_id_length', 'value_lengths_between', 'user_id', '{"min": 15, "max": 15}');
SELECT dataops.add_expectation('people', 'clean', 'email_not_test', 'not_match_regex', 'email', '{"pattern": "@example\\.invalid$"}');
SELECT dataops.add_expectation('people', 'clean', 'phone_chars', 'match_regex', 'phone', '{"pattern": "^[-0-9+().x ]+$"}');
SELECT dataops.add_expectation('people', 'clean', 'first_name_not_null', 'not_null', 'first_name');
SELECT dataops.add_expectation('people', 'clean', 'last_name_length', 'value_lengths_between', 'last_name', '{"min": 1, "max": 50}');
SELECT dataops.add_expectation('people', 'clean', 'job_title_not_placeholder', 'not_in_set', 'job_title', '{"values": ["", "Unknown"]}');
SQL
}

# Sets RUN_ID and SECS.
run_dataops() { # <db> <full_refresh>
    local out
    out=$(q -d "$1" <<SQL
CHECKPOINT;
$(T0)
SELECT dataops.run('people', full_refresh => $2) AS run_id \gset
$(T1 run ":run_id")
SQL
)
    SECS=$(field run 1 <<<"$out")
    RUN_ID=$(field run 2 <<<"$out")
}

# The hand-written checks on h_silver: one aggregate query per expectation,
# each counting the rows, the non-NULL values and the unexpected ones, and
# printing "CHECK|<expectation>|<rows>|<non-null>|<unexpected>".
hand_checks() { # <variant>
    cat <<'SQL'
SELECT 'CHECK', 'email_valid', count(*), count(email),
       count(*) FILTER (WHERE NOT (email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[a-z]{2,}$')) FROM h_silver;
SELECT 'CHECK', 'user_id_not_null', count(*), count(*), count(*) FILTER (WHERE user_id IS NULL) FROM h_silver;
SELECT 'CHECK', 'birth_date_range', count(*), count(date_of_birth),
       count(*) FILTER (WHERE NOT (date_of_birth BETWEEN date '1900-01-01' AND current_date)) FROM h_silver;
SELECT 'CHECK', 'sex_known', count(*), count(sex),
       count(*) FILTER (WHERE NOT (sex IN ('Male', 'Female'))) FROM h_silver;
SQL
    [ "$1" = people10 ] || return 0
    cat <<'SQL'
SELECT 'CHECK', 'user_id_length', count(*), count(user_id),
       count(*) FILTER (WHERE NOT (char_length(user_id) BETWEEN 15 AND 15)) FROM h_silver;
SELECT 'CHECK', 'email_not_test', count(*), count(email),
       count(*) FILTER (WHERE email ~ '@example\.invalid$') FROM h_silver;
SELECT 'CHECK', 'phone_chars', count(*), count(phone),
       count(*) FILTER (WHERE NOT (phone ~ '^[-0-9+().x ]+$')) FROM h_silver;
SELECT 'CHECK', 'first_name_not_null', count(*), count(*), count(*) FILTER (WHERE first_name IS NULL) FROM h_silver;
SELECT 'CHECK', 'last_name_length', count(*), count(last_name),
       count(*) FILTER (WHERE NOT (char_length(last_name) BETWEEN 1 AND 50)) FROM h_silver;
SELECT 'CHECK', 'job_title_not_placeholder', count(*), count(job_title),
       count(*) FILTER (WHERE job_title IN ('', 'Unknown')) FROM h_silver;
SQL
}

# Compares the unexpected counts of run <run_id> with the CHECK lines on
# stdin (from the hand-written checks) and prints whether they agree; a
# disagreement is also kept for the summary.
compare_checks() { # <db> <run_id> <what>
    local db=$1 rid=$2 what=$3 tag name rows nonnull hand bad=() n=0
    declare -A ours=()
    while IFS='|' read -r name hand; do
        ours[$name]=$hand
    done < <(q -d "$db" -c "SELECT expectation, unexpected_count FROM dataops.expectation_results WHERE run_id = $rid")
    while IFS='|' read -r tag name rows nonnull hand; do
        [ "$tag" = CHECK ] || continue
        n=$((n + 1))
        [ "${ours[$name]:-none}" = "$hand" ] || bad+=("$name: dataops ${ours[$name]:-none}, SQL $hand;")
    done
    if [ ${#bad[@]} -eq 0 ]; then
        echo "   unexpected counts of dataops and of plain SQL agree (expectations compared: $n)"
    else
        echo "   WARNING: unexpected counts of dataops and of plain SQL differ: ${bad[*]}"
        WARNINGS+=("$what: unexpected counts differ from plain SQL: ${bad[*]}")
    fi
}

# Sets SECS.
run_hand() { # <db> <file> <variant>
    local out
    out=$(q -d "$1" -v file="$2" <<SQL
DROP TABLE IF EXISTS h_bronze, h_silver, h_quarantine, h_gold;
CHECKPOINT;
$(T0)
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
$(hand_checks "$3")
CREATE TABLE h_quarantine AS
  SELECT * FROM h_silver WHERE NOT (email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[a-z]{2,}$');
DELETE FROM h_silver WHERE NOT (email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[a-z]{2,}$');
CREATE TABLE h_gold AS
  SELECT DISTINCT ON (user_id) * FROM h_silver ORDER BY user_id, email;
SELECT 'GOLD', count(*) FROM h_gold;
$(T1 hand)
SQL
)
    SECS=$(field hand 1 <<<"$out")
    HAND_OUT=$out
}

# Each round uses a fresh database: the pipeline is defined there, run once
# by dataops, and then the hand-written SQL runs in the same database.  Every
# round thus measures the same thing on both sides: a first load that creates
# its tables (a repeat with dataops.run('people', full_refresh => true) would
# instead truncate and replace existing targets).
# Sets BEST_D, BEST_H and ROWS.
people_rounds() { # <variant> <rows> <db>
    local variant=$1 n=$2 db=$3 file r d h
    file=$(input_file "$n")
    echo "   database $db, file $file"
    BEST_D="" BEST_H="" ROWS=""
    for ((r = 1; r <= REPEAT; r++)); do
        fresh_db "$db"
        define_pipeline "$db" "$file" "$variant"
        run_dataops "$db" false
        d=$SECS
        run_hand "$db" "$file" "$variant"
        h=$SECS
        printf '   round %d: dataops %8.3f s   hand-written %8.3f s\n' "$r" "$d" "$h"
        BEST_D=$(fmin "$d" "$BEST_D")
        BEST_H=$(fmin "$h" "$BEST_H")

        if [ "$r" -eq 1 ]; then
            ROWS=$(q -d "$db" -c "SELECT rows_read FROM dataops.step_runs WHERE run_id = $RUN_ID AND step = 'raw'")
            echo "   dataops rows per layer (round 1, run $RUN_ID):"
            q -d "$db" -v rid="$RUN_ID" -P format=aligned -P tuples_only=off -P footer=off <<'SQL' | sed '/^$/d; s/^/     /'
SELECT step, layer, target, rows_read, rows_written, duplicates_removed AS dups_removed,
       rows_quarantined AS quarantined, files_ingested AS files,
       round(extract(epoch FROM finished_at - started_at)::numeric, 3) AS secs
  FROM dataops.step_runs WHERE run_id = :rid ORDER BY started_at, step;
SQL
            echo "   dataops expectation results (round 1):"
            q -d "$db" -v rid="$RUN_ID" -P format=aligned -P tuples_only=off -P footer=off <<'SQL' | sed '/^$/d; s/^/     /'
SELECT step, expectation, kind, action, element_count AS elements, missing_count AS missing,
       unexpected_count AS unexpected, success
  FROM dataops.expectation_results WHERE run_id = :rid ORDER BY step, expectation;
SQL
            q -d "$db" -F ' ' <<'SQL' | awk '{ printf "   hand-written rows: bronze %s, silver %s, quarantine %s, gold %s\n", $1, $2, $3, $4 }'
SELECT (SELECT count(*) FROM h_bronze), (SELECT count(*) FROM h_silver),
       (SELECT count(*) FROM h_quarantine), (SELECT count(*) FROM h_gold);
SQL
            compare_checks "$db" "$RUN_ID" "$variant $n rows" <<<"$HAND_OUT"
            if [ "$r" -lt "$REPEAT" ] \
               && awk -v a="$d" -v b="$h" -v l="$BUDGET" 'BEGIN { exit !(a + b > l) }'; then
                echo "   (first round took longer than ${BUDGET} s; no repeat)"
                break
            fi
        fi
    done
    drop_db "$db"
}

# ------------------------------------------------------------------ section: people

bench_people() {
    local n line TABLE=()
    for n in $SIZES; do
        [[ $n =~ ^[0-9]+$ ]] || die "bad size '$n' in BENCH_SIZES"
        echo
        echo "== people $n rows: dataops against hand-written SQL (4 expectations on silver)"
        people_rounds people "$n" "bench_$n"
        line=$(awk -v n="$ROWS" -v d="$BEST_D" -v h="$BEST_H" 'BEGIN {
            printf "%s|%.3f|%.3f|%.3f|%.0f", n, d, h, d / h, n / d }')
        TABLE+=("$line")
        SUMMARY+=("$(echo "$line" | awk -F'|' '{
            printf "people %s rows: dataops %.3f s, hand-written %.3f s, ratio %s, %s rows/s", $1, $2, $3, $4, $5 }')")
    done
    echo
    echo "== people results (best of up to $REPEAT rounds; seconds)"
    printf '%10s %12s %14s %8s %14s\n' rows dataops_s hand_written_s ratio dataops_rows/s
    for line in "${TABLE[@]}"; do
        IFS='|' read -r n d h r rps <<<"$line"
        printf '%10s %12s %14s %8s %14s\n' "$n" "$d" "$h" "$r" "$rps"
    done
}

# ------------------------------------------------------------------ section: regex

REGEX_PATTERN='^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$'

bench_regex() {
    local db=bench_regex n=$REGEX_ROWS expected script out r tp tr np nr best_p="" best_r=""
    expected=$((n - n / 4))
    echo
    echo "== regex: dataops.regex_match(email, pattern) against email ~ pattern"
    echo "   $n strings, $((n / 4)) invalid (database $db, max_parallel_workers_per_gather = 0)"
    echo "   pattern $REGEX_PATTERN"
    fresh_db "$db"
    # Valid: local part and domain from md5(i), with '.', '_', '+', '-' and
    # upper case here and there, varied top-level domains.  Invalid (every
    # 4th row), five ways: no @, two @, a one-letter TLD, a space in the
    # local part, a numeric TLD.
    q -d "$db" -v rows="$n" <<'SQL' >/dev/null
CREATE EXTENSION dataops;
CREATE UNLOGGED TABLE bench_regex AS
  WITH g AS (
    SELECT i, md5(i::text) AS m, md5('d' || i) AS d FROM generate_series(1, :rows) AS i
  ), p AS (
    SELECT i,
           CASE WHEN i % 3 = 0 THEN upper(substr(m, 1, 4)) ELSE substr(m, 1, 4) END
             || (ARRAY['.', '_', '+', '-', '', ''])[1 + i % 6] || substr(m, 5, 2 + i % 11) AS local,
           substr(d, 1, 3 + i % 9) || CASE WHEN i % 7 = 0 THEN '.mail' ELSE '' END AS domain,
           (ARRAY['com', 'net', 'org', 'io', 'info', 'de', 'co.uk', 'fr'])[1 + (i / 5) % 8] AS tld
      FROM g
  )
  SELECT i AS id,
         CASE WHEN i % 4 = 0 THEN
           CASE (i / 4) % 5
             WHEN 0 THEN local || domain || '.' || tld
             WHEN 1 THEN local || '@' || substr(domain, 1, 3) || '@' || domain || '.' || tld
             WHEN 2 THEN local || '@' || domain || '.c'
             WHEN 3 THEN local || ' x@' || domain || '.' || tld
             ELSE local || '@' || domain || '.' || (i % 1000)
           END
         ELSE local || '@' || domain || '.' || tld
         END AS email
    FROM p;
VACUUM ANALYZE bench_regex;
SQL
    q -d "$db" -F ' ' -c "SELECT 'table: ' || pg_size_pretty(pg_table_size('bench_regex')) || ', e.g. '
        || string_agg(email, '  ' ORDER BY id) FROM (SELECT * FROM bench_regex ORDER BY id LIMIT 8) s" \
        | sed 's/^/   /'

    # One session: a warm-up of each side, then REPEAT rounds of both.
    script="SET max_parallel_workers_per_gather = 0;
SELECT count(*) FILTER (WHERE dataops.regex_match(email, :'pat')) FROM bench_regex;
SELECT count(*) FILTER (WHERE email ~ :'pat') FROM bench_regex;"
    for ((r = 1; r <= REPEAT; r++)); do
        script+="
$(T0)
SELECT count(*) FILTER (WHERE dataops.regex_match(email, :'pat')) AS n FROM bench_regex \\gset
$(T1 "pcre$r" ":n")
$(T0)
SELECT count(*) FILTER (WHERE email ~ :'pat') AS n FROM bench_regex \\gset
$(T1 "pg$r" ":n")"
    done
    out=$(q -d "$db" -v pat="$REGEX_PATTERN" <<<"$script")
    for ((r = 1; r <= REPEAT; r++)); do
        tp=$(field "pcre$r" 1 <<<"$out"); np=$(field "pcre$r" 2 <<<"$out")
        tr=$(field "pg$r" 1 <<<"$out"); nr=$(field "pg$r" 2 <<<"$out")
        printf '   round %d: regex_match %8.3f s (%s matches)   ~ %8.3f s (%s matches)\n' \
            "$r" "$tp" "$np" "$tr" "$nr"
        [ "$np" = "$nr" ] || die "regex: regex_match matched $np rows, ~ matched $nr"
        [ "$np" = "$expected" ] || die "regex: $np rows matched, expected $expected"
        best_p=$(fmin "$tp" "$best_p")
        best_r=$(fmin "$tr" "$best_r")
    done
    local sp v
    sp=$(ratio "$best_r" "$best_p")
    v=$(verdict "$sp" ">=" 4)
    echo "   best: regex_match $best_p s, ~ $best_r s"
    echo "   speedup time(~)/time(regex_match) = $sp   (goal >= 4: $v)"
    SUMMARY+=("regex $n strings: regex_match $best_p s, ~ $best_r s, speedup $sp (goal >= 4: $v)")
    drop_db "$db"
}

# ------------------------------------------------------------------ section: expectations

bench_expectations() {
    local db=bench_expect n=$EXPECT_ROWS out r p t checks
    declare -A best=()
    echo
    echo "== expectations: one silver step over $n rows with 0, 1 and 10 row-level expectations"
    echo "   (database $db; all expectations warn; each pipeline run once to create its target)"
    fresh_db "$db"
    # ~1% invalid emails, 0.1% @example.invalid, and a few out-of-range or
    # ill-formed values in the other checked columns.
    q -d "$db" -v rows="$n" <<'SQL' >/dev/null
CREATE EXTENSION dataops;
CREATE TABLE public.expect_src AS
  SELECT i::bigint AS id,
         CASE WHEN i % 100 = 0 THEN substr(md5(i::text), 1, 10) || '.example.com'
              WHEN i % 1000 = 1 THEN 'user' || i || '@example.invalid'
              ELSE substr(md5(i::text), 1, 6 + i % 10) || '@'
                   || (ARRAY['example', 'mail', 'corp'])[1 + i % 3] || '.'
                   || (ARRAY['com', 'net', 'org', 'io'])[1 + (i / 3) % 4]
         END AS email,
         CASE WHEN i % 500 = 0 THEN 150 ELSE 18 + i % 70 END AS age,
         CASE WHEN i % 997 = 0 THEN 'ZZ'
              ELSE (ARRAY['FR', 'DE', 'US', 'GB', 'ES', 'IT', 'NL', 'BE', 'CH', 'SE'])[1 + (i / 7) % 10]
         END AS country,
         CASE WHEN i % 2000 = 0 THEN NULL ELSE date '2015-01-01' + i % 3000 END AS signup,
         CASE WHEN i % 1500 = 0 THEN '2021-02-30'
              ELSE to_char(date '2015-01-01' + i % 3000, 'YYYY-MM-DD')
         END AS signup_text,
         CASE WHEN i % 800 = 0 THEN 120.5 ELSE round((i % 10000) / 100.0, 2) END AS score,
         CASE WHEN i % 1200 = 0 THEN upper(substr(md5('c' || i), 1, 7))
              ELSE upper(substr(md5('c' || i), 1, 8))
         END AS code,
         CASE WHEN i % 900 = 0 THEN 'banned' ELSE (ARRAY['active', 'paused', 'trial'])[1 + i % 3] END AS status
    FROM generate_series(1, :rows) AS i;
VACUUM ANALYZE public.expect_src;

SELECT dataops.create_pipeline(p) FROM unnest(ARRAY['e0', 'e1', 'e10']) AS p;
SELECT dataops.add_step(p, 'clean', 'silver', p, query => $$
  SELECT id, email, age, country, signup, signup_text, score, code, status FROM public.expect_src $$)
  FROM unnest(ARRAY['e0', 'e1', 'e10']) AS p;
SELECT dataops.add_expectation(p, 'clean', 'email_valid', 'match_regex', 'email',
                               '{"pattern": "^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$"}')
  FROM unnest(ARRAY['e1', 'e10']) AS p;
SELECT dataops.add_expectation('e10', 'clean', 'id_not_null', 'not_null', 'id');
SELECT dataops.add_expectation('e10', 'clean', 'age_range', 'between', 'age', '{"min": 0, "max": 120}');
SELECT dataops.add_expectation('e10', 'clean', 'country_known', 'in_set', 'country',
                               '{"values": ["FR", "DE", "US", "GB", "ES", "IT", "NL", "BE", "CH", "SE"]}');
SELECT dataops.add_expectation('e10', 'clean', 'code_length', 'value_lengths_between', 'code', '{"min": 8, "max": 8}');
SELECT dataops.add_expectation('e10', 'clean', 'email_not_test', 'not_match_regex', 'email',
                               '{"pattern": "@example\\.invalid$"}');
SELECT dataops.add_expectation('e10', 'clean', 'score_range', 'between', 'score', '{"min": 0, "max": 100}');
SELECT dataops.add_expectation('e10', 'clean', 'signup_not_null', 'not_null', 'signup');
SELECT dataops.add_expectation('e10', 'clean', 'signup_text_format', 'match_strftime_format', 'signup_text',
                               '{"format": "%Y-%m-%d"}');
SELECT dataops.add_expectation('e10', 'clean', 'status_not_banned', 'not_in_set', 'status',
                               '{"values": ["banned", "deleted"]}');
SQL
    q -d "$db" -c "SELECT '   source table: ' || pg_size_pretty(pg_table_size('public.expect_src'))"
    # The same checks in plain SQL, to check dataops' counts against.
    checks=$(q -d "$db" <<'SQL'
SELECT 'CHECK', 'email_valid', count(*), count(email),
       count(*) FILTER (WHERE NOT (email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[a-z]{2,}$')) FROM expect_src;
SELECT 'CHECK', 'id_not_null', count(*), count(*), count(*) FILTER (WHERE id IS NULL) FROM expect_src;
SELECT 'CHECK', 'age_range', count(*), count(age), count(*) FILTER (WHERE NOT (age BETWEEN 0 AND 120)) FROM expect_src;
SELECT 'CHECK', 'country_known', count(*), count(country),
       count(*) FILTER (WHERE NOT (country IN ('FR', 'DE', 'US', 'GB', 'ES', 'IT', 'NL', 'BE', 'CH', 'SE'))) FROM expect_src;
SELECT 'CHECK', 'code_length', count(*), count(code), count(*) FILTER (WHERE char_length(code) <> 8) FROM expect_src;
SELECT 'CHECK', 'email_not_test', count(*), count(email), count(*) FILTER (WHERE email ~ '@example\.invalid$') FROM expect_src;
SELECT 'CHECK', 'score_range', count(*), count(score), count(*) FILTER (WHERE NOT (score BETWEEN 0 AND 100)) FROM expect_src;
SELECT 'CHECK', 'signup_not_null', count(*), count(*), count(*) FILTER (WHERE signup IS NULL) FROM expect_src;
-- a real date in YYYY-MM-DD form
SELECT 'CHECK', 'signup_text_format', count(*), count(signup_text), count(*) FILTER (WHERE
         CASE WHEN signup_text ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$'
              THEN substr(signup_text, 9, 2)::int > extract(day FROM make_date(substr(signup_text, 1, 4)::int,
                     substr(signup_text, 6, 2)::int, 1) + interval '1 month - 1 day')
              ELSE true END)
  FROM expect_src;
SELECT 'CHECK', 'status_not_banned', count(*), count(status),
       count(*) FILTER (WHERE status IN ('banned', 'deleted')) FROM expect_src;
SQL
)

    # One session: a warm-up run of each pipeline (creates the targets), then
    # REPEAT rounds of the three, each run after a CHECKPOINT.
    local script="SELECT dataops.run(p) FROM unnest(ARRAY['e0', 'e1', 'e10']) AS p;"
    for ((r = 1; r <= REPEAT; r++)); do
        for p in e0 e1 e10; do
            script+="
CHECKPOINT;
$(T0)
SELECT dataops.run('$p') AS run_id \\gset
$(T1 "$p.$r" ":run_id")"
        done
    done
    out=$(q -d "$db" <<<"$script")
    for ((r = 1; r <= REPEAT; r++)); do
        printf '   round %d:' "$r"
        for p in e0 e1 e10; do
            t=$(field "$p.$r" 1 <<<"$out")
            printf '   %2s exp %8.3f s' "${p#e}" "$t"
            best[$p]=$(fmin "$t" "${best[$p]:-}")
        done
        echo
    done
    echo "   expectation results of the last 10-expectation run:"
    q -d "$db" -v rid="$(field "e10.$REPEAT" 2 <<<"$out")" -P format=aligned -P tuples_only=off -P footer=off <<'SQL' | sed '/^$/d; s/^/     /'
SELECT expectation, kind, element_count AS elements, missing_count AS missing,
       unexpected_count AS unexpected, success
  FROM dataops.expectation_results WHERE run_id = :rid ORDER BY expectation;
SQL
    compare_checks "$db" "$(field "e10.$REPEAT" 2 <<<"$out")" "expectations (10)" <<<"$checks"
    compare_checks "$db" "$(field "e1.$REPEAT" 2 <<<"$out")" "expectations (1)" <<<"$(grep '|email_valid|' <<<"$checks")"
    local r10 r1 v
    r10=$(ratio "${best[e10]}" "${best[e1]}")
    r1=$(ratio "${best[e1]}" "${best[e0]}")
    v=$(verdict "$r10" "<=" 1.5)
    echo "   best: 0 expectations ${best[e0]} s (reference), 1 expectation ${best[e1]} s, 10 expectations ${best[e10]} s"
    echo "   ratio time(1)/time(0) = $r1 (reference)"
    echo "   ratio time(10)/time(1) = $r10   (goal <= 1.5: $v)"
    SUMMARY+=("expectations $n rows: 0 exp ${best[e0]} s, 1 exp ${best[e1]} s, 10 exp ${best[e10]} s, ratio 10/1 $r10 (goal <= 1.5: $v)")
    drop_db "$db"
}

# ------------------------------------------------------------------ section: people10

bench_people10() {
    local n=$PEOPLE10_ROWS r v
    echo
    echo "== people10 $n rows: dataops (10 expectations on silver) against hand-written SQL (one query per check)"
    people_rounds people10 "$n" "bench10_$n"
    r=$(ratio "$BEST_D" "$BEST_H")
    v=$(verdict "$r" "<=" 1.2)
    echo "   best: dataops $BEST_D s, hand-written $BEST_H s"
    echo "   ratio dataops/hand-written = $r   (goal <= 1.2: $v)"
    SUMMARY+=("people10 $ROWS rows: dataops $BEST_D s, hand-written $BEST_H s, ratio $r (goal <= 1.2: $v)")
}

# ------------------------------------------------------------------ section: orchestration

# Sets dataops.max_parallel_steps and waits until the scheduler has reloaded it.
set_parallel_steps() { # <n>
    q -d postgres -c "ALTER SYSTEM SET dataops.max_parallel_steps = $1" -c "SELECT pg_reload_conf()" >/dev/null
    sleep 2
}

bench_orchestration() {
    local db=bench_orch out p50 p95 v t r n
    declare -A best=()
    echo
    echo "== orchestration: run overhead ($RUNS runs of a one-step pipeline over a 1-row table)"
    fresh_db "$db"
    q -d "$db" <<'SQL' >/dev/null
CREATE EXTENSION dataops;
CREATE TABLE public.one AS SELECT 1 AS id;
SELECT dataops.create_pipeline('tiny');
SELECT dataops.add_step('tiny', 's', 'silver', 'tiny', query => 'SELECT id FROM public.one');
SELECT dataops.run('tiny');
SQL
    # Each run timed by the caller, start (run() called) to finish (run()
    # returned); timings kept in a variable, as run() refuses a transaction
    # that has written.
    out=$(q -d "$db" -v runs="$RUNS" <<'SQL'
CREATE TEMP TABLE timings (ms float8);
SET bench.runs = :'runs';
DO $$
DECLARE
  t timestamptz;
  ms float8[] := '{}';
BEGIN
  FOR i IN 1..current_setting('bench.runs')::int LOOP
    t := clock_timestamp();
    PERFORM dataops.run('tiny');
    ms := ms || extract(epoch FROM clock_timestamp() - t) * 1000;
  END LOOP;
  PERFORM set_config('bench.ms', array_to_string(ms, ','), false);
END $$;
INSERT INTO timings SELECT unnest(string_to_array(current_setting('bench.ms'), ','))::float8;
SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1),
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY ms)::numeric, 1),
       round(min(ms)::numeric, 1), round(max(ms)::numeric, 1), count(*) FROM timings;
SQL
)
    p50=$(cut -d'|' -f1 <<<"$out"); p95=$(cut -d'|' -f2 <<<"$out")
    echo "   run() start to finish: p50 $p50 ms, p95 $p95 ms, min $(cut -d'|' -f3 <<<"$out") ms, max $(cut -d'|' -f4 <<<"$out") ms ($(cut -d'|' -f5 <<<"$out") runs)"
    echo "   inside the server (queued_at to finished_at): $(q -d "$db" -c "SELECT 'p50 ' || round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1) || ' ms, queued to running p50 ' || round(percentile_cont(0.5) WITHIN GROUP (ORDER BY q)::numeric, 1) || ' ms' FROM (SELECT extract(epoch FROM finished_at - queued_at) * 1000 AS ms, extract(epoch FROM started_at - queued_at) * 1000 AS q FROM dataops.runs WHERE pipeline = 'tiny') x")"
    v=$(verdict "$p50" "<=" 50)
    echo "   goal p50 <= 50 ms: $v"
    SUMMARY+=("orchestration: run overhead p50 $p50 ms, p95 $p95 ms (goal p50 <= 50 ms: $v)")

    echo
    echo "== orchestration: a DAG of four independent $DAG_ROWS-row steps, max_parallel_steps 2 against 1"
    q -d "$db" -v rows="$DAG_ROWS" <<'SQL' >/dev/null
CREATE TABLE public.dag_src AS SELECT g AS id, md5(g::text) AS h FROM generate_series(1, :rows) g;
VACUUM ANALYZE public.dag_src;
SELECT dataops.create_pipeline('dag4');
SELECT dataops.add_step('dag4', 's' || i, 'silver', 'dag_' || i,
       query => 'SELECT id, h, upper(h) AS u FROM public.dag_src') FROM generate_series(1, 4) i;
SELECT dataops.run('dag4');
SQL
    for ((r = 1; r <= REPEAT; r++)); do
        for n in 1 2; do
            set_parallel_steps "$n"
            t=$(q -d "$db" <<SQL | awk -F'|' '$1 == "TIME" { print $3 }'
CHECKPOINT;
$(T0)
SELECT dataops.run('dag4');
$(T1 "dag$n")
SQL
)
            echo "   round $r: max_parallel_steps $n: $t s"
            best[$n]=$(fmin "$t" "${best[$n]:-}")
        done
    done
    q -d postgres -c "ALTER SYSTEM RESET dataops.max_parallel_steps" -c "SELECT pg_reload_conf()" >/dev/null
    r=$(ratio "${best[2]}" "${best[1]}")
    v=$(verdict "$r" "<=" 0.7)
    echo "   best: 1 step at a time ${best[1]} s, 2 at a time ${best[2]} s"
    echo "   ratio time(2)/time(1) = $r   (goal <= 0.7: $v)"
    SUMMARY+=("orchestration: DAG of 4 x $DAG_ROWS rows: 1 at a time ${best[1]} s, 2 at a time ${best[2]} s, ratio $r (goal <= 0.7: $v)")
    drop_db "$db"
}

# ------------------------------------------------------------------ section: incremental

# Times one run of pipeline $2 in database $1 (full_refresh $3), after a CHECKPOINT; prints seconds.
time_run() {
    q -d "$1" <<SQL | awk -F'|' '$1 == "TIME" { print $3 }'
CHECKPOINT;
$(T0)
SELECT dataops.run('$2', full_refresh => $3);
$(T1 run)
SQL
}

bench_incremental() {
    local db=bench_inc n=$INC_ROWS k=$((INC_ROWS / 200)) r t v ri rs
    declare -A best=()
    echo
    echo "== incremental: $n rows in gold, 1% new or changed rows ($k new, $k changed) against a full refresh"
    fresh_db "$db"
    q -d "$db" -v rows="$n" <<'SQL' >/dev/null
CREATE EXTENSION dataops;
CREATE TABLE public.src (id bigint, v text, amount numeric, _ingested_at timestamptz);
INSERT INTO public.src SELECT g, md5(g::text), g % 1000, '2026-01-01' FROM generate_series(1, :rows) g;
VACUUM ANALYZE public.src;
SELECT dataops.create_pipeline('inc');
SELECT dataops.add_step('inc', 'orders', 'gold', 'inc_orders', query => 'SELECT id, v, amount, _ingested_at FROM public.src',
       unique_key => '{id}', keep => '_ingested_at DESC', options => '{"materialization": "incremental"}');
SELECT dataops.create_pipeline('scd');
SELECT dataops.add_step('scd', 'orders', 'gold', 'scd_orders', query => 'SELECT id, v, amount, _ingested_at FROM public.src',
       unique_key => '{id}', keep => '_ingested_at DESC',
       options => '{"materialization": "scd2", "watermark": "_ingested_at", "track_columns": ["v", "amount"]}');
SELECT dataops.run('inc');
SELECT dataops.run('scd');
SQL
    for ((r = 1; r <= REPEAT; r++)); do
        # 1%: k changed keys and k new ones, arriving later
        q -d "$db" -v k="$k" -v n="$n" -v r="$r" <<'SQL' >/dev/null
INSERT INTO public.src
  SELECT g, md5(g::text || :'r'), g % 1000 + 1, '2026-01-02'::timestamptz + make_interval(hours => :r)
    FROM generate_series(:n - :k + 1 + (:r - 1) * :k, :n + :r * :k) g;
SQL
        t=$(time_run "$db" inc false); echo "   round $r: incremental run $t s"; best[inc]=$(fmin "$t" "${best[inc]:-}")
        t=$(time_run "$db" scd false); echo "   round $r: scd2 run $t s"; best[scd]=$(fmin "$t" "${best[scd]:-}")
        t=$(time_run "$db" inc true); echo "   round $r: incremental full refresh $t s"; best[incf]=$(fmin "$t" "${best[incf]:-}")
        t=$(time_run "$db" scd true); echo "   round $r: scd2 full refresh $t s"; best[scdf]=$(fmin "$t" "${best[scdf]:-}")
    done
    echo "   rows merged by the last incremental run: $(q -d "$db" -c "SELECT rows_inserted || ' inserted, ' || rows_updated || ' updated' FROM dataops.step_runs s JOIN dataops.runs r USING (run_id) WHERE r.pipeline = 'inc' AND NOT r.full_refresh ORDER BY run_id DESC LIMIT 1")"
    echo "   versions of the last scd2 run: $(q -d "$db" -c "SELECT rows_inserted || ' opened, ' || rows_updated || ' closed' FROM dataops.step_runs s JOIN dataops.runs r USING (run_id) WHERE r.pipeline = 'scd' AND NOT r.full_refresh ORDER BY run_id DESC LIMIT 1")"
    ri=$(ratio "${best[inc]}" "${best[incf]}")
    rs=$(ratio "${best[scd]}" "${best[scdf]}")
    v=$(verdict "$ri" "<=" 0.10)
    echo "   best: incremental ${best[inc]} s, full refresh ${best[incf]} s, ratio $ri (goal <= 0.10: $v)"
    SUMMARY+=("incremental $n rows, 1% new or changed: ${best[inc]} s vs full refresh ${best[incf]} s, ratio $ri (goal <= 0.10: $v)")
    v=$(verdict "$rs" "<=" 0.15)
    echo "   best: scd2 ${best[scd]} s, full refresh ${best[scdf]} s, ratio $rs (goal <= 0.15: $v)"
    SUMMARY+=("scd2 $n rows, 1% changed keys: ${best[scd]} s vs full refresh ${best[scdf]} s, ratio $rs (goal <= 0.15: $v)")
    drop_db "$db"
}

# ------------------------------------------------------------------ main

echo "dataops benchmarks: sections \"$SECTIONS\", best of $REPEAT; server $(q -d postgres -c 'SHOW server_version'),"
echo "jit $(q -d postgres -c 'SHOW jit'), shared_buffers $(q -d postgres -c 'SHOW shared_buffers'),\
 work_mem $(q -d postgres -c 'SHOW work_mem'), fsync $(q -d postgres -c 'SHOW fsync')"
for s in $ALL_SECTIONS; do
    want "$s" && "bench_$s"
done

echo
echo "== summary (seconds, server clock; best of up to $REPEAT)"
printf '%s\n' "${SUMMARY[@]}"
if [ ${#WARNINGS[@]} -gt 0 ]; then
    echo
    echo "== warnings"
    printf '%s\n' "${WARNINGS[@]}"
fi
