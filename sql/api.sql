-- Definition API: pipelines, steps, expectations, dependencies, and bad input.
CREATE TABLE public.src_people (id int, name text, email text, updated_at timestamptz);

SELECT dataops.create_pipeline('p1', 'first pipeline');
SELECT name, description, owner FROM dataops.pipelines;

-- duplicate, empty and NULL names are refused
SELECT dataops.create_pipeline('p1');
SELECT dataops.create_pipeline('');
SELECT dataops.create_pipeline(NULL);

-- steps: silver reads a table; gold reads the silver target; bronze reads files
SELECT dataops.add_step('p1', 'gold_people', 'gold', 'people',
       query => 'SELECT id, name FROM silver.people');
SELECT dataops.add_step('p1', 'silver_people', 'silver', 'people',
       query => 'SELECT id, lower(name) AS name FROM public.src_people;  ',
       unique_key => '{id}', keep => 'updated_at DESC');
SELECT dataops.add_step('p1', 'raw', 'bronze', 'analytics.raw_people', source => '/nonexistent/people-*.csv',
       options => '{"delimiter": ";", "header": true}');
SELECT name, layer, target_schema, target_table, depends_on, reads, query
  FROM dataops.steps WHERE pipeline = 'p1' ORDER BY name;

-- a step that would close a cycle is refused, and nothing is added
SELECT dataops.add_step('p1', 'loop', 'silver', 'public.src_people', query => 'SELECT * FROM gold.people');
SELECT dataops.add_step('p1', 'self', 'silver', 'selfref', query => 'SELECT * FROM silver.selfref');
SELECT count(*) AS steps FROM dataops.steps WHERE pipeline = 'p1';

-- queries must be exactly one SELECT
SELECT dataops.add_step('p1', 'bad', 'silver', 'bad', query => 'SELECT 1; SELECT 2');
SELECT dataops.add_step('p1', 'bad', 'silver', 'bad', query => 'DELETE FROM public.src_people');
SELECT dataops.add_step('p1', 'bad', 'silver', 'bad', query => 'CREATE TABLE x (a int)');
SELECT dataops.add_step('p1', 'bad', 'silver', 'bad',
       query => 'WITH d AS (DELETE FROM public.src_people RETURNING *) SELECT * FROM d');
SELECT dataops.add_step('p1', 'bad', 'silver', 'bad', query => 'SELECT * INTO x FROM public.src_people');
SELECT dataops.add_step('p1', 'bad', 'silver', 'bad', query => 'SELEC 1');
SELECT dataops.add_step('p1', 'bad', 'silver', 'bad', query => 'SELECT * FROM public.src_people FOR UPDATE');

-- other bad step input
SELECT dataops.add_step('nope', 's', 'silver', 't', query => 'SELECT 1');
SELECT dataops.add_step('p1', 'silver_people', 'silver', 'other', query => 'SELECT 1');
SELECT dataops.add_step('p1', 's', 'platinum', 't', query => 'SELECT 1');
SELECT dataops.add_step('p1', 's', 'silver', 'people', query => 'SELECT 1');
SELECT dataops.add_step('p1', 's', 'silver', 't');
SELECT dataops.add_step('p1', 's', 'silver', 't', source => '/data/x.csv');
SELECT dataops.add_step('p1', 's', 'bronze', 't', source => 'relative/x.csv');
SELECT dataops.add_step('p1', 's', 'bronze', 't', source => '/x.csv', query => 'SELECT 1');
SELECT dataops.add_step('p1', 's', 'bronze', 't', source => '/x.csv', options => '{"delimiter": ";;"}');
SELECT dataops.add_step('p1', 's', 'bronze', 't', source => '/x.csv', options => '{"header": "yes"}');
SELECT dataops.add_step('p1', 's', 'bronze', 't', source => '/x.csv', options => '{"encoding": "klingon"}');
SELECT dataops.add_step('p1', 's', 'bronze', 't', source => '/x.csv', options => '{"colour": "red"}');
SELECT dataops.add_step('p1', 's', 'silver', 't', query => 'SELECT 1', unique_key => '{}');
SELECT dataops.add_step('p1', 's', 'silver', 't', query => 'SELECT 1', keep => 'id');
SELECT dataops.add_step('p1', 's', 'silver', 't', query => 'SELECT 1 AS id', unique_key => '{id}',
       keep => 'id; DROP TABLE public.src_people');
SELECT dataops.add_step('p1', 's', 'silver', 't', query => 'SELECT 1 AS id', unique_key => '{id}',
       keep => 'id LIMIT 1');
SELECT count(*) AS steps FROM dataops.steps WHERE pipeline = 'p1';

-- expectations
SELECT dataops.add_expectation('p1', 'silver_people', 'id_not_null', 'not_null', 'id', action => 'fail');
SELECT dataops.add_expectation('p1', 'silver_people', 'email_ok', 'expect_column_values_to_match_regex', 'email',
       '{"pattern": "^[^@]+@[^@]+$"}', 'drop', 0.9);
