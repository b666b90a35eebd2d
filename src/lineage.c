/*
 * lineage.c: what each target column is computed from.
 *
 * The query is analyzed (not rewritten) and its tree walked: range table
 * entries give the table-level edges (a view is a source of its own, and so
 * are the relations behind it); each output column's expression is walked
 * for Vars, which are followed through subqueries, CTEs, join alias lists,
 * every branch of UNION / INTERSECT / EXCEPT, the outputs of scalar (and
 * other) subqueries and the queries of views, down to base relation
 * columns.  Each column edge carries a transformation type as OpenLineage's
 * ColumnLineageDatasetFacet 1-2-0 names them: IDENTITY (the output is the
 * column, unchanged), TRANSFORMATION (an expression of it), and the
 * dataset-wide INDIRECT edges FILTER (WHERE, HAVING), JOIN (join
 * conditions), GROUP_BY and SORT (ORDER BY), which have no target column.
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/analyze.h"
#include "parser/parser.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "catalog.h"
#include "dag.h"
#include "lineage.h"

/* views nested deeper than this are not expanded further */
#define LINEAGE_MAX_VIEW_DEPTH 32

static char *
relation_text(Oid relid)
{
	return psprintf("%s.%s", get_namespace_name(get_rel_namespace(relid)), get_rel_name(relid));
}

/*
 * The stored query of view `relid` (a copy), or NULL if it is not a view or
 * the current role (the pipeline owner, in a step's worker) may not read
 * it: the DAG's rule (dag_view_query), so lineage and dependencies follow
 * the same views.
 */
static Query *
view_query(Oid relid)
{
	return dag_view_query(relid, GetUserId());
}

typedef struct TablesContext
{
	List	   *rels;
	List	   *views;			/* views expanded already */
} TablesContext;

static bool
tables_walker(Node *node, TablesContext *ctx)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
	{
		Query	   *q = (Query *) node;
		ListCell   *lc;

		check_stack_depth();
		foreach(lc, q->rtable)
		{
			RangeTblEntry *rte = lfirst(lc);

			if (rte->rtekind != RTE_RELATION)
				continue;
			ctx->rels = list_append_unique_oid(ctx->rels, rte->relid);
			if (rte->relkind == RELKIND_VIEW && !list_member_oid(ctx->views, rte->relid) &&
				list_length(ctx->views) < LINEAGE_MAX_VIEW_DEPTH * 8)
			{
				Query	   *vq = view_query(rte->relid);

				ctx->views = lappend_oid(ctx->views, rte->relid);
				if (vq)
					(void) tables_walker((Node *) vq, ctx);
			}
		}
		return query_tree_walker(q, tables_walker, (void *) ctx, 0);
	}
	return expression_tree_walker(node, tables_walker, (void *) ctx);
}

typedef struct ColumnSource
{
	Oid			relid;
	AttrNumber	attnum;
	const char *kind;
} ColumnSource;

typedef struct ExprContextW
{
	Query	   *q;
	List	   *outer;			/* enclosing queries, innermost first */
	List	  **sources;
	int			depth;			/* sublevels entered through SubLinks */
	bool		identity;		/* the expression is one bare Var */
	int			views;			/* views expanded on the way here */
} ExprContextW;

static void add_var_sources(Query *q, List *outer, Var *var, List **sources, bool identity, int views);
static void add_output_sources(Query *q, List *outer, AttrNumber attno, List **sources, bool identity, int views);

static void
add_source(List **sources, Oid relid, AttrNumber attnum, const char *kind)
{
	ListCell   *lc;
	ColumnSource *cs;

	foreach(lc, *sources)
	{
		cs = lfirst(lc);
		if (cs->relid == relid && cs->attnum == attnum)
		{
			/* reached both as itself and through an expression: a transformation */
			if (strcmp(cs->kind, kind) != 0 && strcmp(kind, "TRANSFORMATION") == 0)
				cs->kind = kind;
			return;
		}
	}
	cs = palloc(sizeof(ColumnSource));
	cs->relid = relid;
	cs->attnum = attnum;
	cs->kind = kind;
	*sources = lappend(*sources, cs);
}

