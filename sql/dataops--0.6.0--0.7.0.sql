/* dataops 0.6.0 -> 0.7.0: operate it like a DataOps team: SLAs and health
 * (MTTR, MTBF, data quality score, SLA compliance), Prometheus metrics,
 * notifications through a transactional outbox, OpenLineage events, and
 * views read by people (issue 12). */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION dataops UPDATE TO '0.7.0'" to load this file. \quit

-- ===== sla and health

-- ===== notifications

-- ===== openlineage

-- column lineage: the kind of each column edge (OpenLineage ColumnLineageDatasetFacet 1-2-0 subtypes)
ALTER TABLE dataops.lineage ADD COLUMN transformation text
    CHECK (transformation IN ('IDENTITY', 'TRANSFORMATION', 'FILTER', 'JOIN', 'GROUP_BY', 'SORT'));
-- rows recorded before 0.7.0 did not tell a copy from an expression: the weaker claim
UPDATE dataops.lineage SET transformation = 'TRANSFORMATION' WHERE source_column IS NOT NULL AND target_column IS NOT NULL;
COMMENT ON COLUMN dataops.lineage.transformation IS
'Column rows: IDENTITY (the target column is the source column unchanged), TRANSFORMATION (an expression of it); '
'rows with a source column and no target column are INDIRECT edges affecting the whole target: FILTER (WHERE, HAVING), '
'JOIN (join conditions), GROUP_BY, SORT (ORDER BY). NULL on table-level rows';

-- OpenLineage (https://openlineage.io, spec 2-0-2): RunEvents built from the catalog
CREATE FUNCTION dataops._openlineage_host() RETURNS text
AS 'MODULE_PATHNAME', 'dataops_openlineage_host' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION dataops._openlineage_host() IS
'Host name of the server''s machine: the host of file datasets'' namespace file://<host> in OpenLineage events';

CREATE FUNCTION dataops._openlineage_namespace() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$ SELECT coalesce(nullif(pg_catalog.current_setting('dataops.openlineage_namespace', true), ''),
                      'postgres://localhost:' OPERATOR(pg_catalog.||) pg_catalog.current_setting('port')) $$;
COMMENT ON FUNCTION dataops._openlineage_namespace() IS
'Namespace of OpenLineage jobs and relation datasets: the setting dataops.openlineage_namespace (default postgres://<host>:<port>)';

CREATE FUNCTION dataops._openlineage_uuid(kind text, id bigint) RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$
  WITH h AS (SELECT pg_catalog.md5(pg_catalog.concat_ws(':', 'dataops', dataops._openlineage_namespace(),
                                                         pg_catalog.current_database(), kind, id)) AS h)
  SELECT pg_catalog.concat(pg_catalog.substr(h, 1, 12), '4', pg_catalog.substr(h, 14, 3),
           pg_catalog.substr('89ab', (CAST(CAST(pg_catalog.concat('x', pg_catalog.substr(h, 17, 1)) AS bit(4)) AS integer)
                                      OPERATOR(pg_catalog.%) 4) OPERATOR(pg_catalog.+) 1, 1),
           pg_catalog.substr(h, 18, 15))::uuid
    FROM h $$;
COMMENT ON FUNCTION dataops._openlineage_uuid(text, bigint) IS
'The OpenLineage runId of a dataops run (kind ''run'') or step attempt (kind ''step'', by step_run_id): a version-4-shaped UUID from the MD5 of the namespace, database, kind and id, so the same attempt always has the same runId';

CREATE FUNCTION dataops._openlineage_producer() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$ SELECT pg_catalog.concat('urn:postgresql:extension:dataops:', coalesce(
         (SELECT e.extversion FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'dataops'), 'unknown')) $$;
COMMENT ON FUNCTION dataops._openlineage_producer() IS
'The producer URI of dataops'' OpenLineage events and facets: urn:postgresql:extension:dataops:<version>';

CREATE FUNCTION dataops._openlineage_facet(body jsonb, schema_file text, def text) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$ SELECT pg_catalog.jsonb_build_object(
         '_producer', dataops._openlineage_producer(),
         '_schemaURL', pg_catalog.concat('https://openlineage.io/spec/facets/', schema_file, '#/$defs/', def))
         OPERATOR(pg_catalog.||) body $$;
COMMENT ON FUNCTION dataops._openlineage_facet(jsonb, text, text) IS
'An OpenLineage facet: body with _producer and the _schemaURL of the facet schema (version/File.json) and definition';

CREATE FUNCTION dataops._openlineage_schema_facet(relation text) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
  SELECT dataops._openlineage_facet(pg_catalog.jsonb_build_object('fields',
           pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('name', a.attname,
                                'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
                                'ordinal_position', a.attnum) ORDER BY a.attnum)),
           '1-2-0/SchemaDatasetFacet.json', 'SchemaDatasetFacet')
    FROM pg_catalog.pg_attribute a
   WHERE a.attrelid OPERATOR(pg_catalog.=) pg_catalog.to_regclass(relation)
     AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
  HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 0 $$;
