/*
 * cron.c: the pg_cron schedule evaluator (see cron.h): parsing a schedule
 * and computing when pg_cron would next start a job with it, and the
 * SQL-callable dataops.cron_next().  Moved out of schedule.c (issue 11); it
 * reads no catalog.
 */
#include "postgres.h"

#include <ctype.h>

#include "datatype/timestamp.h"
#include "compat.h"
#include "fmgr.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "cron.h"

/*
 * Next run of a pg_cron schedule
 *
 * The parser accepts what pg_cron (src/entry.c, itself Vixie cron's
 * load_entry) accepts, with the same meaning:
 *
 *	minute hour day-of-month month day-of-week
 *
 * Each field is a comma-separated list of items; an item is "*", a value
 * or a range "a-b", and "*" or a range may take a step "/n": "1-30/5" is
 * 1, 6, ..., 26, and "*" with step 15 in the minute field is 0, 15, 30, 45.
 * Months may be named jan..dec and days of the week sun..sat (any case);
 * day-of-week 7 is Sunday, like 0.  The day-of-month field may instead be
 * "$", the last day of the month (pg_cron 1.6).  The macros @yearly,
 * @annually, @monthly, @weekly, @daily, @midnight and @hourly stand for
 * their five-field equivalents, @reboot for "when pg_cron starts", and
 * "N seconds" (N from 1 to 59, pg_cron 1.5) for a job run every N seconds.
 *
 * As in Vixie cron, a day matches when the day-of-month field and the
 * day-of-week field both match, except that when both fields are
 * restricted (neither begins with "*") a day matches when either does.
 *
 * The parser is stricter than pg_cron in a few places where pg_cron
 * silently ignores text: text after the fifth field or after a macro, and
 * text after an item ("5;" or "*-5"); ranges that run backwards ("5-1",
 * which pg_cron accepts and never matches) and steps larger than the
 * field's span are refused too.
 */

/* One field of a five-field schedule: its bounds and the names it takes. */
typedef struct CronField
{
	const char *label;			/* as in error messages */
	int			low;
	int			high;
	const char *const *names;	/* names[i] means low + i; NULL-terminated */
	const char *usage;			/* the values it takes, for error details */
} CronField;

static const char *const cron_month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec", NULL
};

static const char *const cron_dow_names[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL
};

static const CronField cron_fields[5] = {
	{"minute", 0, 59, NULL, "0 to 59"},
	{"hour", 0, 23, NULL, "0 to 23"},
	{"day-of-month", 1, 31, NULL, "1 to 31, or $ alone for the last day"},
	{"month", 1, 12, cron_month_names, "1 to 12 or jan to dec"},
	{"day-of-week", 0, 7, cron_dow_names, "0 to 7 (0 and 7 are Sunday) or sun to sat"},
};

/*
 * The macros, with the meaning Vixie cron gives them.  pg_cron's entry.c
 * expands @yearly and @annually with set_element(e->month, FIRST_MONTH,
 * LAST_MONTH, FIRST_MINUTE), which, as the code reads, sets no month at
 * all, so pg_cron may never start such a job; this was not checked
 * against a running pg_cron.  cron_next gives January 1st, 00:00.
 */
static const struct
{
	const char *name;
	const char *fields;
}			cron_macros[] = {
	{"@yearly", "0 0 1 1 *"},
	{"@annually", "0 0 1 1 *"},
	{"@monthly", "0 0 1 * *"},
	{"@weekly", "0 0 * * 0"},
	{"@daily", "0 0 * * *"},
	{"@midnight", "0 0 * * *"},
	{"@hourly", "0 * * * *"},
};

/* How far cron_next looks ahead: five years, leap days included. */
#define CRON_SEARCH_DAYS	(5 * 366)

pg_noreturn static void cron_invalid(const char *schedule, const char *detail);

static void
cron_invalid(const char *schedule, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid cron schedule \"%s\"", schedule),
			 errdetail("%s", detail),
			 errhint("Use five fields: minute hour day-of-month month day-of-week, e.g. '*/5 * * * *'.")));
}

static inline bool
cron_space(char c)
{
	return isspace((unsigned char) c);
}

/* Floor division and ceiling division for a positive divisor. */
static inline int64
floor_div(int64 a, int64 b)
{
	return a / b - (a % b < 0 ? 1 : 0);
}

