/*
 * schedule.h: scheduling pipelines with pg_cron.
 */
#ifndef DATAOPS_SCHEDULE_H
#define DATAOPS_SCHEDULE_H

/*
 * schedule_remove_if_any: removes the pipeline's pg_cron job (by the job id
 * dataops recorded) if pg_cron is installed and the job exists, and forgets
 * the id.  schedule_remove_all: removes every pipeline's job (DROP
 * EXTENSION).  Both raise pg_cron's errors (e.g. 42501 for another role's
 * job, unless a superuser calls).
 */
extern void schedule_remove_if_any(const char *pipeline);
extern void schedule_remove_all(void);

/*
 * schedule_init: called from _PG_init; installs a ProcessUtility hook so
 * that DROP EXTENSION dataops (or DROP SCHEMA dataops CASCADE) first removes
 * the pipelines' pg_cron jobs, in the same transaction.
 */
extern void schedule_init(void);

/*
 * SQL-callable functions of schedule.c (declared by PG_FUNCTION_INFO_V1):
 *
 *   dataops_schedule    dataops.schedule(pipeline text, schedule text) → bigint
 *   dataops_unschedule  dataops.unschedule(pipeline text) → void
 *   dataops_cron_next   dataops.cron_next(schedule text, after timestamptz)
 *                       → timestamptz: the first time strictly after `after`
 *                       at which pg_cron would start a job with that
 *                       schedule (Vixie cron fields, macros or "N seconds"),
 *                       read in cron.timezone, else GMT; NULL when nothing
 *                       matches within five years.  Raises 22023 "invalid
 *                       cron schedule" for a schedule it cannot read.  Used
 *                       by the view dataops.schedules (next_run).
 */

#endif							/* DATAOPS_SCHEDULE_H */
