-- The bronze phase of floor.sql and copy.sql (included with \ir, inside
-- their transaction): a table of the same shape as dataops' bronze target
-- (the CSV's columns as text, then _source_file, _ingested_at, _run_id) and
-- a plain COPY of :'file' into it; sets :bronze_rows from COPY's command tag.
CREATE TABLE h_bronze (index text, user_id text, first_name text, last_name text, sex text,
                       email text, phone text, date_of_birth text, job_title text,
                       _source_file text DEFAULT :'file',
                       _ingested_at timestamptz DEFAULT now(), _run_id bigint);
COPY h_bronze (index, user_id, first_name, last_name, sex, email, phone, date_of_birth, job_title)
  FROM :'file' (FORMAT csv, HEADER true);
\set bronze_rows :ROW_COUNT
