import type { CustomerLinkRepository } from '../../links/customer-link.repository';
import type { OrderFlowCrm, OrderFlowErp } from '../../ports';

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

/** The run state: the input plus what the steps found out, in the order they find it. */
export interface OrderFlowState extends OrderFlowInput {
  customerNo?: string;
  /** The CRM account that hears of milestones; null for a customer only the ERP knows. */
  crmAccountId?: string | null;
  orderTotal?: string;
  salesOrderId?: string;
  productionOrderIds?: string[];
  shipmentId?: string;
  invoiceId?: string;
  invoiceDueDate?: string;
}

/** What the order-to-cash steps call: the connectors and the customer links. */
export interface OrderFlowDeps {
  erp: OrderFlowErp;
  crm: OrderFlowCrm;
  links: CustomerLinkRepository;
}

/** The flow's name in flow_runs. */
export const ORDER_TO_CASH = 'order-to-cash';
