import type { Queryable } from '../../../platform/db';
import type { ErpSalesOrder, ErpSalesOrderLine, ErpSalesOrderStatus } from '../../../connectors/erp/erp.connector';
import type { Page } from '../../../connectors/page';
import { escapeLike } from './customer.repository';
import { iso, newestOrChangedPage } from './keyset-page';

interface SalesOrderRow {
  key: string;
  id: string;
  customer_no: string;
  status: ErpSalesOrderStatus;
  currency: string;
  external_ref: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

interface LineRow {
  sales_order_id: string;
  line_no: number;
  sku: string;
  quantity: number;
  unit_price: string;
  reserved_quantity: number;
  shipped_quantity: number;
  invoiced_quantity: number;
}

/** An order line with what invoices already cover (internal; the API shows the rest). */
export interface SalesOrderLineState extends ErpSalesOrderLine {
  invoicedQuantity: number;
}

/** The header of an order as locked for a change. */
export interface SalesOrderHeader {
  id: string;
  customerNo: string;
  status: ErpSalesOrderStatus;
  currency: string;
  version: number;
}

const COLUMNS = 'id AS key, id, customer_no, status, currency, external_ref, version, created_at, updated_at';
const LINE_COLUMNS = 'sales_order_id, line_no, sku, quantity, unit_price, reserved_quantity, shipped_quantity, invoiced_quantity';

function toLine(row: LineRow): SalesOrderLineState {
  return {
    lineNo: row.line_no,
    sku: row.sku,
    quantity: row.quantity,
    unitPrice: row.unit_price,
    reservedQuantity: row.reserved_quantity,
    shippedQuantity: row.shipped_quantity,
    invoicedQuantity: row.invoiced_quantity,
  };
}

/**
 * The order total from its lines. Prices are numeric(14,2), so the total is exact in whole cents; BigInt
 * keeps it exact at any size and costs far less than a decimal object per line.
 */
function orderTotal(lines: readonly ErpSalesOrderLine[]): string {
  let cents = 0n;
  for (const line of lines) cents += centsOf(line.unitPrice) * BigInt(line.quantity);
  const fraction = cents % 100n;
  return `${cents / 100n}.${fraction < 10n ? '0' : ''}${fraction}`;
}

/** A numeric(14,2) column value ("12.50", "3") in cents. */
function centsOf(price: string): bigint {
  const dot = price.indexOf('.');
  if (dot === -1) return BigInt(price) * 100n;
  return BigInt(price.slice(0, dot) + price.slice(dot + 1).padEnd(2, '0'));
}

async function withLines(q: Queryable, rows: SalesOrderRow[]): Promise<ErpSalesOrder[]> {
  if (rows.length === 0) return [];
  const lines = await q.query<LineRow>(
    'SELECT sales_order_id, line_no, sku, quantity, unit_price, reserved_quantity, shipped_quantity FROM sales_order_lines WHERE sales_order_id = ANY($1::text[]) ORDER BY sales_order_id, line_no',
    [rows.map((r) => r.id)],
  );
  const byOrder = new Map<string, ErpSalesOrderLine[]>();
  for (const line of lines.rows) {
    const visible: ErpSalesOrderLine = {
      lineNo: line.line_no,
      sku: line.sku,
      quantity: line.quantity,
      unitPrice: line.unit_price,
      reservedQuantity: line.reserved_quantity,
      shippedQuantity: line.shipped_quantity,
    };
    const list = byOrder.get(line.sales_order_id);
    if (list) list.push(visible);
    else byOrder.set(line.sales_order_id, [visible]);
  }
  return rows.map((row) => {
    const orderLines = byOrder.get(row.id) ?? [];
    return {
      id: row.id,
      number: row.id,
      customerNo: row.customer_no,
      status: row.status,
      currency: row.currency,
      total: orderTotal(orderLines),
      externalRef: row.external_ref,
      lines: orderLines,
      version: row.version,
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
    };
  });
}

/** Orders with their lines, by id; unknown ids are left out. */
export async function getSalesOrders(q: Queryable, ids: readonly string[]): Promise<ErpSalesOrder[]> {
  const { rows } = await q.query<SalesOrderRow>(`SELECT ${COLUMNS} FROM sales_orders WHERE id = ANY($1::text[]) ORDER BY id`, [ids]);
  return withLines(q, rows);
}

/** Orders with their lines, by external reference (e.g. the CRM opportunity id). */
export async function findSalesOrdersByExternalRefs(q: Queryable, externalRefs: readonly string[]): Promise<ErpSalesOrder[]> {
  const { rows } = await q.query<SalesOrderRow>(`SELECT ${COLUMNS} FROM sales_orders WHERE external_ref = ANY($1::text[]) ORDER BY id`, [externalRefs]);
  return withLines(q, rows);
}

/** A page of orders, newest first (or by change time when polling), with the given filters. */
export async function listSalesOrders(
  q: Queryable,
  options: { first: number; after?: string | null; updatedSince?: string; status?: ErpSalesOrderStatus; customerNo?: string; search?: string },
): Promise<Page<ErpSalesOrder>> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (options.status) {
    params.push(options.status);
    where.push(`status = $${params.length}`);
  }
  if (options.customerNo) {
    params.push(options.customerNo);
    where.push(`customer_no = $${params.length}`);
  }
  if (options.search) {
    params.push(`%${escapeLike(options.search)}%`);
    where.push(`(id ILIKE $${params.length} OR external_ref ILIKE $${params.length})`);
  }
  const page = await newestOrChangedPage<SalesOrderRow>(q, {
    select: COLUMNS,
    from: 'sales_orders',
    createdColumn: 'created_at',
    where,
    params,
    first: options.first,
    after: options.after,
    updatedSince: options.updatedSince,
  });
  return { ...page, items: await withLines(q, page.items) };
}

