/*
 * args.h: the argument, name and ownership checks that the SQL-callable
 * modules share (api.c, suite.c, schedule.c, run.c, rollback.c, validate.c):
 * NULL arguments, text arguments, the names users give dataops objects, the
 * pipeline-ownership check, an expectation's arguments and the drop rule
 * of bronze steps.  (Checking an expectation against its step's target
 * needs expect.c: suite_check_expectation_on_step, suite.h.)
 *
 * Layering: args.c may use catalog.h and dataops.h only (and PostgreSQL).
 * It sits below every SQL-callable module and includes none of their
 * headers, so they may all include this one without a cycle.
 */
#ifndef DATAOPS_ARGS_H
#define DATAOPS_ARGS_H

#include "postgres.h"
#include "fmgr.h"
#include "catalog.h"

/*
 * args_require: raises 22004 (null_value_not_allowed) "<what> must not be
 * NULL" when isnull is true (isnull: PG_ARGISNULL(i) of the argument that
 * `what` names, e.g. "pipeline name"); returns nothing otherwise.  The
 * semantics are dataops' own: its functions are not STRICT, so that a NULL
 * is refused with a message naming the argument rather than ignored.
 */
extern void args_require(bool isnull, const char *what);

/*
 * args_text: the text argument i of the V1 function called with fcinfo, as
 * a palloc'd C string in the current memory context (database encoding), or
 * NULL when the argument is SQL NULL.  Raises nothing of its own (a toasted
 * value is detoasted as PG_GETARG_TEXT_PP does).
 */
extern char *args_text(FunctionCallInfo fcinfo, int i);

/*
 * args_owned_pipeline: the pipeline named `name` (a PipelineDef palloc'd
 * in the current memory context), after checking that the current role
 * owns it, is a member of its owner role, or is superuser
 * (has_privs_of_role, as PostgreSQL checks object ownership).  `action` is
 * the verb put in the refusal ("change", "drop", "run", ...).  Raises 42704
 * (undefined_object) for an unknown pipeline, 42501 (insufficient_privilege)
 * for another role's pipeline or one whose owner role was dropped.  The
 * caller refuses a NULL name first (args_require: 22004).
 */
extern PipelineDef *args_owned_pipeline(const char *name, const char *action);

/*
 * args_check_name: checks a name the user gives a dataops object (pipeline,
 * step, target, expectation, suite).  Raises 22023
 * (invalid_parameter_value) with errmsg "<what> must not be empty" for "",
 * and "<what> must not contain control characters" for a byte below 0x20 or
 * 0x7F (DEL), and in a UTF-8 database a C1 control character U+0080 to
 * U+009F: names are printed in logs, notifications and messages, where such
 * characters could forge lines or terminal escapes.  `what` names the
 * argument in the message ("pipeline name").  Returns nothing.
 */
extern void args_check_name(const char *what, const char *name);

/*
 * args_expectation: fills *e from the arguments (name, kind, column_name,
 * args, action, mostly) starting at argument `first` of fcinfo, as
 * add_expectation and add_suite_expectation take them (strings palloc'd in
 * the current memory context; mostly a fraction from 0 to 1 as given).
 * Raises 22004 for a NULL where one is not allowed, and checks the name
 * (args_check_name: 22023 for "" or a control character).  Other
 * validation is expect_validate's.
 */
extern void args_expectation(FunctionCallInfo fcinfo, int first, ExpectationDef *e);

/*
 * args_check_drop_allowed: raises 22023 (invalid_parameter_value) for an
 * expectation with action drop on a bronze step that reads files (a step
 * without a query keeps every row it loads: Delta Live Tables' drop applies
 * to a query's rows).  Returns nothing otherwise.
 */
extern void args_check_drop_allowed(const StepDef *s, const ExpectationDef *e);

/*
 * args_require_pipeline_idle: before a definition change (issue 14), locks
 * the pipeline's row for the rest of the transaction (the scheduler admits
 * no run of it meanwhile; only when the caller has the privileges of its
 * owner) and raises 55006 (object_in_use) when a run of it is running or
 * queued, naming the run and how to wait for or cancel it.
 */
extern void args_require_pipeline_idle(const char *pipeline);

/*
 * args_changing_pipeline: the checks before a change of pipeline `name`'s
 * definition: args_owned_pipeline (42704, 42501; `action` names the change
 * in the message), then args_require_pipeline_idle (55006).  Returns the
 * pipeline.
 */
extern PipelineDef *args_changing_pipeline(const char *name, const char *action);

/*
 * args_changing_step: arguments 0 and 1 (pipeline, step; 22004 when NULL)
 * into *pipeline and *step, args_changing_pipeline's checks, and the step
 * (42704 when it does not exist).
 */
extern StepDef *args_changing_step(FunctionCallInfo fcinfo, char **pipeline, char **step);

#endif							/* DATAOPS_ARGS_H */
