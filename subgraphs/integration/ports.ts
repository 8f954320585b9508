import type { CrmConnector } from '../../connectors/crm/crm.connector';
import type { ErpConnector } from '../../connectors/erp/erp.connector';

/**
 * The part of each connector the integration uses today: customer master data. Order flows and
 * reconciliation widen these when they arrive; depending on the slice keeps the test doubles small.
 */
export type IntegrationErp = Pick<ErpConnector, 'getCustomers' | 'findCustomersByExternalRefs' | 'listCustomers' | 'createCustomer' | 'updateCustomer'>;

/** The CRM side of the same slice: accounts. */
export type IntegrationCrm = Pick<CrmConnector, 'getAccounts' | 'findAccountsByErpCustomerNos' | 'listAccounts' | 'createAccount' | 'updateAccount'>;

/** What order-to-cash flows use of the ERP: customers, credit, orders, stock, production, shipping, invoices. */
export type OrderFlowErp = Pick<
  ErpConnector,
  | 'getCustomers'
  | 'findCustomersByExternalRefs'
  | 'createCustomer'
  | 'assessCredit'
  | 'getProducts'
  | 'getSalesOrders'
  | 'createSalesOrder'
  | 'reserveStock'
  | 'releaseReservations'
  | 'setSalesOrderStatus'
  | 'getProductionOrders'
  | 'createProductionOrder'
  | 'cancelProductionOrder'
  | 'getShipments'
  | 'createShipment'
  | 'cancelShipment'
  | 'getInvoices'
  | 'createInvoice'
>;

/** What order-to-cash flows use of the CRM: accounts, opportunities and milestone activities. */
export type OrderFlowCrm = Pick<CrmConnector, 'getAccounts' | 'updateAccount' | 'getOpportunities' | 'updateOpportunity' | 'createActivity'>;

/** What the reconciliation reads of the ERP: every customer, and the orders opportunities name. */
export type ReconciliationErp = Pick<ErpConnector, 'listCustomers' | 'getSalesOrders'>;

/** What the reconciliation reads of the CRM: every account and opportunity. */
export type ReconciliationCrm = Pick<CrmConnector, 'listAccounts' | 'listOpportunities'>;
