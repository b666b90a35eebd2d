#!/usr/bin/env bash
# Samples the memory of dataops' step workers (and of the parallel workers
# they start) until it is sent SIGTERM, then writes the peaks to <out>.
#
#   test/bench/memsample.sh <postmaster pid> <out> [interval seconds, 0.15]
#
# Every interval, it lists the postmaster's children (/proc/<pid>/task/<pid>/
# children, or a scan of /proc when the kernel lacks it) and reads, for each
# child whose process title is "postgres: dataops step <step> of run <id>"
# (the step worker: bgw_name set in src/scheduler.c) or "postgres: parallel
# worker for PID <n>", VmHWM and RssAnon from /proc/<child>/status.
#   VmHWM    the process's peak resident set: private memory plus every page
#            of shared memory (shared_buffers) and of mapped files it touched;
#            a true high-water mark kept by the kernel.
#   RssAnon  resident private (anonymous) memory at the sample: the worker's
#            own allocations (work_mem sorts, hash tables, tuples, caches),
#            without the shared buffers; its peak is the highest sample.
# Output, one line per process kind and step (kB):
#   MEM|step|<step name>|<peak VmHWM>|<peak RssAnon>|<processes seen>
#   MEM|parallel|workers|<peak VmHWM>|<peak RssAnon>|<processes seen>
#   SAMPLES|<n>
# Only bash builtins run in the loop (plus sleep), so that sampling costs
# next to nothing on the machine it measures.
set -uo pipefail
pm=$1 out=$2 interval=${3:-0.15}
declare -A hwm=() anon=() seen=()
samples=0

finish() {
    local k
    {
        for k in "${!hwm[@]}"; do
            printf 'MEM|%s|%s|%s|%s\n' "$k" "${hwm[$k]}" "${anon[$k]:-0}" "${seen[$k]:-0}"
        done
        echo "SAMPLES|$samples"
    } >"$out"
    exit 0
}
trap finish TERM INT

KIDS=()
children() { # sets KIDS to the postmaster's child pids
    local f=/proc/$pm/task/$pm/children d ppid pid
    KIDS=()
    if [ -r "$f" ]; then
        read -r -a KIDS <"$f" || true
        return
    fi
    for d in /proc/[0-9]*; do
        pid=${d#/proc/}
        # stat: pid (comm) state ppid ...; comm has no spaces for postgres
        read -r _ _ _ ppid _ <"$d/stat" 2>/dev/null || continue
        [ "$ppid" = "$pm" ] && KIDS+=("$pid")
    done
}

declare -A known=()
while :; do
    samples=$((samples + 1))
    children
    for c in "${KIDS[@]}"; do
        title=
        { IFS= read -r -d '' title <"/proc/$c/cmdline"; } 2>/dev/null || true
        case $title in
            *"dataops step "*" of run "*)
                key=${title#*dataops step }; key="step|${key% of run *}" ;;
            *"parallel worker for PID"*) key="parallel|workers" ;;
            *) continue ;;
        esac
        h=0 a=0
        while read -r k v _; do
            case $k in
                VmHWM:) h=$v ;;
                RssAnon:) a=$v ;;
            esac
        done <"/proc/$c/status" 2>/dev/null || continue
        [ "$h" -gt "${hwm[$key]:-0}" ] && hwm[$key]=$h
        [ "$a" -gt "${anon[$key]:-0}" ] && anon[$key]=$a
        if [ -z "${known[$key.$c]:-}" ]; then
            known[$key.$c]=1
            seen[$key]=$(( ${seen[$key]:-0} + 1 ))
        fi
    done
    sleep "$interval" &
    wait $! 2>/dev/null
done
