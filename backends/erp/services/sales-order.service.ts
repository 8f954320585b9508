import type { Queryable } from '../../../platform/db';
import { AppError, ErrorCode } from '../../../platform/errors';
import type { ErpCreditAssessment, ErpSalesOrder, ErpSalesOrderInput, ErpSalesOrderStatus } from '../../../connectors/erp/erp.connector';
import { ErpEntity, recordCreated, recordUpdated, stockEntityId } from '../events';
import { getCustomers, lockCustomer } from '../repositories/customer.repository';
import { type CreditPolicy, DEFAULT_CREDIT_POLICY, assessCredit, priceLines, requireApproved } from './credit.service';
import { adjustStock, getProducts, lockStockLevels } from '../repositories/product.repository';
import {
  addReservation,
  adjustSalesOrderLine,
  clearReservations,
  getSalesOrderLines,
  getSalesOrders,
  insertSalesOrder,
  listReservations,
  lockSalesOrder,
  touchSalesOrder,
  type SalesOrderHeader,
} from '../repositories/sales-order.repository';

/**
 * The sales order lifecycle: which status may follow which. An order can be cancelled until it
 * has shipped; after that only invoicing and payment move it on.
 */
export const SALES_ORDER_TRANSITIONS: Record<ErpSalesOrderStatus, readonly ErpSalesOrderStatus[]> = {
  DRAFT: ['CONFIRMED', 'CANCELLED'],
  CONFIRMED: ['IN_PRODUCTION', 'READY_TO_SHIP', 'CANCELLED'],
  IN_PRODUCTION: ['READY_TO_SHIP', 'CANCELLED'],
  READY_TO_SHIP: ['PARTIALLY_SHIPPED', 'SHIPPED', 'CANCELLED'],
  PARTIALLY_SHIPPED: ['SHIPPED'],
  SHIPPED: ['INVOICED'],
  INVOICED: ['PAID'],
  PAID: [],
  CANCELLED: [],
};

/** Statuses in which an order may hold or take stock reservations. */
export const RESERVING_STATUSES: readonly ErpSalesOrderStatus[] = ['CONFIRMED', 'IN_PRODUCTION', 'READY_TO_SHIP', 'PARTIALLY_SHIPPED'];

/** Loads an order as the API shows it. */
export async function loadSalesOrder(tx: Queryable, id: string): Promise<ErpSalesOrder> {
  const [order] = await getSalesOrders(tx, [id]);
  if (!order) throw new AppError(ErrorCode.NOT_FOUND, `sales order ${id} does not exist`, { salesOrderId: id });
  return order;
}

/** Locks an order for a change; NOT_FOUND naming `field` when it does not exist. */
export async function lockExistingSalesOrder(tx: Queryable, id: string, field?: string): Promise<SalesOrderHeader> {
  const header = await lockSalesOrder(tx, id);
  if (!header) throw new AppError(ErrorCode.NOT_FOUND, `sales order ${id} does not exist`, { salesOrderId: id, ...(field ? { field } : {}) });
  return header;
}

/**
 * Creates an order for an existing customer, priced from the catalogue where no price is given, if
 * the customer's credit allows it. The customer's row is locked first, so the credit check and the
 * insert are one step per customer: two orders racing for the same headroom are decided one after
 * the other, each against an exposure that includes the other.
 */
export async function createSalesOrder(tx: Queryable, input: ErpSalesOrderInput, policy: CreditPolicy = DEFAULT_CREDIT_POLICY): Promise<ErpSalesOrder> {
  const customer = await lockCustomer(tx, input.customerNo);
  if (!customer) throw new AppError(ErrorCode.NOT_FOUND, `customer ${input.customerNo} does not exist`, { field: 'customerNo' });
  const products = new Map((await getProducts(tx, input.lines.map((l) => l.sku))).map((p) => [p.sku, p]));
  const lines = priceLines(customer, input.lines, products);
  const status = input.status ?? 'CONFIRMED';
  // A draft is no commitment yet; it is checked when it is confirmed. An order finance approved
  // over the limit skips the check (the integration keeps who approved it and the figures).
  if (status !== 'DRAFT' && !input.creditApprovedBy) requireApproved(await assessCredit(tx, customer, lines, policy));
  const id = await insertSalesOrder(tx, {
    customerNo: customer.customerNo,
    status,
    currency: customer.currency,
    externalRef: input.externalRef ?? null,
    lines,
  });
  await recordCreated(tx, ErpEntity.salesOrder, id);
  return loadSalesOrder(tx, id);
}

// A draft becomes a commitment when it is confirmed: checked then, under the customer's lock.
async function requireCreditForDraft(tx: Queryable, header: SalesOrderHeader, policy: CreditPolicy): Promise<void> {
  const customer = await lockCustomer(tx, header.customerNo);
  if (!customer) throw new AppError(ErrorCode.NOT_FOUND, `customer ${header.customerNo} does not exist`);
  const lines = (await getSalesOrderLines(tx, header.id)).map((l) => ({ sku: l.sku, quantity: l.quantity, unitPrice: l.unitPrice }));
  requireApproved(await assessCredit(tx, customer, lines, policy));
}

