/*
 * citus.c: Citus tables, as dataops sees them (see citus.h).
 */
#include "postgres.h"

#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "citus.h"
#include "dataops.h"

bool
citus_installed(void)
{
	return OidIsValid(get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE));
}

CitusKind
citus_table_kind(Oid relid, char **column)
{
	Oid			types[1] = {REGCLASSOID};
	Datum		values[1] = {ObjectIdGetDatum(relid)};
	SPITupleTable *saved_tuptable = SPI_tuptable;
	uint64		saved_processed = SPI_processed;
	CitusKind	kind = CITUS_NONE;

	if (column)
		*column = NULL;
	if (!citus_installed())
		return CITUS_NONE;
	/* not read-only: a fresh snapshot sees a table distributed earlier in this transaction */
	if (SPI_execute_with_args("SELECT p.partmethod OPERATOR(pg_catalog.=) 'h', "
							  "p.partmethod OPERATOR(pg_catalog.=) 'n' AND p.repmodel OPERATOR(pg_catalog.=) 't' "
							  "FROM pg_catalog.pg_dist_partition p "
							  "WHERE p.logicalrelid OPERATOR(pg_catalog.=) $1",
							  1, types, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "dataops: could not read pg_catalog.pg_dist_partition");
	if (SPI_processed == 1)
	{
		bool		isnull;
		TupleDesc	td = SPI_tuptable->tupdesc;
		HeapTuple	row = SPI_tuptable->vals[0];

		if (DatumGetBool(SPI_getbinval(row, td, 1, &isnull)))
			kind = CITUS_DISTRIBUTED;
		else if (DatumGetBool(SPI_getbinval(row, td, 2, &isnull)))
			kind = CITUS_REFERENCE;
		else
			kind = CITUS_OTHER;
	}
	SPI_freetuptable(SPI_tuptable);
	if (kind == CITUS_DISTRIBUTED && column)
	{
		/* Citus's own function names the column (partkey is a serialized Var) */
		if (SPI_execute_with_args("SELECT pg_catalog.column_to_column_name(p.logicalrelid, p.partkey) "
								  "FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid OPERATOR(pg_catalog.=) $1",
								  1, types, values, NULL, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "dataops: could not read the distribution column of a table");
		*column = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		SPI_freetuptable(SPI_tuptable);
	}
	/* the caller's last result stays readable */
	SPI_tuptable = saved_tuptable;
	SPI_processed = saved_processed;
	return kind;
}

void
citus_distribute(const char *qname, bool reference, const char *column, const char *colocate_with)
{
	Oid			types[3] = {TEXTOID, TEXTOID, TEXTOID};
	Datum		values[3];
	int			rc;

	if (!reference && column == NULL)
		return;
	if (!citus_installed())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot distribute %s: the citus extension is not installed in this database", qname),
				 errhint("Remove the options distribution_column and reference, or CREATE EXTENSION citus.")));
	values[0] = CStringGetTextDatum(qname);
	if (reference)
		rc = SPI_execute_with_args("SELECT pg_catalog.create_reference_table(CAST($1 AS pg_catalog.regclass))",
								   1, types, values, NULL, false, 0);
	else
	{
		values[1] = CStringGetTextDatum(column);
		values[2] = CStringGetTextDatum(colocate_with ? colocate_with : "default");
		rc = SPI_execute_with_args("SELECT pg_catalog.create_distributed_table(CAST($1 AS pg_catalog.regclass), "
								   "$2, colocate_with => $3)", 3, types, values, NULL, false, 0);
	}
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "dataops: could not distribute %s: %s", qname, SPI_result_code_string(rc));
}

CitusKind
citus_distribute_like(const char *qname, Oid like)
{
	char	   *column;
	CitusKind	kind = citus_table_kind(like, &column);

	if (kind != CITUS_DISTRIBUTED && kind != CITUS_REFERENCE)
		return CITUS_NONE;
	citus_distribute(qname, kind == CITUS_REFERENCE, column,
					 kind == CITUS_DISTRIBUTED ? dataops_relation_name(like) : NULL);
	return kind;
}
