/*
 * materialize.c: view, incremental and scd2 steps (see materialize.h).
 *
 * Incremental and scd2 steps check and deduplicate their batch exactly as
 * a table step does (publish_write_checked streams it through the sink), into
 * a temporary table; set-based statements then merge it into the target,
 * and the watermark is stored in the same transaction.
 *
 * Every relation written, replaced, dropped or attached is first checked
 * to be owned by the pipeline's owner and not to be a Citus table
 * (target_relation, before it is locked), and every operator of the
 * generated statements is qualified (publish.h): they run under the step's
 * search_path.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "catalog/index.h"
#include "common/md5.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/regproc.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "access/relation.h"
#include "catalog/namespace.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/typcache.h"

#include "catalog.h"
#include "dataops.h"
#include "expect.h"
#include "materialize.h"
#include "publish.h"
#include "sqlgen.h"
#include "target.h"

#define BATCH_TABLE DATAOPS_INTERNAL_PREFIX "batch"

static const ColumnMatch exact_columns = {0, NULL, true};

/*
 * True when relation `before` has exactly the columns of relation `target`
 * (names and types), followed by two more (_run_id, _op).
 */
static bool
target_columns_extend(Oid target, Oid before)
{
	static const ColumnMatch two_more = {2, NULL, false};
	Relation	rel = relation_open(target, AccessShareLock);
	bool		ok = publish_columns(before, RelationGetDescr(rel), &two_more, NULL, NULL);

	relation_close(rel, AccessShareLock);
	return ok;
}

const char *
materialization_of(const StepDef *s)
{
	JsonbValue *m = s->options ? json_get(s->options, "materialization") : NULL;

	return m ? json_value_text(m) : "table";
}

static char *
option_text(const StepDef *s, const char *key)
{
	JsonbValue *v = s->options ? json_get(s->options, key) : NULL;

	return v ? json_value_text(v) : NULL;
}

static void
require_column(const StepDef *s, TupleDesc desc, const char *col, const char *what)
{
	if (sqlgen_find_att(desc, col) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("%s \"%s\" of step \"%s\" is not a column of its query", what, col, s->name),
				 errhint("The query's columns are what the step publishes; select the column, or fix the option.")));
}

/* md5 of what the target was built with: a change needs a full refresh. */
static char *
definition_hash(const StepDef *s, const char *watermark)
{
	StringInfoData b;
	char		hex[33];
	const char *errstr = NULL;
	ListCell   *lc;

	initStringInfo(&b);
	appendStringInfo(&b, "%s\n%s\n%s\n%s\n", materialization_of(s), s->query, s->keep ? s->keep : "",
					 watermark ? watermark : "");
	foreach(lc, s->unique_key)
		appendStringInfo(&b, "%s,", (char *) lfirst(lc));
	if (!pg_md5_hash(b.data, b.len, hex, &errstr))
		elog(ERROR, "could not compute an md5 hash: %s", errstr);
	return pstrdup(hex);
}

/* ---------- view ---------- */

static void
view_step(const StepDef *s, Oid owner, int64 run_id, StepCounts *c, List **results, MemoryContext result_cxt)
{
	const char *qname = dataops_qualified_name(s->target_schema, s->target_table);
	TupleDesc	desc = publish_describe(s);
	Oid			relid;
	Oid			quarantine;
	Oid			unexpected;

	dataops_ensure_schema(s->target_schema);
	relid = target_relation(s->target_schema, s->target_table, "view", owner, TARGET_PIPELINE_OWNER,
							 AccessShareLock);
	if (OidIsValid(relid) && get_rel_relkind(relid) != RELKIND_VIEW)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("target %s of view step \"%s\" is not a view", qname, s->name),
				 errhint("Drop the table (it was built by another materialization), or give the step another target.")));
	if (expect_sql_dropped(s->expectations) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("view step \"%s\" cannot drop rows", s->name),
				 errdetail("A view publishes its query as it is; no row can be kept out of it."),
				 errhint("Use action warn or fail, or materialize the step as a table.")));
	dataops_exec_sql(psprintf("CREATE OR REPLACE VIEW %s AS\n%s", qname, s->query));
	/* a view another role created since the check would have been replaced, not created: look again */
	(void) target_relation(s->target_schema, s->target_table, "view", owner, TARGET_PIPELINE_OWNER,
							AccessShareLock);
	dataops_exec_sql(psprintf("COMMENT ON VIEW %s IS %s", qname,
							  quote_literal_cstr(psprintf("%s view of step \"%s\" of pipeline \"%s\", published by dataops",
														  s->layer, s->name, s->pipeline))));
	if (s->expectations != NIL)
	{
		publish_side_tables(s, owner, desc, run_id, &quarantine, &unexpected);
		*results = expect_check_rows(s->expectations, psprintf("%s s", qname), desc, run_id,
									 OidIsValid(unexpected) ?
									 dataops_qualified_name(s->target_schema,
															sqlgen_side_table_name(s->target_table, "_unexpected")) : NULL,
									 result_cxt);
	}
}

