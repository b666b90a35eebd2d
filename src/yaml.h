/*
 * yaml.h: YAML documents to and from jsonb (yaml.c), with libyaml
 * (Debian's libyaml-dev): dataops.yaml_to_jsonb and dataops.jsonb_to_yaml,
 * and the same for C callers (export_yaml, apply_yaml, contracts).
 *
 * Level 1-2: uses PostgreSQL and libyaml only.  (This file shares its name
 * with libyaml's <yaml.h>; yaml.c includes that one with angle brackets,
 * which do not search src/.)
 *
 * Semantics: YAML 1.2's core schema (yaml.org/spec/1.2.2, section 10.3)
 * for plain scalars, whatever %YAML directive the document carries.
 */
#ifndef DATAOPS_YAML_H
#define DATAOPS_YAML_H

#include "postgres.h"

#include "utils/jsonb.h"

/* Nesting limit (collections inside collections), both directions. */
#define YAML_MAX_DEPTH 1000

/*
 * Limits on what aliases add to a document ("billion laughs"): every use
 * of an alias counts the nodes and the bytes of scalar text of the node
 * it names, as if written out.
 */
#define YAML_MAX_ALIAS_NODES 1000000
#define YAML_MAX_ALIAS_BYTES (64 * 1024 * 1024)

/*
 * yaml_to_jsonb: one YAML document (`len` bytes of text in the database
 * encoding; need not be NUL-terminated) as jsonb.  No document (empty text,
 * comments only) gives the jsonb null.
 *
 * Scalars: a plain (unquoted) scalar follows the YAML 1.2 core schema:
 * null, Null, NULL, ~ and the empty scalar are null; true/True/TRUE and
 * false/False/FALSE booleans; [-+]?[0-9]+, 0o[0-7]+ and 0x[0-9a-fA-F]+
 * integers and [-+]?(.[0-9]+|[0-9]+(.[0-9]*)?)([eE][-+]?[0-9]+)? floats are
 * numbers; anything else is a string.  A quoted or block (| >) scalar is a
 * string.  The tags !!str, !!int, !!float, !!bool, !!null (on scalars),
 * !!seq, !!map (on collections) and ! are honoured.  Mapping keys are
 * strings: a scalar key is taken as written (`1: x` has the key "1").
 * Anchors and aliases are expanded (an alias is a copy of the node).
 *
 * Errors (each errdetail names the line and column, 1-based):
 *   22P02 invalid_text_representation: YAML syntax (libyaml's problem
 *         text), more than one document, a duplicate key, a key that is not
 *         a scalar, an unknown tag or a value its tag does not accept,
 *         .inf/.nan (jsonb has neither), an alias naming no anchor before
 *         it, an alias inside the node it names;
 *   22P05 untranslatable_character: a string with a NUL (\0) character;
 *   0A000 feature_not_supported: the merge key <<;
 *   54000 program_limit_exceeded: aliases adding more than
 *         YAML_MAX_ALIAS_NODES nodes or YAML_MAX_ALIAS_BYTES bytes;
 *   54001 statement_too_complex: nesting deeper than YAML_MAX_DEPTH;
 *   22003 numeric_value_out_of_range: a number numeric cannot hold.
 */
extern Jsonb *yaml_to_jsonb(const char *text, size_t len);

/*
 * yaml_from_jsonb: `j` as a YAML document (text in the database encoding,
 * NUL-terminated, palloc'd), written by libyaml's emitter in block style,
 * two spaces of indentation, no line folding.  Mappings list "name" first,
 * then "format", "scope", then the other keys whose values are scalars,
 * then those whose values are arrays or objects (each group in jsonb's
 * order).  Strings yaml_to_jsonb (or a YAML 1.1 reader such as PyYAML)
 * would read as something else are double-quoted ("true", "123", "",
 * "1e3", "yes", "<<"); multi-line strings use the literal block style |
 * when libyaml allows it (no tab, no trailing space on a line), else
 * double quotes; empty arrays and objects are [] and {}.
 * yaml_to_jsonb(yaml_from_jsonb(j)) equals j for every j this accepts.
 *
 * Errors: 54001 nesting deeper than YAML_MAX_DEPTH; 54000 a result over
 * 1 GB; XX000 if libyaml's emitter refuses an event.
 */
extern char *yaml_from_jsonb(Jsonb *j);

#endif							/* DATAOPS_YAML_H */
