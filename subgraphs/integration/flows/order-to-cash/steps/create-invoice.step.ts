import { defineStep } from '../../engine/flow-step';
import { tellCrm } from '../milestones';
import type { Invoiced, OrderFlowDeps, WithShipment } from '../order-flow.types';

/** Step name in the step log and in idempotency keys. */
export const CREATE_INVOICE = 'create-invoice';

/**
 * Invoices the shipped goods (OPEN, due per the customer's payment terms; the order becomes
 * INVOICED) and tells the CRM. Runs only after shipment, when the order can no longer be cancelled.
 */
export const createInvoiceStep = defineStep<WithShipment, Pick<Invoiced, 'invoiceId' | 'invoiceDueDate'>, OrderFlowDeps>({
  id: CREATE_INVOICE,
  async invoke(state, deps, ctx) {
    const invoice = await deps.erp.createInvoice(state.salesOrderId, ctx.key());
    await tellCrm(deps, state, ctx, 'invoiced', `${invoice.id}, ${invoice.total} ${invoice.currency} due ${invoice.dueDate}`);
    return { kind: 'done', output: { invoiceId: invoice.id, invoiceDueDate: invoice.dueDate } };
  },
});
