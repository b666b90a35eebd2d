/*
 * trust.c: may a role run the code of the objects a check uses?  (See
 * trust.h for the rule.)
 *
 * Where the rule comes from: PostgreSQL runs a function, a domain's CHECK
 * constraint, an operator's function, a view's definition and a row-level
 * security policy with the privileges of the role that evaluates them, not
 * of their owner, so a role must evaluate only objects whose owners it
 * trusts (PostgreSQL's documentation: "Writing SECURITY DEFINER Functions
 * Safely", "Secure Schema Usage Pattern").  Owners that cannot gain
 * anything are: the role itself, roles whose privileges it already has
 * (has_privs_of_role's inheritance), and superusers, who already have
 * every privilege.  has_privs_of_role() itself answers true for a
 * superuser member, which would make a superuser trust every object, so
 * memberships are walked here without that shortcut.
 *
 * The checks read the system catalogs through the syscache and take no
 * lock on user relations: an object's owner does not change when it is
 * replaced (CREATE OR REPLACE keeps it, ALTER ... OWNER TO needs the new
 * owner's privileges), so what a trusted owner's object calls can change
 * only by that owner's hand, or by an untrusted owner's whose objects are
 * refused.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_auth_members.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_database.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_range.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "parser/parse_type.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/syscache.h"

#include "trust.h"

/* State of one check: the role, what uses the objects, types already seen. */
typedef struct TrustWalk
{
	Oid			role;
	const char *user;
	List	   *types;			/* OIDs of types checked or being checked */
	List	   *relations;		/* OIDs of relations checked or being checked */
} TrustWalk;

static void walk_type(TrustWalk *w, Oid typid);
static void walk_function(TrustWalk *w, Oid funcid);
static void walk_operator(TrustWalk *w, Oid opno);
static void walk_relation(TrustWalk *w, Oid relid);
static bool walk_expr(Node *node, TrustWalk *w);

/* ------------------------------------------------------------------------
 * Roles
 * ------------------------------------------------------------------------
 */

static bool
role_inherits(Oid roleid)
{
	HeapTuple	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(roleid));
	bool		inherit = false;

	if (HeapTupleIsValid(tup))
	{
		inherit = ((Form_pg_authid) GETSTRUCT(tup))->rolinherit;
		ReleaseSysCache(tup);
	}
	return inherit;
}

/*
 * True when `member` has the privileges of `role` through memberships,
 * whether or not `member` is a superuser: PostgreSQL 15's roles_is_member_of
 * (ROLERECURSE_PRIVS): memberships are followed from roles with rolinherit
 * only, and the database's owner is a member of pg_database_owner.
 */
static bool
has_privs_nosuper(Oid member, Oid role)
{
	List	   *roles = list_make1_oid(member);
	Oid			dba = InvalidOid;
	HeapTuple	dbtup;
	int			i;

	dbtup = SearchSysCache1(DATABASEOID, ObjectIdGetDatum(MyDatabaseId));
	if (HeapTupleIsValid(dbtup))
	{
		dba = ((Form_pg_database) GETSTRUCT(dbtup))->datdba;
		ReleaseSysCache(dbtup);
	}
	for (i = 0; i < list_length(roles); i++)
	{
		Oid			m = list_nth_oid(roles, i);
		CatCList   *memlist;
		int			j;

		CHECK_FOR_INTERRUPTS();
		if (m == role)
			return true;
		if (!role_inherits(m))
			continue;
		memlist = SearchSysCacheList1(AUTHMEMMEMROLE, ObjectIdGetDatum(m));
		for (j = 0; j < memlist->n_members; j++)
		{
			HeapTuple	tup = &memlist->members[j]->tuple;

			roles = list_append_unique_oid(roles, ((Form_pg_auth_members) GETSTRUCT(tup))->roleid);
		}
		ReleaseSysCacheList(memlist);
		if (m == dba && OidIsValid(dba))
			roles = list_append_unique_oid(roles, ROLE_PG_DATABASE_OWNER);
	}
	return false;
}

bool
trust_role_trusts(Oid role, Oid owner)
{
	if (owner == role || superuser_arg(owner))
		return true;
	if (superuser_arg(role))
		return has_privs_nosuper(role, owner);
	return has_privs_of_role(role, owner);
}

static const char *
role_name(Oid roleid)
{
	char	   *name = GetUserNameFromId(roleid, true);

	return name ? name : psprintf("%u", roleid);
}

