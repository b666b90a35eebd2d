-- Expectation kinds beyond the foundation's: row-level and aggregate, with
-- Great Expectations' counting rules.  Each right answer is worked out in
-- the comment above the query that shows it.
\pset null '(null)'
CREATE FUNCTION public.run_outcome(p text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM dataops.run(p);
    RETURN 'succeeded';
EXCEPTION WHEN OTHERS THEN
    RETURN regexp_replace(SQLERRM, '^run \d+ of ', 'run of ');
END $$;

CREATE TABLE public.k (id int, name text, email text, age int, code text, d text);
INSERT INTO public.k VALUES
  (1, 'ann', 'ann@x.org',        30, 'AB',   '2024-01-05'),
  (2, 'bob', 'BOB@x.org',        40, 'ABC',  '2024-02-30'),
  (3, NULL,  'bad',              50, 'A',    '05/01/2024'),
  (4, 'dan', NULL,               NULL, NULL, NULL),
  (5, 'eve', 'eve@test.invalid', 20, 'ABCD', '2023-12-31');

SELECT dataops.create_pipeline('kinds');
SELECT dataops.add_step('kinds', 'k', 'silver', 'kinds_k',
       query => 'SELECT *, now() - interval ''1 hour'' AS ts FROM public.k');

-- row level ----------------------------------------------------------------
-- null: the 4 non-NULL names are unexpected, over all 5 rows (80%)
SELECT dataops.add_expectation('kinds', 'k', 'name_null', 'expect_column_values_to_be_null', 'name');
-- not_match_regex: eve@test.invalid matches; 4 non-missing -> 25%
SELECT dataops.add_expectation('kinds', 'k', 'email_not_invalid', 'not_match_regex', 'email', '{"pattern": "\\.invalid$"}');
-- match_regex with flags i: only 'bad' fails (BOB matches case-insensitively) -> 1, 25%
SELECT dataops.add_expectation('kinds', 'k', 'email_ci', 'match_regex', 'email', '{"pattern": "^[a-z]+@", "flags": "i"}');
-- the same without flags: BOB and bad fail -> 2, 50%
SELECT dataops.add_expectation('kinds', 'k', 'email_cs', 'match_regex', 'email', '{"regex": "^[a-z]+@"}');
-- match_regex_list, any: bad matches neither -> 1
SELECT dataops.add_expectation('kinds', 'k', 'email_any', 'match_regex_list', 'email',
       '{"patterns": ["@x\\.org$", "@test\\."]}');
-- match_regex_list, all of ^[a-z] and org$: only ann@x.org matches both -> 3, 75%
SELECT dataops.add_expectation('kinds', 'k', 'email_all', 'expect_column_values_to_match_regex_list', 'email',
       '{"regex_list": ["^[a-z]", "org$"], "match_on": "all"}');
-- value_lengths_between 2..3: A (1) and ABCD (4) fail; NULL is missing -> 2 of 4
SELECT dataops.add_expectation('kinds', 'k', 'code_len', 'value_lengths_between', 'code', '{"min": 2, "max": 3}');
-- not_in_set: age 50 is unexpected -> 1 of 4
SELECT dataops.add_expectation('kinds', 'k', 'age_not_50_60', 'not_in_set', 'age', '{"value_set": [50, 60]}');
-- match_strftime_format %Y-%m-%d: 2024-02-30 (no such day) and 05/01/2024 fail -> 2 of 4
SELECT dataops.add_expectation('kinds', 'k', 'd_format', 'match_strftime_format', 'd', '{"format": "%Y-%m-%d"}');
-- castable_to date: 2024-02-30 fails; 05/01/2024 is a date (MDY) -> 1 of 4, and no error escapes
SELECT dataops.add_expectation('kinds', 'k', 'd_date', 'castable_to', 'd', '{"type": "date"}');
-- castable_to integer on code: none of the 4 codes is an integer -> 4 of 4
SELECT dataops.add_expectation('kinds', 'k', 'code_int', 'castable_to', 'code', '{"type": "integer"}', mostly => 0.0);

-- aggregate (over the 5 published rows) ------------------------------------
-- row_count_equal 5: true
SELECT dataops.add_expectation('kinds', 'k', 'rows_5', 'expect_table_row_count_to_equal', NULL, '{"value": 5}');
-- mean of 30, 40, 50, 20 = 35: inside 30..40
SELECT dataops.add_expectation('kinds', 'k', 'age_mean', 'mean_between', 'age', '{"min": 30, "max": 40}');
-- min is 20: below 25
SELECT dataops.add_expectation('kinds', 'k', 'age_min', 'min_between', 'age', '{"min_value": 25}');
-- max is 50: inside ..50, but not strictly below 50
SELECT dataops.add_expectation('kinds', 'k', 'age_max', 'max_between', 'age', '{"max": 50}');
SELECT dataops.add_expectation('kinds', 'k', 'age_max_strict', 'max_between', 'age', '{"max": 50, "strict_max": true}');
-- sum is 140
SELECT dataops.add_expectation('kinds', 'k', 'age_sum', 'sum_between', 'age', '{"min": 140, "max": 140}');
-- median of 20, 30, 40, 50 = 35 (mean of the middle two, as GE)
SELECT dataops.add_expectation('kinds', 'k', 'age_median', 'median_between', 'age', '{"min": 35, "max": 35}');
-- sample standard deviation: sqrt(((15^2)*2 + (5^2)*2) / 3) = sqrt(500/3) = 12.9099: above 10
SELECT dataops.add_expectation('kinds', 'k', 'age_stdev', 'stdev_between', 'age', '{"max": 10}');
-- 4 distinct codes (A, AB, ABC, ABCD)
SELECT dataops.add_expectation('kinds', 'k', 'code_distinct_4', 'unique_value_count_between', 'code', '{"min": 4, "max": 4}');
-- 4 distinct names among 4 non-NULL ones: proportion 1
SELECT dataops.add_expectation('kinds', 'k', 'name_prop', 'proportion_of_unique_values_between', 'name', '{"min": 1}');
-- distinct codes are not all in {A, AB, ABC}: ABCD is not
SELECT dataops.add_expectation('kinds', 'k', 'code_set', 'distinct_values_in_set', 'code', '{"values": ["A", "AB", "ABC"]}');
-- columns: exactly these 7; a subset that names a missing column; a set missing ts
SELECT dataops.add_expectation('kinds', 'k', 'cols_exact', 'columns_match_set', NULL,
       '{"columns": ["id", "name", "email", "age", "code", "d", "ts"]}');
SELECT dataops.add_expectation('kinds', 'k', 'cols_subset_missing', 'columns_match_set', NULL,
       '{"column_set": ["id", "nope"], "exact_match": false}');
SELECT dataops.add_expectation('kinds', 'k', 'cols_not_exact', 'columns_match_set', NULL, '{"columns": ["id", "name"]}');
-- ts is one hour old: fresh within a day, stale for 10 minutes
SELECT dataops.add_expectation('kinds', 'k', 'fresh_day', 'freshness', NULL, '{"column": "ts", "max_age": "1 day"}');
SELECT dataops.add_expectation('kinds', 'k', 'fresh_10min', 'freshness', 'ts', '{"max_age": "10 minutes"}');

-- GE argument names are stored as dataops' own
SELECT name, kind, args FROM dataops.expectations
 WHERE pipeline = 'kinds' AND name IN ('email_cs', 'email_all', 'age_not_50_60', 'age_min', 'cols_subset_missing')
 ORDER BY name;

SELECT public.run_outcome('kinds');
SELECT expectation, kind, element_count, missing_count, unexpected_count,
       round(unexpected_percent::numeric, 2) AS pct, success
  FROM dataops.expectation_results WHERE step = 'k' AND unexpected_count IS NOT NULL ORDER BY expectation;
SELECT expectation, kind, element_count,
       CASE WHEN kind = 'stdev_between' THEN to_jsonb(round(observed_value::text::numeric, 4))
            WHEN kind = 'proportion_of_unique_values_between' THEN to_jsonb(observed_value::text::numeric::float8)
            WHEN kind = 'mean_between' THEN to_jsonb(observed_value::text::numeric::float8)
            WHEN kind = 'freshness' THEN observed_value - 'max'
            ELSE observed_value END AS observed, success
  FROM dataops.expectation_results WHERE step = 'k' AND unexpected_count IS NULL ORDER BY expectation;
-- unexpected values: the failing dates and the NULL-free sample of names
SELECT expectation, partial_unexpected_list FROM dataops.expectation_results
 WHERE step = 'k' AND expectation IN ('d_format', 'd_date', 'email_all') ORDER BY expectation;

-- compound_unique: rows whose key columns are all NULL are ignored (missing);
-- (a, x) appears twice -> 2 unexpected of 4 non-missing rows
SELECT dataops.create_pipeline('pairs');
SELECT dataops.add_step('pairs', 'p', 'silver', 'kinds_pairs', query => $$
  SELECT * FROM (VALUES (1, 'a', 'x'), (2, 'a', 'x'), (3, 'a', NULL), (4, NULL, NULL), (5, NULL, NULL), (6, 'b', 'x')) v(id, k1, k2) $$);
SELECT dataops.add_expectation('pairs', 'p', 'k_unique', 'expect_compound_columns_to_be_unique', NULL, '{"column_list": ["k1", "k2"]}');
SELECT public.run_outcome('pairs');
SELECT expectation, kind, element_count, missing_count, unexpected_count, partial_unexpected_list, success
  FROM dataops.expectation_results WHERE step = 'p';

-- relationships (dbt): customer 99 does not exist; NULL is missing -> 1 of 3,
-- dropped to the quarantine
CREATE TABLE public.kinds_customers (id int);
INSERT INTO public.kinds_customers VALUES (10), (11), (12), (NULL);
SELECT dataops.create_pipeline('orders');
SELECT dataops.add_step('orders', 'o', 'silver', 'kinds_orders', query => $$
  SELECT * FROM (VALUES (1, 10), (2, 11), (3, NULL::int), (4, 99)) o(id, customer_id) $$);
SELECT dataops.add_expectation('orders', 'o', 'customer_exists', 'relationships', 'customer_id',
       '{"to": "public.kinds_customers", "field": "id"}', 'drop');
SELECT public.run_outcome('orders');
SELECT id, customer_id FROM silver.kinds_orders ORDER BY id;
SELECT id, customer_id, _failed_expectations FROM silver.kinds_orders_quarantine;
SELECT element_count, missing_count, unexpected_count, round(unexpected_percent::numeric, 2) AS pct, success
  FROM dataops.expectation_results WHERE step = 'o';

-- empty input: no rows -> row-level kinds succeed, an aggregate with no value fails
SELECT dataops.create_pipeline('kempty');
SELECT dataops.add_step('kempty', 'e', 'silver', 'kinds_empty', query => 'SELECT age FROM public.k WHERE false');
SELECT dataops.add_expectation('kempty', 'e', 'age_range', 'between', 'age', '{"min": 0, "max": 1}');
SELECT dataops.add_expectation('kempty', 'e', 'age_mean', 'mean_between', 'age', '{"min": 0}');
SELECT dataops.add_expectation('kempty', 'e', 'no_rows', 'row_count_equal', NULL, '{"value": 0}');
SELECT public.run_outcome('kempty');
SELECT expectation, element_count, unexpected_count, observed_value, success
  FROM dataops.expectation_results WHERE step = 'e' ORDER BY expectation;

-- mostly at the boundary: 3 of 4 non-missing codes are not 'A' -> 0.75 passes at 0.75, fails at 0.76
SELECT dataops.create_pipeline('kmostly');
SELECT dataops.add_step('kmostly', 'm', 'silver', 'kinds_mostly', query => 'SELECT code FROM public.k');
SELECT dataops.add_expectation('kmostly', 'm', 'not_a_75', 'not_in_set', 'code', '{"values": ["A"]}', mostly => 0.75);
SELECT dataops.add_expectation('kmostly', 'm', 'not_a_76', 'not_in_set', 'code', '{"values": ["A"]}', mostly => 0.76);
SELECT public.run_outcome('kmostly');
SELECT expectation, unexpected_count, success FROM dataops.expectation_results WHERE step = 'm' ORDER BY expectation;

-- an aggregate fail expectation fails the run and names the observed value
SELECT dataops.create_pipeline('kfail');
SELECT dataops.add_step('kfail', 'f', 'silver', 'kinds_fail', query => 'SELECT age FROM public.k');
SELECT dataops.add_expectation('kfail', 'f', 'age_max_10', 'max_between', 'age', '{"max": 10}', 'fail');
\set VERBOSITY terse
SELECT public.run_outcome('kfail');
SELECT error_detail FROM dataops.runs WHERE pipeline = 'kfail';
SELECT to_regclass('silver.kinds_fail') IS NULL AS nothing_published;

-- a catastrophic pattern fails the run naming the expectation instead of hanging
SELECT dataops.create_pipeline('kcata');
SELECT dataops.add_step('kcata', 'c', 'silver', 'kinds_cata', query => $$SELECT repeat('a', 40) || 'b' AS s$$);
SELECT dataops.add_expectation('kcata', 'c', 'cata', 'match_regex', 's', '{"pattern": "^(a+)+$"}');
SELECT public.run_outcome('kcata');

-- bad input: each is refused and nothing is stored -------------------------
SELECT dataops.add_expectation('kinds', 'k', 'e', 'match_regex', 'email', '{"pattrn": "x"}');
SELECT dataops.add_expectation('kinds', 'k', 'e', 'between', 'age', '{"min": 1, "min_value": 2}');
SELECT dataops.add_expectation('kinds', 'k', 'e', 'match_regex', 'email', '{"pattern": "x", "flags": "q"}');
SELECT dataops.add_expectation('kinds', 'k', 'e', 'match_regex_list', 'email', '{"patterns": "x"}');
SELECT dataops.add_expectation('kinds', 'k', 'e', 'match_regex_list', 'email', '{"patterns": ["x", "("]}');
SELECT dataops.add_expectation('kinds', 'k', 'e', 'match_regex_list', 'email', '{"patterns": ["x"], "match_on": "some"}');
SELECT dataops.add_expectation('kinds', 'k', 'e', 'value_lengths_between', 'code', '{"min": -1}');
SELECT dataops.add_expectation('kinds', 'k', 'e', 'between', 'code', '{"min": 3, "max": 2}');
SELECT dataops.add_expectation('kinds', 'k', 'e', 'proportion_of_unique_values_between', 'code', '{"max": 2}');
SELECT dataops.add_expectation('kinds', 'k', 'e', 'row_count_equal', NULL, '{"value": 1.5}');
SELECT dataops.add_expectation('kinds', 'k', 'e', 'match_strftime_format', 'd');
SELECT dataops.add_expectation('kinds', 'k', 'e', 'castable_to', 'd', '{"type": "no_such_type"}');
SELECT dataops.add_expectation('kinds', 'k', 'e', 'freshness', NULL, '{"column": "ts", "max_age": "soon"}');
SELECT dataops.add_expectation('kinds', 'k', 'e', 'freshness', 'ts', '{"column": "ts", "max_age": "1 day"}');
SELECT dataops.add_expectation('kinds', 'k', 'e', 'mean_between', 'age', '{"min": 1}', mostly => 0.9);
SELECT dataops.add_expectation('kinds', 'k', 'e', 'mean_between', 'age', '{"min": 1}', 'drop');
SELECT dataops.add_expectation('kinds', 'k', 'e', 'not_null', 'age', '{"result_format": "FULL"}');
SELECT dataops.add_expectation('kinds', 'k', 'e', 'max_between', 'age', '{"max": 1, "result_format": "SUMMARY"}');
SELECT dataops.add_expectation('kinds', 'k', 'e', 'columns_match_set', 'id', '{"columns": ["id"]}');
SELECT dataops.add_expectation('kinds', 'k', 'e', 'relationships', 'id', '{"to": "public.kinds_customers"}');
-- the target exists, so its column types are checked when the expectation is added
SELECT dataops.add_expectation('kinds', 'k', 'e', 'between', 'age', '{"min": "abc"}');
SELECT dataops.add_expectation('kinds', 'k', 'e', 'mean_between', 'name', '{"min": 1}');
SELECT dataops.add_expectation('kinds', 'k', 'e', 'freshness', 'age', '{"max_age": "1 day"}');
SELECT dataops.add_expectation('kinds', 'k', 'e', 'in_set', 'age', '{"values": [1, "x"]}');
SELECT dataops.add_expectation('kinds', 'k', 'e', 'not_null', 'nope');
SELECT dataops.add_expectation('kinds', 'k', 'e', 'relationships', 'id', '{"to": "public.nope", "field": "id"}');
SELECT dataops.add_expectation('kinds', 'k', 'e', 'relationships', 'id', '{"to": "public.kinds_customers", "field": "nope"}');
SELECT dataops.add_expectation('kinds', 'k', 'e', 'relationships', 'name', '{"to": "public.kinds_customers", "field": "id"}');
\set VERBOSITY default
SELECT count(*) AS nothing_added FROM dataops.expectations WHERE name = 'e';
