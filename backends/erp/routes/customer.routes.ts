import type { FastifyInstance } from 'fastify';
import type { Database } from '../../../platform/db';
import { AppError, ErrorCode } from '../../../platform/errors';
import { findCustomersByExternalRefs, getCustomers, listCustomers, openBalances } from '../repositories/customer.repository';
import { changeCustomer, createCustomer } from '../services/customer.service';
import type { CreditPolicy } from '../services/credit.service';
import { previewCredit } from '../services/sales-order.service';
import { creditAssessmentInputSchema, customerInputSchema, customerPatchSchema, idList, listParams, parseInput, textParam, type QueryString } from '../validation';
import { idempotentWrite } from '../../../platform/idempotency';

/** Customers and their open balances. */
export function registerCustomerRoutes(app: FastifyInstance, db: Database, credit: CreditPolicy): void {
  app.get<{ Querystring: QueryString }>('/customers', async (req) => {
    const ids = idList(req.query, 'ids');
    const externalRefs = idList(req.query, 'external_refs');
    if (ids || externalRefs) {
      const items = ids ? await getCustomers(db, ids) : await findCustomersByExternalRefs(db, externalRefs ?? []);
      return { items, nextCursor: null, totalCount: items.length };
    }
    return listCustomers(db, { ...listParams(req.query), search: textParam(req.query, 'search') });
  });

  app.get<{ Querystring: QueryString }>('/open-balances', async (req) => {
    const customerNos = idList(req.query, 'customer_nos');
    if (!customerNos) throw new AppError(ErrorCode.BAD_USER_INPUT, 'customer_nos is required', { field: 'customer_nos' });
    return { items: await openBalances(db, customerNos) };
  });

  app.get<{ Params: { customerNo: string } }>('/customers/:customerNo', async (req) => {
    const [customer] = await getCustomers(db, [req.params.customerNo]);
    if (!customer) throw new AppError(ErrorCode.NOT_FOUND, `customer ${req.params.customerNo} does not exist`);
    return customer;
  });

  app.post('/customers', async (req, reply) => {
    const input = parseInput(customerInputSchema, req.body);
    return idempotentWrite(db, req, reply, 201, (tx) => createCustomer(tx, input, credit));
  });

  // Read-only: what an order of these lines would be told now (the order's creation decides again, atomically).
  app.post<{ Params: { customerNo: string } }>('/customers/:customerNo/credit-assessment', async (req) => {
    const { lines } = parseInput(creditAssessmentInputSchema, req.body);
    return previewCredit(db, req.params.customerNo, lines, credit);
  });

  app.patch<{ Params: { customerNo: string } }>('/customers/:customerNo', async (req, reply) => {
    const patch = parseInput(customerPatchSchema, req.body);
    return idempotentWrite(db, req, reply, 200, (tx) => changeCustomer(tx, req.params.customerNo, patch));
  });
}
