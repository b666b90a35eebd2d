-- PCRE2 functions (regex_match with flags, regex_extract, regex_replace,
-- _expect_regex) and value checks (input_is_valid, matches_strftime).
-- Every expected result follows from the semantics given in the comments.
-- sqlstate_of(statement): the SQLSTATE a statement raises, or 'no error'.
CREATE FUNCTION pg_temp.sqlstate_of(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE stmt;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END
$$;

-- flags: i caseless, m ^ and $ at line breaks, s dot matches newline,
-- x whitespace and # comments in the pattern ignored
SELECT dataops.regex_match('Hello', '^hello$', 'i') AS i_on,
       dataops.regex_match('Hello', '^hello$', '') AS i_off,
       dataops.regex_match(E'a\nb', '^b$', 'm') AS m_on,
       dataops.regex_match(E'a\nb', '^b$', '') AS m_off,
       dataops.regex_match(E'a\nb', 'a.b', 's') AS s_on,
       dataops.regex_match(E'a\nb', 'a.b', '') AS s_off,
       dataops.regex_match('ab', 'a b # comment', 'x') AS x_on,
       dataops.regex_match('ab', 'a b # comment', '') AS x_off;
-- one pattern with and without a flag: two cache entries, two answers
SELECT dataops.regex_match('ABC', 'abc', 'i') AS caseless,
       dataops.regex_match('ABC', 'abc', '') AS exact,
       dataops.regex_match('ABC', 'abc') AS two_args,
       dataops.regex_match(E'x\nABC', '^abc$', 'mi') AS combined;
SELECT dataops.regex_match('a', 'a', 'g');
-- UTF-8: . is one character, caseless matching folds non-ASCII letters
SELECT dataops.regex_match('Zürich', '^Z.rich$', '') AS one_char,
       dataops.regex_match('ÉCOLE', '^école$', 'i') AS caseless_utf8,
       dataops.regex_match('ÉCOLE', '^école$', '') AS exact_utf8,
       dataops.regex_extract('Zürich', 'Z(.)rich', 1) AS umlaut;
-- STRICT: a NULL argument gives NULL
SELECT dataops.regex_match(NULL, 'a', 'i') IS NULL AS null_value,
       dataops.regex_match('a', 'a', NULL) IS NULL AS null_flags,
       dataops.regex_extract('a', NULL, 0) IS NULL AS null_pattern,
       dataops.regex_extract('a', 'a', NULL) IS NULL AS null_group,
       dataops.regex_replace('a', 'a', NULL) IS NULL AS null_replacement,
       dataops._expect_regex('a', 'a', '', NULL) IS NULL AS null_expectation;

-- regex_extract: group grp of the first match (0, the default, is the whole match)
SELECT dataops.regex_extract('order 123-456', '(\d+)-(\d+)') AS whole,
       dataops.regex_extract('order 123-456', '(\d+)-(\d+)', 0) AS grp0,
       dataops.regex_extract('order 123-456', '(\d+)-(\d+)', 1) AS grp1,
       dataops.regex_extract('order 123-456', '(\d+)-(\d+)', 2) AS grp2,
       dataops.regex_extract('key=val', '(?<k>\w+)=(?<v>\w+)', 2) AS named_by_number;
-- no match and a group that took no part are NULL; an empty match is ''
SELECT dataops.regex_extract('abc', '\d+') IS NULL AS no_match,
       dataops.regex_extract('ac', 'a(b)?c', 1) IS NULL AS unset_group,
       dataops.regex_extract('ac', 'a(b)?(c)', 2) AS after_unset,
       '[' || dataops.regex_extract('abc', 'x*') || ']' AS empty_match;
-- a group the pattern does not have is an error, matching or not
SELECT dataops.regex_extract('abc', '(b)', 2);
SELECT dataops.regex_extract('xyz', 'b', -1);

-- regex_replace: every match; $n, ${name}, $$ in the replacement
SELECT dataops.regex_replace('a1b22c333', '\d+', '#') AS global,
       dataops.regex_replace('John Smith', '(\w+) (\w+)', '$2, $1') AS backref,
       dataops.regex_replace('2024-01-05', '(?<y>\d{4})-(?<m>\d\d)-(?<d>\d\d)', '${d}/${m}/${y}') AS named,
       dataops.regex_replace('cost 5', '(\d)', '$$$1') AS dollar,
       dataops.regex_replace('abc', '\d', 'X') AS no_match,
       dataops.regex_replace('abc', 'x*', '-') AS empty_matches;
-- multibyte text, an unset group inserts nothing, and a result longer than
-- the first buffer (100 bytes -> 1000: 2 * 100 + 10 + 64 is too small)
SELECT dataops.regex_replace('Zürich', 'ü', 'ue') AS utf8,
       dataops.regex_replace('abc', '(b)(x)?', '[$2]') AS unset_is_empty,
       length(dataops.regex_replace(repeat('a', 100), 'a', 'bbbbbbbbbb')) AS grown,
       dataops.regex_replace(repeat('a', 100), 'a', 'bbbbbbbbbb') = repeat('b', 1000) AS grown_ok;
-- the replacement is read at each match: $9 without a group 9 fails only
-- when something matches
SELECT dataops.regex_replace('xyz', '(b)', '$9') AS nothing_to_replace;
\set VERBOSITY terse
SELECT dataops.regex_replace('abc', '(b)', '$9');
\set VERBOSITY default

-- catastrophic backtracking hits the match limit: an error, not a hang
SELECT dataops.regex_match(repeat('a', 40) || 'b', '^(a+)+$', '');
SELECT dataops._expect_regex(repeat('a', 40) || 'b', '^(a+)+$', '', 'my_exp');
SELECT dataops.regex_replace(repeat('a', 40) || 'b', '^(a+)+$', 'x');
-- a pattern that does not compile
SELECT dataops.regex_match('x', '(', '');
SELECT dataops._expect_regex('x', '(', 'i', 'my_exp');
-- the expectation helper answers as regex_match with flags
SELECT dataops._expect_regex('ÉCOLE', '^école$', 'i', 'my_exp') AS caseless,
       dataops._expect_regex('ÉCOLE', '^école$', '', 'my_exp') AS exact;
-- SQLSTATEs: 22023 bad flag, group or replacement; 2201B bad pattern; 54001 limit
SELECT pg_temp.sqlstate_of($$SELECT dataops.regex_match('a', 'a', 'q')$$) AS bad_flag,
       pg_temp.sqlstate_of($$SELECT dataops.regex_extract('a', 'a', 1)$$) AS bad_group,
       pg_temp.sqlstate_of($$SELECT dataops.regex_replace('a', 'a', '${x}')$$) AS bad_replacement,
       pg_temp.sqlstate_of($$SELECT dataops.regex_match('a', '[a-', '')$$) AS bad_pattern,
       pg_temp.sqlstate_of($$SELECT dataops._expect_regex(repeat('a', 40) || 'b', '^(a+)+$', '', 'e')$$) AS too_long,
       pg_temp.sqlstate_of($$SELECT dataops.regex_extract(repeat('a', 40) || 'b', '^(a+)+$', 1)$$) AS too_long_extract;

-- input_is_valid: would CAST(value AS type) succeed?  int4in accepts
-- surrounding spaces and refuses fractions, '' and values out of range.
SELECT quote_literal(v) AS v, dataops.input_is_valid(v, 'integer') AS is_int
  FROM (VALUES ('42'), ('4.2'), (''), (' 7 '), ('-2147483648'), ('2147483648')) AS t(v);
-- the typmod applies (numeric field overflow, value too long are class 22);
-- arrays check every element; the type changes from row to row
SELECT quote_literal(v) AS v, type, dataops.input_is_valid(v, type) AS valid
  FROM (VALUES ('123.45', 'numeric(5,2)'),
               ('1234.5', 'numeric(5,2)'),
               ('2024-02-29', 'date'),
               ('2023-02-29', 'date'),
               ('2024-01-05 10:30:00+01', 'timestamptz'),
               ('2024-01-05 25:00', 'timestamptz'),
               ('yes', 'boolean'),
               ('maybe', 'boolean'),
               ('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'uuid'),
               ('a0eebc99-9c0b', 'uuid'),
               ('abc', 'varchar(3)'),
               ('abcd', 'varchar(3)'),
               ('{1,2,3}', 'int[]'),
               ('{1,x}', 'int[]')) AS t(v, type);
-- an unknown type is a bad argument, not a bad value
SELECT dataops.input_is_valid('1', 'integr');
SELECT dataops.input_is_valid('1', 'record');
-- a domain (its CHECK could call any function: checked in a subtransaction);
-- a CHECK violation (class 23) is a bad value too
CREATE DOMAIN public.pos AS int CHECK (VALUE > 0);
SELECT quote_literal(v) AS v, dataops.input_is_valid(v, 'public.pos') AS valid
  FROM (VALUES ('5'), ('-5'), ('x'), ('0')) AS t(v);
SELECT dataops.input_is_valid(NULL, 'integer') IS NULL AS null_value,
       dataops.input_is_valid('1', NULL) IS NULL AS null_type;
-- 10,000 rows, the type resolved once per call site: g % 10 = 0 is 'n/a',
-- g % 10 = 1 is -g, the rest g.  integer: 9,000; pos: 8,000 (the 1,000
-- negatives fail); numeric(3,0): |value| <= 999, i.e. the 100 negatives
-- -1, -11, ..., -991 and the 800 g in 2..999 ending in 2..9 = 900
CREATE TABLE public.typecheck_rows AS
SELECT g, CASE WHEN g % 10 = 0 THEN 'n/a'
               WHEN g % 10 = 1 THEN (-g)::text
               ELSE g::text END AS v
  FROM generate_series(1, 10000) AS g;
SELECT count(*) AS total,
       count(*) FILTER (WHERE dataops.input_is_valid(v, 'integer')) AS integers,
       count(*) FILTER (WHERE dataops.input_is_valid(v, 'public.pos')) AS positives,
       count(*) FILTER (WHERE dataops.input_is_valid(v, 'numeric(3,0)')) AS three_digits
  FROM public.typecheck_rows;
DROP TABLE public.typecheck_rows;
DROP DOMAIN public.pos;

-- matches_strftime: the whole value matches the format and names a real
-- date (Python's datetime.strptime); fields the format lacks default to
-- 1900-01-01 00:00:00 as in Python.  glibc's %Y takes 1 to 4 digits, so
-- '24-01-05' matches '%Y-%m-%d' (year 24), where Python wants 4 digits.
SELECT quote_literal(v) AS v, f, dataops.matches_strftime(v, f) AS matches
  FROM (VALUES ('2024-02-29', '%Y-%m-%d'),
               ('2023-02-29', '%Y-%m-%d'),
               ('1900-02-29', '%Y-%m-%d'),
               ('2000-02-29', '%Y-%m-%d'),
               ('2024-04-31', '%Y-%m-%d'),
               ('2024-13-01', '%Y-%m-%d'),
               ('2024-1-5', '%Y-%m-%d'),
               ('24-01-05', '%y-%m-%d'),
               ('24-01-05', '%Y-%m-%d'),
               ('0000-01-01', '%Y-%m-%d'),
               ('2024-01-05x', '%Y-%m-%d'),
               ('2024-01-05 ', '%Y-%m-%d'),
               (' 2024-01-05', '%Y-%m-%d'),
               ('2024- 01-05', '%Y-%m-%d'),
               ('', '%Y-%m-%d'),
               ('2024-01-05 10:30', '%Y-%m-%d %H:%M'),
               ('2024-01-05  10:30', '%Y-%m-%d %H:%M'),
               ('2024-01-05T25:00', '%Y-%m-%dT%H:%M'),
               ('2024-01-05 10:30:60', '%Y-%m-%d %H:%M:%S'),
               ('05/01/2024', '%d/%m/%Y'),
               ('Jan 5 2024', '%b %d %Y'),
               ('jan 05 2024', '%b %d %Y'),
               ('10:30 PM', '%I:%M %p'),
               ('02-29', '%m-%d')) AS t(v, f);
SELECT dataops.matches_strftime(NULL, '%Y') IS NULL AS null_value,
       dataops.matches_strftime('2024', NULL) IS NULL AS null_format;
-- a format strptime cannot apply is an error, not false for every row
SELECT dataops.matches_strftime('2024-01-05 10:30:00.5', '%Y-%m-%d %H:%M:%S.%f');
SELECT dataops.matches_strftime('2024', 'YYYY');
