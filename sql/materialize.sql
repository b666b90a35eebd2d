-- Materializations (0.4.0): incremental, scd2, view.  Each right answer is
-- stated in the comment above the query that shows it.
\getenv datadir DATAOPS_TEST_DATA
\pset null '(null)'

-- incremental ---------------------------------------------------------------
-- A source shaped like bronze: rows carry _ingested_at.
CREATE TABLE public.m_src (id int, v text, _ingested_at timestamptz);
INSERT INTO public.m_src VALUES (1, 'a', '2026-01-01 10:00'), (2, 'b', '2026-01-01 10:00'), (3, 'c', '2026-01-01 10:00');
SELECT dataops.create_pipeline('m_inc');
SELECT dataops.add_step('m_inc', 'inc', 'silver', 'm_inc', query => 'SELECT id, v, _ingested_at FROM public.m_src',
       unique_key => '{id}', keep => '_ingested_at DESC',
       options => '{"materialization": "incremental"}');
SELECT dataops.add_expectation('m_inc', 'inc', 'v_known', 'not_null', 'v', action => 'drop');
-- first run: everything (3 new keys); the watermark is the latest _ingested_at
SELECT dataops.run('m_inc') AS r1 \gset
SELECT rows_read, rows_inserted, rows_updated, rows_written, watermark FROM dataops.step_runs WHERE run_id = :r1;
CREATE TABLE public.m_after_r1 AS SELECT * FROM silver.m_inc;
-- a second run with no new data writes nothing and leaves the target identical
SELECT dataops.run('m_inc') AS r2 \gset
SELECT rows_read, rows_inserted, rows_updated, rows_written, watermark FROM dataops.step_runs WHERE run_id = :r2;
SELECT NOT EXISTS (SELECT * FROM silver.m_inc EXCEPT SELECT * FROM public.m_after_r1)
   AND NOT EXISTS (SELECT * FROM public.m_after_r1 EXCEPT SELECT * FROM silver.m_inc) AS identical;
-- new rows: key 4 is new; key 2 changes (and twice in the batch: the newest,
-- 'b3', wins); key 5 has no v and is dropped to the quarantine.  The 4 rows
-- past the watermark are read: 1 duplicate, 1 quarantined; 1 inserted,
-- 1 updated; the watermark moves to the latest row read, 12:00 (the
-- quarantined one: it was processed too).
INSERT INTO public.m_src VALUES (4, 'd', '2026-01-02 10:00'), (2, 'b2', '2026-01-02 10:00'),
  (2, 'b3', '2026-01-02 11:00'), (5, NULL, '2026-01-02 12:00');
SELECT dataops.run('m_inc') AS r3 \gset
SELECT rows_read, duplicates_removed, rows_quarantined, rows_inserted, rows_updated, watermark
  FROM dataops.step_runs WHERE run_id = :r3;
SELECT id, v FROM silver.m_inc ORDER BY id;
SELECT id, _failed_expectations FROM silver.m_inc_quarantine WHERE _run_id = :r3;
-- a fail expectation acts on the batch: the run fails, and neither the target
-- nor the watermark moves; once the source is fixed the batch is processed
SELECT dataops.add_expectation('m_inc', 'inc', 'v_short', 'value_lengths_between', 'v', '{"max": 3}', action => 'fail');
INSERT INTO public.m_src VALUES (6, 'toolong', '2026-01-03 10:00');
SELECT public.run_outcome('m_inc');
SELECT watermark FROM dataops.step_state WHERE step = 'inc';
SELECT count(*) AS still_4 FROM silver.m_inc;
UPDATE public.m_src SET v = 'f' WHERE id = 6;
SELECT dataops.run('m_inc') AS r5 \gset
SELECT rows_read, rows_inserted, rows_updated, watermark FROM dataops.step_runs WHERE run_id = :r5;
-- a changed query stops the run with a hint; append_new_columns adds the column instead
UPDATE dataops.steps SET query = 'SELECT id, v, upper(v) AS vu, _ingested_at FROM public.m_src'
 WHERE pipeline = 'm_inc' AND name = 'inc';
SELECT public.run_outcome('m_inc');
UPDATE dataops.steps SET options = options || '{"on_schema_change": "append_new_columns"}'
 WHERE pipeline = 'm_inc' AND name = 'inc';
