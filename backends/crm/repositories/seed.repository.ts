import type { Queryable } from '../../../platform/db';
import type { CrmDemoData } from '../../demo-data/demo-dataset.types';

/**
 * Bulk inserts for the demo seed: one multi-row INSERT from unnest() per table, so thousands of
 * rows cost a handful of statements. It writes no change events: seeded data is the starting
 * state, not news.
 */

/** True when the CRM holds no accounts yet; takes a lock so two starting processes seed once. */
export async function lockIfEmpty(tx: Queryable): Promise<boolean> {
  await tx.query('LOCK TABLE accounts IN EXCLUSIVE MODE');
  const any = await tx.query('SELECT 1 FROM accounts LIMIT 1');
  return any.rows.length === 0;
}

/** Inserts the owners. */
export async function insertUsers(tx: Queryable, users: CrmDemoData['users']): Promise<void> {
  await tx.query('INSERT INTO users (id, name, email) SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[])', [
    users.map((u) => u.id),
    users.map((u) => u.name),
    users.map((u) => u.email),
  ]);
}

/** Inserts accounts; each was last changed when it was created. */
export async function insertAccounts(tx: Queryable, accounts: CrmDemoData['accounts']): Promise<void> {
  await tx.query(
    `INSERT INTO accounts (id, name, email, industry, country, erp_customer_no, owner_id, created_at, updated_at)
     SELECT id, name, email, industry, country, erp_customer_no, owner_id, created_at, created_at
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::uuid[], $8::timestamptz[])
       AS s(id, name, email, industry, country, erp_customer_no, owner_id, created_at)`,
    [
      accounts.map((a) => a.id),
      accounts.map((a) => a.name),
      accounts.map((a) => a.email),
      accounts.map((a) => a.industry),
      accounts.map((a) => a.country),
      accounts.map((a) => a.erpCustomerNo),
      accounts.map((a) => a.ownerId),
      accounts.map((a) => a.createdAt),
    ],
  );
}

/** Inserts contacts, dated like their account so the seed stays deterministic. */
export async function insertContacts(tx: Queryable, contacts: CrmDemoData['contacts']): Promise<void> {
  await tx.query(
    `INSERT INTO contacts (id, account_id, name, email, phone, title, created_at, updated_at)
     SELECT s.id, s.account_id, s.name, s.email, s.phone, s.title, a.created_at, a.created_at
     FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[]) AS s(id, account_id, name, email, phone, title)
     JOIN accounts a ON a.id = s.account_id`,
    [
      contacts.map((c) => c.id),
      contacts.map((c) => c.accountId),
      contacts.map((c) => c.name),
      contacts.map((c) => c.email),
      contacts.map((c) => c.phone),
      contacts.map((c) => c.title),
    ],
  );
}

/** Inserts opportunities and all their lines. */
export async function insertOpportunities(tx: Queryable, opportunities: CrmDemoData['opportunities']): Promise<void> {
  await tx.query(
    `INSERT INTO opportunities (id, account_id, name, stage, currency, expected_close_date, erp_sales_order_id, owner_id, created_at, updated_at)
     SELECT id, account_id, name, stage, currency, expected_close_date, erp_sales_order_id, owner_id, created_at, created_at
     FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::date[], $7::text[], $8::uuid[], $9::timestamptz[])
       AS s(id, account_id, name, stage, currency, expected_close_date, erp_sales_order_id, owner_id, created_at)`,
    [
      opportunities.map((o) => o.id),
      opportunities.map((o) => o.accountId),
      opportunities.map((o) => o.name),
      opportunities.map((o) => o.stage),
      opportunities.map((o) => o.currency),
      opportunities.map((o) => o.expectedCloseDate),
      opportunities.map((o) => o.erpSalesOrderId),
      opportunities.map((o) => o.ownerId),
      opportunities.map((o) => o.createdAt),
    ],
  );
  const lines = opportunities.flatMap((o) => o.lines.map((line, i) => ({ opportunityId: o.id, lineNo: i + 1, ...line })));
  await tx.query(
    `INSERT INTO opportunity_lines (opportunity_id, line_no, sku, quantity, unit_price)
     SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::int[], $5::numeric[])`,
    [lines.map((l) => l.opportunityId), lines.map((l) => l.lineNo), lines.map((l) => l.sku), lines.map((l) => l.quantity), lines.map((l) => l.unitPrice)],
  );
}

/** Inserts activities, each recorded when it happened. */
export async function insertActivities(tx: Queryable, activities: CrmDemoData['activities']): Promise<void> {
  await tx.query(
    `INSERT INTO activities (id, account_id, type, subject, occurred_at, erp_sales_order_id, created_at, updated_at)
     SELECT id, account_id, type, subject, occurred_at, erp_sales_order_id, occurred_at, occurred_at
     FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::text[]) AS s(id, account_id, type, subject, occurred_at, erp_sales_order_id)`,
    [
      activities.map((a) => a.id),
      activities.map((a) => a.accountId),
      activities.map((a) => a.type),
      activities.map((a) => a.subject),
      activities.map((a) => a.occurredAt),
      activities.map((a) => a.erpSalesOrderId),
    ],
  );
}

/** Inserts service cases, each recorded when it was opened. */
export async function insertCases(tx: Queryable, cases: CrmDemoData['cases']): Promise<void> {
  await tx.query(
    `INSERT INTO cases (id, account_id, subject, status, priority, opened_at, erp_sales_order_id, created_at, updated_at)
     SELECT id, account_id, subject, status, priority, opened_at, erp_sales_order_id, opened_at, opened_at
     FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[]) AS s(id, account_id, subject, status, priority, opened_at, erp_sales_order_id)`,
    [
      cases.map((c) => c.id),
      cases.map((c) => c.accountId),
      cases.map((c) => c.subject),
      cases.map((c) => c.status),
      cases.map((c) => c.priority),
      cases.map((c) => c.openedAt),
      cases.map((c) => c.erpSalesOrderId),
    ],
  );
}