/** The credit decision an order of these lines would get now; writes nothing. */
export async function previewCredit(q: Queryable, customerNo: string, lines: ErpSalesOrderInput['lines'], policy: CreditPolicy = DEFAULT_CREDIT_POLICY): Promise<ErpCreditAssessment> {
  const [customer] = await getCustomers(q, [customerNo]);
  if (!customer) throw new AppError(ErrorCode.NOT_FOUND, `customer ${customerNo} does not exist`, { field: 'customerNo' });
  const products = new Map((await getProducts(q, lines.map((l) => l.sku))).map((p) => [p.sku, p]));
  return assessCredit(q, customer, priceLines(customer, lines, products), policy);
}

/**
 * Reserves what is free for every line still short, drawing from warehouses in code order. The
 * stock rows are locked first, so two orders reserving the last units at once cannot both get them.
 */
export async function reserveStock(tx: Queryable, id: string): Promise<ErpSalesOrder> {
  const header = await lockExistingSalesOrder(tx, id);
  if (!RESERVING_STATUSES.includes(header.status)) {
    throw new AppError(ErrorCode.CONFLICT, `sales order ${id} is ${header.status}; stock can be reserved only for ${RESERVING_STATUSES.join(', ')} orders`, {
      status: header.status,
    });
  }
  const short = (await getSalesOrderLines(tx, id)).filter((l) => l.quantity - l.shippedQuantity - l.reservedQuantity > 0);
  if (short.length === 0) return loadSalesOrder(tx, id);
  const free = new Map<string, { warehouseCode: string; free: number }[]>();
  for (const level of await lockStockLevels(tx, short.map((l) => l.sku))) {
    const list = free.get(level.sku) ?? [];
    list.push({ warehouseCode: level.warehouseCode, free: level.onHand - level.reserved });
    free.set(level.sku, list);
  }
  let reservedAny = false;
  for (const line of short) {
    let need = line.quantity - line.shippedQuantity - line.reservedQuantity;
    let taken = 0;
    for (const slot of free.get(line.sku) ?? []) {
      const take = Math.min(need, slot.free);
      if (take <= 0) continue;
      const version = await adjustStock(tx, line.sku, slot.warehouseCode, 0, take);
      await recordUpdated(tx, ErpEntity.stock, stockEntityId(line.sku, slot.warehouseCode), version);
      await addReservation(tx, id, line.lineNo, slot.warehouseCode, take);
      slot.free -= take;
      need -= take;
      taken += take;
      if (need === 0) break;
    }
    if (taken > 0) {
      await adjustSalesOrderLine(tx, id, line.lineNo, { reserved: taken });
      reservedAny = true;
    }
  }
  if (reservedAny) await recordUpdated(tx, ErpEntity.salesOrder, id, await touchSalesOrder(tx, id));
  return loadSalesOrder(tx, id);
}

/** Gives back every reserved unit of a locked order to the warehouse it came from; true when any. */
async function releaseLocked(tx: Queryable, id: string): Promise<boolean> {
  const reservations = await listReservations(tx, id);
  if (reservations.length === 0) return false;
  const perStock = new Map<string, { sku: string; warehouseCode: string; quantity: number }>();
  for (const r of reservations) {
    const key = `${r.sku}\u0000${r.warehouseCode}`;
    const entry = perStock.get(key) ?? { sku: r.sku, warehouseCode: r.warehouseCode, quantity: 0 };
    entry.quantity += r.quantity;
    perStock.set(key, entry);
  }
  // Stock rows are changed in (sku, warehouse) order, the order every writer locks them in.
  const ordered = [...perStock.values()].sort((a, b) => (a.sku === b.sku ? a.warehouseCode.localeCompare(b.warehouseCode) : a.sku.localeCompare(b.sku)));
  await lockStockLevels(tx, ordered.map((s) => s.sku));
  for (const stock of ordered) {
    const version = await adjustStock(tx, stock.sku, stock.warehouseCode, 0, -stock.quantity);
    await recordUpdated(tx, ErpEntity.stock, stockEntityId(stock.sku, stock.warehouseCode), version);
  }
  await clearReservations(tx, id);
  return true;
}

/** Releases every reservation of the order; an order with none is returned unchanged. */
export async function releaseReservations(tx: Queryable, id: string): Promise<ErpSalesOrder> {
  await lockExistingSalesOrder(tx, id);
  if (await releaseLocked(tx, id)) await recordUpdated(tx, ErpEntity.salesOrder, id, await touchSalesOrder(tx, id));
  return loadSalesOrder(tx, id);
}

/**
 * Moves the order to `status` if its lifecycle allows it (the same status again changes
 * nothing). Cancelling gives its reserved stock back.
 */
export async function setSalesOrderStatus(tx: Queryable, id: string, status: ErpSalesOrderStatus, policy: CreditPolicy = DEFAULT_CREDIT_POLICY): Promise<ErpSalesOrder> {
  const header = await lockExistingSalesOrder(tx, id);
  if (header.status === status) return loadSalesOrder(tx, id);
  if (!SALES_ORDER_TRANSITIONS[header.status].includes(status)) {
    throw new AppError(ErrorCode.CONFLICT, `sales order ${id} cannot go from ${header.status} to ${status}`, { from: header.status, to: status });
  }
  if (status === 'CANCELLED') await releaseLocked(tx, id);
  if (header.status === 'DRAFT' && status !== 'CANCELLED') await requireCreditForDraft(tx, header, policy);
  await recordUpdated(tx, ErpEntity.salesOrder, id, await touchSalesOrder(tx, id, status));
  return loadSalesOrder(tx, id);
}
