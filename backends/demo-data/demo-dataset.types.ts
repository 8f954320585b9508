/**
 * The shape of the deterministic demo data both reference backends seed from. One generator
 * (`buildDemoDataset`) makes the whole picture so the two systems agree where they should and
 * differ exactly where the reconciliation is meant to find something. ERP and CRM ids never match.
 * Amounts are decimal strings with two fraction digits; dates ISO strings.
 */
export interface DemoDataset {
  erp: ErpDemoData;
  crm: CrmDemoData;
  /** What was planted, so tests can assert that it is found (kind → affected ids). */
  anomalies: DemoAnomaly[];
}

export interface ErpDemoData {
  warehouses: { code: string; name: string }[];
  products: { sku: string; name: string; unitPrice: string; currency: string; manufactured: boolean }[];
  /** On-hand quantities; the ERP seed derives `reserved` from the open orders' line reservations. */
  stock: { sku: string; warehouseCode: string; onHand: number }[];
  customers: {
    customerNo: string;
    name: string;
    email: string | null;
    industry: string | null;
    country: string | null;
    /** CRM account id, or null when not linked from the ERP side. */
    externalRef: string | null;
    creditLimit: string | null;
    paymentTerms: string | null;
    currency: string;
    createdAt: string;
  }[];
  salesOrders: {
    number: string;
    customerNo: string;
    status: string;
    currency: string;
    externalRef: string | null;
    createdAt: string;
    lines: { lineNo: number; sku: string; quantity: number; unitPrice: string; reservedQuantity: number; shippedQuantity: number }[];
  }[];
  productionOrders: { number: string; sku: string; quantity: number; status: string; salesOrderNumber: string | null; createdAt: string }[];
  shipments: {
    number: string;
    salesOrderNumber: string;
    status: string;
    carrier: string | null;
    trackingNumber: string | null;
    shippedAt: string | null;
    createdAt: string;
    lines: { sku: string; quantity: number }[];
  }[];
  invoices: {
    number: string;
    customerNo: string;
    salesOrderNumber: string | null;
    status: string;
    total: string;
    amountDue: string;
    currency: string;
    dueDate: string;
    issuedAt: string;
  }[];
  payments: { invoiceNumber: string; amount: string; reference: string | null; receivedAt: string }[];
}

export interface CrmDemoData {
  users: { id: string; name: string; email: string }[];
  accounts: {
    id: string;
    name: string;
    email: string | null;
    industry: string | null;
    country: string | null;
    /** ERP customer number, or null when not linked from the CRM side. */
    erpCustomerNo: string | null;
    ownerId: string;
    createdAt: string;
  }[];
  contacts: { id: string; accountId: string; name: string; email: string | null; phone: string | null; title: string | null }[];
  opportunities: {
    id: string;
    accountId: string;
    name: string;
    stage: string;
    currency: string;
    expectedCloseDate: string | null;
    erpSalesOrderId: string | null;
    ownerId: string;
    createdAt: string;
    lines: { sku: string; quantity: number; unitPrice: string }[];
  }[];
  activities: { id: string; accountId: string; type: string; subject: string; occurredAt: string; erpSalesOrderId: string | null }[];
  cases: { id: string; accountId: string; subject: string; status: string; priority: string; openedAt: string; erpSalesOrderId: string | null }[];
}

export type DemoAnomalyKind =
  | 'MISSING_IN_ERP'
  | 'MISSING_IN_CRM'
  | 'FIELD_MISMATCH'
  | 'DUPLICATE_CUSTOMER'
  | 'ORPHAN_RECORD'
  | 'AMOUNT_MISMATCH';

export interface DemoAnomaly {
  kind: DemoAnomalyKind;
  crmAccountId?: string;
  erpCustomerNo?: string;
  field?: string;
  detail: string;
}
