import type { Queryable } from '../../../platform/db';
import { AppError, ErrorCode } from '../../../platform/errors';
import type { ErpProductionOrder } from '../../../connectors/erp/erp.connector';
import { ErpEntity, recordCreated, recordUpdated, stockEntityId } from '../events';
import { adjustStock, getProducts, listWarehouses, receiveStock } from '../repositories/product.repository';
import { insertProductionOrder, lockProductionOrder, setProductionOrderStatus } from '../repositories/production-order.repository';
import { addReservation, adjustSalesOrderLine, getSalesOrderLines, touchSalesOrder } from '../repositories/sales-order.repository';
import { lockExistingSalesOrder, RESERVING_STATUSES } from './sales-order.service';

async function lockExisting(tx: Queryable, id: string): Promise<ErpProductionOrder> {
  const order = await lockProductionOrder(tx, id);
  if (!order) throw new AppError(ErrorCode.NOT_FOUND, `production order ${id} does not exist`, { productionOrderId: id });
  return order;
}

/**
 * Plans production of a manufactured product, optionally for a sales order; a CONFIRMED sales
 * order it covers moves to IN_PRODUCTION.
 */
export async function createProductionOrder(tx: Queryable, input: { sku: string; quantity: number; salesOrderId?: string | null }): Promise<ErpProductionOrder> {
  const [product] = await getProducts(tx, [input.sku]);
  if (!product) throw new AppError(ErrorCode.NOT_FOUND, `product ${input.sku} does not exist`, { field: 'sku' });
  if (!product.manufactured) throw new AppError(ErrorCode.BAD_USER_INPUT, `sku: product ${input.sku} is purchased, not manufactured`, { field: 'sku' });
  if (input.salesOrderId) {
    const salesOrder = await lockExistingSalesOrder(tx, input.salesOrderId, 'salesOrderId');
    if (!RESERVING_STATUSES.includes(salesOrder.status)) {
      throw new AppError(ErrorCode.CONFLICT, `sales order ${salesOrder.id} is ${salesOrder.status}; production can be planned only for open orders`, { status: salesOrder.status });
    }
    if (salesOrder.status === 'CONFIRMED') await recordUpdated(tx, ErpEntity.salesOrder, salesOrder.id, await touchSalesOrder(tx, salesOrder.id, 'IN_PRODUCTION'));
  }
  const order = await insertProductionOrder(tx, { sku: input.sku, quantity: input.quantity, salesOrderId: input.salesOrderId ?? null });
  await recordCreated(tx, ErpEntity.productionOrder, order.id, order.version);
  return order;
}

/**
 * Completes production: the output goes on stock in the first warehouse and, when made for a
 * sales order, is reserved there for that order's lines still short of the product. Completing
 * a completed order again changes nothing.
 */
export async function completeProductionOrder(tx: Queryable, id: string): Promise<ErpProductionOrder> {
  const order = await lockExisting(tx, id);
  if (order.status === 'COMPLETED') return order;
  if (order.status === 'CANCELLED') throw new AppError(ErrorCode.CONFLICT, `production order ${id} is CANCELLED and cannot be completed`, { status: order.status });
  const [warehouse] = await listWarehouses(tx);
  if (!warehouse) throw new AppError(ErrorCode.CONFLICT, 'there is no warehouse to put the output in');
  // The sales order is locked before any stock row, the order every writer locks them in.
  const salesOrder = order.salesOrderId ? await lockExistingSalesOrder(tx, order.salesOrderId) : null;
  let version = await receiveStock(tx, order.sku, warehouse.code, order.quantity);
  if (salesOrder && RESERVING_STATUSES.includes(salesOrder.status)) {
    let output = order.quantity;
    let reserved = 0;
    for (const line of await getSalesOrderLines(tx, salesOrder.id)) {
      const need = line.quantity - line.shippedQuantity - line.reservedQuantity;
      const take = line.sku === order.sku ? Math.min(need, output) : 0;
      if (take <= 0) continue;
      await addReservation(tx, salesOrder.id, line.lineNo, warehouse.code, take);
      await adjustSalesOrderLine(tx, salesOrder.id, line.lineNo, { reserved: take });
      output -= take;
      reserved += take;
    }
    if (reserved > 0) {
      version = await adjustStock(tx, order.sku, warehouse.code, 0, reserved);
      await recordUpdated(tx, ErpEntity.salesOrder, salesOrder.id, await touchSalesOrder(tx, salesOrder.id));
    }
  }
  await recordUpdated(tx, ErpEntity.stock, stockEntityId(order.sku, warehouse.code), version);
  const completed = await setProductionOrderStatus(tx, id, 'COMPLETED');
  await recordUpdated(tx, ErpEntity.productionOrder, id, completed.version);
  return completed;
}

/** Cancels production not yet completed; cancelling a cancelled order again changes nothing. */
export async function cancelProductionOrder(tx: Queryable, id: string): Promise<ErpProductionOrder> {
  const order = await lockExisting(tx, id);
  if (order.status === 'CANCELLED') return order;
  if (order.status === 'COMPLETED') throw new AppError(ErrorCode.CONFLICT, `production order ${id} is COMPLETED and cannot be cancelled`, { status: order.status });
  const cancelled = await setProductionOrderStatus(tx, id, 'CANCELLED');
  await recordUpdated(tx, ErpEntity.productionOrder, id, cancelled.version);
  return cancelled;
}
