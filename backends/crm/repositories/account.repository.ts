import { randomUUID } from 'node:crypto';
import type { CrmAccount, CrmAccountInput } from '../../../connectors/crm/crm.connector';
import type { Page } from '../../../connectors/page';
import { type Queryable, isoText } from '../../../platform/db';
import { AppError, ErrorCode } from '../../../platform/errors';
import { type PageRequest, browseOrChangedPage } from '../../../platform/pagination';
import { NOW, UUID_PATTERN, isUniqueViolation, likeContains, wellFormedUuids } from './sql';

// An account row as the API's document (see isoText in platform/db for why the database builds it).
const COLUMNS = `json_build_object('id', a.id, 'name', a.name, 'email', a.email, 'industry', a.industry, 'country', a.country,
  'erpCustomerNo', a.erp_customer_no, 'ownerId', a.owner_id, 'version', a.version,
  'createdAt', ${isoText('a.created_at')}, 'updatedAt', ${isoText('a.updated_at')}) AS doc`;

/** Fields an account write may set, by API name → column. */
const WRITABLE: Record<keyof CrmAccountInput, string> = {
  name: 'name',
  email: 'email',
  industry: 'industry',
  country: 'country',
  erpCustomerNo: 'erp_customer_no',
  ownerId: 'owner_id',
};

function toAccount(raw: Record<string, unknown>): CrmAccount {
  return raw.doc as CrmAccount;
}

/** Accounts by id; unknown ids are omitted. */
export async function findAccountsByIds(q: Queryable, ids: readonly string[]): Promise<CrmAccount[]> {
  const wanted = wellFormedUuids(ids);
  if (wanted.length === 0) return [];
  const result = await q.query(`SELECT ${COLUMNS} FROM accounts a WHERE a.id = ANY($1::uuid[]) ORDER BY a.created_at, a.id`, [wanted]);
  return result.rows.map(toAccount);
}

/** Accounts linked to these ERP customer numbers. */
export async function findAccountsByErpCustomerNos(q: Queryable, erpCustomerNos: readonly string[]): Promise<CrmAccount[]> {
  if (erpCustomerNos.length === 0) return [];
  const result = await q.query(`SELECT ${COLUMNS} FROM accounts a WHERE a.erp_customer_no = ANY($1::text[]) ORDER BY a.created_at, a.id`, [[...new Set(erpCustomerNos)]]);
  return result.rows.map(toAccount);
}

/** A page of accounts, optionally those whose name or email contains `search` (any case). */
export async function listAccounts(q: Queryable, filter: { search?: string }, page: PageRequest): Promise<Page<CrmAccount>> {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (filter.search) {
    params.push(likeContains(filter.search));
    conditions.push(`(lower(a.name) LIKE $1 OR lower(a.email) LIKE $1)`);
  }
  const rows = await browseOrChangedPage<{ key: string; doc: unknown }>(q, {
    select: `${COLUMNS}, a.id AS key`,
    from: 'accounts a',
    keyColumn: 'a.id',
    keyPattern: UUID_PATTERN,
    created: 'a.created_at',
    updated: 'a.updated_at',
    browse: 'oldest',
    where: conditions,
    params,
    ...page,
  });
  return { ...rows, items: rows.items.map(toAccount) };
}

/** True when the account exists. */
export async function accountExists(q: Queryable, id: string): Promise<boolean> {
  const result = await q.query('SELECT 1 FROM accounts WHERE id = $1', [id]);
  return result.rows.length > 0;
}

/** Inserts a new account under a fresh UUID. */
export async function insertAccount(tx: Queryable, input: CrmAccountInput): Promise<CrmAccount> {
  await assertErpCustomerNoFree(tx, input.erpCustomerNo ?? null, null);
  try {
    const result = await tx.query(
      `INSERT INTO accounts AS a (id, name, email, industry, country, erp_customer_no, owner_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
      [randomUUID(), input.name, input.email ?? null, input.industry ?? null, input.country ?? null, input.erpCustomerNo ?? null, input.ownerId ?? null],
    );
    return toAccount(result.rows[0]);
  } catch (error) {
    throw conflictOnDuplicateErpNo(error, input.erpCustomerNo);
  }
}

/**
 * Applies the given fields. A patch that changes nothing leaves version and updated_at alone and
 * emits no event, so a sync writing back what it read does not echo. Returns null for an unknown id.
 */
export async function updateAccount(tx: Queryable, id: string, patch: Partial<CrmAccountInput>): Promise<{ account: CrmAccount; changed: boolean } | null> {
  const entries = (Object.keys(WRITABLE) as (keyof CrmAccountInput)[]).filter((field) => patch[field] !== undefined);
  if (patch.erpCustomerNo) await assertErpCustomerNoFree(tx, patch.erpCustomerNo, id);
  if (entries.length > 0) {
    const params: unknown[] = [id, ...entries.map((field) => patch[field])];
    const sets = entries.map((field, i) => `${WRITABLE[field]} = $${i + 2}`);
    const differs = entries.map((field, i) => `a.${WRITABLE[field]} IS DISTINCT FROM $${i + 2}`);
    try {
      const updated = await tx.query(
        `UPDATE accounts AS a SET ${sets.join(', ')}, version = a.version + 1, updated_at = ${NOW}
         WHERE a.id = $1 AND (${differs.join(' OR ')}) RETURNING ${COLUMNS}`,
        params,
      );
      if (updated.rows[0]) return { account: toAccount(updated.rows[0]), changed: true };
    } catch (error) {
      throw conflictOnDuplicateErpNo(error, patch.erpCustomerNo);
    }
  }
  const [current] = await findAccountsByIds(tx, [id]);
  return current ? { account: current, changed: false } : null;
}

async function assertErpCustomerNoFree(tx: Queryable, erpCustomerNo: string | null, selfId: string | null): Promise<void> {
  if (!erpCustomerNo) return;
  const taken = await tx.query<{ id: string }>('SELECT id FROM accounts WHERE erp_customer_no = $1 AND id IS DISTINCT FROM $2::uuid', [erpCustomerNo, selfId]);
  if (taken.rows[0]) {
    throw new AppError(ErrorCode.CONFLICT, `ERP customer ${erpCustomerNo} is already linked to another account`, {
      field: 'erpCustomerNo',
      accountId: taken.rows[0].id,
    });
  }
}

function conflictOnDuplicateErpNo(error: unknown, erpCustomerNo: string | null | undefined): unknown {
  // A concurrent link won the race between the check and the write.
  return isUniqueViolation(error)
    ? new AppError(ErrorCode.CONFLICT, `ERP customer ${erpCustomerNo} is already linked to another account`, { field: 'erpCustomerNo' })
    : error;
}