INSERT INTO public.m_src VALUES (7, 'g', '2026-01-04 10:00');
SELECT dataops.run('m_inc') AS r6 \gset
-- only the batch's row has the new column; the older ones keep NULL
SELECT id, v, vu FROM silver.m_inc ORDER BY id;
-- full refresh rebuilds every row from the source
SELECT dataops.run('m_inc', full_refresh => true) AS r7 \gset
SELECT rows_read, rows_inserted, rows_updated FROM dataops.step_runs WHERE run_id = :r7;
SELECT id, v, vu FROM silver.m_inc ORDER BY id;
-- rollback: a new batch (key 1 changed, key 8 added) is undone exactly: the
-- target is back to its content before the batch, the watermark too; the
-- next run merges the batch again
CREATE TABLE public.m_before_r8 AS SELECT * FROM silver.m_inc;
SELECT watermark AS wm_before_r8 FROM dataops.step_state WHERE step = 'inc' \gset
INSERT INTO public.m_src VALUES (1, 'a2', '2026-01-05 10:00'), (8, 'h', '2026-01-05 10:00');
SELECT dataops.run('m_inc') AS r8 \gset
SELECT rows_inserted, rows_updated FROM dataops.step_runs WHERE run_id = :r8;
SELECT _op, id, v FROM silver.m_inc_before WHERE _run_id = :r8 ORDER BY _op, id;
SELECT count(*) AS versions, count(*) FILTER (WHERE current) AS current FROM dataops.versions
 WHERE pipeline = 'm_inc' AND run_id = :r8;
SELECT dataops.rollback('m_inc', 'inc');
SELECT NOT EXISTS (SELECT * FROM silver.m_inc EXCEPT SELECT * FROM public.m_before_r8)
   AND NOT EXISTS (SELECT * FROM public.m_before_r8 EXCEPT SELECT * FROM silver.m_inc) AS restored,
       (SELECT watermark FROM dataops.step_state WHERE step = 'inc') = :'wm_before_r8' AS watermark_restored;
SELECT kind, status, details->'undone_runs' = to_jsonb(ARRAY[:r8]) AS undid_r8 FROM dataops.events
 WHERE pipeline = 'm_inc' AND status = 'rolled_back';
-- nothing left to undo (the full refresh before cleared older before-images)
SELECT dataops.rollback('m_inc', 'inc');
SELECT dataops.run('m_inc') AS r9 \gset
SELECT rows_inserted, rows_updated FROM dataops.step_runs WHERE run_id = :r9;
SELECT id, v FROM silver.m_inc WHERE id IN (1, 8) ORDER BY id;

-- an incremental step needs a unique_key, and a watermark column
SELECT dataops.add_step('m_inc', 'nokey', 'silver', 'm_nokey', query => 'SELECT 1 AS id',
       options => '{"materialization": "incremental"}');
SELECT dataops.add_step('m_inc', 'bad', 'silver', 'm_bad', query => 'SELECT 1 AS id',
       options => '{"materialization": "incremental_table"}');
SELECT dataops.create_pipeline('m_nowm');
SELECT dataops.add_step('m_nowm', 'x', 'silver', 'm_nowm', query => 'SELECT 1 AS id', unique_key => '{id}',
       options => '{"materialization": "incremental"}');
SELECT public.run_outcome('m_nowm');

-- scd2 ----------------------------------------------------------------------
-- people-10000.csv, then people-10000-changed.csv (two emails changed):
-- exactly two versions closed and two opened.
CREATE TABLE public.m_people ("Index" int, "User Id" text, "First Name" text, "Last Name" text, "Sex" text,
                              "Email" text, "Phone" text, "Date of birth" date, "Job Title" text);
SELECT format('COPY public.m_people FROM %L (FORMAT csv, HEADER true)', :'datadir' || '/people-10000.csv') AS copy1 \gset
:copy1;
SELECT dataops.create_pipeline('m_scd');
SELECT dataops.add_step('m_scd', 'people', 'gold', 'm_people_history',
       query => 'SELECT "User Id" AS user_id, "First Name" AS first_name, "Last Name" AS last_name, "Email" AS email FROM public.m_people',
       unique_key => '{user_id}', options => '{"materialization": "scd2", "hard_deletes": "invalidate"}');
SELECT dataops.run('m_scd') AS s1 \gset
SELECT rows_inserted, rows_updated, rows_deleted FROM dataops.step_runs WHERE run_id = :s1;
TRUNCATE public.m_people;
SELECT format('COPY public.m_people FROM %L (FORMAT csv, HEADER true)', :'datadir' || '/people-10000-changed.csv') AS copy2 \gset
:copy2;
SELECT dataops.run('m_scd') AS s2 \gset
SELECT rows_inserted, rows_updated, rows_deleted FROM dataops.step_runs WHERE run_id = :s2;
SELECT count(*) AS versions, count(*) FILTER (WHERE is_current) AS current FROM gold.m_people_history;
SELECT email, is_current, valid_to IS NOT NULL AS closed FROM gold.m_people_history
 WHERE user_id IN (SELECT user_id FROM gold.m_people_history GROUP BY user_id HAVING count(*) > 1)
 ORDER BY email;
