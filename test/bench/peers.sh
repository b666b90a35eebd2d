#!/usr/bin/env bash
# dataops against Dataform 1.20.2 running the same people pipeline on the same
# server (issue 13, goal 2: dataops >= 1.4 x faster end to end at 1M and 5M
# rows).
#
# The pipeline (test/bench/people.sql, as test/bench.sh's define_pipeline):
#   bronze  the CSV file loaded into bronze.people
#   silver  silver.people: lower(trim(email)), date_of_birth::date; rows whose
#           email is not valid go to silver.people_quarantine (a NULL email is
#           kept); checks: email valid, user_id not null, birth date in
#           1900-01-01..today, sex in (Male, Female)
#   gold    gold.people: one row per user_id, the smallest email kept; check:
#           1 <= row count <= 10,000,000
#
# dataops: a fresh database, the pipeline defined, then dataops.run('people')
# timed (wall clock of the psql call that runs it).
# Dataform: a fresh database; timed as the wall clock of
#   1. psql: CREATE TABLE bronze.people + COPY of the file (Dataform cannot
#      ingest files; its bronze is declared, not built), then
#   2. `dataform run` of a project (Node start-up, compilation and its
#      warehouse state queries included) that builds silver.people_staged (a
#      view with the silver transforms), silver.people and
#      silver.people_quarantine (tables), gold.people (a table, DISTINCT ON),
#      the four silver checks as Dataform assertions (nonNull and
#      rowConditions on silver.people) and a row-count assertion on gold.
# `dataform run` alone is reported too.
#
# Rounds are interleaved (the contender that goes first alternates), each in a
# fresh database after a CHECKPOINT.  Per round: both times and the ratio
# dataform/dataops; per size: min and median of each and the median of the
# per-round ratios against the goal.  Row counts per layer and the outcome of
# every check are compared between the two; the script fails when row counts
# differ (or either side fails).
#
# Run through `make bench-peers` (test/pg.sh bench-peers), which starts a
# throwaway cluster with fsync on, SSL and a scram-sha-256 hostssl line for
# 127.0.0.1, and exports PGHOST, PGPORT, PGUSER and DATAOPS_BASE.
#
# Environment:
#   BENCH_PEERS_SIZES   row counts (default: "1000000 5000000")
#   BENCH_PEERS_REPEAT  interleaved rounds per size (default: 3)
#   DATAOPS_SHARED_DATA directory holding people/people-<rows>.csv (default:
#                       ../shared/data next to the repository); a same-shaped
#                       file is generated when it is missing
#   BENCH_KEEP          "1" to keep the Dataform folder, the generated CSV
#                       files and the last databases
set -euo pipefail

SELF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$(dirname "$SELF_DIR")")
: "${PGHOST:?PGHOST is not set; run this through 'make bench-peers'}"
: "${PGPORT:?PGPORT is not set; run this through 'make bench-peers'}"
: "${DATAOPS_BASE:?DATAOPS_BASE is not set; run this through 'make bench-peers'}"
SHARED=${DATAOPS_SHARED_DATA:-$(dirname "$REPO")/shared/data}
SIZES=${BENCH_PEERS_SIZES:-1000000 5000000}
REPEAT=${BENCH_PEERS_REPEAT:-3}
GOAL=1.4
DF_VERSION=1.20.2
VM2_VERSION=3.9.19
DF_ROLE=dataform_bench
DB_DO=peers_dataops
DB_DF=peers_dataform
DATA="$DATAOPS_BASE/peers-data"

if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo); fi
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"

log() { echo "peers: $*" >&2; }
die() { log "$*"; exit 1; }

[[ $REPEAT =~ ^[1-9][0-9]*$ ]] || die "bad value '$REPEAT' for BENCH_PEERS_REPEAT (a positive integer)"
for n in $SIZES; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || die "bad size '$n' in BENCH_PEERS_SIZES"
done

