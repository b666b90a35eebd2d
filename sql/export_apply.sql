-- dataops.export and dataops.apply (issue 14, item 2): pipelines as
-- definition documents (dataops/v1), plan and apply like terraform.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_cron;
RESET client_min_messages;
SET dataops.http_allowed_hosts = 'hooks.example.com';
CREATE SCHEMA ea_src;
CREATE TABLE ea_src.people (id int, email text, updated_at int);
INSERT INTO ea_src.people VALUES (1, 'a@x', 1), (2, 'b@x', 1), (2, 'b2@x', 2);

-- a pipeline with every part: options, a schedule, a dependency, a suite,
-- expectations with args, a bronze step reading CSV files with options, an
-- incremental step
SELECT dataops.create_pipeline('ea_up', 'upstream');
SELECT dataops.create_pipeline('ea_sales', 'people to gold');
SELECT dataops.add_step('ea_sales', 'raw', 'bronze', 'bronze.ea_raw', source => '/tmp/ea/*.csv',
                        options => '{"header": true, "delimiter": ";"}');
SELECT dataops.add_step('ea_sales', 'clean', 'silver', 'ea_clean',
                        query => 'SELECT id, email, updated_at FROM bronze.ea_raw',
                        unique_key => '{id}', keep => 'updated_at DESC',
                        options => '{"materialization": "incremental", "watermark": "updated_at"}');
SELECT dataops.add_step('ea_sales', 'agg', 'gold', 'gold.ea_agg', query => 'SELECT count(*) AS n FROM silver.ea_clean');
SELECT dataops.add_expectation('ea_sales', 'clean', 'email_ok', 'match_regex', 'email', '{"pattern": "@"}', 'drop', 0.9);
SELECT dataops.add_expectation('ea_sales', 'clean', 'id_nn', 'not_null', 'id');
SELECT dataops.create_suite('ea_suite');
SELECT dataops.add_suite_expectation('ea_suite', 'n_pos', 'between', 'n', '{"min": 0}', 'fail');
SELECT dataops.attach_suite('ea_sales', 'agg', 'ea_suite');
SELECT dataops.set_pipeline_option('ea_sales', 'retries', '2');
SELECT dataops.set_pipeline_option('ea_sales', 'sla_freshness', '"1 hour"');
SELECT dataops.add_dependency('ea_sales', 'ea_up');
SELECT dataops.schedule('ea_sales', '0 3 * * *') > 0 AS scheduled;

-- the document: steps in dependency order, defaults omitted, the suite
SELECT jsonb_pretty(dataops.export('ea_sales'));
SELECT dataops.export('ea_sales') AS doc \gset
-- every pipeline the caller may see (scope all)
SELECT d ->> 'scope' AS scope, jsonb_path_query_array(d, '$.pipelines[*].name ? (@ starts with "ea_")') AS pipelines,
       jsonb_path_query_array(d, '$.suites[*].name ? (@ starts with "ea_")') AS suites
  FROM dataops.export() d;
SELECT dataops.export('ea_nope');

-- applying the export changes nothing: no row, no definition event
SELECT max(event_id) AS ev FROM dataops.events \gset
SELECT * FROM dataops.apply(:'doc');
SELECT * FROM dataops.apply(dataops.export());
SELECT * FROM dataops.apply(dataops.export(), dry_run => true);
SELECT count(*) AS new_events FROM dataops.events WHERE event_id > :ev;

-- round trip: dropped, then applied from the document: export = export;
-- the dry run lists exactly what the real apply does, and changes nothing
SELECT dataops.drop_pipeline('ea_sales');
SELECT dataops.drop_suite('ea_suite');
CREATE TEMP TABLE ea_plan AS SELECT * FROM dataops.apply(:'doc', dry_run => true) WITH ORDINALITY;
SELECT action, object, detail FROM ea_plan ORDER BY ordinality;
SELECT count(*) AS pipelines FROM dataops.pipelines WHERE name = 'ea_sales';
CREATE TEMP TABLE ea_done AS SELECT * FROM dataops.apply(:'doc') WITH ORDINALITY;
SELECT (SELECT array_agg(p ORDER BY ordinality) FROM ea_plan p)::text
     = (SELECT array_agg(d ORDER BY ordinality) FROM ea_done d)::text AS dry_run_equals_apply;
