/*
 * worker.c: the background worker that executes one attempt of one step.
 *
 * Follows PostgreSQL's worker_spi: the scheduler starts it with the
 * attempt's step_run_id as its argument (the database and the pipeline
 * owner, and the step's timeout in milliseconds, in bgw_extra, as the
 * scheduler resolved it from the options); it connects as the pipeline owner, so the step's
 * query runs with exactly the owner's privileges, and executes the step in
 * one transaction (StartTransactionCommand, PushActiveSnapshot, SPI,
 * CommitTransactionCommand): build, check, publish, record.  On error the
 * transaction is rolled back (target and quarantine untouched) and the
 * failure is recorded in a new one: canceled when the run was canceled,
 * timed_out when options.timeout passed (a statement timeout armed for the
 * step), failed otherwise.  The scheduler reads the outcome when the worker
 * stops.
 */
#include "postgres.h"

#include <limits.h>

#include "access/xact.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/backend_status.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "dataops.h"
#include "step.h"
#include "worker.h"

/* Detail, hint and context of an error, for error_detail. */
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

static StepDef *
find_step(const char *pipeline, const char *name)
{
	ListCell   *lc;

	foreach(lc, catalog_get_steps(pipeline, true))
		if (strcmp(((StepDef *) lfirst(lc))->name, name) == 0)
			return lfirst(lc);
	return NULL;
}

static void
run_attempt(int64 step_run_id, int64 timeout_ms)
{
	MemoryContext cxt = AllocSetContextCreate(TopMemoryContext, "dataops step", ALLOCSET_DEFAULT_SIZES);
	MemoryContext results_cxt = AllocSetContextCreate(cxt, "dataops step results", ALLOCSET_DEFAULT_SIZES);
	StepAttempt *volatile sa = NULL;
	StepDef    *volatile s = NULL;
	List	   *volatile results = NIL;
	TimestampTz started = GetCurrentTimestamp();
	char		activity[NAMEDATALEN * 3];
	volatile bool gone = false;

	snprintf(activity, sizeof(activity), "dataops: step attempt " INT64_FORMAT, step_run_id);

	PG_TRY();
	{
		/* what to run (inside the error handling: a cancel may arrive at once) */
		dataops_begin_tx("dataops: loading step");
		{
			MemoryContext old = MemoryContextSwitchTo(cxt);

			sa = catalog_get_step_attempt(step_run_id);
			if (sa)
				s = find_step(sa->pipeline, sa->step);
			MemoryContextSwitchTo(old);
		}
		dataops_commit_tx();
		if (sa == NULL || strcmp(sa->status, "running") != 0)
			gone = true;		/* the attempt is gone (history pruned, run recovered) */
	}
	PG_CATCH();
	{
		/* a cancel or an error before the attempt was loaded */
		ErrorData  *edata;

		edata = dataops_take_error(cxt);
		AbortCurrentTransaction();
		dataops_begin_tx("dataops: recording failure");
		catalog_finish_step_attempt(step_run_id, edata->sqlerrcode == ERRCODE_QUERY_CANCELED ? "canceled" : "failed",
									NULL, edata->message, error_detail_text(edata),
									unpack_sql_state(edata->sqlerrcode), false);
		dataops_commit_tx();
		gone = true;
	}
	PG_END_TRY();
	if (gone)
	{
		MemoryContextDelete(cxt);
		return;
	}

	PG_TRY();
	{
		StepCounts	counts;
		List	   *lineage = NIL;
		ListCell   *lc;
		int			nest;

		snprintf(activity, sizeof(activity), "dataops: run " INT64_FORMAT " step %s", sa->run_id, sa->step);
		if (sa->cancel_requested)
			ereport(ERROR,
					(errcode(ERRCODE_QUERY_CANCELED),
					 errmsg("canceling statement due to user request")));

		if (s == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("step \"%s\" of pipeline \"%s\" no longer exists", sa->step, sa->pipeline)));
		dataops_begin_tx(activity);
		nest = NewGUCNestLevel();
		(void) set_config_option("search_path", s->search_path, PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
		if (timeout_ms > 0)
			enable_timeout_after(STATEMENT_TIMEOUT, (int) Min(timeout_ms, INT_MAX));
		step_execute(s, sa->run_id, sa->full_refresh, &counts, (List **) &results, &lineage, results_cxt);
		if (timeout_ms > 0)
			disable_timeout(STATEMENT_TIMEOUT, false);
		AtEOXact_GUC(true, nest);

		catalog_finish_step_attempt(step_run_id, "succeeded", &counts, NULL, NULL, NULL, s->query == NULL);
		foreach(lc, results)
			catalog_insert_expectation_result(sa->run_id, s->name, sa->attempt, lfirst(lc));
		catalog_replace_lineage(s->pipeline, s->name, psprintf("%s.%s", s->target_schema, s->target_table),
								sa->run_id, lineage);
		dataops_commit_tx();
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		const char *status = "failed";
		ListCell   *lc;

		disable_timeout(STATEMENT_TIMEOUT, false);
		edata = dataops_take_error(cxt);
		AbortCurrentTransaction();

		dataops_begin_tx("dataops: recording failure");
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
		{
			if (catalog_run_cancel_requested(sa->run_id))
				status = "canceled";
			else if (timeout_ms > 0 &&
					 TimestampDifferenceExceeds(started, GetCurrentTimestamp(), (int) Min(timeout_ms, INT_MAX) - 50))
				status = "timed_out";
			else
				status = "canceled";
		}
		catalog_finish_step_attempt(step_run_id, status, NULL, edata->message, error_detail_text(edata),
									unpack_sql_state(edata->sqlerrcode), false);
		/* the results that failed a fail expectation were computed before it raised */
		foreach(lc, results)
			catalog_insert_expectation_result(sa->run_id, sa->step, sa->attempt, lfirst(lc));
		dataops_commit_tx();
	}
	PG_END_TRY();
	MemoryContextDelete(cxt);
}

void
dataops_step_worker_main(Datum arg)
{
	int64		step_run_id = DatumGetInt64(arg);
	Oid			dboid;
	Oid			owner;
	int64		timeout_ms;

	memcpy(&dboid, MyBgworkerEntry->bgw_extra, sizeof(Oid));
	memcpy(&owner, MyBgworkerEntry->bgw_extra + sizeof(Oid), sizeof(Oid));
	memcpy(&timeout_ms, MyBgworkerEntry->bgw_extra + 2 * sizeof(Oid), sizeof(int64));

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
#if PG_VERSION_NUM >= 160000
	/* 16+: a NOLOGIN owner works (its members define pipelines for it) */
	BackgroundWorkerInitializeConnectionByOid(dboid, owner, BGWORKER_BYPASS_ROLELOGINCHECK);
#else
	BackgroundWorkerInitializeConnectionByOid(dboid, owner, 0);
#endif
	SetConfigOption("application_name", "dataops", PGC_USERSET, PGC_S_SESSION);
	pgstat_report_appname("dataops");

	run_attempt(step_run_id, timeout_ms);
	proc_exit(0);
}
