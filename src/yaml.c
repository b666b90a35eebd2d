/*
 * yaml.c: YAML documents to and from jsonb with libyaml: the event parser
 * builds a tree of nodes (aliases share the node they name), which is then
 * pushed into jsonb; the emitter writes jsonb in block style.  See yaml.h
 * for the rules (the YAML 1.2 core schema, key order, quoting, limits).
 *
 * libyaml allocates with malloc: its parser, emitter and events are freed
 * on both paths of a PG_TRY (in PG_CATCH and after PG_END_TRY; gcc 12 finds
 * PG_FINALLY's own flag clobbered), each PG_TRY in a small pg_noinline
 * function whose state lives in a palloc'd struct (no local variable is
 * modified inside the PG_TRY, so none can be clobbered by the longjmp).
 */
#include "postgres.h"

#include <yaml.h>				/* libyaml's, not src/yaml.h (angle brackets) */

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "lib/stringinfo.h"
#include "common/hashfn.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "compat.h"
#include "yaml.h"

#define TAG_PREFIX "tag:yaml.org,2002:"

/* ---------------------------------------------------------------- scalars */

/* What a plain scalar is under the YAML 1.2 core schema (section 10.3.2). */
typedef enum YScalarKind
{
	YS_STR,
	YS_NULL,
	YS_TRUE,
	YS_FALSE,
	YS_INT10,					/* [-+]?[0-9]+ */
	YS_INT8,					/* 0o[0-7]+ */
	YS_INT16,					/* 0x[0-9a-fA-F]+ */
	YS_FLOAT,					/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
	YS_INF,						/* [-+]?\.(inf|Inf|INF) */
	YS_NAN						/* \.(nan|NaN|NAN) */
} YScalarKind;

static bool
is_one_of(const char *s, size_t len, const char *const *words)
{
	for (; *words != NULL; words++)
		if (strlen(*words) == len && memcmp(s, *words, len) == 0)
			return true;
	return false;
}

static bool
all_in(const char *s, size_t len, const char *set)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\0' || strchr(set, s[i]) == NULL)
			return false;
	return true;
}

/* The core schema's resolution of a plain scalar's text. */
static YScalarKind
classify_plain(const char *s, size_t len)
{
	static const char *const nulls[] = {"null", "Null", "NULL", "~", NULL};
	static const char *const trues[] = {"true", "True", "TRUE", NULL};
	static const char *const falses[] = {"false", "False", "FALSE", NULL};
	static const char *const infs[] = {".inf", ".Inf", ".INF", NULL};
	static const char *const nans[] = {".nan", ".NaN", ".NAN", NULL};
	const char *p = s;
	const char *end = s + len;
	bool		digits_before = false,
				digits_after = false;

	if (len == 0 || is_one_of(s, len, nulls))
		return YS_NULL;
	if (is_one_of(s, len, trues))
		return YS_TRUE;
	if (is_one_of(s, len, falses))
		return YS_FALSE;
	if (is_one_of(s, len, nans))
		return YS_NAN;
	if (len > 2 && s[0] == '0' && s[1] == 'o' && all_in(s + 2, len - 2, "01234567"))
		return YS_INT8;
	if (len > 2 && s[0] == '0' && s[1] == 'x' && all_in(s + 2, len - 2, "0123456789abcdefABCDEF"))
		return YS_INT16;
	if (*p == '-' || *p == '+')
		p++;
	if (is_one_of(p, end - p, infs))
		return YS_INF;
	if (all_in(p, end - p, "0123456789"))
		return YS_INT10;
	/* float */
	while (p < end && isdigit((unsigned char) *p))
		p++, digits_before = true;
	if (p < end && *p == '.')
	{
		p++;
		while (p < end && isdigit((unsigned char) *p))
			p++, digits_after = true;
	}
	if (!digits_before && !digits_after)
		return YS_STR;
	/* ".5" needs digits after the point; "5." is fine */
	if (p < end && (*p == 'e' || *p == 'E'))
	{
		p++;
		if (p < end && (*p == '-' || *p == '+'))
			p++;
		if (!all_in(p, end - p, "0123456789"))
			return YS_STR;
		p = end;
	}
	return p == end ? YS_FLOAT : YS_STR;
}

/*
 * Would a YAML 1.1 reader (PyYAML's safe_load, many tools) read this plain
 * scalar as something other than a string?  Its booleans yes/no/on/off,
 * y/n, the value and merge keys, and what may be one of its numbers or
 * timestamps: text that starts like a number ([-+]?[0-9.]) made only of
 * [0-9A-Za-z_:.+-] (ints with _ or :, 0b, old octals, floats without an
 * exponent sign) or starting with a date (dddd-d).  Such strings are quoted
 * on output, though the core schema reads them as strings.
 */
