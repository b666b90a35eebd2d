-- A people-shaped CSV of :rows rows written to :'file' on the server (as the
-- server's user), for test/bench.sh and test/bench/peers.sh when the shared
-- data has no file of that size.  Run as
--
--     psql -X -q -v ON_ERROR_STOP=1 -v rows=N -v file=/path/people-N.csv -f people_csv.sql
--
-- ~5% of the rows repeat an earlier user id (with another email), ~0.5% have
-- an invalid email, ~2% an email needing trim/lower, dates 1906..2022.
COPY (
  WITH g AS (
    SELECT i,
           -- every 20th row re-uses the user id of one of the 19 rows before it
           CASE WHEN i % 20 = 0 THEN i - 1 - (i / 20) % 19 ELSE i END AS k,
           abs(hashint4(i)::bigint) AS h
      FROM generate_series(1, :rows) AS i
  ), p AS (
    SELECT i, k, h,
           (ARRAY['Dawn','Dale','Alexis','Brenda','Tara','Jesse','Jaime','Marcus',
                  'Shelby','Harold','Kristin','Max','Kelli','Colin','Rebekah','Joy',
                  'Evelyn','Alan','Victoria','Roberto','Gina','Terrence','Nina','Wayne']
           )[1 + h % 24] AS first_name,
           (ARRAY['Trevino','Mcknight','Bowen','Hebert','Hayes','Kirk','Wells','Hobbs',
                  'Archer','Clarke','Pacheco','Glass','Huber','Stuart','Lowe','Osborne',
                  'Mcmahon','Odom','Wiley','Sherman','Dyer','Rasmussen','Koch','Bell']
           )[1 + (h / 24) % 24] AS last_name
      FROM g
  )
  SELECT i AS "Index",
         substr(md5(k::text), 1 + (k % 10), 15) AS "User Id",
         first_name AS "First Name",
         last_name AS "Last Name",
         CASE WHEN (h / 577) % 2 = 0 THEN 'Male' ELSE 'Female' END AS "Sex",
         CASE
           WHEN i % 200 = 7 THEN lower(first_name) || lower(last_name) || '.example.com'
           WHEN i % 50 = 3 THEN ' ' || first_name || lower(last_name) || (h % 1000)
                                || '@Example.COM '
           ELSE lower(first_name) || lower(last_name) || (h % 1000) || '@example.'
                || (ARRAY['com','net','org'])[1 + (h / 7) % 3]
         END AS "Email",
         CASE (h / 11) % 4
           WHEN 0 THEN lpad((h % 1000)::text, 3, '0') || '-' || lpad(((h / 1000) % 1000)::text, 3, '0')
                       || '-' || lpad(((h / 7) % 10000)::text, 4, '0')
           WHEN 1 THEN lpad((h % 10000000000)::text, 10, '0')
           WHEN 2 THEN '+1-' || lpad((h % 1000)::text, 3, '0') || '-' || lpad(((h / 1000) % 1000)::text, 3, '0')
                       || '-' || lpad(((h / 7) % 10000)::text, 4, '0') || 'x' || (h % 1000)
           ELSE '(' || lpad((h % 1000)::text, 3, '0') || ')' || lpad(((h / 1000) % 1000)::text, 3, '0')
                || '-' || lpad(((h / 7) % 10000)::text, 4, '0')
         END AS "Phone",
         date '1906-01-01' + ((h / 13) % (date '2022-12-31' - date '1906-01-01' + 1))::int
           AS "Date of birth",
         (ARRAY['Teacher, primary school','Development worker, community','Engineer, civil',
                'Accountant, chartered','Solicitor','Radiographer, diagnostic','Surveyor, mining',
                'Pharmacist, hospital','Data scientist','Chief Executive Officer',
                'Hydrologist','Librarian, public','Nurse, adult','Web designer']
         )[1 + (h / 3) % 14] AS "Job Title"
    FROM p
   ORDER BY i
) TO :'file' WITH (FORMAT csv, HEADER);
