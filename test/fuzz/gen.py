"""Random input for the dataops fuzz target (test/fuzz/fuzz.py).

Everything here is a pure function of a random.Random, so a seed gives the
same sequence of values.  Values are deliberately hostile: empty, huge,
control characters, quotes, unicode at byte boundaries, wrong JSON types,
numbers out of every range, and CSV files that break every rule.
"""
import json
import random

CONTROL = ['\x01', '\x07', '\x08', '\t', '\n', '\r', '\x0b', '\x0c', '\x1b', '\x7f', '\x85', '\u2028']
UNICODE = ['é', 'ß', 'İ', 'ǅ', 'ﬁ', '日本語', '🦄', 'e\u0301', '\u202eevil', '\ufeffbom', 'zero\u200bwidth',
           '\U0010ffff', '\ufffd', 'Ω', 'ſ', 'K', 'ⅷ', '١٢٣', '\u0000'.replace('\u0000', '\u2400')]
SQLISH = ['"', "'", '""', "''", 'x"); DROP TABLE public.fz_src; --', "a'b", 'a\\b', '\\', '$$', '$x$',
          '%s%n%x%d', '%', '%%', '{}', '[', '*', '?', '~', ';', '--', '/*', '*/', 'a;b', '\\.', 'NULL',
          'null', 'true', 'select', 'user', 'current_user', 'pg_temp', 'pg_catalog', 'dataops', 'public',
          'information_schema', 'bronze', 'silver', 'gold', '__dataops_x', '_run_id', 'ctid', 'oid', 'xmin']
DOTTED = ['a.b', 'a.b.c', '.', '..', 'a.', '.b', '"a.b"', '"a"."b"', '"unterminated', 'x."y', '"".x',
          'public.fz_src', 'dataops.pipelines', 'dataops.steps', 'pg_catalog.pg_class', 'pg_temp.t',
          'information_schema.tables', 'bronze.x', '"Bronze"."X"', 'pg_toast.t', 'gold.', '"a""b".c']


def ident(r, prefix='x'):
    return '%s_%d' % (prefix, r.randrange(100000))


def weird_string(r, allow_huge=True):
    """A hostile string (never contains NUL, which libpq cannot send)."""
    k = r.randrange(14)
    if k == 0:
        return ''
    if k == 1 and allow_huge:
        return r.choice(['x', 'é', '日']) * r.choice([31, 32, 62, 63, 64, 65, 127, 200, 4096, 70000])
    if k == 2:
        return 'a' * r.choice([61, 62, 63]) + r.choice(['é', '日', '🦄'])
    if k == 3:
        return ident(r) + r.choice(CONTROL) + ident(r)
    if k == 4:
        return r.choice(SQLISH)
    if k == 5:
        return r.choice(UNICODE)
    if k == 6:
        return r.choice(DOTTED)
    if k == 7:
        return r.choice([' lead', 'trail ', ' ', 'UPPER', 'MiXeD', '1abc', 'a b', 'a-b', 'a\tb', 'a/b', '/etc/passwd'])
    if k == 8:
        return ''.join(chr(r.randrange(1, 256)) for _ in range(r.randrange(1, 40)))
    if k == 9:
        out = []
        for _ in range(r.randrange(1, 30)):
            cp = r.choice([r.randrange(0x20, 0x7f), r.randrange(0xa0, 0x800), r.randrange(0x800, 0xd800),
                           r.randrange(0xe000, 0x10000), r.randrange(0x10000, 0x110000)])
            out.append(chr(cp))
        return ''.join(out)
    if k == 10:
        return r.choice(SQLISH) + r.choice(UNICODE) + r.choice(CONTROL)
    if k == 11:
        return '(' * r.choice([10, 1000, 100000]) if allow_huge else '((('
    return ident(r)


def maybe_null(r, value, p=0.05):
    return None if r.random() < p else value


# ---------------------------------------------------------------- JSON

NUMBERS = [0, -0.0, 1, -1, 1.5, 0.1, 2 ** 31 - 1, 2 ** 31, 2 ** 63 - 1, 2 ** 63, -2 ** 63 - 1, 10 ** 40,
           1e308, -1e308, 1e-308, 5e-324, 3, 100, 101, 0.75, 1.0000000000000002]
NAN_STRINGS = ['NaN', 'nan', 'Infinity', '-Infinity', 'inf', '1e999', '-1e999', '1e-999', '0x10', '1_000',
               ' 1', '1 ', '', '-', '+1', '١', '１', 'true', '5 minutes', '-1 day', '1000000000 years',
               'P1D', 'PT0S', '0', '00:00:00', 'infinity', 'epoch', 'now', 'allballs', '1 microsecond',
               '9223372036854775807 microseconds', '178000000 years', '2 days ago']
BIG_NUMBER_LITERALS = ['1e1000', '-1e1000', '1' * 400, '0.' + '0' * 400 + '1', '123456789012345678901234567890.5',
                       '1e-1000', '-0', '1E+308', '4.9E-324']


def rand_scalar(r):
    k = r.randrange(8)
    if k == 0:
        return r.choice(NUMBERS)
    if k == 1:
        return r.choice(NAN_STRINGS)
    if k == 2:
        return r.choice([True, False, None])
    if k == 3:
        return weird_string(r, allow_huge=r.random() < 0.1)
    if k == 4:
        return r.randrange(-1000, 1000)
    if k == 5:
        return RawNumber(r.choice(BIG_NUMBER_LITERALS))
    if k == 6:
        return r.uniform(-1e6, 1e6)
    return ident(r, 'v')


class RawNumber:
    """A JSON number literal that Python's json cannot write (1e1000, 400 digits)."""
    def __init__(self, text):
        self.text = text


def rand_json(r, depth=0):
    k = r.randrange(10)
    if depth > 3 or k < 5:
        return rand_scalar(r)
    if k < 7:
        return [rand_json(r, depth + 1) for _ in range(r.randrange(0, 5))]
    if k == 7 and depth == 0 and r.random() < 0.1:
        # deep nesting
        n = r.choice([50, 500, 5000])
        return RawNumber('[' * n + '1' + ']' * n if r.random() < 0.5 else '{"a": ' * n + '1' + '}' * n)
    return {weird_string(r, False) if r.random() < 0.3 else ident(r, 'k'): rand_json(r, depth + 1)
            for _ in range(r.randrange(0, 5))}


def dumps(v):
    """JSON text; RawNumber literals are spliced in as written."""
    marks = {}

    def enc(x):
        if isinstance(x, RawNumber):
            m = '@@RAW%d@@' % len(marks)
            marks[m] = x.text
            return m
        if isinstance(x, list):
            return [enc(e) for e in x]
        if isinstance(x, dict):
            return {k: enc(e) for k, e in x.items()}
        if isinstance(x, float) and (x != x or x in (float('inf'), float('-inf'))):
            return str(x)
        return x
    s = json.dumps(enc(v), ensure_ascii=r_ascii[0])
    for m, t in marks.items():
        s = s.replace('"%s"' % m, t)
    return s


r_ascii = [False]


