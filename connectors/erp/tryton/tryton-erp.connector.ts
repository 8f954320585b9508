import { createHash } from 'node:crypto';
import { AppError, ErrorCode } from '../../../platform/errors';
import { Money, formatAmount } from '../../../platform/money';
import type { ServiceMetrics } from '../../../platform/metrics';
import type { ListParams, Page } from '../../page';
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
  ErpProductionOrderStatus,
  ErpSalesOrder,
  ErpSalesOrderInput,
  ErpSalesOrderLine,
  ErpSalesOrderStatus,
  ErpShipment,
  ErpShipmentStatus,
  ErpStockLevel,
  ErpWarehouse,
} from '../erp.connector';
import { KeyedMutex } from './keyed-mutex';
import { TrytonRpc, date, datetime, decimal } from './tryton-rpc';

/** How the connector reaches Tryton. */
export interface TrytonErpConnectorOptions {
  /** trytond's web root, e.g. http://127.0.0.1:8000 */
  url: string;
  database: string;
  login: string;
  password: string;
  timeoutMs?: number;
  /** Counts every RPC in connector_requests_total{system="erp",operation}. */
  metrics?: ServiceMetrics;
  /** The limit a party without one is held to (Tryton itself would not check it); default 10000.00, like the reference ERP. */
  defaultCreditLimit?: string;
}

/** Largest page served. */
const MAX_FIRST = 500;
/** Ids per `('id', 'in', …)` read. */
const CHUNK = 500;

/** Where the connector keeps an idempotency key on a Tryton record that has no field for it. */
const KEY_PREFIX = 'key:';
/** The party identifier holding the CRM account id. */
const EXTERNAL_REF_PREFIX = 'crm:';

/** The parties that are customers: the ones numbered by the customer sequence (not the company, not employees). */
export const CUSTOMER_DOMAIN: readonly unknown[] = [['code', 'like', 'K-%']];

type Row = Record<string, unknown>;

/**
 * The ErpConnector over a Tryton 6.0 database (modules sale, stock, production, account_invoice,
 * account_invoice_stock, sale_credit_limit), through Tryton's JSON-RPC only.
 *
 * Tryton keeps no idempotency keys: a keyed create stores its key on the record (the sale's
 * description, a party identifier, the production's reference, the payment line's description),
 * looks it up before creating, and after creating looks again: of two concurrent creates with one
 * key the older record wins and the other is deleted while still a draft. Calls with one key in
 * this process also run one at a time. Workflow buttons are only pressed from the states they
 * leave, so a replayed step changes nothing.
 *
 * Tryton's `assign_try` gives a waiting shipment whatever is on stock, so a production's output
 * could be taken by another sale's reservation between the production's `done` and its own sale's
 * reservation, leaving that sale waiting for units that were made for it. So a reservation leaves
 * alone what finished productions made for other sales still waiting for it (it tries nothing
 * when that output is all there is, and gives back what it took when such a production finished
 * while it ran: the sale then plans production for its own need). In one process, reservations and
 * a production's completion with its sale's reservation also run one at a time; across processes
 * (the ERP subgraph completes productions, the integration reserves) the check above holds.
 *
 * Ids are Tryton's record ids as strings; numbers are Tryton's document numbers.
 */
export class TrytonErpConnector implements ErpConnector {
  readonly rpc: TrytonRpc;
  private readonly keys = new KeyedMutex();
  /** Serialises reservations (see above): a production's output goes to its own sale first. */
  private readonly stockAssignment = new KeyedMutex();
  private companyCurrency?: Promise<string>;

  private readonly defaultCreditLimit: string;

  constructor(options: TrytonErpConnectorOptions) {
    this.defaultCreditLimit = options.defaultCreditLimit ?? '10000.00';
    const counter = options.metrics?.connectorRequests;
    this.rpc = new TrytonRpc({
      url: options.url,
      database: options.database,
      login: options.login,
      password: options.password,
      timeoutMs: options.timeoutMs,
      onRequest: counter ? (operation) => counter.inc({ system: 'erp', operation }) : undefined,
    });
  }

  close(): Promise<void> {
    return this.rpc.close();
  }

  // customers

  async getCustomers(customerNos: readonly string[]): Promise<ErpCustomer[]> {
    return this.readCustomers('getCustomers', chunked(customerNos, (codes) => [['code', 'in', codes]]));
  }

  async findCustomersByExternalRefs(externalRefs: readonly string[]): Promise<ErpCustomer[]> {
    return this.readCustomers('findCustomersByExternalRefs', chunked(externalRefs, (refs) => [['identifiers.code', 'in', refs.map((r) => EXTERNAL_REF_PREFIX + r)]]));
  }

  async listCustomers(params: ListParams & { search?: string }): Promise<Page<ErpCustomer>> {
    const domain: unknown[] = [...CUSTOMER_DOMAIN];
    if (params.search) domain.push(['OR', ['name', 'ilike', `%${escapeLike(params.search)}%`], ['code', 'ilike', `%${escapeLike(params.search)}%`]]);
    return this.page('listCustomers', 'party.party', domain, params, (rows) => this.customersOf('listCustomers', rows));
  }

  async createCustomer(input: ErpCustomerInput, idempotencyKey?: string): Promise<ErpCustomer> {
    return this.once(idempotencyKey, async () => {
      const operation = 'createCustomer';
      const keyed = idempotencyKey ? keyMark(idempotencyKey, input) : null;
      const keyDomain = keyed ? [['identifiers.code', 'like', keyed.like]] : null;
      if (keyDomain && keyed) {
        const marks = await this.rpc.searchRead<Row>(operation, 'party.identifier', [['code', 'like', keyed.like]], ['code', 'party'], { order: [['id', 'ASC']] });
        if (marks.length) {
          if (marks[0].code !== keyed.mark) throw reusedKey(operation);
          const [existing] = await this.readCustomers(operation, [[['id', '=', marks[0].party]]]);
          return existing;
        }
      }
      const values = await this.partyValues(operation, input, true);
      const identifiers: Row[] = [];
      if (input.externalRef) identifiers.push({ type: null, code: EXTERNAL_REF_PREFIX + input.externalRef });
      if (keyed) identifiers.push({ type: null, code: keyed.mark });
      if (identifiers.length) values.identifiers = [['create', identifiers]];
      const [id] = await this.rpc.model<number[]>(operation, 'party.party', 'create', [[values]]);
      if (keyDomain) await this.keepOldest(operation, 'party.party', keyDomain, id);
      const [winner] = await this.rpc.searchRead<Row>(operation, 'party.party', keyDomain ?? [['id', '=', id]], PARTY_FIELDS, { order: [['id', 'ASC']], limit: 1 });
      const [created] = await this.customersOf(operation, [winner]);
      return created;
    });
  }

  async updateCustomer(customerNo: string, patch: Partial<ErpCustomerInput>, idempotencyKey?: string): Promise<ErpCustomer> {
    return this.once(idempotencyKey, async () => {
      const operation = 'updateCustomer';
      const [party] = await this.rpc.searchRead<Row>(operation, 'party.party', [['code', '=', customerNo]], ['id', 'identifiers', 'addresses', 'contact_mechanisms']);
      if (!party) throw new AppError(ErrorCode.NOT_FOUND, `customer ${customerNo} not found`, { system: 'erp', operation });
      const values = await this.partyValues(operation, patch, false);
      if (patch.email !== undefined) {
        const emails = await this.rpc.searchRead<Row>(operation, 'party.contact_mechanism', [['party', '=', party.id], ['type', '=', 'email']], ['id']);
        const ops: unknown[] = [];
        if (emails.length) ops.push(['delete', emails.map((e) => e.id)]);
        if (patch.email) ops.push(['create', [{ type: 'email', value: patch.email }]]);
        if (ops.length) values.contact_mechanisms = ops;
      }
      if (patch.country !== undefined) {
        const addresses = party.addresses as number[];
        const country = patch.country ? await this.countryId(operation, patch.country) : null;
        if (addresses.length) await this.rpc.model(operation, 'party.address', 'write', [[addresses[0]], { country }]);
        else values.addresses = [['create', [{ country }]]];
      }
      if (patch.externalRef !== undefined) {
        const refs = await this.rpc.searchRead<Row>(operation, 'party.identifier', [['party', '=', party.id], ['code', 'like', `${EXTERNAL_REF_PREFIX}%`]], ['id']);
        const ops: unknown[] = [];
        if (refs.length) ops.push(['delete', refs.map((r) => r.id)]);
        if (patch.externalRef) ops.push(['create', [{ type: null, code: EXTERNAL_REF_PREFIX + patch.externalRef }]]);
        if (ops.length) values.identifiers = ops;
      }
      if (Object.keys(values).length) await this.rpc.model(operation, 'party.party', 'write', [[party.id], values]);
      const [updated] = await this.getCustomers([customerNo]);
      return updated;
    });
  }