/* ---------- incremental and scd2 ---------- */

static void
create_target(const StepDef *s, bool scd2, List *keys)
{
	const char *qname = dataops_qualified_name(s->target_schema, s->target_table);

	dataops_exec_sql(psprintf("CREATE TABLE %s AS SELECT q.*%s FROM (\n%s\n) q WITH NO DATA", qname,
							  scd2 ? ", CAST(NULL AS pg_catalog.timestamptz) AS valid_from, CAST(NULL AS pg_catalog.timestamptz) AS valid_to, "
							  "CAST(NULL AS pg_catalog.bool) AS is_current" : "", s->query));
	dataops_exec_sql(psprintf("COMMENT ON TABLE %s IS %s", qname,
							  quote_literal_cstr(psprintf("%s target (%s) of step \"%s\" of pipeline \"%s\", published by dataops",
														  s->layer, scd2 ? "scd2" : "incremental", s->name, s->pipeline))));
	if (scd2)
	{
		dataops_exec_sql(psprintf("COMMENT ON COLUMN %s.valid_from IS 'when this version became current'", qname));
		dataops_exec_sql(psprintf("COMMENT ON COLUMN %s.valid_to IS 'when this version stopped being current; NULL for the current one'", qname));
		dataops_exec_sql(psprintf("COMMENT ON COLUMN %s.is_current IS 'true for the current version of its key'", qname));
	}
}

/*
 * The unique index the merge relies on (incremental: the key; scd2: the
 * current version of a key).  A relation of that name must be the index on
 * the target: CREATE INDEX IF NOT EXISTS would take another role's table
 * for it, and the merge would then fail for want of an index.
 */
static void
ensure_key_index(const StepDef *s, Oid owner, Oid target, bool scd2, List *keys)
{
	char	   *name = sqlgen_side_table_name(s->target_table, "_dataops_key");
	Oid			idx = target_relation(s->target_schema, name, "key index", owner, TARGET_PIPELINE_OWNER,
									   NoLock);

	if (OidIsValid(idx) && (get_rel_relkind(idx) != RELKIND_INDEX || IndexGetRelation(idx, true) != target))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_TABLE),
				 errmsg("relation \"%s.%s\" exists and is not the key index of %s", s->target_schema, name,
						dataops_qualified_name(s->target_schema, s->target_table)),
				 errdetail("dataops keeps the unique index an incremental or scd2 merge relies on under this name."),
				 errhint("Drop or rename the relation.")));
	dataops_exec_sql(psprintf("CREATE UNIQUE INDEX IF NOT EXISTS %s ON %s (%s)%s",
							  quote_identifier(name),
							  dataops_qualified_name(s->target_schema, s->target_table),
							  sqlgen_name_list(keys, ""), scd2 ? " WHERE is_current" : ""));
}

/* Qualified name of an incremental target's before-images: <target>_before. */
static char *
before_table(const StepDef *s)
{
	return dataops_qualified_name(s->target_schema, sqlgen_side_table_name(s->target_table, "_before"));
}

/*
 * Keeps what a merge is about to change, so that dataops.rollback() can undo
 * the batch: the current rows of the keys it updates ('update') and the keys
 * it inserts ('insert'), in <target>_before under the run id; only the last
 * keep_versions batches are kept.  A full refresh clears them (it cannot be
 * undone).  Must run before the merge, in its transaction.
 */
