/*
 * citus.h: what dataops needs to know about Citus, the distributed
 * PostgreSQL engine (issue 15), and the one thing it asks Citus to do:
 * distribute a table it has just created.
 *
 * Rule.  A Citus table's rows live in its shards (on the workers, or for a
 * Citus local table in a shard on the coordinator); the relation dataops
 * sees on the coordinator is an empty shell.  So dataops writes a Citus
 * table only through SQL statements Citus plans (INSERT ... SELECT,
 * INSERT ... ON CONFLICT, UPDATE, DELETE, TRUNCATE) or through the COPY
 * utility statement Citus hooks, never with heap inserts (sink.c) or a
 * direct DoCopy: those would fill the shell and the rows would be lost.
 *
 * Every query here reads pg_catalog.pg_dist_partition or calls a Citus
 * function in pg_catalog, qualified, with values as parameters; when
 * pg_dist_partition does not exist (Citus not installed in the database)
 * nothing is asked and no table is a Citus table.  Uses dataops.h only.
 */
#ifndef DATAOPS_CITUS_H
#define DATAOPS_CITUS_H

#include "postgres.h"

/* What kind of Citus table a relation is (pg_dist_partition.partmethod and repmodel). */
typedef enum CitusKind
{
	CITUS_NONE,					/* a plain PostgreSQL relation, or Citus absent */
	CITUS_DISTRIBUTED,			/* hash-distributed on a column (partmethod 'h') */
	CITUS_REFERENCE,			/* a reference table, a copy on every node (partmethod 'n', repmodel 't') */
	CITUS_OTHER					/* a Citus local table, or a range or append distribution */
} CitusKind;

/*
 * citus_installed: whether the Citus extension's catalog
 * (pg_catalog.pg_dist_partition) exists in this database.  A syscache
 * lookup; raises nothing.
 */
extern bool citus_installed(void);

/*
 * citus_table_kind: the Citus kind of relation relid, and for a
 * distributed table its distribution column in *column (when column is not
 * NULL; NULL otherwise).  One query on pg_dist_partition as the current
 * user (Citus grants SELECT on it to PUBLIC).  SPI must be connected; the
 * caller's SPI_tuptable stays readable.  Raises nothing of its own.
 */
extern CitusKind citus_table_kind(Oid relid, char **column);

/*
 * citus_distribute: makes the table qname (qualified, created by the
 * caller in this transaction, owned by the current user) a Citus table, as
 * a step's options distribution_column, colocate_with and reference say: a
 * reference table when `reference` (pg_catalog.create_reference_table), a
 * table distributed on `column` when it is not NULL
 * (pg_catalog.create_distributed_table(qname, column, colocate_with =>
 * colocate_with, or 'default' when NULL)), nothing otherwise.  Errors are
 * Citus's own (for example 42703 for a column the table lacks, or a
 * colocation whose column type differs) and 0A000 when Citus is not
 * installed.  SPI must be connected.
 */
extern void citus_distribute(const char *qname, bool reference, const char *column, const char *colocate_with);

/*
 * citus_distribute_like: distributes the table qname as relation `like`
 * is: colocated with it on a column of the same name (its distribution
 * column), or as a reference table when `like` is one.  For the side
 * tables of a target (quarantine, _unexpected, _before, a run's stage and
 * batch), so that the statements joining them with the target run on the
 * shards.  Returns the kind given to qname (CITUS_NONE when `like` is not
 * distributed or a reference table, and then does nothing).  Errors as
 * citus_distribute.
 */
extern CitusKind citus_distribute_like(const char *qname, Oid like);

#endif							/* DATAOPS_CITUS_H */
