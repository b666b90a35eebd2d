/*
 * sink.c: the DestReceiver a step's checked query runs into (see sink.h).
 *
 * Rows are buffered and written MULTI_INSERT_ROWS at a time with
 * table_multi_insert, as COPY FROM does, after the checks
 * ExecSimpleRelationInsert makes (generated columns, constraints); then
 * their index entries are made and AFTER ROW triggers fire, as INSERT does.
 * A table with BEFORE ROW insert triggers is written row by row with
 * ExecSimpleRelationInsert (the single-row insert of logical replication's
 * apply worker), since a trigger may change or skip each row.  Statement
 * triggers fire once per relation, around the query.
 *
 * These inserts go to the local heap, under the executor's feet: a Citus
 * table's rows would land in its coordinator shell and never reach its
 * shards, so Citus tables are refused (target.h).  Triggers fire with the
 * pipeline owner's rights, so only relations that role owns are written.
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/executor.h"
#include "executor/nodeModifyTable.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_coerce.h"
#include "parser/parse_relation.h"
#include "parser/parsetree.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/typcache.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/portal.h"
#include "utils/varlena.h"

#include "compat.h"
#include "dataops.h"
#include "expect.h"
#include "target.h"
#include "sink.h"

/* Where an attribute of a written relation takes its value from. */
#define FROM_NULL		(-1)	/* a dropped attribute */
#define FROM_EXTRA1		(-2)	/* _run_id / _check_run_id */
#define FROM_EXTRA2		(-3)	/* _failed_expectations / _expectation */

/* Rows buffered for one table_multi_insert call, as COPY FROM does. */
#define MULTI_INSERT_ROWS 1000

typedef struct SinkTable
{
	Relation	rel;
	ResultRelInfo *rri;
	TupleTableSlot *slot;
	int		   *from;			/* per attribute: query column (0-based) or FROM_* */
	bool		multi;			/* buffered multi-row inserts (no BEFORE ROW triggers) */
	BulkInsertState bistate;
	TupleTableSlot **buffer;	/* MULTI_INSERT_ROWS materialized slots */
	int			nbuffered;
	int			insert_options; /* table_multi_insert's: TABLE_INSERT_FROZEN or 0 */
} SinkTable;

/* One column of the unique key, for sink_dedup_sorted. */
typedef struct SinkKey
{
	int			att;			/* 0-based result column */
	FmgrInfo	eq;				/* the type's default equality, as DISTINCT ON's Unique uses */
	Oid			collation;
	bool		byval;
	int16		len;
	Datum		prev;			/* the value of the previous row (in key_cxt) */
	bool		prev_null;
} SinkKey;

/* A value and how often it was unexpected (partial_unexpected_counts). */
typedef struct ValueCount
{
	char	   *value;			/* hash key; the string lives in the sink's context */
	int64		count;
} ValueCount;

/* One row-level expectation, as the sink counts it. */
typedef struct SinkCheck
{
	int			index;			/* position in the expectation list, from 0 */
	const char *name;
	Datum		name_text;		/* the name as text, for quarantine and unexpected rows */
	bool		drop;
	bool		complete;
	int			flag_att;		/* 0-based result column of __dataops_u<k> */
	int			sample_att;		/* 0-based result column of __dataops_s<k>, or -1 */
	int			value_att;		/* or the checked column (0-based), cast to text here */
	CoercionPathType cast_path; /* how CAST(value AS text) converts it */
	FmgrInfo	cast_fn;		/* its function (FUNC: the cast; COERCEVIAIO: output) */
	int			cast_nargs;
	int			nkeys;			/* missing when all these columns are NULL */
	int		   *keys;
	int64		missing;
	int64		unexpected;
	int			nsample;
	char	   *sample[DATAOPS_SAMPLE_SIZE];	/* NULL entries are SQL NULLs */
	HTAB	   *counts;			/* SUMMARY and COMPLETE: value -> ValueCount */
	int64		null_count;		/* unexpected NULL values (not in counts) */
	bool		failed;			/* scratch: the current row failed it */
} SinkCheck;

