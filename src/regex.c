/*
 * regex.c: PCRE2 for expectations and SQL functions.
 *
 * Patterns are compiled once per backend with PCRE2_UTF (when the database
 * encoding is UTF-8) and JIT-compiled; a small cache keeps the most recently
 * used ones, keyed on the pattern bytes and the compile options its flags
 * give.  PCRE2 allocates with malloc: every PCRE2 object lives in the cache
 * (freed on eviction) or in a per-backend static (match context, JIT stack),
 * and nothing is malloc'd per match, so an ERROR raised mid-scan leaks
 * nothing.  Per-call memory (extracted text, replaced text) is palloc'd in
 * the caller's memory context.
 *
 * Bounded work.  PCRE2's match limit counts backtracking steps per start
 * position: pcre2_match resets it at every position it tries (measured with
 * 10.42, interpreter and JIT alike), so on its own it bounds one attempt,
 * not a search over a long value ((?:a|a){18}[bc] on 2,000 a's takes 2.6 s
 * JIT, 19 s interpreted, under a 1,000,000 limit).  So every pattern is
 * compiled with a callout as its first item (after any start-of-pattern
 * options such as (*UTF)): PCRE2 calls regex_callout once at each start
 * position it tries, and the callout stops the search when a query cancel,
 * statement_timeout or backend termination is pending, or when the search
 * of one value has run for REGEX_TIME_LIMIT_MS.  Work per value is thus at
 * most REGEX_MATCH_LIMIT steps per start position, stoppable between start
 * positions, and capped in time; pcre2_substitute's global loop runs its
 * matches through the same callout.  Hitting any limit raises 54001
 * (statement_too_complex) naming the limit.  Patterns are compiled with
 * PCRE2_NEVER_BACKSLASH_C (\C would match half a UTF-8 character, and read
 * past the value with PCRE2_NO_UTF_CHECK) and, in a database that is not
 * UTF-8, PCRE2_NEVER_UTF (a (*UTF) in the pattern would make PCRE2 read the
 * value as UTF-8 unchecked).
 */
#include "postgres.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "portability/instr_time.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "compat.h"
#include "regex.h"

#define REGEX_CACHE_SIZE 32

/*
 * Backtracking steps per start position (pcre2_set_match_limit).  One
 * attempt that uses all of it takes about 5 ms JIT-compiled, 40 ms
 * interpreted.  Every test pattern needs far less (the largest, the
 * expectation kinds over 10,000-row files, stay under 1,000 per position).
 */
#define REGEX_MATCH_LIMIT 1000000
/*
 * Nested backtracking depth (pcre2_set_depth_limit), interpreter only (the
 * JIT ignores it and is bounded by its 1 MB stack instead).  Measured: a
 * repeated group such as ^([a-c])+$ needs 2 per character, so 100,000
 * accepts 50,000 characters, what the JIT stack accepts too; 10,000 would
 * refuse values of 5,000 characters that the JIT matches.
 */
#define REGEX_DEPTH_LIMIT 100000
/* Backtracking memory per match, interpreter only (pcre2_set_heap_limit, in kB). */
#define REGEX_HEAP_LIMIT_KB (20 * 1024)
/* Wall-clock time one value's search may take, all start positions and matches together. */
#define REGEX_TIME_LIMIT_MS 10000
/* The start-of-attempt callout's number, (?C255). */
#define REGEX_CALLOUT "(?C255)"
/* What regex_callout returns to stop a search (PCRE2's own codes are > -100). */
#define REGEX_ABORT_INTERRUPT (-1001)
#define REGEX_ABORT_TIME (-1002)

/*
 * A cache slot.  A slot is in use only when `code` is set; regex_lookup fills
 * every other field before it sets `code`, so an ERROR raised while a pattern
 * is compiled or an entry is filled never leaves a half-built entry that a
 * later lookup could return.
 */
