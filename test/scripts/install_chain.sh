#!/usr/bin/env bash
# The upgrade chain: a fresh install of the current version and an install
# of 0.1.0 upgraded through every script (ALTER EXTENSION dataops UPDATE)
# must have the same catalog: columns (names, types, defaults, NOT NULL),
# constraints, indexes, triggers, views, sequences, function definitions,
# comments on every object, grants, row-level security and its policies,
# the extension's members, its schema, configuration tables and version, and
# the dataops schema's owner and membership.  Data written by 0.1.0 must
# survive the upgrade with its values; the upgraded database must dump and
# restore, and DROP EXTENSION must remove its schema.
#
# 0.1.0 to 0.4.0 shipped a control file with schema = dataops (CREATE
# EXTENSION made that schema, outside the extension, and recorded it as the
# extension's schema); today's names pg_catalog.  A secondary control file
# dataops--0.1.0.control with schema = dataops, present only while the 0.1.0
# install is made, reproduces such an install.
set -euo pipefail
: "${DATAOPS_BASE:?run through test/pg.sh}"
PG_CONFIG=${PG_CONFIG:-pg_config}
FRESH=dataops_chain_fresh
OLD=dataops_chain_upgraded
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
val() { psql -d "$1" -At -c "$2"; }
fail() { echo "install_chain.sh: FAIL: $*" >&2; exit 1; }
if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo); fi

AUX="$("$PG_CONFIG" --sharedir)/extension/dataops--0.1.0.control"
TMP=$(mktemp -d /tmp/dataops-chain.XXXXXX)
trap '"${SUDO[@]}" rm -f "$AUX"; rm -rf "$TMP"' EXIT

for db in $FRESH $OLD; do
    psql -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
done

psql -d $FRESH -c "CREATE EXTENSION dataops"

# ---- 0.1.0, as its control file installed it
echo "schema = dataops" | "${SUDO[@]}" tee "$AUX" >/dev/null
psql -d $OLD -c "CREATE EXTENSION dataops VERSION '0.1.0'"
"${SUDO[@]}" rm -f "$AUX"
[ "$(val $OLD "SELECT extversion || ' ' || extnamespace::regnamespace FROM pg_extension WHERE extname = 'dataops'")" = "0.1.0 dataops" ] \
    || fail "the 0.1.0 install is not in schema dataops"

# Representative 0.1.0 data, as 0.1.0's functions wrote it: a pipeline with a
# bronze step reading files (CSV options), a silver step with a key and keep,
# expectations, and a run with its step runs (one skipped, a status only
# 0.1.0 and 0.2.0 recorded), an expectation result, lineage and an ingested file.
psql -d $OLD >/dev/null <<'SQL'
INSERT INTO dataops.pipelines (name, description, owner, created_at)
VALUES ('people', 'bronze to silver', 'postgres', '2024-01-02 03:04:05+00');
INSERT INTO dataops.steps (pipeline, name, layer, target_schema, target_table, query, source, unique_key, keep,
                           options, search_path, depends_on, reads, created_at)
VALUES ('people', 'raw', 'bronze', 'bronze', 'people_raw', NULL, '/data/in/people-*.csv', NULL, NULL,
        '{"delimiter": ";", "header": true}', '"$user", public', '{}', '{}', '2024-01-02 03:04:06+00'),
       ('people', 'clean', 'silver', 'silver', 'people',
        'SELECT user_id, lower(email) AS email FROM bronze.people_raw', NULL, '{user_id}', 'email DESC',
        '{}', '"$user", public', '{raw}', '{bronze.people_raw}', '2024-01-02 03:04:07+00');
INSERT INTO dataops.expectations (pipeline, step, name, kind, column_name, args, action, mostly, created_at)
VALUES ('people', 'clean', 'email_ok', 'match_regex', 'email', '{"pattern": "@"}', 'drop', 0.9, '2024-01-02 03:04:08+00'),
       ('people', 'clean', 'id_nn', 'not_null', 'user_id', '{}', 'fail', 1.0, '2024-01-02 03:04:09+00');
INSERT INTO dataops.runs (pipeline, status, full_refresh, triggered_by, queued_at, started_at, finished_at,
                          error_message, failed_step, worker_pid)
VALUES ('people', 'failed', false, 'postgres', '2024-01-03 00:00:00+00', '2024-01-03 00:00:01+00',
        '2024-01-03 00:00:02+00', 'expectation "id_nn" of step "clean" failed', 'clean', 4242),
       ('people', 'succeeded', true, 'postgres (pg_cron)', '2024-01-04 00:00:00+00', '2024-01-04 00:00:01+00',
        '2024-01-04 00:00:03+00', NULL, NULL, 4343);
