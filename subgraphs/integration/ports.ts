import type { CrmConnector } from '../../connectors/crm/crm.connector';
import type { ErpConnector } from '../../connectors/erp/erp.connector';

/**
 * The part of each connector the integration uses today: customer master data (and, for the ERP,
 * its warehouse list: the cheapest read that shows it answers). Order flows and reconciliation
 * widen these when they arrive; depending on the slice keeps the test doubles small.
 */
export type IntegrationErp = Pick<ErpConnector, 'getCustomers' | 'findCustomersByExternalRefs' | 'listCustomers' | 'createCustomer' | 'updateCustomer' | 'listWarehouses'>;

/** The CRM side of the same slice: accounts. */
export type IntegrationCrm = Pick<CrmConnector, 'getAccounts' | 'findAccountsByErpCustomerNos' | 'listAccounts' | 'createAccount' | 'updateAccount'>;

/** What order-to-cash flows use of the ERP: customers, credit, orders, stock, production, shipping, invoices (and warehouses, to see it answer). */
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
  | 'listProductionOrdersBySalesOrders'
  | 'createProductionOrder'
  | 'cancelProductionOrder'
  | 'getShipments'
  | 'createShipment'
  | 'cancelShipment'
  | 'getInvoices'
  | 'createInvoice'
  | 'listWarehouses'
>;

/** What order-to-cash flows use of the CRM: accounts, opportunities and milestone activities. */
export type OrderFlowCrm = Pick<CrmConnector, 'getAccounts' | 'updateAccount' | 'getOpportunities' | 'updateOpportunity' | 'createActivity' | 'listAccounts'>;

/** What the reconciliation reads of the ERP: every customer, and the orders opportunities name. */
export type ReconciliationErp = Pick<ErpConnector, 'listCustomers' | 'getSalesOrders'>;

/** What the reconciliation reads of the CRM: every account and opportunity. */
export type ReconciliationCrm = Pick<CrmConnector, 'listAccounts' | 'listOpportunities'>;
