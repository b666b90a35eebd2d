#!/usr/bin/env bash
# Benchmarks of dataops against the least SQL doing the same work (issue 13).
#
# Sections (BENCH_ONLY selects them; default all, in this order):
#
#   people        the people pipeline (bronze raw <- CSV, silver clean with 4
#                 expectations, email_valid dropping rows to quarantine, gold
#                 people deduplicated on user_id) run by dataops.run() against
#                 the hand SQL floor, test/bench/floor.sql: in ONE transaction,
#                 CREATE TABLE + COPY into bronze, two CREATE TABLE AS for
#                 silver and quarantine, one aggregate query with
#                 count(*) FILTER (...) for the checks, CREATE TABLE AS
#                 SELECT DISTINCT ON (user_id) for gold.  At each size of
#                 BENCH_SIZES, BENCH_REPEAT interleaved rounds: each round
#                 runs both contenders (odd rounds dataops first, even rounds
#                 the floor first), each in a fresh database, after a
#                 CHECKPOINT, on the same cluster.  Prints per round dataops
#                 s, floor s and their ratio; per size the min and median of
#                 each and the median of the per-round ratios (goal: <= 0.9);
#                 a profile (median over rounds of each dataops step's
#                 duration and of the run's overhead, next to the floor's
#                 phases); linearity (dataops' median per-row time at the
#                 largest size against the smallest; goal: within 10 %, i.e.
#                 ratio <= 1.10, defined for 5M against 1M); and the peak
#                 memory of the step workers at the largest size, sampled
#                 from /proc during both contenders' timed parts (goal: peak
#                 RssAnon <= 256 MB).  Rows per layer and the unexpected
#                 counts of the 4 expectations are compared between the
#                 contenders in every round: a difference fails the bench.
#   ingest        the bronze step alone (a pipeline with only the raw step)
#                 against test/bench/copy.sql (CREATE TABLE + plain COPY of
#                 the same file into the same-shaped table, one
#                 transaction), BENCH_INGEST_ROWS rows, interleaved rounds,
#                 fresh database each.  Figure: COPY time / dataops run time
#                 (a speed ratio), median of the rounds; goal >= 0.95.
#   regex         dataops.regex_match(value, pattern) against PostgreSQL's
#                 `value ~ pattern` on BENCH_REGEX_ROWS email-like strings, a
#                 quarter of them invalid, without parallel query, best of
#                 BENCH_REPEAT.  Goal: time(~) / time(regex_match) >= 4.
#   expectations  one silver step over a BENCH_EXPECT_ROWS-row table checked
#                 by 1 and by 10 row-level expectations (and by none, for
#                 reference), interleaved rounds (odd rounds 0, 1, 10; even
#                 rounds 10, 1, 0).  Every round's ratio time(10)/time(1) is
#                 printed; the goal (<= 1.3) is judged on the WORST round.
#   people10      the people pipeline with 10 expectations on its silver
#                 step against hand-written SQL that runs each check as its
#                 own aggregate query and deletes the dropped rows (as dbt or
#                 Great Expectations would), BENCH_PEOPLE10_ROWS rows, best of
#                 BENCH_REPEAT, not interleaved (kept as it was).  Goal:
#                 dataops / hand-written <= 1.2.
#   orchestration the overhead of a run: dataops.run() of a one-step pipeline
#                 over a 1-row table, start to finish, p50 and p95 of
#                 BENCH_RUNS runs (goal: p50 <= 30 ms); and a DAG of four
#                 independent BENCH_DAG_ROWS-row steps with
#                 dataops.max_parallel_steps 2 against 1, interleaved rounds
#                 (odd rounds 1 first), every round's ratio time(2)/time(1)
#                 printed, the goal (<= 0.7) judged on the WORST round.
#   incremental   BENCH_INC_ROWS rows in gold: an incremental run that brings
#                 1% new or changed rows against a full refresh (goal: median
#                 of the per-round ratios <= 0.10), and an scd2 step with 1%
#                 changed keys against its full refresh (goal: <= 0.15).
#
# Conditions (date, server version, nproc, fsync, shared_buffers,
# max_parallel_workers_per_gather, max_worker_processes, load average from
# /proc/loadavg) are printed at the start and in the summary; the load
# average also at the start of each section and at the end.  Times come from
# the server's clock_timestamp() inside one psql session per measurement, so
# psql's start-up is not counted.  The summary lists every goal with its
# figure and verdict (ok / MISSED).  The script fails (non-zero exit) only
# when something does not work or the contenders' counts differ, never
# because a goal is missed.
#
# Time: a full default run (no BENCH_* variable) took about 7 minutes on a
# 2-core machine with dataops 0.8.0 (people ~4.5 min with the 1M and 5M
# files generated, ingest, regex, expectations, people10, orchestration and
# incremental about 2.5 min together), plus the build; the disk needs ~4 GB
# free in /tmp for the 5M rounds.
#
# Run through `make bench` (test/pg.sh bench), which starts a throwaway
# cluster with fsync on and exports PGHOST, PGPORT, PGUSER and DATAOPS_BASE.
#
# Environment:
#   BENCH_ONLY           sections to run, space separated (default: all,
#                        "people ingest regex expectations people10
#                        orchestration incremental")
#   BENCH_REPEAT         rounds per figure, >= 1 (default: 3; the goals ask
#                        for >= 3)
#   BENCH_SIZES          people: row counts (default: "1000000 5000000");
#                        files people-<rows>.csv are taken from
#                        DATAOPS_SHARED_DATA or generated
#   BENCH_INGEST_ROWS    ingest: rows of the file (default: 1000000)
#   BENCH_REGEX_ROWS     regex: strings in the table (default: 1000000)
#   BENCH_EXPECT_ROWS    expectations: rows of the table (default: 1000000)
#   BENCH_PEOPLE10_ROWS  people10: row count (default: 100000)
#   BENCH_RUNS           orchestration: runs timed for the overhead (default: 200)
#   BENCH_DAG_ROWS       orchestration: rows of each DAG step (default: 1000000)
#   BENCH_INC_ROWS       incremental: rows in gold (default: 1000000)
#   BENCH_MEM_INTERVAL   people: seconds between memory samples (default: 0.15)
#   DATAOPS_SHARED_DATA  directory holding people/people-<rows>.csv
#                        (default: ../shared/data next to the repository);
#                        a same-shaped file is generated when it is missing
#   BENCH_KEEP           "1" to keep the generated CSV files and databases
#
# `make bench` then runs test/bench/citus.sh (the people pipeline on one node
# against a Citus coordinator + 2 workers, its own cluster; "citus" in
# BENCH_ONLY selects it, test/pg.sh takes that word out before this script).
set -euo pipefail

