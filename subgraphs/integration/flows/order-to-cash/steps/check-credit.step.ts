import { AppError, ErrorCode } from '../../../../../platform/errors';
import { defineStep } from '../../engine/flow-step';
import type { OrderFlowDeps, Priced, WithCustomer } from '../order-flow.types';

/** Step name in the step log and in idempotency keys. */
export const CHECK_CREDIT = 'check-credit';

/**
 * Credit check, as the ERP judges it: what the customer owes (open invoices and the uninvoiced part
 * of open orders) plus this order must stay within its credit limit (a customer without one has the
 * ERP's configured default, never unlimited), and every product must be priced in the customer's
 * currency. Refusals are the business failures CREDIT_LIMIT_EXCEEDED and CURRENCY_MISMATCH. Reads
 * only: the ERP decides again, atomically, when create-sales-order creates the order, so orders
 * racing past this step cannot jointly exceed the limit.
 */
export const checkCreditStep = defineStep<WithCustomer, Pick<Priced, 'orderTotal'>, OrderFlowDeps>({
  id: CHECK_CREDIT,
  async invoke(state, { erp }) {
    const customerNo = state.customerNo;
    const assessment = await erp.assessCredit(customerNo, state.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, ...(l.unitPrice ? { unitPrice: l.unitPrice } : {}) })));
    if (!assessment.approved) {
      throw new AppError(
        ErrorCode.CREDIT_LIMIT_EXCEEDED,
        `exposure ${assessment.exposure} plus order total ${assessment.orderTotal} exceeds the credit limit ${assessment.creditLimit} ${assessment.currency} of customer ${customerNo}${assessment.defaultLimit ? ' (the default limit: finance has set none)' : ''}`,
        { customerNo, exposure: assessment.exposure, orderTotal: assessment.orderTotal, creditLimit: assessment.creditLimit },
      );
    }
    return { kind: 'done', output: { orderTotal: assessment.orderTotal } };
  },
});