typedef struct StepSink
{
	DestReceiver pub;
	MemoryContext cxt;			/* the sink's state */
	MemoryContext row_cxt;		/* reset after every row */
	List	   *exps;
	TupleDesc	desc;			/* the step's own columns */
	int64		run_id;
	EState	   *estate;
	SinkTable	target;
	SinkTable	quarantine;		/* rel NULL when none */
	SinkTable	unexpected;		/* rel NULL when none */
	int			live_att;		/* __dataops_live, or -1 when the query has none */
	bool		passthrough;	/* query rows are target rows: copied whole (see sink_startup) */
	int			nkeys;			/* sink_dedup_sorted: columns of the unique key, or 0 */
	SinkKey    *keys;
	bool		have_prev;		/* a row came before (keys[].prev hold its key) */
	MemoryContext key_cxt;		/* the previous row's key values */
	int			nchecks;
	SinkCheck  *checks;
	SinkCounts	counts;
	int			max_att;		/* sink_track_max's column, or -1 */
	FmgrInfo	max_cmp;
	Oid			max_collation;
	bool		max_byval;
	int16		max_len;
	bool		have_max;
	Datum		max;
} StepSink;

static bool sink_receive(TupleTableSlot *slot, DestReceiver *self);
static void sink_startup(DestReceiver *self, int operation, TupleDesc typeinfo);
static void sink_shutdown(DestReceiver *self);
static void sink_destroy(DestReceiver *self);
static void prepare_cast(SinkCheck *c, Form_pg_attribute att, MemoryContext cxt);

/* The 0-based result column named `name`, or -1. */
static int
optional_column(TupleDesc td, const char *name)
{
	int			i;

	for (i = 0; i < td->natts; i++)
		if (!TupleDescAttr(td, i)->attisdropped && strcmp(NameStr(TupleDescAttr(td, i)->attname), name) == 0)
			return i;
	return -1;
}

static int
result_column(TupleDesc td, const char *name)
{
	int			i = optional_column(td, name);

	if (i < 0)
		elog(ERROR, "dataops: column \"%s\" missing from a step's checked query", name);
	return i;
}

/* Opens a written relation and maps its attributes (columns of desc, then two extras of the given types). */
static void
open_table(StepSink *s, SinkTable *t, Oid owner, Oid relid, Index rti, Oid extra1, Oid extra2)
{
	TupleDesc	td;
	int			i;
	int			j = 0;
	AclResult	acl;

	/* the callers checked (and locked) it; the last guard before rows are written */
	target_require_owner(relid, "relation", owner, TARGET_PIPELINE_OWNER);
	t->rel = table_open(relid, RowExclusiveLock);
	td = RelationGetDescr(t->rel);
	if (t->rel->rd_rel->relkind != RELKIND_RELATION)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("\"%s\" is not a plain table", RelationGetRelationName(t->rel)),
				 errdetail("dataops writes a step's rows into ordinary tables only."),
				 errhint("Drop the relation; the next run creates the table.")));
	target_refuse_distributed(relid, "relation");
	acl = pg_class_aclcheck(relid, GetUserId(), ACL_INSERT);
	if (acl != ACLCHECK_OK)
		aclcheck_error(acl, OBJECT_TABLE, RelationGetRelationName(t->rel));
	if (check_enable_rls(relid, InvalidOid, false) == RLS_ENABLED)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("row-level security is enabled on \"%s\"", RelationGetRelationName(t->rel)),
				 errdetail("dataops does not apply row-level security policies when it publishes a step's rows."),
				 errhint("Disable row-level security on the table, or run the pipeline as its owner without FORCE ROW LEVEL SECURITY.")));
	if (t->rel->trigdesc && t->rel->trigdesc->trig_insert_new_table)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("\"%s\" has an insert trigger with a transition table", RelationGetRelationName(t->rel)),
				 errdetail("dataops publishes a step's rows without the executor's ModifyTable node and does not collect transition tables."),
				 errhint("Use a FOR EACH ROW trigger, or drop the REFERENCING clause.")));

	t->from = palloc(sizeof(int) * td->natts);
	for (i = 0; i < td->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(td, i);
		Oid			want;

		if (a->attisdropped)
		{
			t->from[i] = FROM_NULL;
			continue;
		}
		if (j < s->desc->natts)
			want = TupleDescAttr(s->desc, j)->atttypid;
		else
			want = j == s->desc->natts ? extra1 : extra2;
		if (j >= s->desc->natts + (OidIsValid(extra1) ? 2 : 0) || a->atttypid != want)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("columns of \"%s\" do not match the step's query", RelationGetRelationName(t->rel)),
					 errdetail("Column \"%s\" is of type %s where %s was expected.", NameStr(a->attname),
							   format_type_be(a->atttypid), OidIsValid(want) ? format_type_be(want) : "no column"),
					 errhint("Drop the table; the next run creates it again.")));
		t->from[i] = j < s->desc->natts ? j : (j == s->desc->natts ? FROM_EXTRA1 : FROM_EXTRA2);
		j++;
	}

	t->rri = makeNode(ResultRelInfo);
	InitResultRelInfo(t->rri, t->rel, rti, NULL, 0);
	s->estate->es_opened_result_relations = lappend(s->estate->es_opened_result_relations, t->rri);
	ExecOpenIndices(t->rri, false);
	t->slot = MakeSingleTupleTableSlot(td, &TTSOpsVirtual);

	/*
	 * COPY FROM's way: rows are buffered and written by table_multi_insert
	 * (one WAL record per page instead of one per row), then indexed and
	 * handed to AFTER ROW triggers.  BEFORE ROW triggers may change or skip
	 * a row, so a table that has them is written row by row.
	 */
	t->multi = !(t->rel->trigdesc && t->rel->trigdesc->trig_insert_before_row);
	if (t->multi)
	{
		int			k;

		t->bistate = GetBulkInsertState();
		t->buffer = palloc(sizeof(TupleTableSlot *) * MULTI_INSERT_ROWS);
		for (k = 0; k < MULTI_INSERT_ROWS; k++)
			t->buffer[k] = MakeSingleTupleTableSlot(td, &TTSOpsHeapTuple);
	}
}

