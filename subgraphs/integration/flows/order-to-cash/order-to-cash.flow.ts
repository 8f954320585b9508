import type { FlowDefinition } from '../engine/flow-step';
import type { OrderFlowDeps, OrderFlowState } from './order-flow.types';
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

/** Order-to-cash, as a business reader follows it (DESIGN.md "Order-to-cash"). */
export const orderToCashFlow: FlowDefinition<OrderFlowState, OrderFlowDeps> = {
  name: ORDER_TO_CASH,
  steps: [
    ensureCustomerStep,
    checkCreditStep,
    createSalesOrderStep,
    reserveStockStep,
    planProductionStep,
    waitForProductionStep,
    createShipmentStep,
    waitForShipmentStep,
    createInvoiceStep,
    waitForPaymentStep,
  ],
};
