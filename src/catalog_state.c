/*
 * catalog_state.c: persists the state steps and runs carry between
 * attempts: incremental and scd2 step state (watermark, query hash), the
 * watermarks of earlier step runs, kept table versions, the bronze files
 * already ingested, and cancel requests of runs.
 *
 * It may use catalog_spi.h (the SPI core, catalog.c) and PostgreSQL only.
 */
#include "postgres.h"

#include "catalog_spi.h"
#include "catalog_state.h"

/* Run every scheduler turn: its plan is kept for the backend's life (catalog_spi.h). */
static CatalogPlan cancel_requested_runs_plan = {
	"SELECT run_id FROM dataops.runs WHERE status = 'running' AND cancel_requested"
};

/* Appends pipeline, step and run_id: the key of a step's record of one run. */
static void
arg_step_run_key(CatalogArgs *a, const char *pipeline, const char *step, int64 run_id)
{
	arg_text2(a, pipeline, step);
	arg_int8(a, run_id, false);
}

bool
catalog_get_step_state(const char *pipeline, const char *step, char **watermark, char **query_hash)
{
	CatalogArgs a = args_text2(pipeline, step);
	CatalogRows *r;

	*watermark = *query_hash = NULL;
	r = catalog_query("SELECT watermark, query_hash FROM dataops.step_state WHERE pipeline = $1 AND step = $2", &a);
	if (r->n != 1)
		return false;
	*watermark = row_text(r, 0, 1);
	*query_hash = row_text(r, 0, 2);
	return true;
}

void
catalog_set_step_state(const char *pipeline, const char *step, const char *watermark,
					   const char *query_hash, int64 run_id)
{
	CatalogArgs a = args_text2(pipeline, step);

	arg_text2(&a, watermark, query_hash);
	arg_int8(&a, run_id, false);
	(void) catalog_query("INSERT INTO dataops.step_state (pipeline, step, watermark, query_hash, run_id) "
						 "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (pipeline, step) DO UPDATE SET "
						 "watermark = EXCLUDED.watermark, query_hash = EXCLUDED.query_hash, run_id = EXCLUDED.run_id, "
						 "updated_at = clock_timestamp()", &a);
}

bool
catalog_watermark_before(const char *pipeline, const char *step, int64 run_id, char **watermark, int64 *from_run)
{
	CatalogArgs a = {0};
	CatalogRows *r;

	*watermark = NULL;
	*from_run = 0;
	arg_step_run_key(&a, pipeline, step, run_id);
	r = catalog_query("SELECT s.watermark, s.run_id FROM dataops.step_runs s JOIN dataops.runs r USING (run_id) "
					  "WHERE r.pipeline = $1 AND s.step = $2 AND s.run_id < $3 AND s.status = 'succeeded' "
					  "ORDER BY s.run_id DESC, s.attempt DESC LIMIT 1", &a);
	if (r->n != 1)
		return false;
	*watermark = row_text(r, 0, 1);
	*from_run = row_int8(r, 0, 2);
	return true;
}

/* ---------- kept table versions ---------- */

void
catalog_add_table_version(const char *pipeline, const char *step, int64 run_id, const char *relation)
{
	CatalogArgs a = {0};

	arg_step_run_key(&a, pipeline, step, run_id);
	arg_text(&a, relation);
	(void) catalog_query("INSERT INTO dataops.table_versions (pipeline, step, run_id, relation) VALUES ($1, $2, $3, $4) "
						 "ON CONFLICT (pipeline, step, run_id) DO UPDATE SET relation = EXCLUDED.relation, "
						 "created_at = clock_timestamp()", &a);
}

List *
catalog_table_versions(const char *pipeline, const char *step)
{
	CatalogArgs a = args_text2(pipeline, step);
	CatalogRows *r;
	List	   *result = NIL;
	uint64		i;

	r = catalog_query("SELECT run_id, relation FROM dataops.table_versions WHERE pipeline = $1 AND step = $2 "
					  "ORDER BY run_id DESC", &a);
	for (i = 0; i < r->n; i++)
	{
		TableVersion *v = palloc(sizeof(TableVersion));

		v->run_id = row_int8(r, i, 1);
		v->relation = row_text(r, i, 2);
		result = lappend(result, v);
	}
	return result;
}