static bool
yaml11_special(const char *s, size_t len)
{
	static const char *const words[] = {
		"yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
		"y", "Y", "n", "N", "=", "<<", NULL
	};
	size_t		i = 0;

	if (is_one_of(s, len, words))
		return true;
	if (len > 0 && (s[0] == '-' || s[0] == '+'))
		i = 1;
	if (i >= len || !(isdigit((unsigned char) s[i]) || s[i] == '.'))
		return false;
	if (all_in(s + i, len - i, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_:.+-"))
		return true;
	return i == 0 && len >= 6 && all_in(s, 4, "0123456789") && s[4] == '-' && isdigit((unsigned char) s[5]);
}

/*
 * A non-negative integer in base 8 or 16 (digits only, no prefix) as a
 * numeric.  Refuses more than 1000 digits (22003).
 */
static Numeric
radix_to_numeric(const char *digits, size_t len, int base)
{
	Numeric		result = int64_to_numeric(0);
	int			per_chunk = (base == 16) ? 15 : 20;	/* fits in 60 bits */

	if (len > 1000)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("YAML integer with %zu base-%d digits is too long", len, base),
				 errdetail("At most 1000 digits are accepted.")));
	for (size_t i = 0; i < len;)
	{
		uint64		chunk = 0;
		int64		scale = 1;
		size_t		stop = Min(len, i + per_chunk);

		CHECK_FOR_INTERRUPTS();
		for (; i < stop; i++)
		{
			int			c = (unsigned char) digits[i];
			int			d = isdigit(c) ? c - '0' : (tolower(c) - 'a' + 10);

			chunk = chunk * base + d;
			scale *= base;
		}
		result = DatumGetNumeric(DirectFunctionCall2(numeric_mul, NumericGetDatum(result),
													 NumericGetDatum(int64_to_numeric(scale))));
		result = DatumGetNumeric(DirectFunctionCall2(numeric_add, NumericGetDatum(result),
													 NumericGetDatum(int64_to_numeric((int64) chunk))));
	}
	return result;
}

/* ------------------------------------------------------------- the tree */

typedef struct YNode YNode;

/* One child of a collection: the node and where it was written. */
typedef struct YItem
{
	YNode	   *node;
	int			line;			/* 1-based */
	int			col;
} YItem;

struct YNode
{
	char		kind;			/* 's' scalar, 'q' sequence, 'm' mapping */
	bool		complete;		/* its end was seen (an alias may name it) */
	bool		merge_key;		/* the plain, untagged scalar << */
	int			height;			/* 0 for a scalar, 1 + the children's for a collection */
	int64		nodes;			/* nodes when written out (aliases expanded) */
	int64		bytes;			/* bytes of scalar and key text, the same way */
	JsonbValue	value;			/* a scalar's value */
	char	   *text;			/* a scalar's text (database encoding) */
	int			textlen;
	YItem	   *items;			/* children; a mapping's are key, value, key, ... */
	int			nitems;
	int			maxitems;
	int			line;			/* a collection's start (1-based) */
	int			col;
};

typedef struct YAnchor
{
	char	   *name;			/* the hash key: a pointer to a palloc'd string */
	YNode	   *node;
} YAnchor;

/* The parser's state, palloc'd (see the file's comment). */
typedef struct YParse
{
	yaml_parser_t parser;
	bool		parser_live;
	yaml_event_t event;
	bool		event_live;
	YNode	  **stack;			/* the collections open, innermost last */
	int			depth;
	YNode	   *root;
	int			documents;
	HTAB	   *anchors;
	int64		alias_nodes;
	int64		alias_bytes;
} YParse;

#define MARK_LINE(m) ((int) (m).line + 1)
#define MARK_COL(m) ((int) (m).column + 1)

static pg_noreturn void
parse_error(YParse *p)
{
	yaml_parser_t *y = &p->parser;
	const char *problem = y->problem ? y->problem : "unknown error";

	if (y->error == YAML_MEMORY_ERROR)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory while parsing YAML")));
	if (y->error == YAML_READER_ERROR)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid YAML: %s", problem),
				 errdetail("At byte %zu of the document.", y->problem_offset)));
	if (y->context != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid YAML: %s", problem),
				 errdetail("At line %d, column %d, %s at line %d, column %d.",
						   MARK_LINE(y->problem_mark), MARK_COL(y->problem_mark),
						   y->context, MARK_LINE(y->context_mark), MARK_COL(y->context_mark))));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid YAML: %s", problem),
			 errdetail("At line %d, column %d.", MARK_LINE(y->problem_mark), MARK_COL(y->problem_mark))));
}