static void
keep_before_images(const StepDef *s, Oid owner, Oid target, TupleDesc desc, List *keys, int64 run_id, bool full)
{
	const char *qname = dataops_qualified_name(s->target_schema, s->target_table);
	char	   *bq = before_table(s);
	char	   *bname = sqlgen_side_table_name(s->target_table, "_before");
	Oid			relid = target_relation(s->target_schema, bname, "before-images table", owner,
										 TARGET_PIPELINE_OWNER, RowExclusiveLock);
	int			keep = materialize_keep_versions(s, 3);
	char	   *join = sqlgen_key_join(keys, desc, "t", "b");
	int			nest;

	if (OidIsValid(relid) && !target_columns_extend(target, relid))
	{
		/* the target's columns changed (append_new_columns): older before-images cannot be restored */
		dataops_exec_sql(psprintf("DROP TABLE %s", bq));
		relid = InvalidOid;
	}
	if (!OidIsValid(relid))
	{
		if (keep == 0)
			return;
		dataops_exec_sql(psprintf("CREATE TABLE %s AS SELECT t.*, CAST(NULL AS pg_catalog.int8) AS _run_id, "
								  "CAST(NULL AS pg_catalog.text) AS _op FROM %s t WITH NO DATA", bq, qname));
		(void) target_relation(s->target_schema, bname, "before-images table", owner, TARGET_PIPELINE_OWNER,
								RowExclusiveLock);
		dataops_exec_sql(psprintf("CREATE INDEX ON %s (_run_id)", bq));
		dataops_exec_sql(psprintf("COMMENT ON TABLE %s IS %s", bq,
								  quote_literal_cstr(psprintf("before-images of the last batches merged into %s by dataops, for dataops.rollback()",
															  qname))));
		dataops_exec_sql(psprintf("COMMENT ON COLUMN %s._run_id IS 'run whose batch changed the row'", bq));
		dataops_exec_sql(psprintf("COMMENT ON COLUMN %s._op IS 'update: the row before the batch replaced it; insert: a key the batch added (other columns NULL)'", bq));
	}
	if (full || keep == 0)
	{
		dataops_exec_sql(psprintf("TRUNCATE %s", bq));
		return;
	}
	nest = NewGUCNestLevel();
	(void) set_config_option("enable_hashjoin", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("enable_mergejoin", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	(void) sqlgen_exec_int8(psprintf("INSERT INTO %s SELECT t.*, $1, 'update' FROM %s t "
										  "WHERE EXISTS (SELECT 1 FROM pg_temp.%s b WHERE %s)",
										  bq, qname, BATCH_TABLE, join),
								 1, &run_id);
	(void) sqlgen_exec_int8(psprintf("INSERT INTO %s (%s, _run_id, _op) SELECT %s, $1, 'insert' FROM pg_temp.%s b "
										  "WHERE NOT EXISTS (SELECT 1 FROM %s t WHERE %s)",
										  bq, sqlgen_name_list(keys, ""), sqlgen_name_list(keys, "b."),
										  BATCH_TABLE, qname, join),
								 1, &run_id);
	AtEOXact_GUC(true, nest);
	{
		int64		kept = keep;

		(void) sqlgen_exec_int8(psprintf("DELETE FROM %s WHERE NOT _run_id OPERATOR(pg_catalog.=) ANY "
											  "(SELECT DISTINCT _run_id FROM %s ORDER BY _run_id DESC LIMIT $1)", bq, bq),
									 1, &kept);
	}
}

static void
merge_step(const StepDef *s, Oid owner, int64 run_id, bool full_refresh, bool scd2, StepCounts *c, List **results,
		   MemoryContext result_cxt)
{
	const char *mat = scd2 ? "scd2" : "incremental";
	const char *qname = dataops_qualified_name(s->target_schema, s->target_table);
	TupleDesc	desc = publish_describe(s);
	char	   *wm_col = option_text(s, "watermark");
	char	   *on_change = option_text(s, "on_schema_change");
	int			wm_att;
	char	   *hash;
	Oid			relid;
	bool		created = false;
	bool		found;
	bool		full;
	char	   *stored_wm = NULL;
	char	   *stored_hash = NULL;
	char	   *new_wm = NULL;
	Oid			quarantine;
	Oid			unexpected;
	SqlParams  *params = palloc0(sizeof(SqlParams));
	char	   *batch;
	Oid			batch_oid;
	List	   *cols = sqlgen_desc_names(desc);
	List	   *rest = NIL;
	ListCell   *lc;

	/* the key and the watermark */
	foreach(lc, s->unique_key)
		require_column(s, desc, lfirst(lc), "unique_key column");
	foreach(lc, cols)
		if (!sqlgen_in_list(s->unique_key, lfirst(lc)))
			rest = lappend(rest, lfirst(lc));
	if (wm_col == NULL && !scd2)
	{
		if (sqlgen_find_att(desc, "_ingested_at") < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("incremental step \"%s\" needs a watermark column", s->name),
					 errdetail("Its query returns no _ingested_at column (bronze rows carry one) to tell new rows from processed ones."),
					 errhint("Select _ingested_at from the bronze table, or name a column that only grows in options.watermark.")));
		wm_col = "_ingested_at";
	}
	if (wm_col)
		require_column(s, desc, wm_col, "watermark column");
	wm_att = wm_col ? sqlgen_find_att(desc, wm_col) : -1;
	hash = definition_hash(s, wm_col);

	/*
	 * The target: the pipeline owner's (checked before it is locked), locked
	 * against other writers for the run as the key index's CREATE INDEX
	 * and the merge would lock it.
	 */
	dataops_ensure_schema(s->target_schema);
	relid = target_relation(s->target_schema, s->target_table, "target", owner, TARGET_PIPELINE_OWNER,
							 ShareRowExclusiveLock);
	if (OidIsValid(relid) && get_rel_relkind(relid) != RELKIND_RELATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("target %s of %s step \"%s\" is not a table", qname, mat, s->name),
				 errhint("Drop it (it was built by another materialization), or give the step another target.")));
	found = catalog_get_step_state(s->pipeline, s->name, &stored_wm, &stored_hash);
	if (OidIsValid(relid))
	{
		List	   *added;
		bool		type_changed;

		(void) publish_columns(relid, desc, &exact_columns, &added, &type_changed);
		if (full_refresh && (added != NIL || type_changed || (found && strcmp(stored_hash, hash) != 0)))
		{
			/* rebuilt from scratch: a new table of the query's columns */
			ereport(NOTICE,
					(errmsg("full refresh of step \"%s\": recreating %s", s->name, qname)));
			dataops_exec_sql(psprintf("DROP TABLE %s", qname));
			relid = InvalidOid;
			c->target_recreated = true;
		}
		else if (!full_refresh && (type_changed || added != NIL || (found && strcmp(stored_hash, hash) != 0)))
		{
			if (type_changed || on_change == NULL || strcmp(on_change, "append_new_columns") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("the query of %s step \"%s\" changed since its target was built", mat, s->name),
						 errdetail("Merging rows of the new query into rows built by the old one would mix both%s.",
								   type_changed ? ", and a column changed type" : ""),
						 errhint("Rebuild the target with dataops.run('%s', full_refresh => true)%s.", s->pipeline,
								 type_changed ? "" : ", or set options.on_schema_change to append_new_columns")));
			foreach(lc, added)
			{
				Form_pg_attribute a = lfirst(lc);

				dataops_exec_sql(psprintf("ALTER TABLE %s ADD COLUMN %s %s", qname,
										  quote_identifier(NameStr(a->attname)),
										  format_type_extended(a->atttypid, a->atttypmod,
															   FORMAT_TYPE_TYPEMOD_GIVEN | FORMAT_TYPE_FORCE_QUALIFY)));
			}
		}
	}
	if (!OidIsValid(relid))
	{
		create_target(s, scd2, s->unique_key);
		relid = target_relation(s->target_schema, s->target_table, "target", owner, TARGET_PIPELINE_OWNER,
								 ShareRowExclusiveLock);
		created = true;
	}
	ensure_key_index(s, owner, relid, scd2, s->unique_key);
	full = full_refresh || created || !found;
	if (full && !created)
		dataops_exec_sql(psprintf("TRUNCATE %s", qname));
	if (full)
		stored_wm = NULL;

	/* the batch: rows past the watermark, checked and deduplicated into a temporary table */
	publish_side_tables(s, owner, desc, run_id, &quarantine, &unexpected);
	dataops_exec_sql(psprintf("CREATE TEMP TABLE %s ON COMMIT DROP AS SELECT * FROM (\n%s\n) q WITH NO DATA",
							  BATCH_TABLE, s->query));
	batch_oid = dataops_relation_oid(get_namespace_name(LookupCreationNamespace("pg_temp")), BATCH_TABLE);
	if (stored_wm != NULL && wm_att >= 0)
	{
		/* the watermark as a value of the column's type, parsed once (not per row) */
		Form_pg_attribute a = TupleDescAttr(desc, wm_att);
		Oid			infunc;
		Oid			ioparam;

		getTypeInputInfo(a->atttypid, &infunc, &ioparam);
		batch = psprintf("SELECT * FROM (\n%s\n) " DATAOPS_INTERNAL_PREFIX "q WHERE " DATAOPS_INTERNAL_PREFIX "q.%s %s $%d",
						 s->query, quote_identifier(wm_col), sqlgen_operator(a->atttypid, TYPECACHE_GT_OPR, wm_col),
						 sql_param(params, a->atttypid,
								   OidInputFunctionCall(infunc, stored_wm, ioparam, a->atttypmod)));
	}
	else
		batch = s->query;
	{
		PublishWrite w = {s, owner, run_id, batch, params, desc, batch_oid, "pg_temp." BATCH_TABLE,
		quarantine, unexpected, false, wm_att, result_cxt};

		publish_write_checked(&w, &new_wm, c, results);
	}

	/* the merge; the batch's statistics let the planner probe the target's key index */
	c->merged = true;
	dataops_exec_sql("ANALYZE pg_temp." BATCH_TABLE);
	if (!scd2)
	{
		char	   *set;

		keep_before_images(s, owner, relid, desc, s->unique_key, run_id, full);
		set = rest == NIL ? "DO NOTHING" :
			psprintf("DO UPDATE SET (%s) = ROW(%s)", sqlgen_name_list(rest, ""), sqlgen_name_list(rest, "EXCLUDED."));

		if (full)
		{
			/* an empty target: a plain insert (the batch holds one row per key) */
			c->rows_inserted = sqlgen_exec_count(psprintf("INSERT INTO %s (%s) SELECT %s FROM pg_temp.%s", qname,
												   sqlgen_name_list(cols, ""), sqlgen_name_list(cols, ""), BATCH_TABLE));
			c->rows_updated = 0;
		}
		else
		{
			bool		isnull;

			if (SPI_execute(psprintf("WITH m AS (INSERT INTO %s (%s) SELECT %s FROM pg_temp.%s ON CONFLICT (%s) %s "
									 "RETURNING (xmax OPERATOR(pg_catalog.=) 0) AS inserted) "
									 "SELECT pg_catalog.count(*) FILTER (WHERE inserted), "
									 "pg_catalog.count(*) FILTER (WHERE NOT inserted) FROM m",
									 qname, sqlgen_name_list(cols, ""), sqlgen_name_list(cols, ""), BATCH_TABLE,
									 sqlgen_name_list(s->unique_key, ""), set), false, 0) != SPI_OK_SELECT)
				elog(ERROR, "dataops: the merge of step \"%s\" failed", s->name);
			c->rows_inserted = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
			c->rows_updated = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
		}
		c->rows_deleted = 0;
		c->rows_written = c->rows_inserted + c->rows_updated;
	}
	else
	{
		JsonbValue *tc = s->options ? json_get(s->options, "track_columns") : NULL;
		List	   *tracked = tc ? json_string_list(tc, "options.track_columns") : rest;
		char	   *hard = option_text(s, "hard_deletes");

		int			nest;

		foreach(lc, tracked)
			require_column(s, desc, lfirst(lc), "track_columns column");

		/*
		 * A batch is small next to the history: probe the index of current
		 * versions for each of its keys rather than hash the whole target
		 * (the planner prefers the hash, about 10 times slower at 1% of 1M).
		 */
		nest = NewGUCNestLevel();
		(void) set_config_option("enable_hashjoin", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
		(void) set_config_option("enable_mergejoin", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
		/* a changed row closes its current version (none to close after a full refresh) ... */
		c->rows_updated = (tracked == NIL || full) ? 0 :
			sqlgen_exec_count(psprintf("UPDATE %s t SET valid_to = pg_catalog.now(), is_current = false FROM pg_temp.%s b "
								"WHERE t.is_current AND %s AND %s",
								qname, BATCH_TABLE, sqlgen_key_join(s->unique_key, desc, "t", "b"),
								sqlgen_distinct(tracked, desc, "t", "b")));
		AtEOXact_GUC(true, nest);
		/* ... a key missing from the snapshot is closed (hard_deletes = invalidate: all the history against the batch, a hash join) ... */
		c->rows_deleted = (hard && strcmp(hard, "invalidate") == 0 && !full) ?
			sqlgen_exec_count(psprintf("UPDATE %s t SET valid_to = pg_catalog.now(), is_current = false "
								"WHERE t.is_current AND NOT EXISTS (SELECT 1 FROM pg_temp.%s b WHERE %s)",
								qname, BATCH_TABLE, sqlgen_key_join(s->unique_key, desc, "t", "b"))) : 0;
		/* ... and every key without a current version opens one (the others conflict on the index) */
		c->rows_inserted =
			sqlgen_exec_count(psprintf("INSERT INTO %s (%s, valid_from, valid_to, is_current) "
								"SELECT %s, pg_catalog.now(), NULL, true FROM pg_temp.%s b%s%s%s",
								qname, sqlgen_name_list(cols, ""), sqlgen_name_list(cols, "b."), BATCH_TABLE,
								full ? "" : " ON CONFLICT (", full ? "" : sqlgen_name_list(s->unique_key, ""),
								full ? "" : ") WHERE is_current DO NOTHING"));
		c->rows_written = c->rows_inserted;
	}

	/* the watermark, in the same transaction as the write: exactly once */
	/* read by the worker after SPI_finish: in the caller's context */
	c->watermark = (new_wm || stored_wm) ? MemoryContextStrdup(result_cxt, new_wm ? new_wm : stored_wm) : NULL;
	catalog_set_step_state(s->pipeline, s->name, c->watermark, hash, run_id);
}

int
materialize_keep_versions(const StepDef *s, int dflt)
{
	char	   *kv = option_text(s, "keep_versions");

	return kv ? atoi(kv) : dflt;
}

/* The partition attached to a versioned target now (its current version), or InvalidOid. */
static Oid
attached_version(Oid target)
{
	Oid			types[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(target)};
	bool		isnull;
	Datum		d;

	if (SPI_execute_with_args("SELECT inhrelid FROM pg_catalog.pg_inherits WHERE inhparent OPERATOR(pg_catalog.=) $1",
							  1, types, values, NULL, true, 0) != SPI_OK_SELECT || SPI_processed == 0)
		return InvalidOid;
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? InvalidOid : DatumGetObjectId(d);
}

/*
 * A table step with options.keep_versions > 0.  The target is a table
 * partitioned by LIST whose one DEFAULT partition is the version a run
 * built (<target>__v<run_id>): the target keeps its OID, grants and
 * dependent views, readers see the new version at commit, and the version
 * it replaces is detached and kept as it is, not copied.  The last
 * keep_versions versions are kept (dataops.table_versions).
 */
static void
versioned_table_step(const StepDef *s, Oid owner, int64 run_id, StepCounts *c, List **results,
					 MemoryContext result_cxt)
{
	const char *qname = dataops_qualified_name(s->target_schema, s->target_table);
	TupleDesc	desc = publish_describe(s);
	Oid			relid;
	char	   *vname = sqlgen_side_table_name(s->target_table, psprintf("__v" INT64_FORMAT, run_id));
	char	   *vq = dataops_qualified_name(s->target_schema, vname);
	Oid			vrel;
	Oid			cur;
	Oid			quarantine;
	Oid			unexpected;
	int			keep = materialize_keep_versions(s, 0);
	ListCell   *lc;
	int			n = 0;

	dataops_ensure_schema(s->target_schema);
	relid = target_relation(s->target_schema, s->target_table, "target", owner, TARGET_PIPELINE_OWNER,
							 AccessShareLock);
	if (OidIsValid(relid) && (get_rel_relkind(relid) != RELKIND_PARTITIONED_TABLE || !publish_columns(relid, desc, &exact_columns, NULL, NULL)))
	{
		ereport(NOTICE,
				(errmsg("recreating %s as a versioned (partitioned) table for step \"%s\"", qname, s->name),
				 errdetail("Its columns changed, or it was built without keep_versions; views that depend on it must be dropped first.")));
		dataops_exec_sql(psprintf("DROP TABLE %s", qname));
		relid = InvalidOid;
		c->target_recreated = true;
	}
	if (!OidIsValid(relid))
	{
		StringInfoData cols;
		int			i;

		initStringInfo(&cols);
		for (i = 0; i < desc->natts; i++)
			appendStringInfo(&cols, "%s%s %s", i ? ", " : "", quote_identifier(NameStr(TupleDescAttr(desc, i)->attname)),
							 format_type_extended(TupleDescAttr(desc, i)->atttypid, TupleDescAttr(desc, i)->atttypmod,
												  FORMAT_TYPE_TYPEMOD_GIVEN | FORMAT_TYPE_FORCE_QUALIFY));
		dataops_exec_sql(psprintf("CREATE TABLE %s (%s) PARTITION BY LIST (%s)", qname, cols.data,
								  quote_identifier(s->unique_key ? (char *) linitial(s->unique_key)
												   : NameStr(TupleDescAttr(desc, 0)->attname))));
		dataops_exec_sql(psprintf("COMMENT ON TABLE %s IS %s", qname,
								  quote_literal_cstr(psprintf("%s target of step \"%s\" of pipeline \"%s\", published by dataops; its partition is the current version",
															  s->layer, s->name, s->pipeline))));
		relid = target_relation(s->target_schema, s->target_table, "target", owner, TARGET_PIPELINE_OWNER,
								 AccessShareLock);
	}

	/* the new version, built and checked before it is attached */
	if (OidIsValid(target_relation(s->target_schema, vname, "version table", owner, TARGET_PIPELINE_OWNER,
									AccessExclusiveLock)))
		dataops_exec_sql(psprintf("DROP TABLE %s", vq));	/* a retried attempt of this run */
	dataops_exec_sql(psprintf("CREATE TABLE %s (LIKE %s)", vq, qname));
	vrel = target_relation(s->target_schema, vname, "version table", owner, TARGET_PIPELINE_OWNER,
							RowExclusiveLock);
	publish_side_tables(s, owner, desc, run_id, &quarantine, &unexpected);
	{
		PublishWrite w = {s, owner, run_id, s->query, NULL, desc, vrel, vq, quarantine, unexpected, true, -1, result_cxt};

		publish_write_checked(&w, NULL, c, results);
	}

	/* publish: the new version in, the old one out (kept) */
	cur = attached_version(relid);
	if (OidIsValid(cur))
		dataops_exec_sql(psprintf("ALTER TABLE %s DETACH PARTITION %s", qname,
								  dataops_qualified_name(get_namespace_name(get_rel_namespace(cur)), get_rel_name(cur))));
	dataops_exec_sql(psprintf("ALTER TABLE %s ATTACH PARTITION %s DEFAULT", qname, vq));
	catalog_add_table_version(s->pipeline, s->name, run_id, vq);

	/* the last keep_versions versions stay */
	foreach(lc, catalog_table_versions(s->pipeline, s->name))
	{
		TableVersion *v = lfirst(lc);

		if (++n <= keep)
			continue;
		if (v->run_id != run_id)
		{
			RangeVar   *rv = makeRangeVarFromNameList(stringToQualifiedNameList(v->relation));
			Oid			old = RangeVarGetRelid(rv, NoLock, true);

			/*
			 * The relation of that name may now be another role's (the
			 * version was dropped and its name taken): that one is not the
			 * version, and is left alone; the version is forgotten.
			 */
			if (OidIsValid(old) && !target_owned_by(old, owner))
				ereport(WARNING,
						(errmsg("kept version %s of step \"%s\" is now another role's relation: forgotten, not dropped",
								v->relation, s->name)));
			else if (OidIsValid(target_relation_rv(rv, "version table", owner, TARGET_PIPELINE_OWNER,
													AccessExclusiveLock)))
				dataops_exec_sql(psprintf("DROP TABLE %s", v->relation));
			catalog_delete_table_version(s->pipeline, s->name, v->run_id);
		}
	}
}

int64
materialize_table_rollback(const StepDef *s, Oid owner, int64 to_run)
{
	const char *qname = dataops_qualified_name(s->target_schema, s->target_table);
	Oid			target = target_relation(s->target_schema, s->target_table, "target", owner,
										  TARGET_PIPELINE_OWNER, AccessExclusiveLock);
	Oid			cur = OidIsValid(target) ? attached_version(target) : InvalidOid;
	List	   *versions = catalog_table_versions(s->pipeline, s->name);
	int64		cur_run = 0;
	TableVersion *chosen = NULL;
	ListCell   *lc;

	foreach(lc, versions)
	{
		TableVersion *v = lfirst(lc);
		RangeVar   *rv = makeRangeVarFromNameList(stringToQualifiedNameList(v->relation));

		if (OidIsValid(cur) && RangeVarGetRelid(rv, NoLock, true) == cur)
			cur_run = v->run_id;
	}
	foreach(lc, versions)
	{
		TableVersion *v = lfirst(lc);

		if (to_run ? v->run_id == to_run : (cur_run && v->run_id < cur_run && chosen == NULL))
			chosen = v;
	}
	if (chosen == NULL || chosen->run_id == cur_run)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("step \"%s\" has no kept version %s", s->name,
						to_run ? psprintf("of run " INT64_FORMAT " to restore", to_run) : "before the current one"),
				 errhint("See SELECT * FROM dataops.table_versions; options.keep_versions sets how many are kept.")));
	if (!OidIsValid(target) ||
		!OidIsValid(target_relation_rv(makeRangeVarFromNameList(stringToQualifiedNameList(chosen->relation)),
										"version table", owner, TARGET_PIPELINE_OWNER, AccessExclusiveLock)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("step \"%s\" has no kept version %s", s->name,
						to_run ? psprintf("of run " INT64_FORMAT " to restore", to_run) : "before the current one"),
				 errdetail("The table of the version, %s, or the target is gone.", chosen->relation),
				 errhint("See SELECT * FROM dataops.table_versions; options.keep_versions sets how many are kept.")));
	if (OidIsValid(cur))
		dataops_exec_sql(psprintf("ALTER TABLE %s DETACH PARTITION %s", qname,
								  dataops_qualified_name(get_namespace_name(get_rel_namespace(cur)), get_rel_name(cur))));
	dataops_exec_sql(psprintf("ALTER TABLE %s ATTACH PARTITION %s DEFAULT", qname, chosen->relation));
	return chosen->run_id;
}

void
materialize_step(const StepDef *s, Oid owner, int64 run_id, bool full_refresh, StepCounts *c, List **results,
				 MemoryContext result_cxt)
{
	const char *mat = materialization_of(s);

	if (strcmp(mat, "table") == 0)
		versioned_table_step(s, owner, run_id, c, results, result_cxt);
	else if (strcmp(mat, "view") == 0)
		view_step(s, owner, run_id, c, results, result_cxt);
	else if (strcmp(mat, "incremental") == 0)
		merge_step(s, owner, run_id, full_refresh, false, c, results, result_cxt);
	else if (strcmp(mat, "scd2") == 0)
		merge_step(s, owner, run_id, full_refresh, true, c, results, result_cxt);
	else
		elog(ERROR, "dataops: unknown materialization \"%s\"", mat);
}
