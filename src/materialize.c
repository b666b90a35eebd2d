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
 * generated statements is qualified (sqlgen.h): they run under the step's
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
#include "access/relation.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/typcache.h"

#include "compat.h"
#include "catalog.h"
#include "citus.h"
#include "dataops.h"
#include "expect.h"
#include "materialize.h"
#include "options.h"
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
	appendStringInfo(&b, "%s\n%s\n%s\n%s\n", step_options(s)->materialization_name, s->query, s->keep ? s->keep : "",
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

typedef struct MergeRun MergeRun;

/* A column a merge adds after the query's, with its comment. */
typedef struct MergeColumn
{
	const char *name;
	const char *sql;			/* its definition in the CREATE TABLE ... AS's select list */
	const char *comment;
} MergeColumn;

/*
 * What an incremental step and an scd2 step differ in, as data: the target's
 * extra columns, the key index's predicate, the default watermark, and the
 * merge phase itself.
 */
typedef struct MergeKind
{
	const char *name;			/* "incremental" or "scd2", as messages and comments say */
	const char *default_watermark;	/* without options.watermark; NULL: none needed */
	const MergeColumn *columns; /* the target's columns after the query's */
	int			ncolumns;
	const char *key_predicate;	/* WHERE clause of the key index, "" for none */
	void		(*apply) (MergeRun *m, StepCounts *c);	/* merges the checked batch into the target */
} MergeKind;

/* One run of an incremental or scd2 step, filled phase by phase. */
struct MergeRun
{
	const StepDef *s;
	const StepOptions *opts;
	const MergeKind *kind;
	Oid			owner;
	int64		run_id;
	const char *qname;			/* the target, qualified */
	TupleDesc	desc;			/* the query's columns */
	List	   *cols;			/* their names */
	List	   *rest;			/* the names not in unique_key */
	const char *wm_col;			/* the watermark column, NULL for none */
	int			wm_att;			/* its index in desc, -1 for none */
	char	   *hash;			/* definition_hash */
	Oid			target;
	bool		full;			/* the target starts empty: full refresh, just created, or no state */
	char	   *stored_wm;		/* the last run's watermark; NULL when full */
	char	   *new_wm;			/* the batch's largest watermark value */
	bool		citus;			/* the target is a Citus table */
	const char *batch;			/* the checked batch, qualified: a temporary table, or for a Citus
								 * target a table colocated with it, dropped at the end of the step */
};

/* The target, with the kind's columns after the query's. */
static void
create_target(const MergeRun *m)
{
	const StepDef *s = m->s;
	StringInfoData extra;
	int			i;

	initStringInfo(&extra);
	for (i = 0; i < m->kind->ncolumns; i++)
		appendStringInfo(&extra, ", %s AS %s", m->kind->columns[i].sql, m->kind->columns[i].name);
	dataops_exec_sql(psprintf("CREATE TABLE %s AS SELECT q.*%s FROM (\n%s\n) q WITH NO DATA", m->qname,
							  extra.data, s->query));
	dataops_exec_sql(psprintf("COMMENT ON TABLE %s IS %s", m->qname,
							  quote_literal_cstr(psprintf("%s target (%s) of step \"%s\" of pipeline \"%s\", published by dataops",
														  s->layer, m->kind->name, s->name, s->pipeline))));
	for (i = 0; i < m->kind->ncolumns; i++)
		dataops_exec_sql(psprintf("COMMENT ON COLUMN %s.%s IS %s", m->qname, m->kind->columns[i].name,
								  quote_literal_cstr(m->kind->columns[i].comment)));
}

/*
 * Whether target relid (from target_relation_citus: not a Citus local table)
 * is a Citus table, checked for a merge: a distributed one whose
 * distribution column is not in unique_key (Citus creates unique indexes on
 * a distributed table only with it) is refused with 0A000.
 */
static bool
citus_target_checked(const MergeRun *m, Oid relid)
{
	char	   *column;
	CitusKind	kind = citus_table_kind(relid, &column);

	if (kind == CITUS_NONE)
		return false;
	if (kind == CITUS_DISTRIBUTED && !sqlgen_in_list(m->s->unique_key, column))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("unique_key of %s step \"%s\" must contain the distribution column \"%s\" of its target %s",
						m->kind->name, m->s->name, column, m->qname),
				 errdetail("The merge relies on a unique index on the key, and Citus creates unique indexes on "
						   "distributed tables only when they contain the distribution column."),
				 errhint("Add \"%s\" to unique_key, or distribute the target on a column of the key.", column)));
	return true;
}

