/* dataops 0.1.0 -> 0.2.0: expectations at Great Expectations parity, suites, validate, PCRE2 functions */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION dataops UPDATE TO '0.2.0'" to load this file. \quit

------------------------------------------------------------------------
-- Expectation kinds and result formats
------------------------------------------------------------------------

COMMENT ON COLUMN dataops.expectations.kind IS
'Canonical kind (see the README for the list; Great Expectations names are stored as their short kind)';
COMMENT ON COLUMN dataops.expectations.args IS
'Arguments of the kind (pattern, patterns, flags, min, max, values, columns, format, type, to, field, max_age, result_format, ...)';
COMMENT ON COLUMN dataops.expectations.column_name IS
'Column checked (NULL for table-level kinds, compound_unique and expression)';

ALTER TABLE dataops.expectation_results
    ADD COLUMN suite text,
    ADD COLUMN result_format text NOT NULL DEFAULT 'BASIC'
        CHECK (result_format IN ('BASIC', 'SUMMARY', 'COMPLETE')),
    ADD COLUMN missing_percent float8,
    ADD COLUMN partial_unexpected_counts jsonb;
COMMENT ON COLUMN dataops.expectation_results.step IS
'Step whose rows were checked, or the validated relation (schema.table) for a validation run';
COMMENT ON COLUMN dataops.expectation_results.observed_value IS
'Aggregate and table-level kinds: the value observed (row count, mean, max, distinct values, columns, ...)';
COMMENT ON COLUMN dataops.expectation_results.success IS
'Row-level kinds: whether at least mostly of the non-missing rows passed; other kinds: whether the observed value is as expected';
COMMENT ON COLUMN dataops.expectation_results.suite IS 'Suite the expectation came from, NULL for one added to the step itself';
COMMENT ON COLUMN dataops.expectation_results.result_format IS
'BASIC, SUMMARY (adds partial_unexpected_counts) or COMPLETE (every unexpected row kept in <target>_unexpected), as Great Expectations';
COMMENT ON COLUMN dataops.expectation_results.missing_percent IS 'missing_count / element_count * 100';
COMMENT ON COLUMN dataops.expectation_results.partial_unexpected_counts IS
'SUMMARY and COMPLETE: the 20 most frequent unexpected values with their counts, most frequent first';

------------------------------------------------------------------------
-- Validation runs (dataops.validate)
------------------------------------------------------------------------

ALTER TABLE dataops.runs
    ADD COLUMN kind text NOT NULL DEFAULT 'pipeline' CHECK (kind IN ('pipeline', 'validation')),
    ADD COLUMN relation text,
    ADD COLUMN suite text,
    ALTER COLUMN pipeline DROP NOT NULL,
    ADD CHECK (kind = 'validation' OR pipeline IS NOT NULL);
COMMENT ON COLUMN dataops.runs.pipeline IS 'Pipeline name (NULL for a validation run)';
COMMENT ON COLUMN dataops.runs.kind IS 'pipeline (dataops.run) or validation (dataops.validate)';
COMMENT ON COLUMN dataops.runs.relation IS 'Validation runs: the relation checked, as schema.table';
COMMENT ON COLUMN dataops.runs.suite IS 'Validation runs: the suite checked';
CREATE INDEX runs_relation_idx ON dataops.runs (relation, run_id) WHERE kind = 'validation';

CREATE OR REPLACE VIEW dataops.last_runs AS
SELECT DISTINCT ON (r.pipeline)
       r.pipeline, r.run_id, r.status, r.started_at, r.finished_at,
       r.finished_at - r.started_at AS duration, r.failed_step, r.error_message
  FROM dataops.runs r
 WHERE r.kind = 'pipeline'
 ORDER BY r.pipeline, r.run_id DESC;
COMMENT ON VIEW dataops.last_runs IS 'The latest run of each pipeline (validation runs excluded)';

------------------------------------------------------------------------
-- Suites
------------------------------------------------------------------------

