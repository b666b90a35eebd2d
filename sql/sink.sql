-- Publishing through the sink (src/sink.c): the rows of a checked step are
-- inserted one by one as INSERT would: the target's indexes, constraints and
-- row triggers apply; samples read as CAST(value AS text); a parallel plan
-- gives the same rows and counts.  run_outcome is defined in kinds.sql.
\pset null '(null)'
CREATE TABLE public.s_src (id int, flag boolean, code char(4), amount numeric(6,2), note text);
INSERT INTO public.s_src VALUES
  (1, true,  'ab',   1.50, 'one'),
  (2, false, 'abcd', 2.00, 'two'),
  (3, true,  'xyz',  3.25, NULL),
  (4, NULL,  'ab',   4.00, 'four');

SELECT dataops.create_pipeline('sink');
SELECT dataops.add_step('sink', 's', 'silver', 'sink_t', query => 'SELECT * FROM public.s_src');
-- flag in {true}: false is unexpected and reads as 'false' (CAST, not the
-- output function's 'f'); NULL is missing -> 1 of 3
SELECT dataops.add_expectation('sink', 's', 'flag_true', 'in_set', 'flag', '{"values": [true], "result_format": "SUMMARY"}');
-- code not in {'ab'}: bpchar compares blank-padded, so rows 1 and 4 are
-- unexpected and read as 'ab' (CAST to text trims) -> 2 of 4, one value twice
SELECT dataops.add_expectation('sink', 's', 'code_not_ab', 'not_in_set', 'code', '{"values": ["ab"], "result_format": "SUMMARY"}');
-- amount at most 2: 3.25 and 4.00 keep their scale in the sample
SELECT dataops.add_expectation('sink', 's', 'amount_small', 'between', 'amount', '{"max": 2}');
SELECT public.run_outcome('sink');
SELECT expectation, element_count, missing_count, unexpected_count, partial_unexpected_list, partial_unexpected_counts
  FROM dataops.expectation_results
 WHERE run_id = (SELECT max(run_id) FROM dataops.runs WHERE pipeline = 'sink') ORDER BY expectation;

-- The target's own index and row trigger apply to the published rows.
CREATE UNIQUE INDEX sink_t_id ON silver.sink_t (id);
CREATE FUNCTION public.sink_upper() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.note := upper(NEW.note); RETURN NEW; END $$;
CREATE TRIGGER sink_upper BEFORE INSERT ON silver.sink_t FOR EACH ROW EXECUTE FUNCTION public.sink_upper();
CREATE TABLE public.sink_log (n int);
CREATE FUNCTION public.sink_stmt() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.sink_log VALUES (1); RETURN NULL; END $$;
CREATE TRIGGER sink_stmt AFTER INSERT ON silver.sink_t FOR EACH STATEMENT EXECUTE FUNCTION public.sink_stmt();
SELECT public.run_outcome('sink');
-- 4 rows, notes in upper case (the trigger), one statement trigger firing
SELECT id, note FROM silver.sink_t ORDER BY id;
SELECT count(*) AS statement_triggers FROM public.sink_log;
-- the index holds every row
SET enable_seqscan = off;
SELECT id FROM silver.sink_t WHERE id = 3;
RESET enable_seqscan;

-- A constraint of the target that a row breaks fails the run; the target
-- keeps the previous run's rows.
ALTER TABLE silver.sink_t ADD CONSTRAINT sink_t_amount CHECK (amount < 4) NOT VALID;
SELECT public.run_outcome('sink');
SELECT count(*) AS kept FROM silver.sink_t;
ALTER TABLE silver.sink_t DROP CONSTRAINT sink_t_amount;

-- A unique index the rows break fails the run too.  A good new row (5) comes
-- before the bad one: a partly published run would show it.
INSERT INTO public.s_src VALUES (5, true, 'ab', 0, 'five'), (1, true, 'dup', 0, 'duplicate');
SELECT public.run_outcome('sink');
SELECT count(*) AS kept FROM silver.sink_t;
DELETE FROM public.s_src WHERE id = 5 OR code = 'dup';

-- Without BEFORE ROW triggers rows are written in batches (table_multi_insert);
-- AFTER ROW triggers and foreign keys still see every row: 4 rows logged, and
-- a row whose code has no parent fails the run.
DROP TRIGGER sink_upper ON silver.sink_t;
CREATE TABLE public.sink_rowlog (id int);
CREATE FUNCTION public.sink_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.sink_rowlog VALUES (NEW.id); RETURN NULL; END $$;
CREATE TRIGGER sink_row AFTER INSERT ON silver.sink_t FOR EACH ROW EXECUTE FUNCTION public.sink_row();
CREATE TABLE public.sink_codes (code char(4) PRIMARY KEY);
INSERT INTO public.sink_codes VALUES ('ab'), ('abcd'), ('xyz');
ALTER TABLE silver.sink_t ADD CONSTRAINT sink_t_code FOREIGN KEY (code) REFERENCES public.sink_codes;
SELECT public.run_outcome('sink');
SELECT count(*) AS rows_logged, count(DISTINCT id) AS ids FROM public.sink_rowlog;
INSERT INTO public.s_src VALUES (5, true, 'ab', 1, 'five'), (9, true, 'zzz', 1, 'nine');
SELECT public.run_outcome('sink');
SELECT count(*) AS kept FROM silver.sink_t;
DELETE FROM public.s_src WHERE id IN (5, 9);
ALTER TABLE silver.sink_t DROP CONSTRAINT sink_t_code;
DROP TRIGGER sink_row ON silver.sink_t;
CREATE TRIGGER sink_upper BEFORE INSERT ON silver.sink_t FOR EACH ROW EXECUTE FUNCTION public.sink_upper();

-- A trigger with a transition table is refused, naming the table.
CREATE FUNCTION public.sink_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RETURN NULL; END $$;
CREATE TRIGGER sink_new AFTER INSERT ON silver.sink_t REFERENCING NEW TABLE AS n
  FOR EACH STATEMENT EXECUTE FUNCTION public.sink_new();
SELECT public.run_outcome('sink');
DROP TRIGGER sink_new ON silver.sink_t;
DROP TRIGGER sink_upper ON silver.sink_t;
DROP TRIGGER sink_stmt ON silver.sink_t;

-- A parallel plan (forced here on a small table) publishes the same rows,
-- counts the same, and stores a value large enough to be toasted.
INSERT INTO public.s_src
  SELECT 100 + i, i % 2 = 0, 'ab', i % 5, NULL FROM generate_series(1, 2000) i;
INSERT INTO public.s_src
  SELECT 5000, true, 'big', 1, string_agg(md5(i::text), '') FROM generate_series(1, 500) i;
ALTER DATABASE contrib_regression SET parallel_setup_cost = 0;
ALTER DATABASE contrib_regression SET parallel_tuple_cost = 0;
ALTER DATABASE contrib_regression SET min_parallel_table_scan_size = 0;
ALTER DATABASE contrib_regression SET max_parallel_workers_per_gather = 2;
SELECT public.run_outcome('sink');
ALTER DATABASE contrib_regression RESET parallel_setup_cost;
ALTER DATABASE contrib_regression RESET parallel_tuple_cost;
ALTER DATABASE contrib_regression RESET min_parallel_table_scan_size;
ALTER DATABASE contrib_regression RESET max_parallel_workers_per_gather;
-- 2004 + 1 rows; flag: 1000 odd i are false + row 2 -> 1001 unexpected, 1
-- missing; code: rows 1, 4 and the 2000 generated -> 2002; amount > 2:
-- rows 3, 4 and i % 5 in (3, 4) -> 2 + 800
SELECT expectation, element_count, missing_count, unexpected_count
  FROM dataops.expectation_results
 WHERE run_id = (SELECT max(run_id) FROM dataops.runs WHERE pipeline = 'sink') ORDER BY expectation;
SELECT count(*) AS published, length(max(note) FILTER (WHERE id = 5000)) AS big_note FROM silver.sink_t;
SELECT (SELECT count(*) FROM silver.sink_t) = (SELECT count(*) FROM public.s_src) AS all_rows,
       NOT EXISTS (SELECT id, flag, code, amount, note FROM public.s_src
                   EXCEPT SELECT id, flag, code, amount, note FROM silver.sink_t) AS same_rows;
