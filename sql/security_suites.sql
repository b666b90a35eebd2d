-- Hostile suites: a suite's owner must not make whoever validates with it,
-- attaches it or runs a step it is attached to run the owner's code.
-- tsec_attacker owns suites whose expectations evaluate its own objects (a
-- domain whose CHECK calls tsec_att.trojan, a view and a row-level security
-- policy calling it, expressions calling it).  trojan records every call in
-- tsec_att.calls and tries ALTER ROLE tsec_attacker SUPERUSER: after every
-- case the calls must be 0 and the attacker no superuser.
\pset null '(null)'
SET client_min_messages = warning;
DROP ROLE IF EXISTS tsec_attacker, tsec_victim, tsec_team;
RESET client_min_messages;
CREATE ROLE tsec_attacker LOGIN;
CREATE ROLE tsec_victim LOGIN;
CREATE ROLE tsec_team;					-- a group both belong to (case 9)
GRANT tsec_team TO tsec_attacker, tsec_victim;
GRANT USAGE ON SCHEMA dataops TO tsec_attacker, tsec_victim;
CREATE SCHEMA tsec_att AUTHORIZATION tsec_attacker;
CREATE SCHEMA tsec_vic AUTHORIZATION tsec_victim;
CREATE SCHEMA tsec_shared;				-- a schema everyone may create in
GRANT USAGE, CREATE ON SCHEMA tsec_shared TO PUBLIC;
-- runs a statement; returns ok or the SQLSTATE and message of its error
CREATE FUNCTION tsec_shared.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM, '^run \d+ of ', 'run of ');
END $$;

