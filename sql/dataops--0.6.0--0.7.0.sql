/* dataops 0.6.0 -> 0.7.0: operate it like a DataOps team: SLAs and health
 * (MTTR, MTBF, data quality score, SLA compliance), Prometheus metrics,
 * notifications through a transactional outbox, OpenLineage events, and
 * views read by people (issue 12). */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION dataops UPDATE TO '0.7.0'" to load this file. \quit

-- ===== sla and health

-- ===== notifications

-- ===== openlineage

-- ===== metrics

-- ===== views for people