/* Raises 42501 unless w->role trusts `owner` of the object (classid, objid). */
static void
require_owner(TrustWalk *w, Oid classid, Oid objid, Oid owner, const char *why)
{
	if (trust_role_trusts(w->role, owner))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("%s uses %s, owned by role \"%s\", which role \"%s\" does not trust",
					w->user, getObjectDescriptionOids(classid, objid), role_name(owner),
					role_name(w->role)),
			 errdetail("%s", why),
			 errhint("A role trusts only objects owned by itself, by a role whose privileges it has, or by a superuser: use such an object, or have such a role own this one.")));
}

/* ------------------------------------------------------------------------
 * Functions, operators, types
 * ------------------------------------------------------------------------
 */

#define WHY_FUNCTION "A check runs the functions it calls with the privileges of the role that runs the check."

static void
walk_function(TrustWalk *w, Oid funcid)
{
	HeapTuple	tup;
	Oid			owner;
	char		kind;

	if (!OidIsValid(funcid))
		return;
	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	if (!HeapTupleIsValid(tup))
		return;					/* dropped meanwhile: whoever calls it fails */
	owner = ((Form_pg_proc) GETSTRUCT(tup))->proowner;
	kind = ((Form_pg_proc) GETSTRUCT(tup))->prokind;
	ReleaseSysCache(tup);
	require_owner(w, ProcedureRelationId, funcid, owner, WHY_FUNCTION);

	if (kind == PROKIND_AGGREGATE)
	{
		Form_pg_aggregate agg;
		Oid			support[9];
		int			i;

		tup = SearchSysCache1(AGGFNOID, ObjectIdGetDatum(funcid));
		if (!HeapTupleIsValid(tup))
			return;
		agg = (Form_pg_aggregate) GETSTRUCT(tup);
		support[0] = agg->aggtransfn;
		support[1] = agg->aggfinalfn;
		support[2] = agg->aggcombinefn;
		support[3] = agg->aggserialfn;
		support[4] = agg->aggdeserialfn;
		support[5] = agg->aggmtransfn;
		support[6] = agg->aggminvtransfn;
		support[7] = agg->aggmfinalfn;
		support[8] = agg->aggsortop;	/* an operator, below */
		ReleaseSysCache(tup);
		for (i = 0; i < 8; i++)
			walk_function(w, support[i]);
		if (OidIsValid(support[8]))
			walk_operator(w, support[8]);
	}
}

static void
walk_operator(TrustWalk *w, Oid opno)
{
	HeapTuple	tup;
	Form_pg_operator op;
	Oid			owner;
	Oid			funcs[3];
	int			i;

	tup = SearchSysCache1(OPEROID, ObjectIdGetDatum(opno));
	if (!HeapTupleIsValid(tup))
		return;
	op = (Form_pg_operator) GETSTRUCT(tup);
	owner = op->oprowner;
	funcs[0] = op->oprcode;
	funcs[1] = op->oprrest;
	funcs[2] = op->oprjoin;
	ReleaseSysCache(tup);
	require_owner(w, OperatorRelationId, opno, owner,
				  "A check runs the functions of the operators it uses with the privileges of the role that runs the check.");
	for (i = 0; i < 3; i++)
		walk_function(w, funcs[i]);
}

#define WHY_TYPE "Reading a value of a type runs its input function and, for a domain, its CHECK constraints, with the privileges of the role that runs the check."

/* The functions and operators of a domain's CHECK constraints. */
static void
walk_domain_constraints(TrustWalk *w, Oid typid)
{
	Relation	conrel = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;

	ScanKeyInit(&key, Anum_pg_constraint_contypid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(typid));
	scan = systable_beginscan(conrel, ConstraintTypidIndexId, true, NULL, 1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tup);
		bool		isnull;
		Datum		bin;

		CHECK_FOR_INTERRUPTS();
		if (con->contype != CONSTRAINT_CHECK)
			continue;
		bin = heap_getattr(tup, Anum_pg_constraint_conbin, RelationGetDescr(conrel), &isnull);
		if (!isnull)
			(void) walk_expr(stringToNode(TextDatumGetCString(bin)), w);
	}
	systable_endscan(scan);
	table_close(conrel, AccessShareLock);
}