static uint32
anchor_hash(const void *key, Size keysize)
{
	const char *name = *(char *const *) key;

	return string_hash(name, strlen(name) + 1);
}

static int
anchor_match(const void *key1, const void *key2, Size keysize)
{
	return strcmp(*(char *const *) key1, *(char *const *) key2);
}

static void
anchor_define(YParse *p, const yaml_char_t *anchor, YNode *node)
{
	char	   *name;
	YAnchor    *a;

	if (anchor == NULL)
		return;
	if (p->anchors == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(char *);
		ctl.entrysize = sizeof(YAnchor);
		ctl.hash = anchor_hash;
		ctl.match = anchor_match;
		ctl.hcxt = CurrentMemoryContext;
		p->anchors = hash_create("dataops YAML anchors", 64, &ctl,
								 HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
	}
	name = pstrdup((const char *) anchor);
	a = hash_search(p->anchors, &name, HASH_ENTER, NULL);
	a->name = name;				/* a later anchor of the same name replaces it */
	a->node = node;
}

/* The node an alias names; raises 22P02 if none, or if the alias is inside it. */
static YNode *
anchor_lookup(YParse *p, const yaml_event_t *e)
{
	const char *name = (const char *) e->data.alias.anchor;
	YAnchor    *a = NULL;

	if (p->anchors != NULL)
		a = hash_search(p->anchors, &name, HASH_FIND, NULL);
	if (a == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("YAML alias \"*%s\" names no anchor before it", name),
				 errdetail("At line %d, column %d.", MARK_LINE(e->start_mark), MARK_COL(e->start_mark))));
	if (!a->node->complete)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("YAML alias \"*%s\" is inside the node it names", name),
				 errdetail("At line %d, column %d.", MARK_LINE(e->start_mark), MARK_COL(e->start_mark)),
				 errhint("A recursive structure has no JSON form.")));
	return a->node;
}

static pg_noreturn void
tag_error(const char *tag, const yaml_mark_t *m)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("unsupported YAML tag \"%s\"", tag),
			 errdetail("At line %d, column %d.", MARK_LINE(*m), MARK_COL(*m)),
			 errhint("Only the tags !!str, !!int, !!float, !!bool, !!null, !!seq, !!map and ! are supported.")));
}

static pg_noreturn void
tagged_value_error(const char *text, const char *tag, const yaml_mark_t *m)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("YAML value \"%s\" is not a valid !!%s", text, tag + strlen(TAG_PREFIX)),
			 errdetail("At line %d, column %d.", MARK_LINE(*m), MARK_COL(*m))));
}

/* errcontext for errors numeric raises: where the number is. */
static void
number_context(void *arg)
{
	const yaml_mark_t *m = (const yaml_mark_t *) arg;

	errcontext("YAML number at line %d, column %d", MARK_LINE(*m), MARK_COL(*m));
}

