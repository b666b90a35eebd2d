/*
 * ingest.c: bronze steps that read CSV files.
 *
 * Files are loaded with PostgreSQL's COPY (DoCopy, the same code as the SQL
 * command, with its privilege checks: the pipeline owner must be allowed to
 * read server files).  _source_file and _run_id are filled by column
 * defaults that read two internal GUCs set for the duration of each COPY,
 * so rows stream straight into the target with no second pass.
 */
#include "postgres.h"

#include <glob.h>
#include <sys/stat.h>

#include "access/relation.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "commands/copy.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_node.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "dataops.h"
#include "ingest.h"

#define HEADER_MAX (1024 * 1024)

typedef struct CsvOptions
{
	bool		header;
	char		delimiter;
	char		quote;
	char	   *escape;
	char	   *null;
	char	   *encoding;
	bool		normalize;
} CsvOptions;

static void
read_options(const StepDef *s, CsvOptions *o)
{
	JsonbValue *v;
	char	   *t;

	o->header = true;
	o->delimiter = ',';
	o->quote = '"';
	o->escape = NULL;
	o->null = NULL;
	o->encoding = NULL;
	o->normalize = true;
	if ((v = json_get(s->options, "header")) && v->type == jbvBool)
		o->header = v->val.boolean;
	if ((v = json_get(s->options, "normalize_names")) && v->type == jbvBool)
		o->normalize = v->val.boolean;
	if ((t = json_value_text(json_get(s->options, "delimiter"))))
		o->delimiter = t[0];
	if ((t = json_value_text(json_get(s->options, "quote"))))
		o->quote = t[0];
	o->escape = json_value_text(json_get(s->options, "escape"));
	o->null = json_value_text(json_get(s->options, "null"));
	o->encoding = json_value_text(json_get(s->options, "encoding"));
}

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
		if (buf[i] == o->quote)
			inq = !inq;
		else if (!inq && (buf[i] == '\n' || buf[i] == '\r'))
			break;
	}
	if (i == start && n == start)
		ereport(ERROR,
				(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
				 errmsg("file \"%s\" is empty", path)));
	/* convert the first record to the server encoding (validates it) */
	if (o->encoding)
		converted = (char *) pg_do_encoding_conversion((unsigned char *) buf + start, i - start,
													   pg_char_to_encoding(o->encoding),
													   GetDatabaseEncoding());
	else
	{
		converted = pnstrdup(buf + start, i - start);
		(void) pg_verifymbstr(converted, i - start, false);
	}

	initStringInfo(&field);
	inq = false;
	for (i = 0;; i++)
	{
		char		c = converted[i];

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

/* Column names for a file: the normalized header, or column_1..N. */
static List *
file_columns(const char *path, const CsvOptions *o)
{
	List	   *fields = read_first_record(path, o);
	List	   *names = NIL;
	ListCell   *lc;
	int			i = 0;

	foreach(lc, fields)
	{
		char	   *name = lfirst(lc);
		char	   *base;
		int			suffix = 2;

		i++;
		if (!o->header)
			name = psprintf("column_%d", i);
		else if (o->normalize)
			name = ingest_normalize_name(name);
		if (name[0] == '\0')
			name = psprintf("column_%d", i);
		if (strlen(name) >= NAMEDATALEN)
			name[pg_mbcliplen(name, strlen(name), NAMEDATALEN - 5)] = '\0';
		base = name;
		while (list_member(names, makeString(name)))
			name = psprintf("%s_%d", base, suffix++);
		names = lappend(names, makeString(name));
	}
	return names;
}

static char *
file_sha256(const char *path, int64 *size)
{
	pg_cryptohash_ctx *ctx;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char	   *buf = palloc(65536);
	char	   *hex = palloc(PG_SHA256_DIGEST_LENGTH * 2 + 1);
	FILE	   *f;
	size_t		n;
	int64		total = 0;

	f = AllocateFile(path, "rb");
	if (f == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\" for reading: %m", path)));
	ctx = pg_cryptohash_create(PG_SHA256);
	if (ctx == NULL || pg_cryptohash_init(ctx) < 0)
		elog(ERROR, "could not initialize SHA-256 context");
	while ((n = fread(buf, 1, 65536, f)) > 0)
	{
		CHECK_FOR_INTERRUPTS();
		if (pg_cryptohash_update(ctx, (uint8 *) buf, n) < 0)
			elog(ERROR, "could not update SHA-256 context");
		total += n;
	}
	if (ferror(f))
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read file \"%s\": %m", path)));
	FreeFile(f);
	if (pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not finalize SHA-256 context");
	pg_cryptohash_free(ctx);
	hex_encode((char *) digest, sizeof(digest), hex);
	hex[PG_SHA256_DIGEST_LENGTH * 2] = '\0';
	pfree(buf);
	*size = total;
	return hex;
}

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
			appendStringInfo(&sql, "%s text, ", quote_identifier(strVal(lfirst(lc))));
		appendStringInfoString(&sql,
							   "_source_file text DEFAULT pg_catalog.current_setting('dataops.source_file', true), "
							   "_ingested_at timestamptz NOT NULL DEFAULT pg_catalog.now(), "
							   "_run_id bigint DEFAULT CAST(NULLIF(pg_catalog.current_setting('dataops.run_id', true), '') AS bigint))");
		dataops_exec_sql(sql.data);
		resetStringInfo(&sql);
		appendStringInfo(&sql, "COMMENT ON TABLE %s IS %s", qname,
						 quote_literal_cstr(psprintf("bronze table of step \"%s\" of pipeline \"%s\", loaded by dataops from %s",
													 s->name, s->pipeline, s->source)));
		dataops_exec_sql(sql.data);
		return;
	}
	foreach(lc, columns)
	{
		char	   *col = strVal(lfirst(lc));

		if (get_attnum(relid, col) == InvalidAttrNumber)
		{
			resetStringInfo(&sql);
			appendStringInfo(&sql, "ALTER TABLE %s ADD COLUMN %s text", qname, quote_identifier(col));
			dataops_exec_sql(sql.data);
		}
	}
}

