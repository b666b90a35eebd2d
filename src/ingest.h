/*
 * ingest.h: bronze ingestion of CSV files.
 */
#ifndef DATAOPS_INGEST_H
#define DATAOPS_INGEST_H

#include "postgres.h"
#include "catalog.h"

/*
 * ingest_step: loads every file matching step->source (a path or glob) that
 * no earlier run loaded (same path, size and SHA-256) into the step's
 * target with COPY, creating the target (CSV columns as text, named after
 * the header in lower snake_case, plus _source_file, _ingested_at and
 * _run_id) or adding new columns as needed.  full_refresh truncates the
 * target and reloads every file.  Fills counts and appends the files read
 * to *lineage.  Raises 58P01 (undefined_file) when nothing matches, and
 * COPY's error (22P04, 22021, ...) prefixed with the file name and line for
 * a malformed file; the caller's transaction then keeps none of its rows.
 * Before it touches the file system it checks the privileges of `owner` (the
 * pipeline's owner) and the current role as ingest_check_read_privilege
 * (42501).  The source's wildcards are expanded
 * in sorted (byte) order by a bounded walk: 54000 (program_limit_exceeded)
 * past 10,000 matching paths or 100,000 directory entries read.  A file
 * whose header has more columns than a table holds raises 54011, a header
 * naming _source_file, _ingested_at or _run_id 42701.
 * The caller has connected SPI.
 */
extern void ingest_step(const StepDef *step, Oid owner, int64 run_id, bool full_refresh,
						StepCounts *counts, List **lineage);

/*
 * ingest_check_read_privilege: returns when both `owner` (the pipeline's
 * owner) and the current role have the privileges of pg_read_server_files
 * (as COPY FROM a file requires), else raises 42501
 * (insufficient_privilege) naming the step and pipeline, and never the
 * source: the error is the same whether the files exist or not.  Touches no
 * file.  Used by add_step for a step with a source and by every run of it.
 */
extern void ingest_check_read_privilege(Oid owner, const char *pipeline, const char *step);

/*
 * ingest_normalize_name: "User Id" -> "user_id", "Date of birth" ->
 * "date_of_birth", "CustomerID" -> "customer_id"; palloc'd.
 */
extern char *ingest_normalize_name(const char *name);

#endif							/* DATAOPS_INGEST_H */
