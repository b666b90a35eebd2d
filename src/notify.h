/*
 * notify.h: notifications (issue 12, item 4): the SQL API
 * (dataops.add_notification, dataops.drop_notification), the destination
 * check against dataops.http_allowed_hosts, and the delivery background
 * worker that posts dataops.deliveries with libcurl.
 *
 * Layering: uses args.h, catalog_notify.h, dataops.h and launcher.h; the
 * scheduler (scheduler.c) starts the delivery worker through
 * notify_ensure_worker, module.c defines its GUCs through notify_init.
 */
#ifndef DATAOPS_NOTIFY_H
#define DATAOPS_NOTIFY_H

#include "postgres.h"

/* GUCs (notify_init defines them). */
extern char *dataops_http_allowed_hosts;
extern int	dataops_http_timeout_ms;
extern int	dataops_http_retry_delay_ms;
extern int	dataops_http_max_attempts;

/* Defines the notification GUCs; from _PG_init, before MarkGUCPrefixReserved. Raises nothing. */
extern void notify_init(void);

/*
 * notify_check_url: checks a destination URL against the rules of
 * dataops.add_notification: an http or https URL that libcurl parses, no
 * longer than 2048 bytes, whose host (and port) matches an entry of
 * dataops.http_allowed_hosts (as set in the calling process).  Returns NULL
 * when the URL is allowed; otherwise a palloc'd lower-case reason and sets
 * *sqlstate to 22023 (invalid_parameter_value: not a URL, another scheme)
 * or 42501 (insufficient_privilege: host not allowed).  The reason names
 * the host, never the whole URL (its path or user part may hold a token).
 * Raises nothing.
 */
extern char *notify_check_url(const char *url, int *sqlstate);

/*
 * notify_host_allowed: does host `host` (lower case, IPv6 in brackets) on
 * TCP port `port` match the comma-separated list `allowed`?  An entry is a
 * host name or IP literal, compared case-insensitively and exactly, or
 * "*.domain" (any name ending in ".domain", never an IP literal), with an
 * optional ":port" that the port must equal (no port: any port).  An empty
 * list allows nothing.  Raises nothing.
 */
extern bool notify_host_allowed(const char *allowed, const char *host, int port);

/*
 * notify_deliveries_due: true when a delivery of dataops.deliveries is
 * pending, and with now_only when one is due (next_attempt_at has passed);
 * false also when the database's dataops has no outbox yet (an extension
 * not updated to 0.7.0).  Call it in a transaction.  Any pending delivery is
 * the condition the scheduler's periodic work adds for notifications (a
 * retry waits for its time); a due one starts the delivery worker.  Raises
 * the catalog's errors.
 */
extern bool notify_deliveries_due(bool now_only);

/*
 * notify_ensure_worker: called by a database's scheduler once per turn,
 * outside a transaction: when a pending delivery is due and the delivery
 * worker this scheduler started is not running, registers one (a dynamic
 * background worker, "dataops delivery").  Looks at the catalog at most
 * once a second.  Raises the catalog's errors (the scheduler logs them).
 */
extern void notify_ensure_worker(void);

/* Entry point of the delivery worker (bgw_main_arg: the database's OID). */
extern PGDLLEXPORT void dataops_delivery_main(Datum arg);

#endif							/* DATAOPS_NOTIFY_H */
