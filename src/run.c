/*
 * run.c: the caller's side of a run: dataops.start_run(), dataops.wait(),
 * dataops.cancel() and dataops.run() (= start_run, then wait, raising the
 * failed step's error).
 *
 * A run is queued by the database's scheduler (launcher.c), so it is
 * recorded and durable as soon as start_run returns; its progress is read
 * back from dataops.runs with a fresh snapshot.
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/htup_details.h"
#include "access/xlog.h"
#include "catalog/pg_authid.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "args.h"
#include "catalog.h"
#include "dataops.h"
#include "launcher.h"
#include "run.h"
#include "status.h"

static void
no_such_run(int64 run_id)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("run " INT64_FORMAT " does not exist", run_id),
			 errhint("See SELECT run_id, pipeline, status FROM dataops.runs.")));
}

/*
 * The run, once the current user is known to be allowed to `action` it:
 * the access check reads only the run's kind and owner, and comes before
 * anything else is read or done.  Allowed: the pipeline's owner, members of
 * its owner role and superusers (for a validation: the role that ran it);
 * only superusers for a run whose pipeline was dropped.  Raises 42704 for
 * an unknown run and 42501 otherwise, naming neither the pipeline nor its
 * owner.  Every catalog read runs with search_path pinned (catalog.c).
 */
static RunInfo *
lookup_run(int64 run_id, const char *action)
{
	char	   *kind;
	char	   *owner;
	Oid			owner_oid;
	RunInfo    *ri;

	if (!catalog_get_run_access(run_id, &kind, &owner))
		no_such_run(run_id);
	owner_oid = owner ? get_role_oid(owner, true) : InvalidOid;
	if (!superuser() && !(OidIsValid(owner_oid) && has_privs_of_role(GetUserId(), owner_oid)))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s run " INT64_FORMAT, action, run_id),
				 errdetail("Only the owner of the run's pipeline, members of its owner role and superusers may %s it.",
						   action),
				 errhint("Act only on the runs of your own pipelines.")));
	ri = catalog_get_run_info(run_id);
	if (ri == NULL)
		no_such_run(run_id);
	return ri;
}

void
run_check_queue_cap(const char *owner)
{
	int64		queued = catalog_owner_queued_runs(owner);

	if (queued >= dataops_max_queued_runs_per_owner)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("too many queued runs for pipelines of role \"%s\"", owner),
				 errdetail("Its pipelines have " INT64_FORMAT " runs queued; dataops.max_queued_runs_per_owner is %d.",
						   queued, dataops_max_queued_runs_per_owner),
				 errhint("Wait for queued runs to start, cancel some with dataops.cancel(), or raise dataops.max_queued_runs_per_owner.")));
}

/*
 * A step's background worker connects as the pipeline's owner.  On
 * PostgreSQL 15 that needs LOGIN (BackgroundWorkerInitializeConnection
 * refuses a NOLOGIN role, and the step would fail with no reason given), so
 * this raises 55000 with the fix as a hint; 16 added
 * BGWORKER_BYPASS_ROLELOGINCHECK, which the worker uses, so there only a
 * dropped owner (42704) is refused.
 */
static void
require_owner_can_log_in(const PipelineDef *p)
{
	HeapTuple	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(p->owner_oid));
	bool		can_login;

	if (!HeapTupleIsValid(tup))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("the owner \"%s\" of pipeline \"%s\" no longer exists", p->owner, p->name),
				 errhint("A superuser can give the pipeline to a role with UPDATE dataops.pipelines, or drop it.")));
	can_login = ((Form_pg_authid) GETSTRUCT(tup))->rolcanlogin;
	ReleaseSysCache(tup);
	if (!can_login && PG_VERSION_NUM < 160000)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pipeline \"%s\" is owned by role \"%s\", which cannot log in", p->name, p->owner),
				 errdetail("Each step runs in a background worker that connects as the pipeline's owner."),
				 errhint("ALTER ROLE %s LOGIN (no password is needed), or define the pipeline as a role that can log in.",
						 quote_identifier(p->owner))));
}

