import type { Queryable } from '../../../platform/db';

/**
 * Bulk inserts for the first start: one multi-row statement per table (arrays unnested), so
 * thousands of orders load in a moment on PGlite. Rows are column arrays of equal length.
 */
export type Columns = Record<string, unknown[]>;

/**
 * Inserts rows given as column arrays with the given SQL types ("text", "int", ...), then
 * refreshes the table's planner statistics. PGlite never analyzes on its own (no autovacuum), and
 * without statistics a keyset page of a large list is planned as a scan and sort of every
 * matching row instead of an index walk that stops after one page: the 100,000-order export spent
 * most of its ERP time there.
 */
export async function bulkInsert(q: Queryable, table: string, columns: Columns, types: Record<string, string>): Promise<number> {
  const names = Object.keys(columns);
  const count = names.length ? columns[names[0]].length : 0;
  if (count === 0) return 0;
  const params = names.map((name) => columns[name]);
  const unnest = names.map((name, i) => `$${i + 1}::${types[name]}[]`).join(', ');
  await q.query(`INSERT INTO ${table} (${names.join(', ')}) SELECT * FROM unnest(${unnest})`, params);
  await q.query(`ANALYZE ${table}`);
  return count;
}

/** Whether the ERP holds no customers yet (the seed runs only then). */
export async function isEmpty(q: Queryable): Promise<boolean> {
  const { rows } = await q.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM customers) AS any');
  return !rows[0].any;
}

/** Moves every number sequence past the highest number already used, so new ones never collide. */
export async function advanceSequences(q: Queryable): Promise<void> {
  const sequences: [string, string, string, number][] = [
    ['customer_no_seq', 'customers', 'customer_no', 10000],
    ['sales_order_no_seq', 'sales_orders', 'id', 100000],
    ['production_order_no_seq', 'production_orders', 'id', 50000],
    ['shipment_no_seq', 'shipments', 'id', 70000],
    ['invoice_no_seq', 'invoices', 'id', 30000],
  ];
  for (const [sequence, table, column, floor] of sequences) {
    await q.query(
      `SELECT setval('${sequence}', GREATEST((SELECT max(substring(${column} from '(\\d+)$')::bigint) FROM ${table}), (SELECT last_value FROM ${sequence}), ${floor}))`,
    );
  }
}
