import { type Queryable, iso } from '../../../platform/db';
import type { ErpProductionOrder, ErpProductionOrderStatus } from '../../../connectors/erp/erp.connector';
import type { Page } from '../../../connectors/page';
import { browseOrChangedPage } from '../../../platform/pagination';

interface ProductionOrderRow {
  key: string;
  id: string;
  sku: string;
  quantity: number;
  status: ErpProductionOrderStatus;
  sales_order_id: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id AS key, id, sku, quantity, status, sales_order_id, version, created_at, updated_at';

function toProductionOrder(row: ProductionOrderRow): ErpProductionOrder {
  return {
    id: row.id,
    number: row.id,
    sku: row.sku,
    quantity: row.quantity,
    status: row.status,
    salesOrderId: row.sales_order_id,
    version: row.version,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/** Production orders by id; unknown ids are left out. */
export async function getProductionOrders(q: Queryable, ids: readonly string[]): Promise<ErpProductionOrder[]> {
  const { rows } = await q.query<ProductionOrderRow>(`SELECT ${COLUMNS} FROM production_orders WHERE id = ANY($1::text[]) ORDER BY id`, [ids]);
  return rows.map(toProductionOrder);
}

/** Production orders made for any of the given sales orders. */
export async function listProductionOrdersBySalesOrders(q: Queryable, salesOrderIds: readonly string[]): Promise<ErpProductionOrder[]> {
  const { rows } = await q.query<ProductionOrderRow>(`SELECT ${COLUMNS} FROM production_orders WHERE sales_order_id = ANY($1::text[]) ORDER BY id`, [salesOrderIds]);
  return rows.map(toProductionOrder);
}

/** A page of production orders, newest first (or by change time when polling). */
export async function listProductionOrders(
  q: Queryable,
  options: { first: number; after?: string | null; updatedSince?: string; status?: ErpProductionOrderStatus },
): Promise<Page<ErpProductionOrder>> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (options.status) {
    params.push(options.status);
    where.push(`status = $${params.length}`);
  }
  const page = await browseOrChangedPage<ProductionOrderRow>(q, {
    select: COLUMNS,
    from: 'production_orders',
    created: 'created_at',
    browse: 'newest',
    where,
    params,
    first: options.first,
    after: options.after,
    updatedSince: options.updatedSince,
  });
  return { ...page, items: page.items.map(toProductionOrder) };
}

/** Locks a production order for a change; null when it does not exist. */
export async function lockProductionOrder(q: Queryable, id: string): Promise<ErpProductionOrder | null> {
  const { rows } = await q.query<ProductionOrderRow>(`SELECT ${COLUMNS} FROM production_orders WHERE id = $1 FOR UPDATE`, [id]);
  return rows[0] ? toProductionOrder(rows[0]) : null;
}

/** Inserts a PLANNED production order under the next free number. */
export async function insertProductionOrder(q: Queryable, input: { sku: string; quantity: number; salesOrderId: string | null }): Promise<ErpProductionOrder> {
  const { rows } = await q.query<ProductionOrderRow>(
    `INSERT INTO production_orders (id, sku, quantity, status, sales_order_id) VALUES ('MO-' || nextval('production_order_no_seq'), $1, $2, 'PLANNED', $3) RETURNING ${COLUMNS}`,
    [input.sku, input.quantity, input.salesOrderId],
  );
  return toProductionOrder(rows[0]);
}

/** Sets the status, bumping version. */
export async function setProductionOrderStatus(q: Queryable, id: string, status: ErpProductionOrderStatus): Promise<ErpProductionOrder> {
  const { rows } = await q.query<ProductionOrderRow>(
    `UPDATE production_orders SET status = $2, version = version + 1, updated_at = date_trunc('milliseconds', now()) WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, status],
  );
  return toProductionOrder(rows[0]);
}
