/*
 * typecheck.c: does a text value parse as a type, or with a strftime format.
 *
 * dataops.input_is_valid(value, type) answers "would CAST(value AS type)
 * succeed" without failing the query: the type's input function runs on the
 * value, and an error that says the value is bad (SQLSTATE class 22, data
 * exception, or class 23 from a domain constraint) becomes false.  It is
 * PostgreSQL 16's pg_input_is_valid for PostgreSQL 15, where input functions
 * cannot report errors softly, so the error is caught:
 *
 *   - A built-in input function (pg_proc.prolang = internal) of a base type
 *     (or of an array of one) holds no resources when it rejects a value, so
 *     its error is caught with PG_TRY alone: cheap enough for every row.
 *   - Anything else (domains, whose CHECK constraints may call any function;
 *     composite, range, enum and multirange types, whose input functions call
 *     other types' ones; input functions written in C by an extension) runs
 *     in an internal subtransaction that is rolled back on error, as a
 *     PL/pgSQL EXCEPTION block does.  PostgreSQL 15 refuses subtransactions
 *     in parallel mode, so those types cannot be checked in a parallel query.
 *
 * Any other error (out of memory, query canceled, an unknown type, ...) is
 * raised as usual.  A type the caller does not trust (trust.h) is refused
 * before its input function runs.
 *
 * dataops.matches_strftime(value, format) is Great Expectations'
 * expect_column_values_to_match_strftime_format, which calls Python's
 * datetime.strptime(value, format): the whole value must match the format
 * and name a real date and time.  It is built on glibc's strptime, with
 * checks added where glibc is more lenient than Python (see the function).
 */
#include "postgres.h"

#include <time.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "parser/parse_type.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/syscache.h"

#include "compat.h"
#include "dataops.h"
#include "trust.h"
#include "typecheck.h"

#define FORMAT_EXAMPLE "Example: '{\"format\": \"%%Y-%%m-%%d\"}'."

/* ------------------------------------------------------------------------
 * Values of a type
 * ------------------------------------------------------------------------
 */

/* Resolved type of one call site of input_is_valid, kept in fn_extra. */
typedef struct InputCache
{
	char	   *type_str;		/* the type argument's bytes (fn_mcxt) */
	int			type_len;
	Oid			typid;
	int32		typmod;
	Oid			typioparam;
	bool		catchable;		/* errors can be caught without a subtransaction */
	FmgrInfo	input;			/* the type's input function */
	MemoryContext type_cxt;		/* type_str, input and what the input
								 * function caches: reset when the type
								 * changes */
	MemoryContext work;			/* per-call memory, reset on each call */
} InputCache;

/* Language of a function (pg_proc.prolang). */
static Oid
func_language(Oid funcid)
{
	HeapTuple	tup;
	Oid			lang;

	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", funcid);
	lang = ((Form_pg_proc) GETSTRUCT(tup))->prolang;
	ReleaseSysCache(tup);
	return lang;
}

/*
 * True when the input function of `typid` can be run under PG_TRY alone: a
 * base type whose input function is built into the server, or an array of
 * such a type (array_in calls the element type's input function).
 */
static bool
input_is_catchable(Oid typid)
{
	Oid			typinput;
	Oid			typioparam;
	Oid			elem;

	if (get_typtype(typid) != TYPTYPE_BASE)
		return false;
	getTypeInputInfo(typid, &typinput, &typioparam);
	if (func_language(typinput) != INTERNALlanguageId)
		return false;
	elem = get_element_type(typid);
	if (OidIsValid(elem))
		return input_is_catchable(elem);
	return true;
}

/*
 * True for an error that says the value is bad: class 22 (data exception:
 * invalid syntax, out of range, value too long, ...) or class 23 (integrity
 * constraint violation: a domain's CHECK or NOT NULL constraint).
 */
static bool
is_bad_value_error(int sqlerrcode)
{
	return ERRCODE_TO_CATEGORY(sqlerrcode) == ERRCODE_DATA_EXCEPTION ||
		ERRCODE_TO_CATEGORY(sqlerrcode) == ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION;
}

