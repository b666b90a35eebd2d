-- Bronze ingestion: header names, bookkeeping columns, load-once, full refresh, bad files.
\getenv datadir DATAOPS_TEST_DATA
SELECT dataops.create_pipeline('ing');
SELECT dataops.add_step('ing', 'tiny', 'bronze', 'tiny', source => :'datadir' || '/tiny.csv');
SELECT dataops.run('ing');

-- header "User Id,Full Name,Score,Email" becomes lower snake_case, all text, plus three columns
SELECT attname, format_type(atttypid, atttypmod) AS type
  FROM pg_attribute WHERE attrelid = 'bronze.tiny'::regclass AND attnum > 0 ORDER BY attnum;
-- unquoted empty fields are NULL (CSV); the duplicate u1 is kept in bronze
SELECT user_id, full_name, score, email, _run_id, _source_file = :'datadir' || '/tiny.csv' AS from_file
  FROM bronze.tiny ORDER BY user_id, score;
SELECT step, status, rows_read, rows_written, files_ingested, files_skipped
  FROM dataops.step_runs WHERE run_id = 1;
SELECT target, path = :'datadir' || '/tiny.csv' AS path_ok, rows_loaded, run_id,
       size_bytes = (pg_stat_file(path)).size AS size_ok,
       sha256 = encode(sha256(pg_read_binary_file(path)), 'hex') AS sha256_ok
  FROM dataops.ingested_files;

-- a second run loads nothing twice
SELECT dataops.run('ing');
SELECT count(*) AS rows FROM bronze.tiny;
SELECT step, status, rows_read, files_ingested, files_skipped FROM dataops.step_runs WHERE run_id = 2;

-- full_refresh reloads every file, replacing the earlier rows
SELECT dataops.run('ing', full_refresh => true);
SELECT count(*) AS rows, min(_run_id) AS min_run, max(_run_id) AS max_run FROM bronze.tiny;
SELECT count(*) AS files, max(run_id) AS run_id FROM dataops.ingested_files;

-- a glob loads every matching file; rows remember their file
SELECT dataops.add_step('ing', 'people', 'bronze', 'people', source => :'datadir' || '/people-day*.csv');
SELECT dataops.run('ing');
SELECT count(*) AS rows, count(DISTINCT _source_file) AS files, count(DISTINCT user_id) AS user_ids
  FROM bronze.people;
SELECT attname FROM pg_attribute WHERE attrelid = 'bronze.people'::regclass AND attnum > 0 ORDER BY attnum;
SELECT step, rows_read, files_ingested, files_skipped FROM dataops.step_runs WHERE run_id = 4 ORDER BY step;

-- normalize_names = false keeps the header as written
SELECT dataops.create_pipeline('ing_raw');
SELECT dataops.add_step('ing_raw', 'tiny', 'bronze', 'tiny_raw', source => :'datadir' || '/tiny.csv',
       options => '{"normalize_names": false}');
SELECT dataops.run('ing_raw');
SELECT "User Id", "Full Name" FROM bronze.tiny_raw ORDER BY 1, 2;

-- a ragged file fails the step with file and line, and keeps none of its rows
SELECT dataops.create_pipeline('ragged');
SELECT dataops.add_step('ragged', 'r', 'bronze', 'ragged', source => :'datadir' || '/ragged.csv');
-- (run errors name the file, whose directory depends on the test cluster:
-- they are shown from dataops.runs with the directory replaced)
\set VERBOSITY sqlstate
SELECT dataops.run('ragged');
\set VERBOSITY default
SELECT status, failed_step, error_sqlstate, replace(error_message, :'datadir', '<datadir>') AS error_message
  FROM dataops.runs WHERE pipeline = 'ragged';
SELECT step, status FROM dataops.step_runs WHERE run_id = (SELECT max(run_id) FROM dataops.runs WHERE pipeline = 'ragged');
SELECT to_regclass('bronze.ragged') AS ragged_table,
       (SELECT count(*) FROM dataops.ingested_files WHERE target = 'bronze.ragged') AS files;

-- bad encoding fails; the encoding option reads it
SELECT dataops.create_pipeline('latin');
SELECT dataops.add_step('latin', 'l', 'bronze', 'latin', source => :'datadir' || '/latin1.csv');
\set VERBOSITY sqlstate
SELECT dataops.run('latin');
\set VERBOSITY default
SELECT error_sqlstate, replace(error_message, :'datadir', '<datadir>') AS error_message
  FROM dataops.runs WHERE pipeline = 'latin';
SELECT dataops.create_pipeline('latin_ok');
SELECT dataops.add_step('latin_ok', 'l', 'bronze', 'latin_ok', source => :'datadir' || '/latin1.csv',
       options => '{"encoding": "LATIN1"}');
SELECT dataops.run('latin_ok');
SELECT name, city FROM bronze.latin_ok;

-- a missing file, and a glob that matches nothing
SELECT dataops.create_pipeline('missing');
SELECT dataops.add_step('missing', 'm', 'bronze', 'missing', source => '/nonexistent/people.csv');
SELECT dataops.run('missing');
SELECT dataops.create_pipeline('nomatch');
SELECT dataops.add_step('nomatch', 'm', 'bronze', 'nomatch', source => :'datadir' || '/nothing-*.csv');
\set VERBOSITY sqlstate
SELECT dataops.run('nomatch');
\set VERBOSITY default
SELECT error_sqlstate, replace(error_message, :'datadir', '<datadir>') AS error_message
  FROM dataops.runs WHERE pipeline = 'nomatch';
SELECT pipeline, status, failed_step FROM dataops.runs WHERE status <> 'succeeded' ORDER BY run_id;
