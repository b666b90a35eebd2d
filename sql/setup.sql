-- Resets the reused test database: a fresh dataops and no leftover targets.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS pg_cron;
DROP EXTENSION IF EXISTS dataops;
DROP SCHEMA IF EXISTS bronze, silver, gold, analytics, quality, "we ird", public CASCADE;
CREATE SCHEMA public;
CREATE EXTENSION dataops;
RESET client_min_messages;
SELECT extname, extversion FROM pg_extension WHERE extname = 'dataops';