  async getOpenBalances(customerNos: readonly string[]): Promise<ErpOpenBalance[]> {
    const distinct = [...new Set(customerNos)];
    if (!distinct.length) return [];
    const currency = await this.currency();
    const parties = await this.rpc.searchRead<Row>('getOpenBalances', 'party.party', [['code', 'in', distinct]], ['code']);
    const invoices = await this.rpc.searchRead<Row>('getOpenBalances', 'account.invoice', [['party.code', 'in', distinct], ['type', '=', 'out'], ['state', '=', 'posted']], ['party.code', 'amount_to_pay']);
    const sums = new Map<string, bigint>();
    for (const invoice of invoices) {
      const code = String((invoice['party.'] as Row).code);
      sums.set(code, (sums.get(code) ?? 0n) + cents(String(invoice.amount_to_pay)));
    }
    return parties.map((p) => ({ customerNo: String(p.code), amount: fromCents(sums.get(String(p.code)) ?? 0n), currency }));
  }

  // catalogue and stock

  async getProducts(skus: readonly string[]): Promise<ErpProduct[]> {
    const rows = await this.readAll('getProducts', 'product.product', chunked(skus, (codes) => [['code', 'in', codes]]), PRODUCT_FIELDS);
    return this.productsOf(rows);
  }

  async listProducts(params: ListParams): Promise<Page<ErpProduct>> {
    return this.page('listProducts', 'product.product', [['code', '!=', null]], params, (rows) => this.productsOf(rows), PRODUCT_FIELDS);
  }

  async listWarehouses(): Promise<ErpWarehouse[]> {
    const rows = await this.rpc.searchRead<Row>('listWarehouses', 'stock.location', [['type', '=', 'warehouse']], ['code', 'name'], { order: [['code', 'ASC']] });
    return rows.map((r) => ({ code: String(r.code), name: String(r.name) }));
  }

  async getStockLevels(skus: readonly string[]): Promise<ErpStockLevel[]> {
    const operation = 'getStockLevels';
    const distinct = [...new Set(skus)];
    if (!distinct.length) return [];
    const warehouses = await this.rpc.searchRead<Row>(operation, 'stock.location', [['type', '=', 'warehouse']], ['code', 'storage_location']);
    const products = await this.rpc.searchRead<Row>(operation, 'product.product', [['code', 'in', distinct]], ['code']);
    if (!products.length) return [];
    const productIds = products.map((p) => p.id as number);
    const skuOf = new Map(products.map((p) => [p.id as number, String(p.code)]));
    const today = new Date().toISOString().slice(0, 10);
    // On hand: done moves only (Tryton's `quantity` at today); reserved: moves assigned out of a warehouse.
    const [perWarehouse, assigned] = await Promise.all([
      Promise.all(
        warehouses.map((w) =>
          this.rpc.searchRead<Row>(operation, 'product.product', [['id', 'in', productIds]], ['quantity'], { context: { locations: [w.id], stock_date_end: date(today), with_childs: true } }),
        ),
      ),
      this.rpc.searchRead<Row>(operation, 'stock.move', [['product', 'in', productIds], ['state', '=', 'assigned'], ['from_location.type', '=', 'storage']], ['product', 'quantity', 'from_location']),
    ]);
    const storageOf = await this.warehouseOfStorage(operation, warehouses);
    const levels: ErpStockLevel[] = [];
    warehouses.forEach((w, index) => {
      for (const row of perWarehouse[index]) {
        const reserved = assigned.filter((m) => m.product === row.id && storageOf.get(m.from_location as number) === w.id).reduce((sum, m) => sum + Number(m.quantity), 0);
        const onHand = Number(row.quantity);
        if (onHand === 0 && reserved === 0) continue;
        levels.push({ sku: skuOf.get(row.id as number)!, warehouseCode: String(w.code), onHand, reserved });
      }
    });
    return levels;
  }

  // sales orders

  async getSalesOrders(ids: readonly string[]): Promise<ErpSalesOrder[]> {
    const rows = await this.readAll('getSalesOrders', 'sale.sale', chunked(numericIds(ids), (chunk) => [['id', 'in', chunk]]), SALE_FIELDS);
    return this.salesOrdersOf('getSalesOrders', rows);
  }

  async listSalesOrders(params: ListParams & { status?: ErpSalesOrderStatus; customerNo?: string }): Promise<Page<ErpSalesOrder>> {
    const domain: unknown[] = [];
    if (params.customerNo) domain.push(['party.code', '=', params.customerNo]);
    // The status depends on shipments, invoices and productions: filter after mapping.
    if (params.status) {
      const all = await this.readAll('listSalesOrders', 'sale.sale', [[...domain, ...updatedDomain(params.updatedSince)]], SALE_FIELDS, [['id', 'DESC']]);
      const orders = (await this.salesOrdersOf('listSalesOrders', all)).filter((o) => o.status === params.status);
      const after = params.after ? Number(params.after) : Infinity;
      const rest = orders.filter((o) => Number(o.id) < after);
      const first = Math.min(params.first ?? 50, MAX_FIRST);
      const items = rest.slice(0, first);
      return { items, totalCount: orders.length, nextCursor: rest.length > first ? items[items.length - 1].id : null };
    }
    return this.page('listSalesOrders', 'sale.sale', domain, params, (rows) => this.salesOrdersOf('listSalesOrders', rows), SALE_FIELDS, 'DESC');
  }

  async listSalesOrdersByCustomers(customerNos: readonly string[], options: { status?: ErpSalesOrderStatus; perCustomer: number }): Promise<ErpSalesOrder[]> {
    const rows = await this.readAll('listSalesOrdersByCustomers', 'sale.sale', chunked(customerNos, (codes) => [['party.code', 'in', codes]]), SALE_FIELDS, [['id', 'DESC']]);
    const orders = (await this.salesOrdersOf('listSalesOrdersByCustomers', rows)).filter((o) => !options.status || o.status === options.status);
    const counts = new Map<string, number>();
    return orders.filter((o) => {
      const n = (counts.get(o.customerNo) ?? 0) + 1;
      counts.set(o.customerNo, n);
      return n <= options.perCustomer;
    });
  }

  /**
   * The credit decision an order of these lines would get now: posted invoices still to pay plus
   * confirmed or processing sales not invoiced yet, plus this order, against the party's limit (the
   * default when it has none). One company currency, so no currency can mismatch. Reads only; Tryton
   * checks the limit again itself when the sale is confirmed.
   */
  async assessCredit(customerNo: string, lines: ErpSalesOrderInput['lines']): Promise<ErpCreditAssessment> {
    const operation = 'assessCredit';
    const [[customer], [balance], products, currency] = await Promise.all([
      this.getCustomers([customerNo]),
      this.getOpenBalances([customerNo]),
      this.getProducts(lines.map((l) => l.sku)),
      this.currency(),
    ]);
    if (!customer) throw new AppError(ErrorCode.NOT_FOUND, `no customer ${customerNo}`, { field: 'customerNo' });
    const uninvoiced = await this.rpc.searchRead<Row>(operation, 'sale.sale', [['party.code', '=', customerNo], ['state', 'in', ['confirmed', 'processing']], ['invoice_state', '=', 'none']], ['total_amount']);
    const prices = new Map(products.map((p) => [p.sku, p.unitPrice]));
    let orderTotal = new Money(0);
    for (const line of lines) {
      const price = line.unitPrice ?? prices.get(line.sku);
      if (price === undefined) throw new AppError(ErrorCode.NOT_FOUND, `product ${line.sku} does not exist in the ERP`, { field: 'sku' });
      orderTotal = orderTotal.plus(new Money(price).times(line.quantity));
    }
    const exposure = uninvoiced.reduce((sum, sale) => sum.plus(new Money(String(sale.total_amount ?? '0'))), new Money(balance?.amount ?? '0'));
    const creditLimit = new Money(customer.creditLimit ?? this.defaultCreditLimit);
    return {
      customerNo,
      currency,
      creditLimit: formatAmount(creditLimit),
      defaultLimit: customer.creditLimit === null,
      exposure: formatAmount(exposure),
      orderTotal: formatAmount(orderTotal),
      approved: exposure.plus(orderTotal).lte(creditLimit),
    };
  }

