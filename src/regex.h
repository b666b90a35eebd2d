/*
 * regex.h: PCRE2 regular expressions (JIT-compiled, cached per backend).
 */
#ifndef DATAOPS_REGEX_H
#define DATAOPS_REGEX_H

#include "postgres.h"

/*
 * regex_validate: compiles `pattern` (NUL-terminated) and raises ERROR with
 * SQLSTATE 2201B (invalid_regular_expression) naming the PCRE2 error and its
 * offset if it does not compile.  Leaves the compiled pattern in the cache.
 */
extern void regex_validate(const char *pattern);

/*
 * regex_search: true when `pattern` matches anywhere in subject[0..len)
 * (unanchored search, as Great Expectations' match_regex).  Raises ERROR
 * 2201B for a pattern that does not compile and 54000
 * (program_limit_exceeded) when the match or depth limit is hit.
 */
extern bool regex_search(const char *pattern, int patlen, const char *subject, int len);

#endif							/* DATAOPS_REGEX_H */
