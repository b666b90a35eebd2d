/*
 * target.h: whose relations dataops publishes into (the ownership and
 * locking checks made before any relation is written).  Uses catalog.h
 * (the pipeline's owner) and dataops.h only.
 *
 * Trust rule.  A step's rows are written by a worker connected as the
 * pipeline's owner; whatever runs on the relations it writes (triggers,
 * rules, column defaults, index expressions, check constraints) runs with
 * the owner's rights, and whoever owns those relations can read what is
 * written.  So dataops writes, truncates, renames, drops, attaches, replaces
 * or locks only relations whose owner (pg_class.relowner) IS the pipeline's
 * owner: being a member of the owning role is not enough.  The check is made
 * at every publish (not only when a relation is created, since another role
 * may create a side table later), before the relation is locked, and again
 * once it is locked (RangeVarGetRelidExtended's callback protocol).
 *
 * Citus.  Rows written by the sink (heap inserts) or by COPY into a Citus
 * table's coordinator shell never reach its shards: the run would report
 * them published and they would be lost.  target_relation refuses a
 * relation listed in pg_catalog.pg_dist_partition; the paths that write
 * Citus tables with SQL Citus plans (publish_citus.c, the incremental and
 * scd2 merges, ingest's COPY through the utility hook) use
 * target_relation_citus instead (citus.h).
 */
#ifndef DATAOPS_TARGET_H
#define DATAOPS_TARGET_H

#include "postgres.h"
#include "nodes/primnodes.h"
#include "storage/lockdefs.h"

/* How an error names the role a relation must belong to. */
#define TARGET_PIPELINE_OWNER "the pipeline's owner"
#define TARGET_CURRENT_USER "the current user"

/*
 * target_pipeline_owner: OID of the role that owns pipeline `pipeline`
 * (dataops.pipelines.owner).  Raises 42704 when the pipeline or the role
 * does not exist.
 */
extern Oid	target_pipeline_owner(const char *pipeline);

/*
 * target_relation: the relation schema.name that dataops is about to
 * publish into (what: "target", "quarantine table", ...), or InvalidOid
 * when it does not exist.  Its owner is checked before it is locked with
 * `lockmode` (held to the end of the transaction) and again after; then it
 * must not be a Citus table.  `whose` names `owner` in the error
 * (TARGET_PIPELINE_OWNER or TARGET_CURRENT_USER).  Raises 42501 when the
 * relation is not owned by `owner` exactly, 0A000 when it is distributed.
 * SPI must be connected (the Citus check is a query).
 */
extern Oid	target_relation(const char *schema, const char *name, const char *what,
							 Oid owner, const char *whose, LOCKMODE lockmode);

/* target_relation for a relation given as a RangeVar (e.g. a stored "schema.table"). */
extern Oid	target_relation_rv(RangeVar *rv, const char *what, Oid owner, const char *whose,
								LOCKMODE lockmode);

/*
 * target_relation_citus: target_relation for the callers that write Citus
 * tables only through SQL Citus plans: the same ownership check and lock,
 * but a distributed or reference table is returned, not refused.  Raises
 * 42501 as target_relation, and 0A000 for a Citus local table (not
 * supported yet).
 */
extern Oid	target_relation_citus(const char *schema, const char *name, const char *what, Oid owner,
								  const char *whose, LOCKMODE lockmode);

/* target_owned_by: true when relation relid exists and `owner` owns it exactly.  No lock. */
extern bool target_owned_by(Oid relid, Oid owner);

/*
 * target_require_owner: the ownership check alone, for a relation already
 * opened (relid): raises 42501 unless `owner` owns it.
 */
extern void target_require_owner(Oid relid, const char *what, Oid owner, const char *whose);

/*
 * target_is_distributed: true when pg_catalog.pg_dist_partition exists
 * (Citus is installed) and lists relid (a distributed, reference or Citus
 * local table): citus_table_kind(relid) is not CITUS_NONE.  SPI must be
 * connected.
 */
extern bool target_is_distributed(Oid relid);

/*
 * target_refuse_distributed: raises 0A000 (feature_not_supported), naming
 * the relation as `what`, when target_is_distributed(relid).  For the
 * modules that write a relation themselves (ingest's COPY).
 */
extern void target_refuse_distributed(Oid relid, const char *what);

#endif							/* DATAOPS_TARGET_H */