/* Writes the buffered rows: one table_multi_insert, then their index entries and AFTER ROW triggers. */
static void
flush_table(StepSink *s, SinkTable *t)
{
	int			k;

	if (t->rel == NULL || !t->multi || t->nbuffered == 0)
		return;
	table_multi_insert(t->rel, t->buffer, t->nbuffered, s->estate->es_output_cid, t->insert_options, t->bistate);
	for (k = 0; k < t->nbuffered; k++)
	{
		List	   *recheck = NIL;

		if (t->rri->ri_NumIndices > 0)
#if PG_VERSION_NUM >= 160000
			/* 16 added onlySummarizing: false, every index (this is no HOT update) */
			recheck = ExecInsertIndexTuples(t->rri, t->buffer[k], s->estate, false, false, NULL, NIL, false);
#else
			recheck = ExecInsertIndexTuples(t->rri, t->buffer[k], s->estate, false, false, NULL, NIL);
#endif
		ExecARInsertTriggers(s->estate, t->rri, t->buffer[k], recheck, NULL);
		list_free(recheck);
		ExecClearTuple(t->buffer[k]);
		ResetPerTupleExprContext(s->estate);
	}
	t->nbuffered = 0;
}

static void
close_table(SinkTable *t)
{
	int			k;

	if (t->rel == NULL)
		return;
	if (t->multi)
	{
		for (k = 0; k < MULTI_INSERT_ROWS; k++)
			ExecDropSingleTupleTableSlot(t->buffer[k]);
		FreeBulkInsertState(t->bistate);
		table_finish_bulk_insert(t->rel, t->insert_options);
	}
	ExecCloseIndices(t->rri);
	ExecDropSingleTupleTableSlot(t->slot);
	table_close(t->rel, NoLock);
	t->rel = NULL;
}

/* Inserts the query row `in` (with the two extra values) into t. */
static void
insert_row(StepSink *s, SinkTable *t, TupleTableSlot *in, Datum extra1, Datum extra2, bool extra2_null)
{
	TupleTableSlot *out = t->slot;
	int			i;

	ExecClearTuple(out);
	for (i = 0; i < out->tts_tupleDescriptor->natts; i++)
	{
		int			from = t->from[i];

		if (from >= 0)
		{
			out->tts_values[i] = in->tts_values[from];
			out->tts_isnull[i] = in->tts_isnull[from];
		}
		else if (from == FROM_EXTRA1)
		{
			out->tts_values[i] = extra1;
			out->tts_isnull[i] = false;
		}
		else if (from == FROM_EXTRA2)
		{
			out->tts_values[i] = extra2;
			out->tts_isnull[i] = extra2_null;
		}
		else
		{
			out->tts_values[i] = (Datum) 0;
			out->tts_isnull[i] = true;
		}
	}
	ExecStoreVirtualTuple(out);
	if (!t->multi)
	{
		ExecSimpleRelationInsert(t->rri, s->estate, out);
		ResetPerTupleExprContext(s->estate);
		return;
	}
	/* what ExecSimpleRelationInsert checks before it writes, then buffer a copy */
	if (t->rel->rd_att->constr && t->rel->rd_att->constr->has_generated_stored)
		ExecComputeStoredGenerated(t->rri, s->estate, out, CMD_INSERT);
	if (t->rel->rd_att->constr)
		ExecConstraints(t->rri, out, s->estate);
	ExecCopySlot(t->buffer[t->nbuffered], out);
	ExecMaterializeSlot(t->buffer[t->nbuffered]);
	if (++t->nbuffered == MULTI_INSERT_ROWS)
		flush_table(s, t);
	ResetPerTupleExprContext(s->estate);
}

