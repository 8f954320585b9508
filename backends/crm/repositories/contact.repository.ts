import type { CrmContact } from '../../../connectors/crm/crm.connector';
import type { Queryable } from '../../../platform/db';
import { wellFormedUuids } from './sql';

// A contact row as the API's document: one value per row to decode (see isoText in platform/db).
const CONTACT_DOC = `json_build_object('id', c.id, 'accountId', c.account_id, 'name', c.name, 'email', c.email, 'phone', c.phone, 'title', c.title)`;

/** The contacts of these accounts, by account then name. */
export async function findContactsByAccounts(q: Queryable, accountIds: readonly string[]): Promise<CrmContact[]> {
  const wanted = wellFormedUuids(accountIds);
  if (wanted.length === 0) return [];
  const result = await q.query<{ doc: CrmContact }>(`SELECT ${CONTACT_DOC} AS doc FROM contacts c WHERE c.account_id = ANY($1::uuid[]) ORDER BY c.account_id, c.name, c.id`, [wanted]);
  return result.rows.map((row) => row.doc);
}

/** Contacts by id; unknown ids are omitted. */
export async function findContactsByIds(q: Queryable, ids: readonly string[]): Promise<CrmContact[]> {
  const wanted = wellFormedUuids(ids);
  if (wanted.length === 0) return [];
  const result = await q.query<{ doc: CrmContact }>(`SELECT ${CONTACT_DOC} AS doc FROM contacts c WHERE c.id = ANY($1::uuid[]) ORDER BY c.name, c.id`, [wanted]);
  return result.rows.map((row) => row.doc);
}
