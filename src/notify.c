/*
 * notify.c: notifications (see notify.h).
 *
 * The outbox is written in SQL (dataops._events_outbox, an AFTER INSERT
 * trigger on dataops.events), so a delivery exists exactly when its event
 * was committed.  This file checks destinations, offers the API and posts
 * the outbox: one delivery worker per database, started by the database's
 * scheduler when a delivery is due, claims one due delivery at a time in a
 * short transaction (counting the attempt and moving its next attempt out
 * by the backoff first, so a crash mid-request means a retry: at least
 * once), posts it with no transaction open and no lock held, and records
 * the outcome in a second short transaction.  Runs never wait for it.
 */
#include "postgres.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <curl/curl.h>

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lock.h"
#include "tcop/tcopprot.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "args.h"
#include "catalog_notify.h"
#include "dataops.h"
#include "launcher.h"
#include "notify.h"

char	   *dataops_http_allowed_hosts = NULL;
int			dataops_http_timeout_ms = 5000;
int			dataops_http_retry_delay_ms = 10000;
int			dataops_http_max_attempts = 5;

#define NOTIFY_MAX_URL_LEN 2048
/* The worker waits for a retry due within this time (ms); it exits when none is. */
#define NOTIFY_LINGER_MS 15000

/* Statuses a notification may ask for (events of kind run and sla). */
static const char *const notify_statuses[] = {
	"failed", "succeeded", "canceled", "timed_out", "sla_missed", "sla_recovered"
};
static const char *const notify_formats[] = {"slack", "json", "openlineage"};