/* Runs the input function under PG_TRY; false on a bad-value error. */
static bool
input_ok_catch(InputCache *c, char *str)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	volatile bool ok = true;

	PG_TRY();
	{
		(void) InputFunctionCall(&c->input, str, c->typioparam, c->typmod);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		if (!is_bad_value_error(edata->sqlerrcode))
			PG_RE_THROW();
		FlushErrorState();
		FreeErrorData(edata);
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

/*
 * Runs the input function in an internal subtransaction, rolled back on
 * error (the pattern of PL/pgSQL's exception blocks); false on a bad-value
 * error, any other error raised again once the subtransaction is gone.
 */
static bool
input_ok_subxact(InputCache *c, char *str)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	volatile bool ok = true;

	if (IsInParallelMode())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_STATE),
				 errmsg("cannot check values of type %s in a parallel query",
						format_type_be(c->typid)),
				 errdetail("Checking a value of a domain, or of a type whose input function is not built in, needs a subtransaction, which PostgreSQL 15 does not allow in parallel mode."),
				 errhint("Run the query with SET max_parallel_workers_per_gather = 0.")));

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcontext);
	PG_TRY();
	{
		(void) InputFunctionCall(&c->input, str, c->typioparam, c->typmod);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		edata = dataops_take_error(oldcontext);
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;
		if (!is_bad_value_error(edata->sqlerrcode))
			ReThrowError(edata);
		FreeErrorData(edata);
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

/*
 * The InputCache of this call site for the type string `type`, resolving
 * the type when the string differs from the previous call's.
 */
static InputCache *
input_cache(FunctionCallInfo fcinfo, text *type)
{
	MemoryContext mcxt = fcinfo->flinfo->fn_mcxt;
	InputCache *c = (InputCache *) fcinfo->flinfo->fn_extra;
	const char *str = VARDATA_ANY(type);
	int			len = VARSIZE_ANY_EXHDR(type);
	char	   *type_name;
	Oid			typid;
	int32		typmod;
	Oid			typinput;
	Oid			typioparam;

	if (c != NULL && c->type_str != NULL && c->type_len == len &&
		memcmp(c->type_str, str, len) == 0)
		return c;

	if (c == NULL)
	{
		c = MemoryContextAllocZero(mcxt, sizeof(InputCache));
		c->type_cxt = AllocSetContextCreate(mcxt, "dataops input_is_valid type",
											ALLOCSET_SMALL_SIZES);
		c->work = AllocSetContextCreate(mcxt, "dataops input_is_valid",
										ALLOCSET_SMALL_SIZES);
		fcinfo->flinfo->fn_extra = c;
	}
	else
	{
		c->type_str = NULL;		/* invalid until resolved again */
		MemoryContextReset(c->type_cxt);
	}

	type_name = text_to_cstring(type);

	/*
	 * An unknown type is a bad argument, not a bad value: it raises.  The
	 * type must be trusted (its input function, its domain constraints, ...
	 * run as the caller) before anything of it runs, typmod input included.
	 */
	typid = LookupTypeNameOid(NULL, compat_type_name(type_name), false);
	trust_require_type(typid, GetUserId(), "dataops.input_is_valid");
	compat_parse_type(type_name, &typid, &typmod, false);
	if (get_typtype(typid) == TYPTYPE_PSEUDO)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot check values of pseudo-type %s", format_type_be(typid))));
	getTypeInputInfo(typid, &typinput, &typioparam);
	fmgr_info_cxt(typinput, &c->input, c->type_cxt);
	c->typid = typid;
	c->typmod = typmod;
	c->typioparam = typioparam;
	c->catchable = input_is_catchable(typid);
	c->type_str = MemoryContextAlloc(c->type_cxt, len + 1);
	memcpy(c->type_str, str, len);
	c->type_str[len] = '\0';
	c->type_len = len;			/* valid from here */
	pfree(type_name);
	return c;
}

/*
 * dataops.input_is_valid(value text, type text) -> boolean: true when
 * CAST(value AS type) would succeed, i.e. the type's input function accepts
 * value with the type's typmod (so numeric(5,2) refuses 1234.5 and
 * varchar(3) refuses 'abcd', where an explicit cast would truncate).  False
 * when it raises a class 22 or 23 error; other errors are raised, and so is
 * an unknown type (42704) or a pseudo-type (22023).  Raises 42501 when the
 * caller does not trust the type (trust.h: its owner, input function,
 * domain constraints' functions, ..., which would run as the caller), before
 * any of its code runs.  The type is resolved once per call site while the
 * type argument stays the same.  STABLE (the type name depends on
 * search_path) STRICT.
 */
PG_FUNCTION_INFO_V1(dataops_input_is_valid);
Datum
dataops_input_is_valid(PG_FUNCTION_ARGS)
{
	text	   *value = PG_GETARG_TEXT_PP(0);
	InputCache *c = input_cache(fcinfo, PG_GETARG_TEXT_PP(1));
	MemoryContext oldcontext;
	char	   *str;
	bool		ok;

	MemoryContextReset(c->work);
	oldcontext = MemoryContextSwitchTo(c->work);
	str = text_to_cstring(value);
	ok = c->catchable ? input_ok_catch(c, str) : input_ok_subxact(c, str);
	MemoryContextSwitchTo(oldcontext);
	PG_RETURN_BOOL(ok);
}

void
typecheck_validate_type(const char *type_name, const char *expectation)
{
	Oid			typid;
	int32		typmod;

	/* missing_ok: an unknown type is reported here; bad syntax raises 42601 */
	compat_parse_type(type_name, &typid, &typmod, true);
	if (!OidIsValid(typid))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("args.type of expectation \"%s\" is not a type: type \"%s\" does not exist",
						expectation, type_name),
				 errhint("Example: '{\"type\": \"integer\"}' or '{\"type\": \"numeric(10,2)\"}'.")));
	if (get_typtype(typid) == TYPTYPE_PSEUDO)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("args.type of expectation \"%s\" is not a type: %s is a pseudo-type",
						expectation, format_type_be(typid)),
				 errhint("Example: '{\"type\": \"integer\"}' or '{\"type\": \"numeric(10,2)\"}'.")));
}