/* Inserts the query row `in`, shaped as t's rows (table_is_query_shaped), into t. */
static void
insert_whole_row(StepSink *s, SinkTable *t, TupleTableSlot *in)
{
	TupleTableSlot *out = t->buffer[t->nbuffered];

	ExecCopySlot(out, in);
	if (t->rel->rd_att->constr)
		ExecConstraints(t->rri, out, s->estate);
	if (++t->nbuffered == MULTI_INSERT_ROWS)
		flush_table(s, t);
	ResetPerTupleExprContext(s->estate);
}

static uint32
value_hash(const void *key, Size keysize)
{
	const char *v = *(char *const *) key;

	return hash_bytes((const unsigned char *) v, strlen(v));
}

static int
value_match(const void *a, const void *b, Size keysize)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

DestReceiver *
sink_create(List *exps, TupleDesc desc, Oid owner, Oid target, Oid quarantine, Oid unexpected, int64 run_id)
{
	StepSink   *s = palloc0(sizeof(StepSink));
	List	   *rtable = NIL;
#if PG_VERSION_NUM >= 160000
	List	   *perminfos = NIL;
#endif
	Oid			relids[3] = {target, quarantine, unexpected};
	int			i;
	ListCell   *lc;

	s->cxt = CurrentMemoryContext;
	s->row_cxt = AllocSetContextCreate(s->cxt, "dataops sink row", ALLOCSET_DEFAULT_SIZES);
	s->exps = exps;
	s->desc = desc;
	s->run_id = run_id;
	s->live_att = -1;
	s->max_att = -1;
	s->pub.receiveSlot = sink_receive;
	s->pub.rStartup = sink_startup;
	s->pub.rShutdown = sink_shutdown;
	s->pub.rDestroy = sink_destroy;
	s->pub.mydest = DestNone;

	/* an executor state for the inserts, as logical replication's apply worker builds one */
	s->estate = CreateExecutorState();
	for (i = 0; i < 3; i++)
	{
		RangeTblEntry *rte = makeNode(RangeTblEntry);

		rte->rtekind = RTE_RELATION;
		rte->relid = OidIsValid(relids[i]) ? relids[i] : target;
		rte->relkind = RELKIND_RELATION;
		rte->rellockmode = RowExclusiveLock;
#if PG_VERSION_NUM >= 160000
		/* 16 moved the permissions out of the range table entry */
		addRTEPermissionInfo(&perminfos, rte)->requiredPerms = ACL_INSERT;
#else
		rte->requiredPerms = ACL_INSERT;
#endif
		rtable = lappend(rtable, rte);
	}
#if PG_VERSION_NUM >= 180000
	/* 18: the range table entries not pruned away, all three here (1-based) */
	ExecInitRangeTable(s->estate, rtable, perminfos, bms_add_range(NULL, 1, 3));
#elif PG_VERSION_NUM >= 160000
	ExecInitRangeTable(s->estate, rtable, perminfos);
#else
	ExecInitRangeTable(s->estate, rtable);
#endif
	s->estate->es_output_cid = GetCurrentCommandId(true);
	open_table(s, &s->target, owner, target, 1, InvalidOid, InvalidOid);
	if (OidIsValid(quarantine))
		open_table(s, &s->quarantine, owner, quarantine, 2, INT8OID, TEXTARRAYOID);
	if (OidIsValid(unexpected))
		open_table(s, &s->unexpected, owner, unexpected, 3, INT8OID, TEXTOID);

	s->checks = palloc0(sizeof(SinkCheck) * Max(list_length(exps), 1));
	foreach(lc, exps)
	{
		ExpectationDef *e = lfirst(lc);
		SinkCheck  *c;
		const char *format;
		List	   *keys;
		ListCell   *k;

		if (!expect_is_row_level(e))
			continue;
		c = &s->checks[s->nchecks++];
		c->index = foreach_current_index(lc);
		c->name = e->name;
		c->name_text = CStringGetTextDatum(e->name);
		c->drop = strcmp(e->action, "drop") == 0;
		c->sample_att = -1;
		c->value_att = -1;
		if (e->column_name)
			prepare_cast(c, TupleDescAttr(desc, result_column(desc, e->column_name)), s->cxt);
		format = expect_result_format(e);
		c->complete = strcmp(format, "COMPLETE") == 0;
		keys = expect_missing_columns(e);
		c->keys = palloc(sizeof(int) * Max(list_length(keys), 1));
		foreach(k, keys)
			c->keys[c->nkeys++] = result_column(desc, lfirst(k));
		if (strcmp(format, "BASIC") != 0 && strcmp(format, "BOOLEAN_ONLY") != 0)
		{
			HASHCTL		ctl;

			ctl.keysize = sizeof(char *);
			ctl.entrysize = sizeof(ValueCount);
			ctl.hash = value_hash;
			ctl.match = value_match;
			ctl.hcxt = s->cxt;
			c->counts = hash_create("dataops unexpected values", 64, &ctl,
									HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
		}
	}
	return (DestReceiver *) s;
}

void
sink_track_max(DestReceiver *self, int att)
{
	StepSink   *s = (StepSink *) self;
	Form_pg_attribute a = TupleDescAttr(s->desc, att);
	TypeCacheEntry *tc = lookup_type_cache(a->atttypid, TYPECACHE_CMP_PROC_FINFO);

	if (!OidIsValid(tc->cmp_proc_finfo.fn_oid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("watermark column \"%s\" has type %s, which has no ordering",
						NameStr(a->attname), format_type_be(a->atttypid)),
				 errhint("Use a timestamp, a number or another column that only grows.")));
	fmgr_info_cxt(tc->cmp_proc_finfo.fn_oid, &s->max_cmp, s->cxt);
	s->max_collation = a->attcollation;
	s->max_byval = a->attbyval;
	s->max_len = a->attlen;
	s->max_att = att;
}

char *
sink_max_text(DestReceiver *self)
{
	StepSink   *s = (StepSink *) self;
	Oid			output;
	bool		varlena;

	if (!s->have_max)
		return NULL;
	getTypeOutputInfo(TupleDescAttr(s->desc, s->max_att)->atttypid, &output, &varlena);
	return OidOutputFunctionCall(output, s->max);
}

bool
sink_can_write(Oid relid)
{
	Relation	rel = table_open(relid, AccessShareLock);
	bool		ok;

	ok = rel->rd_rel->relkind == RELKIND_RELATION &&
		!(rel->trigdesc && rel->trigdesc->trig_insert_new_table) &&
		check_enable_rls(relid, InvalidOid, true) != RLS_ENABLED;
	table_close(rel, AccessShareLock);
	/* a Citus table's rows live in its shards: SQL only */
	return ok && !target_is_distributed(relid);
}

void
sink_dedup_sorted(DestReceiver *self, List *key_atts)
{
	StepSink   *s = (StepSink *) self;
	ListCell   *lc;

	s->keys = palloc0(sizeof(SinkKey) * Max(list_length(key_atts), 1));
	s->key_cxt = AllocSetContextCreate(s->cxt, "dataops sink key", ALLOCSET_SMALL_SIZES);
	foreach(lc, key_atts)
	{
		SinkKey    *k = &s->keys[s->nkeys++];
		Form_pg_attribute a = TupleDescAttr(s->desc, lfirst_int(lc));
		TypeCacheEntry *tc = lookup_type_cache(a->atttypid, TYPECACHE_EQ_OPR_FINFO);

		if (!OidIsValid(tc->eq_opr_finfo.fn_oid))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_FUNCTION),
					 errmsg("unique_key column \"%s\" has type %s, which has no default equality operator",
							NameStr(a->attname), format_type_be(a->atttypid)),
					 errhint("Use a key of a type with a btree operator class, or cast it in the step's query.")));
		k->att = lfirst_int(lc);
		fmgr_info_cxt(tc->eq_opr_finfo.fn_oid, &k->eq, s->cxt);
		k->collation = a->attcollation;
		k->byval = a->attbyval;
		k->len = a->attlen;
	}
}

