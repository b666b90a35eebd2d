/*
 * contract.h: data contracts (ODCS v3.1.0, issue 14): the SQL-callable
 * internal functions dataops.apply_contract (PL/pgSQL, SECURITY INVOKER)
 * calls to write the catalog after the caller's privilege on the pipeline
 * is checked: dataops._contract_check, _contract_mark, _contract_drop,
 * _contract_set_tags and _contract_record (contract.c).  The contract is read, and its
 * expectations created through dataops.add_expectation, in SQL
 * (sql/dataops--0.8.0--0.9.0.sql, section "Data contracts").
 *
 * Layering: contract.c may use args.h and catalog (catalog_contract.h)
 * only; nothing includes this header (the functions are called from SQL).
 */
#ifndef DATAOPS_CONTRACT_H
#define DATAOPS_CONTRACT_H

#include "postgres.h"
#include "fmgr.h"

extern Datum dataops_contract_check(PG_FUNCTION_ARGS);
extern Datum dataops_contract_mark(PG_FUNCTION_ARGS);
extern Datum dataops_contract_drop(PG_FUNCTION_ARGS);
extern Datum dataops_contract_set_tags(PG_FUNCTION_ARGS);
extern Datum dataops_contract_record(PG_FUNCTION_ARGS);

#endif							/* DATAOPS_CONTRACT_H */
