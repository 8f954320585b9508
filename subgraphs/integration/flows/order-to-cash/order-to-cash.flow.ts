import { ErrorCode } from '../../../../platform/errors';
import type { FlowRun } from '../engine/flow-run.repository';
import { defineFlow } from '../engine/flow-step';
import type { OrderFlowDeps, OrderFlowInput, OrderFlowState } from './order-flow.types';
import { ORDER_TO_CASH } from './order-flow.types';
import { checkCreditStep } from './steps/check-credit.step';
import { createInvoiceStep } from './steps/create-invoice.step';
import { createSalesOrderStep } from './steps/create-sales-order.step';
import { createShipmentStep } from './steps/create-shipment.step';
import { ensureCustomerStep } from './steps/ensure-customer.step';
import { planProductionStep } from './steps/plan-production.step';
import { reserveStockStep } from './steps/reserve-stock.step';
import { waitForPaymentStep } from './steps/wait-for-payment.step';
import { waitForProductionStep } from './steps/wait-for-production.step';
import { waitForShipmentStep } from './steps/wait-for-shipment.step';

/** The ids an order flow is found by (flow_run_refs names). */
export const ORDER_FLOW_REF = { opportunity: 'opportunity', salesOrder: 'salesOrder', customer: 'customer' } as const;

/** Order-to-cash, as a business reader follows it (DESIGN.md "Order-to-cash"). */
export const orderToCashFlow = defineFlow<OrderFlowInput, OrderFlowDeps>(ORDER_TO_CASH)
  .step(ensureCustomerStep)
  .step(checkCreditStep)
  .step(createSalesOrderStep)
  .step(reserveStockStep)
  .step(planProductionStep)
  .step(waitForProductionStep)
  .step(createShipmentStep)
  .step(waitForShipmentStep)
  .step(createInvoiceStep)
  .step(waitForPaymentStep)
  .build({
    // The business refusals: the order cannot be fulfilled, so what was done is undone (COMPENSATED).
    // Any other coded failure makes the flow FAILED; an unavailable backend is retried first.
    failures: [
      { code: ErrorCode.CREDIT_LIMIT_EXCEEDED, then: 'compensate' },
      { code: ErrorCode.OUT_OF_STOCK, then: 'compensate' },
      { code: ErrorCode.CURRENCY_MISMATCH, then: 'compensate' },
    ],
    refs: [
      // An opportunity becomes at most one order flow.
      { name: ORDER_FLOW_REF.opportunity, of: (state) => state.opportunityId, unique: true },
      // cancelOrder and SalesOrder.flow find the flow by its order.
      { name: ORDER_FLOW_REF.salesOrder, of: (state) => state.salesOrderId },
      // A customer's (a partner's) flows are listed and counted by it.
      { name: ORDER_FLOW_REF.customer, of: (state) => state.customerId },
    ],
  });

/** Who and what an order flow run is about, read from its ids and state. */
export function orderFlowIdsOf(run: FlowRun): { customerId: string; opportunityId: string | null; salesOrderId: string | null } {
  return {
    customerId: (run.state as unknown as OrderFlowState).customerId,
    opportunityId: run.refs[ORDER_FLOW_REF.opportunity] ?? null,
    salesOrderId: run.refs[ORDER_FLOW_REF.salesOrder] ?? null,
  };
}