typedef struct RegexEntry
{
	char	   *pattern;		/* malloc'd copy, NUL-terminated */
	int			patlen;
	uint32		options;		/* compile options, UTF bits included */
	pcre2_code *code;			/* NULL: slot free */
	pcre2_match_data *match_data;
	int			capture_count;	/* capture groups in the pattern */
	uint64		last_used;
} RegexEntry;

static RegexEntry cache[REGEX_CACHE_SIZE];
static int	last_hit = 0;
static uint64 use_clock = 0;
static pcre2_match_context *match_context = NULL;
static pcre2_jit_stack *jit_stack = NULL;

/* The search under way (one value): when it began, and start positions tried. */
static struct
{
	instr_time	started;
	uint64		attempts;
} work;

/*
 * Who is asking: the expectation name (not NUL-terminated, from a text
 * argument) or NULL for a plain SQL call.  Used only to word errors.
 */
typedef struct RegexCaller
{
	const char *name;
	int			namelen;
} RegexCaller;

static const RegexCaller no_caller = {NULL, 0};

/* A call site's flags and the cache slot it used last (fn_extra). */
typedef struct FlagsCache
{
	bool		valid;
	int			len;
	char		flags[16];
	uint32		options;
	int			slot;			/* cache slot this call site used last, or -1 */
} FlagsCache;

static void
regex_free_entry(RegexEntry *e)
{
	if (e->match_data)
		pcre2_match_data_free(e->match_data);
	if (e->code)
		pcre2_code_free(e->code);
	if (e->pattern)
		free(e->pattern);
	memset(e, 0, sizeof(*e));
}

/*
 * Called by PCRE2 at each start position it tries (the REGEX_CALLOUT every
 * pattern begins with) and at any callout of the user's pattern.  It may not
 * raise an ERROR (that would longjmp through PCRE2's frames), so it returns
 * a negative code that pcre2_match passes back: REGEX_ABORT_INTERRUPT when a
 * cancel or termination is pending and may be processed now (the caller
 * then runs CHECK_FOR_INTERRUPTS), REGEX_ABORT_TIME when the value's search
 * has run for REGEX_TIME_LIMIT_MS (checked every 64 attempts: at most
 * 64 * REGEX_MATCH_LIMIT steps late).  0 lets the search go on.
 */
static int
regex_callout(pcre2_callout_block *block, void *data)
{
	work.attempts++;
	if ((QueryCancelPending || ProcDiePending) && INTERRUPTS_CAN_BE_PROCESSED())
		return REGEX_ABORT_INTERRUPT;
	if ((work.attempts & 63) == 0)
	{
		instr_time	now;

		INSTR_TIME_SET_CURRENT(now);
		INSTR_TIME_SUBTRACT(now, work.started);
		if (INSTR_TIME_GET_MILLISEC(now) > REGEX_TIME_LIMIT_MS)
			return REGEX_ABORT_TIME;
	}
	return 0;
}

/* Starts the work accounting of one value's search. */
static inline void
regex_work_begin(void)
{
	INSTR_TIME_SET_CURRENT(work.started);
	work.attempts = 0;
}