SELECT dataops.export('ea_sales') = :'doc' AS round_trip;
SELECT max(event_id) AS ev FROM dataops.events \gset
SELECT * FROM dataops.apply(:'doc');
SELECT count(*) AS new_events FROM dataops.events WHERE event_id > :ev;
DROP TABLE ea_plan, ea_done;

-- each kind of change, in one document: a query altered (not dropped and
-- added), an expectation altered, one added and one dropped, a step renamed
-- (renamed_from), an option changed and one removed, the schedule changed
SELECT jsonb_set(jsonb_set(jsonb_set(jsonb_set(jsonb_set(jsonb_set(:'doc',
         '{pipelines,0,steps,1,query}', '"SELECT id, lower(email) AS email, updated_at FROM bronze.ea_raw"'),
         '{pipelines,0,steps,1,expectations}',
         '[{"name": "email_ok", "kind": "match_regex", "column": "email", "args": {"pattern": "@"}, "action": "drop", "mostly": 0.95},
           {"name": "id_unique", "kind": "unique", "column": "id"}]'),
         '{pipelines,0,steps,2}',
         '{"name": "summary", "renamed_from": "agg", "layer": "gold", "target": "gold.ea_agg",
           "query": "SELECT count(*) AS n FROM silver.ea_clean", "suites": ["ea_suite"]}'),
         '{pipelines,0,options}', '{"retries": 3}'),
         '{pipelines,0,schedule}', '"30 4 * * *"'),
         '{pipelines,0,description}', '"people to gold, v2"') AS doc2 \gset
-- without allow_drop: the dry run marks the drops refused, the apply refuses and changes nothing
SELECT * FROM dataops.apply(:'doc2', dry_run => true);
SELECT max(event_id) AS ev FROM dataops.events \gset
SELECT * FROM dataops.apply(:'doc2');
SELECT count(*) AS new_events FROM dataops.events WHERE event_id > :ev;
SELECT dataops.export('ea_sales') = :'doc' AS unchanged;
-- with allow_drop: the dry run's rows are exactly the apply's
CREATE TEMP TABLE ea_plan AS SELECT * FROM dataops.apply(:'doc2', dry_run => true, allow_drop => true) WITH ORDINALITY;
SELECT dataops.export('ea_sales') = :'doc' AS dry_run_changed_nothing;
SELECT max(event_id) AS ev FROM dataops.events \gset
CREATE TEMP TABLE ea_done AS SELECT * FROM dataops.apply(:'doc2', allow_drop => true) WITH ORDINALITY;
SELECT action, object, detail FROM ea_done ORDER BY ordinality;
-- recorded as definition events (old and new rows) by the API functions
SELECT details ->> 'table' AS tab, status, count(*) FROM dataops.events
 WHERE kind = 'definition' AND event_id > :ev GROUP BY 1, 2 ORDER BY 1, 2;
SELECT (SELECT array_agg(p ORDER BY ordinality) FROM ea_plan p)::text
     = (SELECT array_agg(d ORDER BY ordinality) FROM ea_done d)::text AS dry_run_equals_apply;
DROP TABLE ea_plan, ea_done;
-- the database now matches: export = the document (renamed_from is never exported)
SELECT dataops.export('ea_sales') = (:'doc2'::jsonb #- '{pipelines,0,steps,2,renamed_from}') AS matches;
SELECT name, query FROM dataops.steps WHERE pipeline = 'ea_sales' ORDER BY name;
SELECT schedule FROM dataops.schedules WHERE pipeline = 'ea_sales';
-- applied again (renamed_from still there: the old step is gone, so nothing to do)
SELECT max(event_id) AS ev FROM dataops.events \gset
SELECT * FROM dataops.apply(:'doc2', allow_drop => true);
SELECT count(*) AS new_events FROM dataops.events WHERE event_id > :ev;
-- back to the first document: unschedule/reschedule, step renamed back
SELECT * FROM dataops.apply(:'doc'::jsonb #- '{pipelines,0,schedule}' || '{}', dry_run => true, allow_drop => true);
SELECT jsonb_set(:'doc', '{pipelines,0,steps,2,renamed_from}', '"summary"') AS doc1 \gset
SELECT count(*) AS rows FROM dataops.apply(:'doc1', allow_drop => true);
SELECT dataops.export('ea_sales') = :'doc' AS back_to_first;

-- a step renamed keeps its history: runs, step runs and results follow the new name
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_run", "steps": [
    {"name": "people", "layer": "silver", "target": "silver.ea_people",
     "query": "SELECT id, email FROM ea_src.people", "unique_key": ["id"],
     "expectations": [{"name": "id_nn", "kind": "not_null", "column": "id"}]}]}]}');
