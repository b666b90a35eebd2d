#!/usr/bin/python3
"""dataops fuzz target: random calls of the definition API and random CSV files.

Issue 14's functions are drawn too (actions alter, doc, yaml, contract, ge,
params; about a fifth of the draws): alter_step (random subsets of named
arguments, reset arrays with valid and invalid names), drop_step, rename_step,
alter_expectation, drop_expectation, drop_suite_expectation, alter_pipeline,
rename_pipeline, on existing and missing objects, mostly as the pipeline's
owner and also as the other roles; dataops.apply / apply_yaml of mutated
exports, of test/data/people.yaml and of random JSON, export / export_yaml;
yaml_to_jsonb of random, hostile (alias bombs, tags, deep nesting, tabs,
control characters, long scalars, truncated and multiple documents) and
mutated YAML texts; apply_contract of mutated data contracts
(test/data/people.odcs.yaml, test/data/odcs/) aimed at existing steps,
export_contract; import_ge_suite of mutated test/data/ge/people_suite.json,
export_ge_suite; {"$PARAMETER": ...} in expectation args and SET
dataops.parameters to random JSON.

Run by `make test` (test/pg.sh) against the test cluster, in its own database
dataops_fuzz, for DATAOPS_FUZZ_SECONDS (default 60) seconds with the seed
DATAOPS_FUZZ_SEED (default 1; "random" picks one from the clock).  The seed is
printed first; the same seed replays the same sequence of calls as long as the
server answers the same way.

After every call it asserts:
  * the server did not crash: the checker connection still works,
    pg_postmaster_start_time() is unchanged, and the server log written since
    the start has no "terminated by signal", "exited with exit code" (other
    than 0 and 1), PANIC, TRAP or resource-leak WARNING;
  * a call that failed left the definition catalog as it was: md5 of the rows
    of dataops.pipelines, steps, expectations (with their contract columns),
    suites, suite_expectations, step_suites, pipeline_dependencies,
    notifications, column_tags, pipeline_contracts and step_state before and
    after it (step_state is left out for runs, whose successful steps
    legitimately advance it even when a later step fails);
  * a dry run of apply / apply_yaml leaves the catalog as it was, too;
  * export -> apply(dry_run) on the database exported from plans no change,
    and a document just applied plans no change when applied again;
  * yaml_to_jsonb(jsonb_to_yaml(j)) = j whenever jsonb_to_yaml succeeds, and
    import_ge_suite(export_ge_suite(s)) makes a suite with the same expectations;
  * YAML and contract calls that should be quick are: longer than
    their limit (or canceled by statement_timeout) is a hang;
  * export / export_yaml of existing pipelines succeed for the superuser;
  * every error has a SQLSTATE of an acceptable class (ACCEPTABLE below) and a
    message: XX000 (internal error, elog) and anything unlisted is a failure;
    58* (file access) is a failure for roles that are not superusers;
  * no run or step run recorded an XX* error_sqlstate;
  * a role without pg_read_server_files learns nothing of a server file:
    its runs of bronze steps that read files fail with 42501 (or 57014);
  * a well-formed CSV file (gen.make_clean_csv: random delimiter, quote,
    line ends, encoding, BOM, header or not, quoted newlines and quotes)
    loads exactly: the bronze table has the expected columns and rows.

Failures that match test/fuzz/known.txt (bugs found and not fixed yet) are
printed as KNOWN and do not fail the run.

Calls are made as a superuser and as two ordinary roles (one a member of
pg_read_server_files).  Every statement is journaled; on a failure the
journal is written as a psql script (repro.sql) next to the CSV files, in
DATAOPS_FUZZ_DIR (default /tmp/dataops-fuzz-<cluster name>), which is kept.

Environment: PGHOST, PGPORT, PGUSER (a superuser), DATAOPS_BASE (the cluster
directory, for its log), DATAOPS_FUZZ_SECONDS, DATAOPS_FUZZ_SEED,
DATAOPS_FUZZ_DIR, DATAOPS_FUZZ_CONTINUE=1 (go on after a failure, reconnecting
after a crash), DATAOPS_FUZZ_HOSTILE=1 (also FIFOs and /dev/zero as sources:
may hang a worker), DATAOPS_FUZZ_VERBOSE=1 (print every call), DATAOPS_FUZZ_ONLY
(a comma-separated list of the actions of Fuzzer.ACTIONS to draw from, e.g. clean,scenario),
DATAOPS_FUZZ_KNOWN=none (count the findings listed in test/fuzz/known.txt as failures too),
DATAOPS_FUZZ_ERRORS=1 (print the SQLSTATE and message of every refused call, to see what the
generators miss).
Exit status: 0 when no failure, 1 on failures, 2 when it could not run.
"""
import glob
import json
import os
import re
import sys
import time
import shutil
import traceback

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402

try:
    import psycopg2
    import psycopg2.extensions
except ImportError:
    print('fuzz: python3-psycopg2 is not installed (test/pg.sh deps installs it)', file=sys.stderr)
    sys.exit(2)

DB = 'dataops_fuzz'
ROLE_READER = 'dataops_fuzz_reader'   # member of pg_read_server_files
ROLE_PLAIN = 'dataops_fuzz_plain'     # no file privileges
ACTORS = ['su', 'su', 'reader', 'plain']

# SQLSTATE classes (or full codes) a refused call may raise.
ACCEPTABLE = {
    '22': 'data exception', '23': 'integrity constraint violation', '42': 'syntax error or access rule violation',
    '0A': 'feature not supported', '54': 'program limit exceeded', '55': 'object not in prerequisite state',
    '57014': 'query canceled (statement_timeout)', '3F': 'invalid schema name', '25': 'invalid transaction state',
    'P0': 'PL/pgSQL raise', '53': 'insufficient resources', '2B': 'dependent objects still exist',
    '0L': 'invalid grantor', '0P': 'invalid role specification', '28': 'invalid authorization', '44': 'with check option',
    '40': 'transaction rollback (serialization, deadlock)', '2F': 'SQL routine exception', '39': 'external routine',
    '38': 'external routine exception', '21': 'cardinality violation', '2200': 'data exception', '0B': 'invalid transaction initiation',
    '58': 'system error (file access): only for roles that may read server files',
}
LOG_BAD = re.compile(r'terminated by signal|exited with exit code (?![01]\b)\d+|\bPANIC:|TRAP:|'
                     r'WARNING:.*(leak|still referenced|was not closed|not released)|'
                     r'terminating any other active server processes|was terminated by exception')
NOTICE_BAD = re.compile(r'leak|still referenced|was not closed|not released', re.I)

DEF_TABLES = ['pipelines', 'steps', 'expectations', 'suites', 'suite_expectations', 'step_suites',
              'pipeline_dependencies', 'notifications', 'column_tags', 'pipeline_contracts']
DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'data')
ODCS_KEYS = ['apiVersion', 'kind', 'id', 'version', 'status', 'name', 'schema', 'properties', 'physicalName',
             'logicalType', 'physicalType', 'required', 'unique', 'primaryKey', 'primaryKeyPosition',
             'logicalTypeOptions', 'pattern', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum',
             'minLength', 'maxLength', 'format', 'quality', 'type', 'metric', 'rule', 'arguments', 'validValues',
             'missingValues', 'mustBe', 'mustNotBe', 'mustBeLessThan', 'mustBeLessOrEqualTo', 'mustBeGreaterThan',
             'mustBeGreaterOrEqualTo', 'mustBeBetween', 'mustNotBeBetween', 'unit', 'severity', 'sql', 'query',
             'engine', 'slaProperties', 'property', 'value', 'valueExt', 'element', 'classification', 'tags', 'items',
             'customProperties', 'description', 'dimension']
GE_KEYS = ['name', 'expectations', 'type', 'expectation_type', 'kwargs', 'meta', 'column', 'column_list',
           'column_set', 'regex', 'regex_list', 'value_set', 'min_value', 'max_value', 'strict_min', 'strict_max',
           'mostly', 'value', 'type_', 'type_list', 'strftime_format', 'result_format', 'match_on', 'exact_match',
           'suite_parameters', 'evaluation_parameters', 'row_condition', 'condition_parser', 'notes', 'id',
           'expectation_suite_name', 'data_asset_type', 'ge_cloud_id']


class Crash(Exception):
    pass


def env_int(name, default):
    v = os.environ.get(name, '')
    return int(v) if v.strip() else default


