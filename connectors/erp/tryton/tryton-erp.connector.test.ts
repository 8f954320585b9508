import pg from 'pg';
import { createMetrics } from '../../../platform/metrics';
import { erpConnectorContract, failure } from '../erp-connector.contract';
import { TrytonErpConnector } from './tryton-erp.connector';
import { describeTryton, openTrytonTestDatabase, startLossyProxy, type TrytonTestDatabase } from './tryton-test-support';

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

  it('a credit limit Tryton enforces comes back as CREDIT_LIMIT_EXCEEDED, and the sale is not confirmed', async () => {
    const tight = await erp.createCustomer({ name: 'Kilo Small Shop', creditLimit: '10.00', paymentTerms: 'NET30' }, 'c-kilo');
    const refused = await failure(erp.createSalesOrder({ customerNo: tight.customerNo, lines: [{ sku: 'GEAR-1', quantity: 1 }] }, 'so-kilo'));
    expect(refused.code).toBe('CREDIT_LIMIT_EXCEEDED');
    expect(refused.details).toMatchObject({ system: 'erp', trytonError: 'UserWarning' });
    const [left] = await erp.listSalesOrdersByCustomers([tight.customerNo], { perCustomer: 5 });
    expect(left.status).toBe('DRAFT');
  });

  it('logs in again when Tryton forgets the session', async () => {
    const fresh = connect();
    try {
      await fresh.listWarehouses();
      // Sessions live in ir_session; emptying it is what an expiry does to every open session.
      const url = new URL(tryton.settings.databaseUri.replace(/^postgresql:/, 'postgres:'));
      url.pathname = `/${tryton.database}`;
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      await client.query('DELETE FROM ir_session');
      await client.end();
      expect((await fresh.listWarehouses()).map((w) => w.code)).toEqual(['WH-A', 'WH-B']);
    } finally {
      await fresh.close();
    }
  });
});
