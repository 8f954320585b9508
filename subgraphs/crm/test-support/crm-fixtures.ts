import type { CrmAccount, CrmActivity, CrmCase, CrmContact, CrmOpportunity } from '../../../connectors/crm/crm.connector';
import type { InMemoryCrmData } from '../../../connectors/crm/test-support/in-memory-crm.connector';

/** The CRM account id of account `n` (1-based). */
export function accountIdOf(n: number): string {
  return `c0000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

/** Accounts above this number exist only in the CRM (no ERP customer number kept). */
export const LAST_LINKED_ACCOUNT = 48;

const STAMP = '2026-01-15T08:00:00.000Z';

/**
 * A small CRM: `accountCount` accounts, each with two contacts, an open proposal of 1234.5, a won
 * opportunity that became sales order SO-1000n1, three activities and an open case.
 */
export function crmFixture(accountCount: number): InMemoryCrmData {
  const accounts: CrmAccount[] = [];
  const contacts: CrmContact[] = [];
  const opportunities: CrmOpportunity[] = [];
  const activities: CrmActivity[] = [];
  const cases: CrmCase[] = [];
  for (let n = 1; n <= accountCount; n++) {
    const accountId = accountIdOf(n);
    const salesOrderId = `SO-${100000 + n * 10 + 1}`;
    accounts.push({
      id: accountId,
      name: `Customer ${n} GmbH`,
      email: `info@customer${n}.example`,
      industry: 'Machinery',
      country: 'DE',
      erpCustomerNo: n <= LAST_LINKED_ACCOUNT ? `K-${10000 + n}` : null,
      ownerId: null,
      version: 1,
      createdAt: STAMP,
      updatedAt: STAMP,
    });
    for (const k of [1, 2]) {
      contacts.push({ id: `d000000${k}-0000-4000-8000-${String(n).padStart(12, '0')}`, accountId, name: `Contact ${n}.${k}`, email: `c${k}@customer${n}.example`, phone: null, title: k === 1 ? 'Purchasing' : null });
    }
    opportunities.push(
      {
        id: `e0000001-0000-4000-8000-${String(n).padStart(12, '0')}`,
        accountId,
        name: `Gear units for customer ${n}`,
        stage: 'PROPOSAL',
        amount: '1234.5',
        currency: 'EUR',
        expectedCloseDate: '2026-06-30',
        erpSalesOrderId: null,
        ownerId: null,
        lines: [{ sku: 'P-200', quantity: 1, unitPrice: '1234.5' }],
        version: 1,
        createdAt: STAMP,
        updatedAt: STAMP,
      },
      {
        id: `e0000002-0000-4000-8000-${String(n).padStart(12, '0')}`,
        accountId,
        name: `Pumps for customer ${n}`,
        stage: 'CLOSED_WON',
        amount: '39.8',
        currency: 'EUR',
        expectedCloseDate: null,
        erpSalesOrderId: salesOrderId,
        ownerId: null,
        lines: [{ sku: 'P-100', quantity: 2, unitPrice: '19.9' }],
        version: 1,
        createdAt: STAMP,
        updatedAt: STAMP,
      },
    );
    for (const k of [1, 2, 3]) {
      activities.push({
        id: `f000000${k}-0000-4000-8000-${String(n).padStart(12, '0')}`,
        accountId,
        type: k === 3 ? 'SYSTEM' : 'CALL',
        subject: k === 3 ? `Order ${salesOrderId} shipped` : `Call ${k}`,
        occurredAt: `2026-02-0${k}T09:00:00.000Z`,
        erpSalesOrderId: k === 3 ? salesOrderId : null,
      });
    }
    cases.push({ id: `b0000001-0000-4000-8000-${String(n).padStart(12, '0')}`, accountId, subject: 'Pump leaks', status: 'OPEN', priority: 'HIGH', openedAt: STAMP, erpSalesOrderId: salesOrderId });
  }
  return { accounts, contacts, opportunities, activities, cases };
}
