-- The SQL dataops generates for expectations must not depend on the
-- search_path of the role that runs it.  An ordinary role plants, in a
-- schema everyone may use, operators (=, <>, <, >, <=, >=, <@, @>, -, /),
-- functions and aggregates (count, avg, sum, min, max, stddev_samp,
-- array_agg, lower, upper, length, char_length, now, to_jsonb, int4range,
-- array_remove, unnest, jsonb_array_elements_text) and domains named like
-- built-in types (text, jsonb, timestamptz, float8, int8, int4, varchar,
-- bool) whose CHECK calls its code.  Each planted object logs who ran it
-- and tries ALTER ROLE ... SUPERUSER.  A superuser (the victim) puts that
-- schema first on its search_path, defines a pipeline (add_step captures
-- that path for the worker) with every expectation kind, with actions warn,
-- drop and fail, result formats BASIC, SUMMARY and COMPLETE and a
-- unique_key, runs it, and checks a table with dataops.validate() and a
-- suite of the same kinds.  dataops must never run the planted code (no
-- call by another role, counted by a sequence that a rollback does not
-- undo), and the results must be the right ones (worked out in the
-- comments, and equal to those of the same pipeline defined under a clean
-- search_path).  A citext column checks that a column's own type's
-- operators (in the schema citext is installed in) are the ones applied.
\set VERBOSITY terse
\pset null '(null)'
CREATE SCHEMA sh2_data;
GRANT USAGE ON SCHEMA sh2_data TO PUBLIC;
CREATE EXTENSION citext SCHEMA sh2_data;
CREATE ROLE sh2_attacker LOGIN;
CREATE SCHEMA sh2_evil AUTHORIZATION sh2_attacker;
GRANT USAGE ON SCHEMA sh2_evil TO PUBLIC;

SET ROLE sh2_attacker;
CREATE TABLE sh2_evil.log (who name, what text, ctx text);
GRANT INSERT, SELECT ON sh2_evil.log TO PUBLIC;
-- calls by other roles, even in a transaction that rolled back
CREATE SEQUENCE sh2_evil.foreign_calls;
GRANT USAGE, SELECT ON SEQUENCE sh2_evil.foreign_calls TO PUBLIC;
CREATE FUNCTION sh2_evil.trap(what text) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET lock_timeout = '200ms' AS $$
BEGIN
    IF current_user OPERATOR(pg_catalog.<>) 'sh2_attacker' THEN
        PERFORM pg_catalog.nextval('sh2_evil.foreign_calls');
    END IF;
    INSERT INTO sh2_evil.log VALUES (current_user, what,
        (SELECT backend_type FROM pg_catalog.pg_stat_activity WHERE pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()));
    BEGIN
        EXECUTE 'ALTER ROLE sh2_attacker SUPERUSER';
    EXCEPTION WHEN OTHERS THEN NULL;
    END;
    RETURN true;
END $$;
-- comparison operators on the types dataops compares
DO $$
DECLARE
    t text;
    op record;
BEGIN
    FOREACH t IN ARRAY ARRAY['text', 'bigint', 'integer', 'numeric', 'timestamptz', 'interval', 'name', 'sh2_data.citext'] LOOP
        FOR op IN SELECT * FROM (VALUES ('=', 'eq'), ('<>', 'ne'), ('<', 'lt'), ('>', 'gt'), ('<=', 'le'), ('>=', 'ge')) v(sym, nm) LOOP
            EXECUTE format('CREATE FUNCTION sh2_evil.%s_%s(%s, %s) RETURNS boolean LANGUAGE plpgsql AS $f$
                BEGIN PERFORM sh2_evil.trap(%L); RETURN $1%s OPERATOR(pg_catalog.%s) $2%s; END $f$',
                op.nm, replace(t, '.', '_'), t, t, op.sym || ' ' || t,
                -- citext's planted operators compare case-sensitively, as text
                CASE WHEN t = 'sh2_data.citext' THEN '::pg_catalog.text' ELSE '' END, op.sym,
                CASE WHEN t = 'sh2_data.citext' THEN '::pg_catalog.text' ELSE '' END);
            EXECUTE format('CREATE OPERATOR sh2_evil.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = sh2_evil.%s_%s)',
                op.sym, t, t, op.nm, replace(t, '.', '_'));
        END LOOP;
    END LOOP;
