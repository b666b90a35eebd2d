-- dataops on Citus, distributed targets (issue 15): run by test/citus.sh on the
-- coordinator with psql -v ON_ERROR_STOP=1 -v datadir=<directory holding test/data>.
-- Every check calls pg_temp.expect(), which raises an error (and so fails the
-- script) when a value is not the right one.
--
--  (a) the people pipeline (CSV bronze, silver with checks and quarantine, gold
--      dedup) twice: cid_local on local tables, cid_dist with every target
--      distributed on user_id by the step option distribution_column.  The rows
--      are on the shards of both workers (citus_shards, counts per node), the
--      coordinator's shells are empty, the side tables are colocated, and every
--      count and expectation result equals the local pipeline's and the right
--      answer computed here without dataops.
--  (b) an incremental step over three deliveries and an scd2 step with
--      hard_deletes = invalidate, both on a distributed source and target,
--      against the same steps on local tables: same counts per run, same rows;
--      a rollback of the last incremental batch on the distributed target.
--  (c) a reference target, a pre-created distributed target that keeps its
--      distribution, a query that adds a column (ALTER TABLE, distribution
--      kept) and one that removes a column (refused, target unchanged), a fail
--      expectation (nothing published, no stage left), and the options refused
--      with their SQLSTATE.
\set QUIET on
\pset footer off
SET client_min_messages = error;

\ir lib/helpers.psql

\o /dev/null
SELECT dataops.drop_pipeline(name) FROM dataops.pipelines WHERE name LIKE 'cid\_%';
DELETE FROM dataops.ingested_files WHERE target LIKE 'cid\_%';
\o
DROP SCHEMA IF EXISTS cid_l, cid_d, cid_x CASCADE;
CREATE SCHEMA cid_l;
CREATE SCHEMA cid_d;
CREATE SCHEMA cid_x;

