-- Issue 13's write path, by its outcomes: deduplication as DISTINCT ON does
-- it (sorted, the first row of each key kept, NULL keys one group), rows
-- written frozen and all-visible into storage new in the step's
-- transaction (and gone with it when the step fails), bronze loaded with
-- constant defaults that do not outlive the load, and a
-- target a later step reads analyzed before the step commits.
-- run_outcome is defined in kinds.sql.
\getenv datadir DATAOPS_TEST_DATA
\pset null '(null)'
CREATE EXTENSION IF NOT EXISTS pg_visibility;

-- Deduplication: key (k1, k2), keep the largest v, NULL v last; two rows with
-- a NULL k1 and equal k2 are one group, as in DISTINCT ON and PARTITION BY.
CREATE TABLE public.pf_src (k1 text, k2 int, v int, note text);
INSERT INTO public.pf_src VALUES
  ('a', 1, 10, 'a1-10'), ('a', 1, 30, 'a1-30'), ('a', 1, NULL, 'a1-null'),
  ('a', 2, 5, 'a2-5'),
  ('b', 1, NULL, 'b1-null'), ('b', 1, 7, 'b1-7'),
  (NULL, 1, 1, 'null1-1'), (NULL, 1, 2, 'null1-2'),
  (NULL, NULL, 3, 'nullnull-3');
SELECT dataops.create_pipeline('pf');
SELECT dataops.add_step('pf', 'dedup', 'silver', 'pf_dedup', query => 'SELECT * FROM public.pf_src',
                        unique_key => '{k1,k2}', keep => 'v DESC NULLS LAST');
SELECT dataops.add_step('pf', 'top', 'gold', 'pf_top', query => 'SELECT k1, k2, note FROM silver.pf_dedup');
SELECT dataops.add_expectation('pf', 'dedup', 'v_small', 'between', 'v', '{"max": 20}');
SELECT public.run_outcome('pf');
-- the same rows as DISTINCT ON
SELECT k1, k2, v, note FROM silver.pf_dedup ORDER BY k1, k2;
SELECT (SELECT array_agg(note ORDER BY note) FROM silver.pf_dedup)
     = (SELECT array_agg(note ORDER BY note) FROM
          (SELECT DISTINCT ON (k1, k2) note FROM public.pf_src ORDER BY k1, k2, v DESC NULLS LAST) d) AS same_as_distinct_on;
