-- An ordinary role plants operators and functions that shadow pg_catalog's
-- (=, <>, <, >, <=, >=, count, lower, upper, length, md5, now, to_jsonb) in
-- a schema a superuser puts first on its search_path, each trying ALTER ROLE
-- ... SUPERUSER and logging who ran it.  The superuser then calls every
-- dataops function and runs pipelines that exercise every generated
-- statement (dedup, checks, quarantine, incremental merge, rollback, diff,
-- validate, schedules).  dataops must never run the planted code: the log
-- holds no row of a role other than the attacker, and the attacker is not
-- a superuser.
\set VERBOSITY terse
\getenv datadir DATAOPS_TEST_DATA
CREATE ROLE sh_attacker LOGIN;
CREATE SCHEMA sh_evil AUTHORIZATION sh_attacker;
GRANT USAGE ON SCHEMA sh_evil TO PUBLIC;

SET ROLE sh_attacker;
CREATE TABLE sh_evil.log (who name, what text);
GRANT INSERT, SELECT ON sh_evil.log TO PUBLIC;
-- (lock_timeout: a trap that fired in two sessions must not make them wait on each other)
CREATE FUNCTION sh_evil.trap(what text) RETURNS void LANGUAGE plpgsql SET lock_timeout = '200ms' AS $$
BEGIN
    INSERT INTO sh_evil.log VALUES (current_user, what);
    BEGIN
        EXECUTE 'ALTER ROLE sh_attacker SUPERUSER';
    EXCEPTION WHEN OTHERS THEN NULL;
    END;
END $$;
DO $$
DECLARE
    t text;
    op record;
BEGIN
    FOREACH t IN ARRAY ARRAY['text', 'bigint', 'integer', 'name', 'timestamptz', 'numeric', 'jsonb', 'oid'] LOOP
        FOR op IN SELECT * FROM (VALUES ('=', 'eq'), ('<>', 'ne'), ('<', 'lt'), ('>', 'gt'), ('<=', 'le'), ('>=', 'ge')) v(sym, nm) LOOP
            EXECUTE format('CREATE FUNCTION sh_evil.%s_%s(%s, %s) RETURNS boolean LANGUAGE plpgsql AS $f$
                BEGIN PERFORM sh_evil.trap(%L); RETURN $1 OPERATOR(pg_catalog.%s) $2; END $f$',
                op.nm, replace(t, ' ', '_'), t, t, op.sym || ' ' || t, op.sym);
            EXECUTE format('CREATE OPERATOR sh_evil.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = sh_evil.%s_%s)',
                op.sym, t, t, op.nm, replace(t, ' ', '_'));
        END LOOP;
    END LOOP;
END $$;
CREATE FUNCTION sh_evil.lower(text) RETURNS text LANGUAGE plpgsql AS
  $$ BEGIN PERFORM sh_evil.trap('lower'); RETURN pg_catalog.lower($1); END $$;
CREATE FUNCTION sh_evil.upper(text) RETURNS text LANGUAGE plpgsql AS
  $$ BEGIN PERFORM sh_evil.trap('upper'); RETURN pg_catalog.upper($1); END $$;
CREATE FUNCTION sh_evil.length(text) RETURNS integer LANGUAGE plpgsql AS
  $$ BEGIN PERFORM sh_evil.trap('length'); RETURN pg_catalog.length($1); END $$;
CREATE FUNCTION sh_evil.md5(text) RETURNS text LANGUAGE plpgsql AS
  $$ BEGIN PERFORM sh_evil.trap('md5'); RETURN pg_catalog.md5($1); END $$;
CREATE FUNCTION sh_evil.now() RETURNS timestamptz LANGUAGE plpgsql AS
  $$ BEGIN PERFORM sh_evil.trap('now'); RETURN pg_catalog.now(); END $$;
CREATE FUNCTION sh_evil.to_jsonb(anyelement) RETURNS jsonb LANGUAGE plpgsql AS
  $$ BEGIN PERFORM sh_evil.trap('to_jsonb'); RETURN pg_catalog.to_jsonb($1); END $$;
CREATE FUNCTION sh_evil.count_sf(bigint) RETURNS bigint LANGUAGE plpgsql AS
  $$ BEGIN PERFORM sh_evil.trap('count'); RETURN $1 + 1; END $$;
CREATE FUNCTION sh_evil.count_sf(bigint, anyelement) RETURNS bigint LANGUAGE plpgsql AS
  $$ BEGIN PERFORM sh_evil.trap('count(x)'); RETURN $1 + 1; END $$;
