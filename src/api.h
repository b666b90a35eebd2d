/*
 * api.h: the definition API (create_pipeline, drop_pipeline, add_step,
 * add_expectation, set_pipeline_option, add_dependency, drop_dependency).
 *
 * Layering: api.c may use args.h, catalog.h, dag.h, dataops.h, expect.h,
 * ingest.h, schedule.h and suite.h.  No module includes this header: the
 * checks the SQL-callable modules share live in args.h (issue 11 broke the
 * api.c <-> schedule.c cycle that way).
 *
 * SQL-callable functions of api.c (declared by PG_FUNCTION_INFO_V1):
 *
 *   dataops_create_pipeline      dataops.create_pipeline(name, description)
 *   dataops_drop_pipeline        dataops.drop_pipeline(name)
 *   dataops_add_step             dataops.add_step(pipeline, name, layer, target, query,
 *                                                 source, unique_key, keep, options)
 *   dataops_add_expectation      dataops.add_expectation(pipeline, step, name, kind,
 *                                                        column_name, args, action, mostly)
 *   dataops_set_pipeline_option  dataops.set_pipeline_option(pipeline, key, value)
 *   dataops_add_dependency       dataops.add_dependency(pipeline, upstream)
 *   dataops_drop_dependency      dataops.drop_dependency(pipeline, upstream)
 */
#ifndef DATAOPS_API_H
#define DATAOPS_API_H

#endif							/* DATAOPS_API_H */
