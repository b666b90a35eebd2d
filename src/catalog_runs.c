/*
 * catalog_runs.c: persists runs and what they produce: runs (pipeline runs
 * and validations) and their queue, step runs (attempts), expectation
 * results, lineage records and the event log (with its history pruning and
 * append-only guard).
 *
 * It may use catalog_spi.h (the SPI core, catalog.c), catalog_defs.h (for
 * the StepDef and ExpectationDef it records) and PostgreSQL only.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "utils/timestamp.h"

#include "catalog_runs.h"
#include "catalog_spi.h"

/* True while catalog_prune_history deletes events (dataops_events_guard lets it). */
static bool pruning = false;

/* The scheduler's statements, run every turn: plans kept for the backend's life (catalog_spi.h). */
static CatalogPlan queued_runs_plan = {
	"WITH c AS ("
	"  SELECT DISTINCT ON (r.pipeline) r.run_id, r.pipeline, r.full_refresh "
	"  FROM dataops.runs r "
	"  WHERE r.status OPERATOR(pg_catalog.=) 'queued' AND r.kind OPERATOR(pg_catalog.=) 'pipeline' "
	"  AND (r.not_before IS NULL OR r.not_before OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp()) "
	"  AND NOT EXISTS (SELECT 1 FROM dataops.runs x WHERE x.pipeline OPERATOR(pg_catalog.=) r.pipeline "
	"    AND x.status OPERATOR(pg_catalog.=) 'running' AND x.kind OPERATOR(pg_catalog.=) 'pipeline') "
	"  ORDER BY r.pipeline, r.run_id), "
	"o AS (SELECT c.*, CAST(p.owner AS pg_catalog.text) AS owner, "
	"  pg_catalog.row_number() OVER (PARTITION BY CAST(p.owner AS pg_catalog.text) ORDER BY c.run_id) AS nth "
	"  FROM c LEFT JOIN dataops.pipelines p ON p.name OPERATOR(pg_catalog.=) c.pipeline), "
	"b AS (SELECT CAST(p.owner AS pg_catalog.text) AS owner, pg_catalog.count(*) AS running "
	"  FROM dataops.runs r JOIN dataops.pipelines p ON p.name OPERATOR(pg_catalog.=) r.pipeline "
	"  WHERE r.status OPERATOR(pg_catalog.=) 'running' AND r.kind OPERATOR(pg_catalog.=) 'pipeline' "
	"  GROUP BY 1) "
	"SELECT o.run_id, o.pipeline, o.full_refresh FROM o LEFT JOIN b ON b.owner OPERATOR(pg_catalog.=) o.owner "
	"ORDER BY CASE WHEN o.owner IS NULL THEN 1 ELSE o.nth OPERATOR(pg_catalog.+) COALESCE(b.running, 0) END, "
	"o.run_id LIMIT $1"
};
static CatalogPlan next_not_before_plan = {
	"SELECT pg_catalog.min(not_before) FROM dataops.runs WHERE status OPERATOR(pg_catalog.=) 'queued' "
	"AND not_before OPERATOR(pg_catalog.>) pg_catalog.clock_timestamp()"
};
static CatalogPlan has_open_runs_plan = {
	"SELECT 1 FROM dataops.runs WHERE status IN ('queued', 'running') "
	"AND kind = 'pipeline' LIMIT 1"
};
/* attempts continue where an earlier admission of the run (before a crash) stopped */
static CatalogPlan insert_step_attempt_plan = {
	"WITH n AS (SELECT coalesce(max(attempt), 0) + 1 AS attempt FROM dataops.step_runs "
	"  WHERE run_id = $1 AND step = $2), "
	"s AS (INSERT INTO dataops.step_runs (run_id, step, layer, target, status, attempt, started_at) "
	"  SELECT $1, $2, $3, $4, 'running', n.attempt, clock_timestamp() FROM n "
	"  RETURNING step_run_id, attempt) "
	"SELECT s.step_run_id, s.attempt, dataops._emit_event($1, $5, $2, 'step', 'running', "
	"pg_catalog.jsonb_build_object('attempt', s.attempt)) FROM s"
};
static CatalogPlan step_attempt_status_plan = {
	"SELECT status, error_message FROM dataops.step_runs WHERE step_run_id = $1"
};