void
catalog_delete_table_version(const char *pipeline, const char *step, int64 run_id)
{
	CatalogArgs a = {0};

	arg_step_run_key(&a, pipeline, step, run_id);
	(void) catalog_query("DELETE FROM dataops.table_versions WHERE pipeline = $1 AND step = $2 AND run_id = $3", &a);
}

/* ---------- bronze ingestion bookkeeping ---------- */

bool
catalog_file_ingested(const char *target, const char *path, int64 size, const char *sha256)
{
	CatalogArgs a = args_text2(target, path);

	arg_int8(&a, size, false);
	arg_text(&a, sha256);
	return catalog_query("SELECT 1 FROM dataops.ingested_files WHERE target = $1 AND path = $2 "
						 "AND size_bytes = $3 AND sha256 = $4", &a)->n > 0;
}

bool
catalog_file_size_seen(const char *target, const char *path, int64 size)
{
	CatalogArgs a = args_text2(target, path);

	arg_int8(&a, size, false);
	return catalog_query("SELECT 1 FROM dataops.ingested_files WHERE target = $1 AND path = $2 "
						 "AND size_bytes = $3 LIMIT 1", &a)->n > 0;
}

void
catalog_record_file(const char *target, const char *path, int64 size, const char *sha256,
					int64 rows, int64 run_id)
{
	CatalogArgs a = args_text2(target, path);

	arg_int8(&a, size, false);
	arg_text(&a, sha256);
	arg_int8(&a, rows, false);
	arg_int8(&a, run_id, false);
	(void) catalog_query("INSERT INTO dataops.ingested_files (target, path, size_bytes, sha256, rows_loaded, run_id) "
						 "VALUES ($1, $2, $3, $4, $5, $6)", &a);
}

void
catalog_forget_files(const char *target)
{
	(void) catalog_query_text_arg("DELETE FROM dataops.ingested_files WHERE target = $1", target);
}

/* ---------- cancel requests ---------- */

bool
catalog_run_cancel_requested(int64 run_id)
{
	return catalog_query_int8_arg("SELECT 1 FROM dataops.runs WHERE run_id = $1 AND cancel_requested", run_id)->n > 0;
}

List *
catalog_cancel_requested_runs(void)
{
	CatalogRows *r = catalog_spi(NULL, &cancel_requested_runs_plan, NULL, CATALOG_WRITE);

	return rows_int8_list(r);
}

void
catalog_request_run_cancel(int64 run_id)
{
	(void) catalog_query_int8_arg("UPDATE dataops.runs SET cancel_requested = true WHERE run_id = $1", run_id);
}

bool
catalog_cancel_run(int64 run_id)
{
	CatalogArgs a = {0};
	uint64		n;

	arg_int8(&a, run_id, false);
	n = catalog_query("WITH r AS (UPDATE dataops.runs SET status = 'canceled', finished_at = clock_timestamp(), "
					  "cancel_requested = true, error_message = 'canceled while queued' "
					  "WHERE run_id = $1 AND status = 'queued' RETURNING run_id, pipeline) "
					  "SELECT dataops._emit_event(r.run_id, r.pipeline, NULL, 'run', 'canceled', "
					  "'{\"reason\": \"canceled while queued\"}') FROM r",
					  &a)->n;
	if (n == 0)
		n = catalog_query("WITH r AS (UPDATE dataops.runs SET cancel_requested = true "
						  "WHERE run_id = $1 AND status = 'running' AND NOT cancel_requested RETURNING run_id, pipeline) "
						  "SELECT dataops._emit_event(r.run_id, r.pipeline, NULL, 'run', 'canceling', '{}') FROM r",
						  &a)->n;
	if (n == 0)
		n = catalog_query("SELECT 1 FROM dataops.runs WHERE run_id = $1 AND status = 'running'", &a)->n;
	return n > 0;
}
