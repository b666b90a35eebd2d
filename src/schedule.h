/*
 * schedule.h: scheduling pipelines with pg_cron: the pg_cron job of each
 * pipeline, and the ProcessUtility hook that removes them on DROP EXTENSION.
 *
 * Layering: schedule.c may use args.h, catalog.h and dataops.h; api.c and
 * dataops.c use it.  The schedule evaluator (dataops.cron_next) is cron.c.
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
/* Moves a renamed pipeline's pg_cron job to the new name (schedule.c). */
extern void schedule_rename(const char *old_name, const char *new_name);

/*
 * SQL-callable functions of schedule.c (declared by PG_FUNCTION_INFO_V1):
 *
 *   dataops_schedule    dataops.schedule(pipeline text, schedule text) → bigint
 *   dataops_unschedule  dataops.unschedule(pipeline text) → void
 *
 * dataops.cron_next() is cron.c's (cron.h).
 */

#endif							/* DATAOPS_SCHEDULE_H */
