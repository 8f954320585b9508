import type { Queryable } from '../../platform/db';
import { recordChange } from '../../platform/outbox';

/**
 * The entities whose changes the ERP publishes. A stock event's id is "<sku>/<warehouseCode>";
 * every other id is the record's own (customer number, SKU, order or invoice number, payment id).
 */
export const ErpEntity = {
  customer: 'customer',
  product: 'product',
  stock: 'stock',
  salesOrder: 'sales_order',
  productionOrder: 'production_order',
  shipment: 'shipment',
  invoice: 'invoice',
  payment: 'payment',
} as const;
export type ErpEntity = (typeof ErpEntity)[keyof typeof ErpEntity];

/** The id a stock change event carries for one product in one warehouse. */
export function stockEntityId(sku: string, warehouseCode: string): string {
  return `${sku}/${warehouseCode}`;
}

/** Records that a record was created, in the transaction that created it. */
export function recordCreated(tx: Queryable, entity: ErpEntity, entityId: string, version = 1): Promise<void> {
  return recordChange(tx, { entity, entityId, version, action: 'created' });
}

/** Records that a record changed to `version`, in the transaction that changed it. */
export function recordUpdated(tx: Queryable, entity: ErpEntity, entityId: string, version: number): Promise<void> {
  return recordChange(tx, { entity, entityId, version, action: 'updated' });
}