/** The newest `perCustomer` orders of each customer, optionally of one status, newest first. */
export async function listSalesOrdersByCustomers(
  q: Queryable,
  customerNos: readonly string[],
  options: { status?: ErpSalesOrderStatus; perCustomer: number },
): Promise<ErpSalesOrder[]> {
  const { rows } = await q.query<SalesOrderRow>(
    `SELECT ${COLUMNS} FROM (
       SELECT *, row_number() OVER (PARTITION BY customer_no ORDER BY created_at DESC, id DESC) AS rank
       FROM sales_orders WHERE customer_no = ANY($1::text[]) AND ($2::text IS NULL OR status = $2)
     ) ranked WHERE rank <= $3 ORDER BY customer_no, created_at DESC, id DESC`,
    [customerNos, options.status ?? null, options.perCustomer],
  );
  return withLines(q, rows);
}

/** Locks an order's header for a change; null when it does not exist. */
export async function lockSalesOrder(q: Queryable, id: string): Promise<SalesOrderHeader | null> {
  const { rows } = await q.query<SalesOrderRow>(`SELECT ${COLUMNS} FROM sales_orders WHERE id = $1 FOR UPDATE`, [id]);
  const row = rows[0];
  return row ? { id: row.id, customerNo: row.customer_no, status: row.status, currency: row.currency, version: row.version } : null;
}

/** The order's lines with invoiced quantities, in line order. */
export async function getSalesOrderLines(q: Queryable, id: string): Promise<SalesOrderLineState[]> {
  const { rows } = await q.query<LineRow>(`SELECT ${LINE_COLUMNS} FROM sales_order_lines WHERE sales_order_id = $1 ORDER BY line_no`, [id]);
  return rows.map(toLine);
}

/** Inserts an order and its lines under the next free number; returns the number. */
export async function insertSalesOrder(
  q: Queryable,
  order: { customerNo: string; status: ErpSalesOrderStatus; currency: string; externalRef: string | null; lines: { sku: string; quantity: number; unitPrice: string }[] },
): Promise<string> {
  const { rows } = await q.query<{ id: string }>(
    `INSERT INTO sales_orders (id, customer_no, status, currency, external_ref) VALUES ('SO-' || nextval('sales_order_no_seq'), $1, $2, $3, $4) RETURNING id`,
    [order.customerNo, order.status, order.currency, order.externalRef],
  );
  const id = rows[0].id;
  await q.query(
    `INSERT INTO sales_order_lines (sales_order_id, line_no, sku, quantity, unit_price)
     SELECT $1, line_no, sku, quantity, unit_price FROM unnest($2::int[], $3::text[], $4::int[], $5::numeric[]) AS l(line_no, sku, quantity, unit_price)`,
    [id, order.lines.map((_, i) => i + 1), order.lines.map((l) => l.sku), order.lines.map((l) => l.quantity), order.lines.map((l) => l.unitPrice)],
  );
  return id;
}