static void
walk_type(TrustWalk *w, Oid typid)
{
	HeapTuple	tup;
	Form_pg_type t;
	Oid			owner;
	char		typtype;
	Oid			basetype;
	Oid			relid;
	Oid			input;
	Oid			modin;
	Oid			elem;

	if (!OidIsValid(typid) || list_member_oid(w->types, typid))
		return;
	w->types = lappend_oid(w->types, typid);
	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	if (!HeapTupleIsValid(tup))
		return;
	t = (Form_pg_type) GETSTRUCT(tup);
	owner = t->typowner;
	typtype = t->typtype;
	basetype = t->typbasetype;
	relid = t->typrelid;
	input = t->typinput;
	modin = t->typmodin;
	ReleaseSysCache(tup);

	require_owner(w, TypeRelationId, typid, owner, WHY_TYPE);
	walk_function(w, input);
	walk_function(w, modin);
	switch (typtype)
	{
		case TYPTYPE_DOMAIN:
			walk_type(w, basetype);
			walk_domain_constraints(w, typid);
			break;
		case TYPTYPE_COMPOSITE:
			{
				HeapTuple	reltup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
				int			natts;
				AttrNumber	a;

				if (!HeapTupleIsValid(reltup))
					break;
				natts = ((Form_pg_class) GETSTRUCT(reltup))->relnatts;
				ReleaseSysCache(reltup);
				for (a = 1; a <= natts; a++)
				{
					HeapTuple	atttup = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid), Int16GetDatum(a));
					Oid			atttype = InvalidOid;

					if (!HeapTupleIsValid(atttup))
						continue;
					if (!((Form_pg_attribute) GETSTRUCT(atttup))->attisdropped)
						atttype = ((Form_pg_attribute) GETSTRUCT(atttup))->atttypid;
					ReleaseSysCache(atttup);
					walk_type(w, atttype);
				}
				break;
			}
		case TYPTYPE_RANGE:
			{
				HeapTuple	rngtup = SearchSysCache1(RANGETYPE, ObjectIdGetDatum(typid));
				Oid			subtype;
				Oid			canonical;
				Oid			subdiff;

				if (!HeapTupleIsValid(rngtup))
					break;
				subtype = ((Form_pg_range) GETSTRUCT(rngtup))->rngsubtype;
				canonical = ((Form_pg_range) GETSTRUCT(rngtup))->rngcanonical;
				subdiff = ((Form_pg_range) GETSTRUCT(rngtup))->rngsubdiff;
				ReleaseSysCache(rngtup);
				walk_type(w, subtype);
				walk_function(w, canonical);
				walk_function(w, subdiff);
				break;
			}
		case TYPTYPE_MULTIRANGE:
			walk_type(w, get_multirange_range(typid));
			break;
		default:
			elem = get_element_type(typid);
			if (OidIsValid(elem))
				walk_type(w, elem);
			break;
	}
}

/* ------------------------------------------------------------------------
 * Relations
 * ------------------------------------------------------------------------
 */