static bool
expr_vars_walker(Node *node, ExprContextW *ctx)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var))
	{
		Var		   *v = (Var *) node;

		if (v->varlevelsup == ctx->depth)
			add_var_sources(ctx->q, ctx->outer, v, ctx->sources, ctx->identity, ctx->views);
		else if (v->varlevelsup > ctx->depth &&
				 v->varlevelsup - ctx->depth <= list_length(ctx->outer))
		{
			/* a correlated reference to an enclosing query */
			int			up = v->varlevelsup - ctx->depth;
			Var		   *local = copyObject(v);

			local->varlevelsup = 0;
			add_var_sources(list_nth(ctx->outer, up - 1), list_copy_tail(ctx->outer, up), local,
							ctx->sources, false, ctx->views);
		}
		return false;
	}
	if (IsA(node, SubLink))
	{
		SubLink    *sl = (SubLink *) node;

		/*
		 * What the subquery returns flows into the expression.  Inside a
		 * sublink (depth > 0) only references to the walker's query matter.
		 */
		if (ctx->depth == 0 && sl->subLinkType != EXISTS_SUBLINK &&
			sl->subselect && IsA(sl->subselect, Query))
		{
			Query	   *sq = (Query *) sl->subselect;
			ListCell   *lc;

			foreach(lc, sq->targetList)
			{
				TargetEntry *te = lfirst(lc);

				if (!te->resjunk)
					add_output_sources(sq, lcons(ctx->q, ctx->outer), te->resno, ctx->sources,
									   false, ctx->views);
			}
		}
		(void) expression_tree_walker(sl->testexpr, expr_vars_walker, (void *) ctx);

		/*
		 * The correlated references in the rest of the subquery (its WHERE)
		 * are INDIRECT edges, found by indirect_query; only an EXISTS, which
		 * returns nothing, is walked for them here.
		 */
		if ((ctx->depth > 0 || sl->subLinkType == EXISTS_SUBLINK) &&
			sl->subselect && IsA(sl->subselect, Query))
		{
			bool		saved = ctx->identity;

			ctx->identity = false;
			ctx->depth++;
			(void) query_tree_walker((Query *) sl->subselect, expr_vars_walker, (void *) ctx, 0);
			ctx->depth--;
			ctx->identity = saved;
		}
		return false;
	}
	if (IsA(node, Query))
	{
		bool		r;

		ctx->depth++;
		r = query_tree_walker((Query *) node, expr_vars_walker, (void *) ctx, 0);
		ctx->depth--;
		return r;
	}
	return expression_tree_walker(node, expr_vars_walker, (void *) ctx);
}

static void
add_expr_sources(Query *q, List *outer, Node *expr, List **sources, bool identity, int views)
{
	ExprContextW ctx;

	ctx.q = q;
	ctx.outer = outer;
	ctx.sources = sources;
	ctx.depth = 0;
	/* IDENTITY survives only a bare Var (binary-compatible relabelling aside) */
	while (expr && IsA(expr, RelabelType))
		expr = (Node *) ((RelabelType *) expr)->arg;
	ctx.identity = identity && expr != NULL && IsA(expr, Var);
	ctx.views = views;
	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	(void) expr_vars_walker(expr, &ctx);
}

static void
setop_leaves(Node *n, List **leaves)
{
	if (n == NULL)
		return;
	if (IsA(n, RangeTblRef))
		*leaves = lappend_int(*leaves, ((RangeTblRef *) n)->rtindex);
	else if (IsA(n, SetOperationStmt))
	{
		setop_leaves(((SetOperationStmt *) n)->larg, leaves);
		setop_leaves(((SetOperationStmt *) n)->rarg, leaves);
	}
}

/*
 * Follows output column `attno` of query q: every branch of a set
 * operation, else the expression of its target entry.
 */
static void
add_output_sources(Query *q, List *outer, AttrNumber attno, List **sources, bool identity, int views)
{
	if (q->setOperations != NULL)
	{
		List	   *leaves = NIL;
		ListCell   *lc;

		setop_leaves(q->setOperations, &leaves);
		foreach(lc, leaves)
		{
			RangeTblEntry *rte = rt_fetch(lfirst_int(lc), q->rtable);

			if (rte->rtekind == RTE_SUBQUERY && rte->subquery)
				add_output_sources(rte->subquery, lcons(q, outer), attno, sources, identity, views);
		}
	}
	else
	{
		TargetEntry *te = get_tle_by_resno(q->targetList, attno);

		if (te)
			add_expr_sources(q, outer, (Node *) te->expr, sources, identity, views);
	}
}

