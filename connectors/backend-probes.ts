import type { CrmConnector } from './crm/crm.connector';
import type { ErpConnector } from './erp/erp.connector';

/**
 * The cheapest read that proves each backend answers, for dependency health and for the flow
 * engine's check that a backend is back. They go through the connector (its credential, timeout
 * and retries), so "answers" means what every other call would find.
 */

/** Resolves when the ERP answers: its warehouse list is a handful of rows. */
export async function erpAnswers(erp: Pick<ErpConnector, 'listWarehouses'>): Promise<void> {
  await erp.listWarehouses();
}

/** Resolves when the CRM answers: one account. */
export async function crmAnswers(crm: Pick<CrmConnector, 'listAccounts'>): Promise<void> {
  await crm.listAccounts({ first: 1 });
}