  async createSalesOrder(input: ErpSalesOrderInput, idempotencyKey?: string): Promise<ErpSalesOrder> {
    return this.once(idempotencyKey, async () => {
      const operation = 'createSalesOrder';
      // Finance's approval is not part of the request a key stands for: the order refused on credit
      // is confirmed under the same key once approved.
      const { creditApprovedBy, ...request } = input;
      const keyed = idempotencyKey ? keyMark(idempotencyKey, request) : null;
      const keyDomain = keyed ? [['description', 'like', keyed.like]] : null;
      let [sale] = keyDomain ? await this.rpc.searchRead<Row>(operation, 'sale.sale', keyDomain, ['id', 'state', 'description'], { order: [['id', 'ASC']] }) : [];
      if (sale && keyed && sale.description !== keyed.mark) throw reusedKey(operation);
      if (!sale) {
        if (!input.lines.length) throw new AppError(ErrorCode.BAD_USER_INPUT, 'an order needs at least one line', { system: 'erp', operation, field: 'lines' });
        const [party] = await this.rpc.searchRead<Row>(operation, 'party.party', [['code', '=', input.customerNo]], ['id', 'addresses', 'customer_payment_term']);
        if (!party) throw new AppError(ErrorCode.NOT_FOUND, `customer ${input.customerNo} not found`, { system: 'erp', operation });
        const products = await this.rpc.searchRead<Row>(operation, 'product.product', [['code', 'in', input.lines.map((l) => l.sku)]], ['code', 'default_uom', 'list_price']);
        const bySku = new Map(products.map((p) => [String(p.code), p]));
        const lines = input.lines.map((line, index) => {
          const product = bySku.get(line.sku);
          if (!product) throw new AppError(ErrorCode.NOT_FOUND, `product ${line.sku} not found`, { system: 'erp', operation, field: `lines.${index}.sku` });
          return { type: 'line', sequence: index + 1, product: product.id, unit: product.default_uom, quantity: line.quantity, unit_price: decimal(line.unitPrice ?? String(product.list_price)), description: line.sku };
        });
        let address = (party.addresses as number[])[0];
        if (address === undefined) [address] = await this.rpc.model<number[]>(operation, 'party.address', 'create', [[{ party: party.id }]]);
        const [warehouse] = await this.rpc.searchRead<Row>(operation, 'stock.location', [['type', '=', 'warehouse']], ['id'], { order: [['code', 'ASC']], limit: 1 });
        const [id] = await this.rpc.model<number[]>(operation, 'sale.sale', 'create', [
          [
            {
              party: party.id,
              // Orders ship from the first warehouse by code (the reference ERP's main one).
              warehouse: warehouse?.id ?? null,
              invoice_address: address,
              shipment_address: address,
              payment_term: party.customer_payment_term ?? null,
              reference: input.externalRef ?? null,
              description: keyed?.mark ?? null,
              sale_date: date(new Date().toISOString()),
              lines: [['create', lines]],
            },
          ],
        ]);
        if (keyDomain) await this.keepOldest(operation, 'sale.sale', keyDomain, id);
        [sale] = await this.rpc.searchRead<Row>(operation, 'sale.sale', keyDomain ?? [['id', '=', id]], ['id', 'state'], { order: [['id', 'ASC']] });
      }
      if ((input.status ?? 'CONFIRMED') === 'CONFIRMED') await this.confirmSale(operation, sale.id as number, creditApprovedBy ?? null);
      const [order] = await this.getSalesOrders([String(sale.id)]);
      return order;
    });
  }

  async reserveStock(salesOrderId: string, idempotencyKey?: string): Promise<ErpSalesOrder> {
    return this.once(idempotencyKey, async () => {
      const operation = 'reserveStock';
      await this.assigningStock(() => this.assignWaitingShipments(operation, salesOrderId));
      return this.mustGetOrder(operation, salesOrderId);
    });
  }

  /** Runs `task` while no other reservation of this connector runs (see the class comment). */
  private assigningStock<T>(task: () => Promise<T>): Promise<T> {
    return this.stockAssignment.run('stock', task);
  }

  /** Tries to reserve a sale's waiting shipments; only inside assigningStock. */
  private async assignWaitingShipments(operation: string, salesOrderId: string): Promise<void> {
    const shipments = await this.shipmentsOfSale(operation, salesOrderId);
    await this.assignShipments(operation, salesOrderId, shipments.filter((s) => s.state === 'waiting').map((s) => s.id as number));
  }

  /**
   * `assign_try` on a sale's waiting shipments, leaving other sales' production output alone (see
   * the class comment): not tried when this sale would take some of it, undone (`wait`) when a
   * production of another sale finished while it ran and its sale is now short of its output (or
   * when that cannot be told: the sale then plans production, which costs stock, not an order).
   * A sale with finished output of its own is not held back by others' when what is free covers
   * it: units lost some other way must not leave every waiting sale of a product waiting.
   */
  private async assignShipments(operation: string, salesOrderId: string, shipmentIds: number[]): Promise<void> {
    if (!shipmentIds.length) return;
    const picks = await this.unreservedPicks(operation, shipmentIds);
    if (!picks.length) return;
    const need = new Map<string, number>();
    for (const pick of picks) {
      const key = `${pick.product as number}@${pick.from_location as number}`;
      need.set(key, (need.get(key) ?? 0) + Number(pick.quantity));
    }
    const [before, ownOutput] = await Promise.all([this.othersOutput(operation, salesOrderId, picks), this.finishedOutputOf(operation, salesOrderId)]);
    const heldBack = ([key, quantity]: [string, number]) => {
      const stock = before.get(key);
      if (!stock || stock.spokenFor === 0) return false;
      if (ownOutput.has(Number(key.split('@')[0])) && stock.free >= quantity) return false;
      return stock.free - stock.spokenFor < quantity;
    };
    if ([...need].some(heldBack)) return;
    await this.rpc.model(operation, 'stock.shipment.out', 'assign_try', [shipmentIds]);
    if (ownOutput.size > 0) return;
    const after = await this.othersOutput(operation, salesOrderId, picks).catch(() => null);
    if (after === null || [...after.values()].some((stock) => stock.free < stock.spokenFor)) await this.rpc.model(operation, 'stock.shipment.out', 'wait', [shipmentIds]);
  }

  /** The products of which finished productions made output for this sale. */
  private async finishedOutputOf(operation: string, salesOrderId: string): Promise<Set<number>> {
    const rows = await this.rpc.searchRead<Row>(operation, 'production', [['reference', 'like', `sale:${escapeLike(salesOrderId)}|%`], ['state', '=', 'done']], ['product']);
    return new Set(rows.map((r) => r.product as number));
  }

  /**
   * The storage-to-output moves not yet reserved (the moves `assign_try` assigns) of those of the
   * shipments still waiting, each with the id of its shipment.
   */
  private async unreservedPicks(operation: string, shipmentIds: number[]): Promise<(Row & { shipmentId: number })[]> {
    const shipments = await this.readAll(operation, 'stock.shipment.out', chunked(shipmentIds, (chunk) => [['id', 'in', chunk], ['state', '=', 'waiting']]), ['inventory_moves']);
    const shipmentOfMove = new Map(shipments.flatMap((s) => (s.inventory_moves as number[]).map((id) => [id, s.id as number] as const)));
    const moves = await this.readAll(operation, 'stock.move', chunked([...shipmentOfMove.keys()], (chunk) => [['id', 'in', chunk], ['state', 'in', ['draft', 'waiting']]]), ['product', 'quantity', 'from_location']);
    return moves.map((move) => ({ ...move, shipmentId: shipmentOfMove.get(move.id as number)! }));
  }

  /**
   * Per product and storage location of `picks`: what is free there (on hand, less what is
   * reserved) and how much of it finished productions made for other sales whose shipments still
   * wait for it. Productions finished in the last week count: a sale that waited longer for its
   * own output has been looked at by someone.
   */
  private async othersOutput(operation: string, salesOrderId: string, picks: Row[]): Promise<Map<string, { free: number; spokenFor: number }>> {
    const productIds = [...new Set(picks.map((m) => m.product as number))];
    const since = new Date(Date.now() - 7 * 86_400_000);
    const productions = await this.rpc.searchRead<Row>(operation, 'production', [
      ['product', 'in', productIds],
      ['state', '=', 'done'],
      ['write_date', '>=', datetime(since)],
      ['reference', 'like', 'sale:%'],
      ['reference', 'not like', `sale:${escapeLike(salesOrderId)}|%`],
    ], ['reference', 'product', 'quantity']);
    const result = new Map<string, { free: number; spokenFor: number }>();
    if (!productions.length) return result;
    const made = new Map<string, number>();
    for (const p of productions) {
      const key = `${saleOfReference(p.reference)}|${p.product as number}`;
      made.set(key, (made.get(key) ?? 0) + Number(p.quantity));
    }
    const sales = await this.rpc.searchRead<Row>(operation, 'sale.sale', [['id', 'in', [...new Set(productions.map((p) => Number(saleOfReference(p.reference))))]]], ['shipments']);
    const saleOfShipment = new Map(sales.flatMap((s) => (s.shipments as number[]).map((id) => [id, String(s.id)] as const)));
    // What each such sale still needs of a product, up to what was made for it.
    const owed = new Map<string, number>();
    for (const move of await this.unreservedPicks(operation, [...saleOfShipment.keys()])) {
      const key = `${saleOfShipment.get(move.shipmentId)}|${move.product as number}`;
      owed.set(key, (owed.get(key) ?? 0) + Number(move.quantity));
    }
    const locations = [...new Set(picks.map((m) => m.from_location as number))];
    const today = date(new Date().toISOString());
    for (const location of locations) {
      const [onHand, assigned] = await Promise.all([
        this.rpc.searchRead<Row>(operation, 'product.product', [['id', 'in', productIds]], ['quantity'], { context: { locations: [location], stock_date_end: today, with_childs: true } }),
        this.rpc.searchRead<Row>(operation, 'stock.move', [['product', 'in', productIds], ['state', '=', 'assigned'], ['from_location', 'child_of', [location], 'parent']], ['product', 'quantity']),
      ]);
      for (const product of onHand) {
        const reserved = assigned.filter((m) => m.product === product.id).reduce((sum, m) => sum + Number(m.quantity), 0);
        let spokenFor = 0;
        for (const [key, quantity] of owed) {
          if (key.endsWith(`|${product.id as number}`)) spokenFor += Math.min(quantity, made.get(key) ?? 0);
        }
        result.set(`${product.id as number}@${location}`, { free: Number(product.quantity) - reserved, spokenFor });
      }
    }
    return result;
  }

