import { JsonHttpClient, type HttpCall } from '../../platform/http-client';
import type { ServiceMetrics } from '../../platform/metrics';
import type { BulkUpsertResult } from '../bulk';
import type { ListParams, Page } from '../page';
import type {
  ErpBulkConnector,
  ErpConnector,
  ErpCreditAssessment,
  ErpCustomerImport,
  ErpCustomer,
  ErpCustomerInput,
  ErpInvoice,
  ErpInvoiceStatus,
  ErpOpenBalance,
  ErpProduct,
  ErpProductImport,
  ErpProductionOrder,
  ErpSalesOrder,
  ErpSalesOrderInput,
  ErpSalesOrderStatus,
  ErpShipment,
  ErpStockLevel,
  ErpWarehouse,
} from './erp.connector';

/** How the connector reaches the reference ERP backend. */
export interface HttpErpConnectorOptions {
  /** e.g. http://127.0.0.1:4101 */
  baseUrl: string;
  /** Produces the x-service-token for each call. */
  serviceToken: () => string;
  /** Per-attempt timeout in milliseconds; default 5000. */
  timeoutMs?: number;
  /** Extra attempts for reads and keyed writes; default 2. */
  retries?: number;
  /** Counts every call in connector_requests_total{system="erp",operation}. */
  metrics?: ServiceMetrics;
}

/** Ids per batch call; keeps URLs well under common proxy limits. */
export const ERP_BATCH_SIZE = 200;

/** Largest page the backend serves. */
const MAX_FIRST = 500;

interface ItemsBody<T> {
  items: T[];
}

/**
 * The ErpConnector for the reference ERP backend (backends/erp) over its REST API: keep-alive,
 * timeouts, retries only for reads and keyed writes, the service credential on every call.
 * Batch reads of nothing make no call; long id lists are split into several calls.
 */
export class HttpErpConnector implements ErpConnector, ErpBulkConnector {
  private readonly client: JsonHttpClient;

  constructor(options: HttpErpConnectorOptions) {
    this.client = new JsonHttpClient({
      system: 'erp',
      baseUrl: options.baseUrl,
      serviceToken: options.serviceToken,
      timeoutMs: options.timeoutMs,
      retries: options.retries,
      metrics: options.metrics,
    });
  }

  /** Closes the pooled connections. */
  close(): Promise<void> {
    return this.client.close();
  }

  // bulk import

  async upsertCustomersByExternalRef(rows: readonly ErpCustomerImport[], idempotencyKey?: string): Promise<BulkUpsertResult[]> {
    const body = await this.client.call<{ results: BulkUpsertResult[] }>({ operation: 'upsertCustomersByExternalRef', method: 'POST', path: '/customers/bulk', body: { customers: rows }, idempotencyKey });
    return body.results;
  }

  async upsertProducts(rows: readonly ErpProductImport[], idempotencyKey?: string): Promise<BulkUpsertResult[]> {
    const body = await this.client.call<{ results: BulkUpsertResult[] }>({ operation: 'upsertProducts', method: 'POST', path: '/products/bulk', body: { products: rows }, idempotencyKey });
    return body.results;
  }

  // customers

  getCustomers(customerNos: readonly string[]): Promise<ErpCustomer[]> {
    return this.batch('getCustomers', '/customers', 'ids', customerNos);
  }

  findCustomersByExternalRefs(externalRefs: readonly string[]): Promise<ErpCustomer[]> {
    return this.batch('findCustomersByExternalRefs', '/customers', 'external_refs', externalRefs);
  }

  listCustomers(params: ListParams & { search?: string }): Promise<Page<ErpCustomer>> {
    return this.get('listCustomers', '/customers', { ...listQuery(params), search: params.search });
  }

  createCustomer(input: ErpCustomerInput, idempotencyKey?: string): Promise<ErpCustomer> {
    return this.client.call({ operation: 'createCustomer', method: 'POST', path: '/customers', body: input, idempotencyKey });
  }

  updateCustomer(customerNo: string, patch: Partial<ErpCustomerInput>, idempotencyKey?: string): Promise<ErpCustomer> {
    return this.client.call({ operation: 'updateCustomer', method: 'PATCH', path: `/customers/${enc(customerNo)}`, body: patch, idempotencyKey });
  }

