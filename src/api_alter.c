/*
 * api_alter.c: the definition API's changes in place (issue 14).
 *
 *   dataops.alter_pipeline(name, description, reset)
 *   dataops.rename_pipeline(name, new_name)
 *   dataops.alter_step(pipeline, step, layer, target, query, source, unique_key, keep, options, reset)
 *   dataops.drop_step(pipeline, step, drop_target)
 *   dataops.rename_step(pipeline, step, new_name)
 *   dataops.alter_expectation(pipeline, step, name, kind, column_name, args, action, mostly, reset)
 *   dataops.drop_expectation(pipeline, step, name)
 *
 * What each shares, as dbt's and Terraform's users expect of a change to a
 * definition that already ran:
 *  - it is validated exactly as the add_* function validates a new object
 *    (api_check_step, expect_validate), before anything is written;
 *  - only the pipeline's owner (its members, superusers) may make it (42501);
 *  - it is refused (55006, object_in_use) while a run of the pipeline is
 *    running or queued: every step of a run uses one definition.  The
 *    pipeline's row stays locked (FOR UPDATE) until the changing transaction
 *    ends, and the scheduler admits no run of the pipeline meanwhile
 *    (catalog_try_share_pipeline);
 *  - the row change fires the catalog's definition trigger, so the event
 *    log gets one 'definition' event per changed row with the old and the
 *    new row; nothing is written when nothing changes;
 *  - the DAG (steps.depends_on) and the static lineage (steps.reads) are
 *    derived again from the queries;
 *  - history stays linked: a renamed pipeline's or step's runs, step runs,
 *    expectation results and lineage carry the new name (events, which are
 *    append-only, keep the name they were written with).
 * NULL arguments leave a field unchanged; `reset` names fields to set back
 * to their default.  An incremental step whose query changes needs a full
 * refresh by the existing query-hash rule (materialize.c).
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

#include "api.h"
#include "api_int.h"
#include "args.h"
#include "catalog.h"
#include "compat.h"
#include "dag.h"
#include "dataops.h"
#include "expect.h"
#include "schedule.h"
#include "sqlgen.h"
#include "suite.h"

/*
 * The names in `reset` (a text[] argument, possibly empty), checked against
 * `allowed` (NULL-terminated).  Raises 22023 for NULL elements and unknown
 * names, naming the allowed ones.
 */
static List *
reset_fields(ArrayType *arr, const char *const *allowed, const char *allowed_text)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	List	   *fields = NIL;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (i = 0; i < n; i++)
	{
		char	   *f;
		const char *const *a;
		bool		ok = false;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("reset must not contain NULL")));
		f = TextDatumGetCString(elems[i]);
		for (a = allowed; *a; a++)
			ok |= strcmp(*a, f) == 0;
		if (!ok)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cannot reset \"%s\"", f),
					 errhint("reset may name %s.", allowed_text)));
		fields = lappend(fields, f);
	}
	return fields;
}

/* Whether `field` is in `reset`; raises 22023 when the call also gives it a value. */
static bool
resets(List *reset, const char *field, bool given)
{
	ListCell   *lc;

	foreach(lc, reset)
		if (strcmp(lfirst(lc), field) == 0)
		{
			if (given)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s is both given and reset", field),
						 errhint("Give a new value or reset it, not both.")));
			return true;
		}
	return false;
}

/* The reset argument at `i` (NOT NULL; '{}' by default). */
static List *
reset_arg(FunctionCallInfo fcinfo, int i, const char *const *allowed, const char *allowed_text)
{
	args_require(PG_ARGISNULL(i), "reset");
	return reset_fields(PG_GETARG_ARRAYTYPE_P(i), allowed, allowed_text);
}

/*
 * dataops.alter_pipeline(name text, description text DEFAULT NULL, reset
 * text[] DEFAULT '{}') → void: changes the pipeline's description (reset =>
 * '{description}' removes it).  Raises 42704, 42501, 55006 (a run in
 * progress), 22023 (bad reset).
 */
PG_FUNCTION_INFO_V1(dataops_alter_pipeline);
Datum
dataops_alter_pipeline(PG_FUNCTION_ARGS)
{
	static const char *const allowed[] = {"description", NULL};
	char	   *name;
	char	   *description = args_text(fcinfo, 1);
	List	   *reset;

	args_require(PG_ARGISNULL(0), "pipeline");
	name = args_text(fcinfo, 0);
	reset = reset_arg(fcinfo, 2, allowed, "description");
	(void) args_changing_pipeline(name, "change");
	if (resets(reset, "description", description != NULL))
		catalog_set_pipeline_description(name, NULL);
	else if (description != NULL)
		catalog_set_pipeline_description(name, description);
	PG_RETURN_VOID();
}

