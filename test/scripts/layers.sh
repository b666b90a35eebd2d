#!/usr/bin/env bash
# The modules of src/ form layers without cycles: a module (x.c and x.h) may
# include the header of a module below it, never one above it.  Builds the
# graph "module -> module whose header it includes" from the #include lines
# and fails if tsort finds a loop, naming it.  A module split over several
# files names them x.c, x_part.c (x_part.h, x_int.h): one module, x, whose
# files may use each other.
set -euo pipefail
cd "$(dirname "$0")/../../src"

edges=$(
    for f in *.c *.h; do
        m=${f%.*}; m=${m%%_*}
        grep -o '^#include "[a-z_0-9]*\.h"' "$f" | sed 's/^#include "\(.*\)\.h"$/\1/' \
            | while read -r h; do
                  [ "$h" = postgres ] && continue
                  [ -f "$h.h" ] || continue
                  h=${h%%_*}
                  [ "$h" = "$m" ] && continue
                  echo "$m $h"
              done
    done | sort -u
)
n=$(printf '%s\n' "$edges" | grep -c . || true)

if ! out=$(printf '%s\n' "$edges" | tsort 2>&1 >/dev/null); then :; fi
if [ -n "$out" ]; then
    echo "layers: the include graph of src/ has a cycle:" >&2
    echo "$out" | sed 's/^tsort: /  /' >&2
    exit 1
fi
echo "layers: $n include edges between $(ls *.c | sed 's/[._].*//' | sort -u | wc -l) modules, no cycle"
