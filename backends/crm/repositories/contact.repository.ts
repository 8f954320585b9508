import type { CrmContact } from '../../../connectors/crm/crm.connector';
import type { Queryable } from '../../../platform/db';
import { wellFormedUuids } from './keyset-page';

/** The contacts of these accounts, by account then name. */
export async function findContactsByAccounts(q: Queryable, accountIds: readonly string[]): Promise<CrmContact[]> {
  const wanted = wellFormedUuids(accountIds);
  if (wanted.length === 0) return [];
  const result = await q.query<CrmContact>(
    `SELECT c.id, c.account_id AS "accountId", c.name, c.email, c.phone, c.title
     FROM contacts c WHERE c.account_id = ANY($1::uuid[]) ORDER BY c.account_id, c.name, c.id`,
    [wanted],
  );
  return result.rows;
}

/** Contacts by id; unknown ids are omitted. */
export async function findContactsByIds(q: Queryable, ids: readonly string[]): Promise<CrmContact[]> {
  const wanted = wellFormedUuids(ids);
  if (wanted.length === 0) return [];
  const result = await q.query<CrmContact>(
    `SELECT c.id, c.account_id AS "accountId", c.name, c.email, c.phone, c.title FROM contacts c WHERE c.id = ANY($1::uuid[]) ORDER BY c.name, c.id`,
    [wanted],
  );
  return result.rows;
}
