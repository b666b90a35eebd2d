/*
 * regex.h: PCRE2 regular expressions (JIT-compiled, cached per backend).
 *
 * Semantics are PCRE2's (Perl-compatible, as Python's re that Great
 * Expectations uses for match_regex, bar a few corner cases): unanchored
 * search, byte offsets, UTF-8 characters when the database encoding is UTF-8.
 * Compiled patterns are cached per backend keyed on (pattern bytes, compile
 * options).
 */
#ifndef DATAOPS_REGEX_H
#define DATAOPS_REGEX_H

#include "postgres.h"

/*
 * regex_parse_flags: PCRE2 compile options for a flags string, each
 * character one flag: i (PCRE2_CASELESS), m (PCRE2_MULTILINE: ^ and $ match
 * at line breaks), s (PCRE2_DOTALL: . matches a newline), x
 * (PCRE2_EXTENDED: whitespace and #-comments in the pattern are ignored).
 * `flags` may be NULL or "" (no options); repeating a flag is harmless.
 * Raises ERROR 22023 (invalid_parameter_value) naming the first character
 * that is not one of i, m, s, x.  The result is what regex_search takes as
 * `options`; the UTF options the database encoding calls for are added by
 * the cache, not here.
 */
extern uint32 regex_parse_flags(const char *flags);

/*
 * regex_validate: compiles `pattern` (NUL-terminated) with `flags` (as
 * regex_parse_flags: NULL or "" for none) and leaves it in the cache, for
 * definition-time checks.  Raises ERROR 22023 for a bad flag and 2201B
 * (invalid_regular_expression) if the pattern does not compile: errmsg
 * "invalid regular expression in expectation "<expectation>": <PCRE2
 * message>" when `expectation` is not NULL, else "invalid regular
 * expression: <PCRE2 message>"; errdetail gives the offset (bytes) of the
 * error in the pattern.
 */
extern void regex_validate(const char *pattern, const char *flags, const char *expectation);

/*
 * regex_search: true when pattern[0..patlen) compiled with `options` (from
 * regex_parse_flags) matches anywhere in subject[0..len) (unanchored search,
 * as Great Expectations' match_regex, i.e. Python's re.search).  Neither
 * string needs to be NUL-terminated; both must be valid in the database
 * encoding (they are not re-checked).  Checks for interrupts first, so a
 * scan calling it per row can be cancelled between rows.  Raises ERROR
 * 2201B for a pattern that does not compile (worded as regex_validate) and
 * 54000 (program_limit_exceeded) when the match, depth, heap or JIT stack
 * limit is hit (catastrophic backtracking): errmsg "regular expression match
 * limit exceeded in expectation "<expectation>"" when `expectation` is not
 * NULL, else "regular expression match limit exceeded"; errdetail names the
 * pattern and the value's length in bytes.
 */
extern bool regex_search(const char *pattern, int patlen, uint32 options,
						 const char *subject, int len, const char *expectation);

#endif							/* DATAOPS_REGEX_H */