  getOpenBalances(customerNos: readonly string[]): Promise<ErpOpenBalance[]> {
    return this.batch('getOpenBalances', '/open-balances', 'customer_nos', customerNos);
  }

  // catalogue and stock

  getProducts(skus: readonly string[]): Promise<ErpProduct[]> {
    return this.batch('getProducts', '/products', 'ids', skus);
  }

  listProducts(params: ListParams): Promise<Page<ErpProduct>> {
    return this.get('listProducts', '/products', listQuery(params));
  }

  async listWarehouses(): Promise<ErpWarehouse[]> {
    return (await this.get<ItemsBody<ErpWarehouse>>('listWarehouses', '/warehouses', {})).items;
  }

  getStockLevels(skus: readonly string[]): Promise<ErpStockLevel[]> {
    return this.batch('getStockLevels', '/stock-levels', 'skus', skus);
  }

  // sales orders

  getSalesOrders(ids: readonly string[]): Promise<ErpSalesOrder[]> {
    return this.batch('getSalesOrders', '/sales-orders', 'ids', ids);
  }

  listSalesOrders(params: ListParams & { status?: ErpSalesOrderStatus; customerNo?: string }): Promise<Page<ErpSalesOrder>> {
    return this.get('listSalesOrders', '/sales-orders', { ...listQuery(params), status: params.status, customer_no: params.customerNo });
  }

  listSalesOrdersByCustomers(customerNos: readonly string[], options: { status?: ErpSalesOrderStatus; perCustomer: number }): Promise<ErpSalesOrder[]> {
    return this.batch('listSalesOrdersByCustomers', '/sales-orders', 'customer_nos', customerNos, { status: options.status, per_customer: options.perCustomer });
  }

  createSalesOrder(input: ErpSalesOrderInput, idempotencyKey?: string): Promise<ErpSalesOrder> {
    return this.client.call({ operation: 'createSalesOrder', method: 'POST', path: '/sales-orders', body: input, idempotencyKey });
  }

  assessCredit(customerNo: string, lines: ErpSalesOrderInput['lines']): Promise<ErpCreditAssessment> {
    // A POST that changes nothing; without a key it is sent once, and a failure is the step's to retry.
    return this.client.call({ operation: 'assessCredit', method: 'POST', path: `/customers/${enc(customerNo)}/credit-assessment`, body: { lines } });
  }

  reserveStock(salesOrderId: string, idempotencyKey?: string): Promise<ErpSalesOrder> {
    return this.client.call({ operation: 'reserveStock', method: 'POST', path: `/sales-orders/${enc(salesOrderId)}/reserve`, idempotencyKey });
  }

  releaseReservations(salesOrderId: string, idempotencyKey?: string): Promise<ErpSalesOrder> {
    return this.client.call({ operation: 'releaseReservations', method: 'POST', path: `/sales-orders/${enc(salesOrderId)}/release`, idempotencyKey });
  }

  setSalesOrderStatus(salesOrderId: string, status: ErpSalesOrderStatus, idempotencyKey?: string): Promise<ErpSalesOrder> {
    return this.client.call({ operation: 'setSalesOrderStatus', method: 'POST', path: `/sales-orders/${enc(salesOrderId)}/status`, body: { status }, idempotencyKey });
  }

  // production

  getProductionOrders(ids: readonly string[]): Promise<ErpProductionOrder[]> {
    return this.batch('getProductionOrders', '/production-orders', 'ids', ids);
  }

  listProductionOrdersBySalesOrders(salesOrderIds: readonly string[]): Promise<ErpProductionOrder[]> {
    return this.batch('listProductionOrdersBySalesOrders', '/production-orders', 'sales_order_ids', salesOrderIds);
  }

  createProductionOrder(input: { sku: string; quantity: number; salesOrderId?: string }, idempotencyKey?: string): Promise<ErpProductionOrder> {
    return this.client.call({ operation: 'createProductionOrder', method: 'POST', path: '/production-orders', body: input, idempotencyKey });
  }

