/*
 * scheduler.c: a database's scheduler (see scheduler.h).
 *
 * The loop follows pg_cron's launcher: WaitLatch with WL_EXIT_ON_PM_DEATH,
 * woken by backends (run requests, cancels) and by the postmaster when a
 * step's worker stops (bgw_notify_pid).  Its state in memory is the set of
 * active runs and their steps; every change is committed to the catalog
 * (with its event) before the scheduler acts on it, so a crash leaves a
 * consistent history that the next scheduler recovers.
 */
#include "postgres.h"

#include <signal.h>

#include "access/xact.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/backend_status.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "catalog.h"
#include "dag.h"
#include "dataops.h"
#include "launcher.h"
#include "notify.h"
#include "options.h"
#include "run.h"
#include "scheduler.h"
#include "status.h"

/* Seconds without work after which the scheduler exits. */
#define IDLE_EXIT_MS		3000
/* Longest sleep between two looks at the queue. */
#define MAX_SLEEP_MS		1000
/* Longest delay between two attempts. */
#define MAX_RETRY_DELAY_MS	3600000
/* Pruning interval. */
#define PRUNE_EVERY_MS		60000
/* SLA evaluation interval (issue 12: at least every minute, runs or not). */
#define SLA_EVERY_MS		30000
/* An idle scheduler with periodic work is started again this long after its last evaluation. */
#define PERIODIC_WAKE_MS	50000

/*
 * A step's state in its run, as the scheduler drives it (in memory; what
 * the catalog records of each attempt is its StepRunStatus, status.h).
 * Every change goes through step_transition, along step_transitions:
 *
 *   PENDING -> RUNNING          launch_step: its attempt's worker is registered
 *   PENDING -> CANCELED         cancel_run: its run was canceled or timed out first
 *   PENDING -> UPSTREAM_FAILED  fail_downstream: a step it depends on failed
 *   RUNNING -> SUCCEEDED        step_stopped: the attempt succeeded
 *   RUNNING -> CANCELED         step_stopped: canceled, or its run is canceling
 *   RUNNING -> PENDING          step_stopped: failed, timed out or crashed; retried later
 *   RUNNING -> FAILED           step_stopped: the same with no retry left
 *
 * SUCCEEDED, FAILED, CANCELED and UPSTREAM_FAILED are final.
 */
typedef enum StepState
{
	ST_PENDING,
	ST_RUNNING,
	ST_SUCCEEDED,
	ST_FAILED,
	ST_CANCELED,
	ST_UPSTREAM_FAILED
} StepState;

#define ST_COUNT	(ST_UPSTREAM_FAILED + 1)

/* The allowed transitions [from][to] (see StepState). */
static const bool step_transitions[ST_COUNT][ST_COUNT] = {
	[ST_PENDING] = {[ST_RUNNING] = true, [ST_CANCELED] = true, [ST_UPSTREAM_FAILED] = true},
	[ST_RUNNING] = {[ST_SUCCEEDED] = true, [ST_CANCELED] = true, [ST_PENDING] = true, [ST_FAILED] = true},
};

/*
 * Why a step's worker was terminated (SIGTERM): it was asked to stop (its
 * own statement timeout, or SIGINT for a cancel) and had not stopped
 * dataops.cancel_grace_period later, e.g. because its query catches
 * query_canceled.
 */
typedef enum StepTermination
{
	TERM_NONE = 0,
	TERM_TIMEOUT,				/* past options.timeout */
	TERM_CANCEL					/* its run was canceled or timed out */
} StepTermination;

typedef struct SchedStep
{
	StepDef    *def;
	StepState	state;
	int			attempt;		/* of the running or last attempt; 0 before the first */
	int			retries;
	int64		retry_delay_ms;
	int64		timeout_ms;		/* 0: none */
	int64		step_run_id;
	TimestampTz started;
	TimestampTz not_before;		/* a retry waits until then */
	BackgroundWorkerHandle *handle;
	StepTermination terminated; /* why TerminateBackgroundWorker was sent, if it was */
	bool		cancel_sent;	/* SIGINT sent to its worker */
} SchedStep;

