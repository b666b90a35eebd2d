/*
 * contract.c: the catalog writes of data contracts (ODCS v3.1.0, issue 14).
 * dataops.apply_contract reads the contract and creates its expectations
 * through dataops.add_expectation in SQL; what add_expectation cannot do,
 * marking the expectations as the contract's, replacing them when a new
 * version comes, and keeping the columns' classification and tags, is done
 * here, as the extension owner through the catalog module, after
 * args_owned_pipeline checked that the caller has the privileges of the
 * pipeline's owner.  Each function checks that privilege itself, so calling
 * it directly allows nothing apply_contract would not.
 *
 * May use: args (ownership, arguments), catalog (catalog_contract.h).
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "args.h"
#include "catalog_contract.h"
#include "contract.h"

/*
 * dataops._contract_check(pipeline text) → void: raises 22004 for a NULL
 * pipeline, 42704 for an unknown one, 42501 unless the caller has the
 * privileges of its owner (args_owned_pipeline), 55006 while a run of the
 * pipeline is queued or running (args_require_pipeline_idle, which also
 * locks the pipeline's definition until the transaction ends, so that no
 * run starts while the contract is applied); returns nothing otherwise.
 * apply_contract calls it before it reads or changes anything.
 */
PG_FUNCTION_INFO_V1(dataops_contract_check);
Datum
dataops_contract_check(PG_FUNCTION_ARGS)
{
	char	   *pipeline;

	args_require(PG_ARGISNULL(0), "pipeline");
	pipeline = args_text(fcinfo, 0);
	(void) args_changing_pipeline(pipeline, "change");
	PG_RETURN_VOID();
}

/*
 * dataops._contract_mark(pipeline text, step text, names text[],
 * contract_id text, contract_version text) → bigint: marks the step's
 * expectations named in `names` as created by the contract (id, version):
 * dataops.expectations.contract_id and contract_version.  Returns the
 * number of expectations whose mark changed.  Raises 22004 for a NULL
 * argument (contract_version may be NULL), 42704 for an unknown pipeline or
 * step, 42501 unless the caller has the privileges of the pipeline's owner,
 * 55006 while a run of the pipeline is queued or running.
 */
PG_FUNCTION_INFO_V1(dataops_contract_mark);
Datum
dataops_contract_mark(PG_FUNCTION_ARGS)
{
	char	   *pipeline;
	char	   *step;

	(void) args_changing_step(fcinfo, &pipeline, &step);
	args_require(PG_ARGISNULL(2), "names");
	args_require(PG_ARGISNULL(3), "contract_id");
	PG_RETURN_INT64(catalog_contract_mark(pipeline, step, PG_GETARG_ARRAYTYPE_P(2),
										  args_text(fcinfo, 3), args_text(fcinfo, 4)));
}

/*
 * dataops._contract_drop(pipeline text, step text, names text[],
 * contract_id text) → bigint: deletes the step's expectations named in
 * `names` that the contract `contract_id` created (an expectation the user
 * added, or another contract created, is kept).  Returns the number
 * deleted.  Raises 22004 for a NULL argument, 42704 for an unknown
 * pipeline or step, 42501 unless the caller has the privileges of the
 * pipeline's owner, 55006 while a run of the pipeline is queued or running.
 */
PG_FUNCTION_INFO_V1(dataops_contract_drop);
Datum
dataops_contract_drop(PG_FUNCTION_ARGS)
{
	char	   *pipeline;
	char	   *step;

	(void) args_changing_step(fcinfo, &pipeline, &step);
	args_require(PG_ARGISNULL(2), "names");
	args_require(PG_ARGISNULL(3), "contract_id");
	PG_RETURN_INT64(catalog_contract_drop(pipeline, step, PG_GETARG_ARRAYTYPE_P(2), args_text(fcinfo, 3)));
}

/*
 * dataops._contract_set_tags(pipeline text, step text, contract_id text,
 * contract_version text, tags jsonb) → bigint: replaces the column
 * classification and tags (dataops.column_tags) the contract gave the
 * step by `tags`, a JSON array of {"column", "classification", "tags"}.
 * Returns the number of columns tagged.  Raises 22004 for a NULL argument
 * (contract_version may be NULL), 22023 when tags is not a JSON array,
 * 42704 for an unknown pipeline or step, 42501 unless the caller has the
 * privileges of the pipeline's owner, 55006 while a run of the pipeline is
 * queued or running.
 */
PG_FUNCTION_INFO_V1(dataops_contract_set_tags);
Datum
dataops_contract_set_tags(PG_FUNCTION_ARGS)
{
	char	   *pipeline;
	char	   *step;
	Jsonb	   *tags;

	(void) args_changing_step(fcinfo, &pipeline, &step);
	args_require(PG_ARGISNULL(2), "contract_id");
	args_require(PG_ARGISNULL(4), "tags");
	tags = PG_GETARG_JSONB_P(4);
	if (!JB_ROOT_IS_ARRAY(tags) || JB_ROOT_IS_SCALAR(tags))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("column tags must be a JSON array"),
				 errhint("Example: '[{\"column\": \"email\", \"classification\": \"restricted\", \"tags\": [\"pii\"]}]'.")));
	PG_RETURN_INT64(catalog_contract_set_tags(pipeline, step, args_text(fcinfo, 2), args_text(fcinfo, 3), tags));
}

/*
 * dataops._contract_record(pipeline text, contract_id text,
 * contract_version text, sla_freshness text) → void: records that version
 * contract_version of contract contract_id was applied to the pipeline and
 * the sla_freshness option it set (an interval literal; NULL when this
 * version sets none) in dataops.pipeline_contracts, so that a later version
 * without freshness removes only the value the contract set.  Raises 22004
 * for a NULL pipeline or contract_id, 42704 for an unknown pipeline, 42501
 * unless the caller has the privileges of its owner, 55006 while a run of
 * the pipeline is queued or running.
 */
PG_FUNCTION_INFO_V1(dataops_contract_record);
Datum
dataops_contract_record(PG_FUNCTION_ARGS)
{
	char	   *pipeline;

	args_require(PG_ARGISNULL(0), "pipeline");
	args_require(PG_ARGISNULL(1), "contract_id");
	pipeline = args_text(fcinfo, 0);
	(void) args_changing_pipeline(pipeline, "change");
	catalog_contract_record(pipeline, args_text(fcinfo, 1), args_text(fcinfo, 2), args_text(fcinfo, 3));
	PG_RETURN_VOID();
}
