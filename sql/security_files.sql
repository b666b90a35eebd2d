-- Hostile-role tests for files and regular expressions: a role without
-- pg_read_server_files learns nothing about the server's files; wildcards,
-- CSV headers and regular expressions cannot run away with a backend;
-- names cannot carry control characters.  Roles: sfiles_*.
\getenv datadir DATAOPS_TEST_DATA
SELECT pg_postmaster_start_time() AS started \gset

-- sqlstate_of / error_of: what a statement raises ('no error' / NULL if nothing)
CREATE FUNCTION pg_temp.sqlstate_of(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE stmt;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END
$$;
CREATE FUNCTION pg_temp.error_of(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    msg text;
    detail text;
    hint text;
BEGIN
    EXECUTE stmt;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    RETURN concat_ws(' / ', msg, detail, hint);
END
$$;

CREATE ROLE sfiles_evil LOGIN;
CREATE ROLE sfiles_loader LOGIN;
GRANT pg_read_server_files TO sfiles_loader;
-- one long value, for the regular expressions
CREATE SCHEMA sfiles_s;
CREATE TABLE sfiles_s.vals AS SELECT repeat('a', 200000) AS v;
GRANT USAGE ON SCHEMA sfiles_s TO sfiles_evil;
GRANT SELECT ON sfiles_s.vals TO sfiles_evil;

-- Files written by the server (as postgres) into the test data directory.
\set f_dup2000 :datadir/sfiles_dup2000.csv
\set f_dup1500 :datadir/sfiles_dup1500.csv
\set f_run_id :datadir/sfiles_run_id.csv
\set f_ingested_at :datadir/sfiles_ingested_at.csv
\set f_source_file :datadir/sfiles_source_file.csv
-- 2,000 columns all named x
COPY (SELECT line FROM (VALUES (1, (SELECT string_agg('x', ',') FROM generate_series(1, 2000))),
                               (2, (SELECT string_agg('1', ',') FROM generate_series(1, 2000)))) v(n, line)
      ORDER BY n) TO :'f_dup2000';
-- 1,500 columns all named x (fits in a table: x, x_2, ... x_1500)
COPY (SELECT line FROM (VALUES (1, (SELECT string_agg('x', ',') FROM generate_series(1, 1500))),
                               (2, (SELECT string_agg(g::text, ',') FROM generate_series(1, 1500) g))) v(n, line)
      ORDER BY n) TO :'f_dup1500';
-- headers naming the bookkeeping columns
COPY (VALUES ('a,_run_id'), ('1,999')) TO :'f_run_id';
COPY (VALUES ('a,_ingested_at'), ('1,2000-01-01')) TO :'f_ingested_at';
COPY (VALUES ('_source_file,a'), ('/etc/passwd,1')) TO :'f_source_file';

-- 1. A role without pg_read_server_files cannot add a step that reads files,
-- whatever the source: an existing file, a missing one, a deep wildcard.
-- The error is the same and names no file.
SET ROLE sfiles_evil;
SELECT dataops.create_pipeline('sfiles_evil_p');
SELECT dataops.add_step('sfiles_evil_p', 's', 'bronze', 'sfiles_evil_t', source => :'datadir' || '/tiny.csv');
SET statement_timeout = '1s';
SELECT dataops.add_step('sfiles_evil_p', 's', 'bronze', 'sfiles_evil_t', source => '/sys/*/*/*/*/*/*/*/*');
RESET statement_timeout;
SELECT pg_temp.error_of(format($$SELECT dataops.add_step('sfiles_evil_p', 's', 'bronze', 'sfiles_evil_t', source => %L)$$,
                               :'datadir' || '/tiny.csv'))
     = pg_temp.error_of($$SELECT dataops.add_step('sfiles_evil_p', 's', 'bronze', 'sfiles_evil_t', source => '/nonexistent/x.csv')$$)
       AS same_error_existing_or_not,
       position('tiny' IN pg_temp.error_of(format($$SELECT dataops.add_step('sfiles_evil_p', 's', 'bronze', 'sfiles_evil_t', source => %L)$$,
                                                  :'datadir' || '/tiny.csv'))) = 0 AS no_file_name,
       pg_temp.sqlstate_of($$SELECT dataops.add_step('sfiles_evil_p', 's', 'bronze', 'sfiles_evil_t', source => '/etc/passwd')$$)
       AS etc_passwd;
-- nothing was defined
SELECT count(*) AS evil_steps FROM dataops.steps WHERE pipeline = 'sfiles_evil_p';
RESET ROLE;

-- 2. Not even a superuser can give a file step to a pipeline whose owner
-- lacks the privilege (the step would read files as that owner).
SELECT dataops.add_step('sfiles_evil_p', 's', 'bronze', 'sfiles_evil_t', source => :'datadir' || '/tiny.csv');
SELECT count(*) AS evil_steps FROM dataops.steps WHERE pipeline = 'sfiles_evil_p';

-- 3. A step defined while its owner had the privilege, run after it was
-- revoked: refused at run time before any file is touched, the same way for
-- an existing and a missing file, and the recorded error names no file.
SET ROLE sfiles_loader;
SELECT dataops.create_pipeline('sfiles_rev_a');
SELECT dataops.add_step('sfiles_rev_a', 't', 'bronze', 'sfiles_rev_a', source => :'datadir' || '/tiny.csv');
SELECT dataops.create_pipeline('sfiles_rev_b');
SELECT dataops.add_step('sfiles_rev_b', 't', 'bronze', 'sfiles_rev_b', source => '/nonexistent/sfiles/*.csv');
RESET ROLE;
REVOKE pg_read_server_files FROM sfiles_loader;
SET ROLE sfiles_loader;
\set VERBOSITY sqlstate
SELECT dataops.run('sfiles_rev_a');
SELECT dataops.run('sfiles_rev_b');
\set VERBOSITY default
RESET ROLE;
SELECT pipeline, status, error_sqlstate, error_message FROM dataops.runs
 WHERE pipeline IN ('sfiles_rev_a', 'sfiles_rev_b') ORDER BY pipeline;
SELECT (SELECT replace(error_message, 'sfiles_rev_a', 'P') FROM dataops.runs WHERE pipeline = 'sfiles_rev_a')
     = (SELECT replace(error_message, 'sfiles_rev_b', 'P') FROM dataops.runs WHERE pipeline = 'sfiles_rev_b')
       AS same_error_existing_or_not,
       (SELECT bool_and(position(:'datadir' IN coalesce(error_message, '') || coalesce(error_detail, '')) = 0
                        AND position('nonexistent' IN coalesce(error_message, '') || coalesce(error_detail, '')) = 0)
          FROM dataops.step_runs WHERE run_id IN (SELECT run_id FROM dataops.runs
                                                   WHERE pipeline IN ('sfiles_rev_a', 'sfiles_rev_b'))) AS no_path_recorded,
       to_regclass('bronze.sfiles_rev_a') IS NULL AS no_table,
       (SELECT count(*) FROM dataops.ingested_files WHERE target = 'bronze.sfiles_rev_a') AS files_loaded;

-- 4. A deep wildcard, even for a privileged owner, is a bounded walk: it
-- stops at the cap (54000) at once instead of growing the worker.
SELECT dataops.create_pipeline('sfiles_deep');
SELECT dataops.add_step('sfiles_deep', 'd', 'bronze', 'sfiles_deep', source => '/sys/*/*/*/*/*/*/*/*');
\set VERBOSITY sqlstate
SELECT dataops.run('sfiles_deep');
\set VERBOSITY default
SELECT status, error_sqlstate, finished_at - started_at < interval '10 seconds' AS fast
  FROM dataops.runs WHERE pipeline = 'sfiles_deep';

-- 5. 2,000 columns of one name: a clear error at once (no table holds 2,003
-- columns), not minutes of comparing names.
SELECT dataops.create_pipeline('sfiles_dup');
SELECT dataops.add_step('sfiles_dup', 'd', 'bronze', 'sfiles_dup2000', source => :'datadir' || '/sfiles_dup2000.csv');
\set VERBOSITY sqlstate
SELECT dataops.run('sfiles_dup');
\set VERBOSITY default
SELECT status, error_sqlstate, replace(error_message, :'datadir', '<datadir>') AS error_message,
       finished_at - started_at < interval '5 seconds' AS fast
  FROM dataops.runs WHERE pipeline = 'sfiles_dup';
-- 1,500 columns of one name load, renamed x, x_2, ... x_1500, in linear time
SELECT dataops.create_pipeline('sfiles_dup_ok');
SELECT dataops.add_step('sfiles_dup_ok', 'd', 'bronze', 'sfiles_dup1500', source => :'datadir' || '/sfiles_dup1500.csv');
SELECT dataops.run('sfiles_dup_ok') > 0 AS ran;
SELECT status, finished_at - started_at < interval '5 seconds' AS fast
  FROM dataops.runs WHERE pipeline = 'sfiles_dup_ok';
SELECT count(*) AS columns, count(*) FILTER (WHERE attname IN ('x', 'x_2', 'x_1500')) AS named,
       count(DISTINCT attname) AS distinct_names
  FROM pg_attribute WHERE attrelid = 'bronze.sfiles_dup1500'::regclass AND attnum > 0 AND NOT attisdropped;
SELECT x, x_2, x_1500 FROM bronze.sfiles_dup1500;

-- 6. A header naming a bookkeeping column is refused (42701), before any
-- row is loaded: with normalize_names false, _run_id, _ingested_at and
-- _source_file stay as written.
SELECT dataops.create_pipeline('sfiles_bk');
SELECT dataops.add_step('sfiles_bk', 'r', 'bronze', 'sfiles_bk_run_id', source => :'datadir' || '/sfiles_run_id.csv',
                        options => '{"normalize_names": false}');
SELECT dataops.add_step('sfiles_bk', 'i', 'bronze', 'sfiles_bk_ingested_at', source => :'datadir' || '/sfiles_ingested_at.csv',
                        options => '{"normalize_names": false}');
SELECT dataops.add_step('sfiles_bk', 's', 'bronze', 'sfiles_bk_source_file', source => :'datadir' || '/sfiles_source_file.csv',
                        options => '{"normalize_names": false}');
\set VERBOSITY sqlstate
SELECT dataops.run('sfiles_bk');
\set VERBOSITY default
SELECT sr.step, sr.status, sr.error_sqlstate, replace(sr.error_message, :'datadir', '<datadir>') AS error_message
  FROM dataops.step_runs sr JOIN dataops.runs r USING (run_id)
 WHERE r.pipeline = 'sfiles_bk' ORDER BY sr.step;
SELECT to_regclass('bronze.sfiles_bk_run_id') IS NULL AS no_run_id_table,
       to_regclass('bronze.sfiles_bk_ingested_at') IS NULL AS no_ingested_at_table,
       to_regclass('bronze.sfiles_bk_source_file') IS NULL AS no_source_file_table;
-- normalized (the default), a leading underscore goes: _run_id is run_id, no clash
SELECT dataops.create_pipeline('sfiles_bk_norm');
SELECT dataops.add_step('sfiles_bk_norm', 'r', 'bronze', 'sfiles_bk_norm', source => :'datadir' || '/sfiles_run_id.csv');
SELECT dataops.run('sfiles_bk_norm') > 0 AS ran;
SELECT a, run_id, _run_id = (SELECT run_id FROM dataops.runs WHERE pipeline = 'sfiles_bk_norm') AS own_run_id
  FROM bronze.sfiles_bk_norm;

-- 7. Regular expressions that backtrack catastrophically end: at the match
-- limit of one start position (54001) at once, or, when every start position
-- stays under it, through statement_timeout (checked at every start position).
SET ROLE sfiles_evil;
\set VERBOSITY terse
SELECT dataops.regex_match(repeat('a', 2000), '(?:a|a){22}[bc]');
SET statement_timeout = '1s';
SELECT dataops.regex_match(repeat('a', 200000), '(?:a|a){18}[bc]');
SELECT dataops.regex_match(repeat('a', 200000), '(?:a|a){18}[bc]', 'i');
SELECT dataops.regex_extract(repeat('a', 200000), '(?:a|a){18}([bc])', 1);
SELECT dataops.regex_replace(repeat('a', 200000), '(?:a|a){18}[bc]', 'x');
SELECT dataops._expect_regex(repeat('a', 200000), '(?:a|a){18}[bc]', '', 'e');
SELECT dataops.regex_match(repeat('a', 200000), '(*NO_JIT)(?:a|a){18}[bc]');
SELECT count(*) FROM generate_series(1, 1000) g WHERE dataops.regex_match(repeat('a', 2000) || g, '(?:a|a){16}[bc]');
RESET statement_timeout;
-- without a timeout, a search is cut after 10 seconds of work on one value
SELECT dataops.regex_match(repeat('a', 200000), '(?:a|a){18}[bc]');
\set VERBOSITY default

-- 8. ... and in a suite checked with validate (in the caller's session)
SELECT dataops.create_suite('sfiles_suite');
SELECT dataops.add_suite_expectation('sfiles_suite', 'slow', 'match_regex', 'v', '{"pattern": "(?:a|a){18}[bc]"}');
SET statement_timeout = '1s';
\set VERBOSITY terse
SELECT count(*) FROM dataops.validate('sfiles_s.vals', 'sfiles_suite');
\set VERBOSITY default
RESET statement_timeout;
RESET ROLE;

-- 9. An expectation whose pattern hits the limit fails the step with that
-- error, naming the expectation.
SELECT dataops.create_pipeline('sfiles_rx');
SELECT dataops.add_step('sfiles_rx', 'r', 'silver', 'sfiles_rx', query => $$SELECT repeat('a', 2000) AS s$$);
SELECT dataops.add_expectation('sfiles_rx', 'r', 'no_b', 'match_regex', 's', '{"pattern": "(?:a|a){22}[bc]"}');
\set VERBOSITY sqlstate
SELECT dataops.run('sfiles_rx');
\set VERBOSITY default
SELECT status, error_sqlstate, error_message FROM dataops.runs WHERE pipeline = 'sfiles_rx';
SELECT to_regclass('silver.sfiles_rx') IS NULL AS nothing_published;

-- 10. \C (one byte, half a UTF-8 character, could read past the value) is
-- refused, in SQL functions and in expectations alike.
SET ROLE sfiles_evil;
SELECT dataops.regex_extract('é', '\C', 0);
SELECT dataops.regex_match('é', '(?s)\C\C');
SELECT dataops.create_suite('sfiles_suite_c');
SELECT dataops.add_suite_expectation('sfiles_suite_c', 'c', 'match_regex', 'v', '{"pattern": "^\\C"}');
SELECT count(*) AS expectations FROM dataops.suite_expectations WHERE suite = 'sfiles_suite_c';
-- start-of-pattern options still work, and cannot raise the limits
SELECT dataops.regex_match('ab', '(*UTF)(*CRLF)^a+b$') AS options_ok,
       pg_temp.sqlstate_of($$SELECT dataops.regex_match(repeat('a', 2000), '(*LIMIT_MATCH=100000000)(?:a|a){22}[bc]')$$)
       AS limit_not_raised;

-- 11. Control characters in names are refused (22023): a newline could
-- forge a log line, an escape sequence rewrite a terminal.
SELECT dataops.create_pipeline(E'sfiles_x\nLOG:  database system is shut down');
SELECT dataops.create_pipeline(E'sfiles_x\x1b[2J');
SELECT dataops.create_pipeline(E'sfiles_x\x7f');
SELECT dataops.create_pipeline(U&'sfiles_x\009B2J');
SELECT dataops.add_step('sfiles_evil_p', E's\r', 'silver', 'sfiles_t', query => 'SELECT 1 AS one');
SELECT dataops.add_step('sfiles_evil_p', 's', 'silver', E'sfiles_t\t', query => 'SELECT 1 AS one');
SELECT dataops.add_step('sfiles_evil_p', 's', 'silver', 'sfiles_evil_q', query => 'SELECT 1 AS one');
SELECT dataops.add_expectation('sfiles_evil_p', 's', E'e\x01', 'not_null', 'one');
SELECT dataops.add_suite_expectation('sfiles_suite', E'e\n', 'not_null', 'v');
SELECT (SELECT count(*) FROM dataops.pipelines WHERE name ~ '[[:cntrl:]]' OR name ~ U&'[\0080-\009F]') AS pipelines,
       (SELECT count(*) FROM dataops.steps WHERE name ~ '[[:cntrl:]]' OR target_table ~ '[[:cntrl:]]') AS steps,
       (SELECT count(*) FROM dataops.expectations WHERE name ~ '[[:cntrl:]]') AS expectations,
       (SELECT count(*) FROM dataops.suite_expectations WHERE name ~ '[[:cntrl:]]') AS suite_expectations;
-- printable non-ASCII names are fine
SELECT dataops.create_pipeline('sfiles_zürich_€');
RESET ROLE;

-- 12. The attacker gained nothing: no privilege, and the server never restarted.
SELECT rolsuper, pg_has_role('sfiles_evil', 'pg_read_server_files', 'USAGE') AS reads_files
  FROM pg_roles WHERE rolname = 'sfiles_evil';
SELECT pg_postmaster_start_time() = :'started' AS server_survived;

-- clean up
SELECT count(*) AS pipelines_dropped
  FROM (SELECT dataops.drop_pipeline(name) FROM dataops.pipelines WHERE name LIKE 'sfiles%') d;
SELECT count(*) AS suites_dropped
  FROM (SELECT dataops.drop_suite(name) FROM dataops.suites WHERE name LIKE 'sfiles%') d;
DROP TABLE bronze.sfiles_dup1500, bronze.sfiles_bk_norm;
DROP SCHEMA sfiles_s CASCADE;
DELETE FROM dataops.ingested_files WHERE target LIKE 'bronze.sfiles%';
DROP ROLE sfiles_evil;
DROP ROLE sfiles_loader;
