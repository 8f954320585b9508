import type {
  ErpConnector,
  ErpCreditAssessment,
  ErpCustomer,
  ErpInvoice,
  ErpInvoiceStatus,
  ErpOpenBalance,
  ErpProduct,
  ErpProductionOrder,
  ErpSalesOrder,
  ErpSalesOrderStatus,
  ErpShipment,
  ErpStockLevel,
  ErpWarehouse,
} from '../../../connectors/erp/erp.connector';
import type { ListParams, Page } from '../../../connectors/page';
import { AppError, ErrorCode } from '../../../platform/errors';
import { Money, formatAmount, sumAmounts } from '../../../platform/money';

/** The rows an in-memory ERP starts with. */
export interface InMemoryErpData {
  customers?: ErpCustomer[];
  products?: ErpProduct[];
  warehouses?: ErpWarehouse[];
  stock?: ErpStockLevel[];
  salesOrders?: ErpSalesOrder[];
  productionOrders?: ErpProductionOrder[];
  shipments?: ErpShipment[];
  invoices?: ErpInvoice[];
}

/**
 * An ErpConnector over arrays, for the subgraph's unit tests: it counts calls per operation (to
 * prove batching) and can play a backend that is down. The writes the subgraph never makes are
 * NOT_IMPLEMENTED rather than faked.
 */
export class InMemoryErpConnector implements ErpConnector {
  /** Calls per operation since the last reset. */
  readonly calls = new Map<string, number>();
  /** Operations that fail as if the backend were unreachable. */
  readonly down = new Set<string>();
  readonly customers: ErpCustomer[];
  readonly products: ErpProduct[];
  readonly warehouses: ErpWarehouse[];
  readonly stock: ErpStockLevel[];
  readonly salesOrders: ErpSalesOrder[];
  readonly productionOrders: ErpProductionOrder[];
  readonly shipments: ErpShipment[];
  readonly invoices: ErpInvoice[];

  constructor(data: InMemoryErpData = {}) {
    this.customers = data.customers ?? [];
    this.products = data.products ?? [];
    this.warehouses = data.warehouses ?? [];
    this.stock = data.stock ?? [];
    this.salesOrders = data.salesOrders ?? [];
    this.productionOrders = data.productionOrders ?? [];
    this.shipments = data.shipments ?? [];
    this.invoices = data.invoices ?? [];
  }

  /** How many times `operation` was called. */
  callsOf(operation: string): number {
    return this.calls.get(operation) ?? 0;
  }

  /** Total calls over every operation. */
  totalCalls(): number {
    return [...this.calls.values()].reduce((sum, n) => sum + n, 0);
  }

  private call(operation: string): void {
    this.calls.set(operation, this.callsOf(operation) + 1);
    if (this.down.has(operation)) throw new AppError(ErrorCode.UPSTREAM_UNAVAILABLE, `erp is unavailable (${operation})`, { system: 'erp' });
  }

  async getCustomers(customerNos: readonly string[]): Promise<ErpCustomer[]> {
    this.call('getCustomers');
    return this.customers.filter((c) => customerNos.includes(c.customerNo));
  }

  async findCustomersByExternalRefs(externalRefs: readonly string[]): Promise<ErpCustomer[]> {
    this.call('findCustomersByExternalRefs');
    return this.customers.filter((c) => c.externalRef !== null && externalRefs.includes(c.externalRef));
  }

  async listCustomers(): Promise<Page<ErpCustomer>> {
    return this.notUsed('listCustomers');
  }

  async createCustomer(): Promise<ErpCustomer> {
    return this.notUsed('createCustomer');
  }

  async updateCustomer(): Promise<ErpCustomer> {
    return this.notUsed('updateCustomer');
  }