/* A scalar event's node: its text, and its value by the tag or the core schema. */
static YNode *
scalar_node(const yaml_event_t *e)
{
	const char *tag = (const char *) e->data.scalar.tag;
	const char *utf8 = (const char *) e->data.scalar.value;
	size_t		len = e->data.scalar.length;
	YNode	   *n = palloc0(sizeof(YNode));
	YScalarKind kind;
	char	   *copy;
	ErrorContextCallback callback;

	if (memchr(utf8, '\0', len) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNTRANSLATABLE_CHARACTER),
				 errmsg("YAML string contains a NUL character"),
				 errdetail("At line %d, column %d; jsonb cannot hold \\u0000.",
						   MARK_LINE(e->start_mark), MARK_COL(e->start_mark))));
	copy = pnstrdup(utf8, len);
	n->kind = 's';
	n->complete = true;
	n->nodes = 1;
	n->text = pg_any_to_server(copy, (int) len, PG_UTF8);
	n->textlen = strlen(n->text);
	n->bytes = n->textlen;

	if (tag == NULL)
		kind = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? classify_plain(copy, len) : YS_STR;
	else if (strcmp(tag, "!") == 0 || strcmp(tag, TAG_PREFIX "str") == 0)
		kind = YS_STR;
	else
	{
		kind = classify_plain(copy, len);
		if (strcmp(tag, TAG_PREFIX "null") == 0)
		{
			if (kind != YS_NULL)
				tagged_value_error(n->text, tag, &e->start_mark);
		}
		else if (strcmp(tag, TAG_PREFIX "bool") == 0)
		{
			if (kind != YS_TRUE && kind != YS_FALSE)
				tagged_value_error(n->text, tag, &e->start_mark);
		}
		else if (strcmp(tag, TAG_PREFIX "int") == 0)
		{
			if (kind != YS_INT10 && kind != YS_INT8 && kind != YS_INT16)
				tagged_value_error(n->text, tag, &e->start_mark);
		}
		else if (strcmp(tag, TAG_PREFIX "float") == 0)
		{
			if (kind != YS_INT10 && kind != YS_FLOAT && kind != YS_INF && kind != YS_NAN)
				tagged_value_error(n->text, tag, &e->start_mark);
		}
		else
			tag_error(tag, &e->start_mark);
	}
	callback.callback = number_context;
	callback.arg = (void *) &e->start_mark;
	callback.previous = error_context_stack;
	error_context_stack = &callback;
	n->merge_key = (tag == NULL && e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
					len == 2 && memcmp(copy, "<<", 2) == 0);

	switch (kind)
	{
		case YS_STR:
			n->value.type = jbvString;
			n->value.val.string.val = n->text;
			n->value.val.string.len = n->textlen;
			break;
		case YS_NULL:
			n->value.type = jbvNull;
			break;
		case YS_TRUE:
		case YS_FALSE:
			n->value.type = jbvBool;
			n->value.val.boolean = (kind == YS_TRUE);
			break;
		case YS_INT8:
		case YS_INT16:
			n->value.type = jbvNumeric;
			n->value.val.numeric = radix_to_numeric(copy + 2, len - 2, kind == YS_INT8 ? 8 : 16);
			break;
		case YS_INT10:
		case YS_FLOAT:
			n->value.type = jbvNumeric;
			n->value.val.numeric =
				DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(copy),
													ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
			break;
		case YS_INF:
		case YS_NAN:
			error_context_stack = callback.previous;
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("YAML value \"%s\" cannot be represented in jsonb", n->text),
					 errdetail("At line %d, column %d; jsonb numbers have no infinity or NaN.",
							   MARK_LINE(e->start_mark), MARK_COL(e->start_mark)),
					 errhint("Quote the value to keep it as a string.")));
	}
	error_context_stack = callback.previous;
	return n;
}

/* A collection's node, for a SEQUENCE_START or MAPPING_START event. */
static YNode *
collection_node(const yaml_event_t *e, char kind)
{
	const char *tag = (const char *) (kind == 'q' ? e->data.sequence_start.tag : e->data.mapping_start.tag);
	YNode	   *n = palloc0(sizeof(YNode));

	if (tag != NULL && strcmp(tag, "!") != 0 &&
		strcmp(tag, kind == 'q' ? TAG_PREFIX "seq" : TAG_PREFIX "map") != 0)
		tag_error(tag, &e->start_mark);
	n->kind = kind;
	n->nodes = 1;
	n->height = 1;
	return n;
}

/* Adds a finished node to the open collection (or makes it the root). */
static void
add_child(YParse *p, YNode *child, const yaml_mark_t *m)
{
	YNode	   *parent;

	if (p->depth == 0)
	{
		p->root = child;
		return;
	}
	parent = p->stack[p->depth - 1];
	if (parent->kind == 'm' && parent->nitems % 2 == 0)
	{
		if (child->kind != 's')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("YAML mapping key is not a scalar"),
					 errdetail("At line %d, column %d; jsonb object keys are strings.",
							   MARK_LINE(*m), MARK_COL(*m))));
		if (child->merge_key)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("YAML merge keys (<<) are not supported"),
					 errdetail("At line %d, column %d.", MARK_LINE(*m), MARK_COL(*m)),
					 errhint("Write the keys out, or quote \"<<\" to use it as an ordinary key.")));
	}
	if (parent->nitems == parent->maxitems)
	{
		parent->maxitems = parent->maxitems == 0 ? 8 : parent->maxitems * 2;
		if (parent->items == NULL)
			parent->items = palloc(sizeof(YItem) * parent->maxitems);
		else
			parent->items = repalloc_huge(parent->items, sizeof(YItem) * (Size) parent->maxitems);
	}
	parent->items[parent->nitems].node = child;
	parent->items[parent->nitems].line = MARK_LINE(*m);
	parent->items[parent->nitems].col = MARK_COL(*m);
	parent->nitems++;
	parent->nodes += child->nodes;
	parent->bytes += child->bytes;
	parent->height = Max(parent->height, child->height + 1);
}