-- the attacker's objects
SET ROLE tsec_attacker;
GRANT USAGE ON SCHEMA tsec_att TO PUBLIC;
CREATE TABLE tsec_att.calls (who name);
GRANT INSERT, SELECT ON tsec_att.calls TO PUBLIC;
CREATE FUNCTION tsec_att.trojan(v text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tsec_att.calls VALUES (current_user);
    BEGIN
        EXECUTE 'ALTER ROLE tsec_attacker SUPERUSER';
    EXCEPTION WHEN OTHERS THEN
        NULL;
    END;
    RETURN true;
END $$;
CREATE DOMAIN tsec_att.dom AS text CHECK (tsec_att.trojan(VALUE));
CREATE DOMAIN tsec_att.dom2 AS tsec_att.dom;
CREATE VIEW tsec_att.v AS SELECT x.id FROM (VALUES ('1'), ('x')) x(id) WHERE tsec_att.trojan(x.id);
CREATE TABLE tsec_att.rls (id text);
INSERT INTO tsec_att.rls VALUES ('1'), ('x');
ALTER TABLE tsec_att.rls ENABLE ROW LEVEL SECURITY;
CREATE POLICY everyone ON tsec_att.rls USING (tsec_att.trojan(id));
CREATE TABLE tsec_att.keys (id text);
INSERT INTO tsec_att.keys VALUES ('1');
GRANT SELECT ON tsec_att.v, tsec_att.rls, tsec_att.keys TO PUBLIC;
SELECT dataops.create_suite('tsec_cast');
SELECT dataops.add_suite_expectation('tsec_cast', 'c_dom', 'castable_to', 'v', '{"type": "tsec_att.dom"}');
SELECT dataops.create_suite('tsec_cast2');
SELECT dataops.add_suite_expectation('tsec_cast2', 'c_dom2', 'castable_to', 'v', '{"type": "tsec_att.dom2"}');
SELECT dataops.create_suite('tsec_arr');
SELECT dataops.add_suite_expectation('tsec_arr', 'c_arr', 'castable_to', 'v', '{"type": "tsec_att.dom[]"}');
SELECT dataops.create_suite('tsec_view');
SELECT dataops.add_suite_expectation('tsec_view', 'r_view', 'relationships', 'v', '{"to": "tsec_att.v", "field": "id"}');
SELECT dataops.create_suite('tsec_rls');
SELECT dataops.add_suite_expectation('tsec_rls', 'r_rls', 'relationships', 'v', '{"to": "tsec_att.rls", "field": "id"}');
SELECT dataops.create_suite('tsec_secret');
SELECT dataops.add_suite_expectation('tsec_secret', 'r_secret', 'relationships', 'v', '{"to": "tsec_vic.secret", "field": "id"}');
SELECT dataops.create_suite('tsec_expr');
SELECT dataops.add_suite_expectation('tsec_expr', 'e_trojan', 'expression', NULL, '{"expression": "tsec_att.trojan(v)"}');
-- harmless suites of the attacker: a built-in type, its own plain table
SELECT dataops.create_suite('tsec_fine');
SELECT dataops.add_suite_expectation('tsec_fine', 'f_int', 'castable_to', 'v', '{"type": "integer"}');
SELECT dataops.add_suite_expectation('tsec_fine', 'f_keys', 'relationships', 'v', '{"to": "tsec_att.keys", "field": "id"}');
RESET ROLE;
-- what the attacker gained so far
CREATE FUNCTION tsec_shared.gained() RETURNS TABLE (trojan_calls bigint, attacker_superuser boolean)
LANGUAGE sql AS $$
    SELECT (SELECT count(*) FROM tsec_att.calls),
           (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = 'tsec_attacker')
$$;

-- the victim's data, pipeline and objects
SET ROLE tsec_victim;
GRANT USAGE ON SCHEMA tsec_vic TO PUBLIC;
CREATE TABLE tsec_vic.data (id int, v text);
INSERT INTO tsec_vic.data VALUES (1, '1'), (2, 'x');
CREATE TABLE tsec_vic.secret (id text);		-- nobody else may read it
CREATE DOMAIN tsec_vic.digits AS text CHECK (VALUE ~ '^[0-9]+$');
CREATE DOMAIN tsec_vic.over_att AS tsec_att.dom;			-- its base type is the attacker's
CREATE DOMAIN tsec_vic.arr_att AS tsec_att.dom[];			-- an array of the attacker's domain
CREATE TYPE tsec_vic.pair AS (a tsec_att.dom);				-- a composite with one
CREATE DOMAIN tsec_vic.calls_att AS text CHECK (tsec_att.trojan(VALUE));	-- the attacker's function
SET search_path = tsec_shared, public;
CREATE FUNCTION tsec_shared.tsec_chk(n numeric) RETURNS boolean LANGUAGE sql AS 'SELECT n > 0';
SELECT dataops.create_pipeline('tsec_vp');
SELECT dataops.add_step('tsec_vp', 's', 'silver', 'tsec_vic.out', query => 'SELECT * FROM tsec_vic.data');
RESET search_path;
SELECT tsec_shared.try($$SELECT dataops.run('tsec_vp')$$) AS first_run;
RESET ROLE;

-- 1. castable_to the attacker's domain ---------------------------------------
-- a superuser's validate() refuses (the domain's CHECK would run as superuser)
SELECT tsec_shared.try($$SELECT * FROM dataops.validate('tsec_vic.data', 'tsec_cast')$$) AS superuser_validate;
-- so does the victim's attach_suite, for the victim and for a superuser attaching it to the victim's step
SET ROLE tsec_victim;
SELECT tsec_shared.try($$SELECT dataops.attach_suite('tsec_vp', 's', 'tsec_cast')$$) AS victim_attach;
RESET ROLE;
SELECT tsec_shared.try($$SELECT dataops.attach_suite('tsec_vp', 's', 'tsec_cast')$$) AS superuser_attach;
-- and dataops.input_is_valid itself, which castable_to calls
SELECT tsec_shared.try($$SELECT dataops.input_is_valid('1', 'tsec_att.dom')$$) AS input_is_valid;
SELECT * FROM tsec_shared.gained();

