-- YAML (issue 14): dataops.yaml_to_jsonb and dataops.jsonb_to_yaml (libyaml).
-- Plain scalars by the YAML 1.2 core schema, quoted and block scalars as
-- strings, tags, anchors and aliases with limits, every error, the emitter's
-- key order and quoting, and round trips.
\getenv datadir DATAOPS_TEST_DATA
\set VERBOSITY default

-- ---- 1. plain scalars, one rule each
SELECT s AS yaml, dataops.yaml_to_jsonb('v: ' || s) -> 'v' AS value,
       jsonb_typeof(dataops.yaml_to_jsonb('v: ' || s) -> 'v') AS type
  FROM unnest(ARRAY[
    -- null: null Null NULL ~ and the empty scalar
    'null', 'Null', 'NULL', '~', '',
    -- booleans: three spellings each; yes/no/on/off are YAML 1.1 only
    'true', 'True', 'TRUE', 'false', 'False', 'FALSE', 'yes', 'no', 'on', 'off', 'tRUE',
    -- integers: decimal with sign and leading zeros, 0o, 0x, past int8
    '0', '-0', '+12', '007', '-42', '0o17', '0x1F', '0xff', '0x123456789abcdef0123', '123456789012345678901234567890',
    -- not integers under the core schema: strings
    '0b101', '1_000', '-0x10', '0o8', '0X1F', '1:30',
    -- floats: point forms, exponents with and without sign
    '1.5', '.5', '-.5', '5.', '1e3', '1E-3', '-2.5e+2', '1.50',
    -- not floats: strings
    '.', '1e', 'e3', '1.2.3', '2024-01-01', '12:00:00', '0.5x', 'nan', 'inf',
    -- other strings
    'hello world', 'a:b', 'x#y', '-x', 'null x', 'a "b" c']) AS s;
-- the text that follows a space-# is a comment
SELECT dataops.yaml_to_jsonb('v: 12 # twelve');

-- quoted and block scalars are strings, whatever they look like
SELECT dataops.yaml_to_jsonb($y$
dq: "123"
sq: 'true'
dq_null: "null"
sq_empty: ''
escapes: "tab\tnewline\nunicode \u00e9 \U0001F600"
literal: |
  SELECT 1
    FROM t
literal_strip: |-
  no trailing newline
literal_keep: |+
  two newlines

folded: >
  folded
  into one line
block_number: |
  42
$y$);

-- ---- 2. tags
SELECT dataops.yaml_to_jsonb($y$
str: !!str 123
str_bool: !!str true
int: !!int "42"
int_hex: !!int 0x10
float: !!float 1
float2: !!float "2.5"
bool: !!bool "false"
null: !!null ""
null2: !!null ~
verbatim: !<tag:yaml.org,2002:str> 7
nonspecific: ! 12
seq: !!seq [1]
map: !!map {a: 1}
$y$);

-- ---- 3. structures and documents
SELECT dataops.yaml_to_jsonb($y$
a: {x: [1, {y: z}], "k w": [], e: {}}
b:
  - - nested
    - seq
  - key: value
    other: 2
? explicit key
: explicit value
$y$);
SELECT dataops.yaml_to_jsonb('') AS empty, dataops.yaml_to_jsonb(E'# just a comment\n') AS comment,
       dataops.yaml_to_jsonb('---') AS bare_start, dataops.yaml_to_jsonb(E'--- 5\n...\n') AS scalar_doc,
       dataops.yaml_to_jsonb('[1, 2]') AS root_seq, dataops.yaml_to_jsonb('plain') AS root_string,
       dataops.yaml_to_jsonb(E'%YAML 1.1\n---\nv: yes\n') AS yaml11_directive;
-- keys are strings, taken as written
SELECT dataops.yaml_to_jsonb(E'1: int\n01: other text, other key\ntrue: bool\n~: tilde\n"": empty\n0x10: hex\n');
-- so 1 and "1" are the same key
SELECT dataops.yaml_to_jsonb(E'1: int\n"1": string\n');

-- ---- 4. anchors and aliases
SELECT dataops.yaml_to_jsonb($y$
base: &base {retries: 2, layer: silver}
copy: *base
list: [&one 1, *one, *one]
key: &k name
*k : aliased key
again: &base [redefined]
later: *base
$y$);

