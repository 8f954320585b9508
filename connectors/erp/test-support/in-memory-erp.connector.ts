import type {
  ErpConnector,
  ErpCreditAssessment,
  ErpCustomer,
  ErpCustomerInput,
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
} from '../erp.connector';
import type { ListParams, Page } from '../../page';
import { IdempotentReplies, copies, copyPage, definedFields, found, keysetPageOf, nextNumber } from '../../test-support/in-memory-backend';
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

/** A change a write made, as the backend's webhook announces it. */
export interface ErpChange {
  entity: 'customer' | 'productionOrder' | 'shipment' | 'invoice';
  entityId: string;
  version: number;
  action: 'created' | 'updated';
}

/** Default currency of a customer created without one, as the reference ERP has it. */
const DEFAULT_CURRENCY = 'EUR';

/** Sales order states in which stock is reserved for the order and production or shipping can be planned. */
const OPEN_ORDER_STATUSES: readonly ErpSalesOrderStatus[] = ['CONFIRMED', 'IN_PRODUCTION', 'READY_TO_SHIP', 'PARTIALLY_SHIPPED'];

/**
 * The ErpConnector over maps, for tests, keeping the reference ERP's promises: batch reads omit
 * unknown ids, lists are keyset pages in the backend's order, a write under a known idempotency key
 * returns its first answer (and one with another request is a CONFLICT), an external reference
 * links one customer only. Faults and the call journal come from ConnectorFaults around it.
 *
 * Stock is rows a test sets: completing production and confirming a shipment change the order's
 * documents, not stock levels. The sales-order writes whose rules are the ERP's own (credit,
 * reservations, status lifecycle, invoicing) are NOT_IMPLEMENTED rather than imitated; tests of
 * them run against the reference backend (order-flow-world.ts).
 */
export class InMemoryErpConnector implements ErpConnector {
  readonly customers = new Map<string, ErpCustomer>();
  readonly products = new Map<string, ErpProduct>();
  readonly warehouses = new Map<string, ErpWarehouse>();
  /** One row per product and warehouse holding it. */
  readonly stock: ErpStockLevel[] = [];
  readonly salesOrders = new Map<string, ErpSalesOrder>();
  readonly productionOrders = new Map<string, ErpProductionOrder>();
  readonly shipments = new Map<string, ErpShipment>();
  readonly invoices = new Map<string, ErpInvoice>();
  /** Told of every change a write made, as a backend's webhook would be (tests relay it to the event bus). */
  onChange?: (change: ErpChange) => void;
  private readonly replies = new IdempotentReplies();
  private readonly now: () => string;

  /** `now` stamps writes (ISO instant); default the real clock. */
  constructor(data: InMemoryErpData = {}, options: { now?: () => string } = {}) {
    this.now = options.now ?? (() => new Date().toISOString());
    this.load(data);
  }

  /** Forgets every record, stored answer and change listener, then holds `data`. */
  reset(data: InMemoryErpData = {}): void {
    for (const rows of [this.customers, this.products, this.warehouses, this.salesOrders, this.productionOrders, this.shipments, this.invoices]) rows.clear();
    this.stock.length = 0;
    this.replies.clear();
    this.onChange = undefined;
    this.load(data);
  }

  /** Puts a customer in place under the next free number, as if it had always been there (no change is announced). */
  seedCustomer(fields: Partial<ErpCustomer> & { name: string }): ErpCustomer {
    const now = this.now();
    const customer: ErpCustomer = {
      customerNo: `K-${nextNumber(this.customers.keys(), 'K-', 10001)}`,
      email: null,
      industry: null,
      country: null,
      externalRef: null,
      creditLimit: null,
      paymentTerms: null,
      currency: DEFAULT_CURRENCY,
      version: 1,
      createdAt: now,
      updatedAt: now,
      ...definedFields(fields),
      name: fields.name,
    };
    this.customers.set(customer.customerNo, customer);
    return structuredClone(customer);
  }