INSERT INTO dataops.step_runs (run_id, step, layer, target, status, rows_read, rows_written, duplicates_removed,
                               rows_quarantined, files_ingested, files_skipped, started_at, finished_at, error_message)
VALUES (1, 'raw', 'bronze', 'bronze.people_raw', 'failed', 0, 0, 0, 0, 0, 0,
        '2024-01-03 00:00:01+00', '2024-01-03 00:00:02+00', 'expectation "id_nn" of step "clean" failed'),
       (1, 'clean', 'silver', 'silver.people', 'skipped', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
       (2, 'raw', 'bronze', 'bronze.people_raw', 'succeeded', 10, 10, 0, 0, 2, 0,
        '2024-01-04 00:00:01+00', '2024-01-04 00:00:02+00', NULL),
       (2, 'clean', 'silver', 'silver.people', 'succeeded', 10, 8, 1, 1, NULL, NULL,
        '2024-01-04 00:00:02+00', '2024-01-04 00:00:03+00', NULL);
INSERT INTO dataops.expectation_results (run_id, step, expectation, kind, action, column_name, mostly, element_count,
                                         missing_count, unexpected_count, unexpected_percent, observed_value,
                                         success, partial_unexpected_list, checked_at)
VALUES (2, 'clean', 'email_ok', 'match_regex', 'drop', 'email', 0.9, 9, 0, 1, 11.11, NULL, true,
        '["nobody"]', '2024-01-04 00:00:03+00');
INSERT INTO dataops.lineage (pipeline, step, source_relation, source_column, target_relation, target_column, run_id, recorded_at)
VALUES ('people', 'clean', 'bronze.people_raw', 'email', 'silver.people', 'email', 2, '2024-01-04 00:00:03+00');
INSERT INTO dataops.ingested_files (target, path, size_bytes, sha256, rows_loaded, run_id, ingested_at)
VALUES ('bronze.people_raw', '/data/in/people-1.csv', 123, repeat('ab', 32), 5, 2, '2024-01-04 00:00:02+00');
SQL

psql -d $OLD -c "ALTER EXTENSION dataops UPDATE"
[ "$(val $OLD "SELECT extversion FROM pg_extension WHERE extname = 'dataops'")" = \
  "$(val $FRESH "SELECT extversion FROM pg_extension WHERE extname = 'dataops'")" ] \
    || fail "ALTER EXTENSION UPDATE did not reach the default version"

# ---- the catalog, as sorted lines of text (no OIDs)
cat >"$TMP/catalog.sql" <<'SQL'
WITH ext AS (SELECT oid FROM pg_extension WHERE extname = 'dataops'),
nsp AS (SELECT oid FROM pg_namespace WHERE nspname = 'dataops'),
members AS (SELECT d.classid, d.objid FROM pg_depend d, ext
             WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'),
rels AS (SELECT c.* FROM pg_class c, nsp WHERE c.relnamespace = nsp.oid),
acl AS (SELECT NULL)
SELECT line FROM (
    -- the extension itself
    SELECT 'extension: ' || e.extname || ' ' || e.extversion || ' schema ' || e.extnamespace::regnamespace
           || ' relocatable ' || e.extrelocatable || ' owner ' || pg_get_userbyid(e.extowner)
           || ' config ' || coalesce((SELECT string_agg(c::regclass::text || '=' || coalesce(w, ''), ', ' ORDER BY c::regclass::text)
                                        FROM unnest(e.extconfig, e.extcondition) AS x(c, w)), '') AS line
      FROM pg_extension e WHERE e.extname = 'dataops'
    -- its members (and, for the record, anything in the schema that is not one)
    UNION ALL
    SELECT 'member: ' || pg_describe_object(m.classid, m.objid, 0) FROM members m
    UNION ALL
    SELECT 'dependency of the extension: ' || pg_describe_object(d.refclassid, d.refobjid, d.refobjsubid) || ' (' || d.deptype::text || ')'
      FROM pg_depend d, ext WHERE d.classid = 'pg_extension'::regclass AND d.objid = ext.oid
    UNION ALL
    SELECT 'not a member: ' || pg_describe_object('pg_class'::regclass, c.oid, 0) FROM rels c
     WHERE c.relkind IN ('r', 'v', 'S', 'p', 'm', 'c', 'f')
       AND NOT EXISTS (SELECT 1 FROM members m WHERE m.classid = 'pg_class'::regclass AND m.objid = c.oid)
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('i', 'a'))
    UNION ALL
    SELECT 'not a member: ' || pg_describe_object('pg_proc'::regclass, p.oid, 0) FROM pg_proc p, nsp
     WHERE p.pronamespace = nsp.oid
       AND NOT EXISTS (SELECT 1 FROM members m WHERE m.classid = 'pg_proc'::regclass AND m.objid = p.oid)
    -- the schema
    UNION ALL
    SELECT 'schema: ' || n.nspname || ' owner ' || pg_get_userbyid(n.nspowner)
           || ' acl ' || coalesce((SELECT string_agg(a::text, ',' ORDER BY a::text) FROM unnest(n.nspacl) a), '-')
      FROM pg_namespace n, nsp WHERE n.oid = nsp.oid
    -- relations: kind, owner, grants, row security, options
    UNION ALL
    SELECT 'relation: ' || c.relname || ' kind ' || c.relkind::text || ' owner ' || pg_get_userbyid(c.relowner)
           || ' persistence ' || c.relpersistence::text || ' rls ' || c.relrowsecurity || '/' || c.relforcerowsecurity
           || ' options ' || coalesce(array_to_string(c.reloptions, ','), '-')
           || ' acl ' || coalesce((SELECT string_agg(a::text, ',' ORDER BY a::text) FROM unnest(c.relacl) a), '-')
      FROM rels c
    -- columns
    UNION ALL
    SELECT 'column: ' || c.relname || '.' || a.attname || ' #' || a.attnum || ' ' || format_type(a.atttypid, a.atttypmod)
           || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
           || coalesce(' DEFAULT ' || pg_get_expr(ad.adbin, ad.adrelid), '')
           || CASE WHEN a.attidentity <> '' THEN ' identity ' || a.attidentity::text ELSE '' END
           || CASE WHEN a.attgenerated <> '' THEN ' generated ' || a.attgenerated::text ELSE '' END
           || CASE WHEN a.attcollation <> 0 THEN ' collate ' || a.attcollation::regcollation ELSE '' END
           || coalesce(' acl ' || (SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest(a.attacl) x), '')
      FROM rels c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
     WHERE c.relkind IN ('r', 'v', 'p', 'm', 'c', 'f')
    -- constraints
    UNION ALL
    SELECT 'constraint: ' || c.relname || ' ' || k.conname || ' ' || pg_get_constraintdef(k.oid)
           || CASE WHEN k.condeferrable THEN ' deferrable' ELSE '' END
      FROM pg_constraint k JOIN rels c ON c.oid = k.conrelid
    -- indexes
    UNION ALL
    SELECT 'index: ' || pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN rels c ON c.oid = i.indrelid
    -- triggers
    UNION ALL
    SELECT 'trigger: ' || pg_get_triggerdef(t.oid) || ' enabled ' || t.tgenabled::text
      FROM pg_trigger t JOIN rels c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal
    -- views
    UNION ALL
    SELECT 'view: ' || c.relname || ' ' || pg_get_viewdef(c.oid) FROM rels c WHERE c.relkind IN ('v', 'm')
    -- sequences
    UNION ALL
    SELECT 'sequence: ' || c.relname || ' ' || format_type(s.seqtypid, NULL) || ' start ' || s.seqstart || ' increment ' || s.seqincrement
           || ' min ' || s.seqmin || ' max ' || s.seqmax || ' cache ' || s.seqcache || ' cycle ' || s.seqcycle
           || coalesce(' owned by ' || (SELECT d.refobjid::regclass || '.' || a.attname FROM pg_depend d
                                          JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                                         WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'a'), '')
      FROM pg_sequence s JOIN rels c ON c.oid = s.seqrelid
    -- row-level security policies
    UNION ALL
    SELECT 'policy: ' || c.relname || ' ' || p.polname || ' ' || p.polcmd::text || ' permissive ' || p.polpermissive
           || ' roles ' || (SELECT string_agg(CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r) END, ',' ORDER BY 1) FROM unnest(p.polroles) r)
           || ' using ' || coalesce(pg_get_expr(p.polqual, p.polrelid), '-')
           || ' check ' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '-')
      FROM pg_policy p JOIN rels c ON c.oid = p.polrelid
    -- rules other than views' own
    UNION ALL
    SELECT 'rule: ' || pg_get_ruledef(r.oid) FROM pg_rewrite r JOIN rels c ON c.oid = r.ev_class WHERE r.rulename <> '_RETURN'
    -- functions, procedures, aggregates: definition, owner, grants
    UNION ALL
    SELECT 'function: ' || p.oid::regprocedure || ' kind ' || p.prokind::text || ' owner ' || pg_get_userbyid(p.proowner)
           || ' cost ' || p.procost || ' rows ' || p.prorows || ' parallel ' || p.proparallel::text
           || ' acl ' || coalesce((SELECT string_agg(a::text, ',' ORDER BY a::text) FROM unnest(p.proacl) a), '-')
           || E'\n' || CASE WHEN p.prokind = 'a' THEN
                  (SELECT 'aggregate sfunc ' || g.aggtransfn::regproc || ' stype ' || format_type(g.aggtranstype, NULL)
                          || ' final ' || g.aggfinalfn::regproc || ' init ' || coalesce(g.agginitval, '-')
                     FROM pg_aggregate g WHERE g.aggfnoid = p.oid)
              ELSE pg_get_functiondef(p.oid) END
      FROM pg_proc p, nsp WHERE p.pronamespace = nsp.oid
    -- composite and other types in the schema (tables' row types aside)
    UNION ALL
    SELECT 'type: ' || t.oid::regtype || ' ' || t.typtype::text FROM pg_type t, nsp
     WHERE t.typnamespace = nsp.oid AND t.typrelid = 0 AND t.typelem = 0
    -- comments on every object in the schema, the schema itself, and the extension's members
    UNION ALL
    SELECT 'comment: ' || pg_describe_object(d.classoid, d.objoid, d.objsubid) || ' = ' || d.description
      FROM pg_description d, nsp
     WHERE (d.classoid = 'pg_namespace'::regclass AND d.objoid = nsp.oid)
        OR EXISTS (SELECT 1 FROM members m WHERE m.classid = d.classoid AND m.objid = d.objoid)
        OR (d.classoid = 'pg_class'::regclass AND d.objoid IN (SELECT oid FROM rels))
        OR (d.classoid = 'pg_constraint'::regclass AND d.objoid IN (SELECT k.oid FROM pg_constraint k JOIN rels c ON c.oid = k.conrelid))
        OR (d.classoid = 'pg_trigger'::regclass AND d.objoid IN (SELECT t.oid FROM pg_trigger t JOIN rels c ON c.oid = t.tgrelid))
        OR (d.classoid = 'pg_policy'::regclass AND d.objoid IN (SELECT p.oid FROM pg_policy p JOIN rels c ON c.oid = p.polrelid))
        OR (d.classoid = 'pg_proc'::regclass AND d.objoid IN (SELECT p.oid FROM pg_proc p WHERE p.pronamespace = nsp.oid))
    -- objects without a comment (every SQL object has one)
    UNION ALL
    SELECT 'no comment: ' || pg_describe_object('pg_class'::regclass, c.oid, 0) FROM rels c
     WHERE c.relkind IN ('r', 'v', 'p', 'm') AND obj_description(c.oid, 'pg_class') IS NULL
    UNION ALL
    SELECT 'no comment: ' || pg_describe_object(p.tableoid, p.oid, 0) FROM pg_proc p, nsp
     WHERE p.pronamespace = nsp.oid AND obj_description(p.oid, 'pg_proc') IS NULL
) x
ORDER BY line;
SQL
catalog() { psql -d "$1" -At -f "$TMP/catalog.sql"; }
catalog $FRESH >"$TMP/fresh.txt"
catalog $OLD >"$TMP/upgraded.txt"
[ "$(grep -c '^member: ' "$TMP/fresh.txt")" -gt 50 ] || fail "the catalog query found too few members: $(head -5 "$TMP/fresh.txt")"
if ! diff -u --label "fresh install" --label "0.1.0 upgraded" "$TMP/fresh.txt" "$TMP/upgraded.txt" >"$TMP/diff.txt"; then
    cat "$TMP/diff.txt"
    fail "the upgraded catalog differs from a fresh install (lines above: - fresh, + upgraded)"