# psql, quiet, unaligned, tuples only, stop on the first error.
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# min and median of the numbers in the arguments
minof() { printf '%s\n' "$@" | sort -g | head -n 1; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    if (NR % 2) printf "%.3f", v[(NR + 1) / 2]; else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

WORK=""
cleanup() {
    if [ "${BENCH_KEEP:-0}" != 1 ]; then
        [ -n "$WORK" ] && rm -rf "$WORK"
        "${SUDO[@]}" rm -f "$DATA"/people-*.csv 2>/dev/null || true
    else
        [ -n "$WORK" ] && log "kept the Dataform folder $WORK"
    fi
}
trap cleanup EXIT

fresh_db() { # <db>
    q -d postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null
}
drop_db() { # <db>
    [ "${BENCH_KEEP:-0}" = 1 ] || q -d postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null
}

# ------------------------------------------------------------------ input files

# A copy of test/bench.sh's generate(): writes a people-shaped CSV of $1 rows
# to $2, on the server (as postgres): ~5% of the rows repeat an earlier user id
# (with another email), ~0.5% have an invalid email, ~2% an email needing
# trim/lower, dates 1906..2022.
generate() { # <rows> <file>
    q -d postgres -v rows="$1" -v file="$2" -f "$SELF_DIR/people_csv.sql" >/dev/null
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

# ------------------------------------------------------------------ Dataform

# Node and npm from Debian when missing (Debian 12 ships Node 18).
need_node() {
    command -v node >/dev/null && command -v npm >/dev/null && return 0
    log "installing nodejs and npm"
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
}

# package.json for Dataform $DF_VERSION (<dependencies> as the body of a JSON
# object), with vm2 (the sandbox Dataform compiles projects in) pinned to
# $VM2_VERSION by an npm override, as issue 13 prescribes.
package_json() { # <name> <dependencies>
    cat <<EOF
{
  "name": "$1",
  "private": true,
  "dependencies": { $2 },
  "overrides": { "vm2": "$VM2_VERSION" }
}
EOF
}

# The Dataform project for the people pipeline, in $1.
write_project() { # <dir>
    local d=$1
    mkdir -p "$d/definitions"
    package_json people-dataform "\"@dataform/core\": \"$DF_VERSION\"" >"$d/package.json"
    cat >"$d/dataform.json" <<'EOF'
{
  "warehouse": "postgres",
  "defaultSchema": "silver",
  "assertionSchema": "dataform_assertions"
}
EOF
    # bronze is loaded by COPY before `dataform run`: declared only
    cat >"$d/definitions/bronze_people.sqlx" <<'EOF'
config { type: "declaration", schema: "bronze", name: "people" }
EOF
    # the silver transforms, once, as a view the two tables read
    cat >"$d/definitions/silver_people_staged.sqlx" <<'EOF'
config { type: "view", schema: "silver", name: "people_staged" }
SELECT user_id, first_name, last_name, sex, lower(trim(email)) AS email, phone,
       date_of_birth::date AS date_of_birth, job_title, _ingested_at
  FROM ${ref("bronze", "people")}
EOF
    # silver: valid or NULL emails, with the four checks (text in a row
    # condition must be dollar-quoted: Dataform puts each condition into a
    # single-quoted label)
    cat >"$d/definitions/silver_people.sqlx" <<'EOF'
config {
  type: "table", schema: "silver", name: "people",
  assertions: {
    nonNull: ["user_id"],
    rowConditions: [
      "email IS NULL OR email ~ $re$^[^@[:space:]]+@[^@[:space:]]+\\.[a-z]{2,}$$re$",
      "date_of_birth IS NULL OR date_of_birth BETWEEN date $d$1900-01-01$d$ AND current_date",
      "sex IS NULL OR sex IN ($s$Male$s$, $s$Female$s$)"
    ]
  }
}
SELECT * FROM ${ref("silver", "people_staged")}
 WHERE email IS NULL OR email ~ $re$^[^@[:space:]]+@[^@[:space:]]+\.[a-z]{2,}$$re$
EOF
    # the rows dataops' drop action quarantines
    cat >"$d/definitions/silver_people_quarantine.sqlx" <<'EOF'
config { type: "table", schema: "silver", name: "people_quarantine" }
SELECT * FROM ${ref("silver", "people_staged")}
 WHERE NOT (email ~ $re$^[^@[:space:]]+@[^@[:space:]]+\.[a-z]{2,}$$re$)
EOF
    cat >"$d/definitions/gold_people.sqlx" <<'EOF'
config { type: "table", schema: "gold", name: "people" }
SELECT DISTINCT ON (user_id) * FROM ${ref("silver", "people")} ORDER BY user_id, email
EOF
    cat >"$d/definitions/gold_people_row_count.sqlx" <<'EOF'
config { type: "assertion", name: "gold_people_row_count" }
SELECT n FROM (SELECT count(*) AS n FROM ${ref("gold", "people")}) c
 WHERE NOT (n BETWEEN 1 AND 10000000)
EOF
}

# Installs Dataform into a throwaway folder: the CLI in $WORK, the project
# (with @dataform/core inside it) in $WORK/project.  Sets DF, DF_PROJECT and
# DF_INSTALLED.
install_dataform() {
    need_node
    WORK=$(mktemp -d /tmp/dataops-peers.XXXXXX)
    package_json dataform-cli "\"@dataform/cli\": \"$DF_VERSION\"" >"$WORK/package.json"
    log "npm install @dataform/cli $DF_VERSION in $WORK"
    (cd "$WORK" && npm install --no-audit --no-fund --loglevel=error >npm.log 2>&1) \
        || { cat "$WORK/npm.log" >&2; die "npm install of @dataform/cli failed"; }
    DF_PROJECT="$WORK/project"
    write_project "$DF_PROJECT"
    log "npm install @dataform/core $DF_VERSION in $DF_PROJECT"
    (cd "$DF_PROJECT" && npm install --no-audit --no-fund --loglevel=error >../npm-core.log 2>&1) \
        || { cat "$WORK/npm-core.log" >&2; die "npm install of @dataform/core failed"; }
    DF="$WORK/node_modules/.bin/dataform"
    local cli core vm2
    cli=$(node -p "require('$WORK/node_modules/@dataform/cli/package.json').version")
    core=$(node -p "require('$DF_PROJECT/node_modules/@dataform/core/package.json').version")
    vm2=$(node -p "require('$WORK/node_modules/vm2/package.json').version" 2>/dev/null || echo none)
    DF_INSTALLED="@dataform/cli $cli, @dataform/core $core (vm2 $vm2), node $(node --version)"
}

# The role Dataform logs in as, over TCP with SSL and scram-sha-256: a
# superuser, as dataops' side runs as the superuser postgres (and COPY from a
# server file needs superuser or pg_read_server_files).
setup_role() {
    local pw
    pw=$(openssl rand -hex 16)
    q -d postgres -v role="$DF_ROLE" -v pw="$pw" <<'SQL' >/dev/null
SELECT format('DROP ROLE IF EXISTS %I', :'role') \gexec
SELECT format('CREATE ROLE %I LOGIN SUPERUSER PASSWORD %L', :'role', :'pw') \gexec
SQL
    (umask 077; cat >"$DF_PROJECT/.df-credentials.json" <<EOF
{
  "host": "127.0.0.1",
  "port": $PGPORT,
  "username": "$DF_ROLE",
  "password": "$pw",
  "databaseName": "$DB_DF"
}
EOF
)
    # the login Dataform uses: TCP, SSL, password
    PGPASSWORD=$pw q "host=127.0.0.1 port=$PGPORT dbname=postgres user=$DF_ROLE sslmode=require" \
        -c 'SELECT 1' >/dev/null \
        || die "role $DF_ROLE cannot log in over TCP with SSL (pg_hba, ssl?)"
}

# ------------------------------------------------------------------ one side each

# Sets T_DO (seconds) and RUN_ID.
run_dataops() { # <file>
    fresh_db "$DB_DO"
    q -d "$DB_DO" -v file="$1" -f "$SELF_DIR/people.sql" >/dev/null
    q -d "$DB_DO" -c CHECKPOINT
    local t0 t1 status
    t0=$(now)
    RUN_ID=$(q -d "$DB_DO" -c "SELECT dataops.run('people')")
    t1=$(now)
    T_DO=$(secs "$t0" "$t1")
    status=$(q -d "$DB_DO" -c "SELECT status FROM dataops.runs WHERE run_id = $RUN_ID")
    [ "$status" = succeeded ] || die "dataops run $RUN_ID ended '$status'"
}

# Sets T_DF (COPY + dataform run), T_DF_COPY and T_DF_RUN (seconds).
run_dataform() { # <file>
    fresh_db "$DB_DF"
    q -d "$DB_DF" -c CHECKPOINT
    local t0 t1 t2
    t0=$(now)
    q -d "$DB_DF" -U "$DF_ROLE" -v file="$1" <<'SQL'
CREATE SCHEMA bronze;
CREATE TABLE bronze.people (index text, user_id text, first_name text, last_name text, sex text,
                            email text, phone text, date_of_birth text, job_title text,
                            _source_file text DEFAULT :'file',
                            _ingested_at timestamptz DEFAULT now());
COPY bronze.people (index, user_id, first_name, last_name, sex, email, phone, date_of_birth, job_title)
  FROM :'file' (FORMAT csv, HEADER true);
SQL
    t1=$(now)
    if ! (cd "$DF_PROJECT" && "$DF" run . >"$WORK/run.log" 2>&1); then
        t2=$(now)
        cat "$WORK/run.log" >&2
        die "dataform run failed (after $(secs "$t1" "$t2") s)"
    fi
    t2=$(now)
    T_DF=$(secs "$t0" "$t2")
    T_DF_COPY=$(secs "$t0" "$t1")
    T_DF_RUN=$(secs "$t1" "$t2")
}

# "bronze silver quarantine gold" row counts of a database.
layer_counts() { # <db>
    q -d "$1" -F ' ' -c "SELECT (SELECT count(*) FROM bronze.people), (SELECT count(*) FROM silver.people),
        (SELECT count(*) FROM silver.people_quarantine), (SELECT count(*) FROM gold.people)"
}

# An order-independent checksum of gold's (user_id, email) pairs: the same
# when both sides kept the same email for every user id.
gold_sum() { # <db>
    q -d "$1" -c "SELECT coalesce(sum(hashtext(user_id || '|' || coalesce(email, '<null>'))::bigint), 0) FROM gold.people"
}

# dataops' check outcomes: "<check>=<unexpected>/<pass|FAIL>" per expectation.
# email_valid's unexpected rows are the quarantined ones (action drop).
outcomes_dataops() {
    q -d "$DB_DO" -v rid="$RUN_ID" <<'SQL' | paste -sd' '
SELECT expectation || '=' || coalesce(unexpected_count, 0) || '/' || CASE WHEN success THEN 'pass' ELSE 'FAIL' END
  FROM dataops.expectation_results WHERE run_id = :rid ORDER BY expectation;
SQL
}

# Dataform's check outcomes, in the same form, read from its assertion views
# (a failing assertion would have failed `dataform run`).  email_valid's
# unexpected rows are those of silver.people_quarantine; its assertion on
# silver.people (by construction 0 rows) is shown as email_valid_in_silver.
outcomes_dataform() {
    q -d "$DB_DF" <<'SQL' | paste -sd' '
WITH f AS (
  SELECT CASE WHEN failing_row_condition LIKE 'email%' THEN 'email_valid_in_silver'
              WHEN failing_row_condition LIKE 'date_of_birth%' THEN 'birth_date_range'
              WHEN failing_row_condition LIKE 'sex%' THEN 'sex_known'
              WHEN failing_row_condition LIKE 'user_id%' THEN 'user_id_not_null' END AS check_name
    FROM dataform_assertions."silver_people_assertions_rowConditions"
), c(check_name, n, ok) AS (
  SELECT n.c, count(f.check_name), count(f.check_name) = 0
    FROM unnest(ARRAY['birth_date_range', 'email_valid_in_silver', 'sex_known', 'user_id_not_null']) n(c)
    LEFT JOIN f ON f.check_name = n.c GROUP BY n.c
  UNION ALL
  SELECT 'email_valid', count(*), true FROM silver.people_quarantine
  UNION ALL
  SELECT 'gold_row_count', count(*), count(*) = 0 FROM dataform_assertions.gold_people_row_count
)
SELECT check_name || '=' || n || '/' || CASE WHEN ok THEN 'pass' ELSE 'FAIL' END FROM c ORDER BY check_name;
SQL
}

# The comparable part of an outcome list: unexpected counts, without the pass
# flag (dataops' email_valid fails with mostly 1.0 and drops; Dataform has no
# such check) and without Dataform's extra email_valid_in_silver.
comparable() { tr ' ' '\n' | grep -v '^email_valid_in_silver=' | sed 's,/.*,,' | paste -sd' '; }

# ------------------------------------------------------------------ main

FAILED=()
SUMMARY=()
ROUND_NO=0

# Row counts, gold checksum and check outcomes of each side (outside the
# timing), then its database is dropped, so that only one is there at a time.
collect_dataops() {
    c_do=$(layer_counts "$DB_DO"); g_do=$(gold_sum "$DB_DO"); o_do=$(outcomes_dataops); drop_db "$DB_DO"
}
collect_dataform() {
    c_df=$(layer_counts "$DB_DF"); g_df=$(gold_sum "$DB_DF"); o_df=$(outcomes_dataform); drop_db "$DB_DF"
}

bench_size() { # <rows>
    local n=$1 file r first do_t=() df_t=() dfrun_t=() ratios=() rt
    c_do="" c_df="" g_do="" g_df="" o_do="" o_df=""
    file=$(input_file "$n")
    echo
    echo "== people $n rows ($file): dataops against Dataform $DF_VERSION, $REPEAT interleaved rounds"
    for ((r = 1; r <= REPEAT; r++)); do
        ROUND_NO=$((ROUND_NO + 1))
        if ((ROUND_NO % 2)); then first=dataops; else first=dataform; fi
        if [ $first = dataops ]; then
            run_dataops "$file"; collect_dataops
            run_dataform "$file"; collect_dataform
        else
            run_dataform "$file"; collect_dataform
            run_dataops "$file"; collect_dataops
        fi
        rt=$(ratio "$T_DF" "$T_DO")
        do_t+=("$T_DO"); df_t+=("$T_DF"); dfrun_t+=("$T_DF_RUN"); ratios+=("$rt")
        printf '   round %d (%s first): dataops %8.3f s   dataform %8.3f s (COPY %.3f s + dataform run %.3f s)   dataform/dataops %s\n' \
            "$r" "$first" "$T_DO" "$T_DF" "$T_DF_COPY" "$T_DF_RUN" "$rt"
        if [ "$r" -eq 1 ]; then
            echo "   rows (bronze silver quarantine gold): dataops $c_do; dataform $c_df"
            if [ "$g_do" = "$g_df" ]; then
                echo "   gold (user_id, email) pairs: the same on both sides (checksum $g_do)"
            fi
            echo "   checks (unexpected/outcome): dataops  $o_do"
            echo "                                dataform $o_df"
        fi
        if [ "$c_do" != "$c_df" ]; then
            echo "   ROW COUNTS DIFFER in round $r: dataops $c_do, dataform $c_df"
            FAILED+=("$n rows, round $r: row counts differ (dataops $c_do, dataform $c_df)")
        fi
        if [ "$g_do" != "$g_df" ]; then
            echo "   GOLD DIFFERS in round $r: (user_id, email) checksum dataops $g_do, dataform $g_df"
            FAILED+=("$n rows, round $r: gold (user_id, email) pairs differ")
        fi
        if [ "$(comparable <<<"$o_do")" != "$(comparable <<<"$o_df")" ]; then
            echo "   WARNING: check outcomes differ in round $r: dataops $o_do; dataform $o_df"
            FAILED+=("$n rows, round $r: unexpected counts differ")
        fi
    done
    local mdo mdf mrt v
    mdo=$(median "${do_t[@]}"); mdf=$(median "${df_t[@]}"); mrt=$(median "${ratios[@]}")
    v=$(awk -v r="$mrt" -v g="$GOAL" 'BEGIN { print (r + 0 >= g + 0) ? "ok" : "MISSED" }')
    echo "   dataops:  min $(minof "${do_t[@]}") s, median $mdo s"
    echo "   dataform: min $(minof "${df_t[@]}") s, median $mdf s (dataform run alone: min $(minof "${dfrun_t[@]}") s, median $(median "${dfrun_t[@]}") s)"
    echo "   dataform/dataops per round: ${ratios[*]}; median $mrt (goal >= $GOAL: $v)"
    SUMMARY+=("$(printf '%10s | %8s | %8s | %8s | %8s | %8s | %6s | %s' "$n" \
        "$(minof "${do_t[@]}")" "$mdo" "$(minof "${df_t[@]}")" "$mdf" "$(median "${dfrun_t[@]}")" "$mrt" "$v")")
}

"${SUDO[@]}" install -d -o postgres -g postgres -m 0755 "$DATA"
LOAD_START=$(loadavg)
echo "dataops against Dataform: people pipeline, sizes \"$SIZES\", $REPEAT interleaved rounds each"
install_dataform
setup_role
echo "conditions: $(date -u '+%Y-%m-%d %H:%M UTC'); $(q -d postgres -c 'SELECT version()')"
echo "            nproc $(nproc); fsync $(q -d postgres -c 'SHOW fsync'); shared_buffers $(q -d postgres -c 'SHOW shared_buffers');\
 max_parallel_workers_per_gather $(q -d postgres -c 'SHOW max_parallel_workers_per_gather'); ssl $(q -d postgres -c 'SHOW ssl')"
echo "            $DF_INSTALLED"
echo "            load average at start: $LOAD_START"
# The fixed cost in every `dataform run`: Node start-up and compiling the
# project (no database work).
T_COMPILE=$( { t0=$(now); (cd "$DF_PROJECT" && "$DF" compile . >/dev/null 2>&1) || die "dataform compile failed";
               secs "$t0" "$(now)"; } )
echo "            dataform compile (Node start-up + compilation, no database): $T_COMPILE s"

for n in $SIZES; do
    bench_size "$n"
done

echo
echo "== summary (seconds, wall clock; dataform = COPY into bronze + dataform run; goal: median ratio >= $GOAL)"
printf '%10s | %8s | %8s | %8s | %8s | %8s | %6s | %s\n' rows do_min do_med df_min df_med dfrun_md ratio goal
printf '%s\n' "${SUMMARY[@]}"
echo "load average at start: $LOAD_START; at end: $(loadavg)"
if [ ${#FAILED[@]} -gt 0 ]; then
    echo
    echo "== FAILED"
    printf '%s\n' "${FAILED[@]}"
    exit 1
fi