  // customers

  async getCustomers(customerNos: readonly string[]): Promise<ErpCustomer[]> {
    return found(this.customers, customerNos);
  }

  async findCustomersByExternalRefs(externalRefs: readonly string[]): Promise<ErpCustomer[]> {
    return copies([...this.customers.values()].filter((c) => c.externalRef !== null && externalRefs.includes(c.externalRef)));
  }

  async listCustomers(params: ListParams & { search?: string }): Promise<Page<ErpCustomer>> {
    const search = params.search?.toLowerCase();
    const rows = [...this.customers.values()].filter((c) => !search || [c.customerNo, c.name, c.email ?? ''].some((text) => text.toLowerCase().includes(search)));
    return copyPage(keysetPageOf(rows, params, { key: (c) => c.customerNo, browse: 'key', updatedAt: (c) => c.updatedAt }));
  }

  async createCustomer(input: ErpCustomerInput, idempotencyKey?: string): Promise<ErpCustomer> {
    return this.replies.run(idempotencyKey, ['createCustomer', input], () => {
      this.assertExternalRefFree(input.externalRef);
      const customer = this.seedCustomer({ ...input, currency: input.currency ?? DEFAULT_CURRENCY });
      return this.changed('customer', customer.customerNo, customer, 'created');
    });
  }

  async updateCustomer(customerNo: string, patch: Partial<ErpCustomerInput>, idempotencyKey?: string): Promise<ErpCustomer> {
    return this.replies.run(idempotencyKey, ['updateCustomer', customerNo, patch], () => {
      const customer = this.customers.get(customerNo);
      if (!customer) throw new AppError(ErrorCode.NOT_FOUND, `customer ${customerNo} does not exist`, { customerNo });
      this.assertExternalRefFree(patch.externalRef, customerNo);
      const updated = this.bump({ ...customer, ...definedFields(patch) });
      this.customers.set(customerNo, updated);
      return this.changed('customer', customerNo, updated, 'updated');
    });
  }

  async getOpenBalances(customerNos: readonly string[]): Promise<ErpOpenBalance[]> {
    return customerNos.flatMap((customerNo) => {
      const customer = this.customers.get(customerNo);
      if (!customer) return [];
      const open = [...this.invoices.values()].filter((i) => i.customerNo === customerNo && (i.status === 'OPEN' || i.status === 'OVERDUE'));
      return [{ customerNo, amount: formatAmount(sumAmounts(open.map((i) => i.amountDue))), currency: customer.currency }];
    });
  }

  // catalogue and stock

  async getProducts(skus: readonly string[]): Promise<ErpProduct[]> {
    return found(this.products, skus);
  }

  async listProducts(params: ListParams): Promise<Page<ErpProduct>> {
    return copyPage(keysetPageOf(this.products.values(), params, { key: (p) => p.sku, browse: 'key', updatedAt: (p) => p.updatedAt }));
  }

  async listWarehouses(): Promise<ErpWarehouse[]> {
    return copies([...this.warehouses.values()].sort((a, b) => a.code.localeCompare(b.code)));
  }

  async getStockLevels(skus: readonly string[]): Promise<ErpStockLevel[]> {
    return copies(this.stock.filter((s) => skus.includes(s.sku)));
  }

  // sales orders

  async getSalesOrders(ids: readonly string[]): Promise<ErpSalesOrder[]> {
    return found(this.salesOrders, ids);
  }

  async listSalesOrders(params: ListParams & { status?: ErpSalesOrderStatus; customerNo?: string }): Promise<Page<ErpSalesOrder>> {
    const rows = [...this.salesOrders.values()].filter((o) => (!params.status || o.status === params.status) && (!params.customerNo || o.customerNo === params.customerNo));
    return copyPage(keysetPageOf(rows, params, { key: (o) => o.id, browse: 'newest', createdAt: (o) => o.createdAt, updatedAt: (o) => o.updatedAt }));
  }