END $$;
CREATE FUNCTION sh2_evil.contained(anyarray, anyarray) RETURNS boolean LANGUAGE plpgsql AS
  $$ BEGIN PERFORM sh2_evil.trap('<@'); RETURN $1 OPERATOR(pg_catalog.<@) $2; END $$;
CREATE OPERATOR sh2_evil.<@ (LEFTARG = anyarray, RIGHTARG = anyarray, FUNCTION = sh2_evil.contained);
CREATE FUNCTION sh2_evil.contains(anyarray, anyarray) RETURNS boolean LANGUAGE plpgsql AS
  $$ BEGIN PERFORM sh2_evil.trap('@>'); RETURN $1 OPERATOR(pg_catalog.@>) $2; END $$;
CREATE OPERATOR sh2_evil.@> (LEFTARG = anyarray, RIGHTARG = anyarray, FUNCTION = sh2_evil.contains);
CREATE FUNCTION sh2_evil.range_contains(int4range, integer) RETURNS boolean LANGUAGE plpgsql AS
  $$ BEGIN PERFORM sh2_evil.trap('@> int4range'); RETURN $1 OPERATOR(pg_catalog.@>) $2; END $$;
CREATE OPERATOR sh2_evil.@> (LEFTARG = int4range, RIGHTARG = integer, FUNCTION = sh2_evil.range_contains);
CREATE FUNCTION sh2_evil.minus(timestamptz, timestamptz) RETURNS interval LANGUAGE plpgsql AS
  $$ BEGIN PERFORM sh2_evil.trap('- timestamptz'); RETURN $1 OPERATOR(pg_catalog.-) $2; END $$;
CREATE OPERATOR sh2_evil.- (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = sh2_evil.minus);
CREATE FUNCTION sh2_evil.div(numeric, numeric) RETURNS numeric LANGUAGE plpgsql AS
  $$ BEGIN PERFORM sh2_evil.trap('/ numeric'); RETURN $1 OPERATOR(pg_catalog./) $2; END $$;
CREATE OPERATOR sh2_evil./ (LEFTARG = numeric, RIGHTARG = numeric, FUNCTION = sh2_evil.div);
-- functions
CREATE FUNCTION sh2_evil.lower(text) RETURNS text LANGUAGE plpgsql AS
  $$ BEGIN PERFORM sh2_evil.trap('lower'); RETURN pg_catalog.lower($1); END $$;
CREATE FUNCTION sh2_evil.upper(text) RETURNS text LANGUAGE plpgsql AS
  $$ BEGIN PERFORM sh2_evil.trap('upper'); RETURN pg_catalog.upper($1); END $$;
CREATE FUNCTION sh2_evil.length(text) RETURNS integer LANGUAGE plpgsql AS
  $$ BEGIN PERFORM sh2_evil.trap('length'); RETURN pg_catalog.length($1); END $$;
CREATE FUNCTION sh2_evil.char_length(text) RETURNS integer LANGUAGE plpgsql AS
  $$ BEGIN PERFORM sh2_evil.trap('char_length'); RETURN pg_catalog.char_length($1); END $$;
CREATE FUNCTION sh2_evil.now() RETURNS timestamptz LANGUAGE plpgsql AS
  $$ BEGIN PERFORM sh2_evil.trap('now'); RETURN pg_catalog.now(); END $$;
CREATE FUNCTION sh2_evil.to_jsonb(anyelement) RETURNS jsonb LANGUAGE plpgsql AS
  $$ BEGIN PERFORM sh2_evil.trap('to_jsonb'); RETURN pg_catalog.to_jsonb($1); END $$;
CREATE FUNCTION sh2_evil.int4range(integer, integer, text) RETURNS int4range LANGUAGE plpgsql AS
  $$ BEGIN PERFORM sh2_evil.trap('int4range'); RETURN pg_catalog.int4range($1, $2, $3); END $$;
