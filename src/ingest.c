/*
 * ingest.c: bronze steps that read CSV files.
 *
 * Files are loaded with PostgreSQL's COPY (DoCopy, the same code as the SQL
 * command, with its privilege checks).  _source_file and _run_id are filled
 * by column defaults that read two internal GUCs set for the duration of
 * each COPY, so rows stream straight into the target with no second pass.
 * A table the step created (in its subtransaction, so no one else sees
 * it) gets constant defaults for the duration of each COPY, evaluated once
 * where the GUCs are read three times per row, set back before the step
 * ends.  It is not loaded with COPY FREEZE: on PostgreSQL 15 that was
 * slower than a plain COPY (it marks every page all-visible as it goes),
 * and the next step's first scan setting hint bits cost less than that.
 *
 * Privileges come first: before anything touches the file system (listing
 * the source's directories, stat, hashing, reading the header, COPY), the
 * pipeline's owner and the current role must have the privileges of
 * pg_read_server_files, as COPY FROM a file requires; otherwise the step
 * fails with the same error whatever the source names, so a role without
 * that privilege learns nothing about the server's files.  The source's
 * wildcards are expanded by a walk of our own (not glob(3)): one directory
 * level per pattern component, interruptible, and capped in directory
 * entries read and paths matched.
 */
#include "postgres.h"

#include <fnmatch.h>
#include <sys/stat.h>

#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid_d.h"
#include "commands/copy.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_node.h"
#include "tcop/utility.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "citus.h"
#include "dataops.h"
#include "filehash.h"
#include "options.h"
#include "ingest.h"

#define HEADER_MAX (1024 * 1024)

/* Caps on expanding a source's wildcards (one step, one run). */
#define SOURCE_MAX_PATHS 10000		/* paths matched, at any level */
#define SOURCE_MAX_ENTRIES 100000	/* directory entries read */

/* Columns every bronze table has besides the file's. */
static const char *const bookkeeping_columns[] = {"_source_file", "_ingested_at", "_run_id"};

char *
ingest_normalize_name(const char *name)
{
	StringInfoData s;
	int			len = strlen(name);
	int			i;

	initStringInfo(&s);
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) name[i];

		if (isupper(c))
		{
			/* word boundary inside CamelCase: aB -> a_b, ABc -> a_bc */
			if (i > 0 && s.len > 0 && s.data[s.len - 1] != '_' &&
				(islower((unsigned char) name[i - 1]) || isdigit((unsigned char) name[i - 1]) ||
				 (isupper((unsigned char) name[i - 1]) && i + 1 < len && islower((unsigned char) name[i + 1]))))
				appendStringInfoChar(&s, '_');
			appendStringInfoChar(&s, (char) tolower(c));
		}
		else if (isalnum(c) || c >= 0x80)
			appendStringInfoChar(&s, (char) c);
		else if (s.len > 0 && s.data[s.len - 1] != '_')
			appendStringInfoChar(&s, '_');
	}
	while (s.len > 0 && s.data[s.len - 1] == '_')
		s.data[--s.len] = '\0';
	return s.data;
}

void
ingest_check_read_privilege(Oid owner, const char *pipeline, const char *step)
{
	if (OidIsValid(owner) &&
		has_privs_of_role(owner, ROLE_PG_READ_SERVER_FILES) &&
		has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to read server files for step \"%s\" of pipeline \"%s\"",
					step, pipeline),
			 errdetail("A step with a source reads files on the server as the pipeline's owner, which needs the privileges of the role pg_read_server_files."),
			 errhint("Ask a superuser to GRANT pg_read_server_files to the pipeline's owner, or load the data with a step that has a query.")));
}

/* True when a pattern component has an unescaped *, ? or [ (as glob(3)). */
static bool
has_wildcard(const char *comp)
{
	const char *c;

	for (c = comp; *c; c++)
	{
		if (*c == '\\' && c[1] != '\0')
			c++;
		else if (*c == '*' || *c == '?' || *c == '[')
			return true;
	}
	return false;
}

/* A component without wildcards, backslash escapes removed. */
static char *
unescape_component(const char *comp)
{
	StringInfoData s;
	const char *c;

	initStringInfo(&s);
	for (c = comp; *c; c++)
	{
		if (*c == '\\' && c[1] != '\0')
			c++;
		appendStringInfoChar(&s, *c);
	}
	return s.data;
}

