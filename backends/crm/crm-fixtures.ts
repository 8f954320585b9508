import type { CrmDemoData } from '../demo-data/demo-dataset.types';

/** A fixed UUID for test record `n` of a kind, readable in failures (…-4000-8000-00000000000n). */
export function fixtureId(kind: number, n: number): string {
  return `0000000${kind}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

/**
 * A small, fixed CRM dataset for tests: 2 users, 5 accounts (the first two linked to ERP
 * customers), contacts, opportunities with lines, 6 activities on each of two accounts and cases
 * in several statuses. Values are chosen so tests can state the expected answers.
 */
export function crmFixture(): CrmDemoData {
  const users = [
    { id: fixtureId(1, 1), name: 'Ada Owner', email: 'ada@crm.example' },
    { id: fixtureId(1, 2), name: 'Bo Owner', email: 'bo@crm.example' },
  ];
  const accountNames = ['Acme Tools', 'Borealis Foods', 'Cobalt Mining', 'Delta Logistics', 'Echo Retail'];
  const accounts = accountNames.map((name, i) => ({
    id: fixtureId(2, i + 1),
    name,
    email: `info@${name.split(' ')[0].toLowerCase()}.example`,
    industry: i % 2 === 0 ? 'Manufacturing' : 'Retail',
    country: 'DE',
    erpCustomerNo: i < 2 ? `K-1000${i + 1}` : null,
    ownerId: users[i % 2].id,
    createdAt: `2024-01-0${i + 1}T09:00:00.000Z`,
  }));
  const contacts = accounts.flatMap((a, i) => [
    { id: fixtureId(3, i * 2 + 1), accountId: a.id, name: `Ann ${a.name}`, email: `ann@${i}.example`, phone: '+49 30 1234', title: 'Buyer' },
    { id: fixtureId(3, i * 2 + 2), accountId: a.id, name: `Ben ${a.name}`, email: null, phone: null, title: null },
  ]);
  const stages = ['PROSPECTING', 'PROPOSAL', 'CLOSED_WON'];
  const opportunities = accounts.slice(0, 3).flatMap((a, i) =>
    stages.map((stage, s) => ({
      id: fixtureId(4, i * 3 + s + 1),
      accountId: a.id,
      name: `${a.name} ${stage.toLowerCase()} deal`,
      stage,
      currency: 'EUR',
      expectedCloseDate: '2025-06-30',
      erpSalesOrderId: stage === 'CLOSED_WON' ? `SO-2000${i + 1}` : null,
      ownerId: a.ownerId,
      createdAt: `2024-02-0${i + 1}T10:0${s}:00.000Z`,
      lines: [
        { sku: 'SKU-001', quantity: 3, unitPrice: '19.99' },
        { sku: 'SKU-002', quantity: 1, unitPrice: '0.10' },
      ],
    })),
  );
  const types = ['CALL', 'EMAIL', 'MEETING', 'NOTE', 'SYSTEM', 'CALL'];
  const activities = accounts.slice(0, 2).flatMap((a, i) =>
    types.map((type, t) => ({
      id: fixtureId(5, i * 10 + t + 1),
      accountId: a.id,
      type,
      subject: `${type} ${t + 1} with ${a.name}`,
      occurredAt: `2024-03-1${t}T08:00:00.000Z`,
      erpSalesOrderId: type === 'SYSTEM' ? `SO-2000${i + 1}` : null,
    })),
  );
  const cases = [
    { id: fixtureId(6, 1), accountId: accounts[0].id, subject: 'Late delivery', status: 'OPEN', priority: 'HIGH', openedAt: '2024-04-01T08:00:00.000Z', erpSalesOrderId: 'SO-20001' },
    { id: fixtureId(6, 2), accountId: accounts[0].id, subject: 'Invoice question', status: 'RESOLVED', priority: 'LOW', openedAt: '2024-04-02T08:00:00.000Z', erpSalesOrderId: null },
    { id: fixtureId(6, 3), accountId: accounts[1].id, subject: 'Damaged goods', status: 'IN_PROGRESS', priority: 'URGENT', openedAt: '2024-04-03T08:00:00.000Z', erpSalesOrderId: null },
  ];
  return { users, accounts, contacts, opportunities, activities, cases };
}