def mutate_object(r, obj, keys_pool):
    """Randomly drop keys, add known or unknown keys, and change value types."""
    obj = dict(obj)
    for _ in range(r.randrange(0, 4)):
        k = r.randrange(6)
        if k == 0 and obj:
            del obj[r.choice(list(obj))]
        elif k == 1:
            obj[r.choice(keys_pool)] = rand_json(r)
        elif k == 2 and obj:
            obj[r.choice(list(obj))] = rand_json(r)
        elif k == 3:
            obj[weird_string(r, False)] = rand_json(r)
        elif k == 4 and obj:
            key = r.choice(list(obj))
            obj[key] = r.choice([None, [obj[key]], {'v': obj[key]}, str(obj[key]), RawNumber('1e1000')])
    return obj


def json_arg(r, valid, keys_pool):
    """A JSON text for a jsonb argument: mostly a (mutated) valid object."""
    k = r.random()
    if k < 0.35:
        v = valid
    elif k < 0.85:
        v = mutate_object(r, valid, keys_pool)
    elif k < 0.95:
        v = rand_json(r)
    else:
        return r.choice(['null', '[]', '"x"', '1', '{"a": {"b": [1, {"c": null}]}}', '{"k": "\\u0000"}',
                         '{"a": 1, "a": 2}', '{"": ""}'])
    r_ascii[0] = r.random() < 0.2
    return dumps(v)


# ---------------------------------------------------------------- options

CSV_OPTION_KEYS = ['header', 'delimiter', 'quote', 'escape', 'null', 'encoding', 'normalize_names']
RUN_OPTION_KEYS = ['retries', 'retry_delay', 'timeout']
MAT_OPTION_KEYS = ['materialization', 'watermark', 'on_schema_change', 'track_columns', 'hard_deletes', 'keep_versions']
PIPELINE_OPTION_KEYS = ['timeout', 'retries', 'retry_delay', 'step_timeout', 'retry_on_crash']
ENCODINGS = ['UTF8', 'LATIN1', 'WIN1252', 'SQL_ASCII', 'SJIS', 'EUC_JP', 'GB18030', 'BIG5', 'UTF-8', 'latin1',
             'KOI8R', 'WIN1251', 'klingon', '', 'MULE_INTERNAL', 'UHC', 'ISO_8859_5']


def csv_options(r, meta):
    o = {}
    if meta.get('delimiter', ',') != ',' or r.random() < 0.2:
        o['delimiter'] = meta.get('delimiter', ',') if r.random() < 0.8 else r.choice([';', '\t', '|', ',', '"', '\n', '\r', 'é', ';;', '', '\\', ' '])
    if not meta.get('header', True) or r.random() < 0.2:
        o['header'] = meta.get('header', True) if r.random() < 0.9 else r.choice([True, False])
    if meta.get('encoding') or r.random() < 0.1:
        o['encoding'] = meta.get('encoding') or r.choice(ENCODINGS)
        if r.random() < 0.1:
            o['encoding'] = r.choice(ENCODINGS)
    if r.random() < 0.1:
        o['quote'] = r.choice(['"', "'", '|', ',', '\n', 'x', '\\'])
    if r.random() < 0.05:
        o['escape'] = r.choice(['"', '\\', "'", ','])
    if r.random() < 0.1:
        o['null'] = r.choice(['', 'NULL', '\\N', 'null', 'x' * 1000, 'é'])
    if r.random() < 0.15:
        o['normalize_names'] = r.choice([True, False])
    if r.random() < 0.15:
        o = mutate_object(r, o, CSV_OPTION_KEYS + RUN_OPTION_KEYS + MAT_OPTION_KEYS)
    return o


def query_options(r, columns):
    o = {}
    k = r.randrange(8)
    if k == 1:
        o['materialization'] = r.choice(['table', 'view', 'incremental', 'scd2', 'TABLE', '', 'ephemeral'])
    elif k == 2:
        o['materialization'] = 'incremental'
        o['watermark'] = r.choice(columns + ['nope', ''])
    elif k == 3:
        o['materialization'] = 'scd2'
        if r.random() < 0.5:
            o['track_columns'] = r.sample(columns, min(len(columns), r.randrange(0, 3))) if columns else []
        if r.random() < 0.5:
            o['hard_deletes'] = r.choice(['ignore', 'invalidate', 'delete'])
    elif k == 4:
        o['keep_versions'] = r.choice([0, 1, 2, 100, 101, -1, 1.5, '2'])
    elif k == 5:
        o[r.choice(RUN_OPTION_KEYS)] = r.choice([0, 1, 3, '1 second', '5 minutes', '-1 day', 'soon', 1.5])
    elif k == 6:
        o['on_schema_change'] = r.choice(['fail', 'append_new_columns', 'sync_all_columns'])
    if r.random() < 0.3:
        o = mutate_object(r, o, CSV_OPTION_KEYS + RUN_OPTION_KEYS + MAT_OPTION_KEYS)
    return o


# ---------------------------------------------------------------- queries

SRC_COLUMNS = ['id', 'name', 'email', 'age', 'updated_at', 'amount', 'd', 'tags', 'doc']

QUERIES = [
    'SELECT * FROM public.fz_src',
    'SELECT id, lower(name) AS name, updated_at FROM public.fz_src',
    'SELECT id, name, email, age, updated_at FROM public.fz_src WHERE id > 0',
    'SELECT 1 AS x',
    'SELECT id, count(*) AS n FROM public.fz_src GROUP BY id',
    'TABLE public.fz_src',
    'VALUES (1, 2)',
    'SELECT',
    'SELECT 1',
    'SELECT 1 AS a, 2 AS a',
    'SELECT NULL AS n',
    "SELECT 'x' AS u",
    'SELECT ROW(1, 2) AS r',
    'SELECT id AS __dataops_x FROM public.fz_src',
    'SELECT id AS _run_id, name AS _source_file FROM public.fz_src',
    'SELECT id, true AS is_current, now() AS valid_from, now() AS valid_to FROM public.fz_src',
    'SELECT id, name AS ctid FROM public.fz_src',
    'SELECT 1/0 AS boom',
    'SELECT id, amount / 0 AS boom FROM public.fz_src',
    "SELECT repeat('x', 1000000) AS big",
    'SELECT generate_series(1, 20000) AS id',
    'SELECT * FROM dataops.pipelines',
    'SELECT * FROM pg_catalog.pg_authid',
    "SELECT pg_read_file('/etc/passwd') AS f",
    'SELECT x FROM generate_series(1, 3) x, pg_sleep(0.1) s',
    'SELECT id, tags, doc FROM public.fz_src',
    "SELECT '1'::json AS j, '<a/>'::xml AS x, int4range(1, 2) AS r, ARRAY[[1]] AS a",
    'SELECT id, d::date AS dd FROM public.fz_src',
    'WITH c AS (SELECT * FROM public.fz_src) SELECT * FROM c',
    'WITH d AS (DELETE FROM public.fz_src RETURNING *) SELECT * FROM d',
    'SELECT * FROM public.fz_src FOR UPDATE',
    'SELECT * INTO fz_into FROM public.fz_src',
    'SELECT 1; SELECT 2',
    'DELETE FROM public.fz_src',
    'SELECT * FROM public.fz_src UNION SELECT * FROM public.fz_src',
    'SELECT id FROM public.fz_src ORDER BY 1 LIMIT 1',
    'SELECT * FROM nope.nope',
    "SELECT dataops.regex_match(name, '(a+)+$') AS m FROM public.fz_src",
    'SELECT id, name, email, age, updated_at, amount, d FROM public.fz_src WHERE random() < 2',
]