static char *
join_path(const char *dir, const char *name)
{
	return strcmp(dir, "/") == 0 ? psprintf("/%s", name) : psprintf("%s/%s", dir, name);
}

static int
compare_paths(const ListCell *a, const ListCell *b)
{
	return strcmp((const char *) lfirst(a), (const char *) lfirst(b));
}

/* State of one source's expansion: for the caps and their errors. */
typedef struct SourceWalk
{
	const StepDef *step;
	int			entries;		/* directory entries read so far */
} SourceWalk;

static void
too_many_paths(const SourceWalk *w)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("source of step \"%s\" matches more than %d paths", w->step->name, SOURCE_MAX_PATHS),
			 errhint("Narrow the source (fewer wildcards, a more specific directory), or split the files over several steps.")));
}

/*
 * Appends to *out the entries of directory `dir` whose names match the
 * pattern component `pat` (fnmatch with FNM_PERIOD: a leading dot must be
 * matched explicitly; "." and ".." never match).  When more components
 * follow (`last` false), entries that cannot be directories are left out.
 * A directory that does not exist or is not one adds nothing; any other
 * error raises.  Counts every entry read against SOURCE_MAX_ENTRIES.
 */
static void
match_in_directory(SourceWalk *w, const char *dir, const char *pat, bool last, List **out)
{
	DIR		   *d = AllocateDir(dir);
	struct dirent *de;

	if (d == NULL)
	{
		if (errno == ENOENT || errno == ENOTDIR)
			return;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open directory \"%s\" of the source of step \"%s\": %m",
						dir, w->step->name)));
	}
	while ((de = ReadDirExtended(d, dir, ERROR)) != NULL)
	{
		CHECK_FOR_INTERRUPTS();
		if (++w->entries > SOURCE_MAX_ENTRIES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("listing the source of step \"%s\" read more than %d directory entries",
							w->step->name, SOURCE_MAX_ENTRIES),
					 errhint("Narrow the source (fewer wildcards, a more specific directory), or split the files over several steps.")));
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fnmatch(pat, de->d_name, FNM_PERIOD) != 0)
			continue;
		if (!last && de->d_type != DT_DIR && de->d_type != DT_LNK && de->d_type != DT_UNKNOWN)
			continue;
		*out = lappend(*out, join_path(dir, de->d_name));
		if (list_length(*out) > SOURCE_MAX_PATHS)
			too_many_paths(w);
	}
	FreeDir(d);
}

/*
 * The paths the step's source names, sorted (byte order): the source itself
 * when it has no wildcards, else its expansion as glob(3) would give it
 * (*, ?, [...] and backslash escapes in each component; a leading dot
 * matched explicitly), one directory level per component.  Directories are
 * read only for components with wildcards; the walk never goes deeper than
 * the pattern's components, so symbolic links cannot make it loop.  Paths
 * are not checked to exist or be regular files here.  Raises 54000
 * (program_limit_exceeded) past SOURCE_MAX_PATHS paths at any level or
 * SOURCE_MAX_ENTRIES directory entries read.  The caller has checked
 * privileges (ingest_check_read_privilege).
 */
static List *
expand_source(const StepDef *s)
{
	SourceWalk	w = {s, 0};
	List	   *paths = list_make1(pstrdup("/"));
	char	   *copy = pstrdup(s->source);
	char	   *comp;
	char	   *next;
	char	   *saveptr = NULL;

	comp = strtok_r(copy, "/", &saveptr);
	while (comp != NULL)
	{
		List	   *out = NIL;
		ListCell   *lc;

		next = strtok_r(NULL, "/", &saveptr);
		if (!has_wildcard(comp))
		{
			char	   *name = unescape_component(comp);

			foreach(lc, paths)
				out = lappend(out, join_path(lfirst(lc), name));
		}
		else
		{
			foreach(lc, paths)
			{
				CHECK_FOR_INTERRUPTS();
				match_in_directory(&w, lfirst(lc), comp, next == NULL, &out);
				if (list_length(out) > SOURCE_MAX_PATHS)
					too_many_paths(&w);
			}
		}
		list_free_deep(paths);
		paths = out;
		comp = next;
	}
	list_sort(paths, compare_paths);
	return paths;
}