void
typecheck_require_trusted_type(const char *type_name, Oid role, const char *user)
{
	Oid			typid = LookupTypeNameOid(NULL, compat_type_name(type_name), true);

	if (OidIsValid(typid))
		trust_require_type(typid, role, user);
}

/* ------------------------------------------------------------------------
 * strftime formats
 * ------------------------------------------------------------------------
 */

/* Whitespace as strptime sees it in the C locale. */
static inline bool
is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/*
 * What is wrong with a strptime format, NULL if nothing (see
 * typecheck_validate_format for the conversions accepted).
 */
static const char *
format_problem(const char *format)
{
	const char *p;
	int			conversions = 0;

	if (format[0] == '\0')
		return "it is empty";
	for (p = format; *p; p++)
	{
		if (*p != '%')
			continue;
		p++;
		if (*p == '\0')
			return "it ends with a lone %";
		if (*p == '%')
			continue;
		if (*p == 'E' || *p == 'O')
		{
			const char *allowed = (*p == 'E') ? "cCxXyY" : "deHImMSUVwWy";

			if (p[1] == '\0' || strchr(allowed, p[1]) == NULL)
				return psprintf("\"%%%.*s\" is not a conversion strptime knows",
								p[1] == '\0' ? 1 : 1 + pg_mblen(p + 1), p);
			p++;
		}
		else if (strchr("aAbBhcCdeDHIjmMntprRSTUWVwxXyYZz", *p) == NULL)
			return psprintf("\"%%%.*s\" is not a conversion strptime knows", pg_mblen(p), p);
		conversions++;
	}
	if (conversions == 0)
		return "it has no % conversion";
	return NULL;
}

void
typecheck_validate_format(const char *format, const char *expectation)
{
	const char *problem = format_problem(format);

	if (problem != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("args.format of expectation \"%s\" is not a strftime format: %s",
						expectation, problem),
				 errhint(FORMAT_EXAMPLE)));
}

/* A format of one call site of matches_strftime, checked, kept in fn_extra. */
typedef struct StrftimeCache
{
	char	   *format;			/* NUL-terminated (fn_mcxt) */
	int			len;
	bool		leading_space_ok;	/* the value may start with whitespace */
	bool		space_ok;		/* the value may contain whitespace */
	bool		simple;			/* only %Y %m %d %H %M %S %% and literal non-space characters */
} StrftimeCache;

/*
 * The simple formats (the common '%Y-%m-%d', '%d/%m/%Y %H:%M' has a space,
 * so not that one) are parsed here, exactly as glibc's strptime parses them
 * (its get_number): each numeric conversion reads a digit, then more while
 * it has read fewer than its width and ten times the value would still be in
 * range (%Y 0-9999 up to 4 digits, %m 1-12, %d 1-31, %H 0-23, %M 0-59, %S
 * 0-61, up to 2), and any other character must be the same.  Calling
 * strptime costs several times more per value.
 */