def mutate_sql(r, q):
    k = r.randrange(10)
    if k == 0 and q:
        i = r.randrange(len(q))
        return q[:i]
    if k == 1:
        i = r.randrange(len(q) + 1)
        return q[:i] + r.choice([' ', ';', '(', ')', "'", '"', '$$', ' -- ', '/*', ',', ' FROM ', ' UNION SELECT 1',
                                  weird_string(r, False)]) + q[i:]
    if k == 2:
        return q + r.choice([';', '; ', ';;', ' --', '\n', '  ;  ', '; SELECT 1', ' LIMIT 1', ' OFFSET 1'])
    if k == 3:
        return 'SELECT ' + ', '.join('%d AS c%d' % (i, i) for i in range(r.choice([1599, 1600, 1601, 1700])))
    if k == 4:
        return 'SELECT ' + '(' * r.choice([100, 10000]) + '1' + ')' * r.choice([100, 10000]) + ' AS x'
    if k == 5:
        return 'SELECT %s AS %s FROM public.fz_src' % (r.choice(SRC_COLUMNS), quote_ident(weird_string(r, False) or 'x'))
    return q


def quote_ident(s):
    return '"' + s.replace('"', '""') + '"'


def rand_query(r, targets):
    """A query: a valid one, one reading another step's target, or a mutation."""
    k = r.random()
    if k < 0.45:
        q = r.choice(QUERIES[:6] + QUERIES[25:29] + QUERIES[38:])
    elif k < 0.65 and targets:
        schema, table = r.choice(targets)
        q = 'SELECT * FROM %s.%s' % (quote_ident(schema), quote_ident(table))
    elif k < 0.85:
        q = r.choice(QUERIES)
    else:
        q = weird_string(r)
    if r.random() < 0.25:
        q = mutate_sql(r, q)
    return q


def keep_expr(r):
    return r.choice([None, None, None, 'updated_at DESC', 'id', 'updated_at DESC NULLS LAST, id', '', ')',
                     'id; DROP TABLE public.fz_src', 'id LIMIT 1', '(SELECT 1)', 'random()', 'nope',
                     '1', 'id USING <', 'id COLLATE "C"', weird_string(r, False)])


def unique_key(r, columns):
    k = r.randrange(9)
    if k < 3:
        return None
    if k < 6:
        return r.sample(columns, min(len(columns), r.randrange(1, 3))) if columns else ['id']
    return r.choice([[], ['nope'], ['id', 'id'], [''], [None], ['ID'], [weird_string(r, False)], ['id'] * 200])


# ---------------------------------------------------------------- expectations

def valid_expectation(r, columns):
    """(kind, column, args) of a plausible expectation for columns."""
    col = r.choice(columns) if columns else 'id'
    pat = r.choice(['^[a-z]+$', '@', '(a+)+$', '^(a|aa)+$', '\\p{L}+', '(?i)x', '(?<=a)b', '(?R)?', '\\C',
                    '(unclosed', '[z-a]', 'a{99999}', '\\', '(?<n>a)\\k<n>', 'é', '.*' * 50, '^$', '\\d{3}-\\d{4}',
                    '(?{evil})', '(*LIMIT_MATCH=1)a', '(*UTF)x', '\\x{10ffff}', 'a' * 70000])
    kinds = [
        ('not_null', col, {}),
        ('null', col, {}),
        ('unique', col, {}),
        ('unique', None, {'columns': r.sample(columns, min(2, len(columns))) if columns else ['id']}),
        ('compound_unique', None, {'columns': r.sample(columns, min(2, len(columns))) if columns else ['id']}),
        ('match_regex', col, {'pattern': pat}),
        ('match_regex', col, {'pattern': pat, 'flags': r.choice(['i', 'm', 's', 'x', 'imsx', 'q', '', 'ii'])}),
        ('not_match_regex', col, {'regex': pat}),
        ('match_regex_list', col, {'patterns': [pat, '^a'], 'match_on': r.choice(['any', 'all', 'some'])}),
        ('between', col, {'min': r.choice(NUMBERS), 'max': r.choice(NUMBERS)}),
        ('between', col, {'min_value': 1, 'strict_min': True}),
        ('in_set', col, {'values': [1, 'a', None, 2.5]}),
        ('not_in_set', col, {'value_set': ['x', 'y']}),
        ('value_lengths_between', col, {'min': r.choice([0, 1, -1, 2 ** 31]), 'max': r.choice([3, 0, 1e308])}),
        ('match_strftime_format', col, {'format': r.choice(['%Y-%m-%d', '%', '%E', '%Q', '%%', '%Y' * 1000,
                                                             '%s', '%c', '%G-W%V-%u', '%Ey', '%j', '%-d', ''])}),
        ('castable_to', col, {'type': r.choice(['integer', 'date', 'numeric(10,2)', 'numeric(1000,2)', 'varchar(-1)',
                                                'int[]', 'regclass', 'void', 'record', 'anyelement', 'cstring',
                                                'internal', 'pg_node_tree', 'tsvector', 'xml', 'char(1000000000)',
                                                'text; DROP TABLE x', 'dataops.pipelines', 'trigger', 'unknown',
                                                'regproc', 'pg_lsn', 'bit(0)', 'interval(7)', 'timestamp(9)',
                                                'public.nope', '"integer"', 'int4range', 'oidvector', 'int2vector',
                                                'aclitem', 'pg_snapshot', 'txid_snapshot', 'anyarray', 'event_trigger'])}),
        ('relationships', col, {'to': r.choice(['public.fz_src', 'pg_catalog.pg_authid', 'nope', 'public.fz_ref',
                                                'dataops.pipelines', '', 'a.b.c']),
                                'field': r.choice(['id', 'rolpassword', 'nope', '', 'name'])}),
        ('expression', None, {'expression': r.choice(['id > 0', 'true', 'id > 0) OR (true', '1 FROM pg_class',
                                                      'true; DROP TABLE x', 'pg_sleep(0.01) IS NOT NULL',
                                                      '(SELECT count(*) FROM pg_authid) > 0', 'name ~ \'(a+)+$\'',
                                                      '1/0 = 1', 'nope', '', weird_string(r, False)])}),
        ('row_count_between', None, {'min': r.choice([0, 1, -1, 1.5]), 'max': r.choice([10, 1e308, 'x'])}),
        ('row_count_equal', None, {'value': r.choice([0, 5, 1.5, -1, 2 ** 63])}),
        ('mean_between', col, {'min': 1, 'max': 100}),
        ('min_between', col, {'min_value': r.choice(NUMBERS)}),
        ('max_between', col, {'max': r.choice(NUMBERS), 'strict_max': r.choice([True, False, 'yes'])}),
        ('sum_between', col, {'min': 0}),
        ('median_between', col, {'min': 0, 'max': 1}),
        ('stdev_between', col, {'max': 10}),
        ('unique_value_count_between', col, {'min': 1}),
        ('proportion_of_unique_values_between', col, {'min': r.choice([0, 0.5, 1, 2])}),
        ('distinct_values_in_set', col, {'values': ['a', 'b']}),
        ('freshness', None, {'column': col, 'max_age': r.choice(['1 day', 'soon', '-1 day', '1000000 years', '0'])}),
        ('freshness', col, {'max_age': '10 minutes'}),
        ('columns_match_set', None, {'columns': columns[:3], 'exact_match': r.choice([True, False, None])}),
        ('expect_column_values_to_not_be_null', col, {}),
        ('expect_table_row_count_to_equal', None, {'value': 1}),
    ]
    kind, column, args = r.choice(kinds)
    if r.random() < 0.15:
        args['result_format'] = r.choice(['BASIC', 'SUMMARY', 'COMPLETE', 'FULL', 'basic', 1])
    return kind, column, args


