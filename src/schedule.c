/*
 * schedule.c: dataops.schedule() and dataops.unschedule().
 *
 * A schedule is a pg_cron job named "dataops:<pipeline>" whose command is
 * SELECT dataops.run('<pipeline>').  The job is created through pg_cron's
 * own API (cron.schedule) as the calling role, so it runs as that role.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"

#include "api.h"
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

static char *
job_name(const char *pipeline)
{
	return psprintf("dataops:%s", pipeline);
}

/* True if pg_cron has a job of that name owned by the current user. */
static bool
job_exists(const char *name)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	bool		found;

	values[0] = CStringGetTextDatum(name);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT 1 FROM cron.job WHERE jobname = $1", 1, types, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read cron.job");
	found = SPI_processed > 0;
	SPI_finish();
	return found;
}

static void
unschedule_job(const char *name)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1];

	values[0] = CStringGetTextDatum(name);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT cron.unschedule($1)", 1, types, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "cron.unschedule failed");
	SPI_finish();
}

void
schedule_remove_if_any(const char *pipeline)
{
	if (!OidIsValid(get_extension_oid("pg_cron", true)))
		return;
	if (job_exists(job_name(pipeline)))
		unschedule_job(job_name(pipeline));
}

/*
 * dataops.schedule(pipeline text, schedule text) → bigint: creates or
 * replaces the pg_cron job of the pipeline and returns its job id.
 * Raises 55000 without pg_cron, and pg_cron's own error for a bad schedule.
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

	api_require_arg(PG_ARGISNULL(0), "pipeline");
	api_require_arg(PG_ARGISNULL(1), "schedule");
	pipeline = text_to_cstring(PG_GETARG_TEXT_PP(0));
	schedule = text_to_cstring(PG_GETARG_TEXT_PP(1));
	require_pg_cron();
	(void) api_lookup_owned_pipeline(pipeline, "schedule");

	values[0] = CStringGetTextDatum(job_name(pipeline));
	values[1] = CStringGetTextDatum(schedule);
	values[2] = CStringGetTextDatum(psprintf("SELECT dataops.run(%s)", quote_literal_cstr(pipeline)));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT cron.schedule($1, $2, $3)", 3, types, values, NULL, false, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "cron.schedule failed");
	jobid = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	PG_RETURN_INT64(jobid);
}

/*
 * dataops.unschedule(pipeline text) → void: removes the pipeline's pg_cron
 * job.  Raises 42704 when the pipeline has no schedule.
 */
PG_FUNCTION_INFO_V1(dataops_unschedule);
Datum
dataops_unschedule(PG_FUNCTION_ARGS)
{
	char	   *pipeline;

	api_require_arg(PG_ARGISNULL(0), "pipeline");
	pipeline = text_to_cstring(PG_GETARG_TEXT_PP(0));
	require_pg_cron();
	(void) api_lookup_owned_pipeline(pipeline, "unschedule");
	if (!job_exists(job_name(pipeline)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("pipeline \"%s\" has no schedule", pipeline),
				 errhint("Schedule it with dataops.schedule().")));
	unschedule_job(job_name(pipeline));
	PG_RETURN_VOID();
}