-- 9 read, 4 duplicates, 5 published; the expectation saw only the kept rows
-- (30 is unexpected; the duplicates' values are not counted)
SELECT step, rows_read, duplicates_removed, rows_written FROM dataops.step_runs
 WHERE run_id = (SELECT max(run_id) FROM dataops.runs WHERE pipeline = 'pf') ORDER BY step;
SELECT expectation, element_count, unexpected_count, partial_unexpected_list FROM dataops.expectation_results
 WHERE run_id = (SELECT max(run_id) FROM dataops.runs WHERE pipeline = 'pf');

-- With nothing to check row by row, the sink copies the kept rows whole:
-- the same rows, and the target's constraints still apply.
SELECT dataops.create_pipeline('pfp');
SELECT dataops.add_step('pfp', 'whole', 'silver', 'pf_whole', query => 'SELECT * FROM public.pf_src',
                        unique_key => '{k1,k2}', keep => 'v DESC NULLS LAST');
SELECT dataops.add_expectation('pfp', 'whole', 'some_rows', 'row_count_between', NULL, '{"min": 1}');
SELECT public.run_outcome('pfp');
SELECT k1, k2, v, note FROM silver.pf_whole ORDER BY k1, k2;
SELECT rows_read, duplicates_removed, rows_written FROM dataops.step_runs
 WHERE run_id = (SELECT max(run_id) FROM dataops.runs WHERE pipeline = 'pfp');
ALTER TABLE silver.pf_whole ADD CONSTRAINT pf_whole_v CHECK (v < 20) NOT VALID;
SELECT public.run_outcome('pfp');
SELECT count(*) AS kept FROM silver.pf_whole;

-- A step with nothing to check into a table the sink does not write (here:
-- an insert trigger with a transition table) is published by PostgreSQL's
-- INSERT ... SELECT instead, unfrozen, and the trigger sees every row.
CREATE TABLE public.pf_seen (n bigint);
CREATE FUNCTION public.pf_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.pf_seen SELECT count(*) FROM new_rows; RETURN NULL; END $$;
CREATE TRIGGER pf_count AFTER INSERT ON gold.pf_top REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION public.pf_count();
SELECT public.run_outcome('pf');
SELECT count(*) AS rows_by_insert FROM gold.pf_top;
SELECT n AS rows_in_transition_table FROM public.pf_seen;
SELECT v.all_frozen = 0 AS not_frozen FROM pg_visibility_map_summary('gold.pf_top') v;
DROP TRIGGER pf_count ON gold.pf_top;
DROP FUNCTION public.pf_count();
DROP TABLE public.pf_seen;
SELECT public.run_outcome('pf');

-- On the copy-whole path too, an expectation's column must be one the
-- query returns.  Added before the target exists, it is checked at the run:
-- a clean error, and no target (the fuzzer found a crash here).
SELECT dataops.create_pipeline('pfc');
SELECT dataops.add_step('pfc', 'g', 'gold', 'pf_count', query => 'SELECT count(*) AS n FROM public.pf_src');
SELECT dataops.add_expectation('pfc', 'g', 'no_such_column', 'max_between', 'name', '{"max": 14}', 'fail');
SELECT public.run_outcome('pfc');
SELECT to_regclass('gold.pf_count') AS target;
SELECT dataops.drop_pipeline('pfc');

-- A unique expectation counts among the kept rows in SQL (the row_number()
-- path): email is unique among them although a dropped duplicate repeats it.
CREATE TABLE public.pf_u (id int, email text, seq int);
INSERT INTO public.pf_u VALUES (1, 'x@a', 2), (1, 'x@a', 1), (2, 'y@a', 1), (3, 'y@a', 1);
SELECT dataops.create_pipeline('pfu');
SELECT dataops.add_step('pfu', 'u', 'silver', 'pf_u', query => 'SELECT * FROM public.pf_u', unique_key => '{id}', keep => 'seq DESC');
SELECT dataops.add_expectation('pfu', 'u', 'email_unique', 'unique', 'email');
SELECT public.run_outcome('pfu');
SELECT id, email, seq FROM silver.pf_u ORDER BY id;
SELECT element_count, unexpected_count, partial_unexpected_list FROM dataops.expectation_results
 WHERE run_id = (SELECT max(run_id) FROM dataops.runs WHERE pipeline = 'pfu');

-- Frozen and all-visible: the targets were created (first run) in the
-- step's transaction; every page of them is all-frozen, gold.pf_top's too,
-- which has nothing to check or deduplicate and is only copied.
SELECT c.relname, pg_relation_size(c.oid) > 0 AS has_pages,
       v.all_frozen = pg_relation_size(c.oid) / 8192 AS all_frozen
  FROM pg_class c, pg_visibility_map_summary(c.oid) v
 WHERE c.oid IN ('silver.pf_dedup'::regclass, 'gold.pf_top'::regclass) ORDER BY 1;
-- analyzed before commit: silver is read by a later step, gold by none
SELECT relname, reltuples FROM pg_class
 WHERE oid IN ('silver.pf_dedup'::regclass, 'gold.pf_top'::regclass) ORDER BY 1;

-- A second run truncates and refills: frozen again.  A third run fails after
-- writing its rows (a fail expectation is judged after the rows are
-- written): the frozen rows go with the failed step, the second run's rows
-- stay.
UPDATE public.pf_src SET note = note || '!' WHERE k1 = 'a';
SELECT public.run_outcome('pf');
SELECT v.all_frozen = pg_relation_size('silver.pf_dedup') / 8192 AS all_frozen
  FROM pg_visibility_map_summary('silver.pf_dedup') v;
SELECT dataops.add_expectation('pf', 'top', 'few_rows', 'row_count_between', NULL, '{"max": 2}', 'fail');
INSERT INTO public.pf_src VALUES ('c', 1, 1, 'c1');
SELECT public.run_outcome('pf');
SELECT count(*) AS rows_kept, count(*) FILTER (WHERE note = 'c1') AS failed_run_rows FROM gold.pf_top;
SELECT count(*) AS silver_rows FROM silver.pf_dedup;

-- Bronze: the first load creates the table and loads it with constant
-- defaults; afterwards the defaults read the settings again (an insert by
-- hand gets NULLs), and every row names its file and run.  A later step
-- reads it, so it was analyzed.
SELECT dataops.create_pipeline('pfb');
SELECT dataops.add_step('pfb', 'raw', 'bronze', 'pf_raw', source => :'datadir' || '/tiny.csv');
SELECT dataops.add_step('pfb', 'clean', 'silver', 'pf_clean', query => 'SELECT user_id, score FROM bronze.pf_raw');
SELECT public.run_outcome('pfb');
SELECT count(*) AS rows, count(*) FILTER (WHERE _source_file = :'datadir' || '/tiny.csv') AS named_file,
       count(*) FILTER (WHERE _run_id = (SELECT max(run_id) FROM dataops.runs WHERE pipeline = 'pfb')) AS named_run
  FROM bronze.pf_raw;
SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) AS default_after_load
  FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
 WHERE d.adrelid = 'bronze.pf_raw'::regclass ORDER BY a.attnum;