static bool
simple_strptime(const char *format, const char *v, int len, struct tm *tm)
{
	const char *f = format;
	int			i = 0;

	while (*f)
	{
		int			width;
		int			lo;
		int			hi;
		int		   *field;
		int			offset;
		int			n = 0;
		int			digits = 0;

		if (*f != '%')
		{
			if (i >= len || v[i] != *f)
				return false;
			i++;
			f++;
			continue;
		}
		f++;
		if (*f == '%')
		{
			if (i >= len || v[i] != '%')
				return false;
			i++;
			f++;
			continue;
		}
		/* the field, its digits and range, and the value stored (as struct tm does) */
		switch (*f)
		{
			case 'Y':
				width = 4, lo = 0, hi = 9999, field = &tm->tm_year, offset = 1900;
				break;
			case 'm':
				width = 2, lo = 1, hi = 12, field = &tm->tm_mon, offset = 1;
				break;
			case 'd':
				width = 2, lo = 1, hi = 31, field = &tm->tm_mday, offset = 0;
				break;
			case 'H':
				width = 2, lo = 0, hi = 23, field = &tm->tm_hour, offset = 0;
				break;
			case 'M':
				width = 2, lo = 0, hi = 59, field = &tm->tm_min, offset = 0;
				break;
			default:			/* 'S' */
				width = 2, lo = 0, hi = 61, field = &tm->tm_sec, offset = 0;
				break;
		}
		/* glibc's get_number: at least one digit; another only while it could stay in range */
		if (i >= len || v[i] < '0' || v[i] > '9')
			return false;
		do
		{
			n = n * 10 + (v[i++] - '0');
			digits++;
		} while (digits < width && n * 10 <= hi && i < len && v[i] >= '0' && v[i] <= '9');
		if (n < lo || n > hi)
			return false;
		*field = n - offset;
		f++;
	}
	return i == len;
}

static StrftimeCache *
strftime_cache(FunctionCallInfo fcinfo, text *format)
{
	MemoryContext mcxt = fcinfo->flinfo->fn_mcxt;
	StrftimeCache *c = (StrftimeCache *) fcinfo->flinfo->fn_extra;
	const char *str = VARDATA_ANY(format);
	int			len = VARSIZE_ANY_EXHDR(format);
	const char *problem;
	char	   *f;
	const char *p;

	if (c != NULL && c->format != NULL && c->len == len && memcmp(c->format, str, len) == 0)
		return c;
	if (c == NULL)
	{
		c = MemoryContextAllocZero(mcxt, sizeof(StrftimeCache));
		fcinfo->flinfo->fn_extra = c;
	}
	else if (c->format != NULL)
	{
		pfree(c->format);
		c->format = NULL;
	}

	f = MemoryContextAlloc(mcxt, len + 1);
	memcpy(f, str, len);
	f[len] = '\0';
	problem = format_problem(f);
	if (problem != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid strftime format \"%s\": %s", f, problem),
				 errhint("Example: '%%Y-%%m-%%d %%H:%%M:%%S'.")));

	/*
	 * Where the value may hold whitespace: where the format has some, and in
	 * the conversions that can produce some (%c, %r: "%a %b %e ..." and
	 * "%I:%M:%S %p" in the C locale; %e: space-padded day; %n, %t).
	 */
	c->leading_space_ok = is_space(f[0]) ||
		(f[0] == '%' && (f[1] == 'n' || f[1] == 't' || f[1] == 'e' ||
						 (f[1] == 'O' && f[2] == 'e')));
	c->space_ok = false;
	for (p = f; *p; p++)
	{
		if (is_space(*p))
			c->space_ok = true;
		else if (*p == '%' && p[1] != '\0')
		{
			p++;
			if ((*p == 'E' || *p == 'O') && p[1] != '\0')
				p++;
			if (strchr("crnte", *p) != NULL)
				c->space_ok = true;
		}
	}
	c->simple = true;
	for (p = f; *p; p++)
	{
		if (is_space(*p))
			c->simple = false;
		else if (*p == '%')
		{
			if (p[1] == '\0' || strchr("YmdHMS%", p[1]) == NULL)
				c->simple = false;
			else
				p++;
		}
	}
	c->format = f;
	c->len = len;
	return c;
}