void
notify_init(void)
{
	DefineCustomStringVariable("dataops.http_allowed_hosts",
							   "Hosts that notifications may be posted to (comma-separated).",
							   "Host names, IP literals or *.domain patterns, each with an optional :port; empty allows none.",
							   &dataops_http_allowed_hosts,
							   "",
							   PGC_SUSET, 0,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("dataops.http_timeout",
							"Time one notification post may take, connection included.",
							NULL,
							&dataops_http_timeout_ms,
							5000, 100, 600000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("dataops.http_retry_delay",
							"Delay before the second attempt of a failed notification post; it doubles after each failure.",
							NULL,
							&dataops_http_retry_delay_ms,
							10000, 10, 3600000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("dataops.http_max_attempts",
							"Attempts after which a notification delivery is given up (marked dead).",
							NULL,
							&dataops_http_max_attempts,
							5, 1, 100,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);
}

/*
 * Is s an IP literal: bracketed IPv6, or a host whose last label starts with
 * a digit, which resolvers read as an IPv4 address in one of inet_aton's
 * forms (2130706433, 0x7f.1, 0177.0.0.1) and which no DNS name ends with
 * (the WHATWG URL standard's "ends in a number")?
 */
static bool
host_is_numeric(const char *s)
{
	size_t		len = strlen(s);
	const char *last;

	if (s[0] == '[')
		return true;
	while (len > 0 && s[len - 1] == '.')
		len--;					/* a trailing dot ends the name, not a label */
	if (len == 0)
		return false;
	last = s + len;
	while (last > s && last[-1] != '.')
		last--;
	return isdigit((unsigned char) *last);
}

bool
notify_host_allowed(const char *allowed, const char *host, int port)
{
	char	   *list;
	char	   *entry;
	char	   *save = NULL;
	bool		numeric = host_is_numeric(host);

	if (allowed == NULL || allowed[0] == '\0')
		return false;
	list = pstrdup(allowed);
	for (entry = strtok_r(list, ",", &save); entry; entry = strtok_r(NULL, ",", &save))
	{
		char	   *end;
		char	   *colon;
		int			want_port = -1;

		while (*entry == ' ' || *entry == '\t')
			entry++;
		end = entry + strlen(entry);
		while (end > entry && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*entry == '\0')
			continue;
		/* a port: after "]" for a bracketed IPv6 literal, else after the only colon */
		colon = NULL;
		if (entry[0] == '[')
		{
			char	   *rb = strchr(entry, ']');

			if (rb && rb[1] == ':')
				colon = rb + 1;
		}
		else if ((colon = strchr(entry, ':')) != NULL && strchr(colon + 1, ':') != NULL)
			colon = NULL;
		if (colon)
		{
			char	   *e;
			long		v = strtol(colon + 1, &e, 10);

			if (*e != '\0' || v <= 0 || v > 65535)
				continue;		/* a malformed entry allows nothing */
			want_port = (int) v;
			*colon = '\0';
		}
		if (want_port >= 0 && want_port != port)
			continue;
		if (entry[0] == '*' && entry[1] == '.')
		{
			size_t		hl = strlen(host);
			size_t		sl = strlen(entry + 1);

			if (!numeric && hl > sl && pg_strcasecmp(host + hl - sl, entry + 1) == 0)
				return true;
		}
		else if (pg_strcasecmp(host, entry) == 0)
			return true;
	}
	return false;
}

char *
notify_check_url(const char *url, int *sqlstate)
{
	CURLU	   *u;
	char	   *scheme = NULL;
	char	   *host = NULL;
	char	   *port = NULL;
	char	   *reason = NULL;

	*sqlstate = ERRCODE_INVALID_PARAMETER_VALUE;
	if (strlen(url) > NOTIFY_MAX_URL_LEN)
		return psprintf("url is longer than %d bytes", NOTIFY_MAX_URL_LEN);
	u = curl_url();
	if (u == NULL)
		return pstrdup("out of memory parsing the url");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
		curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
		curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
		curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
		reason = pstrdup("url is not a valid http or https URL");
	else if (pg_strcasecmp(scheme, "http") != 0 && pg_strcasecmp(scheme, "https") != 0)
		reason = psprintf("url scheme \"%s\" is not allowed", scheme);
	else
	{
		char	   *h = pstrdup(host);
		char	   *p;

		for (p = h; *p; p++)
			*p = pg_tolower((unsigned char) *p);
		if (!notify_host_allowed(dataops_http_allowed_hosts, h, atoi(port)))
		{
			*sqlstate = ERRCODE_INSUFFICIENT_PRIVILEGE;
			reason = psprintf("host \"%s\" port %s is not allowed by dataops.http_allowed_hosts", h, port);
		}
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return reason;
}

/*
 * dataops.add_notification(pipeline text, url text, events text[], format
 * text) → bigint: the new notification's id.  The caller must have the
 * privileges of the pipeline's owner (args_owned_pipeline: 42704, 42501).
 * Raises 22004 for a NULL argument or event, 22023 for an empty events
 * array, an unknown status or format, a URL that is not http(s); 42501 for
 * a host that dataops.http_allowed_hosts does not allow.
 */
PG_FUNCTION_INFO_V1(dataops_add_notification);
Datum
dataops_add_notification(PG_FUNCTION_ARGS)
{
	char	   *pipeline;
	char	   *url;
	char	   *format;
	char	   *reason;
	int			sqlstate;
	PipelineDef *p;
	List	   *events = NIL;
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;
	int			i;
	int			j;
	bool		known;

	args_require(PG_ARGISNULL(0), "pipeline");
	args_require(PG_ARGISNULL(1), "url");
	args_require(PG_ARGISNULL(2), "events");
	args_require(PG_ARGISNULL(3), "format");
	pipeline = args_text(fcinfo, 0);
	url = args_text(fcinfo, 1);
	format = args_text(fcinfo, 3);
	p = args_owned_pipeline(pipeline, "change");

	arr = PG_GETARG_ARRAYTYPE_P(2);
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &nelems);
	if (nelems == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("events must not be empty"),
				 errhint("Name at least one of failed, succeeded, canceled, timed_out, sla_missed, sla_recovered.")));
	for (i = 0; i < nelems; i++)
	{
		char	   *ev;

		args_require(nulls[i], "event");
		ev = TextDatumGetCString(elems[i]);
		known = false;
		for (j = 0; j < lengthof(notify_statuses); j++)
			if (strcmp(ev, notify_statuses[j]) == 0)
				known = true;
		if (!known)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown notification event \"%s\"", ev),
					 errhint("Events are failed, succeeded, canceled, timed_out, sla_missed and sla_recovered.")));
		{
			ListCell   *lc;
			bool		dup = false;

			foreach(lc, events)
				if (strcmp((char *) lfirst(lc), ev) == 0)
					dup = true;
			if (!dup)
				events = lappend(events, ev);
		}
	}
	known = false;
	for (j = 0; j < lengthof(notify_formats); j++)
		if (strcmp(format, notify_formats[j]) == 0)
			known = true;
	if (!known)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown notification format \"%s\"", format),
				 errhint("Formats are slack, json and openlineage.")));

	reason = notify_check_url(url, &sqlstate);
	if (reason != NULL)
	{
		if (sqlstate == ERRCODE_INSUFFICIENT_PRIVILEGE)
			ereport(ERROR,
					(errcode(sqlstate),
					 errmsg("%s", reason),
					 errdetail("Notifications are posted by the server; a superuser lists the hosts it may reach."),
					 errhint("Ask a superuser to add the host to dataops.http_allowed_hosts.")));
		ereport(ERROR,
				(errcode(sqlstate),
				 errmsg("%s", reason),
				 errhint("Give an http:// or https:// URL.")));
	}
	PG_RETURN_INT64(catalog_add_notification(pipeline, url, events, format, p->owner));
}

