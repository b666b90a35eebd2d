/*
 * sqlgen.c: pieces of generated SQL text and qualified operators (see
 * sqlgen.h for the rules).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "sqlgen.h"

char *
sqlgen_name_list(List *names, const char *prefix)
{
	StringInfoData b;
	ListCell   *lc;

	initStringInfo(&b);
	foreach(lc, names)
		appendStringInfo(&b, "%s%s%s", b.len ? ", " : "", prefix, quote_identifier(lfirst(lc)));
	return b.data;
}

char *
sqlgen_column_list(TupleDesc desc, const char *prefix)
{
	return sqlgen_name_list(sqlgen_desc_names(desc), prefix);
}

List *
sqlgen_desc_names(TupleDesc desc)
{
	List	   *names = NIL;
	int			i;

	for (i = 0; i < desc->natts; i++)
		if (!TupleDescAttr(desc, i)->attisdropped)
			names = lappend(names, pstrdup(NameStr(TupleDescAttr(desc, i)->attname)));
	return names;
}

bool
sqlgen_in_list(List *names, const char *name)
{
	ListCell   *lc;

	foreach(lc, names)
		if (strcmp(lfirst(lc), name) == 0)
			return true;
	return false;
}

int
sqlgen_find_att(TupleDesc desc, const char *name)
{
	int			i;

	for (i = 0; i < desc->natts; i++)
		if (!TupleDescAttr(desc, i)->attisdropped && strcmp(NameStr(TupleDescAttr(desc, i)->attname), name) == 0)
			return i;
	return -1;
}

char *
sqlgen_column_def(Form_pg_attribute a)
{
	return psprintf("%s %s", quote_identifier(NameStr(a->attname)),
					format_type_extended(a->atttypid, a->atttypmod,
										 FORMAT_TYPE_TYPEMOD_GIVEN | FORMAT_TYPE_FORCE_QUALIFY));
}

char *
sqlgen_side_table_name(const char *table, const char *suffix)
{
	int			keep = pg_mbcliplen(table, strlen(table), NAMEDATALEN - 1 - strlen(suffix));

	return psprintf("%.*s%s", keep, table, suffix);
}

int64
sqlgen_exec_count(const char *sql)
{
	return sqlgen_exec_int8(sql, 0, NULL);
}

int64
sqlgen_exec_int8(const char *sql, int nargs, const int64 *args)
{
	Oid			types[2] = {INT8OID, INT8OID};
	Datum		values[2];
	int			rc;
	int			i;

	Assert(nargs <= 2);
	for (i = 0; i < nargs; i++)
		values[i] = Int64GetDatum(args[i]);
	rc = SPI_execute_with_args(sql, nargs, types, values, NULL, false, 0);
	if (rc < 0)
		elog(ERROR, "dataops: generated statement failed: %s", SPI_result_code_string(rc));
	return (int64) SPI_processed;
}

char *
sqlgen_operator(Oid typid, int which, const char *column)
{
	TypeCacheEntry *tc = lookup_type_cache(typid, which);
	Oid			opr;
	HeapTuple	tup;
	Form_pg_operator op;
	char	   *result;

	switch (which)
	{
		case TYPECACHE_EQ_OPR:
			opr = tc->eq_opr;
			break;
		case TYPECACHE_LT_OPR:
			opr = tc->lt_opr;
			break;
		case TYPECACHE_GT_OPR:
			opr = tc->gt_opr;
			break;
		default:
			elog(ERROR, "dataops: unexpected operator kind %d", which);
			opr = InvalidOid;	/* keep compiler quiet */
	}
	if (!OidIsValid(opr))
	{
		const char *kind = which == TYPECACHE_EQ_OPR ? "equality" : "ordering";

		if (column)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_FUNCTION),
					 errmsg("column \"%s\" has type %s, which has no default %s operator",
							column, format_type_be(typid), kind),
					 errhint("Use a column whose type has a default btree operator class, or cast it in the query.")));
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("type %s has no default %s operator", format_type_be(typid), kind)));
	}
	tup = SearchSysCache1(OPEROID, ObjectIdGetDatum(opr));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for operator %u", opr);
	op = (Form_pg_operator) GETSTRUCT(tup);
	result = psprintf("OPERATOR(%s.%s)", quote_identifier(get_namespace_name(op->oprnamespace)),
					  NameStr(op->oprname));
	ReleaseSysCache(tup);
	return result;
}

Oid
sqlgen_column_type(TupleDesc desc, const char *name)
{
	int			i = sqlgen_find_att(desc, name);

	if (i < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" does not exist", name)));
	return TupleDescAttr(desc, i)->atttypid;
}

char *
sqlgen_key_join(List *keys, TupleDesc desc, const char *a, const char *b)
{
	StringInfoData j;
	ListCell   *lc;

	initStringInfo(&j);
	foreach(lc, keys)
	{
		const char *k = lfirst(lc);
		const char *q = quote_identifier(k);

		appendStringInfo(&j, "%s%s.%s %s %s.%s", j.len ? " AND " : "", a, q,
						 sqlgen_operator(sqlgen_column_type(desc, k), TYPECACHE_EQ_OPR, k), b, q);
	}
	return j.data;
}

char *
sqlgen_distinct(List *columns, TupleDesc desc, const char *a, const char *b)
{
	StringInfoData d;
	ListCell   *lc;

	if (columns == NIL)
		return pstrdup("false");
	initStringInfo(&d);
	appendStringInfoChar(&d, '(');
	foreach(lc, columns)
	{
		const char *c = lfirst(lc);
		const char *q = quote_identifier(c);

		/* one NULL: distinct; two: not; none: distinct unless equal (NULL from "=" counts as not distinct) */
		appendStringInfo(&d, "%spg_catalog.num_nulls(%s.%s, %s.%s) OPERATOR(pg_catalog.=) 1 OR (%s.%s %s %s.%s) IS FALSE",
						 foreach_current_index(lc) ? " OR " : "", a, q, b, q, a, q,
						 sqlgen_operator(sqlgen_column_type(desc, c), TYPECACHE_EQ_OPR, c), b, q);
	}
	appendStringInfoChar(&d, ')');
	return d.data;
}

/*
 * dataops._equality_operator(regtype) → text: "OPERATOR(schema.op)" for the
 * equality operator of the type's default btree (else hash) operator class,
 * as sqlgen_operator writes it; for dataops.diff()'s key join.  Raises
 * 42883 when the type has none.
 */
PG_FUNCTION_INFO_V1(dataops_equality_operator);
Datum
dataops_equality_operator(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(sqlgen_operator(PG_GETARG_OID(0), TYPECACHE_EQ_OPR, NULL)));
}