class Fuzzer:
    def __init__(self):
        self.seconds = float(os.environ.get('DATAOPS_FUZZ_SECONDS', '') or 60)
        seed = os.environ.get('DATAOPS_FUZZ_SEED', '') or '1'
        self.seed = int(time.time() * 1000) % 1000000000 if seed == 'random' else int(seed)
        self.r = gen.rng(self.seed)
        self.cont = os.environ.get('DATAOPS_FUZZ_CONTINUE') == '1'
        self.hostile = os.environ.get('DATAOPS_FUZZ_HOSTILE') == '1'
        self.verbose = os.environ.get('DATAOPS_FUZZ_VERBOSE') == '1'
        name = os.environ.get('DATAOPS_NAME', 'test')
        self.dir = os.environ.get('DATAOPS_FUZZ_DIR') or '/tmp/dataops-fuzz-%s' % name
        base = os.environ.get('DATAOPS_BASE')
        self.logpath = os.path.join(base, 'log', 'postgresql.log') if base else os.environ.get('DATAOPS_FUZZ_LOG')
        self.journal = []
        self.failures = []
        self.errors = {}
        self.by_function = {}
        self.calls = 0
        self.ok = 0
        self.runs = 0
        self.files = 0
        self.conns = {}
        self.checker = None
        self.start_time = None
        self.log_off = 0
        self.last_run_checked = 0
        self.last_plain_run = 0
        self.known = self.load_known()
        self.crash_lines = []
        self.known_hits = {}
        self.file_pool = []
        self.cat = {'pipelines': [], 'steps': [], 'suites': [], 'runs': [], 'targets': []}
        self.n = 0

    # ------------------------------------------------------------ setup

    def connect(self, user=None, db=DB):
        kw = {'dbname': db, 'connect_timeout': 30,
              'options': '-c statement_timeout=30s -c lock_timeout=10s -c client_min_messages=warning'}
        if user:
            kw['user'] = user
        c = psycopg2.connect(**kw)
        c.autocommit = True
        return c

    def setup(self):
        if os.path.isdir(self.dir):
            shutil.rmtree(self.dir)
        os.makedirs(os.path.join(self.dir, 'files'))
        os.chmod(self.dir, 0o755)
        os.chmod(os.path.join(self.dir, 'files'), 0o755)
        c = self.connect(db='postgres')
        cur = c.cursor()
        cur.execute('DROP DATABASE IF EXISTS %s WITH (FORCE)' % DB)
        for role in (ROLE_READER, ROLE_PLAIN):
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
            if cur.fetchone():
                cur.execute('DROP ROLE %s' % role)
        cur.execute('CREATE DATABASE %s' % DB)
        cur.execute('CREATE ROLE %s LOGIN' % ROLE_READER)
        cur.execute('CREATE ROLE %s LOGIN' % ROLE_PLAIN)
        cur.execute('GRANT pg_read_server_files TO %s' % ROLE_READER)
        c.close()
        c = self.connect()
        cur = c.cursor()
        cur.execute('CREATE EXTENSION dataops')
        cur.execute('GRANT CREATE ON DATABASE %s TO %s, %s' % (DB, ROLE_READER, ROLE_PLAIN))
        cur.execute('GRANT CREATE ON SCHEMA public TO %s, %s' % (ROLE_READER, ROLE_PLAIN))
        cur.execute("""
            CREATE TABLE public.fz_src (id int, name text, email text, age int, updated_at timestamptz,
                                        amount numeric, d text, tags text[], doc jsonb);
            INSERT INTO public.fz_src
            SELECT i, CASE WHEN i % 7 = 0 THEN NULL ELSE 'name' || i END,
                   CASE WHEN i % 5 = 0 THEN 'bad' ELSE 'u' || i || '@x.org' END,
                   i % 90, now() - i * interval '1 hour', i * 1.5,
                   CASE WHEN i % 3 = 0 THEN '2024-02-30' ELSE '2024-01-0' || (i % 9 + 1) END,
                   ARRAY['a', 'b'], jsonb_build_object('i', i)
              FROM generate_series(1, 40) i;
            INSERT INTO public.fz_src VALUES (1, 'dup', 'dup@x.org', 1, now(), 0, NULL, NULL, NULL),
                   (NULL, '日本語', E'\\u00e9', -1, 'infinity', 'NaN', '', '{}', '[]');
            CREATE TABLE public.fz_ref (id int);
            INSERT INTO public.fz_ref SELECT generate_series(1, 30);
            GRANT SELECT ON public.fz_src, public.fz_ref TO PUBLIC;
        """)
        c.close()
        self.checker = self.connect()
        self.checker.cursor().execute('SET statement_timeout = 0')
        for a, user in (('su', None), ('reader', ROLE_READER), ('plain', ROLE_PLAIN)):
            self.conns[a] = self.connect(user)
        cur = self.checker.cursor()
        cur.execute('SELECT pg_postmaster_start_time()')
        self.start_time = cur.fetchone()[0]
        if self.logpath and os.access(self.logpath, os.R_OK):
            self.log_off = os.path.getsize(self.logpath)
        else:
            print('fuzz: WARNING: cannot read the server log %s (DATAOPS_BASE unset, or not root?); '
                  'crash checks use the connections only' % self.logpath)
            self.logpath = None
        self.make_special_files()
        self.load_data()

    def load_data(self):
        """The seeds of the document mutations: test/data's YAML files, data contracts and GE suite, and the
        Great Expectations types dataops knows."""
        def read(path):
            with open(path, encoding='utf-8') as f:
                return f.read()
        self.yaml_texts = [read(f) for f in sorted(glob.glob(os.path.join(DATA, 'yaml', '*.yaml')) +
                                                    glob.glob(os.path.join(DATA, '*.yaml')) +
                                                    glob.glob(os.path.join(DATA, 'odcs', '*.yaml')))]
        self.contract_texts = [read(f) for f in sorted(glob.glob(os.path.join(DATA, 'odcs', '*.odcs.*')) +
                                                        [os.path.join(DATA, 'people.odcs.yaml')])]
        self.contract_docs = [d for d in (gen.load_yaml(t) for t in self.contract_texts) if isinstance(d, dict)]
        self.people_doc = gen.load_yaml(read(os.path.join(DATA, 'people.yaml')))
        self.ge_doc = json.loads(read(os.path.join(DATA, 'ge', 'people_suite.json')))
        if not self.contract_docs or not isinstance(self.people_doc, dict):
            raise RuntimeError('cannot read the data contracts or people.yaml in %s (python3-yaml missing?)' % DATA)
        self.ge_types = [x[0] for x in self.rows('SELECT ge_type FROM dataops.expectation_kinds() '
                                                 'WHERE ge_type IS NOT NULL ORDER BY 1')]

    def make_special_files(self):
        d = os.path.join(self.dir, 'files')
        self.special = []
        p = os.path.join(d, 'unreadable.csv')
        with open(p, 'wb') as f:
            f.write(b'a,b\n1,2\n')
        os.chmod(p, 0)
        self.special.append(p)
        p = os.path.join(d, 'adir.csv')
        os.mkdir(p)
        os.chmod(p, 0o755)
        self.special.append(p)
        p = os.path.join(d, 'shadow.csv')
        os.symlink('/etc/shadow', p)
        self.special.append(p)
        p = os.path.join(d, 'loop.csv')
        os.symlink(p, p)
        self.special.append(p)
        p = os.path.join(d, 'dangling.csv')
        os.symlink('/nonexistent/x.csv', p)
        self.special.append(p)
        self.special += ['/etc/passwd', '/proc/self/status', '/nonexistent/x.csv', '/', '/tmp',
                         d + '/*.csv', d + '/[', d + '/**', d + '/{a,b}.csv', d + '/?', 'relative.csv', '',
                         d + '/' + 'x' * 300 + '.csv', d + '/../files/nothing.csv', '/dev/null']
        if self.hostile:
            p = os.path.join(d, 'fifo.csv')
            os.mkfifo(p)
            os.chmod(p, 0o644)
            self.special += [p, '/dev/zero', '/dev/urandom']

    # ------------------------------------------------------------ checks

    def q1(self, sql, args=None):
        cur = self.checker.cursor()
        cur.execute(sql, args)
        return cur.fetchone()[0]

    def checksum(self, with_state=True):
        tables = DEF_TABLES + (['step_state'] if with_state else [])
        parts = ' UNION ALL '.join("SELECT '%s:' || t::text AS x FROM dataops.%s t" % (t, t) for t in tables)
        return self.q1('SELECT md5(coalesce(string_agg(x, E\'\\n\' ORDER BY x), \'\')) FROM (%s) s' % parts)

    def wait_open_runs(self):
        """Waits for queued and running runs (chained or started asynchronously) to finish."""
        deadline = time.time() + 45
        canceled = False
        while True:
            open_runs = self.q1("SELECT count(*) FROM dataops.runs WHERE status IN ('queued', 'running')")
            if open_runs == 0:
                return
            if time.time() > deadline:
                if canceled:
                    rows = self.rows("SELECT run_id, pipeline, status, worker_pid FROM dataops.runs "
                                     "WHERE status IN ('queued', 'running')")
                    self.fail('hang', 'runs still open 30 s after dataops.cancel(): %r' % (rows,))
                    self.q1("SELECT count(pg_terminate_backend(worker_pid)) FROM dataops.runs "
                            "WHERE status = 'running' AND worker_pid IS NOT NULL")
                    self.q1("SELECT count(*) FROM (SELECT dataops.cancel(run_id) FROM dataops.runs "
                            "WHERE status IN ('queued', 'running')) c")
                    time.sleep(2)
                    return
                self.q1("SELECT count(*) FROM (SELECT dataops.cancel(run_id) FROM dataops.runs "
                        "WHERE status IN ('queued', 'running')) c")
                canceled = True
                deadline = time.time() + 30
            time.sleep(0.2)

    def rows(self, sql, args=None):
        cur = self.checker.cursor()
        cur.execute(sql, args)
        return cur.fetchall()

    def check_alive(self, what):
        try:
            st = self.q1('SELECT pg_postmaster_start_time()')
        except psycopg2.Error as e:
            raise Crash('checker connection lost after %s: %s' % (what, str(e).strip()))
        if st != self.start_time:
            raise Crash('postmaster restarted (start time %s, was %s) after %s' % (st, self.start_time, what))
        bad = self.scan_log()
        if bad:
            raise Crash('server log after %s: %s' % (what, ' | '.join(bad[:5])))

    def scan_log(self):
        if not self.logpath:
            return []
        try:
            with open(self.logpath, 'rb') as f:
                f.seek(self.log_off)
                data = f.read()
        except OSError:
            return []
        self.log_off += len(data)
        bad = []
        for line in data.decode('utf-8', 'replace').splitlines():
            if LOG_BAD.search(line) or (bad and 'Failed process was running' in line):
                bad.append(line.strip()[:500])
        self.crash_lines += bad
        return bad

    def crash_detail(self, message):
        """After a crash and recover(): the message, the server log's lines about it, and for a step
        worker the step's source and options and whether the file has a NUL byte in its first MiB."""
        self.scan_log()
        lines = self.crash_lines
        self.crash_lines = []
        detail = message + (' | log: ' + ' | '.join(lines[:6]) if lines else '')
        for line in lines:
            m = re.search(r'Failed process was running: dataops: run (\d+) step (.*)$', line)
            if not m:
                continue
            try:
                rows = self.rows("""SELECT s.source, s.options::text FROM dataops.runs r
                                      JOIN dataops.steps s ON s.pipeline = r.pipeline AND s.name = %s
                                     WHERE r.run_id = %s""", (m.group(2), int(m.group(1))))
            except psycopg2.Error:
                rows = []
            for source, options in rows:
                detail += ' | step source %r, options %s' % (source, options)
                for path in (glob.glob(source) if source else [])[:20]:
                    try:
                        with open(path, 'rb') as f:
                            head = f.read(1 << 20)
                    except OSError:
                        continue
                    if b'\0' in head:
                        detail += ' | the first MiB of %s has a NUL byte' % path
        return detail

    def check_run_history(self):
        rows = self.rows("""SELECT 'run', r.run_id, r.pipeline, r.failed_step, r.error_sqlstate, r.error_message
                              FROM dataops.runs r WHERE r.run_id > %s AND r.error_sqlstate LIKE 'XX%%'
                            UNION ALL
                            SELECT 'step_run', s.run_id, NULL, s.step, s.error_sqlstate, s.error_message
                              FROM dataops.step_runs s WHERE s.run_id > %s AND s.error_sqlstate LIKE 'XX%%'""",
                         (self.last_run_checked, self.last_run_checked))
        for row in rows:
            self.fail('internal error in a run', 'run %s: %r' % (row[1], row))
        self.last_run_checked = self.q1('SELECT coalesce(max(run_id), 0) FROM dataops.runs')

    def check_plain_files(self):
        """A role without pg_read_server_files must learn nothing of a server file: its runs of steps
        that read files fail with 42501 (or a cancel) before the file is touched."""
        rows = self.rows("""SELECT sr.run_id, sr.step, s.source, sr.status, sr.error_sqlstate, sr.error_message
                              FROM dataops.runs r
                              JOIN dataops.step_runs sr USING (run_id)
                              JOIN dataops.steps s ON s.pipeline = r.pipeline AND s.name = sr.step
                             WHERE r.run_id > %s AND r.triggered_by = %s AND s.source IS NOT NULL
                               AND s.query IS NULL
                               AND (sr.status = 'succeeded'
                                    OR (sr.status = 'failed' AND sr.error_sqlstate NOT IN ('42501', '57014')))""",
                         (self.last_plain_run, ROLE_PLAIN))
        for row in rows:
            self.fail('file access by a role without pg_read_server_files',
                      'run %s step %s source %r: %s %s: %s' % row)
        self.last_plain_run = self.q1('SELECT coalesce(max(run_id), 0) FROM dataops.runs')

    def refresh_catalog(self):
        self.cat['pipelines'] = [r[0] for r in self.rows('SELECT name FROM dataops.pipelines ORDER BY name')]
        self.cat['steps'] = self.rows('SELECT pipeline, name, target_schema, target_table, layer FROM dataops.steps '
                                      'ORDER BY pipeline, name')
        self.cat['suites'] = [r[0] for r in self.rows('SELECT name FROM dataops.suites ORDER BY name')]
        self.cat['runs'] = [r[0] for r in self.rows('SELECT run_id FROM dataops.runs ORDER BY run_id DESC LIMIT 30')]
        self.cat['targets'] = [(s[2], s[3]) for s in self.cat['steps']]
        self.cat['expectations'] = self.rows('SELECT pipeline, step, name FROM dataops.expectations '
                                             'ORDER BY pipeline, step, name')
        self.cat['suite_exps'] = self.rows('SELECT suite, name FROM dataops.suite_expectations ORDER BY suite, name')
        self.cat['owners'] = dict(self.rows('SELECT name, owner FROM dataops.pipelines'))
        self.cat['published'] = self.rows('SELECT pipeline, name FROM dataops.steps WHERE pg_catalog.to_regclass('
                                          'quote_ident(target_schema) || \'.\' || quote_ident(target_table)) IS NOT NULL '
                                          'ORDER BY pipeline, name')

    # ------------------------------------------------------------ failures

    def load_known(self):
        """test/fuzz/known.txt: findings not fixed yet, as (id, kind, compiled regex)."""
        known = []
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'known.txt')
        if os.environ.get('DATAOPS_FUZZ_KNOWN') == 'none' or not os.path.exists(path):
            return known
        with open(path, encoding='utf-8') as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith('#'):
                    continue
                head, regex = line.split(' | ', 1)
                fid, kind = head.split(' ', 1)
                known.append((fid, kind.strip(), re.compile(regex)))
        return known

    def fail(self, kind, detail):
        for fid, kkind, regex in self.known:
            if kkind == kind and regex.search(detail):
                if fid not in self.known_hits:
                    print('fuzz: KNOWN finding %s (test/fuzz/known.txt) [%s] call #%d: %s'
                          % (fid, kind, self.calls, shorten(detail, 600)), flush=True)
                self.known_hits[fid] = self.known_hits.get(fid, 0) + 1
                return True
        self.failures.append((kind, detail, len(self.journal)))
        print('fuzz: FAILURE [%s] call #%d: %s' % (kind, self.calls, detail[:2000]), flush=True)
        if self.journal:
            actor, sql = self.journal[-1]
            print('fuzz:   last statement (as %s): %s' % (actor, shorten(sql)), flush=True)

    def write_repro(self):
        path = os.path.join(self.dir, 'repro.sql')
        names = {'su': None, 'reader': ROLE_READER, 'plain': ROLE_PLAIN}
        with open(path, 'w', encoding='utf-8', errors='replace') as f:
            f.write('-- dataops fuzz journal, seed %d; run with: psql -X -d %s -f %s\n' % (self.seed, DB, path))
            f.write('-- failures:\n')
            for kind, detail, at in self.failures:
                f.write('--   [%s] at statement %d: %s\n' % (kind, at, detail[:500].replace('\n', ' ')))
            f.write('\\set VERBOSITY verbose\n')
            for i, (actor, sql) in enumerate(self.journal, 1):
                role = names[actor]
                f.write('-- %d\n' % i)
                f.write(('SET ROLE %s; ' % role if role else '') + sql + ';' + (' RESET ROLE;' if role else '') + '\n')
        os.chmod(path, 0o644)
        return path

    # ------------------------------------------------------------ calls

    def call(self, actor, sql, args=(), kind='def', unchanged=None, max_seconds=None):
        """Runs one statement as actor and checks the outcome; returns (ok, rows or error).
        unchanged: a description of a call that must leave the catalog unchanged even when it succeeds
        (a dry run); max_seconds: a call that takes longer (or is canceled by statement_timeout) fails."""
        if time.time() > self.deadline and kind != 'setup':
            raise TimeoutError
        conn = self.conns[actor]
        cur = conn.cursor()
        try:
            text = cur.mogrify(sql, args or None).decode('utf-8', 'replace')
        except (ValueError, TypeError) as e:
            return False, 'client: %s' % e
        self.journal.append((actor, text))
        self.calls += 1
        m = re.match(r'\s*(?:SELECT (?:\* FROM |count\(\*\) FROM )?dataops\.(\w+)|(\w+ \w+))', text)
        fn = (m.group(1) or m.group(2)) if m else '?'
        st = self.by_function.setdefault(fn, [0, 0])
        st[0] += 1
        if self.verbose:
            print('fuzz: #%d %s: %s' % (self.calls, actor, shorten(text)), flush=True)
        self.wait_open_runs()
        before = self.checksum(with_state=(kind != 'run'))
        del conn.notices[:]
        err = None
        res = None
        t0 = time.time()
        try:
            cur.execute(text)
            self.ok += 1
            try:
                res = cur.fetchall() if cur.description else None
            except (ValueError, OverflowError, RecursionError):
                res = None          # a value Python cannot hold (year 4713 BC, jsonb nested 1000 deep)
        except psycopg2.Error as e:
            err = e
        for n in conn.notices:
            if NOTICE_BAD.search(n):
                self.fail('resource leak warning', n.strip())
        if err is not None and err.pgcode is None:
            # no SQLSTATE: the connection broke
            self.reconnect(actor)
            raise Crash('connection of %s broke: %s' % (actor, str(err).strip()[:500]))
        self.check_alive(shorten(text, 200))
        if kind == 'run' and actor == 'plain':
            self.check_plain_files()
        elapsed = time.time() - t0
        if max_seconds is not None and (elapsed > max_seconds or (err is not None and err.pgcode == '57014')):
            self.fail('hang', 'statement took %.1f s (at most %g s expected)%s: %s'
                      % (elapsed, max_seconds, ' and was canceled' if err is not None and err.pgcode == '57014'
                         else '', shorten(text, 300)))
        if err is None:
            st[1] += 1
            if unchanged is not None and self.checksum(with_state=(kind != 'run')) != before:
                self.fail('catalog changed by a dry run', '%s: %s' % (unchanged, shorten(text, 300)))
            return True, res
        code = err.pgcode
        self.errors[code] = self.errors.get(code, 0) + 1
        if os.environ.get('DATAOPS_FUZZ_ERRORS'):
            print('fuzz: #%d %s %s %s: %s' % (self.calls, fn, actor, code, (err.diag.message_primary or '')[:200]))
        msg = err.diag.message_primary
        if not msg:
            self.fail('no message', 'SQLSTATE %s without a message' % code)
        if not acceptable(code, actor):
            self.fail('bad sqlstate', '%s (%s): %s' % (code, actor, str(err).strip()[:1500]))
        self.wait_open_runs()
        after = self.checksum(with_state=(kind != 'run'))
        if after != before:
            self.fail('catalog changed by a failed call', 'SQLSTATE %s: %s' % (code, str(err).strip()[:500]))
        return False, err

    def reconnect(self, actor):
        try:
            self.conns[actor].close()
        except Exception:
            pass
        for _ in range(60):
            try:
                self.conns[actor] = self.connect({'su': None, 'reader': ROLE_READER, 'plain': ROLE_PLAIN}[actor])
                return
            except psycopg2.Error:
                time.sleep(1)

    def recover(self):
        """After a crash: wait for the server, reconnect everything, take the new start time."""
        for _ in range(120):
            try:
                self.checker = self.connect()
                break
            except psycopg2.Error:
                time.sleep(1)
        else:
            raise RuntimeError('server did not come back after the crash')
        for a in list(self.conns):
            self.reconnect(a)
        self.start_time = self.q1('SELECT pg_postmaster_start_time()')
        self.scan_log()

    # ------------------------------------------------------------ generators

    def actor(self):
        return self.r.choice(ACTORS)

    def pipeline_name(self, fresh=0.15):
        r = self.r
        k = r.random()
        if k < 1 - fresh - 0.08 and self.cat['pipelines']:
            return r.choice(self.cat['pipelines'])
        if k < 1 - 0.08:
            self.n += 1
            return 'p%d' % self.n
        return gen.maybe_null(r, gen.weird_string(r), 0.2)

    def step_of(self, pipeline):
        steps = [s for s in self.cat['steps'] if s[0] == pipeline]
        r = self.r
        if steps and r.random() < 0.85:
            return r.choice(steps)[1]
        if self.cat['steps'] and r.random() < 0.5:
            return r.choice(self.cat['steps'])[1]
        return gen.maybe_null(r, gen.weird_string(r), 0.2)

    def target_name(self, layer):
        r = self.r
        k = r.random()
        if k < 0.6:
            self.n += 1
            return 't%d' % self.n
        if k < 0.75:
            self.n += 1
            return r.choice(['fz_s.t%d', 'public.t%d', '"Odd Schema"."T%d"', 'bronze.t%d', 'gold.t%d']) % self.n
        if k < 0.85 and self.cat['targets']:
            s, t = r.choice(self.cat['targets'])
            return '%s.%s' % (gen.quote_ident(s), gen.quote_ident(t)) if r.random() < 0.5 else t
        return gen.maybe_null(r, gen.weird_string(r), 0.1)

    def new_csv(self):
        data, meta = gen.make_csv(self.r)
        self.files += 1
        path = os.path.join(self.dir, 'files', 'f%05d.csv' % self.files)
        with open(path, 'wb') as f:
            f.write(data)
        os.chmod(path, 0o644)
        self.file_pool.append(path)
        if len(self.file_pool) > 200:
            old = self.file_pool.pop(0)
            try:
                os.unlink(old)
            except OSError:
                pass
        return path, meta

    def source_path(self):
        r = self.r
        k = r.random()
        if k < 0.8:
            return self.new_csv()
        if k < 0.9 and self.file_pool:
            return r.choice(self.file_pool), {}
        return r.choice(self.special), {}

    # ------------------------------------------------------------ actions

    def act_create_pipeline(self):
        r = self.r
        name = self.pipeline_name(fresh=0.8)
        desc = gen.maybe_null(r, gen.weird_string(r) if r.random() < 0.3 else 'fuzz', 0.3)
        self.call(self.actor(), 'SELECT dataops.create_pipeline(%s, %s)', (name, desc))

    def act_drop_pipeline(self):
        if self.r.random() < 0.5:
            return
        self.call(self.actor(), 'SELECT dataops.drop_pipeline(%s)', (self.pipeline_name(fresh=0.05),))

    def add_step_args(self, pipeline, layer=None, source=None, meta=None):
        r = self.r
        layer = layer or (r.choice(['bronze', 'silver', 'gold', 'silver', 'gold']) if r.random() < 0.92 else
                          gen.maybe_null(r, r.choice(['platinum', '', 'BRONZE', 'bronze ', gen.weird_string(r)]), 0.2))
        name = self.step_name()
        target = self.target_name(layer)
        query = None
        opts = {}
        if layer == 'bronze' and (source is not None or r.random() < 0.7):
            if source is None:
                source, meta = self.source_path()
            opts = gen.csv_options(r, meta or {})
            columns = [gen.ident(r, 'c')] if not meta or not meta.get('names') else \
                [n for n in meta['names'] if n]
        else:
            query = gen.rand_query(r, self.cat['targets'])
            columns = gen.SRC_COLUMNS[:]
            opts = gen.query_options(r, columns)
            if r.random() < 0.05:
                source, _ = self.source_path()
        if r.random() < 0.1 and layer == 'bronze':
            query = query or gen.rand_query(r, self.cat['targets'])
        key = gen.unique_key(r, columns) if query is not None or r.random() < 0.1 else None
        if opts.get('materialization') in ('incremental', 'scd2') and key is None and r.random() < 0.8:
            key = ['id']
        keep = gen.keep_expr(r) if key or r.random() < 0.1 else None
        optjson = gen.json_arg(r, opts, gen.CSV_OPTION_KEYS + gen.RUN_OPTION_KEYS + gen.MAT_OPTION_KEYS) \
            if r.random() < 0.3 else gen.dumps(opts)
        if r.random() < 0.02:
            optjson = None
        return (pipeline, name, layer, target, query, source, key, keep, optjson), columns

    def step_name(self):
        r = self.r
        if r.random() < 0.85:
            self.n += 1
            return 's%d' % self.n
        return gen.maybe_null(r, gen.weird_string(r), 0.1)

    def act_add_step(self):
        args, _ = self.add_step_args(self.pipeline_name(fresh=0.05))
        self.call(self.actor(), 'SELECT dataops.add_step(%s, %s, %s, %s, %s, %s, %s::text[], %s, %s::jsonb)', args)

    def target_columns(self, pipeline, step):
        rows = self.rows("""SELECT a.attname FROM dataops.steps s
                              JOIN pg_namespace n ON n.nspname = s.target_schema
                              JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.target_table
                              JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                             WHERE s.pipeline = %s AND s.name = %s ORDER BY a.attnum""", (pipeline, step))
        return [x[0] for x in rows] or gen.SRC_COLUMNS[:]

    def act_add_expectation(self):
        r = self.r
        p = self.pipeline_name(fresh=0.02)
        s = self.step_of(p)
        cols = self.target_columns(p, s) if isinstance(p, str) and isinstance(s, str) else gen.SRC_COLUMNS[:]
        kind, column, args, action, mostly = gen.expectation_call_args(r, cols)
        self.n += 1
        name = 'e%d' % self.n if r.random() < 0.85 else gen.maybe_null(r, gen.weird_string(r), 0.2)
        self.call(self.actor(), 'SELECT dataops.add_expectation(%s, %s, %s, %s, %s, %s::jsonb, %s, %s::float8)',
                  (p, s, name, kind, column, args, action, mostly))

    def suite_name(self, fresh=0.1):
        r = self.r
        if self.cat['suites'] and r.random() > fresh:
            return r.choice(self.cat['suites'])
        if r.random() < 0.8:
            self.n += 1
            return 'su%d' % self.n
        return gen.maybe_null(r, gen.weird_string(r), 0.2)

    def act_suite(self):
        r = self.r
        k = r.randrange(6)
        if k == 0:
            self.call(self.actor(), 'SELECT dataops.create_suite(%s)', (self.suite_name(fresh=0.9),))
        elif k in (1, 2):
            kind, column, args, action, mostly = gen.expectation_call_args(r, gen.SRC_COLUMNS[:])
            self.n += 1
            name = 'se%d' % self.n if r.random() < 0.85 else gen.maybe_null(r, gen.weird_string(r), 0.2)
            self.call(self.actor(), 'SELECT dataops.add_suite_expectation(%s, %s, %s, %s, %s::jsonb, %s, %s::float8)',
                      (self.suite_name(), name, kind, column, args, action, mostly))
        elif k == 3:
            p = self.pipeline_name(fresh=0.02)
            self.call(self.actor(), 'SELECT dataops.attach_suite(%s, %s, %s)', (p, self.step_of(p), self.suite_name()))
        elif k == 4:
            p = self.pipeline_name(fresh=0.02)
            self.call(self.actor(), 'SELECT dataops.detach_suite(%s, %s, %s)', (p, self.step_of(p), self.suite_name()))
        else:
            self.call(self.actor(), 'SELECT dataops.drop_suite(%s)', (self.suite_name(),))

    def act_pipeline_option(self):
        r = self.r
        key = r.choice(gen.PIPELINE_OPTION_KEYS) if r.random() < 0.85 else gen.maybe_null(r, gen.weird_string(r), 0.2)
        valid = {'timeout': '10 seconds', 'retries': 1, 'retry_delay': '1 second', 'step_timeout': '5 seconds',
                 'retry_on_crash': True}.get(key, 1)
        if r.random() < 0.5:
            value = gen.dumps(valid)
        elif r.random() < 0.9:
            value = gen.dumps(gen.rand_json(r)) if r.random() < 0.5 else gen.dumps(r.choice(gen.NAN_STRINGS))
        else:
            value = None
        self.call(self.actor(), 'SELECT dataops.set_pipeline_option(%s, %s, %s::jsonb)',
                  (self.pipeline_name(fresh=0.02), key, value))

    def act_dependency(self):
        fn = 'add_dependency' if self.r.random() < 0.7 else 'drop_dependency'
        self.call(self.actor(), 'SELECT dataops.%s(%%s, %%s)' % fn,
                  (self.pipeline_name(fresh=0.02), self.pipeline_name(fresh=0.02)))

    def run_id(self):
        r = self.r
        if self.cat['runs'] and r.random() < 0.8:
            return r.choice(self.cat['runs'])
        return r.choice([None, 0, -1, 2 ** 63 - 1, 99999999])

    def act_run(self, pipeline=None, actor=None):
        r = self.r
        p = pipeline if pipeline is not None else self.pipeline_name(fresh=0.02)
        self.runs += 1
        k = r.random()
        if k < 0.85:
            self.call(actor or self.actor(), 'SELECT dataops.run(%s, %s)', (p, r.random() < 0.2), kind='run')
        elif k < 0.93:
            ok, res = self.call(actor or self.actor(), 'SELECT dataops.start_run(%s, %s)', (p, r.random() < 0.2),
                                kind='run')
            if ok and res:
                self.call(actor or self.actor(), 'SELECT dataops.wait(%s, %s::interval)',
                          (res[0][0], r.choice([None, '0', '1 second', '-1 second', '10 seconds'])), kind='run')
        else:
            ok, res = self.call(actor or self.actor(), 'SELECT dataops.start_run(%s)', (p,), kind='run')
            if ok and res:
                self.call(actor or self.actor(), 'SELECT dataops.cancel(%s)', (res[0][0],), kind='run')

    def act_run_misc(self):
        r = self.r
        k = r.randrange(5)
        if k == 0:
            self.call(self.actor(), 'SELECT dataops.cancel(%s)', (self.run_id(),), kind='run')
        elif k == 1:
            self.call(self.actor(), 'SELECT dataops.wait(%s, %s::interval)', (self.run_id(), '100 milliseconds'), kind='run')
        elif k == 2:
            p = self.pipeline_name(fresh=0.02)
            self.call(self.actor(), 'SELECT dataops.rollback(%s, %s, %s)', (p, gen.maybe_null(r, self.step_of(p), 0.3),
                                                                            gen.maybe_null(r, self.run_id(), 0.5)))
        elif k == 3:
            p = self.pipeline_name(fresh=0.02)
            self.call(self.actor(), 'SELECT count(*) FROM dataops.diff(%s, %s, %s, %s)',
                      (p, self.step_of(p), self.run_id(), self.run_id()))
        else:
            rel = r.choice(['public.fz_src', 'public.fz_ref', 'dataops.pipelines', 'pg_catalog.pg_authid', 'nope',
                            'public.fz_src_view'] + ['%s.%s' % (gen.quote_ident(s), gen.quote_ident(t))
                                                     for s, t in self.cat['targets'][-5:]])
            self.call(self.actor(), 'SELECT count(*) FROM dataops.validate(%s::regclass, %s)',
                      (rel, self.suite_name()), kind='run')

    def act_schedule(self):
        r = self.r
        if r.random() < 0.7:
            self.call(self.actor(), 'SELECT dataops.cron_next(%s, %s::timestamptz)',
                      (gen.cron_schedule(r), gen.timestamp(r)), kind='pure')
        elif r.random() < 0.5:
            self.call(self.actor(), 'SELECT dataops.schedule(%s, %s)',
                      (self.pipeline_name(fresh=0.02), gen.cron_schedule(r)))
        else:
            self.call(self.actor(), 'SELECT dataops.unschedule(%s)', (self.pipeline_name(fresh=0.02),))

    def act_pure(self):
        r = self.r
        k = r.randrange(6)
        pat = gen.valid_expectation(r, ['x'])[2].get('pattern') or r.choice(['(a+)+$', '^a', '(', '\\p{Lu}'])
        if r.random() < 0.3:
            pat = gen.weird_string(r)
        v = gen.rand_text_value(r)
        if k == 0:
            self.call(self.actor(), 'SELECT dataops.regex_match(%s, %s)', (v, pat), kind='pure')
        elif k == 1:
            self.call(self.actor(), 'SELECT dataops.regex_match(%s, %s, %s)',
                      (v, pat, r.choice(['i', 'imsx', 'q', '', 'iiii', gen.weird_string(r, False)])), kind='pure')
        elif k == 2:
            self.call(self.actor(), 'SELECT dataops.regex_extract(%s, %s, %s)',
                      (v, pat, r.choice([0, 1, 2, -1, 99, 2 ** 31 - 1, -2 ** 31])), kind='pure')
        elif k == 3:
            self.call(self.actor(), 'SELECT dataops.regex_replace(%s, %s, %s)',
                      (v, pat, r.choice(['x', '$1', '$99', '${name}', '$', '${', '$$', '\\1', '${1}' * 100,
                                         gen.weird_string(r)])), kind='pure')
        elif k == 4:
            typ = gen.valid_expectation(r, ['x'])
            typ = typ[2].get('type') if typ[0] == 'castable_to' else r.choice(['integer', 'internal', 'cstring',
                                                                               'record', 'void', 'numeric(5,2)'])
            self.call(self.actor(), 'SELECT dataops.input_is_valid(%s, %s)', (v, typ), kind='pure')
        else:
            fmt = r.choice(['%Y-%m-%d', '%', '%E', '%Q', '%%', '%Y' * 1000, '%s', '%c', '%G-W%V-%u', '%Ey', '%j',
                            '%-d', '', '%H:%M:%S %z', '%b %d %Y', '%n%t', gen.weird_string(r)])
            self.call(self.actor(), 'SELECT dataops.matches_strftime(%s, %s)',
                      (r.choice([v, '2024-02-29', '2023-02-29', '12:00:00 +0100', 'Jan 01 2024']), fmt), kind='pure')

    def act_sample(self):
        r = self.r
        vals = [gen.maybe_null(r, gen.rand_text_value(r), 0.2) for _ in range(r.randrange(0, 40))]
        self.call(self.actor(), 'SELECT dataops.unexpected_sample(x) FROM unnest(%s::text[]) x', (vals,), kind='pure')

    def scenario_bronze(self):
        """A fresh pipeline: a bronze step on a new CSV file, maybe silver on top and expectations; run it."""
        r = self.r
        actor = self.actor()
        self.n += 1
        p = 'sc%d' % self.n
        ok, _ = self.call(actor, 'SELECT dataops.create_pipeline(%s)', (p,))
        if not ok:
            return
        path, meta = self.source_path()
        args, columns = self.add_step_args(p, layer='bronze', source=path, meta=meta)
        args = list(args)
        if r.random() < 0.85:
            args[4] = None      # no query: read the file
        ok, _ = self.call(actor, 'SELECT dataops.add_step(%s, %s, %s, %s, %s, %s, %s::text[], %s, %s::jsonb)', args)
        if ok and r.random() < 0.5:
            schema, table = self.rows('SELECT target_schema, target_table FROM dataops.steps '
                                      'WHERE pipeline = %s AND name = %s', (p, args[1]))[0]
            src = '%s.%s' % (gen.quote_ident(schema), gen.quote_ident(table))
            cols = [c for c in columns if c] or ['c0']
            ncol = gen.quote_ident(gen.ingest_like_name(r.choice(cols)))
            q = r.choice(['SELECT * FROM %s' % src, 'SELECT %s FROM %s' % (ncol, src),
                          'SELECT %s, count(*) AS n FROM %s GROUP BY 1' % (ncol, src)])
            self.n += 1
            opts = gen.query_options(r, cols)
            self.call(actor, 'SELECT dataops.add_step(%s, %s, %s, %s, %s, %s, %s::text[], %s, %s::jsonb)',
                      (p, 'sv%d' % self.n, 'silver', 'sv%d' % self.n, q, None, gen.unique_key(r, cols),
                       None, gen.dumps(opts)))
        self.refresh_catalog()
        for _ in range(r.randrange(0, 3)):
            self.act_add_expectation_on(p, actor)
        self.act_run(p, actor)
        if r.random() < 0.3:
            self.act_run(p, actor)
        if r.random() < 0.5:
            self.call(actor, 'SELECT dataops.drop_pipeline(%s)', (p,))

    def scenario_clean(self):
        """The oracle: a well-formed CSV file must load exactly, column names and rows."""
        r = self.r
        data, opts, names, rows = gen.make_clean_csv(r)
        self.files += 1
        path = os.path.join(self.dir, 'files', 'clean%05d.csv' % self.files)
        with open(path, 'wb') as f:
            f.write(data)
        os.chmod(path, 0o644)
        self.n += 1
        p = 'cl%d' % self.n
        table = 'clean%d' % self.n
        if not self.call('su', 'SELECT dataops.create_pipeline(%s)', (p,))[0]:
            return
        ok, err = self.call('su', 'SELECT dataops.add_step(%s, %s, %s, %s, source => %s, options => %s::jsonb)',
                            (p, 'load', 'bronze', table, path, gen.dumps(opts)))
        if not ok:
            self.fail('wrong result', 'well-formed CSV %s with options %s: add_step refused: %s'
                      % (path, gen.dumps(opts), str(err).strip()))
            return
        self.runs += 1
        ok, err = self.call('su', 'SELECT dataops.run(%s)', (p,), kind='run')
        if not ok:
            self.fail('wrong result', 'well-formed CSV %s with options %s: run failed: %s'
                      % (path, gen.dumps(opts), str(err).strip()[:500]))
            return
        cols = [x[0] for x in self.rows(
            "SELECT attname FROM pg_attribute WHERE attrelid = ('bronze.' || quote_ident(%s))::regclass "
            "AND attnum > 0 AND NOT attisdropped ORDER BY attnum", (table,))]
        data_cols = [c for c in cols if c not in ('_source_file', '_ingested_at', '_run_id')]
        if data_cols != names:
            self.fail('wrong result', 'well-formed CSV %s with options %s: columns %r, expected %r'
                      % (path, gen.dumps(opts), data_cols, names))
            return
        got = self.rows('SELECT %s FROM bronze.%s' % (', '.join(gen.quote_ident(c) for c in names),
                                                      gen.quote_ident(table)))
        key = lambda t: tuple((v is None, v or '') for v in t)
        if sorted(map(tuple, got), key=key) != sorted(rows, key=key):
            missing = [x for x in rows if x not in [tuple(g) for g in got]][:3]
            extra = [tuple(g) for g in got if tuple(g) not in rows][:3]
            self.fail('wrong result', 'well-formed CSV %s with options %s: %d rows loaded, %d expected; '
                      'expected but missing: %r; loaded but not expected: %r'
                      % (path, gen.dumps(opts), len(got), len(rows), missing, extra))
            return
        if r.random() < 0.7:
            self.call('su', 'SELECT dataops.drop_pipeline(%s)', (p,))

    def scenario_query(self):
        """A fresh pipeline over its own source table: a silver step with a random materialization,
        key and keep, maybe a gold step and expectations; runs it, changes the source, runs again,
        and tries rollback and diff."""
        r = self.r
        self.n += 1
        n = self.n
        src = 'public.qsrc%d' % n
        ok, _ = self.call('su', 'CREATE TABLE %s AS SELECT * FROM public.fz_src' % src, kind='setup')
        if not ok:
            return
        self.call('su', 'GRANT SELECT ON %s TO PUBLIC' % src, kind='setup')
        actor = r.choice(['su', 'su', 'reader'])
        p = 'q%d' % n
        if not self.call(actor, 'SELECT dataops.create_pipeline(%s)', (p,))[0]:
            return
        cols = gen.SRC_COLUMNS[:]
        opts = gen.query_options(r, cols)
        if r.random() < 0.5:
            opts['materialization'] = r.choice(['table', 'view', 'incremental', 'scd2'])
            if opts['materialization'] == 'incremental' and r.random() < 0.7:
                opts['watermark'] = r.choice(['updated_at', 'id', 'd', 'amount', 'nope'])
        if r.random() < 0.2:
            opts['keep_versions'] = r.choice([1, 2, 3])
        key = gen.unique_key(r, cols)
        if opts.get('materialization') in ('incremental', 'scd2') and r.random() < 0.9:
            key = r.choice([['id'], ['id', 'name'], ['email'], ['d']])
        q = r.choice(['SELECT * FROM %s' % src,
                      'SELECT id, name, email, age, updated_at FROM %s' % src,
                      'SELECT id, lower(name) AS name, updated_at, amount FROM %s WHERE id IS NOT NULL' % src,
                      'SELECT DISTINCT ON (id) * FROM %s ORDER BY id, updated_at DESC' % src,
                      'SELECT id, count(*) AS n, max(updated_at) AS updated_at FROM %s GROUP BY id' % src])
        if r.random() < 0.1:
            q = gen.mutate_sql(r, q)
        keep = r.choice([None, 'updated_at DESC', 'updated_at DESC NULLS LAST, id', 'id']) if key else None
        ok, _ = self.call(actor, 'SELECT dataops.add_step(%s, %s, %s, %s, %s, NULL, %s::text[], %s, %s::jsonb)',
                          (p, 's', 'silver', 'qs%d' % n, q, key, keep, gen.dumps(opts)))
        if not ok:
            return
        if r.random() < 0.5:
            g = r.choice(['SELECT count(*) AS n FROM silver.qs%d' % n,
                          'SELECT * FROM silver.qs%d WHERE id > 3' % n,
                          'SELECT id, name FROM silver.qs%d' % n])
            gopts = gen.query_options(r, cols) if r.random() < 0.5 else {}
            self.call(actor, 'SELECT dataops.add_step(%s, %s, %s, %s, %s, NULL, %s::text[], NULL, %s::jsonb)',
                      (p, 'g', 'gold', 'qg%d' % n, g, gen.unique_key(r, ['id', 'name', 'n']), gen.dumps(gopts)))
        self.refresh_catalog()
        for _ in range(r.randrange(0, 4)):
            self.act_add_expectation_on(p, actor)
        run_ids = []
        for i in range(r.randrange(1, 4)):
            self.runs += 1
            ok, res = self.call(actor, 'SELECT dataops.run(%s, %s)', (p, r.random() < 0.15), kind='run')
            if ok and res:
                run_ids.append(res[0][0])
            change = r.choice([
                "INSERT INTO %s SELECT id + 100, name || 'x', email, age, now(), amount, d, tags, doc FROM %s WHERE id < 5",
                "UPDATE %s SET name = name || '!', updated_at = now() WHERE id %% 3 = 0",
                "DELETE FROM %s WHERE id %% 4 = 0",
                "INSERT INTO %s VALUES (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
                "INSERT INTO %s VALUES (1, 'dup2', NULL, 1, 'infinity', 'NaN', '', '{}', 'null')",
                "ALTER TABLE %s ADD COLUMN extra int DEFAULT 1",
                "ALTER TABLE %s ALTER COLUMN age TYPE bigint",
                "UPDATE %s SET updated_at = '-infinity' WHERE id = 2",
                "TRUNCATE %s",
            ])
            self.call('su', change.replace('%s', src, 2) if change.count('%s') == 2 else change % src, kind='setup')
        if run_ids and r.random() < 0.5:
            self.call(actor, 'SELECT dataops.rollback(%s, %s, %s)',
                      (p, r.choice(['s', 'g', None]), r.choice(run_ids + [None])))
        if len(run_ids) >= 2 and r.random() < 0.5:
            self.call(actor, 'SELECT count(*) FROM dataops.diff(%s, %s, %s, %s)', (p, 's', run_ids[0], run_ids[-1]))
        if r.random() < 0.5:
            self.call(actor, 'SELECT dataops.drop_pipeline(%s)', (p,))

    def act_add_expectation_on(self, p, actor):
        r = self.r
        steps = [s for s in self.cat['steps'] if s[0] == p]
        if not steps:
            return
        s = r.choice(steps)[1]
        kind, column, args, action, mostly = gen.expectation_call_args(r, self.target_columns(p, s))
        self.n += 1
        self.call(actor, 'SELECT dataops.add_expectation(%s, %s, %s, %s, %s, %s::jsonb, %s, %s::float8)',
                  (p, s, 'e%d' % self.n, kind, column, args, action, mostly))

    # ------------------------------------------------------------ issue 14: change in place

    def actor_for(self, pipeline):
        """Mostly the role that owns the pipeline (so that the call gets past the privilege check), else any."""
        owner = self.cat['owners'].get(pipeline)
        if owner is not None and self.r.random() < 0.7:
            return {ROLE_READER: 'reader', ROLE_PLAIN: 'plain'}.get(owner, 'su')
        return self.actor()

    def step_pair(self, published=False):
        """(pipeline, step) of an existing step mostly (of one whose target exists, with published), else
        a random or missing one."""
        r = self.r
        pool = self.cat['published'] if published else self.cat['steps']
        if pool and r.random() < 0.85:
            return tuple(r.choice(pool)[:2])
        p = self.pipeline_name(fresh=0.02)
        return p, self.step_of(p)

    def expectation_of(self):
        """(pipeline, step, name) of an existing expectation mostly, else of a random or missing one."""
        r = self.r
        if self.cat['expectations'] and r.random() < 0.8:
            return tuple(r.choice(self.cat['expectations']))
        p = self.pipeline_name(fresh=0.02)
        self.n += 1
        return p, self.step_of(p), r.choice(['e%d' % self.n, gen.maybe_null(r, gen.weird_string(r, False), 0.3)])

    def named_call(self, actor, fn, fixed, optional, **kw):
        """SELECT dataops.fn(k => v, ...) with the fixed arguments and a random subset of the optional ones
        ((name, cast, value) triples); sometimes an unknown named argument."""
        r = self.r
        parts, args = [], []
        for name, value in fixed:
            parts.append('%s => %%s' % name)
            args.append(value)
        for name, cast, value in optional:
            parts.append('%s => %%s%s' % (name, cast))
            args.append(value)
        if r.random() < 0.02:
            parts.append('nope => 1')
        return self.call(actor, 'SELECT dataops.%s(%s)' % (fn, ', '.join(parts)), tuple(args), **kw)

    def act_alter(self):
        r = self.r
        actor = self.actor()
        k = r.randrange(20)
        if k < 7:
            self.alter_step()
        elif k < 9:
            p, s = self.step_pair()
            actor = self.actor_for(p)
            if r.random() < 0.5:
                self.call(actor, 'SELECT dataops.drop_step(%s, %s)', (p, s))
            else:
                self.call(actor, 'SELECT dataops.drop_step(%s, %s, %s)', (p, s, gen.maybe_null(r, r.random() < 0.5)))
        elif k < 11:
            p, s = self.step_pair()
            actor = self.actor_for(p)
            q = r.random()
            if q < 0.6:
                self.n += 1
                new = 'rs%d' % self.n
            elif q < 0.8:
                new = self.step_of(p)
            else:
                new = gen.maybe_null(r, gen.weird_string(r), 0.2)
            self.call(actor, 'SELECT dataops.rename_step(%s, %s, %s)', (p, s, new))
        elif k < 14:
            self.alter_expectation()
        elif k < 16:
            e = self.expectation_of()
            self.call(self.actor_for(e[0]), 'SELECT dataops.drop_expectation(%s, %s, %s)', e)
        elif k < 17:
            if self.cat['suite_exps'] and r.random() < 0.8:
                suite, name = r.choice(self.cat['suite_exps'])
            else:
                suite, name = self.suite_name(), gen.maybe_null(r, gen.weird_string(r, False), 0.2)
            self.call(actor, 'SELECT dataops.drop_suite_expectation(%s, %s)', (suite, name))
        elif k < 18:
            opt = []
            if r.random() < 0.7:
                opt.append(('description', '', gen.maybe_null(r, gen.weird_string(r) if r.random() < 0.5 else 'd', 0.2)))
            if r.random() < 0.4:
                opt.append(('reset', '::text[]', gen.reset_array(r, gen.ALTER_PIPE_RESET)))
            p = self.pipeline_name(fresh=0.05)
            self.named_call(self.actor_for(p), 'alter_pipeline', [('name', p)], opt)
        else:
            q = r.random()
            if q < 0.6:
                self.n += 1
                new = 'rp%d' % self.n
            elif q < 0.8:
                new = self.pipeline_name(fresh=0)
            else:
                new = gen.maybe_null(r, gen.weird_string(r), 0.2)
            p = self.pipeline_name(fresh=0.02)
            self.call(self.actor_for(p), 'SELECT dataops.rename_pipeline(%s, %s)', (p, new))

    def alter_step(self):
        r = self.r
        p, s = self.step_pair()
        actor = self.actor_for(p)
        cols = self.target_columns(p, s) if isinstance(p, str) and isinstance(s, str) else gen.SRC_COLUMNS[:]
        row = [x for x in self.cat['steps'] if x[0] == p and x[1] == s]
        layer = row[0][4] if row else 'silver'
        opt = []
        if r.random() < 0.2:
            layer = r.choice(['bronze', 'silver', 'gold']) if r.random() < 0.8 else \
                r.choice(['platinum', '', 'BRONZE', None, gen.weird_string(r, False)])
            opt.append(('layer', '', layer))
        if r.random() < 0.2:
            opt.append(('target', '', self.target_name(layer if layer in ('bronze', 'silver', 'gold') else 'silver')))
        if r.random() < 0.35:
            opt.append(('query', '', gen.rand_query(r, self.cat['targets'])))
        if r.random() < 0.15:
            opt.append(('source', '', self.source_path()[0]))
        if r.random() < 0.25:
            opt.append(('unique_key', '::text[]', gen.unique_key(r, cols)))
        if r.random() < 0.2:
            opt.append(('keep', '', gen.keep_expr(r)))
        if r.random() < 0.3:
            base = gen.csv_options(r, {}) if layer == 'bronze' and r.random() < 0.7 else gen.query_options(r, cols)
            opt.append(('options', '::jsonb', gen.json_arg(r, base, gen.CSV_OPTION_KEYS + gen.RUN_OPTION_KEYS +
                                                           gen.MAT_OPTION_KEYS)))
        given = [n for n, _, _ in opt]
        if r.random() < 0.35:
            opt.append(('reset', '::text[]', gen.reset_array(r, gen.ALTER_STEP_RESET)))
        elif ('query' in given) != ('source' in given) and r.random() < 0.7:
            # a query for a step that reads files (or the other way round) needs the other reset
            opt.append(('reset', '::text[]', ['source'] if 'query' in given else ['query']))
        r.shuffle(opt)
        if r.random() < 0.1:
            # positional, every argument
            d = dict((n, v) for n, _, v in opt)
            self.call(actor, 'SELECT dataops.alter_step(%s, %s, %s, %s, %s, %s, %s::text[], %s, %s::jsonb, %s::text[])',
                      (p, s, d.get('layer'), d.get('target'), d.get('query'), d.get('source'), d.get('unique_key'),
                       d.get('keep'), d.get('options'), d.get('reset', [])))
        else:
            self.named_call(actor, 'alter_step', [('pipeline', p), ('step', s)], opt)

    def alter_expectation(self):
        r = self.r
        p, s, name = self.expectation_of()
        actor = self.actor_for(p)
        cols = self.target_columns(p, s) if isinstance(p, str) and isinstance(s, str) else gen.SRC_COLUMNS[:]
        kind, column, args, action, mostly = gen.expectation_call_args(r, cols)
        opt = []
        if r.random() < 0.3:
            opt.append(('kind', '', kind))
        if r.random() < 0.3:
            opt.append(('column_name', '', column))
        if r.random() < 0.4:
            if r.random() < 0.2:
                try:
                    args = gen.dumps(gen.with_parameters(r, json.loads(args)))
                except ValueError:
                    pass
            opt.append(('args', '::jsonb', args))
        if r.random() < 0.3:
            opt.append(('action', '', action))
        if r.random() < 0.3:
            opt.append(('mostly', '::float8', mostly))
        if r.random() < 0.3:
            opt.append(('reset', '::text[]', gen.reset_array(r, gen.ALTER_EXP_RESET)))
        r.shuffle(opt)
        self.named_call(actor, 'alter_expectation', [('pipeline', p), ('step', s), ('name', name)], opt)

    # ------------------------------------------------------------ issue 14: definition documents

    def export_doc(self, pipeline):
        """dataops.export(pipeline) as the superuser checker, or None."""
        try:
            return self.q1('SELECT dataops.export(%s)', (pipeline,))
        except (psycopg2.Error, RecursionError):
            return None

    def base_document(self):
        r = self.r
        k = r.random()
        if k < 0.55 and self.cat['pipelines']:
            names = r.sample(self.cat['pipelines'], min(len(self.cat['pipelines']), r.choice([1, 1, 1, 2, 3])))
            doc = self.export_doc(names[0])
            if doc and len(names) > 1:
                for n in names[1:]:
                    d = self.export_doc(n)
                    if d:
                        doc['pipelines'] += d.get('pipelines', [])
                        doc['suites'] = doc.get('suites', []) + d.get('suites', [])
            return doc
        if k < 0.65 and len(self.cat['pipelines']) < 60:
            return self.export_doc(None)
        if k < 0.8:
            doc = gen.deep_copy(self.people_doc)
            doc['pipelines'][0]['name'] = 'ppl%d' % self.n
            self.n += 1
            for st in doc['pipelines'][0]['steps']:
                st['target'] = st['target'] + str(self.n)
                if 'source' in st:
                    st['source'] = os.path.join(self.dir, 'files', r.choice(['f*.csv', 'clean*.csv', 'nothing.csv']))
                if 'query' in st:
                    st['query'] = 'SELECT * FROM public.fz_src'
            return doc
        if k < 0.9:
            self.n += 1
            return {'format': 'dataops/v1', 'pipelines': [{'name': 'dp%d' % self.n, 'steps': [
                {'name': 's', 'layer': 'silver', 'target': 'silver.dp%d' % self.n, 'query': r.choice(gen.QUERIES),
                 'expectations': [{'name': 'e', 'kind': 'not_null', 'column': 'id'}]}]}]}
        return gen.rand_json(r)

    def act_doc(self):
        r = self.r
        actor = self.actor()
        k = r.randrange(12)
        if k < 2:
            p = r.choice([self.pipeline_name(fresh=0.05), None])
            fn = r.choice(['export', 'export_yaml'])
            ok, err = self.call(actor, 'SELECT dataops.%s(%%s)' % fn, (p,), kind='pure')
            if not ok and actor == 'su' and (p is None or p in self.cat['pipelines']):
                self.fail('wrong result', 'dataops.%s(%r) of an existing pipeline failed for the superuser: %s'
                          % (fn, p, str(err).strip()[:500]))
            return
        if k < 4 and self.cat['pipelines']:
            # export -> apply of the same database: nothing to do (the issue: applying the same document
            # twice changes nothing and reports no action)
            p = r.choice(self.cat['pipelines'] + [None])
            if p is None and len(self.cat['pipelines']) > 60:
                return
            fn, text = ('apply', 'SELECT dataops.export(%s)') if r.random() < 0.7 else \
                ('apply_yaml', 'SELECT dataops.export_yaml(%s)')
            ok, res = self.call('su', text, (p,), kind='pure')
            if not ok:
                self.fail('wrong result', 'dataops.export(%r) failed for the superuser: %s' % (p, str(res).strip()[:500]))
                return
            doc = res[0][0] if fn == 'apply_yaml' else gen.dumps(res[0][0])
            ok, res = self.call('su', 'SELECT * FROM dataops.%s(%%s, dry_run => true)' % fn, (doc,),
                                unchanged='dry run of a document')
            if ok and res:
                self.fail('not idempotent', 'dataops.%s(export(%r), dry_run) plans changes on the database it was '
                          'exported from: %s' % (fn, p, shorten(repr(res), 800)))
            elif not ok and not isinstance(res, str):
                self.fail('wrong result', 'dataops.%s(export(%r), dry_run) failed for the superuser: %s'
                          % (fn, p, str(res).strip()[:500]))
            return
        doc = self.base_document()
        names = self.cat['pipelines'][-20:] + [s[1] for s in self.cat['steps'][-20:]]
        if r.random() < 0.85:
            doc = gen.mutate_tree(r, doc, gen.DOC_KEYS, names)
        dry = r.random() < 0.5
        allow = r.random() < (0.3 if dry else 0.1)
        if isinstance(doc, dict) and doc.get('scope') == 'all' and allow and not dry and r.random() < 0.7:
            allow = False
        if r.random() < 0.25:
            y = gen.safe_yaml(r, doc)
            if y is None:
                return
            if r.random() < 0.3:
                y = gen.mutate_yaml(r, y)
            fn, arg, cast = 'apply_yaml', y, ''
        else:
            fn, arg, cast = 'apply', gen.dumps(doc), '::jsonb'
        if r.random() < 0.3:
            sql = 'SELECT * FROM dataops.%s(definition => %%s%s, allow_drop => %%s, dry_run => %%s)' % (fn, cast)
            args = (arg, allow, dry)
        else:
            sql = 'SELECT * FROM dataops.%s(%%s%s, %%s, %%s)' % (fn, cast)
            args = (arg, dry, allow)
        ok, res = self.call(actor, sql, args, unchanged='dry run of a document' if dry else None)
        if ok and not dry and res and r.random() < 0.5:
            ok2, res2 = self.call(actor, 'SELECT * FROM dataops.%s(%%s%s, true, %%s)' % (fn, cast), (arg, allow),
                                  unchanged='dry run of a document')
            if ok2 and res2:
                self.fail('not idempotent', 'dataops.%s: a document applied (%d changes) plans changes again: %s'
                          % (fn, len(res), shorten(repr(res2), 800)))

    # ------------------------------------------------------------ issue 14: YAML

    def act_yaml(self):
        r = self.r
        actor = self.actor()
        k = r.randrange(10)
        if k < 3:
            text = gen.yaml_hostile(r) if r.random() < 0.7 else gen.yaml_text(r)
        elif k < 5:
            base = r.choice(self.yaml_texts)
            text = gen.mutate_yaml(r, base)
        elif k < 6:
            text = gen.safe_yaml(r, gen.rand_json(r) if r.random() < 0.6 else self.base_document())
            if text is None:
                return
        else:
            self.yaml_round_trip(actor)
            return
        if '\0' in text:
            text = text.replace('\0', '')
        self.call(actor, 'SELECT dataops.yaml_to_jsonb(%s)', (text,), kind='pure',
                  max_seconds=10 if len(text) < (4 << 20) else 30)

    def yaml_round_trip(self, actor):
        """yaml_to_jsonb(jsonb_to_yaml(j)) = j whenever jsonb_to_yaml succeeds."""
        r = self.r
        k = r.random()
        if k < 0.5:
            j = gen.dumps(gen.rand_json(r))
        elif k < 0.7:
            j = gen.dumps(gen.mutate_tree(r, self.base_document() or {}, gen.DOC_KEYS))
        elif k < 0.85:
            j = gen.dumps(gen.mutate_tree(r, r.choice(self.contract_docs), ODCS_KEYS))
        else:
            j = gen.dumps(r.choice([
                {'': '', ' ': ' ', 'a\nb': 'c\nd', 'x': 'trailing \n', 'y': '\n', 'z': ' lead'},
                ['-', '?', ':', '- a', '? b', 'a: b', '#', '# c', '!', '&a', '*a', '|', '>', '%', '@', '`', '---', '...'],
                ['yes', 'no', 'on', 'off', 'y', 'n', 'Yes', '~', 'null', 'true', '1', '1.0', '0x1', '0o7', '1e3', '.inf',
                 '.nan', '-.inf', '2024-01-01', '1:20', '1_000', '+1', '.5', '0b1', '010', '=', '<<'],
                {'k': '\t', 'l': 'a\tb', 'm': '\x01\x7f\x85\u2028\u2029\ufeff', 'n': '\ud7ff\ue000\ufffd', 'o': '\r\n'},
                {'a' * 2000: 'b' * 5000, 'multi\nline key': {'multi\nline key 2': ['x\ny']}},
                [1e308, -1e-308, 0, -0.0, 2 ** 64, 10 ** 40, 0.1, 1.5e-7],
                [gen.RawNumber(x) for x in gen.BIG_NUMBER_LITERALS],
                gen.deep_value(r, r.choice([10, 100, 999, 1000, 1001])),
                ['  ', 'a  ', ' |', 'a #b', 'a: ', 'a:b', '"', "'", '\\', '\\n', 'é', '🦄', '\u0085x', 'x\u2028y'],
            ]))
        ok, res = self.call(actor, 'SELECT dataops.jsonb_to_yaml(%s::jsonb)', (j,), kind='pure', max_seconds=20)
        if not ok or not res:
            return
        y = res[0][0]
        ok, res = self.call(actor, 'SELECT dataops.yaml_to_jsonb(%s) = %s::jsonb, dataops.yaml_to_jsonb(%s)::text',
                            (y, j, y), kind='pure', max_seconds=20)
        if not ok:
            self.fail('round trip', 'yaml_to_jsonb(jsonb_to_yaml(j)) failed: %s | j = %s | yaml = %s'
                      % (str(res).strip()[:400], shorten(j, 400), shorten(y, 400)))
        elif not res[0][0]:
            self.fail('round trip', 'yaml_to_jsonb(jsonb_to_yaml(j)) <> j: j = %s | yaml = %s | read back = %s'
                      % (shorten(j, 400), shorten(y, 400), shorten(res[0][1], 400)))

    # ------------------------------------------------------------ issue 14: data contracts

    def contract_text(self):
        """A contract: a mutated example (often aimed at an existing step's target and columns), or random."""
        r = self.r
        k = r.random()
        target = None
        if k < 0.12:
            return r.choice([gen.yaml_hostile(r), gen.dumps(gen.rand_json(r)), gen.weird_string(r), '{}', '[]', ''])
        if k < 0.22:
            return gen.mutate_yaml(r, r.choice(self.contract_texts))
        doc = gen.deep_copy(r.choice(self.contract_docs))
        if self.cat['steps'] and r.random() < 0.7 and isinstance(doc.get('schema'), list) and doc['schema'] \
                and isinstance(doc['schema'][0], dict):
            pool = self.cat['published'] if self.cat['published'] and r.random() < 0.8 else self.cat['steps']
            p, s = r.choice(pool)[:2]
            schema, table = [(x[2], x[3]) for x in self.cat['steps'] if x[0] == p and x[1] == s][0]
            target = (p, s)
            obj = doc['schema'][0]
            obj['physicalName'] = r.choice(['%s.%s' % (schema, table), table, '%s.%s' % (schema, table.upper())])
            cols = self.target_columns(p, s)
            props = obj.get('properties') if isinstance(obj.get('properties'), list) else []
            for prop in props:
                if isinstance(prop, dict) and cols and r.random() < 0.8:
                    prop['name'] = r.choice(cols)
                    prop.pop('physicalName', None)
            if r.random() < 0.3 and cols:
                props.append({'name': r.choice(cols), 'logicalType': r.choice(['string', 'integer', 'number', 'date',
                                                                                'boolean', 'object', 'array', 'nope']),
                              'required': r.choice([True, False, 'yes']), 'unique': r.random() < 0.5,
                              'logicalTypeOptions': r.choice([{'pattern': '^a'}, {'minimum': 0, 'maximum': 10},
                                                             {'minLength': 1, 'maxLength': 3}, {'format': 'YYYY-MM-DD'},
                                                             {'minimum': 'x'}, {}])})
                obj['properties'] = props
        if r.random() < 0.2:
            doc['version'] = r.choice(['2.0.0', '1.0.0', None, 1, '', gen.weird_string(r, False)])
        if r.random() < 0.8:
            doc = gen.mutate_tree(r, doc, ODCS_KEYS)
        if r.random() < 0.3:
            text = gen.dumps(doc)
        else:
            text = gen.safe_yaml(r, doc) or gen.dumps(doc)
        self.contract_target = target
        return text

    def act_contract(self):
        r = self.r
        actor = self.actor()
        k = r.randrange(10)
        if k < 6:
            self.contract_target = None
            text = self.contract_text()
            if self.contract_target and r.random() < 0.8:
                p, s = self.contract_target
                if r.random() < 0.5:
                    s = None
            else:
                p = self.pipeline_name(fresh=0.05)
                s = gen.maybe_null(r, self.step_of(p), 0.5)
            actor = self.actor_for(p)
            if r.random() < 0.5:
                self.call(actor, 'SELECT * FROM dataops.apply_contract(%s, %s)', (text, p), max_seconds=25)
            else:
                self.call(actor, 'SELECT * FROM dataops.apply_contract(%s, %s, %s)', (text, p, s), max_seconds=25)
        elif k < 8:
            p, s = self.step_pair(published=True)
            self.call(actor, 'SELECT dataops.export_contract(%s, %s)', (p, gen.maybe_null(self.r, s, 0.05)),
                      kind='pure')
        elif self.cat['published']:
            # export_contract -> apply_contract on the same step
            p, s = r.choice(self.cat['published'])[:2]
            ok, res = self.call('su', 'SELECT dataops.export_contract(%s, %s)', (p, s), kind='pure')
            if ok and res and res[0][0]:
                self.call(r.choice(['su', actor]), 'SELECT * FROM dataops.apply_contract(%s, %s, %s)',
                          (res[0][0], p, s), max_seconds=25)

    # ------------------------------------------------------------ issue 14: Great Expectations suites

    def ge_document(self):
        r = self.r
        k = r.random()
        if k < 0.1:
            return gen.rand_json(r)
        if k < 0.2 and self.cat['suites']:
            try:
                doc = self.q1('SELECT dataops.export_ge_suite(%s)', (r.choice(self.cat['suites']),))
            except (psycopg2.Error, RecursionError):
                doc = None
            if doc:
                return gen.mutate_tree(r, doc, GE_KEYS)
        doc = gen.deep_copy(self.ge_doc)
        exps = doc['expectations']
        r.shuffle(exps)
        del exps[r.randrange(1, len(exps) + 1):]
        for e in exps:
            if r.random() < 0.1 and self.ge_types:
                e['type'] = r.choice(self.ge_types + ['expect_column_values_to_be_pretty', '', 'not_null',
                                                      gen.weird_string(r, False)])
            if r.random() < 0.15 and isinstance(e.get('kwargs'), dict):
                e['kwargs'] = gen.with_parameters(r, e['kwargs'])
            if r.random() < 0.1:
                e['expectation_type'] = e.pop('type', None)
            if r.random() < 0.1 and isinstance(e.get('kwargs'), dict):
                kw = e['kwargs']
                kw[r.choice(['regex', 'value_set', 'min_value', 'max_value', 'result_format', 'mostly', 'column'])] = \
                    r.choice(['', None, [], 'BOOLEAN_ONLY', {'result_format': 'COMPLETE'}, 0, 5, -1, 1.5, 'x'])
        if r.random() < 0.7:
            doc = gen.mutate_tree(r, doc, GE_KEYS)
        return doc

    def act_ge(self):
        r = self.r
        actor = self.actor()
        k = r.randrange(10)
        if k < 6:
            doc = self.ge_document()
            q = r.random()
            if q < 0.5:
                self.n += 1
                name = 'ge%d' % self.n
            elif q < 0.7:
                name = None
            else:
                name = self.suite_name()
            self.call(actor, 'SELECT * FROM dataops.import_ge_suite(%s::jsonb, %s)', (gen.dumps(doc), name))
        elif k < 8:
            self.call(actor, 'SELECT dataops.export_ge_suite(%s)', (self.suite_name(),), kind='pure')
        elif self.cat['suites']:
            # export_ge_suite -> import_ge_suite: the same suite (export_ge_suite's promise)
            s = r.choice(self.cat['suites'])
            ok, res = self.call('su', 'SELECT dataops.export_ge_suite(%s)::text', (s,), kind='pure')
            if not ok or not res or res[0][0] is None:
                return
            self.n += 1
            copy = 'gr%d' % self.n
            who = r.choice(['su', actor])
            ok, err = self.call(who, 'SELECT * FROM dataops.import_ge_suite(%s::jsonb, %s)', (res[0][0], copy))
            if not ok:
                if who == 'su' and not isinstance(err, str):
                    self.fail('round trip', 'import_ge_suite(export_ge_suite(%r)) failed for the superuser: %s'
                              % (s, str(err).strip()[:500]))
                return
            diff = self.rows("""(SELECT name, kind, column_name, args::text, action, mostly FROM dataops.suite_expectations
                                   WHERE suite = %s
                                  EXCEPT SELECT name, kind, column_name, args::text, action, mostly
                                   FROM dataops.suite_expectations WHERE suite = %s)
                                 UNION ALL
                                 (SELECT name, kind, column_name, args::text, action, mostly FROM dataops.suite_expectations
                                   WHERE suite = %s
                                  EXCEPT SELECT name, kind, column_name, args::text, action, mostly
                                   FROM dataops.suite_expectations WHERE suite = %s)""", (s, copy, copy, s))
            if diff:
                self.fail('round trip', 'import_ge_suite(export_ge_suite(%r)) made a different suite: %s'
                          % (s, shorten(repr(diff), 800)))

    def act_params(self):
        r = self.r
        actor = self.actor()
        if r.random() < 0.8:
            self.call(actor, 'SET dataops.parameters = %s', (gen.parameters_json(r),), kind='pure')
        else:
            self.call(actor, 'RESET dataops.parameters', kind='pure')

    # ------------------------------------------------------------ main loop

    ACTIONS = [
        ('create_pipeline', 8), ('drop_pipeline', 3), ('add_step', 20), ('add_expectation', 12), ('suite', 8),
        ('pipeline_option', 4), ('dependency', 3), ('run', 6), ('run_misc', 3), ('schedule', 4), ('pure', 8),
        ('sample', 1), ('scenario', 10), ('clean', 4), ('query', 6),
        # issue 14 (pipelines as code): about a fifth of the draws
        ('alter', 8), ('doc', 5), ('yaml', 6), ('contract', 4), ('ge', 4), ('params', 1),
    ]

    def pick_action(self):
        only = [a for a in os.environ.get('DATAOPS_FUZZ_ONLY', '').split(',') if a]
        actions = [(n, w) for n, w in self.ACTIONS if not only or n in only]
        total = sum(w for _, w in actions)
        x = self.r.randrange(total)
        for name, w in actions:
            if x < w:
                return name
            x -= w

    def loop(self):
        self.deadline = time.time() + self.seconds
        last_report = time.time()
        while time.time() < self.deadline:
            self.refresh_catalog()
            name = self.pick_action()
            try:
                if name == 'scenario':
                    self.scenario_bronze()
                elif name == 'clean':
                    self.scenario_clean()
                elif name == 'query':
                    self.scenario_query()
                elif name == 'run':
                    self.act_run()
                else:
                    getattr(self, 'act_' + name)()
                if self.calls % 20 == 0:
                    self.check_run_history()
            except TimeoutError:
                break
            except Crash as e:
                self.recover()
                if not self.fail('crash', self.crash_detail(str(e))) and not self.cont:
                    return
            if self.failures and not self.cont:
                return
            if time.time() - last_report > 30:
                print('fuzz: ... %d calls, %d failures' % (self.calls, len(self.failures)), flush=True)
                last_report = time.time()
        self.check_run_history()

    def teardown(self):
        try:
            self._teardown()
        except Exception as e:
            self.fail('teardown', 'could not drop the fuzz database and roles (did the server crash?): %s'
                      % str(e).strip()[:300])

    def _teardown(self):
        for c in list(self.conns.values()) + [self.checker]:
            try:
                c.close()
            except Exception:
                pass
        if self.failures or os.environ.get('DATAOPS_KEEP') == '1':
            return
        c = self.connect(db='postgres')
        cur = c.cursor()
        cur.execute('DROP DATABASE IF EXISTS %s WITH (FORCE)' % DB)
        cur.execute('DROP ROLE IF EXISTS %s' % ROLE_READER)
        cur.execute('DROP ROLE IF EXISTS %s' % ROLE_PLAIN)
        c.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def acceptable(code, actor):
    if code.startswith('XX'):
        return False
    if code.startswith('58'):
        return actor != 'plain'
    return code in ACCEPTABLE or code[:2] in ACCEPTABLE


