import { randomUUID } from 'node:crypto';
import type { CrmActivity, CrmActivityInput } from '../../../connectors/crm/crm.connector';
import { type Queryable, iso } from '../../../platform/db';
import { NOW, wellFormedUuids } from './sql';

const COLUMNS = `a.id, a.account_id AS "accountId", a.type, a.subject, a.occurred_at AS "occurredAt", a.erp_sales_order_id AS "erpSalesOrderId"`;

function toActivity(raw: Record<string, unknown>): CrmActivity {
  return { ...(raw as unknown as CrmActivity), occurredAt: iso(raw.occurredAt as string) };
}

/**
 * The newest `last` activities of each account, newest first within an account. A lateral
 * LIMIT per account walks the (account_id, occurred_at DESC) index, so an account with years of
 * history costs no more than one with a week of it.
 */
export async function findLatestActivitiesByAccounts(q: Queryable, accountIds: readonly string[], last: number): Promise<CrmActivity[]> {
  const wanted = wellFormedUuids(accountIds);
  if (wanted.length === 0 || last === 0) return [];
  const result = await q.query(
    `SELECT ${COLUMNS}
     FROM unnest($1::uuid[]) AS k(account_id)
     CROSS JOIN LATERAL (
       SELECT * FROM activities x WHERE x.account_id = k.account_id ORDER BY x.occurred_at DESC, x.id DESC LIMIT $2
     ) a
     ORDER BY a.account_id, a.occurred_at DESC, a.id DESC`,
    [wanted, last],
  );
  return result.rows.map(toActivity);
}

/** Activities by id; unknown ids are omitted. */
export async function findActivitiesByIds(q: Queryable, ids: readonly string[]): Promise<CrmActivity[]> {
  const wanted = wellFormedUuids(ids);
  if (wanted.length === 0) return [];
  const result = await q.query(`SELECT ${COLUMNS} FROM activities a WHERE a.id = ANY($1::uuid[]) ORDER BY a.occurred_at DESC, a.id DESC`, [wanted]);
  return result.rows.map(toActivity);
}

/**
 * Logs an activity under a fresh UUID; it happened now unless the input says when. Null when the
 * account does not exist (checked in the same statement: activities are the CRM's busiest write).
 */
export async function insertActivity(tx: Queryable, input: CrmActivityInput): Promise<(CrmActivity & { version: number }) | null> {
  const result = await tx.query(
    `INSERT INTO activities AS a (id, account_id, type, subject, occurred_at, erp_sales_order_id)
     SELECT $1, $2, $3, $4, coalesce(date_trunc('milliseconds', $5::timestamptz), ${NOW}), $6
     WHERE EXISTS (SELECT 1 FROM accounts WHERE id = $2::uuid)
     RETURNING ${COLUMNS}, a.version`,
    [randomUUID(), input.accountId, input.type, input.subject, input.occurredAt ?? null, input.erpSalesOrderId ?? null],
  );
  if (result.rows.length === 0) return null;
  const { version, ...activity } = result.rows[0] as Record<string, unknown> & { version: number };
  return { ...toActivity(activity), version };
}
