/*
 * suite.h: expectation suites, named sets of expectations reused across
 * steps and pipelines (Great Expectations' expectation suites):
 * dataops.create_suite, drop_suite, add_suite_expectation, attach_suite and
 * detach_suite (SQL-callable, in suite.c).
 */
#ifndef DATAOPS_SUITE_H
#define DATAOPS_SUITE_H

#include "postgres.h"
#include "nodes/pg_list.h"
#include "catalog.h"

/*
 * suite_require_trusted: raises 42501 (insufficient_privilege) when `exps`
 * (expectations of `suite`) include an expression and `role` does not
 * trust the suite's owner (trust_role_trusts: its own role, a role whose
 * privileges it has, or a superuser; a superuser `role` gets no exception):
 * an expression runs with the privileges of the role that checks the rows,
 * so a suite must not make another role run its owner's SQL.  Then raises
 * 42501 unless `role` trusts every object the expectations evaluate, as far
 * as known without the rows' columns (expect_require_trusted); takes no
 * lock.  Raises 42704 for an unknown suite.
 */
extern void suite_require_trusted(const char *suite, List *exps, Oid role);

/*
 * suite_check_expectation_on_step: when the step's target exists, checks
 * the expectation e (a step's own, from dataops.add_expectation, or a
 * suite's, as the suite is attached or extended) against the target's
 * columns now, so a wrong column or bound fails when it is added rather
 * than at the next run.  Raises expect_check_types' errors: 42703 for an
 * unknown column, 42804 for a wrong type, 42P01 and 42883 for a
 * relationship's parent, 42501 for an untrusted object.  Takes
 * AccessShareLock on the target for the check; does nothing when the
 * target does not exist yet.  Moved from api.c (issue 11): it needs
 * expect.c, which args.c must not use.
 */
extern void suite_check_expectation_on_step(const StepDef *s, const ExpectationDef *e);

#endif							/* DATAOPS_SUITE_H */
