/*
 * worker.c: the run's background worker and its per-step transaction loop.
 *
 * Follows PostgreSQL's worker_spi: the worker connects as the pipeline
 * owner, so each step's query runs with exactly the owner's privileges, and
 * executes each step in its own transaction (StartTransactionCommand,
 * PushActiveSnapshot, SPI, CommitTransactionCommand).  On error the step's
 * transaction is rolled back (its target and quarantine are untouched) and
 * the failure is recorded in a new transaction.
 *
 * One run of a pipeline at a time: the worker holds a session-level
 * advisory lock on the pipeline for the whole run; a second run() of the
 * same pipeline waits for it, recorded as queued meanwhile.
 */
#include "postgres.h"

#include "access/xact.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "storage/lock.h"
#include "tcop/tcopprot.h"
#include "utils/backend_status.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "dag.h"
#include "dataops.h"
#include "run.h"
#include "step.h"
#include "worker.h"

/* Advisory lock tag field 4 value that keeps our locks apart from user advisory locks. */
#define DATAOPS_LOCK_FIELD4 0x6470

static void
begin_tx(const char *activity)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, activity);
}

static void
commit_tx(void)
{
	if (ActiveSnapshotSet())
		PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
}

static void
lock_pipeline(const char *pipeline)
{
	LOCKTAG		tag;
	uint32		h = hash_bytes((const unsigned char *) pipeline, strlen(pipeline));

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, 0x64617461, h, DATAOPS_LOCK_FIELD4);
	(void) LockAcquire(&tag, ExclusiveLock, true, false);
}

static void
set_outcome(RunShared *shared, int64 run_id, RunOutcome outcome, ErrorData *edata, const char *step)
{
	SpinLockAcquire(&shared->mutex);
	shared->run_id = run_id;
	shared->outcome = outcome;
	if (edata)
	{
		shared->sqlerrcode = edata->sqlerrcode;
		strlcpy(shared->error_message, edata->message ? edata->message : "", RUN_TEXT_LEN);
		strlcpy(shared->error_detail, edata->detail ? edata->detail : "", RUN_TEXT_LEN);
	}
	if (step)
		strlcpy(shared->failed_step, step, NAMEDATALEN);
	SpinLockRelease(&shared->mutex);
}

/* Detail and context of an error, for dataops.runs.error_detail. */
static char *
error_detail_text(ErrorData *edata)
{
	StringInfoData s;

	initStringInfo(&s);
	if (edata->detail)
		appendStringInfoString(&s, edata->detail);
	if (edata->hint)
		appendStringInfo(&s, "%sHint: %s", s.len ? "\n" : "", edata->hint);
	if (edata->context)
		appendStringInfo(&s, "%sContext: %s", s.len ? "\n" : "", edata->context);
	return s.len ? s.data : NULL;
}

static void
record_step_success(int64 run_id, StepDef *s, StepCounts *c, List *results, List *lineage,
					TimestampTz started)
{
	ListCell   *lc;

	catalog_insert_step_run(run_id, s, "succeeded", c, NULL, started);
	foreach(lc, results)
		catalog_insert_expectation_result(run_id, s->name, lfirst(lc));
	catalog_replace_lineage(s->pipeline, s->name, psprintf("%s.%s", s->target_schema, s->target_table),
							run_id, lineage);
}

/*
 * In a PG_CATCH: copies the error into `cxt`, rolls the transaction back and
 * sets *outcome: canceled when the caller asked for it, else failed.
 */
static ErrorData *
catch_error(MemoryContext cxt, RunShared *shared, volatile RunOutcome *outcome)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	FlushErrorState();
	AbortCurrentTransaction();
	*outcome = (edata->sqlerrcode == ERRCODE_QUERY_CANCELED && run_cancel_requested(shared)) ?
		RUN_OUTCOME_CANCELED : RUN_OUTCOME_FAILED;
	return edata;
}