/*
 * dataops.drop_notification(id bigint) → void.  The caller must have the
 * privileges of the owner of the notification's pipeline (42501).  Raises
 * 22004 for a NULL id, 42704 for an unknown notification.
 */
PG_FUNCTION_INFO_V1(dataops_drop_notification);
Datum
dataops_drop_notification(PG_FUNCTION_ARGS)
{
	int64		id;
	char	   *pipeline;

	args_require(PG_ARGISNULL(0), "notification id");
	id = PG_GETARG_INT64(0);
	pipeline = catalog_notification_pipeline(id);
	if (pipeline == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("notification " INT64_FORMAT " does not exist", id)));
	(void) args_owned_pipeline(pipeline, "change");
	catalog_drop_notification(id);
	PG_RETURN_VOID();
}

/* ---- starting the worker (in the scheduler) ---- */

static BackgroundWorkerHandle *delivery_handle = NULL;
static TimestampTz last_look = 0;

bool
notify_deliveries_due(bool now_only)
{
	/* an extension not yet updated to 0.7.0 has no outbox */
	Oid			nsp = get_namespace_oid("dataops", true);

	return OidIsValid(nsp) && OidIsValid(get_relname_relid("deliveries", nsp)) && catalog_deliveries_due(now_only);
}

void
notify_ensure_worker(void)
{
	BackgroundWorker worker;
	pid_t		pid;
	bool		due;
	TimestampTz now = GetCurrentTimestamp();
	MemoryContext old;

	if (delivery_handle != NULL)
	{
		BgwHandleStatus st = GetBackgroundWorkerPid(delivery_handle, &pid);

		if (st == BGWH_STARTED || st == BGWH_NOT_YET_STARTED)
			return;
		pfree(delivery_handle);
		delivery_handle = NULL;
	}
	if (!TimestampDifferenceExceeds(last_look, now, 1000))
		return;
	last_look = now;
	dataops_begin_tx("dataops: looking for deliveries");
	due = notify_deliveries_due(true);
	dataops_commit_tx();
	if (!due)
		return;

	launcher_worker_template(&worker, "dataops_delivery_main", "dataops delivery");
	snprintf(worker.bgw_name, BGW_MAXLEN, "dataops delivery");
	worker.bgw_main_arg = ObjectIdGetDatum(MyDatabaseId);
	worker.bgw_notify_pid = 0;
	old = MemoryContextSwitchTo(TopMemoryContext);
	if (!RegisterDynamicBackgroundWorker(&worker, &delivery_handle))
		delivery_handle = NULL; /* no slot: try again next turn */
	MemoryContextSwitchTo(old);
}

/* ---- the delivery worker ---- */

/* libcurl's progress callback: abort the transfer when the process is asked to stop. */
static int
progress_cb(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	return (ProcDiePending || QueryCancelPending) ? 1 : 0;
}

/* libcurl's write callback: the answer's body is not kept. */
static size_t
discard_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	return size * nmemb;
}

/* What the socket callback knows of the request: may the address be any, and why it refused one. */
typedef struct SocketCheck
{
	bool		host_is_name;	/* the URL names a host (not an IP literal) */
	char		refused[128];	/* the address refused, "" if none */
} SocketCheck;