void
sink_freeze_target(DestReceiver *self, List *read_relids)
{
	StepSink   *s = (StepSink *) self;
	Relation	rel = s->target.rel;

	/*
	 * COPY FREEZE's conditions (CopyFrom): the relation's storage is new in
	 * this subtransaction, so no other transaction can see it before commit
	 * and an abort takes the frozen rows with it, and nothing earlier in
	 * this transaction looks at it: no portal is open, and the checked
	 * query does not read the target.  Its own snapshot is registered,
	 * which is why COPY's "no prior registered snapshot" test cannot be
	 * used here; the query not reading the target takes its place.
	 */
	if (rel == NULL || !s->target.multi || rel->rd_rel->relkind != RELKIND_RELATION)
		return;
	if (rel->rd_createSubid != GetCurrentSubTransactionId() &&
		compat_rel_new_storage_subid(rel) != GetCurrentSubTransactionId())
		return;
	if (list_member_oid(read_relids, RelationGetRelid(rel)) || !ThereAreNoReadyPortals())
		return;
	s->target.insert_options = TABLE_INSERT_FROZEN;
}

/*
 * Whether the row in slot starts a new group of the unique key (it is the
 * one deduplication keeps); remembers its key for the next row.  NULLs
 * group together, as in ORDER BY and DISTINCT ON.
 */
