import type { CrmConnector } from '../../connectors/crm/crm.connector';
import type { ErpConnector } from '../../connectors/erp/erp.connector';

/**
 * The part of each connector the integration uses today: customer master data. Order flows and
 * reconciliation widen these when they arrive; depending on the slice keeps the test doubles small.
 */
export type IntegrationErp = Pick<ErpConnector, 'getCustomers' | 'findCustomersByExternalRefs' | 'listCustomers' | 'createCustomer' | 'updateCustomer'>;

/** The CRM side of the same slice: accounts. */
export type IntegrationCrm = Pick<CrmConnector, 'getAccounts' | 'findAccountsByErpCustomerNos' | 'listAccounts' | 'createAccount' | 'updateAccount'>;
