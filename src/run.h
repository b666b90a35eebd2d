/*
 * run.h: what the calling backend and the run's background worker share.
 *
 * The caller creates a DSM segment holding a RunShared, starts a dynamic
 * background worker with the segment's handle as its argument, and waits;
 * the worker writes the run's outcome back into the segment (the caller's
 * snapshot may not see the worker's commits).
 */
#ifndef DATAOPS_RUN_H
#define DATAOPS_RUN_H

#include "postgres.h"
#include "storage/spin.h"

#define RUN_TEXT_LEN 2048

typedef enum RunOutcome
{
	RUN_OUTCOME_NONE = 0,		/* worker has not finished (or died) */
	RUN_OUTCOME_SUCCEEDED,
	RUN_OUTCOME_FAILED,
	RUN_OUTCOME_CANCELED
} RunOutcome;

typedef struct RunShared
{
	/* set by the caller before the worker starts */
	Oid			database_id;
	Oid			owner_id;
	bool		full_refresh;
	char		pipeline[NAMEDATALEN];
	char		triggered_by[NAMEDATALEN * 2];

	slock_t		mutex;
	/* set by the caller, read by the worker */
	bool		cancel_requested;
	/* set by the worker, read by the caller once it has stopped */
	int64		run_id;
	RunOutcome	outcome;
	int			sqlerrcode;
	char		failed_step[NAMEDATALEN];
	char		error_message[RUN_TEXT_LEN];
	char		error_detail[RUN_TEXT_LEN];
} RunShared;

/*
 * worker_run_pipeline: the body of a run's background worker, connected to
 * the database as the pipeline owner: records the run, takes the pipeline's
 * run lock (waiting for an earlier run), executes the steps in dependency
 * order, one transaction each, and writes the outcome to `shared`.
 */
extern void worker_run_pipeline(RunShared *shared);

/* Is cancellation requested for the run in `shared`? */
extern bool run_cancel_requested(RunShared *shared);

#endif							/* DATAOPS_RUN_H */