/* True when the broken-down time names a real date and time. */
static bool
tm_is_real(const struct tm *tm)
{
	static const int month_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int			year = tm->tm_year + 1900;
	int			days;

	/* Python's datetime: years 1 to 9999 */
	if (year < 1 || year > 9999 || tm->tm_mon < 0 || tm->tm_mon > 11)
		return false;
	days = month_days[tm->tm_mon];
	if (tm->tm_mon == 1 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
		days = 29;
	if (tm->tm_mday < 1 || tm->tm_mday > days)
		return false;
	/* strptime's %S accepts 60 and 61 (leap seconds); datetime does not */
	return tm->tm_hour >= 0 && tm->tm_hour <= 23 && tm->tm_min >= 0 && tm->tm_min <= 59 &&
		tm->tm_sec >= 0 && tm->tm_sec <= 59;
}

/*
 * dataops.matches_strftime(value text, format text) -> boolean: true when
 * the whole of value parses with the strptime format and names a real date
 * and time, as Python's datetime.strptime(value, format) succeeding, which
 * is what Great Expectations' expect_column_values_to_match_strftime_format
 * tests.  Fields the format does not give default as in Python: 1900-01-01
 * 00:00:00, so "02-29" with "%m-%d" is false (1900 is not a leap year).
 * Raises 22023 for a format typecheck_validate_format refuses (once per call
 * site).  IMMUTABLE STRICT.
 *
 * Built on glibc's strptime in the C locale (the server's LC_TIME), with the
 * value refused when strptime leaves characters unparsed, when the date does
 * not exist (31 April, 29 February outside leap years of the Gregorian
 * calendar, year 0), when the seconds are 60 or 61, when the value starts
 * with whitespace and the format does not start with whitespace, %n, %t or
 * %e, and when the value holds whitespace and the format has neither
 * whitespace nor a conversion that can produce some (%c, %r, %e, %n, %t).
 * Differences from Python that remain:
 *   - %Y takes 1 to 4 digits ("24-01-05" matches "%Y-%m-%d", as year 24);
 *     Python wants exactly 4.
 *   - numeric conversions skip whitespace before their digits when the
 *     format allows whitespace at all ("2024-01-05  9:05" matches
 *     "%Y-%m-%d %H:%M" in both, but glibc also takes " 9: 05").
 *   - whitespace in the format matches zero or more whitespace characters;
 *     Python wants at least one ("2024-01-0510:30" matches "%Y-%m-%d %H:%M"
 *     here, not in Python).
 *   - %Z takes any word; Python only UTC, GMT and the local zone names.
 *   - %f (fractional seconds) and %G %u %:z are not supported (refused as
 *     formats); %C %D %e %h %n %r %R %t %T are, though Python has no such
 *     conversions.
 *   - matching is case-insensitive for names (%a %b %p), as in Python.
 */
PG_FUNCTION_INFO_V1(dataops_matches_strftime);
Datum
dataops_matches_strftime(PG_FUNCTION_ARGS)
{
	text	   *value = PG_GETARG_TEXT_PP(0);
	StrftimeCache *c = strftime_cache(fcinfo, PG_GETARG_TEXT_PP(1));
	const char *v = VARDATA_ANY(value);
	int			len = VARSIZE_ANY_EXHDR(value);
	char	   *str;
	char	   *end;
	struct tm	tm;
	bool		ok;
	int			i;

	if (len > 0 && is_space(v[0]) && !c->leading_space_ok)
		PG_RETURN_BOOL(false);
	if (!c->space_ok)
		for (i = 0; i < len; i++)
			if (is_space(v[i]))
				PG_RETURN_BOOL(false);

	/* Python's defaults for the fields the format does not give */
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 0;				/* 1900 */
	tm.tm_mon = 0;
	tm.tm_mday = 1;

	if (c->simple)
		PG_RETURN_BOOL(simple_strptime(c->format, v, len, &tm) && tm_is_real(&tm));

	str = text_to_cstring(value);
	end = strptime(str, c->format, &tm);
	ok = end != NULL && *end == '\0' && tm_is_real(&tm);
	pfree(str);
	PG_RETURN_BOOL(ok);
}