COMMENT ON FUNCTION dataops._openlineage_schema_facet(text) IS
'OpenLineage schema facet of a relation (schema.table, quoted as needed): its columns and types; NULL if it does not exist';

CREATE FUNCTION dataops._openlineage_step_event(p_step_run_id bigint, p_event_type text) RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    sr record;
    r record;
    st record;
    ns text := dataops._openlineage_namespace();
    file_ns text := 'file://' OPERATOR(pg_catalog.||) dataops._openlineage_host();
    tgt text;
    inputs jsonb;
    ds_facets jsonb := '{}';
    out_facets jsonb := '{}';
    run_facets jsonb;
    job_facets jsonb;
    cl jsonb;
    cl_dataset jsonb;
    assertions jsonb;
    schema_facet jsonb;
    event_time timestamptz;
BEGIN
    SELECT * INTO sr FROM dataops.step_runs s WHERE s.step_run_id OPERATOR(pg_catalog.=) p_step_run_id;
    IF NOT FOUND OR sr.started_at IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT * INTO r FROM dataops.runs x WHERE x.run_id OPERATOR(pg_catalog.=) sr.run_id;
    SELECT * INTO st FROM dataops.steps x
     WHERE x.pipeline OPERATOR(pg_catalog.=) r.pipeline AND x.name OPERATOR(pg_catalog.=) sr.step;
    IF st.name IS NOT NULL THEN
        tgt := pg_catalog.quote_ident(st.target_schema) OPERATOR(pg_catalog.||) '.'
               OPERATOR(pg_catalog.||) pg_catalog.quote_ident(st.target_table);
    ELSE
        tgt := sr.target;
    END IF;
    event_time := CASE WHEN p_event_type OPERATOR(pg_catalog.=) 'START' THEN sr.started_at
                       ELSE coalesce(sr.finished_at, sr.started_at) END;

    -- inputs: the relations the query reads (its lineage, else what the DAG found), and this run's files
    SELECT pg_catalog.jsonb_agg(d ORDER BY d OPERATOR(pg_catalog.->>) 'name') INTO inputs FROM (
        SELECT pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('namespace', ns, 'name', rel,
                   'facets', CASE WHEN sf IS NOT NULL THEN pg_catalog.jsonb_build_object('schema', sf) END)) AS d
          FROM (SELECT rel, dataops._openlineage_schema_facet(rel) AS sf FROM (
                  SELECT DISTINCT l.source_relation AS rel FROM dataops.lineage l
                   WHERE l.pipeline OPERATOR(pg_catalog.=) r.pipeline AND l.step OPERATOR(pg_catalog.=) sr.step
                     AND l.source_column IS NULL AND l.source_relation NOT LIKE '/%'
                  UNION
                  SELECT u.rel FROM pg_catalog.unnest(st.reads) u(rel)
                   WHERE NOT EXISTS (SELECT 1 FROM dataops.lineage l
                                      WHERE l.pipeline OPERATOR(pg_catalog.=) r.pipeline
                                        AND l.step OPERATOR(pg_catalog.=) sr.step)) rels) rs
        UNION ALL
        SELECT pg_catalog.jsonb_build_object('namespace', file_ns, 'name', f.path)
          FROM dataops.ingested_files f
         WHERE f.run_id OPERATOR(pg_catalog.=) sr.run_id AND f.target OPERATOR(pg_catalog.=) sr.target) i;

    -- the target: schema, column lineage, quality assertions, row count
    schema_facet := dataops._openlineage_schema_facet(tgt);
    IF schema_facet IS NOT NULL THEN
        ds_facets := ds_facets OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('schema', schema_facet);
    END IF;
    WITH edges AS (
        SELECT l.target_column, l.source_relation, l.source_column, l.transformation
          FROM dataops.lineage l
         WHERE l.pipeline OPERATOR(pg_catalog.=) r.pipeline AND l.step OPERATOR(pg_catalog.=) sr.step
           AND l.source_column IS NOT NULL),
    indirect AS (
        SELECT e.source_relation, e.source_column,
               pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('type', 'INDIRECT', 'subtype', e.transformation)
                                    ORDER BY e.transformation) AS t
          FROM edges e WHERE e.target_column IS NULL GROUP BY 1, 2),
    per_field AS (
        SELECT c.target_column, x.source_relation, x.source_column,
               pg_catalog.jsonb_agg(x.t ORDER BY x.ord, x.t OPERATOR(pg_catalog.->>) 'subtype') AS t
          FROM (SELECT DISTINCT e.target_column FROM edges e WHERE e.target_column IS NOT NULL) c
          CROSS JOIN LATERAL (
              SELECT e.source_relation, e.source_column, 0 AS ord,
                     pg_catalog.jsonb_build_object('type', 'DIRECT', 'subtype', coalesce(e.transformation, 'TRANSFORMATION')) AS t
                FROM edges e WHERE e.target_column OPERATOR(pg_catalog.=) c.target_column
              UNION ALL
              SELECT i.source_relation, i.source_column, 1, pg_catalog.jsonb_array_elements(i.t)
                FROM indirect i) x
         GROUP BY 1, 2, 3)
    SELECT (SELECT pg_catalog.jsonb_object_agg(f.target_column, pg_catalog.jsonb_build_object('inputFields', f.fields))
              FROM (SELECT p.target_column,
                           pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('namespace', ns, 'name', p.source_relation,
                                                'field', p.source_column, 'transformations', p.t)
                                                ORDER BY p.source_relation, p.source_column) AS fields
                      FROM per_field p GROUP BY p.target_column) f),
           (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('namespace', ns, 'name', i.source_relation,
                                        'field', i.source_column, 'transformations', i.t)
                                        ORDER BY i.source_relation, i.source_column)
              FROM indirect i)
      INTO cl, cl_dataset;
    IF cl IS NOT NULL THEN
        ds_facets := ds_facets OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('columnLineage',
            dataops._openlineage_facet(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('fields', cl, 'dataset', cl_dataset)),
                                       '1-2-0/ColumnLineageDatasetFacet.json', 'ColumnLineageDatasetFacet'));
    END IF;
    IF p_event_type OPERATOR(pg_catalog.<>) 'START' THEN
        SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                   'assertion', e.kind, 'name', e.expectation, 'success', e.success, 'column', e.column_name,
                   'severity', CASE e.action WHEN 'fail' THEN 'error' ELSE 'warn' END))
                   ORDER BY e.expectation)
          INTO assertions
          FROM dataops.expectation_results e
         WHERE e.run_id OPERATOR(pg_catalog.=) sr.run_id AND e.step OPERATOR(pg_catalog.=) sr.step
           AND e.attempt OPERATOR(pg_catalog.=) sr.attempt;
        IF assertions IS NOT NULL THEN
            ds_facets := ds_facets OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('dataQualityAssertions',
                dataops._openlineage_facet(pg_catalog.jsonb_build_object('assertions', assertions),
                                           '1-1-0/DataQualityAssertionsDatasetFacet.json', 'DataQualityAssertionsDatasetFacet'));
        END IF;
        IF sr.rows_written IS NOT NULL THEN
            out_facets := pg_catalog.jsonb_build_object('outputStatistics',
                dataops._openlineage_facet(pg_catalog.jsonb_build_object('rowCount', sr.rows_written),
                                           '1-0-2/OutputStatisticsOutputDatasetFacet.json', 'OutputStatisticsOutputDatasetFacet'));
        END IF;
    END IF;

    run_facets := pg_catalog.jsonb_build_object('parent',
        dataops._openlineage_facet(pg_catalog.jsonb_build_object(
            'run', pg_catalog.jsonb_build_object('runId', dataops._openlineage_uuid('run', sr.run_id)),
            'job', pg_catalog.jsonb_build_object('namespace', ns, 'name', r.pipeline),
            'root', pg_catalog.jsonb_build_object(
                'run', pg_catalog.jsonb_build_object('runId', dataops._openlineage_uuid('run', sr.run_id)),
                'job', pg_catalog.jsonb_build_object('namespace', ns, 'name', r.pipeline))),
            '1-2-0/ParentRunFacet.json', 'ParentRunFacet'));
    IF p_event_type IN ('FAIL', 'ABORT') AND sr.error_message IS NOT NULL THEN
        run_facets := run_facets OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('errorMessage',
            dataops._openlineage_facet(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                'message', sr.error_message, 'programmingLanguage', 'SQL',
                'stackTrace', CASE WHEN sr.error_sqlstate IS NOT NULL
                                   THEN pg_catalog.concat_ws(E'\n', 'SQLSTATE ' OPERATOR(pg_catalog.||) sr.error_sqlstate,
                                                             sr.error_detail) END)),
                '1-0-1/ErrorMessageRunFacet.json', 'ErrorMessageRunFacet'));
    END IF;
    job_facets := pg_catalog.jsonb_build_object('jobType',
        dataops._openlineage_facet(pg_catalog.jsonb_build_object('processingType', 'BATCH', 'integration', 'DATAOPS',
                                                                 'jobType', 'TASK'),
                                   '2-0-4/JobTypeJobFacet.json', 'JobTypeJobFacet'));
    IF st.query IS NOT NULL THEN
        job_facets := job_facets OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('sql',
            dataops._openlineage_facet(pg_catalog.jsonb_build_object('query', st.query, 'dialect', 'postgres'),
                                       '1-1-0/SQLJobFacet.json', 'SQLJobFacet'));
    END IF;

    RETURN pg_catalog.jsonb_build_object(
        'eventType', p_event_type,
        'eventTime', event_time,
        'producer', dataops._openlineage_producer(),
        'schemaURL', 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
        'run', pg_catalog.jsonb_build_object('runId', dataops._openlineage_uuid('step', sr.step_run_id), 'facets', run_facets),
        'job', pg_catalog.jsonb_build_object('namespace', ns, 'name', r.pipeline OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) sr.step,
                                             'facets', job_facets),
        'inputs', coalesce(inputs, '[]'),
        'outputs', pg_catalog.jsonb_build_array(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
            'namespace', ns, 'name', sr.target,
            'facets', ds_facets,
            'outputFacets', CASE WHEN out_facets OPERATOR(pg_catalog.<>) '{}' THEN out_facets END))));