/*
 * The unique index the merge relies on (incremental: the key; scd2: the
 * current version of a key).  A relation of that name must be the index on
 * the target: CREATE INDEX IF NOT EXISTS would take another role's table
 * for it, and the merge would then fail for want of an index.
 */
static void
ensure_key_index(const MergeRun *m)
{
	const StepDef *s = m->s;
	char	   *name = sqlgen_side_table_name(s->target_table, "_dataops_key");
	Oid			idx = target_relation(s->target_schema, name, "key index", m->owner, TARGET_PIPELINE_OWNER,
									  NoLock);

	if (OidIsValid(idx) && (get_rel_relkind(idx) != RELKIND_INDEX || IndexGetRelation(idx, true) != m->target))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_TABLE),
				 errmsg("relation \"%s.%s\" exists and is not the key index of %s", s->target_schema, name,
						dataops_qualified_name(s->target_schema, s->target_table)),
				 errdetail("dataops keeps the unique index an incremental or scd2 merge relies on under this name."),
				 errhint("Drop or rename the relation.")));
	dataops_exec_sql(psprintf("CREATE UNIQUE INDEX IF NOT EXISTS %s ON %s (%s)%s",
							  quote_identifier(name),
							  dataops_qualified_name(s->target_schema, s->target_table),
							  sqlgen_name_list(s->unique_key, ""), m->kind->key_predicate));
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
keep_before_images(const StepDef *s, Oid owner, Oid target, TupleDesc desc, List *keys, int64 run_id, bool full,
				   const char *batch)
{
	const char *qname = dataops_qualified_name(s->target_schema, s->target_table);
	char	   *bq = before_table(s);
	char	   *bname = sqlgen_side_table_name(s->target_table, "_before");
	Oid			relid = target_relation_citus(s->target_schema, bname, "before-images table", owner,
											  TARGET_PIPELINE_OWNER, RowExclusiveLock);
	int			keep = options_keep_versions(step_options(s), 3);
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
		/* colocated with a Citus target, so that the statements below run on its shards */
		(void) citus_distribute_like(bq, target);
		(void) target_relation_citus(s->target_schema, bname, "before-images table", owner,
									 TARGET_PIPELINE_OWNER, RowExclusiveLock);
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
										  "WHERE EXISTS (SELECT 1 FROM %s b WHERE %s)",
										  bq, qname, batch, join),
								 1, &run_id);
	(void) sqlgen_exec_int8(psprintf("INSERT INTO %s (%s, _run_id, _op) SELECT %s, $1, 'insert' FROM %s b "
										  "WHERE NOT EXISTS (SELECT 1 FROM %s t WHERE %s)",
										  bq, sqlgen_name_list(keys, ""), sqlgen_name_list(keys, "b."),
										  batch, qname, join),
								 1, &run_id);
	AtEOXact_GUC(true, nest);
	{
		int64		kept = keep;

		(void) sqlgen_exec_int8(psprintf("DELETE FROM %s WHERE NOT _run_id OPERATOR(pg_catalog.=) ANY "
											  "(SELECT DISTINCT _run_id FROM %s ORDER BY _run_id DESC LIMIT $1)", bq, bq),
									 1, &kept);
	}
}

/*
 * Phase 1, the columns: the key and the watermark must be columns of the
 * query (42703); sets cols, rest, wm_col, wm_att and the definition hash.
 */
static void
merge_columns(MergeRun *m)
{
	const StepDef *s = m->s;
	ListCell   *lc;

	m->cols = sqlgen_desc_names(m->desc);
	m->rest = NIL;
	m->wm_col = m->opts->watermark;
	foreach(lc, s->unique_key)
		require_column(s, m->desc, lfirst(lc), "unique_key column");
	foreach(lc, m->cols)
		if (!sqlgen_in_list(s->unique_key, lfirst(lc)))
			m->rest = lappend(m->rest, lfirst(lc));
	if (m->wm_col == NULL && m->kind->default_watermark)
	{
		if (sqlgen_find_att(m->desc, m->kind->default_watermark) < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("incremental step \"%s\" needs a watermark column", s->name),
					 errdetail("Its query returns no _ingested_at column (bronze rows carry one) to tell new rows from processed ones."),
					 errhint("Select _ingested_at from the bronze table, or name a column that only grows in options.watermark.")));
		m->wm_col = m->kind->default_watermark;
	}
	if (m->wm_col)
		require_column(s, m->desc, m->wm_col, "watermark column");
	m->wm_att = m->wm_col ? sqlgen_find_att(m->desc, m->wm_col) : -1;
	m->hash = definition_hash(s, m->wm_col);
}

