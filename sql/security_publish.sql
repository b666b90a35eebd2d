-- Where dataops publishes, and whose objects it trusts (0.5.0).
--
-- spub_victim owns the pipelines; it is a superuser, so anything of the
-- attacker's that ran with its rights could make the attacker superuser.
-- spub_attacker is an ordinary role.  It owns the schema the victim's steps
-- publish into (open to everyone, as a shared layer schema often is), plants
-- tables, views and side tables there whose triggers copy every row into its
-- loot table and try ALTER ROLE spub_attacker SUPERUSER, and puts operators
-- and functions that do the same in a schema the victim keeps first on its
-- search_path.  Every plant must be refused before it is written, locked or
-- run (42501), every generated statement must give the right answer without
-- calling a shadow, and after each case: no loot, no superuser.
\getenv datadir DATAOPS_TEST_DATA
\pset null '(null)'
SET client_min_messages = warning;
CREATE ROLE spub_victim LOGIN SUPERUSER;
CREATE ROLE spub_attacker LOGIN;
CREATE ROLE spub_reader;
GRANT CREATE ON DATABASE contrib_regression TO spub_attacker;
RESET client_min_messages;

-- dataops.run, its error as "SQLSTATE: message" (the run id left out)
CREATE FUNCTION public.spub_run(p text, full_refresh boolean DEFAULT false) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM dataops.run(p, full_refresh => full_refresh);
    RETURN 'succeeded';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM, '^run \d+ of ', 'run of ');
END $$;

-- a statement's error as "SQLSTATE: message", version tables' run ids masked
CREATE FUNCTION public.spub_try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM, '__v\d+', '__v<run>', 'g');
END $$;

-- The victim's private rows: key 2 twice (the later one, ts 11:00, is kept).
SET ROLE spub_victim;
CREATE SCHEMA spub_src;
CREATE TABLE spub_src.people (id int, name text, secret text, ts timestamptz);
INSERT INTO spub_src.people VALUES
  (1, 'ann', 's-ann', '2026-01-01 10:00'), (2, 'bob', 's-bob', '2026-01-01 10:00'),
  (2, 'bob2', 's-bob2', '2026-01-01 11:00'), (3, NULL, 's-nul', '2026-01-01 10:00');
RESET ROLE;

