/*
 * trust.h: may a role run the code of the objects a check uses?
 *
 * An expectation's check runs with the privileges of the role that checks
 * the rows (the pipeline's owner in the run's worker, the caller of
 * dataops.validate), but the objects it evaluates (the type of castable_to
 * and its domain constraints, the relation of relationships, the functions,
 * operators and relations of an expression) may belong to another role,
 * such as the owner of a suite.  PostgreSQL runs a function, a domain's
 * CHECK constraint, a view's definition or a row-level security policy
 * with the privileges of the role that uses it, so using another role's
 * object hands that role the user's privileges.
 *
 * Role R trusts an object when its owner is R, a role whose privileges R
 * has (membership with INHERIT, as has_privs_of_role, but without the
 * superuser shortcut: a superuser trusts only its own roles' objects), or a
 * superuser (built-in objects belong to the bootstrap superuser, and
 * extensions' objects to the superuser that installed them).  Every
 * function here raises 42501 (insufficient_privilege) naming `user` (what
 * uses the object, e.g. expectation "x" of suite "s"), the object, its
 * owner and R when R does not trust something; they read the catalogs only
 * and take no lock on user relations.
 */
#ifndef DATAOPS_TRUST_H
#define DATAOPS_TRUST_H

#include "postgres.h"
#include "nodes/nodes.h"
#include "utils/acl.h"

/* True when `role` trusts objects owned by `owner` (see above). */
extern bool trust_role_trusts(Oid role, Oid owner);

/*
 * trust_require_type: the type and everything that reading a value of it
 * as text runs: its owner, input and typmod input functions; for a domain,
 * its base type and the functions and operators of its CHECK constraints;
 * for an array its element type, for a composite its attributes' types,
 * for a range its subtype and canonical function, for a multirange its
 * range; recursively.
 */
extern void trust_require_type(Oid typid, Oid role, const char *user);

/* A function (its owner; for an aggregate, its support functions too). */
extern void trust_require_function(Oid funcid, Oid role, const char *user);

/* An operator: its owner, its function and its estimators. */
extern void trust_require_operator(Oid opno, Oid role, const char *user);

/*
 * trust_require_relation: a relation a check reads.  A plain or
 * partitioned table needs no trust unless row-level security applies to
 * `role` (its policies run as the reader; their expressions are checked
 * too) or it has a foreign table among its descendants; a
 * view, materialized view or foreign table must be owned by a trusted role,
 * and a view's definition is checked as an expression (trust_require_expr).
 * No privilege check (trust_require_select) and no lock.
 */
extern void trust_require_relation(Oid relid, Oid role, const char *user);

/*
 * trust_require_select: raises 42501 unless `role` may SELECT from the
 * relation: the whole table, or column `attnum` when it is > 0, or some
 * column (when attnum is 0 and how is ACLMASK_ANY), or every column
 * (ACLMASK_ALL).  Meant to run before the relation is locked.
 */
extern void trust_require_select(Oid relid, AttrNumber attnum, AclMaskHow how, Oid role,
								 const char *user);

/*
 * trust_require_expr: an analyzed expression or Query: every function,
 * operator, domain coercion and aggregate it calls, and every relation it
 * reads (trust_require_relation), in sub-queries too.
 */
extern void trust_require_expr(Node *node, Oid role, const char *user);

/*
 * trust_require_raw_expr: a raw (not yet analyzed) expression, checked
 * before parse analysis, which locks the relations named and may convert
 * literals with the input functions of the types involved: every relation
 * named must exist-or-be-absent, be readable by `role` (some column) and
 * be trusted; every type named (casts) trusted; every function and every
 * operator visible under a name the expression calls, with their argument
 * types, trusted (so name resolution cannot pick an untrusted one).
 */
extern void trust_require_raw_expr(Node *raw, Oid role, const char *user);

#endif							/* DATAOPS_TRUST_H */