/*
 * Phase 2, the target: the pipeline owner's (checked before it is locked),
 * locked against other writers for the run as the key index's CREATE INDEX
 * and the merge would lock it; rebuilt by a full refresh when the query
 * changed, extended by on_schema_change = append_new_columns, refused (55000)
 * otherwise; created when missing, with its key index.  Sets target, full
 * and stored_wm; empties the target when full.
 */
static void
merge_target(MergeRun *m, bool full_refresh, StepCounts *c)
{
	const StepDef *s = m->s;
	const char *mat = m->kind->name;
	const char *qname = m->qname;
	Oid			relid;
	bool		created = false;
	bool		found;
	char	   *stored_hash = NULL;
	ListCell   *lc;

	dataops_ensure_schema(s->target_schema);
	relid = target_relation_citus(s->target_schema, s->target_table, "target", m->owner,
								  TARGET_PIPELINE_OWNER, ShareRowExclusiveLock);
	m->citus = OidIsValid(relid) && citus_target_checked(m, relid);
	if (OidIsValid(relid) && get_rel_relkind(relid) != RELKIND_RELATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("target %s of %s step \"%s\" is not a table", qname, mat, s->name),
				 errhint("Drop it (it was built by another materialization), or give the step another target.")));
	m->stored_wm = NULL;
	found = catalog_get_step_state(s->pipeline, s->name, &m->stored_wm, &stored_hash);
	if (OidIsValid(relid))
	{
		List	   *added;
		bool		type_changed;
		bool		changed;

		(void) publish_columns(relid, m->desc, &exact_columns, &added, &type_changed);
		changed = added != NIL || type_changed || (found && strcmp(stored_hash, m->hash) != 0);
		if (changed && full_refresh && !m->citus)
		{
			/* rebuilt from scratch: a new table of the query's columns */
			ereport(NOTICE,
					(errmsg("full refresh of step \"%s\": recreating %s", s->name, qname)));
			dataops_exec_sql(psprintf("DROP TABLE %s", qname));
			relid = InvalidOid;
			c->target_recreated = true;
		}
		else if (changed)
		{
			if (!full_refresh && (type_changed || !m->opts->append_new_columns))
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("the query of %s step \"%s\" changed since its target was built", mat, s->name),
						 errdetail("Merging rows of the new query into rows built by the old one would mix both%s.",
								   type_changed ? ", and a column changed type" : ""),
						 errhint("Rebuild the target with dataops.run('%s', full_refresh => true)%s.", s->pipeline,
								 type_changed ? "" : ", or set options.on_schema_change to append_new_columns")));
			/* the full refresh of a Citus table: never dropped and re-created, widened or refused */
			if (type_changed)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("a column of %s step \"%s\" changed type and its target %s is a Citus table",
								mat, s->name, qname),
						 errdetail("dataops does not drop and re-create a distributed or reference table."),
						 errhint("Change the column with ALTER TABLE yourself (Citus propagates it to the shards), "
								 "or drop the target so that the next run creates it.")));
			foreach(lc, added)
				dataops_exec_sql(psprintf("ALTER TABLE %s ADD COLUMN %s", qname,
										  sqlgen_column_def((Form_pg_attribute) lfirst(lc))));
		}
	}
	if (!OidIsValid(relid))
	{
		create_target(m);
		citus_distribute(m->qname, m->opts->reference, m->opts->distribution_column, m->opts->colocate_with);
		relid = target_relation_citus(s->target_schema, s->target_table, "target", m->owner,
									  TARGET_PIPELINE_OWNER, ShareRowExclusiveLock);
		m->citus = citus_target_checked(m, relid);
		created = true;
	}
	m->target = relid;
	ensure_key_index(m);
	m->full = full_refresh || created || !found;
	if (m->full && !created)
		dataops_exec_sql(psprintf("TRUNCATE %s", qname));
	if (m->full)
		m->stored_wm = NULL;
}

