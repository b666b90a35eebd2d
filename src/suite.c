/*
 * suite.c: expectation suites.
 *
 *   dataops.create_suite(name)
 *   dataops.drop_suite(name)
 *   dataops.add_suite_expectation(suite, name, kind, column_name, args, action, mostly)
 *   dataops.attach_suite(pipeline, step, suite)
 *   dataops.detach_suite(pipeline, step, suite)
 *
 * A suite belongs to the role that created it; only that role, its members
 * and superusers change it.  Any pipeline owner may attach any suite (the
 * catalog is readable by everyone), and a step checks the suite's
 * expectations as its own from its next run.  Expectation names stay unique
 * within each step across its own expectations and all its suites'.
 * Every argument is checked before anything is written.
 *
 * A suite's expectations run with the privileges of the role that checks
 * the rows, so every object they evaluate (castable_to's type and its
 * domain constraints, relationships' relation, an expression's functions,
 * operators and relations, and an expression itself, which its suite's
 * owner wrote) must be trusted by that role (trust.h): checked when the
 * suite is attached (for the pipeline's owner), when an expectation is
 * added to an attached suite, by dataops.validate, and at each run
 * (expect_check_types), since objects can change after attaching.
 */
#include "postgres.h"

#include "access/relation.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/rel.h"

#include "args.h"
#include "catalog.h"
#include "dataops.h"
#include "expect.h"
#include "suite.h"
#include "trust.h"


/* Raises 42704 for an unknown suite and 42501 unless the current role may change it. */
static void
require_suite_owner(const char *suite, const char *action)
{
	char	   *owner = catalog_get_suite_owner(suite, false);
	Oid			owner_oid = get_role_oid(owner, true);

	if (!OidIsValid(owner_oid) || !has_privs_of_role(GetUserId(), owner_oid))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s suite \"%s\"", action, suite),
				 errdetail("The suite is owned by role \"%s\".", owner),
				 errhint("Only the suite's owner, members of its owner role and superusers may %s it.", action)));
}

void
suite_require_trusted(const char *suite, List *exps, Oid role)
{
	char	   *owner = catalog_get_suite_owner(suite, false);
	ListCell   *lc;

	foreach(lc, exps)
	{
		ExpectationDef *e = lfirst(lc);

		if (strcmp(e->kind, "expression") == 0)
			expect_require_expression_owner(suite, owner, e, role);
	}
	foreach(lc, exps)
		expect_require_trusted(lfirst(lc), role);
}

void
suite_check_expectation_on_step(const StepDef *s, const ExpectationDef *e)
{
	Oid			relid = dataops_relation_oid(s->target_schema, s->target_table);
	Relation	rel;

	if (!OidIsValid(relid))
		return;
	rel = relation_open(relid, AccessShareLock);
	PG_TRY();
	{
		expect_check_types(e, RelationGetDescr(rel));
	}
	PG_FINALLY();
	{
		relation_close(rel, AccessShareLock);
	}
	PG_END_TRY();
}

/*
 * Raises 55006 while a run of a pipeline the suite is attached to is
 * queued or running: a change of the suite changes those pipelines' checks.
 */
static void
require_attached_idle(const char *suite)
{
	ListCell   *lc;

	foreach(lc, catalog_suite_steps(suite))
		args_require_pipeline_idle(((StepDef *) lfirst(lc))->pipeline);
}

/* Checks that every step the suite is attached to can check e. */
static void
check_on_attached_steps(const char *suite, const ExpectationDef *e)
{
	ListCell   *lc;

	foreach(lc, catalog_suite_steps(suite))
	{
		StepDef    *s = lfirst(lc);

		suite_require_trusted(suite, list_make1((void *) e),
							  catalog_get_pipeline(s->pipeline, false)->owner_oid);
		args_check_drop_allowed(lfirst(lc), e);
		suite_check_expectation_on_step(lfirst(lc), e);
	}
}

