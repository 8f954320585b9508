import { randomUUID } from 'node:crypto';
import type { CrmCase, CrmCaseInput, CrmCaseStatus } from '../../../connectors/crm/crm.connector';
import { type Queryable, iso } from '../../../platform/db';
import { NOW, wellFormedUuids } from './sql';

const COLUMNS = `c.id, c.account_id AS "accountId", c.subject, c.status, c.priority, c.opened_at AS "openedAt", c.erp_sales_order_id AS "erpSalesOrderId"`;

function toCase(raw: Record<string, unknown>): CrmCase {
  return { ...(raw as unknown as CrmCase), openedAt: iso(raw.openedAt as string) };
}

/** The service cases of these accounts, optionally in one status, newest first per account. */
export async function findCasesByAccounts(q: Queryable, accountIds: readonly string[], status?: CrmCaseStatus): Promise<CrmCase[]> {
  const wanted = wellFormedUuids(accountIds);
  if (wanted.length === 0) return [];
  const result = await q.query(
    `SELECT ${COLUMNS} FROM cases c WHERE c.account_id = ANY($1::uuid[]) AND ($2::text IS NULL OR c.status = $2)
     ORDER BY c.account_id, c.opened_at DESC, c.id DESC`,
    [wanted, status ?? null],
  );
  return result.rows.map(toCase);
}

/** Cases by id; unknown ids are omitted. */
export async function findCasesByIds(q: Queryable, ids: readonly string[]): Promise<CrmCase[]> {
  const wanted = wellFormedUuids(ids);
  if (wanted.length === 0) return [];
  const result = await q.query(`SELECT ${COLUMNS} FROM cases c WHERE c.id = ANY($1::uuid[]) ORDER BY c.opened_at DESC, c.id DESC`, [wanted]);
  return result.rows.map(toCase);
}

/** Opens a case (status OPEN, opened now) under a fresh UUID. */
export async function insertCase(tx: Queryable, input: CrmCaseInput): Promise<CrmCase & { version: number }> {
  const result = await tx.query(
    `INSERT INTO cases AS c (id, account_id, subject, status, priority, opened_at, erp_sales_order_id)
     VALUES ($1, $2, $3, 'OPEN', $4, ${NOW}, $5) RETURNING ${COLUMNS}, c.version`,
    [randomUUID(), input.accountId, input.subject, input.priority, input.erpSalesOrderId ?? null],
  );
  const { version, ...found } = result.rows[0] as Record<string, unknown> & { version: number };
  return { ...toCase(found), version };
}
