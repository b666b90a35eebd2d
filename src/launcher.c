/*
 * launcher.c: shared memory, the launcher worker, and run requests (see
 * launcher.h).
 *
 * Shared state is small and protected by one spinlock: a slot per database
 * that has (or wants) a scheduler, and a fixed array of run requests.
 * Processes find each other through the latches stored there; the
 * postmaster tells the launcher when a scheduler stops (bgw_notify_pid).
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "launcher.h"

#define MAX_DATABASES	64
#define MAX_REQUESTS	128

typedef enum RequestState
{
	REQ_FREE = 0,
	REQ_PENDING,				/* waiting for the scheduler */
	REQ_TAKEN,					/* the scheduler is queuing it */
	REQ_ANSWERED,				/* run_id or error set */
	REQ_ABANDONED				/* the requester left; free it when answered */
} RequestState;

typedef struct DatabaseSlot
{
	Oid			dboid;			/* InvalidOid: free */
	bool		wanted;			/* a scheduler should run */
	pid_t		pid;			/* the scheduler, once attached */
	Latch	   *latch;
	TimestampTz wake_at;		/* not 0: no scheduler runs, start one then (periodic work) */
} DatabaseSlot;

typedef struct RequestSlot
{
	RequestState state;
	Oid			dboid;
	Latch	   *requester;		/* NULL once the requester left (a pending cancel) */
	RunRequest	req;
	int64		run_id;
	int			sqlerrcode;		/* the answer's error, when run_id is 0 */
	char		error[256];
	char		detail[256];
	char		hint[256];
} RequestSlot;

typedef struct DataopsShared
{
	slock_t		mutex;
	pid_t		launcher_pid;
	Latch	   *launcher_latch;
	DatabaseSlot dbs[MAX_DATABASES];
	RequestSlot reqs[MAX_REQUESTS];
} DataopsShared;

static DataopsShared *shared = NULL;

static int	claim_request_slot(const char *pipeline, bool full_refresh, const char *triggered_by,
							   int64 cancel_run_id, bool cancel_if_abandoned);

/* This backend's request slot while it waits for an answer (-1: none), for its exit callback. */
static int	my_request_slot = -1;
/* The run this backend's exit cancels (dataops.run() waiting), 0: none. */
static int64 cancel_run_on_exit = 0;
static bool exit_callback_registered = false;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void
launcher_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(DataopsShared)));
}

static void
launcher_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("dataops", sizeof(DataopsShared), &found);
	if (!found)
	{
		memset(shared, 0, sizeof(DataopsShared));
		SpinLockInit(&shared->mutex);
	}
	LWLockRelease(AddinShmemInitLock);
}

void
launcher_init(void)
{
	BackgroundWorker worker;

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = launcher_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = launcher_shmem_startup;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 5;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "dataops");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "dataops_launcher_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "dataops launcher");
	snprintf(worker.bgw_type, BGW_MAXLEN, "dataops launcher");
	RegisterBackgroundWorker(&worker);
}

/* The slot of `dboid`, claiming a free one when `claim`; NULL if none.  Mutex held. */
static DatabaseSlot *
database_slot(Oid dboid, bool claim)
{
	int			i;
	DatabaseSlot *free_slot = NULL;

	for (i = 0; i < MAX_DATABASES; i++)
	{
		if (shared->dbs[i].dboid == dboid)
			return &shared->dbs[i];
		if (free_slot == NULL && shared->dbs[i].dboid == InvalidOid)
			free_slot = &shared->dbs[i];
	}
	if (claim && free_slot)
	{
		memset(free_slot, 0, sizeof(DatabaseSlot));
		free_slot->dboid = dboid;
	}
	return claim ? free_slot : NULL;
}

/* Makes sure this database's scheduler runs or is about to; returns the latch to set.  Mutex held. */
static Latch *
want_scheduler(void)
{
	DatabaseSlot *db = database_slot(MyDatabaseId, true);

	if (db == NULL)
		return NULL;
	if (db->pid != 0)
		return db->latch;
	db->wanted = true;
	return shared->launcher_latch;
}

void
launcher_want_scheduler(void)
{
	Latch	   *latch;

	if (shared == NULL)
		return;
	SpinLockAcquire(&shared->mutex);
	latch = want_scheduler();
	SpinLockRelease(&shared->mutex);
	if (latch)
		SetLatch(latch);
}

