/*
 * compat.h: the PostgreSQL server APIs whose form differs between the major
 * versions dataops supports (15, 17 and 18), behind one spelling each.
 *
 * The lowest layer: it includes only PostgreSQL headers, and every module
 * that calls one of these APIs includes it.  Each guard names the major
 * version that changed the API, as pgvector and pg_cron do.
 */
#ifndef DATAOPS_COMPAT_H
#define DATAOPS_COMPAT_H

#include "postgres.h"

#include "nodes/parsenodes.h"
#include "parser/parse_type.h"
#include "utils/regproc.h"

#if PG_VERSION_NUM >= 160000
#include "nodes/miscnodes.h"
#include "varatt.h"				/* VARDATA and friends left postgres.h in 16 */
#endif

/*
 * PostgreSQL 18 spells a function that does not return with a prefix
 * (pg_noreturn) and removed the suffix pg_attribute_noreturn(); older
 * majors have only the suffix.  C11's _Noreturn, which 18's pg_noreturn
 * is, works in the prefix place on every compiler PostgreSQL supports.
 */
#ifndef pg_noreturn
#define pg_noreturn _Noreturn
#endif

/*
 * compat_qualified_name_list: a dotted name ("schema.name") as a List of
 * String nodes, as stringToQualifiedNameList; raises 42602 (invalid_name)
 * for bad syntax on every version (16 added a soft-error argument, given
 * NULL here so errors are thrown as in 15).
 */
static inline List *
compat_qualified_name_list(const char *string)
{
#if PG_VERSION_NUM >= 160000
	return stringToQualifiedNameList(string, NULL);
#else
	return stringToQualifiedNameList(string);
#endif
}

/*
 * compat_type_name: a type's text ("numeric(10,2)") parsed to a TypeName,
 * as typeStringToTypeName; raises 42601 for bad syntax.
 */
static inline TypeName *
compat_type_name(const char *string)
{
#if PG_VERSION_NUM >= 160000
	return typeStringToTypeName(string, NULL);
#else
	return typeStringToTypeName(string);
#endif
}

/*
 * compat_parse_type: a type's text to its OID and typmod, as
 * parseTypeString.  Bad syntax raises 42601; an unknown type raises 42704
 * unless missing_ok, when *typid is set to InvalidOid.  PostgreSQL 16
 * replaced missing_ok by a soft-error context, which would also soften the
 * syntax error, so the syntax is checked first.
 */
static inline void
compat_parse_type(const char *string, Oid *typid, int32 *typmod, bool missing_ok)
{
#if PG_VERSION_NUM >= 160000
	if (missing_ok)
	{
		ErrorSaveContext escontext = {T_ErrorSaveContext};

		(void) typeStringToTypeName(string, NULL);
		if (!parseTypeString(string, typid, typmod, (Node *) &escontext))
			*typid = InvalidOid;
	}
	else
		(void) parseTypeString(string, typid, typmod, NULL);
#else
	(void) parseTypeString(string, typid, typmod, missing_ok);
#endif
}

/*
 * The subtransaction that gave a relation new storage in this transaction
 * (TRUNCATE, a rewrite), the last one and the first one, or
 * InvalidSubTransactionId: 16 renamed relfilenode to relfilelocator.
 */
#if PG_VERSION_NUM >= 160000
#define compat_rel_new_storage_subid(rel) ((rel)->rd_newRelfilelocatorSubid)
#define compat_rel_first_storage_subid(rel) ((rel)->rd_firstRelfilelocatorSubid)
#else
#define compat_rel_new_storage_subid(rel) ((rel)->rd_newRelfilenodeSubid)
#define compat_rel_first_storage_subid(rel) ((rel)->rd_firstRelfilenodeSubid)
#endif

#endif							/* DATAOPS_COMPAT_H */
