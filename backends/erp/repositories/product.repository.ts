import { type Queryable, iso } from '../../../platform/db';
import type { ErpProduct, ErpStockLevel, ErpWarehouse } from '../../../connectors/erp/erp.connector';
import type { Page } from '../../../connectors/page';
import { escapeLike } from './customer.repository';
import { keysetPage } from '../../../platform/pagination';

interface ProductRow {
  key: string;
  sku: string;
  name: string;
  unit_price: string;
  currency: string;
  manufactured: boolean;
  version: number;
  updated_at: Date;
}

const COLUMNS = 'sku AS key, sku, name, unit_price, currency, manufactured, version, updated_at';

function toProduct(row: ProductRow): ErpProduct {
  return { sku: row.sku, name: row.name, unitPrice: row.unit_price, currency: row.currency, manufactured: row.manufactured, version: row.version, updatedAt: iso(row.updated_at) };
}

/** Products by SKU; unknown SKUs are left out. */
export async function getProducts(q: Queryable, skus: readonly string[]): Promise<ErpProduct[]> {
  const { rows } = await q.query<ProductRow>(`SELECT ${COLUMNS} FROM products WHERE sku = ANY($1::text[]) ORDER BY sku`, [skus]);
  return rows.map(toProduct);
}

/** A page of the catalogue, optionally matching `search` in SKU or name. */
export async function listProducts(q: Queryable, options: { first: number; after?: string | null; updatedSince?: string; search?: string }): Promise<Page<ErpProduct>> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (options.search) {
    params.push(`%${escapeLike(options.search)}%`);
    where.push(`(name ILIKE $${params.length} OR sku ILIKE $${params.length})`);
  }
  if (options.updatedSince) {
    params.push(options.updatedSince);
    where.push(`updated_at >= $${params.length}::timestamptz`);
  }
  const page = await keysetPage<ProductRow>(q, {
    select: COLUMNS,
    from: 'products',
    keyColumn: 'sku',
    where,
    params,
    order: options.updatedSince ? 'changed' : 'key',
    first: options.first,
    after: options.after,
  });
  return { ...page, items: page.items.map(toProduct) };
}

/** Every warehouse, in code order (the order reservations draw from). */
export async function listWarehouses(q: Queryable): Promise<ErpWarehouse[]> {
  const { rows } = await q.query<ErpWarehouse>('SELECT code, name FROM warehouses ORDER BY code');
  return rows;
}

interface StockRow {
  sku: string;
  warehouse_code: string;
  on_hand: number;
  reserved: number;
}

/** Stock of the given products in every warehouse that holds them. */
export async function getStockLevels(q: Queryable, skus: readonly string[]): Promise<ErpStockLevel[]> {
  const { rows } = await q.query<StockRow>(
    'SELECT sku, warehouse_code, on_hand, reserved FROM stock_levels WHERE sku = ANY($1::text[]) ORDER BY sku, warehouse_code',
    [skus],
  );
  return rows.map((r) => ({ sku: r.sku, warehouseCode: r.warehouse_code, onHand: r.on_hand, reserved: r.reserved }));
}

/**
 * Locks the stock rows of the given products until the transaction ends, always in (sku,
 * warehouse) order so two transactions locking overlapping products cannot deadlock. A concurrent
 * reservation waits here and then sees what this one took.
 */
export async function lockStockLevels(q: Queryable, skus: readonly string[]): Promise<ErpStockLevel[]> {
  const { rows } = await q.query<StockRow>(
    'SELECT sku, warehouse_code, on_hand, reserved FROM stock_levels WHERE sku = ANY($1::text[]) ORDER BY sku, warehouse_code FOR UPDATE',
    [[...new Set(skus)].sort()],
  );
  return rows.map((r) => ({ sku: r.sku, warehouseCode: r.warehouse_code, onHand: r.on_hand, reserved: r.reserved }));
}

/**
 * Changes on-hand and reserved of an existing stock row by the given amounts; returns the row's
 * new version. The table's CHECKs refuse negative or over-reserved stock.
 */
export async function adjustStock(q: Queryable, sku: string, warehouseCode: string, onHandDelta: number, reservedDelta: number): Promise<number> {
  const { rows } = await q.query<{ version: number }>(
    `UPDATE stock_levels SET on_hand = on_hand + $3, reserved = reserved + $4, version = version + 1, updated_at = date_trunc('milliseconds', now())
     WHERE sku = $1 AND warehouse_code = $2 RETURNING version`,
    [sku, warehouseCode, onHandDelta, reservedDelta],
  );
  if (!rows[0]) throw new Error(`no stock row for ${sku} in ${warehouseCode}`);
  return rows[0].version;
}

/** Puts `quantity` units of a product on stock in a warehouse, creating the row when needed. */
export async function receiveStock(q: Queryable, sku: string, warehouseCode: string, quantity: number): Promise<number> {
  const { rows } = await q.query<{ version: number }>(
    `INSERT INTO stock_levels (sku, warehouse_code, on_hand, reserved) VALUES ($1, $2, $3, 0)
     ON CONFLICT (sku, warehouse_code) DO UPDATE SET on_hand = stock_levels.on_hand + $3,
       version = stock_levels.version + 1, updated_at = date_trunc('milliseconds', now())
     RETURNING version`,
    [sku, warehouseCode, quantity],
  );
  return rows[0].version;
}
