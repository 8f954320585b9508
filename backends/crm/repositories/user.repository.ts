import type { CrmUser } from '../../../connectors/crm/crm.connector';
import type { Queryable } from '../../../platform/db';
import { wellFormedUuids } from './sql';

/** Users by id (the owners of accounts and opportunities); unknown ids are omitted. */
export async function findUsersByIds(q: Queryable, ids: readonly string[]): Promise<CrmUser[]> {
  const wanted = wellFormedUuids(ids);
  if (wanted.length === 0) return [];
  const result = await q.query<CrmUser>('SELECT id, name, email FROM users WHERE id = ANY($1::uuid[]) ORDER BY name, id', [wanted]);
  return result.rows;
}

/** Every user, by name; the CRM has a handful of them. */
export async function listUsers(q: Queryable, limit: number): Promise<CrmUser[]> {
  const result = await q.query<CrmUser>('SELECT id, name, email FROM users ORDER BY name, id LIMIT $1', [limit]);
  return result.rows;
}

/** True when the user exists. */
export async function userExists(q: Queryable, id: string): Promise<boolean> {
  const result = await q.query('SELECT 1 FROM users WHERE id = $1', [id]);
  return result.rows.length > 0;
}