/*
 * Phase 3, the batch: the rows past the watermark, checked and deduplicated
 * into a temporary table (publish_write_checked), with the quarantine and
 * _unexpected; sets new_wm, *c's read counts and *results.
 */
static void
merge_load_batch(MergeRun *m, StepCounts *c, List **results, MemoryContext result_cxt)
{
	const StepDef *s = m->s;
	PublishWrite w = {
		.step = s, .owner = m->owner, .run_id = m->run_id, .subquery = s->query,
		.params = palloc0(sizeof(SqlParams)), .desc = m->desc
	};

	publish_side_tables(s, m->owner, m->desc, m->run_id, &w.quarantine, &w.unexpected);
	if (m->citus)
	{
		/* a table colocated with the target: the merge's joins then run on the shards */
		char	   *bname = sqlgen_side_table_name(s->target_table, "_" BATCH_TABLE);

		if (OidIsValid(target_relation_citus(s->target_schema, bname, "batch table", m->owner,
											 TARGET_PIPELINE_OWNER, AccessExclusiveLock)))
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_TABLE),
					 errmsg("relation %s exists", dataops_qualified_name(s->target_schema, bname)),
					 errdetail("dataops keeps the batch of a step whose target is a Citus table in a table of this "
							   "name during the step."),
					 errhint("Drop or rename it.")));
		m->batch = dataops_qualified_name(s->target_schema, bname);
		dataops_exec_sql(psprintf("CREATE TABLE %s AS SELECT * FROM (\n%s\n) q WITH NO DATA", m->batch, s->query));
		(void) citus_distribute_like(m->batch, m->target);
		w.into = target_relation_citus(s->target_schema, bname, "batch table", m->owner,
									   TARGET_PIPELINE_OWNER, AccessExclusiveLock);
	}
	else
	{
		dataops_exec_sql(psprintf("CREATE TEMP TABLE %s ON COMMIT DROP AS SELECT * FROM (\n%s\n) q WITH NO DATA",
								  BATCH_TABLE, s->query));
		m->batch = "pg_temp." BATCH_TABLE;
		w.into = dataops_relation_oid(get_namespace_name(LookupCreationNamespace("pg_temp")), BATCH_TABLE);
	}
	w.into_qname = m->batch;
	if (m->stored_wm != NULL && m->wm_att >= 0)
	{
		/* the watermark as a value of the column's type, parsed once (not per row) */
		Form_pg_attribute a = TupleDescAttr(m->desc, m->wm_att);
		Oid			infunc;
		Oid			ioparam;

		getTypeInputInfo(a->atttypid, &infunc, &ioparam);
		w.subquery = psprintf("SELECT * FROM (\n%s\n) " DATAOPS_INTERNAL_PREFIX "q WHERE " DATAOPS_INTERNAL_PREFIX "q.%s %s $%d",
							  s->query, quote_identifier(m->wm_col),
							  sqlgen_operator(a->atttypid, TYPECACHE_GT_OPR, m->wm_col),
							  sql_param(w.params, a->atttypid,
										OidInputFunctionCall(infunc, m->stored_wm, ioparam, a->atttypmod)));
	}
	w.parallel_ok = false;
	w.watermark_att = m->wm_att;
	w.result_cxt = result_cxt;
	publish_write_checked(&w, &m->new_wm, c, results);
}

/*
 * Phase 4 of an incremental step: the before-images kept, then the batch
 * inserted, or merged by unique_key (INSERT ... ON CONFLICT DO UPDATE).
 */