SELECT reltuples AS bronze_analyzed_rows FROM pg_class WHERE oid = 'bronze.pf_raw'::regclass;
INSERT INTO bronze.pf_raw (user_id) VALUES ('by hand') RETURNING _source_file, _run_id;
DELETE FROM bronze.pf_raw WHERE user_id = 'by hand';

-- A new file is hashed by a background worker while COPY loads it; a file
-- of a path and size loaded before is hashed first (it may be the same
-- file), then loaded if it changed, and skipped when it did not.  The
-- recorded size and SHA-256 are the file's in every case.
\set hashfile :datadir/pf_hash.csv
COPY (VALUES ('id,name'), ('1,a')) TO :'hashfile';
SELECT dataops.create_pipeline('pfh');
SELECT dataops.add_step('pfh', 'raw', 'bronze', 'pf_hash', source => :'hashfile');
SELECT public.run_outcome('pfh');
SELECT rows_loaded, size_bytes = length(pg_read_binary_file(:'hashfile')) AS size_of_file,
       sha256 = encode(sha256(pg_read_binary_file(:'hashfile')), 'hex') AS sha256_of_file
  FROM dataops.ingested_files WHERE target = 'bronze.pf_hash';
COPY (VALUES ('id,name'), ('2,b')) TO :'hashfile';
SELECT public.run_outcome('pfh');
SELECT public.run_outcome('pfh');
SELECT files_ingested, files_skipped, rows_written FROM dataops.step_runs
 WHERE run_id IN (SELECT run_id FROM dataops.runs WHERE pipeline = 'pfh') ORDER BY run_id;
SELECT id, name FROM bronze.pf_hash ORDER BY id;
SELECT rows_loaded, size_bytes = length(pg_read_binary_file(:'hashfile')) AS size_of_file,
       sha256 = encode(sha256(pg_read_binary_file(:'hashfile')), 'hex') AS sha256_of_file
  FROM dataops.ingested_files WHERE target = 'bronze.pf_hash'
   AND run_id = (SELECT max(run_id) FROM dataops.ingested_files WHERE target = 'bronze.pf_hash');

SELECT dataops.drop_pipeline('pf');
SELECT dataops.drop_pipeline('pfu');
SELECT dataops.drop_pipeline('pfp');
SELECT dataops.drop_pipeline('pfh');
SELECT dataops.drop_pipeline('pfb');
DROP TABLE silver.pf_dedup, gold.pf_top, silver.pf_u, bronze.pf_raw, silver.pf_clean, silver.pf_whole, bronze.pf_hash;
DROP TABLE public.pf_src, public.pf_u;
DROP EXTENSION pg_visibility;
