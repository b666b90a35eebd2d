-- dataops on Citus, the baseline (issue 15): run by test/citus.sh on the coordinator
-- with psql -v ON_ERROR_STOP=1 -v datadir=<directory holding test/data>.
-- Every check calls pg_temp.expect(), which raises an error (and so fails the script)
-- when a value is not the right one.
--
--  (a) the people pipeline (CSV bronze, silver with checks and a drop expectation,
--      gold dedup on user_id keep _source_file DESC) twice in the same cluster:
--      cit_local reads local tables; cit_dist reads a bronze table distributed with
--      create_distributed_table(..., 'user_id') after its CSV load.  Every count of
--      step_runs and expectation_results is the same, and the right one (computed
--      here from the bronze rows, without dataops); the published rows are the same.
--  (b) steps publish into a pre-created distributed table and a reference table;
--      kept versions of a distributed table and a Citus local table as target are
--      refused with 0A000 "is a Citus table" and write nothing.
--  (c) EXPLAIN of the gold dedup over the distributed source shows Citus shard tasks.
\set QUIET on
\pset footer off
-- pg_temp functions stay on the coordinator (Citus says so with a WARNING)
SET client_min_messages = error;

\ir lib/helpers.psql

\o /dev/null
SELECT dataops.drop_pipeline(name) FROM dataops.pipelines WHERE name LIKE 'cit\_%';
-- the files a bronze target loaded are not loaded again: forget those of earlier runs
DELETE FROM dataops.ingested_files WHERE target LIKE 'cit\_%';
\o
DROP SCHEMA IF EXISTS cit_l, cit_d, cit_t CASCADE;
CREATE SCHEMA cit_l;
CREATE SCHEMA cit_d;
CREATE SCHEMA cit_t;
RESET client_min_messages;

\echo '== the cluster: coordinator and workers (pg_dist_node)'
SELECT nodename, nodeport, groupid, noderole, isactive FROM pg_dist_node ORDER BY nodeport;
SELECT pg_temp.expect('active worker nodes',
       (SELECT count(*) FROM pg_dist_node WHERE isactive AND groupid <> 0), 2::bigint);
SELECT pg_temp.expect('dataops installed on the workers',
       (SELECT count(*) FROM run_command_on_workers(
            $$SELECT count(*) FROM pg_extension WHERE extname = 'dataops'$$) WHERE success AND result = '1'),
       2::bigint);

