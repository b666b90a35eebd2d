/*
 * status.h: the statuses of runs (dataops.runs.status) and of step attempts
 * (dataops.step_runs.status) as C enums, the one mapping between each enum
 * and the text the catalog stores, and the transitions a run's status may
 * make.  Code compares enums, never status strings; a status read from the
 * catalog is converted at the call site with status_run_parse or
 * status_step_parse, and one written is given as status_run_text or
 * status_step_text.
 *
 * Layering: status.c uses PostgreSQL only (elog); it includes no dataops
 * header.  scheduler.c and run.c use it (worker.c, validate.c and
 * catalog.c may).
 */
#ifndef DATAOPS_STATUS_H
#define DATAOPS_STATUS_H

#include "postgres.h"

/*
 * Each status once, with the text the catalog stores for it: the enums
 * below and the text tables of status.c are both generated from these
 * lists, so they cannot drift apart.
 */

/* dataops.runs.status (CHECK runs_status_check, dataops--0.2.0--0.3.0.sql). */
#define RUN_STATUS_LIST(X) \
	X(RUN_QUEUED, "queued")			/* waiting for the scheduler */ \
	X(RUN_RUNNING, "running")		/* admitted, its steps executing */ \
	X(RUN_SUCCEEDED, "succeeded") \
	X(RUN_FAILED, "failed") \
	X(RUN_CANCELED, "canceled") \
	X(RUN_TIMED_OUT, "timed_out")	/* past its pipeline's timeout */

/* dataops.step_runs.status (CHECK step_runs_status_check, dataops--0.2.0--0.3.0.sql). */
#define STEP_RUN_STATUS_LIST(X) \
	X(STEP_RUN_RUNNING, "running")	/* the attempt's crash mark, before its outcome */ \
	X(STEP_RUN_SUCCEEDED, "succeeded") \
	X(STEP_RUN_FAILED, "failed") \
	X(STEP_RUN_CANCELED, "canceled") \
	X(STEP_RUN_SKIPPED, "skipped") \
	X(STEP_RUN_UPSTREAM_FAILED, "upstream_failed")	/* a step it depends on failed */ \
	X(STEP_RUN_TIMED_OUT, "timed_out")	/* past options.timeout, or its run's timeout */ \
	X(STEP_RUN_CRASHED, "crashed")	/* its worker exited without an outcome */

#define STATUS_ENUM_MEMBER(name, text) name,

typedef enum RunStatus
{
	RUN_STATUS_LIST(STATUS_ENUM_MEMBER)
	RUN_STATUS_COUNT
} RunStatus;

typedef enum StepRunStatus
{
	STEP_RUN_STATUS_LIST(STATUS_ENUM_MEMBER)
	STEP_RUN_STATUS_COUNT
} StepRunStatus;

/*
 * status_run_text: the text dataops.runs.status stores for s (a static
 * string, never NULL).  Raises XX000 (internal_error, elog) for a value
 * outside the enum.  The texts are the catalog's since 0.3.0.
 */
extern const char *status_run_text(RunStatus s);

/*
 * status_run_parse: the RunStatus whose text is `text` (as read from
 * dataops.runs.status; exact, case-sensitive match).  Raises XX000
 * (internal_error, elog) for any other text, which the catalog's CHECK
 * constraint rules out.
 */
extern RunStatus status_run_parse(const char *text);

/*
 * status_run_is_final: true for succeeded, failed, canceled and timed_out,
 * false for queued and running (a run is open until final; dataops.wait
 * returns at the first final status).  Raises nothing.
 */
extern bool status_run_is_final(RunStatus s);

/*
 * status_run_transition_allowed: true when a run may go from status `from`
 * to status `to`:
 *
 *   queued  -> running                         the scheduler admits it
 *   queued  -> failed, canceled                pipeline gone / dataops.cancel
 *   running -> succeeded, failed, canceled,    its steps are all final, or
 *              timed_out                       it was canceled or timed out
 *   running -> queued, failed                  crash recovery (retry_on_crash or not)
 *
 * Final statuses change no more.  Raises nothing.  The transitions are those
 * the scheduler (scheduler.c) and the catalog (catalog.c: cancel, crash
 * recovery) make; the source of truth is the run life cycle of scheduler.h.
 */
extern bool status_run_transition_allowed(RunStatus from, RunStatus to);

/*
 * status_step_text: the text dataops.step_runs.status stores for s (a
 * static string, never NULL).  Raises XX000 (internal_error, elog) for a
 * value outside the enum.
 */
extern const char *status_step_text(StepRunStatus s);

/*
 * status_step_parse: the StepRunStatus whose text is `text` (as read from
 * dataops.step_runs.status; exact match).  Raises XX000 (internal_error,
 * elog) for any other text, which the catalog's CHECK constraint rules out.
 */
extern StepRunStatus status_step_parse(const char *text);

#endif							/* DATAOPS_STATUS_H */