typedef struct SchedRun
{
	int64		run_id;
	RunStatus	status;			/* as last recorded; changed by run_transition only */
	char	   *pipeline;
	Oid			owner;
	bool		full_refresh;
	MemoryContext cxt;
	int			nsteps;
	SchedStep  *steps;
	TimestampTz started;
	int64		timeout_ms;
	bool		canceling;
	TimestampTz cancel_at;		/* when canceling began: its steps are terminated a grace period later */
	bool		timed_out;
} SchedRun;

static List *active_runs = NIL;
static List *cancel_waiters = NIL;	/* RunRequest * answered when their run is final */
static MemoryContext sched_cxt = NULL;	/* the active runs */
static MemoryContext tick_cxt = NULL;	/* reset at every turn of the loop */

/* Lowers *next to `at` (0: no time set yet). */
static void
wake_at(TimestampTz *next, TimestampTz at)
{
	if (*next == 0 || at < *next)
		*next = at;
}

/* Commits, and comes back to the turn's memory context (a commit leaves TopMemoryContext current). */
static void
commit_tx(void)
{
	dataops_commit_tx();
	MemoryContextSwitchTo(tick_cxt);
}

/* ---------- state transitions ---------- */

/*
 * The one place a step's state changes: to `to` from its current state,
 * which must allow it (step_transitions).  An impossible transition is a
 * bug: it fails the assertion, and in a build without assertions raises
 * XX000 (internal_error), so the turn is rolled back and logged rather
 * than the run's DAG corrupted.
 */
static void
step_transition(SchedRun *r, SchedStep *st, StepState to)
{
	StepState	from = st->state;

	Assert(step_transitions[from][to]);
	if (!step_transitions[from][to])
		elog(ERROR, "dataops scheduler: step \"%s\" of run " INT64_FORMAT " cannot go from state %d to %d (StepState)",
			 st->def->name, r->run_id, (int) from, (int) to);
	st->state = to;
}

/*
 * The one place the scheduler changes a run's status: from *status, which
 * must allow `to` (status_run_transition_allowed; an impossible transition
 * fails the assertion, else raises XX000), to `to`, recorded in the
 * catalog with its event: running with catalog_set_run_running, a final
 * status with catalog_finish_run and the error columns given.  Returns
 * false, changing nothing, when the run was to start running but is no
 * longer queued (canceled meanwhile).  In a transaction.
 */
static bool
run_transition(int64 run_id, RunStatus *status, RunStatus to, const char *message, const char *detail,
			   const char *sqlstate, const char *step)
{
	Assert(status_run_transition_allowed(*status, to));
	if (!status_run_transition_allowed(*status, to))
		elog(ERROR, "dataops scheduler: run " INT64_FORMAT " cannot go from %s to %s",
			 run_id, status_run_text(*status), status_run_text(to));
	if (to == RUN_RUNNING)
	{
		if (!catalog_set_run_running(run_id, MyProcPid))
			return false;
	}
	else
		catalog_finish_run(run_id, status_run_text(to), message, detail, sqlstate, step);
	*status = to;
	return true;
}

/* ---------- runs ---------- */

static SchedRun *
find_run(int64 run_id)
{
	ListCell   *lc;

	foreach(lc, active_runs)
		if (((SchedRun *) lfirst(lc))->run_id == run_id)
			return lfirst(lc);
	return NULL;
}

static bool
pipeline_active(const char *pipeline)
{
	ListCell   *lc;

	foreach(lc, active_runs)
		if (strcmp(((SchedRun *) lfirst(lc))->pipeline, pipeline) == 0)
			return true;
	return false;
}

static int
running_steps(void)
{
	ListCell   *lc;
	int			n = 0;
	int			i;

	foreach(lc, active_runs)
	{
		SchedRun   *r = lfirst(lc);

		for (i = 0; i < r->nsteps; i++)
			n += r->steps[i].state == ST_RUNNING;
	}
	return n;
}

/*
 * Admits a queued run: loads its pipeline and steps and marks it running.
 * Inside a transaction.  Returns NULL when the run was canceled meanwhile,
 * or (the run then finished as failed) when the pipeline is gone or has no
 * steps.
 */