/*
 * dataops.rename_pipeline(name text, new_name text) → void: renames the
 * pipeline.  Its steps, expectations, suites, options, dependencies in both
 * directions, notifications, runs, step runs, results, lineage, SLA
 * breaches and its pg_cron schedule (moved to a job of the new name) follow.
 * Raises 42704, 42501, 55006, 42710 (the new name is taken), 22023 (bad
 * name).
 */
PG_FUNCTION_INFO_V1(dataops_rename_pipeline);
Datum
dataops_rename_pipeline(PG_FUNCTION_ARGS)
{
	char	   *name;
	char	   *new_name;

	args_require(PG_ARGISNULL(0), "pipeline");
	args_require(PG_ARGISNULL(1), "new name");
	name = args_text(fcinfo, 0);
	new_name = args_text(fcinfo, 1);
	args_check_name("pipeline name", new_name);
	(void) args_changing_pipeline(name, "rename");
	if (strcmp(name, new_name) == 0)
		PG_RETURN_VOID();
	if (catalog_get_pipeline(new_name, true) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("pipeline \"%s\" already exists", new_name),
				 errhint("Choose another name.")));
	catalog_rename_pipeline(name, new_name);
	schedule_rename(name, new_name);
	PG_RETURN_VOID();
}

/*
 * dataops.alter_step(pipeline, step, layer, target, query, source,
 * unique_key, keep, options, reset) → void: changes the given fields of a
 * step; NULL leaves a field as it is, reset => '{keep, ...}' sets query,
 * source, unique_key, keep to NULL and options to '{}'.  A new query is
 * stored with the caller's search_path, as add_step does.  The step's
 * expectations must still fit (a drop expectation on a step that now reads
 * files is refused).  The old target is left as it is (drop it yourself, or
 * use drop_step's drop_target for a step you remove).  Raises what add_step
 * raises, and 42704, 42501, 55006, 42P17 (a cycle).
 */
PG_FUNCTION_INFO_V1(dataops_alter_step);
Datum
dataops_alter_step(PG_FUNCTION_ARGS)
{
	static const char *const allowed[] = {"query", "source", "unique_key", "keep", "options", NULL};
	PipelineDef *p;
	char	   *pipeline;
	char	   *name;
	char	   *target = args_text(fcinfo, 3);
	StepDef    *s;
	List	   *reset;
	List	   *steps;
	List	   *reads = NIL;
	ListCell   *lc;

	args_require(PG_ARGISNULL(0), "pipeline");
	args_require(PG_ARGISNULL(1), "step");
	pipeline = args_text(fcinfo, 0);
	name = args_text(fcinfo, 1);
	reset = reset_arg(fcinfo, 9, allowed, "query, source, unique_key, keep and options");
	p = args_changing_pipeline(pipeline, "change");

	/* the step as stored, then the changes; the other steps as they are */
	steps = catalog_get_steps(pipeline, true);
	s = NULL;
	foreach(lc, steps)
		if (strcmp(((StepDef *) lfirst(lc))->name, name) == 0)
			s = lfirst(lc);
	if (s == NULL)
		(void) catalog_get_step(pipeline, name, false); /* raises 42704 */

	if (!PG_ARGISNULL(2))
		s->layer = args_text(fcinfo, 2);
	if (resets(reset, "query", !PG_ARGISNULL(4)))
		s->query = NULL;
	else if (!PG_ARGISNULL(4))
	{
		s->query = args_text(fcinfo, 4);
		s->search_path = pstrdup(namespace_search_path);
	}
	if (resets(reset, "source", !PG_ARGISNULL(5)))
		s->source = NULL;
	else if (!PG_ARGISNULL(5))
		s->source = args_text(fcinfo, 5);
	if (resets(reset, "unique_key", !PG_ARGISNULL(6)))
		s->unique_key = NIL;
	else if (!PG_ARGISNULL(6))
		s->unique_key = api_unique_key(PG_GETARG_ARRAYTYPE_P(6));
	if (resets(reset, "keep", !PG_ARGISNULL(7)))
		s->keep = NULL;
	else if (!PG_ARGISNULL(7))
		s->keep = args_text(fcinfo, 7);
	if (resets(reset, "options", !PG_ARGISNULL(8)))
		s->options = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
	else if (!PG_ARGISNULL(8))
		s->options = PG_GETARG_JSONB_P(8);
	s->parsed_options = NULL;

	api_check_step(p, s, target);
	foreach(lc, s->expectations)
	{
		ExpectationDef *e = lfirst(lc);

		args_check_drop_allowed(s, e);
	}

	dag_rebuild(steps, p->owner);
	if (s->query)
		reads = dag_query_reads(s->query, s->search_path, p->owner, steps);
	catalog_update_step(pipeline, s, reads);
	api_store_dependencies(steps, s);
	PG_RETURN_VOID();
}

