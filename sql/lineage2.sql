-- Column lineage through set operations, subqueries and views, with the kind
-- of each edge; the DAG follows reads through views.
CREATE TABLE public.l2_a (id int, x text, y int);
CREATE TABLE public.l2_b (id int, x text, y int);
CREATE TABLE public.l2_c (id int, x text, y int);
INSERT INTO public.l2_a VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', -1);
INSERT INTO public.l2_b VALUES (1, 'p', 10), (2, 'q', 20), (2, 'r', 5);
INSERT INTO public.l2_c VALUES (1, 'A', 0), (2, 'b', 0);
CREATE VIEW public.l2_v AS SELECT id, upper(x) AS ux, y FROM public.l2_a WHERE y > 0;
CREATE VIEW public.l2_vv AS SELECT id AS vid, ux FROM public.l2_v;

SELECT dataops.create_pipeline('l2');
-- every branch of UNION and EXCEPT; an expression in the second branch
SELECT dataops.add_step('l2', 'setops', 'silver', 'l2_setops', query => $$
  SELECT id, x FROM public.l2_a UNION SELECT id, upper(x) FROM public.l2_b EXCEPT SELECT id, x FROM public.l2_c $$);
-- INTERSECT
SELECT dataops.add_step('l2', 'common', 'silver', 'l2_common', query => $$
  SELECT id FROM public.l2_a INTERSECT SELECT id FROM public.l2_c $$);
-- a correlated scalar subquery, a join, a filter and a sort key
SELECT dataops.add_step('l2', 'scalar', 'silver', 'l2_scalar', query => $$
  SELECT a.id, (SELECT max(b.y) FROM public.l2_b b WHERE b.id = a.id) AS max_y
    FROM public.l2_a a JOIN public.l2_c c ON c.id = a.id
   WHERE a.y > 0 ORDER BY a.x $$);
-- a subquery in FROM with GROUP BY and HAVING
SELECT dataops.add_step('l2', 'fromsub', 'silver', 'l2_fromsub', query => $$
  SELECT t.id, t.total FROM (SELECT id, sum(y) AS total FROM public.l2_b GROUP BY id HAVING count(*) > 1) t $$);
-- through two views down to the base table, the views' filter included
SELECT dataops.add_step('l2', 'views', 'silver', 'l2_views', query => 'SELECT vid, ux FROM public.l2_vv');
SELECT dataops.run('l2') > 0 AS ran;
SELECT status FROM dataops.runs WHERE pipeline = 'l2' ORDER BY run_id DESC LIMIT 1;
SELECT step, source_relation, source_column, target_column, transformation
  FROM dataops.lineage WHERE pipeline = 'l2'
 ORDER BY step, target_column NULLS FIRST, source_relation, source_column NULLS FIRST, transformation;

-- the DAG: a step reading a view over another step's target depends on that step
CREATE VIEW public.l2_over_setops AS SELECT id, x FROM silver.l2_setops WHERE id > 0;
CREATE VIEW public.l2_over_over AS SELECT * FROM public.l2_over_setops;
SELECT dataops.add_step('l2', 'gold', 'gold', 'l2_gold', query => $$
  SELECT x, count(*) AS n FROM public.l2_over_over GROUP BY x $$);
SELECT name, depends_on FROM dataops.steps WHERE pipeline = 'l2' ORDER BY name;
SELECT dataops.run('l2') > 0 AS ran;
SELECT step, status FROM dataops.step_runs
 WHERE run_id = (SELECT max(run_id) FROM dataops.runs WHERE pipeline = 'l2') ORDER BY started_at, step;
SELECT source_relation, source_column, target_column, transformation
  FROM dataops.lineage WHERE pipeline = 'l2' AND step = 'gold'
 ORDER BY target_column NULLS FIRST, source_relation, source_column NULLS FIRST;
-- a step reading its own target through a view is refused
CREATE TABLE silver.l2_selfie (id int);
CREATE VIEW public.l2_self AS SELECT id FROM silver.l2_selfie;
SELECT dataops.add_step('l2', 'selfie', 'silver', 'l2_selfie', query => 'SELECT id FROM public.l2_self');
DROP VIEW public.l2_self;
DROP TABLE silver.l2_selfie;

SELECT dataops.drop_pipeline('l2');
DROP VIEW public.l2_over_over, public.l2_over_setops, public.l2_vv, public.l2_v;
DROP TABLE public.l2_a, public.l2_b, public.l2_c;
DROP TABLE silver.l2_setops, silver.l2_common, silver.l2_scalar, silver.l2_fromsub, silver.l2_views, gold.l2_gold;