/* Follows a Var of query q to the base relation columns it comes from. */
static void
add_var_sources(Query *q, List *outer, Var *var, List **sources, bool identity, int views)
{
	RangeTblEntry *rte;

	if (var->varno < 1 || var->varno > list_length(q->rtable))
		return;
	rte = rt_fetch(var->varno, q->rtable);
	switch (rte->rtekind)
	{
		case RTE_RELATION:
			if (var->varattno > 0)
			{
				Query	   *vq = NULL;

				if (rte->relkind == RELKIND_VIEW && views < LINEAGE_MAX_VIEW_DEPTH)
					vq = view_query(rte->relid);
				if (vq)
					add_output_sources(vq, NIL, var->varattno, sources, identity, views + 1);
				else
					add_source(sources, rte->relid, var->varattno,
							   identity ? "IDENTITY" : "TRANSFORMATION");
			}
			break;
		case RTE_SUBQUERY:
			if (var->varattno > 0)
				add_output_sources(rte->subquery, lcons(q, outer), var->varattno, sources, identity, views);
			break;
		case RTE_JOIN:
			if (var->varattno > 0 && var->varattno <= list_length(rte->joinaliasvars))
				add_expr_sources(q, outer, list_nth(rte->joinaliasvars, var->varattno - 1), sources,
								 identity, views);
			break;
#if PG_VERSION_NUM >= 180000
		case RTE_GROUP:
			/* 18: a grouped column refers to its GROUP BY expression */
			if (var->varattno > 0 && var->varattno <= list_length(rte->groupexprs))
				add_expr_sources(q, outer, list_nth(rte->groupexprs, var->varattno - 1), sources,
								 identity, views);
			break;
#endif
		case RTE_CTE:
			{
				Query	   *owner = q;
				List	   *owner_outer = outer;
				ListCell   *lc;
				Index		up = rte->ctelevelsup;

				if (up > 0)
				{
					if (up > list_length(outer))
						break;
					owner = list_nth(outer, up - 1);
					owner_outer = list_copy_tail(outer, up);
				}
				foreach(lc, owner->cteList)
				{
					CommonTableExpr *cte = lfirst(lc);

					if (strcmp(cte->ctename, rte->ctename) == 0 && IsA(cte->ctequery, Query) &&
						var->varattno > 0 && !cte->cterecursive)
						add_output_sources((Query *) cte->ctequery, lcons(owner, owner_outer),
										   var->varattno, sources, identity, views);
				}
				break;
			}
		default:
			break;
	}
}

/* ---------- INDIRECT edges: filters, joins, grouping and sort keys ---------- */

typedef struct IndirectContext
{
	List	   *outer;			/* queries enclosing the one being visited */
	List	  **sources;
	List	   *views;			/* views expanded already */
} IndirectContext;

static void indirect_query(Query *q, IndirectContext *ctx);

static void
indirect_expr(Query *q, List *outer, Node *expr, const char *kind, List **sources)
{
	List	   *found = NIL;
	ListCell   *lc;

	if (expr == NULL)
		return;
	add_expr_sources(q, outer, expr, &found, false, 0);
	foreach(lc, found)
	{
		ColumnSource *cs = lfirst(lc);
		ListCell   *lc2;
		bool		dup = false;

		foreach(lc2, *sources)
		{
			ColumnSource *o = lfirst(lc2);

			if (o->relid == cs->relid && o->attnum == cs->attnum && strcmp(o->kind, kind) == 0)
				dup = true;
		}
		if (!dup)
		{
			cs->kind = kind;
			*sources = lappend(*sources, cs);
		}
	}
}

