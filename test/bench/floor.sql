-- The hand SQL floor of the people pipeline (issue 13): the least SQL a good
-- engineer would write for the work dataops.run('people') does, in ONE
-- transaction.  Run by test/bench.sh (section people) as
--
--     psql -X -q -At -v ON_ERROR_STOP=1 -v file=/path/people-N.csv -f floor.sql
--
-- in a fresh database, after a CHECKPOINT.  The work:
--   bronze      CREATE TABLE h_bronze with dataops' bronze columns (the CSV's
--               columns as text, _source_file, _ingested_at, _run_id) and
--               COPY the file into it;
--   silver      CREATE TABLE h_silver AS the silver step's query (the same
--               transforms), keeping the rows whose email matches the
--               email_valid pattern or is NULL (dataops' match_regex counts
--               a NULL as missing, not unexpected, so a drop expectation
--               keeps it); CREATE TABLE h_quarantine AS the same query's
--               rows whose email does not match;
--   checks      one aggregate query over silver + quarantine (every row the
--               silver query produced) computing the unexpected counts of
--               the silver expectations with count(*) FILTER (...), each
--               counted among the non-NULL values as dataops does;
--               email_valid's unexpected count is the quarantine's row
--               count, which the CREATE TABLE AS reports (no second regex
--               pass);
--   gold        CREATE TABLE h_gold AS SELECT DISTINCT ON (user_id) ...
--               ORDER BY user_id, email (the gold step's unique_key and
--               keep); its row count (for the row_count_between
--               expectation) is the count CREATE TABLE AS reports.
-- Row counts come from the command tags (psql's :ROW_COUNT), at no cost.
--
-- The phases are timed with the server's clock_timestamp() (SELECTs that
-- touch no table; they add no work).  Output, one line each, '|'-separated:
--   ROWS|<layer>|<rows>                 bronze, silver, quarantine, gold
--   CHECK|<expectation>|<unexpected>    email_valid, user_id_not_null,
--                                       birth_date_range, sex_known
--   PHASE|<phase>|<seconds>             copy (CREATE + COPY), silver (two
--                                       CREATE TABLE AS + the check query),
--                                       gold, commit, total
\set ON_ERROR_STOP 1
SELECT clock_timestamp() AS t_start \gset
BEGIN;
\ir bronze.sql
SELECT clock_timestamp() AS t_copy \gset

CREATE TABLE h_silver AS
  SELECT * FROM (
    SELECT user_id, first_name, last_name, sex, lower(trim(email)) AS email, phone,
           date_of_birth::date AS date_of_birth, job_title, _ingested_at
      FROM h_bronze) s
   WHERE email IS NULL OR email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[a-z]{2,}$';
\set silver_rows :ROW_COUNT
CREATE TABLE h_quarantine AS
  SELECT * FROM (
    SELECT user_id, first_name, last_name, sex, lower(trim(email)) AS email, phone,
           date_of_birth::date AS date_of_birth, job_title, _ingested_at
      FROM h_bronze) s
   WHERE NOT (email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[a-z]{2,}$');
\set quarantine_rows :ROW_COUNT
SELECT count(*) FILTER (WHERE user_id IS NULL) AS user_id_not_null,
       count(*) FILTER (WHERE NOT (date_of_birth BETWEEN date '1900-01-01' AND current_date)) AS birth_date_range,
       count(*) FILTER (WHERE NOT (sex IN ('Male', 'Female'))) AS sex_known
  FROM (SELECT user_id, sex, date_of_birth FROM h_silver
        UNION ALL
        SELECT user_id, sex, date_of_birth FROM h_quarantine) s \gset
SELECT clock_timestamp() AS t_silver \gset

CREATE TABLE h_gold AS
  SELECT DISTINCT ON (user_id) * FROM h_silver ORDER BY user_id, email;
\set gold_rows :ROW_COUNT
SELECT clock_timestamp() AS t_gold \gset
COMMIT;
SELECT clock_timestamp() AS t_end \gset

\echo ROWS|bronze|:bronze_rows
\echo ROWS|silver|:silver_rows
\echo ROWS|quarantine|:quarantine_rows
\echo ROWS|gold|:gold_rows
\echo CHECK|email_valid|:quarantine_rows
\echo CHECK|user_id_not_null|:user_id_not_null
\echo CHECK|birth_date_range|:birth_date_range
\echo CHECK|sex_known|:sex_known
SELECT 'PHASE|' || phase || '|' || round(extract(epoch FROM b - a)::numeric, 4)
  FROM (VALUES ('copy',   :'t_start'::timestamptz,  :'t_copy'::timestamptz),
               ('silver', :'t_copy'::timestamptz,   :'t_silver'::timestamptz),
               ('gold',   :'t_silver'::timestamptz, :'t_gold'::timestamptz),
               ('commit', :'t_gold'::timestamptz,   :'t_end'::timestamptz),
               ('total',  :'t_start'::timestamptz,  :'t_end'::timestamptz)) AS p (phase, a, b);