SELECT dataops.run('ea_run') > 0 AS ran;
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_run", "steps": [
    {"name": "persons", "renamed_from": "people", "layer": "silver", "target": "silver.ea_people",
     "query": "SELECT id, email FROM ea_src.people;\n", "unique_key": ["id"],
     "expectations": [{"name": "id_nn", "kind": "not_null", "column": "id"}]}]}]}');
SELECT sr.step, sr.status, sr.rows_written FROM dataops.step_runs sr JOIN dataops.runs r USING (run_id)
 WHERE r.pipeline = 'ea_run';
SELECT step, expectation, success FROM dataops.expectation_results er JOIN dataops.runs r USING (run_id)
 WHERE r.pipeline = 'ea_run';
-- a pipeline renamed (renamed_from): its history follows; both names existing is an error
SELECT * FROM dataops.apply(jsonb_set(jsonb_set(dataops.export('ea_run'), '{pipelines,0,name}', '"ea_run2"'),
                                      '{pipelines,0,renamed_from}', '"ea_run"'));
SELECT count(*) AS runs_of_ea_run2 FROM dataops.runs WHERE pipeline = 'ea_run2';
\set VERBOSITY terse
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_up", "renamed_from": "ea_run2"}]}');
SELECT dataops.add_step('ea_run2', 'people', 'silver', 'silver.ea_people2', query => 'SELECT 1 AS one');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_run2", "steps": [
    {"name": "persons", "renamed_from": "people", "layer": "silver", "target": "silver.ea_people", "query": "SELECT 1"}]}]}');
SELECT dataops.drop_step('ea_run2', 'people');
\set VERBOSITY default
-- a target changed is an alter (history stays); a bronze step's source
-- replaced by a query is an alter too (the source reset)
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_run2", "steps": [
    {"name": "persons", "layer": "silver", "target": "silver.ea_persons",
     "query": "SELECT id, email FROM ea_src.people", "unique_key": ["id"],
     "expectations": [{"name": "id_nn", "kind": "not_null", "column": "id"}]},
    {"name": "files", "layer": "bronze", "target": "ea_files", "source": "/tmp/ea/files-*.csv", "options": {"header": true}}]}]}');
SELECT * FROM dataops.apply(jsonb_set(dataops.export('ea_run2'), '{pipelines,0,steps,0}',
    '{"name": "files", "layer": "bronze", "target": "bronze.ea_files", "query": "SELECT 1 AS one"}'));
SELECT name, layer, target_schema, target_table, query, source, options FROM dataops.steps
 WHERE pipeline = 'ea_run2' ORDER BY name;
SELECT count(*) AS step_runs_kept FROM dataops.step_runs sr JOIN dataops.runs r USING (run_id)
 WHERE r.pipeline = 'ea_run2' AND sr.step = 'persons';
-- a step replaced by one of another name publishing its target: the old one
-- is dropped first (no step reads it), then the new one created
SELECT * FROM dataops.apply(jsonb_set(dataops.export('ea_run2'), '{pipelines,0,steps,0}',
    '{"name": "files2", "layer": "bronze", "target": "bronze.ea_files", "query": "SELECT 2 AS two"}'),
    allow_drop => true);
SELECT name, target_table FROM dataops.steps WHERE pipeline = 'ea_run2' ORDER BY name;
-- a document renaming a pipeline that does not exist yet creates it under the new name
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_new", "renamed_from": "ea_never"}]}');

