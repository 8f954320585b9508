import { createMetrics } from '../../../platform/metrics';
import { erpConnectorContract, failure } from '../erp-connector.contract';
import type { ErpSalesOrder } from '../erp.connector';
import { TrytonErpConnector } from './tryton-erp.connector';
import { connectToTrytonDatabase, describeTryton, openTrytonTestDatabase, startLossyProxy, type TrytonTestDatabase } from './tryton-test-support';

jest.setTimeout(240_000);

describeTryton('TrytonErpConnector against Tryton 6.0', () => {
  let tryton: TrytonTestDatabase;
  let erp: TrytonErpConnector;
  const connect = (url = tryton.url) =>
    new TrytonErpConnector({ url, database: tryton.database, login: tryton.settings.login, password: tryton.settings.password, metrics: createMetrics('tryton-connector-test') });

  beforeAll(async () => {
    tryton = await openTrytonTestDatabase();
    erp = connect();
  });

  afterAll(async () => {
    await erp?.close();
    await tryton?.dispose();
  });

  erpConnectorContract({ erp: () => erp, currencyOfK20002: 'EUR' });

  async function salesWithKey(key: string): Promise<number> {
    return erp.rpc.model<number>('test', 'sale.sale', 'search_count', [[['description', 'like', `key:${key}#%`]]]);
  }

  it('retried after a lost response, a keyed create finds the record it made instead of making another', async () => {
    const proxy = await startLossyProxy(tryton.url);
    const viaProxy = connect(proxy.url);
    try {
      proxy.loseNextResponseOf('model.sale.sale.create');
      const lost = await failure(viaProxy.createSalesOrder({ customerNo: 'K-20001', lines: [{ sku: 'BOLT-1', quantity: 3 }] }, 'so-lost'));
      expect(lost.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(await salesWithKey('so-lost')).toBe(1);
      const retried = await viaProxy.createSalesOrder({ customerNo: 'K-20001', lines: [{ sku: 'BOLT-1', quantity: 3 }] }, 'so-lost');
      expect(retried).toMatchObject({ status: 'CONFIRMED', total: '0.30' });
      expect(await salesWithKey('so-lost')).toBe(1);
    } finally {
      await viaProxy.close();
      await proxy.close();
    }
  });

  it('concurrent calls with one key, from separate connectors, leave one sale', async () => {
    const connectors = [erp, connect(), connect()];
    try {
      const input = { customerNo: 'K-20001', lines: [{ sku: 'BOLT-1', quantity: 2 }] };
      const orders = await Promise.all(connectors.flatMap((c) => [c.createSalesOrder(input, 'so-race'), c.createSalesOrder(input, 'so-race')]));
      expect(new Set(orders.map((o) => o.id)).size).toBe(1);
      expect(await salesWithKey('so-race')).toBe(1);
      expect((await erp.getSalesOrders([orders[0].id]))[0].status).toBe('CONFIRMED');
    } finally {
      await Promise.all(connectors.slice(1).map((c) => c.close()));
    }
  });

  it('a change polled with an overlapping window is found even when it committed during the previous poll', async () => {
    const before = new Date(Date.now() - 1000).toISOString();
    const party = await erp.createCustomer({ name: 'Juliet Tools Oy', country: 'FI' });
    const changed = await erp.listCustomers({ updatedSince: before, first: 500 });
    expect(changed.items.map((c) => c.customerNo)).toContain(party.customerNo);
    // A write in Tryton's own client: the next poll from the last seen time, less the overlap, sees it.
    const seen = changed.items.reduce((max, c) => (c.updatedAt > max ? c.updatedAt : max), before);
    const [row] = await erp.rpc.searchRead<{ id: number }>('test', 'party.party', [['code', '=', party.customerNo]], ['id']);
    await erp.rpc.model('test', 'party.party', 'write', [[row.id], { name: 'Juliet Tools Oy Ab' }]);
    const again = await erp.listCustomers({ updatedSince: new Date(Date.parse(seen) - 2000).toISOString(), first: 500 });
    const renamed = again.items.find((c) => c.customerNo === party.customerNo);
    expect(renamed).toMatchObject({ name: 'Juliet Tools Oy Ab' });
    expect(renamed!.version).toBeGreaterThan(party.version);
  });

  it('a credit limit Tryton enforces comes back as CREDIT_LIMIT_EXCEEDED and cancels the quotation; approved, the same key confirms that sale', async () => {
    const tight = await erp.createCustomer({ name: 'Kilo Small Shop', creditLimit: '10.00', paymentTerms: 'NET30' }, 'c-kilo');
    const input = { customerNo: tight.customerNo, lines: [{ sku: 'GEAR-1', quantity: 1 }] };
    const refused = await failure(erp.createSalesOrder(input, 'so-kilo'));
    expect(refused.code).toBe('CREDIT_LIMIT_EXCEEDED');
    expect(refused.details).toMatchObject({ system: 'erp', trytonError: 'UserWarning' });
    const [left] = await erp.listSalesOrdersByCustomers([tight.customerNo], { perCustomer: 5 });
    expect(left.status).toBe('CANCELLED');

    const approved = await erp.createSalesOrder({ ...input, creditApprovedBy: 'finance-1' }, 'so-kilo');
    expect(approved.id).toBe(left.id);
    expect(approved.status).not.toBe('CANCELLED');
    expect(approved.status).not.toBe('DRAFT');
    expect(await erp.listSalesOrdersByCustomers([tight.customerNo], { perCustomer: 5 })).toHaveLength(1);
  });

  it("a production's output goes to its own sale even when another process asks for stock for another sale the moment it is done", async () => {
    const made = await erp.createSalesOrder({ customerNo: 'K-20001', lines: [{ sku: 'PUMP-1', quantity: 2 }] }, 'so-made-for');
    const other = await erp.createSalesOrder({ customerNo: 'K-20002', lines: [{ sku: 'PUMP-1', quantity: 2 }] }, 'so-other');
    expect((await erp.reserveStock(made.id)).lines[0].reservedQuantity).toBe(0);
    expect((await erp.reserveStock(other.id)).lines[0].reservedQuantity).toBe(0);
    const production = await erp.createProductionOrder({ sku: 'PUMP-1', quantity: 2, salesOrderId: made.id }, 'mo-made-for');

    // Another connector (the integration, where this one is the ERP subgraph) reserves for the
    // other sale right after Tryton has put the output on stock, and is given a second to take it
    // before the completion goes on to reserve for its own sale.
    const elsewhere = connect();
    const rpc = erp.rpc;
    const model = rpc.model.bind(rpc);
    let otherReservation: Promise<ErpSalesOrder> | undefined;
    rpc.model = (async (operation: string, name: string, method: string, args: unknown[], context?: Record<string, unknown>) => {
      const answer = await model(operation, name, method, args, context);
      if (name === 'production' && method === 'done' && !otherReservation) {
        otherReservation = elsewhere.reserveStock(other.id);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      return answer;
    }) as typeof rpc.model;
    try {
      await erp.completeProductionOrder(production.id);
      expect(otherReservation).toBeDefined();
      expect((await otherReservation!).lines[0].reservedQuantity).toBe(0);
    } finally {
      rpc.model = model;
      await elsewhere.close();
    }
    const [madeFor] = await erp.getSalesOrders([made.id]);
    expect(madeFor.lines[0].reservedQuantity).toBe(2);
    // Its own production's output is still the other sale's to take.
    const own = await erp.createProductionOrder({ sku: 'PUMP-1', quantity: 2, salesOrderId: other.id }, 'mo-other');
    await erp.completeProductionOrder(own.id);
    expect((await erp.getSalesOrders([other.id]))[0].lines[0].reservedQuantity).toBe(2);
  });

  it('a reservation that took the output of a production finished while it ran gives it back', async () => {
    const made = await erp.createSalesOrder({ customerNo: 'K-20001', lines: [{ sku: 'PUMP-1', quantity: 3 }] }, 'so-made-for-2');
    const other = await erp.createSalesOrder({ customerNo: 'K-20002', lines: [{ sku: 'PUMP-1', quantity: 3 }] }, 'so-other-2');
    expect((await erp.reserveStock(made.id)).lines[0].reservedQuantity).toBe(0);
    const production = await erp.createProductionOrder({ sku: 'PUMP-1', quantity: 3, salesOrderId: made.id }, 'mo-made-for-2');
    const ids = [Number(production.id)];
    // Between the other reservation's look and its assign_try, Tryton finishes the production
    // (as a user in Tryton's client would, so nothing reserves its output yet).
    const rpc = erp.rpc;
    const model = rpc.model.bind(rpc);
    let finished = false;
    rpc.model = (async (operation: string, name: string, method: string, args: unknown[], context?: Record<string, unknown>) => {
      if (name === 'stock.shipment.out' && method === 'assign_try' && !finished) {
        finished = true;
        for (const step of ['wait', 'assign_try', 'run', 'done']) await model('test', 'production', step, [ids]);
      }
      return model(operation, name, method, args, context);
    }) as typeof rpc.model;
    try {
      expect((await erp.reserveStock(other.id)).lines[0].reservedQuantity).toBe(0);
    } finally {
      rpc.model = model;
    }
    expect(finished).toBe(true);
    expect((await erp.reserveStock(made.id)).lines[0].reservedQuantity).toBe(3);
  });

  it('when units made for waiting sales went elsewhere, a sale with output of its own still takes what is free', async () => {
    const sales = await Promise.all(['s', 't', 'u'].map((name) => erp.createSalesOrder({ customerNo: 'K-20001', lines: [{ sku: 'PUMP-1', quantity: 1 }] }, `so-lost-${name}`)));
    const [s, t, u] = sales;
    for (const sale of sales) expect((await erp.reserveStock(sale.id)).lines[0].reservedQuantity).toBe(0);
    // Both productions finish in Tryton itself (nothing reserves their output), and a Tryton user
    // then assigns u's shipment by hand: one of the two units made for s and t is gone.
    for (const sale of [s, t]) {
      const production = await erp.createProductionOrder({ sku: 'PUMP-1', quantity: 1, salesOrderId: sale.id }, `mo-lost-${sale.id}`);
      for (const step of ['wait', 'assign_try', 'run', 'done']) await erp.rpc.model('test', 'production', step, [[Number(production.id)]]);
    }
    const [uShipment] = await erp.listShipmentsBySalesOrders([u.id]);
    await erp.rpc.model('test', 'stock.shipment.out', 'assign_try', [[Number(uShipment.id)]]);
    expect((await erp.getSalesOrders([u.id]))[0].lines[0].reservedQuantity).toBe(1);

    expect((await erp.reserveStock(s.id)).lines[0].reservedQuantity).toBe(1);
    expect((await erp.reserveStock(t.id)).lines[0].reservedQuantity).toBe(0);
  });

  it('logs in again when Tryton forgets the session', async () => {
    const fresh = connect();
    try {
      await fresh.listWarehouses();
      // Sessions live in ir_session; emptying it is what an expiry does to every open session.
      const client = await connectToTrytonDatabase(tryton);
      await client.query('DELETE FROM ir_session');
      await client.end();
      expect((await fresh.listWarehouses()).map((w) => w.code)).toEqual(['WH-A', 'WH-B']);
    } finally {
      await fresh.close();
    }
  });
});