static SchedRun *
admit_run(QueuedRun *q)
{
	PipelineDef *p = catalog_get_pipeline(q->pipeline, true);
	List	   *steps;
	PipelineOptions *po;
	MemoryContext cxt;
	MemoryContext old;
	SchedRun   *r;
	ListCell   *lc;
	int			i = 0;
	RunStatus	status = RUN_QUEUED;	/* as catalog_queued_runs returns it */

	if (p == NULL || !OidIsValid(p->owner_oid))
	{
		(void) run_transition(q->run_id, &status, RUN_FAILED,
							  p ? "the pipeline's owner no longer exists" : "the pipeline no longer exists",
							  NULL, "42704", NULL);
		return NULL;
	}
	cxt = AllocSetContextCreate(sched_cxt, "dataops scheduled run", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	steps = dag_order(catalog_get_steps(q->pipeline, false));
	p = catalog_get_pipeline(q->pipeline, false);
	MemoryContextSwitchTo(old);
	if (steps == NIL)
	{
		MemoryContextDelete(cxt);
		(void) run_transition(q->run_id, &status, RUN_FAILED, "the pipeline has no steps", NULL, "55000", NULL);
		return NULL;
	}

	old = MemoryContextSwitchTo(cxt);
	r = palloc0(sizeof(SchedRun));
	r->run_id = q->run_id;
	r->status = status;
	r->pipeline = pstrdup(q->pipeline);
	r->owner = p->owner_oid;
	r->full_refresh = q->full_refresh;
	r->cxt = cxt;
	r->nsteps = list_length(steps);
	r->steps = palloc0(sizeof(SchedStep) * r->nsteps);
	r->started = GetCurrentTimestamp();
	po = options_parse_pipeline(p->options);
	r->timeout_ms = options_pipeline_timeout_ms(po);
	foreach(lc, steps)
	{
		SchedStep  *st = &r->steps[i++];
		StepLimits	lim;

		st->def = lfirst(lc);
		st->state = ST_PENDING; /* the initial state; step_transition changes it */
		options_step_limits(step_options(st->def), po, &lim);
		st->retries = lim.retries;
		st->retry_delay_ms = lim.retry_delay_ms;
		st->timeout_ms = lim.timeout_ms;
	}
	MemoryContextSwitchTo(old);
	if (!run_transition(r->run_id, &r->status, RUN_RUNNING, NULL, NULL, NULL, NULL))
	{
		MemoryContextDelete(cxt);
		return NULL;
	}
	return r;
}

/*
 * admit_run in a subtransaction: a run whose definition cannot be loaded
 * (an error) is recorded failed with that error, and the others go on.
 */
static SchedRun *
admit_run_safely(QueuedRun *q)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	SchedRun   *volatile r = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		r = admit_run(q);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		RunStatus	status = RUN_QUEUED;	/* the subtransaction rolled back any change */

		edata = dataops_take_error(cxt);
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		(void) run_transition(q->run_id, &status, RUN_FAILED, edata->message, edata->detail,
							  unpack_sql_state(edata->sqlerrcode), NULL);
		r = NULL;
	}
	PG_END_TRY();
	return r;
}

/* The steps that depend on `name`, directly or not, still pending: upstream_failed.  In a transaction. */
static void
fail_downstream(SchedRun *r, const char *name)
{
	int			i;

	for (i = 0; i < r->nsteps; i++)
	{
		SchedStep  *st = &r->steps[i];
		ListCell   *lc;

		if (st->state != ST_PENDING)
			continue;
		foreach(lc, st->def->depends_on)
			if (strcmp(lfirst(lc), name) == 0)
			{
				step_transition(r, st, ST_UPSTREAM_FAILED);
				catalog_mark_step(r->run_id, st->def, status_step_text(STEP_RUN_UPSTREAM_FAILED),
								  psprintf("step \"%s\" failed", name));
				fail_downstream(r, st->def->name);
				break;
			}
	}
}

/* Starts a run's cancellation: pending steps canceled, running ones signaled.  In a transaction. */
static void
cancel_run(SchedRun *r, const char *reason)
{
	int			i;

	if (!r->canceling)
		r->cancel_at = GetCurrentTimestamp();
	r->canceling = true;
	for (i = 0; i < r->nsteps; i++)
	{
		SchedStep  *st = &r->steps[i];
		pid_t		pid;

		if (st->state == ST_PENDING)
		{
			step_transition(r, st, ST_CANCELED);
			catalog_mark_step(r->run_id, st->def,
							  status_step_text(r->timed_out ? STEP_RUN_TIMED_OUT : STEP_RUN_CANCELED), reason);
		}
		else if (st->state == ST_RUNNING && !st->cancel_sent && st->handle &&
				 GetBackgroundWorkerPid(st->handle, &pid) == BGWH_STARTED)
		{
			kill(pid, SIGINT);
			st->cancel_sent = true;
		}
	}
}

