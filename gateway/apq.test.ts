import { createHash, randomUUID } from 'node:crypto';
import { type Cache, MemoryCache, RedisCache } from '../platform/cache';
import { SERVICE_URLS, describeOn } from '../test-support/services';
import type { BuiltGateway } from './gateway';
import { TEST_SECRETS, buildTestGateway, postGraphql, testToken } from './test-support/test-gateway';
import { TEST_CUSTOMERS, type TestSubgraph, startTestSubgraph } from './test-support/test-subgraphs';

const CUSTOMER_NAMES = 'query CustomerNames { customers { id name openBalance } }';
const HASH = createHash('sha256').update(CUSTOMER_NAMES).digest('hex');
const PERSISTED = { persistedQuery: { version: 1, sha256Hash: HASH } };

// Persisted queries live in memory by default and in Redis when configured (shared by replicas).
const stores = {
  memory: (): Cache => new MemoryCache(100),
  redis: (): Cache => new RedisCache(SERVICE_URLS.redis, `test:apq:${randomUUID()}:`),
};

describeOn(['memory', 'redis'] as const, 'automatic persisted queries on %s', (kind) => {
  let crm: TestSubgraph;
  let erp: TestSubgraph;
  let store: Cache;
  let gateways: BuiltGateway[] = [];
  let authorization: string;

  beforeAll(async () => {
    store = stores[kind]();
    crm = await startTestSubgraph('crm', { internalSecret: TEST_SECRETS.INTERNAL_SECRET });
    erp = await startTestSubgraph('erp', { internalSecret: TEST_SECRETS.INTERNAL_SECRET });
    authorization = `Bearer ${await testToken({ role: 'admin' })}`;
  });
  afterEach(async () => {
    await Promise.all(gateways.map((gateway) => gateway.close()));
    gateways = [];
  });
  afterAll(async () => {
    await crm.close();
    await erp.close();
    await store?.close();
  });

  async function gatewayOn(cache: Cache): Promise<BuiltGateway> {
    const gateway = await buildTestGateway({ erpUrl: erp.url, crmUrl: crm.url, cache });
    gateways.push(gateway);
    return gateway;
  }

  it('answers a hash-only request with data once the query was registered', async () => {
    const gateway = await gatewayOn(store);

    const unknown = await postGraphql(gateway, { extensions: PERSISTED } as never, { authorization });
    expect(unknown.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');

    const registered = await postGraphql(gateway, { query: CUSTOMER_NAMES, extensions: PERSISTED } as never, { authorization });
    expect(registered.body.errors).toBeUndefined();

    const hashOnly = await postGraphql(gateway, { extensions: PERSISTED } as never, { authorization });
    expect(hashOnly.status).toBe(200);
    expect(hashOnly.body.errors).toBeUndefined();
    expect(hashOnly.body.data.customers).toEqual(TEST_CUSTOMERS.map(({ id, name, openBalance }) => ({ id, name, openBalance })));
  });

  it('knows a query registered at one gateway at another gateway sharing the store', async () => {
    const first = await gatewayOn(store);
    const second = await gatewayOn(store);

    await postGraphql(first, { query: CUSTOMER_NAMES, extensions: PERSISTED } as never, { authorization });
    const hashOnly = await postGraphql(second, { extensions: PERSISTED } as never, { authorization });

    expect(hashOnly.body.errors).toBeUndefined();
    expect(hashOnly.body.data.customers).toHaveLength(TEST_CUSTOMERS.length);
  });

  it('refuses a query whose text does not match the hash it claims', async () => {
    const gateway = await gatewayOn(store);
    const wrong = { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update('something else').digest('hex') } };

    const response = await postGraphql(gateway, { query: CUSTOMER_NAMES, extensions: wrong } as never, { authorization });

    expect(response.status).toBe(400);
    expect(response.body.data).toBeUndefined();
    expect(response.body.errors).toHaveLength(1);
  });
});
