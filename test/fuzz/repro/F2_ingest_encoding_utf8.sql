-- F2: with options.encoding equal to the database's encoding (UTF8), or
-- SQL_ASCII, a bronze step takes the whole file, not its first line, as the
-- header, so it creates wrong columns and fails on the second line.
-- src/ingest.c read_first_record(): pg_do_encoding_conversion() returns its
-- input unchanged when the two encodings are the same (or either is
-- SQL_ASCII), so "converted" is not cut at the end of the first record; the
-- field loop then runs to the NUL at buf[n], past the line end.
-- Run as a superuser in a database with dataops:
--   psql -X -d <db> -f test/fuzz/repro/F2_ingest_encoding_utf8.sql
-- Expected: one row (a = 1, b = 2).  Got: columns a, b_1, 2 and
-- ERROR: ... line 2: missing data for column "2".  Without the encoding
-- option the same file loads.
\! /usr/bin/python3 -c "import os; p = '/tmp/dataops_f2.csv'; open(p, 'w').write('a,b\n1,2\n'); os.chmod(p, 0o644)"
SELECT dataops.create_pipeline('f2');
SELECT dataops.add_step('f2', 'b', 'bronze', 'f2', source => '/tmp/dataops_f2.csv', options => '{"encoding": "UTF8"}');
SELECT dataops.run('f2');
SELECT dataops.create_pipeline('f2_ok');
SELECT dataops.add_step('f2_ok', 'b', 'bronze', 'f2_ok', source => '/tmp/dataops_f2.csv');
SELECT dataops.run('f2_ok') > 0 AS loads_without_the_option;
