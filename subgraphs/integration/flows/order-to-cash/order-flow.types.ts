import type { CustomerLinkRepository } from '../../links/customer-link.repository';
import type { CustomerLinker } from '../../links/customer-linker';
import type { OrderFlowCrm, OrderFlowErp } from '../../ports';
import type { CreditReviewRepository } from './credit-review.repository';

/** One line of the order as the flow received it; unitPrice comes from an opportunity, else the catalogue. */
export interface OrderFlowLine {
  sku: string;
  quantity: number;
  unitPrice?: string;
}

/** What starts an order flow (validated before the run exists). */
export interface OrderFlowInput {
  /** API Customer.id, "crm:<uuid>" or "erp:K-…". */
  customerId: string;
  opportunityId: string | null;
  lines: OrderFlowLine[];
}

/** After ensure-customer: the customer's ERP number and the CRM account that hears of milestones. */
export interface WithCustomer extends OrderFlowInput {
  customerNo: string;
  /** Null for a customer only the ERP knows. */
  crmAccountId: string | null;
}

/** After check-credit: the order's total, priced from the opportunity or the catalogue. */
export interface Priced extends WithCustomer {
  orderTotal: string;
  /** Who in finance approved the order over the customer's credit (none: it was within it). */
  creditApprovedBy?: string;
}

/** After create-sales-order: the ERP sales order. */
export interface WithSalesOrder extends Priced {
  salesOrderId: string;
}

/** After plan-production: the production orders covering shortages (none when stock sufficed). */
export interface Planned extends WithSalesOrder {
  productionOrderIds: string[];
}

/** After create-shipment: the shipment. */
export interface WithShipment extends Planned {
  shipmentId: string;
}

/** After create-invoice: the invoice. */
export interface Invoiced extends WithShipment {
  invoiceId: string;
  invoiceDueDate: string;
}

/** The run state as stored: the input plus what the steps found out so far. */
export type OrderFlowState = OrderFlowInput & Partial<Omit<Invoiced, keyof OrderFlowInput>>;

/** What the order-to-cash steps call: the connectors, the customer links and the linker that gives an account its ERP customer. */
export interface OrderFlowDeps {
  erp: OrderFlowErp;
  crm: OrderFlowCrm;
  links: CustomerLinkRepository;
  linker: CustomerLinker;
  credit: CreditReviews;
}

/** Finance's reviews of orders over the customer's credit. */
export interface CreditReviews {
  reviews: CreditReviewRepository;
  /** How long an order waits for finance's decision before it is refused (CREDIT_LIMIT_EXCEEDED). */
  windowMs: number;
}

/** The flow's name in flow_runs. */
export const ORDER_TO_CASH = 'order-to-cash';