/*
 * Is the address one a host name must never lead to: unspecified (0.0.0.0/8,
 * ::), link-local (169.254.0.0/16, where clouds serve instance metadata,
 * fe80::/10), multicast or broadcast (224.0.0.0/4 and above, ff00::/8), also
 * as IPv4-mapped IPv6?  Such an address is reached only when listed as an IP
 * literal in dataops.http_allowed_hosts and used as such in the URL.
 */
static bool
address_forbidden_for_names(const struct sockaddr *sa, char *text, size_t textlen)
{
	const unsigned char *b;

	if (sa->sa_family == AF_INET)
	{
		b = (const unsigned char *) &((const struct sockaddr_in *) sa)->sin_addr;
		inet_ntop(AF_INET, b, text, textlen);
	}
	else if (sa->sa_family == AF_INET6)
	{
		b = (const unsigned char *) &((const struct sockaddr_in6 *) sa)->sin6_addr;
		inet_ntop(AF_INET6, b, text, textlen);
		if (b[0] == 0xff || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80))
			return true;
		{
			static const unsigned char zero[16] = {0};
			static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

			if (memcmp(b, zero, 16) == 0)
				return true;
			if (memcmp(b, mapped, 12) != 0)
				return false;
			b += 12;			/* an IPv4-mapped address: check the IPv4 part */
		}
	}
	else
		return true;
	return b[0] == 0 || (b[0] == 169 && b[1] == 254) || b[0] >= 224;
}

/* libcurl's open-socket callback: refuses the addresses above for a host name, after resolution. */
static curl_socket_t
opensocket_cb(void *clientp, curlsocktype purpose, struct curl_sockaddr *address)
{
	SocketCheck *check = (SocketCheck *) clientp;
	char		text[INET6_ADDRSTRLEN] = "";

	if (check->host_is_name && address_forbidden_for_names(&address->addr, text, sizeof(text)))
	{
		snprintf(check->refused, sizeof(check->refused), "%s", text);
		return CURL_SOCKET_BAD;
	}
	return socket(address->family, address->socktype, address->protocol);
}

/*
 * Posts `payload` to `url`.  Returns true for a 2xx answer; sets *status to
 * the HTTP status (0 without an answer) and *error (palloc'd) otherwise.
 */
static bool
post_json(const char *url, const char *payload, int *status, char **error)
{
	CURL	   *c = curl_easy_init();
	struct curl_slist *headers = NULL;
	char		errbuf[CURL_ERROR_SIZE];
	CURLcode	rc;
	long		code = 0;

	SocketCheck check;
	CURLU	   *u = curl_url();
	char	   *host = NULL;

	*status = 0;
	*error = NULL;
	memset(&check, 0, sizeof(check));
	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
		curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
		check.host_is_name = !host_is_numeric(host);
	else
		check.host_is_name = true;
	curl_free(host);
	curl_url_cleanup(u);
	if (c == NULL)
	{
		*error = pstrdup("libcurl could not be initialised");
		return false;
	}
	errbuf[0] = '\0';
	headers = curl_slist_append(headers, "Content-Type: application/json");
	headers = curl_slist_append(headers, "User-Agent: dataops/0.10.0");
	curl_easy_setopt(c, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long) dataops_http_timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long) dataops_http_timeout_ms);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long) strlen(payload));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_cb);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_cb);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, opensocket_cb);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &check);

	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);

	*status = (int) code;
	if (check.refused[0] != '\0' && rc != CURLE_OK)
		*error = psprintf("host name resolved to %s, a link-local, unspecified or multicast address; list it as an IP literal in dataops.http_allowed_hosts to allow it",
						  check.refused);
	else if (rc == CURLE_OPERATION_TIMEDOUT)
		*error = psprintf("timeout after %d ms: %s", dataops_http_timeout_ms, errbuf);
	else if (rc != CURLE_OK)
		*error = psprintf("%s%s%s", curl_easy_strerror(rc), errbuf[0] ? ": " : "", errbuf);
	else if (code < 200 || code > 299)
		*error = psprintf("HTTP status %ld", code);
	return rc == CURLE_OK && code >= 200 && code <= 299;
}