-- 2. a domain over the attacker's domain, the attacker's own and the victim's
SELECT tsec_shared.try($$SELECT * FROM dataops.validate('tsec_vic.data', 'tsec_cast2')$$) AS domain_over_domain;
SET ROLE tsec_victim;
SELECT dataops.create_suite('tsec_vic_over');
SELECT dataops.add_suite_expectation('tsec_vic_over', 'o_over', 'castable_to', 'v', '{"type": "tsec_vic.over_att"}');
SELECT tsec_shared.try($$SELECT * FROM dataops.validate('tsec_vic.data', 'tsec_vic_over')$$) AS victims_domain_over_attackers;
SELECT tsec_shared.try($$SELECT dataops.attach_suite('tsec_vp', 's', 'tsec_vic_over')$$) AS attach_over;
RESET ROLE;
SELECT * FROM tsec_shared.gained();

-- 3. an array of the attacker's domain, a domain over one, a composite with one
SELECT tsec_shared.try($$SELECT * FROM dataops.validate('tsec_vic.data', 'tsec_arr')$$) AS array_of_domain;
SET ROLE tsec_victim;
SELECT dataops.create_suite('tsec_vic_nested');
SELECT dataops.add_suite_expectation('tsec_vic_nested', 'n_arr', 'castable_to', 'v', '{"type": "tsec_vic.arr_att"}');
SELECT tsec_shared.try($$SELECT * FROM dataops.validate('tsec_vic.data', 'tsec_vic_nested')$$) AS domain_over_array;
SELECT dataops.create_suite('tsec_vic_pair');
SELECT dataops.add_suite_expectation('tsec_vic_pair', 'n_pair', 'castable_to', 'v', '{"type": "tsec_vic.pair"}');
SELECT tsec_shared.try($$SELECT * FROM dataops.validate('tsec_vic.data', 'tsec_vic_pair')$$) AS composite;
RESET ROLE;
SELECT * FROM tsec_shared.gained();

-- 4. the victim's own domain whose CHECK calls the attacker's function
SET ROLE tsec_victim;
SELECT dataops.create_suite('tsec_vic_fn');
SELECT dataops.add_suite_expectation('tsec_vic_fn', 'n_fn', 'castable_to', 'v', '{"type": "tsec_vic.calls_att"}');
SELECT tsec_shared.try($$SELECT * FROM dataops.validate('tsec_vic.data', 'tsec_vic_fn')$$) AS constraint_function;
RESET ROLE;
SELECT * FROM tsec_shared.gained();

-- 5. relationships to the attacker's view, and to its table with a policy
SELECT tsec_shared.try($$SELECT * FROM dataops.validate('tsec_vic.data', 'tsec_view')$$) AS view_validate;
SET ROLE tsec_victim;
SELECT tsec_shared.try($$SELECT dataops.attach_suite('tsec_vp', 's', 'tsec_view')$$) AS view_attach;
SELECT tsec_shared.try($$SELECT dataops.attach_suite('tsec_vp', 's', 'tsec_rls')$$) AS rls_attach;
RESET ROLE;
-- a superuser bypasses row-level security: the policy does not run, so the table is read
SELECT tsec_shared.try($$SELECT * FROM dataops.validate('tsec_vic.data', 'tsec_rls')$$) AS rls_validate;
SELECT * FROM tsec_shared.gained();

-- 6. an expression calling the attacker's function: refused to everyone but
-- the suite's owner (a superuser included)
SELECT tsec_shared.try($$SELECT * FROM dataops.validate('tsec_vic.data', 'tsec_expr')$$) AS expression_validate;
SET ROLE tsec_victim;
SELECT tsec_shared.try($$SELECT dataops.attach_suite('tsec_vp', 's', 'tsec_expr')$$) AS expression_attach;
RESET ROLE;
SELECT * FROM tsec_shared.gained();

-- 7. the victim's own suite, expression and domain, attached and run: they
-- work; then the attacker shadows the function the expression calls with a
-- better match in a schema on the step's search_path: the next run refuses
SET ROLE tsec_victim;
SET search_path = tsec_shared, public;
SELECT dataops.create_suite('tsec_vic_own');
SELECT dataops.add_suite_expectation('tsec_vic_own', 'own_digits', 'castable_to', 'v', '{"type": "tsec_vic.digits"}');
SELECT dataops.add_suite_expectation('tsec_vic_own', 'own_expr', 'expression', NULL, '{"expression": "tsec_chk(id)"}');
SELECT dataops.attach_suite('tsec_vp', 's', 'tsec_vic_own');
SELECT tsec_shared.try($$SELECT dataops.run('tsec_vp')$$) AS trusted_run;
SELECT expectation, element_count, unexpected_count, success FROM dataops.expectation_results
 WHERE step = 's' AND run_id = (SELECT max(run_id) FROM dataops.runs WHERE pipeline = 'tsec_vp') ORDER BY expectation;