void
launcher_wake_scheduler(void)
{
	DatabaseSlot *db;
	Latch	   *latch = NULL;

	if (shared == NULL)
		return;
	SpinLockAcquire(&shared->mutex);
	db = database_slot(MyDatabaseId, false);
	if (db && db->pid != 0)
		latch = db->latch;
	SpinLockRelease(&shared->mutex);
	if (latch)
		SetLatch(latch);
}

/*
 * The requester of `slot` leaves without its answer (canceled, terminated,
 * or done waiting).  A pending cancel request stays pending: the scheduler
 * still takes it.  A run queued for dataops.run() whose answer was not read
 * becomes a cancel request of that run.  Anything else is freed, or freed
 * by its answer.  No ERROR: called while an error is thrown and at exit.
 */
static void
abandon_request(int slot)
{
	RequestSlot *r = &shared->reqs[slot];
	Latch	   *wake = NULL;

	SpinLockAcquire(&shared->mutex);
	switch (r->state)
	{
		case REQ_PENDING:
			if (r->req.cancel_run_id != 0)
				r->requester = NULL;
			else
				r->state = REQ_FREE;
			break;
		case REQ_TAKEN:
			r->state = REQ_ABANDONED;
			break;
		case REQ_ANSWERED:
			if (r->req.cancel_run_id == 0 && r->req.cancel_if_abandoned && r->run_id != 0)
			{
				int64		run_id = r->run_id;

				memset(&r->req, 0, sizeof(RunRequest));
				r->req.slot = slot;
				r->req.cancel_run_id = run_id;
				r->requester = NULL;
				r->run_id = 0;
				r->state = REQ_PENDING;
				wake = want_scheduler();
			}
			else
				r->state = REQ_FREE;
			break;
		default:
			break;
	}
	SpinLockRelease(&shared->mutex);
	if (wake)
		SetLatch(wake);
}

/* At exit: the request this backend waited on is abandoned, and the run dataops.run() waited on is canceled. */
static void
launcher_at_exit(int code, Datum arg)
{
	if (shared == NULL)
		return;
	if (my_request_slot >= 0)
	{
		abandon_request(my_request_slot);
		my_request_slot = -1;
	}
	if (cancel_run_on_exit != 0)
	{
		int64		run_id = cancel_run_on_exit;
		int			tries;

		cancel_run_on_exit = 0;
		/* no wait for the answer: the request outlives this backend */
		for (tries = 0; tries < 100; tries++)
		{
			int			slot = claim_request_slot("", false, "", run_id, false);

			if (slot >= 0)
			{
				abandon_request(slot);
				break;
			}
			pg_usleep(10000L);
		}
	}
}

static void
register_exit_callback(void)
{
	if (!exit_callback_registered)
	{
		before_shmem_exit(launcher_at_exit, (Datum) 0);
		exit_callback_registered = true;
	}
}

void
launcher_cancel_on_exit(int64 run_id)
{
	register_exit_callback();
	cancel_run_on_exit = run_id;
}

/* Fills a free request slot and wakes whoever must answer it; -1 when all are taken. */
static int
claim_request_slot(const char *pipeline, bool full_refresh, const char *triggered_by, int64 cancel_run_id,
				   bool cancel_if_abandoned)
{
	int			i;
	int			slot = -1;
	Latch	   *wake = NULL;

	SpinLockAcquire(&shared->mutex);
	for (i = 0; i < MAX_REQUESTS && slot < 0; i++)
		if (shared->reqs[i].state == REQ_FREE)
		{
			RequestSlot *r = &shared->reqs[i];

			slot = i;
			memset(r, 0, sizeof(RequestSlot));
			r->state = REQ_PENDING;
			r->dboid = MyDatabaseId;
			r->requester = MyLatch;
			r->req.slot = i;
			r->req.cancel_run_id = cancel_run_id;
			strlcpy(r->req.pipeline, pipeline, RUN_REQUEST_NAME_LEN);
			r->req.full_refresh = full_refresh;
			r->req.cancel_if_abandoned = cancel_if_abandoned;
			strlcpy(r->req.triggered_by, triggered_by, sizeof(r->req.triggered_by));
		}
	if (slot >= 0)
		wake = want_scheduler();
	SpinLockRelease(&shared->mutex);
	if (wake)
		SetLatch(wake);
	return slot;
}

