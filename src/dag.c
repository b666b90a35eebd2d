/*
 * dag.c: dependencies between steps, derived from their queries.
 *
 * The relations a query reads come from PostgreSQL's own parser (the raw
 * parse tree's RangeVars), never from string matching: a step that reads
 * another step's target depends on it.  Targets need not exist yet when a
 * pipeline is defined, so names are resolved against the pipeline's targets
 * as well as the catalog.
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteHandler.h"
#include "utils/acl.h"
#include "utils/rel.h"
#include "parser/parser.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/varlena.h"

#include "dag.h"
#include "dataops.h"

List *
dag_raw_parse(const char *text, RawParseMode mode)
{
	MemoryContext cxt = CurrentMemoryContext;
	List	   *volatile parsed = NIL;

	PG_TRY();
	{
		parsed = raw_parser(text, mode);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		edata = dataops_take_error(cxt);
		/* the position is in the given text, not in the calling statement */
		if (edata->cursorpos > 0)
		{
			edata->internalpos = edata->cursorpos;
			edata->internalquery = pstrdup(text);
			edata->cursorpos = 0;
		}
		ReThrowError(edata);
	}
	PG_END_TRY();
	return parsed;
}

char *
dag_parse_select(const char *query, RawStmt **raw_out)
{
	List	   *parsed;
	RawStmt    *raw;
	SelectStmt *sel;
	ListCell   *lc;
	int			len;

	parsed = dag_raw_parse(query, RAW_PARSE_DEFAULT);
	if (list_length(parsed) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("a step's query must be exactly one SELECT statement"),
				 errdetail("The query contains %d statements.", list_length(parsed))));
	raw = linitial_node(RawStmt, parsed);
	if (!IsA(raw->stmt, SelectStmt))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("a step's query must be a SELECT statement"),
				 errdetail("The query is a %s statement.", CreateCommandName(raw->stmt)),
				 errhint("Write the rows to publish as a SELECT; dataops writes the target.")));
	sel = (SelectStmt *) raw->stmt;
	if (sel->intoClause != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("a step's query must not use SELECT INTO"),
				 errhint("Name the table in the step's target instead.")));
	if (sel->lockingClause != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("a step's query must not lock rows"),
				 errdetail("FOR UPDATE and FOR SHARE are not allowed in a step's query.")));
	if (sel->withClause != NULL)
	{
		foreach(lc, sel->withClause->ctes)
		{
			CommonTableExpr *cte = lfirst_node(CommonTableExpr, lc);

			if (!IsA(cte->ctequery, SelectStmt))
				ereport(ERROR,
						(errcode(ERRCODE_WRONG_OBJECT_TYPE),
						 errmsg("a step's query must not modify data"),
						 errdetail("WITH query \"%s\" is a %s statement.", cte->ctename,
								   CreateCommandName(cte->ctequery))));
		}
	}
	if (raw_out)
		*raw_out = raw;
	len = raw->stmt_len > 0 ? raw->stmt_len : (int) strlen(query) - raw->stmt_location;
	return pnstrdup(query + raw->stmt_location, len);
}

typedef struct ReadsContext
{
	List	   *rangevars;
	List	   *ctenames;
} ReadsContext;

static bool
reads_walker(Node *node, ReadsContext *ctx)
{
	if (node == NULL)
		return false;
	if (IsA(node, RangeVar))
	{
		ctx->rangevars = lappend(ctx->rangevars, node);
		return false;
	}
	if (IsA(node, CommonTableExpr))
		ctx->ctenames = lappend(ctx->ctenames, ((CommonTableExpr *) node)->ctename);
	return raw_expression_tree_walker(node, reads_walker, (void *) ctx);
}

/* Schemas of a search_path setting, "$user" replaced by `owner`, pg_catalog first if not listed. */
static List *
search_path_schemas(const char *search_path, const char *owner)
{
	char	   *copy = pstrdup(search_path ? search_path : "");
	List	   *names = NIL;
	List	   *result = NIL;
	ListCell   *lc;
	bool		has_catalog = false;

	if (!SplitIdentifierString(copy, ',', &names))
		names = NIL;
	foreach(lc, names)
	{
		char	   *n = lfirst(lc);

		if (strcmp(n, "$user") == 0)
			n = (char *) owner;
		if (n == NULL || strcmp(n, "pg_temp") == 0)
			continue;
		if (strcmp(n, "pg_catalog") == 0)
			has_catalog = true;
		result = lappend(result, pstrdup(n));
	}
	if (!has_catalog)
		result = lcons(pstrdup("pg_catalog"), result);
	return result;
}