  async releaseReservations(salesOrderId: string, idempotencyKey?: string): Promise<ErpSalesOrder> {
    return this.once(idempotencyKey, async () => {
      const operation = 'releaseReservations';
      const shipments = await this.shipmentsOfSale(operation, salesOrderId);
      // `wait` from assigned (or again from waiting) puts every move of the shipment back to draft.
      const held = shipments.filter((s) => s.state === 'assigned' || s.state === 'waiting').map((s) => s.id as number);
      if (held.length) await this.rpc.model(operation, 'stock.shipment.out', 'wait', [held]);
      return this.mustGetOrder(operation, salesOrderId);
    });
  }

  async setSalesOrderStatus(salesOrderId: string, status: ErpSalesOrderStatus, idempotencyKey?: string): Promise<ErpSalesOrder> {
    return this.once(idempotencyKey, async () => {
      const operation = 'setSalesOrderStatus';
      const order = await this.mustGetOrder(operation, salesOrderId);
      if (order.status === status) return order;
      const id = Number(salesOrderId);
      const [sale] = await this.rpc.searchRead<Row>(operation, 'sale.sale', [['id', '=', id]], ['state', 'invoices', 'shipments']);
      const illegal = () => new AppError(ErrorCode.CONFLICT, `sales order ${order.number} cannot go from ${order.status} to ${status}`, { system: 'erp', operation });
      if (status === 'CONFIRMED' && order.status === 'DRAFT') {
        await this.confirmSale(operation, id);
      } else if (status === 'CANCELLED') {
        if (sale.state === 'draft' || sale.state === 'quotation') {
          await this.rpc.model(operation, 'sale.sale', 'cancel', [[id]]);
        } else if (['CONFIRMED', 'IN_PRODUCTION', 'READY_TO_SHIP'].includes(order.status)) {
          // A processing sale is not cancellable in Tryton; cancelling its shipments and draft invoices is, and leaves nothing to deliver or bill.
          const shipments = await this.rpc.searchRead<Row>(operation, 'stock.shipment.out', [['id', 'in', sale.shipments as number[]], ['state', 'not in', ['done', 'cancelled']]], ['id']);
          if (shipments.length) await this.rpc.model(operation, 'stock.shipment.out', 'cancel', [shipments.map((s) => s.id)]);
          const invoices = await this.rpc.searchRead<Row>(operation, 'account.invoice', [['id', 'in', sale.invoices as number[]], ['state', 'in', ['draft', 'validated']]], ['id']);
          if (invoices.length) await this.rpc.model(operation, 'account.invoice', 'cancel', [invoices.map((i) => i.id)]);
        } else {
          throw illegal();
        }
      } else {
        throw illegal();
      }
      return this.mustGetOrder(operation, salesOrderId);
    });
  }

  // production

  async getProductionOrders(ids: readonly string[]): Promise<ErpProductionOrder[]> {
    const rows = await this.readAll('getProductionOrders', 'production', chunked(numericIds(ids), (chunk) => [['id', 'in', chunk]]), PRODUCTION_FIELDS);
    return rows.map(productionOf);
  }

  async listProductionOrdersBySalesOrders(salesOrderIds: readonly string[]): Promise<ErpProductionOrder[]> {
    const distinct = [...new Set(salesOrderIds)];
    if (!distinct.length) return [];
    const rows = await this.readAll('listProductionOrdersBySalesOrders', 'production', [['OR', ...distinct.map((id) => ['reference', 'like', `sale:${escapeLike(id)}|%`])]].map((d) => [d]), PRODUCTION_FIELDS);
    return rows.map(productionOf);
  }

  async createProductionOrder(input: { sku: string; quantity: number; salesOrderId?: string }, idempotencyKey?: string): Promise<ErpProductionOrder> {
    return this.once(idempotencyKey, async () => {
      const operation = 'createProductionOrder';
      const reference = `sale:${input.salesOrderId ?? ''}|${idempotencyKey ? KEY_PREFIX + idempotencyKey : ''}`;
      const keyDomain = idempotencyKey ? [['reference', '=', reference]] : null;
      let [row] = keyDomain ? await this.rpc.searchRead<Row>(operation, 'production', keyDomain, PRODUCTION_FIELDS) : [];
      if (row) return productionOf(row);
      const [product] = await this.rpc.searchRead<Row>(operation, 'product.product', [['code', '=', input.sku]], ['id', 'default_uom', 'producible', 'boms']);
      if (!product) throw new AppError(ErrorCode.NOT_FOUND, `product ${input.sku} not found`, { system: 'erp', operation, field: 'sku' });
      if (!product.producible) throw new AppError(ErrorCode.BAD_USER_INPUT, `product ${input.sku} is not produced`, { system: 'erp', operation, field: 'sku' });
      const [productBom] = await this.rpc.searchRead<Row>(operation, 'product.product-production.bom', [['product', '=', product.id]], ['bom'], { order: [['sequence', 'ASC']], limit: 1 });
      const warehouse = await this.warehouseForSale(operation, input.salesOrderId);
      const [id] = await this.rpc.model<number[]>(operation, 'production', 'create', [
        [{ product: product.id, bom: productBom?.bom ?? null, quantity: input.quantity, uom: product.default_uom, warehouse: warehouse.id, location: warehouse.production_location, reference, planned_date: date(new Date().toISOString()), planned_start_date: date(new Date().toISOString()) }],
      ]);
      if (keyDomain) await this.keepOldest(operation, 'production', keyDomain, id);
      [row] = await this.rpc.searchRead<Row>(operation, 'production', keyDomain ?? [['id', '=', id]], PRODUCTION_FIELDS);
      if (row.id === id && productBom) await this.explodeBom(operation, id, productBom.bom as number, input.quantity);
      return productionOf(row);
    });
  }

  async completeProductionOrder(id: string, idempotencyKey?: string): Promise<ErpProductionOrder> {
    return this.once(idempotencyKey ?? `complete-production:${id}`, async () => {
      const operation = 'completeProductionOrder';
      const row = await this.mustGetProduction(operation, id);
      const ids = [Number(id)];
      let state = String(row.state);
      if (state === 'cancelled') throw new AppError(ErrorCode.CONFLICT, `production order ${row.number} is cancelled`, { system: 'erp', operation });
      if (state === 'request' || state === 'draft') await this.rpc.model(operation, 'production', 'wait', [ids]);
      if (state !== 'done' && state !== 'running' && state !== 'assigned') {
        await this.rpc.model(operation, 'production', 'assign_try', [ids]);
        state = String((await this.mustGetProduction(operation, id)).state);
        if (state !== 'assigned') throw new AppError(ErrorCode.OUT_OF_STOCK, `the inputs of production order ${row.number} are not on stock`, { system: 'erp', operation });
      }
      if (state === 'assigned') await this.rpc.model(operation, 'production', 'run', [ids]);
      const salesOrderId = saleOfReference(row.reference);
      // The output goes on stock at `done`: reserved for the order it was made for before any other
      // reservation of this connector can take it.
      await this.assigningStock(async () => {
        if (state !== 'done') await this.rpc.model(operation, 'production', 'done', [ids]);
        if (salesOrderId) await this.assignWaitingShipments(operation, salesOrderId);
      });
      return productionOf(await this.mustGetProduction(operation, id));
    });
  }

  async cancelProductionOrder(id: string, idempotencyKey?: string): Promise<ErpProductionOrder> {
    return this.once(idempotencyKey ?? `cancel-production:${id}`, async () => {
      const operation = 'cancelProductionOrder';
      const row = await this.mustGetProduction(operation, id);
      if (row.state === 'done') throw new AppError(ErrorCode.CONFLICT, `production order ${row.number} is completed`, { system: 'erp', operation });
      if (row.state === 'waiting' || row.state === 'running') await this.rpc.model(operation, 'production', 'draft', [[Number(id)]]).catch(() => undefined);
      if (row.state !== 'cancelled') await this.rpc.model(operation, 'production', 'cancel', [[Number(id)]]);
      return productionOf(await this.mustGetProduction(operation, id));
    });
  }

  // shipping

  async getShipments(ids: readonly string[]): Promise<ErpShipment[]> {
    const rows = await this.readAll('getShipments', 'stock.shipment.out', chunked(numericIds(ids), (chunk) => [['id', 'in', chunk]]), SHIPMENT_FIELDS);
    return this.shipmentsOf('getShipments', rows);
  }

  async listShipmentsBySalesOrders(salesOrderIds: readonly string[]): Promise<ErpShipment[]> {
    const operation = 'listShipmentsBySalesOrders';
    const sales = await this.readAll(operation, 'sale.sale', chunked(numericIds(salesOrderIds), (chunk) => [['id', 'in', chunk]]), ['shipments']);
    const ids = [...new Set(sales.flatMap((s) => s.shipments as number[]))];
    const rows = await this.readAll(operation, 'stock.shipment.out', chunked(ids, (chunk) => [['id', 'in', chunk]]), SHIPMENT_FIELDS);
    return this.shipmentsOf(operation, rows);
  }