int64
catalog_insert_validation_run(const char *relation, const char *suite, const char *triggered_by)
{
	CatalogArgs a = args_text2(relation, suite);
	CatalogRows *r;

	arg_text(&a, triggered_by);
	arg_int4(&a, MyProcPid, false);
	r = catalog_query("INSERT INTO dataops.runs (kind, relation, suite, status, triggered_by, worker_pid, started_at) "
					  "VALUES ('validation', $1, $2, 'running', $3, $4, clock_timestamp()) RETURNING run_id", &a);
	return row_int8(r, 0, 1);
}

void
catalog_insert_expectation_result(int64 run_id, const char *step, int attempt, const ExpectationResult *r)
{
	CatalogArgs a = {0};
	bool		table_level = r->missing_count < 0;

	arg_int8(&a, run_id, false);
	arg_text(&a, step);
	arg_text2(&a, r->def->name, r->def->kind);
	arg_text2(&a, r->def->action, r->def->column_name);
	arg_float8(&a, r->def->mostly, false);
	arg_int8(&a, r->element_count, false);
	arg_int8(&a, r->missing_count, table_level);
	arg_int8(&a, r->unexpected_count, table_level);
	arg_float8(&a, r->unexpected_percent, table_level || r->percent_null);
	arg_jsonb(&a, r->observed_value);
	arg_bool(&a, r->success);
	arg_jsonb(&a, r->partial_unexpected_list);
	arg_text(&a, r->def->suite);
	arg_text(&a, r->result_format ? r->result_format : "BASIC");
	arg_float8(&a, r->element_count > 0 ? (double) r->missing_count * 100.0 / (double) r->element_count : 0.0,
			   table_level || r->element_count == 0);
	arg_jsonb(&a, r->partial_unexpected_counts);
	arg_int4(&a, attempt, false);
	(void) catalog_query("INSERT INTO dataops.expectation_results (run_id, step, expectation, kind, action, column_name, "
						 "mostly, element_count, missing_count, unexpected_count, unexpected_percent, observed_value, "
						 "success, partial_unexpected_list, suite, result_format, missing_percent, partial_unexpected_counts, attempt) "
						 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
						 &a);
}

void
catalog_replace_lineage(const char *pipeline, const char *step, const char *target,
						int64 run_id, List *edges)
{
	CatalogArgs a = args_text2(pipeline, step);
	ListCell   *lc;

	(void) catalog_query("DELETE FROM dataops.lineage WHERE pipeline = $1 AND step = $2", &a);
	foreach(lc, edges)
	{
		LineageEdge *e = lfirst(lc);

		a.n = 2;
		arg_text2(&a, e->source_relation, e->source_column);
		arg_text2(&a, target, e->target_column);
		arg_int8(&a, run_id, false);
		arg_text(&a, e->transformation);
		(void) catalog_query("INSERT INTO dataops.lineage (pipeline, step, source_relation, source_column, "
							 "target_relation, target_column, run_id, transformation) "
							 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
							 &a);
	}
}

/* ---------- orchestration: runs, step attempts, events ---------- */

void
catalog_emit_event(int64 run_id, const char *pipeline, const char *step, const char *kind,
				   const char *status, const char *details_json)
{
	CatalogArgs a = {0};

	arg_int8(&a, run_id, run_id == 0);
	arg_text2(&a, pipeline, step);
	arg_text2(&a, kind, status);
	arg_text(&a, details_json);
	(void) catalog_query("SELECT dataops._emit_event($1, $2, $3, $4, $5, CAST($6 AS jsonb))", &a);
}