/* Launches a step's next attempt; false when no worker slot is free (nothing recorded). */
static bool
launch_step(SchedRun *r, SchedStep *st)
{
	BackgroundWorker worker;
	int64		id;
	int			attempt;
	char		activity[64];
	MemoryContext old;
	bool		registered;

	snprintf(activity, sizeof(activity), "dataops: starting a step of run " INT64_FORMAT, r->run_id);
	dataops_begin_tx(activity);
	id = catalog_insert_step_attempt(r->run_id, st->def, &attempt);
	commit_tx();

	launcher_worker_template(&worker, "dataops_step_worker_main", "dataops step");
	snprintf(worker.bgw_name, BGW_MAXLEN, "dataops step %.40s of run " INT64_FORMAT, st->def->name, r->run_id);
	worker.bgw_main_arg = Int64GetDatum(id);
	memcpy(worker.bgw_extra, &MyDatabaseId, sizeof(Oid));
	memcpy(worker.bgw_extra + sizeof(Oid), &r->owner, sizeof(Oid));
	memcpy(worker.bgw_extra + 2 * sizeof(Oid), &st->timeout_ms, sizeof(int64));
	worker.bgw_notify_pid = MyProcPid;

	old = MemoryContextSwitchTo(r->cxt);
	registered = RegisterDynamicBackgroundWorker(&worker, &st->handle);
	MemoryContextSwitchTo(old);
	if (!registered)
	{
		st->handle = NULL;
		dataops_begin_tx("dataops: no worker slot");
		catalog_delete_step_attempt(id);
		commit_tx();
		return false;
	}
	st->attempt = attempt;
	st->step_run_id = id;
	step_transition(r, st, ST_RUNNING);
	st->started = GetCurrentTimestamp();
	st->terminated = TERM_NONE;
	st->cancel_sent = false;
	return true;
}

/* A step's worker stopped: read the attempt's outcome and move on.  In a transaction. */
static void
step_stopped(SchedRun *r, SchedStep *st)
{
	char	   *error = NULL;
	char	   *text = catalog_step_attempt_status(st->step_run_id, &error);
	/* an attempt gone from the catalog is taken as still running: no outcome recorded */
	StepRunStatus status = text ? status_step_parse(text) : STEP_RUN_RUNNING;

	pfree(st->handle);
	st->handle = NULL;
	if (status == STEP_RUN_RUNNING)
	{
		/* the worker died without recording its outcome: terminated, or crashed */
		const char *message;

		if (st->terminated == TERM_TIMEOUT)
		{
			status = STEP_RUN_TIMED_OUT;
			message = "the step ran past its timeout and did not stop; its worker was terminated";
		}
		else if (st->terminated == TERM_CANCEL)
		{
			status = r->timed_out ? STEP_RUN_TIMED_OUT : STEP_RUN_CANCELED;
			message = r->timed_out ? "the pipeline ran past its timeout and the step did not stop; its worker was terminated"
				: "the run was canceled and the step did not stop; its worker was terminated";
		}
		else if (r->canceling)
		{
			status = STEP_RUN_CANCELED;
			message = "the run was canceled";
		}
		else
		{
			status = STEP_RUN_CRASHED;
			message = "the step's background worker exited without recording an outcome";
		}
		catalog_finish_step_attempt(st->step_run_id, status_step_text(status), NULL, message,
									st->terminated != TERM_NONE ?
									"It was asked to stop and was still running dataops.cancel_grace_period later." : NULL,
									status == STEP_RUN_CRASHED ? "XX000" : "57014", false);
	}
	if (status == STEP_RUN_CANCELED && r->timed_out)
	{
		catalog_finish_step_attempt(st->step_run_id, status_step_text(STEP_RUN_TIMED_OUT), NULL,
									"the pipeline ran past its timeout", NULL, "57014", false);
		status = STEP_RUN_TIMED_OUT;
	}

	if (status == STEP_RUN_SUCCEEDED)
		step_transition(r, st, ST_SUCCEEDED);
	else if (status == STEP_RUN_CANCELED || r->canceling)
		step_transition(r, st, ST_CANCELED);
	else if (st->attempt <= st->retries)
	{
		/* exponential backoff: retry_delay, then twice that, ... capped */
		int64		delay = st->retry_delay_ms;
		int			k;
		TimestampTz at;

		for (k = 1; k < st->attempt && delay < MAX_RETRY_DELAY_MS; k++)
			delay *= 2;
		delay = Min(delay, MAX_RETRY_DELAY_MS);
		at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), delay);
		catalog_set_step_retry(st->step_run_id, at);
		step_transition(r, st, ST_PENDING);
		st->not_before = at;
	}
	else
	{
		step_transition(r, st, ST_FAILED);
		fail_downstream(r, st->def->name);
	}
}

