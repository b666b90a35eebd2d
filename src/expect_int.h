/*
 * expect_int.h: private to the expect module (expect.c, expect_def.c,
 * expect_sql.c, expect_result.c); no other module includes it.
 *
 * The table of kinds (expect.c) holds, for each expectation kind, all that
 * the kind decides: its names, its level, its column rule, the args it
 * takes, its flags and the functions that check its args (expect_def.c),
 * check it against the rows' columns and their trust (expect_def.c), build
 * its SQL (expect_sql.c) and build its result (expect_result.c).  Adding a
 * kind means adding one entry to that table and, where none of the
 * existing functions fits, its functions.
 */
#ifndef DATAOPS_EXPECT_INT_H
#define DATAOPS_EXPECT_INT_H

#include "postgres.h"
#include "access/htup.h"
#include "access/tupdesc.h"
#include "catalog/pg_attribute.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"

#include "catalog.h"
#include "expect.h"

typedef enum Level
{
	L_ROW,						/* counts unexpected rows; may drop */
	L_AGGREGATE,				/* one observed value from an aggregate */
	L_COUNT,					/* the published row count */
	L_SCHEMA					/* the columns, no scan */
} Level;

typedef enum ColumnRule
{
	COL_REQUIRED,
	COL_NONE,
	COL_NONE_COLUMNS,			/* no column_name: args.columns names them */
	COL_OR_COLUMNS,				/* column_name or args.columns (unique) */
	COL_OR_ARG					/* column_name or args.column (freshness) */
} ColumnRule;

/* KindInfo.flags */
#define KF_JUDGES_NULLS		0x01	/* no missing rows: NULLs are judged (not_null, null, expression) */
#define KF_NOT				0x02	/* the "not" form: a row is unexpected when it matches */
#define KF_SERIAL			0x04	/* rows are checked outside parallel mode (castable_to) */
#define KF_BOUND_STRINGS	0x08	/* min/max may be strings (values of the column's type) */
#define KF_BOUND_WHOLE		0x10	/* min/max are whole numbers >= 0 */
#define KF_BOUND_UNIT		0x20	/* min/max are in [0, 1] */
#define KF_LIVE				0x40	/* the flag counts among the live (deduplicated) rows in SQL */
#define KF_BOUND_EMPTY_OK	0x80	/* min > max is allowed: no value passes (Great Expectations' value lengths) */

typedef struct KindInfo KindInfo;

/* Checks the kind's args of e (expect_validate, after the checks common to all kinds). */
typedef void ArgsCheck (const ExpectationDef *e, const KindInfo *ki);

/*
 * Raises 42501 unless `role` trusts the objects e evaluates; `desc` is the
 * rows' columns, NULL when they are not known (nothing is then locked or
 * analyzed); `user` names e in errors.
 */
typedef void TrustCheck (const ExpectationDef *e, TupleDesc desc, Oid role, const char *user);

/* Checks e against the rows' columns `desc`; `att` is e's column (NULL if it names none). */
typedef void TypesCheck (const ExpectationDef *e, TupleDesc desc, Form_pg_attribute att);

/* What a SQL builder appends to and with. */
typedef struct SqlTarget
{
	const char *col;			/* e's column, quoted, or NULL */
	Form_pg_attribute att;		/* e's column, or NULL */
	const char *live;			/* condition of rows that survive deduplication */
	SqlParams  *params;
	StringInfo	sql;
} SqlTarget;

/*
 * Appends e's SQL to t->sql: for a row-level kind the condition true for an
 * unexpected row; for an aggregate kind ",\n  observed,\n  success".
 */
typedef void SqlBuilder (const ExpectationDef *e, const KindInfo *ki, SqlTarget *t);

/* What a result builder reads. */
typedef struct ResultSource
{
	HeapTuple	row;			/* the aggregates row */
	TupleDesc	rowdesc;
	int			col;			/* next aggregate column (1-based); the builder advances it */
	int64		element_count;	/* rows checked */
	int64		published;		/* rows written to the target */
	TupleDesc	desc;			/* the rows' columns */
	const ExpectationResult *outcome;	/* sink.c's counts of e, or NULL */
} ResultSource;