int64
catalog_insert_run(const char *pipeline, bool full_refresh, const char *triggered_by, int64 upstream_run_id)
{
	CatalogArgs a = {0};
	CatalogRows *r;

	arg_text(&a, pipeline);
	arg_bool(&a, full_refresh);
	arg_text(&a, triggered_by);
	arg_int8(&a, upstream_run_id, upstream_run_id == 0);
	r = catalog_query("WITH r AS (INSERT INTO dataops.runs (pipeline, status, full_refresh, triggered_by, upstream_run_id) "
					  "VALUES ($1, 'queued', $2, $3, $4) RETURNING run_id) "
					  "SELECT r.run_id, dataops._emit_event(r.run_id, $1, NULL, 'run', 'queued', "
					  "pg_catalog.jsonb_build_object('triggered_by', $3, 'full_refresh', $2, 'upstream_run_id', $4)) FROM r",
					  &a);
	return row_int8(r, 0, 1);
}

List *
catalog_queued_runs(int limit, TimestampTz *next_not_before)
{
	CatalogArgs a = {0};
	CatalogRows *r;
	List	   *result = NIL;
	uint64		i;
	bool		isnull;
	Datum		d;

	arg_int8(&a, limit, false);

	/*
	 * Fair admission.  Only the oldest queued run of each pipeline that has
	 * no running run is a candidate (one run per pipeline at a time, in
	 * arrival order), so the
	 * backlog of one pipeline cannot hide the others behind a fixed limit.
	 * The candidates are then taken round-robin across the pipelines'
	 * owners: an owner's k-th candidate, counting its runs already running,
	 * comes after every owner's (k-1)-th, and among equals the oldest run
	 * first.  A run whose pipeline (and so owner) is gone counts as its own
	 * owner; admit_run fails it.
	 */
	r = catalog_spi(NULL, &queued_runs_plan, &a, CATALOG_WRITE);
	for (i = 0; i < r->n; i++)
	{
		QueuedRun  *q = palloc0(sizeof(QueuedRun));

		q->run_id = row_int8(r, i, 1);
		q->pipeline = row_text(r, i, 2);
		q->full_refresh = DatumGetBool(row_datum(r, i, 3, &isnull));
		result = lappend(result, q);
	}
	*next_not_before = 0;
	r = catalog_spi(NULL, &next_not_before_plan, NULL, CATALOG_WRITE);
	if (r->n == 1)
	{
		d = row_datum(r, 0, 1, &isnull);
		if (!isnull)
			*next_not_before = DatumGetTimestampTz(d);
	}
	return result;
}

bool
catalog_set_run_running(int64 run_id, int pid)
{
	CatalogArgs a = {0};

	arg_int8(&a, run_id, false);
	arg_int4(&a, pid, false);
	/* only if still queued: dataops.cancel() may have won the row */
	return catalog_query("WITH r AS (UPDATE dataops.runs SET status = 'running', started_at = clock_timestamp(), "
						 "worker_pid = $2 WHERE run_id = $1 AND status = 'queued' RETURNING run_id, pipeline) "
						 "SELECT dataops._emit_event(r.run_id, r.pipeline, NULL, 'run', 'running', '{}') FROM r",
						 &a)->n > 0;
}

void
catalog_finish_run(int64 run_id, const char *status, const char *error_message,
				   const char *error_detail, const char *sqlstate, const char *failed_step)
{
	CatalogArgs a = {0};

	arg_int8(&a, run_id, false);
	arg_text2(&a, status, error_message);
	arg_text2(&a, error_detail, sqlstate);
	arg_text(&a, failed_step);
	(void) catalog_query("WITH r AS (UPDATE dataops.runs SET status = $2, finished_at = clock_timestamp(), "
						 "started_at = coalesce(started_at, clock_timestamp()), "
						 "error_message = $3, error_detail = $4, error_sqlstate = $5, failed_step = $6 "
						 "WHERE run_id = $1 RETURNING run_id, pipeline, started_at, finished_at) "
						 "SELECT dataops._emit_event(r.run_id, r.pipeline, NULL, 'run', $2, "
						 "pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('error', $3, 'failed_step', $6, "
						 "'sqlstate', $5, 'duration', CAST(r.finished_at - r.started_at AS text)))) FROM r",
						 &a);
}

