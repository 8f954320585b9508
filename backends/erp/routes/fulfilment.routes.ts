import type { FastifyInstance } from 'fastify';
import type { Database } from '../../../platform/db';
import { AppError, ErrorCode } from '../../../platform/errors';
import type { ErpProductionOrderStatus, ErpShipmentStatus } from '../../../connectors/erp/erp.connector';
import { getProductionOrders, listProductionOrders, listProductionOrdersBySalesOrders } from '../repositories/production-order.repository';
import { getShipments, listShipments, listShipmentsBySalesOrders } from '../repositories/shipment.repository';
import { cancelProductionOrder, completeProductionOrder, createProductionOrder } from '../services/production-order.service';
import { cancelShipment, confirmShipment, createShipment } from '../services/shipment.service';
import { confirmShipmentSchema, enumParam, idList, listParams, parseInput, productionOrderInputSchema, salesOrderRefSchema, type QueryString } from '../validation';
import { idempotentWrite } from '../../../platform/idempotency';

const PRODUCTION_STATUSES: readonly ErpProductionOrderStatus[] = ['PLANNED', 'RELEASED', 'IN_PROGRESS', 'COMPLETED', 'CANCELLED'];
const SHIPMENT_STATUSES: readonly ErpShipmentStatus[] = ['PENDING', 'SHIPPED', 'DELIVERED', 'CANCELLED'];

/** Production orders and shipments. */
export function registerFulfilmentRoutes(app: FastifyInstance, db: Database): void {
  app.get<{ Querystring: QueryString }>('/production-orders', async (req) => {
    const ids = idList(req.query, 'ids');
    const salesOrderIds = idList(req.query, 'sales_order_ids');
    if (ids || salesOrderIds) {
      const items = ids ? await getProductionOrders(db, ids) : await listProductionOrdersBySalesOrders(db, salesOrderIds ?? []);
      return { items, nextCursor: null, totalCount: items.length };
    }
    return listProductionOrders(db, { ...listParams(req.query), status: enumParam(req.query, 'status', PRODUCTION_STATUSES) });
  });

  app.get<{ Params: { id: string } }>('/production-orders/:id', async (req) => {
    const [order] = await getProductionOrders(db, [req.params.id]);
    if (!order) throw new AppError(ErrorCode.NOT_FOUND, `production order ${req.params.id} does not exist`);
    return order;
  });

  app.post('/production-orders', async (req, reply) => {
    const input = parseInput(productionOrderInputSchema, req.body);
    return idempotentWrite(db, req, reply, 201, (tx) => createProductionOrder(tx, input));
  });

  app.post<{ Params: { id: string } }>('/production-orders/:id/complete', async (req, reply) =>
    idempotentWrite(db, req, reply, 200, (tx) => completeProductionOrder(tx, req.params.id)),
  );

  app.post<{ Params: { id: string } }>('/production-orders/:id/cancel', async (req, reply) =>
    idempotentWrite(db, req, reply, 200, (tx) => cancelProductionOrder(tx, req.params.id)),
  );

  app.get<{ Querystring: QueryString }>('/shipments', async (req) => {
    const ids = idList(req.query, 'ids');
    const salesOrderIds = idList(req.query, 'sales_order_ids');
    if (ids || salesOrderIds) {
      const items = ids ? await getShipments(db, ids) : await listShipmentsBySalesOrders(db, salesOrderIds ?? []);
      return { items, nextCursor: null, totalCount: items.length };
    }
    return listShipments(db, { ...listParams(req.query), status: enumParam(req.query, 'status', SHIPMENT_STATUSES) });
  });

  app.get<{ Params: { id: string } }>('/shipments/:id', async (req) => {
    const [shipment] = await getShipments(db, [req.params.id]);
    if (!shipment) throw new AppError(ErrorCode.NOT_FOUND, `shipment ${req.params.id} does not exist`);
    return shipment;
  });

  app.post('/shipments', async (req, reply) => {
    const { salesOrderId } = parseInput(salesOrderRefSchema, req.body);
    return idempotentWrite(db, req, reply, 201, (tx) => createShipment(tx, salesOrderId));
  });

  app.post<{ Params: { id: string } }>('/shipments/:id/confirm', async (req, reply) => {
    const input = parseInput(confirmShipmentSchema, req.body);
    return idempotentWrite(db, req, reply, 200, (tx) => confirmShipment(tx, req.params.id, input));
  });

  app.post<{ Params: { id: string } }>('/shipments/:id/cancel', async (req, reply) => idempotentWrite(db, req, reply, 200, (tx) => cancelShipment(tx, req.params.id)));
}
