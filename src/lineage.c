/*
 * lineage.c: what each target column is computed from.
 *
 * The query is analyzed (not rewritten, so a view is a source of its own
 * rather than the tables behind it) and its tree walked: range table
 * entries give the table-level edges; each output column's expression is
 * walked for Vars, which are followed through subqueries, CTEs and join
 * alias lists down to base relation columns.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "nodes/nodeFuncs.h"
#include "parser/analyze.h"
#include "parser/parser.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "catalog.h"
#include "dag.h"
#include "lineage.h"

static char *
relation_text(Oid relid)
{
	return psprintf("%s.%s", get_namespace_name(get_rel_namespace(relid)), get_rel_name(relid));
}

static bool
tables_walker(Node *node, List **rels)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
	{
		Query	   *q = (Query *) node;
		ListCell   *lc;

		foreach(lc, q->rtable)
		{
			RangeTblEntry *rte = lfirst(lc);

			if (rte->rtekind == RTE_RELATION)
				*rels = list_append_unique_oid(*rels, rte->relid);
		}
		return query_tree_walker(q, tables_walker, (void *) rels, 0);
	}
	return expression_tree_walker(node, tables_walker, (void *) rels);
}

typedef struct ColumnSource
{
	Oid			relid;
	AttrNumber	attnum;
} ColumnSource;

static void add_var_sources(Query *q, List *outer, Var *var, List **sources);

static void
add_source(List **sources, Oid relid, AttrNumber attnum)
{
	ListCell   *lc;
	ColumnSource *cs;

	foreach(lc, *sources)
	{
		cs = lfirst(lc);
		if (cs->relid == relid && cs->attnum == attnum)
			return;
	}
	cs = palloc(sizeof(ColumnSource));
	cs->relid = relid;
	cs->attnum = attnum;
	*sources = lappend(*sources, cs);
}

typedef struct ExprContextW
{
	Query	   *q;
	List	   *outer;			/* enclosing queries, innermost first */
	List	  **sources;
	int			depth;			/* sublevels entered through SubLinks */
} ExprContextW;

static bool
expr_vars_walker(Node *node, ExprContextW *ctx)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var))
	{
		Var		   *v = (Var *) node;

		if (v->varlevelsup == ctx->depth)
			add_var_sources(ctx->q, ctx->outer, v, ctx->sources);
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
add_expr_sources(Query *q, List *outer, Node *expr, List **sources)
{
	ExprContextW ctx = {q, outer, sources, 0};

	(void) expr_vars_walker(expr, &ctx);
}

/* Follows a Var of query q to the base relation columns it comes from. */
static void
add_var_sources(Query *q, List *outer, Var *var, List **sources)
{
	RangeTblEntry *rte;

	if (var->varno < 1 || var->varno > list_length(q->rtable))
		return;
	rte = rt_fetch(var->varno, q->rtable);
	switch (rte->rtekind)
	{
		case RTE_RELATION:
			if (var->varattno > 0)
				add_source(sources, rte->relid, var->varattno);
			break;
		case RTE_SUBQUERY:
			if (var->varattno > 0)
			{
				TargetEntry *te = get_tle_by_resno(rte->subquery->targetList, var->varattno);

				if (te)
					add_expr_sources(rte->subquery, lcons(q, outer), (Node *) te->expr, sources);
			}
			break;
		case RTE_JOIN:
			if (var->varattno > 0 && var->varattno <= list_length(rte->joinaliasvars))
				add_expr_sources(q, outer, list_nth(rte->joinaliasvars, var->varattno - 1), sources);
			break;
#if PG_VERSION_NUM >= 180000
		case RTE_GROUP:
			/* 18: a grouped column refers to its GROUP BY expression */
			if (var->varattno > 0 && var->varattno <= list_length(rte->groupexprs))
				add_expr_sources(q, outer, list_nth(rte->groupexprs, var->varattno - 1), sources);
			break;
#endif
		case RTE_CTE:
			{
				Query	   *owner = q;
				ListCell   *lc;
				Index		up = rte->ctelevelsup;

				if (up > 0)
				{
					if (up > list_length(outer))
						break;
					owner = list_nth(outer, up - 1);
				}
				foreach(lc, owner->cteList)
				{
					CommonTableExpr *cte = lfirst(lc);

					if (strcmp(cte->ctename, rte->ctename) == 0 && IsA(cte->ctequery, Query) && var->varattno > 0)
					{
						Query	   *cq = (Query *) cte->ctequery;
						TargetEntry *te = get_tle_by_resno(cq->targetList, var->varattno);

						if (te && !cte->cterecursive)
							add_expr_sources(cq, NIL, (Node *) te->expr, sources);
					}
				}
				break;
			}
		default:
			break;
	}
}

List *
lineage_from_query(const char *query)
{
	RawStmt    *raw;
	Query	   *q;
	List	   *rels = NIL;
	List	   *edges = NIL;
	ListCell   *lc;

	(void) dag_parse_select(query, &raw);
	q = parse_analyze_fixedparams(raw, query, NULL, 0, NULL);

	(void) tables_walker((Node *) q, &rels);
	foreach(lc, rels)
	{
		LineageEdge *e = palloc0(sizeof(LineageEdge));

		e->source_relation = relation_text(lfirst_oid(lc));
		edges = lappend(edges, e);
	}

	foreach(lc, q->targetList)
	{
		TargetEntry *te = lfirst(lc);
		List	   *sources = NIL;
		ListCell   *sc;

		if (te->resjunk || te->resname == NULL)
			continue;
		add_expr_sources(q, NIL, (Node *) te->expr, &sources);
		foreach(sc, sources)
		{
			ColumnSource *cs = lfirst(sc);
			LineageEdge *e = palloc0(sizeof(LineageEdge));
			char	   *att = get_attname(cs->relid, cs->attnum, true);

			if (att == NULL)
				continue;
			e->source_relation = relation_text(cs->relid);
			e->source_column = att;
			e->target_column = pstrdup(te->resname);
			edges = lappend(edges, e);
		}
	}
	return edges;
}