int
catalog_recover_orphaned_runs(void)
{
	uint64		n;

	/*
	 * Every run still marked running lost its scheduler (only one runs per
	 * database): the server restarted or crashed.  Its running attempts
	 * crashed.  With retry_on_crash the run is queued again, after a backoff
	 * that doubles with each crash (10 s, 20 s, ... capped at 1 h), and given
	 * up after 5 crashes, so a step that crashes the server is not retried in
	 * a tight loop (TimescaleDB's crash accounting).
	 */
	(void) catalog_query("WITH s AS (UPDATE dataops.step_runs s SET status = 'crashed', finished_at = clock_timestamp(), "
						 "error_message = 'the server restarted while the step was running' "
						 "FROM dataops.runs r WHERE s.run_id = r.run_id AND r.status = 'running' AND s.status = 'running' "
						 "RETURNING s.run_id, r.pipeline, s.step, s.attempt) "
						 "SELECT dataops._emit_event(s.run_id, s.pipeline, s.step, 'step', 'crashed', "
						 "pg_catalog.jsonb_build_object('attempt', s.attempt)) FROM s",
						 NULL);
	n = catalog_query("WITH o AS (SELECT r.run_id, r.crash_count + 1 AS crashes, "
					  "  coalesce((p.options->>'retry_on_crash')::boolean, false) AS retry "
					  "  FROM dataops.runs r LEFT JOIN dataops.pipelines p ON p.name = r.pipeline "
					  "  WHERE r.status = 'running' AND r.kind = 'pipeline' FOR UPDATE OF r), "
					  "u AS (UPDATE dataops.runs r SET crash_count = o.crashes, "
					  "  status = CASE WHEN o.retry AND o.crashes <= 5 THEN 'queued' ELSE 'failed' END, "
					  "  not_before = CASE WHEN o.retry AND o.crashes <= 5 THEN clock_timestamp() + "
					  "    least(interval '10 seconds' * power(2, o.crashes - 1), interval '1 hour') END, "
					  "  finished_at = CASE WHEN o.retry AND o.crashes <= 5 THEN NULL ELSE clock_timestamp() END, "
					  "  error_message = CASE WHEN o.retry AND o.crashes <= 5 THEN NULL "
					  "    WHEN o.retry THEN 'server restarted while the run was running (' || o.crashes || ' times); not retried again' "
					  "    ELSE 'server restarted while the run was running' END "
					  "  FROM o WHERE r.run_id = o.run_id "
					  "  RETURNING r.run_id, r.pipeline, r.status, r.not_before, r.crash_count) "
					  "SELECT dataops._emit_event(u.run_id, u.pipeline, NULL, 'run', u.status, "
					  "pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('reason', 'server restarted', "
					  "'crash_count', u.crash_count, 'not_before', u.not_before))) FROM u",
					  NULL)->n;
	/* validations run in their caller's backend: only a server restart ends them */
	(void) catalog_query("UPDATE dataops.runs SET status = 'failed', finished_at = clock_timestamp(), "
						 "error_message = 'server restarted while the validation was running' "
						 "WHERE kind = 'validation' AND status = 'running' AND started_at < pg_postmaster_start_time()",
						 NULL);
	return (int) n;
}

/* Appends run_id, the step's name, layer and target: the first parameters of a step_runs insert. */
static void
arg_step_run(CatalogArgs *a, int64 run_id, const StepDef *step)
{
	arg_int8(a, run_id, false);
	arg_text2(a, step->name, step->layer);
	arg_text(a, psprintf("%s.%s", step->target_schema, step->target_table));
}

