#!/usr/bin/env bash
# dataops.export / dataops.apply across databases (issue 14, item 2): the
# definitions of a database exported, applied to another, empty database
# (created with another collation), and exported there give the same
# document; applying it again there changes nothing.  Odd names (quotes,
# dots, semicolons, mixed case, non-ASCII) exercise the target's parsing
# and the document's order.  pg_regress runs in one database, hence this
# script.
set -euo pipefail
: "${DATAOPS_BASE:?run through test/pg.sh}"
fail() { echo "export_roundtrip.sh: FAIL: $*" >&2; exit 1; }
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
A=dataops_export_a
B=dataops_export_b

psql -d postgres -c "DROP DATABASE IF EXISTS $A WITH (FORCE)" -c "DROP DATABASE IF EXISTS $B WITH (FORCE)" \
    -c "CREATE DATABASE $A" -c "CREATE DATABASE $B TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'"
for db in $A $B; do psql -d "$db" -c "CREATE EXTENSION dataops"; done

psql -d $A >/dev/null <<'SQL'
CREATE SCHEMA "we ird";
SELECT dataops.create_pipeline('zeta', 'last by name');
SELECT dataops.create_pipeline('Alpha', E'first, with a\nnewline');
SELECT dataops.create_pipeline('émile');
SELECT dataops.add_step('Alpha', 'b', 'bronze', 'a_raw', source => '/data/in/a-*.csv',
                        options => '{"header": true, "delimiter": "|", "null": "", "normalize_names": true}');
SELECT dataops.add_step('Alpha', 'Step.One', 'silver', '"we ird"."Sou;rce"',
                        query => E'SELECT x\n  FROM bronze.a_raw -- comment\n', unique_key => '{x,"Y"}', keep => 'x DESC NULLS LAST');
SELECT dataops.add_step('Alpha', 'a;b', 'gold', 'x"); DROP TABLE t; --',
                        query => 'SELECT count(*) AS n FROM "we ird"."Sou;rce"',
                        options => '{"materialization": "view"}');
SELECT dataops.add_step('Alpha', 'inc', 'gold', 'gold.inc',
                        query => 'SELECT x, 1 AS u FROM "we ird"."Sou;rce"', unique_key => '{x}',
                        options => '{"materialization": "incremental", "watermark": "u", "keep_versions": 3, "retries": 1, "retry_delay": "5 seconds"}');
SELECT dataops.add_expectation('Alpha', 'Step.One', 'x in set', 'in_set', 'x', '{"values": [1, 2, 3]}', 'fail', 0.5);
SELECT dataops.add_expectation('Alpha', 'Step.One', 'rows', 'row_count_between', NULL, '{"min": 1}');
SELECT dataops.add_expectation('Alpha', 'inc', 'expr', 'expression', NULL, '{"expression": "x > 0"}', 'drop');
SELECT dataops.create_suite('s2');
SELECT dataops.create_suite('S1');
SELECT dataops.add_suite_expectation('S1', 'n_nn', 'not_null', 'n');
SELECT dataops.add_suite_expectation('s2', 'n_pos', 'between', 'n', '{"min": 0, "max": 100}', 'warn', 0.99);
SELECT dataops.create_suite('unattached');
SELECT dataops.attach_suite('Alpha', 'a;b', 's2');
SELECT dataops.attach_suite('Alpha', 'a;b', 'S1');
SELECT dataops.set_pipeline_option('Alpha', 'timeout', '"1 hour"');
SELECT dataops.set_pipeline_option('Alpha', 'retry_on_crash', 'true');
SELECT dataops.set_pipeline_option('zeta', 'sla_deadline', '"06:00 Europe/Paris"');
SELECT dataops.set_pipeline_option('zeta', 'target_dq_score', '0.95');
SELECT dataops.add_dependency('zeta', 'Alpha');
SELECT dataops.add_dependency('zeta', 'émile');
SQL

doc=$(psql -d $A -At -c "SELECT dataops.export()")
[ "$(psql -d $A -At -v doc="$doc" <<< "SELECT count(*) FROM dataops.apply(:'doc')")" = 0 ] \
    || fail "applying the export to its own database changed something"
# apply in B: everything is created; a second apply does nothing
rows=$(psql -d $B -At -v doc="$doc" <<< "SELECT count(*) FROM dataops.apply(:'doc')")
[ "$rows" -gt 20 ] || fail "apply in the empty database made only $rows changes"
again=$(psql -d $B -At -v doc="$doc" <<< "SELECT count(*) FROM dataops.apply(:'doc')")
[ "$again" = 0 ] || fail "the second apply made $again changes"
docb=$(psql -d $B -At -c "SELECT dataops.export()")
same=$(psql -d $B -At -v a="$doc" -v b="$docb" <<< "SELECT :'a'::jsonb = :'b'::jsonb")
if [ "$same" != t ]; then
    echo "$doc" > /tmp/export_roundtrip.a.json; echo "$docb" > /tmp/export_roundtrip.b.json
    fail "export in $B differs from export in $A (see /tmp/export_roundtrip.[ab].json)"
fi
# the text of the two exports is the same too (key and array order)
[ "$doc" = "$docb" ] || fail "the exports are equal as jsonb but differ as text"
# and as YAML
[ "$(psql -d $A -At -c "SELECT dataops.export_yaml()")" = "$(psql -d $B -At -c "SELECT dataops.export_yaml()")" ] \
    || fail "the YAML exports differ"
order=$(psql -d $B -At -c "SELECT jsonb_path_query_array(dataops.export(), '\$.pipelines[*].name')::text")
[ "$order" = '["Alpha", "zeta", "émile"]' ] || fail "pipelines not in bytewise order: $order"
steps=$(psql -d $B -At -c "SELECT jsonb_path_query_array(dataops.export('Alpha'), '\$.pipelines[0].steps[*].name')::text")
[ "$steps" = '["b", "Step.One", "a;b", "inc"]' ] || fail "steps not in dependency order: $steps"

[ -n "${KEEP_DBS:-}" ] || psql -d postgres -c "DROP DATABASE $A WITH (FORCE)" -c "DROP DATABASE $B WITH (FORCE)"
echo "export_roundtrip.sh: ok (export of $A applied to an empty $B with C collation: same document, as JSON and YAML, second apply no change, odd names)"