void
worker_run_pipeline(RunShared *shared)
{
	MemoryContext run_cxt;
	MemoryContext step_cxt;
	int64		run_id;
	List	   *volatile steps = NIL;
	ListCell   *lc;
	StepDef    *volatile failed = NULL;
	ErrorData  *volatile edata = NULL;
	volatile RunOutcome outcome = RUN_OUTCOME_SUCCEEDED;
	char		activity[NAMEDATALEN * 3];

	run_cxt = AllocSetContextCreate(TopMemoryContext, "dataops run", ALLOCSET_DEFAULT_SIZES);
	step_cxt = AllocSetContextCreate(run_cxt, "dataops step results", ALLOCSET_DEFAULT_SIZES);

	/* 1. the run, recorded as queued */
	begin_tx("dataops: recording run");
	run_id = catalog_insert_run(shared->pipeline, shared->full_refresh, shared->triggered_by, MyProcPid);
	commit_tx();
	set_outcome(shared, run_id, RUN_OUTCOME_NONE, NULL, NULL);

	PG_TRY();
	{
		/* 2. one run of a pipeline at a time */
		snprintf(activity, sizeof(activity), "dataops: run " INT64_FORMAT " waiting for pipeline %s", run_id, shared->pipeline);
		begin_tx(activity);
		lock_pipeline(shared->pipeline);
		commit_tx();

		/* 3. recover runs that died, load the definition, start */
		begin_tx("dataops: starting run");
		(void) catalog_recover_runs(shared->pipeline, run_id);
		{
			MemoryContext old = MemoryContextSwitchTo(run_cxt);

			steps = dag_order(catalog_get_steps(shared->pipeline, true));
			MemoryContextSwitchTo(old);
		}
		catalog_set_run_running(run_id);
		commit_tx();
	}
	PG_CATCH();
	{
		edata = catch_error(run_cxt, shared, &outcome);
		steps = NIL;
	}
	PG_END_TRY();

	/* 4. the steps, one transaction each */
	foreach(lc, steps)
	{
		StepDef    *s = lfirst(lc);
		StepCounts	counts;
		List	   *results = NIL;
		List	   *lineage = NIL;
		TimestampTz started = GetCurrentTimestamp();

		if (edata != NULL)
			break;
		MemoryContextReset(step_cxt);
		snprintf(activity, sizeof(activity), "dataops: run " INT64_FORMAT " step %s", run_id, s->name);
		PG_TRY();
		{
			int			nest;

			if (run_cancel_requested(shared))
				ereport(ERROR,
						(errcode(ERRCODE_QUERY_CANCELED),
						 errmsg("canceling statement due to user request")));
			/* committed before the step starts, so a crash leaves a trace */
			begin_tx(activity);
			catalog_insert_step_run(run_id, s, "running", NULL, NULL, started);
			commit_tx();

			begin_tx(activity);
			nest = NewGUCNestLevel();
			(void) set_config_option("search_path", s->search_path, PGC_USERSET, PGC_S_SESSION,
									 GUC_ACTION_SAVE, true, 0, false);
			step_execute(s, run_id, shared->full_refresh, &counts, &results, &lineage, step_cxt);
			AtEOXact_GUC(true, nest);
			record_step_success(run_id, s, &counts, results, lineage, started);
			commit_tx();
		}
		PG_CATCH();
		{
			edata = catch_error(run_cxt, shared, &outcome);
			failed = s;

			/* the failure, with the results that failed it, in a new transaction */
			begin_tx("dataops: recording failure");
			catalog_insert_step_run(run_id, s, outcome == RUN_OUTCOME_CANCELED ? "canceled" : "failed",
									NULL, edata->message, started);
			{
				ListCell   *rc;
				MemoryContext old = MemoryContextSwitchTo(step_cxt);

				/* results were computed before a fail expectation raised */
				foreach(rc, results)
					catalog_insert_expectation_result(run_id, s->name, lfirst(rc));
				MemoryContextSwitchTo(old);
			}
			commit_tx();
		}
		PG_END_TRY();
	}

	/* 5. the outcome */
	begin_tx("dataops: finishing run");
	if (edata != NULL)
	{
		bool		after = false;

		foreach(lc, steps)
		{
			StepDef    *s = lfirst(lc);

			if (s == failed)
				after = true;
			else if (after)
				catalog_insert_step_run(run_id, s, "skipped", NULL, NULL, 0);
		}
		catalog_finish_run(run_id, outcome == RUN_OUTCOME_CANCELED ? "canceled" : "failed",
						   edata->message, error_detail_text(edata), unpack_sql_state(edata->sqlerrcode),
						   failed ? failed->name : NULL);
	}
	else
		catalog_finish_run(run_id, "succeeded", NULL, NULL, NULL, NULL);
	commit_tx();
	set_outcome(shared, run_id, outcome, edata, failed ? failed->name : NULL);
	MemoryContextDelete(run_cxt);
}

void
dataops_worker_main(Datum arg)
{
	dsm_segment *seg;
	RunShared  *shared;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	seg = dsm_attach(DatumGetUInt32(arg));
	if (seg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("dataops run worker could not attach to its shared memory segment"),
				 errdetail("The backend that started the run exited before the worker started.")));
	shared = dsm_segment_address(seg);

	BackgroundWorkerInitializeConnectionByOid(shared->database_id, shared->owner_id, 0);
	SetConfigOption("application_name", "dataops", PGC_USERSET, PGC_S_SESSION);
	pgstat_report_appname("dataops");

	worker_run_pipeline(shared);

	dsm_detach(seg);
	proc_exit(0);
}