  async getOpenBalances(customerNos: readonly string[]): Promise<ErpOpenBalance[]> {
    this.call('getOpenBalances');
    return this.customers
      .filter((c) => customerNos.includes(c.customerNo))
      .map((c) => {
        const open = this.invoices.filter((i) => i.customerNo === c.customerNo && (i.status === 'OPEN' || i.status === 'OVERDUE'));
        return { customerNo: c.customerNo, amount: formatAmount(sumAmounts(open.map((i) => i.amountDue))), currency: c.currency };
      });
  }

  async getProducts(skus: readonly string[]): Promise<ErpProduct[]> {
    this.call('getProducts');
    return this.products.filter((p) => skus.includes(p.sku));
  }

  async listProducts(params: ListParams): Promise<Page<ErpProduct>> {
    this.call('listProducts');
    return page(this.products, params);
  }

  async listWarehouses(): Promise<ErpWarehouse[]> {
    this.call('listWarehouses');
    return this.warehouses;
  }

  async getStockLevels(skus: readonly string[]): Promise<ErpStockLevel[]> {
    this.call('getStockLevels');
    return this.stock.filter((s) => skus.includes(s.sku));
  }

  async getSalesOrders(ids: readonly string[]): Promise<ErpSalesOrder[]> {
    this.call('getSalesOrders');
    return this.salesOrders.filter((o) => ids.includes(o.id));
  }

  async listSalesOrders(params: ListParams & { status?: ErpSalesOrderStatus; customerNo?: string }): Promise<Page<ErpSalesOrder>> {
    this.call('listSalesOrders');
    return page(
      this.salesOrders.filter((o) => (!params.status || o.status === params.status) && (!params.customerNo || o.customerNo === params.customerNo)),
      params,
    );
  }

  async listSalesOrdersByCustomers(customerNos: readonly string[], options: { status?: ErpSalesOrderStatus; perCustomer: number }): Promise<ErpSalesOrder[]> {
    this.call('listSalesOrdersByCustomers');
    return customerNos.flatMap((no) =>
      this.salesOrders
        .filter((o) => o.customerNo === no && (!options.status || o.status === options.status))
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
        .slice(0, options.perCustomer),
    );
  }

  async createSalesOrder(): Promise<ErpSalesOrder> {
    return this.notUsed('createSalesOrder');
  }

  async assessCredit(): Promise<ErpCreditAssessment> {
    return this.notUsed('assessCredit');
  }

  async reserveStock(): Promise<ErpSalesOrder> {
    return this.notUsed('reserveStock');
  }

  async releaseReservations(): Promise<ErpSalesOrder> {
    return this.notUsed('releaseReservations');
  }

  async setSalesOrderStatus(): Promise<ErpSalesOrder> {
    return this.notUsed('setSalesOrderStatus');
  }

  async getProductionOrders(ids: readonly string[]): Promise<ErpProductionOrder[]> {
    this.call('getProductionOrders');
    return this.productionOrders.filter((p) => ids.includes(p.id));
  }

  async listProductionOrdersBySalesOrders(salesOrderIds: readonly string[]): Promise<ErpProductionOrder[]> {
    this.call('listProductionOrdersBySalesOrders');
    return this.productionOrders.filter((p) => p.salesOrderId !== null && salesOrderIds.includes(p.salesOrderId));
  }

  async createProductionOrder(): Promise<ErpProductionOrder> {
    return this.notUsed('createProductionOrder');
  }

  async completeProductionOrder(id: string): Promise<ErpProductionOrder> {
    this.call('completeProductionOrder');
    const order = this.find(this.productionOrders, id, 'production order');
    if (order.status === 'CANCELLED') throw new AppError(ErrorCode.CONFLICT, `production order ${id} is cancelled`);
    Object.assign(order, { status: 'COMPLETED', version: order.version + 1 });
    return { ...order };
  }

  async cancelProductionOrder(): Promise<ErpProductionOrder> {
    return this.notUsed('cancelProductionOrder');
  }

  async getShipments(ids: readonly string[]): Promise<ErpShipment[]> {
    this.call('getShipments');
    return this.shipments.filter((s) => ids.includes(s.id));
  }

