/*
 * run.h: starting and waiting for runs from a backend (dataops.start_run,
 * dataops.wait, dataops.cancel, dataops.run).
 */
#ifndef DATAOPS_RUN_H
#define DATAOPS_RUN_H

#include "postgres.h"

/*
 * run_start: queues a run of `pipeline` and returns its id (see
 * dataops.start_run for the errors).
 */
extern int64 run_start(const char *pipeline, bool full_refresh);

/*
 * run_wait: waits for run `run_id` to reach a final status and returns it,
 * or returns its current status after timeout_ms milliseconds (-1: no
 * timeout).  Honours query cancel.  Raises 42704 for an unknown run and
 * 42501 unless the caller may act on its pipeline.
 */
extern char *run_wait(int64 run_id, int64 timeout_ms);

#endif							/* DATAOPS_RUN_H */
