import { type Queryable, iso, isoOrNull } from '../../../platform/db';
import type { ErpShipment, ErpShipmentStatus } from '../../../connectors/erp/erp.connector';
import type { Page } from '../../../connectors/page';
import { browseOrChangedPage } from '../../../platform/pagination';

interface ShipmentRow {
  key: string;
  id: string;
  sales_order_id: string;
  status: ErpShipmentStatus;
  carrier: string | null;
  tracking_number: string | null;
  shipped_at: Date | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

/** A shipment line with the order line it ships. */
export interface ShipmentLineState {
  lineNo: number;
  sku: string;
  quantity: number;
}

const COLUMNS = 'id AS key, id, sales_order_id, status, carrier, tracking_number, shipped_at, version, created_at, updated_at';

async function withLines(q: Queryable, rows: ShipmentRow[]): Promise<ErpShipment[]> {
  if (rows.length === 0) return [];
  const lines = await q.query<{ shipment_id: string; sku: string; quantity: number }>(
    'SELECT shipment_id, sku, quantity FROM shipment_lines WHERE shipment_id = ANY($1::text[]) ORDER BY shipment_id, position',
    [rows.map((r) => r.id)],
  );
  const byShipment = new Map<string, { sku: string; quantity: number }[]>();
  for (const line of lines.rows) {
    const list = byShipment.get(line.shipment_id) ?? [];
    list.push({ sku: line.sku, quantity: line.quantity });
    byShipment.set(line.shipment_id, list);
  }
  return rows.map((row) => ({
    id: row.id,
    number: row.id,
    salesOrderId: row.sales_order_id,
    status: row.status,
    carrier: row.carrier,
    trackingNumber: row.tracking_number,
    shippedAt: isoOrNull(row.shipped_at),
    lines: byShipment.get(row.id) ?? [],
    version: row.version,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  }));
}

/** Shipments with their lines, by id; unknown ids are left out. */
export async function getShipments(q: Queryable, ids: readonly string[]): Promise<ErpShipment[]> {
  const { rows } = await q.query<ShipmentRow>(`SELECT ${COLUMNS} FROM shipments WHERE id = ANY($1::text[]) ORDER BY id`, [ids]);
  return withLines(q, rows);
}

/** Shipments of any of the given sales orders. */
export async function listShipmentsBySalesOrders(q: Queryable, salesOrderIds: readonly string[]): Promise<ErpShipment[]> {
  const { rows } = await q.query<ShipmentRow>(`SELECT ${COLUMNS} FROM shipments WHERE sales_order_id = ANY($1::text[]) ORDER BY id`, [salesOrderIds]);
  return withLines(q, rows);
}

/** A page of shipments, newest first (or by change time when polling). */
export async function listShipments(q: Queryable, options: { first: number; after?: string | null; updatedSince?: string; status?: ErpShipmentStatus }): Promise<Page<ErpShipment>> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (options.status) {
    params.push(options.status);
    where.push(`status = $${params.length}`);
  }
  const page = await browseOrChangedPage<ShipmentRow>(q, {
    select: COLUMNS,
    from: 'shipments',
    created: 'created_at',
    browse: 'newest',
    where,
    params,
    first: options.first,
    after: options.after,
    updatedSince: options.updatedSince,
  });
  return { ...page, items: await withLines(q, page.items) };
}

/** Locks a shipment for a change; null when it does not exist. */
export async function lockShipment(q: Queryable, id: string): Promise<{ id: string; salesOrderId: string; status: ErpShipmentStatus } | null> {
  const { rows } = await q.query<ShipmentRow>(`SELECT ${COLUMNS} FROM shipments WHERE id = $1 FOR UPDATE`, [id]);
  const row = rows[0];
  return row ? { id: row.id, salesOrderId: row.sales_order_id, status: row.status } : null;
}

/** The shipment's lines with the order lines they ship. */
export async function getShipmentLines(q: Queryable, id: string): Promise<ShipmentLineState[]> {
  const { rows } = await q.query<{ line_no: number; sku: string; quantity: number }>(
    'SELECT line_no, sku, quantity FROM shipment_lines WHERE shipment_id = $1 ORDER BY position',
    [id],
  );
  return rows.map((r) => ({ lineNo: r.line_no, sku: r.sku, quantity: r.quantity }));
}

/** Quantities in PENDING shipments of the order, per order line. */
export async function pendingShipmentQuantities(q: Queryable, salesOrderId: string): Promise<Map<number, number>> {
  const { rows } = await q.query<{ line_no: number; quantity: number }>(
    `SELECT l.line_no, sum(l.quantity)::int AS quantity FROM shipment_lines l JOIN shipments s ON s.id = l.shipment_id
     WHERE s.sales_order_id = $1 AND s.status = 'PENDING' GROUP BY l.line_no`,
    [salesOrderId],
  );
  return new Map(rows.map((r) => [r.line_no, r.quantity]));
}

/** Inserts a PENDING shipment with its lines under the next free number; returns the number. */
export async function insertShipment(q: Queryable, salesOrderId: string, lines: ShipmentLineState[]): Promise<string> {
  const { rows } = await q.query<{ id: string }>(
    `INSERT INTO shipments (id, sales_order_id, status) VALUES ('SH-' || nextval('shipment_no_seq'), $1, 'PENDING') RETURNING id`,
    [salesOrderId],
  );
  const id = rows[0].id;
  await q.query(
    `INSERT INTO shipment_lines (shipment_id, position, line_no, sku, quantity)
     SELECT $1, position, line_no, sku, quantity FROM unnest($2::int[], $3::int[], $4::text[], $5::int[]) AS l(position, line_no, sku, quantity)`,
    [id, lines.map((_, i) => i + 1), lines.map((l) => l.lineNo), lines.map((l) => l.sku), lines.map((l) => l.quantity)],
  );
  return id;
}

/** Marks the shipment SHIPPED with its carrier and tracking number; returns the new version. */
/** Marks a shipment CANCELLED; returns its new version. */
export async function markShipmentCancelled(q: Queryable, id: string): Promise<number> {
  const { rows } = await q.query<{ version: number }>(
    `UPDATE shipments SET status = 'CANCELLED', version = version + 1, updated_at = date_trunc('milliseconds', now()) WHERE id = $1 RETURNING version`,
    [id],
  );
  return rows[0].version;
}

export async function markShipmentShipped(q: Queryable, id: string, carrier: string, trackingNumber: string): Promise<number> {
  const { rows } = await q.query<{ version: number }>(
    `UPDATE shipments SET status = 'SHIPPED', carrier = $2, tracking_number = $3, shipped_at = date_trunc('milliseconds', now()),
       version = version + 1, updated_at = date_trunc('milliseconds', now()) WHERE id = $1 RETURNING version`,
    [id, carrier, trackingNumber],
  );
  return rows[0].version;
}
