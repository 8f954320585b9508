import { AppError, ErrorCode } from '../../../../../platform/errors';
import { Money, formatAmount } from '../../../../../platform/money';
import { defineStep } from '../../engine/flow-step';
import type { OrderFlowDeps, Priced, WithCustomer } from '../order-flow.types';

/** Step name in the step log and in idempotency keys. */
export const CHECK_CREDIT = 'check-credit';

/**
 * Credit check: the customer's open balance plus this order's total must stay within its credit
 * limit (no limit: no check). Exceeding it is the business failure CREDIT_LIMIT_EXCEEDED. Reads only.
 */
export const checkCreditStep = defineStep<WithCustomer, Pick<Priced, 'orderTotal'>, OrderFlowDeps>({
  id: CHECK_CREDIT,
  async invoke(state, { erp }) {
    const customerNo = state.customerNo;
    // The three reads are independent; asking at once keeps the step to one round trip.
    const [productRows, [customer], [balance]] = await Promise.all([erp.getProducts(state.lines.map((l) => l.sku)), erp.getCustomers([customerNo]), erp.getOpenBalances([customerNo])]);
    const products = new Map(productRows.map((p) => [p.sku, p]));
    let total = new Money(0);
    for (const line of state.lines) {
      const price = line.unitPrice ?? products.get(line.sku)?.unitPrice;
      if (price === undefined) throw new AppError(ErrorCode.NOT_FOUND, `product ${line.sku} does not exist in the ERP`);
      total = total.plus(new Money(price).times(line.quantity));
    }
    const orderTotal = formatAmount(total);
    if (customer?.creditLimit != null) {
      const open = new Money(balance?.amount ?? '0');
      const limit = new Money(customer.creditLimit);
      if (open.plus(total).gt(limit)) {
        throw new AppError(
          ErrorCode.CREDIT_LIMIT_EXCEEDED,
          `CREDIT_LIMIT_EXCEEDED: open balance ${formatAmount(open)} plus order total ${orderTotal} exceeds the credit limit ${formatAmount(limit)} of customer ${customerNo}`,
          { customerNo, openBalance: formatAmount(open), orderTotal, creditLimit: formatAmount(limit) },
        );
      }
    }
    return { kind: 'done', output: { orderTotal } };
  },
});
