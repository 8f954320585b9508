import { defineStep } from '../../engine/flow-step';
import { tellCrm } from '../milestones';
import type { Invoiced, OrderFlowDeps } from '../order-flow.types';

/** Step name in the step log and in idempotency keys. */
export const WAIT_FOR_PAYMENT = 'wait-for-payment';

/** Waits until the invoice is paid (the order is PAID), then tells the CRM; the flow is complete. */
export const waitForPaymentStep = defineStep<Invoiced, unknown, OrderFlowDeps>({
  id: WAIT_FOR_PAYMENT,
  async invoke(state, deps, ctx) {
    const [invoice] = await deps.erp.getInvoices([state.invoiceId]);
    if (invoice?.status === 'PAID') {
      await tellCrm(deps, state, ctx, 'paid', invoice.id);
      return { kind: 'done' };
    }
    return {
      kind: 'waiting',
      on: [{ entity: 'invoice', entityId: state.invoiceId, seenVersion: invoice?.version }],
    };
  },
});