  async createShipment(salesOrderId: string, idempotencyKey?: string): Promise<ErpShipment> {
    return this.once(idempotencyKey, async () => {
      const operation = 'createShipment';
      // Tryton creates the customer shipment when the sale is processed; this makes it ready to go.
      const shipments = (await this.shipmentsOfSale(operation, salesOrderId)).filter((s) => s.state !== 'cancelled');
      if (!shipments.length) throw new AppError(ErrorCode.CONFLICT, `sales order ${salesOrderId} has nothing to ship`, { system: 'erp', operation });
      const open = shipments.find((s) => s.state !== 'done') ?? shipments[0];
      if (open.state === 'waiting') await this.assigningStock(() => this.assignShipments(operation, salesOrderId, [open.id as number]));
      const [shipment] = await this.getShipments([String(open.id)]);
      return shipment;
    });
  }

  async confirmShipment(id: string, input: { carrier: string; trackingNumber: string }, idempotencyKey?: string): Promise<ErpShipment> {
    return this.once(idempotencyKey ?? `confirm-shipment:${id}`, async () => {
      const operation = 'confirmShipment';
      const [row] = await this.rpc.searchRead<Row>(operation, 'stock.shipment.out', [['id', '=', Number(id)]], ['state', 'number']);
      if (!row) throw new AppError(ErrorCode.NOT_FOUND, `shipment ${id} not found`, { system: 'erp', operation });
      const ids = [Number(id)];
      let state = String(row.state);
      if (state === 'cancelled') throw new AppError(ErrorCode.CONFLICT, `shipment ${row.number} is cancelled`, { system: 'erp', operation });
      if (state !== 'done') {
        await this.rpc.model(operation, 'stock.shipment.out', 'write', [ids, { reference: `${input.carrier}|${input.trackingNumber}` }]);
        if (state === 'waiting') {
          const [shipment] = await this.getShipments([id]);
          await this.assigningStock(() => this.assignShipments(operation, shipment.salesOrderId, ids));
          [{ state }] = (await this.rpc.searchRead<Row>(operation, 'stock.shipment.out', [['id', '=', Number(id)]], ['state'])).map((r) => ({ state: String(r.state) }));
          if (state === 'waiting') throw new AppError(ErrorCode.OUT_OF_STOCK, `shipment ${row.number} is not fully reserved`, { system: 'erp', operation });
        }
        if (state === 'assigned') await this.rpc.model(operation, 'stock.shipment.out', 'pick', [ids]);
        if (state === 'assigned' || state === 'picked') await this.rpc.model(operation, 'stock.shipment.out', 'pack', [ids]);
        await this.rpc.model(operation, 'stock.shipment.out', 'done', [ids]);
      }
      const [shipment] = await this.getShipments([id]);
      return shipment;
    });
  }

  async cancelShipment(id: string, idempotencyKey?: string): Promise<ErpShipment> {
    return this.once(idempotencyKey ?? `cancel-shipment:${id}`, async () => {
      const operation = 'cancelShipment';
      const [row] = await this.rpc.searchRead<Row>(operation, 'stock.shipment.out', [['id', '=', Number(id)]], ['state', 'number']);
      if (!row) throw new AppError(ErrorCode.NOT_FOUND, `shipment ${id} not found`, { system: 'erp', operation });
      if (row.state === 'done') throw new AppError(ErrorCode.CONFLICT, `shipment ${row.number} is shipped`, { system: 'erp', operation });
      // Cancelling the shipment cancels its moves, which releases what they held.
      if (row.state !== 'cancelled') await this.rpc.model(operation, 'stock.shipment.out', 'cancel', [[Number(id)]]);
      const [shipment] = await this.getShipments([id]);
      return shipment;
    });
  }

  // finance

  async getInvoices(ids: readonly string[]): Promise<ErpInvoice[]> {
    const rows = await this.readAll('getInvoices', 'account.invoice', chunked(numericIds(ids), (chunk) => [['id', 'in', chunk], ['type', '=', 'out']]), INVOICE_FIELDS);
    return this.invoicesOf('getInvoices', rows);
  }

  async listInvoicesByCustomers(customerNos: readonly string[], options: { status?: ErpInvoiceStatus }): Promise<ErpInvoice[]> {
    const rows = await this.readAll('listInvoicesByCustomers', 'account.invoice', chunked(customerNos, (codes) => [['party.code', 'in', codes], ['type', '=', 'out'], ['state', 'in', ['posted', 'paid', 'cancelled']]]), INVOICE_FIELDS, [['id', 'DESC']]);
    return (await this.invoicesOf('listInvoicesByCustomers', rows)).filter((i) => !options.status || i.status === options.status);
  }

  async listInvoicesBySalesOrders(salesOrderIds: readonly string[]): Promise<ErpInvoice[]> {
    const operation = 'listInvoicesBySalesOrders';
    const sales = await this.readAll(operation, 'sale.sale', chunked(numericIds(salesOrderIds), (chunk) => [['id', 'in', chunk]]), ['invoices']);
    const invoiceIds = [...new Set(sales.flatMap((s) => s.invoices as number[]))];
    const rows = await this.readAll(operation, 'account.invoice', chunked(invoiceIds, (chunk) => [['id', 'in', chunk], ['state', 'in', ['posted', 'paid', 'cancelled']]]), INVOICE_FIELDS);
    return this.invoicesOf(operation, rows);
  }

  async createInvoice(salesOrderId: string, idempotencyKey?: string): Promise<ErpInvoice> {
    return this.once(idempotencyKey ?? `create-invoice:${salesOrderId}`, async () => {
      const operation = 'createInvoice';
      const id = Number(salesOrderId);
      const liveInvoices = async () => {
        const [sale] = await this.rpc.searchRead<Row>(operation, 'sale.sale', [['id', '=', id]], ['invoices', 'number', 'state']);
        if (!sale) throw new AppError(ErrorCode.NOT_FOUND, `sales order ${salesOrderId} not found`, { system: 'erp', operation });
        return { sale, invoices: await this.rpc.searchRead<Row>(operation, 'account.invoice', [['id', 'in', sale.invoices as number[]], ['state', '!=', 'cancelled']], ['state'], { order: [['id', 'ASC']] }) };
      };
      let { sale, invoices } = await liveInvoices();
      if (!invoices.length && sale.state === 'processing') {
        // Tryton drafts the invoice when it processes the sale after its shipment is done, in a task
        // of its own once that commits: whoever heard of the shipment can be here first. Processing
        // the sale now does it (under the sale's lock; the task then finds nothing left to do).
        await this.rpc.model(operation, 'sale.sale', 'process', [[id]]);
        ({ sale, invoices } = await liveInvoices());
      }
      if (!invoices.length) throw new AppError(ErrorCode.CONFLICT, `sales order ${String(sale.number ?? salesOrderId)} has nothing shipped to invoice`, { system: 'erp', operation });
      // Tryton drafted the invoice when the shipment was done; issuing it is posting it.
      const draft = invoices.find((i) => i.state === 'draft' || i.state === 'validated');
      const target = draft ?? invoices[invoices.length - 1];
      if (draft) {
        await this.rpc.model(operation, 'account.invoice', 'post', [[draft.id]]);
      }
      const [invoice] = await this.getInvoices([String(target.id)]);
      return invoice;
    });
  }

  async recordPayment(invoiceId: string, input: { amount: string; reference?: string | null }, idempotencyKey?: string): Promise<ErpInvoice> {
    if (!/^\d{1,12}(\.\d{1,2})?$/.test(input.amount) || cents(input.amount) <= 0n) {
      throw new AppError(ErrorCode.BAD_USER_INPUT, 'amount must be a positive decimal with up to two places', { system: 'erp', operation: 'recordPayment', field: 'amount', status: 400 });
    }
    return this.once(idempotencyKey, async () => {
      const operation = 'recordPayment';
      const [invoice] = await this.rpc.searchRead<Row>(operation, 'account.invoice', [['id', '=', Number(invoiceId)], ['type', '=', 'out']], ['state', 'amount_to_pay', 'currency', 'account', 'number']);
      if (!invoice) throw new AppError(ErrorCode.NOT_FOUND, `invoice ${invoiceId} not found`, { system: 'erp', operation });
      const description = idempotencyKey ? KEY_PREFIX + idempotencyKey : (input.reference ?? null);
      if (idempotencyKey) {
        // The pay wizard writes the description on the payment's move; its key finds a payment already made.
        const paid = await this.rpc.searchRead<Row>(operation, 'account.move.line', [['account', '=', invoice.account], ['OR', ['description', '=', description], ['move.description', '=', description]]], ['id'], { limit: 1 });
        if (paid.length) return (await this.getInvoices([invoiceId]))[0];
      }
      if (invoice.state !== 'posted') throw new AppError(ErrorCode.CONFLICT, `invoice ${String(invoice.number)} is ${String(invoice.state)}, not open`, { system: 'erp', operation });
      if (cents(input.amount) > cents(String(invoice.amount_to_pay))) {
        throw new AppError(ErrorCode.BAD_USER_INPUT, `amount exceeds the ${String(invoice.amount_to_pay)} due`, { system: 'erp', operation, field: 'amount', status: 400 });
      }
      const [method] = await this.rpc.searchRead<Row>(operation, 'account.invoice.payment.method', [], ['id'], { limit: 1, order: [['id', 'ASC']] });
      if (!method) throw new AppError(ErrorCode.CONFLICT, 'Tryton has no invoice payment method configured', { system: 'erp', operation });
      const start = { currency: invoice.currency, amount: decimal(input.amount), date: date(new Date().toISOString()), payment_method: method.id, description };
      const full = cents(input.amount) === cents(String(invoice.amount_to_pay));
      await this.rpc.wizard(operation, 'account.invoice.pay', 'account.invoice', Number(invoiceId), [
        { state: 'start', data: {} },
        full ? { state: 'choice', data: { start } } : { state: 'pay', data: { start, ask: { type: 'partial', lines: [], writeoff: null } } },
      ]);
      return (await this.getInvoices([invoiceId]))[0];
    });
  }

