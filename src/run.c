/*
 * run.c: dataops.run(), the caller's side of a run.
 *
 * The run executes in a dynamic background worker (worker.c) so that each
 * step commits in its own transaction and the run's history stays recorded
 * even when run() raises an ERROR.  The caller waits on its latch; the
 * postmaster wakes it when the worker stops (bgw_notify_pid).  If the
 * caller is canceled (Ctrl-C, statement_timeout), it forwards the cancel to
 * the worker, which rolls back the current step and records the run as
 * canceled.
 */
#include "postgres.h"

#include <signal.h>

#include "access/xact.h"
#include "access/xlog.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/wait_event.h"

#include "api.h"
#include "catalog.h"
#include "dataops.h"
#include "run.h"

bool
run_cancel_requested(RunShared *shared)
{
	bool		result;

	SpinLockAcquire(&shared->mutex);
	result = shared->cancel_requested;
	SpinLockRelease(&shared->mutex);
	return result;
}

/* Waits up to `ms` milliseconds for the worker to stop; never raises. */
static bool
wait_stopped_quietly(BackgroundWorkerHandle *handle, int ms)
{
	pid_t		pid;
	int			waited = 0;

	while (GetBackgroundWorkerPid(handle, &pid) != BGWH_STOPPED)
	{
		if (waited >= ms)
			return false;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 100, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		waited += 100;
	}
	return true;
}

/*
 * dataops.run(pipeline text, full_refresh boolean DEFAULT false) → bigint.
 * Runs the pipeline in a background worker connected as the pipeline's
 * owner, waits for it and returns the run id.  Raises the failed step's
 * SQLSTATE with a message naming the run id and the step; 25001 when the
 * calling transaction has written data (the worker could not see it);
 * 53400 when no background worker slot is free; 25006 on a hot standby.
 */
PG_FUNCTION_INFO_V1(dataops_run);
Datum
dataops_run(PG_FUNCTION_ARGS)
{
	char	   *name;
	bool		full_refresh;
	PipelineDef *p;
	dsm_segment *seg;
	RunShared  *shared;
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	pid_t		pid;
	const char *appname;
	RunShared	result;

	api_require_arg(PG_ARGISNULL(0), "pipeline");
	api_require_arg(PG_ARGISNULL(1), "full_refresh");
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	full_refresh = PG_GETARG_BOOL(1);

	dataops_require_preload("run a pipeline");
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot run a pipeline on a hot standby"),
				 errdetail("A run writes its targets and history; the server is in recovery."),
				 errhint("Run the pipeline on the primary.")));
	p = api_lookup_owned_pipeline(name, "run");
	if (catalog_get_steps(name, false) == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pipeline \"%s\" has no steps", name),
				 errhint("Add steps with dataops.add_step().")));
	if (GetTopTransactionIdIfAny() != InvalidTransactionId)
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("cannot run a pipeline in a transaction that has written data"),
				 errdetail("The run executes in a background worker, which sees only committed data."),
				 errhint("Commit the transaction first, then call dataops.run().")));
	if (!OidIsValid(p->owner_oid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("owner \"%s\" of pipeline \"%s\" no longer exists", p->owner, name)));

	seg = dsm_create(sizeof(RunShared), 0);
	shared = dsm_segment_address(seg);
	memset(shared, 0, sizeof(RunShared));
	SpinLockInit(&shared->mutex);
	shared->database_id = MyDatabaseId;
	shared->owner_id = p->owner_oid;
	shared->full_refresh = full_refresh;
	strlcpy(shared->pipeline, name, sizeof(shared->pipeline));
	appname = GetConfigOption("application_name", true, false);
	snprintf(shared->triggered_by, sizeof(shared->triggered_by), "%s%s",
			 GetUserNameFromId(GetUserId(), false),
			 (appname && strcmp(appname, "pg_cron") == 0) ? " (pg_cron)" : "");

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "dataops");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "dataops_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "dataops run of pipeline %s", name);
	snprintf(worker.bgw_type, BGW_MAXLEN, "dataops run");
	worker.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(seg));
	worker.bgw_notify_pid = MyProcPid;

	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("could not start a background worker for pipeline \"%s\"", name),
				 errdetail("All background worker slots are in use."),
				 errhint("Raise max_worker_processes, or wait for other runs to finish.")));

	PG_TRY();
	{
		for (;;)
		{
			BgwHandleStatus status = GetBackgroundWorkerPid(handle, &pid);

			if (status == BGWH_STOPPED)
				break;
			if (status == BGWH_POSTMASTER_DIED)
				ereport(FATAL,
						(errcode(ERRCODE_ADMIN_SHUTDOWN),
						 errmsg("postmaster exited during a dataops run")));
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 1000, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
		}
	}
	PG_CATCH();
	{
		/* forward the cancel, then give the worker time to record it */
		HOLD_INTERRUPTS();
		SpinLockAcquire(&shared->mutex);
		shared->cancel_requested = true;
		SpinLockRelease(&shared->mutex);
		if (GetBackgroundWorkerPid(handle, &pid) == BGWH_STARTED)
			kill(pid, SIGINT);
		if (!wait_stopped_quietly(handle, 10000))
			TerminateBackgroundWorker(handle);
		RESUME_INTERRUPTS();
		PG_RE_THROW();
	}
	PG_END_TRY();

	memcpy(&result, shared, sizeof(RunShared));
	dsm_detach(seg);

	switch (result.outcome)
	{
		case RUN_OUTCOME_SUCCEEDED:
			PG_RETURN_INT64(result.run_id);
		case RUN_OUTCOME_NONE:
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("the background worker of pipeline \"%s\" exited without recording an outcome", name),
					 errdetail("Run id: " INT64_FORMAT ".", result.run_id),
					 errhint("See the server log; the pipeline owner must be a role that can log in.")));
			break;
		case RUN_OUTCOME_CANCELED:
			ereport(ERROR,
					(errcode(ERRCODE_QUERY_CANCELED),
					 errmsg("run " INT64_FORMAT " of pipeline \"%s\" was canceled%s%s%s", result.run_id, name,
							result.failed_step[0] ? " during step \"" : "",
							result.failed_step, result.failed_step[0] ? "\"" : "")));
			break;
		case RUN_OUTCOME_FAILED:
			ereport(ERROR,
					(errcode(result.sqlerrcode ? result.sqlerrcode : ERRCODE_INTERNAL_ERROR),
					 errmsg("run " INT64_FORMAT " of pipeline \"%s\" failed at step \"%s\": %s",
							result.run_id, name, result.failed_step, result.error_message),
					 result.error_detail[0] ? errdetail("%s", result.error_detail) : 0,
					 errhint("See SELECT * FROM dataops.step_runs WHERE run_id = " INT64_FORMAT ".", result.run_id)));
			break;
	}
	PG_RETURN_NULL();
}
