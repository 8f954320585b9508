import type { ListParams, Page } from '../page';
import type { BulkUpsertResult } from '../bulk';

/**
 * What the product needs from an ERP. Subgraphs and flows depend on this interface only;
 * `HttpErpConnector` implements it for the reference backend, and a deployment on another ERP
 * provides its own implementation. Amounts are decimal strings, dates ISO strings.
 * Batch reads take many ids and return the rows found, in any order, missing ids omitted.
 * Writes take an optional idempotency key: the same key returns the first call's result.
 */
export interface ErpConnector {
  // customers
  getCustomers(customerNos: readonly string[]): Promise<ErpCustomer[]>;
  /** Customers whose external reference (the CRM account id) is one of `externalRefs`. */
  findCustomersByExternalRefs(externalRefs: readonly string[]): Promise<ErpCustomer[]>;
  listCustomers(params: ListParams & { search?: string }): Promise<Page<ErpCustomer>>;
  createCustomer(input: ErpCustomerInput, idempotencyKey?: string): Promise<ErpCustomer>;
  updateCustomer(customerNo: string, patch: Partial<ErpCustomerInput>, idempotencyKey?: string): Promise<ErpCustomer>;
  /** Sum of amountDue over OPEN and OVERDUE invoices, per customer (zero rows included). */
  getOpenBalances(customerNos: readonly string[]): Promise<ErpOpenBalance[]>;

  // catalogue and stock
  getProducts(skus: readonly string[]): Promise<ErpProduct[]>;
  listProducts(params: ListParams): Promise<Page<ErpProduct>>;
  listWarehouses(): Promise<ErpWarehouse[]>;
  /** Stock of each product in every warehouse that holds it. */
  getStockLevels(skus: readonly string[]): Promise<ErpStockLevel[]>;

  // sales orders
  getSalesOrders(ids: readonly string[]): Promise<ErpSalesOrder[]>;
  listSalesOrders(params: ListParams & { status?: ErpSalesOrderStatus; customerNo?: string }): Promise<Page<ErpSalesOrder>>;
  /** The newest `perCustomer` orders of each customer, optionally of one status, newest first. */
  listSalesOrdersByCustomers(customerNos: readonly string[], options: { status?: ErpSalesOrderStatus; perCustomer: number }): Promise<ErpSalesOrder[]>;
  /**
   * Creates the order if the customer's credit allows it (checked under the customer's lock, so
   * racing orders cannot jointly exceed it): CREDIT_LIMIT_EXCEEDED otherwise, and CURRENCY_MISMATCH
   * for a product priced in another currency than the customer's.
   */
  createSalesOrder(input: ErpSalesOrderInput, idempotencyKey?: string): Promise<ErpSalesOrder>;
  /** The credit decision an order of these lines would get now (CURRENCY_MISMATCH as above); writes nothing. */
  assessCredit(customerNo: string, lines: ErpSalesOrderInput['lines']): Promise<ErpCreditAssessment>;
  /** Reserves what is available for each line, atomically; returns the order with reserved quantities. */
  reserveStock(salesOrderId: string, idempotencyKey?: string): Promise<ErpSalesOrder>;
  /** Releases every reservation of the order; nothing to release is not an error. */
  releaseReservations(salesOrderId: string, idempotencyKey?: string): Promise<ErpSalesOrder>;
  /** Sets a status the order's lifecycle allows; an illegal transition is CONFLICT. */
  setSalesOrderStatus(salesOrderId: string, status: ErpSalesOrderStatus, idempotencyKey?: string): Promise<ErpSalesOrder>;