/* Records a run whose steps are all final; queues its dependents on success.  In a transaction. */
static void
finish_run(SchedRun *r)
{
	bool		failed = false;
	bool		canceled = false;
	int			i;

	for (i = 0; i < r->nsteps; i++)
	{
		failed |= r->steps[i].state == ST_FAILED || r->steps[i].state == ST_UPSTREAM_FAILED;
		canceled |= r->steps[i].state == ST_CANCELED;
	}
	if (r->timed_out || r->canceling || (canceled && !failed))
	{
		/* the step that was running when the run was stopped */
		const char *step = NULL;

		for (i = 0; i < r->nsteps && step == NULL; i++)
			if (r->steps[i].state == ST_CANCELED && r->steps[i].attempt > 0)
				step = r->steps[i].def->name;
		if (r->timed_out)
			(void) run_transition(r->run_id, &r->status, RUN_TIMED_OUT, "the pipeline ran past its timeout", NULL,
								  "57014", step);
		else
			(void) run_transition(r->run_id, &r->status, RUN_CANCELED, "the run was canceled", NULL, "57014", step);
	}
	else if (failed)
	{
		char	   *step;
		char	   *message;
		char	   *detail;
		char	   *sqlstate;

		catalog_run_error_from_steps(r->run_id, &step, &message, &detail, &sqlstate);
		(void) run_transition(r->run_id, &r->status, RUN_FAILED, message ? message : "a step failed", detail,
							  sqlstate, step);
	}
	else
	{
		ListCell   *lc;

		(void) run_transition(r->run_id, &r->status, RUN_SUCCEEDED, NULL, NULL, NULL, NULL);
		foreach(lc, catalog_downstream_pipelines(r->pipeline))
			(void) catalog_insert_run(lfirst(lc), false,
									  psprintf("dependency: %s run " INT64_FORMAT, r->pipeline, r->run_id),
									  r->run_id);
	}
}

/* ---------- one turn of the loop ---------- */

/* A cancel request of dataops.run() whose caller gave up: cancel, and answer once the run is final. */
static void
take_cancel_request(RunRequest *req)
{
	bool		open;

	dataops_begin_tx("dataops: canceling a run");
	(void) catalog_cancel_run(req->cancel_run_id);
	open = catalog_run_is_open(req->cancel_run_id);
	commit_tx();
	if (open)
	{
		MemoryContext old = MemoryContextSwitchTo(sched_cxt);
		RunRequest *copy = palloc(sizeof(RunRequest));

		memcpy(copy, req, sizeof(RunRequest));
		cancel_waiters = lappend(cancel_waiters, copy);
		MemoryContextSwitchTo(old);
	}
	else
		(void) launcher_answer_request(req->slot, req->cancel_run_id);
}

/*
 * A run request: queues the run (after the per-owner cap,
 * dataops.max_queued_runs_per_owner, checked here where queuing is
 * serialized) and answers with its id.  A run of dataops.run() whose
 * caller left before the answer is canceled at once.
 */
static void
take_run_request(RunRequest *req)
{
	PipelineDef *p;
	int64		run_id;

	dataops_begin_tx("dataops: queuing a run");
	p = catalog_get_pipeline(req->pipeline, true);
	if (p == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("pipeline \"%s\" does not exist", req->pipeline)));
	run_check_queue_cap(p->owner);
	run_id = catalog_insert_run(req->pipeline, req->full_refresh, req->triggered_by, 0);
	commit_tx();
	if (!launcher_answer_request(req->slot, run_id) && req->cancel_if_abandoned)
	{
		dataops_begin_tx("dataops: canceling an abandoned run");
		(void) catalog_cancel_run(run_id);
		commit_tx();
	}
}