static int
key_cmp(const void *a, const void *b)
{
	const YItem *x = *(YItem *const *) a;
	const YItem *y = *(YItem *const *) b;
	int			c = memcmp(x->node->text, y->node->text, Min(x->node->textlen, y->node->textlen));

	if (c != 0)
		return c;
	if (x->node->textlen != y->node->textlen)
		return x->node->textlen < y->node->textlen ? -1 : 1;
	return x < y ? -1 : (x > y ? 1 : 0);	/* the earlier key first */
}

/* Raises 22P02 for a key given twice in a finished mapping. */
static void
check_duplicate_keys(YNode *m)
{
	int			npairs = m->nitems / 2;
	YItem	  **keys;

	if (npairs < 2)
		return;
	keys = palloc(sizeof(YItem *) * npairs);
	for (int i = 0; i < npairs; i++)
		keys[i] = &m->items[2 * i];
	qsort(keys, npairs, sizeof(YItem *), key_cmp);
	for (int i = 1; i < npairs; i++)
	{
		if (keys[i]->node->textlen == keys[i - 1]->node->textlen &&
			memcmp(keys[i]->node->text, keys[i - 1]->node->text, keys[i]->node->textlen) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("duplicate key \"%s\" in YAML mapping", keys[i]->node->text),
					 errdetail("At line %d, column %d; the key is first given at line %d, column %d.",
							   keys[i]->line, keys[i]->col, keys[i - 1]->line, keys[i - 1]->col)));
	}
	pfree(keys);
}

static void
check_depth(int depth, const yaml_mark_t *m)
{
	if (depth > YAML_MAX_DEPTH)
		ereport(ERROR,
				(errcode(ERRCODE_STATEMENT_TOO_COMPLEX),
				 errmsg("YAML document is nested more than %d levels deep", YAML_MAX_DEPTH),
				 errdetail("At line %d, column %d.", MARK_LINE(*m), MARK_COL(*m))));
}

/* Handles the event in p->event; returns true at the end of the stream. */
static bool
handle_event(YParse *p)
{
	yaml_event_t *e = &p->event;
	YNode	   *n;

	switch (e->type)
	{
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
		case YAML_NO_EVENT:
			return false;
		case YAML_STREAM_END_EVENT:
			return true;
		case YAML_DOCUMENT_START_EVENT:
			if (++p->documents > 1)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						 errmsg("YAML text holds more than one document"),
						 errdetail("The second document starts at line %d, column %d.",
								   MARK_LINE(e->start_mark), MARK_COL(e->start_mark)),
						 errhint("Give one document per call.")));
			return false;
		case YAML_ALIAS_EVENT:
			n = anchor_lookup(p, e);
			check_depth(p->depth + n->height, &e->start_mark);
			p->alias_nodes += n->nodes;
			p->alias_bytes += n->bytes;
			if (p->alias_nodes > YAML_MAX_ALIAS_NODES || p->alias_bytes > YAML_MAX_ALIAS_BYTES)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("YAML aliases expand to more than %d nodes or %d MB",
								YAML_MAX_ALIAS_NODES, YAML_MAX_ALIAS_BYTES / (1024 * 1024)),
						 errdetail("At line %d, column %d, the alias \"*%s\": the aliases so far add %lld nodes and %lld bytes.",
								   MARK_LINE(e->start_mark), MARK_COL(e->start_mark),
								   (const char *) e->data.alias.anchor, (long long) p->alias_nodes,
								   (long long) p->alias_bytes),
						 errhint("Each use of an alias counts the nodes it names.")));
			add_child(p, n, &e->start_mark);
			return false;
		case YAML_SCALAR_EVENT:
			n = scalar_node(e);
			anchor_define(p, e->data.scalar.anchor, n);
			add_child(p, n, &e->start_mark);
			return false;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			check_depth(p->depth + 1, &e->start_mark);
			n = collection_node(e, e->type == YAML_SEQUENCE_START_EVENT ? 'q' : 'm');
			anchor_define(p, e->type == YAML_SEQUENCE_START_EVENT ?
						  e->data.sequence_start.anchor : e->data.mapping_start.anchor, n);
			n->line = MARK_LINE(e->start_mark);
			n->col = MARK_COL(e->start_mark);
			p->stack[p->depth++] = n;
			return false;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			{
				yaml_mark_t m = {0};

				n = p->stack[--p->depth];
				m.line = n->line - 1;
				m.column = n->col - 1;
				if (n->kind == 'm')
					check_duplicate_keys(n);
				n->complete = true;
				add_child(p, n, &m);
			}
			return false;
	}
	return false;
}

