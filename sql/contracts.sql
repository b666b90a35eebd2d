-- Data contracts (ODCS v3.1.0): dataops.apply_contract, dataops.export_contract,
-- dataops.column_tags and dataops.column_lineage.  The contracts are the
-- examples of the standard (test/data/odcs, copied from ../shared/odcs) and
-- the people contract (test/data/people.odcs.yaml); read as JSON twins
-- (test/data/odcs/*.json) until dataops.yaml_to_jsonb is installed.
\getenv datadir DATAOPS_TEST_DATA
\pset null '(null)'
SET client_min_messages = warning;
CREATE FUNCTION public.oc_file(f text) RETURNS text LANGUAGE sql
    AS $$ SELECT pg_read_file(current_setting('oc.datadir') || '/odcs/' || f) $$;
SELECT set_config('oc.datadir', :'datadir', false) IS NOT NULL AS datadir_set;
-- the expectations of a pipeline, as the tests compare them
CREATE FUNCTION public.oc_expectations(p text)
RETURNS TABLE(step text, name text, kind text, column_name text, args jsonb, action text, mostly float8, contract text)
LANGUAGE sql AS $$
    SELECT e.step, e.name, e.kind, e.column_name, e.args, e.action, e.mostly, e.contract_id || ' ' || e.contract_version
      FROM dataops.expectations e WHERE e.pipeline = p ORDER BY e.step, e.name $$;

-- 1. The shipped examples, each on a pipeline whose steps publish its objects
-- (not run yet: types are checked with castable_to).
-- column-accuracy: physicalType float(3,2) is no PostgreSQL type (unsupported);
-- logicalType number -> castable_to numeric; the sql rule "count of bad rows
-- must be 0" -> an expression that the WHERE condition is not true; severity error -> fail.
SELECT dataops.create_pipeline('oc_acc');
SELECT dataops.add_step('oc_acc', 'air', 'silver', 'oc_air_quality',
       query => $$SELECT 1.5 AS "DataValue"$$);
SELECT * FROM dataops.apply_contract(public.oc_file('column-accuracy.odcs.json'), 'oc_acc', 'air');
SELECT * FROM public.oc_expectations('oc_acc');

-- column-completeness (apiVersion v3.0.2): primaryKey of one column -> unique;
-- physicalType int -> castable_to int; nullValues mustBe 0 -> not_null;
-- the object's tags and the rule's schedule are unsupported.
SELECT dataops.create_pipeline('oc_comp');
SELECT dataops.add_step('oc_comp', 'air', 'silver', 'Air_Quality', query => $$SELECT 1 AS "UniqueID"$$);
SELECT * FROM dataops.apply_contract(public.oc_file('column-completeness.odcs.json'), 'oc_comp');
SELECT * FROM public.oc_expectations('oc_comp');

-- column-validity: invalidValues with validValues ["", null, "n/a"] at most 5
-- percent -> in_set ["", "n/a"] (null is missing, not checked) mostly 0.95;
-- physicalType varchar holds any string (satisfied).
SELECT dataops.create_pipeline('oc_val');
SELECT dataops.add_step('oc_val', 'air', 'silver', 'oc_air_validity', query => $$SELECT 'n/a'::text AS air_quality_status$$);
SELECT * FROM dataops.apply_contract(public.oc_file('column-validity.odcs.json'), 'oc_val', 'air');
SELECT * FROM public.oc_expectations('oc_val');

-- table-column: physicalType varchar(2) -> castable_to varchar(2); the
-- authoritativeDefinitions are documentation (not reported).
SELECT dataops.create_pipeline('oc_tc');
SELECT dataops.add_step('oc_tc', 'tbl', 'silver', 'tbl', query => $$SELECT 'US'::text AS rcvr_cntry_code$$);
SELECT * FROM dataops.apply_contract(public.oc_file('table-column.odcs.json'), 'oc_tc');
SELECT * FROM public.oc_expectations('oc_tc');

-- database-table-sla: no object; latency names element tab1.txn_ref_dt, no
-- object of the contract, and the other SLA properties have no dataops option.
SELECT dataops.create_pipeline('oc_sla');
SELECT * FROM dataops.apply_contract(public.oc_file('database-table-sla.odcs.json'), 'oc_sla');
SELECT options FROM dataops.pipelines WHERE name = 'oc_sla';

-- full-example: two objects, matched by physicalName (tbl_1, receivers_master);
-- receivers' primaryKey of two columns -> compound_unique in primaryKeyPosition
-- order; required -> not_null; unique -> unique; the rowCount rule
-- mustBeGreaterThan 1000000 -> row_count_between strict_min; classification
-- and tags -> dataops.column_tags.
SELECT dataops.create_pipeline('oc_full');
SELECT dataops.add_step('oc_full', 'txn', 'silver', 'tbl_1',
       query => $$SELECT current_date AS txn_ref_dt, 'r1'::text AS rcvr_id, 'US'::text AS rcvr_cntry_code$$);
SELECT dataops.add_step('oc_full', 'receivers', 'silver', 'receivers_master',
       query => $$SELECT 'r1'::text AS id, 'US'::text AS country_code, 'n'::text AS receiver_name, 't'::text AS receiver_type$$);
SELECT * FROM dataops.apply_contract(public.oc_file('full-example.odcs.json'), 'oc_full');
SELECT * FROM public.oc_expectations('oc_full');
SELECT step, column_name, classification, tags, contract_id, contract_version
  FROM dataops.column_tags WHERE pipeline = 'oc_full' ORDER BY step, column_name;

-- 2. Versions: a new version (same id) replaces the contract's expectations
-- on the step; the one the user added stays; applying the same version again
-- changes nothing.
SELECT dataops.create_pipeline('oc_ver');
SELECT dataops.add_step('oc_ver', 'v', 'silver', 'oc_ver', query => $$SELECT 1 AS id, 'a'::text AS code$$);
SELECT dataops.add_expectation('oc_ver', 'v', 'mine', 'not_null', 'code');
SELECT * FROM dataops.apply_contract($${"apiVersion": "v3.1.0", "kind": "DataContract", "id": "ver", "version": "1",
  "status": "active", "schema": [{"name": "oc_ver", "properties": [
    {"name": "id", "required": true, "unique": true},
    {"name": "code", "logicalType": "string", "logicalTypeOptions": {"minLength": 1, "maxLength": 3}}]}]}$$, 'oc_ver');
SELECT * FROM public.oc_expectations('oc_ver');
SELECT * FROM dataops.apply_contract($${"apiVersion": "v3.1.0", "kind": "DataContract", "id": "ver", "version": "1",
  "status": "active", "schema": [{"name": "oc_ver", "properties": [
    {"name": "id", "required": true, "unique": true},
    {"name": "code", "logicalType": "string", "logicalTypeOptions": {"minLength": 1, "maxLength": 3}}]}]}$$, 'oc_ver');
-- version 2: id no longer unique, code at most 2 long, a quality rule with a name
SELECT * FROM dataops.apply_contract($${"apiVersion": "v3.1.0", "kind": "DataContract", "id": "ver", "version": "2",
  "status": "active", "schema": [{"name": "oc_ver", "properties": [
    {"name": "id", "required": true},
    {"name": "code", "logicalType": "string", "logicalTypeOptions": {"maxLength": 2},
     "quality": [{"name": "code_known", "metric": "invalidValues", "arguments": {"validValues": ["a", "b"]},
                  "mustBeLessOrEqualTo": 10, "unit": "percent"}]}]}]}$$, 'oc_ver');
SELECT * FROM public.oc_expectations('oc_ver');

-- 3. The people contract drives the people pipeline's checks.
SELECT dataops.create_pipeline('oc_people');
SELECT dataops.add_step('oc_people', 'raw', 'bronze', 'oc_people', source => :'datadir' || '/people-day1.csv');
SELECT dataops.add_step('oc_people', 'clean', 'silver', 'oc_people', query => $$
  SELECT user_id, first_name, last_name, sex, lower(trim(email)) AS email, phone,
         date_of_birth::date AS date_of_birth, job_title, _ingested_at, _source_file
  FROM bronze.oc_people $$);
-- the contract names silver.people: give the step
SELECT * FROM dataops.apply_contract(public.oc_file('people.odcs.json'), 'oc_people', 'clean');
SELECT * FROM public.oc_expectations('oc_people');
SELECT options FROM dataops.pipelines WHERE name = 'oc_people';
SELECT dataops.run('oc_people') > 0 AS ran;
SELECT r.expectation, r.kind, r.action, r.element_count, r.missing_count, r.unexpected_count, r.observed_value, r.success
  FROM dataops.expectation_results r JOIN dataops.runs u USING (run_id)
 WHERE u.pipeline = 'oc_people' ORDER BY r.expectation;
-- the same counts, computed from the published rows
SELECT count(*) AS rows,
       count(*) FILTER (WHERE user_id IS NULL) AS user_id_null,
       count(*) FILTER (WHERE user_id !~ '^[0-9A-Za-z]{15}$') AS user_id_bad,
       count(*) FILTER (WHERE sex NOT IN ('Male', 'Female')) AS sex_bad,
       count(*) FILTER (WHERE email !~ '^[^@\s]+@[^@\s]+\.[a-z]{2,}$') AS email_bad,
       count(*) FILTER (WHERE date_of_birth < '1900-01-01' OR date_of_birth > current_date) AS birth_bad
  FROM silver.oc_people;
-- classification and tags in the column lineage
SELECT target_column, source_column, classification, tags
  FROM dataops.column_lineage WHERE pipeline = 'oc_people' AND step = 'clean' AND target_column IS NOT NULL
 ORDER BY target_column, source_column;

-- 4. export_contract -> apply_contract round trip.  User expectations are
-- exported as library rules (nullValues, invalidValues, ...) or custom rules
-- of engine dataops.
SELECT dataops.add_expectation('oc_people', 'clean', 'phone_len', 'value_lengths_between', 'phone', '{"min": 7}');
SELECT dataops.add_expectation('oc_people', 'clean', 'job_set', 'in_set', 'job_title', '{"values": ["Editor"]}', mostly => 0.0);
SELECT dataops.add_expectation('oc_people', 'clean', 'names_not_null', 'not_null', 'last_name', action => 'fail', mostly => 0.9);
SELECT dataops.add_expectation('oc_people', 'clean', 'rows_max', 'row_count_between', NULL, '{"max": 100000}');
SELECT (dataops._contract_document('oc_people', 'clean') #> '{schema,0}') - 'properties'::text AS object,
       jsonb_path_query_array(dataops._contract_document('oc_people', 'clean'), '$.schema[0].properties[*] ? (exists(@.quality) || exists(@.logicalTypeOptions) || exists(@.required))') AS checked_properties;
-- applied to a copy of the pipeline that published the same columns (the
-- object names silver.oc_people: give the step): the same expectations, all
-- now marked as the contract's; nothing unsupported
SELECT dataops.create_pipeline('oc_people2');
SELECT dataops.add_step('oc_people2', 'clean', 'silver', 'oc_people2', query => 'SELECT * FROM silver.oc_people');
SELECT dataops.run('oc_people2') > 0 AS ran;
SELECT * FROM dataops.apply_contract(dataops.export_contract('oc_people', 'clean'), 'oc_people2', 'clean')
 WHERE action NOT IN ('create', 'tag');
(SELECT name, kind, column_name, args, action, mostly FROM public.oc_expectations('oc_people')
 EXCEPT SELECT name, kind, column_name, args, action, mostly FROM public.oc_expectations('oc_people2'))
UNION ALL
(SELECT name, kind, column_name, args, action, mostly FROM public.oc_expectations('oc_people2')
 EXCEPT SELECT name, kind, column_name, args, action, mostly FROM public.oc_expectations('oc_people'));
SELECT contract, count(*) FROM public.oc_expectations('oc_people2') GROUP BY 1;
-- and exported again: the same document, but for the names
SELECT (dataops._contract_document('oc_people2', 'clean') #> '{schema,0,properties}')
     = (dataops._contract_document('oc_people', 'clean') #> '{schema,0,properties}') AS same_properties,
       (dataops._contract_document('oc_people2', 'clean') #> '{schema,0,quality}')
     = (dataops._contract_document('oc_people', 'clean') #> '{schema,0,quality}') AS same_quality;
SELECT count(*) AS expectations FROM dataops.expectations WHERE pipeline = 'oc_people2';
SELECT column_name, classification, tags FROM dataops.column_tags WHERE pipeline = 'oc_people2' ORDER BY column_name;

-- 5. Errors
\set VERBOSITY terse
SELECT * FROM dataops.apply_contract('{"apiVersion": "v3.1.0", "kind": "Pipeline", "id": "x", "version": "1"}', 'oc_ver');
SELECT * FROM dataops.apply_contract('{"apiVersion": "v2.2.2", "kind": "DataContract", "id": "x", "version": "1"}', 'oc_ver');
SELECT * FROM dataops.apply_contract('{"apiVersion": "v3.1.0", "kind": "DataContract", "version": "1"}', 'oc_ver');
SELECT * FROM dataops.apply_contract('[1, 2]', 'oc_ver');
SELECT * FROM dataops.apply_contract('{"apiVersion": "v3.1.0", "kind": "DataContract", "id": "x", "version": "1",
  "schema": [{"name": "nowhere"}]}', 'oc_ver');
SELECT * FROM dataops.apply_contract('{"apiVersion": "v3.1.0", "kind": "DataContract", "id": "x", "version": "1"}', 'oc_ver', 'nostep');
SELECT * FROM dataops.apply_contract('{"apiVersion": "v3.1.0", "kind": "DataContract", "id": "x", "version": "1"}', 'oc_nopipeline');
-- an object matching two steps' targets (bronze.oc_people, silver.oc_people)
SELECT * FROM dataops.apply_contract('{"apiVersion": "v3.1.0", "kind": "DataContract", "id": "x", "version": "1",
  "schema": [{"name": "oc_people"}]}', 'oc_people');
-- the export of a step with the user's own expectations, applied to that step:
-- its rules are named like the user's expectations, which a contract never takes over
SELECT * FROM dataops.apply_contract(dataops.export_contract('oc_people', 'clean'), 'oc_people', 'clean');
-- a name the user already took
SELECT * FROM dataops.apply_contract('{"apiVersion": "v3.1.0", "kind": "DataContract", "id": "other", "version": "1",
  "schema": [{"name": "oc_ver", "properties": [{"name": "code", "quality": [{"name": "mine", "metric": "nullValues", "mustBe": 0}]}]}]}', 'oc_ver');
-- a contract for another role's pipeline: refused, nothing changed
CREATE ROLE oc_alice;
SELECT count(*) AS before FROM dataops.expectations WHERE pipeline = 'oc_ver';
SET ROLE oc_alice;
SELECT * FROM dataops.apply_contract('{"apiVersion": "v3.1.0", "kind": "DataContract", "id": "ver", "version": "3",
  "schema": [{"name": "oc_ver", "properties": [{"name": "code", "required": true}]}]}', 'oc_ver');
SELECT * FROM dataops._contract_mark('oc_ver', 'v', '{mine}', 'x', '1');
SELECT * FROM dataops._contract_drop('oc_ver', 'v', '{mine}', 'ver');
SELECT * FROM dataops._contract_set_tags('oc_ver', 'v', 'x', '1', '[]');
SELECT dataops.export_contract('oc_ver', 'v');
RESET ROLE;
SELECT count(*) AS after, count(*) FILTER (WHERE contract_id IS NULL) AS users FROM dataops.expectations WHERE pipeline = 'oc_ver';
-- export of a step that has not published its target yet
SELECT dataops.export_contract('oc_ver', 'v');
\set VERBOSITY default

-- clean up
SELECT dataops.drop_pipeline(p) FROM unnest(ARRAY['oc_acc', 'oc_comp', 'oc_val', 'oc_tc', 'oc_sla', 'oc_full', 'oc_ver',
                                                  'oc_people', 'oc_people2']) p;
DROP TABLE bronze.oc_people, silver.oc_people, silver.oc_people2;
DROP ROLE oc_alice;
DROP FUNCTION public.oc_file(text), public.oc_expectations(text);
SELECT count(*) AS tags_left FROM dataops.column_tags;
