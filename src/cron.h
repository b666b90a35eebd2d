/*
 * cron.h: the pg_cron schedule evaluator: parses a schedule in pg_cron's
 * syntax (five Vixie cron fields, a macro, or "N seconds") and computes the
 * next time pg_cron would start a job with it.  Also the SQL-callable
 * dataops.cron_next(), which the view dataops.schedules uses for next_run.
 *
 * Layering: cron.c uses PostgreSQL only (time zones, dates, GUCs); it reads
 * no catalog and includes no dataops header.  schedule.c (pg_cron jobs) and
 * anything else may use it.
 */
#ifndef DATAOPS_CRON_H
#define DATAOPS_CRON_H

#include "postgres.h"
#include "datatype/timestamp.h"
#include "pgtime.h"

/* A parsed schedule. */
typedef struct CronSpec
{
	bool		minute[60];
	bool		hour[24];
	bool		dom[32];		/* 1..31 */
	bool		month[13];		/* 1..12 */
	bool		dow[8];			/* 0..7, 0 and 7 both Sunday */
	bool		dom_star;		/* day-of-month field begins with "*" */
	bool		dow_star;		/* day-of-week field begins with "*" */
	bool		dom_last;		/* day-of-month is "$" */
	bool		reboot;			/* @reboot: no time-based runs */
	int			seconds;		/* "N seconds": N, else 0 */
} CronSpec;

/*
 * cron_parse: fills *c from `schedule` (a NUL-terminated string in
 * pg_cron's syntax: see the comment above cron_fields in cron.c; the
 * semantics are pg_cron's src/entry.c, itself Vixie cron's load_entry, and
 * job_metadata.c for "N seconds").  Raises 22023 (invalid_parameter_value)
 * "invalid cron schedule" with a detail saying what is wrong; also for the
 * few schedules pg_cron accepts while ignoring part of them (text after the
 * fifth field or an item, backward ranges, steps larger than the field).
 */
extern void cron_parse(const char *schedule, CronSpec *c);

/*
 * cron_next_time: the first minute strictly after `after` (timestamptz,
 * microseconds since 2000-01-01 UTC) at which pg_cron would start a job with
 * five-field schedule c read in time zone tz, stored in *result (a
 * timestamptz on a whole minute).  Returns false when there is none within
 * five years (1830 days) or before the end of the timestamptz range.  Does
 * not handle c->seconds or c->reboot (the caller does, see
 * dataops.cron_next).  Raises nothing.  Semantics: pg_cron.c ShouldRunTask
 * (local wall-clock fields at each UTC minute; a time skipped by a
 * daylight-saving change never matches, one repeated matches twice).
 */
extern bool cron_next_time(const CronSpec *c, TimestampTz after, pg_tz *tz, TimestampTz *result);

/*
 * cron_timezone: the time zone pg_cron reads schedules in: the GUC
 * cron.timezone when set (pg_cron 1.5 and later), else GMT (pg_cron 1.4).
 * Raises 22023 (invalid_parameter_value) when cron.timezone names no known
 * time zone.
 */
extern pg_tz *cron_timezone(void);

/*
 * SQL-callable function of cron.c (declared by PG_FUNCTION_INFO_V1):
 *
 *   dataops_cron_next   dataops.cron_next(schedule text, after timestamptz)
 *                       → timestamptz: the first time strictly after `after`
 *                       at which pg_cron would start a job with that
 *                       schedule (Vixie cron fields, macros or "N seconds"),
 *                       read in cron.timezone, else GMT; NULL when nothing
 *                       matches within five years.  Raises 22023 "invalid
 *                       cron schedule" for a schedule it cannot read.  Used
 *                       by the view dataops.schedules (next_run).
 */

#endif							/* DATAOPS_CRON_H */