int64
catalog_insert_step_attempt(int64 run_id, const StepDef *step, int *attempt)
{
	CatalogArgs a = {0};
	CatalogRows *r;
	bool		isnull;

	arg_step_run(&a, run_id, step);
	arg_text(&a, step->pipeline);
	r = catalog_spi(NULL, &insert_step_attempt_plan, &a, CATALOG_WRITE);
	*attempt = DatumGetInt32(row_datum(r, 0, 2, &isnull));
	return row_int8(r, 0, 1);
}

void
catalog_delete_step_attempt(int64 step_run_id)
{
	(void) catalog_query_int8_arg("DELETE FROM dataops.step_runs WHERE step_run_id = $1", step_run_id);
}

StepAttempt *
catalog_get_step_attempt(int64 step_run_id)
{
	CatalogRows *r;
	StepAttempt *sa = NULL;

	/* read-only: the worker's pid is recorded with the outcome, in the step's own transaction */
	r = catalog_query_int8_arg("SELECT s.run_id, r.pipeline, s.step, s.attempt, r.full_refresh, s.status, r.cancel_requested "
							   "FROM dataops.step_runs s JOIN dataops.runs r USING (run_id) WHERE s.step_run_id = $1",
							   step_run_id);
	if (r->n == 1)
	{
		bool		isnull;

		sa = palloc0(sizeof(StepAttempt));
		sa->step_run_id = step_run_id;
		sa->run_id = row_int8(r, 0, 1);
		sa->pipeline = row_text(r, 0, 2);
		sa->step = row_text(r, 0, 3);
		sa->attempt = DatumGetInt32(row_datum(r, 0, 4, &isnull));
		sa->full_refresh = DatumGetBool(row_datum(r, 0, 5, &isnull));
		sa->status = row_text(r, 0, 6);
		sa->cancel_requested = DatumGetBool(row_datum(r, 0, 7, &isnull));
	}
	return sa;
}

char *
catalog_step_attempt_status(int64 step_run_id, char **error_message)
{
	CatalogArgs a = {0};
	CatalogRows *r;

	*error_message = NULL;
	arg_int8(&a, step_run_id, false);
	r = catalog_spi(NULL, &step_attempt_status_plan, &a, CATALOG_WRITE);
	if (r->n != 1)
		return NULL;
	*error_message = row_text(r, 0, 2);
	return row_text(r, 0, 1);
}

void
catalog_finish_step_attempt(int64 step_run_id, const char *status, const StepCounts *c,
							const char *error_message, const char *error_detail, const char *sqlstate,
							bool bronze_files)
{
	CatalogArgs a = {0};
	bool		have = (c != NULL);
	bool		merged;
	bool		step_worker = MyBgworkerEntry && strcmp(MyBgworkerEntry->bgw_type, "dataops step") == 0;

	bronze_files = bronze_files && have;
	merged = have && c->merged;
	arg_int8(&a, step_run_id, false);
	arg_text(&a, status);
	arg_int8(&a, have ? c->rows_read : 0, !have);
	arg_int8(&a, have ? c->rows_written : 0, !have);
	arg_int8(&a, have ? c->duplicates_removed : 0, !have);
	arg_int8(&a, have ? c->rows_quarantined : 0, !have);
	arg_int8(&a, bronze_files ? c->files_ingested : 0, !bronze_files);
	arg_int8(&a, bronze_files ? c->files_skipped : 0, !bronze_files);
	arg_bool(&a, have && c->target_recreated);
	arg_text2(&a, error_message, error_detail);
	arg_text(&a, sqlstate);
	arg_int4(&a, step_worker ? MyProcPid : 0, !step_worker);
	arg_int8(&a, merged ? c->rows_inserted : 0, !merged);
	arg_int8(&a, merged ? c->rows_updated : 0, !merged);
	arg_int8(&a, merged ? c->rows_deleted : 0, !merged);
	arg_text(&a, have ? c->watermark : NULL);
	(void) catalog_query("WITH s AS (UPDATE dataops.step_runs SET status = $2, rows_read = $3, rows_written = $4, "
						 "duplicates_removed = $5, rows_quarantined = $6, files_ingested = $7, files_skipped = $8, "
						 "target_recreated = $9, error_message = $10, error_detail = $11, error_sqlstate = $12, "
						 "worker_pid = coalesce($13, worker_pid), rows_inserted = $14, rows_updated = $15, rows_deleted = $16, "
						 "watermark = $17, finished_at = clock_timestamp() WHERE step_run_id = $1 "
						 "RETURNING run_id, step, attempt, started_at, finished_at), "
						 "r AS (SELECT s.*, r.pipeline FROM s JOIN dataops.runs r USING (run_id)) "
						 "SELECT dataops._emit_event(r.run_id, r.pipeline, r.step, 'step', $2, "
						 "pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('attempt', r.attempt, "
						 "'rows_written', $4, 'rows_quarantined', $6, 'error', $10, 'sqlstate', $12, "
						 "'duration', CAST(r.finished_at - r.started_at AS text)))) FROM r",
						 &a);
}