-- The attacker's kit.
SET ROLE spub_attacker;
CREATE SCHEMA spub_att;
GRANT USAGE ON SCHEMA spub_att TO PUBLIC;
CREATE TABLE spub_att.loot (what text, data text);
GRANT INSERT ON spub_att.loot TO PUBLIC;
-- run by the victim, this would steal and escalate
CREATE FUNCTION spub_att.steal(what text, data text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO spub_att.loot VALUES (what, data);
    BEGIN
        EXECUTE 'ALTER ROLE spub_attacker SUPERUSER';
    EXCEPTION WHEN OTHERS THEN NULL;
    END;
END $$;
CREATE FUNCTION spub_att.grab() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM spub_att.steal(TG_TABLE_NAME, CASE WHEN TG_LEVEL = 'ROW' THEN pg_catalog.row_to_json(NEW)::text END);
    RETURN NEW;
END $$;
-- a trap table: every write and truncate fires grab, as whoever does it
CREATE FUNCTION spub_att.plant(rel text, cols text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TABLE %s (%s)', rel, cols);
    EXECUTE format('CREATE TRIGGER grab_row BEFORE INSERT OR UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION spub_att.grab()', rel);
    EXECUTE format('CREATE TRIGGER grab_stmt BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON %s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION spub_att.grab()', rel);
    EXECUTE format('GRANT ALL ON %s TO PUBLIC', rel);
END $$;
-- the schema the victim publishes into
CREATE SCHEMA spub_shared;
GRANT USAGE, CREATE ON SCHEMA spub_shared TO PUBLIC;
RESET ROLE;

-- What the attacker gained so far: rows in its loot, superuser.
CREATE FUNCTION public.spub_gained() RETURNS TABLE (loot bigint, attacker_superuser boolean) LANGUAGE sql AS $$
    SELECT (SELECT count(*) FROM spub_att.loot), (SELECT rolsuper FROM pg_roles WHERE rolname = 'spub_attacker')
$$;
SELECT * FROM public.spub_gained();

-- 1. A planted target (a table step without checks: TRUNCATE, INSERT ... SELECT)
SET ROLE spub_attacker;
SELECT spub_att.plant('spub_shared.t1', 'id int, name text, secret text, ts timestamptz');
RESET ROLE;
SET ROLE spub_victim;
SELECT dataops.create_pipeline('spub_p1');
SELECT dataops.add_step('spub_p1', 's', 'silver', 'spub_shared.t1',
       query => 'SELECT id, name, secret, ts FROM spub_src.people');
RESET ROLE;
SELECT public.spub_run('spub_p1');
SELECT error_detail FROM dataops.step_runs
 WHERE run_id = (SELECT max(run_id) FROM dataops.runs WHERE pipeline = 'spub_p1');
SELECT * FROM public.spub_gained();
SELECT count(*) AS rows_in_trap FROM spub_shared.t1;

-- 2. A planted target of a checked step (deduplicated, streamed by the sink)
SET ROLE spub_attacker;
SELECT spub_att.plant('spub_shared.t2', 'id int, name text, secret text, ts timestamptz');
RESET ROLE;
SET ROLE spub_victim;
SELECT dataops.create_pipeline('spub_p2');
SELECT dataops.add_step('spub_p2', 's', 'silver', 'spub_shared.t2',
       query => 'SELECT id, name, secret, ts FROM spub_src.people', unique_key => '{id}', keep => 'ts DESC');
RESET ROLE;
SELECT public.spub_run('spub_p2');
SELECT * FROM public.spub_gained();

-- 3. A planted quarantine: refused, and the target the run created is rolled back
SET ROLE spub_attacker;
SELECT spub_att.plant('spub_shared.t3_quarantine',
       'id int, name text, secret text, ts timestamptz, _run_id bigint, _failed_expectations text[]');
RESET ROLE;
SET ROLE spub_victim;
SELECT dataops.create_pipeline('spub_p3');
SELECT dataops.add_step('spub_p3', 's', 'silver', 'spub_shared.t3',
       query => 'SELECT id, name, secret, ts FROM spub_src.people');
SELECT dataops.add_expectation('spub_p3', 's', 'named', 'not_null', 'name', action => 'drop');
RESET ROLE;
SELECT public.spub_run('spub_p3');
SELECT * FROM public.spub_gained();
SELECT to_regclass('spub_shared.t3') AS target_created, count(*) AS rows_in_trap FROM spub_shared.t3_quarantine;

-- 4. A planted <target>_unexpected (a COMPLETE expectation)
SET ROLE spub_attacker;
SELECT spub_att.plant('spub_shared.t4_unexpected',
       'id int, name text, secret text, ts timestamptz, _check_run_id bigint, _expectation text');
RESET ROLE;
SET ROLE spub_victim;
SELECT dataops.create_pipeline('spub_p4');
SELECT dataops.add_step('spub_p4', 's', 'silver', 'spub_shared.t4',
       query => 'SELECT id, name, secret, ts FROM spub_src.people');
SELECT dataops.add_expectation('spub_p4', 's', 'named', 'not_null', 'name', '{"result_format": "COMPLETE"}');
RESET ROLE;
SELECT public.spub_run('spub_p4');
SELECT * FROM public.spub_gained();

-- 5. A planted <target>_before (incremental, before-images kept)
SET ROLE spub_attacker;
SELECT spub_att.plant('spub_shared.t5_before',
       'id int, name text, secret text, ts timestamptz, _run_id bigint, _op text');
RESET ROLE;
SET ROLE spub_victim;
SELECT dataops.create_pipeline('spub_p5');
SELECT dataops.add_step('spub_p5', 's', 'silver', 'spub_shared.t5',
       query => 'SELECT id, name, secret, ts FROM spub_src.people', unique_key => '{id}', keep => 'ts DESC',
       options => '{"materialization": "incremental", "watermark": "ts", "keep_versions": 2}');
RESET ROLE;
SELECT public.spub_run('spub_p5');
SELECT * FROM public.spub_gained();
SELECT to_regclass('spub_shared.t5') AS target_created;

-- 6. A planted version table (<target>__v<run_id>) for the next runs
SELECT last_value AS spub_last_run FROM dataops.runs_run_id_seq \gset
SET ROLE spub_attacker;
SELECT spub_att.plant(format('spub_shared.%I', 't6__v' || (:spub_last_run + i)), 'id int, name text, secret text, ts timestamptz')
  FROM generate_series(1, 5) i;
RESET ROLE;
SET ROLE spub_victim;
SELECT dataops.create_pipeline('spub_p6');
SELECT dataops.add_step('spub_p6', 's', 'gold', 'spub_shared.t6',
       query => 'SELECT id, name, secret, ts FROM spub_src.people', options => '{"keep_versions": 2}');
RESET ROLE;
SELECT regexp_replace(public.spub_run('spub_p6'), '__v\d+', '__v<run>') AS outcome;
SELECT * FROM public.spub_gained();

-- 7. A planted view: not replaced (the attacker would own the victim's view)
--    and never read (its function would run with the victim's rights)
SET ROLE spub_attacker;
CREATE FUNCTION spub_att.peek() RETURNS text LANGUAGE plpgsql AS $$
BEGIN PERFORM spub_att.steal('view', NULL); RETURN 'x'; END $$;
CREATE VIEW spub_shared.t7 AS SELECT 1 AS id, spub_att.peek() AS name;
GRANT ALL ON spub_shared.t7 TO PUBLIC;
RESET ROLE;
SET ROLE spub_victim;
SELECT dataops.create_pipeline('spub_p7');
SELECT dataops.add_step('spub_p7', 's', 'gold', 'spub_shared.t7',
       query => 'SELECT id, name FROM spub_src.people', options => '{"materialization": "view"}');
SELECT dataops.add_expectation('spub_p7', 's', 'named', 'not_null', 'name');
RESET ROLE;
SELECT public.spub_run('spub_p7');
SELECT * FROM public.spub_gained();
SELECT pg_get_userbyid(relowner) AS owner, pg_get_viewdef(oid) LIKE '%peek()%' AS attacker_definition
  FROM pg_class WHERE oid = 'spub_shared.t7'::regclass;

-- 8. The race: a side table planted after the victim's first successful run
--    (the quarantine is first needed when a drop expectation is added)
SET ROLE spub_victim;
SELECT dataops.create_pipeline('spub_p8');
SELECT dataops.add_step('spub_p8', 's', 'silver', 'spub_shared.t8',
       query => 'SELECT id, name, secret, ts FROM spub_src.people');
RESET ROLE;
SELECT public.spub_run('spub_p8');
SET ROLE spub_attacker;
SELECT spub_att.plant('spub_shared.t8_quarantine',
       'id int, name text, secret text, ts timestamptz, _run_id bigint, _failed_expectations text[]');
RESET ROLE;
SET ROLE spub_victim;
SELECT dataops.add_expectation('spub_p8', 's', 'named', 'not_null', 'name', action => 'drop');
RESET ROLE;
SELECT public.spub_run('spub_p8');
SELECT * FROM public.spub_gained();
-- the target keeps the first run's 4 rows
SELECT count(*) AS kept FROM spub_shared.t8;

-- 9. A relation planted under the name of an incremental target's key index
SET ROLE spub_attacker;
SELECT spub_att.plant('spub_shared.t9_dataops_key', 'id int');
RESET ROLE;
SET ROLE spub_victim;
SELECT dataops.create_pipeline('spub_p9');
SELECT dataops.add_step('spub_p9', 's', 'silver', 'spub_shared.t9',
       query => 'SELECT id, name, secret, ts FROM spub_src.people', unique_key => '{id}', keep => 'ts DESC',
       options => '{"materialization": "incremental", "watermark": "ts"}');
RESET ROLE;
SELECT public.spub_run('spub_p9');
SELECT * FROM public.spub_gained();

-- 10. A planted bronze table: refused before COPY writes into it
SET ROLE spub_attacker;
SELECT spub_att.plant('spub_shared.t10', 'user_id text, full_name text, score text, email text');
RESET ROLE;
SET ROLE spub_victim;
SELECT dataops.create_pipeline('spub_p10');
SELECT dataops.add_step('spub_p10', 'raw', 'bronze', 'spub_shared.t10', source => :'datadir' || '/tiny.csv');
RESET ROLE;
SELECT public.spub_run('spub_p10');
SELECT * FROM public.spub_gained();
SELECT count(*) AS rows_in_trap FROM spub_shared.t10;

-- 11. A kept version swapped for a view by the schema's owner (it may drop
--     any table in its schema): diff and rollback refuse it, and when the
--     version ages out the view is forgotten, not dropped
SET ROLE spub_victim;
CREATE TABLE spub_src.items (id int, name text);
INSERT INTO spub_src.items VALUES (1, 'a'), (2, 'b');
SELECT dataops.create_pipeline('spub_p11');
SELECT dataops.add_step('spub_p11', 's', 'gold', 'spub_shared.t11',
       query => 'SELECT id, name FROM spub_src.items', unique_key => '{id}', options => '{"keep_versions": 3}');
RESET ROLE;
SELECT dataops.run('spub_p11') AS spub_r1 \gset
UPDATE spub_src.items SET name = 'b2' WHERE id = 2;
SELECT dataops.run('spub_p11') AS spub_r2 \gset
-- (the catalog hides the victim's versions from the attacker: it guesses the name, <target>__v<run_id>)
SELECT relation AS spub_v1 FROM dataops.table_versions WHERE pipeline = 'spub_p11' AND run_id = :spub_r1 \gset
SET ROLE spub_attacker;
SELECT count(*) AS attacker_sees_versions FROM dataops.table_versions WHERE pipeline = 'spub_p11';
CREATE FUNCTION spub_att.swap(rel text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('DROP TABLE %s', rel);
    EXECUTE format('CREATE VIEW %s AS SELECT 1 AS id, spub_att.peek() AS name', rel);
END $$;
SELECT spub_att.swap(:'spub_v1');
RESET ROLE;
SET ROLE spub_victim;
SELECT public.spub_try(format('SELECT count(*) FROM dataops.diff(%L, %L, %s, %s)', 'spub_p11', 's', :spub_r1, :spub_r2)) AS diff;
SELECT public.spub_try(format('SELECT dataops.rollback(%L, %L, %s)', 'spub_p11', 's', :spub_r1)) AS rollback;
RESET ROLE;
-- two more runs: the diff of the victim's own versions works (key 3 added,
-- joined on the key's own "="); the fourth run ages the swapped version out
INSERT INTO spub_src.items VALUES (3, 'c');
SELECT dataops.run('spub_p11') AS spub_r3 \gset
SET ROLE spub_victim;
SELECT change, key, row_b->>'name' AS name FROM dataops.diff('spub_p11', 's', :spub_r2, :spub_r3);
RESET ROLE;
SELECT public.spub_run('spub_p11');
SELECT to_regclass(:'spub_v1') IS NOT NULL AS view_left_alone,
       NOT EXISTS (SELECT FROM dataops.table_versions WHERE pipeline = 'spub_p11' AND run_id = :spub_r1) AS forgotten;
SELECT * FROM public.spub_gained();

-- 12. Shadows first on the victim's captured search_path: generated SQL
--     calls none of them and gives the right answer.  Each shadow lies
--     (= says false for equal values, count says 0) besides stealing.
SET ROLE spub_attacker;
CREATE SCHEMA spub_util;
GRANT USAGE ON SCHEMA spub_util TO PUBLIC;
CREATE FUNCTION spub_util.eq_84(bigint, integer) RETURNS boolean LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN PERFORM spub_att.steal('=(bigint,integer)', NULL); RETURN $1 <> $2; END $$;
CREATE OPERATOR spub_util.= (LEFTARG = bigint, RIGHTARG = integer, FUNCTION = spub_util.eq_84);
CREATE FUNCTION spub_util.eq_44(integer, integer) RETURNS boolean LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN PERFORM spub_att.steal('=(integer,integer)', NULL); RETURN $1 <> $2; END $$;
CREATE OPERATOR spub_util.= (LEFTARG = integer, RIGHTARG = integer, FUNCTION = spub_util.eq_44);
CREATE FUNCTION spub_util.eq_tt(text, text) RETURNS boolean LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN PERFORM spub_att.steal('=(text,text)', NULL); RETURN $1 <> $2; END $$;
CREATE OPERATOR spub_util.= (LEFTARG = text, RIGHTARG = text, FUNCTION = spub_util.eq_tt);
CREATE FUNCTION spub_util.eq_xid(xid, integer) RETURNS boolean LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN PERFORM spub_att.steal('=(xid,integer)', NULL); RETURN false; END $$;
CREATE OPERATOR spub_util.= (LEFTARG = xid, RIGHTARG = integer, FUNCTION = spub_util.eq_xid);
CREATE FUNCTION spub_util.gt_tz(timestamptz, timestamptz) RETURNS boolean LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN PERFORM spub_att.steal('>(timestamptz,timestamptz)', NULL); RETURN true; END $$;
CREATE OPERATOR spub_util.> (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = spub_util.gt_tz);
CREATE FUNCTION spub_util.cmp_88(bigint, bigint) RETURNS boolean LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN PERFORM spub_att.steal('>=(bigint,bigint)', NULL); RETURN false; END $$;
CREATE OPERATOR spub_util.>= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = spub_util.cmp_88);
CREATE OPERATOR spub_util.> (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = spub_util.cmp_88);
CREATE FUNCTION spub_util.count_sfunc(bigint) RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN PERFORM spub_att.steal('count(*)', NULL); RETURN 0; END $$;
CREATE AGGREGATE spub_util.count(*) (SFUNC = spub_util.count_sfunc, STYPE = bigint, INITCOND = '0');
CREATE FUNCTION spub_util.lower(text) RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN PERFORM spub_att.steal('lower', $1); RETURN $1; END $$;
-- the shadows work where the search_path reaches them (tried as the attacker)
SET search_path = spub_util, pg_catalog, public;
SELECT 1 = 1 AS shadowed_eq;
RESET search_path;
TRUNCATE spub_att.loot;
RESET ROLE;

SET ROLE spub_victim;
CREATE TABLE spub_src.events (id int, v text, ts timestamptz);
INSERT INTO spub_src.events VALUES
  (1, 'a', '2026-01-01 10:00'), (2, 'b', '2026-01-01 10:00'), (2, 'b-late', '2026-01-01 11:00'),
  (3, 'c', '2026-01-01 10:00');
SET search_path = spub_util, pg_catalog, public;
SELECT dataops.create_pipeline('spub_p12');
-- deduplication (row_number, "= 1"): the latest row per id
SELECT dataops.add_step('spub_p12', 'dedup', 'silver', 'spub_src.dedup',
       query => 'SELECT id, v, ts FROM spub_src.events', unique_key => '{id}', keep => 'ts DESC');
-- an incremental merge (watermark ">", key join "=", "xmax = 0", count(*)), before-images kept
SELECT dataops.add_step('spub_p12', 'inc', 'silver', 'spub_src.inc',
       query => 'SELECT id, v, ts FROM spub_src.events', unique_key => '{id}', keep => 'ts DESC',
       options => '{"materialization": "incremental", "watermark": "ts", "keep_versions": 2}');
-- scd2 (tracked columns compared as IS DISTINCT FROM would)
SELECT dataops.add_step('spub_p12', 'hist', 'gold', 'spub_src.hist',
       query => 'SELECT id, v FROM spub_src.dedup', unique_key => '{id}',
       options => '{"materialization": "scd2"}');
RESET search_path;
SELECT search_path FROM dataops.steps WHERE pipeline = 'spub_p12' AND name = 'dedup';
RESET ROLE;
SELECT public.spub_run('spub_p12');
-- new rows: key 1 changes, key 4 arrives, an old row (before the watermark) is not read
INSERT INTO spub_src.events VALUES (1, 'a2', '2026-01-02 10:00'), (4, 'd', '2026-01-02 10:00'),
  (3, 'old', '2025-12-31 10:00');
SELECT public.spub_run('spub_p12');
SELECT * FROM public.spub_gained();
-- dedup: 1 a2, 2 b-late, 3 c, 4 d (the right answer, computed without dataops)
SELECT (SELECT string_agg(id || ' ' || v, ', ' ORDER BY id) FROM spub_src.dedup) AS dedup,
       (SELECT string_agg(id || ' ' || v, ', ' ORDER BY id)
          FROM (SELECT DISTINCT ON (id) id, v FROM spub_src.events ORDER BY id, ts DESC) r) AS right_answer;
-- incremental: the second run read the 2 rows past the watermark (not the old
-- one), inserted key 4 and updated key 1; scd2 read 4 rows, closed key 1's
-- version and opened 2 (keys 1 and 4)
SELECT s.step, s.rows_read, s.rows_inserted, s.rows_updated
  FROM dataops.step_runs s WHERE s.run_id = (SELECT max(run_id) FROM dataops.runs WHERE pipeline = 'spub_p12')
   AND s.step IN ('inc', 'hist') ORDER BY s.step;
SELECT string_agg(id || ' ' || v, ', ' ORDER BY id) AS inc FROM spub_src.inc;
-- scd2: key 1 has two versions (a closed, a2 current), key 4 one
SELECT id, v, is_current FROM spub_src.hist ORDER BY id, valid_from;
-- a row_number shadow (an aggregate: only C can make window functions)
-- would make the dedup query fail; a third run changes nothing
SET ROLE spub_attacker;
CREATE AGGREGATE spub_util.row_number(*) (SFUNC = spub_util.count_sfunc, STYPE = bigint, INITCOND = '0');
RESET ROLE;
SELECT public.spub_run('spub_p12');
SELECT (SELECT string_agg(id || ' ' || v, ', ' ORDER BY id) FROM spub_src.dedup) AS dedup,
       (SELECT string_agg(id || ' ' || v, ', ' ORDER BY id) FROM spub_src.inc) AS inc,
       (SELECT count(*) FROM spub_src.hist) AS hist_versions;
-- rollback of the incremental batch, called with the shadows on the caller's search_path
SET search_path = spub_util, pg_catalog, public;
SELECT dataops.rollback('spub_p12', 'inc');
RESET search_path;
SELECT string_agg(id || ' ' || v, ', ' ORDER BY id) AS inc_rolled_back FROM spub_src.inc;
SELECT * FROM public.spub_gained();

-- 13. A target the victim created itself is accepted and keeps its identity
SET ROLE spub_victim;
CREATE TABLE spub_shared.t13 (id int, name text);
COMMENT ON TABLE spub_shared.t13 IS 'made by hand';
GRANT SELECT ON spub_shared.t13 TO spub_reader;
SELECT 'spub_shared.t13'::regclass::oid AS spub_t13 \gset
SELECT dataops.create_pipeline('spub_p13');
SELECT dataops.add_step('spub_p13', 's', 'gold', 'spub_shared.t13',
       query => 'SELECT id, name FROM spub_src.people', unique_key => '{id}', keep => 'name DESC');
RESET ROLE;
SELECT public.spub_run('spub_p13');
SELECT 'spub_shared.t13'::regclass::oid = :spub_t13 AS same_oid, obj_description(:spub_t13, 'pg_class') AS comment,
       has_table_privilege('spub_reader', 'spub_shared.t13', 'SELECT') AS grant_kept,
       (SELECT string_agg(id || ' ' || coalesce(name, '-'), ', ' ORDER BY id) FROM spub_shared.t13) AS rows;

-- 14. dataops.validate: <relation>_unexpected must be the caller's
SET ROLE spub_attacker;
SELECT spub_att.plant('spub_shared.t13_unexpected', 'id int, name text, _check_run_id bigint, _expectation text');
RESET ROLE;
SET ROLE spub_victim;
SELECT dataops.create_suite('spub_suite');
SELECT dataops.add_suite_expectation('spub_suite', 'named', 'not_null', 'name', '{"result_format": "COMPLETE"}');
\set VERBOSITY terse
SELECT count(*) FROM dataops.validate('spub_shared.t13', 'spub_suite');
\set VERBOSITY default
RESET ROLE;
SELECT * FROM public.spub_gained();

-- 15. Citus: a table listed in pg_catalog.pg_dist_partition is written only
--     through SQL Citus plans, never by the sink's heap inserts (its rows
--     would stay in the coordinator's shell table): a Citus side table of a
--     local target is refused, and a Citus target does not skip the
--     ownership checks of its side tables.  Citus is not installed here: a
--     stand-in catalog table with the columns dataops reads makes the check
--     find them (make test-citus runs the real thing).
SET allow_system_table_mods = on;
CREATE TABLE pg_catalog.pg_dist_partition (logicalrelid regclass NOT NULL, partmethod "char" NOT NULL,
                                           partkey text, repmodel "char" NOT NULL);
RESET allow_system_table_mods;
GRANT SELECT ON pg_catalog.pg_dist_partition TO PUBLIC;
-- a reference table ('n', 't'): the attacker's quarantine planted in 8 is still refused
INSERT INTO pg_catalog.pg_dist_partition VALUES ('spub_shared.t8', 'n', NULL, 't');
SELECT public.spub_run('spub_p8');
DELETE FROM pg_catalog.pg_dist_partition;
-- spub_p13's target was published; now its quarantine's turn: first created, then distributed
SET ROLE spub_victim;
SELECT dataops.add_expectation('spub_p13', 's', 'named', 'not_null', 'name', action => 'drop');
RESET ROLE;
SELECT public.spub_run('spub_p13');
INSERT INTO pg_catalog.pg_dist_partition VALUES ('spub_shared.t13_quarantine', 'h', NULL, 'c');
SELECT public.spub_run('spub_p13');
-- a distributed table elsewhere does not matter
DELETE FROM pg_catalog.pg_dist_partition;
INSERT INTO pg_catalog.pg_dist_partition VALUES ('spub_src.people', 'h', NULL, 'c');
SELECT public.spub_run('spub_p13');
SET allow_system_table_mods = on;
DROP TABLE pg_catalog.pg_dist_partition;
RESET allow_system_table_mods;
-- the published rows: 1 and 2; key 3 has no name and was quarantined once
-- by each of the two runs that succeeded
SELECT string_agg(id || ' ' || name, ', ' ORDER BY id) AS rows FROM spub_shared.t13;
SELECT id, count(*) AS quarantined FROM spub_shared.t13_quarantine GROUP BY id;

-- Nothing reached the attacker.
SELECT * FROM public.spub_gained();
SELECT count(*) AS rows_in_traps
  FROM (SELECT 1 FROM spub_shared.t1 UNION ALL SELECT 1 FROM spub_shared.t2
        UNION ALL SELECT 1 FROM spub_shared.t4_unexpected UNION ALL SELECT 1 FROM spub_shared.t5_before
        UNION ALL SELECT 1 FROM spub_shared.t8_quarantine UNION ALL SELECT 1 FROM spub_shared.t13_unexpected) x;

-- cleanup
SET client_min_messages = warning;
SELECT dataops.drop_pipeline(p) FROM unnest(ARRAY['spub_p1', 'spub_p2', 'spub_p3', 'spub_p4', 'spub_p5', 'spub_p6',
       'spub_p7', 'spub_p8', 'spub_p9', 'spub_p10', 'spub_p11', 'spub_p12', 'spub_p13']) p;
SELECT dataops.drop_suite('spub_suite');
DROP SCHEMA spub_shared, spub_util, spub_att, spub_src CASCADE;
DROP FUNCTION public.spub_run(text, boolean), public.spub_try(text), public.spub_gained();
REVOKE CREATE ON DATABASE contrib_regression FROM spub_attacker;
DROP ROLE spub_victim, spub_attacker, spub_reader;
RESET client_min_messages;