  // production
  getProductionOrders(ids: readonly string[]): Promise<ErpProductionOrder[]>;
  listProductionOrdersBySalesOrders(salesOrderIds: readonly string[]): Promise<ErpProductionOrder[]>;
  createProductionOrder(input: { sku: string; quantity: number; salesOrderId?: string }, idempotencyKey?: string): Promise<ErpProductionOrder>;
  /** Completes it: the output is put on stock (and reserved for its sales order, if any). */
  completeProductionOrder(id: string, idempotencyKey?: string): Promise<ErpProductionOrder>;
  cancelProductionOrder(id: string, idempotencyKey?: string): Promise<ErpProductionOrder>;

  // shipping
  getShipments(ids: readonly string[]): Promise<ErpShipment[]>;
  listShipmentsBySalesOrders(salesOrderIds: readonly string[]): Promise<ErpShipment[]>;
  /** Creates a PENDING shipment of the order's reserved quantities. */
  createShipment(salesOrderId: string, idempotencyKey?: string): Promise<ErpShipment>;
  /** The carrier took it: SHIPPED, stock issued, order SHIPPED. */
  confirmShipment(id: string, input: { carrier: string; trackingNumber: string }, idempotencyKey?: string): Promise<ErpShipment>;
  /** Cancels a PENDING shipment (again: no change); a SHIPPED one is a CONFLICT. */
  cancelShipment(id: string, idempotencyKey?: string): Promise<ErpShipment>;

  // finance
  getInvoices(ids: readonly string[]): Promise<ErpInvoice[]>;
  listInvoicesByCustomers(customerNos: readonly string[], options: { status?: ErpInvoiceStatus }): Promise<ErpInvoice[]>;
  listInvoicesBySalesOrders(salesOrderIds: readonly string[]): Promise<ErpInvoice[]>;
  /** Invoices the shipped quantities of the order, due per the customer's payment terms. */
  createInvoice(salesOrderId: string, idempotencyKey?: string): Promise<ErpInvoice>;
  /** Records a payment; amountDue drops, PAID at zero (and the order PAID when all are). */
  recordPayment(invoiceId: string, input: { amount: string; reference?: string | null }, idempotencyKey?: string): Promise<ErpInvoice>;
}

