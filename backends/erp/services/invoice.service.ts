import type { Database, Queryable } from '../../../platform/db';
import { AppError, ErrorCode } from '../../../platform/errors';
import { formatAmount, Money, parseDecimal } from '../../../platform/money';
import type { ErpInvoice } from '../../../connectors/erp/erp.connector';
import { ErpEntity, recordCreated, recordUpdated } from '../events';
import { getCustomers } from '../repositories/customer.repository';
import { insertInvoice, insertPayment, invoiceStatusesOfSalesOrder, lockInvoice, markOverdueInvoices, updateInvoiceBalance } from '../repositories/invoice.repository';
import { adjustSalesOrderLine, getSalesOrderLines, touchSalesOrder } from '../repositories/sales-order.repository';
import { lockExistingSalesOrder } from './sales-order.service';

/** Days to pay when a customer has no (or unreadable) payment terms. */
export const DEFAULT_PAYMENT_DAYS = 30;

/** Days until an invoice is due under payment terms such as "NET30". */
export function paymentDays(paymentTerms: string | null): number {
  const match = /^NET(\d{1,3})$/.exec(paymentTerms ?? '');
  return match ? Number(match[1]) : DEFAULT_PAYMENT_DAYS;
}

/**
 * Invoices the order's goods shipped and not yet invoiced, due per the customer's payment terms.
 * The order is INVOICED once everything is shipped and invoiced. Nothing to invoice is a CONFLICT.
 */
export async function createInvoice(tx: Queryable, salesOrderId: string): Promise<ErpInvoice> {
  const order = await lockExistingSalesOrder(tx, salesOrderId, 'salesOrderId');
  if (order.status !== 'SHIPPED' && order.status !== 'PARTIALLY_SHIPPED') {
    throw new AppError(ErrorCode.CONFLICT, `sales order ${salesOrderId} is ${order.status}; only shipped goods are invoiced`, { status: order.status });
  }
  const lines = await getSalesOrderLines(tx, salesOrderId);
  let total = new Money(0);
  let units = 0;
  for (const line of lines) {
    const quantity = line.shippedQuantity - line.invoicedQuantity;
    if (quantity <= 0) continue;
    total = total.plus(new Money(line.unitPrice).times(quantity));
    units += quantity;
    await adjustSalesOrderLine(tx, salesOrderId, line.lineNo, { invoiced: quantity });
    line.invoicedQuantity += quantity;
  }
  if (units === 0) {
    throw new AppError(ErrorCode.CONFLICT, `sales order ${salesOrderId} has no shipped goods left to invoice`);
  }
  const [customer] = await getCustomers(tx, [order.customerNo]);
  const invoice = await insertInvoice(tx, {
    customerNo: order.customerNo,
    salesOrderId,
    total: formatAmount(total),
    currency: order.currency,
    dueInDays: paymentDays(customer?.paymentTerms ?? null),
  });
  await recordCreated(tx, ErpEntity.invoice, invoice.id, invoice.version);
  if (order.status === 'SHIPPED' && lines.every((l) => l.invoicedQuantity === l.quantity)) {
    await recordUpdated(tx, ErpEntity.salesOrder, salesOrderId, await touchSalesOrder(tx, salesOrderId, 'INVOICED'));
  }
  return invoice;
}

/**
 * Records a payment of an OPEN or OVERDUE invoice: more than zero and at most the amount due.
 * At zero due the invoice is PAID, and its order PAID once every invoice of it is.
 */
export async function recordPayment(tx: Queryable, invoiceId: string, input: { amount: string; reference?: string | null }): Promise<ErpInvoice> {
  const invoice = await lockInvoice(tx, invoiceId);
  if (!invoice) throw new AppError(ErrorCode.NOT_FOUND, `invoice ${invoiceId} does not exist`, { invoiceId });
  if (invoice.status !== 'OPEN' && invoice.status !== 'OVERDUE') {
    throw new AppError(ErrorCode.CONFLICT, `invoice ${invoiceId} is ${invoice.status} and takes no payments`, { status: invoice.status });
  }
  const amount = parseDecimal(input.amount);
  const due = new Money(invoice.amountDue);
  if (amount.lte(0)) throw new AppError(ErrorCode.BAD_USER_INPUT, 'amount: must be more than zero', { field: 'amount' });
  if (amount.gt(due)) throw new AppError(ErrorCode.BAD_USER_INPUT, `amount: ${formatAmount(amount)} is more than the ${invoice.amountDue} due`, { field: 'amount' });
  const payment = await insertPayment(tx, invoiceId, formatAmount(amount), input.reference ?? null);
  await recordCreated(tx, ErpEntity.payment, payment.id);
  const remaining = due.minus(amount);
  const updated = await updateInvoiceBalance(tx, invoiceId, formatAmount(remaining), remaining.isZero() ? 'PAID' : invoice.status);
  await recordUpdated(tx, ErpEntity.invoice, invoiceId, updated.version);
  if (updated.status === 'PAID' && updated.salesOrderId) {
    const order = await lockExistingSalesOrder(tx, updated.salesOrderId);
    const statuses = await invoiceStatusesOfSalesOrder(tx, order.id);
    if (order.status === 'INVOICED' && statuses.every((s) => s === 'PAID' || s === 'CANCELLED')) {
      await recordUpdated(tx, ErpEntity.salesOrder, order.id, await touchSalesOrder(tx, order.id, 'PAID'));
    }
  }
  return updated;
}

/** Marks OPEN invoices past their due date OVERDUE, with a change event each; returns how many. */
export async function sweepOverdueInvoices(db: Database): Promise<number> {
  return db.transaction(async (tx) => {
    const changed = await markOverdueInvoices(tx);
    for (const invoice of changed) await recordUpdated(tx, ErpEntity.invoice, invoice.id, invoice.version);
    return changed.length;
  });
}