static void
regex_init_context(void)
{
	if (match_context != NULL)
		return;
	match_context = pcre2_match_context_create(NULL);
	if (match_context == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	pcre2_set_match_limit(match_context, REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(match_context, REGEX_DEPTH_LIMIT);
	pcre2_set_heap_limit(match_context, REGEX_HEAP_LIMIT_KB);
	pcre2_set_callout(match_context, regex_callout, NULL);
	jit_stack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
	/* Without a JIT stack of our own, JIT uses a 32 kB one on the C stack. */
	if (jit_stack != NULL)
		pcre2_jit_stack_assign(match_context, NULL, jit_stack);
}

/* Options every pattern gets from the database encoding. */
static inline uint32
regex_encoding_options(void)
{
	return GetDatabaseEncoding() == PG_UTF8 ? (PCRE2_UTF | PCRE2_NO_UTF_CHECK) : PCRE2_NEVER_UTF;
}

/*
 * Length of the start-of-pattern items of pattern[0..patlen): (*UTF),
 * (*LIMIT_MATCH=10), (*CRLF)...: "(*" NAME [= digits] ")" that PCRE2 reads
 * only at the very start of a pattern, so the callout goes after them.
 * Backtracking verbs ((*ACCEPT), (*FAIL), ...) are pattern items: the
 * callout goes before them; (*MARK:x) and (*atomic:...) contain a colon
 * and end the scan too.
 */
static int
regex_start_items_len(const char *pattern, int patlen)
{
	static const char *const verbs[] = {"ACCEPT", "FAIL", "F", "COMMIT", "PRUNE", "SKIP", "THEN"};
	int			pos = 0;

	for (;;)
	{
		int			i = pos + 2;
		int			name_end;
		bool		verb = false;
		int			v;

		if (patlen - pos < 3 || pattern[pos] != '(' || pattern[pos + 1] != '*')
			return pos;
		while (i < patlen && ((pattern[i] >= 'A' && pattern[i] <= 'Z') ||
							  (pattern[i] >= '0' && pattern[i] <= '9') || pattern[i] == '_'))
			i++;
		name_end = i;
		if (name_end == pos + 2)
			return pos;
		if (i < patlen && pattern[i] == '=')
		{
			i++;
			while (i < patlen && pattern[i] >= '0' && pattern[i] <= '9')
				i++;
		}
		if (i >= patlen || pattern[i] != ')')
			return pos;
		for (v = 0; v < lengthof(verbs); v++)
			if (name_end - pos - 2 == (int) strlen(verbs[v]) &&
				memcmp(pattern + pos + 2, verbs[v], name_end - pos - 2) == 0)
				verb = true;
		if (verb)
			return pos;
		pos = i + 1;
	}
}

/*
 * In a multibyte database encoding other than UTF-8, PCRE2 works on bytes: a
 * match may begin or end inside a character.  Raises 22021 (as
 * pg_verifymbstr) rather than return such text.  UTF-8 matches always fall
 * on character boundaries (PCRE2_UTF, and \C is refused).
 */
static void
regex_verify_result(const char *s, int len)
{
	if (GetDatabaseEncoding() != PG_UTF8 && pg_database_encoding_max_length() > 1)
		(void) pg_verifymbstr(s, len, false);
}

/* Options every match gets: the subject is database text, already verified. */
static inline uint32
regex_match_options(void)
{
	return GetDatabaseEncoding() == PG_UTF8 ? PCRE2_NO_UTF_CHECK : 0;
}

/* flags[0..len) -> PCRE2 compile options; raises 22023 on an unknown flag. */
static uint32
regex_parse_flags_len(const char *flags, int len)
{
	uint32		options = 0;
	int			i;

	for (i = 0; i < len; i++)
	{
		switch (flags[i])
		{
			case 'i':
				options |= PCRE2_CASELESS;
				break;
			case 'm':
				options |= PCRE2_MULTILINE;
				break;
			case 's':
				options |= PCRE2_DOTALL;
				break;
			case 'x':
				options |= PCRE2_EXTENDED;
				break;
			default:
				/* the whole character, should it be multibyte */
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid regular expression flag \"%.*s\"",
								Min(pg_mblen(flags + i), len - i), flags + i),
						 errhint("Valid flags are i, m, s and x.")));
		}
	}
	return options;
}

uint32
regex_parse_flags(const char *flags)
{
	if (flags == NULL)
		return 0;
	return regex_parse_flags_len(flags, strlen(flags));
}

static inline bool
regex_entry_is(const RegexEntry *e, const char *pattern, int patlen, uint32 options)
{
	return e->code != NULL && e->patlen == patlen && e->options == options &&
		memcmp(e->pattern, pattern, patlen) == 0;
}

/*
 * Finds or compiles the cache entry for pattern[0..patlen) with the compile
 * options `flag_options` (from regex_parse_flags).  Raises 2201B if the
 * pattern does not compile.
 */
