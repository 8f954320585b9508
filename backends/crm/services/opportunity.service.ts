import type { CrmOpportunity, CrmOpportunityInput, CrmOpportunityStage } from '../../../connectors/crm/crm.connector';
import type { Queryable } from '../../../platform/db';
import { recordCrmChange } from '../events';
import { accountExists } from '../repositories/account.repository';
import { insertOpportunity, updateOpportunity } from '../repositories/opportunity.repository';
import { userExists } from '../repositories/user.repository';
import { notFound } from './not-found';

/** Creates an opportunity of an existing account, owned by an existing user (or nobody); its amount is the exact sum of its lines. */
export async function createOpportunity(tx: Queryable, input: CrmOpportunityInput): Promise<CrmOpportunity> {
  if (!(await accountExists(tx, input.accountId))) throw notFound('account', input.accountId, 'accountId');
  if (input.ownerId && !(await userExists(tx, input.ownerId))) throw notFound('user', input.ownerId, 'ownerId');
  const opportunity = await insertOpportunity(tx, input);
  await recordCrmChange(tx, 'opportunity', opportunity, 'created');
  return opportunity;
}

/** Moves the stage and/or links the sales order it became (one order only); a patch that changes nothing announces nothing. */
export async function changeOpportunity(tx: Queryable, id: string, patch: { stage?: CrmOpportunityStage; erpSalesOrderId?: string | null }): Promise<CrmOpportunity> {
  const result = await updateOpportunity(tx, id, patch);
  if (!result) throw notFound('opportunity', id);
  if (result.changed) await recordCrmChange(tx, 'opportunity', result.opportunity, 'updated');
  return result.opportunity;
}
