/*
 * status.c: run and step-attempt statuses: the one mapping between the
 * enums of status.h and the text the catalog stores, and the transitions a
 * run's status may make (issue 11).
 */
#include "postgres.h"

#include "status.h"

#define STATUS_TEXT(name, text) [name] = text,

/* The texts of dataops.runs.status and dataops.step_runs.status, indexed by their enums. */
static const char *const run_status_texts[RUN_STATUS_COUNT] = {RUN_STATUS_LIST(STATUS_TEXT)};
static const char *const step_status_texts[STEP_RUN_STATUS_COUNT] = {STEP_RUN_STATUS_LIST(STATUS_TEXT)};

/* The allowed run transitions [from][to] (see status_run_transition_allowed). */
static const bool run_transitions[RUN_STATUS_COUNT][RUN_STATUS_COUNT] = {
	[RUN_QUEUED] = {[RUN_RUNNING] = true, [RUN_FAILED] = true, [RUN_CANCELED] = true},
	[RUN_RUNNING] = {[RUN_QUEUED] = true, [RUN_SUCCEEDED] = true, [RUN_FAILED] = true,
	[RUN_CANCELED] = true, [RUN_TIMED_OUT] = true},
};

/*
 * Defines the two directions of one mapping: TEXTFN(value) gives the text of
 * a value of enum TYPE (raising XX000 outside the enum), PARSEFN(text) the
 * value of a text (raising XX000 for an unknown one).  WHAT names the enum
 * in those internal errors.
 */
#define STATUS_MAPPING(TYPE, TEXTFN, PARSEFN, TEXTS, COUNT, WHAT) \
const char * \
TEXTFN(TYPE s) \
{ \
	if ((int) s < 0 || (int) s >= (COUNT)) \
		elog(ERROR, "invalid %s %d", (WHAT), (int) s); \
	return (TEXTS)[s]; \
} \
\
TYPE \
PARSEFN(const char *text) \
{ \
	for (int v = 0; v < (COUNT); v++) \
		if (strcmp((TEXTS)[v], text) == 0) \
			return (TYPE) v; \
	elog(ERROR, "unknown %s \"%s\"", (WHAT), text); \
	return (TYPE) 0;			/* not reached */ \
}

/* status_run_text, status_run_parse */
STATUS_MAPPING(RunStatus, status_run_text, status_run_parse, run_status_texts, RUN_STATUS_COUNT, "run status")

/* status_step_text, status_step_parse */
STATUS_MAPPING(StepRunStatus, status_step_text, status_step_parse, step_status_texts, STEP_RUN_STATUS_COUNT,
			   "step run status")

bool
status_run_is_final(RunStatus s)
{
	return s != RUN_QUEUED && s != RUN_RUNNING;
}

bool
status_run_transition_allowed(RunStatus from, RunStatus to)
{
	if (from < 0 || from >= RUN_STATUS_COUNT || to < 0 || to >= RUN_STATUS_COUNT)
		return false;
	return run_transitions[from][to];
}