static RegexEntry *
regex_lookup(const char *pattern, int patlen, uint32 flag_options, RegexCaller who)
{
	int			i;
	int			victim = -1;
	RegexEntry *e;
	int			errorcode;
	PCRE2_SIZE	erroffset;
	uint32		options = flag_options | regex_encoding_options();
	pcre2_code *code;
	pcre2_match_data *match_data;
	char	   *copy;
	uint32		capture_count = 0;

	/* Generated SQL calls with one pattern per call site: try the last hit first. */
	if (regex_entry_is(&cache[last_hit], pattern, patlen, options))
	{
		e = &cache[last_hit];
		e->last_used = ++use_clock;
		return e;
	}
	for (i = 0; i < REGEX_CACHE_SIZE; i++)
	{
		if (regex_entry_is(&cache[i], pattern, patlen, options))
		{
			e = &cache[i];
			e->last_used = ++use_clock;
			last_hit = i;
			return e;
		}
	}

	regex_init_context();

	/* the pattern with the start-of-attempt callout after its start items */
	{
		int			head = regex_start_items_len(pattern, patlen);
		int			calloutlen = strlen(REGEX_CALLOUT);
		char	   *wrapped = palloc(patlen + calloutlen);

		memcpy(wrapped, pattern, head);
		memcpy(wrapped + head, REGEX_CALLOUT, calloutlen);
		memcpy(wrapped + head + calloutlen, pattern + head, patlen - head);
		code = pcre2_compile((PCRE2_SPTR) wrapped, patlen + calloutlen,
							 options | PCRE2_NEVER_BACKSLASH_C,
							 &errorcode, &erroffset, NULL);
		pfree(wrapped);
		/* offsets in the user's pattern */
		if (code == NULL && erroffset > (PCRE2_SIZE) head)
			erroffset = erroffset >= (PCRE2_SIZE) (head + calloutlen) ? erroffset - calloutlen : (PCRE2_SIZE) head;
	}
	if (code == NULL)
	{
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(errorcode, msg, sizeof(msg));
		if (who.name != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_REGULAR_EXPRESSION),
					 errmsg("invalid regular expression in expectation \"%.*s\": %s",
							who.namelen, who.name, (char *) msg),
					 errdetail("The error is at offset %d of the pattern \"%.*s\".",
							   (int) erroffset, patlen, pattern)));
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_REGULAR_EXPRESSION),
					 errmsg("invalid regular expression: %s", (char *) msg),
					 errdetail("The error is at offset %d of the pattern \"%.*s\".",
							   (int) erroffset, patlen, pattern)));
	}
	/* JIT is an optimisation: on platforms without it, interpret. */
	(void) pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	(void) pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &capture_count);

	/* Everything the entry needs, before any slot is touched. */
	match_data = pcre2_match_data_create_from_pattern(code, NULL);
	copy = malloc(patlen + 1);
	if (match_data == NULL || copy == NULL)
	{
		if (match_data)
			pcre2_match_data_free(match_data);
		if (copy)
			free(copy);
		pcre2_code_free(code);
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	}
	memcpy(copy, pattern, patlen);
	copy[patlen] = '\0';

	/* A free slot, else the least recently used one. */
	for (i = 0; i < REGEX_CACHE_SIZE; i++)
	{
		if (cache[i].code == NULL)
		{
			victim = i;
			break;
		}
		if (victim < 0 || cache[i].last_used < cache[victim].last_used)
			victim = i;
	}
	e = &cache[victim];
	regex_free_entry(e);

	/* No ERROR can be raised from here on: the slot is filled in one go. */
	e->pattern = copy;
	e->patlen = patlen;
	e->options = options;
	e->match_data = match_data;
	e->capture_count = (int) capture_count;
	e->last_used = ++use_clock;
	e->code = code;				/* marks the slot used */
	last_hit = victim;
	return e;
}

