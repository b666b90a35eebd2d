/*
 * args.c: the argument, name and ownership checks shared by the
 * SQL-callable modules (see args.h).  Moved from api.c (issue 11) so that
 * schedule.c, run.c, rollback.c, suite.c and validate.c need not include
 * api.h, which made a cycle with schedule.h.
 */
#include "postgres.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "args.h"
#include "catalog.h"
#include "dataops.h"

void
args_require(bool isnull, const char *what)
{
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", what)));
}

PipelineDef *
args_owned_pipeline(const char *name, const char *action)
{
	PipelineDef *p = catalog_get_pipeline(name, false);

	if (!OidIsValid(p->owner_oid) || !has_privs_of_role(GetUserId(), p->owner_oid))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s pipeline \"%s\"", action, name),
				 errdetail("The pipeline is owned by role \"%s\".", p->owner),
				 errhint("Only the pipeline's owner, members of its owner role and superusers may %s it.", action)));
	return p;
}

char *
args_text(FunctionCallInfo fcinfo, int i)
{
	return PG_ARGISNULL(i) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(i));
}

void
args_check_name(const char *what, const char *name)
{
	const unsigned char *c;
	bool		utf8 = GetDatabaseEncoding() == PG_UTF8;

	if (name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", what)));
	for (c = (const unsigned char *) name; *c; c++)
	{
		/* C0 controls and DEL; in UTF-8 also the C1 controls U+0080..U+009F (0xC2 0x80..0x9F) */
		if (*c < 0x20 || *c == 0x7F)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must not contain control characters", what),
					 errdetail("Byte %d of the name is the control character 0x%02X.",
							   (int) (c - (const unsigned char *) name) + 1, (unsigned int) *c),
					 errhint("Use printable characters: names appear in logs, notifications and error messages.")));
		if (utf8 && c[0] == 0xC2 && c[1] >= 0x80 && c[1] <= 0x9F)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must not contain control characters", what),
					 errdetail("Byte %d of the name begins the control character U+%04X.",
							   (int) (c - (const unsigned char *) name) + 1, (unsigned int) c[1]),
					 errhint("Use printable characters: names appear in logs, notifications and error messages.")));
	}
}

void
args_expectation(FunctionCallInfo fcinfo, int first, ExpectationDef *e)
{
	args_require(PG_ARGISNULL(first), "expectation name");
	args_require(PG_ARGISNULL(first + 1), "kind");
	args_require(PG_ARGISNULL(first + 3), "args");
	args_require(PG_ARGISNULL(first + 4), "action");
	args_require(PG_ARGISNULL(first + 5), "mostly");
	e->name = args_text(fcinfo, first);
	args_check_name("expectation name", e->name);
	e->kind = args_text(fcinfo, first + 1);
	e->column_name = args_text(fcinfo, first + 2);
	e->args = PG_GETARG_JSONB_P(first + 3);
	e->action = args_text(fcinfo, first + 4);
	e->mostly = PG_GETARG_FLOAT8(first + 5);
}

void
args_check_drop_allowed(const StepDef *s, const ExpectationDef *e)
{
	if (s->query == NULL && strcmp(e->action, "drop") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expectation \"%s\" cannot drop rows of bronze step \"%s\"", e->name, s->name),
				 errdetail("A bronze step that reads files keeps every row it loads."),
				 errhint("Use warn or fail here, and drop the rows in the silver step that reads this table.")));
}

/*
 * Raises 55006 when a run of the pipeline is running or queued; with
 * `lock`, first locks the pipeline's row for the rest of the transaction.
 */
static void
require_idle(const char *pipeline, bool lock)
{
	char	   *status;
	int64		run_id = catalog_lock_pipeline_definition(pipeline, lock, &status);

	if (run_id != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("pipeline \"%s\" cannot change while run " INT64_FORMAT " is %s", pipeline, run_id, status),
				 errdetail("%s", strcmp(status, "queued") == 0 ?
						   "The run is queued and will use the pipeline's definition when it starts; every step of a run uses one definition." :
						   "Every step of a run uses the definition the run started with."),
				 errhint("Wait for it with SELECT dataops.wait(" INT64_FORMAT "), or cancel it with SELECT dataops.cancel(" INT64_FORMAT "), then retry.",
						 run_id, run_id)));
}

/*
 * The lock is taken only when the current role has the privileges of the
 * pipeline's owner: a suite's owner changing a suite another role's
 * pipeline attached is refused while that pipeline runs, but may not hold
 * that pipeline's row (and so its runs).
 */
void
args_require_pipeline_idle(const char *pipeline)
{
	PipelineDef *p = catalog_get_pipeline(pipeline, true);

	require_idle(pipeline, p != NULL && OidIsValid(p->owner_oid) && has_privs_of_role(GetUserId(), p->owner_oid));
}

PipelineDef *
args_changing_pipeline(const char *name, const char *action)
{
	PipelineDef *p = args_owned_pipeline(name, action);

	require_idle(name, true);
	return p;
}

StepDef *
args_changing_step(FunctionCallInfo fcinfo, char **pipeline, char **step)
{
	args_require(PG_ARGISNULL(0), "pipeline");
	args_require(PG_ARGISNULL(1), "step");
	*pipeline = args_text(fcinfo, 0);
	*step = args_text(fcinfo, 1);
	(void) args_changing_pipeline(*pipeline, "change");
	return catalog_get_step(*pipeline, *step, false);
}
