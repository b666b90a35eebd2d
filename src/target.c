/*
 * target.c: whose relations dataops publishes into, and Citus tables refused
 * (see target.h for the rules).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "catalog.h"
#include "dataops.h"
#include "target.h"

Oid
target_pipeline_owner(const char *pipeline)
{
	PipelineDef *p = catalog_get_pipeline(pipeline, false);

	if (!OidIsValid(p->owner_oid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role \"%s\" that owns pipeline \"%s\" does not exist", p->owner, pipeline)));
	return p->owner_oid;
}

typedef struct OwnerCheck
{
	const char *what;
	Oid			owner;
	const char *whose;
} OwnerCheck;

static void
refuse_owner(const char *what, const char *schema, const char *name, Oid relowner, Oid owner, const char *whose)
{
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("%s \"%s.%s\" is owned by role \"%s\", not by %s \"%s\"", what, schema, name,
					GetUserNameFromId(relowner, false), whose, GetUserNameFromId(owner, false)),
			 errdetail("dataops writes only into relations owned by role \"%s\" itself (membership is not enough): "
					   "the triggers, rules and defaults of another role's relation would run with the rights of "
					   "role \"%s\", and its owner could read the rows.",
					   GetUserNameFromId(owner, false), GetUserNameFromId(owner, false)),
			 errhint("Drop or rename \"%s.%s\", or have a superuser give it to role \"%s\" (ALTER TABLE ... OWNER TO), "
					 "or publish the step somewhere else.", schema, name, GetUserNameFromId(owner, false))));
}

/* RangeVarGetRelidExtended's callback: called before the relation is locked, and again after an invalidation. */
static void
owner_callback(const RangeVar *rv, Oid relid, Oid oldrelid, void *arg)
{
	OwnerCheck *c = arg;
	HeapTuple	tup;
	Form_pg_class form;

	if (!OidIsValid(relid))
		return;
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		return;					/* dropped meanwhile: the lookup is repeated */
	form = (Form_pg_class) GETSTRUCT(tup);
	if (form->relowner != c->owner)
	{
		Oid			relowner = form->relowner;
		char	   *schema = get_namespace_name(form->relnamespace);
		char	   *name = pstrdup(NameStr(form->relname));

		ReleaseSysCache(tup);
		refuse_owner(c->what, schema, name, relowner, c->owner, c->whose);
	}
	ReleaseSysCache(tup);
}

Oid
target_relation_rv(RangeVar *rv, const char *what, Oid owner, const char *whose, LOCKMODE lockmode)
{
	OwnerCheck	c = {what, owner, whose};
	Oid			relid;

	relid = RangeVarGetRelidExtended(rv, lockmode, RVR_MISSING_OK, owner_callback, &c);
	if (OidIsValid(relid))
		target_refuse_distributed(relid, what);
	return relid;
}

Oid
target_relation(const char *schema, const char *name, const char *what, Oid owner, const char *whose,
				 LOCKMODE lockmode)
{
	if (!OidIsValid(get_namespace_oid(schema, true)))
		return InvalidOid;
	return target_relation_rv(makeRangeVar(pstrdup(schema), pstrdup(name), -1), what, owner, whose, lockmode);
}

bool
target_owned_by(Oid relid, Oid owner)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	bool		owned;

	if (!HeapTupleIsValid(tup))
		return false;
	owned = ((Form_pg_class) GETSTRUCT(tup))->relowner == owner;
	ReleaseSysCache(tup);
	return owned;
}

void
target_require_owner(Oid relid, const char *what, Oid owner, const char *whose)
{
	OwnerCheck	c = {what, owner, whose};

	owner_callback(NULL, relid, InvalidOid, &c);
}

bool
target_is_distributed(Oid relid)
{
	Oid			types[1] = {REGCLASSOID};
	Datum		values[1] = {ObjectIdGetDatum(relid)};
	SPITupleTable *saved_tuptable = SPI_tuptable;
	uint64		saved_processed = SPI_processed;
	bool		isnull;
	bool		found;

	/* no lock, no permission check: Citus absent, nothing to ask */
	if (!OidIsValid(get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE)))
		return false;
	if (SPI_execute_with_args("SELECT EXISTS (SELECT FROM pg_catalog.pg_dist_partition "
							  "WHERE logicalrelid OPERATOR(pg_catalog.=) $1)",
							  1, types, values, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "dataops: could not read pg_catalog.pg_dist_partition");
	found = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)) && !isnull;
	SPI_freetuptable(SPI_tuptable);
	/* the caller's last result stays readable */
	SPI_tuptable = saved_tuptable;
	SPI_processed = saved_processed;
	return found;
}

void
target_refuse_distributed(Oid relid, const char *what)
{
	if (target_is_distributed(relid))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s \"%s.%s\" is a Citus table", what,
						get_namespace_name(get_rel_namespace(relid)), get_rel_name(relid)),
				 errdetail("dataops writes rows into the local table; on a Citus coordinator they would never "
						   "reach the table's shards and would be lost."),
				 errhint("Publish into a local table (undistribute it with undistribute_table(), or give the step "
						 "another target); distributed targets are planned for a later release.")));
}