  completeProductionOrder(id: string, idempotencyKey?: string): Promise<ErpProductionOrder> {
    return this.client.call({ operation: 'completeProductionOrder', method: 'POST', path: `/production-orders/${enc(id)}/complete`, idempotencyKey });
  }

  cancelProductionOrder(id: string, idempotencyKey?: string): Promise<ErpProductionOrder> {
    return this.client.call({ operation: 'cancelProductionOrder', method: 'POST', path: `/production-orders/${enc(id)}/cancel`, idempotencyKey });
  }

  // shipping

  getShipments(ids: readonly string[]): Promise<ErpShipment[]> {
    return this.batch('getShipments', '/shipments', 'ids', ids);
  }

  listShipmentsBySalesOrders(salesOrderIds: readonly string[]): Promise<ErpShipment[]> {
    return this.batch('listShipmentsBySalesOrders', '/shipments', 'sales_order_ids', salesOrderIds);
  }

  createShipment(salesOrderId: string, idempotencyKey?: string): Promise<ErpShipment> {
    return this.client.call({ operation: 'createShipment', method: 'POST', path: '/shipments', body: { salesOrderId }, idempotencyKey });
  }

  confirmShipment(id: string, input: { carrier: string; trackingNumber: string }, idempotencyKey?: string): Promise<ErpShipment> {
    return this.client.call({ operation: 'confirmShipment', method: 'POST', path: `/shipments/${enc(id)}/confirm`, body: input, idempotencyKey });
  }

  cancelShipment(id: string, idempotencyKey?: string): Promise<ErpShipment> {
    return this.client.call({ operation: 'cancelShipment', method: 'POST', path: `/shipments/${enc(id)}/cancel`, idempotencyKey });
  }

  // finance

  getInvoices(ids: readonly string[]): Promise<ErpInvoice[]> {
    return this.batch('getInvoices', '/invoices', 'ids', ids);
  }

  listInvoicesByCustomers(customerNos: readonly string[], options: { status?: ErpInvoiceStatus }): Promise<ErpInvoice[]> {
    return this.batch('listInvoicesByCustomers', '/invoices', 'customer_nos', customerNos, { status: options.status });
  }

  listInvoicesBySalesOrders(salesOrderIds: readonly string[]): Promise<ErpInvoice[]> {
    return this.batch('listInvoicesBySalesOrders', '/invoices', 'sales_order_ids', salesOrderIds);
  }

  createInvoice(salesOrderId: string, idempotencyKey?: string): Promise<ErpInvoice> {
    return this.client.call({ operation: 'createInvoice', method: 'POST', path: '/invoices', body: { salesOrderId }, idempotencyKey });
  }

  recordPayment(invoiceId: string, input: { amount: string; reference?: string | null }, idempotencyKey?: string): Promise<ErpInvoice> {
    return this.client.call({ operation: 'recordPayment', method: 'POST', path: `/invoices/${enc(invoiceId)}/payments`, body: input, idempotencyKey });
  }

  private get<T>(operation: string, path: string, query: HttpCall['query']): Promise<T> {
    return this.client.call<T>({ operation, method: 'GET', path, query });
  }

  /** One call per chunk of distinct ids, in parallel; the rows found, concatenated. */
  private async batch<T>(operation: string, path: string, param: string, ids: readonly string[], extra: HttpCall['query'] = {}): Promise<T[]> {
    const distinct = [...new Set(ids)];
    if (distinct.length === 0) return [];
    const chunks: string[][] = [];
    for (let i = 0; i < distinct.length; i += ERP_BATCH_SIZE) chunks.push(distinct.slice(i, i + ERP_BATCH_SIZE));
    const pages = await Promise.all(chunks.map((chunk) => this.get<ItemsBody<T>>(operation, path, { ...extra, [param]: chunk.join(',') })));
    return pages.flatMap((page) => page.items);
  }
}

function listQuery(params: ListParams): HttpCall['query'] {
  return {
    first: params.first === undefined ? undefined : Math.min(params.first, MAX_FIRST),
    after: params.after ?? undefined,
    updated_since: params.updatedSince,
  };
}

function enc(id: string): string {
  return encodeURIComponent(id);
}
