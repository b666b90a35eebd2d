/*
 * catalog_notify.c: notifications and their outbox in the catalog (see
 * catalog_notify.h).
 */
#include "postgres.h"

#include "catalog_notify.h"
#include "catalog_spi.h"

int64
catalog_add_notification(const char *pipeline, const char *url, List *events, const char *format,
						 const char *owner)
{
	CatalogArgs a = {0};
	CatalogRows *r;

	arg_text(&a, pipeline);
	arg_text(&a, url);
	arg_text_array(&a, events);
	arg_text(&a, format);
	arg_text(&a, owner);
	r = catalog_query("INSERT INTO dataops.notifications (pipeline, url, events, format, owner) "
					  "VALUES ($1, $2, $3, $4, CAST($5 AS pg_catalog.name)) RETURNING id", &a);
	return row_int8(r, 0, 1);
}

char *
catalog_notification_pipeline(int64 id)
{
	CatalogRows *r = catalog_query_int8_arg("SELECT pipeline FROM dataops.notifications "
											"WHERE id OPERATOR(pg_catalog.=) $1", id);

	return r->n == 0 ? NULL : row_text(r, 0, 1);
}

void
catalog_drop_notification(int64 id)
{
	(void) catalog_query_int8_arg("DELETE FROM dataops.notifications WHERE id OPERATOR(pg_catalog.=) $1", id);
}

bool
catalog_deliveries_due(bool now_only)
{
	return catalog_spi(now_only ?
					   "SELECT 1 FROM dataops.deliveries WHERE state OPERATOR(pg_catalog.=) 'pending' "
					   "AND next_attempt_at OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp() LIMIT 1" :
					   "SELECT 1 FROM dataops.deliveries WHERE state OPERATOR(pg_catalog.=) 'pending' LIMIT 1",
					   NULL, NULL, CATALOG_READ_FRESH)->n > 0;
}

bool
catalog_claim_delivery(int64 retry_delay_ms, ClaimedDelivery *d)
{
	CatalogArgs a = {0};
	CatalogRows *r;

	arg_int8(&a, retry_delay_ms, false);
	r = catalog_query("WITH c AS (SELECT d.id FROM dataops.deliveries d "
					  "  WHERE d.state OPERATOR(pg_catalog.=) 'pending' "
					  "  AND d.next_attempt_at OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp() "
					  "  ORDER BY d.next_attempt_at, d.id LIMIT 1 FOR UPDATE SKIP LOCKED) "
					  "UPDATE dataops.deliveries d SET attempts = d.attempts OPERATOR(pg_catalog.+) 1, "
					  "  next_attempt_at = pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) "
					  "    pg_catalog.make_interval(secs => LEAST(3600.0, "
					  "      CAST($1 AS pg_catalog.float8) OPERATOR(pg_catalog./) 1000.0 OPERATOR(pg_catalog.*) "
					  "      pg_catalog.power(2.0, LEAST(d.attempts, 30)))) "
					  "FROM c, dataops.notifications n "
					  "WHERE d.id OPERATOR(pg_catalog.=) c.id AND n.id OPERATOR(pg_catalog.=) d.notification_id "
					  "RETURNING d.id, n.url, CAST(d.payload AS pg_catalog.text), d.attempts", &a);
	if (r->n == 0)
		return false;
	d->id = row_int8(r, 0, 1);
	d->url = row_text(r, 0, 2);
	d->payload = row_text(r, 0, 3);
	d->attempts = (int) row_int8(r, 0, 4);
	return true;
}

void
catalog_delivery_result(int64 id, bool ok, int http_status, const char *error, bool final, int max_attempts)
{
	CatalogArgs a = {0};

	arg_int8(&a, id, false);
	arg_bool(&a, ok);
	arg_int4(&a, http_status, http_status == 0);
	arg_text(&a, error);
	arg_bool(&a, final);
	arg_int4(&a, max_attempts, false);
	(void) catalog_query("UPDATE dataops.deliveries SET "
						 "state = CASE WHEN $2 THEN 'delivered' "
						 "  WHEN $5 OR attempts OPERATOR(pg_catalog.>=) $6 THEN 'dead' ELSE 'pending' END, "
						 "last_http_status = $3, last_error = $4, "
						 "delivered_at = CASE WHEN $2 THEN pg_catalog.clock_timestamp() END "
						 "WHERE id OPERATOR(pg_catalog.=) $1", &a);
}

int64
catalog_next_delivery_ms(void)
{
	CatalogRows *r = catalog_query("SELECT CAST(GREATEST(0, pg_catalog.ceil(1000 OPERATOR(pg_catalog.*) "
								   "pg_catalog.date_part('epoch', pg_catalog.min(next_attempt_at) "
								   "OPERATOR(pg_catalog.-) pg_catalog.clock_timestamp()))) AS pg_catalog.int8) "
								   "FROM dataops.deliveries WHERE state OPERATOR(pg_catalog.=) 'pending'", NULL);
	bool		isnull;

	(void) row_datum(r, 0, 1, &isnull);
	return isnull ? -1 : row_int8(r, 0, 1);
}

void
catalog_prune_deliveries(const char *retention)
{
	(void) catalog_query_text_arg("DELETE FROM dataops.deliveries WHERE state OPERATOR(pg_catalog.<>) 'pending' "
								  "AND created_at OPERATOR(pg_catalog.<) (pg_catalog.clock_timestamp() "
								  "OPERATOR(pg_catalog.-) CAST($1 AS pg_catalog.interval))", retention);
}
