/* dataops 0.4.0 -> 0.5.0: safe on a shared server (issue: security and backups) */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION dataops UPDATE TO '0.5.0'" to load this file. \quit

-- ===================================================================== catalog
-- (history visibility, audit, dump and restore)

-- ===================================================================== files and regex

-- ===================================================================== orchestration
-- The run path's fixes are in C (catalog reads with search_path pinned, the
-- access check before anything else, cancel escalation, fair admission, the
-- per-owner cap, run() canceled with its caller); the comments say what the
-- functions now guarantee.  Settings: dataops.cancel_grace_period,
-- dataops.max_queued_runs_per_owner.
COMMENT ON FUNCTION dataops.start_run(text, boolean) IS
'Queues a run of the pipeline and returns its run id at once (status queued); it runs whatever its caller does next. Refused (53400) when the pipeline''s owner has dataops.max_queued_runs_per_owner runs queued';
COMMENT ON FUNCTION dataops.run(text, boolean) IS
'Queues a run, waits for it and returns the run id; raises an error if the run fails. Canceling or terminating the caller cancels the run';
COMMENT ON FUNCTION dataops.wait(bigint, interval) IS
'Waits until the run reaches a final status and returns it; after timeout, returns the current status. Only for the pipeline''s owner, its members and superusers (42501 otherwise)';
COMMENT ON FUNCTION dataops.cancel(bigint) IS
'Cancels a queued or running run; a step that does not stop within dataops.cancel_grace_period has its worker terminated. False if it had already finished. Only for the pipeline''s owner, its members and superusers (42501 otherwise)';

-- ===================================================================== publish

-- ===================================================================== suites