CREATE FUNCTION sh2_evil.array_remove(anycompatiblearray, anycompatible) RETURNS anycompatiblearray LANGUAGE plpgsql AS
  $$ BEGIN PERFORM sh2_evil.trap('array_remove'); RETURN pg_catalog.array_remove($1, $2); END $$;
CREATE FUNCTION sh2_evil.unnest(anyarray) RETURNS SETOF anyelement LANGUAGE plpgsql AS
  $$ BEGIN PERFORM sh2_evil.trap('unnest'); RETURN QUERY SELECT * FROM pg_catalog.unnest($1); END $$;
CREATE FUNCTION sh2_evil.jsonb_array_elements_text(jsonb) RETURNS SETOF text LANGUAGE plpgsql AS
  $$ BEGIN PERFORM sh2_evil.trap('jsonb_array_elements_text');
     RETURN QUERY SELECT * FROM pg_catalog.jsonb_array_elements_text($1); END $$;
-- aggregates: a transition function that counts, and one that keeps the last value
CREATE FUNCTION sh2_evil.count_sf(bigint) RETURNS bigint LANGUAGE plpgsql AS
  $$ BEGIN PERFORM sh2_evil.trap('count(*)'); RETURN $1 OPERATOR(pg_catalog.+) 1; END $$;
CREATE FUNCTION sh2_evil.count_sf(bigint, anyelement) RETURNS bigint LANGUAGE plpgsql AS
  $$ BEGIN PERFORM sh2_evil.trap('count(x)'); RETURN $1 OPERATOR(pg_catalog.+) 1; END $$;
CREATE AGGREGATE sh2_evil.count(*) (SFUNC = sh2_evil.count_sf, STYPE = bigint, INITCOND = 0);
CREATE AGGREGATE sh2_evil.count(text) (SFUNC = sh2_evil.count_sf, STYPE = bigint, INITCOND = 0);
CREATE AGGREGATE sh2_evil.count(numeric) (SFUNC = sh2_evil.count_sf, STYPE = bigint, INITCOND = 0);
CREATE AGGREGATE sh2_evil.count(bigint) (SFUNC = sh2_evil.count_sf, STYPE = bigint, INITCOND = 0);
CREATE AGGREGATE sh2_evil.count(integer) (SFUNC = sh2_evil.count_sf, STYPE = bigint, INITCOND = 0);
CREATE FUNCTION sh2_evil.last_sf(anyelement, anyelement) RETURNS anyelement LANGUAGE plpgsql AS
  $$ BEGIN PERFORM sh2_evil.trap('aggregate'); RETURN $2; END $$;
CREATE AGGREGATE sh2_evil.avg(numeric) (SFUNC = sh2_evil.last_sf, STYPE = numeric);
CREATE AGGREGATE sh2_evil.sum(numeric) (SFUNC = sh2_evil.last_sf, STYPE = numeric);
CREATE AGGREGATE sh2_evil.sum(bigint) (SFUNC = sh2_evil.last_sf, STYPE = bigint);
CREATE AGGREGATE sh2_evil.min(numeric) (SFUNC = sh2_evil.last_sf, STYPE = numeric);
CREATE AGGREGATE sh2_evil.max(numeric) (SFUNC = sh2_evil.last_sf, STYPE = numeric);
CREATE AGGREGATE sh2_evil.min(timestamptz) (SFUNC = sh2_evil.last_sf, STYPE = timestamptz);
CREATE AGGREGATE sh2_evil.max(timestamptz) (SFUNC = sh2_evil.last_sf, STYPE = timestamptz);
CREATE AGGREGATE sh2_evil.stddev_samp(numeric) (SFUNC = sh2_evil.last_sf, STYPE = numeric);
CREATE AGGREGATE sh2_evil.array_agg(text) (SFUNC = sh2_evil.last_sf, STYPE = text);
-- types: a domain named like a built-in type, whose CHECK runs the trap
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['text', 'jsonb', 'timestamptz', 'float8', 'int8', 'int4', 'bool'] LOOP
        EXECUTE format('CREATE DOMAIN sh2_evil.%I AS pg_catalog.%I CHECK (sh2_evil.trap(%L))', t, t, 'type ' || t);
    END LOOP;