/*
 * Drops relation schema.table, when it exists, as the current role
 * (PostgreSQL checks that the role owns it), with search_path pinned.
 * `what` is TABLE or VIEW; for NULL the relation's kind decides.  Raises
 * 42809 for a relation that is neither a table nor a view, and what DROP
 * raises (42501, 2BP01).
 */
static void
drop_relation_as_caller(const char *schema, const char *table, const char *step)
{
	Oid			nsp = get_namespace_oid(schema, true);
	Oid			relid = OidIsValid(nsp) ? get_relname_relid(table, nsp) : InvalidOid;
	int			nestlevel;
	char		kind;

	if (!OidIsValid(relid))
		return;
	kind = get_rel_relkind(relid);
	if (kind != RELKIND_RELATION && kind != RELKIND_PARTITIONED_TABLE && kind != RELKIND_VIEW)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("%s of step \"%s\" is not a table or a view", dataops_qualified_name(schema, table), step),
				 errhint("Drop the step without drop_target and drop the relation yourself.")));
	nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute(psprintf("DROP %s %s", kind == RELKIND_VIEW ? "VIEW" : "TABLE",
							 dataops_qualified_name(schema, table)), false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "DROP failed");
	SPI_finish();
	AtEOXact_GUC(true, nestlevel);
}

/*
 * Drops the step's target (a table or a view), the side tables dataops
 * made for it (quarantine, _unexpected, _before, the key table) and its
 * kept versions, as the caller.  Without CASCADE: a view of the caller's
 * that reads the target makes the drop fail (2BP01) and changes nothing.
 */
static void
drop_step_relations(const StepDef *s)
{
	static const char *const side[] = {"_quarantine", "_unexpected", "_before", "_dataops_key"};
	ListCell   *lc;
	int			i;

	drop_relation_as_caller(s->target_schema, s->target_table, s->name);
	for (i = 0; i < lengthof(side); i++)
		drop_relation_as_caller(s->target_schema, sqlgen_side_table_name(s->target_table, side[i]), s->name);
	foreach(lc, catalog_table_versions(s->pipeline, s->name))
	{
		List	   *names = compat_qualified_name_list(((TableVersion *) lfirst(lc))->relation);

		if (list_length(names) == 2)
			drop_relation_as_caller(strVal(linitial(names)), strVal(lsecond(names)), s->name);
	}
}

/*
 * dataops.drop_step(pipeline text, step text, drop_target boolean DEFAULT
 * false) → void: removes a step and its own expectations and suite
 * attachments; its runs' history stays.  With drop_target, its target, the
 * side tables dataops made for it and its kept versions are dropped too,
 * as the caller (who must own them).  Raises 42704, 42501, 55006, 2BP01
 * (another step reads its target, or an object of the caller's depends on
 * the target).
 */
PG_FUNCTION_INFO_V1(dataops_drop_step);
Datum
dataops_drop_step(PG_FUNCTION_ARGS)
{
	char	   *pipeline;
	char	   *name;
	StepDef    *s;
	char	   *dependents;

	args_require(PG_ARGISNULL(2), "drop_target");
	s = args_changing_step(fcinfo, &pipeline, &name);
	dependents = catalog_step_dependents(pipeline, name);
	if (dependents != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("cannot drop step \"%s\" of pipeline \"%s\": other steps read its target", name, pipeline),
				 errdetail("Steps that read %s: %s.", dataops_qualified_name(s->target_schema, s->target_table), dependents),
				 errhint("Drop or change those steps first.")));
	if (PG_GETARG_BOOL(2))
		drop_step_relations(s);
	catalog_delete_step(pipeline, name);
	PG_RETURN_VOID();
}