static inline int64
ceil_div(int64 a, int64 b)
{
	return -floor_div(-a, b);
}

/* The value of len decimal digits at p, or 1000 if it is 1000 or more. */
static int
cron_number(const char *p, int len)
{
	int			n = 0;

	for (int i = 0; i < len; i++)
	{
		n = n * 10 + (p[i] - '0');
		if (n >= 1000)
			return 1000;
	}
	return n;
}

/*
 * cron_parse_interval: true when the schedule is pg_cron's interval form,
 * "N second" or "N seconds" in any case (job_metadata.c TryParseInterval),
 * and then *seconds = N.  Raises the cron error when N is not 1 to 59.
 */
static bool
cron_parse_interval(const char *schedule, int *seconds)
{
	const char *p = schedule;
	const char *digits;
	const char *word;
	int			ndigits;
	int			nword;
	int			n = 0;

	while (cron_space(*p))
		p++;
	digits = p;
	while (isdigit((unsigned char) *p))
		p++;
	ndigits = p - digits;
	while (cron_space(*p))
		p++;
	word = p;
	while (isalpha((unsigned char) *p))
		p++;
	nword = p - word;
	while (cron_space(*p))
		p++;
	if (ndigits == 0 || *p != '\0' ||
		!((nword == 6 && pg_strncasecmp(word, "second", 6) == 0) ||
		  (nword == 7 && pg_strncasecmp(word, "seconds", 7) == 0)))
		return false;

	n = cron_number(digits, ndigits);
	if (n < 1 || n > 59)
		cron_invalid(schedule, "An interval schedule runs a job every 1 to 59 seconds.");
	*seconds = n;
	return true;
}

/*
 * cron_parse_value: reads one value (a number or, where the field has
 * names, a name) at *p, stores it in *value and returns the position after
 * it.  Raises the cron error for anything else or a value out of range.
 */
static const char *
cron_parse_value(const char *schedule, const CronField *f,
				 const char *tok, int toklen, const char *p, const char *end,
				 int *value)
{
	const char *start = p;
	bool		all_digits = true;
	int			len;

	while (p < end && isalnum((unsigned char) *p))
	{
		if (!isdigit((unsigned char) *p))
			all_digits = false;
		p++;
	}
	len = p - start;
	if (len == 0 && p < end && *p != ',' && *p != '-' && *p != '/')
		cron_invalid(schedule,
					 psprintf("The %s field \"%.*s\" is not a comma-separated list of values, ranges (a-b) and steps (*/n, a-b/n).",
							  f->label, toklen, tok));
	if (len == 0)
		cron_invalid(schedule,
					 psprintf("The %s field \"%.*s\" is missing a value; it takes %s.",
							  f->label, toklen, tok, f->usage));

	if (all_digits)
	{
		int			v = cron_number(start, len);

		if (v < f->low || v > f->high)
			cron_invalid(schedule,
						 psprintf("Value %.*s is out of range for the %s field, which takes %s.",
								  len, start, f->label, f->usage));
		*value = v;
		return p;
	}

	if (f->names != NULL)
	{
		for (int i = 0; f->names[i] != NULL; i++)
		{
			if ((int) strlen(f->names[i]) == len &&
				pg_strncasecmp(f->names[i], start, len) == 0)
			{
				*value = f->low + i;
				return p;
			}
		}
	}
	cron_invalid(schedule,
				 psprintf("Value \"%.*s\" is not valid in the %s field, which takes %s.",
						  len, start, f->label, f->usage));
	return p;					/* not reached */
}

/*
 * cron_parse_field: sets bits[v] for every value v that the field tok
 * (toklen bytes, no blanks) selects.  bits is indexed by value, so it has
 * f->high + 1 elements.  Raises the cron error for a malformed field.
 */
