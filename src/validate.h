/*
 * validate.h: dataops.validate(relation, suite), a Great Expectations
 * checkpoint: any table or view checked now against a suite, its results
 * recorded under a run of kind validation.  SQL-callable only (validate.c).
 */
#ifndef DATAOPS_VALIDATE_H
#define DATAOPS_VALIDATE_H

#endif							/* DATAOPS_VALIDATE_H */
