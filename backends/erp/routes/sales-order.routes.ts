import type { FastifyInstance } from 'fastify';
import type { Database } from '../../../platform/db';
import { AppError, ErrorCode } from '../../../platform/errors';
import type { ErpSalesOrderStatus } from '../../../connectors/erp/erp.connector';
import { findSalesOrdersByExternalRefs, getSalesOrders, listSalesOrders, listSalesOrdersByCustomers } from '../repositories/sales-order.repository';
import { createSalesOrder, releaseReservations, reserveStock, setSalesOrderStatus } from '../services/sales-order.service';
import {
  enumParam,
  ERP_MAX_PAGE_SIZE,
  idList,
  intParam,
  listParams,
  parseInput,
  salesOrderInputSchema,
  salesOrderStatusSchema,
  statusInputSchema,
  textParam,
  type QueryString,
} from '../validation';
import { idempotentWrite } from '../../../platform/idempotency';
import type { CreditPolicy } from '../services/credit.service';

const STATUSES = salesOrderStatusSchema.options as readonly ErpSalesOrderStatus[];

/** Sales orders: reads, creation, stock reservation and the status lifecycle. */
export function registerSalesOrderRoutes(app: FastifyInstance, db: Database, credit: CreditPolicy): void {
  app.get<{ Querystring: QueryString }>('/sales-orders', async (req) => {
    const status = enumParam(req.query, 'status', STATUSES);
    const ids = idList(req.query, 'ids');
    const externalRefs = idList(req.query, 'external_refs');
    const customerNos = idList(req.query, 'customer_nos');
    if (ids || externalRefs) {
      const items = ids ? await getSalesOrders(db, ids) : await findSalesOrdersByExternalRefs(db, externalRefs ?? []);
      return { items, nextCursor: null, totalCount: items.length };
    }
    if (customerNos) {
      const perCustomer = intParam(req.query, 'per_customer', ERP_MAX_PAGE_SIZE) ?? 10;
      const items = await listSalesOrdersByCustomers(db, customerNos, { status, perCustomer });
      return { items, nextCursor: null, totalCount: items.length };
    }
    return listSalesOrders(db, { ...listParams(req.query), status, customerNo: textParam(req.query, 'customer_no'), search: textParam(req.query, 'search') });
  });

  app.get<{ Params: { id: string } }>('/sales-orders/:id', async (req) => {
    const [order] = await getSalesOrders(db, [req.params.id]);
    if (!order) throw new AppError(ErrorCode.NOT_FOUND, `sales order ${req.params.id} does not exist`);
    return order;
  });

  app.post('/sales-orders', async (req, reply) => {
    const input = parseInput(salesOrderInputSchema, req.body);
    return idempotentWrite(db, req, reply, 201, (tx) => createSalesOrder(tx, input, credit));
  });

  app.post<{ Params: { id: string } }>('/sales-orders/:id/reserve', async (req, reply) => idempotentWrite(db, req, reply, 200, (tx) => reserveStock(tx, req.params.id)));

  app.post<{ Params: { id: string } }>('/sales-orders/:id/release', async (req, reply) =>
    idempotentWrite(db, req, reply, 200, (tx) => releaseReservations(tx, req.params.id)),
  );

  app.post<{ Params: { id: string } }>('/sales-orders/:id/status', async (req, reply) => {
    const { status } = parseInput(statusInputSchema, req.body);
    return idempotentWrite(db, req, reply, 200, (tx) => setSalesOrderStatus(tx, req.params.id, status, credit));
  });
}
