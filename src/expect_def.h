/*
 * expect_def.h: expectation definitions (expect_def.c): checks an
 * expectation when it is added, attached, validated and run: its kind,
 * action, mostly, column and args (expect_validate), the columns it names
 * and the values it compares with them (expect_check_types), and the trust
 * of the objects it evaluates (expect_require_trusted, expect_check_types).
 *
 * Callers include expect.h, which includes this header.
 */
#ifndef DATAOPS_EXPECT_DEF_H
#define DATAOPS_EXPECT_DEF_H

#include "postgres.h"
#include "access/tupdesc.h"
#include "nodes/pg_list.h"
#include "catalog.h"

/*
 * expect_validate: checks an expectation definition before it is stored,
 * canonicalises its kind (Great Expectations names become the short kind)
 * and its args (Great Expectations argument names such as min_value,
 * value_set or regex become min, values, pattern).  Raises 22023
 * (invalid_parameter_value) for an unknown kind, action or argument (the
 * hint lists the valid ones), missing or mistyped args, min > max (allowed
 * for value_lengths_between, where no value then passes, as in Great
 * Expectations), no bound on a row-level between kind (aggregate kinds
 * may omit both: vacuously true), mostly outside [0, 1] or below 1 for an
 * aggregate kind, drop on an aggregate kind, a result_format other than
 * BOOLEAN_ONLY, BASIC, SUMMARY, COMPLETE (only BOOLEAN_ONLY and BASIC on
 * aggregate kinds), args.meta not an object, a misplaced or malformed
 * suite parameter {"$PARAMETER": "name"} (allowed as min, max, value,
 * values, pattern, strict_min, strict_max; checked with its value when it
 * is set, see expect_resolve_parameters); 2201B for a pattern that does not
 * compile (an empty pattern is valid and matches everything); 42601 for an
 * expression that is not one SQL expression; 42704 for an unknown
 * args.type.
 */
extern void expect_validate(ExpectationDef *e);

/*
 * expect_check_types: checks an expectation against the columns `desc` of
 * the rows it will check: every column it names exists (42703), numeric
 * kinds name numeric columns and bounds and set values read as values of
 * the column's type (42804; a bound given as a JSON number needs a numeric
 * column, 42804 otherwise), relationships' parent exists (42P01) and its
 * field compares with the column (42883).  Errors name the expectation.
 * Also raises 42501 unless the current role trusts every object the
 * expectation evaluates (trust.h): castable_to's type; relationships'
 * relation, which the current role must be allowed to read before it is
 * locked, its field's type and the comparison's operator and casts; an
 * expression's suite owner and, parsed over `desc`, every function,
 * operator, type and relation it uses (checked on its raw parse tree
 * before parse analysis locks or converts anything).  Called when an
 * expectation is added (if the step's target exists), when a suite is
 * attached, by dataops.validate and again each time a run generates its
 * SQL, so that objects replaced since are checked again.
 */
extern void expect_check_types(const ExpectationDef *e, TupleDesc desc);

/*
 * expect_require_trusted: raises 42501 (insufficient_privilege) unless
 * `role` trusts the objects e evaluates (trust.h), as far as they are known
 * without the columns of the rows checked and without locking anything:
 * castable_to's type (its input function, a domain's CHECK constraints,
 * recursively); relationships' relation (readable by `role`: 42501 naming
 * it otherwise; a view, materialized view or foreign table owned by a
 * trusted role; no untrusted row-level security) and its field's type; an
 * expression's suite owner (expect_require_expression_owner) and the
 * relations, types, functions and operators it names.  For the role that
 * will check the rows (e.g. a pipeline's owner when a suite is attached);
 * expect_check_types checks all of it, and more, for the current role each
 * time the expectation is checked.  Objects that do not exist yet (a type,
 * a relation an upstream step creates) are left to those checks.
 */
extern void expect_require_trusted(const ExpectationDef *e, Oid role);

/*
 * expect_require_expression_owner: raises 42501 (insufficient_privilege)
 * unless `role` trusts `owner`, the owner of `suite`, for e, an expression
 * expectation of that suite (trust_role_trusts: its own role, a role whose
 * privileges it has, or a superuser): an expression runs with the
 * privileges of the role checking the rows.  Checked when a suite is
 * attached or changed (suite.c) and again at each run.
 */
extern void expect_require_expression_owner(const char *suite, const char *owner,
											const ExpectationDef *e, Oid role);

/*
 * expect_resolve_parameters: replaces, in the args of each expectation of
 * `exps` (in place), every Great Expectations suite parameter
 * {"$PARAMETER": "name"} by the value of "name" in the JSON object of the
 * GUC dataops.parameters (the session's setting for dataops.validate; the
 * pipeline owner's role or database setting in a step worker), then checks
 * the args again as expect_validate does.  Raises 22023 when a parameter is
 * not set or dataops.parameters is not a JSON object, and expect_validate's
 * errors for a value that does not fit.  Called before a check's SQL is
 * generated (expect_sql_flags, expect_sql_aggregates); a no-op for
 * expectations without parameters.  Semantics: Great Expectations 1.x
 * suite parameters (0.x evaluation parameters), a plain name only.
 */
extern void expect_resolve_parameters(List *exps);

/* expect_define_gucs: defines dataops.parameters (USERSET, a JSON object); from _PG_init. */
extern void expect_define_gucs(void);

#endif							/* DATAOPS_EXPECT_DEF_H */