SELF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$SELF_DIR")
BENCH_DIR="$SELF_DIR/bench"
: "${PGHOST:?PGHOST is not set; run this through 'make bench'}"
: "${DATAOPS_BASE:?DATAOPS_BASE is not set; run this through 'make bench'}"
SHARED=${DATAOPS_SHARED_DATA:-$(dirname "$REPO")/shared/data}
ALL_SECTIONS="people ingest regex expectations people10 orchestration incremental"
SECTIONS=${BENCH_ONLY:-$ALL_SECTIONS}
SIZES=${BENCH_SIZES:-1000000 5000000}
REPEAT=${BENCH_REPEAT:-3}
INGEST_ROWS=${BENCH_INGEST_ROWS:-1000000}
REGEX_ROWS=${BENCH_REGEX_ROWS:-1000000}
EXPECT_ROWS=${BENCH_EXPECT_ROWS:-1000000}
PEOPLE10_ROWS=${BENCH_PEOPLE10_ROWS:-100000}
RUNS=${BENCH_RUNS:-200}
DAG_ROWS=${BENCH_DAG_ROWS:-1000000}
INC_ROWS=${BENCH_INC_ROWS:-1000000}
MEM_INTERVAL=${BENCH_MEM_INTERVAL:-0.15}
DATA="$DATAOPS_BASE/bench-data"

if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo); fi

# Keep the server's NOTICEs out of the output.
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"

log() { echo "bench: $*" >&2; }
die() { log "$*"; exit 1; }

for s in $SECTIONS; do
    [[ " $ALL_SECTIONS " == *" $s "* ]] || die "unknown section '$s' in BENCH_ONLY (known: $ALL_SECTIONS)"
done
for v in REPEAT INGEST_ROWS REGEX_ROWS EXPECT_ROWS PEOPLE10_ROWS RUNS DAG_ROWS INC_ROWS; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "bad value '${!v}' for BENCH_$v (a positive integer)"
done
for n in $SIZES; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || die "bad size '$n' in BENCH_SIZES (positive integers)"
done
[[ $MEM_INTERVAL =~ ^[0-9]*\.?[0-9]+$ ]] || die "bad value '$MEM_INTERVAL' for BENCH_MEM_INTERVAL (seconds)"
# The sizes in increasing order, without repeats.
# shellcheck disable=SC2086  # split on purpose
SIZES=$(printf '%s\n' $SIZES | sort -n -u | tr '\n' ' ')
SIZES=${SIZES% }
want() { [[ " $SECTIONS " == *" $1 "* ]]; }

# psql, quiet, unaligned, tuples only, stop on the first error.
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# ------------------------------------------------------------------ arithmetic and verdicts

fmin() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a + 0 < b + 0) ? a : b }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
ratio3() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
# stats <numbers...>: "<min> <median> <max>" (median of an even count: the
# mean of the two middle values)
stats() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%.3f %.3f %.3f\n", v[1], m, v[NR] }'
}
smin() { stats "$@" | cut -d' ' -f1; }
smed() { stats "$@" | cut -d' ' -f2; }
smax() { stats "$@" | cut -d' ' -f3; }
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
# tagged <tag> <name> < output: the third field of the line "<tag>|<name>|..."
tagged() { awk -F'|' -v t="$1" -v n="$2" '$1 == t && $2 == n { print $3 }'; }

GOALS=()     # "<goal>|<figure>|<verdict>", for the summary
SUMMARY=()   # figures without a goal, for the summary
FAILURES=()  # counts that differ between contenders: the bench fails

goal() { # <goal text> <figure text> <verdict>
    GOALS+=("$1|$2|$3")
}
fail() { # <what>
    echo "   FAILED: $*"
    FAILURES+=("$*")
}

# ------------------------------------------------------------------ conditions

loadavg() { local a b c; read -r a b c _ </proc/loadavg; echo "$a $b $c"; }
setting() { q -d postgres -c "SHOW $1"; }
CONDITIONS=""
conditions() {
    CONDITIONS="$(date -u '+%Y-%m-%d %H:%M:%S UTC'); PostgreSQL $(setting server_version); nproc $(nproc);\
 fsync $(setting fsync); shared_buffers $(setting shared_buffers); work_mem $(setting work_mem);\
 max_parallel_workers_per_gather $(setting max_parallel_workers_per_gather);\
 max_worker_processes $(setting max_worker_processes); jit $(setting jit)"
}
section() { # <title>: a section's heading, with the load average
    echo
    echo "== $1"
    echo "   (load average $(loadavg))"
}

cleanup() {
    if [ "${BENCH_KEEP:-0}" != 1 ]; then
        "${SUDO[@]}" rm -f "$DATA"/people-*.csv 2>/dev/null || true
    fi
    if [ -n "${MEM_PID:-}" ]; then kill "$MEM_PID" 2>/dev/null || true; fi
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
    q -d postgres -v rows="$1" -v file="$2" -f "$BENCH_DIR/people_csv.sql" >/dev/null
}

# shellcheck disable=SC2317  # called from the sections, run by name
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
    # the file's pages written back now, not during the first timed round
    sync "$f" 2>/dev/null || sync
    echo "$f"
}

# ------------------------------------------------------------------ people: the pipeline