-- a document is checked whole before anything changes: 22023 naming the path
\set VERBOSITY terse
SELECT * FROM dataops.apply(NULL);
SELECT * FROM dataops.apply('[]');
SELECT * FROM dataops.apply('{"pipelines": []}');
SELECT * FROM dataops.apply('{"format": "dataops/v2"}');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "scope": "everything"}');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipeline": []}');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": {}}');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"description": "x"}]}');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": ""}]}');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_a"}, {"name": "ea_a"}]}');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_a", "renamed_from": "ea_a"}]}');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_a", "renamed_from": "ea_b"}, {"name": "ea_b"}]}');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_a", "options": {"retries": null}}]}');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_a", "schedule": 3}]}');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_a", "depends_on": ["ea_b", "ea_b"]}]}');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_a", "depends_on": ["ea_a"]}]}');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_a", "notifications": [{"events": ["failed"], "secret": "x"}]}]}');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_a", "steps": [{"name": "s", "layer": "silver", "target": "t", "query": "SELECT 1", "lyer": "x"}]}]}');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_a", "steps": [{"name": "s", "target": "t", "query": "SELECT 1"}]}]}');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_a", "steps": [{"name": "a", "layer": "silver", "target": "t", "query": "SELECT 1"}, {"name": "s", "layer": "platinum", "target": "t", "query": "SELECT 1"}]}]}');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_a", "steps": [{"name": "s", "layer": "silver", "target": 7, "query": "SELECT 1"}]}]}');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_a", "steps": [{"name": "s", "layer": "bronze", "target": "t", "query": "SELECT 1", "source": "/x.csv"}]}]}');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_a", "steps": [{"name": "s", "layer": "silver", "target": "t"}]}]}');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_a", "steps": [{"name": "s", "layer": "silver", "target": "t", "query": "SELECT 1", "unique_key": []}]}]}');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_a", "steps": [{"name": "s", "layer": "silver", "target": "t", "query": "SELECT 1", "options": []}]}]}');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_a", "steps": [{"name": "s", "layer": "silver", "target": "t", "query": "SELECT 1"}, {"name": "s", "layer": "silver", "target": "u", "query": "SELECT 1"}]}]}');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_a", "steps": [{"name": "s", "layer": "silver", "target": "t", "query": "SELECT 1", "expectations": [{"name": "e", "kind": "not_null", "action": "explode"}]}]}]}');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_a", "steps": [{"name": "s", "layer": "silver", "target": "t", "query": "SELECT 1", "expectations": [{"name": "e", "kind": "not_null", "mostly": 2}]}]}]}');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_a", "steps": [{"name": "s", "layer": "silver", "target": "t", "query": "SELECT 1", "expectations": [{"name": "e"}]}]}]}');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_a", "steps": [{"name": "s", "layer": "silver", "target": "t", "query": "SELECT 1", "expectations": [{"name": "e", "kind": "not_null"}, {"name": "e", "kind": "unique"}]}]}]}');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_a", "steps": [{"name": "s", "layer": "silver", "target": "t", "query": "SELECT 1", "suites": ["ea_none"]}]}]}');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "suites": [{"name": "ea_s", "expectations": [{"name": "e", "kind": "not_null", "args": "x"}]}]}');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "suites": [{"name": "ea_s"}, {"name": "ea_s"}]}');
-- a document whose API calls fail changes nothing either (the first calls are rolled back)
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_a", "steps": [{"name": "s", "layer": "silver", "target": "t", "query": "DELETE FROM x"}]}]}');
SELECT count(*) AS ea_a_created FROM dataops.pipelines WHERE name = 'ea_a';
\set VERBOSITY default

-- YAML: export_yaml and apply_yaml are export and apply through
-- dataops.jsonb_to_yaml and dataops.yaml_to_jsonb
SELECT dataops.export_yaml('ea_sales');
SELECT dataops.yaml_to_jsonb(dataops.export_yaml('ea_sales')) = dataops.export('ea_sales') AS yaml_round_trip;
SELECT * FROM dataops.apply_yaml(dataops.export_yaml('ea_sales'));
SELECT * FROM dataops.apply_yaml($$
format: dataops/v1
pipelines:
- name: ea_yaml
  description: written by hand
  options: {retries: 1}
  steps:
  - name: ids
    layer: silver
    target: silver.ea_ids
    query: |
      SELECT id
        FROM ea_src.people
    unique_key: [id]
    expectations:
    - {name: id_nn, kind: not_null, column: id, action: fail}
$$, dry_run => true);
\set VERBOSITY terse
SELECT * FROM dataops.apply_yaml($$
format: dataops/v1
pipelines:
- name: ea_yaml
  steps:
  - name: ids
    layer: silver
    target: silver.ea_ids
    querry: SELECT 1
$$);
\set VERBOSITY default

