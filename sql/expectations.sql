-- Expectation semantics (Great Expectations counting, mostly, null rules) and actions.
-- Source rows, with the right answers worked out by hand in the comments:
--   id | v    | s
--    1 | 1    | a
--    2 | 1    | b
--    3 | 2    | NULL
--    4 | NULL | a
--    5 | 10   | c
CREATE TABLE public.t (id int, v int, s text);
INSERT INTO public.t VALUES (1, 1, 'a'), (2, 1, 'b'), (3, 2, NULL), (4, NULL, 'a'), (5, 10, 'c');

SELECT dataops.create_pipeline('exp');
SELECT dataops.add_step('exp', 'chk', 'silver', 'exp_chk', query => 'SELECT id, v, s FROM public.t');
-- not_null: 1 null of 5 -> 1 unexpected, 20%, denominator is every row
SELECT dataops.add_expectation('exp', 'chk', 'nn_v', 'not_null', 'v');
-- same with mostly 0.8: 4/5 = 0.8 passes (boundary)
SELECT dataops.add_expectation('exp', 'chk', 'nn_v_80', 'not_null', 'v', mostly => 0.8);
-- unique: values 1, 1, 2, NULL, 10 -> both 1s unexpected, 1 missing, 2/4 = 50%
SELECT dataops.add_expectation('exp', 'chk', 'uniq_v', 'unique', 'v');
-- compound unique (s, v): no pair repeats, no row has both null -> success
SELECT dataops.add_expectation('exp', 'chk', 'uniq_sv', 'unique', NULL, '{"columns": ["s", "v"]}');
-- match_regex (unanchored search): c fails; NULL is missing -> 1 of 4 = 25%
SELECT dataops.add_expectation('exp', 'chk', 're_s', 'match_regex', 's', '{"pattern": "[ab]"}');
-- mostly 0.75: 3/4 passes (boundary)
SELECT dataops.add_expectation('exp', 'chk', 're_s_75', 'match_regex', 's', '{"pattern": "[ab]"}', mostly => 0.75);
-- between 1 and 5: 10 fails -> 1 of 4
SELECT dataops.add_expectation('exp', 'chk', 'btw_v', 'between', 'v', '{"min": 1, "max": 5}');
-- strict min 1, no max: both 1s fail -> 2 of 4
SELECT dataops.add_expectation('exp', 'chk', 'btw_strict', 'between', 'v', '{"min": 1, "strict_min": true}');
-- in_set a, b: c fails -> 1 of 4
SELECT dataops.add_expectation('exp', 'chk', 'set_s', 'in_set', 's', '{"values": ["a", "b"]}');
-- expression v < 5: 10 is false and NULL is unexpected too -> 2 of 5 = 40%
SELECT dataops.add_expectation('exp', 'chk', 'expr_v', 'expression', NULL, '{"expression": "v < 5"}');
-- row counts: 5 rows are published
SELECT dataops.add_expectation('exp', 'chk', 'rows_1_5', 'row_count_between', NULL, '{"min": 1, "max": 5}');
SELECT dataops.add_expectation('exp', 'chk', 'rows_6', 'expect_table_row_count_to_be_between', NULL, '{"min": 6}');
SELECT dataops.run('exp');
SELECT expectation, kind, element_count, missing_count, unexpected_count,
       round(unexpected_percent::numeric, 2) AS pct, observed_value, success
  FROM dataops.expectation_results WHERE step = 'chk' ORDER BY expectation;
-- partial_unexpected_list holds the unexpected values
SELECT expectation, (SELECT jsonb_agg(x ORDER BY x) FROM jsonb_array_elements(partial_unexpected_list) x) AS sample
  FROM dataops.expectation_results
 WHERE step = 'chk' AND expectation IN ('nn_v', 'uniq_v', 're_s', 'btw_strict', 'expr_v') ORDER BY expectation;
-- warn keeps every row
SELECT count(*) AS published FROM silver.exp_chk;

-- empty input and an all-null column succeed, with no percentage
SELECT dataops.create_pipeline('exp_empty');
SELECT dataops.add_step('exp_empty', 'none', 'silver', 'exp_none', query => 'SELECT id, v FROM public.t WHERE false');
SELECT dataops.add_step('exp_empty', 'nulls', 'silver', 'exp_nulls', query => 'SELECT id, NULL::int AS v FROM public.t');
SELECT dataops.add_expectation('exp_empty', 'none', 'nn', 'not_null', 'v');
SELECT dataops.add_expectation('exp_empty', 'none', 'btw', 'between', 'v', '{"max": 0}');
SELECT dataops.add_expectation('exp_empty', 'nulls', 'btw', 'between', 'v', '{"max": 0}');
SELECT dataops.add_expectation('exp_empty', 'nulls', 'uniq', 'unique', 'v');
SELECT dataops.run('exp_empty');
SELECT step, expectation, element_count, missing_count, unexpected_count, unexpected_percent, success
  FROM dataops.expectation_results WHERE step IN ('none', 'nulls') ORDER BY step, expectation;

