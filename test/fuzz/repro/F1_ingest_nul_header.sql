-- F1: the step worker crashes (SIGSEGV) on a CSV file whose first line is
-- long (here 900 kB) and has a NUL byte near its start.
-- src/ingest.c read_first_record(): pnstrdup() stops at the NUL, so the copy
-- is 1 byte long, but pg_verifymbstr() is told it is i - start (900 kB)
-- long and reads past the allocation (valgrind: "Invalid read of size 1 ...
-- 0 bytes after a block of size 8,192", at pg_verifymbstr called from
-- read_first_record, src/ingest.c:148).  A short first line only over-reads
-- a little and ends in "invalid byte sequence for encoding "UTF8": 0x00".
-- The first record is also long with options.quote = "\n" (every newline
-- toggles "quoted"): then any file with a NUL byte in its first MiB over-reads
-- (the fuzz target's seed 1 finds it so).  Whether the over-read reaches an
-- unmapped page and crashes depends on the heap; under valgrind it is always
-- reported.
-- Run as a superuser in a database with dataops:
--   psql -X -d <db> -f test/fuzz/repro/F1_ingest_nul_header.sql
-- Expected: ERROR 22021 (invalid byte sequence ... 0x00).  Got: the server
-- log says 'background worker "dataops step" (PID n) was terminated by
-- signal 11: Segmentation fault' and every session is reset.
\! /usr/bin/python3 -c "import os; p = '/tmp/dataops_f1.csv'; open(p, 'wb').write(b'a' + bytes(1) + b'x' * 900000 + bytes([10])); os.chmod(p, 0o644)"
SELECT dataops.create_pipeline('f1');
SELECT dataops.add_step('f1', 'b', 'bronze', 'f1', source => '/tmp/dataops_f1.csv');
SELECT dataops.run('f1');