SELECT expectation, unexpected_count FROM dataops.validate('tsec_vic.data', 'tsec_vic_own') ORDER BY expectation;
RESET search_path;
RESET ROLE;
SET ROLE tsec_attacker;
CREATE FUNCTION tsec_shared.tsec_chk(n integer) RETURNS boolean LANGUAGE sql AS $$SELECT tsec_att.trojan(n::text)$$;
RESET ROLE;
SET ROLE tsec_victim;
SELECT tsec_shared.try($$SELECT dataops.run('tsec_vp')$$) AS run_after_shadowing;
SELECT status, error_sqlstate FROM dataops.runs WHERE run_id = (SELECT max(run_id) FROM dataops.runs WHERE pipeline = 'tsec_vp');
SELECT dataops.detach_suite('tsec_vp', 's', 'tsec_vic_own');
RESET ROLE;
SELECT * FROM tsec_shared.gained();
-- a superuser does not trust the victim's suite (its expression, its domain) either
SELECT tsec_shared.try($$SELECT * FROM dataops.validate('tsec_vic.data', 'tsec_vic_own')$$) AS superuser_victims_suite;

-- 8. attached before 0.5.0 checked attachments (simulated: written into the
-- catalog directly): each run checks again and refuses, the expression rule too
INSERT INTO dataops.step_suites (pipeline, step, suite) VALUES ('tsec_vp', 's', 'tsec_cast');
SET ROLE tsec_victim;
SELECT tsec_shared.try($$SELECT dataops.run('tsec_vp')$$) AS run_with_old_cast;
SELECT dataops.detach_suite('tsec_vp', 's', 'tsec_cast');
RESET ROLE;
INSERT INTO dataops.step_suites (pipeline, step, suite) VALUES ('tsec_vp', 's', 'tsec_expr');
SET ROLE tsec_victim;
SELECT tsec_shared.try($$SELECT dataops.run('tsec_vp')$$) AS run_with_old_expression;
SELECT dataops.detach_suite('tsec_vp', 's', 'tsec_expr');
RESET ROLE;
SELECT * FROM tsec_shared.gained();

-- 9. a domain of a group the victim trusts, attached; then a group member
-- adds a CHECK constraint calling its own function: the next run refuses
SET ROLE tsec_attacker;
SET ROLE tsec_team;
CREATE DOMAIN tsec_shared.team_dom AS text;
RESET ROLE;
SET ROLE tsec_victim;
SELECT dataops.create_suite('tsec_vic_team');
SELECT dataops.add_suite_expectation('tsec_vic_team', 't_team', 'castable_to', 'v', '{"type": "tsec_shared.team_dom"}');
SELECT dataops.attach_suite('tsec_vp', 's', 'tsec_vic_team');
SELECT tsec_shared.try($$SELECT dataops.run('tsec_vp')$$) AS run_before_constraint;
RESET ROLE;
SET ROLE tsec_attacker;
ALTER DOMAIN tsec_shared.team_dom ADD CONSTRAINT sneaky CHECK (tsec_att.trojan(VALUE)) NOT VALID;
RESET ROLE;
SET ROLE tsec_victim;
SELECT tsec_shared.try($$SELECT dataops.run('tsec_vp')$$) AS run_after_constraint;
SELECT tsec_shared.try($$SELECT * FROM dataops.validate('tsec_vic.data', 'tsec_vic_team')$$) AS validate_after_constraint;
SELECT dataops.detach_suite('tsec_vp', 's', 'tsec_vic_team');
RESET ROLE;
SELECT * FROM tsec_shared.gained();

