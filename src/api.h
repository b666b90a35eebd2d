/*
 * api.h: the definition API (create_pipeline, drop_pipeline, add_step,
 * add_expectation) and the checks it shares with the run API.
 */
#ifndef DATAOPS_API_H
#define DATAOPS_API_H

#include "postgres.h"
#include "fmgr.h"
#include "catalog.h"

/*
 * api_lookup_owned_pipeline: the pipeline named `name`, after checking that
 * the current role owns it, is a member of its owner role, or is superuser.
 * Raises 42704 for an unknown pipeline, 42501 (insufficient_privilege)
 * otherwise, and 22004 for a NULL name.
 */
extern PipelineDef *api_lookup_owned_pipeline(const char *name, const char *action);

/*
 * api_expectation_args: fills *e from the arguments (name, kind,
 * column_name, args, action, mostly) starting at argument `first`, as
 * add_expectation and add_suite_expectation take them; raises 22004 for a
 * NULL where one is not allowed, and checks the name (api_check_name: 22023
 * for "" or a control character).  Other validation is expect_validate's.
 */
extern void api_expectation_args(FunctionCallInfo fcinfo, int first, ExpectationDef *e);

/*
 * api_check_name: checks a name the user gives a dataops object (pipeline,
 * step, target, expectation; suites should use it too).  Raises 22023
 * (invalid_parameter_value) with errmsg "<what> must not be empty" for "",
 * and "<what> must not contain control characters" for a byte below 0x20 or
 * 0x7F (DEL), and in a UTF-8 database a C1 control character U+0080 to
 * U+009F: names are printed in logs, notifications and messages, where such
 * characters could forge lines or terminal escapes.  `what` names the
 * argument in the message ("pipeline name").
 */
extern void api_check_name(const char *what, const char *name);

/* Raises 22004 (null_value_not_allowed) naming `what` when the argument is NULL. */
extern void api_require_arg(bool isnull, const char *what);

/* The text argument i of a V1 function as a palloc'd C string, or NULL. */
extern char *api_text_arg(FunctionCallInfo fcinfo, int i);

/*
 * api_check_expectation_on_step: when the step's target exists, checks the
 * expectation against its columns now (expect_check_types), so a wrong
 * column or bound fails when it is added rather than at the next run.
 */
extern void api_check_expectation_on_step(const StepDef *s, const ExpectationDef *e);

/* Raises 22023 for a drop expectation on a bronze step that reads files. */
extern void api_check_drop_allowed(const StepDef *s, const ExpectationDef *e);

#endif							/* DATAOPS_API_H */