fi
grep -q '^member: schema dataops$' "$TMP/fresh.txt" || fail "the dataops schema is not a member of the extension"
if grep -q '^no comment: ' "$TMP/fresh.txt"; then
    grep '^no comment: ' "$TMP/fresh.txt"
    fail "objects without a comment"
fi

# ---- the 0.1.0 data, after the upgrade
check() { # <description> <query> <expected>
    local got
    got=$(val $OLD "$2")
    [ "$got" = "$3" ] || fail "$1: got '$got', expected '$3'"
}
check "pipeline" "SELECT name, description, owner, created_at, options, cron_jobid IS NULL FROM dataops.pipelines" \
    "people|bronze to silver|postgres|2024-01-02 03:04:05+00|{}|t"
check "steps" "SELECT string_agg(concat_ws('|', name, layer, target_schema, target_table, query, source, unique_key, keep, options,
                                            search_path, depends_on, reads, created_at), E'\n' ORDER BY name) FROM dataops.steps" \
"clean|silver|silver|people|SELECT user_id, lower(email) AS email FROM bronze.people_raw|{user_id}|email DESC|{}|\"\$user\", public|{raw}|{bronze.people_raw}|2024-01-02 03:04:07+00
raw|bronze|bronze|people_raw|/data/in/people-*.csv|{\"header\": true, \"delimiter\": \";\"}|\"\$user\", public|{}|{}|2024-01-02 03:04:06+00"
check "expectations" "SELECT string_agg(concat_ws('|', name, kind, column_name, args, action, mostly), E'\n' ORDER BY name) FROM dataops.expectations" \
"email_ok|match_regex|email|{\"pattern\": \"@\"}|drop|0.9
id_nn|not_null|user_id|{}|fail|1"
check "runs" "SELECT string_agg(concat_ws('|', run_id, kind, pipeline, status, full_refresh, triggered_by, owner, crash_count,
                                           cancel_requested, failed_step, worker_pid, finished_at), E'\n' ORDER BY run_id) FROM dataops.runs" \
"1|pipeline|people|failed|f|postgres|postgres|0|f|clean|4242|2024-01-03 00:00:02+00
2|pipeline|people|succeeded|t|postgres (pg_cron)|postgres|0|f|4343|2024-01-04 00:00:03+00"
check "step runs" "SELECT string_agg(concat_ws('|', run_id, step, attempt, status, rows_read, rows_written, duplicates_removed,
                                                rows_quarantined, files_ingested, step_run_id IS NOT NULL), E'\n' ORDER BY run_id, step) FROM dataops.step_runs" \
"1|clean|1|skipped|t
1|raw|1|failed|0|0|0|0|0|t
2|clean|1|succeeded|10|8|1|1|t
2|raw|1|succeeded|10|10|0|0|2|t"
check "expectation result" "SELECT concat_ws('|', run_id, step, expectation, attempt, result_format, suite, unexpected_count, success,
                                             partial_unexpected_list) FROM dataops.expectation_results" \
    '2|clean|email_ok|1|BASIC|1|t|["nobody"]'
