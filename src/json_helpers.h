/*
 * json_helpers.h: reading values out of Jsonb (json_helpers.c), for the
 * modules that read options and expectation arguments.  Uses PostgreSQL
 * only.
 */
#ifndef DATAOPS_JSON_HELPERS_H
#define DATAOPS_JSON_HELPERS_H

#include "postgres.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"

/* Jsonb helpers: a key's value, as text (NULL for JSON null or absent) or as a string list. */
extern JsonbValue *json_get(Jsonb *j, const char *key);
extern char *json_value_text(JsonbValue *v);
extern List *json_string_list(JsonbValue *v, const char *what);


#endif							/* DATAOPS_JSON_HELPERS_H */
