-- The people pipeline of the benchmarks (4 expectations on silver, 1 on
-- gold), for psql with -v file=<csv> in a fresh database.  test/bench.sh
-- (define_pipeline, which adds 6 more for its people10 variant) and
-- test/bench/peers.sh run it.
CREATE EXTENSION dataops;
SELECT dataops.create_pipeline('people');
SELECT dataops.add_step('people', 'raw', 'bronze', 'people', source => :'file');
SELECT dataops.add_step('people', 'clean', 'silver', 'people', query => $$
  SELECT user_id, first_name, last_name, sex, lower(trim(email)) AS email, phone,
         date_of_birth::date AS date_of_birth, job_title, _ingested_at
  FROM bronze.people $$);
SELECT dataops.add_step('people', 'people', 'gold', 'people', query => 'SELECT * FROM silver.people',
   unique_key => '{user_id}', keep => 'email');
SELECT dataops.add_expectation('people', 'clean', 'email_valid', 'match_regex', 'email', '{"pattern": "^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$"}', 'drop');
SELECT dataops.add_expectation('people', 'clean', 'user_id_not_null', 'not_null', 'user_id', action => 'fail');
SELECT dataops.add_expectation('people', 'clean', 'birth_date_range', 'between', 'date_of_birth', '{"min": "1900-01-01", "max": "today"}');
SELECT dataops.add_expectation('people', 'clean', 'sex_known', 'in_set', 'sex', '{"values": ["Male", "Female"]}');
SELECT dataops.add_expectation('people', 'people', 'gold_row_count', 'row_count_between', NULL, '{"min": 1, "max": 10000000}', 'fail');