int64
run_start(const char *pipeline, bool full_refresh)
{
	const char *appname;
	char	   *triggered_by;
	PipelineDef *p;

	dataops_require_preload("run a pipeline");
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot run a pipeline on a hot standby"),
				 errdetail("A run writes its targets and history; the server is in recovery."),
				 errhint("Run the pipeline on the primary.")));
	p = args_owned_pipeline(pipeline, "run");
	require_owner_can_log_in(p);
	if (catalog_get_steps(pipeline, false) == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pipeline \"%s\" has no steps", pipeline),
				 errhint("Add steps with dataops.add_step().")));
	if (GetTopTransactionIdIfAny() != InvalidTransactionId)
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("cannot run a pipeline in a transaction that has written data"),
				 errdetail("The run executes in background workers, which see only committed data."),
				 errhint("Commit the transaction first, then start the run.")));
	/* early, with a clear error; the scheduler checks again as it queues */
	run_check_queue_cap(p->owner);
	appname = GetConfigOption("application_name", true, false);
	triggered_by = psprintf("%s%s", GetUserNameFromId(GetUserId(), false),
							(appname && strcmp(appname, "pg_cron") == 0) ? " (pg_cron)" : "");
	/* a start that fails (canceled while the scheduler queues the run) leaves no run behind */
	return launcher_request_run(pipeline, full_refresh, triggered_by, true);
}

RunStatus
run_wait(int64 run_id, int64 timeout_ms)
{
	RunInfo    *ri = lookup_run(run_id, "wait on");
	TimestampTz deadline = timeout_ms >= 0 ?
		TimestampTzPlusMilliseconds(GetCurrentTimestamp(), timeout_ms) : 0;
	long		sleep_ms = 1;
	TimestampTz first_second = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), 1000);

	while (!status_run_is_final(status_run_parse(ri->status)))
	{
		if (deadline && GetCurrentTimestamp() >= deadline)
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, sleep_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		/* poll every few ms during the first second (short runs), then every 50 ms */
		sleep_ms = GetCurrentTimestamp() < first_second ? Min(sleep_ms * 2, 4) : 50;
		/* a cancel is raised by the loop, not inside the catalog read */
		HOLD_INTERRUPTS();
		ri = catalog_get_run_info(run_id);
		RESUME_INTERRUPTS();
		if (ri == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("run " INT64_FORMAT " no longer exists", run_id),
					 errdetail("Its history was pruned (dataops.history_retention).")));
	}
	return status_run_parse(ri->status);
}

/*
 * dataops.start_run(pipeline text, full_refresh boolean DEFAULT false) →
 * bigint: queues a run and returns its id at once.  Raises 42704 for an
 * unknown pipeline, 42501 unless the caller has the privileges of its
 * owner, 55000 when it has no steps, 25001 when the calling transaction has
 * written data (the workers could not see it), 25006 on a hot standby,
 * 53400 when the pipeline's owner already has
 * dataops.max_queued_runs_per_owner runs queued.  Once its id is returned
 * the run is independent of its caller: canceling or ending the caller, or
 * rolling back its transaction, does not cancel it.  A start_run that
 * fails before (canceled while the scheduler queues the run) leaves no run.
 */
PG_FUNCTION_INFO_V1(dataops_start_run);
Datum
dataops_start_run(PG_FUNCTION_ARGS)
{
	args_require(PG_ARGISNULL(0), "pipeline");
	args_require(PG_ARGISNULL(1), "full_refresh");
	PG_RETURN_INT64(run_start(text_to_cstring(PG_GETARG_TEXT_PP(0)), PG_GETARG_BOOL(1)));
}

/*
 * dataops.wait(run_id bigint, timeout interval DEFAULT NULL) → text: the
 * run's final status once it has one (succeeded, failed, canceled,
 * timed_out), or its current status (queued, running) when the timeout
 * passes first.  Never raises for a failed run.  Raises 42704 for an
 * unknown run, 42501 unless the caller has the privileges of the
 * pipeline's owner (the refusal names neither the pipeline nor its owner),
 * 22023 for a negative timeout.
 */
PG_FUNCTION_INFO_V1(dataops_wait);
Datum
dataops_wait(PG_FUNCTION_ARGS)
{
	int64		timeout_ms = -1;

	args_require(PG_ARGISNULL(0), "run_id");
	if (!PG_ARGISNULL(1))
		timeout_ms = dataops_interval_ms(DatumGetCString(DirectFunctionCall1(interval_out, PG_GETARG_DATUM(1))),
										 "timeout");
	PG_RETURN_TEXT_P(cstring_to_text(status_run_text(run_wait(PG_GETARG_INT64(0), timeout_ms))));
}

/*
 * dataops.cancel(run_id bigint) → boolean: a queued run is canceled at
 * once; a running one is flagged, and its scheduler cancels its running
 * steps (recorded canceled) and records the rest canceled.  Returns false
 * when the run had already finished.  A step that does not stop within
 * dataops.cancel_grace_period of the cancel (its query catches
 * query_canceled) has its worker terminated.  Raises 42704 for an unknown
 * run and 42501 unless the caller has the privileges of the pipeline's
 * owner, before anything else is read or changed.
 */