/** Bumps the order's version (and sets its status when given); returns the new version. */
export async function touchSalesOrder(q: Queryable, id: string, status?: ErpSalesOrderStatus): Promise<number> {
  const { rows } = await q.query<{ version: number }>(
    `UPDATE sales_orders SET status = COALESCE($2, status), version = version + 1, updated_at = date_trunc('milliseconds', now()) WHERE id = $1 RETURNING version`,
    [id, status ?? null],
  );
  return rows[0].version;
}

/** Changes a line's reserved, shipped and invoiced quantities by the given amounts. */
export async function adjustSalesOrderLine(q: Queryable, id: string, lineNo: number, delta: { reserved?: number; shipped?: number; invoiced?: number }): Promise<void> {
  await q.query(
    `UPDATE sales_order_lines SET reserved_quantity = reserved_quantity + $3, shipped_quantity = shipped_quantity + $4, invoiced_quantity = invoiced_quantity + $5
     WHERE sales_order_id = $1 AND line_no = $2`,
    [id, lineNo, delta.reserved ?? 0, delta.shipped ?? 0, delta.invoiced ?? 0],
  );
}

/** Where one line's reserved units sit. */
export interface StockReservation {
  lineNo: number;
  sku: string;
  warehouseCode: string;
  quantity: number;
}

/** The order's reservations, by line then warehouse code. */
export async function listReservations(q: Queryable, salesOrderId: string): Promise<StockReservation[]> {
  const { rows } = await q.query<{ line_no: number; sku: string; warehouse_code: string; quantity: number }>(
    `SELECT r.line_no, l.sku, r.warehouse_code, r.quantity FROM stock_reservations r
     JOIN sales_order_lines l ON l.sales_order_id = r.sales_order_id AND l.line_no = r.line_no
     WHERE r.sales_order_id = $1 ORDER BY r.line_no, r.warehouse_code`,
    [salesOrderId],
  );
  return rows.map((r) => ({ lineNo: r.line_no, sku: r.sku, warehouseCode: r.warehouse_code, quantity: r.quantity }));
}

/** Adds `quantity` units to the reservation of one line in one warehouse. */
export async function addReservation(q: Queryable, salesOrderId: string, lineNo: number, warehouseCode: string, quantity: number): Promise<void> {
  await q.query(
    `INSERT INTO stock_reservations (sales_order_id, line_no, warehouse_code, quantity) VALUES ($1, $2, $3, $4)
     ON CONFLICT (sales_order_id, line_no, warehouse_code) DO UPDATE SET quantity = stock_reservations.quantity + $4`,
    [salesOrderId, lineNo, warehouseCode, quantity],
  );
}

/** Takes `quantity` units off the reservation of one line in one warehouse, dropping it at zero. */
export async function reduceReservation(q: Queryable, salesOrderId: string, lineNo: number, warehouseCode: string, quantity: number): Promise<void> {
  const params = [salesOrderId, lineNo, warehouseCode, quantity];
  await q.query('DELETE FROM stock_reservations WHERE sales_order_id = $1 AND line_no = $2 AND warehouse_code = $3 AND quantity <= $4', params);
  await q.query('UPDATE stock_reservations SET quantity = quantity - $4 WHERE sales_order_id = $1 AND line_no = $2 AND warehouse_code = $3 AND quantity > $4', params);
}

/** Drops every reservation of the order and zeroes its lines' reserved quantities. */
export async function clearReservations(q: Queryable, salesOrderId: string): Promise<void> {
  await q.query('DELETE FROM stock_reservations WHERE sales_order_id = $1', [salesOrderId]);
  await q.query('UPDATE sales_order_lines SET reserved_quantity = 0 WHERE sales_order_id = $1 AND reserved_quantity <> 0', [salesOrderId]);
}