/* Splits the first record of a file into fields, honouring quotes. */
static List *
read_first_record(const char *path, const CsvOptions *o)
{
	FILE	   *f = AllocateFile(path, "rb");
	char	   *buf;
	size_t		n;
	size_t		i;
	bool		inq = false;
	List	   *fields = NIL;
	StringInfoData field;
	char	   *converted;
	size_t		start = 0;

	if (f == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\" for reading: %m", path)));
	buf = palloc(HEADER_MAX + 1);
	n = fread(buf, 1, HEADER_MAX, f);
	FreeFile(f);
	buf[n] = '\0';
	if (n >= 3 && (unsigned char) buf[0] == 0xEF && (unsigned char) buf[1] == 0xBB && (unsigned char) buf[2] == 0xBF)
		start = 3;				/* UTF-8 byte-order mark */
	for (i = start; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (buf[i] == o->quote)
			inq = !inq;
		else if (!inq && (buf[i] == '\n' || buf[i] == '\r'))
			break;
	}
	if (i == start && n == start)
		ereport(ERROR,
				(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
				 errmsg("file \"%s\" is empty", path)));
	/*
	 * The first record alone, NUL-terminated (a NUL byte in it is invalid in
	 * every encoding), converted to the server encoding and validated there:
	 * pg_do_encoding_conversion returns its input unchanged, unvalidated, when
	 * the encodings are the same or either is SQL_ASCII.
	 */
	if (memchr(buf + start, '\0', i - start) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("file \"%s\": the header contains a NUL byte", path),
				 errhint("The file is not a text CSV file, or it is in an encoding such as UTF-16; save it as UTF-8 (or set options.encoding).")));
	converted = pnstrdup(buf + start, i - start);
	if (o->encoding)
		converted = (char *) pg_do_encoding_conversion((unsigned char *) converted, strlen(converted),
													   pg_char_to_encoding(o->encoding),
													   GetDatabaseEncoding());
	(void) pg_verifymbstr(converted, strlen(converted), false);

	initStringInfo(&field);
	inq = false;
	for (i = 0;; i++)
	{
		char		c = converted[i];

		CHECK_FOR_INTERRUPTS();
		if (c == '\0' || (!inq && c == o->delimiter))
		{
			fields = lappend(fields, pstrdup(field.data));
			resetStringInfo(&field);
			if (c == '\0')
				break;
		}
		else if (c == o->quote)
		{
			if (inq && converted[i + 1] == o->quote)
			{
				appendStringInfoChar(&field, c);
				i++;
			}
			else
				inq = !inq;
		}
		else
			appendStringInfoChar(&field, c);
	}
	return fields;
}

/* An entry of the set of a file's column names (file_columns). */
typedef struct HeaderName
{
	char		name[NAMEDATALEN];	/* hash key */
	int			next_suffix;	/* the next suffix to try for a repeat of this name */
} HeaderName;

/* base_<suffix>, base clipped (at a character boundary) to fit NAMEDATALEN. */
static char *
suffixed_name(const char *base, int suffix)
{
	char		sfx[16];
	int			len = strlen(base);
	int			room;

	snprintf(sfx, sizeof(sfx), "_%d", suffix);
	room = NAMEDATALEN - 1 - strlen(sfx);
	if (len > room)
		len = pg_mbcliplen(base, len, room);
	return psprintf("%.*s%s", len, base, sfx);
}

/*
 * Column names for a file: the normalized header, or column_1..N.  Empty
 * names become column_N; a repeated name gets the first free suffix _2,
 * _3, ... (a hash set of the names taken, and per name the next suffix to
 * try, keep this linear in the number of columns).  Raises 54011
 * (too_many_columns) for more columns than a bronze table can hold, and
 * 42701 (duplicate_column) for a name that is one of the bookkeeping
 * columns (_source_file, _ingested_at, _run_id).
 */