static void
cron_parse_field(const char *schedule, const CronField *f,
				 const char *tok, int toklen, bool *bits)
{
	const char *p = tok;
	const char *end = tok + toklen;

	for (;;)
	{
		int			lo;
		int			hi;
		int			step = 1;
		bool		range = true;

		if (p < end && *p == '*')
		{
			lo = f->low;
			hi = f->high;
			p++;
		}
		else
		{
			p = cron_parse_value(schedule, f, tok, toklen, p, end, &lo);
			if (p < end && *p == '-')
				p = cron_parse_value(schedule, f, tok, toklen, p + 1, end, &hi);
			else
			{
				hi = lo;
				range = false;
			}
		}

		if (p < end && *p == '/')
		{
			const char *digits = ++p;
			int			span = f->high - f->low + 1;

			if (!range)
				cron_invalid(schedule,
							 psprintf("The %s field \"%.*s\" has a step after a single value; a step follows \"*\" or a range, as in \"*/5\" or \"0-30/5\".",
									  f->label, toklen, tok));
			while (p < end && isdigit((unsigned char) *p))
				p++;
			step = cron_number(digits, p - digits);
			if (p == digits || step < 1 || step > span)
				cron_invalid(schedule,
							 psprintf("The step in the %s field \"%.*s\" must be a number from 1 to %d.",
									  f->label, toklen, tok, span));
		}

		if (lo > hi)
			cron_invalid(schedule,
						 psprintf("The range %d-%d in the %s field \"%.*s\" runs backwards.",
								  lo, hi, f->label, toklen, tok));
		for (int v = lo; v <= hi; v += step)
			bits[v] = true;

		if (p == end)
			break;
		if (*p != ',')
			cron_invalid(schedule,
						 psprintf("The %s field \"%.*s\" is not a comma-separated list of values, ranges (a-b) and steps (*/n, a-b/n).",
								  f->label, toklen, tok));
		p++;
	}
}

/*
 * cron_parse: fills *c from schedule (a NUL-terminated string), or raises
 * 22023 "invalid cron schedule" with a detail saying what is wrong.
 */
void
cron_parse(const char *schedule, CronSpec *c)
{
	const char *tok[6];
	int			toklen[6];
	int			ntok = 0;
	const char *p = schedule;

	memset(c, 0, sizeof(*c));

	while (cron_space(*p))
		p++;
	if (*p == '\0')
		cron_invalid(schedule, "The schedule is empty.");

	if (cron_parse_interval(schedule, &c->seconds))
		return;

	/* split into blank-separated fields; six are enough to know it is wrong */
	while (*p != '\0')
	{
		const char *start = p;

		while (*p != '\0' && !cron_space(*p))
			p++;
		if (ntok < 6)
		{
			tok[ntok] = start;
			toklen[ntok] = p - start;
		}
		ntok++;
		while (cron_space(*p))
			p++;
	}

	if (tok[0][0] == '@')
	{
		for (int i = 0; i < lengthof(cron_macros); i++)
		{
			const char *name = cron_macros[i].name;

			if ((int) strlen(name) == toklen[0] && strncmp(name, tok[0], toklen[0]) == 0)
			{
				if (ntok > 1)
					cron_invalid(schedule, psprintf("The macro %s stands alone, without other fields.", name));
				cron_parse(cron_macros[i].fields, c);
				return;
			}
		}
		if (toklen[0] == 7 && strncmp(tok[0], "@reboot", 7) == 0)
		{
			if (ntok > 1)
				cron_invalid(schedule, "The macro @reboot stands alone, without other fields.");
			c->reboot = true;
			return;
		}
		cron_invalid(schedule,
					 psprintf("\"%.*s\" is not a macro pg_cron knows: those are @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly and @reboot (lower case).",
							  toklen[0], tok[0]));
	}

	if (ntok != 5)
		cron_invalid(schedule, psprintf("A cron schedule has five fields; this one has %d.", ntok));

	cron_parse_field(schedule, &cron_fields[0], tok[0], toklen[0], c->minute);
	cron_parse_field(schedule, &cron_fields[1], tok[1], toklen[1], c->hour);
	if (toklen[2] == 1 && tok[2][0] == '$')
		c->dom_last = true;
	else
		cron_parse_field(schedule, &cron_fields[2], tok[2], toklen[2], c->dom);
	cron_parse_field(schedule, &cron_fields[3], tok[3], toklen[3], c->month);
	cron_parse_field(schedule, &cron_fields[4], tok[4], toklen[4], c->dow);

	/* Vixie cron's DOM_STAR and DOW_STAR: the field begins with "*" */
	c->dom_star = tok[2][0] == '*';
	c->dow_star = tok[4][0] == '*';
	/* make Sundays equivalent */
	c->dow[0] = c->dow[7] = c->dow[0] || c->dow[7];
}