END
$$;
COMMENT ON FUNCTION dataops._openlineage_step_event(bigint, text) IS
'The OpenLineage RunEvent of a step attempt (step_run_id) of the given type (START, COMPLETE, FAIL, ABORT): job <pipeline>.<step>, parent run facet to the pipeline run, inputs, the target with schema, columnLineage and dataQualityAssertions facets and outputStatistics, the sql job facet, errorMessage on FAIL and ABORT; NULL for an attempt that never started';

CREATE FUNCTION dataops._openlineage_run_event(p_run_id bigint, p_event_type text) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
  SELECT pg_catalog.jsonb_build_object(
        'eventType', p_event_type,
        'eventTime', CASE WHEN p_event_type OPERATOR(pg_catalog.=) 'START' THEN r.started_at
                          ELSE coalesce(r.finished_at, r.started_at) END,
        'producer', dataops._openlineage_producer(),
        'schemaURL', 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
        'run', pg_catalog.jsonb_build_object('runId', dataops._openlineage_uuid('run', r.run_id),
                 'facets', CASE WHEN p_event_type IN ('FAIL', 'ABORT') AND r.error_message IS NOT NULL THEN
                   pg_catalog.jsonb_build_object('errorMessage', dataops._openlineage_facet(
                     pg_catalog.jsonb_build_object('message', r.error_message, 'programmingLanguage', 'SQL'),
                     '1-0-1/ErrorMessageRunFacet.json', 'ErrorMessageRunFacet'))
                   ELSE '{}' END),
        'job', pg_catalog.jsonb_build_object('namespace', dataops._openlineage_namespace(), 'name', r.pipeline,
                 'facets', pg_catalog.jsonb_build_object('jobType', dataops._openlineage_facet(
                   pg_catalog.jsonb_build_object('processingType', 'BATCH', 'integration', 'DATAOPS', 'jobType', 'DAG'),
                   '2-0-4/JobTypeJobFacet.json', 'JobTypeJobFacet'))),
        'inputs', '[]'::jsonb, 'outputs', '[]'::jsonb)
    FROM dataops.runs r
   WHERE r.run_id OPERATOR(pg_catalog.=) p_run_id AND r.started_at IS NOT NULL $$;
