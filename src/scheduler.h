/*
 * scheduler.h: a database's scheduler: the run queue and the parallel DAG.
 *
 * One scheduler per database (launcher.c starts it) owns every pipeline run
 * of the database from queued to final:
 *   queue    requests from dataops.start_run() become queued runs (at most
 *            dataops.max_queued_runs_per_owner per pipeline owner); at most
 *            dataops.max_parallel_runs run at once and one run per pipeline
 *            at a time, in arrival order; the oldest queued run of each
 *            pipeline is admitted round-robin across the pipelines' owners,
 *            so one pipeline's or one role's backlog delays no other role
 *   DAG      a step starts, in its own background worker (worker.c), when
 *            every step it depends on has succeeded, at most
 *            dataops.max_parallel_steps at once; when a step fails, the
 *            steps downstream of it are recorded upstream_failed and the
 *            independent branches still finish (Airflow's semantics)
 *   retries  a failed attempt is retried options.retries times, after
 *            options.retry_delay doubled at each attempt (capped at 1 hour)
 *   timeouts a step past options.timeout is canceled and recorded
 *            timed_out; a run past its pipeline's timeout is canceled and
 *            recorded timed_out
 *   cancel   dataops.cancel() flags the run; the scheduler cancels its
 *            running steps (SIGINT) and records the others canceled
 *   escalate a step still running dataops.cancel_grace_period after its
 *            cancel or its timeout (its query catches query_canceled) has
 *            its worker terminated (SIGTERM) and is recorded canceled or
 *            timed_out
 *   callers  a dataops.run() whose caller was canceled or ended hands over
 *            a request (shared memory) to cancel its run
 *   chaining when a run succeeds, a run of each pipeline that depends on it
 *            (dataops.add_dependency) is queued
 *   recovery at start, runs left running by a crash are failed, or queued
 *            again with backoff when the pipeline has retry_on_crash
 *   history  finished runs and events older than dataops.history_retention
 *            are pruned
 * A worker shortage (max_worker_processes) delays steps; it fails nothing.
 *   SLAs     pipelines' SLAs (sla_freshness, sla_deadline) are evaluated
 *            every 30 s and before the scheduler exits (dataops._evaluate_slas:
 *            breaches and their recovery, with sla_missed / sla_recovered events)
 * The scheduler exits after a few idle seconds; the launcher starts it again
 * when a run is requested, and 50 s after its last SLA evaluation while the
 * database has periodic work (scheduler_has_periodic_work), so SLAs are
 * evaluated at least every minute with no run, and DROP DATABASE still
 * finds no scheduler connected for more than a few seconds.
 */
#ifndef DATAOPS_SCHEDULER_H
#define DATAOPS_SCHEDULER_H

#include "postgres.h"

/* Entry point of a database's scheduler; `arg` is the database OID. */
extern PGDLLEXPORT void dataops_scheduler_main(Datum arg);

#endif							/* DATAOPS_SCHEDULER_H */
