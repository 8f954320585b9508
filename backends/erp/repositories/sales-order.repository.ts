import { type Queryable, isoText } from '../../../platform/db';
import type { ErpSalesOrder, ErpSalesOrderLine, ErpSalesOrderStatus } from '../../../connectors/erp/erp.connector';
import type { Page } from '../../../connectors/page';
import { escapeLike } from './customer.repository';
import { browseOrChangedPage } from '../../../platform/pagination';

interface HeaderRow {
  id: string;
  customer_no: string;
  status: ErpSalesOrderStatus;
  currency: string;
  version: number;
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
 * A `sales_orders` row as the API's order document, lines and total included. The total is summed
 * in numeric, exact in whole cents at any size. See isoText (platform/db) for why the database builds documents.
 */
const ORDER_DOC = `json_build_object(
  'id', sales_orders.id, 'number', sales_orders.id, 'customerNo', sales_orders.customer_no, 'status', sales_orders.status,
  'currency', sales_orders.currency, 'total', order_lines.total, 'externalRef', sales_orders.external_ref, 'lines', order_lines.lines,
  'version', sales_orders.version, 'createdAt', ${isoText('sales_orders.created_at')}, 'updatedAt', ${isoText('sales_orders.updated_at')})`;

const ORDER_LINES = `LATERAL (
  SELECT round(COALESCE(sum(quantity * unit_price), 0), 2)::text AS total,
         COALESCE(json_agg(json_build_object('lineNo', line_no, 'sku', sku, 'quantity', quantity, 'unitPrice', unit_price::text,
           'reservedQuantity', reserved_quantity, 'shippedQuantity', shipped_quantity) ORDER BY line_no), '[]') AS lines
  FROM sales_order_lines WHERE sales_order_id = sales_orders.id) order_lines`;

/** Orders with their lines, by id; unknown ids are left out. */
export async function getSalesOrders(q: Queryable, ids: readonly string[]): Promise<ErpSalesOrder[]> {
  const { rows } = await q.query<{ doc: ErpSalesOrder }>(`SELECT ${ORDER_DOC} AS doc FROM sales_orders, ${ORDER_LINES} WHERE sales_orders.id = ANY($1::text[]) ORDER BY sales_orders.id`, [ids]);
  return rows.map((row) => row.doc);
}

/** Orders with their lines, by external reference (e.g. the CRM opportunity id). */
export async function findSalesOrdersByExternalRefs(q: Queryable, externalRefs: readonly string[]): Promise<ErpSalesOrder[]> {
  const { rows } = await q.query<{ doc: ErpSalesOrder }>(
    `SELECT ${ORDER_DOC} AS doc FROM sales_orders, ${ORDER_LINES} WHERE sales_orders.external_ref = ANY($1::text[]) ORDER BY sales_orders.id`,
    [externalRefs],
  );
  return rows.map((row) => row.doc);
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
  const page = await browseOrChangedPage<{ key: string; doc: ErpSalesOrder }>(q, {
    select: `sales_orders.id AS key, ${ORDER_DOC} AS doc`,
    from: 'sales_orders',
    lateral: ORDER_LINES,
    created: 'created_at',
    browse: 'newest',
    where,
    params,
    first: options.first,
    after: options.after,
    updatedSince: options.updatedSince,
  });
  return { ...page, items: page.items.map((row) => row.doc) };
}

/** The newest `perCustomer` orders of each customer, optionally of one status, newest first. */
export async function listSalesOrdersByCustomers(
  q: Queryable,
  customerNos: readonly string[],
  options: { status?: ErpSalesOrderStatus; perCustomer: number },
): Promise<ErpSalesOrder[]> {
  const { rows } = await q.query<{ doc: ErpSalesOrder }>(
    `SELECT ${ORDER_DOC} AS doc FROM (
       SELECT *, row_number() OVER (PARTITION BY customer_no ORDER BY created_at DESC, id DESC) AS rank
       FROM sales_orders WHERE customer_no = ANY($1::text[]) AND ($2::text IS NULL OR status = $2)
     ) sales_orders, ${ORDER_LINES} WHERE rank <= $3 ORDER BY sales_orders.customer_no, sales_orders.created_at DESC, sales_orders.id DESC`,
    [customerNos, options.status ?? null, options.perCustomer],
  );
  return rows.map((row) => row.doc);
}

/** Locks an order's header for a change; null when it does not exist. */
export async function lockSalesOrder(q: Queryable, id: string): Promise<SalesOrderHeader | null> {
  const { rows } = await q.query<HeaderRow>('SELECT id, customer_no, status, currency, version FROM sales_orders WHERE id = $1 FOR UPDATE', [id]);
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