def shorten(s, n=300):
    s = s.replace('\n', '\\n')
    return s if len(s) <= n else s[:n] + '...(%d chars)' % len(s)


def main():
    fz = Fuzzer()
    print('fuzz: seed %d (set DATAOPS_FUZZ_SEED to replay), %g s, database %s, files in %s'
          % (fz.seed, fz.seconds, DB, fz.dir), flush=True)
    try:
        fz.setup()
    except Exception as e:
        traceback.print_exc()
        print('fuzz: could not set up: %s' % e, file=sys.stderr)
        return 2
    t0 = time.time()
    try:
        fz.loop()
    except Exception as e:
        traceback.print_exc()
        fz.fail('fuzzer error', '%s: %s' % (type(e).__name__, e))
    elapsed = time.time() - t0
    try:
        statuses = ', '.join('%s %d' % row for row in fz.rows(
            'SELECT status, count(*) FROM dataops.runs GROUP BY 1 ORDER BY 2 DESC'))
    except Exception:
        statuses = '?'
    codes = ', '.join('%s x%d' % (c, n) for c, n in sorted(fz.errors.items(), key=lambda x: -x[1]))
    print('fuzz: %d calls in %.0f s (%d succeeded, %d refused), %d runs, %d CSV files'
          % (fz.calls, elapsed, fz.ok, fz.calls - fz.ok, fz.runs, fz.files))
    print('fuzz: SQLSTATEs of refused calls: %s' % (codes or 'none'))
    print('fuzz: calls (succeeded) by function: %s' % ', '.join(
        '%s %d (%d)' % (f, n, ok) for f, (n, ok) in sorted(fz.by_function.items(), key=lambda x: -x[1][0])))
    print('fuzz: runs by status: %s' % statuses)
    for fid, count in sorted(fz.known_hits.items()):
        print('fuzz: KNOWN finding %s seen %d time(s): not counted as a failure while it is listed in '
              'test/fuzz/known.txt' % (fid, count))
    if fz.failures:
        path = fz.write_repro()
        print('fuzz: %d FAILURE(S), seed %d; journal of %d statements (psql script): %s'
              % (len(fz.failures), fz.seed, len(fz.journal), path))
        seen = {}
        for kind, detail, at in fz.failures:
            m = re.search(r'\b([0-9A-Z]{2}[0-9A-Z]{3})\b', detail)
            if kind == 'wrong result':
                m = re.search(r'\}: (run failed|add_step refused|columns|\d+ rows loaded)', detail)
                m = re.search(r'([a-z_ ]+)$', m.group(1)) if m else None
            key = (kind, m.group(1) if m else re.sub(r'[0-9]+', '#', detail)[:60])
            seen.setdefault(key, []).append((at, detail))
        for (kind, _), hits in seen.items():
            at, detail = hits[0]
            print('fuzz:   [%s] x%d, first at statement %d: %s' % (kind, len(hits), at, shorten(detail, 1000)))
        fz.teardown()
        print('fuzz: %d passed, %d failed' % (fz.calls - len(fz.failures), len(fz.failures)))
        return 1
    fz.teardown()
    if fz.failures:
        for kind, detail, at in fz.failures:
            print('fuzz:   [%s]: %s' % (kind, shorten(detail, 1000)))
        print('fuzz: %d passed, %d failed' % (fz.calls, len(fz.failures)))
        return 1
    if fz.known_hits:
        print('fuzz: OK, seed %d: no failure other than the known findings %s' % (fz.seed, ', '.join(sorted(fz.known_hits))))
    else:
        print('fuzz: OK, seed %d: no crash, no internal error, catalog unchanged by every refused call' % fz.seed)
    return 0


if __name__ == '__main__':
    sys.exit(main())