check "lineage" "SELECT concat_ws('|', source_relation, source_column, target_relation, target_column, run_id) FROM dataops.lineage" \
    "bronze.people_raw|email|silver.people|email|2"
check "ingested file" "SELECT concat_ws('|', target, path, size_bytes, rows_loaded, run_id) FROM dataops.ingested_files" \
    "bronze.people_raw|/data/in/people-1.csv|123|5|2"
check "the last_runs view" "SELECT run_id || ' ' || status FROM dataops.last_runs" "2 succeeded"
# run ids continue after the upgraded ones
check "run id sequence" "SELECT last_value FROM dataops.runs_run_id_seq" "2"
# the upgraded definitions still work through the API
psql -d $OLD -c "SELECT dataops.set_pipeline_option('people', 'retries', '1')" >/dev/null
check "a definition change after the upgrade" \
    "SELECT count(*) || ' ' || min(owner) FROM dataops.events WHERE kind = 'definition' AND pipeline = 'people'" "1 postgres"

# the upgraded database dumps and restores (pg_dump writes CREATE EXTENSION
# with the extension's recorded schema, and the schema only if not a member)
DUMPED=${OLD}_restored
"$("$PG_CONFIG" --bindir)/pg_dump" -d $OLD -f "$TMP/upgraded.sql"
psql -d postgres -c "DROP DATABASE IF EXISTS $DUMPED WITH (FORCE)" -c "CREATE DATABASE $DUMPED"
psql -d $DUMPED -f "$TMP/upgraded.sql" >"$TMP/restore.log" 2>&1 || { cat "$TMP/restore.log"; fail "the upgraded database's dump does not restore"; }
[ "$(val $DUMPED "SELECT count(*) FROM dataops.runs")" = 2 ] || fail "the restored upgraded database lost its runs"
psql -d postgres -c "DROP DATABASE $DUMPED WITH (FORCE)"

# DROP EXTENSION removes the upgraded install's schema too
psql -d $OLD -c "DROP EXTENSION dataops"
check "the schema after DROP EXTENSION" "SELECT count(*) FROM pg_namespace WHERE nspname = 'dataops'" "0"

for db in $FRESH $OLD; do
    psql -d postgres -c "DROP DATABASE $db WITH (FORCE)"
done
echo "install_chain.sh: ok (0.1.0 upgraded to $(val postgres "SELECT default_version FROM pg_available_extensions WHERE name = 'dataops'") has a fresh install's catalog; its data survives)"