void
catalog_set_step_retry(int64 step_run_id, TimestampTz retry_at)
{
	CatalogArgs a = {0};

	arg_int8(&a, step_run_id, false);
	arg_datum(&a, TIMESTAMPTZOID, TimestampTzGetDatum(retry_at), false);
	(void) catalog_query("WITH s AS (UPDATE dataops.step_runs SET retry_at = $2 WHERE step_run_id = $1 "
						 "RETURNING run_id, step, attempt) "
						 "SELECT dataops._emit_event(s.run_id, r.pipeline, s.step, 'step', 'retrying', "
						 "pg_catalog.jsonb_build_object('attempt', s.attempt, 'retry_at', $2)) "
						 "FROM s JOIN dataops.runs r USING (run_id)",
						 &a);
}

void
catalog_mark_step(int64 run_id, const StepDef *step, const char *status, const char *reason)
{
	CatalogArgs a = {0};

	arg_step_run(&a, run_id, step);
	arg_text2(&a, status, reason);
	arg_text(&a, step->pipeline);
	(void) catalog_query("WITH s AS (INSERT INTO dataops.step_runs (run_id, step, layer, target, status, attempt, finished_at, error_message) "
						 "  SELECT $1, $2, $3, $4, $5, coalesce(max(attempt), 0) + 1, clock_timestamp(), $6 "
						 "  FROM dataops.step_runs WHERE run_id = $1 AND step = $2 RETURNING attempt) "
						 "SELECT dataops._emit_event($1, $7, $2, 'step', $5, "
						 "pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('attempt', s.attempt, 'reason', $6))) FROM s",
						 &a);
}

RunInfo *
catalog_get_run_info(int64 run_id)
{
	CatalogArgs a = {0};
	CatalogRows *r;
	RunInfo    *ri = NULL;

	arg_int8(&a, run_id, false);
	r = catalog_spi("SELECT pipeline, status, error_message, error_detail, error_sqlstate, failed_step, kind "
					"FROM dataops.runs WHERE run_id OPERATOR(pg_catalog.=) $1", NULL, &a, CATALOG_READ_FRESH);
	if (r->n == 1)
	{
		ri = palloc0(sizeof(RunInfo));
		ri->pipeline = row_text(r, 0, 1);
		ri->status = row_text(r, 0, 2);
		ri->error_message = row_text(r, 0, 3);
		ri->error_detail = row_text(r, 0, 4);
		ri->sqlstate = row_text(r, 0, 5);
		ri->failed_step = row_text(r, 0, 6);
		ri->kind = row_text(r, 0, 7);
	}
	return ri;
}

void
catalog_run_error_from_steps(int64 run_id, char **step, char **message, char **detail, char **sqlstate)
{
	CatalogRows *r;

	*step = *message = *detail = *sqlstate = NULL;
	r = catalog_query_int8_arg("SELECT step, error_message, error_detail, error_sqlstate FROM dataops.step_runs "
							   "WHERE run_id = $1 AND status IN ('failed', 'timed_out', 'crashed') "
							   "ORDER BY finished_at, step_run_id LIMIT 1", run_id);
	if (r->n == 1)
	{
		*step = row_text(r, 0, 1);
		*message = row_text(r, 0, 2);
		*detail = row_text(r, 0, 3);
		*sqlstate = row_text(r, 0, 4);
	}
}