  // reading and mapping

  private async readCustomers(operation: string, domains: unknown[][]): Promise<ErpCustomer[]> {
    return this.customersOf(operation, await this.readAll(operation, 'party.party', domains, PARTY_FIELDS));
  }

  private async customersOf(operation: string, rows: Row[]): Promise<ErpCustomer[]> {
    if (!rows.length) return [];
    const currency = await this.currency();
    const identifierIds = rows.flatMap((r) => r.identifiers as number[]);
    const addressIds = rows.flatMap((r) => (r.addresses as number[]).slice(0, 1));
    const [identifiers, addresses] = await Promise.all([
      identifierIds.length ? this.rpc.searchRead<Row>(operation, 'party.identifier', [['id', 'in', identifierIds], ['code', 'like', `${EXTERNAL_REF_PREFIX}%`]], ['party', 'code']) : [],
      addressIds.length ? this.rpc.searchRead<Row>(operation, 'party.address', [['id', 'in', addressIds]], ['party', 'country.code']) : [],
    ]);
    return rows.map((r) => {
      const ref = identifiers.find((i) => i.party === r.id);
      const address = addresses.find((a) => a.party === r.id);
      const country = (address?.['country.'] as Row | null | undefined)?.code;
      const category = (r['categories.'] as Row[] | undefined)?.[0];
      const term = r['customer_payment_term.'] as Row | null;
      return {
        customerNo: String(r.code),
        name: String(r.name),
        email: (r.email as string | null) || null,
        industry: category ? String(category.name) : null,
        country: country ? String(country) : null,
        externalRef: ref ? String(ref.code).slice(EXTERNAL_REF_PREFIX.length) : null,
        creditLimit: r.credit_limit_amount === null || r.credit_limit_amount === undefined ? null : money(String(r.credit_limit_amount)),
        paymentTerms: term ? String(term.name) : null,
        currency,
        ...stamps(r),
      };
    });
  }

  private async partyValues(operation: string, input: Partial<ErpCustomerInput>, creating: boolean): Promise<Row> {
    const values: Row = {};
    if (input.name !== undefined) values.name = input.name;
    if (input.creditLimit !== undefined) values.credit_limit_amount = input.creditLimit === null ? null : decimal(input.creditLimit);
    if (input.paymentTerms !== undefined) values.customer_payment_term = input.paymentTerms ? await this.paymentTermId(operation, input.paymentTerms) : null;
    if (input.industry !== undefined) {
      const ops: unknown[] = creating ? [] : [['remove', (await this.rpc.searchRead<Row>(operation, 'party.category', [], ['id'])).map((c) => c.id)]];
      if (input.industry) ops.push(['add', [await this.categoryId(operation, input.industry)]]);
      if (ops.length) values.categories = ops;
    }
    if (creating) {
      values.addresses = [['create', [{ country: input.country ? await this.countryId(operation, input.country) : null }]]];
      if (input.email) values.contact_mechanisms = [['create', [{ type: 'email', value: input.email }]]];
    }
    if (input.currency !== undefined && input.currency !== (await this.currency())) {
      throw new AppError(ErrorCode.BAD_USER_INPUT, `this Tryton company bills in ${await this.currency()} only`, { system: 'erp', operation, field: 'currency' });
    }
    return values;
  }

  private async paymentTermId(operation: string, name: string): Promise<number> {
    const [term] = await this.rpc.searchRead<Row>(operation, 'account.invoice.payment_term', [['name', '=', name]], ['id']);
    if (!term) throw new AppError(ErrorCode.BAD_USER_INPUT, `unknown payment terms ${name}`, { system: 'erp', operation, field: 'paymentTerms' });
    return term.id as number;
  }

  private async categoryId(operation: string, name: string): Promise<number> {
    const [category] = await this.rpc.searchRead<Row>(operation, 'party.category', [['name', '=', name], ['parent', '=', null]], ['id']);
    if (category) return category.id as number;
    const [id] = await this.rpc.model<number[]>(operation, 'party.category', 'create', [[{ name }]]);
    return id;
  }

  private async countryId(operation: string, code: string): Promise<number> {
    const [country] = await this.rpc.searchRead<Row>(operation, 'country.country', [['code', '=', code.toUpperCase()]], ['id']);
    if (country) return country.id as number;
    const [id] = await this.rpc.model<number[]>(operation, 'country.country', 'create', [[{ code: code.toUpperCase(), name: code.toUpperCase() }]]);
    return id;
  }

  private currency(): Promise<string> {
    this.companyCurrency ??= this.rpc
      .searchRead<Row>('currency', 'company.company', [], ['currency.code'], { limit: 1 })
      .then(([company]) => String((company['currency.'] as Row).code))
      .catch((error: unknown) => {
        this.companyCurrency = undefined;
        throw error;
      });
    return this.companyCurrency;
  }

  private async productsOf(rows: Row[]): Promise<ErpProduct[]> {
    if (!rows.length) return [];
    const currency = await this.currency();
    return rows.map((r) => ({
      sku: String(r.code),
      name: String(r.name),
      unitPrice: money(String(r.list_price ?? '0')),
      currency,
      manufactured: Boolean(r.producible),
      ...stamps(r),
    }));
  }

  private async salesOrdersOf(operation: string, rows: Row[]): Promise<ErpSalesOrder[]> {
    if (!rows.length) return [];
    const currency = await this.currency();
    const saleIds = rows.map((r) => r.id as number);
    const lineIds = rows.flatMap((r) => r.lines as number[]);
    const invoiceIds = [...new Set(rows.flatMap((r) => r.invoices as number[]))];
    const [lines, moves, invoices, productions] = await Promise.all([
      this.readAll(operation, 'sale.line', chunked(lineIds, (chunk) => [['id', 'in', chunk], ['type', '=', 'line']]), ['sale', 'sequence', 'product.code', 'quantity', 'unit_price']),
      this.readAll(operation, 'stock.move', chunked(lineIds, (chunk) => [['origin', 'in', chunk.map((id) => `sale.line,${id}`)], ['to_location.type', '=', 'customer']]), ['origin', 'state', 'quantity']),
      this.readAll(operation, 'account.invoice', chunked(invoiceIds, (chunk) => [['id', 'in', chunk]]), ['state']),
      this.readAll(operation, 'production', [['OR', ...saleIds.map((id) => ['reference', 'like', `sale:${id}|%`])]].map((d) => [d]), ['reference', 'state']),
    ]);
    // Reservations sit on the moves picking from storage to the output zone, whose origin is the outgoing move.
    const picking = await this.readAll(operation, 'stock.move', chunked(moves.map((m) => m.id as number), (chunk) => [['origin', 'in', chunk.map((id) => `stock.move,${id}`)]]), ['origin', 'state', 'quantity']);
    return rows.map((r) => {
      const myLines: ErpSalesOrderLine[] = lines
        .filter((l) => l.sale === r.id)
        .sort((a, b) => Number(a.sequence ?? 0) - Number(b.sequence ?? 0) || Number(a.id) - Number(b.id))
        .map((l, index) => {
          const outgoing = moves.filter((m) => m.origin === `sale.line,${l.id as number}`);
          const picks = picking.filter((p) => outgoing.some((m) => p.origin === `stock.move,${m.id as number}`));
          const sum = (rows: Row[], state: string) => rows.filter((m) => m.state === state).reduce((s, m) => s + Number(m.quantity), 0);
          return {
            lineNo: index + 1,
            sku: String((l['product.'] as Row | null)?.code ?? ''),
            quantity: Number(l.quantity),
            unitPrice: money(String(l.unit_price)),
            // Reserved: assigned in storage, or picked to the output zone and not shipped yet (a
            // picked unit is no longer on an assigned move, but it is still the order's); without a
            // picking step, the outgoing moves hold it. Shipped: delivered to the customer.
            reservedQuantity: picks.length
              ? sum(picks, 'assigned') + Math.max(0, sum(picks, 'done') - sum(outgoing, 'done'))
              : sum(outgoing, 'assigned'),
            shippedQuantity: sum(outgoing, 'done'),
          };
        });
      const myInvoices = invoices.filter((i) => (r.invoices as number[]).includes(i.id as number));
      const myProductions = productions.filter((p) => saleOfReference(p.reference) === String(r.id));
      const total = myLines.reduce((s, l) => s + cents(l.unitPrice) * BigInt(Math.round(l.quantity)), 0n);
      return {
        id: String(r.id),
        number: r.number ? String(r.number) : `DRAFT-${r.id as number}`,
        customerNo: String((r['party.'] as Row).code),
        status: saleStatus(r, myLines, myInvoices, myProductions),
        currency,
        total: fromCents(total),
        externalRef: (r.reference as string | null) || null,
        lines: myLines,
        ...stamps(r),
      };
    });
  }