static void
apply_incremental(MergeRun *m, StepCounts *c)
{
	const StepDef *s = m->s;
	char	   *cols = sqlgen_name_list(m->cols, "");
	char	   *set;

	keep_before_images(s, m->owner, m->target, m->desc, s->unique_key, m->run_id, m->full, m->batch);
	set = m->rest == NIL ? "DO NOTHING" :
		psprintf("DO UPDATE SET (%s) = ROW(%s)", sqlgen_name_list(m->rest, ""), sqlgen_name_list(m->rest, "EXCLUDED."));

	if (m->full)
	{
		/* an empty target: a plain insert (the batch holds one row per key) */
		c->rows_inserted = sqlgen_exec_count(psprintf("INSERT INTO %s (%s) SELECT %s FROM %s", m->qname,
													  cols, cols, m->batch));
		c->rows_updated = 0;
	}
	else
	{
		bool		isnull;

		if (SPI_execute(psprintf("WITH m AS (INSERT INTO %s (%s) SELECT %s FROM %s ON CONFLICT (%s) %s "
								 "RETURNING (xmax OPERATOR(pg_catalog.=) 0) AS inserted) "
								 "SELECT pg_catalog.count(*) FILTER (WHERE inserted), "
								 "pg_catalog.count(*) FILTER (WHERE NOT inserted) FROM m",
								 m->qname, cols, cols, m->batch,
								 sqlgen_name_list(s->unique_key, ""), set), false, 0) != SPI_OK_SELECT)
			elog(ERROR, "dataops: the merge of step \"%s\" failed", s->name);
		c->rows_inserted = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		c->rows_updated = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	}
	c->rows_deleted = 0;
	c->rows_written = c->rows_inserted + c->rows_updated;
}

/*
 * Phase 4 of an scd2 step: a row whose tracked columns changed closes its
 * current version, a key missing from the snapshot is closed (hard_deletes
 * = invalidate), and every key without a current version opens one.
 */
static void
apply_scd2(MergeRun *m, StepCounts *c)
{
	const StepDef *s = m->s;
	const char *qname = m->qname;
	List	   *tracked = m->opts->track_columns ?
		json_string_list(m->opts->track_columns, "options.track_columns") : m->rest;
	bool		full = m->full;
	int			nest;
	ListCell   *lc;

	foreach(lc, tracked)
		require_column(s, m->desc, lfirst(lc), "track_columns column");

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
		sqlgen_exec_count(psprintf("UPDATE %s t SET valid_to = pg_catalog.now(), is_current = false FROM %s b "
								   "WHERE t.is_current AND %s AND %s",
								   qname, m->batch, sqlgen_key_join(s->unique_key, m->desc, "t", "b"),
								   sqlgen_distinct(tracked, m->desc, "t", "b")));
	AtEOXact_GUC(true, nest);
	/* ... a key missing from the snapshot is closed (hard_deletes = invalidate: all the history against the batch, a hash join) ... */
	c->rows_deleted = (m->opts->hard_deletes_invalidate && !full) ?
		sqlgen_exec_count(psprintf("UPDATE %s t SET valid_to = pg_catalog.now(), is_current = false "
								   "WHERE t.is_current AND NOT EXISTS (SELECT 1 FROM %s b WHERE %s)",
								   qname, m->batch, sqlgen_key_join(s->unique_key, m->desc, "t", "b"))) : 0;
	/* ... and every key without a current version opens one (the others conflict on the index) */
	c->rows_inserted =
		sqlgen_exec_count(psprintf("INSERT INTO %s (%s, valid_from, valid_to, is_current) "
								   "SELECT %s, pg_catalog.now(), NULL, true FROM %s b%s%s%s",
								   qname, sqlgen_name_list(m->cols, ""), sqlgen_name_list(m->cols, "b."), m->batch,
								   full ? "" : " ON CONFLICT (", full ? "" : sqlgen_name_list(s->unique_key, ""),
								   full ? "" : ") WHERE is_current DO NOTHING"));
	c->rows_written = c->rows_inserted;
}

static const MergeColumn scd2_columns[] = {
	{"valid_from", "CAST(NULL AS pg_catalog.timestamptz)", "when this version became current"},
	{"valid_to", "CAST(NULL AS pg_catalog.timestamptz)", "when this version stopped being current; NULL for the current one"},
	{"is_current", "CAST(NULL AS pg_catalog.bool)", "true for the current version of its key"}
};

static const MergeKind incremental_kind = {"incremental", "_ingested_at", NULL, 0, "", apply_incremental};
static const MergeKind scd2_kind = {"scd2", NULL, scd2_columns, lengthof(scd2_columns), " WHERE is_current", apply_scd2};

/*
 * An incremental or scd2 step, in phases: the columns, the target, the
 * checked batch, the merge (the kind's), and the watermark recorded in the
 * same transaction as the write, so each row is processed exactly once.
 */
