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

/*
 * suite_require_trusted: raises 42501 (insufficient_privilege) when `exps`
 * (expectations of `suite`) include an expression and `role` lacks the
 * privileges of the suite's owner: an expression runs with the privileges
 * of the role that checks the rows, so a suite must not make another role
 * run its owner's SQL.  Raises 42704 for an unknown suite.
 */
extern void suite_require_trusted(const char *suite, List *exps, Oid role);

#endif							/* DATAOPS_SUITE_H */
