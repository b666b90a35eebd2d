/*
 * schedule.c: dataops.schedule() and dataops.unschedule().
 *
 * A schedule is a pg_cron job named "dataops:<pipeline>" whose command is
 * SELECT dataops.run('<pipeline>').  The job is created through pg_cron's
 * own API (cron.schedule) as the calling role, so it runs as that role.
 *
 * dataops.cron_next(), when pg_cron would next start a job with a given
 * schedule, is in cron.c.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "common/md5.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "args.h"
#include "catalog.h"
#include "dataops.h"
#include "schedule.h"

static void
require_pg_cron(void)
{
	if (!OidIsValid(get_extension_oid("pg_cron", true)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pg_cron is not installed in this database"),
				 errdetail("dataops schedules pipelines with pg_cron."),
				 errhint("Install pg_cron (Debian: postgresql-15-cron), add it to shared_preload_libraries = 'pg_cron,dataops', set cron.database_name to this database, and run CREATE EXTENSION pg_cron.")));
}

/*
 * The pg_cron job name of a pipeline: "dataops:<pipeline>", or, when that
 * does not fit pg_cron's jobname (type name, 63 bytes), "dataops:" and the
 * md5 of the pipeline name, so that two long names never share a job.  The
 * job is identified by the job id dataops stores, never by its name.
 */
static char *
job_name(const char *pipeline)
{
	char		hex[33];
	const char *err = NULL;

	if (strlen("dataops:") + strlen(pipeline) < NAMEDATALEN)
		return psprintf("dataops:%s", pipeline);
	if (!pg_md5_hash(pipeline, strlen(pipeline), hex, &err))
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not compute the pg_cron job name of pipeline \"%s\": %s", pipeline,
						err ? err : "md5 failed")));
	return psprintf("dataops:%s", hex);
}

/*
 * Runs one statement against pg_cron's API as the current role, with
 * search_path pinned (DROP EXTENSION runs it as a superuser).  SPI must be
 * connected.  Returns SPI_processed.
 */
static uint64
cron_exec(const char *sql, int nargs, Oid *types, Datum *values, bool read_only)
{
	int			nestlevel = NewGUCNestLevel();
	int			rc;

	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	rc = SPI_execute_with_args(sql, nargs, types, values, NULL, read_only, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "pg_cron statement failed: %s", SPI_result_code_string(rc));
	AtEOXact_GUC(true, nestlevel);
	return SPI_processed;
}

/* True if pg_cron has the job (visible to the current role). */
static bool
job_exists(int64 jobid)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1];
	bool		found;

	values[0] = Int64GetDatum(jobid);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	found = cron_exec("SELECT 1 FROM cron.job WHERE jobid OPERATOR(pg_catalog.=) $1", 1, types, values, true) > 0;
	SPI_finish();
	return found;
}

static void
unschedule_job(int64 jobid)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1];

	values[0] = Int64GetDatum(jobid);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	(void) cron_exec("SELECT cron.unschedule($1)", 1, types, values, false);
	SPI_finish();
}

void
schedule_remove_if_any(const char *pipeline)
{
	int64		jobid;

	if (!OidIsValid(get_extension_oid("pg_cron", true)))
		return;
	jobid = catalog_get_pipeline_cron_job(pipeline);
	if (jobid != 0 && job_exists(jobid))
		unschedule_job(jobid);
	if (jobid != 0)
		catalog_set_pipeline_cron_job(pipeline, 0);
}

void
schedule_remove_all(void)
{
	ListCell   *lc;

	if (!OidIsValid(get_extension_oid("pg_cron", true)))
		return;
	foreach(lc, catalog_all_cron_jobs())
	{
		int64		jobid = *(int64 *) lfirst(lc);

		if (job_exists(jobid))
			unschedule_job(jobid);
	}
}

static ProcessUtility_hook_type prev_process_utility = NULL;

/* True when the DROP statement names the dataops extension (or its schema). */
static bool
drops_dataops(DropStmt *drop)
{
	ListCell   *lc;

	if (drop->removeType != OBJECT_EXTENSION && drop->removeType != OBJECT_SCHEMA)
		return false;
	foreach(lc, drop->objects)
	{
		Node	   *obj = lfirst(lc);

		if (IsA(obj, String) && strcmp(strVal(obj), "dataops") == 0)
			return true;
	}
	return false;
}

/*
 * Before DROP EXTENSION dataops runs: removes the pipelines' pg_cron jobs
 * (they would otherwise call functions that no longer exist, forever).  In
 * the dropping transaction, so a failed or rolled back DROP keeps them.
 */
static void
schedule_process_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
						 ProcessUtilityContext context, ParamListInfo params,
						 QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;

	if (IsA(parsetree, DropStmt) && drops_dataops((DropStmt *) parsetree) &&
		OidIsValid(get_extension_oid("dataops", true)) &&
		dataops_relation_oid("dataops", "pipelines") != InvalidOid)
		schedule_remove_all();
	if (prev_process_utility)
		prev_process_utility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
}

void
schedule_init(void)
{
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = schedule_process_utility;
}

/*
 * dataops.schedule(pipeline text, schedule text) → bigint: creates or
 * replaces the pg_cron job of the pipeline and returns its job id, which
 * dataops.pipelines.cron_jobid records.  Raises 42704 for an unknown
 * pipeline, 42501 unless the caller has the privileges of its owner, 55000
 * without pg_cron, and pg_cron's own error for a bad schedule.
 */