static void
take_requests(void)
{
	List	   *reqs = launcher_take_requests();
	ListCell   *lc;

	foreach(lc, reqs)
	{
		RunRequest *req = lfirst(lc);
		MemoryContext cxt = CurrentMemoryContext;

		PG_TRY();
		{
			if (req->cancel_run_id != 0)
				take_cancel_request(req);
			else
				take_run_request(req);
		}
		PG_CATCH();
		{
			ErrorData  *edata;

			edata = dataops_take_error(cxt);
			AbortCurrentTransaction();
			MemoryContextSwitchTo(tick_cxt);
			if (req->cancel_run_id != 0)
			{
				/* not expected: log it; the requester stops waiting */
				ereport(LOG,
						(errmsg("dataops scheduler could not cancel run " INT64_FORMAT ": %s",
								req->cancel_run_id, edata->message)));
				(void) launcher_answer_request(req->slot, req->cancel_run_id);
			}
			else
				launcher_answer_error(req->slot, edata->sqlerrcode, edata->message, edata->detail, edata->hint);
		}
		PG_END_TRY();
	}
}

/* Returns the time of the next timed event (retry, timeout), or 0. */
static TimestampTz
tick(TimestampTz *next)
{
	ListCell   *lc;
	TimestampTz now = GetCurrentTimestamp();
	List	   *cancels;
	List	   *finished_ids = NIL;
	int			running;
	TimestampTz next_not_before = 0;
	bool		deferred = false;

	*next = 0;

	dataops_begin_tx("dataops: scheduling");

	/* cancels requested with dataops.cancel(), and pipeline timeouts */
	cancels = catalog_cancel_requested_runs();
	foreach(lc, cancels)
	{
		SchedRun   *r = find_run(*(int64 *) lfirst(lc));

		if (r && !r->canceling)
			cancel_run(r, "canceled by dataops.cancel()");
	}
	foreach(lc, active_runs)
	{
		SchedRun   *r = lfirst(lc);

		if (!r->canceling && r->timeout_ms > 0 &&
			now >= TimestampTzPlusMilliseconds(r->started, r->timeout_ms))
		{
			r->timed_out = true;
			catalog_request_run_cancel(r->run_id);
			cancel_run(r, "the pipeline ran past its timeout");
		}
	}

	/* workers that stopped, and steps past their timeout */
	foreach(lc, active_runs)
	{
		SchedRun   *r = lfirst(lc);
		int			i;

		/* a worker that had not started when its run was canceled is signaled now */
		if (r->canceling)
			cancel_run(r, r->timed_out ? "the pipeline ran past its timeout" : "the run was canceled");

		for (i = 0; i < r->nsteps; i++)
		{
			SchedStep  *st = &r->steps[i];
			pid_t		pid;

			if (st->state != ST_RUNNING)
				continue;
			if (GetBackgroundWorkerPid(st->handle, &pid) == BGWH_STOPPED)
				step_stopped(r, st);
			else if (st->terminated == TERM_NONE)
			{
				/*
				 * Escalation: a step asked to stop (its run canceled, or its
				 * own statement timeout armed for options.timeout) that is
				 * still running a grace period later is terminated; SIGTERM
				 * cannot be caught by the step's query as query_canceled
				 * can.
				 */
				TimestampTz cancel_deadline = r->canceling ?
					TimestampTzPlusMilliseconds(r->cancel_at, dataops_cancel_grace_ms) : 0;
				TimestampTz timeout_deadline = st->timeout_ms > 0 ?
					TimestampTzPlusMilliseconds(st->started, st->timeout_ms + dataops_cancel_grace_ms) : 0;

				if (cancel_deadline && now >= cancel_deadline)
				{
					TerminateBackgroundWorker(st->handle);
					st->terminated = TERM_CANCEL;
				}
				else if (timeout_deadline && now >= timeout_deadline)
				{
					TerminateBackgroundWorker(st->handle);
					st->terminated = TERM_TIMEOUT;
				}
				else
				{
					if (cancel_deadline)
						wake_at(next, cancel_deadline);
					if (timeout_deadline)
						wake_at(next, timeout_deadline);
				}
			}
		}
	}

	/* runs whose steps are all final */
	foreach(lc, active_runs)
	{
		SchedRun   *r = lfirst(lc);
		int			i;
		bool		open = false;

		for (i = 0; i < r->nsteps; i++)
			open |= r->steps[i].state == ST_PENDING || r->steps[i].state == ST_RUNNING;
		if (!open)
		{
			MemoryContext old;

			finish_run(r);
			active_runs = foreach_delete_current(active_runs, lc);
			old = MemoryContextSwitchTo(tick_cxt);	/* used after the commit */
			finished_ids = lappend(finished_ids, palloc(sizeof(int64)));
			*(int64 *) llast(finished_ids) = r->run_id;
			MemoryContextSwitchTo(old);
			MemoryContextDelete(r->cxt);
		}
	}

	/* queued runs, in arrival order, one per pipeline */
	if (list_length(active_runs) < dataops_max_parallel_runs)
	{
		List	   *queued = catalog_queued_runs(100 + list_length(active_runs), &next_not_before);

		foreach(lc, queued)
		{
			QueuedRun  *q = lfirst(lc);
			SchedRun   *r;

			if (list_length(active_runs) >= dataops_max_parallel_runs)
				break;
			if (pipeline_active(q->pipeline))
				continue;
			/* a definition change of the pipeline in progress: admit the run once it has committed */
			if (!catalog_try_share_pipeline(q->pipeline))
			{
				deferred = true;
				continue;
			}
			r = admit_run_safely(q);
			if (r)
			{
				MemoryContext old = MemoryContextSwitchTo(sched_cxt);

				active_runs = lappend(active_runs, r);
				MemoryContextSwitchTo(old);
			}
		}
	}
	commit_tx();
	if (next_not_before)
		wake_at(next, next_not_before);
	if (deferred)
		wake_at(next, TimestampTzPlusMilliseconds(GetCurrentTimestamp(), 100));

	/* callers of dataops.run() that gave up wait for their canceled run to be final */
	foreach(lc, finished_ids)
	{
		ListCell   *w;

		foreach(w, cancel_waiters)
		{
			RunRequest *req = lfirst(w);

			if (req->cancel_run_id == *(int64 *) lfirst(lc))
			{
				(void) launcher_answer_request(req->slot, req->cancel_run_id);
				cancel_waiters = foreach_delete_current(cancel_waiters, w);
				pfree(req);
			}
		}
	}

	/* steps whose upstream steps all succeeded, up to max_parallel_steps */
	running = running_steps();
	foreach(lc, active_runs)
	{
		SchedRun   *r = lfirst(lc);
		int			i;

		if (r->canceling)
			continue;
		for (i = 0; i < r->nsteps; i++)
		{
			SchedStep  *st = &r->steps[i];
			ListCell   *d;
			bool		ready = st->state == ST_PENDING;

			if (!ready)
				continue;
			foreach(d, st->def->depends_on)
			{
				int			j;

				for (j = 0; j < r->nsteps; j++)
					if (strcmp(r->steps[j].def->name, lfirst(d)) == 0 && r->steps[j].state != ST_SUCCEEDED)
						ready = false;
			}
			if (!ready)
				continue;
			if (st->not_before > now)
			{
				wake_at(next, st->not_before);
				continue;
			}
			if (running >= dataops_max_parallel_steps)
				continue;
			if (launch_step(r, st))
				running++;
			else
				wake_at(next, TimestampTzPlusMilliseconds(now, 200));	/* no worker slot: try again soon */
		}
	}
	return *next;
}

