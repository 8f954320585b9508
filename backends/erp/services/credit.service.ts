import type { ErpCreditAssessment, ErpCustomer, ErpProduct } from '../../../connectors/erp/erp.connector';
import type { Queryable } from '../../../platform/db';
import { AppError, ErrorCode } from '../../../platform/errors';
import { Money, formatAmount } from '../../../platform/money';

/** Credit limit of a customer created without one, and of one whose limit finance cleared; `0` sends every order to finance. */
export const DEFAULT_CREDIT_LIMIT = '10000.00';

/** How the ERP grants credit. */
export interface CreditPolicy {
  /** Exact decimal: the limit of every customer that has none of its own. */
  defaultCreditLimit: string;
}

export const DEFAULT_CREDIT_POLICY: CreditPolicy = { defaultCreditLimit: DEFAULT_CREDIT_LIMIT };

/** Order statuses whose goods are owed but not yet invoiced, wholly or in part. */
const OPEN_ORDER_STATUSES = ['CONFIRMED', 'IN_PRODUCTION', 'READY_TO_SHIP', 'PARTIALLY_SHIPPED', 'SHIPPED'];

/** A line to be ordered, priced: an explicit price or the catalogue's. */
export interface PricedLine {
  sku: string;
  quantity: number;
  unitPrice: string;
}

/**
 * Prices order lines for a customer: each line's price is in the product's currency, so a product
 * priced in another currency than the customer's is refused (CURRENCY_MISMATCH) rather than copied
 * into the order as if it were the customer's money. An unknown product is NOT_FOUND.
 */
export function priceLines(customer: ErpCustomer, lines: readonly { sku: string; quantity: number; unitPrice?: string }[], products: Map<string, ErpProduct>): PricedLine[] {
  return lines.map((line, index) => {
    const product = products.get(line.sku);
    if (!product) throw new AppError(ErrorCode.NOT_FOUND, `product ${line.sku} does not exist`, { field: `lines.${index}.sku` });
    if (product.currency !== customer.currency) {
      throw new AppError(ErrorCode.CURRENCY_MISMATCH, `product ${line.sku} is priced in ${product.currency}; customer ${customer.customerNo} is invoiced in ${customer.currency}`, {
        field: `lines.${index}.sku`,
        productCurrency: product.currency,
        customerCurrency: customer.currency,
      });
    }
    return { sku: line.sku, quantity: line.quantity, unitPrice: line.unitPrice ?? product.unitPrice };
  });
}

/**
 * What the customer owes or has ordered, in its currency: the amount due on OPEN and OVERDUE
 * invoices plus the part of every open order not yet invoiced (confirmed, in production, ready,
 * partly or wholly shipped).
 */
export async function customerExposure(q: Queryable, customerNo: string): Promise<Money> {
  const { rows } = await q.query<{ invoices: string; orders: string }>(
    `SELECT
       (SELECT COALESCE(sum(i.amount_due), 0) FROM invoices i WHERE i.customer_no = $1 AND i.status IN ('OPEN', 'OVERDUE'))::text AS invoices,
       (SELECT COALESCE(sum((l.quantity - l.invoiced_quantity) * l.unit_price), 0)
          FROM sales_orders o JOIN sales_order_lines l ON l.sales_order_id = o.id
         WHERE o.customer_no = $1 AND o.status = ANY($2::text[]))::text AS orders`,
    [customerNo, OPEN_ORDER_STATUSES],
  );
  return new Money(rows[0].invoices).plus(rows[0].orders);
}

/**
 * Compares exposure plus the new order with the customer's limit (its own, or the policy's
 * default when it has none: a missing limit is never unlimited). Callers that go on to create the
 * order hold the customer's row lock, so two orders cannot both pass against the same exposure.
 */
export async function assessCredit(q: Queryable, customer: ErpCustomer, lines: readonly PricedLine[], policy: CreditPolicy): Promise<ErpCreditAssessment> {
  const orderTotal = lines.reduce((sum, line) => sum.plus(new Money(line.unitPrice).times(line.quantity)), new Money(0));
  const exposure = await customerExposure(q, customer.customerNo);
  const limit = new Money(customer.creditLimit ?? policy.defaultCreditLimit);
  return {
    customerNo: customer.customerNo,
    currency: customer.currency,
    creditLimit: formatAmount(limit),
    defaultLimit: customer.creditLimit === null,
    exposure: formatAmount(exposure),
    orderTotal: formatAmount(orderTotal),
    approved: exposure.plus(orderTotal).lte(limit),
  };
}

/** Refuses an order the assessment did not approve, with the figures for finance in its details. */
export function requireApproved(assessment: ErpCreditAssessment): void {
  if (assessment.approved) return;
  throw new AppError(
    ErrorCode.CREDIT_LIMIT_EXCEEDED,
    `exposure ${assessment.exposure} plus order total ${assessment.orderTotal} exceeds the credit limit ${assessment.creditLimit} ${assessment.currency} of customer ${assessment.customerNo}`,
    { customerNo: assessment.customerNo, exposure: assessment.exposure, orderTotal: assessment.orderTotal, creditLimit: assessment.creditLimit, currency: assessment.currency },
  );
}
