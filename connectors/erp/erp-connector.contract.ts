import { AppError } from '../../platform/errors';
import type { ErpConnector } from './erp.connector';

/**
 * What every ErpConnector must do, whatever ERP is behind it. A target runs these cases on an ERP
 * seeded with the reference ERP's test fixtures (`tinyErpData`): two warehouses, GEAR-1, BOLT-1
 * and PUMP-1, customers K-20001 and K-20002, order SO-200001 holding a reservation and SO-200002
 * shipped and invoiced.
 */
export interface ErpContractTarget {
  /** The connector under test, ready after the suite's beforeAll. */
  erp: () => ErpConnector;
  /** The currency this ERP keeps K-20002's money in (Tryton bills in its company currency only). */
  currencyOfK20002: string;
}

export async function failure(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

/** Registers the shared connector cases in the current describe block. */
export function erpConnectorContract(target: ErpContractTarget): void {
  const erp = () => target.erp();

  it('reads customers in batches, leaving unknown numbers out', async () => {
    const customers = await erp().getCustomers(['K-20002', 'K-20001', 'K-404']);
    expect(customers.map((c) => [c.customerNo, c.name, c.creditLimit]).sort()).toEqual([
      ['K-20001', 'Acme Industrial GmbH', '50000.00'],
      ['K-20002', 'Borealis Foods AB', null],
    ]);
    expect(await erp().getCustomers([])).toEqual([]);
    const linked = await erp().findCustomersByExternalRefs(['0b6c3a52-9a4e-4a62-8f0c-5a1d2e3f4a5b']);
    expect(linked.map((c) => c.customerNo)).toEqual(['K-20001']);
    expect(linked[0]).toMatchObject({ email: 'buying@acme.example', industry: 'Machinery', country: 'DE', paymentTerms: 'NET14', externalRef: '0b6c3a52-9a4e-4a62-8f0c-5a1d2e3f4a5b' });
  });

  it('pages through customers and reads catalogue, stock, balances and history', async () => {
    const page = await erp().listCustomers({ first: 1 });
    expect(page.items).toHaveLength(1);
    expect(page.totalCount).toBeGreaterThanOrEqual(2);
    const next = await erp().listCustomers({ first: 1, after: page.nextCursor });
    expect(next.items[0].customerNo).not.toBe(page.items[0].customerNo);
    expect((await erp().listWarehouses()).map((w) => w.code)).toEqual(['WH-A', 'WH-B']);
    expect((await erp().getProducts(['GEAR-1']))[0]).toMatchObject({ sku: 'GEAR-1', unitPrice: '33.33', manufactured: true });
    expect((await erp().getProducts(['BOLT-1']))[0]).toMatchObject({ sku: 'BOLT-1', unitPrice: '0.10', manufactured: false });
    expect(await erp().getStockLevels(['BOLT-1'])).toEqual([{ sku: 'BOLT-1', warehouseCode: 'WH-A', onHand: 1000, reserved: 100 }]);
    expect(await erp().getOpenBalances(['K-20002'])).toEqual([{ customerNo: 'K-20002', amount: '1200.00', currency: target.currencyOfK20002 }]);
    const orders = await erp().listSalesOrdersByCustomers(['K-20002'], { perCustomer: 5 });
    expect(orders.map((o) => [o.number, o.total, o.status])).toEqual([['SO-200002', '1200.00', 'INVOICED']]);
    const [invoiced] = orders;
    expect((await erp().getSalesOrders([invoiced.id]))[0].lines).toEqual([{ lineNo: 1, sku: 'PUMP-1', quantity: 1, unitPrice: '1200.00', reservedQuantity: 0, shippedQuantity: 1 }]);
    expect((await erp().listShipmentsBySalesOrders([invoiced.id])).map((s) => [s.trackingNumber, s.status])).toEqual([['DHL-1', 'SHIPPED']]);
    const open = await erp().listInvoicesByCustomers(['K-20002'], { status: 'OPEN' });
    expect(open.map((i) => [i.salesOrderId, i.total, i.amountDue])).toEqual([[invoiced.id, '1200.00', '1200.00']]);
    expect((await erp().listInvoicesBySalesOrders([invoiced.id])).map((i) => i.amountDue)).toEqual(['1200.00']);
  });

  it('takes an order to cash through the connector, replaying keyed writes', async () => {
    const customer = await erp().createCustomer({ name: 'India Robotics BV', paymentTerms: 'NET30', creditLimit: '9000.00' }, 'c-india');
    expect(customer.customerNo).toMatch(/^K-\d+$/);
    expect(await erp().createCustomer({ name: 'India Robotics BV', paymentTerms: 'NET30', creditLimit: '9000.00' }, 'c-india')).toEqual(customer);
    const raised = await erp().updateCustomer(customer.customerNo, { creditLimit: '12000.00' });
    expect(raised).toMatchObject({ creditLimit: '12000.00', paymentTerms: 'NET30' });
    expect(raised.version).toBeGreaterThan(customer.version);

    const order = await erp().createSalesOrder({ customerNo: customer.customerNo, lines: [{ sku: 'GEAR-1', quantity: 2 }], externalRef: 'opp-42' }, 'so-india');
    expect(order).toMatchObject({ status: 'CONFIRMED', total: '66.66', externalRef: 'opp-42' });
    expect((await erp().createSalesOrder({ customerNo: customer.customerNo, lines: [{ sku: 'GEAR-1', quantity: 2 }], externalRef: 'opp-42' }, 'so-india')).id).toBe(order.id);
    expect((await erp().reserveStock(order.id, 'reserve-india')).lines[0].reservedQuantity).toBe(2);
    const shipment = await erp().createShipment(order.id);
    const shipped = await erp().confirmShipment(shipment.id, { carrier: 'UPS', trackingNumber: '1Z999' });
    expect(shipped).toMatchObject({ status: 'SHIPPED', carrier: 'UPS', trackingNumber: '1Z999', salesOrderId: order.id, lines: [{ sku: 'GEAR-1', quantity: 2 }] });
    const invoice = await erp().createInvoice(order.id);
    expect(invoice).toMatchObject({ total: '66.66', amountDue: '66.66', status: 'OPEN', customerNo: customer.customerNo, salesOrderId: order.id });
    expect((await erp().recordPayment(invoice.id, { amount: '16.66' }, 'pay-india-1')).amountDue).toBe('50.00');
    expect((await erp().recordPayment(invoice.id, { amount: '16.66' }, 'pay-india-1')).amountDue).toBe('50.00');
    expect((await erp().recordPayment(invoice.id, { amount: '50.00', reference: 'final' })).status).toBe('PAID');
    expect((await erp().getSalesOrders([order.id]))[0].status).toBe('PAID');
    expect((await erp().getInvoices([invoice.id]))[0].amountDue).toBe('0.00');

    const production = await erp().createProductionOrder({ sku: 'PUMP-1', quantity: 2 });
    expect((await erp().getProductionOrders([production.id]))[0]).toMatchObject({ status: 'PLANNED', sku: 'PUMP-1', quantity: 2 });
    expect((await erp().cancelProductionOrder(production.id)).status).toBe('CANCELLED');
    expect(await erp().listProductionOrdersBySalesOrders([order.id])).toEqual([]);
  });

  it('produces for an order, puts the output on stock and reserves it for the order', async () => {
    const order = await erp().createSalesOrder({ customerNo: 'K-20001', lines: [{ sku: 'PUMP-1', quantity: 1 }] }, 'so-pump');
    expect((await erp().reserveStock(order.id, 'reserve-pump')).lines[0].reservedQuantity).toBe(0);
    const production = await erp().createProductionOrder({ sku: 'PUMP-1', quantity: 1, salesOrderId: order.id }, 'mo-pump');
    expect((await erp().listProductionOrdersBySalesOrders([order.id])).map((p) => p.id)).toEqual([production.id]);
    expect((await erp().completeProductionOrder(production.id, 'complete-pump')).status).toBe('COMPLETED');
    expect((await erp().getSalesOrders([order.id]))[0].lines[0].reservedQuantity).toBe(1);
  });

  it('cancels a pending shipment once and refuses to cancel a shipped one', async () => {
    const order = await erp().createSalesOrder({ customerNo: 'K-20001', lines: [{ sku: 'BOLT-1', quantity: 5 }] }, 'so-cancel-shipment');
    await erp().reserveStock(order.id, 'reserve-cancel-shipment');
    const shipment = await erp().createShipment(order.id, 'ship-cancel-shipment');
    expect(shipment.status).toBe('PENDING');
    expect((await erp().cancelShipment(shipment.id, 'cancel-shipment')).status).toBe('CANCELLED');
    expect((await erp().cancelShipment(shipment.id, 'cancel-shipment')).status).toBe('CANCELLED');
    expect((await erp().cancelShipment(shipment.id)).status).toBe('CANCELLED');
    expect((await erp().getShipments([shipment.id]))[0].status).toBe('CANCELLED');
    const [invoiced] = await erp().listSalesOrdersByCustomers(['K-20002'], { perCustomer: 1 });
    const [shipped] = await erp().listShipmentsBySalesOrders([invoiced.id]);
    expect((await failure(erp().cancelShipment(shipped.id))).code).toBe('CONFLICT');
    expect((await erp().getShipments([shipped.id]))[0].status).toBe('SHIPPED');
    expect((await failure(erp().cancelShipment('999999'))).code).toBe('NOT_FOUND');
  });

  it('turns refusals into AppErrors with the API’s codes', async () => {
    const missing = await failure(erp().updateCustomer('K-99999', { name: 'Nobody' }));
    expect(missing.code).toBe('NOT_FOUND');
    const order = await erp().createSalesOrder({ customerNo: 'K-20001', status: 'DRAFT', lines: [{ sku: 'BOLT-1', quantity: 1 }] });
    expect(order.status).toBe('DRAFT');
    const illegal = await failure(erp().setSalesOrderStatus(order.id, 'PAID'));
    expect(illegal.code).toBe('CONFLICT');
    expect(illegal.message).toContain('DRAFT to PAID');
    expect((await erp().setSalesOrderStatus(order.id, 'CANCELLED')).status).toBe('CANCELLED');
    const [invoice] = await erp().listInvoicesByCustomers(['K-20002'], { status: 'OPEN' });
    const bad = await failure(erp().recordPayment(invoice.id, { amount: '12,50' }));
    expect(bad.code).toBe('BAD_USER_INPUT');
    expect(bad.details).toMatchObject({ field: 'amount', system: 'erp', operation: 'recordPayment', status: 400 });
    const reused = await failure(erp().createCustomer({ name: 'Another one' }, 'c-india'));
    expect(reused.code).toBe('CONFLICT');
  });
}