/* Whether the day year-month-mday, a weekday wday (0 = Sunday), matches. */
static bool
cron_day_matches(const CronSpec *c, int year, int month, int mday, int wday)
{
	bool		dom_ok = c->dom[mday] ||
		(c->dom_last && mday == day_tab[isleap(year) ? 1 : 0][month - 1]);
	bool		dow_ok = c->dow[wday];

	if (c->dom_star || c->dow_star)
		return dom_ok && dow_ok;
	return dom_ok || dow_ok;
}

/*
 * cron_next_local: the first wall-clock minute in [from, limit) that the
 * schedule matches, counted in minutes from 2000-01-01 00:00 (local time,
 * no time zone), stored in *found.  False when there is none.
 */
static bool
cron_next_local(const CronSpec *c, int64 from, int64 limit, int64 *found)
{
	int64		lm = from;

	while (lm < limit)
	{
		int64		day = floor_div(lm, MINS_PER_HOUR * HOURS_PER_DAY);
		int			mod = (int) (lm - day * MINS_PER_HOUR * HOURS_PER_DAY);
		int64		jd = day + POSTGRES_EPOCH_JDATE;
		int			year;
		int			month;
		int			mday;
		int			hour = mod / MINS_PER_HOUR;
		int			minute = mod % MINS_PER_HOUR;

		/* before Julian day 0, the first day j2date handles: start there */
		if (jd < 0)
		{
			lm = -POSTGRES_EPOCH_JDATE * (int64) (MINS_PER_HOUR * HOURS_PER_DAY);
			continue;
		}
		j2date((int) jd, &year, &month, &mday);

		if (!c->month[month])
		{
			/* the first day of the next month */
			if (++month > MONTHS_PER_YEAR)
			{
				month = 1;
				year++;
			}
			lm = ((int64) date2j(year, month, 1) - POSTGRES_EPOCH_JDATE) *
				MINS_PER_HOUR * HOURS_PER_DAY;
			continue;
		}
		if (!cron_day_matches(c, year, month, mday, j2day((int) jd)))
		{
			lm = (day + 1) * MINS_PER_HOUR * HOURS_PER_DAY;
			continue;
		}
		if (c->hour[hour])
		{
			while (minute < MINS_PER_HOUR && !c->minute[minute])
				minute++;
		}
		if (!c->hour[hour] || minute == MINS_PER_HOUR)
		{
			/* the next hour */
			lm = day * MINS_PER_HOUR * HOURS_PER_DAY + (hour + 1) * MINS_PER_HOUR;
			continue;
		}
		lm = day * MINS_PER_HOUR * HOURS_PER_DAY + hour * MINS_PER_HOUR + minute;
		if (lm >= limit)
			return false;
		*found = lm;
		return true;
	}
	return false;
}

/*
 * cron_next_time: the first minute strictly after `after` at which pg_cron
 * would start a job with schedule c, with the schedule read in time zone
 * tz, stored in *result.  False when there is none within
 * CRON_SEARCH_DAYS days or before the end of the timestamptz range.
 *
 * pg_cron's scheduler wakes at the start of every minute (UTC minute
 * boundaries), converts that instant to local time in cron.timezone with
 * pg_localtime and starts the jobs whose schedule matches the local fields
 * (pg_cron.c ShouldRunTask).  So a local time skipped by a daylight-saving
 * change never matches, and one repeated by it matches twice.  Between two
 * UTC offset changes of the zone local time is UTC plus a constant, so the
 * search runs on wall-clock fields one offset period at a time.
 */