-- ---- 5. errors
-- syntax (libyaml's problem text, line and column)
SELECT dataops.yaml_to_jsonb(E'a: 1\nb: [1, 2\n');
SELECT dataops.yaml_to_jsonb(E'a: 1\n  b: 2\n');
SELECT dataops.yaml_to_jsonb(E'a: "unterminated\n');
SELECT dataops.yaml_to_jsonb(E'a:\tb\n\t- x\n');
SELECT dataops.yaml_to_jsonb(E'a: \x01\n');
-- two documents
SELECT dataops.yaml_to_jsonb(E'a: 1\n---\nb: 2\n');
SELECT dataops.yaml_to_jsonb(E'--- 1\n--- 2\n');
-- duplicate keys, at any depth, also through an alias
SELECT dataops.yaml_to_jsonb(E'a: 1\nb: 2\na: 3\n');
SELECT dataops.yaml_to_jsonb(E'outer:\n  steps:\n  - name: x\n    name: y\n');
SELECT dataops.yaml_to_jsonb(E'k: &k a\na: 1\n*k : 2\n');
-- a key that is not a scalar
SELECT dataops.yaml_to_jsonb(E'? [a, b]\n: 1\n');
SELECT dataops.yaml_to_jsonb(E'{a: 1}: x\n');
-- tags: unknown ones, and values their tag does not accept
SELECT dataops.yaml_to_jsonb(E'a: !!binary aGVsbG8=\n');
SELECT dataops.yaml_to_jsonb(E'a: !!timestamp 2024-01-01\n');
SELECT dataops.yaml_to_jsonb(E'a: !custom x\n');
SELECT dataops.yaml_to_jsonb(E'a: !!set {x, y}\n');
SELECT dataops.yaml_to_jsonb(E'a: !!map [1]\n');
SELECT dataops.yaml_to_jsonb(E'a: !!int "x1"\n');
SELECT dataops.yaml_to_jsonb(E'a: !!bool yes\n');
SELECT dataops.yaml_to_jsonb(E'a: !!null 0\n');
SELECT dataops.yaml_to_jsonb(E'a: !!float abc\n');
-- infinity and NaN (jsonb has neither), unless quoted
SELECT dataops.yaml_to_jsonb(E'a: .inf\n');
SELECT dataops.yaml_to_jsonb(E'a: -.Inf\n');
SELECT dataops.yaml_to_jsonb(E'a: .NaN\n');
SELECT dataops.yaml_to_jsonb(E'a: !!float .nan\n');
SELECT dataops.yaml_to_jsonb(E'a: ".inf"\n');
-- a number numeric cannot hold; a hex integer past 1000 digits
SELECT dataops.yaml_to_jsonb(E'a: 1e999999\n');
SELECT dataops.yaml_to_jsonb('a: 0x' || repeat('f', 1001)) IS NULL;
-- NUL in a string
SELECT dataops.yaml_to_jsonb(E'a: "x\\0y"\n');
-- the merge key (refused; a quoted "<<" is an ordinary key)
SELECT dataops.yaml_to_jsonb(E'base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n');
SELECT dataops.yaml_to_jsonb(E'"<<": ordinary\n');
-- aliases: unknown, recursive
SELECT dataops.yaml_to_jsonb(E'a: *nope\n');
SELECT dataops.yaml_to_jsonb(E'a: &x [1, *x]\n');
-- nesting: 1000 levels are fine, 1001 are not, also when an alias adds them
SELECT jsonb_path_query(dataops.yaml_to_jsonb(repeat('[', 1000) || repeat(']', 1000)), 'strict $.size()');
SELECT dataops.yaml_to_jsonb(repeat('[', 1001) || repeat(']', 1001));
SELECT dataops.yaml_to_jsonb('a: &d ' || repeat('[', 999) || repeat(']', 999) || E'\nb: [*d]\n');
-- "billion laughs": nine levels of nine aliases (9^9 strings written out)
-- are refused as soon as the aliases pass 1,000,000 nodes, in well under a second
DO $$
DECLARE
    doc text := E'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    t0 timestamptz := clock_timestamp();
    prev text := 'a';
BEGIN
    FOR i IN 1..8 LOOP
        doc := doc || format(E'%s: &%s [%s]\n', chr(97 + i), chr(97 + i),
                             (SELECT string_agg('*' || prev, ', ') FROM generate_series(1, 9)));
        prev := chr(97 + i);
    END LOOP;
    BEGIN
        PERFORM dataops.yaml_to_jsonb(doc);
        RAISE EXCEPTION 'the alias bomb was accepted';
    EXCEPTION WHEN program_limit_exceeded THEN
        RAISE NOTICE 'refused: %', SQLERRM;
    END;
    IF clock_timestamp() - t0 > interval '2 seconds' THEN
        RAISE EXCEPTION 'refusing the alias bomb took %', clock_timestamp() - t0;
    END IF;
END $$;
-- the byte limit: a 1 MB string used 65 times
SELECT dataops.yaml_to_jsonb('s: &s ' || repeat('x', 1048576) || E'\nl: [' ||
                             (SELECT string_agg('*s', ', ') FROM generate_series(1, 65)) || ']');
-- within the limits, aliases are expanded
SELECT jsonb_array_length(dataops.yaml_to_jsonb('s: &s ' || repeat('x', 1048576) || E'\nl: [' ||
                          (SELECT string_agg('*s', ', ') FROM generate_series(1, 60)) || ']') -> 'l');

-- ---- 6. writing YAML: key order, quoting, block style
SELECT dataops.jsonb_to_yaml($j${
  "steps": [
    {"query": "SELECT id,\n       lower(email) AS email\n  FROM bronze.people\n", "name": "clean",
     "unique_key": ["id"], "layer": "silver", "target": "silver.people",
     "expectations": [{"name": "email_ok", "kind": "not_null", "column": "email"}]}
  ],
  "description": "People", "name": "people", "options": {"retries": 2, "sla_freshness": "1 hour"},
  "schedule": null, "format": "dataops/v1", "scope": "all", "depends_on": [], "extra": {}
}$j$);
-- strings that would read as something else are quoted; others are plain
SELECT s AS string, dataops.jsonb_to_yaml(jsonb_build_object('v', s)) AS yaml
  FROM unnest(ARRAY['plain', 'true', 'False', 'null', '~', '', '123', '-1.5', '1e3', '0x1F', '.inf', '.nan',
                    'yes', 'No', 'on', 'y', '<<', '=', '2024-01-01', '2024-01-01 10:00', '1.2.3', '1 hour', '3 apples', ' lead', 'trail ',
                    'a #b', 'a: b', '- x', '? x', '#x', '@x', '`x', '%x', '!x', '&x', '*x', '[x', '{x', '"x"', '''x''',
                    E'tab\there', 'héllo ✓', E'two\nlines', E'two\nlines\n', E'keep\n\n', E' lead\nline',
                    E'trailing space \nline', E'cr\r\nlf', E'ls\u2028ps', E'nel\u0085x', E'bell\u0007']) AS s;
-- numbers as jsonb prints them, booleans, null, empty containers, a root scalar
SELECT dataops.jsonb_to_yaml('{"i": 1, "f": 1.50, "big": 123456789012345678901234567890, "neg": -0.001, "t": true, "n": null, "a": [], "o": {}}');
SELECT dataops.jsonb_to_yaml('"root"') AS root_string, dataops.jsonb_to_yaml('null') AS root_null,
       dataops.jsonb_to_yaml('[]') AS root_empty, dataops.jsonb_to_yaml('[1, [2, [3]]]') AS root_seq;
-- a key longer than 128 characters is written as an explicit key
SELECT dataops.jsonb_to_yaml(jsonb_build_object(repeat('k', 130), 'v'));
-- nesting past 1000 levels is refused
SELECT dataops.jsonb_to_yaml((repeat('[', 1001) || repeat(']', 1001))::jsonb);

-- ---- 7. round trips: yaml_to_jsonb(jsonb_to_yaml(j)) = j
CREATE TEMP TABLE yaml_trips(j jsonb);
INSERT INTO yaml_trips SELECT to_jsonb(s) FROM unnest(ARRAY[
    '', ' ', 'true', 'null', '123', '1e3', '0o17', '0x10', '-0', '.5', '1_000', 'yes', '<<', '~',
    E'tab\tinside', E'\ttab first', 'héllo ✓ 漢字 😀', E'trailing newline\n', E'two trailing\n\n', E'\n', E'\n\n',
    E'\nleading newline', E' leading space\nline', E'line\n trailing space ', E'a\r\nb', E'\u2028', E'\u0085',
    '#', '# comment?', 'a # b', ': ', 'a: b', '- ', '- item', '? q', '---', '...', '--- x', E'x\n---\ny', E'x\n...\ny',
    '"', '''', '\', '\n', '|', '>', '| x', '&a', '*a', '!tag', '%YAML', '@', '`', '[a, b]', '{a: b}', ',', '"quoted"',
    E'SELECT *\n  FROM t\n WHERE a = ''x: y'' -- comment #1\n', E'\ufeffbom', E'\u00a0nbsp', E'ctl\u0001\u001f',
    repeat('long line ', 5000), repeat(E'many\n', 2000)]) AS s;
INSERT INTO yaml_trips VALUES ('null'), ('true'), ('0'), ('-1.50'), ('1e-30'), ('123456789012345678901234567890.5'),
    ('[]'), ('{}'), ('[[]]'), ('[{}]'), ('{"a": []}'), ('{"": ""}'), ('{" ": 1, "  ": 2}'), ('{"true": true, "1": 1, "null": null}'),
    ('{"<<": {"<<": 1}}'), ('{"a\nb": "c\nd"}'), ('{"k: v": "- x"}'),
    (jsonb_build_object(repeat('k', 200), repeat('v', 200))),
    (jsonb_build_object(repeat('long key: ', 20) || E'\nsecond line\n', jsonb_build_object(repeat(E'x\n', 70), 1))),
    ((repeat('[', 1000) || repeat(']', 1000))::jsonb),
    ('{"name": "n", "steps": [{"name": "s", "query": "SELECT 1\n"}], "format": "f"}');
SELECT count(*) AS trips, count(*) FILTER (WHERE dataops.yaml_to_jsonb(dataops.jsonb_to_yaml(j)) IS DISTINCT FROM j) AS broken
  FROM yaml_trips;
-- 20000 random documents of strings drawn from the characters YAML treats specially
SELECT setseed(0.14);
WITH alphabet AS (
    SELECT ARRAY[' ', E'\n', E'\t', E'\r', 'a', 'b', '#', ':', '-', '?', '''', '"', '\', '|', '>', '{', '}', '[', ']',
                 ',', '&', '*', '!', '%', '@', '`', '.', '1', '0', 'e', 'x', 'é', '✓', E'\u2028', E'\u0085', E'\u00a0',
                 E'\ufeff', '~', 'y', 'n', E'\u0001', E'\u007f', 'true', 'null', '<<', '---', '...', '- ', ': ', ' #'] AS a),
strings AS (
    SELECT g, (SELECT string_agg(a[1 + floor(random() * array_length(a, 1))::int], '')
                 FROM alphabet, generate_series(1, 1 + g % 12) WHERE g > 0) AS s
      FROM generate_series(1, 20000) g),
docs AS (
    SELECT CASE g % 3 WHEN 0 THEN to_jsonb(s)
                      WHEN 1 THEN jsonb_build_array(s, jsonb_build_array(s), jsonb_build_object('k', s))
                      ELSE jsonb_build_object(s, s, 'n', jsonb_build_object(s, jsonb_build_array(s))) END AS j
      FROM strings)
SELECT count(*) AS docs, count(*) FILTER (WHERE dataops.yaml_to_jsonb(dataops.jsonb_to_yaml(j)) IS DISTINCT FROM j) AS broken
  FROM docs;

-- ---- 8. files: a pipeline, and two ODCS v3.1.0 examples (test/data/yaml)
SELECT jsonb_pretty(dataops.yaml_to_jsonb(pg_read_file(:'datadir' || '/yaml/pipeline-people.yaml')));
SELECT dataops.jsonb_to_yaml(dataops.yaml_to_jsonb(pg_read_file(:'datadir' || '/yaml/pipeline-people.yaml')));
SELECT jsonb_pretty(dataops.yaml_to_jsonb(pg_read_file(:'datadir' || '/yaml/odcs-table-column.yaml')));
SELECT d -> 'slaProperties' -> 0 AS latency, d -> 'slaProperties' -> 6 -> 'value' AS time_of_availability,
       d -> 'schema' AS schema, jsonb_array_length(d -> 'slaProperties') AS sla_properties
  FROM dataops.yaml_to_jsonb(pg_read_file(:'datadir' || '/yaml/odcs-database-table-sla.yaml')) AS d;
SELECT f, dataops.yaml_to_jsonb(dataops.jsonb_to_yaml(dataops.yaml_to_jsonb(pg_read_file(:'datadir' || '/yaml/' || f))))
          = dataops.yaml_to_jsonb(pg_read_file(:'datadir' || '/yaml/' || f)) AS round_trip
  FROM unnest(ARRAY['pipeline-people.yaml', 'odcs-table-column.yaml', 'odcs-database-table-sla.yaml', 'scalars.yaml']) AS f;

-- ---- 9. the functions' properties
SELECT proname, provolatile, proisstrict, proparallel FROM pg_proc
 WHERE pronamespace = 'dataops'::regnamespace AND proname IN ('yaml_to_jsonb', 'jsonb_to_yaml') ORDER BY proname;
SELECT dataops.yaml_to_jsonb(NULL) IS NULL AS strict_in, dataops.jsonb_to_yaml(NULL) IS NULL AS strict_out;
