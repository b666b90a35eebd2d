/*
 * regex.c: PCRE2 for expectations and SQL functions.
 *
 * Patterns are compiled once per backend with PCRE2_UTF (when the database
 * encoding is UTF-8) and JIT-compiled; a small cache keeps the most recently
 * used ones.  PCRE2 allocates with malloc: every object lives in the cache
 * (freed on eviction) and nothing is allocated per match, so an ERROR raised
 * mid-scan leaks nothing.  The match limit bounds catastrophic backtracking,
 * so a bad pattern fails with an error instead of hanging the backend.
 */
#include "postgres.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "regex.h"

#define REGEX_CACHE_SIZE 32
#define REGEX_MATCH_LIMIT 10000000
#define REGEX_DEPTH_LIMIT 100000

typedef struct RegexEntry
{
	char	   *pattern;		/* malloc'd copy, NUL-terminated */
	int			patlen;
	pcre2_code *code;
	pcre2_match_data *match_data;
	uint64		last_used;
} RegexEntry;

static RegexEntry cache[REGEX_CACHE_SIZE];
static int	cache_used = 0;
static uint64 use_clock = 0;
static pcre2_match_context *match_context = NULL;
static pcre2_jit_stack *jit_stack = NULL;

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
	jit_stack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
	if (jit_stack != NULL)
		pcre2_jit_stack_assign(match_context, NULL, jit_stack);
}

/* Finds or compiles the cache entry for a pattern. */
static RegexEntry *
regex_lookup(const char *pattern, int patlen)
{
	int			i;
	int			victim = 0;
	RegexEntry *e;
	int			errorcode;
	PCRE2_SIZE	erroffset;
	uint32		options = 0;
	pcre2_code *code;

	for (i = 0; i < cache_used; i++)
	{
		e = &cache[i];
		if (e->patlen == patlen && memcmp(e->pattern, pattern, patlen) == 0)
		{
			e->last_used = ++use_clock;
			return e;
		}
	}

	regex_init_context();

	if (GetDatabaseEncoding() == PG_UTF8)
		options |= PCRE2_UTF | PCRE2_NO_UTF_CHECK;
	code = pcre2_compile((PCRE2_SPTR) pattern, patlen, options,
						 &errorcode, &erroffset, NULL);
	if (code == NULL)
	{
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(errorcode, msg, sizeof(msg));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_REGULAR_EXPRESSION),
				 errmsg("invalid regular expression: %s", (char *) msg),
				 errdetail("The error is at offset %d of the pattern \"%.*s\".",
						   (int) erroffset, patlen, pattern)));
	}
	/* JIT is an optimisation: on platforms without it, interpret. */
	(void) pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);

	if (cache_used < REGEX_CACHE_SIZE)
		victim = cache_used++;
	else
	{
		for (i = 1; i < REGEX_CACHE_SIZE; i++)
			if (cache[i].last_used < cache[victim].last_used)
				victim = i;
		regex_free_entry(&cache[victim]);
	}
	e = &cache[victim];
	e->code = code;
	e->match_data = pcre2_match_data_create_from_pattern(code, NULL);
	e->pattern = malloc(patlen + 1);
	if (e->match_data == NULL || e->pattern == NULL)
	{
		regex_free_entry(e);
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	}
	memcpy(e->pattern, pattern, patlen);
	e->pattern[patlen] = '\0';
	e->patlen = patlen;
	e->last_used = ++use_clock;
	return e;
}

void
regex_validate(const char *pattern)
{
	(void) regex_lookup(pattern, strlen(pattern));
}

bool
regex_search(const char *pattern, int patlen, const char *subject, int len)
{
	RegexEntry *e = regex_lookup(pattern, patlen);
	int			rc;

	rc = pcre2_match(e->code, (PCRE2_SPTR) subject, len, 0,
					 GetDatabaseEncoding() == PG_UTF8 ? PCRE2_NO_UTF_CHECK : 0,
					 e->match_data, match_context);
	if (rc >= 0)
		return true;
	if (rc == PCRE2_ERROR_NOMATCH)
		return false;
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
		rc == PCRE2_ERROR_JIT_STACKLIMIT || rc == PCRE2_ERROR_HEAPLIMIT)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("regular expression match limit exceeded"),
				 errdetail("The pattern \"%.*s\" backtracked too much on a value of %d bytes.",
						   patlen, pattern, len),
				 errhint("Rewrite the pattern to avoid nested quantifiers such as (a+)+.")));
	{
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(rc, msg, sizeof(msg));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_REGULAR_EXPRESSION),
				 errmsg("regular expression match failed: %s", (char *) msg)));
	}
	return false;				/* keep compiler quiet */
}

/*
 * dataops.regex_match(value text, pattern text) → boolean: PCRE2 unanchored
 * search.  IMMUTABLE STRICT PARALLEL SAFE.
 */
PG_FUNCTION_INFO_V1(dataops_regex_match);
Datum
dataops_regex_match(PG_FUNCTION_ARGS)
{
	text	   *value = PG_GETARG_TEXT_PP(0);
	text	   *pattern = PG_GETARG_TEXT_PP(1);

	PG_RETURN_BOOL(regex_search(VARDATA_ANY(pattern), VARSIZE_ANY_EXHDR(pattern),
								VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value)));
}
