import { randomUUID } from 'node:crypto';
import type { CrmOpportunity, CrmOpportunityInput, CrmOpportunityStage } from '../../../connectors/crm/crm.connector';
import type { Page } from '../../../connectors/page';
import { type Queryable, isoText } from '../../../platform/db';
import { AppError, ErrorCode } from '../../../platform/errors';
import { type PageRequest, browseOrChangedPage } from '../../../platform/pagination';
import { NOW, UUID_PATTERN, likeContains, wellFormedUuids } from './sql';

// An opportunity row as the API's document with its lines (see isoText in platform/db for why the
// database builds it). The amount is summed over numeric columns: exact, always two decimals.
const COLUMNS = `json_build_object('id', o.id, 'accountId', o.account_id, 'name', o.name, 'stage', o.stage,
  'amount', (SELECT round(coalesce(sum(l.quantity * l.unit_price), 0), 2)::text FROM opportunity_lines l WHERE l.opportunity_id = o.id),
  'lines', coalesce((SELECT json_agg(json_build_object('sku', l.sku, 'quantity', l.quantity, 'unitPrice', l.unit_price::text) ORDER BY l.line_no)
                     FROM opportunity_lines l WHERE l.opportunity_id = o.id), '[]'),
  'currency', o.currency, 'expectedCloseDate', o.expected_close_date::text, 'erpSalesOrderId', o.erp_sales_order_id, 'ownerId', o.owner_id,
  'version', o.version, 'createdAt', ${isoText('o.created_at')}, 'updatedAt', ${isoText('o.updated_at')}) AS doc`;

function toOpportunity(raw: Record<string, unknown>): CrmOpportunity {
  return raw.doc as CrmOpportunity;
}

async function select(q: Queryable, where: string, params: unknown[]): Promise<CrmOpportunity[]> {
  const result = await q.query(`SELECT ${COLUMNS} FROM opportunities o WHERE ${where} ORDER BY o.created_at, o.id`, params);
  return result.rows.map(toOpportunity);
}

/** Opportunities by id; unknown ids are omitted. */
export async function findOpportunitiesByIds(q: Queryable, ids: readonly string[]): Promise<CrmOpportunity[]> {
  const wanted = wellFormedUuids(ids);
  return wanted.length === 0 ? [] : select(q, 'o.id = ANY($1::uuid[])', [wanted]);
}

/** The opportunities of these accounts, optionally in one stage. */
export async function findOpportunitiesByAccounts(q: Queryable, accountIds: readonly string[], stage?: CrmOpportunityStage): Promise<CrmOpportunity[]> {
  const wanted = wellFormedUuids(accountIds);
  if (wanted.length === 0) return [];
  return stage ? select(q, 'o.account_id = ANY($1::uuid[]) AND o.stage = $2', [wanted, stage]) : select(q, 'o.account_id = ANY($1::uuid[])', [wanted]);
}

/** The opportunities that became these ERP sales orders. */
export async function findOpportunitiesBySalesOrders(q: Queryable, erpSalesOrderIds: readonly string[]): Promise<CrmOpportunity[]> {
  if (erpSalesOrderIds.length === 0) return [];
  return select(q, 'o.erp_sales_order_id = ANY($1::text[])', [[...new Set(erpSalesOrderIds)]]);
}

/** A page of opportunities filtered by stage, account and a name search. */
export async function listOpportunities(
  q: Queryable,
  filter: { stage?: CrmOpportunityStage; accountId?: string; search?: string },
  page: PageRequest,
): Promise<Page<CrmOpportunity>> {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (filter.stage) {
    params.push(filter.stage);
    conditions.push(`o.stage = $${params.length}`);
  }
  if (filter.accountId) {
    params.push(filter.accountId);
    conditions.push(`o.account_id = $${params.length}::uuid`);
  }
  if (filter.search) {
    params.push(likeContains(filter.search));
    conditions.push(`lower(o.name) LIKE $${params.length}`);
  }
  const rows = await browseOrChangedPage<{ key: string; doc: unknown }>(q, {
    select: `${COLUMNS}, o.id AS key`,
    from: 'opportunities o',
    keyColumn: 'o.id',
    keyPattern: UUID_PATTERN,
    created: 'o.created_at',
    updated: 'o.updated_at',
    browse: 'oldest',
    where: conditions,
    params,
    ...page,
  });
  return { ...rows, items: rows.items.map(toOpportunity) };
}

/** Inserts an opportunity and its lines under a fresh UUID. */
export async function insertOpportunity(tx: Queryable, input: CrmOpportunityInput): Promise<CrmOpportunity> {
  const id = randomUUID();
  await tx.query(
    `INSERT INTO opportunities (id, account_id, name, stage, currency, expected_close_date, owner_id)
     VALUES ($1, $2, $3, $4, $5, $6::date, $7)`,
    [id, input.accountId, input.name, input.stage ?? 'PROSPECTING', input.currency, input.expectedCloseDate ?? null, input.ownerId ?? null],
  );
  if (input.lines.length > 0) {
    await tx.query(
      `INSERT INTO opportunity_lines (opportunity_id, line_no, sku, quantity, unit_price)
       SELECT $1, line_no, sku, quantity, unit_price
       FROM unnest($2::int[], $3::text[], $4::int[], $5::numeric[]) AS l(line_no, sku, quantity, unit_price)`,
      [id, input.lines.map((_, i) => i + 1), input.lines.map((l) => l.sku), input.lines.map((l) => l.quantity), input.lines.map((l) => l.unitPrice)],
    );
  }
  const [created] = await findOpportunitiesByIds(tx, [id]);
  return created;
}

/**
 * Moves the stage and/or links the ERP sales order. An opportunity becomes at most one order:
 * linking it to a second one is a CONFLICT (clearing with null is allowed). A patch that changes
 * nothing leaves version and updated_at alone. Returns null for an unknown id.
 */
export async function updateOpportunity(
  tx: Queryable,
  id: string,
  patch: { stage?: CrmOpportunityStage; erpSalesOrderId?: string | null },
): Promise<{ opportunity: CrmOpportunity; changed: boolean } | null> {
  const current = await tx.query<{ erp_sales_order_id: string | null }>('SELECT erp_sales_order_id FROM opportunities WHERE id = $1 FOR UPDATE', [id]);
  if (!current.rows[0]) return null;
  const linked = current.rows[0].erp_sales_order_id;
  if (patch.erpSalesOrderId && linked && linked !== patch.erpSalesOrderId) {
    throw new AppError(ErrorCode.CONFLICT, `opportunity already became sales order ${linked}`, { field: 'erpSalesOrderId', erpSalesOrderId: linked });
  }
  const sets: string[] = [];
  const differs: string[] = [];
  const params: unknown[] = [id];
  if (patch.stage !== undefined) {
    params.push(patch.stage);
    sets.push(`stage = $${params.length}`);
    differs.push(`stage IS DISTINCT FROM $${params.length}`);
  }
  if (patch.erpSalesOrderId !== undefined) {
    params.push(patch.erpSalesOrderId);
    sets.push(`erp_sales_order_id = $${params.length}`);
    differs.push(`erp_sales_order_id IS DISTINCT FROM $${params.length}`);
  }
  let changed = false;
  if (sets.length > 0) {
    const updated = await tx.query(
      `UPDATE opportunities SET ${sets.join(', ')}, version = version + 1, updated_at = ${NOW} WHERE id = $1 AND (${differs.join(' OR ')}) RETURNING id`,
      params,
    );
    changed = updated.rows.length > 0;
  }
  const [opportunity] = await findOpportunitiesByIds(tx, [id]);
  return { opportunity, changed };
}
