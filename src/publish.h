/*
 * publish.h: the shared write path (filled in by the next commit).
 */
#ifndef DATAOPS_PUBLISH_H
#define DATAOPS_PUBLISH_H

#include "sqlgen.h"

/*
 * Compatibility for expect.c only, until the lead renames its call sites
 * (publish_operator -> sqlgen_operator, #include "publish.h" -> "sqlgen.h").
 */
#define publish_operator sqlgen_operator

#endif							/* DATAOPS_PUBLISH_H */