static void
set_guc(const char *name, const char *value)
{
	(void) set_config_option(name, value, PGC_USERSET, PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0, false);
}

/* COPY one file into the target; returns rows loaded. */
static uint64
copy_file(const StepDef *s, const char *path, List *columns, const CsvOptions *o)
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
		DoCopy(pstate, stmt, -1, 0, &processed);
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		char	   *line = NULL;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
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

void
ingest_step(const StepDef *s, int64 run_id, bool full_refresh, StepCounts *c, List **lineage)
{
	CsvOptions	o;
	glob_t		g;
	int			rc;
	size_t		i;
	char	   *target = psprintf("%s.%s", s->target_schema, s->target_table);
	int			matched = 0;

	read_options(s, &o);
	memset(&g, 0, sizeof(g));
	rc = glob(s->source, GLOB_ERR, NULL, &g);
	if (rc != 0 && rc != GLOB_NOMATCH)
	{
		globfree(&g);
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not list files matching \"%s\": %m", s->source)));
	}

	PG_TRY();
	{
		if (full_refresh)
		{
			if (OidIsValid(dataops_relation_oid(s->target_schema, s->target_table)))
				dataops_exec_sql(psprintf("TRUNCATE %s", dataops_qualified_name(s->target_schema, s->target_table)));
			catalog_forget_files(target);
		}
		for (i = 0; rc == 0 && i < g.gl_pathc; i++)
		{
			const char *path = g.gl_pathv[i];
			struct stat st;
			int64		size;
			char	   *sha;
			List	   *columns;
			uint64		rows;

			CHECK_FOR_INTERRUPTS();
			if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
				continue;
			matched++;
			*lineage = lappend(*lineage, pstrdup(path));
			sha = file_sha256(path, &size);
			if (catalog_file_ingested(target, path, size, sha))
			{
				c->files_skipped++;
				continue;
			}
			columns = file_columns(path, &o);
			ensure_bronze_table(s, columns);
			set_guc("dataops.source_file", path);
			set_guc("dataops.run_id", psprintf(INT64_FORMAT, run_id));
			rows = copy_file(s, path, columns, &o);
			catalog_record_file(target, path, size, sha, (int64) rows, run_id);
			c->files_ingested++;
			c->rows_read += rows;
			c->rows_written += rows;
		}
	}
	PG_FINALLY();
	{
		globfree(&g);
	}
	PG_END_TRY();

	if (matched == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FILE),
				 errmsg("no file matches source \"%s\" of step \"%s\"", s->source, s->name),
				 errhint("Check the path; it is read by the server process, not by the client.")));
}
