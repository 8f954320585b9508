import type { FastifyInstance } from 'fastify';
import type { BulkUpsertResult } from '../../../connectors/bulk';
import type { ErpCustomerImport, ErpProductImport } from '../../../connectors/erp/erp.connector';
import type { Database } from '../../../platform/db';
import { AppError, ErrorCode, isAppError } from '../../../platform/errors';
import { recordChanges } from '../../../platform/outbox';
import { ErpEntity } from '../events';
import { type UpsertedRow, upsertCustomersByExternalRef, upsertProductsBySku } from '../repositories/import.repository';
import { DEFAULT_CURRENCY } from '../services/customer.service';
import { bulkRowsSchema, customerImportSchema, parseInput, productImportSchema } from '../validation';
import { idempotentWrite } from '../../../platform/idempotency';

type Checked<T> = { ok: true; key: string; row: T } | { ok: false; result: BulkUpsertResult };

/** Validates each row on its own: a bad row becomes a rejected result, the others go on. */
function checkRows<T>(rows: unknown[], keyField: string, keyOf: (row: T) => string, validate: (row: unknown) => T): Checked<T>[] {
  const seen = new Set<string>();
  return rows.map((raw, index) => {
    const given = (raw as Record<string, unknown> | null)?.[keyField];
    try {
      const row = validate(raw);
      const key = keyOf(row);
      // One statement cannot touch the same record twice; the importer sends a repeated key in a later call.
      if (seen.has(key)) throw new AppError(ErrorCode.BAD_USER_INPUT, `${key} appears twice in this call`);
      seen.add(key);
      return { ok: true as const, key, row };
    } catch (error) {
      if (!isAppError(error)) throw error;
      const field = typeof error.details?.field === 'string' ? error.details.field : undefined;
      return { ok: false as const, result: { key: typeof given === 'string' ? given : `#${index}`, outcome: 'rejected' as const, error: { code: error.code, message: error.message, ...(field ? { field } : {}) } } };
    }
  });
}

/** Answers every row in order and records a change event for each record created or changed. */
async function answer<T>(tx: Parameters<typeof recordChanges>[0], entity: ErpEntity, checked: Checked<T>[], upserted: UpsertedRow[]): Promise<{ status: number; body: { results: BulkUpsertResult[] } }> {
  await recordChanges(
    tx,
    upserted.filter((u) => u.outcome !== 'unchanged').map((u) => ({ entity, entityId: u.id, version: u.version, action: u.outcome === 'created' ? ('created' as const) : ('updated' as const) })),
  );
  const byKey = new Map(upserted.map((u) => [u.key, u]));
  const results = checked.map((c): BulkUpsertResult => {
    if (!c.ok) return c.result;
    const u = byKey.get(c.key)!;
    return { key: u.key, outcome: u.outcome, id: u.id };
  });
  return { status: 200, body: { results } };
}

/**
 * Bulk import: customers upserted by their CRM account id and products by SKU, up to 500 per
 * call, in one transaction, with change events like every other write.
 */
export function registerImportRoutes(app: FastifyInstance, db: Database): void {
  app.post('/customers/bulk', async (req, reply) => {
    const { customers } = parseInput(bulkRowsSchema('customers'), req.body) as { customers: unknown[] };
    const checked = checkRows<ErpCustomerImport>(customers, 'externalRef', (r) => r.externalRef, (row) => parseInput(customerImportSchema, row) as ErpCustomerImport);
    return idempotentWrite(db, req, reply, 200, async (tx) => {
      const valid = checked.flatMap((c) => (c.ok ? [c.row] : []));
      const result = await answer(tx, ErpEntity.customer, checked, await upsertCustomersByExternalRef(tx, valid, DEFAULT_CURRENCY));
      return result.body;
    });
  });

  app.post('/products/bulk', async (req, reply) => {
    const { products } = parseInput(bulkRowsSchema('products'), req.body) as { products: unknown[] };
    const checked = checkRows<ErpProductImport>(products, 'sku', (r) => r.sku, (row) => parseInput(productImportSchema, row));
    return idempotentWrite(db, req, reply, 200, async (tx) => {
      const valid = checked.flatMap((c) => (c.ok ? [c.row] : []));
      const result = await answer(tx, ErpEntity.product, checked, await upsertProductsBySku(tx, valid));
      return result.body;
    });
  });
}
