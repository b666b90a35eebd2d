/*
 * openlineage.h: settings of the OpenLineage events (the events themselves
 * are built in SQL, dataops.openlineage_events).
 */
#ifndef DATAOPS_OPENLINEAGE_H
#define DATAOPS_OPENLINEAGE_H

#include "postgres.h"

/* dataops.openlineage_namespace: the namespace of the jobs and relation datasets */
extern char *dataops_openlineage_namespace;

/*
 * openlineage_define_gucs: defines dataops.openlineage_namespace, whose
 * default is postgres://<host>:<port> from listen_addresses (its first
 * entry; the machine's host name for '*' and wildcard addresses, localhost
 * when the server listens on Unix sockets only) and port, as OpenLineage's
 * naming convention for PostgreSQL has it.  Called by _PG_init.  Raises
 * nothing.
 */
extern void openlineage_define_gucs(void);

#endif							/* DATAOPS_OPENLINEAGE_H */
