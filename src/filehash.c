/*
 * filehash.c: SHA-256 of a file, in this process or in a background worker
 * (see filehash.h).
 *
 * A bronze step records each file's SHA-256 so that a file already loaded
 * is skipped.  For a file it has not seen at that path and size, the hash
 * cannot change what the step does, so ingest.c has this module compute it
 * in a background worker while COPY loads the file: on a machine with a
 * spare core the hash costs no time.  The worker is a plain bgworker
 * without a database connection: it gets the path from a DSM segment,
 * hashes with PostgreSQL's cryptohash (OpenSSL when PostgreSQL is built
 * with it), and writes the digest or its error back, as worker_spi passes
 * values through shared memory rather than pointers.  The segment lives as
 * long as the caller's resource owner; the worker attaches and detaches on
 * its own.
 */
#include "postgres.h"

#include "common/cryptohash.h"
#include "common/sha2.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "filehash.h"

#define FILEHASH_ERROR_LEN 512

/* The job, in the DSM segment: written by the caller, then by the worker. */
typedef struct FileHashShared
{
	char		path[MAXPGPATH];
	bool		done;			/* the worker finished: hex/size or the error are set */
	bool		failed;
	int			sqlerrcode;
	char		error[FILEHASH_ERROR_LEN];
	int64		size;
	char		hex[PG_SHA256_DIGEST_LENGTH * 2 + 1];
} FileHashShared;

struct FileHashJob
{
	dsm_segment *seg;
	BackgroundWorkerHandle *handle;
	char	   *path;
};

PGDLLEXPORT void dataops_filehash_main(Datum arg);

char *
filehash_sha256(const char *path, int64 *size)
{
	pg_cryptohash_ctx *ctx;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char	   *buf = palloc(65536);
	char	   *hex = palloc(PG_SHA256_DIGEST_LENGTH * 2 + 1);
	FILE	   *f;
	size_t		n;
	int64		total = 0;

	f = AllocateFile(path, "rb");
	if (f == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\" for reading: %m", path)));
	ctx = pg_cryptohash_create(PG_SHA256);
	if (ctx == NULL || pg_cryptohash_init(ctx) < 0)
		elog(ERROR, "could not initialize SHA-256 context");
	while ((n = fread(buf, 1, 65536, f)) > 0)
	{
		CHECK_FOR_INTERRUPTS();
		if (pg_cryptohash_update(ctx, (uint8 *) buf, n) < 0)
			elog(ERROR, "could not update SHA-256 context");
		total += n;
	}
	if (ferror(f))
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read file \"%s\": %m", path)));
	FreeFile(f);
	if (pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not finalize SHA-256 context");
	pg_cryptohash_free(ctx);
	hex_encode((char *) digest, sizeof(digest), hex);
	hex[PG_SHA256_DIGEST_LENGTH * 2] = '\0';
	pfree(buf);
	*size = total;
	return hex;
}

FileHashJob *
filehash_start(const char *path)
{
	BackgroundWorker worker;
	FileHashJob *job;
	FileHashShared *sh;

	if (strlen(path) >= MAXPGPATH)
		return NULL;
	job = palloc0(sizeof(FileHashJob));
	job->path = pstrdup(path);
	job->seg = dsm_create(sizeof(FileHashShared), 0);
	sh = dsm_segment_address(job->seg);
	memset(sh, 0, sizeof(FileHashShared));
	strlcpy(sh->path, path, MAXPGPATH);

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS;
	worker.bgw_start_time = BgWorkerStart_ConsistentState;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "dataops");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "dataops_filehash_main");
	snprintf(worker.bgw_type, BGW_MAXLEN, "dataops file hash");
	snprintf(worker.bgw_name, BGW_MAXLEN, "dataops file hash for PID %d", MyProcPid);
	worker.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(job->seg));
	worker.bgw_notify_pid = MyProcPid;
	if (!RegisterDynamicBackgroundWorker(&worker, &job->handle))
	{
		dsm_detach(job->seg);
		pfree(job);
		return NULL;
	}
	return job;
}

char *
filehash_finish(FileHashJob *job, int64 *size)
{
	FileHashShared *sh = dsm_segment_address(job->seg);
	char	   *hex = NULL;

	/* interruptible: it waits on our latch and checks for interrupts */
	(void) WaitForBackgroundWorkerShutdown(job->handle);
	pg_read_barrier();
	if (sh->done && !sh->failed)
	{
		hex = pstrdup(sh->hex);
		*size = sh->size;
	}
	else if (sh->done)
	{
		int			code = sh->sqlerrcode;
		char	   *msg = pstrdup(sh->error);

		dsm_detach(job->seg);
		pfree(job);
		ereport(ERROR, (errcode(code), errmsg_internal("%s", msg)));
	}
	dsm_detach(job->seg);
	if (hex == NULL)			/* the worker never ran, or died: hash here */
		hex = filehash_sha256(job->path, size);
	pfree(job);
	return hex;
}

void
filehash_cancel(FileHashJob *job)
{
	if (job == NULL)
		return;
	TerminateBackgroundWorker(job->handle);
	dsm_detach(job->seg);
	pfree(job);
}

/*
 * The worker: attach the segment, hash, write the result or the error,
 * exit.  SIGTERM (filehash_cancel, shutdown) interrupts the read loop.
 */
void
dataops_filehash_main(Datum arg)
{
	dsm_segment *seg;
	FileHashShared *sh;
	MemoryContext cxt;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	CurrentResourceOwner = ResourceOwnerCreate(NULL, "dataops file hash");
	seg = dsm_attach(DatumGetUInt32(arg));
	if (seg == NULL)
		proc_exit(0);			/* the caller gave up already */
	sh = dsm_segment_address(seg);
	cxt = AllocSetContextCreate(TopMemoryContext, "dataops file hash", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		int64		size;
		char	   *hex = filehash_sha256(sh->path, &size);

		strlcpy(sh->hex, hex, sizeof(sh->hex));
		sh->size = size;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		if (edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN || edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
			PG_RE_THROW();		/* canceled: no result */
		FlushErrorState();
		sh->failed = true;
		sh->sqlerrcode = edata->sqlerrcode;
		strlcpy(sh->error, edata->message ? edata->message : "could not hash file", sizeof(sh->error));
	}
	PG_END_TRY();
	pg_write_barrier();
	sh->done = true;
	dsm_detach(seg);
	proc_exit(0);
}
