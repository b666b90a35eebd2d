-- The reference of the ingest section (test/bench.sh): a plain COPY of the
-- CSV into a table of the same shape as dataops' bronze target (the CSV's
-- columns as text, then _source_file, _ingested_at, _run_id), created in the
-- same transaction, exactly as the first phase of floor.sql.  Run as
--
--     psql -X -q -At -v ON_ERROR_STOP=1 -v file=/path/people-N.csv -f copy.sql
--
-- in a fresh database, after a CHECKPOINT.  Output ('|'-separated):
--   ROWS|bronze|<rows>       the rows COPY loaded (its command tag)
--   PHASE|total|<seconds>    BEGIN to COMMIT, by the server's clock
\set ON_ERROR_STOP 1
SELECT clock_timestamp() AS t_start \gset
BEGIN;
\ir bronze.sql
COMMIT;
\echo ROWS|bronze|:bronze_rows
SELECT 'PHASE|total|' || round(extract(epoch FROM clock_timestamp() - :'t_start'::timestamptz)::numeric, 4);