-- the same snapshot again: nothing changes
SELECT dataops.run('m_scd') AS s3 \gset
SELECT rows_inserted, rows_updated, rows_deleted FROM dataops.step_runs WHERE run_id = :s3;
-- hard_deletes = invalidate: a key missing from the snapshot closes its version
DELETE FROM public.m_people WHERE "Index" = 1;
SELECT dataops.run('m_scd') AS s4 \gset
SELECT rows_inserted, rows_updated, rows_deleted FROM dataops.step_runs WHERE run_id = :s4;
SELECT count(*) FILTER (WHERE is_current) AS current FROM gold.m_people_history;

-- view ----------------------------------------------------------------------
SELECT dataops.create_pipeline('m_view');
SELECT dataops.add_step('m_view', 'v', 'gold', 'm_view', query => 'SELECT id, v FROM public.m_src WHERE v IS NOT NULL',
       options => '{"materialization": "view"}');
SELECT dataops.add_expectation('m_view', 'v', 'v_short', 'value_lengths_between', 'v', '{"max": 1}');
SELECT dataops.run('m_view') AS v1 \gset
SELECT relkind FROM pg_class WHERE oid = 'gold.m_view'::regclass;
SELECT count(*) FROM gold.m_view;
-- 10 non-null v (a2 and h came with the rollback test), of which b2, b3 and a2
-- are longer than 1 -> 3 unexpected
SELECT expectation, element_count, unexpected_count FROM dataops.expectation_results WHERE run_id = :v1;

-- only incremental targets can be rolled back
SELECT dataops.rollback('m_scd', 'people');

-- table versions (options.keep_versions): each run's table is kept, attached
-- to the target while current; rollback swaps it back; diff compares two
CREATE TABLE public.m_tv (id int, v text);
INSERT INTO public.m_tv VALUES (1, 'a'), (2, 'b'), (3, 'c');
SELECT dataops.create_pipeline('m_tv');
SELECT dataops.add_step('m_tv', 'g', 'gold', 'm_tv', query => 'SELECT id, v FROM public.m_tv',
       unique_key => '{id}', options => '{"keep_versions": 2}');
SELECT dataops.run('m_tv') AS t1 \gset
CREATE VIEW public.m_tv_view AS SELECT * FROM gold.m_tv;
SELECT 'gold.m_tv'::regclass::oid AS tv_oid \gset
UPDATE public.m_tv SET v = 'b2' WHERE id = 2;
DELETE FROM public.m_tv WHERE id = 3;
INSERT INTO public.m_tv VALUES (4, 'd');
SELECT dataops.run('m_tv') AS t2 \gset
-- the target keeps its identity (a view on it still works) and shows run 2
SELECT 'gold.m_tv'::regclass::oid = :tv_oid AS same_oid, (SELECT string_agg(id || v, ',' ORDER BY id) FROM public.m_tv_view) AS rows;
-- 1 added, 1 removed, 1 changed between the two versions
SELECT change, key, row_a->>'v' AS v_a, row_b->>'v' AS v_b FROM dataops.diff('m_tv', 'g', :t1, :t2);
-- rollback (default: the version before the current one): run 1's rows again
SELECT dataops.rollback('m_tv', 'g');
SELECT string_agg(id || v, ',' ORDER BY id) AS rows FROM public.m_tv_view;
-- and forward again to run 2's version
SELECT dataops.rollback('m_tv', 'g', :t2);
SELECT string_agg(id || v, ',' ORDER BY id) AS rows FROM gold.m_tv;
-- keep_versions 2: a third run drops the oldest version
SELECT dataops.run('m_tv') AS t3 \gset
SELECT count(*) AS kept, bool_and(run_id <> :t1) AS oldest_gone FROM dataops.table_versions WHERE pipeline = 'm_tv';
SELECT to_regclass('gold.m_tv__v' || :t1) AS oldest_table;
-- its version is gone: undefined_object (42704)
\set VERBOSITY sqlstate
SELECT dataops.diff('m_tv', 'g', :t1, :t3);
\set VERBOSITY default