# The pipeline; variant "people" has 4 expectations on silver, "people10" 10.
define_pipeline() { # <db> <file> <variant>
    # the people pipeline, shared with test/bench/peers.sh
    q -d "$1" -v file="$2" -f "$SELF_DIR/bench/people.sql" >/dev/null
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

# SQL lines, after a timed `SELECT dataops.run(...) AS run_id \gset`: the
# run's status, then per step "STEP|<step>|<seconds>|<rows_written>|
# <rows_quarantined>|<status>", then per expectation of step clean
# "CHECK|<expectation>|<unexpected>".
RUN_REPORT_SQL="SELECT 'STATUS', status FROM dataops.runs WHERE run_id = :run_id;
SELECT 'STEP', step, round(extract(epoch FROM finished_at - started_at)::numeric, 4),
       rows_written, coalesce(rows_quarantined, 0), status
  FROM dataops.step_runs WHERE run_id = :run_id ORDER BY started_at;
SELECT 'CHECK', expectation, unexpected_count
  FROM dataops.expectation_results WHERE run_id = :run_id AND step = 'clean' ORDER BY expectation;"

# step <output> <step> <n>: field n of the step's STEP line (1 seconds,
# 2 rows written, 3 rows quarantined, 4 status)
step() { awk -F'|' -v s="$2" -v n="$3" '$1 == "STEP" && $2 == s { print $(n + 2) }' <<<"$1"; }

check_status() { # <output> <what>
    local st
    st=$(awk -F'|' '$1 == "STATUS" { print $2 }' <<<"$1")
    [ "$st" = succeeded ] || die "$2: the dataops run ended '$st', not succeeded"
}

# ------------------------------------------------------------------ memory of the step workers

PM_PID=""
MEM_PID=""
MEM_FILE=""
declare -A MEM_HWM=() MEM_ANON=()
MEM_SAMPLES=0

mem_start() {
    if [ -z "$PM_PID" ]; then
        PM_PID=$(q -d postgres -c "SELECT split_part(pg_read_file('postmaster.pid'), E'\n', 1)")
        MEM_FILE=$(mktemp)
    fi
    "$BENCH_DIR/memsample.sh" "$PM_PID" "$MEM_FILE" "$MEM_INTERVAL" &
    MEM_PID=$!
}
mem_stop() { # merges the sample's peaks into MEM_HWM / MEM_ANON
    local kind name h a _n k
    kill -TERM "$MEM_PID"
    wait "$MEM_PID" || true
    MEM_PID=""
    while IFS='|' read -r tag kind name h a _n; do
        case $tag in
            MEM) k="$kind|$name"
                 [ "$h" -gt "${MEM_HWM[$k]:-0}" ] && MEM_HWM[$k]=$h
                 [ "$a" -gt "${MEM_ANON[$k]:-0}" ] && MEM_ANON[$k]=$a ;;
            SAMPLES) MEM_SAMPLES=$((MEM_SAMPLES + kind)) ;;
        esac
    done <"$MEM_FILE"
    return 0
}
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# ------------------------------------------------------------------ people: the two contenders

# Runs pipeline 'people' of <db> once, timed by the server's clock, after a
# CHECKPOINT; sets D_OUT (the TIME line and the run's report).
timed_run() { # <db>
    D_OUT=$(q -d "$1" <<SQL
CHECKPOINT;
$(T0)
SELECT dataops.run('people') AS run_id \gset
$(T1 run ":run_id")
$RUN_REPORT_SQL
SQL
)
}

# Runs the pipeline once in a fresh database <db>; sets D_SECS and D_OUT.
people_dataops() { # <db> <file> <sample memory: 0/1>
    fresh_db "$1"
    define_pipeline "$1" "$2" people
    [ "$3" = 1 ] && mem_start
    timed_run "$1"
    [ "$3" = 1 ] && mem_stop
    check_status "$D_OUT" "people"
    D_SECS=$(field run 1 <<<"$D_OUT")
    drop_db "$1"
}

# Runs test/bench/floor.sql once in a fresh database <db>; sets F_SECS and F_OUT.
people_floor() { # <db> <file> <sample memory: 0/1>
    fresh_db "$1"
    [ "$3" = 1 ] && mem_start
    F_OUT=$(q -d "$1" -v file="$2" -c CHECKPOINT -f "$BENCH_DIR/floor.sql")
    [ "$3" = 1 ] && mem_stop
    F_SECS=$(tagged PHASE total <<<"$F_OUT")
    [ -n "$F_SECS" ] || die "floor.sql printed no total time: $F_OUT"
    drop_db "$1"
}

# The rows per layer and the unexpected counts, as one comparable line.
counts_dataops() { # <output>
    printf 'bronze %s, silver %s, quarantine %s, gold %s; unexpected:' \
        "$(step "$1" raw 2)" "$(step "$1" clean 2)" "$(step "$1" clean 3)" "$(step "$1" people 2)"
    local e
    for e in email_valid user_id_not_null birth_date_range sex_known; do
        printf ' %s %s' "$e" "$(tagged CHECK "$e" <<<"$1")"
    done
    echo
}
counts_floor() { # <output>
    printf 'bronze %s, silver %s, quarantine %s, gold %s; unexpected:' \
        "$(tagged ROWS bronze <<<"$1")" "$(tagged ROWS silver <<<"$1")" \
        "$(tagged ROWS quarantine <<<"$1")" "$(tagged ROWS gold <<<"$1")"
    local e
    for e in email_valid user_id_not_null birth_date_range sex_known; do
        printf ' %s %s' "$e" "$(tagged CHECK "$e" <<<"$1")"
    done
    echo
}

# ------------------------------------------------------------------ section: people

# One untimed run of each contender on a 10,000-row file, once per bench:
# the first dataops run of a cluster starts its scheduler and loads the
# library, and the first COPY warms the file cache; neither belongs to the
# first timed round.  Its counts are compared too.
WARMED=0
warm_up() {
    [ "$WARMED" = 1 ] && return 0
    local file
    file=$(input_file 10000)
    people_dataops bench_warm_d "$file" 0
    people_floor bench_warm_f "$file" 0
    if [ "$(counts_dataops "$D_OUT")" != "$(counts_floor "$F_OUT")" ]; then
        echo "     dataops: $(counts_dataops "$D_OUT")"
        echo "     floor:   $(counts_floor "$F_OUT")"
        fail "warm-up, 10000 rows: rows or unexpected counts differ between dataops and the floor"
    fi
    echo "   (warm-up: one untimed run of each contender on 10,000 rows: dataops $D_SECS s, floor $F_SECS s)"
    WARMED=1
}

