import { type Queryable, iso, isoOrNull } from '../../../platform/db';
import { isUuid } from '../../../platform/input-ids';

/** Where a customer stands between the two systems. */
export type LinkSyncState = 'IN_SYNC' | 'PENDING' | 'CONFLICT' | 'ERROR';

/** One kept link between a CRM account and an ERP customer (either may still be missing). */
export interface CustomerLink {
  /** The API Customer.id, "crm:<uuid>" or "erp:K-…"; never changes. */
  id: string;
  crmAccountId: string | null;
  erpCustomerNo: string | null;
  syncState: LinkSyncState;
  /** Why the last write to the other system failed, while the state is ERROR. */
  syncError: string | null;
  lastSyncedAt: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** What a new link is made of. */
export interface NewCustomerLink {
  id: string;
  crmAccountId: string | null;
  erpCustomerNo: string | null;
  syncState: LinkSyncState;
  syncError?: string | null;
  lastSyncedAt: string | null;
}

/** Fields a later write may change; an absent field keeps its value. */
export interface CustomerLinkPatch {
  crmAccountId?: string | null;
  erpCustomerNo?: string | null;
  syncState?: LinkSyncState;
  syncError?: string | null;
  lastSyncedAt?: string | null;
}

/** Several lookups at once: a link matches when any of its keys is in the matching list. */
export interface CustomerLinkKeys {
  ids?: readonly string[];
  crmAccountIds?: readonly string[];
  erpCustomerNos?: readonly string[];
}

interface LinkRow {
  id: string;
  crm_account_id: string | null;
  erp_customer_no: string | null;
  sync_state: LinkSyncState;
  sync_error: string | null;
  last_synced_at: Date | string | null;
  created_at: Date | string;
  updated_at: Date | string;
  version: number;
}

const COLUMNS = 'id, crm_account_id, erp_customer_no, sync_state, sync_error, last_synced_at, created_at, updated_at, version';

/** The only code that reads or writes `customer_links`. */
export class CustomerLinkRepository {
  constructor(private readonly db: Queryable) {}

  /** The links matching any of the given keys, in one query (an empty request costs none). */
  async findByKeys(keys: CustomerLinkKeys): Promise<CustomerLink[]> {
    const ids = [...new Set(keys.ids ?? [])];
    // crm_account_id is a uuid column: a malformed id can match nothing, and must not fail the cast.
    const crmAccountIds = [...new Set((keys.crmAccountIds ?? []).filter((id) => isUuid(id)).map((id) => id.toLowerCase()))];
    const erpCustomerNos = [...new Set(keys.erpCustomerNos ?? [])];
    // Only the keys asked for: each OR-ed index is planned and scanned even for an empty list
    // (one link by id 0.58 -> 0.41 ms CPU on PGlite with the id condition alone).
    const conditions: string[] = [];
    const params: unknown[] = [];
    const match = (column: string, type: string, values: string[]) => {
      if (values.length === 0) return;
      params.push(values);
      conditions.push(`${column} = ANY($${params.length}::${type}[])`);
    };
    match('id', 'text', ids);
    match('crm_account_id', 'uuid', crmAccountIds);
    match('erp_customer_no', 'text', erpCustomerNos);
    if (conditions.length === 0) return [];
    return this.select(conditions.join(' OR '), params);
  }

  /** The links with these API ids. */
  findByIds(ids: readonly string[]): Promise<CustomerLink[]> {
    return this.findByKeys({ ids });
  }

  /** The links of these CRM accounts. */
  findByCrmAccountIds(crmAccountIds: readonly string[]): Promise<CustomerLink[]> {
    return this.findByKeys({ crmAccountIds });
  }

  /** The links of these ERP customers. */
  findByErpCustomerNos(erpCustomerNos: readonly string[]): Promise<CustomerLink[]> {
    return this.findByKeys({ erpCustomerNos });
  }

