import type { ErpCreditAssessment } from '../../../../../connectors/erp/erp.connector';
import { AppError, ErrorCode } from '../../../../../platform/errors';
import { defineStep, type StepContext, type StepOutcome } from '../../engine/flow-step';
import type { CreditReview } from '../credit-review.repository';
import type { OrderFlowDeps, Priced, WithCustomer } from '../order-flow.types';

/** Step name in the step log and in idempotency keys. */
export const CHECK_CREDIT = 'check-credit';

/** What a run waiting for finance waits on: approveOrderCredit and rejectOrderCredit wake it. */
export const CREDIT_REVIEW_ENTITY = 'credit_review';

/** The waiting step's text while finance has not decided (readable by every role: no figures). */
export const AWAITING_FINANCE = 'waiting for finance to review the credit';

/**
 * Credit check, as the ERP judges it: what the customer owes (open invoices and the uninvoiced part
 * of open orders) plus this order must stay within its credit limit (a customer without one has the
 * ERP's configured default, never unlimited; a limit of 0 sends every order to finance), and every
 * product must be priced in the customer's currency (CURRENCY_MISMATCH otherwise). An order over
 * the limit waits for finance (creditApprovalOf). Reads only: the ERP decides again, atomically,
 * when create-sales-order creates the order, so orders racing past this step cannot jointly exceed
 * the limit unless finance approved them.
 */
export const checkCreditStep = defineStep<WithCustomer, Pick<Priced, 'orderTotal' | 'creditApprovedBy'>, OrderFlowDeps>({
  id: CHECK_CREDIT,
  async invoke(state, deps, ctx) {
    const assessment = await deps.erp.assessCredit(state.customerNo, orderLines(state));
    if (assessment.approved) return { kind: 'done', output: { orderTotal: assessment.orderTotal } };
    const approval = await creditApprovalOf(deps, state, ctx, assessment);
    if (approval.kind === 'waiting') return approval;
    return { kind: 'done', output: { orderTotal: assessment.orderTotal, creditApprovedBy: approval.approvedBy } };
  },
});

/** The order's lines as the ERP takes them. */
export function orderLines(state: WithCustomer): { sku: string; quantity: number; unitPrice?: string }[] {
  return state.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, ...(l.unitPrice ? { unitPrice: l.unitPrice } : {}) }));
}

/**
 * Finance's word on an order the ERP refused on credit. The first refusal asks for a review (with
 * the figures of that moment, for finance); until it is decided the step waits on it. Approved:
 * the approver's id, for the ERP. Rejected, or undecided after the review window: the business
 * refusal CREDIT_LIMIT_EXCEEDED, and the flow undoes what it did.
 */
export async function creditApprovalOf(deps: OrderFlowDeps, state: WithCustomer, ctx: StepContext, assessment: ErpCreditAssessment): Promise<CreditDecision> {
  return creditDecision(deps, state, ctx, await deps.credit.reviews.request(ctx.runId, state.customerId, assessment));
}

/** Approved (by whom), or a wait for finance; rejected and overdue reviews throw. */
export type CreditDecision = { kind: 'approved'; approvedBy: string } | Extract<StepOutcome<never, never>, { kind: 'waiting' }>;

/** What a review asked for earlier means for the step now (see creditApprovalOf). */
export function creditDecision(deps: OrderFlowDeps, state: WithCustomer, ctx: StepContext, review: CreditReview): CreditDecision {
  const figures = { customerNo: state.customerNo, exposure: review.exposure, orderTotal: review.orderTotal, creditLimit: review.creditLimit };
  if (review.status === 'APPROVED') return { kind: 'approved', approvedBy: review.decidedBy ?? 'finance' };
  if (review.status === 'REJECTED') {
    throw new AppError(
      ErrorCode.CREDIT_LIMIT_EXCEEDED,
      `finance rejected the order: exposure ${review.exposure} plus order total ${review.orderTotal} exceeds the credit limit ${review.creditLimit} ${review.currency} of customer ${state.customerNo}${review.note ? ` (${review.note})` : ''}`,
      figures,
    );
  }
  if (Date.now() - Date.parse(review.requestedAt) > deps.credit.windowMs) {
    throw new AppError(
      ErrorCode.CREDIT_LIMIT_EXCEEDED,
      `finance did not review the order within ${duration(deps.credit.windowMs)}: exposure ${review.exposure} plus order total ${review.orderTotal} exceeds the credit limit ${review.creditLimit} ${review.currency} of customer ${state.customerNo}`,
      figures,
    );
  }
  // Finance's decision wakes the run; the poll only looks for a payment that cleared the credit
  // meanwhile (one ERP assessment per look) and for the end of the window, so it looks rarely.
  const untilOverdueMs = Date.parse(review.requestedAt) + deps.credit.windowMs - Date.now();
  return {
    kind: 'waiting',
    on: [{ entity: CREDIT_REVIEW_ENTITY, entityId: ctx.runId }],
    reason: AWAITING_FINANCE,
    checkAgainInMs: Math.max(1_000, Math.min(CREDIT_RECHECK_MS, untilOverdueMs + 1_000)),
  };
}

/** How often a run waiting for finance is looked at without a decision. */
export const CREDIT_RECHECK_MS = 5 * 60_000;

function duration(ms: number): string {
  return ms >= 3_600_000 ? `${Math.round(ms / 3_600_000)} h` : `${Math.max(1, Math.round(ms / 60_000))} min`;
}
