-- Result formats (SUMMARY, COMPLETE), suites reused across pipelines, and
-- dataops.validate() on any relation.
\pset null '(null)'
CREATE TABLE public.colors (id int, color text, size int);
INSERT INTO public.colors VALUES
  (1, 'red', 1), (2, 'red', 2), (3, 'blue', 3), (4, 'green', 40), (5, NULL, 50), (6, 'red', 60), (7, 'pink', 7);

-- SUMMARY: unexpected colors are red x3, blue and green (pink is expected, NULL missing);
-- the counts list the most frequent first, then by value
SELECT dataops.create_pipeline('fmt');
SELECT dataops.add_step('fmt', 's', 'silver', 'fmt_colors', query => 'SELECT * FROM public.colors');
SELECT dataops.add_expectation('fmt', 's', 'pink_only', 'in_set', 'color',
       '{"values": ["pink"], "result_format": "SUMMARY"}');
-- COMPLETE, for warn too: sizes above 10 are 40, 50, 60 (ids 4, 5, 6);
-- colors not matching ^r are blue, green, pink (ids 3, 4, 7): id 4 fails both
SELECT dataops.add_expectation('fmt', 's', 'small', 'between', 'size', '{"max": 10, "result_format": "COMPLETE"}');
SELECT dataops.add_expectation('fmt', 's', 'starts_r', 'match_regex', 'color', '{"pattern": "^r", "result_format": "COMPLETE"}');
SELECT run_id AS fmt_run FROM (SELECT dataops.run('fmt') AS run_id) r \gset
SELECT expectation, result_format, unexpected_count, partial_unexpected_counts
  FROM dataops.expectation_results WHERE run_id = :fmt_run ORDER BY expectation;
SELECT id, color, size, _check_run_id = :fmt_run AS this_run, _expectation
  FROM silver.fmt_colors_unexpected ORDER BY id, _expectation;
-- warn keeps every row in the target
SELECT count(*) FROM silver.fmt_colors;
-- a second run appends its own unexpected rows
SELECT dataops.run('fmt') > :fmt_run AS ran_again;
SELECT count(*) AS unexpected_rows, count(DISTINCT _check_run_id) AS runs FROM silver.fmt_colors_unexpected;

-- suites ---------------------------------------------------------------------
SELECT dataops.create_suite('color_checks');
SELECT dataops.add_suite_expectation('color_checks', 'color_present', 'not_null', 'color');
SELECT dataops.add_suite_expectation('color_checks', 'size_max', 'expect_column_max_to_be_between', 'size',
       '{"max_value": 100}', 'fail');
SELECT suite, name, kind, args, action FROM dataops.suite_expectations ORDER BY name;
-- one suite, two pipelines
SELECT dataops.create_pipeline('shop');
SELECT dataops.add_step('shop', 'c', 'silver', 'shop_colors', query => 'SELECT * FROM public.colors WHERE id > 2');
SELECT dataops.attach_suite('fmt', 's', 'color_checks');
SELECT dataops.attach_suite('shop', 'c', 'color_checks');
SELECT pipeline, step, name, suite FROM dataops.step_expectations WHERE suite IS NOT NULL ORDER BY 1, 2, 3;
SELECT run_id AS shop_run FROM (SELECT dataops.run('shop') AS run_id) r \gset
-- shop's rows are ids 3..7: one NULL color of 5; max size 60
SELECT expectation, suite, element_count, unexpected_count, observed_value, success
  FROM dataops.expectation_results WHERE run_id = :shop_run ORDER BY expectation;
-- an expectation added to the suite is checked by every step it is attached to from the next run
SELECT dataops.add_suite_expectation('color_checks', 'size_min', 'min_between', 'size', '{"min": 2}');
SELECT run_id AS shop_run2 FROM (SELECT dataops.run('shop') AS run_id) r \gset
SELECT expectation, observed_value, success FROM dataops.expectation_results
 WHERE run_id = :shop_run2 AND expectation = 'size_min';

