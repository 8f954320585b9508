import type { Database } from '../../platform/db';
import { formatAmount, sumAmounts } from '../../platform/money';
import { openTestDatabase } from '../../test-support/databases';
import { buildDemoDataset } from '../demo-data/demo-dataset';
import type { ErpDemoData } from '../demo-data/demo-dataset.types';
import { migrateErpDatabase } from './database';
import { openBalances } from './repositories/customer.repository';
import { createCustomer } from './services/customer.service';
import { seedErpDatabase } from './seed';

const OPEN_STATUSES = ['CONFIRMED', 'IN_PRODUCTION', 'READY_TO_SHIP', 'PARTIALLY_SHIPPED'];

async function seededDatabase(data: ErpDemoData): Promise<{ db: Database; dispose: () => Promise<void>; ms: number; counts: Awaited<ReturnType<typeof seedErpDatabase>> }> {
  const opened = await openTestDatabase('pglite', 'erp');
  if (!opened) throw new Error('PGlite is always available');
  await migrateErpDatabase(opened.db);
  const started = Date.now();
  const counts = await seedErpDatabase(opened.db, () => data);
  return { ...opened, ms: Date.now() - started, counts };
}

/** A fingerprint of what the seed derived (stock, reservations, line quantities). */
async function fingerprint(db: Database): Promise<string> {
  const { rows } = await db.query<{ stock: string; reservations: string; lines: string }>(`SELECT
    (SELECT md5(string_agg(sku || warehouse_code || on_hand || '/' || reserved, ',' ORDER BY sku, warehouse_code)) FROM stock_levels) AS stock,
    (SELECT md5(string_agg(sales_order_id || line_no || warehouse_code || quantity, ',' ORDER BY sales_order_id, line_no, warehouse_code)) FROM stock_reservations) AS reservations,
    (SELECT md5(string_agg(sales_order_id || line_no || reserved_quantity || shipped_quantity || invoiced_quantity, ',' ORDER BY sales_order_id, line_no)) FROM sales_order_lines) AS lines`);
  return JSON.stringify(rows[0]);
}

describe('ERP demo seed', () => {
  const data = buildDemoDataset().erp;
  let first: Awaited<ReturnType<typeof seededDatabase>>;

  beforeAll(async () => {
    first = await seededDatabase(data);
  });

  afterAll(async () => {
    await first?.dispose();
  });

  it('loads every record of the demo data in a few seconds, without change events', async () => {
    expect(first.counts).toMatchObject({
      warehouses: data.warehouses.length,
      products: data.products.length,
      customers: data.customers.length,
      salesOrders: data.salesOrders.length,
      salesOrderLines: data.salesOrders.reduce((n, o) => n + o.lines.length, 0),
      shipments: data.shipments.length,
      invoices: data.invoices.length,
      payments: data.payments.length,
    });
    expect(first.counts?.salesOrders).toBeGreaterThanOrEqual(2000);
    expect(first.ms).toBeLessThan(15_000);
    const { rows } = await first.db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox_events');
    expect(rows[0].n).toBe(0);
  });

  it('derives reserved stock from the open orders so stock and reservations agree', async () => {
    const wanted = data.salesOrders.filter((o) => OPEN_STATUSES.includes(o.status)).flatMap((o) => o.lines).reduce((n, l) => n + l.reservedQuantity, 0);
    const { rows } = await first.db.query<{ stock: number; reservations: number; lines: number; over: number }>(`SELECT
      (SELECT sum(reserved)::int FROM stock_levels) AS stock,
      (SELECT sum(quantity)::int FROM stock_reservations) AS reservations,
      (SELECT sum(reserved_quantity)::int FROM sales_order_lines) AS lines,
      (SELECT count(*)::int FROM stock_levels WHERE reserved > on_hand) AS over`);
    expect(rows[0]).toEqual({ stock: rows[0].lines, reservations: rows[0].lines, lines: rows[0].lines, over: 0 });
    expect(rows[0].lines).toBeLessThanOrEqual(wanted);
    expect(rows[0].lines).toBeGreaterThan(0);
  });

  it('answers open balances equal to the seeded open and overdue invoices', async () => {
    const customerNo = data.invoices.find((i) => i.status === 'OVERDUE')?.customerNo ?? data.customers[0].customerNo;
    const expected = sumAmounts(data.invoices.filter((i) => i.customerNo === customerNo && (i.status === 'OPEN' || i.status === 'OVERDUE')).map((i) => i.amountDue));
    const [balance] = await openBalances(first.db, [customerNo]);
    expect(balance.amount).toBe(formatAmount(expected));
  });

  it('seeds only once and numbers new records after the seeded ones', async () => {
    expect(await seedErpDatabase(first.db, () => data)).toBeNull();
    const customer = await first.db.transaction((tx) => createCustomer(tx, { name: 'Hotel Supplies Srl' }));
    const highest = Math.max(...data.customers.map((c) => Number(c.customerNo.replace(/\D/g, ''))));
    expect(Number(customer.customerNo.slice(2))).toBe(highest + 1);
  });

  it('derives the same stock and reservations from the same demo data every time', async () => {
    const again = buildDemoDataset().erp;
    expect(JSON.stringify(again)).toBe(JSON.stringify(data));
    const second = await seededDatabase(again);
    try {
      expect(await fingerprint(second.db)).toBe(await fingerprint(first.db));
    } finally {
      await second.dispose();
    }
  });
});
