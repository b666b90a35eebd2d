/*
 * catalog.c: the shared SPI core of the catalog modules (catalog_spi.h).
 *
 * Persists nothing itself: catalog_defs.c (definitions), catalog_runs.c
 * (runs and their results) and catalog_state.c (step state, run control)
 * run every statement through catalog_spi() here.  It may use dataops.h
 * (the extension owner) and PostgreSQL only.
 *
 * Every statement runs as the extension owner (SetUserIdAndSecContext, as
 * PostgreSQL does for its own internal queries) with search_path set to
 * "pg_catalog, pg_temp", and every value is a parameter.  Transaction abort
 * restores the user id and the GUC nest level if an ERROR escapes.
 */
#include "postgres.h"

#include "access/heaptoast.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/snapmgr.h"

#include "catalog_spi.h"
#include "dataops.h"

/* The caller's user id while catalog_spi runs a statement, else InvalidOid. */
static Oid	catalog_caller = InvalidOid;

void
arg_datum(CatalogArgs *a, Oid type, Datum value, bool isnull)
{
	Assert(a->n < CATALOG_MAX_ARGS);
	a->types[a->n] = type;
	a->values[a->n] = isnull ? (Datum) 0 : value;
	a->nulls[a->n] = isnull ? 'n' : ' ';
	a->n++;
}

void
arg_text(CatalogArgs *a, const char *s)
{
	arg_datum(a, TEXTOID, s ? CStringGetTextDatum(s) : (Datum) 0, s == NULL);
}

void
arg_text2(CatalogArgs *a, const char *first, const char *second)
{
	arg_text(a, first);
	arg_text(a, second);
}

CatalogArgs
args_text2(const char *first, const char *second)
{
	CatalogArgs a = {0};

	arg_text2(&a, first, second);
	return a;
}

void
arg_int8(CatalogArgs *a, int64 v, bool isnull)
{
	arg_datum(a, INT8OID, Int64GetDatum(v), isnull);
}

void
arg_int4(CatalogArgs *a, int32 v, bool isnull)
{
	arg_datum(a, INT4OID, Int32GetDatum(v), isnull);
}

void
arg_float8(CatalogArgs *a, double v, bool isnull)
{
	arg_datum(a, FLOAT8OID, Float8GetDatum(v), isnull);
}

void
arg_bool(CatalogArgs *a, bool v)
{
	arg_datum(a, BOOLOID, BoolGetDatum(v), false);
}

void
arg_jsonb(CatalogArgs *a, Jsonb *j)
{
	arg_datum(a, JSONBOID, j ? JsonbPGetDatum(j) : (Datum) 0, j == NULL);
}

void
arg_text_array(CatalogArgs *a, List *items)
{
	Datum	   *elems;
	int			i = 0;
	ListCell   *lc;

	if (items == NIL)
	{
		arg_datum(a, TEXTARRAYOID, PointerGetDatum(construct_empty_array(TEXTOID)), false);
		return;
	}
	elems = palloc(sizeof(Datum) * list_length(items));
	foreach(lc, items)
		elems[i++] = CStringGetTextDatum((char *) lfirst(lc));
	arg_datum(a, TEXTARRAYOID,
			  PointerGetDatum(construct_array(elems, i, TEXTOID, -1, false, TYPALIGN_INT)),
			  false);
}

char *
row_text(CatalogRows *r, uint64 row, int col)
{
	return SPI_getvalue(r->rows[row], r->desc, col);
}

Datum
row_datum(CatalogRows *r, uint64 row, int col, bool *isnull)
{
	return SPI_getbinval(r->rows[row], r->desc, col, isnull);
}

int64
row_int8(CatalogRows *r, uint64 row, int col)
{
	bool		isnull;
	Datum		d = row_datum(r, row, col, &isnull);

	return isnull ? 0 : DatumGetInt64(d);
}

List *
rows_int8_list(CatalogRows *r)
{
	List	   *result = NIL;
	uint64		i;

	for (i = 0; i < r->n; i++)
	{
		int64	   *p = palloc(sizeof(int64));

		*p = row_int8(r, i, 1);
		result = lappend(result, p);
	}
	return result;
}

/* Copies a text[] datum into a List of C strings. */
static List *
text_array_to_list(Datum d)
{
	ArrayType  *arr = DatumGetArrayTypeP(d);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	List	   *result = NIL;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (i = 0; i < n; i++)
		if (!nulls[i])
			result = lappend(result, TextDatumGetCString(elems[i]));
	return result;
}

List *
row_text_list(CatalogRows *r, uint64 row, int col)
{
	bool		isnull;
	Datum		d = row_datum(r, row, col, &isnull);

	return isnull ? NIL : text_array_to_list(d);
}

/* Executes the kept plan, preparing and keeping it at its first use. */
static int
execute_kept(CatalogPlan *kept, CatalogArgs *a)
{
	if (kept->plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(kept->sql, a ? a->n : 0, a ? a->types : NULL);

		if (plan == NULL)
			elog(ERROR, "dataops catalog statement failed: %s", SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "dataops catalog statement failed: SPI_keepplan failed");
		kept->plan = plan;
	}
	return SPI_execute_plan(kept->plan, a ? a->values : NULL, a ? a->nulls : NULL, false, 0);
}

