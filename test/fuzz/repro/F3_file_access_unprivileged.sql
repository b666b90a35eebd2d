-- F3: a role without pg_read_server_files learns about server files through
-- a bronze step: dataops globs, stats, hashes and reads the first line of the
-- source before COPY (run as the pipeline's owner) checks the privilege.
-- So the step's error tells whether a path exists (58P01 "no file matches"
-- against 42501 for a file that exists), whether a file is empty (22P04),
-- and shows bytes of its first line (22021 "invalid byte sequence ...").
-- Only 42501 should come back, before the file is touched.
-- Run as a superuser in a database with dataops:
--   psql -X -d <db> -f test/fuzz/repro/F3_file_access_unprivileged.sql
\! /usr/bin/python3 -c "import os; p = '/tmp/dataops_f3.csv'; open(p, 'wb').write(bytes([0x73, 0xff, 10])); os.chmod(p, 0o644)"
\! /usr/bin/python3 -c "import os; p = '/tmp/dataops_f3_empty.csv'; open(p, 'wb').close(); os.chmod(p, 0o644)"
CREATE ROLE dataops_f3_plain LOGIN;
GRANT CREATE ON SCHEMA public TO dataops_f3_plain;
SET ROLE dataops_f3_plain;
SELECT dataops.create_pipeline('f3');
SELECT dataops.add_step('f3', 'missing', 'bronze', 'public.f3_missing', source => '/nonexistent/secret.csv');
SELECT dataops.run('f3');
SELECT dataops.drop_pipeline('f3');
SELECT dataops.create_pipeline('f3');
SELECT dataops.add_step('f3', 'bytes', 'bronze', 'public.f3_bytes', source => '/tmp/dataops_f3.csv');
SELECT dataops.run('f3');
SELECT dataops.drop_pipeline('f3');
SELECT dataops.create_pipeline('f3');
SELECT dataops.add_step('f3', 'empty', 'bronze', 'public.f3_empty', source => '/tmp/dataops_f3_empty.csv');
SELECT dataops.run('f3');
SELECT dataops.drop_pipeline('f3');
RESET ROLE;
REVOKE CREATE ON SCHEMA public FROM dataops_f3_plain;
DROP ROLE dataops_f3_plain;