static void
prune(void)
{
	dataops_begin_tx("dataops: pruning history");
	catalog_prune_history(dataops_history_retention);
	commit_tx();
}

/* Evaluates the SLAs of the database's pipelines in a transaction of its own. */
static void
evaluate_slas(void)
{
	dataops_begin_tx("dataops: evaluating SLAs");
	(void) catalog_evaluate_slas();
	commit_tx();
}

/*
 * scheduler_has_periodic_work: whether this database needs its scheduler
 * woken periodically even when no run is requested: true when a pipeline
 * has an SLA (sla_freshness, sla_deadline) or a breach is open, or a
 * delivery of the notification outbox is due (retries wait).  The one
 * place such conditions go (e.g. deliveries waiting in an outbox): an idle
 * scheduler exits, and the launcher starts it again PERIODIC_WAKE_MS
 * after its last evaluation when this is true.  Runs in a transaction of
 * its own; raises the catalog's errors.
 */
static bool
scheduler_has_periodic_work(void)
{
	bool		periodic;

	dataops_begin_tx("dataops: idle");
	periodic = catalog_has_sla_work() || notify_deliveries_due(false);
	commit_tx();
	return periodic;
}

void
dataops_scheduler_main(Datum arg)
{
	Oid			dboid = DatumGetObjectId(arg);
	volatile TimestampTz idle_since = 0;
	volatile TimestampTz last_prune = 0;
	volatile TimestampTz last_sla = 0;
	bool		installed;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	pgstat_report_appname("dataops scheduler");

	if (!launcher_scheduler_attach())
		proc_exit(0);

	StartTransactionCommand();
	installed = OidIsValid(get_extension_oid("dataops", true));
	CommitTransactionCommand();
	if (!installed)
	{
		(void) launcher_scheduler_detach_if_idle(0);
		proc_exit(0);
	}

	sched_cxt = AllocSetContextCreate(TopMemoryContext, "dataops scheduler", ALLOCSET_DEFAULT_SIZES);
	tick_cxt = AllocSetContextCreate(TopMemoryContext, "dataops scheduler turn", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(tick_cxt);

	/* runs a crash left running */
	dataops_begin_tx("dataops: recovering runs");
	(void) catalog_recover_orphaned_runs();
	commit_tx();

	for (;;)
	{
		TimestampTz next = 0;
		volatile TimestampTz now;	/* read after the idle PG_TRY below */
		long		sleep_ms = MAX_SLEEP_MS;

		MemoryContextSwitchTo(tick_cxt);
		MemoryContextReset(tick_cxt);

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			last_prune = 0;		/* dataops.history_retention may have changed */
		}

		PG_TRY();
		{
			TimestampTz turn;	/* not `now`: a local of the try block cannot be clobbered */

			take_requests();
			(void) tick(&next);
			turn = GetCurrentTimestamp();
			if (TimestampDifferenceExceeds(last_prune, turn, PRUNE_EVERY_MS))
			{
				prune();
				last_prune = turn;
			}
			if (TimestampDifferenceExceeds(last_sla, turn, SLA_EVERY_MS))
			{
				last_sla = turn;
				evaluate_slas();
			}
			/* notifications: a delivery worker when a delivery is due */
			notify_ensure_worker();
		}
		PG_CATCH();
		{
			/* log it and go on: the catalog holds the truth */
			MemoryContextSwitchTo(tick_cxt);
			EmitErrorReport();
			FlushErrorState();
			AbortCurrentTransaction();
			next = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), 1000);
		}
		PG_END_TRY();

		/* exit when idle, unless a request came in */
		now = GetCurrentTimestamp();
		if (active_runs == NIL)
		{
			bool		open;

			dataops_begin_tx("dataops: idle");
			open = catalog_has_open_runs();
			commit_tx();
			if (open)
				idle_since = 0;
			else if (idle_since == 0)
				idle_since = now;
			else if (TimestampDifferenceExceeds(idle_since, now, IDLE_EXIT_MS))
			{
				volatile TimestampTz wake = 0;

				/* one last evaluation, then leave the next one to the launcher */
				PG_TRY();
				{
					evaluate_slas();
					last_sla = now;
					if (scheduler_has_periodic_work())
						wake = TimestampTzPlusMilliseconds(now, PERIODIC_WAKE_MS);
				}
				PG_CATCH();
				{
					MemoryContextSwitchTo(tick_cxt);
					EmitErrorReport();
					FlushErrorState();
					AbortCurrentTransaction();
					wake = TimestampTzPlusMilliseconds(now, PERIODIC_WAKE_MS);
				}
				PG_END_TRY();
				if (launcher_scheduler_detach_if_idle(wake))
					proc_exit(0);
			}
		}
		else
			idle_since = 0;

		if (next != 0)
		{
			long		ms = TimestampDifferenceMilliseconds(now, next);

			sleep_ms = Max(Min(ms, MAX_SLEEP_MS), 1);
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, sleep_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
