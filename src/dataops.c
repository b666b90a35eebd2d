/*
 * dataops.c: the GUC variables and the helpers shared by every module
 * (dataops.h).  The lowest layer after compat.h: it includes no header of
 * another module.  The library's entry point, which defines the GUCs and
 * starts the launcher, is module.c, the top layer.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/xact.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "common/hashfn.h"
#include "storage/lock.h"

#include "dataops.h"

bool		dataops_preloaded = false;
int			dataops_max_parallel_runs = 4;
int			dataops_max_parallel_steps = 4;
char	   *dataops_history_retention = NULL;
int			dataops_cancel_grace_ms = 2000;
int			dataops_max_queued_runs_per_owner = 100;
char	   *dataops_current_source_file = NULL;
char	   *dataops_current_run_id = NULL;
char	   *dataops_target_mttr = NULL;
char	   *dataops_target_mtbf = NULL;
double		dataops_target_dq_score = 0.95;
double		dataops_target_sla_compliance = 0.995;

int64
dataops_interval_ms(const char *text, const char *what)
{
	Interval   *iv;
	int64		ms;

	iv = DatumGetIntervalP(DirectFunctionCall3(interval_in, CStringGetDatum(text),
											   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
	ms = iv->time / 1000 + (int64) iv->day * 86400000 + (int64) iv->month * 30 * 86400000;
	if (ms < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be negative", what),
				 errdetail("The interval given is \"%s\".", text),
				 errhint("Give an interval such as '30 seconds'.")));
	return ms;
}

void
dataops_require_preload(const char *what)
{
	if (!dataops_preloaded)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("dataops must be loaded via shared_preload_libraries to %s", what),
				 errdetail("dataops runs pipelines in background workers, which need the library loaded when the server starts."),
				 errhint("Add dataops to shared_preload_libraries in postgresql.conf, e.g. shared_preload_libraries = 'pg_cron,dataops', and restart the server.")));
}

/*
 * dataops_assert_preloaded: SQL-callable check run by the install script, so
 * that CREATE EXTENSION fails when the library is not preloaded.
 */
PG_FUNCTION_INFO_V1(dataops_assert_preloaded);
Datum
dataops_assert_preloaded(PG_FUNCTION_ARGS)
{
	dataops_require_preload("create the extension");
	PG_RETURN_VOID();
}

/*
 * The extension owner, cached per backend: catalog statements ask for it
 * every time.  owner_anchor is the OID of dataops.pipelines, a member table
 * of the extension: DROP EXTENSION drops it, and the owner changes only
 * with the ownership of the extension's objects (REASSIGN OWNED), so a
 * relcache invalidation of that table (or of every relation, after an
 * invalidation queue overflow) forgets the cached owner.  The callback runs
 * for this backend's own changes at each CommandCounterIncrement and at
 * abort, and for other backends' committed changes whenever invalidation
 * messages are accepted, which dataops_extension_owner does first.
 */
static Oid	owner_cached = InvalidOid;
static Oid	owner_anchor = InvalidOid;
static bool owner_callback_registered = false;

static void
owner_cache_invalidate(Datum arg, Oid relid)
{
	if (!OidIsValid(relid) || relid == owner_anchor)
	{
		owner_cached = InvalidOid;
		owner_anchor = InvalidOid;
	}
}

/* The owner as pg_extension records it, InvalidOid when dataops is not installed. */
static Oid
lookup_extension_owner(void)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			owner = InvalidOid;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber,
				F_NAMEEQ, CStringGetDatum("dataops"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		owner = ((Form_pg_extension) GETSTRUCT(tup))->extowner;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return owner;
}

Oid
dataops_extension_owner(void)
{
	Oid			owner;
	Oid			anchor;

	/* see other backends' committed DROP EXTENSION, as the scan's lock would */
	AcceptInvalidationMessages();
	if (OidIsValid(owner_cached))
		return owner_cached;

	if (!owner_callback_registered)
	{
		CacheRegisterRelcacheCallback(owner_cache_invalidate, (Datum) 0);
		owner_callback_registered = true;
	}
	owner = lookup_extension_owner();
	if (!OidIsValid(owner))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("extension \"dataops\" is not installed in this database"),
				 errhint("Run CREATE EXTENSION dataops.")));
	/* cached only while its anchor exists to invalidate it */
	anchor = dataops_relation_oid("dataops", "pipelines");
	if (OidIsValid(anchor))
	{
		owner_anchor = anchor;
		owner_cached = owner;
	}
	return owner;
}

char *
dataops_qualified_name(const char *schema, const char *table)
{
	return quote_qualified_identifier(schema, table);
}

char *
dataops_relation_name(Oid relid)
{
	return dataops_qualified_name(get_namespace_name(get_rel_namespace(relid)), get_rel_name(relid));
}

Oid
dataops_relation_oid(const char *schema, const char *table)
{
	Oid			nsp = get_namespace_oid(schema, true);

	return OidIsValid(nsp) ? get_relname_relid(table, nsp) : InvalidOid;
}

void
dataops_exec_sql(const char *sql)
{
	int			rc = SPI_execute(sql, false, 0);

	if (rc < 0)
		elog(ERROR, "dataops: generated statement failed: %s", SPI_result_code_string(rc));
}

void
dataops_ensure_schema(const char *schema)
{
	LOCKTAG		tag;

	if (OidIsValid(get_namespace_oid(schema, true)))
		return;

	/*
	 * CREATE SCHEMA IF NOT EXISTS does not stop two transactions from
	 * creating the schema at once (the second fails on pg_namespace's unique
	 * index), and independent steps run in parallel: serialize the creators
	 * on a transaction-level lock, then look again.
	 */
	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, hash_bytes((const unsigned char *) schema, strlen(schema)),
						 0x73636865, 0x6470);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
	if (!OidIsValid(get_namespace_oid(schema, true)))
		dataops_exec_sql(psprintf("CREATE SCHEMA IF NOT EXISTS %s", quote_identifier(schema)));
}

ErrorData *
dataops_take_error(MemoryContext cxt)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	FlushErrorState();
	return edata;
}

void
dataops_begin_tx(const char *activity)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, activity);
}

void
dataops_commit_tx(void)
{
	if (ActiveSnapshotSet())
		PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
}