static bool
is_step_target(List *steps, const char *schema, const char *table)
{
	ListCell   *lc;

	foreach(lc, steps)
	{
		StepDef    *s = lfirst(lc);

		if (strcmp(s->target_schema, schema) == 0 && strcmp(s->target_table, table) == 0)
			return true;
	}
	return false;
}

static void
append_unique_name(List **result, char *name)
{
	ListCell   *seen;

	foreach(seen, *result)
		if (strcmp((char *) lfirst(seen), name) == 0)
			return;
	*result = lappend(*result, name);
}

typedef struct ViewReadsContext
{
	List	  **result;
	List	   *views;			/* views expanded already */
	Oid			owner;
} ViewReadsContext;

static void view_reads(Oid relid, ViewReadsContext *ctx);

static bool
view_reads_walker(Node *node, ViewReadsContext *ctx)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
	{
		ListCell   *lc;

		foreach(lc, ((Query *) node)->rtable)
		{
			RangeTblEntry *rte = lfirst(lc);

			if (rte->rtekind != RTE_RELATION)
				continue;
			append_unique_name(ctx->result, psprintf("%s.%s", get_namespace_name(get_rel_namespace(rte->relid)),
													 get_rel_name(rte->relid)));
			if (rte->relkind == RELKIND_VIEW)
				view_reads(rte->relid, ctx);
		}
		return query_tree_walker((Query *) node, view_reads_walker, (void *) ctx, 0);
	}
	return expression_tree_walker(node, view_reads_walker, (void *) ctx);
}

/*
 * Adds the relations view `relid` reads, through nested views, to
 * ctx->result.  A view the owner may not read is not expanded (nor
 * locked): the step could not read it either.
 */
Query *
dag_view_query(Oid relid, Oid role)
{
	Relation	rel;
	Query	   *vq;

	if (get_rel_relkind(relid) != RELKIND_VIEW)
		return NULL;
	if (!OidIsValid(role) || pg_class_aclcheck(relid, role, ACL_SELECT) != ACLCHECK_OK)
		return NULL;
	CHECK_FOR_INTERRUPTS();
	rel = relation_open(relid, AccessShareLock);
	vq = copyObject(get_view_query(rel));
	relation_close(rel, AccessShareLock);
	return vq;
}

static void
view_reads(Oid relid, ViewReadsContext *ctx)
{
	Query	   *vq;

	if (list_member_oid(ctx->views, relid) || list_length(ctx->views) >= 256)
		return;
	ctx->views = lappend_oid(ctx->views, relid);
	check_stack_depth();
	vq = dag_view_query(relid, ctx->owner);
	if (vq != NULL)
		(void) view_reads_walker((Node *) vq, ctx);
}

List *
dag_query_reads(const char *query, const char *search_path, const char *owner, List *steps)
{
	ReadsContext ctx = {NIL, NIL};
	RawStmt    *raw;
	ListCell   *lc;
	List	   *result = NIL;
	List	   *schemas = NIL;

	(void) dag_parse_select(query, &raw);
	(void) reads_walker(raw->stmt, &ctx);

	foreach(lc, ctx.rangevars)
	{
		RangeVar   *rv = lfirst(lc);
		char	   *resolved = NULL;

		if (rv->schemaname != NULL)
			resolved = psprintf("%s.%s", rv->schemaname, rv->relname);
		else
		{
			ListCell   *sc;
			bool		is_cte = false;

			foreach(sc, ctx.ctenames)
				if (strcmp((char *) lfirst(sc), rv->relname) == 0)
					is_cte = true;
			if (is_cte)
				continue;
			if (schemas == NIL)
				schemas = search_path_schemas(search_path, owner);
			foreach(sc, schemas)
			{
				char	   *schema = lfirst(sc);
				Oid			nsp = get_namespace_oid(schema, true);

				if ((OidIsValid(nsp) && OidIsValid(get_relname_relid(rv->relname, nsp))) ||
					is_step_target(steps, schema, rv->relname))
				{
					resolved = psprintf("%s.%s", schema, rv->relname);
					break;
				}
			}
			if (resolved == NULL)
				resolved = pstrdup(rv->relname);
		}
		append_unique_name(&result, resolved);
	}

	/* reads through views: a view over another step's target depends on it */
	{
		ViewReadsContext vctx;
		List	   *direct = list_copy(result);

		vctx.result = &result;
		vctx.views = NIL;
		vctx.owner = owner ? get_role_oid(owner, true) : InvalidOid;
		foreach(lc, direct)
		{
			char	   *name = lfirst(lc);
			char	   *dot = strchr(name, '.');
			Oid			nsp;
			Oid			relid;

			if (dot == NULL)
				continue;
			nsp = get_namespace_oid(pnstrdup(name, dot - name), true);
			relid = OidIsValid(nsp) ? get_relname_relid(dot + 1, nsp) : InvalidOid;
			if (OidIsValid(relid) && get_rel_relkind(relid) == RELKIND_VIEW)
				view_reads(relid, &vctx);
		}
	}
	return result;
}