/* The event loop of parse_events. */
static pg_noinline void
parse_loop(YParse *p, const char *utf8, size_t len)
{
	if (!yaml_parser_initialize(&p->parser))
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory while parsing YAML")));
	p->parser_live = true;
	yaml_parser_set_input_string(&p->parser, (const unsigned char *) utf8, len);
	yaml_parser_set_encoding(&p->parser, YAML_UTF8_ENCODING);
	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (!yaml_parser_parse(&p->parser, &p->event))
			parse_error(p);
		p->event_live = true;
		if (handle_event(p))
			break;
		yaml_event_delete(&p->event);
		p->event_live = false;
	}
}

/* Frees what libyaml allocated for the parser. */
static void
parse_cleanup(YParse *p)
{
	if (p->event_live)
		yaml_event_delete(&p->event);
	if (p->parser_live)
		yaml_parser_delete(&p->parser);
	p->event_live = p->parser_live = false;
}

/*
 * Runs libyaml's parser over `len` bytes of UTF-8 into p->root; libyaml's
 * parser and its current event are freed however it ends.
 */
static pg_noinline void
parse_events(YParse *p, const char *utf8, size_t len)
{
	PG_TRY();
	{
		parse_loop(p, utf8, len);
	}
	PG_CATCH();
	{
		parse_cleanup(p);
		PG_RE_THROW();
	}
	PG_END_TRY();
	parse_cleanup(p);
}

/* Pushes a node (a value or an element, by `token`) into the jsonb being built. */
static JsonbValue *
push_node(JsonbParseState **state, YNode *n, JsonbIteratorToken token)
{
	JsonbValue *result;

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	if (n->kind == 's')
		return pushJsonbValue(state, token, &n->value);
	pushJsonbValue(state, n->kind == 'q' ? WJB_BEGIN_ARRAY : WJB_BEGIN_OBJECT, NULL);
	for (int i = 0; i < n->nitems; i++)
	{
		YNode	   *child = n->items[i].node;

		if (n->kind == 'q')
			push_node(state, child, WJB_ELEM);
		else
		{
			JsonbValue	key;

			key.type = jbvString;
			key.val.string.val = child->text;
			key.val.string.len = child->textlen;
			pushJsonbValue(state, WJB_KEY, &key);
			push_node(state, n->items[++i].node, WJB_VALUE);
		}
	}
	result = pushJsonbValue(state, n->kind == 'q' ? WJB_END_ARRAY : WJB_END_OBJECT, NULL);
	return result;
}

Jsonb *
yaml_to_jsonb(const char *text, size_t len)
{
	YParse	   *p = palloc0(sizeof(YParse));
	const char *utf8 = pg_server_to_any(text, (int) len, PG_UTF8);
	JsonbParseState *state = NULL;
	JsonbValue	null;

	p->stack = palloc(sizeof(YNode *) * (YAML_MAX_DEPTH + 1));
	parse_events(p, utf8, utf8 == text ? len : strlen(utf8));

	if (p->root == NULL)
	{
		null.type = jbvNull;
		return JsonbValueToJsonb(&null);
	}
	if (p->root->kind == 's')
		return JsonbValueToJsonb(&p->root->value);
	return JsonbValueToJsonb(push_node(&state, p->root, WJB_VALUE));
}

/* ------------------------------------------------------------ emitting */

/* The emitter's state, palloc'd (see the file's comment). */
typedef struct YEmit
{
	yaml_emitter_t emitter;
	bool		emitter_live;
	StringInfoData out;			/* UTF-8 */
	bool		overflow;
} YEmit;

static int
emit_output(void *data, unsigned char *buffer, size_t size)
{
	YEmit	   *e = (YEmit *) data;

	if ((size_t) e->out.len + size >= MaxAllocSize)
	{
		e->overflow = true;
		return 0;
	}
	appendBinaryStringInfo(&e->out, (const char *) buffer, (int) size);
	return 1;
}

/* Emits an event libyaml initialized (ok = its result); the emitter owns it after. */
static void
emit(YEmit *e, yaml_event_t *ev, int ok)
{
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not make a YAML event")));
	if (yaml_emitter_emit(&e->emitter, ev))
		return;
	if (e->overflow)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("YAML text would exceed 1 GB")));
	if (e->emitter.error == YAML_MEMORY_ERROR)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory while writing YAML")));
	ereport(ERROR,
			(errcode(ERRCODE_INTERNAL_ERROR),
			 errmsg("could not write YAML: %s", e->emitter.problem ? e->emitter.problem : "unknown error")));
}

