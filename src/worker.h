/*
 * worker.h: the background worker that executes a run.
 */
#ifndef DATAOPS_WORKER_H
#define DATAOPS_WORKER_H

#include "postgres.h"

/*
 * dataops_worker_main: bgworker entry point.  `arg` is the dsm_handle of
 * the RunShared segment created by dataops.run().
 */
extern PGDLLEXPORT void dataops_worker_main(Datum arg);

#endif							/* DATAOPS_WORKER_H */
