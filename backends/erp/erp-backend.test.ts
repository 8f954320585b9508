import { request } from 'undici';
import type { Database } from '../../platform/db';
import { listen } from '../../platform/http-server';
import { DATABASE_KINDS, openTestDatabase } from '../../test-support/databases';
import { describeOn } from '../../test-support/services';
import { buildTestErpBackend, testServiceToken } from './erp-test-fixtures';
import type { ErpBackend } from './server';
import { DEFAULT_CREDIT_LIMIT } from './services/credit.service';
import type { ErpCreditAssessment, ErpCustomer, ErpInvoice, ErpSalesOrder, ErpShipment, ErpStockLevel, ErpProductionOrder } from '../../connectors/erp/erp.connector';

describeOn(DATABASE_KINDS, 'ERP backend on %s', (kind) => {
  let db: Database;
  let backend: ErpBackend;
  let baseUrl: string;
  let dispose: (() => Promise<void>) | undefined;


  beforeAll(async () => {
    const opened = await openTestDatabase(kind, 'erp');
    ({ db, dispose } = opened);
    backend = await buildTestErpBackend(db);
    baseUrl = `http://127.0.0.1:${await listen(backend.app, 0)}`;
  });

  afterAll(async () => {
    await backend?.close();
    await dispose?.();
  });

  type Method = 'GET' | 'POST' | 'PATCH';

  async function call<T = unknown>(method: Method, url: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await request(`${baseUrl}${url}`, {
      method,
      headers: { 'x-service-token': testServiceToken(), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.statusCode, body: (await response.body.json()) as T, headers: response.headers };
  }

  async function ok<T>(method: Method, url: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    const response = await call<T>(method, url, body, headers);
    if (response.status >= 300) throw new Error(`${method} ${url} answered ${response.status}: ${JSON.stringify(response.body)}`);
    return response.body;
  }

  async function stockOf(sku: string): Promise<ErpStockLevel[]> {
    return (await ok<{ items: ErpStockLevel[] }>('GET', `/stock-levels?skus=${sku}`)).items;
  }

  async function newProductWithStock(sku: string, stock: Record<string, number>, unitPrice = '10.00', manufactured = true): Promise<void> {
    // Products and stock arrive in the ERP by master data maintenance, which this API does not
    // offer; the test puts them there directly.
    await db.query('INSERT INTO products (sku, name, unit_price, currency, manufactured) VALUES ($1, $1, $2, $3, $4)', [sku, unitPrice, 'EUR', manufactured]);
    for (const [warehouseCode, onHand] of Object.entries(stock)) {
      await db.query('INSERT INTO stock_levels (sku, warehouse_code, on_hand) VALUES ($1, $2, $3)', [sku, warehouseCode, onHand]);
    }
  }

  describe('service credential', () => {
    test('refuses calls without an x-service-token and keeps /health open', async () => {
      const refused = await request(`${baseUrl}/customers`);
      expect(refused.statusCode).toBe(401);
      expect(await refused.body.json()).toEqual({ error: { code: 'UNAUTHENTICATED', message: 'internal credential required' } });
      const forged = await request(`${baseUrl}/customers`, { headers: { 'x-service-token': 'erp-test.1.abcd' } });
      expect(forged.statusCode).toBe(401);
      await forged.body.dump();
      const health = await request(`${baseUrl}/health`);
      expect(await health.body.json()).toEqual({ status: 'ok', service: 'erp-backend' });
    });
  });

  describe('customers', () => {
    test('creates a customer under a new K- number above the seeded ones', async () => {
      const { status, body } = await call<ErpCustomer>('POST', '/customers', { name: 'Cobalt Tools Ltd', country: 'GB', creditLimit: '2500.50', paymentTerms: 'NET45' });
      expect(status).toBe(201);
      expect(body).toMatchObject({ name: 'Cobalt Tools Ltd', country: 'GB', creditLimit: '2500.50', paymentTerms: 'NET45', currency: 'EUR', version: 1, externalRef: null });
      expect(Number(body.customerNo.slice(2))).toBeGreaterThan(20002);
    });

    test('replays the stored answer for a repeated Idempotency-Key and refuses the key for another body', async () => {
      const input = { name: 'Delta Pumps SA', email: 'ap@delta.example' };
      const first = await call<ErpCustomer>('POST', '/customers', input, { 'idempotency-key': 'create-delta' });
      const again = await call<ErpCustomer>('POST', '/customers', input, { 'idempotency-key': 'create-delta' });
      expect(first.status).toBe(201);
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
      expect(again.headers['idempotent-replayed']).toBe('true');
      const found = await ok<{ items: ErpCustomer[] }>('GET', '/customers?search=delta%20pumps');
      expect(found.items.map((c) => c.customerNo)).toEqual([first.body.customerNo]);

      const other = await call<{ error: { code: string } }>('POST', '/customers', { name: 'Someone Else' }, { 'idempotency-key': 'create-delta' });
      expect(other.status).toBe(409);
      expect(other.body.error.code).toBe('CONFLICT');
    });

    test('answers 400 naming the field for invalid input', async () => {
      const bad = await call<{ error: { code: string; message: string; details: { field: string } } }>('POST', '/customers', { name: 'X', creditLimit: 12.5 });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('BAD_USER_INPUT');
      expect(bad.body.error.details.field).toBe('creditLimit');
      const terms = await call<{ error: { message: string } }>('POST', '/customers', { name: 'X', paymentTerms: 'thirty days' });
      expect(terms.body.error.message).toMatch(/^paymentTerms: /);
      for (const country of ['Germany', 'de', 'XX']) {
        const refused = await call<{ error: { code: string; details: { field: string } } }>('POST', '/customers', { name: 'X', country });
        expect(refused.status).toBe(400);
        expect(refused.body.error).toMatchObject({ code: 'BAD_USER_INPUT', details: { field: 'country' } });
      }
      const unknown = await call<{ error: { message: string } }>('POST', '/customers', { name: 'X', vatId: 'DE1' });
      expect(unknown.body.error.message).toMatch(/vatId/);
    });

    test('updates only the given fields, bumping the version', async () => {
      const updated = await ok<ErpCustomer>('PATCH', '/customers/K-20002', { creditLimit: '1000.00', paymentTerms: 'NET60' });
      expect(updated).toMatchObject({ customerNo: 'K-20002', name: 'Borealis Foods AB', creditLimit: '1000.00', paymentTerms: 'NET60', version: 2 });
      expect(Date.parse(updated.updatedAt)).toBeGreaterThan(Date.parse(updated.createdAt));
    });

    test('keeps a CRM account linked to one customer only', async () => {
      const taken = await call<{ error: { code: string; message: string } }>('PATCH', '/customers/K-20002', { externalRef: '0b6c3a52-9a4e-4a62-8f0c-5a1d2e3f4a5b' });
      expect(taken.status).toBe(409);
      expect(taken.body.error.message).toContain('K-20001');
    });

    test('answers 404 for an unknown customer', async () => {
      expect((await call('GET', '/customers/K-99999')).status).toBe(404);
      const patch = await call<{ error: { code: string } }>('PATCH', '/customers/K-99999', { name: 'Ghost' });
      expect(patch.status).toBe(404);
      expect(patch.body.error.code).toBe('NOT_FOUND');
    });

    test('reads a batch by numbers and by CRM account ids, leaving unknown ones out', async () => {
      const byNo = await ok<{ items: ErpCustomer[] }>('GET', '/customers?ids=K-20002,K-20001,K-00000');
      expect(byNo.items.map((c) => c.customerNo)).toEqual(['K-20001', 'K-20002']);
      const byRef = await ok<{ items: ErpCustomer[] }>('GET', '/customers?external_refs=0b6c3a52-9a4e-4a62-8f0c-5a1d2e3f4a5b,nope');
      expect(byRef.items.map((c) => c.customerNo)).toEqual(['K-20001']);
    });

    test('pages through every customer once and polls changes since an instant in a stable order', async () => {
      const seen: string[] = [];
      let after: string | null = null;
      let total = 0;
      do {
        const page: { items: ErpCustomer[]; nextCursor: string | null; totalCount: number } = await ok('GET', `/customers?first=2${after ? `&after=${after}` : ''}`);
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((c) => c.customerNo));
        total = page.totalCount;
        after = page.nextCursor;
      } while (after);
      expect(seen.length).toBe(total);
      expect(new Set(seen).size).toBe(total);
      expect(seen).toEqual([...seen].sort());

      const since = new Date().toISOString();
      await new Promise((resolve) => setTimeout(resolve, 5));
      const a = await ok<ErpCustomer>('POST', '/customers', { name: 'Echo Metals' });
      await ok('PATCH', '/customers/K-20001', { industry: 'Industrial machinery' });
      const changed = await ok<{ items: ErpCustomer[]; totalCount: number; nextCursor: string | null }>('GET', `/customers?updated_since=${since}&first=1`);
      expect(changed.totalCount).toBe(2);
      expect(changed.items.map((c) => c.customerNo)).toEqual([a.customerNo]);
      const rest = await ok<{ items: ErpCustomer[]; nextCursor: string | null }>('GET', `/customers?updated_since=${since}&first=1&after=${changed.nextCursor}`);
      expect(rest.items.map((c) => c.customerNo)).toEqual(['K-20001']);
      expect(rest.nextCursor).toBeNull();
    });

    test('refuses page sizes above 500 and malformed cursors or instants', async () => {
      expect((await call('GET', '/customers?first=501')).status).toBe(400);
      expect((await call('GET', '/customers?after=garbage!')).status).toBe(400);
      const since = await call<{ error: { details: { field: string } } }>('GET', '/customers?updated_since=yesterday');
      expect(since.status).toBe(400);
      expect(since.body.error.details.field).toBe('updated_since');
    });
  });

  describe('sales orders and stock', () => {
    test('prices lines from the catalogue unless given and reserves across warehouses in code order', async () => {
      const order = await ok<ErpSalesOrder>('POST', '/sales-orders', {
        customerNo: 'K-20001',
        externalRef: 'opp-1',
        lines: [
          { sku: 'GEAR-1', quantity: 3 },
          { sku: 'BOLT-1', quantity: 7, unitPrice: '0.05' },
        ],
      });
      expect(order).toMatchObject({ status: 'CONFIRMED', currency: 'EUR', total: '100.34', externalRef: 'opp-1' });
      expect(order.id).toMatch(/^SO-\d+$/);
      expect(order.lines.map((l) => l.unitPrice)).toEqual(['33.33', '0.05']);

      await newProductWithStock('VALVE-1', { 'WH-A': 2, 'WH-B': 5 });
      const valves = await ok<ErpSalesOrder>('POST', '/sales-orders', { customerNo: 'K-20001', lines: [{ sku: 'VALVE-1', quantity: 4 }] });
      const reserved = await ok<ErpSalesOrder>('POST', `/sales-orders/${valves.id}/reserve`);
      expect(reserved.lines[0].reservedQuantity).toBe(4);
      expect(reserved.version).toBe(2);
      expect(await stockOf('VALVE-1')).toEqual([
        { sku: 'VALVE-1', warehouseCode: 'WH-A', onHand: 2, reserved: 2 },
        { sku: 'VALVE-1', warehouseCode: 'WH-B', onHand: 5, reserved: 2 },
      ]);

      const released = await ok<ErpSalesOrder>('POST', `/sales-orders/${valves.id}/release`);
      expect(released.lines[0].reservedQuantity).toBe(0);
      expect((await stockOf('VALVE-1')).map((s) => s.reserved)).toEqual([0, 0]);
      const nothing = await ok<ErpSalesOrder>('POST', `/sales-orders/${valves.id}/release`);
      expect(nothing.version).toBe(released.version);
    });

    test('gives the last units to only one of two orders reserving at the same time', async () => {
      await newProductWithStock('LAST-1', { 'WH-A': 3 });
      const [a, b] = await Promise.all([
        ok<ErpSalesOrder>('POST', '/sales-orders', { customerNo: 'K-20001', lines: [{ sku: 'LAST-1', quantity: 3 }] }),
        ok<ErpSalesOrder>('POST', '/sales-orders', { customerNo: 'K-20001', lines: [{ sku: 'LAST-1', quantity: 3 }] }),
      ]);
      const results = await Promise.all([ok<ErpSalesOrder>('POST', `/sales-orders/${a.id}/reserve`), ok<ErpSalesOrder>('POST', `/sales-orders/${b.id}/reserve`)]);
      expect(results.map((o) => o.lines[0].reservedQuantity).sort()).toEqual([0, 3]);
      expect(await stockOf('LAST-1')).toEqual([{ sku: 'LAST-1', warehouseCode: 'WH-A', onHand: 3, reserved: 3 }]);
    });

    test('follows the lifecycle and answers 409 for an illegal transition', async () => {
      const order = await ok<ErpSalesOrder>('POST', '/sales-orders', { customerNo: 'K-20001', status: 'DRAFT', lines: [{ sku: 'BOLT-1', quantity: 10 }] });
      expect(order.status).toBe('DRAFT');
      const draftReserve = await call<{ error: { code: string } }>('POST', `/sales-orders/${order.id}/reserve`);
      expect(draftReserve.status).toBe(409);
      const illegal = await call<{ error: { code: string; message: string } }>('POST', `/sales-orders/${order.id}/status`, { status: 'SHIPPED' });
      expect(illegal.status).toBe(409);
      expect(illegal.body.error.message).toContain('DRAFT to SHIPPED');
      expect((await ok<ErpSalesOrder>('POST', `/sales-orders/${order.id}/status`, { status: 'CONFIRMED' })).status).toBe('CONFIRMED');
      await ok('POST', `/sales-orders/${order.id}/reserve`);
      const before = (await stockOf('BOLT-1'))[0].reserved;
      const cancelled = await ok<ErpSalesOrder>('POST', `/sales-orders/${order.id}/status`, { status: 'CANCELLED' });
      expect(cancelled.status).toBe('CANCELLED');
      expect(cancelled.lines[0].reservedQuantity).toBe(0);
      expect((await stockOf('BOLT-1'))[0].reserved).toBe(before - 10);
      expect((await call('POST', `/sales-orders/${order.id}/status`, { status: 'CONFIRMED' })).status).toBe(409);
      expect((await call('POST', '/sales-orders/SO-1/status', { status: 'CONFIRMED' })).status).toBe(404);
    });

    test('answers 404 naming the field for an unknown customer or product in a new order', async () => {
      const customer = await call<{ error: { code: string; details: { field: string } } }>('POST', '/sales-orders', { customerNo: 'K-1', lines: [{ sku: 'BOLT-1', quantity: 1 }] });
      expect(customer.status).toBe(404);
      expect(customer.body.error.details.field).toBe('customerNo');
      const product = await call<{ error: { details: { field: string } } }>('POST', '/sales-orders', { customerNo: 'K-20001', lines: [{ sku: 'NOPE', quantity: 1 }] });
      expect(product.body.error.details.field).toBe('lines.0.sku');
      const quantity = await call<{ error: { details: { field: string } } }>('POST', '/sales-orders', { customerNo: 'K-20001', lines: [{ sku: 'BOLT-1', quantity: 0 }] });
      expect(quantity.status).toBe(400);
      expect(quantity.body.error.details.field).toBe('lines.0.quantity');
    });

    test('lists a customer’s newest orders and filters by status', async () => {
      const newest = await ok<{ items: ErpSalesOrder[] }>('GET', '/sales-orders?customer_nos=K-20002,K-20001&per_customer=1');
      expect(newest.items).toHaveLength(2);
      const invoiced = await ok<{ items: ErpSalesOrder[]; totalCount: number }>('GET', '/sales-orders?status=INVOICED&customer_no=K-20002');
      expect(invoiced.items.map((o) => o.id)).toEqual(['SO-200002']);
      expect(invoiced.totalCount).toBe(1);
    });
  });

  describe('credit', () => {
    async function customerWithLimit(creditLimit: string | null): Promise<string> {
      return (await ok<ErpCustomer>('POST', '/customers', { name: `Credit ${creditLimit} GmbH`, currency: 'EUR', ...(creditLimit === null ? {} : { creditLimit }) })).customerNo;
    }

    test('gives a customer created without a limit the default one, and checks a cleared limit against it', async () => {
      const customerNo = await customerWithLimit(null);
      expect((await ok<ErpCustomer>('GET', `/customers/${customerNo}`)).creditLimit).toBe(DEFAULT_CREDIT_LIMIT);
      await ok('PATCH', `/customers/${customerNo}`, { creditLimit: null });
      const assessment = await ok<ErpCreditAssessment>('POST', `/customers/${customerNo}/credit-assessment`, { lines: [{ sku: 'PUMP-1', quantity: 9 }] });
      expect(assessment).toEqual({ customerNo, currency: 'EUR', creditLimit: DEFAULT_CREDIT_LIMIT, defaultLimit: true, exposure: '0.00', orderTotal: '10800.00', approved: false });
      const refused = await call<{ error: { code: string } }>('POST', '/sales-orders', { customerNo, lines: [{ sku: 'PUMP-1', quantity: 9 }] });
      expect(refused.status).toBe(422);
      expect(refused.body.error.code).toBe('CREDIT_LIMIT_EXCEEDED');
    });

    test('counts open orders, not only invoices, and checks a draft when it is confirmed', async () => {
      const customerNo = await customerWithLimit('100.00');
      await ok('POST', '/sales-orders', { customerNo, lines: [{ sku: 'GEAR-1', quantity: 2 }] });
      const second = await call<{ error: { code: string; details: Record<string, string> } }>('POST', '/sales-orders', { customerNo, lines: [{ sku: 'GEAR-1', quantity: 2 }] });
      expect(second.status).toBe(422);
      expect(second.body.error).toMatchObject({ code: 'CREDIT_LIMIT_EXCEEDED', details: { exposure: '66.66', orderTotal: '66.66', creditLimit: '100.00' } });
      const draft = await ok<ErpSalesOrder>('POST', '/sales-orders', { customerNo, status: 'DRAFT', lines: [{ sku: 'GEAR-1', quantity: 2 }] });
      const confirm = await call<{ error: { code: string } }>('POST', `/sales-orders/${draft.id}/status`, { status: 'CONFIRMED' });
      expect(confirm.body.error.code).toBe('CREDIT_LIMIT_EXCEEDED');
      expect((await ok<ErpSalesOrder>('POST', `/sales-orders/${draft.id}/status`, { status: 'CANCELLED' })).status).toBe('CANCELLED');
    });

    test('lets 20 orders racing for one customer jointly stay within its limit', async () => {
      const customerNo = await customerWithLimit('166.65');
      const answers = await Promise.all(Array.from({ length: 20 }, () => call<{ error?: { code: string } }>('POST', '/sales-orders', { customerNo, lines: [{ sku: 'GEAR-1', quantity: 1 }] })));
      expect(answers.filter((a) => a.status === 201)).toHaveLength(5);
      expect(answers.filter((a) => a.status === 422 && a.body.error?.code === 'CREDIT_LIMIT_EXCEEDED')).toHaveLength(15);
      const orders = await ok<{ items: ErpSalesOrder[] }>('GET', `/sales-orders?customer_nos=${customerNo}&per_customer=50`);
      expect(orders.items.reduce((sum, o) => sum + Math.round(Number(o.total) * 100), 0)).toBe(16665);
    });

    test('refuses a product priced in another currency than the customer’s with CURRENCY_MISMATCH', async () => {
      const refused = await call<{ error: { code: string; details: { field: string } } }>('POST', '/sales-orders', { customerNo: 'K-20002', lines: [{ sku: 'BOLT-1', quantity: 1 }] });
      expect(refused.status).toBe(422);
      expect(refused.body.error).toMatchObject({ code: 'CURRENCY_MISMATCH', details: { field: 'lines.0.sku' } });
    });
  });

  describe('production, shipping and finance', () => {
    test('stocks a completed production order in the first warehouse, reserved for its sales order', async () => {
      await newProductWithStock('MOTOR-1', {}, '250.00');
      const order = await ok<ErpSalesOrder>('POST', '/sales-orders', { customerNo: 'K-20001', lines: [{ sku: 'MOTOR-1', quantity: 5 }] });
      expect((await ok<ErpSalesOrder>('POST', `/sales-orders/${order.id}/reserve`)).lines[0].reservedQuantity).toBe(0);
      const production = await call<ErpProductionOrder>('POST', '/production-orders', { sku: 'MOTOR-1', quantity: 6, salesOrderId: order.id });
      expect(production.status).toBe(201);
      expect(production.body).toMatchObject({ status: 'PLANNED', quantity: 6, salesOrderId: order.id });
      expect((await ok<ErpSalesOrder>('GET', `/sales-orders/${order.id}`)).status).toBe('IN_PRODUCTION');
      const completed = await ok<ErpProductionOrder>('POST', `/production-orders/${production.body.id}/complete`);
      expect(completed.status).toBe('COMPLETED');
      expect(await stockOf('MOTOR-1')).toEqual([{ sku: 'MOTOR-1', warehouseCode: 'WH-A', onHand: 6, reserved: 5 }]);
      expect((await ok<ErpSalesOrder>('GET', `/sales-orders/${order.id}`)).lines[0].reservedQuantity).toBe(5);
      expect((await call('POST', `/production-orders/${production.body.id}/cancel`)).status).toBe(409);
      const purchased = await call<{ error: { details: { field: string } } }>('POST', '/production-orders', { sku: 'BOLT-1', quantity: 1 });
      expect(purchased.status).toBe(400);
      expect(purchased.body.error.details.field).toBe('sku');
    });

    test('cancels a pending shipment once (again: no change); it can no longer be confirmed and the order can be shipped anew', async () => {
      const order = await ok<ErpSalesOrder>('POST', '/sales-orders', { customerNo: 'K-20001', lines: [{ sku: 'GEAR-1', quantity: 2 }] });
      await ok('POST', `/sales-orders/${order.id}/reserve`);
      const shipment = await ok<ErpShipment>('POST', '/shipments', { salesOrderId: order.id });

      const cancelled = await ok<ErpShipment>('POST', `/shipments/${shipment.id}/cancel`);
      expect(cancelled).toMatchObject({ status: 'CANCELLED', version: 2 });
      expect(await ok<ErpShipment>('POST', `/shipments/${shipment.id}/cancel`)).toMatchObject({ status: 'CANCELLED', version: 2 });
      expect((await call('POST', `/shipments/${shipment.id}/confirm`, { carrier: 'DHL', trackingNumber: 'x' })).status).toBe(409);
      expect((await call('POST', '/shipments/SH-999999/cancel')).status).toBe(404);
      // The goods stay reserved for the order, so a new shipment covers them again.
      expect(await ok<ErpShipment>('POST', '/shipments', { salesOrderId: order.id })).toMatchObject({ status: 'PENDING', lines: [{ sku: 'GEAR-1', quantity: 2 }] });
    });

    test('ships reserved goods, invoices them due per payment terms and closes the order on exact payment', async () => {
      const order = await ok<ErpSalesOrder>('POST', '/sales-orders', { customerNo: 'K-20001', lines: [{ sku: 'GEAR-1', quantity: 3 }] });
      await ok('POST', `/sales-orders/${order.id}/reserve`);
      expect((await call('POST', '/invoices', { salesOrderId: order.id })).status).toBe(409);
      const gearBefore = await stockOf('GEAR-1');

      const shipment = await call<ErpShipment>('POST', '/shipments', { salesOrderId: order.id });
      expect(shipment.status).toBe(201);
      expect(shipment.body).toMatchObject({ status: 'PENDING', salesOrderId: order.id, lines: [{ sku: 'GEAR-1', quantity: 3 }], shippedAt: null });
      expect((await ok<ErpSalesOrder>('GET', `/sales-orders/${order.id}`)).status).toBe('READY_TO_SHIP');
      expect((await call('POST', '/shipments', { salesOrderId: order.id })).status).toBe(409);

      const shipped = await ok<ErpShipment>('POST', `/shipments/${shipment.body.id}/confirm`, { carrier: 'DHL', trackingNumber: '00340434' });
      expect(shipped).toMatchObject({ status: 'SHIPPED', carrier: 'DHL', trackingNumber: '00340434', version: 2 });
      expect(shipped.shippedAt).not.toBeNull();
      const gearAfter = await stockOf('GEAR-1');
      const sum = (levels: ErpStockLevel[], f: 'onHand' | 'reserved') => levels.reduce((s, l) => s + l[f], 0);
      expect(sum(gearAfter, 'onHand')).toBe(sum(gearBefore, 'onHand') - 3);
      expect(sum(gearAfter, 'reserved')).toBe(sum(gearBefore, 'reserved') - 3);
      const afterShipping = await ok<ErpSalesOrder>('GET', `/sales-orders/${order.id}`);
      expect(afterShipping.status).toBe('SHIPPED');
      expect(afterShipping.lines[0]).toMatchObject({ shippedQuantity: 3, reservedQuantity: 0 });
      expect((await call('POST', `/shipments/${shipment.body.id}/confirm`, { carrier: 'DHL', trackingNumber: 'x' })).status).toBe(409);
      expect((await call('POST', `/shipments/${shipment.body.id}/cancel`)).status).toBe(409);

      const invoice = await call<ErpInvoice>('POST', '/invoices', { salesOrderId: order.id });
      expect(invoice.status).toBe(201);
      const due = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);
      expect(invoice.body).toMatchObject({ customerNo: 'K-20001', salesOrderId: order.id, status: 'OPEN', total: '99.99', amountDue: '99.99', currency: 'EUR', dueDate: due });
      expect((await ok<ErpSalesOrder>('GET', `/sales-orders/${order.id}`)).status).toBe('INVOICED');

      const tooMuch = await call<{ error: { code: string; details: { field: string } } }>('POST', `/invoices/${invoice.body.id}/payments`, { amount: '100.00' });
      expect(tooMuch.status).toBe(400);
      expect(tooMuch.body.error.details.field).toBe('amount');
      expect((await call('POST', `/invoices/${invoice.body.id}/payments`, { amount: '0.00' })).status).toBe(400);
      expect((await call('POST', `/invoices/${invoice.body.id}/payments`, { amount: '0.001' })).status).toBe(400);

      const first = await ok<ErpInvoice>('POST', `/invoices/${invoice.body.id}/payments`, { amount: '33.33', reference: 'bank-1' }, { 'idempotency-key': 'pay-1' });
      expect(first).toMatchObject({ status: 'OPEN', amountDue: '66.66' });
      const replay = await ok<ErpInvoice>('POST', `/invoices/${invoice.body.id}/payments`, { amount: '33.33', reference: 'bank-1' }, { 'idempotency-key': 'pay-1' });
      expect(replay.amountDue).toBe('66.66');
      const balance = await ok<{ items: { customerNo: string; amount: string }[] }>('GET', '/open-balances?customer_nos=K-20001');
      expect(balance.items).toEqual([{ customerNo: 'K-20001', amount: '66.66', currency: 'EUR' }]);

      const paid = await ok<ErpInvoice>('POST', `/invoices/${invoice.body.id}/payments`, { amount: '66.66' });
      expect(paid).toMatchObject({ status: 'PAID', amountDue: '0.00' });
      expect((await ok<ErpSalesOrder>('GET', `/sales-orders/${order.id}`)).status).toBe('PAID');
      expect((await call('POST', `/invoices/${invoice.body.id}/payments`, { amount: '1.00' })).status).toBe(409);
      const payments = await ok<{ items: { amount: string }[] }>('GET', `/payments?invoice_ids=${invoice.body.id}`);
      expect(payments.items.map((p) => p.amount)).toEqual(['33.33', '66.66']);
    });

    test('marks OPEN invoices past their due date OVERDUE, keeping them in the open balance', async () => {
      expect((await ok<ErpInvoice>('GET', '/invoices/INV-200001')).status).toBe('OPEN');
      expect(await backend.sweepOverdueInvoices()).toBe(1);
      const overdue = await ok<ErpInvoice>('GET', '/invoices/INV-200001');
      expect(overdue).toMatchObject({ status: 'OVERDUE', version: 2, dueDate: '2024-03-04' });
      const balances = await ok<{ items: { customerNo: string; amount: string; currency: string }[] }>('GET', '/open-balances?customer_nos=K-20002,K-404');
      expect(balances.items).toEqual([{ customerNo: 'K-20002', amount: '1200.00', currency: 'SEK' }]);
      const listed = await ok<{ items: ErpInvoice[] }>('GET', '/invoices?customer_nos=K-20002&status=OVERDUE');
      expect(listed.items.map((i) => i.id)).toEqual(['INV-200001']);
    });
  });

  describe('change events', () => {
    test('records an outbox event with entity, id and version in the same transaction as each change', async () => {
      const customer = await ok<ErpCustomer>('POST', '/customers', { name: 'Foxtrot Logistics' });
      await ok('PATCH', `/customers/${customer.customerNo}`, { industry: 'Logistics' });
      const { rows } = await db.query<{ entity: string; entity_id: string; version: number; action: string }>(
        'SELECT entity, entity_id, version, action FROM outbox_events WHERE entity_id = $1 ORDER BY seq',
        [customer.customerNo],
      );
      expect(rows).toEqual([
        { entity: 'customer', entity_id: customer.customerNo, version: 1, action: 'created' },
        { entity: 'customer', entity_id: customer.customerNo, version: 2, action: 'updated' },
      ]);
      const failed = await call('PATCH', `/customers/${customer.customerNo}`, { country: 'Germany' });
      expect(failed.status).toBe(400);
      const after = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox_events WHERE entity_id = $1', [customer.customerNo]);
      expect(after.rows[0].n).toBe(2);
    });
  });
});