PG_FUNCTION_INFO_V1(dataops_schedule);
Datum
dataops_schedule(PG_FUNCTION_ARGS)
{
	char	   *pipeline;
	char	   *schedule;
	Oid			types[3] = {TEXTOID, TEXTOID, TEXTOID};
	Datum		values[3];
	bool		isnull;
	int64		jobid;
	int64		old_jobid;

	args_require(PG_ARGISNULL(0), "pipeline");
	args_require(PG_ARGISNULL(1), "schedule");
	pipeline = text_to_cstring(PG_GETARG_TEXT_PP(0));
	schedule = text_to_cstring(PG_GETARG_TEXT_PP(1));
	require_pg_cron();
	(void) args_owned_pipeline(pipeline, "schedule");

	values[0] = CStringGetTextDatum(job_name(pipeline));
	values[1] = CStringGetTextDatum(schedule);
	values[2] = CStringGetTextDatum(psprintf("SELECT dataops.run(%s)", quote_literal_cstr(pipeline)));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (cron_exec("SELECT cron.schedule($1, $2, $3)", 3, types, values, false) != 1)
		elog(ERROR, "cron.schedule returned no job id");
	jobid = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();

	/* a job scheduled by another member of the owner role is replaced, not left behind */
	old_jobid = catalog_get_pipeline_cron_job(pipeline);
	if (old_jobid != 0 && old_jobid != jobid && job_exists(old_jobid))
		unschedule_job(old_jobid);
	catalog_set_pipeline_cron_job(pipeline, jobid);
	PG_RETURN_INT64(jobid);
}

/*
 * dataops.unschedule(pipeline text) → void: removes the pipeline's pg_cron
 * job (the one dataops.schedule recorded).  Raises 42704 when the pipeline
 * has no schedule, 42501 unless the caller has the privileges of its owner,
 * 55000 without pg_cron.
 */
PG_FUNCTION_INFO_V1(dataops_unschedule);
Datum
dataops_unschedule(PG_FUNCTION_ARGS)
{
	char	   *pipeline;
	int64		jobid;

	args_require(PG_ARGISNULL(0), "pipeline");
	pipeline = text_to_cstring(PG_GETARG_TEXT_PP(0));
	require_pg_cron();
	(void) args_owned_pipeline(pipeline, "unschedule");
	jobid = catalog_get_pipeline_cron_job(pipeline);
	if (jobid == 0 || !job_exists(jobid))
	{
		if (jobid != 0)
			catalog_set_pipeline_cron_job(pipeline, 0);
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("pipeline \"%s\" has no schedule", pipeline),
				 errhint("Schedule it with dataops.schedule().")));
	}
	unschedule_job(jobid);
	catalog_set_pipeline_cron_job(pipeline, 0);
	PG_RETURN_VOID();
}

/*
 * schedule_rename: after the catalog renamed pipeline `old_name` to
 * `new_name` (same transaction), moves its pg_cron job, if it has one, to a
 * job of the new name whose command runs the new name, with the same
 * schedule, created as the current role as dataops.schedule() does, and
 * removes the old job.  Nothing without pg_cron or a schedule.  Raises what
 * pg_cron raises.
 */
void
schedule_rename(const char *old_name, const char *new_name)
{
	Oid			types[3] = {TEXTOID, TEXTOID, TEXTOID};
	Datum		values[3];
	Oid			jtypes[1] = {INT8OID};
	Datum		jvalues[1];
	bool		isnull;
	char	   *cron;
	int64		jobid;
	int64		new_jobid;

	if (!OidIsValid(get_extension_oid("pg_cron", true)))
		return;
	jobid = catalog_get_pipeline_cron_job(new_name);
	if (jobid == 0)
		return;
	jvalues[0] = Int64GetDatum(jobid);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (cron_exec("SELECT schedule FROM cron.job WHERE jobid OPERATOR(pg_catalog.=) $1", 1, jtypes, jvalues, true) != 1)
	{
		/*
		 * pg_cron shows a role only its own jobs: the job may belong to
		 * another member of the owner role, and would go on running the
		 * old name.  Refuse rather than leave it behind.
		 */
		SPI_finish();
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot move the pg_cron job " INT64_FORMAT " of pipeline \"%s\" to its new name", jobid, old_name),
				 errdetail("pg_cron shows role \"%s\" no job " INT64_FORMAT ": another role scheduled it, or it was removed in pg_cron.",
						   GetUserNameFromId(GetUserId(), false), jobid),
				 errhint("Rename the pipeline as the role that scheduled it (or a superuser).")));
	}
	cron = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	values[0] = CStringGetTextDatum(job_name(new_name));
	values[1] = CStringGetTextDatum(cron);
	values[2] = CStringGetTextDatum(psprintf("SELECT dataops.run(%s)", quote_literal_cstr(new_name)));
	if (cron_exec("SELECT cron.schedule($1, $2, $3)", 3, types, values, false) != 1)
		elog(ERROR, "cron.schedule returned no job id");
	new_jobid = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	if (new_jobid != jobid)
		unschedule_job(jobid);
	catalog_set_pipeline_cron_job(new_name, new_jobid);
}