CREATE AGGREGATE sh_evil.count(*) (SFUNC = sh_evil.count_sf, STYPE = bigint, INITCOND = 0);
CREATE AGGREGATE sh_evil.count(anyelement) (SFUNC = sh_evil.count_sf, STYPE = bigint, INITCOND = 0);
-- the planted objects work: the attacker's own query calls them, as the attacker
SET search_path = sh_evil, pg_catalog;
SELECT count(*) AS one FROM (SELECT 1 WHERE 'a' = 'a') x;
RESET search_path;
RESET ROLE;
SELECT count(*) AS planted_calls, bool_and(who = 'sh_attacker') AS all_as_attacker FROM sh_evil.log;
TRUNCATE sh_evil.log;

-- the superuser (the victim) works with the attacker's schema first on its path
CREATE EXTENSION pg_cron;
CREATE SCHEMA sh_data;
CREATE TABLE sh_data.orders (id int PRIMARY KEY, customer text, amount numeric, updated_at timestamptz);
INSERT INTO sh_data.orders
SELECT g, 'c' || (g % 7), g * 1.5, '2024-01-01'::timestamptz + g * interval '1 hour' FROM generate_series(1, 40) g;
INSERT INTO sh_data.orders VALUES (41, NULL, -1, '2024-03-01');
CREATE TABLE sh_data.customers (customer text PRIMARY KEY);
INSERT INTO sh_data.customers SELECT 'c' || g FROM generate_series(0, 6) g;
-- dataops' functions are called with the planted schema first; the test's own
-- statements (UPDATE, reading the results) run with the default path (:safe)
-- or name their operators (reading dataops' views under the planted path)
\set evil 'SET search_path = sh_evil, pg_catalog, public;'
\set safe 'RESET search_path;'
:evil
SELECT dataops.create_pipeline('sh_p', 'shadowed');
SELECT dataops.add_step('sh_p', 'raw', 'bronze', 'sh_layer.raw', source => :'datadir' || '/tiny.csv');
SELECT dataops.add_step('sh_p', 'orders', 'silver', 'sh_layer.orders',
    query => 'SELECT * FROM sh_data.orders', unique_key => '{customer}', keep => 'updated_at DESC');
SELECT dataops.add_expectation('sh_p', 'orders', e.name, e.kind, e.col, e.args::jsonb, e.action)
  FROM (VALUES ('nn', 'not_null', 'customer', '{}', 'drop'),
               ('uq', 'unique', 'id', '{}', 'warn'),
               ('btw', 'between', 'amount', '{"min": 0, "max": 1000}', 'warn'),
               ('inset', 'in_set', 'customer', '{"values": ["c1", "c2", "c3", "c4", "c5", "c6", "c0"]}', 'warn'),
               ('rx', 'match_regex', 'customer', '{"pattern": "^c[0-9]$"}', 'warn'),
               ('len', 'value_lengths_between', 'customer', '{"min": 1, "max": 3}', 'warn'),
               ('cast', 'castable_to', 'customer', '{"type": "text"}', 'warn'),
               ('rows', 'row_count_between', NULL, '{"min": 1, "max": 100}', 'warn'),
               ('mean', 'mean_between', 'amount', '{"min": 0, "max": 100}', 'warn'),
               ('uniq', 'proportion_of_unique_values_between', 'customer', '{"min": 0, "max": 1}', 'warn'),
               ('fk', 'relationships', 'customer', '{"to": "sh_data.customers", "field": "customer"}', 'warn'))
       AS e(name, kind, col, args, action);
SELECT dataops.add_step('sh_p', 'inc', 'gold', 'sh_layer.orders_inc',
    query => 'SELECT id, customer, amount, updated_at FROM sh_data.orders', unique_key => '{id}',
    options => '{"materialization": "incremental", "watermark": "updated_at", "keep_versions": 2}');
SELECT dataops.add_step('sh_p', 'hist', 'gold', 'sh_layer.orders_hist',
    query => 'SELECT id, customer, amount FROM sh_data.orders', unique_key => '{id}',
    options => '{"materialization": "scd2"}');
SELECT dataops.add_step('sh_p', 'kept', 'gold', 'sh_layer.orders_kept',
    query => 'SELECT id, amount FROM sh_data.orders', unique_key => '{id}', options => '{"keep_versions": 2}');
SELECT dataops.add_step('sh_p', 'v', 'gold', 'sh_layer.orders_v',
    query => 'SELECT id FROM sh_data.orders', options => '{"materialization": "view"}');
SELECT dataops.set_pipeline_option('sh_p', 'retries', '1');
SELECT dataops.create_suite('sh_suite');
SELECT dataops.add_suite_expectation('sh_suite', 'ids', 'not_null', column_name => 'id');
SELECT dataops.attach_suite('sh_p', 'orders', 'sh_suite');
SELECT dataops.create_pipeline('sh_down');
SELECT dataops.add_step('sh_down', 'one', 'silver', 'sh_layer.down_one', query => 'SELECT 1 AS one');
SELECT dataops.add_dependency('sh_down', 'sh_p');
SELECT dataops.run('sh_p') AS sh_r1 \gset
:safe
UPDATE sh_data.orders SET amount = amount + 1, updated_at = updated_at + interval '1 year' WHERE id <= 3;
:evil
SELECT dataops.start_run('sh_p') AS sh_r2 \gset
SELECT dataops.wait(:sh_r2) AS second_run;
:safe
SELECT max(run_id) AS sh_down_run FROM dataops.runs WHERE pipeline = 'sh_down' \gset
SELECT min(run_id) AS sh_v1, max(run_id) AS sh_v2 FROM dataops.table_versions WHERE step = 'kept' \gset
:evil
SELECT dataops.wait(:sh_down_run) AS downstream;
SELECT dataops.cancel(:sh_r2) AS cancel_finished;
SELECT dataops.wait(:sh_r2, '1 second') AS waited;
SELECT change, key, row_a, row_b FROM dataops.diff('sh_p', 'kept', :sh_v1, :sh_v2) ORDER BY key;
SELECT dataops.rollback('sh_p', 'inc');
SELECT success, element_count FROM dataops.validate('sh_data.orders', 'sh_suite');
SELECT dataops.schedule('sh_p', '0 3 29 2 *') AS sh_job \gset
SELECT pipeline, schedule FROM dataops.schedules;
SELECT dataops.unschedule('sh_p');
SELECT dataops.regex_match('abc', 'b'), dataops.regex_extract('abc', '(b)'), dataops.regex_replace('abc', 'b', 'x'),
       dataops.input_is_valid('1', 'integer'), dataops.matches_strftime('2024-01-05', '%Y-%m-%d'),
       dataops.cron_next('0 3 * * *', '2026-01-01 00:00:00+00') IS NOT NULL AS next;
SELECT pipeline, status FROM dataops.last_runs WHERE pipeline OPERATOR(pg_catalog.~~) 'sh\_%' ORDER BY pipeline;
SELECT pipeline, step, current, rows_inserted, rows_updated FROM dataops.versions WHERE run_id OPERATOR(pg_catalog.>=) :sh_r1 ORDER BY step, run_id;
SELECT pipeline, step, name FROM dataops.step_expectations WHERE pipeline OPERATOR(pg_catalog.=) 'sh_p' ORDER BY step, name;
SELECT pipeline, status FROM dataops.monitor_runs WHERE run_id OPERATOR(pg_catalog.>=) :sh_r1 ORDER BY run_id;
:safe
SELECT count(*) AS calls_so_far FROM sh_evil.log WHERE who <> 'sh_attacker';
:evil
SELECT dataops.detach_suite('sh_p', 'orders', 'sh_suite');
SELECT dataops.drop_suite('sh_suite');
SELECT dataops.drop_dependency('sh_down', 'sh_p');
SELECT dataops.drop_pipeline('sh_down');
SELECT dataops.drop_pipeline('sh_p');
:safe

-- the outcome: dataops never ran the attacker's code, and the results were right
SELECT count(*) AS calls_by_other_roles FROM sh_evil.log WHERE who <> 'sh_attacker';
SELECT rolsuper AS attacker_is_superuser FROM pg_roles WHERE rolname = 'sh_attacker';
SELECT run_id = :sh_r1 AS first, status FROM dataops.runs WHERE pipeline = 'sh_p' AND run_id >= :sh_r1 ORDER BY run_id;
SELECT status FROM dataops.runs WHERE pipeline = 'sh_down' AND run_id >= :sh_r1;
-- dedup on customer keeps the latest updated_at; the NULL customer is quarantined (not_null, drop)
SELECT customer, id FROM sh_layer.orders ORDER BY customer;
SELECT id FROM sh_layer.orders_quarantine;
-- the rollback undid the second merge: the three changed rows are back at their first amounts
SELECT count(*) AS rows, sum(amount) AS total FROM sh_layer.orders_inc;
SELECT count(*) AS versions, count(*) FILTER (WHERE is_current) AS current FROM sh_layer.orders_hist;
SELECT step, expectation, success, element_count, unexpected_count FROM dataops.expectation_results
 WHERE run_id = :sh_r1 ORDER BY step, expectation;

-- clean up
SET client_min_messages = warning;
DROP EXTENSION pg_cron;
DROP SCHEMA sh_layer, sh_data CASCADE;
DROP SCHEMA sh_evil CASCADE;
DROP ROLE sh_attacker;
RESET client_min_messages;