-- names stay unique within a step, across its own expectations and its suites'
SELECT dataops.add_expectation('shop', 'c', 'color_present', 'not_null', 'id');
SELECT dataops.add_expectation('shop', 'c', 'ids', 'not_null', 'id');
SELECT dataops.add_suite_expectation('color_checks', 'ids', 'not_null', 'id');
SELECT dataops.create_suite('other');
SELECT dataops.add_suite_expectation('other', 'size_max', 'not_null', 'size');
SELECT dataops.attach_suite('shop', 'c', 'other');
SELECT dataops.attach_suite('shop', 'c', 'color_checks');
-- a suite expectation that a step cannot check is refused: shop's target has no column nope
SELECT dataops.add_suite_expectation('color_checks', 'nope_ok', 'not_null', 'nope');
SELECT dataops.add_suite_expectation('color_checks', 'size_min', 'not_null', 'size');
SELECT dataops.create_suite('color_checks');
SELECT dataops.create_suite('');
SELECT dataops.attach_suite('shop', 'c', 'no_such_suite');
SELECT dataops.detach_suite('shop', 'c', 'other');
-- a suite in use cannot be dropped
SELECT dataops.drop_suite('color_checks');
SELECT dataops.detach_suite('fmt', 's', 'color_checks');
SELECT dataops.detach_suite('shop', 'c', 'color_checks');
SELECT dataops.drop_suite('color_checks');
SELECT count(*) AS suite_expectations_left FROM dataops.suite_expectations WHERE suite = 'color_checks';

-- only the owner changes a suite; an expression suite is not run for a role
-- that does not trust its owner (not even a superuser: it would run the
-- owner's SQL with its privileges); a superuser's suite is trusted by all
SET client_min_messages = warning;
DROP ROLE IF EXISTS dataops_suite_other;
RESET client_min_messages;
CREATE ROLE dataops_suite_other;
GRANT USAGE ON SCHEMA dataops, public TO dataops_suite_other;
GRANT SELECT ON public.colors TO dataops_suite_other;
SELECT dataops.create_suite('mine');
SELECT dataops.add_suite_expectation('mine', 'positive', 'expression', NULL, '{"expression": "size > 0"}');
SET ROLE dataops_suite_other;
SELECT dataops.add_suite_expectation('mine', 'x', 'not_null', 'id');
SELECT dataops.drop_suite('mine');
SELECT count(*) AS checked FROM dataops.validate('public.colors', 'mine');
SELECT dataops.create_suite('theirs');
SELECT dataops.add_suite_expectation('theirs', 'positive', 'expression', NULL, '{"expression": "size > 0"}');
RESET ROLE;
SELECT * FROM dataops.validate('public.colors', 'theirs');
SELECT dataops.drop_suite('theirs');

-- validate: any relation, checked now, recorded as a validation run --------
SELECT dataops.create_suite('colors_now');
SELECT dataops.add_suite_expectation('colors_now', 'known', 'in_set', 'color', '{"values": ["red", "blue", "green", "pink"]}');
SELECT dataops.add_suite_expectation('colors_now', 'rows', 'row_count_between', NULL, '{"min": 1, "max": 5}', 'fail');
SELECT dataops.add_suite_expectation('colors_now', 'big', 'between', 'size', '{"min": 5, "result_format": "COMPLETE"}');
CREATE VIEW public.colors_view AS SELECT * FROM public.colors WHERE id <= 5;
-- 5 rows: known passes, rows passes (5), big: sizes 1, 2, 3 unexpected of 5 (60%)
SELECT expectation, suite, element_count, unexpected_count, round(unexpected_percent::numeric, 2) AS pct,
       observed_value, success
  FROM dataops.validate('public.colors_view', 'colors_now');
SELECT kind, pipeline, relation, suite, status, error_message FROM dataops.runs WHERE kind = 'validation';
SELECT id, size, _expectation FROM public.colors_view_unexpected ORDER BY id;
-- the whole table has 7 rows: the fail expectation fails; validate reports it and records a failed run
SELECT expectation, observed_value, success FROM dataops.validate('public.colors', 'colors_now')
 WHERE expectation = 'rows';
SELECT status, error_message, error_sqlstate FROM dataops.runs
 WHERE kind = 'validation' ORDER BY run_id DESC LIMIT 1;
-- validation runs are not pipeline runs
SELECT count(*) AS pipelines_in_last_runs FROM dataops.last_runs WHERE pipeline IS NULL;
-- bad input
SELECT * FROM dataops.validate('public.colors', 'no_such_suite');
SELECT * FROM dataops.validate('public.no_such_table', 'colors_now');
CREATE INDEX colors_id_idx ON public.colors (id);
SELECT * FROM dataops.validate('public.colors_id_idx', 'colors_now');
SELECT * FROM dataops.validate(NULL, 'colors_now');
SELECT dataops.add_suite_expectation('colors_now', 'bad_col', 'not_null', 'nope');
SELECT expectation FROM dataops.validate('public.colors', 'colors_now');
DROP VIEW public.colors_view;
REVOKE USAGE ON SCHEMA dataops, public FROM dataops_suite_other;
REVOKE SELECT ON public.colors FROM dataops_suite_other;
DROP ROLE dataops_suite_other;