-- notifications: exported without their URL; an entry without url matches
-- by events and format (never created: 'skip'); with a url it is created;
-- one the document lacks is a drop
SELECT dataops.create_pipeline('ea_note');
SELECT dataops.add_notification('ea_note', 'https://hooks.example.com/T0KEN', '{sla_missed,failed}', 'json') > 0 AS added;
SELECT dataops.export('ea_note') -> 'pipelines' AS note_doc;
SELECT * FROM dataops.apply(dataops.export('ea_note'));
SELECT * FROM dataops.apply(jsonb_set(dataops.export('ea_note'), '{pipelines,0,notifications}',
    '[{"events": ["failed"]}, {"events": ["succeeded"], "format": "slack", "url": "https://hooks.example.com/NEW"}]'),
    dry_run => true);
\set VERBOSITY terse
SELECT * FROM dataops.apply(jsonb_set(dataops.export('ea_note'), '{pipelines,0,notifications}',
    '[{"events": ["succeeded"], "format": "slack", "url": "https://hooks.example.com/NEW"}]'));
\set VERBOSITY default
SELECT * FROM dataops.apply(jsonb_set(dataops.export('ea_note'), '{pipelines,0,notifications}',
    '[{"events": ["failed", "sla_missed"], "format": "json"}, {"events": ["succeeded"], "format": "slack", "url": "https://hooks.example.com/NEW"}]'));
SELECT url, events, format FROM dataops.notifications WHERE pipeline = 'ea_note' ORDER BY id;
SELECT * FROM dataops.apply(dataops.export('ea_note'));
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_note"}]}', allow_drop => true);
SELECT count(*) AS notifications_left FROM dataops.notifications WHERE pipeline = 'ea_note';

-- another role's pipelines and suites: export shows only what the caller
-- may see; apply runs as the caller, so each API function's own check
-- refuses what it may not change, and nothing changes
SET client_min_messages = warning;
DROP ROLE IF EXISTS ea_owner, ea_other;
RESET client_min_messages;
CREATE ROLE ea_owner;
CREATE ROLE ea_other;
GRANT USAGE ON SCHEMA dataops TO ea_owner, ea_other;
SET ROLE ea_owner;
SELECT dataops.create_pipeline('ea_owned');
SELECT dataops.create_suite('ea_osuite');
SELECT dataops.add_suite_expectation('ea_osuite', 'x_nn', 'not_null', 'x');
RESET ROLE;
SET ROLE ea_other;
SELECT jsonb_path_query_array(dataops.export(), '$.pipelines[*].name') AS other_sees;
\set VERBOSITY terse
SELECT dataops.export('ea_owned');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_owned", "description": "mine now"}]}');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_mine", "depends_on": ["ea_owned"]}]}');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "suites": [{"name": "ea_osuite", "expectations": [{"name": "x_nn", "kind": "not_null", "column": "x"}, {"name": "y_nn", "kind": "not_null", "column": "y"}]}]}');
SELECT * FROM dataops.apply('{"format": "dataops/v1", "suites": [{"name": "ea_osuite"}]}', allow_drop => true);
-- scope all drops only what the caller may change: another role's suite is not in it
SELECT * FROM dataops.apply('{"format": "dataops/v1", "scope": "all"}', dry_run => true);
\set VERBOSITY default
RESET ROLE;
-- scope all: the owner's pipelines and suites the document lacks are dropped (allow_drop)
SET ROLE ea_owner;
SELECT dataops.create_pipeline('ea_owned2');
SELECT dataops.export() AS odoc \gset
SELECT :'odoc'::jsonb - 'suites' #- '{pipelines,1}' AS odoc2 \gset
SELECT jsonb_path_query_array(:'odoc2', '$.pipelines[*].name') AS kept;
SELECT * FROM dataops.apply(:'odoc2', dry_run => true);
\set VERBOSITY terse
SELECT * FROM dataops.apply(:'odoc2');
\set VERBOSITY default
SELECT * FROM dataops.apply(:'odoc2', allow_drop => true);
SELECT * FROM dataops.apply(:'odoc', dry_run => true);
SELECT * FROM dataops.apply(:'odoc');
SELECT dataops.export() = :'odoc' AS owner_round_trip;
RESET ROLE;
SELECT count(*) AS ea_mine_created FROM dataops.pipelines WHERE name = 'ea_mine';
SELECT name FROM dataops.suite_expectations WHERE suite = 'ea_osuite';
SELECT description FROM dataops.pipelines WHERE name = 'ea_owned';

