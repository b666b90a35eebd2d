/*
 * validate.c: dataops._validate(relation regclass, suite text) → bigint,
 * behind the SQL function dataops.validate, which returns the results.
 *
 * The relation is read in the caller's transaction with the caller's
 * privileges, in the one statement expect_check_rows generates for a
 * step's rows; it is locked only once the caller is known to be allowed
 * to read it (42501 otherwise).  The suite's objects must be trusted by the
 * caller (suite_require_trusted now, expect_check_types when the statement
 * is generated): a suite's owner cannot make the caller run its code.  The
 * run (kind validation) and its results are written in the same
 * transaction: they commit with it.  A failed expectation does not raise,
 * as a Great Expectations checkpoint returns success = false: the run is
 * recorded failed when an expectation with action fail failed, succeeded
 * otherwise (warn and drop only record).  The statement runs under the
 * caller's search_path (a suite's expression is written for it), so the SQL
 * generated around the user's text names every function, type and operator
 * with its schema (expect.c): a schema another role put first on that path
 * cannot substitute its own.
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/pg_class.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "args.h"
#include "catalog.h"
#include "dataops.h"
#include "expect.h"
#include "publish.h"
#include "suite.h"
#include "target.h"
#include "validate.h"

/*
 * Raises 42501 unless the current role may read every column of relid
 * (the check reads whole rows): table-level SELECT, or SELECT on each
 * column.  Takes no lock.
 */
static void
require_readable(Oid relid)
{
	bool		is_missing = false;
	char	   *relname;

	if (pg_class_aclcheck_ext(relid, GetUserId(), ACL_SELECT, &is_missing) == ACLCHECK_OK || is_missing)
		return;					/* a missing relation is reported once locked */
	if (pg_attribute_aclcheck_all(relid, GetUserId(), ACL_SELECT, ACLMASK_ALL) == ACLCHECK_OK)
		return;
	relname = get_rel_name(relid);
	if (relname == NULL)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to validate relation %s",
					quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), relname)),
			 errdetail("Role \"%s\" may not read every column of it; the relation was not locked.",
					   GetUserNameFromId(GetUserId(), false)),
			 errhint("dataops.validate reads the relation with the caller's privileges: it needs SELECT on it.")));
}

PG_FUNCTION_INFO_V1(dataops_validate);
Datum
dataops_validate(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char	   *suite;
	Relation	rel;
	TupleDesc	desc;
	char	   *schema;
	char	   *relname;
	char	   *qname;
	List	   *exps;
	List	   *results;
	int64		run_id;
	char	   *unexpected_table = NULL;
	char	   *failed = NULL;
	ListCell   *lc;
	MemoryContext cxt = CurrentMemoryContext;

	args_require(PG_ARGISNULL(0), "relation");
	args_require(PG_ARGISNULL(1), "suite");
	relid = PG_GETARG_OID(0);
	suite = args_text(fcinfo, 1);

	exps = catalog_get_suite_expectations(suite);
	suite_require_trusted(suite, exps, GetUserId());

	/*
	 * The relation argument was looked up without a lock (regclass): the
	 * caller must be allowed to read it before it is locked, or any role
	 * could queue a lock on any table (and block others behind it).
	 */
	require_readable(relid);
	LockRelationOid(relid, AccessShareLock);
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid),
				 errdetail("It was dropped while dataops.validate waited for it.")));
	rel = relation_open(relid, NoLock);
	if (rel->rd_rel->relkind != RELKIND_RELATION && rel->rd_rel->relkind != RELKIND_VIEW &&
		rel->rd_rel->relkind != RELKIND_MATVIEW && rel->rd_rel->relkind != RELKIND_FOREIGN_TABLE &&
		rel->rd_rel->relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table or view", RelationGetRelationName(rel)),
				 errhint("dataops.validate checks the rows of a table, view, materialized view or foreign table.")));
	desc = CreateTupleDescCopy(RelationGetDescr(rel));
	schema = get_namespace_name(RelationGetNamespace(rel));
	relname = pstrdup(RelationGetRelationName(rel));
	relation_close(rel, NoLock);	/* keep the lock until the end of the transaction */
	qname = dataops_qualified_name(schema, relname);

	run_id = catalog_insert_validation_run(qname, suite, GetUserNameFromId(GetUserId(), false));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (expect_any_complete(exps))
		(void) publish_ensure_unexpected(schema, relname, psprintf("SELECT * FROM %s", qname), desc, run_id,
										 GetUserId(), TARGET_CURRENT_USER, &unexpected_table);
	results = exps == NIL ? NIL :
		expect_check_rows(exps, psprintf("%s s", qname), desc, run_id, unexpected_table, cxt);
	SPI_finish();

	foreach(lc, results)
	{
		ExpectationResult *r = lfirst(lc);

		catalog_insert_expectation_result(run_id, qname, 1, r);
		if (!r->success && failed == NULL && strcmp(r->def->action, "fail") == 0)
			failed = psprintf("expectation \"%s\" failed", r->def->name);
	}
	catalog_finish_run(run_id, failed ? "failed" : "succeeded", failed, NULL,
					   failed ? unpack_sql_state(ERRCODE_CHECK_VIOLATION) : NULL, NULL);
	PG_RETURN_INT64(run_id);
}
