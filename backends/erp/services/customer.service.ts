import type { Queryable } from '../../../platform/db';
import { AppError, ErrorCode } from '../../../platform/errors';
import type { ErpCustomer, ErpCustomerInput } from '../../../connectors/erp/erp.connector';
import { ErpEntity, recordCreated, recordUpdated } from '../events';
import { type CreditPolicy, DEFAULT_CREDIT_POLICY } from './credit.service';
import { customerNoByExternalRef, insertCustomer, updateCustomer } from '../repositories/customer.repository';

/** Currency of a customer created without one. */
export const DEFAULT_CURRENCY = 'EUR';

async function assertExternalRefFree(tx: Queryable, externalRef: string | null | undefined, customerNo?: string): Promise<void> {
  if (!externalRef) return;
  const holder = await customerNoByExternalRef(tx, externalRef);
  if (holder && holder !== customerNo) {
    throw new AppError(ErrorCode.CONFLICT, `externalRef ${externalRef} is already linked to customer ${holder}`, { field: 'externalRef', customerNo: holder });
  }
}

/**
 * Creates a customer under a new number; a CRM account id may be linked to one customer only. A
 * customer created without a credit limit (from the API, the sync or a flow) gets the policy's
 * default: no customer starts with unlimited credit.
 */
export async function createCustomer(tx: Queryable, input: ErpCustomerInput, credit: CreditPolicy = DEFAULT_CREDIT_POLICY): Promise<ErpCustomer> {
  await assertExternalRefFree(tx, input.externalRef);
  const customer = await insertCustomer(tx, { ...input, creditLimit: input.creditLimit ?? credit.defaultCreditLimit, currency: input.currency ?? DEFAULT_CURRENCY });
  await recordCreated(tx, ErpEntity.customer, customer.customerNo, customer.version);
  return customer;
}

/** Changes the given fields of a customer. */
export async function changeCustomer(tx: Queryable, customerNo: string, patch: Partial<ErpCustomerInput>): Promise<ErpCustomer> {
  await assertExternalRefFree(tx, patch.externalRef, customerNo);
  const customer = await updateCustomer(tx, customerNo, patch);
  if (!customer) throw new AppError(ErrorCode.NOT_FOUND, `customer ${customerNo} does not exist`, { customerNo });
  await recordUpdated(tx, ErpEntity.customer, customer.customerNo, customer.version);
  return customer;
}