static List *
file_columns(const char *path, const CsvOptions *o)
{
	List	   *fields = read_first_record(path, o);
	List	   *names = NIL;
	ListCell   *lc;
	int			i = 0;
	int			max_columns = MaxHeapAttributeNumber - lengthof(bookkeeping_columns);
	HASHCTL		ctl;
	HTAB	   *taken;

	if (list_length(fields) > max_columns)
		ereport(ERROR,
				(errcode(ERRCODE_TOO_MANY_COLUMNS),
				 errmsg("file \"%s\" has %d columns, more than a bronze table can hold",
						path, list_length(fields)),
				 errdetail("A bronze table holds at most %d columns of a file, besides _source_file, _ingested_at and _run_id.",
						   max_columns),
				 errhint("Split the file's columns over several files.")));

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = NAMEDATALEN;
	ctl.entrysize = sizeof(HeaderName);
	ctl.hcxt = CurrentMemoryContext;
	taken = hash_create("dataops header names", Max(list_length(fields), 16), &ctl,
						HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);

	foreach(lc, fields)
	{
		char	   *name = lfirst(lc);
		HeaderName *entry;
		bool		found;
		int			b;

		CHECK_FOR_INTERRUPTS();
		i++;
		if (!o->header)
			name = psprintf("column_%d", i);
		else if (o->normalize)
			name = ingest_normalize_name(name);
		if (name[0] == '\0')
			name = psprintf("column_%d", i);
		if (strlen(name) >= NAMEDATALEN)
			name[pg_mbcliplen(name, strlen(name), NAMEDATALEN - 5)] = '\0';

		entry = hash_search(taken, name, HASH_FIND, NULL);
		if (entry != NULL)
		{
			/* a repeat: the first suffix not taken, from where the last repeat stopped */
			int			suffix = entry->next_suffix;
			char	   *candidate;

			for (;;)
			{
				CHECK_FOR_INTERRUPTS();
				candidate = suffixed_name(name, suffix);
				if (hash_search(taken, candidate, HASH_FIND, NULL) == NULL)
					break;
				suffix++;
			}
			entry->next_suffix = suffix + 1;
			name = candidate;
		}
		for (b = 0; b < lengthof(bookkeeping_columns); b++)
			if (strcmp(name, bookkeeping_columns[b]) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_COLUMN),
						 errmsg("column %d of file \"%s\" is named \"%s\", a column dataops adds to every bronze table",
								i, path, name),
						 errdetail("_source_file, _ingested_at and _run_id record where and when each row was loaded."),
						 errhint("Rename the column in the file's header, or set the step's option normalize_names to true (it drops leading underscores).")));
		entry = hash_search(taken, name, HASH_ENTER, &found);
		entry->next_suffix = 2;
		names = lappend(names, makeString(name));
	}
	hash_destroy(taken);
	return names;
}

/*
 * The defaults of _source_file and _run_id outside a constant-default load.
 * No NULLIF: it would resolve its = on the step's search_path, and the
 * default runs on every insert, with the inserting role's rights.
 */
#define SOURCE_FILE_DEFAULT "pg_catalog.current_setting('dataops.source_file', true)"
#define RUN_ID_DEFAULT "CASE WHEN pg_catalog.current_setting('dataops.run_id', true) OPERATOR(pg_catalog.=) '' " \
	"THEN NULL ELSE CAST(pg_catalog.current_setting('dataops.run_id', true) AS bigint) END"

/* Creates the target, or adds the columns it lacks. */
static void
ensure_bronze_table(const StepDef *s, List *columns)
{
	const char *qname = dataops_qualified_name(s->target_schema, s->target_table);
	Oid			relid = dataops_relation_oid(s->target_schema, s->target_table);
	StringInfoData sql;
	ListCell   *lc;

	initStringInfo(&sql);
	if (!OidIsValid(relid))
	{
		dataops_ensure_schema(s->target_schema);
		appendStringInfo(&sql, "CREATE TABLE %s (", qname);
		foreach(lc, columns)
			appendStringInfo(&sql, "%s pg_catalog.text, ", quote_identifier(strVal(lfirst(lc))));
		/* qualified: the defaults are bound under the step's search_path, and run on every row */
		appendStringInfo(&sql, "_source_file pg_catalog.text DEFAULT %s, "
						 "_ingested_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(), "
						 "_run_id bigint DEFAULT %s)", SOURCE_FILE_DEFAULT, RUN_ID_DEFAULT);
		dataops_exec_sql(sql.data);
		resetStringInfo(&sql);
		appendStringInfo(&sql, "COMMENT ON TABLE %s IS %s", qname,
						 quote_literal_cstr(psprintf("bronze table of step \"%s\" of pipeline \"%s\", loaded by dataops from %s",
													 s->name, s->pipeline, s->source)));
		dataops_exec_sql(sql.data);
		/* options distribution_column / reference: a Citus table from the start (issue 15) */
		citus_distribute(qname, step_options(s)->reference, step_options(s)->distribution_column,
						 step_options(s)->colocate_with);
		return;
	}
	foreach(lc, columns)
	{
		char	   *col = strVal(lfirst(lc));

		if (get_attnum(relid, col) == InvalidAttrNumber)
		{
			resetStringInfo(&sql);
			appendStringInfo(&sql, "ALTER TABLE %s ADD COLUMN %s pg_catalog.text", qname, quote_identifier(col));
			dataops_exec_sql(sql.data);
		}
	}
}

