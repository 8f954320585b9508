import type { Database } from '../../../platform/db';
import { openTestDatabase } from '../../../test-support/databases';
import { buildDemoDataset } from '../../demo-data/demo-dataset';
import { migrateErpDatabase } from '../database';
import { seedErpDatabase } from '../seed';

// The bulk export pages every order list by keyset; on a seeded PGlite (which never analyzes by
// itself) those pages were planned as a scan and sort of the whole status, once per page.
describe('ERP seed leaves the planner statistics of what it loaded', () => {
  let db: Database;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    const opened = await openTestDatabase('pglite', 'erp');
    if (!opened) throw new Error('PGlite is always available');
    ({ db, dispose } = opened);
    await migrateErpDatabase(db);
    await seedErpDatabase(db, () => buildDemoDataset({ salesOrders: 5000 }).erp);
  });

  afterAll(async () => {
    await dispose?.();
  });

  it('has column statistics for the seeded order, line and invoice tables', async () => {
    const { rows } = await db.query<{ tablename: string }>(
      `SELECT DISTINCT tablename FROM pg_stats WHERE schemaname = current_schema() AND tablename IN ('sales_orders', 'sales_order_lines', 'invoices') ORDER BY tablename`,
    );
    expect(rows.map((r) => r.tablename)).toEqual(['invoices', 'sales_order_lines', 'sales_orders']);
  });

  it('plans a deep page of the largest status as an index walk, not a sort of the whole status', async () => {
    const { rows: largest } = await db.query<{ status: string }>('SELECT status FROM sales_orders GROUP BY status ORDER BY count(*) DESC LIMIT 1');
    const { rows: middle } = await db.query<{ created_at: Date; id: string }>(
      'SELECT created_at, id FROM sales_orders WHERE status = $1 ORDER BY created_at DESC, id DESC OFFSET 500 LIMIT 1',
      [largest[0].status],
    );
    // The statement keyset-page.ts runs for page after page of `salesOrders(status:)`.
    const { rows: plan } = await db.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT id AS key, id, customer_no, status, created_at AS sort_at FROM sales_orders
       WHERE status = $1 AND (created_at, id) < ($2::timestamptz, $3) ORDER BY created_at DESC, id DESC LIMIT 101`,
      [largest[0].status, middle[0].created_at, middle[0].id],
    );
    const text = plan.map((r) => r['QUERY PLAN']).join('\n');
    expect(text).toMatch(/Index (Only )?Scan/);
    expect(text).not.toMatch(/Sort/);
  });

  it('plans the invoices of a page of orders through the sales-order index', async () => {
    const { rows: orders } = await db.query<{ id: string }>('SELECT sales_order_id AS id FROM invoices WHERE sales_order_id IS NOT NULL LIMIT 100');
    const { rows: plan } = await db.query<{ 'QUERY PLAN': string }>('EXPLAIN SELECT id FROM invoices WHERE sales_order_id = ANY($1::text[]) ORDER BY id', [
      orders.map((o) => o.id),
    ]);
    expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/invoices_sales_order/);
  });
});