END $$;

-- the planted objects work: names looked up on a search_path with sh2_evil
-- first reach them (here the attacker's own query calls them, as the attacker)
SET search_path = sh2_evil, pg_catalog;
SELECT 'a' = 'a', 'a' <> 'b', 1::bigint < 2::bigint, 1 > 0, 1.5 <= 2.5, now() >= now(),
       interval '1 day' <= interval '2 days', ARRAY[1] <@ ARRAY[1, 2], ARRAY[1, 2] @> ARRAY[1],
       int4range(1, 3, '[]') @> 2, (now() - now()) IS NOT NULL, 1.0 / 2.0, lower('A'), upper('a'),
       length('ab'), char_length('ab'), to_jsonb(1), array_remove(ARRAY['a'], 'b'),
       CAST('x' AS text), CAST('{}' AS jsonb), CAST(now() AS timestamptz) IS NOT NULL AS ts, CAST(1 AS float8), CAST(1 AS int8),
       CAST(1 AS int4), CAST(true AS bool), current_user = 'sh2_attacker'::name,
       'a'::sh2_data.citext = 'A'::sh2_data.citext AS citext_eq;
SELECT count(*), count('a'::pg_catalog.text), count(1.0), count(1::bigint), count(1::integer), avg(1.0), sum(1.0),
       sum(1::bigint), min(1.0), max(1.0), min(now()) IS NOT NULL AS min_ts, max(now()) IS NOT NULL AS max_ts, stddev_samp(1.0), array_agg('a'::pg_catalog.text)
  FROM (SELECT 1) x;
SELECT * FROM unnest(ARRAY[1]), jsonb_array_elements_text('[1]');
RESET search_path;
RESET ROLE;
SELECT count(DISTINCT what) AS planted_objects_called, string_agg(DISTINCT what, ', ' ORDER BY what) AS called,
       bool_and(who = 'sh2_attacker') AS all_as_attacker,
       (SELECT is_called FROM sh2_evil.foreign_calls) AS foreign_calls, rolsuper AS attacker_is_superuser
  FROM sh2_evil.log, pg_roles WHERE rolname = 'sh2_attacker' GROUP BY rolsuper;
TRUNCATE sh2_evil.log;

-- the victim's data, defined under a clean search_path
-- ids 1..6 live; the second row of id 5 is older (ts) and removed by the
-- unique_key dedup; id 3 (NULL customer) and id 6 (amount -5) are dropped
CREATE TABLE sh2_data.t (id int, customer text, amount numeric, qty bigint, code varchar(4), d text, ts timestamptz,
                         tag sh2_data.citext);
INSERT INTO sh2_data.t VALUES
  (1, 'c1', 10, 1, 'AB',   '2024-01-05', '2024-01-01 00:00:00+00', 'a'),
  (2, 'c2', 20, 2, 'ABC',  '2024-02-30', '2024-01-02 00:00:00+00', 'B'),
  (3, NULL, 30, 3, 'A',    '05/01/2024', '2024-01-03 00:00:00+00', 'a'),
  (4, 'c9', 40, NULL, NULL, NULL,        '2024-01-04 00:00:00+00', NULL),
  (5, 'c1', 50, 5, 'ABCD', '2023-12-31', '2024-01-05 00:00:00+00', 'C'),
  (5, 'c5', 55, 6, 'XY',   '2024-03-01', '2023-12-01 00:00:00+00', 'z'),
  (6, 'c1', -5, 7, 'AB',   'x',          '2024-01-06 00:00:00+00', 'A');
-- the 6 live rows, for dataops.validate
CREATE TABLE sh2_data.t_live AS SELECT * FROM sh2_data.t WHERE NOT (id = 5 AND customer = 'c5');
CREATE TABLE sh2_data.customers (customer text PRIMARY KEY);
INSERT INTO sh2_data.customers VALUES ('c1'), ('c2');
CREATE TABLE sh2_data.qtys (q integer PRIMARY KEY);
INSERT INTO sh2_data.qtys VALUES (1), (2), (3), (5);
CREATE TABLE sh2_data.tags (t sh2_data.citext PRIMARY KEY);
INSERT INTO sh2_data.tags VALUES ('A'), ('B');
-- every kind; row-level answers are over the 6 live rows (ids 1..6)
CREATE TABLE sh2_data.exps (ord int, name text, kind text, col text, args jsonb, action text);
INSERT INTO sh2_data.exps VALUES
  -- not_null customer: id 3; drop
  (1,  'nn_customer', 'not_null', 'customer', '{}', 'drop'),
  -- not_null id: none; fail (passes)
  (2,  'nn_id', 'not_null', 'id', '{}', 'fail'),
  -- null qty: the 5 non-NULL qtys, over 6 rows
  (3,  'null_qty', 'null', 'qty', '{}', 'warn'),
  -- unique customer: c1 three times (ids 1, 5, 6); NULL missing
  (4,  'uq_customer', 'unique', 'customer', '{"result_format": "SUMMARY"}', 'warn'),
  -- unique (customer, code) through args.columns: (c1, AB) twice (ids 1, 6)
  (5,  'uq_pair', 'unique', NULL, '{"columns": ["customer", "code"]}', 'warn'),
  -- compound_unique, the same pair; COMPLETE keeps ids 1 and 6
  (6,  'cu_pair', 'compound_unique', NULL, '{"columns": ["customer", "code"], "result_format": "COMPLETE"}', 'warn'),
  -- match_regex ^AB: A (id 3) fails; NULL missing
  (7,  'rx_code', 'match_regex', 'code', '{"pattern": "^AB"}', 'warn'),
  -- not_match_regex ^x$: x (id 6) matches
  (8,  'nrx_d', 'not_match_regex', 'd', '{"pattern": "^x$", "result_format": "SUMMARY"}', 'warn'),
  -- match_regex_list, any of ^2024 and ^2023: 05/01/2024 and x fail
  (9,  'rxl_d', 'match_regex_list', 'd', '{"patterns": ["^2024", "^2023"]}', 'warn'),
  -- between 0 and 100: -5 (id 6); drop
  (10, 'btw_amount', 'between', 'amount', '{"min": 0, "max": 100}', 'drop'),
  -- between 2024-01-02 and (strictly) 2024-01-05: ids 1, 5, 6 fail
  (11, 'btw_ts', 'between', 'ts', '{"min": "2024-01-02 00:00:00+00", "max": "2024-01-05 00:00:00+00", "strict_max": true}', 'warn'),
  -- between AB and AC on varchar(4): A fails; NULL missing
  (12, 'btw_code', 'between', 'code', '{"min": "AB", "max": "AC"}', 'warn'),
  -- in_set c1, c2: c9 fails; NULL missing
  (13, 'inset_customer', 'in_set', 'customer', '{"values": ["c1", "c2"], "result_format": "SUMMARY"}', 'warn'),
  -- not_in_set 5, 7 on bigint: ids 5 and 6; NULL missing
  (14, 'notin_qty', 'not_in_set', 'qty', '{"values": [5, 7]}', 'warn'),
  -- lengths 2..3: A and ABCD fail; COMPLETE keeps ids 3 and 5
  (15, 'len_code', 'value_lengths_between', 'code', '{"min": 2, "max": 3, "result_format": "COMPLETE"}', 'warn'),
  -- %Y-%m-%d: 2024-02-30, 05/01/2024 and x fail
  (16, 'fmt_d', 'match_strftime_format', 'd', '{"format": "%Y-%m-%d"}', 'warn'),
  -- castable to date: 2024-02-30 and x fail (05/01/2024 is a date, MDY)
  (17, 'cast_d', 'castable_to', 'd', '{"type": "pg_catalog.date"}', 'warn'),
  -- customer in sh2_data.customers (c1, c2): c9 fails
  (18, 'fk_customer', 'relationships', 'customer', '{"to": "sh2_data.customers", "field": "customer"}', 'warn'),
  -- qty (bigint) in sh2_data.qtys.q (integer: 1, 2, 3, 5): 7 fails
  (19, 'fk_qty', 'relationships', 'qty', '{"to": "sh2_data.qtys", "field": "q"}', 'warn'),
  -- the user's own expression (no planted name): qty of id 4 is NULL
  (20, 'expr_qty', 'expression', NULL, '{"expression": "qty IS NOT NULL"}', 'warn'),
  -- citext, compared case-insensitively by its own operators: tags a, B, a,
  -- NULL, C, A.  in_set A, b: C fails
  (36, 'inset_tag', 'in_set', 'tag', '{"values": ["A", "b"]}', 'warn'),
  -- unique: a, a, A (ids 1, 3, 6)
  (37, 'uq_tag', 'unique', 'tag', '{}', 'warn'),
  -- between a and b: C fails
  (38, 'btw_tag', 'between', 'tag', '{"min": "a", "max": "b"}', 'warn'),
  -- in sh2_data.tags (A, B): C fails
  (39, 'fk_tag', 'relationships', 'tag', '{"to": "sh2_data.tags", "field": "t"}', 'warn'),
  -- published tags a, B, C (and NULL) are all in {a, b, c}
  (40, 'dvis_tag', 'distinct_values_in_set', 'tag', '{"values": ["a", "b", "c"]}', 'warn'),
  -- the least published tag (pg_catalog.min, of text: B) is not below a, as citext
  (41, 'min_tag', 'min_between', 'tag', '{"min": "a"}', 'warn'),
  -- aggregates, over the rows published (the step: ids 1, 2, 4, 5)
  (21, 'rows_between', 'row_count_between', NULL, '{"min": 1, "max": 10}', 'fail'),
  (22, 'rows_equal', 'row_count_equal', NULL, '{"value": 4}', 'warn'),
  (23, 'mean_amount', 'mean_between', 'amount', '{"min": 20, "max": 30}', 'warn'),
  (24, 'min_amount', 'min_between', 'amount', '{"min": 10, "strict_min": true}', 'warn'),
  (25, 'max_ts', 'max_between', 'ts', '{"max": "2024-01-05 00:00:00+00"}', 'warn'),
  (26, 'sum_qty', 'sum_between', 'qty', '{"min": 8, "max": 8}', 'warn'),
  (27, 'median_amount', 'median_between', 'amount', '{"min": 30, "max": 30}', 'warn'),
  (28, 'stdev_amount', 'stdev_between', 'amount', '{"max": 10}', 'warn'),
  (29, 'uvc_customer', 'unique_value_count_between', 'customer', '{"min": 3, "max": 3}', 'warn'),
  (30, 'prop_customer', 'proportion_of_unique_values_between', 'customer', '{"min": 0.75, "max": 0.75}', 'warn'),
  (31, 'dvis_code', 'distinct_values_in_set', 'code', '{"values": ["AB", "ABC", "ABCD"]}', 'warn'),
  (32, 'dvis_code_ab', 'distinct_values_in_set', 'code', '{"values": ["AB"]}', 'warn'),
  (33, 'fresh_ts', 'freshness', 'ts', '{"max_age": "100 years"}', 'warn'),
  (34, 'stale_ts', 'freshness', NULL, '{"column": "ts", "max_age": "1 day"}', 'warn'),
  (35, 'cols', 'columns_match_set', NULL, '{"columns": ["id", "customer", "amount", "qty", "code", "d", "ts", "tag"]}', 'warn');

-- the control: the same pipeline, defined under a clean search_path
SELECT dataops.create_pipeline('sh2_ctl');
SELECT dataops.add_step('sh2_ctl', 'orders', 'silver', 'sh2_ctl.orders',
    query => 'SELECT * FROM sh2_data.t', unique_key => '{id}', keep => 'ts DESC');
SELECT count(dataops.add_expectation('sh2_ctl', 'orders', name, kind, col, args, action)) AS added
  FROM (SELECT * FROM sh2_data.exps ORDER BY ord) e;
SELECT dataops.run('sh2_ctl') AS ctl_run \gset

-- the victim works with the attacker's schema first on its search_path; its
-- own statements use no planted name (only dataops' functions)
SET search_path = sh2_evil, pg_catalog, public;
SELECT dataops.create_pipeline('sh2_p');
SELECT dataops.add_step('sh2_p', 'orders', 'silver', 'sh2_layer.orders',
    query => 'SELECT * FROM sh2_data.t', unique_key => '{id}', keep => 'ts DESC');
SELECT pg_catalog.count(dataops.add_expectation('sh2_p', 'orders', name, kind, col, args, action)) AS added
  FROM (SELECT * FROM sh2_data.exps ORDER BY ord) e;
-- an expectation with action fail that fails fails the run
SELECT dataops.create_pipeline('sh2_f');
SELECT dataops.add_step('sh2_f', 'orders', 'silver', 'sh2_layer.orders_f', query => 'SELECT * FROM sh2_data.t');
SELECT dataops.add_expectation('sh2_f', 'orders', 'nn_customer', 'not_null', 'customer', action => 'fail');
SELECT dataops.add_expectation('sh2_f', 'orders', 'mean_amount', 'mean_between', 'amount', '{"max": 0}', 'fail');
-- a suite of the same kinds, for dataops.validate
SELECT dataops.create_suite('sh2_suite');
SELECT pg_catalog.count(dataops.add_suite_expectation('sh2_suite', name, kind, col, args, action)) AS added
  FROM (SELECT * FROM sh2_data.exps ORDER BY ord) e;
SELECT dataops.start_run('sh2_p') AS sh2_run \gset
SELECT dataops.start_run('sh2_f') AS sh2_frun \gset
SELECT pg_catalog.count(*) AS validated FROM dataops.validate('sh2_data.t_live', 'sh2_suite');
-- waiting for a run (dataops.run, dataops.wait) reads the run's status
-- with the catalog's code, not generated SQL: it waits under a clean
-- search_path here (security_shadow covers it); the workers run the steps
-- under the search_path add_step captured above
RESET search_path;
SELECT dataops.wait(:sh2_run) AS p_status, dataops.wait(:sh2_frun) AS f_status;

-- dataops never ran the attacker's code: no call by another role (even one
-- rolled back), and the attacker did not become a superuser
SELECT count(*) AS calls_by_other_roles FROM sh2_evil.log WHERE who <> 'sh2_attacker';
SELECT who, what, ctx, count(*) > 0 AS called FROM sh2_evil.log GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
SELECT is_called AS foreign_calls FROM sh2_evil.foreign_calls;
SELECT rolsuper AS attacker_is_superuser FROM pg_roles WHERE rolname = 'sh2_attacker';

-- the run: 7 rows read, 1 duplicate removed, 2 quarantined (ids 3 and 6), 4 published
SELECT status, error_message FROM dataops.runs WHERE run_id = :sh2_run;
SELECT rows_read, duplicates_removed, rows_written, rows_quarantined
  FROM dataops.step_runs WHERE run_id = :sh2_run;
SELECT id, customer FROM sh2_layer.orders ORDER BY id;
SELECT id, _failed_expectations FROM sh2_layer.orders_quarantine ORDER BY id;
SELECT id, _expectation FROM sh2_layer.orders_unexpected ORDER BY id, _expectation;

-- row-level results: element_count 6 (the live rows); missing and
-- unexpected as worked out above
SELECT expectation, element_count, missing_count, unexpected_count, success, partial_unexpected_list,
       partial_unexpected_counts
  FROM dataops.expectation_results WHERE run_id = :sh2_run AND missing_count IS NOT NULL ORDER BY expectation;
-- aggregate results, over the 4 published rows (ids 1, 2, 4, 5: amounts 10,
-- 20, 40, 50; qtys 1, 2, NULL, 5; codes AB, ABC, NULL, ABCD; customers c1,
-- c2, c9, c1; latest ts 2024-01-05): mean 30; min 10 (not > 10); max ts
-- 2024-01-05; sum 8; median (20 + 40) / 2 = 30; stdev sqrt(1000 / 3) =
-- 18.26 > 10; 3 distinct customers, 3 / 4 = 0.75; {AB, ABC, ABCD} in the
-- first set, not in {AB}; the newest ts is over 100 years young and over a
-- day old; the 8 columns; tags a, B, C in {a, b, c}
SELECT expectation, element_count, success,
       CASE WHEN kind = 'freshness' THEN NULL ELSE observed_value END AS observed_value
  FROM dataops.expectation_results WHERE run_id = :sh2_run AND missing_count IS NULL ORDER BY expectation;
-- the same as the control pipeline's, defined and run without the planted schema
SELECT count(*) AS results, count(*) FILTER (WHERE c.expectation IS NULL) AS differing
  FROM dataops.expectation_results r
  LEFT JOIN dataops.expectation_results c
    ON c.run_id = :ctl_run AND c.expectation = r.expectation
   AND c.element_count = r.element_count AND c.success = r.success
   AND c.missing_count IS NOT DISTINCT FROM r.missing_count
   AND c.unexpected_count IS NOT DISTINCT FROM r.unexpected_count
   AND c.partial_unexpected_list IS NOT DISTINCT FROM r.partial_unexpected_list
   AND c.partial_unexpected_counts IS NOT DISTINCT FROM r.partial_unexpected_counts
   AND (r.kind = 'freshness' OR c.observed_value IS NOT DISTINCT FROM r.observed_value)
 WHERE r.run_id = :sh2_run;
SELECT (SELECT array_agg(id ORDER BY id) FROM sh2_layer.orders) = (SELECT array_agg(id ORDER BY id) FROM sh2_ctl.orders)
       AS same_rows_published;

-- the failing pipeline: nn_customer (id 3) and mean_amount (max 0) fail with action fail
SELECT status, error_sqlstate, error_message FROM dataops.runs WHERE run_id = :sh2_frun;
SELECT to_regclass('sh2_layer.orders_f') IS NULL AS nothing_published;

-- dataops.validate, as the victim under its search_path: the 6 live rows
-- give the row-level counts of the step (its samples come in the table's
-- order); the aggregates are over all 6 (amounts 10, 20, 30, 40, 50, -5:
-- mean 24.17 (in 20..30), min -5, max ts 2024-01-06, median 25, stdev
-- above 10; qtys sum 18; customers c1, c2, c9 among 5 non-NULL: 3
-- distinct, 0.6; codes A, AB, ABC, ABCD, not all in either set; 6 rows;
-- tags a, B, C, A: in {a, b, c})
SELECT max(run_id) AS sh2_vrun FROM dataops.runs WHERE kind = 'validation' AND relation = 'sh2_data.t_live' \gset
SELECT status, error_message FROM dataops.runs WHERE run_id = :sh2_vrun;
SELECT r.expectation, r.element_count, r.missing_count, r.unexpected_count, r.success,
       r.partial_unexpected_list, r.partial_unexpected_counts
  FROM dataops.expectation_results r
 WHERE r.run_id = :sh2_vrun AND r.missing_count IS NOT NULL ORDER BY r.expectation;
SELECT count(*) AS row_level, count(*) FILTER (WHERE (r.missing_count, r.unexpected_count, r.success)
                                               IS DISTINCT FROM (s.missing_count, s.unexpected_count, s.success))
       AS counts_differing_from_step
  FROM dataops.expectation_results r
  JOIN dataops.expectation_results s ON s.run_id = :sh2_run AND s.expectation = r.expectation
 WHERE r.run_id = :sh2_vrun AND r.missing_count IS NOT NULL;
SELECT expectation, element_count, success,
       CASE WHEN kind = 'freshness' THEN NULL ELSE observed_value END AS observed_value
  FROM dataops.expectation_results WHERE run_id = :sh2_vrun AND missing_count IS NULL ORDER BY expectation;
SELECT id, _expectation FROM sh2_data.t_live_unexpected ORDER BY id, _expectation;

-- clean up
SELECT dataops.drop_pipeline('sh2_p');
SELECT dataops.drop_pipeline('sh2_f');
SELECT dataops.drop_pipeline('sh2_ctl');
SELECT dataops.drop_suite('sh2_suite');
DROP SCHEMA sh2_layer, sh2_ctl, sh2_data CASCADE;
DROP SCHEMA sh2_evil CASCADE;
DROP ROLE sh2_attacker;