static bool
first_of_group(StepSink *s, TupleTableSlot *slot)
{
	bool		same = s->have_prev;
	int			i;

	for (i = 0; i < s->nkeys && same; i++)
	{
		SinkKey    *k = &s->keys[i];
		bool		isnull;
		Datum		v = slot_getattr(slot, k->att + 1, &isnull);

		if (isnull || k->prev_null)
			same = isnull && k->prev_null;
		else
			same = DatumGetBool(FunctionCall2Coll(&k->eq, k->collation, v, k->prev));
	}
	if (same)
		return false;
	MemoryContextReset(s->key_cxt);
	for (i = 0; i < s->nkeys; i++)
	{
		SinkKey    *k = &s->keys[i];
		Datum		v = slot_getattr(slot, k->att + 1, &k->prev_null);

		if (!k->prev_null)
		{
			MemoryContext old = MemoryContextSwitchTo(s->key_cxt);

			k->prev = datumCopy(v, k->byval, k->len);
			MemoryContextSwitchTo(old);
		}
	}
	s->have_prev = true;
	return true;
}

bool
sink_parallel_ok(DestReceiver *self)
{
	StepSink   *s = (StepSink *) self;
	SinkTable  *tables[3] = {&s->target, &s->quarantine, &s->unexpected};
	int			i;

	for (i = 0; i < 3; i++)
		if (tables[i]->rel && !tables[i]->multi)
			return false;
	return true;
}

/* Whether t's attributes are the query's columns, in order, with nothing else to compute. */
static bool
table_is_query_shaped(SinkTable *t, TupleDesc desc)
{
	TupleDesc	td;
	int			i;

	if (t->rel == NULL || !t->multi)
		return false;
	td = RelationGetDescr(t->rel);
	if (td->natts != desc->natts || (td->constr && td->constr->has_generated_stored))
		return false;
	for (i = 0; i < td->natts; i++)
		if (t->from[i] != i)
			return false;
	return true;
}

static void
sink_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
	StepSink   *s = (StepSink *) self;
	SinkTable  *tables[3] = {&s->target, &s->quarantine, &s->unexpected};
	int			i;

	s->live_att = optional_column(typeinfo, DATAOPS_INTERNAL_PREFIX "live");

	/*
	 * When the query's rows are exactly the target's (no live column, no
	 * row-level expectation, the target's columns those of the query in
	 * order, none dropped or generated), each row is copied into
	 * the insert buffer whole, as COPY and CREATE TABLE AS hand theirs to
	 * the table: only the key and watermark columns are deformed, and no
	 * tuple is formed again from its values.
	 */
	s->passthrough = s->live_att < 0 && s->nchecks == 0 && typeinfo->natts == s->desc->natts &&
		table_is_query_shaped(&s->target, s->desc);
	for (i = 0; i < s->nchecks; i++)
	{
		SinkCheck  *c = &s->checks[i];

		c->flag_att = result_column(typeinfo, psprintf(DATAOPS_INTERNAL_PREFIX "u%d", c->index + 1));
		if (c->value_att < 0)
			c->sample_att = result_column(typeinfo, psprintf(DATAOPS_INTERNAL_PREFIX "s%d", c->index + 1));
	}
	AfterTriggerBeginQuery();
	for (i = 0; i < 3; i++)
		if (tables[i]->rel)
			ExecBSInsertTriggers(s->estate, tables[i]->rri);
}

/*
 * Prepares CAST(value AS text) of column att as the parser would resolve it
 * (find_coercion_pathway): a binary-compatible relabeling (varchar), a cast
 * function (boolean gives true/false, bpchar is trimmed), or the type's
 * output function.
 */
static void
prepare_cast(SinkCheck *c, Form_pg_attribute att, MemoryContext cxt)
{
	Oid			funcid = InvalidOid;
	Oid			output;
	bool		varlena;

	c->value_att = att->attnum - 1;
	c->cast_path = find_coercion_pathway(TEXTOID, att->atttypid, COERCION_EXPLICIT, &funcid);
	switch (c->cast_path)
	{
		case COERCION_PATH_RELABELTYPE:
			break;
		case COERCION_PATH_FUNC:
			fmgr_info_cxt(funcid, &c->cast_fn, cxt);
			c->cast_nargs = get_func_nargs(funcid);
			break;
		default:
			c->cast_path = COERCION_PATH_COERCEVIAIO;
			getTypeOutputInfo(att->atttypid, &output, &varlena);
			fmgr_info_cxt(output, &c->cast_fn, cxt);
			break;
	}
}