bool
catalog_run_is_open(int64 run_id)
{
	return catalog_query_int8_arg("SELECT 1 FROM dataops.runs WHERE run_id = $1 AND status IN ('queued', 'running')", run_id)->n > 0;
}

bool
catalog_pipeline_has_open_runs(const char *pipeline)
{
	return catalog_query_text_arg("SELECT 1 FROM dataops.runs WHERE pipeline = $1 AND status IN ('queued', 'running') LIMIT 1",
								  pipeline)->n > 0;
}

bool
catalog_has_open_runs(void)
{
	return catalog_spi(NULL, &has_open_runs_plan, NULL, CATALOG_WRITE)->n > 0;
}

void
catalog_prune_history(const char *retention)
{
	CatalogArgs a = {0};

	arg_text(&a, retention);
	(void) catalog_query("DELETE FROM dataops.runs WHERE finished_at < clock_timestamp() - CAST($1 AS interval) "
						 "AND status NOT IN ('queued', 'running')", &a);
	pruning = true;
	PG_TRY();
	{
		(void) catalog_query("DELETE FROM dataops.events WHERE at < clock_timestamp() - CAST($1 AS interval)", &a);
	}
	PG_FINALLY();
	{
		pruning = false;
	}
	PG_END_TRY();
}

/*
 * dataops._events_guard(): trigger on dataops.events refusing UPDATE,
 * DELETE and TRUNCATE (42501) except from catalog_prune_history: the event
 * log is append-only, as Delta Live Tables' event log.
 */
PG_FUNCTION_INFO_V1(dataops_events_guard);
Datum
dataops_events_guard(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "dataops_events_guard: not called as a trigger");
	if (!pruning)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("dataops.events is append-only"),
				 errdetail("Events are removed only by dataops' history retention (dataops.history_retention)."),
				 errhint("Lower dataops.history_retention to keep fewer events.")));
	if (TRIGGER_FIRED_FOR_ROW(td->tg_event))
		return PointerGetDatum(TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple);
	return PointerGetDatum(NULL);
}

/* ---------- orchestration: access checks and the queue cap (0.5.0) ---------- */

/*
 * catalog_get_run_access: what dataops.wait() and dataops.cancel() check
 * before they read anything else of a run.  Returns false when there is no
 * run `run_id`; else sets *kind (pipeline, validation) and *owner: the role
 * name that may act on the run (the pipeline's owner; for a validation, the
 * role that ran it), NULL when the pipeline no longer exists.  Read with
 * the latest snapshot, search_path pinned, operators qualified.
 */
bool
catalog_get_run_access(int64 run_id, char **kind, char **owner)
{
	CatalogArgs a = {0};
	CatalogRows *r;

	*kind = *owner = NULL;
	arg_int8(&a, run_id, false);
	r = catalog_spi("SELECT r.kind, CASE WHEN r.kind OPERATOR(pg_catalog.=) 'pipeline' "
					"THEN CAST(p.owner AS pg_catalog.text) ELSE r.triggered_by END "
					"FROM dataops.runs r LEFT JOIN dataops.pipelines p "
					"ON r.kind OPERATOR(pg_catalog.=) 'pipeline' AND p.name OPERATOR(pg_catalog.=) r.pipeline "
					"WHERE r.run_id OPERATOR(pg_catalog.=) $1", NULL, &a, CATALOG_READ_FRESH);
	if (r->n != 1)
		return false;
	*kind = row_text(r, 0, 1);
	*owner = row_text(r, 0, 2);
	return true;
}