/*
 * dataops.rename_step(pipeline text, step text, new_name text) → void:
 * renames a step; its expectations, suite attachments, watermark, kept
 * versions, step runs, results and lineage follow, and the steps that read
 * its target depend on the new name.  Raises 42704, 42501, 55006, 42710
 * (the name is taken), 22023 (bad name).
 */
PG_FUNCTION_INFO_V1(dataops_rename_step);
Datum
dataops_rename_step(PG_FUNCTION_ARGS)
{
	List	   *steps;
	char	   *pipeline;
	char	   *name;
	char	   *new_name;

	args_require(PG_ARGISNULL(2), "new name");
	new_name = args_text(fcinfo, 2);
	args_check_name("step name", new_name);
	(void) args_changing_step(fcinfo, &pipeline, &name);
	if (strcmp(name, new_name) == 0)
		PG_RETURN_VOID();
	if (catalog_get_step(pipeline, new_name, true) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("step \"%s\" of pipeline \"%s\" already exists", new_name, pipeline),
				 errhint("Choose another name.")));
	catalog_rename_step(pipeline, name, new_name);
	steps = catalog_get_steps(pipeline, false);
	dag_rebuild(steps, catalog_get_pipeline(pipeline, false)->owner);
	api_store_dependencies(steps, NULL);
	PG_RETURN_VOID();
}

/*
 * dataops.alter_expectation(pipeline, step, name, kind, column_name, args,
 * action, mostly, reset) → void: changes the given fields of one of the
 * step's own expectations (a suite's are changed in the suite); reset =>
 * '{column_name}' or '{args}' sets them to NULL / '{}'.  The result is
 * validated as add_expectation validates a new one (kind, column, args,
 * action, mostly, drop on bronze, the target's column types).  Raises
 * 42704, 42501, 55006 and what add_expectation raises.
 */
PG_FUNCTION_INFO_V1(dataops_alter_expectation);
Datum
dataops_alter_expectation(PG_FUNCTION_ARGS)
{
	static const char *const allowed[] = {"column_name", "args", NULL};
	char	   *pipeline;
	char	   *step;
	char	   *name;
	ExpectationDef *e;
	StepDef    *s;
	List	   *reset;

	args_require(PG_ARGISNULL(2), "expectation name");
	name = args_text(fcinfo, 2);
	reset = reset_arg(fcinfo, 8, allowed, "column_name and args");
	s = args_changing_step(fcinfo, &pipeline, &step);
	e = catalog_get_expectation(pipeline, step, name, false);

	if (!PG_ARGISNULL(3))
		e->kind = args_text(fcinfo, 3);
	if (resets(reset, "column_name", !PG_ARGISNULL(4)))
		e->column_name = NULL;
	else if (!PG_ARGISNULL(4))
		e->column_name = args_text(fcinfo, 4);
	if (resets(reset, "args", !PG_ARGISNULL(5)))
		e->args = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
	else if (!PG_ARGISNULL(5))
		e->args = PG_GETARG_JSONB_P(5);
	if (!PG_ARGISNULL(6))
		e->action = args_text(fcinfo, 6);
	if (!PG_ARGISNULL(7))
		e->mostly = PG_GETARG_FLOAT8(7);

	expect_validate(e);
	args_check_drop_allowed(s, e);
	suite_check_expectation_on_step(s, e);
	catalog_update_expectation(pipeline, step, e);
	PG_RETURN_VOID();
}

/*
 * dataops.drop_expectation(pipeline text, step text, name text) → void:
 * removes one of the step's own expectations; its past results stay.
 * Raises 42704 (a suite's expectation is named as such in the hint), 42501,
 * 55006.
 */
PG_FUNCTION_INFO_V1(dataops_drop_expectation);
Datum
dataops_drop_expectation(PG_FUNCTION_ARGS)
{
	char	   *pipeline;
	char	   *step;
	char	   *name;

	args_require(PG_ARGISNULL(2), "expectation name");
	name = args_text(fcinfo, 2);
	(void) args_changing_step(fcinfo, &pipeline, &step);
	if (!catalog_delete_expectation(pipeline, step, name))
		(void) catalog_get_expectation(pipeline, step, name, false);	/* raises 42704 */
	PG_RETURN_VOID();
}