/*
 * Raises the error for a negative pcre2_match/pcre2_substitute result other
 * than "no match": 54001 (statement_too_complex) for a resource limit, named
 * in the message (match, depth, memory, stack or time limit), 2201B
 * otherwise.
 */
/* The advice for patterns that nest backtracking too deep or too wide. */
#define REGEX_CLASS_HINT "Repeat a character class rather than a group of alternatives, e.g. [a-z0-9]* rather than (?:[a-z]|[0-9])*."

static void
regex_match_error(int rc, const char *pattern, int patlen, int len, RegexCaller who)
{
	const char *limit;
	char	   *detail;
	const char *hint = "Rewrite the pattern to avoid nested quantifiers such as (a+)+.";

	switch (rc)
	{
		case PCRE2_ERROR_MATCHLIMIT:
			limit = "match";
			detail = psprintf("The pattern \"%.*s\" backtracked too much on a value of %d bytes.",
							  patlen, pattern, len);
			break;
		case PCRE2_ERROR_DEPTHLIMIT:
			limit = "depth";
			hint = REGEX_CLASS_HINT;
			detail = psprintf("The pattern \"%.*s\" nested backtracking more than %d levels deep on a value of %d bytes.",
							  patlen, pattern, REGEX_DEPTH_LIMIT, len);
			break;
		case PCRE2_ERROR_HEAPLIMIT:
			limit = "memory";
			hint = REGEX_CLASS_HINT;
			detail = psprintf("The pattern \"%.*s\" needed more than %d kB of backtracking memory on a value of %d bytes.",
							  patlen, pattern, REGEX_HEAP_LIMIT_KB, len);
			break;
		case PCRE2_ERROR_JIT_STACKLIMIT:
			limit = "stack";
			hint = REGEX_CLASS_HINT;
			detail = psprintf("The pattern \"%.*s\" needed more than 1 MB of stack on a value of %d bytes.",
							  patlen, pattern, len);
			break;
		case REGEX_ABORT_TIME:
			limit = "time";
			detail = psprintf("Searching the pattern \"%.*s\" in a value of %d bytes took more than %d ms (" UINT64_FORMAT " start positions tried).",
							  patlen, pattern, len, REGEX_TIME_LIMIT_MS, work.attempts);
			break;
		default:
			{
				PCRE2_UCHAR msg[256];

				pcre2_get_error_message(rc, msg, sizeof(msg));
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_REGULAR_EXPRESSION),
						 errmsg("regular expression match failed: %s", (char *) msg)));
				return;
			}
	}
	if (who.name != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_STATEMENT_TOO_COMPLEX),
				 errmsg("regular expression %s limit exceeded in expectation \"%.*s\"",
						limit, who.namelen, who.name),
				 errdetail_internal("%s", detail),
				 errhint("%s", hint)));
	else
		ereport(ERROR,
				(errcode(ERRCODE_STATEMENT_TOO_COMPLEX),
				 errmsg("regular expression %s limit exceeded", limit),
				 errdetail_internal("%s", detail),
				 errhint("%s", hint)));
}

/*
 * Runs pcre2_match from the start of the subject; returns its result (> 0 on
 * a match, NOMATCH) or raises (regex_match_error).  A search the callout
 * stopped for a pending interrupt is handed to CHECK_FOR_INTERRUPTS, and
 * started again should that not raise (the time limit still runs from the
 * first try).
 */
static int
regex_exec(RegexEntry *e, const char *subject, int len, RegexCaller who)
{
	int			rc;

	regex_work_begin();
	for (;;)
	{
		rc = pcre2_match(e->code, (PCRE2_SPTR) subject, len, 0, regex_match_options(),
						 e->match_data, match_context);
		if (rc != REGEX_ABORT_INTERRUPT)
			break;
		CHECK_FOR_INTERRUPTS();
	}
	if (rc < 0 && rc != PCRE2_ERROR_NOMATCH)
		regex_match_error(rc, e->pattern, e->patlen, len, who);
	return rc;
}