  private async shipmentsOf(operation: string, rows: Row[]): Promise<ErpShipment[]> {
    if (!rows.length) return [];
    const moveIds = rows.flatMap((r) => r.outgoing_moves as number[]);
    const moves = await this.readAll(operation, 'stock.move', chunked(moveIds, (chunk) => [['id', 'in', chunk]]), ['shipment', 'product.code', 'quantity', 'sale', 'state']);
    return rows.map((r) => {
      const mine = moves.filter((m) => m.shipment === `stock.shipment.out,${r.id as number}`);
      const [carrier, trackingNumber] = typeof r.reference === 'string' && r.reference.includes('|') ? r.reference.split('|', 2) : [null, null];
      const status = shipmentStatus(String(r.state));
      return {
        id: String(r.id),
        number: String(r.number ?? r.id),
        salesOrderId: String(mine.find((m) => m.sale)?.sale ?? ''),
        status,
        carrier,
        trackingNumber,
        shippedAt: status === 'SHIPPED' ? String(r.write_date ?? r.create_date) : null,
        lines: mine.filter((m) => m.state !== 'cancelled').map((m) => ({ sku: String((m['product.'] as Row).code), quantity: Number(m.quantity) })),
        ...stamps(r),
      };
    });
  }

  private async invoicesOf(operation: string, rows: Row[]): Promise<ErpInvoice[]> {
    if (!rows.length) return [];
    const invoiceIds = rows.map((r) => r.id as number);
    const [sales, dueLines] = await Promise.all([
      this.rpc.searchRead<Row>(operation, 'sale.sale', [['invoices', 'in', invoiceIds]], ['invoices']),
      this.readAll(operation, 'account.move.line', chunked(rows.flatMap((r) => r.lines_to_pay as number[]), (chunk) => [['id', 'in', chunk]]), ['maturity_date']),
    ]);
    const today = new Date().toISOString().slice(0, 10);
    return rows.map((r) => {
      const due = dueLines.filter((l) => (r.lines_to_pay as number[]).includes(l.id as number)).map((l) => String(l.maturity_date ?? ''));
      const dueDate = due.filter(Boolean).sort()[0] ?? String(r.invoice_date ?? today);
      const amountDue = r.state === 'posted' ? money(String(r.amount_to_pay)) : '0.00';
      const status: ErpInvoiceStatus = r.state === 'paid' ? 'PAID' : r.state === 'cancelled' ? 'CANCELLED' : 'OPEN';
      const sale = sales.find((s) => (s.invoices as number[]).includes(r.id as number));
      return {
        id: String(r.id),
        number: r.number ? String(r.number) : `DRAFT-${r.id as number}`,
        customerNo: String((r['party.'] as Row).code),
        salesOrderId: sale ? String(sale.id) : null,
        status,
        total: money(String(r.total_amount)),
        amountDue,
        currency: String((r['currency.'] as Row).code),
        dueDate,
        issuedAt: `${String(r.invoice_date ?? today)}T00:00:00.000Z`,
        ...stamps(r),
      };
    });
  }

  private async page<T>(operation: string, model: string, domain: unknown[], params: ListParams, map: (rows: Row[]) => Promise<T[]>, fields = PARTY_FIELDS, direction: 'ASC' | 'DESC' = 'ASC'): Promise<Page<T>> {
    const first = Math.min(Math.max(params.first ?? 50, 1), MAX_FIRST);
    const filter = [...domain, ...updatedDomain(params.updatedSince)];
    const after = params.after ? Number(params.after) : null;
    if (after !== null && !Number.isInteger(after)) throw new AppError(ErrorCode.BAD_USER_INPUT, 'invalid cursor', { system: 'erp', operation, field: 'after' });
    const paged = after === null ? filter : [...filter, ['id', direction === 'ASC' ? '>' : '<', after]];
    const [rows, totalCount] = await Promise.all([
      this.rpc.searchRead<Row>(operation, model, paged, fields, { limit: first + 1, order: [['id', direction]] }),
      this.rpc.model<number>(operation, model, 'search_count', [filter]),
    ]);
    const items = await map(rows.slice(0, first));
    return { items, totalCount, nextCursor: rows.length > first ? String(rows[first - 1].id) : null };
  }

  private async readAll(operation: string, model: string, domains: unknown[][], fields: string[], order?: [string, 'ASC' | 'DESC'][]): Promise<Row[]> {
    if (!domains.length) return [];
    const pages = await Promise.all(domains.map((domain) => this.rpc.searchRead<Row>(operation, model, domain, fields, { order: order ?? null })));
    return pages.flat();
  }

  private async shipmentsOfSale(operation: string, salesOrderId: string): Promise<Row[]> {
    const [sale] = await this.rpc.searchRead<Row>(operation, 'sale.sale', [['id', '=', Number(salesOrderId)]], ['shipments']);
    if (!sale) throw new AppError(ErrorCode.NOT_FOUND, `sales order ${salesOrderId} not found`, { system: 'erp', operation });
    const ids = sale.shipments as number[];
    return ids.length ? this.rpc.searchRead<Row>(operation, 'stock.shipment.out', [['id', 'in', ids]], ['state'], { order: [['id', 'ASC']] }) : [];
  }

  private async mustGetOrder(operation: string, id: string): Promise<ErpSalesOrder> {
    const [order] = await this.getSalesOrders([id]);
    if (!order) throw new AppError(ErrorCode.NOT_FOUND, `sales order ${id} not found`, { system: 'erp', operation });
    return order;
  }

  private async mustGetProduction(operation: string, id: string): Promise<Row> {
    const [row] = Number.isInteger(Number(id)) ? await this.rpc.searchRead<Row>(operation, 'production', [['id', '=', Number(id)]], PRODUCTION_FIELDS) : [];
    if (!row) throw new AppError(ErrorCode.NOT_FOUND, `production order ${id} not found`, { system: 'erp', operation });
    return row;
  }

  /**
   * Quotes, confirms and processes a sale from whatever state it was left in. Over the credit limit
   * Tryton (sale_credit_limit) refuses the confirmation: the quotation is cancelled, so a refused
   * order is not left open in Tryton, and CREDIT_LIMIT_EXCEEDED goes to the caller. With finance's
   * approval the refusal is acknowledged the way Tryton's own client does: a one-time
   * res.user.warning for this sale's credit-limit warning, then the confirmation.
   */
  private async confirmSale(operation: string, id: number, creditApprovedBy: string | null = null): Promise<void> {
    const [sale] = await this.rpc.searchRead<Row>(operation, 'sale.sale', [['id', '=', id]], ['state']);
    if (sale.state === 'cancelled') await this.rpc.model(operation, 'sale.sale', 'draft', [[id]]);
    if (sale.state === 'draft' || sale.state === 'cancelled') await this.rpc.model(operation, 'sale.sale', 'quote', [[id]]);
    if (sale.state === 'draft' || sale.state === 'quotation' || sale.state === 'cancelled') {
      if (creditApprovedBy) {
        await this.rpc.model(operation, 'res.user.warning', 'create', [[{ user: await this.rpc.userId(), name: `credit_limit_amount_sale.sale,${id}`, always: false }]]);
      }
      try {
        await this.rpc.model(operation, 'sale.sale', 'confirm', [[id]]);
      } catch (error) {
        if (error instanceof AppError && error.code === ErrorCode.CREDIT_LIMIT_EXCEEDED) await this.rpc.model(operation, 'sale.sale', 'cancel', [[id]]);
        throw error;
      }
    }
    const [after] = await this.rpc.searchRead<Row>(operation, 'sale.sale', [['id', '=', id]], ['state']);
    // Without a queue worker Tryton processes a confirmed sale at once; with one, this does it now.
    if (after.state === 'confirmed') await this.rpc.model(operation, 'sale.sale', 'process', [[id]]);
  }

