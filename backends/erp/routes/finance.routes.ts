import type { FastifyInstance } from 'fastify';
import type { Database } from '../../../platform/db';
import { AppError, ErrorCode } from '../../../platform/errors';
import type { ErpInvoiceStatus } from '../../../connectors/erp/erp.connector';
import { getInvoices, listInvoices, listInvoicesByCustomers, listInvoicesBySalesOrders, listPaymentsByInvoices } from '../repositories/invoice.repository';
import { createInvoice, recordPayment } from '../services/invoice.service';
import { enumParam, idList, listParams, parseInput, paymentInputSchema, salesOrderRefSchema, textParam, type QueryString } from '../validation';
import { idempotentWrite } from '../../../platform/idempotency';

const INVOICE_STATUSES: readonly ErpInvoiceStatus[] = ['OPEN', 'PAID', 'OVERDUE', 'CANCELLED'];

/** Invoices and payments. */
export function registerFinanceRoutes(app: FastifyInstance, db: Database): void {
  app.get<{ Querystring: QueryString }>('/invoices', async (req) => {
    const status = enumParam(req.query, 'status', INVOICE_STATUSES);
    const ids = idList(req.query, 'ids');
    const customerNos = idList(req.query, 'customer_nos');
    const salesOrderIds = idList(req.query, 'sales_order_ids');
    if (ids || customerNos || salesOrderIds) {
      const items = ids
        ? await getInvoices(db, ids)
        : customerNos
          ? await listInvoicesByCustomers(db, customerNos, status)
          : await listInvoicesBySalesOrders(db, salesOrderIds ?? []);
      return { items, nextCursor: null, totalCount: items.length };
    }
    return listInvoices(db, { ...listParams(req.query), status, customerNo: textParam(req.query, 'customer_no') });
  });

  app.get<{ Params: { id: string } }>('/invoices/:id', async (req) => {
    const [invoice] = await getInvoices(db, [req.params.id]);
    if (!invoice) throw new AppError(ErrorCode.NOT_FOUND, `invoice ${req.params.id} does not exist`);
    return invoice;
  });

  app.post('/invoices', async (req, reply) => {
    const { salesOrderId } = parseInput(salesOrderRefSchema, req.body);
    return idempotentWrite(db, req, reply, 201, (tx) => createInvoice(tx, salesOrderId));
  });

  app.post<{ Params: { id: string } }>('/invoices/:id/payments', async (req, reply) => {
    const input = parseInput(paymentInputSchema, req.body);
    return idempotentWrite(db, req, reply, 200, (tx) => recordPayment(tx, req.params.id, input));
  });

  app.get<{ Querystring: QueryString }>('/payments', async (req) => {
    const invoiceIds = idList(req.query, 'invoice_ids');
    if (!invoiceIds) throw new AppError(ErrorCode.BAD_USER_INPUT, 'invoice_ids is required', { field: 'invoice_ids' });
    return { items: await listPaymentsByInvoices(db, invoiceIds) };
  });
}