static bool
regex_search_internal(const char *pattern, int patlen, uint32 options,
					  const char *subject, int len, RegexCaller who)
{
	RegexEntry *e;

	CHECK_FOR_INTERRUPTS();
	e = regex_lookup(pattern, patlen, options, who);
	return regex_exec(e, subject, len, who) >= 0;
}

/*
 * regex_search_internal for a call site that remembers the cache slot it
 * used last (in fn_extra): several patterns in one query (two expectations)
 * then do not each search the cache on every row.
 */
static bool
regex_search_hinted(FlagsCache *fc, const char *pattern, int patlen, uint32 options,
					const char *subject, int len, RegexCaller who)
{
	RegexEntry *e;

	CHECK_FOR_INTERRUPTS();
	if (fc && fc->slot >= 0 && regex_entry_is(&cache[fc->slot], pattern, patlen,
											   options | regex_encoding_options()))
	{
		e = &cache[fc->slot];
		e->last_used = ++use_clock;
	}
	else
	{
		e = regex_lookup(pattern, patlen, options, who);
		if (fc)
			fc->slot = (int) (e - cache);
	}
	return regex_exec(e, subject, len, who) >= 0;
}

void
regex_validate(const char *pattern, const char *flags, const char *expectation)
{
	RegexCaller who = {expectation, expectation ? (int) strlen(expectation) : 0};

	(void) regex_lookup(pattern, strlen(pattern), regex_parse_flags(flags), who);
}

bool
regex_search(const char *pattern, int patlen, uint32 options,
			 const char *subject, int len, const char *expectation)
{
	RegexCaller who = {expectation, expectation ? (int) strlen(expectation) : 0};

	return regex_search_internal(pattern, patlen, options, subject, len, who);
}

/*
 * dataops.regex_match(value text, pattern text) -> boolean: PCRE2 unanchored
 * search, no flags.  IMMUTABLE STRICT PARALLEL SAFE.
 */
PG_FUNCTION_INFO_V1(dataops_regex_match);
Datum
dataops_regex_match(PG_FUNCTION_ARGS)
{
	text	   *value = PG_GETARG_TEXT_PP(0);
	text	   *pattern = PG_GETARG_TEXT_PP(1);

	PG_RETURN_BOOL(regex_search_internal(VARDATA_ANY(pattern), VARSIZE_ANY_EXHDR(pattern), 0,
										 VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value),
										 no_caller));
}

/*
 * Flags of the last call at this call site and the options they give, kept
 * in fn_extra so that a flags argument that does not change from row to row
 * is parsed once.
 */


static uint32
cached_flags(FunctionCallInfo fcinfo, text *flags)
{
	const char *f = VARDATA_ANY(flags);
	int			len = VARSIZE_ANY_EXHDR(flags);
	FlagsCache *fc = (FlagsCache *) fcinfo->flinfo->fn_extra;
	uint32		options;

	if (fc != NULL && fc->valid && fc->len == len && memcmp(fc->flags, f, len) == 0)
		return fc->options;
	options = regex_parse_flags_len(f, len);
	if (len <= (int) sizeof(fc->flags))
	{
		if (fc == NULL)
		{
			fc = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(FlagsCache));
			fc->slot = -1;
			fcinfo->flinfo->fn_extra = fc;
		}
		memcpy(fc->flags, f, len);
		fc->len = len;
		fc->options = options;
		fc->valid = true;
	}
	return options;
}

/*
 * dataops.regex_match(value text, pattern text, flags text) -> boolean:
 * PCRE2 unanchored search with flags i, m, s, x.  IMMUTABLE STRICT PARALLEL
 * SAFE.
 */
PG_FUNCTION_INFO_V1(dataops_regex_match_flags);
Datum
dataops_regex_match_flags(PG_FUNCTION_ARGS)
{
	text	   *value = PG_GETARG_TEXT_PP(0);
	text	   *pattern = PG_GETARG_TEXT_PP(1);
	uint32		options = cached_flags(fcinfo, PG_GETARG_TEXT_PP(2));

	PG_RETURN_BOOL(regex_search_internal(VARDATA_ANY(pattern), VARSIZE_ANY_EXHDR(pattern), options,
										 VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value),
										 no_caller));
}