-- a document may name a kind by its Great Expectations name and give
-- equivalent args: apply compares them as add_expectation stores them, so a
-- second apply of the same document changes nothing
SELECT * FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_alias", "steps": [
  {"name": "s", "layer": "silver", "target": "silver.ea_alias", "query": "SELECT 1 AS id",
   "expectations": [{"name": "id_nn", "kind": "expect_column_values_to_not_be_null", "column": "id"},
                    {"name": "id_small", "kind": "expect_column_values_to_be_between", "column": "id",
                     "args": {"max": 10}}]}]}]}');
SELECT name, kind, args FROM dataops.expectations WHERE pipeline = 'ea_alias' ORDER BY name;
SELECT count(*) AS second_apply_changes FROM dataops.apply('{"format": "dataops/v1", "pipelines": [{"name": "ea_alias", "steps": [
  {"name": "s", "layer": "silver", "target": "silver.ea_alias", "query": "SELECT 1 AS id",
   "expectations": [{"name": "id_nn", "kind": "expect_column_values_to_not_be_null", "column": "id"},
                    {"name": "id_small", "kind": "expect_column_values_to_be_between", "column": "id",
                     "args": {"max": 10}}]}]}]}');

-- expectations a data contract made belong to the contract: export leaves
-- them out, apply neither alters nor drops them (allow_drop included) and
-- names the contract when a document lists one
SELECT action, object FROM dataops.apply_contract($$
apiVersion: v3.1.0
kind: DataContract
id: ea-contract
version: 1.0.0
status: active
schema:
  - name: ea_alias
    physicalName: silver.ea_alias
    properties:
      - {name: id, required: true}
$$, 'ea_alias');
SELECT name, contract_id FROM dataops.expectations WHERE pipeline = 'ea_alias' ORDER BY name;
SELECT jsonb_path_query_array(dataops.export('ea_alias'), '$.pipelines[*].steps[*].expectations[*].name') AS exported;
SELECT * FROM dataops.apply(dataops.export('ea_alias'), allow_drop => true);
SELECT * FROM dataops.apply(jsonb_insert(dataops.export('ea_alias'), '{pipelines,0,steps,0,expectations,0}',
                                         '{"name": "odcs_id_required", "kind": "not_null", "column": "id", "action": "warn"}'));
SELECT name, action, contract_id FROM dataops.expectations WHERE pipeline = 'ea_alias' ORDER BY name;

-- column names as add_step and add_expectation accept them (found by the fuzz
-- target): a repeated unique_key column and a column name with a tab in it
-- export, and the export applies back with no change; an empty one is refused
SELECT dataops.create_pipeline('ea_cols');
SELECT dataops.add_step('ea_cols', 's', 'silver', 'silver.ea_cols', 'SELECT id, email FROM ea_src.people',
                        unique_key => '{id,id}');
SELECT dataops.add_expectation('ea_cols', 's', 'tab_nn', 'not_null', E'a\tb');
SELECT dataops.export('ea_cols') #> '{pipelines,0,steps,0}' AS step;
SELECT count(*) AS changes FROM dataops.apply(dataops.export('ea_cols'), dry_run => true);
SELECT count(*) AS changes FROM dataops.apply(dataops.export('ea_cols'));
SELECT * FROM dataops.apply(jsonb_set(dataops.export('ea_cols'), '{pipelines,0,steps,0,unique_key,1}', '""'));
SELECT * FROM dataops.apply(jsonb_set(dataops.export('ea_cols'), '{pipelines,0,steps,0,expectations,0,column}', '""'));

-- clean up
SELECT dataops.drop_pipeline(name) FROM dataops.pipelines WHERE name LIKE 'ea\_%' ORDER BY name;
SET ROLE ea_owner;
SELECT dataops.drop_suite('ea_osuite');
RESET ROLE;
SELECT dataops.drop_suite(name) FROM dataops.suites WHERE name LIKE 'ea\_%' ORDER BY name;
DROP OWNED BY ea_owner, ea_other;
DROP ROLE ea_owner, ea_other;
DROP TABLE silver.ea_people;
DROP SCHEMA ea_src CASCADE;
SET client_min_messages = warning;
DROP EXTENSION pg_cron;
RESET client_min_messages;
RESET dataops.http_allowed_hosts;