SELECT dataops.add_expectation('p1', 'silver_people', 'id_range', 'between', 'id', '{"min": 1}');
SELECT dataops.add_expectation('p1', 'gold_people', 'rows', 'row_count_between', NULL, '{"min": 1, "max": 10}', 'fail');
SELECT dataops.add_expectation('p1', 'gold_people', 'name_pair', 'unique', NULL, '{"columns": ["id", "name"]}');
SELECT dataops.add_expectation('p1', 'gold_people', 'positive', 'expression', NULL, '{"expression": "id > 0 -- trailing comment"}');
SELECT step, name, kind, column_name, args, action, mostly FROM dataops.expectations ORDER BY step, name;

-- bad expectations: each refused, nothing added
SELECT dataops.add_expectation('p1', 'nope', 'e', 'not_null', 'id');
SELECT dataops.add_expectation('p1', 'silver_people', 'id_not_null', 'not_null', 'id');
SELECT dataops.add_expectation('p1', 'silver_people', 'e', 'is_pretty', 'id');
SELECT dataops.add_expectation('p1', 'silver_people', 'e', 'not_null', 'id', action => 'explode');
SELECT dataops.add_expectation('p1', 'silver_people', 'e', 'not_null', 'id', mostly => 1.5);
SELECT dataops.add_expectation('p1', 'silver_people', 'e', 'not_null', 'id', mostly => -0.1);
SELECT dataops.add_expectation('p1', 'silver_people', 'e', 'not_null', 'id', mostly => 'NaN');
SELECT dataops.add_expectation('p1', 'silver_people', 'e', 'not_null');
SELECT dataops.add_expectation('p1', 'silver_people', 'e', 'match_regex', 'email', '{"pattern": "(unclosed"}');
SELECT dataops.add_expectation('p1', 'silver_people', 'e', 'match_regex', 'email', '{"pattern": 42}');
SELECT dataops.add_expectation('p1', 'silver_people', 'e', 'match_regex', 'email');
SELECT dataops.add_expectation('p1', 'silver_people', 'e', 'between', 'id', '{}');
SELECT dataops.add_expectation('p1', 'silver_people', 'e', 'between', 'id', '{"min": 10, "max": 1}');
SELECT dataops.add_expectation('p1', 'silver_people', 'e', 'between', 'id', '{"min": [1]}');
SELECT dataops.add_expectation('p1', 'silver_people', 'e', 'between', 'id', '{"min": 1, "strict_min": "yes"}');
SELECT dataops.add_expectation('p1', 'silver_people', 'e', 'in_set', 'name', '{"values": "a"}');
SELECT dataops.add_expectation('p1', 'silver_people', 'e', 'unique', NULL, '{"columns": []}');
SELECT dataops.add_expectation('p1', 'silver_people', 'e', 'unique', 'id', '{"columns": ["id"]}');
SELECT dataops.add_expectation('p1', 'gold_people', 'e', 'row_count_between', NULL, '{"min": 1}', 'drop');
SELECT dataops.add_expectation('p1', 'gold_people', 'e', 'row_count_between', 'id', '{"min": 1}');
SELECT dataops.add_expectation('p1', 'gold_people', 'e', 'row_count_between', NULL, '{"min": "many"}');
SELECT dataops.add_expectation('p1', 'gold_people', 'e', 'expression', NULL, '{"expression": "id > 0) OR (true"}');
SELECT dataops.add_expectation('p1', 'gold_people', 'e', 'expression', NULL, '{"expression": "1 FROM pg_class"}');
SELECT dataops.add_expectation('p1', 'gold_people', 'e', 'expression', NULL, '{"expression": "true; DROP TABLE public.src_people"}');
SELECT dataops.add_expectation('p1', 'gold_people', 'e', 'not_null', 'id', '[1]');
SELECT dataops.add_expectation('p1', 'raw', 'e', 'not_null', 'user_id', action => 'drop');
SELECT count(*) AS expectations FROM dataops.expectations;

-- names that look like SQL are just names
SELECT dataops.create_pipeline('x"); DROP TABLE public.src_people; --');
SELECT dataops.add_step('x"); DROP TABLE public.src_people; --', 'a;b', 'silver', 'a;b', query => 'SELECT 1 AS one');
SELECT dataops.add_step('x"); DROP TABLE public.src_people; --', 'q', 'silver', 'x"); DROP TABLE t; --',
       query => 'SELECT 2 AS two');
SELECT name, target_schema, target_table FROM dataops.steps
 WHERE pipeline = 'x"); DROP TABLE public.src_people; --' ORDER BY name;

-- only the owner may change a pipeline
CREATE ROLE dataops_stranger;
SET ROLE dataops_stranger;
SELECT dataops.add_step('p1', 's', 'silver', 't', query => 'SELECT 1');
SELECT dataops.drop_pipeline('p1');
-- the catalog shows a role only the pipelines of roles it is a member of
SELECT count(*) AS pipelines_seen FROM dataops.pipelines;
RESET ROLE;
DROP ROLE dataops_stranger;

-- drop removes the definition (steps and expectations cascade); tables stay
SELECT dataops.drop_pipeline('p1');
SELECT dataops.drop_pipeline('p1');
SELECT count(*) AS steps, (SELECT count(*) FROM dataops.expectations) AS expectations
  FROM dataops.steps WHERE pipeline = 'p1';
SELECT to_regclass('public.src_people') IS NOT NULL AS src_table_kept;
SELECT dataops.drop_pipeline('x"); DROP TABLE public.src_people; --');
DROP TABLE public.src_people;