/* Takes the database's delivery lock (a session advisory lock); false when another worker holds it. */
static bool
take_delivery_lock(void)
{
	LOCKTAG		tag;
	LockAcquireResult res;

	/* keys "data", "noti" in the two-int4 form of pg_advisory_lock */
	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, 0x64617461, 0x6e6f7469, 2);
	StartTransactionCommand();
	res = LockAcquire(&tag, ExclusiveLock, true, true);
	CommitTransactionCommand();
	return res != LOCKACQUIRE_NOT_AVAIL;
}

/* One delivery, if one is due: claim, post, record.  Returns false when none was due. */
static bool
deliver_one(void)
{
	ClaimedDelivery d;
	bool		claimed;
	bool		ok = false;
	int			status = 0;
	int			sqlstate;
	char	   *error;
	bool		final = false;
	MemoryContext cxt = CurrentMemoryContext;

	/*
	 * The claimed URL and payload are copied into the worker's context, not
	 * the transaction's (StartTransactionCommand switches to it), since they
	 * are posted after the commit.
	 */
	dataops_begin_tx("dataops: claiming a delivery");
	MemoryContextSwitchTo(cxt);
	claimed = catalog_claim_delivery(dataops_http_retry_delay_ms, &d);
	dataops_commit_tx();
	MemoryContextSwitchTo(cxt);
	if (!claimed)
		return false;

	/* the destination is checked again: the allowed hosts may have changed */
	error = notify_check_url(d.url, &sqlstate);
	if (error != NULL)
		final = true;
	else
	{
		pgstat_report_activity(STATE_RUNNING, "dataops: posting a notification");
		ok = post_json(d.url, d.payload, &status, &error);
		pgstat_report_activity(STATE_IDLE, NULL);
	}
	CHECK_FOR_INTERRUPTS();

	dataops_begin_tx("dataops: recording a delivery");
	catalog_delivery_result(d.id, ok, status, error, final, dataops_http_max_attempts);
	dataops_commit_tx();
	MemoryContextSwitchTo(cxt);
	return true;
}

void
dataops_delivery_main(Datum arg)
{
	Oid			dboid = DatumGetObjectId(arg);
	bool		installed;
	bool		locked = false;
	int			i;
	MemoryContext cxt;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	pgstat_report_appname("dataops delivery");

	StartTransactionCommand();
	installed = OidIsValid(get_extension_oid("dataops", true));
	CommitTransactionCommand();
	if (!installed)
		proc_exit(0);

	/* one worker per database: a worker that is just exiting may still hold the lock */
	for (i = 0; i < 30 && !locked; i++)
	{
		locked = take_delivery_lock();
		if (!locked)
		{
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 100, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
		}
	}
	if (!locked)
		proc_exit(0);

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		ereport(FATAL,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("dataops delivery worker could not initialise libcurl")));

	cxt = AllocSetContextCreate(TopMemoryContext, "dataops delivery", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(cxt);

	dataops_begin_tx("dataops: pruning deliveries");
	catalog_prune_deliveries(dataops_history_retention);
	dataops_commit_tx();

	for (;;)
	{
		int64		wait_ms = 0;

		MemoryContextSwitchTo(cxt);
		MemoryContextReset(cxt);
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		PG_TRY();
		{
			if (!deliver_one())
			{
				dataops_begin_tx("dataops: looking for deliveries");
				wait_ms = catalog_next_delivery_ms();
				dataops_commit_tx();
			}
		}
		PG_CATCH();
		{
			/* log it and go on: the outbox holds the truth */
			MemoryContextSwitchTo(cxt);
			EmitErrorReport();
			FlushErrorState();
			AbortCurrentTransaction();
			wait_ms = 1000;
		}
		PG_END_TRY();

		/*
		 * nothing pending, or nothing due soon: exit, so that an idle
		 * database has no process connected (DROP DATABASE); the scheduler
		 * starts a worker again when a delivery is due
		 */
		if (wait_ms < 0 || wait_ms > NOTIFY_LINGER_MS)
			proc_exit(0);
		if (wait_ms > 0)
		{
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 Min(wait_ms, 1000), PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
	}
}
