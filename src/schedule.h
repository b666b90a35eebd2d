/*
 * schedule.h: scheduling pipelines with pg_cron.
 */
#ifndef DATAOPS_SCHEDULE_H
#define DATAOPS_SCHEDULE_H

/* Removes the pg_cron job dataops:<pipeline> if pg_cron is installed and the job exists. */
extern void schedule_remove_if_any(const char *pipeline);

#endif							/* DATAOPS_SCHEDULE_H */