PG_FUNCTION_INFO_V1(dataops_cancel);
Datum
dataops_cancel(PG_FUNCTION_ARGS)
{
	int64		run_id;
	RunInfo    *ri;
	bool		result;

	args_require(PG_ARGISNULL(0), "run_id");
	run_id = PG_GETARG_INT64(0);
	ri = lookup_run(run_id, "cancel");
	if (strcmp(ri->kind, "pipeline") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("run " INT64_FORMAT " is a validation", run_id),
				 errdetail("Validations run in their caller's session and cannot be canceled from another.")));
	result = catalog_cancel_run(run_id);
	launcher_wake_scheduler();
	PG_RETURN_BOOL(result);
}

/*
 * dataops.run(pipeline text, full_refresh boolean DEFAULT false) → bigint:
 * start_run, then wait; returns the run id when the run succeeded.  Raises
 * the failed step's SQLSTATE with a message naming the run and the step;
 * 57014 for a canceled or timed-out run; and start_run's errors.  The run
 * belongs to its caller, as a dbt or Airflow CLI run does: when the caller
 * is canceled (Ctrl-C, pg_cancel_backend, statement_timeout) the run is
 * canceled and the caller waits a few seconds for it to stop; when the
 * caller's backend ends (pg_terminate_backend, a lost connection noticed)
 * its exit hands the scheduler a request to cancel the run.  Both go
 * through shared memory, which the caller's aborting transaction does not
 * roll back.
 */
PG_FUNCTION_INFO_V1(dataops_run);
Datum
dataops_run(PG_FUNCTION_ARGS)
{
	char	   *name;
	int64		run_id;
	RunInfo    *ri;
	RunStatus	status = RUN_QUEUED;

	args_require(PG_ARGISNULL(0), "pipeline");
	args_require(PG_ARGISNULL(1), "full_refresh");
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	run_id = run_start(name, PG_GETARG_BOOL(1));

	/* from here until the run is final, this backend's exit cancels it */
	launcher_cancel_on_exit(run_id);
	PG_TRY();
	{
		status = run_wait(run_id, -1);
	}
	PG_CATCH();
	{
		/*
		 * The caller gave up (Ctrl-C, statement_timeout): cancel the run and
		 * give it the grace period its steps get, and a little more, to
		 * stop.  The request stays with the scheduler if the wait ends
		 * first.
		 */
		launcher_cancel_on_exit(0);
		HOLD_INTERRUPTS();
		launcher_cancel_and_wait(run_id, Min(dataops_cancel_grace_ms + 3000, 10000));
		RESUME_INTERRUPTS();
		PG_RE_THROW();
	}
	PG_END_TRY();
	launcher_cancel_on_exit(0);

	if (status == RUN_SUCCEEDED)
		PG_RETURN_INT64(run_id);
	ri = catalog_get_run_info(run_id);
	if (ri == NULL)
		no_such_run(run_id);
	if (status == RUN_CANCELED || status == RUN_TIMED_OUT)
		ereport(ERROR,
				(errcode(ERRCODE_QUERY_CANCELED),
				 errmsg("run " INT64_FORMAT " of pipeline \"%s\" was %s%s%s%s", run_id, name,
						status == RUN_CANCELED ? "canceled" : "timed out",
						ri->failed_step ? " during step \"" : "",
						ri->failed_step ? ri->failed_step : "", ri->failed_step ? "\"" : ""),
				 errhint("See SELECT * FROM dataops.step_runs WHERE run_id = " INT64_FORMAT ".", run_id)));
	/* the step's own detail, without the hint and context lines error_detail adds */
	if (ri->error_detail)
	{
		char	   *cut = strstr(ri->error_detail, "Hint: ");
		char	   *ctx = strstr(ri->error_detail, "Context: ");

		if (ctx && (cut == NULL || ctx < cut))
			cut = ctx;
		if (cut)
		{
			while (cut > ri->error_detail && cut[-1] == '\n')
				cut--;
			*cut = '\0';
		}
		if (ri->error_detail[0] == '\0')
			ri->error_detail = NULL;
	}
	ereport(ERROR,
			(errcode(ri->sqlstate && strlen(ri->sqlstate) == 5 ?
					 MAKE_SQLSTATE(ri->sqlstate[0], ri->sqlstate[1], ri->sqlstate[2], ri->sqlstate[3], ri->sqlstate[4]) :
					 ERRCODE_INTERNAL_ERROR),
			 errmsg("run " INT64_FORMAT " of pipeline \"%s\" failed at step \"%s\": %s",
					run_id, name, ri->failed_step ? ri->failed_step : "?",
					ri->error_message ? ri->error_message : "unknown error"),
			 ri->error_detail ? errdetail("%s", ri->error_detail) : 0,
			 errhint("See SELECT * FROM dataops.step_runs WHERE run_id = " INT64_FORMAT ".", run_id)));
	PG_RETURN_NULL();
}