/* The style a string (UTF-8) is written in; see yaml.h. */
static yaml_scalar_style_t
string_style(const char *s, size_t len)
{
	bool		newline = false;

	for (size_t i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		/* breaks a reader would turn into \n: CR, NEL, LS, PS */
		if (c == '\r' ||
			(c == 0xC2 && i + 1 < len && (unsigned char) s[i + 1] == 0x85) ||
			(c == 0xE2 && i + 2 < len && (unsigned char) s[i + 1] == 0x80 &&
			 ((unsigned char) s[i + 2] == 0xA8 || (unsigned char) s[i + 2] == 0xA9)))
			return YAML_DOUBLE_QUOTED_SCALAR_STYLE;
		if (c == '\n')
			newline = true;
	}
	if (newline)
		return YAML_LITERAL_SCALAR_STYLE;	/* libyaml falls back to double quotes */
	if (classify_plain(s, len) != YS_STR || yaml11_special(s, len))
		return YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	return YAML_PLAIN_SCALAR_STYLE; /* libyaml falls back to single quotes */
}

static void
emit_scalar(YEmit *e, const char *utf8, size_t len, yaml_scalar_style_t style)
{
	yaml_event_t ev;

	emit(e, &ev, yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *) utf8, (int) len,
											  1, 1, style));
}

static void
emit_string(YEmit *e, const char *s, int len)
{
	const char *utf8 = pg_server_to_any(s, len, PG_UTF8);

	if (utf8 != s)
		len = strlen(utf8);
	emit_scalar(e, utf8, len, string_style(utf8, len));
}

static void emit_container(YEmit *e, JsonbContainer *c, int depth);

static void
emit_value(YEmit *e, JsonbValue *v, int depth)
{
	char	   *num;

	switch (v->type)
	{
		case jbvNull:
			emit_scalar(e, "null", 4, YAML_PLAIN_SCALAR_STYLE);
			break;
		case jbvBool:
			emit_scalar(e, v->val.boolean ? "true" : "false", v->val.boolean ? 4 : 5,
						YAML_PLAIN_SCALAR_STYLE);
			break;
		case jbvNumeric:
			num = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
			emit_scalar(e, num, strlen(num), YAML_PLAIN_SCALAR_STYLE);
			break;
		case jbvString:
			emit_string(e, v->val.string.val, v->val.string.len);
			break;
		case jbvBinary:
			emit_container(e, v->val.binary.data, depth + 1);
			break;
		default:
			elog(ERROR, "unexpected jsonb value type %d", (int) v->type);
	}
}

/* The group of a mapping's key in the output order (see yaml.h). */
static int
key_rank(const JsonbValue *key, const JsonbValue *value)
{
	const char *k = key->val.string.val;
	int			len = key->val.string.len;

	if (len == 4 && memcmp(k, "name", 4) == 0)
		return 0;
	if (len == 6 && memcmp(k, "format", 6) == 0)
		return 1;
	if (len == 5 && memcmp(k, "scope", 5) == 0)
		return 2;
	return value->type == jbvBinary ? 4 : 3;
}

static void
emit_container(YEmit *e, JsonbContainer *c, int depth)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	yaml_event_t ev;

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	if (depth > YAML_MAX_DEPTH)
		ereport(ERROR,
				(errcode(ERRCODE_STATEMENT_TOO_COMPLEX),
				 errmsg("jsonb document is nested more than %d levels deep", YAML_MAX_DEPTH),
				 errdetail("YAML documents are limited to %d levels.", YAML_MAX_DEPTH)));
	it = JsonbIteratorInit(c);
	tok = JsonbIteratorNext(&it, &v, true);
	if (tok == WJB_BEGIN_ARRAY)
	{
		emit(e, &ev, yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
														  v.val.array.nElems == 0 ?
														  YAML_FLOW_SEQUENCE_STYLE :
														  YAML_BLOCK_SEQUENCE_STYLE));
		while ((tok = JsonbIteratorNext(&it, &v, true)) == WJB_ELEM)
			emit_value(e, &v, depth);
		emit(e, &ev, yaml_sequence_end_event_initialize(&ev));
	}
	else if (tok == WJB_BEGIN_OBJECT)
	{
		int			npairs = v.val.object.nPairs;
		JsonbValue *keys = palloc(sizeof(JsonbValue) * Max(npairs, 1));
		JsonbValue *values = palloc(sizeof(JsonbValue) * Max(npairs, 1));
		int			n = 0;

		while ((tok = JsonbIteratorNext(&it, &v, true)) == WJB_KEY)
		{
			Assert(n < npairs);
			keys[n] = v;
			tok = JsonbIteratorNext(&it, &values[n], true);
			Assert(tok == WJB_VALUE);
			n++;
		}
		emit(e, &ev, yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
														 n == 0 ? YAML_FLOW_MAPPING_STYLE :
														 YAML_BLOCK_MAPPING_STYLE));
		for (int rank = 0; rank <= 4; rank++)
			for (int i = 0; i < n; i++)
			{
				if (key_rank(&keys[i], &values[i]) != rank)
					continue;
				emit_string(e, keys[i].val.string.val, keys[i].val.string.len);
				emit_value(e, &values[i], depth);
			}
		emit(e, &ev, yaml_mapping_end_event_initialize(&ev));
		pfree(keys);
		pfree(values);
	}
	else
		elog(ERROR, "unexpected jsonb iterator token %d", (int) tok);
}