COMMENT ON FUNCTION dataops._openlineage_run_event(bigint, text) IS
'The OpenLineage RunEvent of a pipeline run (job <pipeline>, the parent of its steps'' runs) of the given type; NULL for a run that never started';

CREATE FUNCTION dataops._openlineage_end_type(status text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$ SELECT CASE status WHEN 'succeeded' THEN 'COMPLETE' WHEN 'failed' THEN 'FAIL' WHEN 'crashed' THEN 'FAIL'
                         WHEN 'canceled' THEN 'ABORT' WHEN 'timed_out' THEN 'ABORT' END $$;
COMMENT ON FUNCTION dataops._openlineage_end_type(text) IS
'OpenLineage eventType ending a run or step attempt of this dataops status: succeeded COMPLETE, failed and crashed FAIL, canceled and timed_out ABORT; NULL for other statuses';

CREATE FUNCTION dataops.openlineage_events(run_id bigint) RETURNS SETOF jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
  SELECT e FROM (
    SELECT 0 AS part, 0::bigint AS ord, 0 AS sub, dataops._openlineage_run_event(r.run_id, 'START') AS e
      FROM dataops.runs r WHERE r.run_id OPERATOR(pg_catalog.=) $1
    UNION ALL
    SELECT 1, s.step_run_id, x.sub, dataops._openlineage_step_event(s.step_run_id, x.t)
      FROM dataops.step_runs s
     CROSS JOIN LATERAL (VALUES (0, 'START'), (1, dataops._openlineage_end_type(s.status))) x(sub, t)
     WHERE s.run_id OPERATOR(pg_catalog.=) $1 AND s.started_at IS NOT NULL AND x.t IS NOT NULL
    UNION ALL
    SELECT 2, 0, 0, dataops._openlineage_run_event(r.run_id, dataops._openlineage_end_type(r.status))
      FROM dataops.runs r
     WHERE r.run_id OPERATOR(pg_catalog.=) $1 AND dataops._openlineage_end_type(r.status) IS NOT NULL) ev
   WHERE e IS NOT NULL
   ORDER BY part, (SELECT s.started_at FROM dataops.step_runs s WHERE s.step_run_id OPERATOR(pg_catalog.=) ev.ord), ord, sub $$;
COMMENT ON FUNCTION dataops.openlineage_events(bigint) IS
'OpenLineage 2-0-2 RunEvents of a run: START of the pipeline job, START and COMPLETE / FAIL / ABORT of every step attempt (job <pipeline>.<step>), then the pipeline''s end; rows of runs the caller may not see are not returned';

CREATE FUNCTION dataops._openlineage_events_for_event(event_id bigint) RETURNS SETOF jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
  SELECT x.e FROM dataops.events ev
   CROSS JOIN LATERAL (
      SELECT dataops._openlineage_step_event(s.step_run_id,
               CASE WHEN ev.status OPERATOR(pg_catalog.=) 'running' THEN 'START' ELSE dataops._openlineage_end_type(ev.status) END) AS e
        FROM dataops.step_runs s
       WHERE ev.kind OPERATOR(pg_catalog.=) 'step' AND s.run_id OPERATOR(pg_catalog.=) ev.run_id
         AND s.step OPERATOR(pg_catalog.=) ev.step
         AND s.attempt OPERATOR(pg_catalog.=) coalesce(CAST(ev.details OPERATOR(pg_catalog.->>) 'attempt' AS integer), 1)
         AND (ev.status OPERATOR(pg_catalog.=) 'running' OR dataops._openlineage_end_type(ev.status) IS NOT NULL)
      UNION ALL
      SELECT dataops._openlineage_run_event(ev.run_id,
               CASE WHEN ev.status OPERATOR(pg_catalog.=) 'running' THEN 'START' ELSE dataops._openlineage_end_type(ev.status) END)
       WHERE ev.kind OPERATOR(pg_catalog.=) 'run'
         AND (ev.status OPERATOR(pg_catalog.=) 'running' OR dataops._openlineage_end_type(ev.status) IS NOT NULL)) x
   WHERE ev.event_id OPERATOR(pg_catalog.=) $1 AND x.e IS NOT NULL $$;
COMMENT ON FUNCTION dataops._openlineage_events_for_event(bigint) IS
'OpenLineage RunEvents for one dataops event (for the notifications outbox, format openlineage): step running START, succeeded COMPLETE, failed and crashed FAIL, canceled and timed_out ABORT of that attempt; run events likewise for the pipeline job; none for other events';

-- ===== metrics

-- ===== views for people