static void
indirect_jointree(Query *q, List *outer, Node *n, List **sources)
{
	ListCell   *lc;

	if (n == NULL)
		return;
	if (IsA(n, FromExpr))
	{
		FromExpr   *f = (FromExpr *) n;

		foreach(lc, f->fromlist)
			indirect_jointree(q, outer, lfirst(lc), sources);
		indirect_expr(q, outer, f->quals, "FILTER", sources);
	}
	else if (IsA(n, JoinExpr))
	{
		JoinExpr   *j = (JoinExpr *) n;

		indirect_jointree(q, outer, j->larg, sources);
		indirect_jointree(q, outer, j->rarg, sources);
		indirect_expr(q, outer, j->quals, "JOIN", sources);
	}
}

static bool
indirect_walker(Node *node, IndirectContext *ctx)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
	{
		indirect_query((Query *) node, ctx);
		return false;
	}
	return expression_tree_walker(node, indirect_walker, (void *) ctx);
}

static void
indirect_query(Query *q, IndirectContext *ctx)
{
	ListCell   *lc;
	List	   *saved = ctx->outer;

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	indirect_jointree(q, ctx->outer, (Node *) q->jointree, ctx->sources);
	indirect_expr(q, ctx->outer, q->havingQual, "FILTER", ctx->sources);
	foreach(lc, q->groupClause)
		indirect_expr(q, ctx->outer, get_sortgroupclause_expr(lfirst(lc), q->targetList), "GROUP_BY", ctx->sources);
	foreach(lc, q->sortClause)
		indirect_expr(q, ctx->outer, get_sortgroupclause_expr(lfirst(lc), q->targetList), "SORT", ctx->sources);

	/* the queries inside: views read, then subqueries, CTEs and sublinks */
	foreach(lc, q->rtable)
	{
		RangeTblEntry *rte = lfirst(lc);

		if (rte->rtekind == RTE_RELATION && rte->relkind == RELKIND_VIEW &&
			!list_member_oid(ctx->views, rte->relid) && list_length(ctx->views) < LINEAGE_MAX_VIEW_DEPTH * 8)
		{
			Query	   *vq = view_query(rte->relid);

			ctx->views = lappend_oid(ctx->views, rte->relid);
			if (vq)
			{
				ctx->outer = NIL;
				indirect_query(vq, ctx);
				ctx->outer = saved;
			}
		}
	}
	ctx->outer = lcons(q, saved);
	(void) query_tree_walker(q, indirect_walker, (void *) ctx, 0);
	ctx->outer = saved;
}

/*
 * Appends to `edges` one column edge per source of `sources` (ColumnSource)
 * whose column still exists: into `target` (NULL for an indirect use, which
 * concerns the whole target), with the source's transformation type.
 */
static List *
append_edges(List *edges, List *sources, const char *target)
{
	ListCell   *sc;

	foreach(sc, sources)
	{
		ColumnSource *cs = lfirst(sc);
		LineageEdge *e;
		char	   *att = get_attname(cs->relid, cs->attnum, true);

		CHECK_FOR_INTERRUPTS();
		if (att == NULL)
			continue;
		e = palloc0(sizeof(LineageEdge));
		e->source_relation = relation_text(cs->relid);
		e->source_column = att;
		e->target_column = target ? pstrdup(target) : NULL;
		e->transformation = cs->kind;
		edges = lappend(edges, e);
	}
	return edges;
}

List *
lineage_from_query(const char *query)
{
	RawStmt    *raw;
	Query	   *q;
	TablesContext tctx = {NIL, NIL};
	IndirectContext ictx;
	List	   *indirect = NIL;
	List	   *edges = NIL;
	ListCell   *lc;

	(void) dag_parse_select(query, &raw);
	q = parse_analyze_fixedparams(raw, query, NULL, 0, NULL);

	(void) tables_walker((Node *) q, &tctx);
	foreach(lc, tctx.rels)
	{
		LineageEdge *e = palloc0(sizeof(LineageEdge));

		e->source_relation = relation_text(lfirst_oid(lc));
		edges = lappend(edges, e);
	}

	foreach(lc, q->targetList)
	{
		TargetEntry *te = lfirst(lc);
		List	   *sources = NIL;

		if (te->resjunk || te->resname == NULL)
			continue;
		add_output_sources(q, NIL, te->resno, &sources, true, 0);
		edges = append_edges(edges, sources, te->resname);
	}

	ictx.outer = NIL;
	ictx.sources = &indirect;
	ictx.views = NIL;
	indirect_query(q, &ictx);
	return append_edges(edges, indirect, NULL);
}