/* The events of emit_document. */
static pg_noinline void
emit_events(YEmit *e, Jsonb *j)
{
	yaml_event_t ev;
	JsonbValue	scalar;

	if (!yaml_emitter_initialize(&e->emitter))
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory while writing YAML")));
	e->emitter_live = true;
	yaml_emitter_set_output(&e->emitter, emit_output, e);
	yaml_emitter_set_encoding(&e->emitter, YAML_UTF8_ENCODING);
	yaml_emitter_set_unicode(&e->emitter, 1);
	yaml_emitter_set_indent(&e->emitter, 2);
	yaml_emitter_set_width(&e->emitter, -1);	/* no folding of long lines */
	yaml_emitter_set_break(&e->emitter, YAML_LN_BREAK);

	emit(e, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
	emit(e, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
	if (JB_ROOT_IS_SCALAR(j))
	{
		if (!JsonbExtractScalar(&j->root, &scalar))
			elog(ERROR, "could not extract the jsonb scalar");
		emit_value(e, &scalar, 0);
	}
	else
		emit_container(e, &j->root, 1);
	emit(e, &ev, yaml_document_end_event_initialize(&ev, 1));
	emit(e, &ev, yaml_stream_end_event_initialize(&ev));
	if (!yaml_emitter_flush(&e->emitter))
		emit(e, &ev, 0);
}

/* Frees what libyaml allocated for the emitter. */
static void
emit_cleanup(YEmit *e)
{
	if (e->emitter_live)
		yaml_emitter_delete(&e->emitter);
	e->emitter_live = false;
}

/* Writes the document through libyaml's emitter into e->out, freeing the emitter however it ends. */
static pg_noinline void
emit_document(YEmit *e, Jsonb *j)
{
	PG_TRY();
	{
		emit_events(e, j);
	}
	PG_CATCH();
	{
		emit_cleanup(e);
		PG_RE_THROW();
	}
	PG_END_TRY();
	emit_cleanup(e);
}

char *
yaml_from_jsonb(Jsonb *j)
{
	YEmit	   *e = palloc0(sizeof(YEmit));

	initStringInfo(&e->out);
	emit_document(e, j);
	return pg_any_to_server(e->out.data, e->out.len, PG_UTF8);
}

/* ----------------------------------------------------------- SQL functions */

/*
 * dataops.yaml_to_jsonb(document text) -> jsonb: yaml_to_jsonb (see yaml.h
 * for the rules and errors).  IMMUTABLE STRICT PARALLEL SAFE.
 */
PG_FUNCTION_INFO_V1(dataops_yaml_to_jsonb);
Datum
dataops_yaml_to_jsonb(PG_FUNCTION_ARGS)
{
	text	   *doc = PG_GETARG_TEXT_PP(0);

	PG_RETURN_JSONB_P(yaml_to_jsonb(VARDATA_ANY(doc), VARSIZE_ANY_EXHDR(doc)));
}

/*
 * dataops.jsonb_to_yaml(document jsonb) -> text: yaml_from_jsonb (see
 * yaml.h).  IMMUTABLE STRICT PARALLEL SAFE.
 */
PG_FUNCTION_INFO_V1(dataops_jsonb_to_yaml);
Datum
dataops_jsonb_to_yaml(PG_FUNCTION_ARGS)
{
	Jsonb	   *j = PG_GETARG_JSONB_P(0);

	PG_RETURN_TEXT_P(cstring_to_text(yaml_from_jsonb(j)));
}