  async listSalesOrdersByCustomers(customerNos: readonly string[], options: { status?: ErpSalesOrderStatus; perCustomer: number }): Promise<ErpSalesOrder[]> {
    const newestFirst = (a: ErpSalesOrder, b: ErpSalesOrder) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id);
    return copies(
      customerNos.flatMap((customerNo) =>
        [...this.salesOrders.values()]
          .filter((o) => o.customerNo === customerNo && (!options.status || o.status === options.status))
          .sort(newestFirst)
          .slice(0, options.perCustomer),
      ),
    );
  }

  async createSalesOrder(): Promise<ErpSalesOrder> {
    return notImplemented('createSalesOrder');
  }

  async assessCredit(): Promise<ErpCreditAssessment> {
    return notImplemented('assessCredit');
  }

  async reserveStock(): Promise<ErpSalesOrder> {
    return notImplemented('reserveStock');
  }

  async releaseReservations(): Promise<ErpSalesOrder> {
    return notImplemented('releaseReservations');
  }

  async setSalesOrderStatus(): Promise<ErpSalesOrder> {
    return notImplemented('setSalesOrderStatus');
  }

  // production

  async getProductionOrders(ids: readonly string[]): Promise<ErpProductionOrder[]> {
    return found(this.productionOrders, ids);
  }

  async listProductionOrdersBySalesOrders(salesOrderIds: readonly string[]): Promise<ErpProductionOrder[]> {
    return copies([...this.productionOrders.values()].filter((p) => p.salesOrderId !== null && salesOrderIds.includes(p.salesOrderId)));
  }

  async createProductionOrder(input: { sku: string; quantity: number; salesOrderId?: string }, idempotencyKey?: string): Promise<ErpProductionOrder> {
    return this.replies.run(idempotencyKey, ['createProductionOrder', input], () => {
      const product = this.products.get(input.sku);
      if (!product) throw new AppError(ErrorCode.NOT_FOUND, `product ${input.sku} does not exist`, { field: 'sku' });
      if (!product.manufactured) throw new AppError(ErrorCode.BAD_USER_INPUT, `sku: product ${input.sku} is purchased, not manufactured`, { field: 'sku' });
      if (input.salesOrderId) this.openSalesOrder(input.salesOrderId, 'production can be planned only for open orders');
      const id = `MO-${nextNumber(this.productionOrders.keys(), 'MO-', 50001)}`;
      const now = this.now();
      const order: ErpProductionOrder = { id, number: id, sku: input.sku, quantity: input.quantity, status: 'PLANNED', salesOrderId: input.salesOrderId ?? null, version: 1, createdAt: now, updatedAt: now };
      this.productionOrders.set(id, order);
      return this.changed('productionOrder', id, order, 'created');
    });
  }

  async completeProductionOrder(id: string, idempotencyKey?: string): Promise<ErpProductionOrder> {
    return this.replies.run(idempotencyKey, ['completeProductionOrder', id], () => {
      const order = this.existing(this.productionOrders, id, 'production order');
      if (order.status === 'COMPLETED') return order;
      if (order.status === 'CANCELLED') throw new AppError(ErrorCode.CONFLICT, `production order ${id} is CANCELLED and cannot be completed`, { status: order.status });
      return this.changed('productionOrder', id, this.put(this.productionOrders, id, { ...order, status: 'COMPLETED' }), 'updated');
    });
  }

  async cancelProductionOrder(id: string, idempotencyKey?: string): Promise<ErpProductionOrder> {
    return this.replies.run(idempotencyKey, ['cancelProductionOrder', id], () => {
      const order = this.existing(this.productionOrders, id, 'production order');
      if (order.status === 'CANCELLED') return order;
      if (order.status === 'COMPLETED') throw new AppError(ErrorCode.CONFLICT, `production order ${id} is COMPLETED and cannot be cancelled`, { status: order.status });
      return this.changed('productionOrder', id, this.put(this.productionOrders, id, { ...order, status: 'CANCELLED' }), 'updated');
    });
  }

  // shipping

  async getShipments(ids: readonly string[]): Promise<ErpShipment[]> {
    return found(this.shipments, ids);
  }

  async listShipmentsBySalesOrders(salesOrderIds: readonly string[]): Promise<ErpShipment[]> {
    return copies([...this.shipments.values()].filter((s) => salesOrderIds.includes(s.salesOrderId)));
  }

  /** A PENDING shipment of what the order has reserved and no pending shipment covers yet; nothing left is a CONFLICT. */
  async createShipment(salesOrderId: string, idempotencyKey?: string): Promise<ErpShipment> {
    return this.replies.run(idempotencyKey, ['createShipment', salesOrderId], () => {
      const order = this.openSalesOrder(salesOrderId, 'it cannot be shipped');
      const pending = [...this.shipments.values()].filter((s) => s.salesOrderId === salesOrderId && s.status === 'PENDING').flatMap((s) => s.lines);
      const lines = order.lines
        .map((line) => ({ sku: line.sku, quantity: line.reservedQuantity - pending.filter((p) => p.sku === line.sku).reduce((sum, p) => sum + p.quantity, 0) }))
        .filter((line) => line.quantity > 0);
      if (lines.length === 0) throw new AppError(ErrorCode.CONFLICT, `sales order ${salesOrderId} has no reserved stock left to ship`);
      const id = `SH-${nextNumber(this.shipments.keys(), 'SH-', 70001)}`;
      const now = this.now();
      const shipment: ErpShipment = { id, number: id, salesOrderId, status: 'PENDING', carrier: null, trackingNumber: null, shippedAt: null, lines, version: 1, createdAt: now, updatedAt: now };
      this.shipments.set(id, shipment);
      return this.changed('shipment', id, shipment, 'created');
    });
  }

  async confirmShipment(id: string, input: { carrier: string; trackingNumber: string }, idempotencyKey?: string): Promise<ErpShipment> {
    return this.replies.run(idempotencyKey, ['confirmShipment', id, input], () => {
      const shipment = this.existing(this.shipments, id, 'shipment');
      if (shipment.status !== 'PENDING') throw new AppError(ErrorCode.CONFLICT, `shipment ${id} is ${shipment.status}, not PENDING`, { status: shipment.status });
      const shipped = this.put(this.shipments, id, { ...shipment, carrier: input.carrier, trackingNumber: input.trackingNumber, status: 'SHIPPED', shippedAt: this.now() });
      return this.changed('shipment', id, shipped, 'updated');
    });
  }

  async cancelShipment(id: string, idempotencyKey?: string): Promise<ErpShipment> {
    return this.replies.run(idempotencyKey, ['cancelShipment', id], () => {
      const shipment = this.existing(this.shipments, id, 'shipment');
      if (shipment.status === 'CANCELLED') return shipment;
      if (shipment.status !== 'PENDING') throw new AppError(ErrorCode.CONFLICT, `shipment ${id} is ${shipment.status} and cannot be cancelled`, { status: shipment.status });
      return this.changed('shipment', id, this.put(this.shipments, id, { ...shipment, status: 'CANCELLED' }), 'updated');
    });
  }

  // finance

  async getInvoices(ids: readonly string[]): Promise<ErpInvoice[]> {
    return found(this.invoices, ids);
  }

  async listInvoicesByCustomers(customerNos: readonly string[], options: { status?: ErpInvoiceStatus }): Promise<ErpInvoice[]> {
    return copies([...this.invoices.values()].filter((i) => customerNos.includes(i.customerNo) && (!options.status || i.status === options.status)));
  }

  async listInvoicesBySalesOrders(salesOrderIds: readonly string[]): Promise<ErpInvoice[]> {
    return copies([...this.invoices.values()].filter((i) => i.salesOrderId !== null && salesOrderIds.includes(i.salesOrderId)));
  }

  async createInvoice(): Promise<ErpInvoice> {
    return notImplemented('createInvoice');
  }

  /** amountDue drops by the payment, PAID at zero; more than is due is BAD_USER_INPUT on amount. */
  async recordPayment(invoiceId: string, input: { amount: string; reference?: string | null }, idempotencyKey?: string): Promise<ErpInvoice> {
    return this.replies.run(idempotencyKey, ['recordPayment', invoiceId, input], () => {
      const invoice = this.existing(this.invoices, invoiceId, 'invoice');
      const due = new Money(invoice.amountDue).minus(input.amount);
      if (due.isNegative()) throw new AppError(ErrorCode.BAD_USER_INPUT, `payment exceeds the amount due of ${invoice.number}`, { field: 'amount' });
      const paid = this.put(this.invoices, invoiceId, { ...invoice, amountDue: formatAmount(due), status: due.isZero() ? 'PAID' : invoice.status });
      return this.changed('invoice', invoiceId, paid, 'updated');
    });
  }

  private load(data: InMemoryErpData): void {
    for (const c of data.customers ?? []) this.customers.set(c.customerNo, structuredClone(c));
    for (const p of data.products ?? []) this.products.set(p.sku, structuredClone(p));
    for (const w of data.warehouses ?? []) this.warehouses.set(w.code, structuredClone(w));
    this.stock.push(...structuredClone(data.stock ?? []));
    for (const o of data.salesOrders ?? []) this.salesOrders.set(o.id, structuredClone(o));
    for (const o of data.productionOrders ?? []) this.productionOrders.set(o.id, structuredClone(o));
    for (const s of data.shipments ?? []) this.shipments.set(s.id, structuredClone(s));
    for (const i of data.invoices ?? []) this.invoices.set(i.id, structuredClone(i));
  }

  private assertExternalRefFree(externalRef: string | null | undefined, customerNo?: string): void {
    if (!externalRef) return;
    const holder = [...this.customers.values()].find((c) => c.externalRef === externalRef);
    if (holder && holder.customerNo !== customerNo) {
      throw new AppError(ErrorCode.CONFLICT, `externalRef ${externalRef} is already linked to customer ${holder.customerNo}`, { field: 'externalRef', customerNo: holder.customerNo });
    }
  }

  private openSalesOrder(id: string, refusal: string): ErpSalesOrder {
    const order = this.salesOrders.get(id);
    if (!order) throw new AppError(ErrorCode.NOT_FOUND, `sales order ${id} does not exist`, { field: 'salesOrderId' });
    if (!OPEN_ORDER_STATUSES.includes(order.status)) throw new AppError(ErrorCode.CONFLICT, `sales order ${id} is ${order.status}; ${refusal}`, { status: order.status });
    return order;
  }

  private existing<Row>(rows: Map<string, Row>, id: string, what: string): Row {
    const row = rows.get(id);
    if (!row) throw new AppError(ErrorCode.NOT_FOUND, `${what} ${id} does not exist`);
    return row;
  }

  private bump<Row extends { version: number; updatedAt: string }>(row: Row): Row {
    return { ...row, version: row.version + 1, updatedAt: this.now() };
  }

  private put<Row extends { version: number; updatedAt: string }>(rows: Map<string, Row>, id: string, row: NoInfer<Row>): Row {
    const stored = this.bump(row);
    rows.set(id, stored);
    return stored;
  }

  private changed<Row extends { version: number }>(entity: ErpChange['entity'], entityId: string, row: Row, action: ErpChange['action']): Row {
    this.onChange?.({ entity, entityId, version: row.version, action });
    return row;
  }
}

function notImplemented(operation: string): never {
  throw new AppError(ErrorCode.NOT_IMPLEMENTED, `${operation} is not part of the in-memory ERP: its rules are the reference backend's`);
}