  /** Up to `limit` links ordered by id, after the id `after` when given. */
  async page(options: { after?: string; limit: number }): Promise<CustomerLink[]> {
    return this.select('$1::text IS NULL OR id > $1', [options.after ?? null, options.limit], 'ORDER BY id LIMIT $2');
  }

  /**
   * The links matching `condition`, ordered by id, read as one JSON array: PGlite decodes every
   * column value of every row in JavaScript, and a batch of 100 links (an export page's
   * customers) cost 2.3 times as much as rows as in one document (1.97 against 0.87 ms; the
   * same for one link).
   */
  private async select(condition: string, params: unknown[], orderAndLimit = ''): Promise<CustomerLink[]> {
    const result = await this.db.query<{ links: string }>(
      `SELECT coalesce(json_agg(l ORDER BY l.id), '[]')::text AS links
       FROM (SELECT ${COLUMNS} FROM customer_links WHERE (${condition}) ${orderAndLimit}) l`,
      params,
    );
    return (JSON.parse(result.rows[0].links) as LinkRow[]).map(toLink);
  }

  /** How many links exist (a counter the table's triggers keep exact; see migration 008). */
  async count(): Promise<number> {
    const result = await this.db.query<{ n: number }>('SELECT n FROM customer_link_count');
    return Number(result.rows[0].n);
  }

  /**
   * Inserts the links whose keys are all new and skips the others (ON CONFLICT DO NOTHING on every
   * unique key), so running the same inserts twice changes nothing. Returns the ids inserted.
   */
  async insertMany(links: readonly NewCustomerLink[]): Promise<string[]> {
    if (links.length === 0) return [];
    const result = await this.db.query<{ id: string }>(
      `INSERT INTO customer_links (id, crm_account_id, erp_customer_no, sync_state, sync_error, last_synced_at)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
       ON CONFLICT DO NOTHING RETURNING id`,
      [
        links.map((l) => l.id),
        links.map((l) => l.crmAccountId?.toLowerCase() ?? null),
        links.map((l) => l.erpCustomerNo),
        links.map((l) => l.syncState),
        links.map((l) => l.syncError ?? null),
        links.map((l) => l.lastSyncedAt),
      ],
    );
    return result.rows.map((r) => r.id);
  }

  /** Inserts one link; false when a link with one of its keys exists already. */
  async insert(link: NewCustomerLink): Promise<boolean> {
    return (await this.insertMany([link])).length === 1;
  }

  /** Applies `patch` and bumps the version; null when no link has this id. */
  async update(id: string, patch: CustomerLinkPatch): Promise<CustomerLink | null> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    const set = (column: string, value: unknown, cast = '') => {
      params.push(value);
      sets.push(`${column} = $${params.length}${cast}`);
    };
    if (patch.crmAccountId !== undefined) set('crm_account_id', patch.crmAccountId?.toLowerCase() ?? null, '::uuid');
    if (patch.erpCustomerNo !== undefined) set('erp_customer_no', patch.erpCustomerNo);
    if (patch.syncState !== undefined) set('sync_state', patch.syncState);
    if (patch.syncError !== undefined) set('sync_error', patch.syncError);
    if (patch.lastSyncedAt !== undefined) set('last_synced_at', patch.lastSyncedAt, '::timestamptz');
    const result = await this.db.query<LinkRow>(
      `UPDATE customer_links SET ${[...sets, 'updated_at = now()', 'version = version + 1'].join(', ')} WHERE id = $1 RETURNING ${COLUMNS}`,
      params,
    );
    return result.rows[0] ? toLink(result.rows[0]) : null;
  }
}

function toLink(row: LinkRow): CustomerLink {
  return {
    id: row.id,
    crmAccountId: row.crm_account_id,
    erpCustomerNo: row.erp_customer_no,
    syncState: row.sync_state,
    syncError: row.sync_error,
    lastSyncedAt: isoOrNull(row.last_synced_at),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    version: Number(row.version),
  };
}