CREATE TABLE dataops.suites (
    name        text PRIMARY KEY CHECK (name <> ''),
    owner       name NOT NULL DEFAULT current_user,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE dataops.suites IS 'Named sets of expectations reused across steps and pipelines (dataops.create_suite)';
COMMENT ON COLUMN dataops.suites.name IS 'Suite name, unique';
COMMENT ON COLUMN dataops.suites.owner IS 'Role that owns the suite; only it (or a member, or a superuser) may change it';
COMMENT ON COLUMN dataops.suites.created_at IS 'When the suite was created';

CREATE TABLE dataops.suite_expectations (
    suite       text NOT NULL REFERENCES dataops.suites (name) ON DELETE CASCADE,
    name        text NOT NULL CHECK (name <> ''),
    kind        text NOT NULL,
    column_name text,
    args        jsonb NOT NULL DEFAULT '{}',
    action      text NOT NULL DEFAULT 'warn' CHECK (action IN ('warn', 'drop', 'fail')),
    mostly      float8 NOT NULL DEFAULT 1.0 CHECK (mostly >= 0 AND mostly <= 1),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (suite, name)
);
COMMENT ON TABLE dataops.suite_expectations IS 'Expectations of a suite (dataops.add_suite_expectation)';
COMMENT ON COLUMN dataops.suite_expectations.suite IS 'Suite the expectation belongs to';
COMMENT ON COLUMN dataops.suite_expectations.name IS 'Expectation name, unique within the suite and within every step the suite is attached to';
COMMENT ON COLUMN dataops.suite_expectations.kind IS 'Canonical kind, as dataops.expectations.kind';
COMMENT ON COLUMN dataops.suite_expectations.column_name IS 'Column checked';
COMMENT ON COLUMN dataops.suite_expectations.args IS 'Arguments of the kind, as dataops.expectations.args';
COMMENT ON COLUMN dataops.suite_expectations.action IS 'warn, drop or fail';
COMMENT ON COLUMN dataops.suite_expectations.mostly IS 'Fraction of non-missing rows that must pass (Great Expectations'' mostly)';
COMMENT ON COLUMN dataops.suite_expectations.created_at IS 'When the expectation was added';

CREATE TABLE dataops.step_suites (
    pipeline    text NOT NULL,
    step        text NOT NULL,
    suite       text NOT NULL REFERENCES dataops.suites (name),
    attached_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pipeline, step, suite),
    FOREIGN KEY (pipeline, step) REFERENCES dataops.steps (pipeline, name) ON DELETE CASCADE
);
CREATE INDEX step_suites_suite_idx ON dataops.step_suites (suite);
COMMENT ON TABLE dataops.step_suites IS 'Suites attached to steps (dataops.attach_suite)';
COMMENT ON COLUMN dataops.step_suites.pipeline IS 'Pipeline of the step';
COMMENT ON COLUMN dataops.step_suites.step IS 'Step whose rows the suite checks';
COMMENT ON COLUMN dataops.step_suites.suite IS 'Suite attached';
COMMENT ON COLUMN dataops.step_suites.attached_at IS 'When the suite was attached';

CREATE VIEW dataops.step_expectations AS
SELECT e.pipeline, e.step, e.name, e.kind, e.column_name, e.args, e.action, e.mostly,
       NULL::text AS suite, e.created_at
  FROM dataops.expectations e
UNION ALL
SELECT ss.pipeline, ss.step, se.name, se.kind, se.column_name, se.args, se.action, se.mostly,
       se.suite, se.created_at
  FROM dataops.step_suites ss
  JOIN dataops.suite_expectations se ON se.suite = ss.suite;
COMMENT ON VIEW dataops.step_expectations IS 'Every expectation a step checks: its own and those of the suites attached to it';
COMMENT ON COLUMN dataops.step_expectations.pipeline IS 'Pipeline of the step';
COMMENT ON COLUMN dataops.step_expectations.step IS 'Step name';
COMMENT ON COLUMN dataops.step_expectations.name IS 'Expectation name, unique within the step';
COMMENT ON COLUMN dataops.step_expectations.kind IS 'Canonical kind';
COMMENT ON COLUMN dataops.step_expectations.column_name IS 'Column checked';
COMMENT ON COLUMN dataops.step_expectations.args IS 'Arguments of the kind';
COMMENT ON COLUMN dataops.step_expectations.action IS 'warn, drop or fail';
COMMENT ON COLUMN dataops.step_expectations.mostly IS 'Success threshold';
COMMENT ON COLUMN dataops.step_expectations.suite IS 'Suite the expectation comes from, NULL for the step''s own';
COMMENT ON COLUMN dataops.step_expectations.created_at IS 'When the expectation was added';

SELECT pg_catalog.pg_extension_config_dump('dataops.suites', '');
SELECT pg_catalog.pg_extension_config_dump('dataops.suite_expectations', '');
SELECT pg_catalog.pg_extension_config_dump('dataops.step_suites', '');
GRANT SELECT ON dataops.suites, dataops.suite_expectations, dataops.step_suites,
                dataops.step_expectations, dataops.last_runs TO PUBLIC;

CREATE FUNCTION dataops.create_suite(name text)
RETURNS void AS 'MODULE_PATHNAME', 'dataops_create_suite' LANGUAGE C;
COMMENT ON FUNCTION dataops.create_suite(text) IS
'Creates an empty expectation suite owned by the current role';