PG_FUNCTION_INFO_V1(dataops_create_suite);
Datum
dataops_create_suite(PG_FUNCTION_ARGS)
{
	char	   *name;

	args_require(PG_ARGISNULL(0), "suite name");
	name = args_text(fcinfo, 0);
	if (name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("suite name must not be empty")));
	args_check_name("suite name", name);
	if (catalog_get_suite_owner(name, true) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("suite \"%s\" already exists", name)));
	catalog_insert_suite(name, GetUserNameFromId(GetUserId(), false));
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(dataops_drop_suite);
Datum
dataops_drop_suite(PG_FUNCTION_ARGS)
{
	char	   *name;
	char	   *steps;

	args_require(PG_ARGISNULL(0), "suite name");
	name = args_text(fcinfo, 0);
	require_suite_owner(name, "drop");
	steps = catalog_suite_attachments(name);
	if (steps != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("suite \"%s\" is attached to steps", name),
				 errdetail("Attached to %s.", steps),
				 errhint("Detach it first with dataops.detach_suite().")));
	catalog_delete_suite(name);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(dataops_add_suite_expectation);
Datum
dataops_add_suite_expectation(PG_FUNCTION_ARGS)
{
	char	   *suite;
	ExpectationDef e = {0};

	args_require(PG_ARGISNULL(0), "suite");
	suite = args_text(fcinfo, 0);
	args_expectation(fcinfo, 1, &e);
	e.suite = suite;

	require_suite_owner(suite, "change");
	expect_validate(&e);
	require_attached_idle(suite);
	check_on_attached_steps(suite, &e);
	catalog_insert_suite_expectation(suite, &e);
	catalog_check_expectation_names();
	PG_RETURN_VOID();
}

/* attach_suite and detach_suite. */
static void
set_attached(FunctionCallInfo fcinfo, bool attach)
{
	char	   *pipeline;
	char	   *step;
	char	   *suite;
	StepDef    *s;

	args_require(PG_ARGISNULL(0), "pipeline");
	args_require(PG_ARGISNULL(1), "step");
	args_require(PG_ARGISNULL(2), "suite");
	pipeline = args_text(fcinfo, 0);
	step = args_text(fcinfo, 1);
	suite = args_text(fcinfo, 2);

	(void) args_changing_pipeline(pipeline, "change");
	s = catalog_get_step(pipeline, step, false);
	(void) catalog_get_suite_owner(suite, false);
	if (attach)
	{
		ListCell   *lc;
		List	   *exps = catalog_get_suite_expectations(suite);

		suite_require_trusted(suite, exps, catalog_get_pipeline(pipeline, false)->owner_oid);
		foreach(lc, exps)
		{
			args_check_drop_allowed(s, lfirst(lc));
			suite_check_expectation_on_step(s, lfirst(lc));
		}
	}
	if (!catalog_set_suite_attached(pipeline, step, suite, attach))
		ereport(ERROR,
				(errcode(attach ? ERRCODE_DUPLICATE_OBJECT : ERRCODE_UNDEFINED_OBJECT),
				 errmsg(attach ? "suite \"%s\" is already attached to step \"%s\" of pipeline \"%s\"" :
						"suite \"%s\" is not attached to step \"%s\" of pipeline \"%s\"",
						suite, step, pipeline)));
	if (attach)
		catalog_check_expectation_names();
}

PG_FUNCTION_INFO_V1(dataops_attach_suite);
Datum
dataops_attach_suite(PG_FUNCTION_ARGS)
{
	set_attached(fcinfo, true);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(dataops_detach_suite);
Datum
dataops_detach_suite(PG_FUNCTION_ARGS)
{
	set_attached(fcinfo, false);
	PG_RETURN_VOID();
}

/*
 * dataops.drop_suite_expectation(suite text, name text) → void: removes an
 * expectation from a suite; the steps it is attached to stop checking it
 * from their next run.  Raises 42704 (unknown suite or expectation), 42501
 * unless the caller may change the suite, 55006 while a run of a pipeline
 * the suite is attached to is running or queued.
 */
PG_FUNCTION_INFO_V1(dataops_drop_suite_expectation);
Datum
dataops_drop_suite_expectation(PG_FUNCTION_ARGS)
{
	char	   *suite;
	char	   *name;

	args_require(PG_ARGISNULL(0), "suite name");
	args_require(PG_ARGISNULL(1), "expectation name");
	suite = args_text(fcinfo, 0);
	name = args_text(fcinfo, 1);
	require_suite_owner(suite, "change");
	require_attached_idle(suite);
	if (!catalog_delete_suite_expectation(suite, name))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("expectation \"%s\" of suite \"%s\" does not exist", name, suite),
				 errhint("List them with SELECT name FROM dataops.suite_expectations WHERE suite = '%s'.", suite)));
	PG_RETURN_VOID();
}