ARG_KEYS = ['pattern', 'patterns', 'flags', 'min', 'max', 'values', 'columns', 'format', 'type', 'to', 'field',
            'max_age', 'result_format', 'match_on', 'strict_min', 'strict_max', 'value', 'exact_match', 'column',
            'expression', 'min_value', 'max_value', 'value_set', 'regex', 'regex_list', 'column_list', 'column_set']
KINDS_EXTRA = ['is_pretty', '', 'NOT_NULL', 'not_null ', 'expect_column_values_to_be_pretty']


def expectation_call_args(r, columns):
    kind, column, args = valid_expectation(r, columns)
    if r.random() < 0.05:
        kind = r.choice(KINDS_EXTRA + [weird_string(r, False)])
    if r.random() < 0.1:
        column = r.choice([None, 'nope', '', weird_string(r, False)] + columns)
    action = r.choice(['warn', 'warn', 'drop', 'fail']) if r.random() < 0.9 else r.choice([None, '', 'explode', 'WARN'])
    mostly = r.choice([1.0, 1.0, 0.9, 0.5, 0.0]) if r.random() < 0.85 else r.choice(
        [float('nan'), float('inf'), -0.0, 1.0000001, -0.1, 5e-324, None])
    if r.random() < 0.05:
        args = with_parameters(r, args)
    return kind, column, json_arg(r, args, ARG_KEYS), action, mostly


# ---------------------------------------------------------------- cron, regex, types

def cron_schedule(r):
    fields = []
    for lo, hi in [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]:
        k = r.randrange(12)
        if k < 4:
            fields.append('*')
        elif k < 6:
            fields.append(str(r.randrange(lo, hi + 1)))
        elif k == 6:
            fields.append('%d-%d' % (r.randrange(lo, hi + 1), r.randrange(lo, hi + 1)))
        elif k == 7:
            fields.append('*/%d' % r.choice([0, 1, 2, 7, 60, 100, 2 ** 31, 2 ** 32 + 1]))
        elif k == 8:
            fields.append(','.join(str(r.randrange(lo - 1, hi + 2)) for _ in range(r.randrange(1, 5))))
        elif k == 9:
            fields.append(r.choice(['L', '$', 'jan', 'SUN', 'mon-fri', 'feb/2', '?', '-', ',', '5-', '-5', '1--2',
                                    '99999999999999999999', '0x1', '1/1', '*/', '/5', '1-5/0', '4294967297']))
        elif k == 10:
            fields.append(weird_string(r, False))
        else:
            fields.append(str(r.randrange(-5, 100)))
    k = r.randrange(10)
    if k < 6:
        return ' '.join(fields)
    if k == 6:
        return ' '.join(fields[:r.randrange(0, 7)]) if r.random() < 0.5 else ' '.join(fields + ['*'])
    if k == 7:
        return r.choice(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly', '@reboot',
                         '@nope', '@', '@@daily', '@daily extra'])
    if k == 8:
        return r.choice(['1 seconds', '59 seconds', '60 seconds', '0 seconds', '-1 seconds', '1 second',
                         '99999999999999999999 seconds', ' 5 seconds', '5  seconds', '5 SECONDS', '5seconds',
                         '0 3 29 2 *', '0 0 31 2 *', '0 0 30 2 *', '0 0 31 4,6,9,11 *', '* * * * * *', ''])
    return weird_string(r)


def timestamp(r):
    return r.choice(['now', 'infinity', '-infinity', '2024-02-29 00:00:00+00', '294276-12-31 23:59:59+00',
                     '4713-01-01 00:00:00+00 BC', '1970-01-01 00:00:00+00', '2038-01-19 03:14:08+00',
                     '2024-03-31 01:59:59+01', '9999-12-31 23:59:59+00', None])


