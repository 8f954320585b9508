import type { ErpSalesOrder } from '../../../../../connectors/erp/erp.connector';
import { AppError, ErrorCode } from '../../../../../platform/errors';
import { defineStep, type StepContext } from '../../engine/flow-step';
import { tellCrm } from '../milestones';
import type { OrderFlowDeps, Priced, WithSalesOrder } from '../order-flow.types';
import { creditApprovalOf, creditDecision, orderLines } from './check-credit.step';

/** Step name in the step log and in idempotency keys. */
export const CREATE_SALES_ORDER = 'create-sales-order';

/** What undoing the order needs. */
interface CreatedOrder {
  salesOrderId: string;
}

/**
 * Creates the ERP sales order (CONFIRMED), links the opportunity to it (stage CLOSED_WON, order id
 * kept in the CRM) and tells the CRM. The ERP checks the credit again under the customer's lock; an
 * order that lost the headroom to a racing one since check-credit waits for finance like any order
 * over the limit. Undo: the order is cancelled (the ERP gives back any stock it still holds) and
 * the CRM is told.
 */
export const createSalesOrderStep = defineStep<Priced, Pick<WithSalesOrder, 'salesOrderId'>, OrderFlowDeps, CreatedOrder>({
  id: CREATE_SALES_ORDER,
  async invoke(state, deps, ctx) {
    let approvedBy = state.creditApprovedBy ?? null;
    // A review asked for by this step earlier (the ERP refused the order) is decided first.
    const review = approvedBy ? null : await deps.credit.reviews.find(ctx.runId);
    if (review) {
      const decision = creditDecision(deps, state, ctx, review);
      if (decision.kind === 'waiting') return decision;
      approvedBy = decision.approvedBy;
    }
    let order: ErpSalesOrder;
    try {
      order = await createOrder(state, deps, ctx, approvedBy);
    } catch (error) {
      if (approvedBy || !(error instanceof AppError) || error.code !== ErrorCode.CREDIT_LIMIT_EXCEEDED) throw error;
      const approval = await creditApprovalOf(deps, state, ctx, await deps.erp.assessCredit(state.customerNo, orderLines(state)));
      if (approval.kind === 'waiting') return approval;
      order = await createOrder(state, deps, ctx, approval.approvedBy);
    }
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

/** One key for the order, approved or not: the approval is not part of the request the key stands for. */
function createOrder(state: Priced, deps: OrderFlowDeps, ctx: StepContext, creditApprovedBy: string | null): Promise<ErpSalesOrder> {
  return deps.erp.createSalesOrder(
    { customerNo: state.customerNo, lines: orderLines(state), status: 'CONFIRMED', externalRef: state.opportunityId, ...(creditApprovedBy ? { creditApprovedBy } : {}) },
    ctx.key(),
  );
}