-- ------------------------------------------------------------------ (a)
CREATE FUNCTION pg_temp.people(p text, s text, opts jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM dataops.create_pipeline(p, 'people (Citus distributed targets test)');
    PERFORM dataops.add_step(p, 'raw', 'bronze', s || '.bronze_people',
        source => current_setting('cid.datadir') || '/people-day*.csv', options => opts);
    -- checked on the rows each load brings (a query over the bronze table's shards)
    PERFORM dataops.add_expectation(p, 'raw', 'raw_email_at', 'match_regex', 'email',
        '{"pattern": "@", "result_format": "COMPLETE"}', 'warn');
    PERFORM dataops.add_step(p, 'clean', 'silver', s || '.silver_people', query => format(
        'SELECT user_id, first_name, last_name, sex, lower(trim(email)) AS email, phone,
                date_of_birth::date AS date_of_birth, job_title, _ingested_at, _source_file
           FROM %I.bronze_people', s), options => opts);
    PERFORM dataops.add_expectation(p, 'clean', 'email_valid', 'match_regex', 'email',
        '{"pattern": "^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$"}', 'drop');
    PERFORM dataops.add_expectation(p, 'clean', 'sex_known', 'in_set', 'sex',
        '{"values": ["Male", "Female"], "result_format": "COMPLETE"}', 'warn');
    PERFORM dataops.add_expectation(p, 'clean', 'user_id_present', 'not_null', 'user_id', '{}', 'fail');
    PERFORM dataops.add_expectation(p, 'clean', 'job_title_known', 'not_null', 'job_title',
        '{"result_format": "SUMMARY"}', 'warn');
    PERFORM dataops.add_expectation(p, 'clean', 'birth_max', 'max_between', 'date_of_birth',
        '{"min": "1900-01-01", "max": "2030-01-01"}', 'warn');
    PERFORM dataops.add_step(p, 'people', 'gold', s || '.gold_people',
        query => format('SELECT * FROM %I.silver_people', s),
        unique_key => '{user_id}', keep => '_source_file DESC', options => opts);
    PERFORM dataops.add_expectation(p, 'people', 'gold_row_count', 'row_count_between', NULL,
        '{"min": 1, "max": 10000000}', 'fail');
    PERFORM dataops.add_expectation(p, 'people', 'gold_user_unique', 'unique', 'user_id', '{}', 'fail');
END $$;
RESET client_min_messages;
SELECT set_config('cid.datadir', :'datadir', false) \gset

\o /dev/null
SELECT pg_temp.people('cid_local', 'cid_l', '{}');
SELECT pg_temp.people('cid_dist', 'cid_d', '{"distribution_column": "user_id"}');
\o
SELECT dataops.run('cid_local') AS lrun \gset
-- the distributed run with Citus logging the commands it sends to the workers
-- (the step workers connect as the pipeline's owner and take its settings)
SELECT coalesce((pg_stat_file(:'coordlog', true)).size, 0) AS log_from \gset
ALTER ROLE CURRENT_USER SET citus.log_remote_commands = on;
ALTER ROLE CURRENT_USER SET log_min_messages = notice;
SELECT dataops.run('cid_dist') AS drun \gset
ALTER ROLE CURRENT_USER RESET citus.log_remote_commands;
ALTER ROLE CURRENT_USER RESET log_min_messages;
SELECT pg_temp.expect('cid_local run', (SELECT status FROM dataops.runs WHERE run_id = :lrun), 'succeeded');
SELECT pg_temp.expect('cid_dist run', (SELECT status FROM dataops.runs WHERE run_id = :drun), 'succeeded');

\echo '== (a) where the rows are: shards per table and node, the coordinator''s shells'
WITH r AS (SELECT x.shardid, x.result::bigint AS n
             FROM pg_dist_partition p, run_command_on_shards(p.logicalrelid, 'SELECT count(*) FROM %s') x
            WHERE p.logicalrelid::text LIKE 'cid_d.%')
SELECT s.table_name, s.nodeport, count(*) AS shards, sum(r.n) AS rows
  FROM citus_shards s JOIN r USING (shardid) GROUP BY 1, 2 ORDER BY 1, 2;
SELECT pg_temp.expect('tables of cid_d distributed on user_id (bronze and silver with their _unexpected, quarantine, gold)',
       (SELECT count(*) FROM pg_dist_partition
         WHERE logicalrelid::text LIKE 'cid_d.%' AND partmethod = 'h'
           AND column_to_column_name(logicalrelid, partkey) = 'user_id'), 6::bigint);
SELECT pg_temp.expect('colocation groups of cid_d''s tables',
       (SELECT count(DISTINCT colocationid) FROM pg_dist_partition WHERE logicalrelid::text LIKE 'cid_d.%'), 1::bigint);
SELECT pg_temp.expect('bytes in the coordinator''s shells of cid_d',
       (SELECT sum(pg_relation_size(logicalrelid)) FROM pg_dist_partition WHERE logicalrelid::text LIKE 'cid_d.%'),
       0::numeric);
SELECT pg_temp.expect('stage or batch tables left in cid_d',
       (SELECT count(*) FROM pg_class WHERE relnamespace = 'cid_d'::regnamespace AND relname LIKE '%\_\_dataops\_%'),
       0::bigint);
SELECT pg_temp.expect('workers holding each cid_d table',
       (SELECT min(pg_temp.shard_nodes(logicalrelid)) FROM pg_dist_partition WHERE logicalrelid::text LIKE 'cid_d.%'),
       2::bigint);
-- the right answers, from the local bronze rows without dataops
SELECT count(*) AS bronze_rows,
       count(*) FILTER (WHERE lower(trim(email)) !~ '^[^@\s]+@[^@\s]+\.[a-z]{2,}$') AS bad_emails,
       count(*) FILTER (WHERE sex NOT IN ('Male', 'Female')) AS odd_sex,
       count(*) FILTER (WHERE job_title IS NULL) AS no_job_title,
       count(DISTINCT user_id) FILTER (WHERE lower(trim(email)) ~ '^[^@\s]+@[^@\s]+\.[a-z]{2,}$') AS good_users
  FROM cid_l.bronze_people \gset
\echo 'right answers: bronze' :bronze_rows 'rows,' :bad_emails 'bad e-mails,' :odd_sex 'other sex,' :good_users 'users with a good e-mail'
SELECT pg_temp.expect('bronze rows on the shards', pg_temp.shard_rows('cid_d.bronze_people'), :bronze_rows::numeric);
SELECT pg_temp.expect('bronze rows (the right answer)', :bronze_rows::bigint, 11000::bigint);
SELECT pg_temp.expect('bronze _source_file set by the COPY on every row',
       (SELECT count(*) FROM cid_d.bronze_people WHERE _source_file LIKE '%/people-day_.csv' AND _run_id = :drun),
       :bronze_rows::bigint);
SELECT pg_temp.expect('silver rows on the shards', pg_temp.shard_rows('cid_d.silver_people'),
       (:bronze_rows - :bad_emails)::numeric);
SELECT pg_temp.expect('quarantined rows on the shards', pg_temp.shard_rows('cid_d.silver_people_quarantine'),
       :bad_emails::numeric);
SELECT pg_temp.expect('_unexpected rows on the shards (COMPLETE sex_known)',
       pg_temp.shard_rows('cid_d.silver_people_unexpected'), :odd_sex::numeric);
SELECT pg_temp.expect('gold rows on the shards', pg_temp.shard_rows('cid_d.gold_people'), :good_users::numeric);
SELECT pg_temp.expect('bronze _unexpected rows on the shards (e-mails without @)',
       pg_temp.shard_rows('cid_d.bronze_people_unexpected'),
       (SELECT count(*) FROM cid_l.bronze_people WHERE email !~ '@')::numeric);
SELECT pg_temp.expect('quarantined rows name the expectation they failed',
       (SELECT count(*) FROM cid_d.silver_people_quarantine
         WHERE _failed_expectations = '{email_valid}' AND _run_id = :drun), :bad_emails::bigint);

\echo '== (a) what ran on the shards: commands Citus sent to the workers for the distributed run'
CREATE TEMP TABLE cid_remote AS
SELECT m[1] AS command
  FROM regexp_matches(pg_read_file(:'coordlog', :log_from, 200000000), 'issuing ([^\n]*)', 'g') m;
CREATE TEMP TABLE cid_pushed AS
SELECT what, count(*) AS commands FROM (
    SELECT CASE
        WHEN command ~ '^COPY cid_d\.bronze_people_[0-9]+ ' THEN 'bronze: COPY into the shards'
        WHEN command ~ '^INSERT INTO cid_d\.silver_people___dataops_stage_[0-9]+ .* FROM cid_d\.bronze_people_[0-9]+ '
            THEN 'silver: checked rows into the stage, shard to shard'
        WHEN command ~ '^INSERT INTO cid_d\.gold_people___dataops_stage_[0-9]+ .*row_number\(\) OVER \(PARTITION BY .*FROM cid_d\.silver_people_[0-9]+ '
            THEN 'gold: dedup (row_number) and checks into the stage, shard to shard'
        WHEN command ~ '^SELECT count\(\*\) AS count, count\(\*\) FILTER .* FROM cid_d\.(silver|gold)_people___dataops_stage_[0-9]+ '
            THEN 'counts: partial aggregates on the shards'
        WHEN command ~ '^INSERT INTO cid_d\.silver_people_[0-9]+ .* FROM cid_d\.silver_people___dataops_stage_[0-9]+ '
            THEN 'silver: publish, stage to target shard'
        WHEN command ~ '^INSERT INTO cid_d\.silver_people_quarantine_[0-9]+ .* FROM cid_d\.silver_people___dataops_stage_[0-9]+ '
            THEN 'silver: quarantine, stage to quarantine shard'
        WHEN command ~ '^INSERT INTO cid_d\.gold_people_[0-9]+ .* FROM cid_d\.gold_people___dataops_stage_[0-9]+ '
            THEN 'gold: publish, stage to target shard'
        END AS what
      FROM cid_remote) x
 WHERE what IS NOT NULL GROUP BY what;
SELECT * FROM cid_pushed ORDER BY what;
SELECT pg_temp.expect('kinds of commands pushed down to the shards', (SELECT count(*) FROM cid_pushed), 7::bigint);
SELECT pg_temp.expect('stage inserts: one per shard (32) for silver and for gold',
       (SELECT sum(commands) FROM cid_pushed WHERE what ~ 'into the stage'), 64::numeric);
SELECT pg_temp.expect('target inserts: one per shard (32) for silver and for gold',
       (SELECT sum(commands) FROM cid_pushed WHERE what ~ 'publish, stage to target'), 64::numeric);

\echo '== (a) step_runs and expectation_results: local (l_*) and distributed (d_*)'
CREATE TEMP TABLE cid_steps AS
SELECT step, l.rows_read AS l_read, d.rows_read AS d_read, l.rows_written AS l_written, d.rows_written AS d_written,
       l.duplicates_removed AS l_dups, d.duplicates_removed AS d_dups,
       l.rows_quarantined AS l_quar, d.rows_quarantined AS d_quar,
       (l.rows_read, l.rows_written, l.duplicates_removed, l.rows_quarantined, l.files_ingested, l.status)
         IS NOT DISTINCT FROM
       (d.rows_read, d.rows_written, d.duplicates_removed, d.rows_quarantined, d.files_ingested, d.status) AS same
  FROM (SELECT * FROM dataops.step_runs WHERE run_id = :lrun) l
  FULL JOIN (SELECT * FROM dataops.step_runs WHERE run_id = :drun) d USING (step);
SELECT * FROM cid_steps ORDER BY step = 'raw' DESC, step = 'clean' DESC, step;
SELECT pg_temp.expect('steps compared', (SELECT count(*) FROM cid_steps), 3::bigint);
SELECT pg_temp.expect('steps whose counts differ', (SELECT count(*) FROM cid_steps WHERE NOT same), 0::bigint);
SELECT pg_temp.expect('clean rows_read', (SELECT d_read FROM cid_steps WHERE step = 'clean'), :bronze_rows::bigint);
SELECT pg_temp.expect('clean rows_quarantined', (SELECT d_quar FROM cid_steps WHERE step = 'clean'), :bad_emails::bigint);
SELECT pg_temp.expect('people rows_written', (SELECT d_written FROM cid_steps WHERE step = 'people'), :good_users::bigint);
SELECT pg_temp.expect('people duplicates_removed', (SELECT d_dups FROM cid_steps WHERE step = 'people'),
       (:bronze_rows - :bad_emails - :good_users)::bigint);

CREATE TEMP TABLE cid_exp AS
SELECT step, expectation, l.element_count AS l_elements, d.element_count AS d_elements,
       l.unexpected_count AS l_unexpected, d.unexpected_count AS d_unexpected,
       l.missing_count AS l_missing, d.missing_count AS d_missing, d.success AS d_success,
       (l.element_count, l.missing_count, l.unexpected_count, l.unexpected_percent, l.observed_value, l.success,
        l.partial_unexpected_counts, jsonb_array_length(l.partial_unexpected_list))
         IS NOT DISTINCT FROM
       (d.element_count, d.missing_count, d.unexpected_count, d.unexpected_percent, d.observed_value, d.success,
        d.partial_unexpected_counts, jsonb_array_length(d.partial_unexpected_list)) AS same,
       (SELECT count(*) FROM jsonb_array_elements_text(d.partial_unexpected_list) v
         WHERE NOT v IN (SELECT jsonb_array_elements_text(l.partial_unexpected_list))) AS d_samples_not_in_l
  FROM (SELECT * FROM dataops.expectation_results WHERE run_id = :lrun) l
  FULL JOIN (SELECT * FROM dataops.expectation_results WHERE run_id = :drun) d USING (step, expectation);
SELECT * FROM cid_exp ORDER BY step, expectation;
SELECT pg_temp.expect('expectations compared', (SELECT count(*) FROM cid_exp), 8::bigint);
SELECT pg_temp.expect('expectation results that differ', (SELECT count(*) FROM cid_exp WHERE NOT same), 0::bigint);
SELECT pg_temp.expect('email_valid unexpected_count', (SELECT d_unexpected FROM cid_exp WHERE expectation = 'email_valid'),
       :bad_emails::bigint);
SELECT pg_temp.expect('sex_known unexpected_count', (SELECT d_unexpected FROM cid_exp WHERE expectation = 'sex_known'),
       :odd_sex::bigint);
SELECT pg_temp.expect('job_title_known unexpected_count (missing values are unexpected for not_null)',
       (SELECT d_unexpected FROM cid_exp WHERE expectation = 'job_title_known'), :no_job_title::bigint);
SELECT pg_temp.expect('gold_user_unique unexpected_count', (SELECT d_unexpected FROM cid_exp WHERE expectation = 'gold_user_unique'),
       0::bigint);
SELECT pg_temp.expect('birth_max: an aggregate over the rows published, same as local',
       (SELECT same FROM cid_exp WHERE expectation = 'birth_max'), true);
SELECT pg_temp.expect('unexpected values reported by the distributed run that are not unexpected values',
       (SELECT sum(d_samples_not_in_l) FROM cid_exp WHERE d_unexpected BETWEEN 1 AND 20), 0::numeric);

\echo '== (a) the published rows are the same'
SELECT pg_temp.expect('gold rows in one target only', pg_temp.rows_in_one_only(
       'SELECT user_id, email, _source_file FROM cid_l.gold_people',
       'SELECT user_id, email, _source_file FROM cid_d.gold_people'), 0::bigint);
SELECT pg_temp.expect('silver rows in one target only', pg_temp.rows_in_one_only(
       'SELECT user_id, email, _source_file FROM cid_l.silver_people',
       'SELECT user_id, email, _source_file FROM cid_d.silver_people'), 0::bigint);
SELECT pg_temp.expect('expectation functions installed on the workers (dataops functions per worker)',
       (SELECT count(*) FROM run_command_on_workers(
            $$SELECT count(*) > 50 FROM pg_proc WHERE pronamespace = 'dataops'::regnamespace$$) WHERE result = 't'),
       2::bigint);

-- ------------------------------------------------------------------ (b)
\echo '== (b) incremental over three deliveries and scd2, local and distributed'
CREATE TABLE cid_l.orders (order_id int, customer text, amount numeric, updated_at timestamptz);
CREATE TABLE cid_d.orders (LIKE cid_l.orders);
SET client_min_messages = error;
SELECT create_distributed_table('cid_d.orders', 'order_id');
CREATE FUNCTION pg_temp.deliver(n int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE s text;
BEGIN
    FOREACH s IN ARRAY ARRAY['cid_l', 'cid_d'] LOOP
        IF n = 1 THEN
            -- 1,000 orders
            EXECUTE format($q$INSERT INTO %I.orders SELECT g, 'c' || (g %% 37), g * 1.5,
                                  timestamptz '2026-01-01' + g * interval '1 minute'
                             FROM generate_series(1, 1000) g$q$, s);
        ELSIF n = 2 THEN
            -- 100 changed, 100 new, one of them with a negative amount
            EXECUTE format($q$UPDATE %I.orders SET amount = amount + 1, updated_at = timestamptz '2026-02-01 00:00'
                               WHERE order_id <= 100$q$, s);
            EXECUTE format($q$INSERT INTO %I.orders SELECT g, 'c' || (g %% 37), CASE WHEN g = 1100 THEN -5 ELSE g END,
                                  timestamptz '2026-02-01 01:00' + g * interval '1 second'
                             FROM generate_series(1001, 1100) g$q$, s);
        ELSE
            -- 50 changed again, 10 new, 20 gone from the snapshot
            EXECUTE format($q$UPDATE %I.orders SET amount = amount * 2, updated_at = timestamptz '2026-03-01 00:00'
                               WHERE order_id BETWEEN 51 AND 100$q$, s);
            EXECUTE format($q$INSERT INTO %I.orders SELECT g, 'c' || (g %% 37), g,
                                  timestamptz '2026-03-01 01:00' + g * interval '1 second'
                             FROM generate_series(1101, 1110) g$q$, s);
            EXECUTE format($q$DELETE FROM %I.orders WHERE order_id BETWEEN 501 AND 520$q$, s);
        END IF;
    END LOOP;
END $$;
CREATE FUNCTION pg_temp.merges(p text, s text, opts jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM dataops.create_pipeline(p, 'incremental and scd2 (Citus distributed targets test)');
    PERFORM dataops.add_step(p, 'orders', 'silver', s || '.orders_inc',
        query => format('SELECT order_id, customer, amount, updated_at FROM %I.orders', s),
        unique_key => '{order_id}',
        options => jsonb_build_object('materialization', 'incremental', 'watermark', 'updated_at') || coalesce(opts, '{}'));
    PERFORM dataops.add_expectation(p, 'orders', 'amount_positive', 'between', 'amount', '{"min": 0}', 'drop');
    PERFORM dataops.add_step(p, 'history', 'gold', s || '.orders_hist',
        query => format('SELECT order_id, customer, amount FROM %I.orders', s),
        unique_key => '{order_id}',
        options => jsonb_build_object('materialization', 'scd2', 'hard_deletes', 'invalidate') || coalesce(opts, '{}'));
END $$;
RESET client_min_messages;
\o /dev/null
SELECT pg_temp.merges('cid_merge_l', 'cid_l', '{}');
SELECT pg_temp.merges('cid_merge_d', 'cid_d', '{"distribution_column": "order_id"}');
\o
CREATE TEMP TABLE cid_merge_runs (delivery int, pipeline text, run_id bigint);
SELECT pg_temp.deliver(1);
SELECT dataops.run('cid_merge_l') AS l1 \gset
SELECT dataops.run('cid_merge_d') AS d1 \gset
INSERT INTO cid_merge_runs VALUES (1, 'cid_merge_l', :l1), (1, 'cid_merge_d', :d1);
SELECT pg_temp.deliver(2);
SELECT dataops.run('cid_merge_l') AS l2 \gset
SELECT dataops.run('cid_merge_d') AS d2 \gset
INSERT INTO cid_merge_runs VALUES (2, 'cid_merge_l', :l2), (2, 'cid_merge_d', :d2);
SELECT pg_temp.deliver(3);
SELECT dataops.run('cid_merge_l') AS l3 \gset
SELECT dataops.run('cid_merge_d') AS d3 \gset
INSERT INTO cid_merge_runs VALUES (3, 'cid_merge_l', :l3), (3, 'cid_merge_d', :d3);
CREATE TEMP TABLE cid_merge AS
SELECT m.delivery, sr.step, m.pipeline, sr.status, sr.rows_read, sr.rows_inserted, sr.rows_updated, sr.rows_deleted,
       sr.rows_quarantined, sr.watermark
  FROM cid_merge_runs m JOIN dataops.step_runs sr USING (run_id);
SELECT * FROM cid_merge ORDER BY delivery, step, pipeline;
SELECT pg_temp.expect('merge step runs that did not succeed', (SELECT count(*) FROM cid_merge WHERE status <> 'succeeded'),
       0::bigint);
SELECT pg_temp.expect('merge step runs whose counts differ between local and distributed',
       (SELECT count(*) FROM cid_merge l JOIN cid_merge d USING (delivery, step)
         WHERE l.pipeline = 'cid_merge_l' AND d.pipeline = 'cid_merge_d'
           AND (l.rows_read, l.rows_inserted, l.rows_updated, l.rows_deleted, l.rows_quarantined, l.watermark)
               IS DISTINCT FROM
               (d.rows_read, d.rows_inserted, d.rows_updated, d.rows_deleted, d.rows_quarantined, d.watermark)),
       0::bigint);
-- the right answers, from the deliveries
SELECT pg_temp.expect('incremental delivery 2: rows read (changed and new)',
       (SELECT rows_read FROM cid_merge WHERE delivery = 2 AND step = 'orders' AND pipeline = 'cid_merge_d'), 200::bigint);
SELECT pg_temp.expect('incremental delivery 2: inserted, updated, quarantined',
       (SELECT (rows_inserted, rows_updated, rows_quarantined)::text FROM cid_merge
         WHERE delivery = 2 AND step = 'orders' AND pipeline = 'cid_merge_d'), '(99,100,1)');
SELECT pg_temp.expect('incremental delivery 3: inserted, updated',
       (SELECT (rows_inserted, rows_updated)::text FROM cid_merge
         WHERE delivery = 3 AND step = 'orders' AND pipeline = 'cid_merge_d'), '(10,50)');
SELECT pg_temp.expect('scd2 delivery 3: opened, closed as changed, closed as deleted',
       (SELECT (rows_inserted, rows_updated, rows_deleted)::text FROM cid_merge
         WHERE delivery = 3 AND step = 'history' AND pipeline = 'cid_merge_d'), '(60,50,20)');
SELECT pg_temp.expect('incremental target rows on the shards', pg_temp.shard_rows('cid_d.orders_inc'), 1109::numeric);
SELECT pg_temp.expect('scd2 versions on the shards (1,100 + 100 + 60)', pg_temp.shard_rows('cid_d.orders_hist'), 1260::numeric);
SELECT pg_temp.expect('scd2 current versions', (SELECT count(*) FROM cid_d.orders_hist WHERE is_current), 1090::bigint);
SELECT pg_temp.expect('incremental rows in one target only',
       pg_temp.rows_in_one_only('TABLE cid_l.orders_inc', 'TABLE cid_d.orders_inc'), 0::bigint);
SELECT pg_temp.expect('scd2 versions in one history only', pg_temp.rows_in_one_only(
       'SELECT order_id, customer, amount, is_current, valid_to IS NULL FROM cid_l.orders_hist',
       'SELECT order_id, customer, amount, is_current, valid_to IS NULL FROM cid_d.orders_hist'), 0::bigint);
SELECT pg_temp.expect('merge side tables colocated with their targets (quarantine, _before)',
       (SELECT count(*) FROM pg_dist_partition
         WHERE logicalrelid IN ('cid_d.orders_inc_quarantine'::regclass, 'cid_d.orders_inc_before'::regclass)
           AND colocationid = pg_temp.colocation('cid_d.orders_inc')), 2::bigint);
SELECT pg_temp.expect('batch or stage tables left', (SELECT count(*) FROM pg_class
         WHERE relnamespace = 'cid_d'::regnamespace AND relname LIKE '%\_\_dataops\_%'), 0::bigint);
-- the last batch undone on both: the same rows again
\o /dev/null
SELECT dataops.rollback('cid_merge_l', 'orders');
SELECT dataops.rollback('cid_merge_d', 'orders');
\o
SELECT pg_temp.expect('rows after a rollback of delivery 3 (1,099 + 0 new)', (SELECT count(*) FROM cid_d.orders_inc),
       1099::bigint);
SELECT pg_temp.expect('incremental rows in one target only, after the rollback',
       pg_temp.rows_in_one_only('TABLE cid_l.orders_inc', 'TABLE cid_d.orders_inc'), 0::bigint);

-- ------------------------------------------------------------------ (c)
\echo '== (c) reference targets, pre-created targets, column changes, fail, refused options'
\o /dev/null
SELECT dataops.create_pipeline('cid_misc', 'reference and pre-created targets (Citus distributed targets test)');
SELECT dataops.add_step('cid_misc', 'customers', 'gold', 'cid_x.customers',
       query => 'SELECT DISTINCT customer FROM cid_d.orders', options => '{"reference": true}');
SELECT dataops.add_expectation('cid_misc', 'customers', 'customer_present', 'not_null', 'customer', '{}', 'drop');
\o
SET client_min_messages = warning;
CREATE TABLE cid_x.by_customer (customer text, orders bigint, amount numeric);
SELECT create_distributed_table('cid_x.by_customer', 'customer');
RESET client_min_messages;
\o /dev/null
SELECT dataops.add_step('cid_misc', 'by_customer', 'gold', 'cid_x.by_customer',
       query => 'SELECT customer, count(*) AS orders, sum(amount) AS amount FROM cid_d.orders GROUP BY customer',
       unique_key => '{customer}');
-- nothing to check or deduplicate: published with one INSERT ... SELECT Citus runs on the shards
SELECT dataops.add_step('cid_misc', 'amounts', 'gold', 'cid_x.amounts',
       query => 'SELECT order_id, amount FROM cid_d.orders',
       options => '{"distribution_column": "order_id", "colocate_with": "cid_d.orders"}');
\o
SELECT dataops.run('cid_misc') AS mrun \gset
SELECT pg_temp.expect('cid_misc run', (SELECT status FROM dataops.runs WHERE run_id = :mrun), 'succeeded');
SELECT pg_temp.expect('cid_x.customers is a reference table',
       (SELECT partmethod = 'n' AND repmodel = 't' FROM pg_dist_partition WHERE logicalrelid = 'cid_x.customers'::regclass), true);
SELECT pg_temp.expect('reference rows on every worker (37 customers each)',
       (SELECT string_agg(result, ',' ORDER BY p.nodeport) FROM run_command_on_placements('cid_x.customers',
            'SELECT count(*) FROM %s') p JOIN pg_dist_node n ON n.nodename = p.nodename AND n.nodeport = p.nodeport
         WHERE n.groupid <> 0), '37,37');
SELECT pg_temp.expect('plain step: rows on the shards of cid_x.amounts', pg_temp.shard_rows('cid_x.amounts'),
       (SELECT count(*) FROM cid_d.orders)::numeric);
SELECT pg_temp.expect('plain step: colocated with cid_d.orders as asked',
       pg_temp.colocation('cid_x.amounts'), pg_temp.colocation('cid_d.orders'));
SELECT pg_temp.expect('pre-created target kept its distribution column',
       (SELECT column_to_column_name(logicalrelid, partkey) FROM pg_dist_partition
         WHERE logicalrelid = 'cid_x.by_customer'::regclass), 'customer'::text);
SELECT pg_temp.expect('pre-created target rows on the shards', pg_temp.shard_rows('cid_x.by_customer'), 37::numeric);
SELECT pg_temp.expect('pre-created target totals (the right answer)',
       (SELECT sum(amount) FROM cid_x.by_customer), (SELECT sum(amount) FROM cid_d.orders));

-- a query that adds a column: ALTER TABLE on the distributed target, same shards
SELECT 'SELECT user_id, first_name, last_name, sex, lower(trim(email)) AS email, phone,
               date_of_birth::date AS date_of_birth, job_title, _ingested_at, _source_file,
               length(first_name) AS first_name_length
          FROM cid_d.bronze_people' AS wide_query \gset
SELECT (SELECT array_agg(shardid ORDER BY shardid) FROM pg_dist_shard WHERE logicalrelid = 'cid_d.gold_people'::regclass)::text
       AS shards_before \gset
\o /dev/null
SELECT dataops.alter_step('cid_dist', 'clean', query => :'wide_query');
\o
SELECT dataops.run('cid_dist') AS arun \gset
SELECT pg_temp.expect('run after a column was added', (SELECT status FROM dataops.runs WHERE run_id = :arun), 'succeeded');
SELECT pg_temp.expect('gold target gained the column (on the shards too)',
       (SELECT count(*) FROM run_command_on_shards('cid_d.gold_people',
            $$SELECT count(*) FROM information_schema.columns WHERE table_schema || '.' || table_name = '%s'
                AND column_name = 'first_name_length'$$) WHERE result = '1'), 32::bigint);
SELECT pg_temp.expect('gold rows with the new column filled', (SELECT count(first_name_length) FROM cid_d.gold_people),
       :good_users::bigint);
SELECT pg_temp.expect('gold target kept its shards',
       (SELECT array_agg(shardid ORDER BY shardid) FROM pg_dist_shard WHERE logicalrelid = 'cid_d.gold_people'::regclass)::text,
       :'shards_before');
SELECT pg_temp.expect('silver target not re-created (no step run reports it)',
       (SELECT target_recreated FROM dataops.step_runs WHERE run_id = :arun AND step = 'clean'), false);

-- a query that removes a column: refused, the target keeps its rows
\o /dev/null
SELECT dataops.alter_step('cid_dist', 'clean', query =>
       'SELECT user_id, first_name, sex, lower(trim(email)) AS email, date_of_birth::date AS date_of_birth,
               job_title, _source_file FROM cid_d.bronze_people');
\o
SELECT pg_temp.error_of($$SELECT dataops.run('cid_dist')$$) AS removed_error \gset
\echo 'removed column:' :'removed_error'
SELECT pg_temp.expect('a removed column on a Citus target is refused with 0A000',
       (SELECT sr.error_message ~ 'columns of step "clean" changed and its target cid_d.silver_people is a Citus table'
          FROM dataops.step_runs sr JOIN dataops.runs r USING (run_id)
         WHERE r.pipeline = 'cid_dist' AND sr.step = 'clean' ORDER BY run_id DESC LIMIT 1), true);
SELECT pg_temp.expect('silver rows kept', pg_temp.shard_rows('cid_d.silver_people'), (:bronze_rows - :bad_emails)::numeric);
SELECT pg_temp.expect('silver still distributed with all its columns',
       (SELECT count(*) FROM information_schema.columns WHERE table_schema = 'cid_d' AND table_name = 'silver_people'),
       11::bigint);

-- a fail expectation that fails: nothing published, the gold rows stay
\o /dev/null
SELECT dataops.alter_step('cid_dist', 'clean', query => :'wide_query');
SELECT dataops.add_expectation('cid_dist', 'people', 'gold_small', 'row_count_between', NULL, '{"max": 10}', 'fail');
\o
SELECT pg_temp.error_of($$SELECT dataops.run('cid_dist')$$) AS fail_error \gset
\echo 'fail expectation:' :'fail_error'
SELECT pg_temp.expect('the run fails on gold_small', :'fail_error' ~ 'expectation "gold_small" of step "people" failed', true);
SELECT pg_temp.expect('gold rows unchanged after the failed run', pg_temp.shard_rows('cid_d.gold_people'), :good_users::numeric);
SELECT pg_temp.expect('gold_small result recorded (observed row count)',
       (SELECT observed_value::text FROM dataops.expectation_results
         WHERE expectation = 'gold_small' ORDER BY run_id DESC LIMIT 1), :'good_users');
SELECT pg_temp.expect('stage tables left after the failed run', (SELECT count(*) FROM pg_class
         WHERE relnamespace = 'cid_d'::regnamespace AND relname LIKE '%\_\_dataops\_%'), 0::bigint);

-- rows without a value in the distribution column: a distributed table cannot hold them
CREATE TABLE cid_x.nulls_src AS SELECT g AS k, 'v' || g AS v FROM generate_series(1, 10) g;
INSERT INTO cid_x.nulls_src VALUES (NULL, 'no key');
\o /dev/null
SELECT dataops.create_pipeline('cid_nulls', 'NULL distribution column (Citus distributed targets test)');
SELECT dataops.add_step('cid_nulls', 's', 'gold', 'cid_x.nulls',
       query => 'SELECT k, v FROM cid_x.nulls_src', options => '{"distribution_column": "k"}');
SELECT dataops.add_expectation('cid_nulls', 's', 'k_present', 'not_null', 'k', '{}', 'drop');
\o
SELECT pg_temp.error_of($$SELECT dataops.run('cid_nulls')$$) AS nulls_error \gset
\echo 'NULL distribution column:' :'nulls_error'
SELECT pg_temp.expect('a NULL distribution column is named in the step''s terms (22004)',
       :'nulls_error' ~ '^22004: .*a row of step "s" has no value in "k", the distribution column of cid_x\.nulls$', true);
SELECT pg_temp.expect('target left behind by the failed run (its creation rolled back)', to_regclass('cid_x.nulls') IS NULL, true);
-- the hint's way out: filter them in the query
\o /dev/null
SELECT dataops.alter_step('cid_nulls', 's', query => 'SELECT k, v FROM cid_x.nulls_src WHERE k IS NOT NULL');
\o
SELECT dataops.run('cid_nulls') AS nrun \gset
SELECT pg_temp.expect('rows published once filtered', pg_temp.shard_rows('cid_x.nulls'), 10::numeric);

-- refused options and definitions: SQLSTATE and nothing stored
\o /dev/null
SELECT dataops.create_pipeline('cid_bad', 'refused options (Citus distributed targets test)');
\o
CREATE TEMP TABLE cid_refused (what text, err text);
INSERT INTO cid_refused VALUES
 ('distribution_column and reference', pg_temp.error_of($$SELECT dataops.add_step('cid_bad', 's', 'gold', 'cid_x.s1',
      query => 'SELECT 1 AS a', options => '{"distribution_column": "a", "reference": true}')$$)),
 ('colocate_with alone', pg_temp.error_of($$SELECT dataops.add_step('cid_bad', 's', 'gold', 'cid_x.s1',
      query => 'SELECT 1 AS a', options => '{"colocate_with": "cid_d.orders"}')$$)),
 ('reference not a boolean', pg_temp.error_of($$SELECT dataops.add_step('cid_bad', 's', 'gold', 'cid_x.s1',
      query => 'SELECT 1 AS a', options => '{"reference": "yes"}')$$)),
 ('empty distribution_column', pg_temp.error_of($$SELECT dataops.add_step('cid_bad', 's', 'gold', 'cid_x.s1',
      query => 'SELECT 1 AS a', options => '{"distribution_column": ""}')$$)),
 ('a distributed view', pg_temp.error_of($$SELECT dataops.add_step('cid_bad', 's', 'gold', 'cid_x.s1',
      query => 'SELECT 1 AS a', options => '{"materialization": "view", "distribution_column": "a"}')$$)),
 ('kept versions of a distributed target', pg_temp.error_of($$SELECT dataops.add_step('cid_bad', 's', 'gold', 'cid_x.s1',
      query => 'SELECT 1 AS a', options => '{"keep_versions": 2, "distribution_column": "a"}')$$)),
 ('incremental key without the distribution column', pg_temp.error_of($$SELECT dataops.add_step('cid_bad', 's', 'gold',
      'cid_x.s1', query => 'SELECT 1 AS a, 2 AS b, now() AS _ingested_at', unique_key => '{a}',
      options => '{"materialization": "incremental", "distribution_column": "b"}')$$));
SELECT * FROM cid_refused ORDER BY what;
SELECT pg_temp.expect('refused definitions with the right SQLSTATE',
       (SELECT count(*) FROM cid_refused WHERE
          (what IN ('a distributed view', 'kept versions of a distributed target',
                    'incremental key without the distribution column') AND err LIKE '0A000:%')
       OR (what NOT IN ('a distributed view', 'kept versions of a distributed target',
                        'incremental key without the distribution column') AND err LIKE '22023:%')), 7::bigint);
SELECT pg_temp.expect('steps stored by the refused calls', (SELECT count(*) FROM dataops.steps WHERE pipeline = 'cid_bad'),
       0::bigint);

-- a table step whose unique_key lacks the distribution column: a warning (printed), and the right rows
\o /dev/null
SELECT dataops.add_step('cid_bad', 'by_name', 'gold', 'cid_x.by_name',
       query => 'SELECT user_id, first_name, _source_file FROM cid_d.bronze_people',
       unique_key => '{first_name}', keep => '_source_file DESC, user_id',
       options => '{"distribution_column": "user_id"}');
\o
SELECT dataops.run('cid_bad') AS wrun \gset
SELECT pg_temp.expect('a key without the distribution column: rows (one per first name)',
       pg_temp.shard_rows('cid_x.by_name'), (SELECT count(DISTINCT first_name) FROM cid_l.bronze_people)::numeric);
SELECT pg_temp.expect('... and duplicates removed',
       (SELECT duplicates_removed FROM dataops.step_runs WHERE run_id = :wrun),
       (SELECT count(*) - count(DISTINCT first_name) FROM cid_l.bronze_people));

\echo '== clean up'
\o /dev/null
SELECT dataops.drop_pipeline(name) FROM dataops.pipelines WHERE name LIKE 'cid\_%';
DELETE FROM dataops.ingested_files WHERE target LIKE 'cid\_%';
\o
SET client_min_messages = warning;
DROP SCHEMA cid_l, cid_d, cid_x CASCADE;
RESET client_min_messages;
\echo 'citus distributed: all checks passed'
