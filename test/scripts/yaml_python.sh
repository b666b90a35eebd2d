#!/usr/bin/env bash
# YAML against a second, independent parser: PyYAML's pure-Python loader
# (python3-yaml; its scanner and parser share no code with libyaml).  For
# every test/data/**/*.yaml file and, when ../shared/odcs is there, every
# ODCS example:
#   1. dataops.yaml_to_jsonb must equal PyYAML with the YAML 1.2 core schema
#      (PyYAML's parser, the core schema's resolvers, keys as written), and
#      equal yaml.safe_load except where YAML 1.1's schema differs: those
#      scalars are listed, not failed (dates: PyYAML turns 2024-01-01 into a
#      date, the core schema keeps it a string; yes/no; 1e3; 012);
#   2. dataops.jsonb_to_yaml of it must read back the same with
#      dataops.yaml_to_jsonb, with the core-schema loader and with
#      yaml.safe_load (so the written YAML means the same to YAML 1.1 tools).
# Then 2000 random JSON documents (seeded) go through jsonb_to_yaml and must
# come back equal from yaml_to_jsonb and from yaml.safe_load.
# Skipped (exit 0, said so) when /usr/bin/python3 has no yaml or psycopg2.
set -euo pipefail
: "${PGHOST:?run through test/pg.sh}"
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DB=dataops_yaml_python
PY=/usr/bin/python3
if ! "$PY" -c 'import yaml, psycopg2' 2>/dev/null; then
    echo "yaml_python.sh: skipped (python3-yaml or python3-psycopg2 not installed)"
    exit 0
fi
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
psql -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
trap 'command psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
psql -d "$DB" -c "CREATE EXTENSION dataops"

files=()
while IFS= read -r f; do files+=("$f"); done < <(find "$REPO/test/data" -name '*.yaml' | sort)
ODCS="$REPO/../shared/odcs/examples"
[ -d "$ODCS" ] || ODCS=/work/shared/odcs/examples
if [ -d "$ODCS" ]; then
    while IFS= read -r f; do files+=("$f"); done < <(find "$ODCS" -name '*.yaml' | sort)
else
    echo "yaml_python.sh: no ODCS examples (../shared/odcs/examples); test/data only"
fi

DB="$DB" "$PY" - "${files[@]}" <<'PYTHON'
import datetime, decimal, json, os, random, re, sys
import psycopg2, yaml

conn = psycopg2.connect(dbname=os.environ["DB"])
conn.autocommit = True
cur = conn.cursor()