  /**
   * The production's input and output moves from its BOM, scaled to the quantity: what Tryton's
   * client does on change of the product (its reset_bom button only answers the client).
   */
  private async explodeBom(operation: string, productionId: number, bomId: number, quantity: number): Promise<void> {
    const [production] = await this.rpc.searchRead<Row>(operation, 'production', [['id', '=', productionId]], ['product', 'location', 'warehouse.storage_location', 'company', 'company.currency', 'planned_start_date', 'planned_date']);
    // Tryton 6.0 picks the inputs from and puts the outputs into the warehouse's storage.
    const storage = (production['warehouse.'] as Row).storage_location;
    const [bom] = await this.rpc.searchRead<Row>(operation, 'production.bom', [['id', '=', bomId]], ['inputs', 'outputs']);
    const bomMoves = (ids: number[]) => (ids.length ? this.rpc.searchRead<Row>(operation, 'production.bom.input', [['id', 'in', ids]], ['product', 'quantity', 'uom']) : Promise.resolve([]));
    const [inputs, outputs] = await Promise.all([
      bomMoves(bom.inputs as number[]),
      (bom.outputs as number[]).length ? this.rpc.searchRead<Row>(operation, 'production.bom.output', [['id', 'in', bom.outputs as number[]]], ['product', 'quantity', 'uom']) : Promise.resolve([] as Row[]),
    ]);
    const made = outputs.find((o) => o.product === production.product);
    const factor = made ? quantity / Number(made.quantity) : quantity;
    const move = (line: Row, from: unknown, to: unknown, date: unknown) => ({ product: line.product, uom: line.uom, quantity: Number(line.quantity) * factor, from_location: from, to_location: to, company: production.company, planned_date: date ?? null });
    await this.rpc.model(operation, 'production', 'write', [
      [productionId],
      {
        inputs: [['create', inputs.map((line) => move(line, storage, production.location, production.planned_start_date))]],
        outputs: [['create', outputs.map((line) => ({ ...move(line, production.location, storage, production.planned_date), unit_price: decimal('0'), currency: (production['company.'] as Row).currency }))]],
      },
    ]);
  }

  private async warehouseForSale(operation: string, salesOrderId?: string): Promise<Row> {
    const fields = ['id', 'production_location', 'code'];
    if (salesOrderId) {
      const [sale] = await this.rpc.searchRead<Row>(operation, 'sale.sale', [['id', '=', Number(salesOrderId)]], ['warehouse']);
      if (sale?.warehouse) return (await this.rpc.searchRead<Row>(operation, 'stock.location', [['id', '=', sale.warehouse]], fields))[0];
    }
    const [warehouse] = await this.rpc.searchRead<Row>(operation, 'stock.location', [['type', '=', 'warehouse'], ['production_location', '!=', null]], fields, { order: [['id', 'ASC']], limit: 1 });
    if (!warehouse) throw new AppError(ErrorCode.CONFLICT, 'no warehouse with a production location', { system: 'erp', operation });
    return warehouse;
  }

  private async warehouseOfStorage(operation: string, warehouses: Row[]): Promise<Map<number, number>> {
    const storages = await this.rpc.searchRead<Row>(operation, 'stock.location', [['type', '=', 'storage']], ['id', 'warehouse']);
    const map = new Map<number, number>();
    for (const s of storages) if (s.warehouse) map.set(s.id as number, s.warehouse as number);
    for (const w of warehouses) if (w.storage_location) map.set(w.storage_location as number, w.id as number);
    return map;
  }

  /**
   * After a keyed create: of the records carrying the key, the oldest is the one; a younger one
   * (this call's, when a concurrent call with the key created first) is deleted while a draft.
   */
  private async keepOldest(operation: string, model: string, keyDomain: unknown[], created: number): Promise<void> {
    const rows = await this.rpc.searchRead<Row>(operation, model, keyDomain, ['id'], { order: [['id', 'ASC']] });
    if (rows.length > 1 && rows[0].id !== created) await this.rpc.model(operation, model, 'delete', [[created]]);
  }

  /** Runs calls with one key in this process one after the other; unkeyed calls run freely. */
  private once<T>(key: string | undefined, run: () => Promise<T>): Promise<T> {
    return key === undefined ? run() : this.keys.run(key, run);
  }
}

const PARTY_FIELDS = ['code', 'name', 'email', 'categories.name', 'identifiers', 'addresses', 'credit_limit_amount', 'customer_payment_term.name', 'create_date', 'write_date'];
const PRODUCT_FIELDS = ['code', 'name', 'list_price', 'producible', 'create_date', 'write_date'];
const SALE_FIELDS = ['number', 'reference', 'state', 'shipment_state', 'invoice_state', 'party.code', 'lines', 'invoices', 'create_date', 'write_date'];
const PRODUCTION_FIELDS = ['number', 'product.code', 'quantity', 'state', 'reference', 'create_date', 'write_date'];
const SHIPMENT_FIELDS = ['number', 'state', 'reference', 'outgoing_moves', 'effective_date', 'create_date', 'write_date'];
const INVOICE_FIELDS = ['number', 'state', 'party.code', 'currency.code', 'total_amount', 'amount_to_pay', 'invoice_date', 'lines_to_pay', 'create_date', 'write_date'];

/** Version and times of a Tryton record: Tryton has no revision counter, the last write stands in for one. */
function stamps(row: Row): { version: number; createdAt: string; updatedAt: string } {
  const createdAt = String(row.create_date);
  const updatedAt = String(row.write_date ?? row.create_date);
  return { version: versionOf(updatedAt), createdAt, updatedAt };
}

/** Tenths of a second since 2024-01-01: grows with every write and fits the integration's 32-bit version columns until 2030. */
export function versionOf(iso: string): number {
  return Math.max(1, Math.floor((Date.parse(iso) - Date.UTC(2024, 0, 1)) / 100));
}

function updatedDomain(updatedSince?: string): unknown[] {
  if (!updatedSince) return [];
  const since = datetime(new Date(updatedSince));
  return [['OR', ['write_date', '>=', since], [['write_date', '=', null], ['create_date', '>=', since]]]];
}

function saleStatus(sale: Row, lines: ErpSalesOrderLine[], invoices: Row[], productions: Row[]): ErpSalesOrderStatus {
  const state = String(sale.state);
  if (state === 'draft' || state === 'quotation') return 'DRAFT';
  if (state === 'cancelled') return 'CANCELLED';
  if (state === 'done') return 'PAID';
  const live = invoices.filter((i) => i.state !== 'cancelled');
  if (live.length && live.every((i) => i.state === 'paid')) return 'PAID';
  if (live.some((i) => i.state === 'posted' || i.state === 'paid')) return 'INVOICED';
  const shipped = lines.reduce((s, l) => s + l.shippedQuantity, 0);
  const ordered = lines.reduce((s, l) => s + l.quantity, 0);
  if (shipped > 0) return shipped >= ordered ? 'SHIPPED' : 'PARTIALLY_SHIPPED';
  // Every shipment cancelled and nothing invoiced: the order was called off.
  if (sale.shipment_state === 'exception' && !live.length) return 'CANCELLED';
  if (productions.some((p) => !['done', 'cancelled'].includes(String(p.state)))) return 'IN_PRODUCTION';
  if (lines.length && lines.every((l) => l.reservedQuantity >= l.quantity)) return 'READY_TO_SHIP';
  return 'CONFIRMED';
}

function shipmentStatus(state: string): ErpShipmentStatus {
  if (state === 'done') return 'SHIPPED';
  if (state === 'cancelled') return 'CANCELLED';
  return 'PENDING';
}

function productionOf(row: Row): ErpProductionOrder {
  const states: Record<string, ErpProductionOrderStatus> = { request: 'PLANNED', draft: 'PLANNED', waiting: 'RELEASED', assigned: 'IN_PROGRESS', running: 'IN_PROGRESS', done: 'COMPLETED', cancelled: 'CANCELLED' };
  return {
    id: String(row.id),
    number: row.number ? String(row.number) : `DRAFT-${row.id as number}`,
    sku: String((row['product.'] as Row | null)?.code ?? ''),
    quantity: Number(row.quantity),
    status: states[String(row.state)] ?? 'PLANNED',
    salesOrderId: saleOfReference(row.reference),
    ...stamps(row),
  };
}

function saleOfReference(reference: unknown): string | null {
  if (typeof reference !== 'string' || !reference.startsWith('sale:')) return null;
  const id = reference.slice('sale:'.length).split('|', 1)[0];
  return id || null;
}

/**
 * What a keyed create writes on its record: the key and a digest of the request, so a retry finds
 * the record and the same key with another request is refused, as the reference ERP does.
 */
function keyMark(key: string, input: unknown): { mark: string; like: string } {
  const digest = createHash('sha256').update(JSON.stringify(input)).digest('hex').slice(0, 12);
  return { mark: `${KEY_PREFIX}${key}#${digest}`, like: `${KEY_PREFIX}${escapeLike(key)}#%` };
}

function reusedKey(operation: string): AppError {
  return new AppError(ErrorCode.CONFLICT, 'idempotency key reused with a different request', { system: 'erp', operation });
}

function chunked<T>(values: readonly T[], domain: (chunk: T[]) => unknown[]): unknown[][] {
  const distinct = [...new Set(values)];
  const out: unknown[][] = [];
  for (let i = 0; i < distinct.length; i += CHUNK) out.push(domain(distinct.slice(i, i + CHUNK)));
  return out;
}

function numericIds(ids: readonly string[]): number[] {
  return ids.filter((id) => /^\d{1,15}$/.test(id)).map(Number);
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function cents(amount: string): bigint {
  const negative = amount.startsWith('-');
  const [whole, fraction = ''] = amount.replace('-', '').split('.');
  const value = BigInt(whole || '0') * 100n + BigInt((fraction + '00').slice(0, 2));
  return negative ? -value : value;
}

function fromCents(value: bigint): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  return `${negative ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

/** A Tryton Decimal string as the API's two-place amount. */
function money(value: string): string {
  return fromCents(cents(value));
}
