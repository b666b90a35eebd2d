/*
 * catalog_state.h: state steps and runs carry between attempts, in the
 * catalog (catalog_state.c): incremental and scd2 step state, watermarks of
 * earlier step runs, kept table versions, ingested bronze files and cancel
 * requests.
 *
 * Every statement runs through the SPI core (catalog_spi.h).  May use
 * catalog_spi.h only; other modules include catalog.h.
 */
#ifndef DATAOPS_CATALOG_STATE_H
#define DATAOPS_CATALOG_STATE_H

#include "postgres.h"
#include "nodes/pg_list.h"

extern bool catalog_run_cancel_requested(int64 run_id);
/* Running runs whose cancel was requested (int64 * list). */
extern List *catalog_cancel_requested_runs(void);
extern void catalog_request_run_cancel(int64 run_id);
/* dataops.cancel(): cancels a queued run, or flags a running one; false when it had finished. */
extern bool catalog_cancel_run(int64 run_id);

/* A kept version of a table target (dataops.table_versions). */
typedef struct TableVersion
{
	int64		run_id;
	char	   *relation;		/* schema.table, quoted where needed */
} TableVersion;
extern void catalog_add_table_version(const char *pipeline, const char *step, int64 run_id, const char *relation);
/* The kept versions of a step (TableVersion *), newest first. */
extern List *catalog_table_versions(const char *pipeline, const char *step);
extern void catalog_delete_table_version(const char *pipeline, const char *step, int64 run_id);
/* The watermark after the last successful attempt of the step before run_id (and that run); false if none. */
extern bool catalog_watermark_before(const char *pipeline, const char *step, int64 run_id, char **watermark,
									 int64 *from_run);

/*
 * Incremental and scd2 state of a step: false when none is recorded; else
 * sets *watermark (NULL: none yet) and *query_hash.
 */
extern bool catalog_get_step_state(const char *pipeline, const char *step, char **watermark, char **query_hash);
extern void catalog_set_step_state(const char *pipeline, const char *step, const char *watermark,
								   const char *query_hash, int64 run_id);

/* Bronze ingestion bookkeeping. */
extern bool catalog_file_ingested(const char *target, const char *path, int64 size, const char *sha256);
/* Whether a file was loaded into target from path with this size (so it may be a file already loaded). */
extern bool catalog_file_size_seen(const char *target, const char *path, int64 size);
extern void catalog_record_file(const char *target, const char *path, int64 size, const char *sha256,
								int64 rows, int64 run_id);
extern void catalog_forget_files(const char *target);

#endif							/* DATAOPS_CATALOG_STATE_H */