int64
launcher_request_run(const char *pipeline, bool full_refresh, const char *triggered_by,
					 bool cancel_if_abandoned)
{
	volatile int slot;
	volatile int64 run_id = 0;
	int			sqlerrcode = 0;
	char		error[256] = "";
	char		detail[256] = "";
	char		hint[256] = "";
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), 30000);

	if (strlen(pipeline) >= RUN_REQUEST_NAME_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("pipeline name is too long to be run"),
				 errdetail("Pipeline names of runs are limited to %d bytes.", RUN_REQUEST_NAME_LEN - 1),
				 errhint("Rename the pipeline.")));
	if (shared == NULL)
		elog(ERROR, "dataops shared memory is not initialized");

	/* a request slot */
	register_exit_callback();
	while ((slot = claim_request_slot(pipeline, full_refresh, triggered_by, 0, cancel_if_abandoned)) < 0)
	{
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 10, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}

	/* its answer */
	my_request_slot = slot;
	PG_TRY();
	{
		for (;;)
		{
			bool		done = false;
			Latch	   *wake = NULL;

			SpinLockAcquire(&shared->mutex);
			if (shared->reqs[slot].state == REQ_ANSWERED)
			{
				run_id = shared->reqs[slot].run_id;
				sqlerrcode = shared->reqs[slot].sqlerrcode;
				strlcpy(error, shared->reqs[slot].error, sizeof(error));
				strlcpy(detail, shared->reqs[slot].detail, sizeof(detail));
				strlcpy(hint, shared->reqs[slot].hint, sizeof(hint));
				shared->reqs[slot].state = REQ_FREE;
				done = true;
			}
			else if (shared->reqs[slot].state == REQ_PENDING)
				wake = want_scheduler();
			SpinLockRelease(&shared->mutex);
			if (done)
				break;
			if (GetCurrentTimestamp() > deadline)
				ereport(ERROR,
						(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
						 errmsg("no dataops scheduler answered within 30 seconds"),
						 errdetail("The scheduler of this database could not start or is busy; no run was queued."),
						 errhint("Check max_worker_processes and the server log for the \"dataops launcher\" and \"dataops scheduler\" workers.")));
			if (wake && wake == shared->launcher_latch)
				SetLatch(wake);
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 100, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
		}
	}
	PG_CATCH();
	{
		my_request_slot = -1;
		abandon_request(slot);
		PG_RE_THROW();
	}
	PG_END_TRY();
	my_request_slot = -1;

	if (run_id == 0)
		ereport(ERROR,
				(errcode(sqlerrcode ? sqlerrcode : ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s", error[0] ? error : "the scheduler could not queue the run"),
				 detail[0] ? errdetail("%s", detail) : 0,
				 hint[0] ? errhint("%s", hint) : 0));
	return run_id;
}

