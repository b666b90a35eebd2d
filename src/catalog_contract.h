/*
 * catalog_contract.h: the catalog rows data contracts write (issue 14,
 * ODCS v3.1.0; catalog_contract.c, part of the catalog module): the marks
 * on the expectations a contract created (dataops.expectations.contract_id
 * and contract_version) and the columns' classification and tags
 * (dataops.column_tags), and the contracts applied to each pipeline with
 * the SLA they set (dataops.pipeline_contracts).
 *
 * Every statement runs through the SPI core (catalog_spi.h): as the
 * extension owner, search_path "pg_catalog, pg_temp", values as
 * parameters.  The callers (contract.c) check the caller's privilege on the
 * pipeline first (args_owned_pipeline).
 */
#ifndef DATAOPS_CATALOG_CONTRACT_H
#define DATAOPS_CATALOG_CONTRACT_H

#include "postgres.h"
#include "utils/array.h"
#include "utils/jsonb.h"

/*
 * catalog_contract_mark: sets contract_id and contract_version of the
 * expectations of step (pipeline, step) named in `names` (a text[]).
 * Returns the number of rows changed.  No errors of its own.
 */
extern int64 catalog_contract_mark(const char *pipeline, const char *step, ArrayType *names,
								   const char *contract_id, const char *contract_version);

/*
 * catalog_contract_drop: deletes the expectations of step (pipeline, step)
 * named in `names` (a text[]) that contract `contract_id` created; an
 * expectation the contract did not create is never deleted.  Returns the
 * number of rows deleted.  No errors of its own.
 */
extern int64 catalog_contract_drop(const char *pipeline, const char *step, ArrayType *names,
								   const char *contract_id);

/*
 * catalog_contract_set_tags: replaces the column tags contract
 * `contract_id` gave step (pipeline, step) by `tags`, a JSON array of
 * {"column": text, "classification": text or null, "tags": [text]}; a
 * column another contract tagged is taken over.  Returns the number of
 * rows written.  Raises 22023 when the document is not such an array (the
 * cast errors of jsonb_to_recordset).
 */
extern int64 catalog_contract_set_tags(const char *pipeline, const char *step, const char *contract_id,
									   const char *contract_version, Jsonb *tags);

/*
 * catalog_contract_record: records in dataops.pipeline_contracts that
 * version contract_version (may be NULL) of contract contract_id was applied
 * to the pipeline, with the sla_freshness it set (NULL: none), replacing the
 * row of an earlier version.  No errors of its own.
 */
extern void catalog_contract_record(const char *pipeline, const char *contract_id,
									const char *contract_version, const char *sla_freshness);

#endif							/* DATAOPS_CATALOG_CONTRACT_H */
