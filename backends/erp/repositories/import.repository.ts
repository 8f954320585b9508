import type { ErpCustomerImport, ErpProductImport } from '../../../connectors/erp/erp.connector';
import type { Queryable } from '../../../platform/db';

/** What an upsert did to one record. */
export interface UpsertedRow {
  key: string;
  id: string;
  version: number;
  outcome: 'created' | 'updated' | 'unchanged';
}

const NOW = "date_trunc('milliseconds', now())";

/**
 * Upserts customers by external reference (the CRM account id). A known one takes only the
 * ERP-owned fields given (a null keeps the stored value) and is written only when one differs;
 * an unknown one is created under the next customer number. Keys must be distinct within a call.
 */
export async function upsertCustomersByExternalRef(tx: Queryable, rows: readonly ErpCustomerImport[], defaultCurrency: string): Promise<UpsertedRow[]> {
  if (rows.length === 0) return [];
  const keys = rows.map((r) => r.externalRef);
  const byKey = new Map<string, UpsertedRow>();
  const updateKnown = async (subset: readonly ErpCustomerImport[]) => {
    const updated = await tx.query<{ external_ref: string; customer_no: string; version: number }>(
      `UPDATE customers c SET credit_limit = coalesce(s.credit_limit, c.credit_limit), payment_terms = coalesce(s.payment_terms, c.payment_terms),
         currency = coalesce(s.currency, c.currency), version = c.version + 1, updated_at = ${NOW}
       FROM unnest($1::text[], $2::numeric[], $3::text[], $4::text[]) AS s(external_ref, credit_limit, payment_terms, currency)
       WHERE c.external_ref = s.external_ref
         AND (c.credit_limit, c.payment_terms, c.currency) IS DISTINCT FROM (coalesce(s.credit_limit, c.credit_limit), coalesce(s.payment_terms, c.payment_terms), coalesce(s.currency, c.currency))
       RETURNING c.external_ref, c.customer_no, c.version`,
      [subset.map((r) => r.externalRef), subset.map((r) => r.creditLimit ?? null), subset.map((r) => r.paymentTerms ?? null), subset.map((r) => r.currency ?? null)],
    );
    for (const r of updated.rows) byKey.set(r.external_ref, { key: r.external_ref, id: r.customer_no, version: r.version, outcome: 'updated' });
  };
  await updateKnown(rows);
  const existing = await tx.query<{ external_ref: string; customer_no: string; version: number }>(
    'SELECT external_ref, customer_no, version FROM customers WHERE external_ref = ANY($1::text[])',
    [keys],
  );
  for (const r of existing.rows) if (!byKey.has(r.external_ref)) byKey.set(r.external_ref, { key: r.external_ref, id: r.customer_no, version: r.version, outcome: 'unchanged' });
  const fresh = rows.filter((r) => !byKey.has(r.externalRef));
  if (fresh.length > 0) {
    const inserted = await tx.query<{ external_ref: string; customer_no: string; version: number }>(
      `INSERT INTO customers (customer_no, name, email, industry, country, external_ref, credit_limit, payment_terms, currency)
       SELECT 'K-' || nextval('customer_no_seq'), s.* FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::numeric[], $7::text[], $8::text[])
         AS s(name, email, industry, country, external_ref, credit_limit, payment_terms, currency)
       ON CONFLICT (external_ref) DO NOTHING RETURNING external_ref, customer_no, version`,
      [
        fresh.map((r) => r.name),
        fresh.map((r) => r.email ?? null),
        fresh.map((r) => r.industry ?? null),
        fresh.map((r) => r.country ?? null),
        fresh.map((r) => r.externalRef),
        fresh.map((r) => r.creditLimit ?? null),
        fresh.map((r) => r.paymentTerms ?? null),
        fresh.map((r) => r.currency ?? defaultCurrency),
      ],
    );
    for (const r of inserted.rows) byKey.set(r.external_ref, { key: r.external_ref, id: r.customer_no, version: r.version, outcome: 'created' });
    // Another writer (the sync) created some of them meanwhile: those take the ERP-owned fields as updates.
    const raced = fresh.filter((r) => !byKey.has(r.externalRef));
    if (raced.length > 0) {
      await updateKnown(raced);
      const again = await tx.query<{ external_ref: string; customer_no: string; version: number }>(
        'SELECT external_ref, customer_no, version FROM customers WHERE external_ref = ANY($1::text[])',
        [raced.map((r) => r.externalRef)],
      );
      for (const r of again.rows) if (!byKey.has(r.external_ref)) byKey.set(r.external_ref, { key: r.external_ref, id: r.customer_no, version: r.version, outcome: 'unchanged' });
    }
  }
  return keys.map((k) => byKey.get(k)!);
}

/** Upserts products by SKU in one statement, writing only those that differ. */
export async function upsertProductsBySku(tx: Queryable, rows: readonly ErpProductImport[]): Promise<UpsertedRow[]> {
  if (rows.length === 0) return [];
  const skus = rows.map((r) => r.sku);
  const written = await tx.query<{ sku: string; version: number; inserted: boolean }>(
    `INSERT INTO products AS p (sku, name, unit_price, currency, manufactured)
     SELECT * FROM unnest($1::text[], $2::text[], $3::numeric[], $4::text[], $5::bool[])
     ON CONFLICT (sku) DO UPDATE SET name = EXCLUDED.name, unit_price = EXCLUDED.unit_price, currency = EXCLUDED.currency,
       manufactured = EXCLUDED.manufactured, version = p.version + 1, updated_at = ${NOW}
     WHERE (p.name, p.unit_price, p.currency, p.manufactured) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.unit_price, EXCLUDED.currency, EXCLUDED.manufactured)
     RETURNING p.sku, p.version, (p.xmax = 0) AS inserted`,
    [skus, rows.map((r) => r.name), rows.map((r) => r.unitPrice), rows.map((r) => r.currency), rows.map((r) => r.manufactured)],
  );
  const bySku = new Map<string, UpsertedRow>(written.rows.map((r) => [r.sku, { key: r.sku, id: r.sku, version: r.version, outcome: r.inserted ? 'created' : 'updated' }]));
  const untouched = skus.filter((s) => !bySku.has(s));
  if (untouched.length > 0) {
    const found = await tx.query<{ sku: string; version: number }>('SELECT sku, version FROM products WHERE sku = ANY($1::text[])', [untouched]);
    for (const r of found.rows) bySku.set(r.sku, { key: r.sku, id: r.sku, version: r.version, outcome: 'unchanged' });
  }
  return skus.map((s) => bySku.get(s)!);
}
