/*
 * catalog.h: the public header of the only modules that read and write
 * dataops' catalog tables; other modules include this header only.
 *
 * Every statement runs as the extension owner with search_path set to
 * pg_catalog, pg_temp, and passes every value as a parameter, so neither the
 * caller's privileges nor its search_path affect the catalog.
 */
#ifndef DATAOPS_CATALOG_H
#define DATAOPS_CATALOG_H

/*
 * The catalog is split by what it persists:
 *   catalog_defs.h   definitions: pipelines, steps, expectations, suites, dependencies, schedules
 *   catalog_runs.h   runs, step runs, expectation results, lineage, events
 *   catalog_state.h  step state, watermarks, table versions, ingested files, cancel requests
 * all through one SPI core (catalog.c, catalog_spi.h, private to them).
 * json_helpers.h: Jsonb helpers, included here for the modules that used to
 * find them in this header.
 */
#include "catalog_defs.h"
#include "catalog_runs.h"
#include "catalog_state.h"
#include "json_helpers.h"

#endif							/* DATAOPS_CATALOG_H */