/* The text an unexpected row reports (NULL for SQL NULL), in the current memory context. */
static char *
sample_text(SinkCheck *c, TupleTableSlot *slot)
{
	Datum		d;

	if (c->value_att < 0)
		return slot->tts_isnull[c->sample_att] ? NULL : TextDatumGetCString(slot->tts_values[c->sample_att]);
	if (slot->tts_isnull[c->value_att])
		return NULL;
	d = slot->tts_values[c->value_att];
	switch (c->cast_path)
	{
		case COERCION_PATH_RELABELTYPE:
			return TextDatumGetCString(d);
		case COERCION_PATH_FUNC:
			if (c->cast_nargs == 3)
				return TextDatumGetCString(FunctionCall3(&c->cast_fn, d, Int32GetDatum(-1), BoolGetDatum(true)));
			return TextDatumGetCString(FunctionCall1(&c->cast_fn, d));
		default:
			return OutputFunctionCall(&c->cast_fn, d);
	}
}

/* Remembers an unexpected value: the first DATAOPS_SAMPLE_SIZE, and its count. */
static void
note_unexpected(StepSink *s, SinkCheck *c, TupleTableSlot *slot)
{
	char	   *v;

	if (c->nsample >= DATAOPS_SAMPLE_SIZE && c->counts == NULL)
		return;					/* BASIC, samples taken: nothing more to keep */
	v = sample_text(c, slot);
	if (c->nsample < DATAOPS_SAMPLE_SIZE)
		c->sample[c->nsample++] = v ? MemoryContextStrdup(s->cxt, v) : NULL;
	if (c->counts == NULL)
		return;
	if (v == NULL)
		c->null_count++;
	else
	{
		bool		found;
		ValueCount *vc = hash_search(c->counts, &v, HASH_ENTER, &found);

		if (!found)
		{
			vc->value = MemoryContextStrdup(s->cxt, v);
			vc->count = 0;
		}
		vc->count++;
	}
}

static bool
sink_receive(TupleTableSlot *slot, DestReceiver *self)
{
	StepSink   *s = (StepSink *) self;
	MemoryContext old;
	bool		dropped = false;
	int			nfailed = 0;
	int			i;

	if (!s->passthrough)
		slot_getallattrs(slot);
	s->counts.rows_read++;
	if (s->max_att >= 0 && !(slot_attisnull(slot, s->max_att + 1)))
	{
		Datum		v = slot->tts_values[s->max_att];

		if (!s->have_max ||
			DatumGetInt32(FunctionCall2Coll(&s->max_cmp, s->max_collation, v, s->max)) > 0)
		{
			MemoryContext saved = MemoryContextSwitchTo(s->cxt);

			if (s->have_max && !s->max_byval)
				pfree(DatumGetPointer(s->max));
			s->max = datumCopy(v, s->max_byval, s->max_len);
			s->have_max = true;
			MemoryContextSwitchTo(saved);
		}
	}
	if ((s->live_att >= 0 &&
		 (slot->tts_isnull[s->live_att] || !DatumGetBool(slot->tts_values[s->live_att]))) ||
		(s->nkeys > 0 && !first_of_group(s, slot)))
	{
		s->counts.duplicates++;
		return true;
	}
	if (s->passthrough)
	{
		insert_whole_row(s, &s->target, slot);
		s->counts.published++;
		return true;
	}

	old = MemoryContextSwitchTo(s->row_cxt);
	for (i = 0; i < s->nchecks; i++)
	{
		SinkCheck  *c = &s->checks[i];
		int			k;

		if (c->nkeys > 0)
		{
			for (k = 0; k < c->nkeys && slot->tts_isnull[c->keys[k]]; k++)
				;
			if (k == c->nkeys)
				c->missing++;
		}
		c->failed = !slot->tts_isnull[c->flag_att] && DatumGetBool(slot->tts_values[c->flag_att]);
		if (!c->failed)
			continue;
		c->unexpected++;
		nfailed++;
		dropped |= c->drop;
		note_unexpected(s, c, slot);
	}

	if (!dropped)
	{
		insert_row(s, &s->target, slot, (Datum) 0, (Datum) 0, true);
		s->counts.published++;
	}
	else
	{
		/* every expectation the row failed, warn ones included */
		Datum	   *names = palloc(sizeof(Datum) * nfailed);
		int			n = 0;

		for (i = 0; i < s->nchecks; i++)
			if (s->checks[i].failed)
				names[n++] = s->checks[i].name_text;
		insert_row(s, &s->quarantine, slot, Int64GetDatum(s->run_id),
				   PointerGetDatum(construct_array(names, n, TEXTOID, -1, false, TYPALIGN_INT)), false);
		s->counts.quarantined++;
	}
	if (s->unexpected.rel)
		for (i = 0; i < s->nchecks; i++)
			if (s->checks[i].failed && s->checks[i].complete)
				insert_row(s, &s->unexpected, slot, Int64GetDatum(s->run_id),
						   s->checks[i].name_text, false);

	MemoryContextSwitchTo(old);
	MemoryContextReset(s->row_cxt);
	return true;
}

