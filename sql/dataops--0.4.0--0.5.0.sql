/* dataops 0.4.0 -> 0.5.0: safe on a shared server (issue: security and backups) */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION dataops UPDATE TO '0.5.0'" to load this file. \quit

-- ===================================================================== catalog
-- (history visibility, audit, dump and restore)

-- ===================================================================== files and regex
-- (the checks themselves are in C: src/ingest.c, src/regex.c, src/api.c)

COMMENT ON FUNCTION dataops.add_step(text, text, text, text, text, text, text[], text, jsonb) IS
'Adds a step: bronze reads CSV files (source: a path or glob, read by the server as the pipeline owner, who needs the privileges of pg_read_server_files) or a query; silver and gold publish one SELECT into target';

COMMENT ON FUNCTION dataops.regex_match(text, text) IS
'True when the PCRE2 pattern matches somewhere in value (unanchored search, UTF-8, JIT-compiled and cached); at most 1,000,000 backtracking steps per start position and 10 s per value, else error 54001';

COMMENT ON FUNCTION dataops.regex_match(text, text, text) IS
'True when the PCRE2 pattern matches somewhere in value; flags: i (case-insensitive), m (multiline), s (dot matches newline), x (extended); limits as regex_match(text, text)';

COMMENT ON FUNCTION dataops.regex_extract(text, text, integer) IS
'Text matched by capture group grp (0: the whole match) of the first PCRE2 match in value; NULL when nothing matches or the group took no part; limits as regex_match';

COMMENT ON FUNCTION dataops.regex_replace(text, text, text) IS
'value with every PCRE2 match of pattern replaced by replacement ($1, ${name} refer to groups); limits as regex_match, for all the matches together';

-- ===================================================================== orchestration

-- ===================================================================== publish

-- ===================================================================== suites
