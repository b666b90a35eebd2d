/*
 * api_int.h: what api.c shares with api_alter.c, the two files of the
 * definition API module.  Included by those two files only.
 */
#ifndef DATAOPS_API_INT_H
#define DATAOPS_API_INT_H

#include "postgres.h"
#include "utils/array.h"

#include "catalog.h"

/*
 * api_unique_key: the text[] argument as a List of column names (char *).
 * Raises 22023 for NULL or empty elements or an empty array.
 */
extern List *api_unique_key(ArrayType *arr);

/*
 * api_check_step: validates step `s` of pipeline `p` as add_step does (see
 * api.c); `target`, when not NULL, is parsed into the step's target.
 * Writes nothing.
 */
extern void api_check_step(const PipelineDef *p, StepDef *s, const char *target);

/*
 * api_store_dependencies: stores the depends_on dag_rebuild derived for
 * every step of `steps` but `except` (NULL: all).
 */
extern void api_store_dependencies(List *steps, const StepDef *except);

#endif							/* DATAOPS_API_INT_H */