static void
sink_shutdown(DestReceiver *self)
{
	StepSink   *s = (StepSink *) self;
	SinkTable  *tables[3] = {&s->target, &s->quarantine, &s->unexpected};
	int			i;

	for (i = 0; i < 3; i++)
		flush_table(s, tables[i]);
	for (i = 0; i < 3; i++)
		if (tables[i]->rel)
			ExecASInsertTriggers(s->estate, tables[i]->rri, NULL);
	AfterTriggerEndQuery(s->estate);
}

static void
sink_destroy(DestReceiver *self)
{
}

/* Orders value counts as SQL's ORDER BY count DESC, value (the database's collation). */
static int
value_count_cmp(const void *a, const void *b)
{
	const ValueCount *x = *(ValueCount *const *) a;
	const ValueCount *y = *(ValueCount *const *) b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (x->value == NULL || y->value == NULL)
		return (x->value == NULL) - (y->value == NULL);
	return varstr_cmp(x->value, strlen(x->value), y->value, strlen(y->value), DEFAULT_COLLATION_OID);
}

/* [{"value": v, "count": n}, ...] of the DATAOPS_SAMPLE_SIZE most frequent unexpected values. */
static Jsonb *
top_counts(SinkCheck *c)
{
	long		n = hash_get_num_entries(c->counts) + (c->null_count > 0 ? 1 : 0);
	ValueCount **all = palloc(sizeof(ValueCount *) * Max(n, 1));
	ValueCount	nulls = {NULL, c->null_count};
	HASH_SEQ_STATUS seq;
	ValueCount *vc;
	JsonbParseState *ps = NULL;
	long		i = 0;

	hash_seq_init(&seq, c->counts);
	while ((vc = hash_seq_search(&seq)) != NULL)
		all[i++] = vc;
	if (c->null_count > 0)
		all[i++] = &nulls;
	qsort(all, n, sizeof(ValueCount *), value_count_cmp);

	(void) pushJsonbValue(&ps, WJB_BEGIN_ARRAY, NULL);
	for (i = 0; i < n && i < DATAOPS_SAMPLE_SIZE; i++)
	{
		JsonbValue	k;
		JsonbValue	v;

		(void) pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
		k.type = jbvString;
		k.val.string.val = "value";
		k.val.string.len = 5;
		(void) pushJsonbValue(&ps, WJB_KEY, &k);
		if (all[i]->value == NULL)
			v.type = jbvNull;
		else
		{
			v.type = jbvString;
			v.val.string.val = all[i]->value;
			v.val.string.len = strlen(all[i]->value);
		}
		(void) pushJsonbValue(&ps, WJB_VALUE, &v);
		k.val.string.val = "count";
		(void) pushJsonbValue(&ps, WJB_KEY, &k);
		v.type = jbvNumeric;
		v.val.numeric = int64_to_numeric(all[i]->count);
		(void) pushJsonbValue(&ps, WJB_VALUE, &v);
		(void) pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	}
	return JsonbValueToJsonb(pushJsonbValue(&ps, WJB_END_ARRAY, NULL));
}

ExpectationResult *
sink_finish(DestReceiver *self, SinkCounts *counts, MemoryContext result_cxt)
{
	StepSink   *s = (StepSink *) self;
	ExpectationResult *out;
	MemoryContext old;
	int			i;

	close_table(&s->target);
	close_table(&s->quarantine);
	close_table(&s->unexpected);
	FreeExecutorState(s->estate);
	s->estate = NULL;
	*counts = s->counts;

	old = MemoryContextSwitchTo(result_cxt);
	out = palloc0(sizeof(ExpectationResult) * Max(list_length(s->exps), 1));
	for (i = 0; i < s->nchecks; i++)
	{
		SinkCheck  *c = &s->checks[i];
		ExpectationResult *r = &out[c->index];

		r->missing_count = c->missing;
		r->unexpected_count = c->unexpected;
		r->partial_unexpected_list = expect_sample_jsonb(c->sample, c->nsample);
		if (c->counts)
			r->partial_unexpected_counts = top_counts(c);
	}
	MemoryContextSwitchTo(old);
	return out;
}
