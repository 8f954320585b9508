import { defineStep } from '../../engine/flow-step';
import { tellCrm } from '../milestones';
import type { OrderFlowDeps, Priced, WithSalesOrder } from '../order-flow.types';

/** Step name in the step log and in idempotency keys. */
export const CREATE_SALES_ORDER = 'create-sales-order';

/** What undoing the order needs. */
interface CreatedOrder {
  salesOrderId: string;
}

/**
 * Creates the ERP sales order (CONFIRMED), links the opportunity to it (stage CLOSED_WON, order id
 * kept in the CRM) and tells the CRM. Undo: the order is cancelled (the ERP gives back any stock it
 * still holds) and the CRM is told.
 */
export const createSalesOrderStep = defineStep<Priced, Pick<WithSalesOrder, 'salesOrderId'>, OrderFlowDeps, CreatedOrder>({
  id: CREATE_SALES_ORDER,
  async invoke(state, deps, ctx) {
    const order = await deps.erp.createSalesOrder(
      { customerNo: state.customerNo, lines: state.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, ...(l.unitPrice ? { unitPrice: l.unitPrice } : {}) })), status: 'CONFIRMED', externalRef: state.opportunityId },
      ctx.key(),
    );
    const next = { ...state, salesOrderId: order.id };
    if (state.opportunityId) await deps.crm.updateOpportunity(state.opportunityId, { stage: 'CLOSED_WON', erpSalesOrderId: order.id }, ctx.key('opportunity'));
    await tellCrm(deps, next, ctx, 'confirmed');
    return { kind: 'done', output: { salesOrderId: order.id }, compensation: { salesOrderId: order.id } };
  },
  async compensate({ salesOrderId }, state, deps, ctx) {
    // Setting CANCELLED again is a no-op in the ERP, so a repeated undo changes nothing.
    await deps.erp.setSalesOrderStatus(salesOrderId, 'CANCELLED', ctx.key());
    await tellCrm(deps, { ...state, salesOrderId }, ctx, 'cancelled');
  },
});
