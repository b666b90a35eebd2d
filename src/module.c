/*
 * module.c: the library's entry point (_PG_init): defines the dataops.*
 * GUCs, registers the launcher background worker and the utility hook.
 * The top layer: it includes the modules it starts, none includes it.
 *
 * dataops must be loaded through shared_preload_libraries: its runs execute
 * in dynamic background workers whose entry point the postmaster must be able
 * to find, as pg_cron requires.  Loaded any other way, CREATE EXTENSION and
 * dataops.run() refuse with a hint naming the line to add.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "dataops.h"
#include "expect.h"
#include "launcher.h"
#include "notify.h"
#include "openlineage.h"
#include "schedule.h"

PG_MODULE_MAGIC;

void		_PG_init(void);
static void define_health_gucs(void);

/*
 * A GUC check hook's test of an interval setting: true when `value` is a
 * positive interval; otherwise the hook's errdetail is `detail` and the
 * interval's own error is swallowed (a check hook must not raise).
 */
static bool
check_positive_interval(const char *value, const char *what, const char *detail)
{
	int64		ms = -1;
	MemoryContext cxt = CurrentMemoryContext;

	PG_TRY();
	{
		ms = dataops_interval_ms(value, what);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
		ms = -1;
	}
	PG_END_TRY();
	if (ms <= 0)
	{
		GUC_check_errdetail("%s", detail);
		return false;
	}
	return true;
}

static bool
check_retention(char **newval, void **extra, GucSource source)
{
	return check_positive_interval(*newval, "dataops.history_retention",
								   "dataops.history_retention must be a positive interval, such as '30 days'.");
}

/*
 * _PG_init: records whether we are being preloaded and defines the GUCs.
 * It does not raise when loaded late, so that functions that need no
 * background worker (dataops.regex_match) keep working; the actions that do
 * need one call dataops_require_preload().
 */
void
_PG_init(void)
{
	dataops_preloaded = process_shared_preload_libraries_in_progress;

	DefineCustomStringVariable("dataops.source_file",
							   "File being ingested (set by dataops while a bronze step runs).",
							   "Read by the _source_file column default of bronze tables.",
							   &dataops_current_source_file,
							   NULL,
							   PGC_USERSET,
							   GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("dataops.run_id",
							   "Run being executed (set by dataops while a bronze step runs).",
							   "Read by the _run_id column default of bronze tables.",
							   &dataops_current_run_id,
							   NULL,
							   PGC_USERSET,
							   GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("dataops.max_parallel_runs",
							"Runs a database's scheduler executes at once; later runs wait queued.",
							NULL,
							&dataops_max_parallel_runs,
							4, 1, 1024,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("dataops.max_parallel_steps",
							"Steps (background workers) a database's scheduler executes at once, across its runs.",
							"Independent steps of a run execute in parallel up to this number.",
							&dataops_max_parallel_steps,
							4, 1, 1024,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);
	DefineCustomStringVariable("dataops.history_retention",
							   "How long finished runs, their step runs and results, and events are kept.",
							   "An interval; the scheduler prunes older history in the background.",
							   &dataops_history_retention,
							   "30 days",
							   PGC_SIGHUP, 0,
							   check_retention, NULL, NULL);
	DefineCustomIntVariable("dataops.cancel_grace_period",
							"Time a canceled or timed-out step may take to stop before its worker is terminated.",
							"A step that ignores the cancel (for example by catching query_canceled) is stopped with SIGTERM after this time.",
							&dataops_cancel_grace_ms,
							2000, 0, 3600000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("dataops.max_queued_runs_per_owner",
							"Queued runs the pipelines of one owner role may have at once; more are refused.",
							"Keeps one role from flooding the run queue of a database.",
							&dataops_max_queued_runs_per_owner,
							100, 1, 1000000,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);
	define_health_gucs();
	openlineage_define_gucs();
	notify_init();
	expect_define_gucs();
	MarkGUCPrefixReserved("dataops");
	if (dataops_preloaded)
		launcher_init();
	schedule_init();
}

/* GUC check hook of dataops.target_mttr and dataops.target_mtbf: a positive interval. */
static bool
check_target_interval(char **newval, void **extra, GucSource source)
{
	return check_positive_interval(*newval, "health target",
								   "A health target must be a positive interval, such as '15 minutes'.");
}

/*
 * define_health_gucs: the health targets of dataops.health() (issue 12),
 * PGC_USERSET since they change only what a report shows; see dataops.h.
 */
static void
define_health_gucs(void)
{
	DefineCustomStringVariable("dataops.target_mttr",
							   "Target mean time to recovery of dataops.health(): an MTTR above it is breached.",
							   "An interval; the pipeline option target_mttr overrides it.",
							   &dataops_target_mttr,
							   "15 minutes",
							   PGC_USERSET, 0,
							   check_target_interval, NULL, NULL);
	DefineCustomStringVariable("dataops.target_mtbf",
							   "Target mean time between failures of dataops.health(): an MTBF below it is breached.",
							   "An interval; the pipeline option target_mtbf overrides it.",
							   &dataops_target_mtbf,
							   "30 days",
							   PGC_USERSET, 0,
							   check_target_interval, NULL, NULL);
	DefineCustomRealVariable("dataops.target_dq_score",
							 "Target data quality score of dataops.health(): a score below it is breached.",
							 "From 0 to 1; the pipeline option target_dq_score overrides it.",
							 &dataops_target_dq_score,
							 0.95, 0.0, 1.0,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomRealVariable("dataops.target_sla_compliance",
							 "Target SLA compliance of dataops.health(): a compliance below it is breached.",
							 "From 0 to 1; the pipeline option target_sla_compliance overrides it.",
							 &dataops_target_sla_compliance,
							 0.995, 0.0, 1.0,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
}
