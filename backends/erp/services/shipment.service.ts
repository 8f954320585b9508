import type { Queryable } from '../../../platform/db';
import { AppError, ErrorCode } from '../../../platform/errors';
import type { ErpShipment } from '../../../connectors/erp/erp.connector';
import { ErpEntity, recordCreated, recordUpdated, stockEntityId } from '../events';
import { adjustStock, lockStockLevels } from '../repositories/product.repository';
import { adjustSalesOrderLine, getSalesOrderLines, listReservations, reduceReservation, touchSalesOrder } from '../repositories/sales-order.repository';
import { getShipmentLines, getShipments, insertShipment, lockShipment, markShipmentCancelled, markShipmentShipped, pendingShipmentQuantities, type ShipmentLineState } from '../repositories/shipment.repository';
import { lockExistingSalesOrder, RESERVING_STATUSES } from './sales-order.service';

async function loadShipment(tx: Queryable, id: string): Promise<ErpShipment> {
  const [shipment] = await getShipments(tx, [id]);
  return shipment;
}

/**
 * Creates a PENDING shipment of what the order has reserved and no pending shipment covers yet;
 * the order becomes READY_TO_SHIP. Nothing reserved to ship is a CONFLICT.
 */
export async function createShipment(tx: Queryable, salesOrderId: string): Promise<ErpShipment> {
  const order = await lockExistingSalesOrder(tx, salesOrderId, 'salesOrderId');
  if (!RESERVING_STATUSES.includes(order.status)) {
    throw new AppError(ErrorCode.CONFLICT, `sales order ${salesOrderId} is ${order.status} and cannot be shipped`, { status: order.status });
  }
  const pending = await pendingShipmentQuantities(tx, salesOrderId);
  const lines: ShipmentLineState[] = [];
  for (const line of await getSalesOrderLines(tx, salesOrderId)) {
    const quantity = line.reservedQuantity - (pending.get(line.lineNo) ?? 0);
    if (quantity > 0) lines.push({ lineNo: line.lineNo, sku: line.sku, quantity });
  }
  if (lines.length === 0) throw new AppError(ErrorCode.CONFLICT, `sales order ${salesOrderId} has no reserved stock left to ship`);
  const id = await insertShipment(tx, salesOrderId, lines);
  await recordCreated(tx, ErpEntity.shipment, id);
  if (order.status === 'CONFIRMED' || order.status === 'IN_PRODUCTION') {
    await recordUpdated(tx, ErpEntity.salesOrder, salesOrderId, await touchSalesOrder(tx, salesOrderId, 'READY_TO_SHIP'));
  }
  return loadShipment(tx, id);
}

/**
 * The carrier took the goods: the shipment is SHIPPED, its units leave stock (on hand and
 * reserved drop where they were reserved), the order lines count them as shipped, and the order
 * is SHIPPED or PARTIALLY_SHIPPED.
 */
export async function confirmShipment(tx: Queryable, id: string, input: { carrier: string; trackingNumber: string }): Promise<ErpShipment> {
  const shipment = await lockShipment(tx, id);
  if (!shipment) throw new AppError(ErrorCode.NOT_FOUND, `shipment ${id} does not exist`, { shipmentId: id });
  if (shipment.status !== 'PENDING') throw new AppError(ErrorCode.CONFLICT, `shipment ${id} is ${shipment.status}, not PENDING`, { status: shipment.status });
  const order = await lockExistingSalesOrder(tx, shipment.salesOrderId);
  if (!RESERVING_STATUSES.includes(order.status)) {
    throw new AppError(ErrorCode.CONFLICT, `sales order ${order.id} is ${order.status} and cannot be shipped`, { status: order.status });
  }
  const orderLines = new Map((await getSalesOrderLines(tx, order.id)).map((l) => [l.lineNo, l]));
  const reservations = await listReservations(tx, order.id);
  const issues: { sku: string; warehouseCode: string; quantity: number }[] = [];
  for (const line of await getShipmentLines(tx, id)) {
    const orderLine = orderLines.get(line.lineNo);
    if (!orderLine || orderLine.reservedQuantity < line.quantity) {
      throw new AppError(ErrorCode.CONFLICT, `line ${line.lineNo} of sales order ${order.id} no longer has ${line.quantity} units reserved`, { lineNo: line.lineNo });
    }
    let remaining = line.quantity;
    for (const reservation of reservations.filter((r) => r.lineNo === line.lineNo)) {
      const take = Math.min(remaining, reservation.quantity);
      if (take <= 0) continue;
      await reduceReservation(tx, order.id, line.lineNo, reservation.warehouseCode, take);
      reservation.quantity -= take;
      remaining -= take;
      issues.push({ sku: line.sku, warehouseCode: reservation.warehouseCode, quantity: take });
    }
    await adjustSalesOrderLine(tx, order.id, line.lineNo, { reserved: -line.quantity, shipped: line.quantity });
    orderLine.reservedQuantity -= line.quantity;
    orderLine.shippedQuantity += line.quantity;
  }
  issues.sort((a, b) => (a.sku === b.sku ? a.warehouseCode.localeCompare(b.warehouseCode) : a.sku.localeCompare(b.sku)));
  await lockStockLevels(tx, issues.map((i) => i.sku));
  for (const issue of issues) {
    const version = await adjustStock(tx, issue.sku, issue.warehouseCode, -issue.quantity, -issue.quantity);
    await recordUpdated(tx, ErpEntity.stock, stockEntityId(issue.sku, issue.warehouseCode), version);
  }
  await recordUpdated(tx, ErpEntity.shipment, id, await markShipmentShipped(tx, id, input.carrier, input.trackingNumber));
  const complete = [...orderLines.values()].every((l) => l.shippedQuantity >= l.quantity);
  await recordUpdated(tx, ErpEntity.salesOrder, order.id, await touchSalesOrder(tx, order.id, complete ? 'SHIPPED' : 'PARTIALLY_SHIPPED'));
  return loadShipment(tx, id);
}

/**
 * Cancels a shipment the carrier has not taken: it will never be confirmed, and the goods it
 * covered stay reserved for the order (cancelling the order releases them). Cancelling a cancelled
 * shipment again changes nothing; one already SHIPPED or DELIVERED is a CONFLICT.
 */
export async function cancelShipment(tx: Queryable, id: string): Promise<ErpShipment> {
  const shipment = await lockShipment(tx, id);
  if (!shipment) throw new AppError(ErrorCode.NOT_FOUND, `shipment ${id} does not exist`, { shipmentId: id });
  if (shipment.status === 'CANCELLED') return loadShipment(tx, id);
  if (shipment.status !== 'PENDING') throw new AppError(ErrorCode.CONFLICT, `shipment ${id} is ${shipment.status} and cannot be cancelled`, { status: shipment.status });
  await recordUpdated(tx, ErpEntity.shipment, id, await markShipmentCancelled(tx, id));
  return loadShipment(tx, id);
}