-- 10. trusted objects still work: the attacker's harmless suite (a built-in
-- type, the attacker's plain table the victim may read) attaches and runs
SET ROLE tsec_victim;
SELECT dataops.attach_suite('tsec_vp', 's', 'tsec_fine');
SELECT tsec_shared.try($$SELECT dataops.run('tsec_vp')$$) AS fine_run;
SELECT expectation, unexpected_count FROM dataops.expectation_results
 WHERE step = 's' AND run_id = (SELECT max(run_id) FROM dataops.runs WHERE pipeline = 'tsec_vp') ORDER BY expectation;
SELECT dataops.detach_suite('tsec_vp', 's', 'tsec_fine');
RESET ROLE;

-- 11. relationships to, or validate() of, a table the caller may not read:
-- refused before any lock.  Another session holds an ACCESS EXCLUSIVE lock
-- on it: a lock request would wait and end with lock_timeout's 55P03.
CREATE EXTENSION dblink;
SELECT dblink_connect('tsec_locker', format('host=%s port=%s dbname=%s user=postgres',
       current_setting('unix_socket_directories'), current_setting('port'), current_database()));
SELECT dblink_exec('tsec_locker', 'BEGIN');
SELECT dblink_exec('tsec_locker', 'LOCK TABLE tsec_vic.secret IN ACCESS EXCLUSIVE MODE');
SET ROLE tsec_attacker;
CREATE TABLE tsec_att.mine (id int, v text);
SET lock_timeout = '2s';
SELECT tsec_shared.try($$SELECT * FROM dataops.validate('tsec_vic.secret', 'tsec_fine')$$) AS validate_unreadable;
SELECT tsec_shared.try($$SELECT * FROM dataops.validate('tsec_att.mine', 'tsec_secret')$$) AS relationships_unreadable;
SELECT dataops.create_pipeline('tsec_ap');
SELECT dataops.add_step('tsec_ap', 'a', 'silver', 'tsec_att.out', query => 'SELECT * FROM tsec_att.mine');
SELECT tsec_shared.try($$SELECT dataops.run('tsec_ap')$$) AS attacker_run;
SELECT tsec_shared.try($$SELECT dataops.add_expectation('tsec_ap', 'a', 'r', 'relationships', 'v',
       '{"to": "tsec_vic.secret", "field": "id"}')$$) AS add_unreadable;
RESET lock_timeout;
RESET ROLE;
SELECT dblink_exec('tsec_locker', 'COMMIT');
SELECT dblink_disconnect('tsec_locker');
DROP EXTENSION dblink;

-- 12. suite names with control characters
SET ROLE tsec_attacker;
SELECT tsec_shared.try($$SELECT dataops.create_suite(E'tsec\nfake log line')$$) AS newline;
SELECT tsec_shared.try($$SELECT dataops.create_suite(E'tsec\ttab')$$) AS tab;
SELECT tsec_shared.try($$SELECT dataops.create_suite(E'tsec\x7fdel')$$) AS del;
SELECT tsec_shared.try($$SELECT dataops.create_suite(E'tsec\x1b[31mred')$$) AS escape;
SELECT tsec_shared.try($$SELECT dataops.create_suite('tsec ok: é')$$) AS printable;
RESET ROLE;
SELECT count(*) AS control_named_suites FROM dataops.suites WHERE name ~ '[\x01-\x1f\x7f]';

-- the attacker gained nothing: trojan never ran, no superuser
SELECT * FROM tsec_shared.gained();

-- clean up
SELECT dataops.drop_pipeline('tsec_vp');
SELECT dataops.drop_pipeline('tsec_ap');
SELECT dataops.drop_suite(name) FROM dataops.suites WHERE name LIKE 'tsec%' ORDER BY name;
SET client_min_messages = warning;
DROP SCHEMA tsec_att, tsec_vic, tsec_shared CASCADE;
RESET client_min_messages;
REVOKE USAGE ON SCHEMA dataops FROM tsec_attacker, tsec_victim;
DROP ROLE tsec_attacker, tsec_victim, tsec_team;
