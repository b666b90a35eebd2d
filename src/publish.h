/*
 * publish.h: whose relations dataops publishes into, and how the SQL it
 * generates names operators.
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
 * them published and they would be lost.  Until distributed targets are
 * supported, a relation listed in pg_catalog.pg_dist_partition is refused.
 *
 * Operators.  Generated SQL runs under the step's captured search_path, on
 * which a user's schema may come before pg_catalog.  Every operator it
 * applies to values is written OPERATOR(schema.op): for a comparison of a
 * column, the operator of the column type's default btree (else hash)
 * operator class, from the type cache, with its real schema
 * (OPERATOR(pg_catalog.=) for built-in types, OPERATOR(s.=) for a type
 * whose operator class lives in schema s); for dataops' own columns
 * (bigint, text), the pg_catalog operator.  Functions are written
 * pg_catalog.f(), type names pg_catalog.t.  What needs no lookup by name is
 * left as it is: ORDER BY, DISTINCT, PARTITION BY, GROUP BY and set
 * operations find their operators through the type's default operator
 * classes, not the search_path.
 */
#ifndef DATAOPS_PUBLISH_H
#define DATAOPS_PUBLISH_H

#include "postgres.h"
#include "fmgr.h"
#include "access/tupdesc.h"
#include "nodes/pg_list.h"
#include "nodes/primnodes.h"
#include "storage/lockdefs.h"

/* How an error names the role a relation must belong to. */
#define PUBLISH_PIPELINE_OWNER "the pipeline's owner"
#define PUBLISH_CURRENT_USER "the current user"

/*
 * publish_pipeline_owner: OID of the role that owns pipeline `pipeline`
 * (dataops.pipelines.owner).  Raises 42704 when the pipeline or the role
 * does not exist.
 */
extern Oid	publish_pipeline_owner(const char *pipeline);

/*
 * publish_relation: the relation schema.name that dataops is about to
 * publish into (what: "target", "quarantine table", ...), or InvalidOid
 * when it does not exist.  Its owner is checked before it is locked with
 * `lockmode` (held to the end of the transaction) and again after; then it
 * must not be a Citus table.  `whose` names `owner` in the error
 * (PUBLISH_PIPELINE_OWNER or PUBLISH_CURRENT_USER).  Raises 42501 when the
 * relation is not owned by `owner` exactly, 0A000 when it is distributed.
 * SPI must be connected (the Citus check is a query).
 */
extern Oid	publish_relation(const char *schema, const char *name, const char *what,
							 Oid owner, const char *whose, LOCKMODE lockmode);

/* publish_relation for a relation given as a RangeVar (e.g. a stored "schema.table"). */
extern Oid	publish_relation_rv(RangeVar *rv, const char *what, Oid owner, const char *whose,
								LOCKMODE lockmode);

/* publish_owned_by: true when relation relid exists and `owner` owns it exactly.  No lock. */
extern bool publish_owned_by(Oid relid, Oid owner);

/*
 * publish_require_owner: the ownership check alone, for a relation already
 * opened (relid): raises 42501 unless `owner` owns it.
 */
extern void publish_require_owner(Oid relid, const char *what, Oid owner, const char *whose);

/*
 * publish_is_distributed: true when pg_catalog.pg_dist_partition exists
 * (Citus is installed) and lists relid (a distributed, reference or Citus
 * local table).  A qualified query with relid as a parameter, as the
 * current user (Citus grants SELECT on it to PUBLIC).  SPI must be
 * connected.
 */
extern bool publish_is_distributed(Oid relid);

/*
 * publish_refuse_distributed: raises 0A000 (feature_not_supported), naming
 * the relation as `what`, when publish_is_distributed(relid).  For the
 * modules that write a relation themselves (ingest's COPY).
 */
extern void publish_refuse_distributed(Oid relid, const char *what);

/*
 * publish_operator: "OPERATOR(schema.op)" for the operator of type typid's
 * default btree operator class (else hash, for equality) that `which`
 * names: TYPECACHE_EQ_OPR (=), TYPECACHE_LT_OPR (<) or TYPECACHE_GT_OPR
 * (>), with the schema it lives in, quoted.  `column` names the column in
 * the error: 42883 when the type has no such operator.
 */
extern char *publish_operator(Oid typid, int which, const char *column);

/* The type of column `name` of desc; raises 42703 when it has none. */
extern Oid	publish_column_type(TupleDesc desc, const char *name);

/*
 * publish_key_join: "a.k1 OPERATOR(s.=) b.k1 AND ..." for the key columns
 * (of desc), quoted, each with its type's equality operator.
 */
extern char *publish_key_join(List *keys, TupleDesc desc, const char *a, const char *b);

/*
 * publish_distinct: an expression true when a.c IS DISTINCT FROM b.c for
 * some column c of `columns` (of desc), written with each type's equality
 * operator qualified: IS DISTINCT FROM would look "=" up on the
 * search_path.  NULLs are told apart with pg_catalog.num_nulls, as
 * IS DISTINCT FROM does (by the value, not by a row's fields).  "false"
 * for no columns.
 */
extern char *publish_distinct(List *columns, TupleDesc desc, const char *a, const char *b);

extern PGDLLEXPORT Datum dataops_equality_operator(PG_FUNCTION_ARGS);

#endif							/* DATAOPS_PUBLISH_H */
