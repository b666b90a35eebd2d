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
 * The caller has connected SPI.
 */
extern void ingest_step(const StepDef *step, int64 run_id, bool full_refresh,
						StepCounts *counts, List **lineage);

/*
 * ingest_normalize_name: "User Id" -> "user_id", "Date of birth" ->
 * "date_of_birth", "CustomerID" -> "customer_id"; palloc'd.
 */
extern char *ingest_normalize_name(const char *name);

#endif							/* DATAOPS_INGEST_H */
