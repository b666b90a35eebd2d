/*
 * catalog_contract.c: the catalog rows data contracts write (ODCS v3.1.0,
 * issue 14): the marks on the expectations a contract created and the
 * columns' classification and tags.  Part of the catalog module; see
 * catalog_contract.h.
 *
 * May use: catalog_spi.h (the SPI core) and PostgreSQL only.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/jsonb.h"

#include "catalog_contract.h"
#include "catalog_spi.h"

int64
catalog_contract_mark(const char *pipeline, const char *step, ArrayType *names,
					  const char *contract_id, const char *contract_version)
{
	CatalogArgs a = args_text2(pipeline, step);

	arg_datum(&a, TEXTARRAYOID, PointerGetDatum(names), false);
	arg_text(&a, contract_id);
	arg_text(&a, contract_version);
	return catalog_query("UPDATE dataops.expectations SET contract_id = $4, contract_version = $5 "
						 "WHERE pipeline = $1 AND step = $2 AND name = ANY ($3) "
						 "AND (contract_id, contract_version) IS DISTINCT FROM ($4, $5)", &a)->n;
}

int64
catalog_contract_drop(const char *pipeline, const char *step, ArrayType *names, const char *contract_id)
{
	CatalogArgs a = args_text2(pipeline, step);

	arg_datum(&a, TEXTARRAYOID, PointerGetDatum(names), false);
	arg_text(&a, contract_id);
	return catalog_query("DELETE FROM dataops.expectations "
						 "WHERE pipeline = $1 AND step = $2 AND name = ANY ($3) AND contract_id = $4", &a)->n;
}

int64
catalog_contract_set_tags(const char *pipeline, const char *step, const char *contract_id,
						  const char *contract_version, Jsonb *tags)
{
	CatalogArgs a = args_text2(pipeline, step);

	arg_text(&a, contract_id);
	(void) catalog_query("DELETE FROM dataops.column_tags WHERE pipeline = $1 AND step = $2 AND contract_id = $3", &a);
	arg_text(&a, contract_version);
	arg_jsonb(&a, tags);
	return catalog_query("INSERT INTO dataops.column_tags "
						 "(pipeline, step, column_name, classification, tags, contract_id, contract_version) "
						 "SELECT $1, $2, t.\"column\", t.classification, "
						 "coalesce(t.tags, CAST('{}' AS pg_catalog.text[])), $3, $4 "
						 "FROM pg_catalog.jsonb_to_recordset($5) "
						 "AS t(\"column\" pg_catalog.text, classification pg_catalog.text, tags pg_catalog.text[]) "
						 "ON CONFLICT (pipeline, step, column_name) DO UPDATE "
						 "SET classification = EXCLUDED.classification, tags = EXCLUDED.tags, "
						 "contract_id = EXCLUDED.contract_id, contract_version = EXCLUDED.contract_version, "
						 "tagged_at = pg_catalog.clock_timestamp()", &a)->n;
}

void
catalog_contract_record(const char *pipeline, const char *contract_id,
						const char *contract_version, const char *sla_freshness)
{
	CatalogArgs a = args_text2(pipeline, contract_id);

	arg_text(&a, contract_version);
	arg_text(&a, sla_freshness);
	(void) catalog_query("INSERT INTO dataops.pipeline_contracts "
						 "(pipeline, contract_id, contract_version, sla_freshness) VALUES ($1, $2, $3, $4) "
						 "ON CONFLICT (pipeline, contract_id) DO UPDATE "
						 "SET contract_version = EXCLUDED.contract_version, sla_freshness = EXCLUDED.sla_freshness, "
						 "applied_at = pg_catalog.clock_timestamp()", &a);
}
