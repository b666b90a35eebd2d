/*
 * target.c: whose relations dataops publishes into, and which Citus tables
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
#include "citus.h"
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

/* Raises 0A000: relation relid, a Citus table, cannot be written the way the step writes it. */
static void
refuse_citus(Oid relid, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("%s \"%s.%s\" is a Citus table", what,
					get_namespace_name(get_rel_namespace(relid)), get_rel_name(relid)),
			 errdetail("dataops would write this %s's rows into the coordinator's local shell; they would "
					   "never reach the table's shards and would be lost.", what),
			 errhint("Table, incremental and scd2 steps and bronze steps publish into distributed and reference "
					 "tables; this one (kept versions, a view, a Citus local table) does not yet.  "
					 "Publish it into a local table, or undistribute it with undistribute_table().")));
}

static Oid
owned_relation(RangeVar *rv, const char *what, Oid owner, const char *whose, LOCKMODE lockmode, bool citus_ok)
{
	OwnerCheck	c = {what, owner, whose};
	Oid			relid;

	relid = RangeVarGetRelidExtended(rv, lockmode, RVR_MISSING_OK, owner_callback, &c);
	/* with citus_ok, distributed and reference tables pass; a Citus local table is not supported yet */
	if (OidIsValid(relid) && (citus_ok ? citus_table_kind(relid, NULL) == CITUS_OTHER : target_is_distributed(relid)))
		refuse_citus(relid, what);
	return relid;
}

Oid
target_relation_rv(RangeVar *rv, const char *what, Oid owner, const char *whose, LOCKMODE lockmode)
{
	return owned_relation(rv, what, owner, whose, lockmode, false);
}

Oid
target_relation_citus(const char *schema, const char *name, const char *what, Oid owner, const char *whose,
					  LOCKMODE lockmode)
{
	if (!OidIsValid(get_namespace_oid(schema, true)))
		return InvalidOid;
	return owned_relation(makeRangeVar(pstrdup(schema), pstrdup(name), -1), what, owner, whose, lockmode, true);
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
	return citus_table_kind(relid, NULL) != CITUS_NONE;
}

void
target_refuse_distributed(Oid relid, const char *what)
{
	if (target_is_distributed(relid))
		refuse_citus(relid, what);
}
