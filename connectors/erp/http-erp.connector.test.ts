import type { Database } from '../../platform/db';
import { listen } from '../../platform/http-server';
import { createMetrics, type ServiceMetrics } from '../../platform/metrics';
import { serviceTokenSigner } from '../../platform/service-auth';
import { openTestDatabase } from '../../test-support/databases';
import { buildTestErpBackend, testServiceToken } from '../../backends/erp/erp-test-fixtures';
import type { ErpBackend } from '../../backends/erp/server';
import { erpConnectorContract, failure } from './erp-connector.contract';
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

  erpConnectorContract({ erp: () => erp, currencyOfK20002: 'SEK' });

  it('makes no call for an empty batch', async () => {
    const before = await calls('getCustomers');
    expect(await erp.getCustomers([])).toEqual([]);
    expect(await calls('getCustomers')).toBe(before);
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

  it('is refused without the right credential and reports a stopped backend as unavailable', async () => {
    const stranger = new HttpErpConnector({ baseUrl, serviceToken: serviceTokenSigner('not-the-internal-secret-0000', 'stranger') });
    expect((await failure(stranger.listWarehouses())).code).toBe('UNAUTHENTICATED');
    await stranger.close();
    const nowhere = new HttpErpConnector({ baseUrl: 'http://127.0.0.1:9', serviceToken: testServiceToken, retries: 0, timeoutMs: 1000 });
    expect((await failure(nowhere.getSalesOrders(['SO-1']))).code).toBe('UPSTREAM_UNAVAILABLE');
    await nowhere.close();
  });
});