-- drop: failing rows go to <target>_quarantine with the expectations they failed;
-- the result is still a failure under mostly; NULLs (missing) are kept
SELECT dataops.create_pipeline('act');
SELECT dataops.add_step('act', 'dropper', 'silver', 'exp_drop', query => 'SELECT id, v, s FROM public.t');
SELECT dataops.add_expectation('act', 'dropper', 're_drop', 'match_regex', 's', '{"pattern": "^[ab]$"}', 'drop');
SELECT dataops.add_expectation('act', 'dropper', 'v_small', 'between', 'v', '{"max": 1}', 'drop');
SELECT dataops.add_expectation('act', 'dropper', 'rows', 'row_count_between', NULL, '{"min": 3, "max": 3}');
SELECT dataops.run('act');
SELECT id, v, s FROM silver.exp_drop ORDER BY id;
SELECT id, v, s, _failed_expectations FROM silver.exp_drop_quarantine ORDER BY id;
SELECT rows_read, rows_written, rows_quarantined FROM dataops.step_runs
 WHERE step = 'dropper' ORDER BY run_id DESC LIMIT 1;
-- id 3 (v 2) and id 5 (c, 10) are dropped; id 4 (v NULL) is missing for v_small, so kept.
-- table-level counts the published rows: 3 (ids 1, 2 and 4)
SELECT expectation, unexpected_count, observed_value, success FROM dataops.expectation_results
 WHERE step = 'dropper' ORDER BY expectation;

-- fail: the step publishes nothing, the run fails naming expectation, step and counts,
-- and the target keeps what the last successful run published
CREATE TABLE public.t2 AS SELECT * FROM public.t WHERE v IS NOT NULL;
SELECT dataops.create_pipeline('strict');
SELECT dataops.add_step('strict', 'strict', 'silver', 'exp_strict', query => 'SELECT id, v FROM public.t2');
SELECT dataops.add_expectation('strict', 'strict', 'v_nn', 'not_null', 'v', action => 'fail');
SELECT dataops.run('strict') > 0 AS first_run_ok;
INSERT INTO public.t2 VALUES (6, NULL, 'z');
SELECT dataops.run('strict');
SELECT count(*) AS still_published FROM silver.exp_strict;
SELECT status, failed_step, error_sqlstate, error_message, error_detail
  FROM dataops.runs WHERE pipeline = 'strict' ORDER BY run_id;
SELECT expectation, unexpected_count, success FROM dataops.expectation_results
 WHERE step = 'strict' ORDER BY run_id, expectation;

-- a failing table-level expectation with fail
SELECT dataops.add_expectation('act', 'dropper', 'rows_max_1', 'row_count_between', NULL, '{"max": 1}', 'fail');
SELECT dataops.run('act');
SELECT count(*) AS unchanged FROM silver.exp_drop;
SELECT count(*) AS quarantine_unchanged FROM silver.exp_drop_quarantine;

-- a bound whose type does not compare with the column fails the run, naming the expectation
SELECT dataops.create_pipeline('badbound');
SELECT dataops.add_step('badbound', 'b', 'silver', 'exp_badbound', query => 'SELECT id, v FROM public.t');
SELECT dataops.add_expectation('badbound', 'b', 'v_range', 'between', 'v', '{"min": "low"}');
SELECT dataops.run('badbound');

-- an expectation on a column the step does not output
SELECT dataops.create_pipeline('badcol');
SELECT dataops.add_step('badcol', 'b', 'silver', 'exp_badcol', query => 'SELECT id FROM public.t');
SELECT dataops.add_expectation('badcol', 'b', 'nn', 'not_null', 'nope');
SELECT dataops.run('badcol');

-- the regular expression engine as a SQL function
SELECT dataops.regex_match('ann@example.com', '^[^@\s]+@[^@\s]+\.[a-z]{2,}$') AS valid,
       dataops.regex_match('bob@example', '^[^@\s]+@[^@\s]+\.[a-z]{2,}$') AS invalid,
       dataops.regex_match('Zürich', '^Z.rich$') AS utf8_char,
       dataops.regex_match(NULL, 'x') IS NULL AS strict;
SELECT dataops.regex_match('x', '(');
-- catastrophic backtracking fails with an error instead of hanging
SELECT dataops.regex_match(repeat('a', 40) || 'b', '^(a+)+$');
