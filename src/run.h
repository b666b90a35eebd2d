/*
 * run.h: starting and waiting for runs from a backend (dataops.start_run,
 * dataops.wait, dataops.cancel, dataops.run).
 */
#ifndef DATAOPS_RUN_H
#define DATAOPS_RUN_H

#include "postgres.h"
#include "status.h"

/*
 * run_start: queues a run of `pipeline` and returns its id (see
 * dataops.start_run for the errors).  When the caller is canceled or ends
 * before the id is returned, a run the scheduler queued meanwhile is
 * canceled: a start that fails leaves no run behind.
 */
extern int64 run_start(const char *pipeline, bool full_refresh);

/*
 * run_wait: waits for run `run_id` to reach a final status and returns it,
 * or returns its current status (queued, running) after timeout_ms
 * milliseconds (-1: no timeout).  Honours query cancel (57014).  Raises
 * 42704 for an unknown run or one pruned while waited on, and 42501 unless
 * the caller may act on its pipeline.  dataops.wait returns the status's
 * text (status_run_text).
 */
extern RunStatus run_wait(int64 run_id, int64 timeout_ms);

/*
 * run_check_queue_cap: raises 53400 (configuration_limit_exceeded) when the
 * pipelines of role `owner` (a role name) already have
 * dataops.max_queued_runs_per_owner queued runs.  Called by start_run and,
 * authoritatively, by the scheduler as it queues a run.
 */
extern void run_check_queue_cap(const char *owner);

#endif							/* DATAOPS_RUN_H */
