/*
 * rollback.h: dataops.rollback(): undoing the last batches merged into
 * incremental targets, from the before-images materialize.c keeps in
 * <target>_before (the last options.keep_versions batches).
 */
#ifndef DATAOPS_ROLLBACK_H
#define DATAOPS_ROLLBACK_H

#include "postgres.h"
#include "fmgr.h"

extern PGDLLEXPORT Datum dataops_rollback(PG_FUNCTION_ARGS);

#endif							/* DATAOPS_ROLLBACK_H */
