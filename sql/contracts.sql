-- Data contracts (ODCS v3.1.0): dataops.apply_contract, dataops.export_contract,
-- dataops.column_tags and dataops.column_lineage.  The contracts are the
-- examples of the standard (test/data/odcs/*.odcs.yaml, copied from
-- ../shared/odcs/examples) and the people contract (test/data/people.odcs.yaml),
-- read as YAML (dataops.yaml_to_jsonb); JSON is YAML too (table-column.odcs.json).
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
SELECT * FROM dataops.apply_contract(public.oc_file('column-accuracy.odcs.yaml'), 'oc_acc', 'air');
SELECT * FROM public.oc_expectations('oc_acc');

-- column-completeness (apiVersion v3.0.2): primaryKey of one column -> unique;
-- physicalType int -> castable_to int; nullValues mustBe 0 -> not_null;
-- the object's tags and the rule's schedule are unsupported.
SELECT dataops.create_pipeline('oc_comp');
SELECT dataops.add_step('oc_comp', 'air', 'silver', 'Air_Quality', query => $$SELECT 1 AS "UniqueID"$$);
SELECT * FROM dataops.apply_contract(public.oc_file('column-completeness.odcs.yaml'), 'oc_comp');
SELECT * FROM public.oc_expectations('oc_comp');

-- column-validity: invalidValues with validValues ["", null, "n/a"] at most 5
-- percent -> in_set ["", "n/a"] (null is missing, not checked) mostly 0.95;
-- physicalType varchar holds any string (satisfied).
SELECT dataops.create_pipeline('oc_val');
SELECT dataops.add_step('oc_val', 'air', 'silver', 'oc_air_validity', query => $$SELECT 'n/a'::text AS air_quality_status$$);
SELECT * FROM dataops.apply_contract(public.oc_file('column-validity.odcs.yaml'), 'oc_val', 'air');
SELECT * FROM public.oc_expectations('oc_val');

-- table-column: physicalType varchar(2) -> castable_to varchar(2); the
-- authoritativeDefinitions are documentation (not reported).
SELECT dataops.create_pipeline('oc_tc');
SELECT dataops.add_step('oc_tc', 'tbl', 'silver', 'tbl', query => $$SELECT 'US'::text AS rcvr_cntry_code$$);
SELECT * FROM dataops.apply_contract(public.oc_file('table-column.odcs.yaml'), 'oc_tc');
SELECT * FROM public.oc_expectations('oc_tc');
-- the same contract written as JSON (JSON is YAML): the same document, and
-- applied again it changes nothing
SELECT dataops.yaml_to_jsonb(public.oc_file('table-column.odcs.json'))
     = dataops.yaml_to_jsonb(public.oc_file('table-column.odcs.yaml')) AS same_contract;
SELECT * FROM dataops.apply_contract(public.oc_file('table-column.odcs.json'), 'oc_tc')
 WHERE action NOT IN ('satisfied', 'unsupported');

-- database-table-sla: no object; latency names element tab1.txn_ref_dt, no
-- object of the contract, and the other SLA properties have no dataops option.
SELECT dataops.create_pipeline('oc_sla');
SELECT * FROM dataops.apply_contract(public.oc_file('database-table-sla.odcs.yaml'), 'oc_sla');
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
SELECT * FROM dataops.apply_contract(public.oc_file('full-example.odcs.yaml'), 'oc_full');
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
    {"name": "code", "logicalType": "string", "logicalTypeOptions": {"minLength": 1, "maxLength": 3}}]}],
  "slaProperties": [{"property": "freshness", "value": 4, "unit": "h"}]}$$, 'oc_ver');
SELECT * FROM public.oc_expectations('oc_ver');
SELECT options FROM dataops.pipelines WHERE name = 'oc_ver';
-- the same version again: no row (sla_freshness already has the value)
SELECT * FROM dataops.apply_contract($${"apiVersion": "v3.1.0", "kind": "DataContract", "id": "ver", "version": "1",
  "status": "active", "schema": [{"name": "oc_ver", "properties": [
    {"name": "id", "required": true, "unique": true},
    {"name": "code", "logicalType": "string", "logicalTypeOptions": {"minLength": 1, "maxLength": 3}}]}],
  "slaProperties": [{"property": "freshness", "value": 4, "unit": "h"}]}$$, 'oc_ver');
-- version 2: id no longer unique, code at most 2 long, a quality rule with a
-- name, and no freshness: the sla_freshness version 1 set is removed
SELECT * FROM dataops.apply_contract($${"apiVersion": "v3.1.0", "kind": "DataContract", "id": "ver", "version": "2",
  "status": "active", "schema": [{"name": "oc_ver", "properties": [
    {"name": "id", "required": true},
    {"name": "code", "logicalType": "string", "logicalTypeOptions": {"maxLength": 2},
     "quality": [{"name": "code_known", "metric": "invalidValues", "arguments": {"validValues": ["a", "b"]},
                  "mustBeLessOrEqualTo": 10, "unit": "percent"}]}]}]}$$, 'oc_ver');
SELECT * FROM public.oc_expectations('oc_ver');
SELECT options FROM dataops.pipelines WHERE name = 'oc_ver';
SELECT pipeline, contract_id, contract_version, sla_freshness FROM dataops.pipeline_contracts WHERE pipeline = 'oc_ver';
-- version 3 (YAML) sets freshness again; the owner then changes the option by
-- hand; version 4 has no freshness: the owner's value is kept, and said so
SELECT * FROM dataops.apply_contract($$
apiVersion: v3.1.0
kind: DataContract
id: ver
version: "3"
status: active
schema:
  - name: oc_ver
    properties:
      - {name: id, required: true}
      - name: code
        logicalType: string
        logicalTypeOptions: {maxLength: 2}
        quality:
          - {name: code_known, metric: invalidValues, arguments: {validValues: [a, b]}, mustBeLessOrEqualTo: 10, unit: percent}
slaProperties:
  - property: freshness
    value: 2
    unit: d
$$, 'oc_ver');
SELECT pipeline, contract_id, contract_version, sla_freshness FROM dataops.pipeline_contracts WHERE pipeline = 'oc_ver';
SELECT dataops.set_pipeline_option('oc_ver', 'sla_freshness', '"5 hours"');
SELECT * FROM dataops.apply_contract($$
apiVersion: v3.1.0
kind: DataContract
id: ver
version: "4"
status: active
schema:
  - name: oc_ver
    properties:
      - {name: id, required: true}
      - name: code
        logicalType: string
        logicalTypeOptions: {maxLength: 2}
        quality:
          - {name: code_known, metric: invalidValues, arguments: {validValues: [a, b]}, mustBeLessOrEqualTo: 10, unit: percent}
$$, 'oc_ver');
SELECT options FROM dataops.pipelines WHERE name = 'oc_ver';
SELECT pipeline, contract_id, contract_version, sla_freshness FROM dataops.pipeline_contracts WHERE pipeline = 'oc_ver';
SELECT dataops.set_pipeline_option('oc_ver', 'sla_freshness', NULL);

-- 3. The people contract drives the people pipeline's checks.
SELECT dataops.create_pipeline('oc_people');
SELECT dataops.add_step('oc_people', 'raw', 'bronze', 'oc_people', source => :'datadir' || '/people-day1.csv');
SELECT dataops.add_step('oc_people', 'clean', 'silver', 'oc_people', query => $$
  SELECT user_id, first_name, last_name, sex, lower(trim(email)) AS email, phone,
         date_of_birth::date AS date_of_birth, job_title, _ingested_at, _source_file
  FROM bronze.oc_people $$);
-- the contract names silver.people: give the step
SELECT * FROM dataops.apply_contract(pg_read_file(:'datadir' || '/people.odcs.yaml'), 'oc_people', 'clean');
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

-- 3b. The people contract on bad rows (test/data/people-bad.csv, 7 rows):
-- row 1 good; 2 email bob@example (no top-level domain); 3 no User Id (NULL);
-- 4 the User Id of row 1 again (silver keeps duplicates: the contract has no
-- unique, gold resolves them, so nothing fails); 5 User Id "short" (not 15
-- letters or digits) and born 1899-03-03 (before 1900-01-01); 6 Sex "Unknown";
-- 7 no email (missing: not checked).  Every row-level check sees the 7 rows:
--   odcs_user_id_required   not_null     1 unexpected (row 3)                     fail  -> false
--   odcs_user_id_pattern    match_regex  1 missing (row 3), 1 unexpected (row 5)  fail  -> false
--   odcs_sex_invalidvalues  in_set       1 unexpected (row 6)                     warn  -> false
--   odcs_email_invalidvalues match_regex 1 missing (row 7), 1 unexpected (row 2):
--                           1/6 = 16.7 % of the non-missing > the 1 % allowed   fail  -> false
--   odcs_date_of_birth_type castable_to  0 (the column is a date)                fail  -> true
--   odcs_date_of_birth_range between     1 unexpected (row 5)                     fail  -> false
--   odcs_rowcount           row_count    6 rows published (row 2 dropped) > 0     fail  -> true
-- and the demo's email_valid (match_regex, drop) beside them: 1 unexpected.
-- A fail expectation failed, so the step fails: nothing is published, no
-- quarantine is kept (the step is one transaction), the results are recorded.
SELECT dataops.create_pipeline('oc_bad');
SELECT dataops.add_step('oc_bad', 'raw', 'bronze', 'oc_bad', source => :'datadir' || '/people-bad.csv');
SELECT dataops.add_step('oc_bad', 'clean', 'silver', 'oc_bad', query => $$
  SELECT user_id, first_name, last_name, sex, lower(trim(email)) AS email, phone,
         date_of_birth::date AS date_of_birth, job_title, _ingested_at, _source_file
  FROM bronze.oc_bad $$);
SELECT action, count(*) FROM dataops.apply_contract(pg_read_file(:'datadir' || '/people.odcs.yaml'), 'oc_bad', 'clean')
 GROUP BY action ORDER BY action;
SELECT dataops.add_expectation('oc_bad', 'clean', 'email_valid', 'match_regex', 'email',
  '{"pattern": "^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$"}', 'drop');
SELECT dataops.start_run('oc_bad') AS bad_run \gset
SELECT dataops.wait(:bad_run);
SELECT step, status, rows_read, rows_written, rows_quarantined, error_message
  FROM dataops.step_runs WHERE run_id = :bad_run ORDER BY step;
SELECT expectation, kind, action, element_count, missing_count, unexpected_count,
       round(unexpected_percent::numeric, 1) AS unexpected_pct, observed_value, success, partial_unexpected_list
  FROM dataops.expectation_results WHERE run_id = :bad_run ORDER BY expectation;
SELECT to_regclass('silver.oc_bad') AS published, to_regclass('silver.oc_bad_quarantine') AS quarantine;
-- the same counts from the bronze rows, as silver computes them
SELECT count(*) AS rows,
       count(*) FILTER (WHERE user_id IS NULL) AS user_id_null,
       count(*) FILTER (WHERE user_id !~ '^[0-9A-Za-z]{15}$') AS user_id_bad,
       count(*) - count(DISTINCT user_id) - count(*) FILTER (WHERE user_id IS NULL) AS user_id_repeated,
       count(*) FILTER (WHERE sex NOT IN ('Male', 'Female')) AS sex_bad,
       count(*) FILTER (WHERE lower(trim(email)) !~ '^[^@\s]+@[^@\s]+\.[a-z]{2,}$') AS email_bad,
       count(*) FILTER (WHERE email IS NULL) AS email_null,
       count(*) FILTER (WHERE date_of_birth::date < '1900-01-01' OR date_of_birth::date > current_date) AS birth_bad
  FROM bronze.oc_bad;
-- with the failing fail checks made warn (dataops.alter_expectation), the
-- step publishes: row 2 (the bad email), the only row a drop expectation
-- failed, goes to the quarantine; the 6 others to silver.oc_bad (bronze loads
-- no file twice: the rows are those bronze loaded in the first run)
SELECT dataops.alter_expectation('oc_bad', 'clean', e, action => 'warn')
  FROM unnest(ARRAY['odcs_user_id_required', 'odcs_user_id_pattern', 'odcs_email_invalidvalues',
                    'odcs_date_of_birth_range']) e;
SELECT dataops.run('oc_bad') AS warn_run \gset
SELECT step, status, rows_read, rows_written, rows_quarantined
  FROM dataops.step_runs WHERE run_id = :warn_run ORDER BY step;
SELECT expectation, action, element_count, missing_count, unexpected_count, success
  FROM dataops.expectation_results WHERE run_id = :warn_run ORDER BY expectation;
SELECT user_id, email, _failed_expectations FROM silver.oc_bad_quarantine ORDER BY user_id;
SELECT count(*) AS published, count(*) FILTER (WHERE user_id IS NULL) AS without_id FROM silver.oc_bad;
-- applying the contract again puts its fail actions back (the changed
-- expectations are not the contract's any more: replaced); the castable_to
-- date check goes: silver.oc_bad now has a date column
SELECT action, object, detail FROM dataops.apply_contract(pg_read_file(:'datadir' || '/people.odcs.yaml'), 'oc_bad', 'clean')
 WHERE action NOT IN ('satisfied', 'unsupported', 'tag') ORDER BY object;

-- 4. export_contract -> apply_contract round trip.  User expectations are
-- exported as library rules (nullValues, invalidValues, ...) or custom rules
-- of engine dataops.
SELECT dataops.add_expectation('oc_people', 'clean', 'phone_len', 'value_lengths_between', 'phone', '{"min": 7}');
SELECT dataops.add_expectation('oc_people', 'clean', 'job_set', 'in_set', 'job_title', '{"values": ["Editor"]}', mostly => 0.0);
SELECT dataops.add_expectation('oc_people', 'clean', 'names_not_null', 'not_null', 'last_name', action => 'fail', mostly => 0.9);
SELECT dataops.add_expectation('oc_people', 'clean', 'rows_max', 'row_count_between', NULL, '{"max": 100000}');
SELECT (dataops._contract_document('oc_people', 'clean') #> '{schema,0}') - 'properties'::text AS object,
       jsonb_path_query_array(dataops._contract_document('oc_people', 'clean'), '$.schema[0].properties[*] ? (exists(@.quality) || exists(@.logicalTypeOptions) || exists(@.required))') AS checked_properties;
-- export_contract writes that document as YAML (dataops.jsonb_to_yaml), which
-- reads back to it
SELECT dataops.yaml_to_jsonb(dataops.export_contract('oc_people', 'clean'))
     = dataops._contract_document('oc_people', 'clean') AS reads_back;
SELECT dataops.export_contract('oc_people', 'clean');
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
-- a null inside an expectation's args (GE's universal value set) is exported
-- as written and applied back the same (found by the fuzz target: the export
-- dropped it, and the rule came back as unsupported)
SELECT dataops.add_expectation('oc_people', 'clean', 'title_any', 'not_in_set', 'job_title', '{"values": null}');
SELECT jsonb_path_query(dataops._contract_document('oc_people', 'clean'),
                        '$.schema[0].properties[*].quality[*] ? (@.name == "title_any")') AS rule;
SELECT * FROM dataops.apply_contract(dataops.export_contract('oc_people', 'clean'), 'oc_people2', 'clean')
 WHERE action NOT IN ('satisfied', 'tag');
SELECT name, kind, column_name, args, contract_id FROM dataops.expectations
 WHERE pipeline = 'oc_people2' AND name = 'title_any';
SELECT dataops.drop_expectation('oc_people', 'clean', 'title_any');

-- 5. Errors
\set VERBOSITY terse
SELECT * FROM dataops.apply_contract('{"apiVersion": "v3.1.0", "kind": "Pipeline", "id": "x", "version": "1"}', 'oc_ver');
SELECT * FROM dataops.apply_contract('{"apiVersion": "v2.2.2", "kind": "DataContract", "id": "x", "version": "1"}', 'oc_ver');
SELECT * FROM dataops.apply_contract('{"apiVersion": "v3.1.0", "kind": "DataContract", "version": "1"}', 'oc_ver');
SELECT * FROM dataops.apply_contract('[1, 2]', 'oc_ver');
-- not YAML (nor JSON): yaml_to_jsonb's error, with the line and column
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT * FROM dataops.apply_contract(E'apiVersion: v3.1.0\nkind: [DataContract\nid: x\n', 'oc_ver');
SELECT * FROM dataops.apply_contract('{"apiVersion": "v3.1.0", "kind": "DataContract", "id": "x", ', 'oc_ver');
\set SHOW_CONTEXT errors
\set VERBOSITY terse
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

-- 6. Applying a contract changes the pipeline's definition: refused (55006)
-- while a run of the pipeline is queued or running, like add_expectation and
-- the other definition changes; so are the internal catalog writes when
-- called directly.  Nothing changes; after the run it applies.
SELECT dataops.create_pipeline('oc_slow');
SELECT dataops.add_step('oc_slow', 'slow', 'silver', 'oc_slow', query => 'SELECT 1 AS x FROM pg_sleep(1.5)');
SELECT * FROM dataops.apply_contract($$
apiVersion: v3.1.0
kind: DataContract
id: slow
version: "1"
schema:
  - name: oc_slow
    properties:
      - {name: x, required: true, classification: internal}
slaProperties:
  - {property: freshness, value: 1, unit: h}
$$, 'oc_slow');
SELECT dataops.start_run('oc_slow') AS slow_run \gset
SET client_min_messages = notice;
DO $$
BEGIN
    PERFORM * FROM dataops.apply_contract($c$
apiVersion: v3.1.0
kind: DataContract
id: slow
version: "2"
schema:
  - name: oc_slow
    properties:
      - {name: x, unique: true}
$c$, 'oc_slow');
EXCEPTION WHEN object_in_use THEN
    RAISE NOTICE 'apply_contract refused: %', SQLSTATE;
END $$;
DO $$
BEGIN
    PERFORM dataops._contract_drop('oc_slow', 'slow', '{odcs_x_required}', 'slow');
EXCEPTION WHEN object_in_use THEN
    RAISE NOTICE '_contract_drop refused: %', SQLSTATE;
END $$;
DO $$
BEGIN
    PERFORM dataops._contract_mark('oc_slow', 'slow', '{odcs_x_required}', 'slow', '2');
EXCEPTION WHEN object_in_use THEN
    RAISE NOTICE '_contract_mark refused: %', SQLSTATE;
END $$;
DO $$
BEGIN
    PERFORM dataops._contract_set_tags('oc_slow', 'slow', 'slow', '2', '[]');
EXCEPTION WHEN object_in_use THEN
    RAISE NOTICE '_contract_set_tags refused: %', SQLSTATE;
END $$;
DO $$
BEGIN
    PERFORM dataops._contract_record('oc_slow', 'slow', '2', NULL);
EXCEPTION WHEN object_in_use THEN
    RAISE NOTICE '_contract_record refused: %', SQLSTATE;
END $$;
SET client_min_messages = warning;
SELECT dataops.wait(:slow_run);
SELECT * FROM public.oc_expectations('oc_slow');
SELECT column_name, classification, contract_version FROM dataops.column_tags WHERE pipeline = 'oc_slow';
SELECT options FROM dataops.pipelines WHERE name = 'oc_slow';
SELECT * FROM dataops.apply_contract($$
apiVersion: v3.1.0
kind: DataContract
id: slow
version: "2"
schema:
  - name: oc_slow
    properties:
      - {name: x, unique: true}
$$, 'oc_slow');
SELECT * FROM public.oc_expectations('oc_slow');
SELECT count(*) AS tags FROM dataops.column_tags WHERE pipeline = 'oc_slow';

-- clean up
SELECT dataops.drop_pipeline(p) FROM unnest(ARRAY['oc_acc', 'oc_comp', 'oc_val', 'oc_tc', 'oc_sla', 'oc_full', 'oc_ver',
                                                  'oc_people', 'oc_people2', 'oc_bad', 'oc_slow']) p;
DROP TABLE bronze.oc_people, silver.oc_people, silver.oc_people2, bronze.oc_bad, silver.oc_bad, silver.oc_bad_quarantine,
           silver.oc_slow;
SELECT count(*) AS contracts_left FROM dataops.pipeline_contracts;
DROP ROLE oc_alice;
DROP FUNCTION public.oc_file(text), public.oc_expectations(text);
SELECT count(*) AS tags_left FROM dataops.column_tags;
