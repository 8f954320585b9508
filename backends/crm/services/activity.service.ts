import type { CrmActivity, CrmActivityInput, CrmCase, CrmCaseInput } from '../../../connectors/crm/crm.connector';
import type { Queryable } from '../../../platform/db';
import { recordCrmChange } from '../events';
import { accountExists } from '../repositories/account.repository';
import { insertActivity } from '../repositories/activity.repository';
import { insertCase } from '../repositories/case.repository';
import { notFound } from './not-found';

/** Logs an activity on an existing account. */
export async function logActivity(tx: Queryable, input: CrmActivityInput): Promise<CrmActivity> {
  const inserted = await insertActivity(tx, input);
  if (!inserted) throw notFound('account', input.accountId, 'accountId');
  const { version, ...activity } = inserted;
  await recordCrmChange(tx, 'activity', { id: activity.id, version }, 'created');
  return activity;
}

/** Opens a service case, OPEN, on an existing account. */
export async function openCase(tx: Queryable, input: CrmCaseInput): Promise<CrmCase> {
  if (!(await accountExists(tx, input.accountId))) throw notFound('account', input.accountId, 'accountId');
  const { version, ...opened } = await insertCase(tx, input);
  await recordCrmChange(tx, 'case', { id: opened.id, version }, 'created');
  return opened;
}
