import { AppError, ErrorCode } from '../errors';

/**
 * What each export pulls through the gateway (GraphQL, 100 per page, by cursor) and the columns
 * it writes, CRM and ERP side by side. Amounts are the API's decimal strings, unchanged; lists
 * (an order's invoices) are joined with ";". The CRM account owner is not in the API and so not
 * exported.
 *
 * customers: id, name, email, industry, country, crmAccountId, erpCustomerNo, syncState,
 *            creditLimit, openBalance, currency, paymentTerms
 * orders:    number, status, createdAt, total, currency, customerId, customerName,
 *            crmAccountId, erpCustomerNo, opportunityId, opportunityName, invoiceNumbers,
 *            invoiceStatuses
 * invoices:  number, status, total, amountDue, currency, dueDate, salesOrderNumber,
 *            customerId, customerName, crmAccountId, erpCustomerNo
 *
 * Orders are paged per status, all statuses at once, and written as pages arrive: the file holds
 * every order once, grouped in runs of up to 100 of one status, newest first within a status.
 *
 * `since` (a date or date-time): orders created at or after it (each list is newest first, so
 * paging stops at the first older page); invoices due on or after it (the API has neither an
 * invoice date nor a date filter, so this is applied here, client-side, to every invoice read);
 * customers carry no date in the API and refuse it.
 */
export type ExportKind = 'customers' | 'orders' | 'invoices';

/** Every kind, for usage messages. */
export const EXPORT_KINDS: readonly ExportKind[] = ['customers', 'orders', 'invoices'];

/** One flat output row, column → value (null for an empty cell). */
export type ExportRow = Record<string, string | null>;

/** How one kind is read page by page and flattened. */
export interface ExportDefinition {
  columns: readonly string[];
  query: string;
  /** The connection in the query's data. */
  connection(data: any): { nodes: any[]; pageInfo: { hasNextPage: boolean; endCursor: string | null }; totalCount: number };
  /** The output rows of one node, already filtered by `since`. */
  rows(node: any, since: number | null): ExportRow[];
  /** True when no later page can hold a row at or after `since` (lists ordered by date). */
  exhausted?(nodes: any[], since: number): boolean;
  /**
   * Disjoint filters (extra variables) that together cover the list: each is paged on its own,
   * all at once, so a long export is not one page round trip after another.
   */
  partitions?: readonly Record<string, unknown>[];
}

const SALES_ORDER_STATUSES = ['DRAFT', 'CONFIRMED', 'IN_PRODUCTION', 'READY_TO_SHIP', 'PARTIALLY_SHIPPED', 'SHIPPED', 'INVOICED', 'PAID', 'CANCELLED'];

/** Rows per GraphQL page: the API's largest page. */
export const EXPORT_PAGE_SIZE = 100;

const CUSTOMER_IDS = 'id name crmAccountId erpCustomerNo';