/* Fills r (def, result_format and the -1 counts already set) for e from src. */
typedef void ResultBuilder (const ExpectationDef *e, const KindInfo *ki, ResultSource *src, ExpectationResult *r);

struct KindInfo
{
	const char *name;
	const char *ge_name;		/* Great Expectations' name, or NULL */
	Level		level;
	ColumnRule	column;
	const char *keys;			/* args keys the kind takes, space separated */
	int			flags;			/* KF_* */
	ArgsCheck  *check_args;		/* NULL: no args to check */
	TrustCheck *check_trust;	/* NULL: evaluates no object of its own */
	TypesCheck *check_types;	/* NULL: nothing beyond its column existing */
	SqlBuilder *sql;			/* NULL: no SQL (row counts, columns_match_set) */
	const char *aggregate;		/* aggregate kinds: the aggregate of column %1$s */
	ResultBuilder *result;
};

/* expect.c: the table of kinds */

/* The kind named `name` (ours or Great Expectations'); 22023 listing the valid kinds otherwise. */
extern const KindInfo *expect_kind_info(const char *name);

/* The kind of e. */
extern const KindInfo *expect_kind_of(const ExpectationDef *e);

/* Number of aggregate columns expect_sql_aggregates emits for e. */
extern int	expect_aggregate_columns(const ExpectationDef *e);

/* The columns e checks: column_name, or args.columns. */
extern List *expect_key_columns(const ExpectationDef *e);

/* args.<key> of e as a boolean, dflt when absent. */
extern bool expect_arg_bool(const ExpectationDef *e, const char *key, bool dflt);

/* The column named col of desc (not dropped), or NULL. */
extern Form_pg_attribute expect_find_column(TupleDesc desc, const char *col);

/* True for a column of the rows checked: not dropped, not dataops' own (__dataops_*). */
extern bool expect_user_column(Form_pg_attribute att);

/* expect_def.c: definitions, the names their checks and SQL share */

extern ArgsCheck check_key_columns_arg, check_regex_args, check_regex_list_args, check_bounds_args,
			check_count_value_arg, check_values_arg, check_format_arg, check_type_arg,
			check_relationship_args, check_expression_arg, check_max_age_arg, check_columns_set_args;

extern TrustCheck require_trusted_type_arg, require_trusted_relationship, require_trusted_expression;

extern TypesCheck types_key_columns, types_bounds_fit, types_numeric_column, types_date_column,
			types_values_fit, types_relationship;

/*
 * The SQL name of type typid with typmod typmod (-1: none), schema-qualified
 * unless it is one of the names the grammar maps to pg_catalog itself.
 */
extern char *expect_qualified_type(Oid typid, int32 typmod);

/* Namespace of operator opr. */
extern Oid	expect_operator_namespace(Oid opr);

/* The qualified name ("schema", "=") under which relationships compares a column of type ltype. */
extern List *expect_relationship_opname(Oid ltype);

/* OID of args.to of a relationships expectation (see expect_def.c). */
extern Oid	expect_parent_relation(const ExpectationDef *e, Oid role, bool lock);

/* expect_sql.c: the SQL of each kind */

extern SqlBuilder flag_null, flag_unique, flag_regex, flag_regex_list, flag_between, flag_value_lengths,
			flag_in_set, flag_strftime, flag_castable, flag_relationship, flag_expression,
			observe_bounds, observe_typed_bounds, observe_set, observe_freshness;

/* Adds a text parameter and returns its number. */
extern int	expect_text_param(SqlParams *p, const char *s);

/*
 * For the expectations with result_format COMPLETE: the SQL condition true
 * for a row one of them flags, and in *names a text[] expression naming
 * those it flags; NULL if there are none.
 */
extern char *expect_complete_sql(List *exps, SqlParams *params, char **names);

/* expect_result.c: the result of each kind */

extern ResultBuilder result_row, result_aggregate, result_row_count_between, result_row_count_equal,
			result_columns_match_set;

#endif							/* DATAOPS_EXPECT_INT_H */