void
launcher_cancel_and_wait(int64 run_id, int wait_ms)
{
	int			slot = -1;
	int			waited;

	if (shared == NULL)
		return;
	for (waited = 0; waited <= wait_ms; waited += 10)
	{
		bool		done = false;

		if (slot < 0)
			slot = claim_request_slot("", false, "", run_id, false);
		else
		{
			SpinLockAcquire(&shared->mutex);
			if (shared->reqs[slot].state == REQ_ANSWERED)
			{
				shared->reqs[slot].state = REQ_FREE;
				done = true;
			}
			SpinLockRelease(&shared->mutex);
		}
		if (done)
			return;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 10, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
	if (slot >= 0)
		abandon_request(slot);
}

static void
scheduler_detach(int code, Datum arg)
{
	DatabaseSlot *db;

	SpinLockAcquire(&shared->mutex);
	db = database_slot(MyDatabaseId, false);
	if (db && db->pid == MyProcPid)
	{
		db->pid = 0;
		db->latch = NULL;
	}
	SpinLockRelease(&shared->mutex);
	if (shared->launcher_latch)
		SetLatch(shared->launcher_latch);
}

bool
launcher_scheduler_attach(void)
{
	DatabaseSlot *db;
	bool		ok = false;

	SpinLockAcquire(&shared->mutex);
	db = database_slot(MyDatabaseId, true);
	if (db && (db->pid == 0 || db->pid == MyProcPid))
	{
		db->pid = MyProcPid;
		db->latch = MyLatch;
		db->wanted = false;
		db->wake_at = 0;
		ok = true;
	}
	SpinLockRelease(&shared->mutex);
	if (ok)
		before_shmem_exit(scheduler_detach, (Datum) 0);
	return ok;
}

bool
launcher_scheduler_detach_if_idle(TimestampTz wake_at)
{
	DatabaseSlot *db;
	bool		idle = true;
	int			i;

	SpinLockAcquire(&shared->mutex);
	for (i = 0; i < MAX_REQUESTS; i++)
		if (shared->reqs[i].state == REQ_PENDING && shared->reqs[i].dboid == MyDatabaseId)
			idle = false;
	db = database_slot(MyDatabaseId, false);
	if (idle && db && db->pid == MyProcPid)
	{
		db->pid = 0;
		db->latch = NULL;
		db->wanted = false;
		db->wake_at = wake_at;
		/* the slot is kept while the database has periodic work */
		if (wake_at == 0)
			db->dboid = InvalidOid;
	}
	SpinLockRelease(&shared->mutex);
	return idle;
}

List *
launcher_take_requests(void)
{
	List	   *result = NIL;
	int			i;

	SpinLockAcquire(&shared->mutex);
	for (i = 0; i < MAX_REQUESTS; i++)
	{
		RequestSlot *r = &shared->reqs[i];

		if (r->state == REQ_PENDING && r->dboid == MyDatabaseId)
		{
			RunRequest *copy = palloc(sizeof(RunRequest));

			memcpy(copy, &r->req, sizeof(RunRequest));
			r->state = REQ_TAKEN;
			result = lappend(result, copy);
		}
	}
	SpinLockRelease(&shared->mutex);
	return result;
}

/* Stores an answer; false when the requester is gone (the slot is then freed). */
static bool
answer(int slot, int64 run_id, int sqlerrcode, const char *message, const char *detail, const char *hint)
{
	RequestSlot *r = &shared->reqs[slot];
	Latch	   *requester = NULL;
	bool		delivered = false;

	SpinLockAcquire(&shared->mutex);
	if (r->state == REQ_ABANDONED || (r->state == REQ_TAKEN && r->requester == NULL))
		r->state = REQ_FREE;
	else if (r->state == REQ_TAKEN)
	{
		r->run_id = run_id;
		r->sqlerrcode = sqlerrcode;
		strlcpy(r->error, message ? message : "", sizeof(r->error));
		strlcpy(r->detail, detail ? detail : "", sizeof(r->detail));
		strlcpy(r->hint, hint ? hint : "", sizeof(r->hint));
		r->state = REQ_ANSWERED;
		requester = r->requester;
		delivered = true;
	}
	SpinLockRelease(&shared->mutex);
	if (requester)
		SetLatch(requester);
	return delivered;
}

bool
launcher_answer_request(int slot, int64 run_id)
{
	return answer(slot, run_id, 0, NULL, NULL, NULL);
}

void
launcher_answer_error(int slot, int sqlerrcode, const char *message, const char *detail, const char *hint)
{
	(void) answer(slot, 0, sqlerrcode, message, detail, hint);
}

/* ---------- the launcher ---------- */

/* Whether a database with this OID still exists and accepts connections (a transaction of its own). */
static bool
database_exists(Oid dboid)
{
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	bool		found = false;

	StartTransactionCommand();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while (!found && (tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);

		CHECK_FOR_INTERRUPTS();
		if (db->oid == dboid && db->datallowconn && db->datconnlimit >= -1)
			found = true;
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
	return found;
}

/*
 * A database whose scheduler left periodic work (launcher_scheduler_detach_if_idle
 * with a wake time) wants a scheduler again once that time has come, if it
 * still exists (a dropped database frees its slot).
 */
static void
wake_periodic(int i, TimestampTz now)
{
	DatabaseSlot copy;
	bool		exists;

	SpinLockAcquire(&shared->mutex);
	copy = shared->dbs[i];
	SpinLockRelease(&shared->mutex);
	if (copy.dboid == InvalidOid || copy.wake_at == 0 || copy.pid != 0 || copy.wanted || now < copy.wake_at)
		return;
	exists = database_exists(copy.dboid);
	SpinLockAcquire(&shared->mutex);
	if (shared->dbs[i].dboid == copy.dboid && shared->dbs[i].pid == 0 && shared->dbs[i].wake_at != 0)
	{
		shared->dbs[i].wake_at = 0;
		if (exists)
			shared->dbs[i].wanted = true;
		else if (!shared->dbs[i].wanted)
			shared->dbs[i].dboid = InvalidOid;
	}
	SpinLockRelease(&shared->mutex);
}

/* Marks every database that accepts connections as wanting a scheduler (server start). */
static void
want_every_database(void)
{
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;

	StartTransactionCommand();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);
		DatabaseSlot *slot;

		if (!db->datallowconn || db->datistemplate || db->datconnlimit < -1)
			continue;
		SpinLockAcquire(&shared->mutex);
		slot = database_slot(db->oid, true);
		if (slot)
			slot->wanted = true;
		SpinLockRelease(&shared->mutex);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
}

void
launcher_worker_template(BackgroundWorker *worker, const char *function, const char *type)
{
	memset(worker, 0, sizeof(*worker));
	worker->bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker->bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker->bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker->bgw_library_name, BGW_MAXLEN, "dataops");
	snprintf(worker->bgw_function_name, BGW_MAXLEN, "%s", function);
	snprintf(worker->bgw_type, BGW_MAXLEN, "%s", type);
}