/*
 * dataops._expect_regex(value text, pattern text, flags text, expectation
 * text) -> boolean: dataops.regex_match(value, pattern, flags) for the
 * generated SQL of a match_regex expectation, called once per row; errors
 * name the expectation.  Works on the arguments in place (no per-row copy of
 * the pattern or the expectation name).  IMMUTABLE STRICT PARALLEL SAFE.
 */
PG_FUNCTION_INFO_V1(dataops_expect_regex);
Datum
dataops_expect_regex(PG_FUNCTION_ARGS)
{
	text	   *value = PG_GETARG_TEXT_PP(0);
	text	   *pattern = PG_GETARG_TEXT_PP(1);
	uint32		options = cached_flags(fcinfo, PG_GETARG_TEXT_PP(2));
	text	   *expectation = PG_GETARG_TEXT_PP(3);
	RegexCaller who = {VARDATA_ANY(expectation), VARSIZE_ANY_EXHDR(expectation)};

	PG_RETURN_BOOL(regex_search_hinted((FlagsCache *) fcinfo->flinfo->fn_extra,
									   VARDATA_ANY(pattern), VARSIZE_ANY_EXHDR(pattern), options,
									   VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value), who));
}

/*
 * dataops.regex_extract(value text, pattern text, grp integer) -> text:
 * capture group grp (0: the whole match) of the first match; NULL when
 * nothing matches or the group took no part in the match.  Raises 22023 for
 * a group the pattern does not have.  IMMUTABLE STRICT PARALLEL SAFE.
 */
PG_FUNCTION_INFO_V1(dataops_regex_extract);
Datum
dataops_regex_extract(PG_FUNCTION_ARGS)
{
	text	   *value = PG_GETARG_TEXT_PP(0);
	text	   *pattern = PG_GETARG_TEXT_PP(1);
	int32		grp = PG_GETARG_INT32(2);
	const char *subject = VARDATA_ANY(value);
	int			len = VARSIZE_ANY_EXHDR(value);
	RegexEntry *e;
	PCRE2_SIZE *ovector;
	PCRE2_SIZE	start,
				end;
	int			rc;

	CHECK_FOR_INTERRUPTS();
	e = regex_lookup(VARDATA_ANY(pattern), VARSIZE_ANY_EXHDR(pattern), 0, no_caller);
	if (grp < 0 || grp > e->capture_count)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("capture group %d does not exist in the pattern", grp),
				 errdetail_plural("The pattern has %d capture group.",
								  "The pattern has %d capture groups.",
								  e->capture_count, e->capture_count)));

	rc = regex_exec(e, subject, len, no_caller);
	/* rc is 1 + the highest group that was set: a higher one took no part */
	if (rc == PCRE2_ERROR_NOMATCH || grp >= rc)
		PG_RETURN_NULL();
	ovector = pcre2_get_ovector_pointer(e->match_data);
	start = ovector[2 * grp];
	end = ovector[2 * grp + 1];
	/* start > end is possible only with \K in a lookaround, refused since 10.38 */
	if (start == PCRE2_UNSET || end == PCRE2_UNSET || start > end)
		PG_RETURN_NULL();
	regex_verify_result(subject + start, (int) (end - start));
	PG_RETURN_TEXT_P(cstring_to_text_with_len(subject + start, (int) (end - start)));
}

/*
 * dataops.regex_replace(value text, pattern text, replacement text) -> text:
 * value with every match replaced (pcre2_substitute, PCRE2_SUBSTITUTE_GLOBAL;
 * $n, ${n}, ${name}, $$ in the replacement, an unset group inserts nothing).
 * Raises 22023 for a replacement PCRE2 rejects (e.g. $9 when the pattern has
 * no group 9) and 54000 when a match limit is hit.  IMMUTABLE STRICT PARALLEL
 * SAFE.
 */