def fail(msg):
    print("yaml_python.sh: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)

# PyYAML's pure-Python loader with the YAML 1.2 core schema's resolvers
# (yaml.org/spec/1.2.2 10.3.2) and keys kept as written, as yaml.h says.
class CoreLoader(yaml.SafeLoader):
    pass
CoreLoader.yaml_implicit_resolvers = {}
def resolver(tag, regexp, first):
    CoreLoader.add_implicit_resolver("tag:yaml.org,2002:" + tag, re.compile(regexp), list(first))
resolver("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""])
resolver("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF")
resolver("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789")
resolver("float", r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                  r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+0123456789.")
def core_int(loader, node):
    v = loader.construct_scalar(node)
    if v.startswith("0o"):
        return int(v[2:], 8)
    if v.startswith("0x"):
        return int(v[2:], 16)
    return int(v)
def core_float(loader, node):
    return decimal.Decimal(loader.construct_scalar(node))
def core_map(loader, node):
    loader.flatten_mapping(node)
    m = {}
    for k, v in node.value:
        if not isinstance(k, yaml.ScalarNode):
            raise yaml.constructor.ConstructorError(None, None, "non-scalar key", k.start_mark)
        if k.value in m:
            raise yaml.constructor.ConstructorError(None, None, "duplicate key %r" % k.value, k.start_mark)
        m[k.value] = loader.construct_object(v, deep=True)
    return m
CoreLoader.add_constructor("tag:yaml.org,2002:int", core_int)
CoreLoader.add_constructor("tag:yaml.org,2002:float", core_float)
CoreLoader.add_constructor("tag:yaml.org,2002:map", core_map)

def ours(text, raw=False):
    cur.execute("SELECT dataops.yaml_to_jsonb(%s)::text", (text,))
    j = cur.fetchone()[0]
    return j if raw else json.loads(j, parse_float=decimal.Decimal)

def to_yaml(json_text):
    cur.execute("SELECT dataops.jsonb_to_yaml(%s::jsonb)", (json_text,))
    return cur.fetchone()[0]

def key_text(k):
    # json.dumps's conversion of a safe_load key, dates as isoformat
    if isinstance(k, bool):
        return "true" if k else "false"
    if k is None:
        return "null"
    if isinstance(k, (datetime.date, datetime.datetime)):
        return k.isoformat()
    return str(k)

def diffs(a, b, path="$"):
    """Differences between two loaded trees, strict on types (True != 1)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        bk = {key_text(k): v for k, v in b.items()}
        ak = {key_text(k): v for k, v in a.items()}
        for k in sorted(set(ak) | set(bk)):
            if k not in ak or k not in bk:
                out.append((path + "." + k, ak.get(k, "<missing>"), bk.get(k, "<missing>")))
            else:
                out += diffs(ak[k], bk[k], path + "." + k)
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [(path, "list of %d" % len(a), "list of %d" % len(b))]
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += diffs(x, y, "%s[%d]" % (path, i))
        return out
    num = (int, float, decimal.Decimal)
    if isinstance(a, bool) or isinstance(b, bool):
        same = type(a) is type(b) and a == b
    elif isinstance(a, num) and isinstance(b, num):
        same = float(a) == float(b) if isinstance(a, float) or isinstance(b, float) else a == b
    else:
        same = type(a) is type(b) and a == b
    return [] if same else [(path, a, b)]

checked = schema_diffs = 0
for f in sys.argv[1:]:
    text = open(f, encoding="utf-8").read()
    name = os.path.relpath(f)
    try:
        mine = ours(text)
    except psycopg2.Error as e:
        fail("%s: yaml_to_jsonb refused it: %s" % (name, e.pgerror.strip()))
    core = yaml.load(text, Loader=CoreLoader)
    d = diffs(mine, core)
    if d:
        fail("%s: yaml_to_jsonb and PyYAML (core schema) differ at %s: %r vs %r" % ((name,) + d[0]))
    for path, a, b in diffs(mine, yaml.safe_load(text)):
        # ours equals the core-schema reading, so this is YAML 1.1's schema
        schema_diffs += 1
        print("yaml_python.sh: expected (YAML 1.1 schema in safe_load): %s %s: %r here, %r in PyYAML"
              % (name, path, a, b))
    written = to_yaml(ours(text, raw=True))
    for label, back in (("yaml_to_jsonb", ours(written)), ("PyYAML core", yaml.load(written, Loader=CoreLoader)),
                        ("yaml.safe_load", yaml.safe_load(written))):
        d = diffs(mine, back)
        if d:
            fail("%s: jsonb_to_yaml's text reads back differently with %s at %s: %r vs %r\n%s"
                 % ((name, label) + d[0] + (written,)))
    checked += 1

# random documents through jsonb_to_yaml
rng = random.Random(14)
pieces = [" ", "\n", "\t", "a", "b", "#", ":", "-", "?", "'", '"', "\\", "|", ">", "{", "}", "[", "]", ",",
          "&", "*", "!", "%", "@", "`", ".", "0", "1", "e", "x", "é", "✓", "😀", "\u2028", "\u0085", "\u00a0",
          "\ufeff", "~", "y", "n", "yes", "no", "on", "true", "null", "<<", "=", "---", "...", "- ", ": ", " #",
          "2024-01-01", "1e3", "0x1F", "012", "1_000", "1:30", ".inf", "\r", "\x01"]
def rstring():
    return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
def rvalue(depth=0):
    r = rng.random()
    if depth > 3 or r < 0.5:
        return rng.choice([rstring, rstring, rstring, lambda: rng.randint(-10**20, 10**20),
                           lambda: round(rng.uniform(-1e6, 1e6), rng.randint(0, 6)),
                           lambda: rng.choice([True, False, None])])()
    if r < 0.75:
        return [rvalue(depth + 1) for _ in range(rng.randint(0, 4))]
    return {rstring(): rvalue(depth + 1) for _ in range(rng.randint(0, 4))}
for i in range(2000):
    doc = rvalue()
    written = to_yaml(json.dumps(doc))
    for label, back in (("yaml_to_jsonb", ours(written)), ("yaml.safe_load", yaml.safe_load(written))):
        d = diffs(doc, back)
        if d:
            fail("random document %d reads back differently with %s at %s: %r vs %r\n%r\n%s"
                 % ((i, label) + d[0] + (doc, written)))

print("yaml_python.sh: ok (%d files equal to PyYAML's core-schema reading, %d scalars differ from "
      "safe_load only by YAML 1.1's schema (dates and the like, expected); 2000 random documents "
      "read back equal by yaml_to_jsonb and safe_load)" % (checked, schema_diffs))
PYTHON
