/*
 * launcher.h: dataops' shared memory, the cluster-wide launcher and the
 * run requests that backends hand to a database's scheduler.
 *
 * The launcher is a static background worker (as pg_cron's and logical
 * replication's launchers) connected to no database.  It starts one
 * scheduler (scheduler.c) per database that needs one: at server start for
 * every database (a scheduler exits at once where dataops is not installed,
 * and recovers and resumes the queue where it is), and whenever a backend
 * asks for one.  A scheduler exits after a few idle seconds, so that DROP
 * DATABASE is not kept waiting; when its database has periodic work (SLAs
 * to evaluate) it leaves a wake time in its slot, and the launcher starts a
 * scheduler again at that time if the database still exists.
 *
 * dataops.start_run() does not write the run itself: it hands a request to
 * the scheduler, which inserts the queued run in its own transaction and
 * answers with the run id.  So a run is queued (and survives a crash) as
 * soon as start_run returns, whatever the caller's transaction does next.
 */
#ifndef DATAOPS_LAUNCHER_H
#define DATAOPS_LAUNCHER_H

#include "postgres.h"
#include "storage/latch.h"
#include "utils/timestamp.h"

/* Longest pipeline name a run request carries, in bytes. */
#define RUN_REQUEST_NAME_LEN 256

/* A run request copied out of shared memory by the scheduler. */
typedef struct RunRequest
{
	int			slot;			/* to answer with launcher_answer_request */
	int64		cancel_run_id;	/* not 0: a request to cancel that run (answered once it is final) */
	char		pipeline[RUN_REQUEST_NAME_LEN];
	bool		full_refresh;
	bool		cancel_if_abandoned;	/* cancel the queued run if its requester left before the answer */
	char		triggered_by[128];
} RunRequest;

/* Installs the shared memory hooks and registers the launcher; from _PG_init. */
extern void launcher_init(void);

/*
 * launcher_request_run: queues a run of `pipeline` through this database's
 * scheduler (starting one if needed) and returns its run id.  Waits for the
 * scheduler's answer, honouring query cancel.  With cancel_if_abandoned,
 * a run the scheduler queues after its caller was canceled or terminated
 * while waiting for the answer is canceled at once (start_run and run
 * pass true: a start that fails leaves no run behind).
 * Raises 54000 for a pipeline name longer than RUN_REQUEST_NAME_LEN - 1
 * bytes, 53400 when no scheduler could be started within 30 seconds (no
 * background worker slot), and the scheduler's error (its SQLSTATE,
 * message, detail and hint) when it could not queue the run.
 */
extern int64 launcher_request_run(const char *pipeline, bool full_refresh, const char *triggered_by,
								  bool cancel_if_abandoned);

/*
 * launcher_cancel_and_wait: asks this database's scheduler to cancel run
 * `run_id` and waits up to wait_ms milliseconds for the run to be final.
 * The request stays in shared memory until the scheduler takes it, even
 * when the wait ends first, so the cancel is never lost.  Uses only shared
 * memory and latches (no catalog access, no ERROR), so it is safe while an
 * error is being thrown; interrupts must be held.
 */
extern void launcher_cancel_and_wait(int64 run_id, int wait_ms);

/*
 * launcher_cancel_on_exit: while run_id is not 0, this backend's exit (for
 * example pg_terminate_backend, which no PG_CATCH sees) hands the
 * scheduler a request to cancel that run; 0 clears it.  Registers a
 * before_shmem_exit callback once per backend.
 */
extern void launcher_cancel_on_exit(int64 run_id);

/* Wakes this database's scheduler, if one is running (e.g. after dataops.cancel()). */
extern void launcher_wake_scheduler(void);

/*
 * launcher_scheduler_attach: called by a scheduler once connected: claims
 * the database's slot.  Returns false when another scheduler already serves
 * the database (the caller then exits).  Releases the slot at process exit.
 */
extern bool launcher_scheduler_attach(void);

/*
 * launcher_scheduler_detach_if_idle: releases the slot and returns true when
 * no request for this database is pending (the scheduler may then exit);
 * false when one arrived meanwhile.  wake_at not 0 (the database has
 * periodic work: SLAs to evaluate, issue 12): the launcher starts a
 * scheduler for the database again at that time, unless the database was
 * dropped meanwhile; 0: only when a run is requested.
 */
extern bool launcher_scheduler_detach_if_idle(TimestampTz wake_at);

/*
 * launcher_want_scheduler: makes sure this database's scheduler runs or is
 * about to (e.g. after an SLA option was set, so its periodic evaluation
 * begins).  Raises nothing.
 */
extern void launcher_want_scheduler(void);

/* Requests pending for this database, in arrival order (palloc'd list of RunRequest *). */
extern List *launcher_take_requests(void);

/*
 * Answers a request with its run id.  Returns false when the requester is
 * gone (canceled or terminated meanwhile): the scheduler then cancels the
 * run if the request asked for it (cancel_if_abandoned).
 */
extern bool launcher_answer_request(int slot, int64 run_id);

/* Answers a request with the error that kept the run from being queued. */
extern void launcher_answer_error(int slot, int sqlerrcode, const char *message, const char *detail,
								  const char *hint);

/* Entry point of the launcher background worker. */
extern PGDLLEXPORT void dataops_launcher_main(Datum arg);

/*
 * launcher_worker_template: fills *worker for a dynamic background worker
 * of this library that connects to a database (a scheduler, a step's
 * worker): shared memory, started once recovery is finished, never
 * restarted, entry point `function` in dataops, type `type`; the caller
 * sets bgw_name, the arguments and bgw_notify_pid.  Raises nothing.
 */
struct BackgroundWorker;
extern void launcher_worker_template(struct BackgroundWorker *worker, const char *function, const char *type);

#endif							/* DATAOPS_LAUNCHER_H */