/*
 * Copies SPI_tuptable's rows into `cxt`, detoasted, so that they outlive
 * SPI_finish.
 */
static CatalogRows *
copy_rows(MemoryContext cxt)
{
	MemoryContext spi = MemoryContextSwitchTo(cxt);
	CatalogRows *r = palloc0(sizeof(CatalogRows));
	uint64		i;

	r->n = SPI_processed;
	if (SPI_tuptable != NULL && SPI_processed > 0)
	{
		r->desc = CreateTupleDescCopy(SPI_tuptable->tupdesc);
		r->rows = palloc(sizeof(HeapTuple) * SPI_processed);
		for (i = 0; i < SPI_processed; i++)
		{
			HeapTuple	t = SPI_tuptable->vals[i];

			r->rows[i] = HeapTupleHasExternal(t) ? toast_flatten_tuple(t, r->desc) : heap_copytuple(t);
		}
	}
	MemoryContextSwitchTo(spi);
	return r;
}

/*
 * The caller's search_path must never reach a statement run with the
 * owner's rights: an operator or function planted in a schema the caller
 * puts first would run as the owner (usually a superuser).  With
 * pg_catalog first and pg_temp (never searched for functions or operators)
 * last, unqualified built-in names resolve to pg_catalog; the statements
 * also qualify their operators.
 */
CatalogRows *
catalog_spi(const char *sql, CatalogPlan *kept, CatalogArgs *a, CatalogMode mode)
{
	MemoryContext caller = CurrentMemoryContext;
	bool		fresh = (mode == CATALOG_READ_FRESH);
	Oid			save_user;
	int			save_sec;
	int			nestlevel;
	volatile int rc = 0;
	Oid			save_caller = catalog_caller;
	CatalogRows *result;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (fresh)
		PushActiveSnapshot(GetLatestSnapshot());
	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(dataops_extension_owner(),
						   save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   (fresh ? SECURITY_RESTRICTED_OPERATION : 0));
	nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);

	if (fresh)
	{
		Assert(kept == NULL);
		rc = SPI_execute_with_args(sql, a ? a->n : 0, a ? a->types : NULL,
								   a ? a->values : NULL, a ? a->nulls : NULL, true, 0);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "dataops catalog read failed: %s", SPI_result_code_string(rc));
	}
	else
	{
		/* the catalog's triggers record who made the change (dataops._catalog_caller) */
		catalog_caller = save_user;
		PG_TRY();
		{
			if (kept)
				rc = execute_kept(kept, a);
			else
				rc = SPI_execute_with_args(sql, a ? a->n : 0, a ? a->types : NULL,
										   a ? a->values : NULL, a ? a->nulls : NULL,
										   false, 0);
		}
		PG_FINALLY();
		{
			catalog_caller = save_caller;
		}
		PG_END_TRY();
		if (rc < 0)
			elog(ERROR, "dataops catalog statement failed: %s", SPI_result_code_string(rc));
	}

	AtEOXact_GUC(true, nestlevel);
	SetUserIdAndSecContext(save_user, save_sec);
	if (fresh)
		PopActiveSnapshot();
	result = copy_rows(caller);
	SPI_finish();
	return result;
}

CatalogRows *
catalog_query(const char *sql, CatalogArgs *a)
{
	return catalog_spi(sql, NULL, a, CATALOG_WRITE);
}

CatalogRows *
catalog_query_text_arg(const char *sql, const char *arg)
{
	CatalogArgs a = {0};

	arg_text(&a, arg);
	return catalog_query(sql, &a);
}

CatalogRows *
catalog_query_int8_arg(const char *sql, int64 arg)
{
	CatalogArgs a = {0};

	arg_int8(&a, arg, false);
	return catalog_query(sql, &a);
}

char *
catalog_query_text(const char *sql, const char *arg)
{
	CatalogRows *r = catalog_query_text_arg(sql, arg);

	return r->n == 1 ? row_text(r, 0, 1) : NULL;
}

List *
catalog_query_int8_list(const char *sql)
{
	return rows_int8_list(catalog_query(sql, NULL));
}

/*
 * dataops._catalog_caller() → name: the role on whose behalf catalog_spi
 * is running a statement (the user id before it switched to the extension
 * owner), or NULL when dataops is not writing its catalog: a restore's COPY
 * or a superuser's own statement.  The definition-event and run-owner
 * triggers read it.  Raises nothing.
 */
PG_FUNCTION_INFO_V1(dataops_catalog_caller);
Datum
dataops_catalog_caller(PG_FUNCTION_ARGS)
{
	char	   *name;
	Name		result;

	if (!OidIsValid(catalog_caller))
		PG_RETURN_NULL();
	name = GetUserNameFromId(catalog_caller, true);
	if (name == NULL)
		PG_RETURN_NULL();
	result = (Name) palloc0(NAMEDATALEN);
	namestrcpy(result, name);
	PG_RETURN_NAME(result);
}
