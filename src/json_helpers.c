/*
 * json_helpers.c: reading values out of Jsonb: a key's value, as text or as
 * a list of strings.  Moved out of catalog.c, which does not use them; the
 * modules that read options and expectation arguments do.  Uses PostgreSQL
 * only.
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "json_helpers.h"

JsonbValue *
json_get(Jsonb *j, const char *key)
{
	if (j == NULL || !JB_ROOT_IS_OBJECT(j))
		return NULL;
	return getKeyJsonValueFromContainer(&j->root, key, strlen(key), NULL);
}

char *
json_value_text(JsonbValue *v)
{
	if (v == NULL)
		return NULL;
	switch (v->type)
	{
		case jbvNull:
			return NULL;
		case jbvString:
			return pnstrdup(v->val.string.val, v->val.string.len);
		case jbvNumeric:
			return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
		case jbvBool:
			return pstrdup(v->val.boolean ? "true" : "false");
		default:
			return JsonbToCString(NULL, v->val.binary.data, v->val.binary.len);
	}
}

/*
 * Returns the strings of a JSON array of strings; raises ERROR 22023 naming
 * `what` if v is not a non-empty array of strings.
 */
List *
json_string_list(JsonbValue *v, const char *what)
{
	List	   *result = NIL;
	JsonbIterator *it;
	JsonbValue	elem;
	JsonbIteratorToken tok;
	bool		ok = (v != NULL && v->type == jbvBinary &&
					  JsonContainerIsArray(v->val.binary.data));

	if (ok)
	{
		it = JsonbIteratorInit(v->val.binary.data);
		while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
		{
			if (tok != WJB_ELEM)
				continue;
			if (elem.type != jbvString || elem.val.string.len == 0)
			{
				ok = false;
				break;
			}
			result = lappend(result, pnstrdup(elem.val.string.val, elem.val.string.len));
		}
	}
	if (!ok || result == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a non-empty JSON array of strings", what)));
	return result;
}
