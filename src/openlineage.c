/*
 * openlineage.c: the namespace setting of dataops' OpenLineage events and
 * the host name they use, SQL-callable as dataops._openlineage_host().
 *
 * The events are assembled in SQL (dataops.openlineage_events in the
 * 0.6.0 -> 0.7.0 script) from the catalog; only what SQL cannot know is here.
 */
#include "postgres.h"

#include <unistd.h>

#include "fmgr.h"
#include "postmaster/postmaster.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/varlena.h"

#include "openlineage.h"

char	   *dataops_openlineage_namespace = NULL;

/* The host this server is reached at: see openlineage_define_gucs. */
static char *
openlineage_host(void)
{
	char	   *copy;
	List	   *names = NIL;
	char	   *first = NULL;
	char		buf[256];

	if (ListenAddresses != NULL)
	{
		copy = pstrdup(ListenAddresses);
		if (SplitGUCList(copy, ',', &names) && names != NIL)
			first = linitial(names);
	}
	if (first == NULL || first[0] == '\0')
		return pstrdup("localhost");
	if (strcmp(first, "*") == 0 || strcmp(first, "0.0.0.0") == 0 || strcmp(first, "::") == 0)
	{
		if (gethostname(buf, sizeof(buf)) == 0)
		{
			buf[sizeof(buf) - 1] = '\0';
			return pstrdup(buf);
		}
		return pstrdup("localhost");
	}
	if (strchr(first, ':') != NULL)
		return psprintf("[%s]", first);	/* an IPv6 address in a URI */
	return pstrdup(first);
}

void
openlineage_define_gucs(void)
{
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
	char	   *def = psprintf("postgres://%s:%d", openlineage_host(), PostPortNumber);

	MemoryContextSwitchTo(old);
	DefineCustomStringVariable("dataops.openlineage_namespace",
							   "Namespace of the jobs and relation datasets in dataops' OpenLineage events.",
							   "Defaults to postgres://<host>:<port> of this server.",
							   &dataops_openlineage_namespace,
							   def,
							   PGC_SUSET, 0,
							   NULL, NULL, NULL);
}

PG_FUNCTION_INFO_V1(dataops_openlineage_host);

/*
 * dataops_openlineage_host: SQL dataops._openlineage_host() → text, the
 * machine's host name (gethostname; localhost if it has none), the host of
 * file datasets' namespace file://<host>: the files a bronze step reads are
 * on the server's machine.  Raises nothing.
 */
Datum
dataops_openlineage_host(PG_FUNCTION_ARGS)
{
	char		buf[256];

	if (gethostname(buf, sizeof(buf)) != 0 || buf[0] == '\0')
		strlcpy(buf, "localhost", sizeof(buf));
	buf[sizeof(buf) - 1] = '\0';
	PG_RETURN_TEXT_P(cstring_to_text(buf));
}