bool
cron_next_time(const CronSpec *c, TimestampTz after, pg_tz *tz, TimestampTz *result)
{
	int64		m = floor_div(after, USECS_PER_MINUTE) + 1;
	int64		limit = m + (int64) CRON_SEARCH_DAYS * HOURS_PER_DAY * MINS_PER_HOUR;
	int64		range_end = floor_div(END_TIMESTAMP, USECS_PER_MINUTE);

	if (limit > range_end)
		limit = range_end;

	while (m < limit)
	{
		pg_time_t	t = timestamptz_to_time_t(m * USECS_PER_MINUTE);
		long int	gmtoff;
		long int	after_gmtoff;
		int			isdst;
		int			after_isdst;
		pg_time_t	boundary;
		int64		seg_end = limit;
		int64		shift;
		int64		found;
		int			r;

		r = pg_next_dst_boundary(&t, &gmtoff, &isdst, &boundary,
								 &after_gmtoff, &after_isdst, tz);
		if (r < 0)
		{
			/* not expected (localtime.c); fall back to this one minute */
			struct pg_tm *tm = pg_localtime(&t, tz);

			if (tm == NULL)
				return false;
			gmtoff = tm->tm_gmtoff;
			seg_end = m + 1;
		}
		else if (r == 1 && boundary < timestamptz_to_time_t(limit * USECS_PER_MINUTE))
		{
			/* the first minute at or after the offset change */
			int64		bm = ceil_div(time_t_to_timestamptz(boundary), USECS_PER_MINUTE);

			seg_end = Max(bm, m + 1);
		}

		/* local minute = UTC minute + shift, as pg_localtime's tm_min has it */
		shift = floor_div(gmtoff, SECS_PER_MINUTE);
		if (cron_next_local(c, m + shift, seg_end + shift, &found))
		{
			*result = (found - shift) * USECS_PER_MINUTE;
			return true;
		}
		m = seg_end;
	}
	return false;
}

/* The time zone pg_cron reads schedules in: cron.timezone, else GMT. */
pg_tz *
cron_timezone(void)
{
	const char *name = GetConfigOption("cron.timezone", true, false);
	pg_tz	   *tz;

	if (name == NULL || name[0] == '\0')
		name = "GMT";
	tz = pg_tzset(name);
	if (tz == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cron.timezone \"%s\" is not a known time zone", name),
				 errhint("Set cron.timezone to a time zone name such as 'GMT' or 'Europe/Paris'.")));
	return tz;
}

/*
 * dataops.cron_next(schedule text, after timestamptz) → timestamptz: the
 * first time strictly after `after` at which pg_cron would start a job
 * with this schedule; timestamptz in microseconds, on a whole minute for
 * cron schedules.
 *
 * schedule is in pg_cron's syntax (see the comment above cron_fields):
 * five fields read as Vixie cron reads them, a macro, or "N seconds".
 * Five-field schedules and macros are read in the time zone of the GUC
 * cron.timezone when it is set (pg_cron 1.5 and later), otherwise in GMT,
 * as pg_cron 1.4 does; the result is an absolute time, shown in the
 * session's TimeZone like any timestamptz.  "N seconds" gives after + N
 * seconds: pg_cron starts such a job N seconds after the previous start.
 *
 * Returns NULL when nothing matches within five years (1830 days) of
 * `after`, as for '0 0 30 2 *', for @reboot (no time-based runs), and
 * when `after` is infinite.  SQL NULL arguments give NULL (STRICT).
 *
 * Raises 22023 (invalid_parameter_value) "invalid cron schedule" with a
 * detail saying what is wrong for a schedule pg_cron would reject, and
 * for the few that pg_cron accepts while ignoring part of them (see
 * above); 22023 when cron.timezone names no known time zone; 22008
 * (datetime_field_overflow) when after + N seconds is past the end of the
 * timestamptz range.
 *
 * STABLE, not IMMUTABLE: the result depends on cron.timezone.
 */
PG_FUNCTION_INFO_V1(dataops_cron_next);
Datum
dataops_cron_next(PG_FUNCTION_ARGS)
{
	char	   *schedule = text_to_cstring(PG_GETARG_TEXT_PP(0));
	TimestampTz after = PG_GETARG_TIMESTAMPTZ(1);
	CronSpec	spec;
	TimestampTz result;

	cron_parse(schedule, &spec);
	pfree(schedule);

	if (TIMESTAMP_NOT_FINITE(after) || spec.reboot)
		PG_RETURN_NULL();

	if (spec.seconds > 0)
	{
		result = after + spec.seconds * USECS_PER_SEC;
		if (!IS_VALID_TIMESTAMP(result))
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("timestamp out of range")));
		PG_RETURN_TIMESTAMPTZ(result);
	}

	if (!cron_next_time(&spec, after, cron_timezone(), &result))
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(result);
}