/* The expressions of the row-level security policies of a table. */
static void
walk_policies(TrustWalk *w, Oid relid)
{
	Relation	polrel = table_open(PolicyRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;

	ScanKeyInit(&key, Anum_pg_policy_polrelid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(relid));
	scan = systable_beginscan(polrel, PolicyPolrelidPolnameIndexId, true, NULL, 1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		d;

		CHECK_FOR_INTERRUPTS();
		d = heap_getattr(tup, Anum_pg_policy_polqual, RelationGetDescr(polrel), &isnull);
		if (!isnull)
			(void) walk_expr(stringToNode(TextDatumGetCString(d)), w);
		d = heap_getattr(tup, Anum_pg_policy_polwithcheck, RelationGetDescr(polrel), &isnull);
		if (!isnull)
			(void) walk_expr(stringToNode(TextDatumGetCString(d)), w);
	}
	systable_endscan(scan);
	table_close(polrel, AccessShareLock);
}

/* A view's definition (its _RETURN rule's query). */
static void
walk_view_definition(TrustWalk *w, Oid relid)
{
	HeapTuple	tup = SearchSysCache2(RULERELNAME, ObjectIdGetDatum(relid), CStringGetDatum("_RETURN"));
	bool		isnull;
	Datum		action;
	List	   *queries = NIL;

	if (!HeapTupleIsValid(tup))
		return;
	action = SysCacheGetAttr(RULERELNAME, tup, Anum_pg_rewrite_ev_action, &isnull);
	if (!isnull)
		queries = (List *) stringToNode(TextDatumGetCString(action));
	ReleaseSysCache(tup);
	(void) walk_expr((Node *) queries, w);
}

static void
walk_relation(TrustWalk *w, Oid relid)
{
	HeapTuple	tup;
	Form_pg_class rel;
	char		relkind;
	Oid			owner;
	bool		rls;

	if (list_member_oid(w->relations, relid))
		return;
	w->relations = lappend_oid(w->relations, relid);
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		return;
	rel = (Form_pg_class) GETSTRUCT(tup);
	relkind = rel->relkind;
	owner = rel->relowner;
	rls = rel->relrowsecurity;
	ReleaseSysCache(tup);

	switch (relkind)
	{
		case RELKIND_RELATION:
		case RELKIND_PARTITIONED_TABLE:
			{
				List	   *children;
				ListCell   *lc;

				/* policies run for roles without BYPASSRLS that are not (unforced) owners */
				if (rls && check_enable_rls(relid, w->role, true) == RLS_ENABLED)
				{
					require_owner(w, RelationRelationId, relid, owner,
								  "Reading a table with row-level security runs its policies' expressions with the privileges of the role that runs the check.");
					walk_policies(w, relid);
				}
				/* reading a table reads its inheritance children and partitions */
				children = find_all_inheritors(relid, NoLock, NULL);
				foreach(lc, children)
				{
					Oid			child = lfirst_oid(lc);

					if (child != relid && get_rel_relkind(child) == RELKIND_FOREIGN_TABLE)
						walk_relation(w, child);
				}
				break;
			}
		case RELKIND_VIEW:
			require_owner(w, RelationRelationId, relid, owner,
						  "Reading a view runs the functions of its definition with the privileges of the role that runs the check.");
			walk_view_definition(w, relid);
			break;
		case RELKIND_MATVIEW:
			require_owner(w, RelationRelationId, relid, owner,
						  "A materialized view is code: its owner decides what its rows are and when they change.");
			break;
		case RELKIND_FOREIGN_TABLE:
			require_owner(w, RelationRelationId, relid, owner,
						  "Reading a foreign table runs its foreign-data wrapper with the privileges and user mappings of the role that runs the check.");
			break;
		default:
			break;				/* sequences: no code; others cannot be read */
	}
}

/* ------------------------------------------------------------------------
 * Analyzed expressions and queries
 * ------------------------------------------------------------------------
 */

static bool
function_cb(Oid funcid, void *context)
{
	walk_function((TrustWalk *) context, funcid);
	return false;
}

static void
walk_sort_clauses(TrustWalk *w, List *clauses)
{
	ListCell   *lc;

	foreach(lc, clauses)
	{
		SortGroupClause *sgc = lfirst(lc);

		if (OidIsValid(sgc->eqop))
			walk_operator(w, sgc->eqop);
		if (OidIsValid(sgc->sortop))
			walk_operator(w, sgc->sortop);
	}
}

static bool
walk_expr(Node *node, TrustWalk *w)
{
	if (node == NULL)
		return false;
	CHECK_FOR_INTERRUPTS();
	if (IsA(node, Query))
	{
		Query	   *q = (Query *) node;

		walk_sort_clauses(w, q->sortClause);
		walk_sort_clauses(w, q->groupClause);
		walk_sort_clauses(w, q->distinctClause);
		return query_tree_walker(q, walk_expr, (void *) w, QTW_EXAMINE_RTES_BEFORE);
	}
	if (IsA(node, RangeTblEntry))
	{
		RangeTblEntry *rte = (RangeTblEntry *) node;

		if (rte->rtekind == RTE_RELATION)
			walk_relation(w, rte->relid);
		return false;
	}
	(void) check_functions_in_node(node, function_cb, (void *) w);
	switch (nodeTag(node))
	{
		case T_OpExpr:
		case T_DistinctExpr:
		case T_NullIfExpr:
			walk_operator(w, ((OpExpr *) node)->opno);
			break;
		case T_ScalarArrayOpExpr:
			walk_operator(w, ((ScalarArrayOpExpr *) node)->opno);
			break;
		case T_RowCompareExpr:
			{
				ListCell   *lc;

				foreach(lc, ((RowCompareExpr *) node)->opnos)
					walk_operator(w, lfirst_oid(lc));
				break;
			}
		case T_CoerceToDomain:
			walk_type(w, ((CoerceToDomain *) node)->resulttype);
			break;
		case T_Aggref:
			walk_function(w, ((Aggref *) node)->aggfnoid);
			break;
		default:
			break;
	}
	return expression_tree_walker(node, walk_expr, (void *) w);
}

/* ------------------------------------------------------------------------
 * Raw expressions
 * ------------------------------------------------------------------------
 */

/* Every function visible as `name`, with its argument types. */
static void
walk_function_name(TrustWalk *w, List *name, int nargs)
{
	FuncCandidateList c;

	for (c = FuncnameGetCandidates(name, -1, NIL, false, false, false, true); c; c = c->next)
	{
		int			i;

		walk_function(w, c->oid);
		for (i = 0; i < c->nargs; i++)
			walk_type(w, c->args[i]);
	}
	/* name(x) is also a cast to the type `name` when no function matches */
	if (nargs == 1)
	{
		TypeName   *tn = makeTypeNameFromNameList(name);

		walk_type(w, LookupTypeNameOid(NULL, tn, true));
	}
}

/* Every operator visible as `name`, with its operand types. */
static void
walk_operator_name(TrustWalk *w, List *name, char kind)
{
	FuncCandidateList c;

	for (c = OpernameGetCandidates(name, kind, true); c; c = c->next)
	{
		int			i;

		walk_operator(w, c->oid);
		for (i = 0; i < c->nargs; i++)
			walk_type(w, c->args[i]);
	}
}

static bool
raw_walk(Node *node, TrustWalk *w)
{
	if (node == NULL)
		return false;
	CHECK_FOR_INTERRUPTS();
	switch (nodeTag(node))
	{
		case T_RangeVar:
			{
				Oid			relid = RangeVarGetRelid((RangeVar *) node, NoLock, true);

				/* absent: a CTE's name, or analysis reports it */
				if (OidIsValid(relid))
				{
					trust_require_select(relid, 0, ACLMASK_ANY, w->role, w->user);
					walk_relation(w, relid);
				}
				break;
			}
		case T_TypeName:
			walk_type(w, LookupTypeNameOid(NULL, (TypeName *) node, true));
			break;
		case T_FuncCall:
			walk_function_name(w, ((FuncCall *) node)->funcname, list_length(((FuncCall *) node)->args));
			break;
		case T_A_Expr:
			{
				A_Expr	   *a = (A_Expr *) node;

				if (a->kind == AEXPR_BETWEEN || a->kind == AEXPR_NOT_BETWEEN ||
					a->kind == AEXPR_BETWEEN_SYM || a->kind == AEXPR_NOT_BETWEEN_SYM)
				{
					walk_operator_name(w, list_make1(makeString("<=")), 'b');
					walk_operator_name(w, list_make1(makeString(">=")), 'b');
				}
				else if (a->name != NIL)
					walk_operator_name(w, a->name, a->lexpr ? 'b' : 'l');
				break;
			}
		case T_SubLink:
			if (((SubLink *) node)->operName != NIL)
				walk_operator_name(w, ((SubLink *) node)->operName, 'b');
			break;
		default:
			break;
	}
	return raw_expression_tree_walker(node, raw_walk, (void *) w);
}

/* ------------------------------------------------------------------------
 * Entry points
 * ------------------------------------------------------------------------
 */

static TrustWalk *
new_walk(Oid role, const char *user)
{
	TrustWalk  *w = palloc0(sizeof(TrustWalk));

	w->role = role;
	w->user = user;
	return w;
}

void
trust_require_type(Oid typid, Oid role, const char *user)
{
	walk_type(new_walk(role, user), typid);
}

void
trust_require_function(Oid funcid, Oid role, const char *user)
{
	walk_function(new_walk(role, user), funcid);
}

void
trust_require_operator(Oid opno, Oid role, const char *user)
{
	walk_operator(new_walk(role, user), opno);
}

void
trust_require_relation(Oid relid, Oid role, const char *user)
{
	walk_relation(new_walk(role, user), relid);
}

void
trust_require_expr(Node *node, Oid role, const char *user)
{
	(void) walk_expr(node, new_walk(role, user));
}

void
trust_require_raw_expr(Node *raw, Oid role, const char *user)
{
	(void) raw_walk(raw, new_walk(role, user));
}

void
trust_require_select(Oid relid, AttrNumber attnum, AclMaskHow how, Oid role, const char *user)
{
	bool		is_missing = false;
	char	   *relname;

	if (pg_class_aclcheck_ext(relid, role, ACL_SELECT, &is_missing) == ACLCHECK_OK || is_missing)
		return;
	if (attnum > 0)
	{
		if (pg_attribute_aclcheck(relid, attnum, role, ACL_SELECT) == ACLCHECK_OK)
			return;
	}
	else if (pg_attribute_aclcheck_all(relid, role, ACL_SELECT, how) == ACLCHECK_OK)
		return;
	relname = get_rel_name(relid);
	if (relname == NULL)
		return;					/* dropped meanwhile: whoever reads it fails */
	relname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), relname);
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("%s reads relation %s, which role \"%s\" may not read",
					user, relname, role_name(role)),
			 errdetail("Role \"%s\" has no SELECT privilege on %s; the relation was not locked.",
					   role_name(role), attnum > 0 ? "the column read" :
					   how == ACLMASK_ALL ? "all of its columns" : "it"),
			 errhint("Grant SELECT on the relation to the role that checks the rows, or name a relation it may read.")));
}