bench_people() {
    local n r file first cd cf largest sizes_done=() mem
    local -A MED_D=() MED_F=() MIN_D=() MIN_F=() MED_R=()
    largest=${SIZES##* }
    for n in $SIZES; do
        section "people $n rows: dataops against the hand SQL floor (test/bench/floor.sql), $REPEAT interleaved rounds"
        file=$(input_file "$n")
        warm_up
        echo "   file $file; each contender in a fresh database, after a CHECKPOINT"
        mem=0
        if [ "$n" = "$largest" ]; then
            mem=1
            echo "   (memory of the step workers sampled every $MEM_INTERVAL s, during both contenders' timed parts)"
        fi
        local D=() F=() R=() P_RAW=() P_CLEAN=() P_GOLD=() P_OVH=() F_COPY=() F_SILVER=() F_GOLD=() F_COMMIT=()
        for ((r = 1; r <= REPEAT; r++)); do
            if ((r % 2 == 1)); then
                first="dataops first"
                people_dataops "bench_d_$n" "$file" "$mem"
                people_floor "bench_f_$n" "$file" "$mem"
            else
                first="floor first"
                people_floor "bench_f_$n" "$file" "$mem"
                people_dataops "bench_d_$n" "$file" "$mem"
            fi
            cd=$(counts_dataops "$D_OUT")
            cf=$(counts_floor "$F_OUT")
            if [ "$r" -eq 1 ]; then
                echo "   rows and unexpected counts, round 1:"
                echo "     dataops: $cd"
                echo "     floor:   $cf"
            fi
            if [ "$cd" != "$cf" ]; then
                if [ "$r" -ne 1 ]; then
                    echo "     dataops: $cd"
                    echo "     floor:   $cf"
                fi
                fail "people $n rows, round $r: rows or unexpected counts differ between dataops and the floor"
            fi
            D+=("$D_SECS"); F+=("$F_SECS"); R+=("$(ratio3 "$D_SECS" "$F_SECS")")
            P_RAW+=("$(step "$D_OUT" raw 1)"); P_CLEAN+=("$(step "$D_OUT" clean 1)")
            P_GOLD+=("$(step "$D_OUT" people 1)")
            P_OVH+=("$(awk -v t="$D_SECS" -v a="${P_RAW[-1]}" -v b="${P_CLEAN[-1]}" -v c="${P_GOLD[-1]}" \
                        'BEGIN { printf "%.4f", t - a - b - c }')")
            F_COPY+=("$(tagged PHASE copy <<<"$F_OUT")"); F_SILVER+=("$(tagged PHASE silver <<<"$F_OUT")")
            F_GOLD+=("$(tagged PHASE gold <<<"$F_OUT")"); F_COMMIT+=("$(tagged PHASE commit <<<"$F_OUT")")
            printf '   round %d (%-13s): dataops %8.3f s   floor %8.3f s   ratio %5.2f   (load %s)\n' \
                "$r" "$first" "$D_SECS" "$F_SECS" "${R[-1]}" "$(loadavg)"
            printf '     dataops raw %.3f, clean %.3f, people %.3f, overhead %.3f;  floor COPY %.3f, silver %.3f, gold %.3f, commit %.3f\n' \
                "${P_RAW[-1]}" "${P_CLEAN[-1]}" "${P_GOLD[-1]}" "${P_OVH[-1]}" \
                "${F_COPY[-1]}" "${F_SILVER[-1]}" "${F_GOLD[-1]}" "${F_COMMIT[-1]}"
        done
        MIN_D[$n]=$(smin "${D[@]}"); MED_D[$n]=$(smed "${D[@]}")
        MIN_F[$n]=$(smin "${F[@]}"); MED_F[$n]=$(smed "${F[@]}")
        MED_R[$n]=$(smed "${R[@]}")
        local v
        v=$(verdict "${MED_R[$n]}" "<=" 0.9)
        echo "   dataops: min ${MIN_D[$n]} s, median ${MED_D[$n]} s ($(awk -v n="$n" -v t="${MED_D[$n]}" 'BEGIN { printf "%.0f", n / t }') rows/s)"
        echo "   floor:   min ${MIN_F[$n]} s, median ${MED_F[$n]} s ($(awk -v n="$n" -v t="${MED_F[$n]}" 'BEGIN { printf "%.0f", n / t }') rows/s)"
        echo "   ratio dataops/floor: rounds ${R[*]}; median $(printf '%.2f' "${MED_R[$n]}") (goal <= 0.9: $v)"
        goal "people $n rows: dataops/floor, median of $REPEAT rounds <= 0.9" \
             "$(printf '%.2f' "${MED_R[$n]}") (rounds ${R[*]}; dataops median ${MED_D[$n]} s, floor median ${MED_F[$n]} s)" "$v"
        echo "   profile, median over the rounds (s):"
        printf '     dataops  raw/bronze %7.3f   clean/silver %7.3f   people/gold %7.3f   run overhead %7.3f   total %7.3f\n' \
            "$(smed "${P_RAW[@]}")" "$(smed "${P_CLEAN[@]}")" "$(smed "${P_GOLD[@]}")" "$(smed "${P_OVH[@]}")" "${MED_D[$n]}"
        printf '     floor    COPY       %7.3f   silver+quar.+checks %7.3f   gold %7.3f   commit %7.3f   total %7.3f\n' \
            "$(smed "${F_COPY[@]}")" "$(smed "${F_SILVER[@]}")" "$(smed "${F_GOLD[@]}")" "$(smed "${F_COMMIT[@]}")" "${MED_F[$n]}"
        echo "     (dataops steps: dataops.step_runs finished_at - started_at; run overhead: the run's time minus its"
        echo "      steps'; floor phases: clock_timestamp() between its statements; COPY includes CREATE TABLE)"
        SUMMARY+=("people $n rows: dataops min ${MIN_D[$n]} s, median ${MED_D[$n]} s; floor min ${MIN_F[$n]} s, median ${MED_F[$n]} s; per-round ratios ${R[*]}")
        SUMMARY+=("people $n rows, profile (median s): raw $(smed "${P_RAW[@]}"), clean $(smed "${P_CLEAN[@]}"), people $(smed "${P_GOLD[@]}"), overhead $(smed "${P_OVH[@]}"); floor COPY $(smed "${F_COPY[@]}"), silver+quarantine+checks $(smed "${F_SILVER[@]}"), gold $(smed "${F_GOLD[@]}"), commit $(smed "${F_COMMIT[@]}")")
        sizes_done+=("$n")
    done

    # Linearity: dataops' per-row time at the largest size against the smallest.
    local small=${sizes_done[0]} big=${sizes_done[-1]}
    if [ "$small" != "$big" ]; then
        local us_s us_b lr v
        us_s=$(awk -v t="${MED_D[$small]}" -v n="$small" 'BEGIN { printf "%.3f", t * 1e6 / n }')
        us_b=$(awk -v t="${MED_D[$big]}" -v n="$big" 'BEGIN { printf "%.3f", t * 1e6 / n }')
        lr=$(ratio "$us_b" "$us_s")
        v=$(verdict "$lr" "<=" 1.10)
        section "people: linearity"
        echo "   dataops per-row time (median): $us_s us at $small rows, $us_b us at $big rows: ratio $lr (goal <= 1.10: $v)"
        echo "   floor per-row time (median):   $(awk -v t="${MED_F[$small]}" -v n="$small" 'BEGIN { printf "%.3f", t * 1e6 / n }') us at $small rows, $(awk -v t="${MED_F[$big]}" -v n="$big" 'BEGIN { printf "%.3f", t * 1e6 / n }') us at $big rows (reference)"
        goal "people: dataops per-row time at $big rows / at $small rows <= 1.10 (defined for 5M / 1M)" "$lr ($us_b us vs $us_s us)" "$v"
    fi

    # Peak memory of the step workers at the largest size.
    section "people: memory of the step workers at $largest rows (peaks over all $REPEAT rounds, $MEM_SAMPLES samples)"
    local k peak_anon=0 peak_hwm=0 v
    if [ ${#MEM_HWM[@]} -eq 0 ]; then
        echo "   no step worker was seen (a run shorter than the sampling interval?)"
        goal "people $largest rows: step worker peak RssAnon <= 256 MB" "not measured (no sample)" "MISSED"
    else
        for k in $(printf '%s\n' "${!MEM_HWM[@]}" | sort); do
            printf '   %-30s peak VmHWM %8s MB   peak RssAnon %8s MB\n' "${k/|/ }" "$(mb "${MEM_HWM[$k]}")" "$(mb "${MEM_ANON[$k]}")"
            if [[ $k == step\|* ]]; then
                [ "${MEM_ANON[$k]}" -gt "$peak_anon" ] && peak_anon=${MEM_ANON[$k]}
                [ "${MEM_HWM[$k]}" -gt "$peak_hwm" ] && peak_hwm=${MEM_HWM[$k]}
            fi
        done
        v=$(verdict "$(mb "$peak_anon")" "<=" 256)
        echo "   shared_buffers $(setting shared_buffers), work_mem $(setting work_mem), maintenance_work_mem $(setting maintenance_work_mem)"
        echo "   step worker peak: RssAnon $(mb "$peak_anon") MB, VmHWM $(mb "$peak_hwm") MB"
        echo "   goal judged on the RssAnon peak (the worker's private memory): VmHWM also counts every page of"
        echo "   shared_buffers the worker touched, which is shared with all backends and bounded by shared_buffers,"
        echo "   not memory the step allocates; RssAnon is sampled, so a peak shorter than the interval can be missed."
        echo "   goal <= 256 MB: $v"
        goal "people $largest rows: step worker peak RssAnon <= 256 MB (default settings)" \
             "$(mb "$peak_anon") MB (VmHWM $(mb "$peak_hwm") MB, shared_buffers $(setting shared_buffers))" "$v"
    fi
}

# ------------------------------------------------------------------ section: ingest

# The raw step alone, in a fresh database; sets D_SECS and D_OUT.
ingest_dataops() { # <db> <file>
    fresh_db "$1"
    q -d "$1" -v file="$2" <<'SQL' >/dev/null
CREATE EXTENSION dataops;
SELECT dataops.create_pipeline('people');
SELECT dataops.add_step('people', 'raw', 'bronze', 'people', source => :'file');
SQL
    timed_run "$1"
    check_status "$D_OUT" "ingest"
    D_SECS=$(field run 1 <<<"$D_OUT")
    drop_db "$1"
}

# test/bench/copy.sql in a fresh database; sets F_SECS and F_OUT.
ingest_copy() { # <db> <file>
    fresh_db "$1"
    F_OUT=$(q -d "$1" -v file="$2" -c CHECKPOINT -f "$BENCH_DIR/copy.sql")
    F_SECS=$(tagged PHASE total <<<"$F_OUT")
    [ -n "$F_SECS" ] || die "copy.sql printed no total time: $F_OUT"
    drop_db "$1"
}

bench_ingest() {
    local n=$INGEST_ROWS file r first rd rc D=() S=() C=() R=() RS=() v
    section "ingest $n rows: the bronze step alone against CREATE TABLE + COPY (test/bench/copy.sql), $REPEAT interleaved rounds"
    file=$(input_file "$n")
    warm_up
    echo "   file $file; each contender in a fresh database, after a CHECKPOINT"
    for ((r = 1; r <= REPEAT; r++)); do
        if ((r % 2 == 1)); then
            first="dataops first"; ingest_dataops bench_ingest_d "$file"; ingest_copy bench_ingest_c "$file"
        else
            first="COPY first"; ingest_copy bench_ingest_c "$file"; ingest_dataops bench_ingest_d "$file"
        fi
        rd=$(step "$D_OUT" raw 2); rc=$(tagged ROWS bronze <<<"$F_OUT")
        [ "$rd" = "$rc" ] || fail "ingest $n rows, round $r: dataops loaded $rd rows, COPY $rc"
        D+=("$D_SECS"); S+=("$(step "$D_OUT" raw 1)"); C+=("$F_SECS")
        R+=("$(ratio3 "$F_SECS" "$D_SECS")"); RS+=("$(ratio3 "$F_SECS" "${S[-1]}")")
        printf '   round %d (%-13s): dataops run %8.3f s (raw step %8.3f s)   COPY %8.3f s   COPY/dataops %5.2f   (%s rows; load %s)\n' \
            "$r" "$first" "$D_SECS" "${S[-1]}" "$F_SECS" "${R[-1]}" "$rd" "$(loadavg)"
    done
    v=$(verdict "$(smed "${R[@]}")" ">=" 0.95)
    echo "   dataops run: min $(smin "${D[@]}") s, median $(smed "${D[@]}") s; raw step alone: median $(smed "${S[@]}") s"
    echo "   COPY:        min $(smin "${C[@]}") s, median $(smed "${C[@]}") s"
    echo "   speed ratio COPY time / dataops run time: rounds ${R[*]}; median $(printf '%.2f' "$(smed "${R[@]}")") (goal >= 0.95: $v)"
    echo "   (COPY time / raw step time, without the run's overhead: median $(printf '%.2f' "$(smed "${RS[@]}")"), for reference)"
    goal "ingest $n rows: COPY time / dataops time (speed ratio), median >= 0.95" \
         "$(printf '%.2f' "$(smed "${R[@]}")") (rounds ${R[*]}; dataops median $(smed "${D[@]}") s, COPY median $(smed "${C[@]}") s)" "$v"
}

# ------------------------------------------------------------------ checks against plain SQL

# Compares the unexpected counts of run <run_id> with the lines
# "CHECK|<expectation>|<rows>|<non-null>|<unexpected>" on stdin (plain SQL);
# a difference fails the bench.
compare_checks() { # <db> <run_id> <what>
    local db=$1 rid=$2 what=$3 tag name rows nonnull hand bad=() n=0
    local -A ours=()
    while IFS='|' read -r name hand; do
        ours[$name]=$hand
    done < <(q -d "$db" -c "SELECT expectation, unexpected_count FROM dataops.expectation_results WHERE run_id = $rid")
    # shellcheck disable=SC2034
    while IFS='|' read -r tag name rows nonnull hand; do
        [ "$tag" = CHECK ] || continue
        n=$((n + 1))
        [ "${ours[$name]:-none}" = "$hand" ] || bad+=("$name: dataops ${ours[$name]:-none}, SQL $hand;")
    done
    if [ ${#bad[@]} -eq 0 ]; then
        echo "   unexpected counts of dataops and of plain SQL agree (expectations compared: $n)"
    else
        fail "$what: unexpected counts differ from plain SQL: ${bad[*]}"
    fi
}

# ------------------------------------------------------------------ section: people10

# The hand-written checks of people10 on h_silver: one aggregate query per
# expectation (as dbt or Great Expectations would run them), each printing
# "CHECK|<expectation>|<rows>|<non-null>|<unexpected>".
hand_checks10() {
    cat <<'SQL'
SELECT 'CHECK', 'email_valid', count(*), count(email),
       count(*) FILTER (WHERE NOT (email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[a-z]{2,}$')) FROM h_silver;
SELECT 'CHECK', 'user_id_not_null', count(*), count(*), count(*) FILTER (WHERE user_id IS NULL) FROM h_silver;
SELECT 'CHECK', 'birth_date_range', count(*), count(date_of_birth),
       count(*) FILTER (WHERE NOT (date_of_birth BETWEEN date '1900-01-01' AND current_date)) FROM h_silver;
SELECT 'CHECK', 'sex_known', count(*), count(sex),
       count(*) FILTER (WHERE NOT (sex IN ('Male', 'Female'))) FROM h_silver;
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

# The hand-written people10 SQL (COPY, CREATE TABLE AS, a query per check,
# a quarantine table and a DELETE, DISTINCT ON, a row count), in the
# database where dataops ran; sets SECS and HAND_OUT.
run_hand10() { # <db> <file>
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
$(hand_checks10)
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

# As it was before issue 13: each round in a fresh database, dataops first,
# then the hand-written SQL in the same database; best of BENCH_REPEAT.
bench_people10() {
    local n=$PEOPLE10_ROWS db=bench10 file r d h best_d="" best_h="" v rid out
    section "people10 $n rows: dataops (10 expectations on silver) against hand-written SQL (one query per check), best of $REPEAT"
    file=$(input_file "$n")
    for ((r = 1; r <= REPEAT; r++)); do
        fresh_db "$db"
        define_pipeline "$db" "$file" people10
        out=$(q -d "$db" <<SQL
CHECKPOINT;
$(T0)
SELECT dataops.run('people') AS run_id \gset
$(T1 run ":run_id")
$RUN_REPORT_SQL
SQL
)
        check_status "$out" people10
        d=$(field run 1 <<<"$out"); rid=$(field run 2 <<<"$out")
        run_hand10 "$db" "$file"
        h=$SECS
        printf '   round %d: dataops %8.3f s   hand-written %8.3f s\n' "$r" "$d" "$h"
        best_d=$(fmin "$d" "$best_d"); best_h=$(fmin "$h" "$best_h")
        if [ "$r" -eq 1 ]; then
            compare_checks "$db" "$rid" "people10 $n rows" <<<"$HAND_OUT"
            local hg
            hg=$(awk -F'|' '$1 == "GOLD" { print $2 }' <<<"$HAND_OUT")
            [ "$(step "$out" people 2)" = "$hg" ] || fail "people10 $n rows: gold rows differ: dataops $(step "$out" people 2), hand-written $hg"
        fi
        drop_db "$db"
    done
    local rr
    rr=$(ratio "$best_d" "$best_h")
    v=$(verdict "$rr" "<=" 1.2)
    echo "   best: dataops $best_d s, hand-written $best_h s"
    echo "   ratio dataops/hand-written = $rr   (goal <= 1.2: $v)"
    goal "people10 $n rows: dataops/hand-written (a query per check), best of $REPEAT, <= 1.2" "$rr (dataops $best_d s, hand-written $best_h s)" "$v"
}

# ------------------------------------------------------------------ section: regex

REGEX_PATTERN='^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$'

bench_regex() {
    local db=bench_regex n=$REGEX_ROWS expected script out r tp tr np nr best_p="" best_r=""
    expected=$((n - n / 4))
    section "regex: dataops.regex_match(email, pattern) against email ~ pattern"
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
    goal "regex $n strings: time(~)/time(regex_match), best of $REPEAT, >= 4" "$sp (regex_match $best_p s, ~ $best_r s)" "$v"
    drop_db "$db"
}

# ------------------------------------------------------------------ section: expectations

bench_expectations() {
    local db=bench_expect n=$EXPECT_ROWS out r p t checks order
    local -A all=()
    section "expectations: one silver step over $n rows with 0, 1 and 10 row-level expectations, $REPEAT interleaved rounds"
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
    # REPEAT rounds of the three, each run after a CHECKPOINT; odd rounds run
    # 0, 1, 10 expectations, even rounds 10, 1, 0.
    local script="SELECT dataops.run(p) FROM unnest(ARRAY['e0', 'e1', 'e10']) AS p;"
    for ((r = 1; r <= REPEAT; r++)); do
        if ((r % 2 == 1)); then order="e0 e1 e10"; else order="e10 e1 e0"; fi
        for p in $order; do
            script+="
CHECKPOINT;
$(T0)
SELECT dataops.run('$p') AS run_id \\gset
$(T1 "$p.$r" ":run_id")"
        done
    done
    out=$(q -d "$db" <<<"$script")
    local R=() R1=()
    for ((r = 1; r <= REPEAT; r++)); do
        if ((r % 2 == 1)); then order="0, 1, 10"; else order="10, 1, 0"; fi
        printf '   round %d (order %-8s):' "$r" "$order"
        for p in e0 e1 e10; do
            t=$(field "$p.$r" 1 <<<"$out")
            printf '   %2s exp %8.3f s' "${p#e}" "$t"
            all[$p]="${all[$p]:-} $t"
        done
        R+=("$(ratio3 "$(field "e10.$r" 1 <<<"$out")" "$(field "e1.$r" 1 <<<"$out")")")
        R1+=("$(ratio3 "$(field "e1.$r" 1 <<<"$out")" "$(field "e0.$r" 1 <<<"$out")")")
        printf '   ratio 10/1 %5.2f   (load %s)\n' "${R[-1]}" "$(loadavg)"
    done
    echo "   expectation results of the last 10-expectation run:"
    q -d "$db" -v rid="$(field "e10.$REPEAT" 2 <<<"$out")" -P format=aligned -P tuples_only=off -P footer=off <<'SQL' | sed '/^$/d; s/^/     /'
SELECT expectation, kind, element_count AS elements, missing_count AS missing,
       unexpected_count AS unexpected, success
  FROM dataops.expectation_results WHERE run_id = :rid ORDER BY expectation;
SQL
    compare_checks "$db" "$(field "e10.$REPEAT" 2 <<<"$out")" "expectations (10)" <<<"$checks"
    compare_checks "$db" "$(field "e1.$REPEAT" 2 <<<"$out")" "expectations (1)" <<<"$(grep '|email_valid|' <<<"$checks")"
    local worst v e
    worst=$(smax "${R[@]}")
    v=$(verdict "$worst" "<=" 1.3)
    for e in e0 e1 e10; do
        # shellcheck disable=SC2086
        echo "   ${e#e} expectations: min $(smin ${all[$e]}) s, median $(smed ${all[$e]}) s"
    done
    echo "   ratio time(1)/time(0) per round: ${R1[*]} (reference)"
    echo "   ratio time(10)/time(1) per round: ${R[*]}; median $(printf '%.2f' "$(smed "${R[@]}")"), worst $(printf '%.2f' "$worst") (goal <= 1.3 in every round, judged on the worst: $v)"
    # shellcheck disable=SC2086
    goal "expectations $n rows: time(10)/time(1) <= 1.3 in every round (worst round)" \
         "$(printf '%.2f' "$worst") (rounds ${R[*]}; medians 1 exp $(smed ${all[e1]}) s, 10 exp $(smed ${all[e10]}) s)" "$v"
    drop_db "$db"
}

# ------------------------------------------------------------------ section: orchestration

# Sets dataops.max_parallel_steps and waits until the scheduler has reloaded it.
set_parallel_steps() { # <n>
    q -d postgres -c "ALTER SYSTEM SET dataops.max_parallel_steps = $1" -c "SELECT pg_reload_conf()" >/dev/null
    sleep 2
}

bench_orchestration() {
    local db=bench_orch out p50 p95 v t r n order
    local -A all=()
    section "orchestration: run overhead ($RUNS runs of a one-step pipeline over a 1-row table)"
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
    v=$(verdict "$p50" "<=" 30)
    echo "   goal p50 <= 30 ms: $v"
    goal "orchestration: run overhead of a 1-step, 1-row run, p50 <= 30 ms" "p50 $p50 ms (p95 $p95 ms, $RUNS runs)" "$v"

    section "orchestration: a DAG of four independent $DAG_ROWS-row steps, max_parallel_steps 2 against 1, $REPEAT interleaved rounds"
    q -d "$db" -v rows="$DAG_ROWS" <<'SQL' >/dev/null
CREATE TABLE public.dag_src AS SELECT g AS id, md5(g::text) AS h FROM generate_series(1, :rows) g;
VACUUM ANALYZE public.dag_src;
SELECT dataops.create_pipeline('dag4');
SELECT dataops.add_step('dag4', 's' || i, 'silver', 'dag_' || i,
       query => 'SELECT id, h, upper(h) AS u FROM public.dag_src') FROM generate_series(1, 4) i;
SELECT dataops.run('dag4');
SQL
    local R=()
    for ((r = 1; r <= REPEAT; r++)); do
        if ((r % 2 == 1)); then order="1 2"; else order="2 1"; fi
        for n in $order; do
            set_parallel_steps "$n"
            t=$(q -d "$db" <<SQL | awk -F'|' '$1 == "TIME" { print $3 }'
CHECKPOINT;
$(T0)
SELECT dataops.run('dag4');
$(T1 "dag$n")
SQL
)
            all[$n]=$t
        done
        R+=("$(ratio3 "${all[2]}" "${all[1]}")")
        printf '   round %d (%-16s): max_parallel_steps 1 %8.3f s   2 %8.3f s   ratio 2/1 %5.2f   (load %s)\n' \
            "$r" "$([ "$order" = "1 2" ] && echo "1 first" || echo "2 first")" "${all[1]}" "${all[2]}" "${R[-1]}" "$(loadavg)"
        all[l1]="${all[l1]:-} ${all[1]}"; all[l2]="${all[l2]:-} ${all[2]}"
    done
    q -d postgres -c "ALTER SYSTEM RESET dataops.max_parallel_steps" -c "SELECT pg_reload_conf()" >/dev/null
    local worst
    worst=$(smax "${R[@]}")
    v=$(verdict "$worst" "<=" 0.7)
    # shellcheck disable=SC2086
    echo "   1 step at a time: min $(smin ${all[l1]}) s, median $(smed ${all[l1]}) s; 2 at a time: min $(smin ${all[l2]}) s, median $(smed ${all[l2]}) s"
    echo "   ratio time(2)/time(1) per round: ${R[*]}; median $(printf '%.2f' "$(smed "${R[@]}")"), worst $(printf '%.2f' "$worst") (goal <= 0.7 in every round, judged on the worst: $v)"
    goal "orchestration: DAG of 4 x $DAG_ROWS rows, time(max_parallel_steps 2)/time(1) <= 0.7 in every round (worst round)" \
         "$(printf '%.2f' "$worst") (rounds ${R[*]})" "$v"
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
    local db=bench_inc n=$INC_ROWS k=$((INC_ROWS / 200)) r v ri rs ti ts tif tsf RI=() RS=()
    section "incremental: $n rows in gold, 1% new or changed rows ($k new, $k changed) against a full refresh, $REPEAT rounds"
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
        ti=$(time_run "$db" inc false); ts=$(time_run "$db" scd false)
        tif=$(time_run "$db" inc true); tsf=$(time_run "$db" scd true)
        RI+=("$(ratio3 "$ti" "$tif")"); RS+=("$(ratio3 "$ts" "$tsf")")
        printf '   round %d: incremental %7.3f s, its full refresh %7.3f s, ratio %5.3f;   scd2 %7.3f s, its full refresh %7.3f s, ratio %5.3f\n' \
            "$r" "$ti" "$tif" "${RI[-1]}" "$ts" "$tsf" "${RS[-1]}"
    done
    echo "   rows merged by the last incremental run: $(q -d "$db" -c "SELECT rows_inserted || ' inserted, ' || rows_updated || ' updated' FROM dataops.step_runs s JOIN dataops.runs r USING (run_id) WHERE r.pipeline = 'inc' AND NOT r.full_refresh ORDER BY run_id DESC LIMIT 1")"
    echo "   versions of the last scd2 run: $(q -d "$db" -c "SELECT rows_inserted || ' opened, ' || rows_updated || ' closed' FROM dataops.step_runs s JOIN dataops.runs r USING (run_id) WHERE r.pipeline = 'scd' AND NOT r.full_refresh ORDER BY run_id DESC LIMIT 1")"
    ri=$(printf '%.3f' "$(smed "${RI[@]}")")
    rs=$(printf '%.3f' "$(smed "${RS[@]}")")
    v=$(verdict "$ri" "<=" 0.10)
    echo "   incremental / full refresh per round: ${RI[*]}; median $ri (goal <= 0.10: $v)"
    goal "incremental $n rows, 1% new or changed: run / full refresh, median <= 0.10" "$ri (rounds ${RI[*]})" "$v"
    v=$(verdict "$rs" "<=" 0.15)
    echo "   scd2 / full refresh per round: ${RS[*]}; median $rs (goal <= 0.15: $v)"
    goal "scd2 $n rows, 1% changed keys: run / full refresh, median <= 0.15" "$rs (rounds ${RS[*]})" "$v"
    drop_db "$db"
}

# ------------------------------------------------------------------ main

conditions
START_LOAD=$(loadavg)
echo "dataops benchmarks: sections \"$SECTIONS\"; $REPEAT rounds per figure"
if [ "$REPEAT" -lt 3 ]; then echo "(BENCH_REPEAT=$REPEAT: fewer rounds than the 3 the goals ask for)"; fi
echo "conditions: $CONDITIONS"
echo "load average at the start: $START_LOAD"
for s in $ALL_SECTIONS; do
    if want "$s"; then "bench_$s"; fi
done

END_LOAD=$(loadavg)
echo
echo "== summary"
echo "conditions: $CONDITIONS"
echo "load average: $START_LOAD at the start, $END_LOAD at the end (1, 5, 15 minutes)"
if [ ${#SUMMARY[@]} -gt 0 ]; then
    printf '%s\n' "${SUMMARY[@]}"
fi
if [ ${#GOALS[@]} -gt 0 ]; then
    echo
    echo "goals (figure; verdict):"
    for g in "${GOALS[@]}"; do
        IFS='|' read -r gtext gfig gv <<<"$g"
        printf '  %-7s %s: %s\n' "$gv" "$gtext" "$gfig"
    done
fi
if [ ${#FAILURES[@]} -gt 0 ]; then
    echo
    echo "== FAILED: counts differ between contenders"
    printf '%s\n' "${FAILURES[@]}"
    exit 1
fi
