import { AppError } from '../../platform/errors';
import type { Database } from '../../platform/db';
import { listen } from '../../platform/http-server';
import { createMetrics, type ServiceMetrics } from '../../platform/metrics';
import { serviceTokenSigner } from '../../platform/service-auth';
import { openTestDatabase } from '../../test-support/databases';
import { buildTestErpBackend, testServiceToken } from '../../backends/erp/erp-test-fixtures';
import type { ErpBackend } from '../../backends/erp/server';
import { HttpErpConnector } from './http-erp.connector';

describe('HttpErpConnector against the reference ERP backend', () => {
  let db: Database;
  let dispose: () => Promise<void>;
  let backend: ErpBackend;
  let baseUrl: string;
  let metrics: ServiceMetrics;
  let erp: HttpErpConnector;

  beforeAll(async () => {
    const opened = await openTestDatabase('pglite', 'erp');
    if (!opened) throw new Error('PGlite is always available');
    ({ db, dispose } = opened);
    backend = await buildTestErpBackend(db);
    baseUrl = `http://127.0.0.1:${await listen(backend.app, 0)}`;
    metrics = createMetrics('connector-test');
    erp = new HttpErpConnector({ baseUrl, serviceToken: testServiceToken, metrics, timeoutMs: 5000 });
  });

  afterAll(async () => {
    await erp?.close();
    await backend?.close();
    await dispose?.();
  });

  async function calls(operation: string): Promise<number> {
    const metric = await metrics.connectorRequests.get();
    return metric.values.find((v) => v.labels.operation === operation && v.labels.system === 'erp')?.value ?? 0;
  }

  async function failure(promise: Promise<unknown>): Promise<AppError> {
    try {
      await promise;
    } catch (error) {
      if (error instanceof AppError) return error;
      throw error;
    }
    throw new Error('expected the call to fail');
  }

  it('reads customers in batches, leaving unknown numbers out, and makes no call for none', async () => {
    const customers = await erp.getCustomers(['K-20002', 'K-20001', 'K-404']);
    expect(customers.map((c) => [c.customerNo, c.name, c.creditLimit])).toEqual([
      ['K-20001', 'Acme Industrial GmbH', '50000.00'],
      ['K-20002', 'Borealis Foods AB', null],
    ]);
    const before = await calls('getCustomers');
    expect(await erp.getCustomers([])).toEqual([]);
    expect(await calls('getCustomers')).toBe(before);
    const linked = await erp.findCustomersByExternalRefs(['0b6c3a52-9a4e-4a62-8f0c-5a1d2e3f4a5b']);
    expect(linked.map((c) => c.customerNo)).toEqual(['K-20001']);
  });

  it('splits a long id list into calls of 200 and counts each one', async () => {
    const ids = ['K-20001', ...Array.from({ length: 449 }, (_, i) => `K-${90000 + i}`)];
    const before = await calls('getCustomers');
    const found = await erp.getCustomers(ids);
    expect(found.map((c) => c.customerNo)).toEqual(['K-20001']);
    expect((await calls('getCustomers')) - before).toBe(3);
    const exposed = await metrics.registry.metrics();
    expect(exposed).toMatch(/connector_requests_total\{[^}]*system="erp",operation="getCustomers"[^}]*\} \d+/);
  });

  it('pages through customers and reads catalogue, stock, balances and history', async () => {
    const page = await erp.listCustomers({ first: 1 });
    expect(page.items).toHaveLength(1);
    expect(page.totalCount).toBeGreaterThanOrEqual(2);
    const next = await erp.listCustomers({ first: 1, after: page.nextCursor });
    expect(next.items[0].customerNo).not.toBe(page.items[0].customerNo);
    expect((await erp.listWarehouses()).map((w) => w.code)).toEqual(['WH-A', 'WH-B']);
    expect((await erp.getProducts(['GEAR-1']))[0]).toMatchObject({ sku: 'GEAR-1', unitPrice: '33.33', manufactured: true });
    expect(await erp.getStockLevels(['BOLT-1'])).toEqual([{ sku: 'BOLT-1', warehouseCode: 'WH-A', onHand: 1000, reserved: 100 }]);
    expect(await erp.getOpenBalances(['K-20002'])).toEqual([{ customerNo: 'K-20002', amount: '1200.00', currency: 'SEK' }]);
    const orders = await erp.listSalesOrdersByCustomers(['K-20002'], { perCustomer: 5 });
    expect(orders.map((o) => [o.id, o.total, o.status])).toEqual([['SO-200002', '1200.00', 'INVOICED']]);
    expect((await erp.listShipmentsBySalesOrders(['SO-200002'])).map((s) => s.trackingNumber)).toEqual(['DHL-1']);
    expect((await erp.listInvoicesByCustomers(['K-20002'], { status: 'OPEN' })).map((i) => i.id)).toEqual(['INV-200001']);
    expect((await erp.listInvoicesBySalesOrders(['SO-200002'])).map((i) => i.amountDue)).toEqual(['1200.00']);
  });

  it('takes an order to cash through the connector, replaying keyed writes', async () => {
    const customer = await erp.createCustomer({ name: 'India Robotics BV', paymentTerms: 'NET30', creditLimit: '9000.00' }, 'c-india');
    expect(await erp.createCustomer({ name: 'India Robotics BV', paymentTerms: 'NET30', creditLimit: '9000.00' }, 'c-india')).toEqual(customer);
    const renamed = await erp.updateCustomer(customer.customerNo, { creditLimit: '12000.00' });
    expect(renamed).toMatchObject({ creditLimit: '12000.00', version: 2 });

    const order = await erp.createSalesOrder({ customerNo: customer.customerNo, lines: [{ sku: 'GEAR-1', quantity: 2 }], externalRef: 'opp-42' }, 'so-india');
    expect(order).toMatchObject({ status: 'CONFIRMED', total: '66.66', externalRef: 'opp-42' });
    expect((await erp.reserveStock(order.id, 'reserve-india')).lines[0].reservedQuantity).toBe(2);
    const shipment = await erp.createShipment(order.id);
    const shipped = await erp.confirmShipment(shipment.id, { carrier: 'UPS', trackingNumber: '1Z999' });
    expect(shipped).toMatchObject({ status: 'SHIPPED', carrier: 'UPS', lines: [{ sku: 'GEAR-1', quantity: 2 }] });
    const invoice = await erp.createInvoice(order.id);
    expect(invoice).toMatchObject({ total: '66.66', amountDue: '66.66', status: 'OPEN' });
    expect((await erp.recordPayment(invoice.id, { amount: '16.66' }, 'pay-india-1')).amountDue).toBe('50.00');
    expect((await erp.recordPayment(invoice.id, { amount: '50.00', reference: 'final' })).status).toBe('PAID');
    expect((await erp.getSalesOrders([order.id]))[0].status).toBe('PAID');
    expect((await erp.getInvoices([invoice.id]))[0].amountDue).toBe('0.00');

    const production = await erp.createProductionOrder({ sku: 'PUMP-1', quantity: 2 });
    expect((await erp.getProductionOrders([production.id]))[0].status).toBe('PLANNED');
    expect((await erp.cancelProductionOrder(production.id)).status).toBe('CANCELLED');
    expect(await erp.listProductionOrdersBySalesOrders([order.id])).toEqual([]);
  });

  it('turns backend errors into AppErrors with the backend’s code', async () => {
    const missing = await failure(erp.updateCustomer('K-99999', { name: 'Nobody' }));
    expect(missing.code).toBe('NOT_FOUND');
    const order = await erp.createSalesOrder({ customerNo: 'K-20001', status: 'DRAFT', lines: [{ sku: 'BOLT-1', quantity: 1 }] });
    const illegal = await failure(erp.setSalesOrderStatus(order.id, 'PAID'));
    expect(illegal.code).toBe('CONFLICT');
    expect(illegal.message).toContain('DRAFT to PAID');
    const bad = await failure(erp.recordPayment('INV-200001', { amount: '12,50' }));
    expect(bad.code).toBe('BAD_USER_INPUT');
    expect(bad.details).toMatchObject({ field: 'amount', system: 'erp', operation: 'recordPayment', status: 400 });
    const reused = await failure(erp.createCustomer({ name: 'Another one' }, 'c-india'));
    expect(reused.code).toBe('CONFLICT');
  });

  it('is refused without the right credential and reports a stopped backend as unavailable', async () => {
    const stranger = new HttpErpConnector({ baseUrl, serviceToken: serviceTokenSigner('not-the-internal-secret-0000', 'stranger') });
    expect((await failure(stranger.listWarehouses())).code).toBe('UNAUTHENTICATED');
    await stranger.close();
    const nowhere = new HttpErpConnector({ baseUrl: 'http://127.0.0.1:9', serviceToken: testServiceToken, retries: 0, timeoutMs: 1000 });
    expect((await failure(nowhere.getSalesOrders(['SO-1']))).code).toBe('UPSTREAM_UNAVAILABLE');
    await nowhere.close();
  });
});
