/* dataops 0.7.0 -> 0.8.0: faster than the SQL a good engineer writes by
 * hand (issue 13).  Bronze tables created from now on fill _source_file and
 * _run_id with two cheap C functions instead of three current_setting()
 * calls per row; the rest of the speed-up is in the library. */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION dataops UPDATE TO '0.8.0'" to load this file. \quit

-- ===== ingest

CREATE FUNCTION dataops._ingest_source_file()
RETURNS text AS 'MODULE_PATHNAME', 'dataops_ingest_source_file'
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION dataops._ingest_source_file() IS
'default of a bronze table''s _source_file: the file the bronze step is loading in this session (outside a load, the setting dataops.source_file, or NULL)';

CREATE FUNCTION dataops._ingest_run_id()
RETURNS bigint AS 'MODULE_PATHNAME', 'dataops_ingest_run_id'
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION dataops._ingest_run_id() IS
'default of a bronze table''s _run_id: the run whose bronze step is loading a file in this session (outside a load, the setting dataops.run_id, or NULL)';