PG_FUNCTION_INFO_V1(dataops_regex_replace);
Datum
dataops_regex_replace(PG_FUNCTION_ARGS)
{
	text	   *value = PG_GETARG_TEXT_PP(0);
	text	   *pattern = PG_GETARG_TEXT_PP(1);
	text	   *replacement = PG_GETARG_TEXT_PP(2);
	const char *subject = VARDATA_ANY(value);
	int			len = VARSIZE_ANY_EXHDR(value);
	const char *rep = VARDATA_ANY(replacement);
	int			replen = VARSIZE_ANY_EXHDR(replacement);
	const Size	maxlen = MaxAllocSize - VARHDRSZ;
	uint32		options = PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH |
		PCRE2_SUBSTITUTE_UNSET_EMPTY | regex_match_options();
	RegexEntry *e;
	text	   *result;
	PCRE2_SIZE	bufsize;
	PCRE2_SIZE	outlen;
	int			rc;
	int			attempt;

	CHECK_FOR_INTERRUPTS();
	e = regex_lookup(VARDATA_ANY(pattern), VARSIZE_ANY_EXHDR(pattern), 0, no_caller);

	/*
	 * A first guess (room for the trailing zero PCRE2 writes), then the exact
	 * size; a search stopped for a pending interrupt is retried after
	 * CHECK_FOR_INTERRUPTS.  The time limit covers all of it.
	 */
	bufsize = Min((Size) len * 2 + replen + 64, maxlen);
	regex_work_begin();
	for (attempt = 0;; attempt++)
	{
		CHECK_FOR_INTERRUPTS();
		result = (text *) palloc(VARHDRSZ + bufsize);
		outlen = bufsize;
		rc = pcre2_substitute(e->code, (PCRE2_SPTR) subject, len, 0, options,
							  e->match_data, match_context,
							  (PCRE2_SPTR) rep, replen,
							  (PCRE2_UCHAR *) VARDATA(result), &outlen);
		if (rc == REGEX_ABORT_INTERRUPT)
		{
			pfree(result);
			attempt--;
			continue;
		}
		if (rc != PCRE2_ERROR_NOMEMORY || attempt > 0)
			break;
		/* outlen is now the size needed, trailing zero included */
		if (outlen > maxlen)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("regular expression replacement result is too long"),
					 errdetail("The result would be %zu bytes; the maximum is %zu.",
							   (size_t) outlen - 1, (size_t) maxlen - 1)));
		pfree(result);
		bufsize = outlen;
	}
	if (rc < 0)
	{
		PCRE2_UCHAR msg[256];

		switch (rc)
		{
			case PCRE2_ERROR_NOSUBSTRING:
			case PCRE2_ERROR_UNSET:
			case PCRE2_ERROR_BADREPLACEMENT:
			case PCRE2_ERROR_BADREPESCAPE:
			case PCRE2_ERROR_REPMISSINGBRACE:
			case PCRE2_ERROR_BADSUBSTITUTION:
			case PCRE2_ERROR_BADSUBSPATTERN:
				pcre2_get_error_message(rc, msg, sizeof(msg));
				if (outlen != PCRE2_UNSET && outlen <= (PCRE2_SIZE) replen)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("invalid regular expression replacement: %s", (char *) msg),
							 errdetail("The error is at offset %d of the replacement \"%.*s\".",
									   (int) outlen, replen, rep)));
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid regular expression replacement: %s", (char *) msg),
						 errdetail("The replacement is \"%.*s\".", replen, rep)));
				break;
			case PCRE2_ERROR_NOMEMORY:
				elog(ERROR, "pcre2_substitute needed more room than it reported");
				break;
			default:
				regex_match_error(rc, e->pattern, e->patlen, len, no_caller);
		}
	}
	SET_VARSIZE(result, VARHDRSZ + outlen);
	regex_verify_result(VARDATA(result), (int) outlen);
	PG_RETURN_TEXT_P(result);
}
