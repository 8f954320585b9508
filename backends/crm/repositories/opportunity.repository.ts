import { randomUUID } from 'node:crypto';
import type { CrmOpportunity, CrmOpportunityInput, CrmOpportunityLine, CrmOpportunityStage } from '../../../connectors/crm/crm.connector';
import type { Page } from '../../../connectors/page';
import type { Queryable } from '../../../platform/db';
import { AppError, ErrorCode } from '../../../platform/errors';
import { NOW, type PageRequest, isoTimestamp, keysetPage, likeContains, wellFormedUuids } from './keyset-page';

// The amount is summed in SQL over numeric columns, so it is exact and always has two decimals.
const COLUMNS = `o.id, o.account_id AS "accountId", o.name, o.stage,
  (SELECT round(coalesce(sum(l.quantity * l.unit_price), 0), 2)::text FROM opportunity_lines l WHERE l.opportunity_id = o.id) AS amount,
  o.currency, o.expected_close_date::text AS "expectedCloseDate", o.erp_sales_order_id AS "erpSalesOrderId", o.owner_id AS "ownerId",
  o.version, o.created_at AS "createdAt", o.updated_at AS "updatedAt"`;

type OpportunityWithoutLines = Omit<CrmOpportunity, 'lines'>;

function toOpportunity(raw: Record<string, unknown>): OpportunityWithoutLines {
  return { ...(raw as unknown as OpportunityWithoutLines), createdAt: isoTimestamp(raw.createdAt), updatedAt: isoTimestamp(raw.updatedAt) };
}

/** Reads the lines of these opportunities in one query and attaches them in line order. */
async function withLines(q: Queryable, opportunities: OpportunityWithoutLines[]): Promise<CrmOpportunity[]> {
  if (opportunities.length === 0) return [];
  const lines = await q.query<CrmOpportunityLine & { opportunityId: string }>(
    `SELECT opportunity_id AS "opportunityId", sku, quantity, unit_price::text AS "unitPrice"
     FROM opportunity_lines WHERE opportunity_id = ANY($1::uuid[]) ORDER BY opportunity_id, line_no`,
    [opportunities.map((o) => o.id)],
  );
  const byOpportunity = new Map<string, CrmOpportunityLine[]>();
  for (const { opportunityId, ...line } of lines.rows) {
    const list = byOpportunity.get(opportunityId) ?? [];
    list.push(line);
    byOpportunity.set(opportunityId, list);
  }
  return opportunities.map((o) => ({ ...o, lines: byOpportunity.get(o.id) ?? [] }));
}

async function select(q: Queryable, where: string, params: unknown[]): Promise<CrmOpportunity[]> {
  const result = await q.query(`SELECT ${COLUMNS} FROM opportunities o WHERE ${where} ORDER BY o.created_at, o.id`, params);
  return withLines(q, result.rows.map(toOpportunity));
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
  const found = await keysetPage(q, { columns: COLUMNS, table: 'opportunities', alias: 'o', conditions, params, page, toRow: toOpportunity });
  return { ...found, items: await withLines(q, found.items) };
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