-- ------------------------------------------------------------------ (a)
-- The same steps for both pipelines: <b> is the bronze table the silver and
-- direct steps read.
SET client_min_messages = error;
CREATE FUNCTION pg_temp.add_steps(p text, s text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM dataops.add_step(p, 'clean', 'silver', s || '.silver_people', query => format(
        'SELECT user_id, first_name, last_name, sex, lower(trim(email)) AS email, phone,
                date_of_birth::date AS date_of_birth, job_title, _ingested_at, _source_file
           FROM %I.bronze_people', s));
    PERFORM dataops.add_expectation(p, 'clean', 'email_valid', 'match_regex', 'email',
        '{"pattern": "^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$"}', 'drop');
    PERFORM dataops.add_expectation(p, 'clean', 'sex_known', 'in_set', 'sex',
        '{"values": ["Male"]}', 'warn');
    PERFORM dataops.add_expectation(p, 'clean', 'user_id_present', 'not_null', 'user_id', '{}', 'fail');
    PERFORM dataops.add_step(p, 'people', 'gold', s || '.gold_people',
        query => format('SELECT * FROM %I.silver_people', s),
        unique_key => '{user_id}', keep => '_source_file DESC');
    PERFORM dataops.add_expectation(p, 'people', 'gold_row_count', 'row_count_between', NULL,
        '{"min": 1, "max": 10000000}', 'fail');
    PERFORM dataops.add_expectation(p, 'people', 'gold_user_unique', 'unique', 'user_id', '{}', 'fail');
    -- a gold step reading the bronze table itself: in cit_dist, dedup of a distributed source
    PERFORM dataops.add_step(p, 'direct', 'gold', s || '.gold_direct',
        query => format('SELECT user_id, lower(trim(email)) AS email, job_title, _source_file FROM %I.bronze_people', s),
        unique_key => '{user_id}', keep => '_source_file DESC');
    PERFORM dataops.add_expectation(p, 'direct', 'direct_job_title', 'not_null', 'job_title', '{}', 'warn');
END $$;
RESET client_min_messages;

\o /dev/null
SELECT dataops.create_pipeline('cit_local', 'people on local tables (Citus baseline)');
SELECT dataops.add_step('cit_local', 'raw', 'bronze', 'cit_l.bronze_people', source => :'datadir' || '/people-day*.csv');
SELECT pg_temp.add_steps('cit_local', 'cit_l');

SELECT dataops.create_pipeline('cit_dload', 'people bronze, distributed after its load (Citus baseline)');
SELECT dataops.add_step('cit_dload', 'raw', 'bronze', 'cit_d.bronze_people', source => :'datadir' || '/people-day*.csv');
SELECT dataops.create_pipeline('cit_dist', 'people silver and gold over a distributed bronze (Citus baseline)');
SELECT pg_temp.add_steps('cit_dist', 'cit_d');
\o

SELECT dataops.run('cit_local') AS lrun \gset
SELECT dataops.run('cit_dload') AS draw \gset
\echo '== cit_d.bronze_people distributed by user_id after its load'
SET client_min_messages = warning;
SELECT create_distributed_table('cit_d.bronze_people', 'user_id');
-- the rows now live on the shards: empty the coordinator's shell table
SELECT truncate_local_data_after_distributing_table('cit_d.bronze_people');
RESET client_min_messages;
SELECT pg_temp.expect('cit_d.bronze_people is distributed by user_id',
       (SELECT column_to_column_name(logicalrelid, partkey) FROM pg_dist_partition
         WHERE logicalrelid = 'cit_d.bronze_people'::regclass), 'user_id'::text);
SELECT pg_temp.expect('rows on the shards of cit_d.bronze_people',
       pg_temp.shard_rows('cit_d.bronze_people'),
       11000::numeric);
SELECT pg_temp.expect('workers holding shards of cit_d.bronze_people',
       pg_temp.shard_nodes('cit_d.bronze_people'),
       2::bigint);
SELECT dataops.run('cit_dist') AS drun \gset

SELECT pg_temp.expect('cit_local run status', (SELECT status FROM dataops.runs WHERE run_id = :lrun), 'succeeded');
SELECT pg_temp.expect('cit_dload run status', (SELECT status FROM dataops.runs WHERE run_id = :draw), 'succeeded');
SELECT pg_temp.expect('cit_dist run status', (SELECT status FROM dataops.runs WHERE run_id = :drun), 'succeeded');

\echo '== step_runs: local source (l_*) and distributed source (d_*)'
CREATE TEMP TABLE cit_steps AS
SELECT coalesce(l.step, d.step) AS step,
       l.rows_read AS l_read, d.rows_read AS d_read, l.rows_written AS l_written, d.rows_written AS d_written,
       l.duplicates_removed AS l_dups, d.duplicates_removed AS d_dups,
       l.rows_quarantined AS l_quar, d.rows_quarantined AS d_quar,
       l.files_ingested AS l_files, d.files_ingested AS d_files,
       (l.rows_read, l.rows_written, l.duplicates_removed, l.rows_quarantined, l.files_ingested, l.status)
         IS NOT DISTINCT FROM
       (d.rows_read, d.rows_written, d.duplicates_removed, d.rows_quarantined, d.files_ingested, d.status) AS same
  FROM (SELECT * FROM dataops.step_runs WHERE run_id = :lrun) l
  FULL JOIN (SELECT * FROM dataops.step_runs WHERE run_id IN (:draw, :drun)) d USING (step);
SELECT * FROM cit_steps ORDER BY step = 'raw' DESC, step = 'clean' DESC, step;
SELECT pg_temp.expect('steps compared', (SELECT count(*) FROM cit_steps), 4::bigint);
SELECT pg_temp.expect('steps whose counts differ between local and distributed source',
       (SELECT count(*) FROM cit_steps WHERE NOT same), 0::bigint);

-- the right answers, from the local bronze rows without dataops
SELECT count(*) AS bronze_rows,
       count(*) FILTER (WHERE lower(trim(email)) !~ '^[^@\s]+@[^@\s]+\.[a-z]{2,}$') AS bad_emails,
       count(*) FILTER (WHERE sex <> 'Male') AS not_male,
       count(*) FILTER (WHERE job_title IS NULL) AS no_job_title,
       count(DISTINCT user_id) AS users,
       count(DISTINCT user_id) FILTER (WHERE lower(trim(email)) ~ '^[^@\s]+@[^@\s]+\.[a-z]{2,}$') AS good_users
  FROM cit_l.bronze_people \gset
\echo 'right answers: bronze' :bronze_rows 'rows,' :bad_emails 'bad e-mails,' :not_male 'not Male,' :users 'users,' :good_users 'users with a good e-mail'
SELECT pg_temp.expect('raw rows_read', (SELECT l_read FROM cit_steps WHERE step = 'raw'), 11000::bigint);
SELECT pg_temp.expect('raw rows_written', (SELECT l_written FROM cit_steps WHERE step = 'raw'), 11000::bigint);
SELECT pg_temp.expect('raw files_ingested', (SELECT l_files FROM cit_steps WHERE step = 'raw'), 2);
SELECT pg_temp.expect('clean rows_read', (SELECT l_read FROM cit_steps WHERE step = 'clean'), :bronze_rows::bigint);
SELECT pg_temp.expect('clean rows_quarantined', (SELECT l_quar FROM cit_steps WHERE step = 'clean'), :bad_emails::bigint);
SELECT pg_temp.expect('clean rows_written', (SELECT l_written FROM cit_steps WHERE step = 'clean'),
       (:bronze_rows - :bad_emails)::bigint);
SELECT pg_temp.expect('people rows_read', (SELECT l_read FROM cit_steps WHERE step = 'people'),
       (:bronze_rows - :bad_emails)::bigint);
SELECT pg_temp.expect('people rows_written', (SELECT l_written FROM cit_steps WHERE step = 'people'), :good_users::bigint);
SELECT pg_temp.expect('people duplicates_removed', (SELECT l_dups FROM cit_steps WHERE step = 'people'),
       (:bronze_rows - :bad_emails - :good_users)::bigint);
SELECT pg_temp.expect('direct rows_written', (SELECT l_written FROM cit_steps WHERE step = 'direct'), :users::bigint);
SELECT pg_temp.expect('direct duplicates_removed', (SELECT l_dups FROM cit_steps WHERE step = 'direct'),
       (:bronze_rows - :users)::bigint);

\echo '== expectation_results: local source (l_*) and distributed source (d_*)'
CREATE TEMP TABLE cit_exp AS
SELECT coalesce(l.step, d.step) AS step, coalesce(l.expectation, d.expectation) AS expectation,
       l.element_count AS l_elements, d.element_count AS d_elements,
       l.unexpected_count AS l_unexpected, d.unexpected_count AS d_unexpected,
       l.success AS l_success, d.success AS d_success,
       (l.element_count, l.missing_count, l.unexpected_count, l.unexpected_percent, l.observed_value, l.success)
         IS NOT DISTINCT FROM
       (d.element_count, d.missing_count, d.unexpected_count, d.unexpected_percent, d.observed_value, d.success) AS same
  FROM (SELECT * FROM dataops.expectation_results WHERE run_id = :lrun) l
  FULL JOIN (SELECT * FROM dataops.expectation_results WHERE run_id = :drun) d USING (step, expectation);
SELECT * FROM cit_exp ORDER BY step, expectation;
SELECT pg_temp.expect('expectations compared', (SELECT count(*) FROM cit_exp), 6::bigint);
SELECT pg_temp.expect('expectation results that differ between local and distributed source',
       (SELECT count(*) FROM cit_exp WHERE NOT same), 0::bigint);
SELECT pg_temp.expect('email_valid element_count',
       (SELECT l_elements FROM cit_exp WHERE expectation = 'email_valid'), :bronze_rows::bigint);
SELECT pg_temp.expect('email_valid unexpected_count',
       (SELECT l_unexpected FROM cit_exp WHERE expectation = 'email_valid'), :bad_emails::bigint);
SELECT pg_temp.expect('sex_known unexpected_count (rows read with a sex other than Male)',
       (SELECT l_unexpected FROM cit_exp WHERE expectation = 'sex_known'),
       (SELECT count(*) FROM cit_l.bronze_people WHERE sex <> 'Male'));
SELECT pg_temp.expect('user_id_present unexpected_count',
       (SELECT l_unexpected FROM cit_exp WHERE expectation = 'user_id_present'), 0::bigint);
SELECT pg_temp.expect('gold_user_unique unexpected_count',
       (SELECT l_unexpected FROM cit_exp WHERE expectation = 'gold_user_unique'), 0::bigint);
SELECT pg_temp.expect('direct_job_title unexpected_count',
       (SELECT l_unexpected FROM cit_exp WHERE expectation = 'direct_job_title'), :no_job_title::bigint);

\echo '== the published rows are the same (targets, quarantine)'
SELECT pg_temp.expect('silver rows in one target only',
       (SELECT count(*) FROM ((SELECT user_id, email, _source_file FROM cit_l.silver_people
                               EXCEPT ALL SELECT user_id, email, _source_file FROM cit_d.silver_people)
                              UNION ALL
                              (SELECT user_id, email, _source_file FROM cit_d.silver_people
                               EXCEPT ALL SELECT user_id, email, _source_file FROM cit_l.silver_people)) x), 0::bigint);
SELECT pg_temp.expect('gold rows in one target only',
       (SELECT count(*) FROM ((SELECT user_id, email, _source_file FROM cit_l.gold_people
                               EXCEPT ALL SELECT user_id, email, _source_file FROM cit_d.gold_people)
                              UNION ALL
                              (SELECT user_id, email, _source_file FROM cit_d.gold_people
                               EXCEPT ALL SELECT user_id, email, _source_file FROM cit_l.gold_people)) x), 0::bigint);
SELECT pg_temp.expect('direct rows in one target only',
       (SELECT count(*) FROM ((TABLE cit_l.gold_direct EXCEPT ALL TABLE cit_d.gold_direct)
                              UNION ALL (TABLE cit_d.gold_direct EXCEPT ALL TABLE cit_l.gold_direct)) x), 0::bigint);
SELECT pg_temp.expect('gold keeps the latest file per user (day2 rows in gold)',
       (SELECT count(*) FROM cit_d.gold_people WHERE _source_file LIKE '%people-day2.csv'),
       (SELECT count(DISTINCT user_id) FROM cit_l.bronze_people
         WHERE _source_file LIKE '%people-day2.csv' AND lower(trim(email)) ~ '^[^@\s]+@[^@\s]+\.[a-z]{2,}$'));
SELECT pg_temp.expect('quarantined rows (local = distributed source)',
       (SELECT count(*) FROM cit_d.silver_people_quarantine), (SELECT count(*) FROM cit_l.silver_people_quarantine));

-- ------------------------------------------------------------------ (b)
\echo '== (b) steps publish into pre-created distributed and reference tables; kept versions of one are refused'
SET client_min_messages = warning;
CREATE TABLE cit_t.people_dist (user_id text, email text, _source_file text);
SELECT create_distributed_table('cit_t.people_dist', 'user_id');
CREATE TABLE cit_t.people_ref (user_id text, email text, _source_file text);
SELECT create_reference_table('cit_t.people_ref');
CREATE TABLE cit_t.people_kept (user_id text, email text, _source_file text);
SELECT create_distributed_table('cit_t.people_kept', 'user_id');
CREATE TABLE cit_t.people_clocal (user_id text, email text, _source_file text);
SELECT citus_add_local_table_to_metadata('cit_t.people_clocal');
RESET client_min_messages;
\o /dev/null
SELECT dataops.create_pipeline('cit_into_dist', 'a gold step into a distributed table (Citus baseline)');
SELECT dataops.add_step('cit_into_dist', 'into_dist', 'gold', 'cit_t.people_dist',
       query => 'SELECT user_id, email, _source_file FROM cit_d.bronze_people',
       unique_key => '{user_id}', keep => '_source_file DESC');
SELECT dataops.create_pipeline('cit_into_ref', 'a gold step into a reference table (Citus baseline)');
SELECT dataops.add_step('cit_into_ref', 'into_ref', 'gold', 'cit_t.people_ref',
       query => 'SELECT user_id, email, _source_file FROM cit_l.bronze_people');
SELECT dataops.create_pipeline('cit_refuse_clocal', 'a gold step into a Citus local table (Citus baseline)');
SELECT dataops.add_step('cit_refuse_clocal', 'into_clocal', 'gold', 'cit_t.people_clocal',
       query => 'SELECT user_id, email, _source_file FROM cit_l.bronze_people');
SELECT dataops.create_pipeline('cit_refuse', 'kept versions of a distributed table (Citus baseline)');
SELECT dataops.add_step('cit_refuse', 'into_kept', 'gold', 'cit_t.people_kept',
       query => 'SELECT user_id, email, _source_file FROM cit_l.bronze_people', options => '{"keep_versions": 2}');
\o
SET client_min_messages = error;
CREATE FUNCTION pg_temp.refused(p text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text;
BEGIN
    BEGIN
        PERFORM dataops.run(p);
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    END;
    RETURN coalesce(st || ': ' || msg, 'succeeded');
END $$;
RESET client_min_messages;
SELECT pg_temp.refused('cit_into_dist') AS dist_result \gset
SELECT pg_temp.refused('cit_into_ref') AS ref_result \gset
SELECT pg_temp.refused('cit_refuse') AS kept_error \gset
SELECT pg_temp.refused('cit_refuse_clocal') AS clocal_error \gset
\echo 'Citus local table:' :'clocal_error'
SELECT pg_temp.expect('0A000 "is a Citus table" for a Citus local table',
       :'clocal_error' ~ '^0A000: .*target "cit_t\.people_clocal" is a Citus table$', true);
SELECT pg_temp.expect('rows in cit_t.people_clocal', (SELECT count(*) FROM cit_t.people_clocal), 0::bigint);
\echo 'distributed target:' :'dist_result'
\echo 'reference target:  ' :'ref_result'
\echo 'kept versions:     ' :'kept_error'
SELECT pg_temp.expect('run into the distributed target', :'dist_result'::text, 'succeeded');
SELECT pg_temp.expect('run into the reference target', :'ref_result'::text, 'succeeded');
SELECT pg_temp.expect('rows on the shards of cit_t.people_dist (one per user)',
       pg_temp.shard_rows('cit_t.people_dist'),
       (SELECT count(DISTINCT user_id) FROM cit_l.bronze_people)::numeric);
SELECT pg_temp.expect('bytes in the coordinator''s shell of cit_t.people_dist',
       pg_relation_size('cit_t.people_dist'), 0::bigint);
SELECT pg_temp.expect('rows in cit_t.people_ref', (SELECT count(*) FROM cit_t.people_ref), 11000::bigint);
SELECT pg_temp.expect('0A000 "is a Citus table" for kept versions of a distributed target',
       :'kept_error' ~ '^0A000: .*target "cit_t\.people_kept" is a Citus table$', true);
SELECT pg_temp.expect('rows on the shards of cit_t.people_kept',
       pg_temp.shard_rows('cit_t.people_kept'),
       0::numeric);
SELECT pg_temp.expect('bytes in the coordinator''s shell of cit_t.people_kept',
       pg_relation_size('cit_t.people_kept'), 0::bigint);

-- ------------------------------------------------------------------ (c)
\echo '== (c) EXPLAIN of the gold dedup over the distributed source (the direct step''s query, numbered as dataops numbers it)'
CREATE TEMP TABLE cit_plan (line text);
DO $$
DECLARE l text;
BEGIN
    FOR l IN EXECUTE $q$EXPLAIN (COSTS OFF)
        SELECT s.* FROM (
          SELECT q.*, pg_catalog.row_number() OVER (PARTITION BY user_id ORDER BY _source_file DESC) AS rn
            FROM (SELECT user_id, lower(trim(email)) AS email, job_title, _source_file FROM cit_d.bronze_people) q
        ) s WHERE s.rn = 1$q$
    LOOP
        INSERT INTO cit_plan VALUES (l);
    END LOOP;
END $$;
SELECT line AS "QUERY PLAN" FROM cit_plan
 WHERE line ~ 'Custom Scan|Task Count|Tasks Shown|Node:|WindowAgg|Seq Scan' LIMIT 12;
SELECT pg_temp.expect('a Citus custom scan in the plan',
       (SELECT count(*) > 0 FROM cit_plan WHERE line ~ 'Custom Scan \(Citus'), true);
SELECT pg_temp.expect('shard tasks of the gold dedup (Task Count = shards of cit_d.bronze_people)',
       (SELECT substring(line FROM 'Task Count: ([0-9]+)')::bigint FROM cit_plan WHERE line ~ 'Task Count' LIMIT 1),
       (SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'cit_d.bronze_people'::regclass));
SELECT pg_temp.expect('the window (dedup) runs on the shards, below the Citus scan',
       (SELECT count(*) > 0 FROM cit_plan WHERE line ~ '^\s{6,}->\s+WindowAgg|^\s{6,}WindowAgg'), true);

\echo '== clean up'
\o /dev/null
SELECT dataops.drop_pipeline(name) FROM dataops.pipelines WHERE name LIKE 'cit\_%';
-- the files a bronze target loaded are not loaded again: forget those of earlier runs
DELETE FROM dataops.ingested_files WHERE target LIKE 'cit\_%';
\o
SET client_min_messages = warning;
DROP SCHEMA cit_l, cit_d, cit_t CASCADE;
RESET client_min_messages;
\echo 'citus baseline: all checks passed'
