/*
 * catalog_notify.h: notifications and their outbox in the catalog
 * (catalog_notify.c): dataops.notifications (added and dropped by the
 * notification API, notify.c) and dataops.deliveries (written by the
 * dataops._events_outbox trigger in the event's transaction, drained by the
 * delivery worker, notify.c).
 *
 * Every statement runs through the SPI core (catalog_spi.h) as the
 * extension's owner.  Each function must be called inside a transaction.
 */
#ifndef DATAOPS_CATALOG_NOTIFY_H
#define DATAOPS_CATALOG_NOTIFY_H

#include "postgres.h"
#include "nodes/pg_list.h"

/* A delivery claimed by the worker (catalog_claim_delivery). */
typedef struct ClaimedDelivery
{
	int64		id;
	char	   *url;			/* the notification's URL */
	char	   *payload;		/* the JSON body, as text */
	int			attempts;		/* attempts including this one */
} ClaimedDelivery;

/*
 * catalog_add_notification: inserts a row of dataops.notifications and
 * returns its id.  events: List of C strings (already validated), owner:
 * the pipeline owner's role name.  Raises the statement's errors.
 */
extern int64 catalog_add_notification(const char *pipeline, const char *url, List *events,
									  const char *format, const char *owner);

/* The pipeline of notification `id`, palloc'd, or NULL when there is none.  Raises nothing of its own. */
extern char *catalog_notification_pipeline(int64 id);

/* Deletes notification `id` (its deliveries go with it, ON DELETE CASCADE). */
extern void catalog_drop_notification(int64 id);

/* True when a delivery is pending, with now_only when one is due (next_attempt_at <= now). */
extern bool catalog_deliveries_due(bool now_only);

/*
 * catalog_claim_delivery: takes the pending delivery due first, counts the
 * attempt and moves its next_attempt_at to now + retry_delay_ms *
 * 2^(attempts - 1) (capped at one hour), so that a worker that dies during
 * the request leaves it to be retried then (at-least-once).  Commits
 * nothing itself.  Returns false when none is due.
 */
extern bool catalog_claim_delivery(int64 retry_delay_ms, ClaimedDelivery *d);

/*
 * catalog_delivery_result: records an attempt's outcome: delivered (ok),
 * else pending for its next attempt, or dead when `final` or when
 * max_attempts attempts were made.  http_status 0: no answer.  error may
 * be NULL.
 */
extern void catalog_delivery_result(int64 id, bool ok, int http_status, const char *error, bool final,
									int max_attempts);

/* Milliseconds until the next pending delivery is due (0 if one is due), -1 when none is pending. */
extern int64 catalog_next_delivery_ms(void);

/* Deletes delivered and dead deliveries older than the interval `retention` (text). */
extern void catalog_prune_deliveries(const char *retention);

#endif							/* DATAOPS_CATALOG_NOTIFY_H */