  async listShipmentsBySalesOrders(salesOrderIds: readonly string[]): Promise<ErpShipment[]> {
    this.call('listShipmentsBySalesOrders');
    return this.shipments.filter((s) => salesOrderIds.includes(s.salesOrderId));
  }

  async createShipment(): Promise<ErpShipment> {
    return this.notUsed('createShipment');
  }

  async confirmShipment(id: string, input: { carrier: string; trackingNumber: string }): Promise<ErpShipment> {
    this.call('confirmShipment');
    const shipment = this.find(this.shipments, id, 'shipment');
    if (shipment.status !== 'PENDING') throw new AppError(ErrorCode.CONFLICT, `shipment ${id} is ${shipment.status}`);
    Object.assign(shipment, { ...input, status: 'SHIPPED', shippedAt: '2026-03-02T09:00:00.000Z', version: shipment.version + 1 });
    return { ...shipment };
  }

  async cancelShipment(id: string): Promise<ErpShipment> {
    this.call('cancelShipment');
    const shipment = this.find(this.shipments, id, 'shipment');
    if (shipment.status === 'CANCELLED') return { ...shipment };
    if (shipment.status !== 'PENDING') throw new AppError(ErrorCode.CONFLICT, `shipment ${id} is ${shipment.status}`);
    Object.assign(shipment, { status: 'CANCELLED', version: shipment.version + 1 });
    return { ...shipment };
  }

  async getInvoices(ids: readonly string[]): Promise<ErpInvoice[]> {
    this.call('getInvoices');
    return this.invoices.filter((i) => ids.includes(i.id));
  }

  async listInvoicesByCustomers(customerNos: readonly string[], options: { status?: ErpInvoiceStatus }): Promise<ErpInvoice[]> {
    this.call('listInvoicesByCustomers');
    return this.invoices.filter((i) => customerNos.includes(i.customerNo) && (!options.status || i.status === options.status));
  }

  async listInvoicesBySalesOrders(salesOrderIds: readonly string[]): Promise<ErpInvoice[]> {
    this.call('listInvoicesBySalesOrders');
    return this.invoices.filter((i) => i.salesOrderId !== null && salesOrderIds.includes(i.salesOrderId));
  }

  async createInvoice(): Promise<ErpInvoice> {
    return this.notUsed('createInvoice');
  }

  async recordPayment(invoiceId: string, input: { amount: string; reference?: string | null }): Promise<ErpInvoice> {
    this.call('recordPayment');
    const invoice = this.find(this.invoices, invoiceId, 'invoice');
    const due = new Money(invoice.amountDue).minus(input.amount);
    if (due.isNegative()) throw new AppError(ErrorCode.BAD_USER_INPUT, `payment exceeds the amount due of ${invoice.number}`, { field: 'amount' });
    Object.assign(invoice, { amountDue: formatAmount(due), status: due.isZero() ? 'PAID' : invoice.status, version: invoice.version + 1 });
    return { ...invoice };
  }

  private find<Row extends { id: string }>(rows: Row[], id: string, what: string): Row {
    const row = rows.find((r) => r.id === id);
    if (!row) throw new AppError(ErrorCode.NOT_FOUND, `${what} ${id} not found`);
    return row;
  }

  private notUsed(operation: string): never {
    throw new AppError(ErrorCode.NOT_IMPLEMENTED, `${operation} is not part of the in-memory ERP`);
  }
}

/** Offset paging with the offset as cursor: enough for the subgraph, which passes cursors through. */
function page<Row>(rows: Row[], params: ListParams): Page<Row> {
  const start = params.after ? Number(Buffer.from(params.after, 'base64url').toString('utf8')) : 0;
  const size = params.first ?? 50;
  const items = rows.slice(start, start + size);
  const next = start + size < rows.length ? Buffer.from(String(start + size), 'utf8').toString('base64url') : null;
  return { items, nextCursor: next, totalCount: rows.length };
}