void
dataops_launcher_main(Datum arg)
{
	BackgroundWorkerHandle *handles[MAX_DATABASES] = {0};
	Oid			launched_for[MAX_DATABASES] = {0};
	TimestampTz next_launch[MAX_DATABASES] = {0};
	int			backoff_ms[MAX_DATABASES] = {0};

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	pgstat_report_appname("dataops launcher");

	SpinLockAcquire(&shared->mutex);
	shared->launcher_pid = MyProcPid;
	shared->launcher_latch = MyLatch;
	SpinLockRelease(&shared->mutex);

	want_every_database();

	for (;;)
	{
		int			i;
		TimestampTz now = GetCurrentTimestamp();

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		for (i = 0; i < MAX_DATABASES; i++)
		{
			DatabaseSlot copy;
			pid_t		pid;
			BackgroundWorker worker;

			/* a scheduler that stopped: back off if it stopped without being done */
			if (handles[i] && GetBackgroundWorkerPid(handles[i], &pid) == BGWH_STOPPED)
			{
				pfree(handles[i]);
				handles[i] = NULL;
				SpinLockAcquire(&shared->mutex);
				copy = shared->dbs[i];
				SpinLockRelease(&shared->mutex);
				if (copy.wanted && copy.dboid == launched_for[i])
				{
					backoff_ms[i] = Min(Max(backoff_ms[i] * 2, 1000), 60000);
					next_launch[i] = TimestampTzPlusMilliseconds(now, backoff_ms[i]);
				}
				else
					backoff_ms[i] = 0;
			}

			wake_periodic(i, now);
			SpinLockAcquire(&shared->mutex);
			copy = shared->dbs[i];
			SpinLockRelease(&shared->mutex);
			if (copy.dboid == InvalidOid || !copy.wanted || copy.pid != 0 || handles[i] != NULL ||
				now < next_launch[i])
				continue;

			launcher_worker_template(&worker, "dataops_scheduler_main", "dataops scheduler");
			snprintf(worker.bgw_name, BGW_MAXLEN, "dataops scheduler for database %u", copy.dboid);
			worker.bgw_main_arg = ObjectIdGetDatum(copy.dboid);
			worker.bgw_notify_pid = MyProcPid;
			if (RegisterDynamicBackgroundWorker(&worker, &handles[i]))
			{
				launched_for[i] = copy.dboid;
				/* until it attaches, do not start another */
				next_launch[i] = TimestampTzPlusMilliseconds(now, Max(backoff_ms[i], 100));
			}
			else
			{
				handles[i] = NULL;
				next_launch[i] = TimestampTzPlusMilliseconds(now, 1000);
			}
		}

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 1000, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