def rand_text_value(r):
    k = r.randrange(6)
    if k == 0:
        return r.choice(['', 'abc', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab', '2024-02-30', '12', '-1', '1e400'])
    if k == 1:
        return 'a' * r.choice([10, 1000, 100000]) + '!'
    return weird_string(r, allow_huge=r.random() < 0.2)


# ---------------------------------------------------------------- CSV files

HEADER_WEIRD = ['a', 'A', 'User Id', 'user_id', 'UserId', 'USER ID', '', ' ', '!!!', '___', '_run_id', '_source_file',
                '_ingested_at', 'ctid', 'xmin', 'tableoid', 'oid', '__dataops_x', 'select', 'é', 'Ünïcödé', '日本',
                '🦄', 'a"b', "a'b", 'a,b', 'a\nb', 'a\rb', '\\.', 'x' * 63, 'x' * 64 + 'a', 'x' * 64 + 'b',
                'a' * 62 + 'é', 'CamelCaseName', 'HTTPServerURL', 'with space', '123', '-', '\t']


def csv_field(r, delim, quote):
    k = r.randrange(20)
    if k < 6:
        return str(r.randrange(-1000, 100000)).encode()
    if k < 10:
        return ident(r, 'v').encode()
    if k == 10:
        return b''
    if k == 11:
        return b'""'
    if k == 12:
        s = r.choice(['é', '日本語', '🦄', 'x' + delim + 'y', 'line\nbreak', 'cr\rhere', 'q"uote'])
        return b'"' + s.replace('"', '""').encode() + b'"'
    if k == 13:
        return r.choice([b'\xe9t\xe9', b'\xc3\x28', b'\xff\xfe', b'\xed\xa0\x80', b'\xf4\x90\x80\x80', b'\xc0\xaf',
                         b'\x80', b'\xe2\x82'])
    if k == 14:
        return r.choice([b'\x00', b'a\x00b', b'\x01\x02\x1b', b'\x7f'])
    if k == 15:
        return r.choice([b'NULL', b'\\N', b'null', b'\\.', b'"', b'"unbalanced', b'x"y', b'""""'])
    if k == 16:
        return bytes(r.randrange(1, 256) for _ in range(r.randrange(1, 20)))
    if k == 17:
        return r.choice([b'2024-01-01', b'2024-02-30', b'1e400', b'NaN', b'-0', b'9' * 40])
    return ident(r, 'w').encode()


def make_csv(r, huge_ok=True):
    """Returns (bytes, meta) for a random CSV file; meta has header names, delimiter, header, encoding."""
    meta = {'delimiter': ',', 'header': True, 'encoding': None}
    k = r.randrange(40)
    if k == 0:
        return b'', meta
    if k == 1:
        return bytes(r.randrange(256) for _ in range(r.randrange(1, 5000))), meta
    if k == 2:
        return r.choice([b'\xef\xbb\xbf', b'\n', b'\r\n', b'\xef\xbb\xbf\n', b'"', b'a', b',,,\n', b'\\.\n',
                         b'a\n\\.\n1\n', b'"a\n', b'\x00\x00\x00\n']), meta
    if k == 3:
        # UTF-16 with a byte-order mark: NUL bytes everywhere
        return '\ufeffa,b\n1,2\n'.encode('utf-16-le'), meta
    if k == 4:
        meta['delimiter'] = r.choice([';', '\t', '|'])
    if k == 5:
        meta['header'] = False
    delim = meta['delimiter']
    ncols = r.choice([1, 2, 3, 3, 4, 5, 8]) if r.random() < 0.93 else r.choice([0, 100, 1599, 1601, 2000])
    names = []
    for i in range(ncols):
        if r.random() < 0.15:
            names.append(r.choice(HEADER_WEIRD))
        elif r.random() < 0.03:
            names.append(weird_string(r, allow_huge=huge_ok and r.random() < 0.2))
        else:
            names.append('c%d' % i)
    if r.random() < 0.05 and names:
        names.append(names[0])      # duplicate
    meta['names'] = names
    if r.random() < 0.1:
        meta['encoding'] = 'LATIN1'
    eol = r.choice([b'\n', b'\n', b'\n', b'\r\n', b'\r', None])

    def enc(s):
        if meta['encoding'] == 'LATIN1':
            return s.encode('latin-1', 'replace')
        return s.encode('utf-8')

    def line_end():
        return eol if eol is not None else r.choice([b'\n', b'\r\n', b'\r'])

    out = bytearray()
    if r.random() < 0.1:
        out += b'\xef\xbb\xbf'
    if meta['header']:
        fields = []
        for n in names:
            if any(c in n for c in (delim, '"', '\n', '\r')) or r.random() < 0.1:
                fields.append(b'"' + enc(n.replace('"', '""')) + b'"')
            else:
                fields.append(enc(n))
        out += enc(delim).join(fields) + line_end()
    nrows = r.choice([0, 1, 2, 5, 10, 30]) if r.random() < 0.95 else r.choice([1000, 20000])
    huge_done = not huge_ok
    for _ in range(nrows):
        n = len(names)
        if r.random() < 0.05:
            n = max(0, n + r.choice([-2, -1, 1, 5]))      # ragged
        fields = [csv_field(r, delim, '"') for _ in range(n)]
        if not huge_done and r.random() < 0.01 and fields:
            fields[0] = b'"' + b'x' * r.choice([1 << 20, 3 << 20]) + b'"'
            huge_done = True
        if meta['encoding'] == 'LATIN1' and r.random() < 0.3 and fields:
            fields[-1] = b'caf\xe9'
        out += delim.encode().join(fields) + line_end()
        if len(out) > 12 << 20:
            break
    if r.random() < 0.05:
        out += b'"unterminated, quote' + line_end()
    if r.random() < 0.05:
        out += b'\\.' + line_end() + b'after,marker' + line_end()
    if r.random() < 0.1 and out.endswith(b'\n'):
        out = out[:-1]
    if r.random() < 0.05:
        out += line_end() * r.randrange(1, 4)
    return bytes(out), meta


def stable_hash(s):
    """A small stable hash (Python's hash() of str is salted per process)."""
    h = 0
    for ch in s:
        h = (h * 31 + ord(ch)) & 0xffffffff
    return h


def rng(seed):
    return random.Random(seed)


def ingest_like_name(name):
    """The column name bronze ingestion gives a header field (src/ingest.c: lower snake_case)."""
    out = []
    for i, ch in enumerate(name):
        o = ord(ch)
        if 'A' <= ch <= 'Z':
            prev = name[i - 1] if i > 0 else ''
            nxt = name[i + 1] if i + 1 < len(name) else ''
            if i > 0 and out and out[-1] != '_' and (prev.islower() or prev.isdigit() or
                                                      (prev.isupper() and nxt.islower())):
                out.append('_')
            out.append(ch.lower())
        elif ch.isascii() and ch.isalnum() or o >= 0x80:
            out.append(ch)
        elif out and out[-1] != '_':
            out.append('_')
    s = ''.join(out).rstrip('_')
    b = s.encode('utf-8')[:63]
    return b.decode('utf-8', 'ignore')


# ---------------------------------------------------------------- well-formed CSV (the oracle)

CLEAN_VALUES = ['a', 'hello world', ' padded ', 'é', 'Ünïcödé', '日本語', '🦄', 'x,y', 'say "hi"', "it's",
                'two\nlines', 'cr\rlf', 'tab\there', '\\N', 'NULL', '0', '-1.5', '2024-02-29', '', None, None,
                'semi;colon', 'pipe|bar', '\\.', '#', '=1+2', 'x' * 300, "'quoted'"]


def make_clean_csv(r):
    """A well-formed CSV file and what bronze ingestion must load from it.

    Returns (bytes, options, names, rows): options for add_step, the column
    names the bronze table must have (before its bookkeeping columns) and the
    rows (tuples of str or None) it must hold."""
    delim = r.choice([',', ',', ';', '\t', '|'])
    quote = r.choice(['"', '"', '"', "'"])
    header = r.random() < 0.85
    enc = r.choice([None, None, None, 'UTF8', 'LATIN1', 'WIN1252'])
    normalize = r.random() < 0.85
    eol = r.choice(['\n', '\n', '\r\n', '\r'])
    ncols = r.choice([1, 2, 3, 4, 6])
    names = []
    while len(names) < ncols:
        if normalize:
            n = r.choice(['id', 'name', 'email', 'score', 'user_id', 'created_at', 'col', 'a1', 'x_y_z', 'v'])
            n = n + ('' if r.random() < 0.5 else str(r.randrange(100)))
        else:
            n = r.choice(['Full Name', 'ID', 'é', 'a b', 'CamelCase', 'x-y', 'Score (%)', 'id', 'ünï'])
            n = n + ('' if r.random() < 0.5 else str(r.randrange(100)))
        if n not in names and n not in ('_run_id', '_source_file', '_ingested_at'):
            names.append(n)
    if not header:
        names = ['column_%d' % (i + 1) for i in range(ncols)]
    nrows = r.choice([1, 2, 5, 20, 100]) if not header else r.choice([0, 1, 2, 5, 20, 100])

    def encodable(v):
        if enc in ('LATIN1', 'WIN1252') and v is not None:
            try:
                v.encode('latin-1' if enc == 'LATIN1' else 'cp1252')
            except UnicodeEncodeError:
                return False
        return True

    def field(v):
        if v is None:
            return ''
        must = (v == '' or any(c in v for c in (delim, quote, '\n', '\r')) or v.startswith('\\')
                or v != v.strip() or r.random() < 0.2)
        if must:
            return quote + v.replace(quote, quote + quote) + quote
        return v

    rows = []
    lines = []
    if header:
        lines.append(delim.join(field(n) if (quote in n or delim in n or r.random() < 0.2) else n for n in names))
    for _ in range(nrows):
        row = []
        for _ in range(ncols):
            v = r.choice(CLEAN_VALUES)
            while not encodable(v) or (v is not None and enc == 'WIN1252' and v == '\\.'):
                v = r.choice(CLEAN_VALUES)
            row.append(v)
        if ncols == 1 and row[0] is None:
            row[0] = 'one'      # an empty line is no row
        rows.append(tuple(row))
        lines.append(delim.join(field(v) for v in row))
    text = eol.join(lines) + (eol if r.random() < 0.9 or not lines else '')
    if enc == 'LATIN1':
        data = text.encode('latin-1')
    elif enc == 'WIN1252':
        data = text.encode('cp1252')
    else:
        data = text.encode('utf-8')
        if header and r.random() < 0.1:
            data = b'\xef\xbb\xbf' + data
    opts = {}
    if delim != ',':
        opts['delimiter'] = delim
    if quote != '"':
        opts['quote'] = quote
    if not header:
        opts['header'] = False
    if enc:
        opts['encoding'] = enc
    if not normalize:
        opts['normalize_names'] = False
    if normalize and header:
        names = [ingest_like_name(n) for n in names]
    return data, opts, names, rows


# ---------------------------------------------------------------- issue 14: change in place, documents, YAML,
# ---------------------------------------------------------------- data contracts, Great Expectations suites

ALTER_STEP_RESET = ['query', 'source', 'unique_key', 'keep', 'options']
ALTER_EXP_RESET = ['column_name', 'args']
ALTER_PIPE_RESET = ['description']
RESET_WEIRD = ['layer', 'target', 'name', 'kind', 'action', 'mostly', 'QUERY', 'query ', '', 'nope', 'column', None]


def reset_array(r, valid):
    """A reset text[]: mostly a subset of the valid names, sometimes invalid ones, NULL elements or NULL."""
    k = r.random()
    if k < 0.45:
        return []
    if k < 0.8:
        return r.sample(valid, r.randrange(1, len(valid) + 1))
    if k < 0.95:
        out = r.sample(valid, r.randrange(0, len(valid) + 1)) + [r.choice(RESET_WEIRD + [weird_string(r, False)])]
        if r.random() < 0.2:
            out += out      # duplicates
        r.shuffle(out)
        return out
    return None


def parameter_value(r):
    """A Great Expectations suite parameter {"$PARAMETER": name}, mostly valid."""
    k = r.random()
    if k < 0.7:
        return {'$PARAMETER': r.choice(['min_rows', 'max_rows', 'lo', 'hi', 'pat', 'vals', 'p.x', 'p-1', 'nope'])}
    if k < 0.8:
        return {'$PARAMETER': r.choice(['', ' ', 'a b', 'é', "x'y", 'a;b', '$PARAMETER', 'x' * 300])}
    if k < 0.9:
        return {'$PARAMETER': r.choice([1, None, True, [], {}, {'$PARAMETER': 'lo'}])}
    return {'$PARAMETER': 'lo', 'extra': 1}


def with_parameters(r, args):
    """args with some values replaced by {"$PARAMETER": ...} (also where a parameter is not allowed)."""
    if not isinstance(args, dict):
        return args
    args = dict(args)
    keys = list(args) + ['min', 'max', 'value', 'pattern']
    for _ in range(r.randrange(1, 3)):
        args[r.choice(keys)] = parameter_value(r)
    if r.random() < 0.1:
        args['nested'] = {'deep': parameter_value(r)}
    return args


def parameters_json(r):
    """A value for SET dataops.parameters: mostly a JSON object of parameter values."""
    k = r.random()
    if k < 0.6:
        vals = {'min_rows': r.choice([0, 1, 10, -1, 1e308, '5', None]),
                'max_rows': r.choice([100, 0, 2 ** 63, 'x', [1]]),
                'lo': r.choice([0, 1.5, -1e308, '2024-01-01', True]),
                'hi': r.choice([100, 'zzz', None, {}]),
                'pat': r.choice(['^a', '(a+)+$', '(', '', 1]),
                'vals': r.choice([['a', 'b'], [], None, 'a', [[1]]]),
                'p.x': rand_scalar(r), 'p-1': {'$PARAMETER': 'lo'}}
        return dumps({k2: v for k2, v in vals.items() if r.random() < 0.7})
    if k < 0.8:
        return dumps(rand_json(r))
    return r.choice(['', 'not json', '{', '[]', 'null', '{"a": 1, "a": 2}', '{"min_rows": "\\u0000"}'])


# ---------------------------------------------------------------- JSON documents (definitions, contracts, GE)

DOC_PIPELINE_KEYS = ['name', 'description', 'owner', 'options', 'schedule', 'depends_on', 'notifications', 'steps',
                     'renamed_from']
DOC_STEP_KEYS = ['name', 'renamed_from', 'layer', 'target', 'query', 'source', 'unique_key', 'keep', 'options',
                 'suites', 'expectations']
DOC_EXP_KEYS = ['name', 'kind', 'column', 'args', 'action', 'mostly']
DOC_TOP_KEYS = ['format', 'scope', 'pipelines', 'suites']
DOC_KEYS = sorted(set(DOC_PIPELINE_KEYS + DOC_STEP_KEYS + DOC_EXP_KEYS + DOC_TOP_KEYS + ['url', 'events', 'format']))


def json_paths(v, path=()):
    """Every (path, value) of a JSON tree, the root included."""
    out = [(path, v)]
    if isinstance(v, dict):
        for k, e in v.items():
            out += json_paths(e, path + (k,))
    elif isinstance(v, list):
        for i, e in enumerate(v):
            out += json_paths(e, path + (i,))
    return out


def json_set(root, path, value):
    if not path:
        return value
    node = root
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    return root


def json_del(root, path):
    if not path:
        return root
    node = root
    for p in path[:-1]:
        node = node[p]
    del node[path[-1]]
    return root


def deep_copy(v):
    return json.loads(json.dumps(v, default=str))


def deep_value(r, n=None):
    n = n or r.choice([20, 100, 500, 2000])
    return RawNumber('[' * n + '1' + ']' * n) if r.random() < 0.5 else RawNumber('{"a": ' * n + '1' + '}' * n)


def mutate_tree(r, doc, keys_pool, names=()):
    """A deep random mutation of a JSON tree: change, remove, add keys anywhere; wrong types; duplicate and
    renamed entries of arrays of named objects; deep nesting; huge strings."""
    doc = deep_copy(doc)
    for _ in range(r.randrange(1, 5)):
        paths = json_paths(doc)
        path, v = r.choice(paths)
        k = r.randrange(14)
        try:
            if k == 0 and path:
                doc = json_del(doc, path)
            elif k == 1 and isinstance(v, dict):
                v[r.choice(keys_pool)] = rand_json(r)
            elif k == 2 and isinstance(v, dict):
                v[weird_string(r, False)] = rand_json(r)
            elif k == 3 and path:
                doc = json_set(doc, path, r.choice([None, [], {}, '', 0, True, 'x', [v], {'v': v}, str(v)[:100]]))
            elif k == 4 and isinstance(v, list) and v:
                v.append(deep_copy(r.choice(v)))          # duplicate an entry (duplicate names)
            elif k == 5 and isinstance(v, list) and v:
                del v[r.randrange(len(v))]
            elif k == 6 and isinstance(v, list) and len(v) > 1:
                r.shuffle(v)
            elif k == 7 and isinstance(v, dict) and 'name' in v:
                if r.random() < 0.6:
                    v['renamed_from'] = v['name']
                    v['name'] = (v['name'] if isinstance(v['name'], str) else 'x') + r.choice(['_r', '2', ''])
                else:
                    v['renamed_from'] = r.choice(list(names) + [weird_string(r, False), None, 1]) if names else 'nope'
            elif k == 8 and isinstance(v, dict) and 'name' in v:
                v['name'] = r.choice([weird_string(r, False), None, 1, '', list(names)[0] if names else 'x'])
            elif k == 9 and path:
                doc = json_set(doc, path, deep_value(r))
            elif k == 10 and path:
                doc = json_set(doc, path, r.choice(['x', 'é', '日']) * r.choice([1000, 70000, 1 << 20]))
            elif k == 11 and isinstance(v, str) and path:
                doc = json_set(doc, path, mutate_text(r, v))
            elif k == 12 and path:
                doc = json_set(doc, path, rand_json(r))
            elif k == 13 and isinstance(v, (int, float)) and not isinstance(v, bool) and path:
                doc = json_set(doc, path, r.choice(NUMBERS + [RawNumber(x) for x in BIG_NUMBER_LITERALS] + ['1', -1]))
        except (KeyError, IndexError, TypeError):
            pass
        if isinstance(doc, RawNumber):
            break
    return doc


def mutate_text(r, s):
    k = r.randrange(6)
    if k == 0 and s:
        return s[:r.randrange(len(s))]
    if k == 1:
        i = r.randrange(len(s) + 1)
        return s[:i] + weird_string(r, False) + s[i:]
    if k == 2:
        return s + r.choice(CONTROL) + s
    if k == 3:
        return s.upper()
    if k == 4:
        return weird_string(r)
    return s * r.choice([2, 50])


# ---------------------------------------------------------------- YAML texts

def yaml_scalar(r):
    return r.choice(['a', 'plain text', '"quoted"', "'single'", '~', 'null', 'Null', 'NULL', 'true', 'True', 'yes',
                     'no', 'on', 'off', 'y', 'n', '0', '-0', '+1', '0x1F', '0o17', '017', '0b101', '1_000',
                     '1e3', '1.5e-3', '.5', '5.', '.inf', '-.inf', '.nan', '.NaN', '1:20', '2024-01-01',
                     '2001-12-14t21:59:43.10-05:00', '"\\u00e9\\x41\\t"', '"\\N\\_\\L\\P"', '"\\U0010ffff"',
                     '"\\ud800"', '"\\x00"', '"\\0"', "'it''s'", '""', "''", '-', '--', '---', '...', '?', ':',
                     '"a\nb"', '@x', '`x', '%x', '!x', '&x', '*x', '|', '>', '#c', 'a #c', 'a#b', '123456789' * 10,
                     '1' * 400, '-' + '9' * 30, '0.' + '0' * 50 + '1', '1e400', '1e-400', '9223372036854775808',
                     r.choice(UNICODE), weird_string(r, False).replace('\n', ' ')])


def yaml_text(r, depth=0):
    """A random YAML text (not necessarily valid)."""
    k = r.randrange(12)
    ind = '  ' * depth
    if depth > 4 or k < 3:
        return yaml_scalar(r)
    if k < 5:
        return '[' + ', '.join(yaml_text(r, depth + 1).replace('\n', ' ') for _ in range(r.randrange(0, 4))) + ']'
    if k < 7:
        return '{' + ', '.join('%s: %s' % (yaml_scalar(r), yaml_text(r, depth + 1).replace('\n', ' '))
                               for _ in range(r.randrange(0, 4))) + '}'
    if k < 9:
        items = []
        for _ in range(r.randrange(1, 4)):
            items.append('%s- %s' % (ind, yaml_text(r, depth + 1).replace('\n', '\n' + ind + '  ')))
        return '\n' + '\n'.join(items)
    items = []
    for _ in range(r.randrange(1, 4)):
        items.append('%s%s: %s' % (ind, r.choice(['a', 'b', 'name', 'k%d' % r.randrange(5), '"q k"', '? x', '<<',
                                                  '[a, b]', '{a: 1}', '', 'x y']),
                                   yaml_text(r, depth + 1).replace('\n', '\n' + ind + '  ')))
    return '\n' + '\n'.join(items)


def alias_bomb(r):
    """Billion laughs and friends: aliases whose expansion is exponential (or quadratic)."""
    k = r.randrange(4)
    if k == 0:
        levels = r.choice([5, 9, 12, 20, 30])
        width = r.choice([2, 9, 10])
        lines = ['a0: &a0 [%s]' % ', '.join(['"lol"'] * width)]
        for i in range(1, levels):
            lines.append('a%d: &a%d [%s]' % (i, i, ', '.join(['*a%d' % (i - 1)] * width)))
        return '\n'.join(lines) + '\n'
    if k == 1:
        levels = r.choice([10, 25, 40])
        lines = ['x0: &x0 {k: "%s"}' % ('y' * r.choice([10, 1000]))]
        for i in range(1, levels):
            lines.append('x%d: &x%d {a: *x%d, b: *x%d}' % (i, i, i - 1, i - 1))
        return '\n'.join(lines) + '\n'
    if k == 2:
        # quadratic: one big anchored string referenced many times
        n = r.choice([1000, 100000])
        return 'big: &b "%s"\nrefs: [%s]\n' % ('z' * r.choice([1000, 100000]), ', '.join(['*b'] * n))
    # an alias inside the node it names, an unknown alias, a redefined anchor
    return r.choice(['a: &a [*a]\n', 'a: *nope\n', 'a: &x 1\nb: &x 2\nc: *x\n', '&a [*a, 1]', '*a', '&a',
                     'a: &a\n  b: *a\n', '? &k x\n: *k\n', '&a a: *a\n'])


def yaml_hostile(r):
    k = r.randrange(18)
    if k == 0:
        return alias_bomb(r)
    if k == 1:
        n = r.choice([100, 999, 1000, 1001, 5000, 100000])
        return r.choice(['[' * n + ']' * n, '{a: ' * n + '1' + '}' * n, '[' * n, ''.join('%s- \n' % (' ' * i) for i in range(min(n, 3000)))])
    if k == 2:
        return 'k: ' + r.choice(['x', 'é', '日']) * r.choice([1000, 100000, 1 << 21]) + '\n'
    if k == 3:
        return 'k: "' + 'x' * r.choice([100, 1 << 20]) + r.choice(['"', '', '\\'])
    if k == 4:
        return r.choice(['a: 1\n---\nb: 2\n', '---\n...\n---\n', '---\na\n...\n', '--- 1\n--- 2', '', '---', '...',
                         '# only a comment\n', '%YAML 1.2\n---\na: 1\n', '%YAML 1.1\n---\nyes', '%YAML 2.0\n--- x',
                         '%TAG ! tag:example.com,2000:\n--- !foo 1', '%FOO bar\n--- 1', '\ufeffa: 1',
                         'a: 1\n\ufeffb: 2', '--- |\n  text\n--- >\n  more\n'])
    if k == 5:
        return r.choice(['!!str 1', '!!int "12"', '!!int x', '!!float 1', '!!float .nan', '!!bool yes', '!!null ""',
                         '!!null x', '!!seq [1]', '!!map {a: 1}', '!!seq {a: 1}', '!!map [1]', '!!binary aGk=',
                         '!!timestamp 2001-12-14', '!!set {a, b}', '!!omap [a: 1]', '!custom x', '!<tag:x> 1',
                         '!!python/object:os.system x', '! x', '!!str', '!<!> x', '!!int 0x' + 'f' * 200,
                         '!!int ' + '9' * 5000, '!!float 1e999', '!!bool 1'])
    if k == 6:
        return r.choice(['a:\n\t- 1\n', 'a:\t1\n', '\ta: 1\n', 'a: [1,\t2]\n', '- a\n\t- b\n', 'a: "\t"\n',
                         'a: |\n\t tab\n', 'a:  1\n b: 2\n', 'a: 1\n  b: 2\n', '- a\nb: c\n', 'a: - b\n'])
    if k == 7:
        return 'k: "%s"\nv: %s\n' % (''.join(r.choice(CONTROL) for _ in range(5)).replace('\n', '\\n'),
                                     ''.join(r.choice(['\x01', '\x07', '\x1b', '\x7f', '\x85', '\u2028', '\ufffe',
                                                       '\uffff', '\ud7ff']) for _ in range(5)))
    if k == 8:
        return r.choice(['a: {b: [c, {d: e}], f: |\n  block in flow\n}', '[a, b: c, {d}]', '{a, b, c}', '[? a : b]',
                         '- {a: 1}\n- [2]\n- ? c\n  : d\n', 'a: [\n  1,\n  2\n]\n', '{"a":1,"b":[2,3]}',
                         '{a: 1,}', '[1,]', '[,]', '{:}', '? [a, b]\n: c\n', '? {a: 1}\n: b\n', '[a]: b',
                         '? |\n  long\n  key\n: v\n', 'a: 1\na: 2\n', '"a": 1\na: 2\n', '1: a\n"1": b\n',
                         '<<: {a: 1}\n', 'a: &m {b: 1}\nc:\n  <<: *m\n', '? \n: \n', ': x', '- - - - a'])
    if k == 9:
        return r.choice(['a: >\n  folded\n  text\n\n  para\n', 'a: |2\n    indented\n', 'a: |-\n  x\n\n', 'a: |+\n  x\n\n',
                         'a: |9\n x\n', 'a: |0\n x\n', 'a: >-\n', 'a: |\n', '|\n  top\n', 'a: "multi\n  line"\n',
                         "a: 'multi\n\n  line'\n", 'a: plain\n  continued\n  # not a comment\n'])
    if k == 10:
        return '\r\n'.join(yaml_text(r).split('\n')) if r.random() < 0.5 else yaml_text(r).replace('\n', '\r')
    if k == 11:
        t = yaml_text(r)
        return t[:r.randrange(len(t) + 1)]
    if k == 12:
        return ''.join(chr(r.randrange(1, 128)) for _ in range(r.randrange(1, 200)))
    if k == 13:
        return '\n'.join('%s%s:' % ('  ' * i, 'k') for i in range(r.choice([100, 999, 1000, 1001, 2000]))) + ' 1\n'
    if k == 14:
        return 'a: ' + '\\' * r.randrange(1, 5) + '"x"\n' if r.random() < 0.5 else 'a: "\\%s"' % r.choice('xuUz0abe ')
    if k == 15:
        return '- ' + '\n- '.join(yaml_scalar(r) for _ in range(r.randrange(1, 30)))
    if k == 16:
        return '&a ' * r.randrange(1, 4) + 'x' if r.random() < 0.5 else '!!str &a !!int 1'
    return yaml_text(r)


def mutate_yaml(r, text):
    """A YAML text with text-level damage: truncated, lines dropped, duplicated, re-indented, tabs, anchors."""
    lines = text.split('\n')
    for _ in range(r.randrange(1, 4)):
        k = r.randrange(10)
        if not lines:
            break
        i = r.randrange(len(lines))
        if k == 0:
            return '\n'.join(lines)[:r.randrange(len(text) + 1)]
        if k == 1:
            del lines[i]
        elif k == 2:
            lines.insert(i, lines[i])
        elif k == 3:
            lines[i] = r.choice([' ', '\t', '   ']) + lines[i]
        elif k == 4:
            lines[i] = lines[i].lstrip()
        elif k == 5:
            lines[i] = lines[i] + r.choice([' &a', ' *a', ' #x', ': x', ' !!str', ' !x', ' [', ' {', ' "', " '",
                                            ' |', ' >', ' ---', ' ...'])
        elif k == 6:
            lines.insert(i, r.choice(['---', '...', '%YAML 1.2', '<<: *a', '? x', ': y', '- z', '\t']))
        elif k == 7:
            lines[i] = mutate_text(r, lines[i]).replace('\n', ' ')
        elif k == 8:
            lines[i] = lines[i] + ' ' + yaml_hostile(r).replace('\n', ' ')
        else:
            lines = lines[:i] + [yaml_hostile(r)] + lines[i:]
    return '\n'.join(lines)


def safe_yaml(r, v):
    """v (JSON) as YAML through PyYAML in a random style; None when PyYAML cannot write it."""
    try:
        import yaml
    except ImportError:
        return None
    try:
        v = json.loads(dumps(v)) if not isinstance(v, RawNumber) else json.loads(v.text)
    except (ValueError, RecursionError):
        return None
    try:
        return yaml.safe_dump(v, default_flow_style=r.choice([None, True, False]), allow_unicode=r.random() < 0.5,
                              width=r.choice([20, 80, 10 ** 6]), indent=r.choice([2, 4]), sort_keys=r.random() < 0.5,
                              explicit_start=r.random() < 0.2)
    except (yaml.YAMLError, RecursionError):
        return None


def load_yaml(text):
    """PyYAML's reading of a file as JSON-able data (dates kept as strings); None when it fails."""
    try:
        import yaml
        return json.loads(json.dumps(yaml.safe_load(text), default=str))
    except Exception:
        return None
