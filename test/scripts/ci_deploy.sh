#!/usr/bin/env bash
# The deploy recipe (contrib/ci/dataops-deploy) against the test cluster,
# with a directory of YAML pipeline files as a team keeps them in git:
# plan shows the creates (exit 2), apply creates them, plan again shows no
# change (exit 0); a changed query is one alter (run history kept); a step
# renamed with renamed_from keeps its history under the new name; a removed
# step makes plan exit 3 and apply refuse without --allow-drop (nothing
# changed), and --allow-drop drops it; a YAML error names its file; export
# writes files that plan finds equal to the database.  Each outcome is
# asserted: exit codes, output and the catalog.
set -euo pipefail
: "${PGHOST:?run through test/pg.sh}"
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEPLOY="$REPO/contrib/ci/dataops-deploy"
DB=dataops_ci_deploy
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
val() { psql -d "$DB" -At -c "$1"; }
fail() { echo "ci_deploy.sh: FAIL: $*" >&2; exit 1; }
TMP=$(mktemp -d)
cleanup() {
    rm -rf "$TMP"
    command psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

psql -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
psql -d "$DB" >/dev/null <<'SQL'
CREATE EXTENSION dataops;
CREATE TABLE public.ci_orders (id int, amount numeric, customer text);
INSERT INTO public.ci_orders VALUES (1, 10, 'Ann'), (2, -5, 'Bob'), (3, 7, 'ann');
CREATE TABLE public.ci_people (id int, name text);
INSERT INTO public.ci_people VALUES (1, 'Ann'), (2, 'Bob');
SQL

# deploy ARGS...: runs the recipe; sets $rc, $out (stdout) and $err (stderr)
# (CI_DEPLOY_SHOW=1 prints each command and its output)
deploy() {
    rc=0
    "$DEPLOY" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
    out=$(cat "$TMP/out"); err=$(cat "$TMP/err")
    if [ -n "${CI_DEPLOY_SHOW:-}" ]; then
        printf '\n$ dataops-deploy %s   [exit %s]\n%s\n%s\n' "$*" "$rc" "$out" "$err" | sed "s|$TMP|\$TMP|g" >&2
    fi
}
expect_rc() { # <rc> <what>
    [ "$rc" = "$1" ] || fail "$2: exit $rc, expected $1
--- stdout
$out
--- stderr
$err"
}
expect_out() { # <regex> <what>
    grep -Eq -- "$1" <<<"$out" || fail "$2: the output lacks /$1/
--- stdout
$out
--- stderr
$err"
}
expect_err() { # <regex> <what>
    grep -Eq -- "$1" <<<"$err" || fail "$2: stderr lacks /$1/
--- stdout
$out
--- stderr
$err"
}

D="$TMP/pipelines"
mkdir "$D"
# one pipeline per file: a pipeline entry, and a whole dataops/v1 document
write_sales() { # <clean step's name> <extra lines for clean> <with totals: yes/no>
    {
        cat <<EOF
# the sales pipeline, as the team keeps it in git
name: ci_sales
description: Orders, cleaned and summed per customer
steps:
- name: $1
$2
  layer: silver
  target: ci_deploy.orders_clean
  query: |
    SELECT id, amount, lower(customer) AS customer
      FROM public.ci_orders
$QUERY_EXTRA
  unique_key: [id]
  expectations:
  - name: amount_not_null
    kind: not_null
    column: amount
EOF
        if [ "$3" = yes ]; then
            cat <<'EOF'
- name: totals
  layer: gold
  target: ci_deploy.customer_totals
  query: SELECT customer, sum(amount) AS total FROM ci_deploy.orders_clean GROUP BY customer
EOF
        fi
    } | sed '/^$/d' > "$D/ci_sales.yaml"
}
QUERY_EXTRA=""
write_sales clean "" yes
cat > "$D/ci_people.yaml" <<'EOF'
format: dataops/v1
scope: pipelines
pipelines:
- name: ci_people
  steps:
  - name: people
    layer: silver
    target: ci_deploy.people
    query: "SELECT id, name FROM public.ci_people"
EOF

# ---- --help, usage errors, a missing or empty directory
deploy --help
expect_rc 0 "--help"; expect_out 'Exit status' "--help"; expect_out 'plan DIR' "--help"
deploy -d "$DB" plan "$TMP/nope"
expect_rc 1 "plan of a missing directory"; expect_err "no such directory: $TMP/nope" "plan of a missing directory"
mkdir "$TMP/empty"
deploy -d "$DB" plan "$TMP/empty"
expect_rc 1 "plan of an empty directory"; expect_err 'no \*\.yaml files in' "plan of an empty directory"
deploy -d "$DB" frobnicate "$D"
expect_rc 1 "an unknown command"; expect_err "unknown command 'frobnicate'" "an unknown command"

# ---- 1. plan: everything is a create (exit 2), nothing changed
deploy -d "$DB" plan "$D"
expect_rc 2 "first plan"
expect_out '^  create +pipeline ci_sales' "first plan"
expect_out '^  create +step ci_sales\.clean' "first plan"
expect_out '^  create +step ci_sales\.totals' "first plan"
expect_out '^  create +expectation ci_sales\.clean\.amount_not_null' "first plan"
expect_out '^  create +pipeline ci_people' "first plan"
expect_out '^Plan: .*create' "first plan"
[ "$(val "SELECT count(*) FROM dataops.pipelines")" = 0 ] || fail "plan created pipelines"

# ---- 2. apply creates them (connection from the libpq variables this time)
rc=0; PGDATABASE=$DB "$DEPLOY" apply "$D" >"$TMP/out" 2>"$TMP/err" || rc=$?; out=$(cat "$TMP/out"); err=$(cat "$TMP/err")
expect_rc 0 "first apply"
expect_out '^Applied to the database' "first apply"
expect_out '^  create +step ci_sales\.totals' "first apply"
[ "$(val "SELECT string_agg(name, ',' ORDER BY name) FROM dataops.pipelines")" = "ci_people,ci_sales" ] \
    || fail "apply: pipelines are $(val "SELECT string_agg(name, ',' ORDER BY name) FROM dataops.pipelines")"
[ "$(val "SELECT string_agg(name || ':' || layer, ',' ORDER BY name) FROM dataops.steps WHERE pipeline = 'ci_sales'")" \
    = "clean:silver,totals:gold" ] || fail "apply: the steps of ci_sales"
[ "$(val "SELECT description FROM dataops.pipelines WHERE name = 'ci_sales'")" = "Orders, cleaned and summed per customer" ] \
    || fail "apply: the description"
[ "$(val "SELECT kind || ' ' || column_name FROM dataops.expectations WHERE pipeline = 'ci_sales'")" = "not_null amount" ] \
    || fail "apply: the expectation"

# ---- 3. plan again: no change (exit 0)
deploy -d "$DB" plan "$D"
expect_rc 0 "plan after apply"; expect_out '^No changes' "plan after apply"

# history: one run of ci_sales
[ "$(val "SELECT dataops.run('ci_sales') IS NOT NULL")" = t ] || fail "the run"
runs_sql="SELECT count(*) FROM dataops.step_runs sr JOIN dataops.runs r USING (run_id)
           WHERE r.pipeline = 'ci_sales' AND sr.status = 'succeeded' AND sr.step ="
[ "$(val "$runs_sql 'clean'")" = 1 ] || fail "the run of ci_sales did not succeed: $(val "SELECT status FROM dataops.runs")"

# ---- 4. a changed query: one alter; the step keeps its history
QUERY_EXTRA="     WHERE amount > 0"
write_sales clean "" yes
deploy -d "$DB" plan "$D"
expect_rc 2 "plan of a changed query"
expect_out '^  alter +step ci_sales\.clean +.*query' "plan of a changed query"
[ "$(grep -c '^  [a-z]' <<<"$out")" = 1 ] || fail "plan of a changed query: more than one change: $out"
deploy -d "$DB" apply "$D"
expect_rc 0 "apply of a changed query"; expect_out '^  alter +step ci_sales\.clean' "apply of a changed query"
[ "$(val "SELECT query LIKE '%WHERE amount > 0%' FROM dataops.steps WHERE pipeline = 'ci_sales' AND name = 'clean'")" = t ] \
    || fail "apply: the query did not change"
[ "$(val "$runs_sql 'clean'")" = 1 ] || fail "the altered step lost its run history"
deploy -d "$DB" plan "$D"
expect_rc 0 "plan after the alter"

# ---- 5. a rename (renamed_from): the old runs carry the new name
write_sales tidy "  renamed_from: clean" yes
deploy -d "$DB" plan "$D"
expect_rc 2 "plan of a rename"; expect_out '^  rename +step ci_sales\.(tidy|clean)' "plan of a rename"
deploy -d "$DB" apply "$D"
expect_rc 0 "apply of a rename"
[ "$(val "SELECT string_agg(name, ',' ORDER BY name) FROM dataops.steps WHERE pipeline = 'ci_sales'")" = "tidy,totals" ] \
    || fail "apply: the step was not renamed"
[ "$(val "$runs_sql 'tidy'")" = 1 ] || fail "the renamed step's old run does not carry its new name"
[ "$(val "$runs_sql 'clean'")" = 0 ] || fail "a run still names the old step"
[ "$(val "SELECT count(*) FROM dataops.expectations WHERE pipeline = 'ci_sales' AND step = 'tidy'")" = 1 ] \
    || fail "the renamed step lost its expectation"
deploy -d "$DB" plan "$D"
expect_rc 0 "plan after the rename (renamed_from kept in the file)"

# ---- 6. a removed step: plan exits 3, apply refuses and changes nothing; --allow-drop drops it
write_sales tidy "  renamed_from: clean" no
deploy -d "$DB" plan "$D"
expect_rc 3 "plan of a removed step"
expect_out '^  drop +step ci_sales\.totals +refused' "plan of a removed step"
expect_out '^Refused: .*--allow-drop' "plan of a removed step"
deploy -d "$DB" apply "$D"
expect_rc 3 "apply of a removed step without --allow-drop"
expect_out 'Nothing was changed' "apply of a removed step without --allow-drop"
[ "$(val "SELECT count(*) FROM dataops.steps WHERE pipeline = 'ci_sales' AND name = 'totals'")" = 1 ] \
    || fail "apply without --allow-drop dropped the step"
deploy -d "$DB" --allow-drop plan "$D"
expect_rc 2 "plan --allow-drop of a removed step"; expect_out '^  drop +step ci_sales\.totals' "plan --allow-drop"
deploy -d "$DB" apply --allow-drop "$D"
expect_rc 0 "apply --allow-drop"; expect_out '^  drop +step ci_sales\.totals' "apply --allow-drop"
[ "$(val "SELECT count(*) FROM dataops.steps WHERE pipeline = 'ci_sales' AND name = 'totals'")" = 0 ] \
    || fail "apply --allow-drop did not drop the step"
deploy -d "$DB" plan "$D"
expect_rc 0 "plan after the drop"

# ---- 7. scope all: a pipeline no file defines is a drop (refused without --allow-drop)
mkdir "$TMP/only_sales"
cp "$D/ci_sales.yaml" "$TMP/only_sales/"
deploy -d "$DB" --scope all plan "$TMP/only_sales"
expect_rc 3 "plan --scope all without ci_people"; expect_out '^  drop +pipeline ci_people +refused' "plan --scope all"
deploy -d "$DB" plan "$TMP/only_sales"
expect_rc 0 "plan --scope pipelines of a subset"

# ---- 8. errors name the file; nothing is changed
events=$(val "SELECT count(*) FROM dataops.events")
printf 'name: ci_broken\nsteps: [\n  - name: x\n' > "$D/zz_broken.yaml"
deploy -d "$DB" apply "$D"
expect_rc 1 "a YAML syntax error"
expect_err 'zz_broken\.yaml: invalid YAML' "a YAML syntax error"
expect_err 'line [0-9]+, column [0-9]+' "a YAML syntax error"
rm "$D/zz_broken.yaml"
printf 'name: ci_sales\nsteps: []\n' > "$D/zz_twice.yaml"
deploy -d "$DB" plan "$D"
expect_rc 1 "a pipeline in two files"; expect_err 'defined twice: pipeline ci_sales in ci_sales\.yaml and zz_twice\.yaml' "a pipeline in two files"
rm "$D/zz_twice.yaml"
printf -- '- just\n- a list\n' > "$D/zz_list.yaml"
deploy -d "$DB" plan "$D"
expect_rc 1 "a file that is no pipeline"; expect_err 'zz_list\.yaml: neither a pipeline' "a file that is no pipeline"
rm "$D/zz_list.yaml"
printf 'name: ci_bad\nsteps:\n- name: x\n  lyer: silver\n  target: t\n  query: SELECT 1\n' > "$D/zz_bad.yaml"
deploy -d "$DB" plan "$D"
expect_rc 1 "a document error"; expect_err 'zz_bad\.yaml: invalid definition document at pipelines\[2\]\.steps\[0\]\.lyer' "a document error"
rm "$D/zz_bad.yaml"
[ "$(val "SELECT count(*) FROM dataops.events")" = "$events" ] || fail "a failed command changed the catalog"

# ---- 9. export: one file per pipeline, which plan finds equal to the database
deploy -d "$DB" export "$TMP/exported"
expect_rc 0 "export"
[ "$(cd "$TMP/exported" && ls | tr '\n' ' ')" = "ci_people.yaml ci_sales.yaml " ] || fail "export wrote $(ls "$TMP/exported")"
grep -q '^format: dataops/v1' "$TMP/exported/ci_sales.yaml" || fail "export: not a dataops/v1 document"
deploy -d "$DB" --scope all plan "$TMP/exported"
expect_rc 0 "plan of the exported files"; expect_out '^No changes' "plan of the exported files"
# and they build the same pipelines in another database
psql -d postgres -c "DROP DATABASE IF EXISTS ${DB}_copy WITH (FORCE)" -c "CREATE DATABASE ${DB}_copy"
trap 'cleanup; command psql -X -q -d postgres -c "DROP DATABASE IF EXISTS ${DB}_copy WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
psql -d "${DB}_copy" -c "CREATE EXTENSION dataops"
deploy -d "${DB}_copy" apply "$TMP/exported"
expect_rc 0 "apply of the exported files to another database"
[ "$(psql -d "${DB}_copy" -At -c "SELECT dataops.export()::text")" = "$(val "SELECT dataops.export()::text")" ] \
    || fail "export -> apply elsewhere -> export differs"

echo "ci_deploy.sh: ok (plan 2/0/3 and apply create, alter with history kept, rename with history renamed, drop refused then allowed; scope all; YAML and document errors name the file; export round trip)"