export interface ErpCustomer {
  /** The ERP's own number, e.g. "K-10023". */
  customerNo: string;
  name: string;
  email: string | null;
  industry: string | null;
  /** ISO-3166 alpha-2. */
  country: string | null;
  /** The CRM account id once linked. */
  externalRef: string | null;
  creditLimit: string | null;
  /** e.g. "NET30"; the number is the days until an invoice is due. */
  paymentTerms: string | null;
  currency: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface ErpCustomerInput {
  name: string;
  email?: string | null;
  industry?: string | null;
  country?: string | null;
  externalRef?: string | null;
  creditLimit?: string | null;
  paymentTerms?: string | null;
  currency?: string;
}

/** The ERP's credit decision on an order: all amounts exact decimals in the customer's currency. */
export interface ErpCreditAssessment {
  customerNo: string;
  currency: string;
  /** The customer's own limit, or the configured default when it has none. */
  creditLimit: string;
  /** True when creditLimit is the configured default. */
  defaultLimit: boolean;
  /** Open invoices plus the uninvoiced part of open orders. */
  exposure: string;
  orderTotal: string;
  /** exposure + orderTotal <= creditLimit. */
  approved: boolean;
}

export interface ErpOpenBalance {
  customerNo: string;
  amount: string;
  currency: string;
}

export interface ErpProduct {
  sku: string;
  name: string;
  unitPrice: string;
  currency: string;
  /** True: shortages are covered by production orders; false: purchased. */
  manufactured: boolean;
  version: number;
  updatedAt: string;
}

export interface ErpWarehouse {
  code: string;
  name: string;
}

export interface ErpStockLevel {
  sku: string;
  warehouseCode: string;
  onHand: number;
  reserved: number;
}

export type ErpSalesOrderStatus =
  | 'DRAFT'
  | 'CONFIRMED'
  | 'IN_PRODUCTION'
  | 'READY_TO_SHIP'
  | 'PARTIALLY_SHIPPED'
  | 'SHIPPED'
  | 'INVOICED'
  | 'PAID'
  | 'CANCELLED';

export interface ErpSalesOrderLine {
  lineNo: number;
  sku: string;
  quantity: number;
  unitPrice: string;
  reservedQuantity: number;
  shippedQuantity: number;
}

export interface ErpSalesOrder {
  /** Equal to `number`, e.g. "SO-100234". */
  id: string;
  number: string;
  customerNo: string;
  status: ErpSalesOrderStatus;
  currency: string;
  /** Sum of quantity × unitPrice over the lines. */
  total: string;
  /** Free reference of the caller, e.g. the CRM opportunity id. */
  externalRef: string | null;
  lines: ErpSalesOrderLine[];
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface ErpSalesOrderInput {
  customerNo: string;
  lines: { sku: string; quantity: number; unitPrice?: string }[];
  /** Initial status, DRAFT or CONFIRMED; default CONFIRMED. */
  status?: 'DRAFT' | 'CONFIRMED';
  externalRef?: string | null;
  /**
   * Who in finance approved this order over the customer's credit (the integration keeps the
   * review): the ERP confirms it without its credit-limit check. Not part of what an idempotency
   * key stands for, so an order first refused on credit is confirmed under the same key once approved.
   */
  creditApprovedBy?: string | null;
}

export type ErpProductionOrderStatus = 'PLANNED' | 'RELEASED' | 'IN_PROGRESS' | 'COMPLETED' | 'CANCELLED';

export interface ErpProductionOrder {
  /** Equal to `number`, e.g. "MO-50012". */
  id: string;
  number: string;
  sku: string;
  quantity: number;
  status: ErpProductionOrderStatus;
  salesOrderId: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export type ErpShipmentStatus = 'PENDING' | 'SHIPPED' | 'DELIVERED' | 'CANCELLED';

export interface ErpShipment {
  /** Equal to `number`, e.g. "SH-70001". */
  id: string;
  number: string;
  salesOrderId: string;
  status: ErpShipmentStatus;
  carrier: string | null;
  trackingNumber: string | null;
  shippedAt: string | null;
  lines: { sku: string; quantity: number }[];
  version: number;
  createdAt: string;
  updatedAt: string;
}

export type ErpInvoiceStatus = 'OPEN' | 'PAID' | 'OVERDUE' | 'CANCELLED';

export interface ErpInvoice {
  /** Equal to `number`, e.g. "INV-30001". */
  id: string;
  number: string;
  customerNo: string;
  salesOrderId: string | null;
  status: ErpInvoiceStatus;
  total: string;
  amountDue: string;
  currency: string;
  /** Calendar date, "YYYY-MM-DD". */
  dueDate: string;
  issuedAt: string;
  version: number;
  updatedAt: string;
}

/**
 * Bulk import into the ERP, separate from ErpConnector so test doubles of the everyday API need
 * not implement it. At most 500 rows per call; results come back in row order, keyed by the
 * row's key (externalRef for customers, SKU for products).
 */
export interface ErpBulkConnector {
  /**
   * Upserts customers by their CRM account id (`externalRef`): a new one is created with every
   * field; an existing one only takes the ERP-owned fields given (credit limit, payment terms,
   * currency), since the CRM owns the rest and the sync mirrors it.
   */
  upsertCustomersByExternalRef(rows: readonly ErpCustomerImport[], idempotencyKey?: string): Promise<BulkUpsertResult[]>;
  /** Upserts products by SKU. */
  upsertProducts(rows: readonly ErpProductImport[], idempotencyKey?: string): Promise<BulkUpsertResult[]>;
}

/** One imported customer; `externalRef` is the CRM account id. */
export type ErpCustomerImport = ErpCustomerInput & { externalRef: string };

/** One imported catalogue product. */
export interface ErpProductImport {
  sku: string;
  name: string;
  unitPrice: string;
  currency: string;
  manufactured: boolean;
}
