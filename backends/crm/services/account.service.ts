import type { CrmAccount, CrmAccountInput } from '../../../connectors/crm/crm.connector';
import type { Queryable } from '../../../platform/db';
import { recordCrmChange } from '../events';
import { insertAccount, updateAccount } from '../repositories/account.repository';
import { userExists } from '../repositories/user.repository';
import { notFound } from './not-found';

async function assertOwnerExists(tx: Queryable, ownerId: string | null | undefined): Promise<void> {
  if (ownerId && !(await userExists(tx, ownerId))) throw notFound('user', ownerId, 'ownerId');
}

/** Creates an account owned by an existing user (or nobody); an ERP customer number is kept by one account only. */
export async function createAccount(tx: Queryable, input: CrmAccountInput): Promise<CrmAccount> {
  await assertOwnerExists(tx, input.ownerId);
  const account = await insertAccount(tx, input);
  await recordCrmChange(tx, 'account', account, 'created');
  return account;
}

/** Changes the given fields; a patch that changes nothing leaves the version alone and announces nothing. */
export async function changeAccount(tx: Queryable, id: string, patch: Partial<CrmAccountInput>): Promise<CrmAccount> {
  await assertOwnerExists(tx, patch.ownerId);
  const result = await updateAccount(tx, id, patch);
  if (!result) throw notFound('account', id);
  if (result.changed) await recordCrmChange(tx, 'account', result.account, 'updated');
  return result.account;
}