static void
merge_step(const StepDef *s, const MergeKind *kind, Oid owner, int64 run_id, bool full_refresh, StepCounts *c,
		   List **results, MemoryContext result_cxt)
{
	MergeRun	m = {0};

	m.s = s;
	m.opts = step_options(s);
	m.kind = kind;
	m.owner = owner;
	m.run_id = run_id;
	m.qname = dataops_qualified_name(s->target_schema, s->target_table);
	m.desc = publish_describe(s);

	merge_columns(&m);
	merge_target(&m, full_refresh, c);
	merge_load_batch(&m, c, results, result_cxt);

	/* the merge; the batch's statistics let the planner probe the target's key index */
	c->merged = true;
	dataops_exec_sql(psprintf("ANALYZE %s", m.batch));
	kind->apply(&m, c);
	if (m.citus)
		dataops_exec_sql(psprintf("DROP TABLE %s", m.batch));

	/* the watermark, in the same transaction as the write: exactly once */
	/* read by the worker after SPI_finish: in the caller's context */
	c->watermark = (m.new_wm || m.stored_wm) ? MemoryContextStrdup(result_cxt, m.new_wm ? m.new_wm : m.stored_wm) : NULL;
	catalog_set_step_state(s->pipeline, s->name, c->watermark, m.hash, run_id);
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
	int			keep = options_keep_versions(step_options(s), 0);
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
			appendStringInfo(&cols, "%s%s", i ? ", " : "", sqlgen_column_def(TupleDescAttr(desc, i)));
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
		PublishWrite w = {
			.step = s, .owner = owner, .run_id = run_id, .subquery = s->query, .desc = desc,
			.into = vrel, .into_qname = vq, .quarantine = quarantine, .unexpected = unexpected,
			.parallel_ok = true, .watermark_att = -1, .result_cxt = result_cxt
		};

		publish_write_checked(&w, NULL, c, results);
	}

	/* publish: the new version in, the old one out (kept) */
	cur = attached_version(relid);
	if (OidIsValid(cur))
		dataops_exec_sql(psprintf("ALTER TABLE %s DETACH PARTITION %s", qname,
								  dataops_relation_name(cur)));
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
			RangeVar   *rv = makeRangeVarFromNameList(compat_qualified_name_list(v->relation));
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
		RangeVar   *rv = makeRangeVarFromNameList(compat_qualified_name_list(v->relation));

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
		!OidIsValid(target_relation_rv(makeRangeVarFromNameList(compat_qualified_name_list(chosen->relation)),
										"version table", owner, TARGET_PIPELINE_OWNER, AccessExclusiveLock)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("step \"%s\" has no kept version %s", s->name,
						to_run ? psprintf("of run " INT64_FORMAT " to restore", to_run) : "before the current one"),
				 errdetail("The table of the version, %s, or the target is gone.", chosen->relation),
				 errhint("See SELECT * FROM dataops.table_versions; options.keep_versions sets how many are kept.")));
	if (OidIsValid(cur))
		dataops_exec_sql(psprintf("ALTER TABLE %s DETACH PARTITION %s", qname,
								  dataops_relation_name(cur)));
	dataops_exec_sql(psprintf("ALTER TABLE %s ATTACH PARTITION %s DEFAULT", qname, chosen->relation));
	return chosen->run_id;
}

void
materialize_step(const StepDef *s, Oid owner, int64 run_id, bool full_refresh, StepCounts *c, List **results,
				 MemoryContext result_cxt)
{
	const StepOptions *o = step_options(s);

	switch (o->materialization)
	{
		case MATERIALIZATION_TABLE:
			versioned_table_step(s, owner, run_id, c, results, result_cxt);
			break;
		case MATERIALIZATION_VIEW:
			view_step(s, owner, run_id, c, results, result_cxt);
			break;
		case MATERIALIZATION_INCREMENTAL:
			merge_step(s, &incremental_kind, owner, run_id, full_refresh, c, results, result_cxt);
			break;
		case MATERIALIZATION_SCD2:
			merge_step(s, &scd2_kind, owner, run_id, full_refresh, c, results, result_cxt);
			break;
		default:
			elog(ERROR, "dataops: unknown materialization \"%s\"", o->materialization_name);
	}
}