CREATE FUNCTION dataops.drop_suite(name text)
RETURNS void AS 'MODULE_PATHNAME', 'dataops_drop_suite' LANGUAGE C;
COMMENT ON FUNCTION dataops.drop_suite(text) IS
'Removes a suite and its expectations; refused while the suite is attached to a step';

CREATE FUNCTION dataops.add_suite_expectation(suite text, name text, kind text,
                                              column_name text DEFAULT NULL, args jsonb DEFAULT '{}',
                                              action text DEFAULT 'warn', mostly float8 DEFAULT 1.0)
RETURNS void AS 'MODULE_PATHNAME', 'dataops_add_suite_expectation' LANGUAGE C;
COMMENT ON FUNCTION dataops.add_suite_expectation(text, text, text, text, jsonb, text, float8) IS
'Adds an expectation to a suite; every step the suite is attached to checks it from its next run';

CREATE FUNCTION dataops.attach_suite(pipeline text, step text, suite text)
RETURNS void AS 'MODULE_PATHNAME', 'dataops_attach_suite' LANGUAGE C;
COMMENT ON FUNCTION dataops.attach_suite(text, text, text) IS
'Makes a step check every expectation of a suite';

CREATE FUNCTION dataops.detach_suite(pipeline text, step text, suite text)
RETURNS void AS 'MODULE_PATHNAME', 'dataops_detach_suite' LANGUAGE C;
COMMENT ON FUNCTION dataops.detach_suite(text, text, text) IS
'Stops a step from checking a suite';

------------------------------------------------------------------------
-- Checks outside pipelines (a Great Expectations checkpoint)
------------------------------------------------------------------------

CREATE FUNCTION dataops._validate(relation regclass, suite text)
RETURNS bigint AS 'MODULE_PATHNAME', 'dataops_validate' LANGUAGE C;
COMMENT ON FUNCTION dataops._validate(regclass, text) IS
'Internal: checks a relation against a suite, records a validation run and returns its run id';

CREATE FUNCTION dataops.validate(relation regclass, suite text)
RETURNS SETOF dataops.expectation_results
LANGUAGE plpgsql AS $$
DECLARE
    rid bigint;
BEGIN
    rid := dataops._validate(relation, suite);
    RETURN QUERY SELECT r.* FROM dataops.expectation_results r
                  WHERE r.run_id = rid ORDER BY r.checked_at, r.expectation;
END
$$;
COMMENT ON FUNCTION dataops.validate(regclass, text) IS
'Checks any table or view against a suite now (with the caller''s privileges), records the results under a validation run and returns them';

------------------------------------------------------------------------
-- PCRE2 and value checks, for expectations and silver queries
------------------------------------------------------------------------

CREATE FUNCTION dataops.regex_match(value text, pattern text, flags text)
RETURNS boolean AS 'MODULE_PATHNAME', 'dataops_regex_match_flags'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataops.regex_match(text, text, text) IS
'True when the PCRE2 pattern matches somewhere in value; flags: i (case-insensitive), m (multiline), s (dot matches newline), x (extended)';

CREATE FUNCTION dataops.regex_extract(value text, pattern text, grp integer DEFAULT 0)
RETURNS text AS 'MODULE_PATHNAME', 'dataops_regex_extract'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataops.regex_extract(text, text, integer) IS
'Text matched by capture group grp (0: the whole match) of the first PCRE2 match in value; NULL when nothing matches or the group took no part';

CREATE FUNCTION dataops.regex_replace(value text, pattern text, replacement text)
RETURNS text AS 'MODULE_PATHNAME', 'dataops_regex_replace'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataops.regex_replace(text, text, text) IS
'value with every PCRE2 match of pattern replaced by replacement ($1, ${name} refer to groups)';

CREATE FUNCTION dataops._expect_regex(value text, pattern text, flags text, expectation text)
RETURNS boolean AS 'MODULE_PATHNAME', 'dataops_expect_regex'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataops._expect_regex(text, text, text, text) IS
'Internal: regex_match for an expectation; an error (match limit exceeded) names the expectation';

CREATE FUNCTION dataops.input_is_valid(value text, type text)
RETURNS boolean AS 'MODULE_PATHNAME', 'dataops_input_is_valid'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataops.input_is_valid(text, text) IS
'True when value would cast to the type (e.g. ''integer'', ''numeric(10,2)'', ''date'', ''uuid''); a bad value is false, never an error (as PostgreSQL 16''s pg_input_is_valid)';

CREATE FUNCTION dataops.matches_strftime(value text, format text)
RETURNS boolean AS 'MODULE_PATHNAME', 'dataops_matches_strftime'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataops.matches_strftime(text, text) IS
'True when the whole value parses with the strftime format (e.g. ''%Y-%m-%d'') and names a real date (Great Expectations'' match_strftime_format)';