const definitions: Record<ExportKind, ExportDefinition> = {
  customers: {
    columns: ['id', 'name', 'email', 'industry', 'country', 'crmAccountId', 'erpCustomerNo', 'syncState', 'creditLimit', 'openBalance', 'currency', 'paymentTerms'],
    query: /* GraphQL */ `
      query ExportCustomers($first: Int!, $after: String) {
        customers(first: $first, after: $after) {
          totalCount
          pageInfo { hasNextPage endCursor }
          nodes { ${CUSTOMER_IDS} email industry country sync { state } creditLimit { amount currency } openBalance { amount currency } paymentTerms }
        }
      }`,
    connection: (data) => data.customers,
    rows: (c) => [
      {
        id: c.id,
        name: c.name,
        email: c.email,
        industry: c.industry,
        country: c.country,
        crmAccountId: c.crmAccountId,
        erpCustomerNo: c.erpCustomerNo,
        syncState: c.sync?.state ?? null,
        creditLimit: c.creditLimit?.amount ?? null,
        openBalance: c.openBalance?.amount ?? null,
        currency: c.creditLimit?.currency ?? c.openBalance?.currency ?? null,
        paymentTerms: c.paymentTerms,
      },
    ],
  },
  orders: {
    columns: ['number', 'status', 'createdAt', 'total', 'currency', 'customerId', 'customerName', 'crmAccountId', 'erpCustomerNo', 'opportunityId', 'opportunityName', 'invoiceNumbers', 'invoiceStatuses'],
    query: /* GraphQL */ `
      query ExportOrders($first: Int!, $after: String, $status: SalesOrderStatus) {
        salesOrders(first: $first, after: $after, status: $status) {
          totalCount
          pageInfo { hasNextPage endCursor }
          nodes { number status createdAt total { amount currency } customer { ${CUSTOMER_IDS} } opportunity { id name } invoices { number status } }
        }
      }`,
    connection: (data) => data.salesOrders,
    rows: (o, since) =>
      since !== null && Date.parse(o.createdAt) < since
        ? []
        : [
            {
              number: o.number,
              status: o.status,
              createdAt: o.createdAt,
              total: o.total.amount,
              currency: o.total.currency,
              customerId: o.customer?.id ?? null,
              customerName: o.customer?.name ?? null,
              crmAccountId: o.customer?.crmAccountId ?? null,
              erpCustomerNo: o.customer?.erpCustomerNo ?? null,
              opportunityId: o.opportunity?.id ?? null,
              opportunityName: o.opportunity?.name ?? null,
              invoiceNumbers: o.invoices.map((i: { number: string }) => i.number).join(';'),
              invoiceStatuses: o.invoices.map((i: { status: string }) => i.status).join(';'),
            },
          ],
    exhausted: (nodes, since) => nodes.length > 0 && Date.parse(nodes[nodes.length - 1].createdAt) < since,
    partitions: SALES_ORDER_STATUSES.map((status) => ({ status })),
  },
  invoices: {
    columns: ['number', 'status', 'total', 'amountDue', 'currency', 'dueDate', 'salesOrderNumber', 'customerId', 'customerName', 'crmAccountId', 'erpCustomerNo'],
    query: /* GraphQL */ `
      query ExportInvoices($first: Int!, $after: String) {
        customers(first: $first, after: $after) {
          totalCount
          pageInfo { hasNextPage endCursor }
          nodes { ${CUSTOMER_IDS} invoices { number status total { amount currency } amountDue { amount } dueDate salesOrder { number } } }
        }
      }`,
    connection: (data) => data.customers,
    rows: (c, since) =>
      c.invoices
        .filter((i: { dueDate: string }) => since === null || Date.parse(i.dueDate) >= since)
        .map((i: any) => ({
          number: i.number,
          status: i.status,
          total: i.total.amount,
          amountDue: i.amountDue.amount,
          currency: i.total.currency,
          dueDate: i.dueDate,
          salesOrderNumber: i.salesOrder?.number ?? null,
          customerId: c.id,
          customerName: c.name,
          crmAccountId: c.crmAccountId,
          erpCustomerNo: c.erpCustomerNo,
        })),
  },
};

/** The definition of a kind. */
export function exportDefinition(kind: ExportKind): ExportDefinition {
  return definitions[kind];
}

/** Checks `since` for a kind; returns it as epoch milliseconds, or null when absent. */
export function parseSince(kind: ExportKind, since: string | undefined | null): number | null {
  if (since === undefined || since === null || since === '') return null;
  if (kind === 'customers') throw new AppError(ErrorCode.BAD_USER_INPUT, 'customers carry no date in the API, so --since does not apply to them', { field: 'since' });
  const at = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(since) ? Date.parse(since) : NaN;
  if (Number.isNaN(at)) throw new AppError(ErrorCode.BAD_USER_INPUT, `since must be a date such as 2026-01-31 or an ISO date-time, not "${since}"`, { field: 'since' });
  return at;
}

/** Refuses an unknown kind with BAD_USER_INPUT. */
export function exportKindOf(value: string): ExportKind {
  if (!(EXPORT_KINDS as readonly string[]).includes(value)) {
    throw new AppError(ErrorCode.BAD_USER_INPUT, `unknown export "${value}": use one of ${EXPORT_KINDS.join(', ')}`, { field: 'kind' });
  }
  return value as ExportKind;
}