/*
 * For a table this step created (in this subtransaction, so no one else
 * sees it before commit and an abort undoes this): sets the defaults of
 * _source_file and _run_id to the file and the run as constants, or with
 * path NULL back to the GUC-reading ones.  Returns whether it did.
 */
static bool
set_load_defaults(const StepDef *s, const char *path, int64 run_id)
{
	Oid			relid = dataops_relation_oid(s->target_schema, s->target_table);
	Relation	rel;
	bool		created;

	if (!OidIsValid(relid))
		return false;
	/* a lock we hold already, since we created it; no stronger one otherwise */
	rel = relation_open(relid, AccessShareLock);
	created = rel->rd_createSubid == GetCurrentSubTransactionId() &&
		get_attnum(relid, "_source_file") != InvalidAttrNumber &&
		get_attnum(relid, "_run_id") != InvalidAttrNumber;
	relation_close(rel, AccessShareLock);
	if (!created)
		return false;
	dataops_exec_sql(psprintf("ALTER TABLE %s ALTER COLUMN _source_file SET DEFAULT %s, "
							  "ALTER COLUMN _run_id SET DEFAULT %s",
							  dataops_qualified_name(s->target_schema, s->target_table),
							  path ? quote_literal_cstr(path) : SOURCE_FILE_DEFAULT,
							  path ? psprintf("CAST(" INT64_FORMAT " AS pg_catalog.int8)", run_id) : RUN_ID_DEFAULT));
	return true;
}

static void
set_guc(const char *name, const char *value)
{
	(void) set_config_option(name, value, PGC_USERSET, PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0, false);
}

/* COPY one file into the target (citus: a Citus table); returns rows loaded. */
static uint64
copy_file(const StepDef *s, const char *path, List *columns, const CsvOptions *o, bool citus)
{
	CopyStmt   *stmt = makeNode(CopyStmt);
	ParseState *pstate = make_parsestate(NULL);
	uint64		processed = 0;
	MemoryContext oldcxt = CurrentMemoryContext;

	stmt->relation = makeRangeVar(s->target_schema, s->target_table, -1);
	stmt->attlist = columns;
	stmt->is_from = true;
	stmt->is_program = false;
	stmt->filename = (char *) path;
	stmt->options = list_make1(makeDefElem("format", (Node *) makeString("csv"), -1));
	stmt->options = lappend(stmt->options, makeDefElem("header", (Node *) makeString(o->header ? "true" : "false"), -1));
	stmt->options = lappend(stmt->options, makeDefElem("delimiter", (Node *) makeString(pnstrdup(&o->delimiter, 1)), -1));
	stmt->options = lappend(stmt->options, makeDefElem("quote", (Node *) makeString(pnstrdup(&o->quote, 1)), -1));
	if (o->escape)
		stmt->options = lappend(stmt->options, makeDefElem("escape", (Node *) makeString(o->escape), -1));
	if (o->null)
		stmt->options = lappend(stmt->options, makeDefElem("null", (Node *) makeString(o->null), -1));
	if (o->encoding)
		stmt->options = lappend(stmt->options, makeDefElem("encoding", (Node *) makeString(o->encoding), -1));
	pstate->p_sourcetext = "COPY";

	PG_TRY();
	{
		if (citus)
		{
			/*
			 * A Citus table: the COPY statement through the utility hooks,
			 * where Citus routes each row to its shard (DoCopy would fill the
			 * coordinator's empty shell).  PostgreSQL checks the same file
			 * privilege there.
			 */
			PlannedStmt *pstmt = makeNode(PlannedStmt);
			QueryCompletion qc;

			pstmt->commandType = CMD_UTILITY;
			pstmt->canSetTag = true;
			pstmt->utilityStmt = (Node *) stmt;
			pstmt->stmt_location = -1;
			pstmt->stmt_len = 0;
			InitializeQueryCompletion(&qc);
			ProcessUtility(pstmt, "COPY", false, PROCESS_UTILITY_QUERY, NULL, NULL, None_Receiver, &qc);
			processed = qc.nprocessed;
		}
		else
			DoCopy(pstate, stmt, -1, 0, &processed);
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		char	   *line = NULL;

		edata = dataops_take_error(oldcxt);
		if (edata->context && (line = strstr(edata->context, ", line ")) != NULL)
			line = pnstrdup(line + 7, strspn(line + 7, "0123456789"));
		edata->message = line ?
			psprintf("file \"%s\", line %s: %s", path, line, edata->message) :
			psprintf("file \"%s\": %s", path, edata->message);
		if (edata->hint == NULL)
			edata->hint = pstrdup("Fix or remove the file; none of its rows were loaded.");
		ReThrowError(edata);
	}
	PG_END_TRY();
	CommandCounterIncrement();
	return processed;
}

