/*
 * typecheck.h: does a text value parse as a type, or with a strftime format.
 *
 * Backs Great Expectations' expect_column_values_to_be_of_type-style checks
 * (dataops.input_is_valid) and expect_column_values_to_match_strftime_format
 * (dataops.matches_strftime); the functions below are the definition-time
 * checks expect.c runs on an expectation's args.
 */
#ifndef DATAOPS_TYPECHECK_H
#define DATAOPS_TYPECHECK_H

#include "postgres.h"

/*
 * typecheck_validate_type: checks that `type_name` (NUL-terminated, SQL
 * syntax as in a cast: "integer", "numeric(10,2)", "public.my_domain",
 * resolved with the current search_path) names a type whose values can be
 * checked.  Raises ERROR 22023 (invalid_parameter_value) "args.type of
 * expectation "<expectation>" is not a type: <reason>" when no such type
 * exists or it is a pseudo-type; a type string that is not valid type syntax
 * raises the parser's own error (42601), as a cast would.
 */
extern void typecheck_validate_type(const char *type_name, const char *expectation);

/*
 * typecheck_require_trusted_type: raises 42501 (insufficient_privilege)
 * unless `role` trusts the type `type_name` names (resolved as
 * typecheck_validate_type does, with the current search_path) and all that
 * reading a value of it as text runs (trust_require_type: its input
 * function, a domain's CHECK constraints, ...), naming `user` (e.g.
 * expectation "x") in the error.  Does nothing for a type that does not
 * exist (the check that uses it reports that); 42601 for bad type syntax.
 * Runs no code of the type (not even its typmod input function).
 */
extern void typecheck_require_trusted_type(const char *type_name, Oid role, const char *user);

/*
 * typecheck_validate_format: checks that `format` (NUL-terminated) is a
 * strptime format dataops.matches_strftime can apply: not empty, at least
 * one conversion other than %%, and only the conversions a A b B h c C d e D
 * H I j m M n t p r R S T U W V w x X y Y Z z %% (with the E modifier before
 * c C x X y Y and the O modifier before d e H I m M S U V w W y).  Raises
 * ERROR 22023 "args.format of expectation "<expectation>" is not a strftime
 * format: <reason>" otherwise, with an example in the hint.  Python's %f
 * (fractional seconds) is not among them: glibc's strptime has no %f.
 */
extern void typecheck_validate_format(const char *format, const char *expectation);

#endif							/* DATAOPS_TYPECHECK_H */
