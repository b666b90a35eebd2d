-- Steps in dependency order, dedup with keep, target identity across runs, lineage.
CREATE TABLE public.orders (order_id int, customer text, amount numeric, updated_at int);
INSERT INTO public.orders VALUES
  (1, 'ann', 10, 1), (1, 'ann', 12, 2), (2, 'bob', 5, 1), (3, 'cy', 7, 1), (3, 'cy', 8, 3), (3, 'cy', 6, 2);
CREATE TABLE public.customers (name text, country text);
INSERT INTO public.customers VALUES ('ann', 'FR'), ('bob', 'DE'), ('cy', 'FR');

SELECT dataops.create_pipeline('sales');
-- added gold first: the order comes from the queries, not from the order of definition
SELECT dataops.add_step('sales', 'by_country', 'gold', 'revenue_by_country', query => $$
  WITH o AS (SELECT customer, amount FROM silver.orders)
  SELECT c.country, sum(o.amount) AS revenue, count(*) AS orders
    FROM o JOIN public.customers c ON c.name = o.customer
   GROUP BY c.country $$);
SELECT dataops.add_step('sales', 'orders', 'silver', 'orders',
       query => 'SELECT order_id, customer, amount, updated_at FROM public.orders',
       unique_key => '{order_id}', keep => 'updated_at DESC');
SELECT dataops.run('sales') AS run_id \gset
SELECT step, layer, target, status, rows_read, rows_written, duplicates_removed, rows_quarantined
  FROM dataops.step_runs WHERE run_id = :run_id ORDER BY started_at;
-- the newest row of each order survives
SELECT * FROM silver.orders ORDER BY order_id;
SELECT * FROM gold.revenue_by_country ORDER BY country;

-- lineage: table-level rows (NULL columns) and column-level rows through the CTE and the join
SELECT step, source_relation, source_column, target_relation, target_column
  FROM dataops.lineage WHERE pipeline = 'sales' ORDER BY step, target_column NULLS FIRST, source_relation, source_column;

-- the target keeps its identity: OID, grants, dependent views and comments survive a run
SELECT 'gold.revenue_by_country'::regclass::oid AS gold_oid \gset
CREATE ROLE dataops_bi;
GRANT USAGE ON SCHEMA gold TO dataops_bi;
GRANT SELECT ON gold.revenue_by_country TO dataops_bi;
CREATE VIEW public.fr_revenue AS SELECT revenue FROM gold.revenue_by_country WHERE country = 'FR';
COMMENT ON TABLE gold.revenue_by_country IS 'revenue per country';
INSERT INTO public.orders VALUES (4, 'bob', 100, 1);
SELECT dataops.run('sales') > :run_id AS second_run;
SELECT 'gold.revenue_by_country'::regclass::oid = :gold_oid AS same_oid,
       has_table_privilege('dataops_bi', 'gold.revenue_by_country', 'SELECT') AS grant_kept,
       obj_description('gold.revenue_by_country'::regclass) AS comment;
SELECT * FROM public.fr_revenue;
SELECT * FROM gold.revenue_by_country ORDER BY country;

-- when the query's columns change, the target is recreated; a dependent view blocks that
SELECT dataops.drop_pipeline('sales');
SELECT dataops.create_pipeline('sales2');
SELECT dataops.add_step('sales2', 'by_country', 'gold', 'revenue_by_country',
       query => 'SELECT country, count(*)::int AS customers FROM public.customers GROUP BY country');
SELECT dataops.run('sales2');
SELECT status FROM dataops.runs WHERE pipeline = 'sales2';
DROP VIEW public.fr_revenue;
SELECT dataops.run('sales2') > 0 AS recreated_run;
SELECT target_recreated FROM dataops.step_runs WHERE step = 'by_country' ORDER BY run_id DESC LIMIT 1;
SELECT * FROM gold.revenue_by_country ORDER BY country;

-- odd names are quoted everywhere
CREATE SCHEMA "we ird";
CREATE TABLE "we ird"."sou;rce" ("Mixed Col" int, "x""y" text);
INSERT INTO "we ird"."sou;rce" VALUES (1, 'a'), (2, 'b'), (2, 'c');
SELECT dataops.create_pipeline('odd');
SELECT dataops.add_step('odd', 'a;b', 'silver', 'x"); DROP TABLE public.orders; --',
       query => 'SELECT "Mixed Col", "x""y" FROM "we ird"."sou;rce"', unique_key => '{Mixed Col}', keep => '"x""y" DESC');
SELECT dataops.add_expectation('odd', 'a;b', 'e;1', 'in_set', 'x"y', '{"values": ["a", "c"]}', 'drop');
SELECT dataops.run('odd') > 0 AS ran;
SELECT * FROM silver."x""); DROP TABLE public.orders; --" ORDER BY 1;
SELECT "Mixed Col", _failed_expectations FROM silver."x""); DROP TABLE public.orders; --_quarantine";
SELECT to_regclass('public.orders') IS NOT NULL AS orders_still_there;

-- a run inside a transaction that has written data is refused
BEGIN;
INSERT INTO public.orders VALUES (5, 'dan', 1, 1);
SELECT dataops.run('odd');
ROLLBACK;
-- one that has only read may run
BEGIN;
SELECT count(*) FROM public.orders;
SELECT dataops.run('odd') > 0 AS ran_in_read_only_transaction;
COMMIT;

-- a pipeline without steps, and one that does not exist
SELECT dataops.create_pipeline('empty');
SELECT dataops.run('empty');
SELECT dataops.run('no_such_pipeline');
SELECT dataops.run(NULL);

-- only the owner (or a member of its role) may run a pipeline
SET ROLE dataops_bi;
SELECT dataops.run('odd');
RESET ROLE;
REVOKE ALL ON SCHEMA gold FROM dataops_bi;
REVOKE ALL ON gold.revenue_by_country FROM dataops_bi;
DROP ROLE dataops_bi;