void
dag_rebuild(List *steps, const char *owner)
{
	ListCell   *lc;
	ListCell   *lc2;
	ListCell   *lc3;
	int			n = list_length(steps);
	int		   *state;
	int			i;

	foreach(lc, steps)
	{
		StepDef    *s = lfirst(lc);
		List	   *reads;

		s->depends_on = NIL;
		if (s->query == NULL)
			continue;
		reads = dag_query_reads(s->query, s->search_path, owner, steps);
		foreach(lc2, steps)
		{
			StepDef    *t = lfirst(lc2);
			char	   *qualified = psprintf("%s.%s", t->target_schema, t->target_table);

			foreach(lc3, reads)
			{
				if (strcmp((char *) lfirst(lc3), qualified) == 0)
				{
					if (t == s)
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
								 errmsg("step \"%s\" reads its own target %s", s->name, qualified),
								 errdetail("A step cannot depend on itself."),
								 errhint("Read the upstream table instead, or use an incremental materialization.")));
					s->depends_on = lappend(s->depends_on, t->name);
					break;
				}
			}
		}
	}

	/* cycle check: depth-first search with colours */
	state = palloc0(sizeof(int) * n);
	for (i = 0; i < n; i++)
	{
		/* iterative DFS is overkill for pipeline sizes; recurse via a small stack of indexes */
		int		   *stack = palloc(sizeof(int) * (n + 1));
		int		   *edge = palloc0(sizeof(int) * (n + 1));
		int			depth = 0;

		if (state[i] != 0)
			continue;
		stack[0] = i;
		state[i] = 1;
		while (depth >= 0)
		{
			StepDef    *s = list_nth(steps, stack[depth]);

			if (edge[depth] < list_length(s->depends_on))
			{
				char	   *dep = list_nth(s->depends_on, edge[depth]++);
				int			j = 0;

				foreach(lc, steps)
				{
					if (strcmp(((StepDef *) lfirst(lc))->name, dep) == 0)
						break;
					j++;
				}
				if (state[j] == 1)
				{
					StringInfoData path;
					int			k;
					int			k0 = 0;

					for (k = 0; k <= depth; k++)
						if (stack[k] == j)
							k0 = k;
					initStringInfo(&path);
					for (k = k0; k <= depth; k++)
						appendStringInfo(&path, "\"%s\" -> ", ((StepDef *) list_nth(steps, stack[k]))->name);
					appendStringInfo(&path, "\"%s\"", ((StepDef *) list_nth(steps, j))->name);
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
							 errmsg("steps of pipeline \"%s\" would form a cycle", s->pipeline),
							 errdetail("Each step reads the target of the next: %s.", path.data),
							 errhint("A pipeline is a directed acyclic graph; make one of these steps read an upstream table instead.")));
				}
				if (state[j] == 0)
				{
					state[j] = 1;
					stack[++depth] = j;
					edge[depth] = 0;
				}
			}
			else
			{
				state[stack[depth]] = 2;
				depth--;
			}
		}
		pfree(stack);
		pfree(edge);
	}
}

static int
layer_rank(const char *layer)
{
	if (strcmp(layer, "bronze") == 0)
		return 0;
	if (strcmp(layer, "silver") == 0)
		return 1;
	return 2;
}

List *
dag_order(List *steps)
{
	List	   *done = NIL;
	List	   *result = NIL;
	int			n = list_length(steps);

	while (list_length(result) < n)
	{
		StepDef    *best = NULL;
		ListCell   *lc;

		foreach(lc, steps)
		{
			StepDef    *s = lfirst(lc);
			ListCell   *d;
			bool		ready = true;

			if (list_member_ptr(result, s))
				continue;
			foreach(d, s->depends_on)
				if (!list_member(done, makeString(lfirst(d))))
					ready = false;
			if (ready && (best == NULL || layer_rank(s->layer) < layer_rank(best->layer)))
				best = s;
		}
		if (best == NULL)
			elog(ERROR, "dataops: cycle among the steps of a pipeline");
		result = lappend(result, best);
		done = lappend(done, makeString(best->name));
	}
	return result;
}