/*
 * Loads one file into the target (created or widened for its columns);
 * returns the rows loaded.  On an error, stops the file's hash job first.
 */
static pg_noinline uint64
load_one_file(const StepDef *s, const char *path, const CsvOptions *o, int64 run_id, FileHashJob *job,
		  bool *constant_defaults)
{
	uint64		rows = 0;

	PG_TRY();
	{
		List	   *columns = file_columns(path, o);

		ensure_bronze_table(s, columns);
		set_guc("dataops.source_file", path);
		set_guc("dataops.run_id", psprintf(INT64_FORMAT, run_id));
		if (set_load_defaults(s, path, run_id))
			*constant_defaults = true;
		rows = copy_file(s, path, columns, o,
						 citus_table_kind(dataops_relation_oid(s->target_schema, s->target_table), NULL) != CITUS_NONE);
	}
	PG_CATCH();
	{
		filehash_cancel(job);
		PG_RE_THROW();
	}
	PG_END_TRY();
	return rows;
}

void
ingest_step(const StepDef *s, Oid owner, int64 run_id, bool full_refresh, StepCounts *c, List **lineage)
{
	CsvOptions	o;
	List	   *paths;
	ListCell   *lc;
	char	   *target = psprintf("%s.%s", s->target_schema, s->target_table);
	int			matched = 0;
	bool		constant_defaults = false;

	/* privileges before any access to the file system */
	ingest_check_read_privilege(owner, s->pipeline, s->name);
	if (s->source == NULL || s->source[0] != '/')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source of step \"%s\" must be an absolute path", s->name)));

	o = step_options(s)->csv;
	paths = expand_source(s);

	if (full_refresh)
	{
		if (OidIsValid(dataops_relation_oid(s->target_schema, s->target_table)))
			dataops_exec_sql(psprintf("TRUNCATE %s", dataops_qualified_name(s->target_schema, s->target_table)));
		catalog_forget_files(target);
	}
	foreach(lc, paths)
	{
		const char *path = lfirst(lc);
		struct stat st;
		int64		size;
		char	   *sha;
		FileHashJob *job;
		uint64		rows;

		CHECK_FOR_INTERRUPTS();
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		matched++;
		*lineage = lappend(*lineage, pstrdup(path));

		/*
		 * A file loaded before has the same path, size and hash: hash it
		 * first when a file of this path and size was loaded.  Otherwise
		 * the hash cannot make the step skip it, and a background worker
		 * computes it while COPY loads the file (in this process when no
		 * worker is free).
		 */
		job = NULL;
		sha = NULL;
		if (catalog_file_size_seen(target, path, (int64) st.st_size))
		{
			sha = filehash_sha256(path, &size);
			if (catalog_file_ingested(target, path, size, sha))
			{
				c->files_skipped++;
				continue;
			}
		}
		else
			job = filehash_start(path);
		rows = load_one_file(s, path, &o, run_id, job, &constant_defaults);
		if (sha == NULL)
			sha = job ? filehash_finish(job, &size) : filehash_sha256(path, &size);
		catalog_record_file(target, path, size, sha, (int64) rows, run_id);
		c->files_ingested++;
		c->rows_read += rows;
		c->rows_written += rows;
	}

	if (constant_defaults)
		(void) set_load_defaults(s, NULL, 0);

	if (matched == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FILE),
				 errmsg("no file matches source \"%s\" of step \"%s\"", s->source, s->name),
				 errhint("Check the path; it is read by the server process, not by the client.")));
}