/*
 * catalog_owner_queued_runs: the number of queued runs of the pipelines
 * owned by role `owner` (dataops.max_queued_runs_per_owner caps it).
 */
int64
catalog_owner_queued_runs(const char *owner)
{
	CatalogRows *r;

	r = catalog_query_text_arg("SELECT pg_catalog.count(*) FROM dataops.runs r JOIN dataops.pipelines p "
							   "ON p.name OPERATOR(pg_catalog.=) r.pipeline "
							   "WHERE r.status OPERATOR(pg_catalog.=) 'queued' AND r.kind OPERATOR(pg_catalog.=) 'pipeline' "
							   "AND CAST(p.owner AS pg_catalog.text) OPERATOR(pg_catalog.=) $1", owner);
	return r->n == 1 ? row_int8(r, 0, 1) : 0;
}

/* ---------- SLAs (issue 12) ---------- */

/* Whether this database's dataops has the SLA functions (0.7.0; an older script with a newer library does not). */
static bool
catalog_has_sla_functions(void)
{
	return catalog_query("SELECT 1 WHERE pg_catalog.to_regprocedure('dataops._evaluate_slas(timestamptz)') IS NOT NULL",
						 NULL)->n > 0;
}

int
catalog_evaluate_slas(void)
{
	CatalogRows *r;

	if (!catalog_has_sla_functions())
		return 0;
	r = catalog_query("SELECT CAST(dataops._evaluate_slas(pg_catalog.now()) AS bigint)", NULL);
	return r->n > 0 ? (int) row_int8(r, 0, 1) : 0;
}

bool
catalog_has_sla_work(void)
{
	if (!catalog_has_sla_functions())
		return false;
	return catalog_query("SELECT 1 WHERE dataops._has_sla_work()", NULL)->n > 0;
}

/*
 * dataops._metrics_health() → SETOF (pipeline text, success_rate numeric,
 * mttr interval, target_mttr interval, mtbf interval, target_mtbf
 * interval, dq_score numeric, dq_expectations_passed numeric,
 * target_dq_score numeric, sla_compliance numeric, target_sla_compliance
 * numeric, status text): dataops.health() over its default window, read as
 * the extension owner (so row-level security does not hide the pipelines
 * of other owners), for the pipelines the calling role may see by the rule
 * of dataops.metrics: it has the privileges of their owner, or of
 * pg_monitor.  The caller is GetUserId() taken before the switch, so no
 * argument can widen it.  Only figures are returned.  Raises what
 * dataops.health() raises.
 */
PG_FUNCTION_INFO_V1(dataops_metrics_health);
Datum
dataops_metrics_health(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CatalogArgs a = {0};
	CatalogRows *r;
	uint64		i;

	InitMaterializedSRF(fcinfo, 0);
	arg_datum(&a, OIDOID, ObjectIdGetDatum(GetUserId()), false);
	r = catalog_spi("SELECT h.pipeline, h.success_rate, h.mttr, h.target_mttr, h.mtbf, h.target_mtbf, "
					"h.dq_score, h.dq_expectations_passed, h.target_dq_score, h.sla_compliance, "
					"h.target_sla_compliance, h.status "
					"FROM dataops.health() h JOIN dataops.pipelines p ON p.name OPERATOR(pg_catalog.=) h.pipeline "
					"WHERE pg_catalog.pg_has_role($1, 'pg_monitor', 'USAGE') "
					"OR EXISTS (SELECT 1 FROM pg_catalog.pg_roles o WHERE o.rolname OPERATOR(pg_catalog.=) p.owner "
					"AND pg_catalog.pg_has_role($1, o.oid, 'USAGE')) "
					"ORDER BY h.pipeline",
					NULL, &a, CATALOG_READ_FRESH);
	for (i = 0; i < r->n; i++)
	{
		Datum		values[12];
		bool		nulls[12];
		int			c;

		CHECK_FOR_INTERRUPTS();
		for (c = 0; c < 12; c++)
			values[c] = row_datum(r, i, c + 1, &nulls[c]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
