/*
 * worker.h: the background worker that executes one attempt of a step.
 */
#ifndef DATAOPS_WORKER_H
#define DATAOPS_WORKER_H

#include "postgres.h"

/*
 * dataops_step_worker_main: bgworker entry point.  `arg` is the attempt's
 * dataops.step_runs.step_run_id (int64); bgw_extra holds the database OID,
 * the pipeline owner's OID and the step's timeout (int64 milliseconds, 0:
 * none; options.timeout, else the pipeline's options.step_timeout).  Records the attempt's outcome and exits.
 */
extern PGDLLEXPORT void dataops_step_worker_main(Datum arg);

#endif							/* DATAOPS_WORKER_H */
