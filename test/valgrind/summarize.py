#!/usr/bin/python3
"""Summarizes the valgrind logs of `make valgrind` (test/valgrind/run.sh).

usage: summarize.py <log dir> <repository>

Reads every <pid>.log, splits it into errors (valgrind was run with
--error-markers=VALGRINDERROR-BEGIN,VALGRINDERROR-END), and prints each error
with a frame in dataops (dataops.so, or a source path under <repository>/src)
with its stack, grouped by kind and dataops function.  Errors without a
dataops frame are only counted, by kind and top frame.
Exit status: 1 if any error has a dataops frame, else 0.
"""
import glob
import os
import re
import sys

FRAME = re.compile(r'^\s*(?:at|by) 0x[0-9A-Fa-f]+: (.*)$')


def errors_of(path):
    """Yields (pid, lines) for each error of one log, and for a process killed by a signal."""
    pid = os.path.basename(path).split('.')[0]
    cur = None
    fatal = None
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            body = re.sub(r'^==\d+==\s?', '', line.rstrip('\n'))
            body = re.sub(r'^\d\d:\d\d:\d\d:\d\d:\d\d\.\d+ ', '', body)   # --time-stamp
            if fatal is not None:
                if body.strip() == '' and len(fatal) > 1 and FRAME.match(fatal[-1]):
                    yield pid, fatal
                    fatal = None
                else:
                    fatal.append(body)
            elif 'VALGRINDERROR-BEGIN' in body:
                cur = []
            elif 'VALGRINDERROR-END' in body:
                if cur is not None:
                    yield pid, cur
                cur = None
            elif cur is not None:
                cur.append(body)
            elif body.startswith('Process terminating with default action of signal'):
                fatal = [body]
    if fatal:
        yield pid, fatal


def main():
    logdir, repo = sys.argv[1], os.path.realpath(sys.argv[2])
    src = os.path.join(repo, 'src') + '/'
    ours = {}      # (kind, dataops function) -> [count, example stack, pids]
    others = {}    # (kind, top frame) -> count
    nlogs = 0
    for path in sorted(glob.glob(os.path.join(logdir, '*.log'))):
        nlogs += 1
        for pid, lines in errors_of(path):
            lines = [l for l in lines if l.strip()]
            if not lines:
                continue
            kind = re.sub(r'0x[0-9A-Fa-f]+', '0x..', lines[0].strip())
            frames = [m.group(1) for m in (FRAME.match(l) for l in lines) if m]
            # the stack of the error itself ends where "Address ..." or "Uninitialised value was created" begins
            stack = []
            for l in lines[1:]:
                if FRAME.match(l):
                    stack.append(FRAME.match(l).group(1))
                elif stack:
                    break
            mine = [f for f in frames if 'dataops.so' in f or src in f]
            if mine:
                fn = mine[0].split(' (')[0]
                key = (kind, fn)
                if key not in ours:
                    ours[key] = [0, lines, set()]
                ours[key][0] += 1
                ours[key][2].add(pid)
            else:
                top = stack[0] if stack else '?'
                top = re.sub(r'\(in .*/', '(in ', top)
                key = (kind, top)
                others[key] = others.get(key, 0) + 1
    n_ours = sum(v[0] for v in ours.values())
    n_others = sum(others.values())
    print('valgrind: %d process logs; %d error(s) with a dataops frame, %d without' % (nlogs, n_ours, n_others))
    for (kind, fn), (count, lines, pids) in sorted(ours.items(), key=lambda x: -x[1][0]):
        print('\n---- %s in %s: %d time(s), processes %s' % (kind, fn, count, ', '.join(sorted(pids)[:10])))
        for l in lines:
            if l.startswith('{') or l.startswith('   <insert_a_suppression'):
                break
            print('    ' + l)
    if others:
        print('\nvalgrind: errors without a dataops frame (by kind and top frame):')
        for (kind, top), count in sorted(others.items(), key=lambda x: -x[1])[:40]:
            print('  %5d  %s  at %s' % (count, kind, top))
    if n_ours:
        print('\nvalgrind: FAILED: %d error(s) in dataops' % n_ours)
        return 1
    print('\nvalgrind: OK: no error in dataops')
    return 0


if __name__ == '__main__':
    sys.exit(main())
