import { createHash, randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import request from 'supertest';
import { SERVICE_URLS, describeOn } from '../test-support/services';
import type { BuiltGateway } from './gateway';
import { MemoryPersistedQueries, type PersistedQueryLimits, type PersistedQueryStore, RedisPersistedQueries } from './persisted-queries';
import { TEST_SECRETS, buildTestGateway, postGraphql, testToken } from './test-support/test-gateway';
import { TEST_CUSTOMERS, type TestSubgraph, startTestSubgraph } from './test-support/test-subgraphs';

const CUSTOMER_NAMES = 'query CustomerNames { customers { id name openBalance } }';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const persisted = (query: string) => ({ persistedQuery: { version: 1, sha256Hash: sha256(query) } });
const PERSISTED = persisted(CUSTOMER_NAMES);
const redisUrl = SERVICE_URLS.redis;
const LIMITS: PersistedQueryLimits = { maxBytes: 16 * 1024 * 1024, maxQueryBytes: 64 * 1024, ttlSeconds: 3600 };

// Persisted queries live in memory by default and in Redis when configured (shared by replicas).
const stores: [string, (limits: PersistedQueryLimits) => Promise<{ store: PersistedQueryStore; close: () => Promise<unknown> }>][] = [
  ['memory', async (limits) => ({ store: new MemoryPersistedQueries(limits), close: async () => undefined })],
  [
    'redis',
    async (limits) => {
      const redis = new Redis(redisUrl);
      return { store: new RedisPersistedQueries(redis, limits, `test:apq:${randomUUID()}:`), close: () => redis.quit() };
    },
  ],
];

describeOn(['memory', 'redis'] as const, 'automatic persisted queries on %s', (kind) => {
  const makeStore = stores.find(([name]) => name === kind)![1];
  let crm: TestSubgraph;
  let erp: TestSubgraph;
  let gateways: BuiltGateway[] = [];
  let closers: (() => Promise<unknown>)[] = [];
  let authorization: string;

  beforeAll(async () => {
    crm = await startTestSubgraph('crm', { internalSecret: TEST_SECRETS.INTERNAL_SECRET });
    erp = await startTestSubgraph('erp', { internalSecret: TEST_SECRETS.INTERNAL_SECRET });
    authorization = `Bearer ${await testToken({ role: 'admin' })}`;
  });
  afterEach(async () => {
    await Promise.all(gateways.map((gateway) => gateway.close()));
    await Promise.all(closers.map((close) => close()));
    gateways = [];
    closers = [];
  });
  afterAll(async () => {
    await crm.close();
    await erp.close();
  });

  async function storeWith(limits: PersistedQueryLimits = LIMITS): Promise<PersistedQueryStore> {
    const made = await makeStore(limits);
    closers.push(made.close);
    return made.store;
  }

  async function gatewayOn(persistedQueries: PersistedQueryStore): Promise<BuiltGateway> {
    const gateway = await buildTestGateway({ erpUrl: erp.url, crmUrl: crm.url, persistedQueries });
    gateways.push(gateway);
    return gateway;
  }

  it('answers a hash-only request with data once the query was registered', async () => {
    const store = await storeWith();
    const gateway = await gatewayOn(store);

    const unknown = await postGraphql(gateway, { extensions: PERSISTED } as never, { authorization });
    expect(unknown.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');

    const registered = await postGraphql(gateway, { query: CUSTOMER_NAMES, extensions: PERSISTED } as never, { authorization });
    expect(registered.body.errors).toBeUndefined();

    const hashOnly = await postGraphql(gateway, { extensions: PERSISTED } as never, { authorization });
    expect(hashOnly.status).toBe(200);
    expect(hashOnly.body.errors).toBeUndefined();
    expect(hashOnly.body.data.customers).toEqual(TEST_CUSTOMERS.map(({ id, name, openBalance }) => ({ id, name, openBalance })));

    const viaGet = await request(gateway.app.server)
      .get('/graphql')
      .query({ extensions: JSON.stringify(PERSISTED) })
      .set({ authorization, 'apollo-require-preflight': 'true' });
    expect(viaGet.body.data.customers).toHaveLength(TEST_CUSTOMERS.length);
  });

  it('knows a query registered at one gateway at another gateway sharing the store', async () => {
    const store = await storeWith();
    const first = await gatewayOn(store);
    const second = await gatewayOn(store);

    await postGraphql(first, { query: CUSTOMER_NAMES, extensions: PERSISTED } as never, { authorization });
    const hashOnly = await postGraphql(second, { extensions: PERSISTED } as never, { authorization });

    expect(hashOnly.body.errors).toBeUndefined();
    expect(hashOnly.body.data.customers).toHaveLength(TEST_CUSTOMERS.length);
  });

  it('refuses a query whose text does not match the hash it claims', async () => {
    const store = await storeWith();
    const gateway = await gatewayOn(store);
    const wrong = { persistedQuery: { version: 1, sha256Hash: sha256('something else') } };

    const response = await postGraphql(gateway, { query: CUSTOMER_NAMES, extensions: wrong } as never, { authorization });

    expect(response.status).toBe(400);
    expect(response.body.data).toBeUndefined();
    expect(response.body.errors).toHaveLength(1);
  });

  it('keeps its bytes within the budget under a flood of unique queries, and forgets what is too large', async () => {
    const store = await storeWith({ maxBytes: 200_000, maxQueryBytes: 40_000, ttlSeconds: 3600 });
    const gateway = await gatewayOn(store);
    // Unique texts of ~30 KB, mostly one comment (one token): each fits, together they do not.
    for (let i = 0; i < 30; i++) {
      const query = `# ${i} ${'x'.repeat(30_000)}\n{ products { sku } }`;
      const response = await postGraphql(gateway, { query, extensions: persisted(query) } as never, { authorization });
      expect(response.body.errors).toBeUndefined();
      expect(await store.bytes()).toBeLessThanOrEqual(200_000);
    }
    expect(await store.bytes()).toBeGreaterThan(150_000);
    // The newest stays known; the oldest made room.
    const newest = `# 29 ${'x'.repeat(30_000)}\n{ products { sku } }`;
    expect((await postGraphql(gateway, { extensions: persisted(newest) } as never, { authorization })).body.data.products).toEqual([{ sku: 'P-100' }]);
    const oldest = `# 0 ${'x'.repeat(30_000)}\n{ products { sku } }`;
    expect((await postGraphql(gateway, { extensions: persisted(oldest) } as never, { authorization })).body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');

    // A 1 MB text runs but is not remembered.
    const huge = `# ${'y'.repeat(1_000_000)}\n{ products { sku } }`;
    const ran = await postGraphql(gateway, { query: huge, extensions: persisted(huge) } as never, { authorization });
    expect(ran.body.data.products).toEqual([{ sku: 'P-100' }]);
    expect((await postGraphql(gateway, { extensions: persisted(huge) } as never, { authorization })).body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(await store.bytes()).toBeLessThanOrEqual(200_000);
  });

  it('forgets a query once its time to live is over', async () => {
    const store = await storeWith({ ...LIMITS, ttlSeconds: 1 });
    const gateway = await gatewayOn(store);
    await postGraphql(gateway, { query: CUSTOMER_NAMES, extensions: PERSISTED } as never, { authorization });
    expect((await postGraphql(gateway, { extensions: PERSISTED } as never, { authorization })).body.errors).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect((await postGraphql(gateway, { extensions: PERSISTED } as never, { authorization })).body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });
});

describe('what the gateway keeps of query texts', () => {
  let crm: TestSubgraph;
  let erp: TestSubgraph;
  let gateway: BuiltGateway;
  let authorization: string;

  beforeAll(async () => {
    crm = await startTestSubgraph('crm', { internalSecret: TEST_SECRETS.INTERNAL_SECRET });
    erp = await startTestSubgraph('erp', { internalSecret: TEST_SECRETS.INTERNAL_SECRET });
    gateway = await buildTestGateway({ erpUrl: erp.url, crmUrl: crm.url, env: { APQ_MAX_BYTES: String(2_000_000), DOCUMENT_CACHE_MAX_BYTES: String(8_000_000) } });
    authorization = `Bearer ${await testToken({ role: 'admin' })}`;
  });
  afterAll(async () => {
    await gateway.close();
    await crm.close();
    await erp.close();
  });

  const cacheBytes = async () => {
    const metrics = (await request(gateway.app.server).get('/metrics')).text;
    const read = (cache: string) => Number(new RegExp(`gateway_cache_bytes\\{[^}]*cache="${cache}"[^}]*\\} (\\d+)`).exec(metrics)?.[1]);
    return { documents: read('documents'), persisted: read('persisted-queries') };
  };

  it('stays within its bounds under a flood of unique 1 MB queries', async () => {
    for (let i = 0; i < 40; i++) {
      const query = `# flood ${i} ${'z'.repeat(1_000_000)}\n{ products { sku } }`;
      const response = await postGraphql(gateway, { query, extensions: persisted(query) } as never, { authorization });
      expect(response.body.data.products).toEqual([{ sku: 'P-100' }]);
    }
    const bytes = await cacheBytes();
    // Each parsed document keeps its 1 MB text: at most a handful fit, the rest were let go.
    expect(bytes.documents).toBeGreaterThan(0);
    expect(bytes.documents).toBeLessThanOrEqual(8_000_000);
    expect(bytes.persisted).toBe(0);
  }, 120_000);

  it('counts comments as tokens, so a text of many short comments is refused before it is parsed or stored', async () => {
    const query = `${'#\n'.repeat(6000)}{ products { sku } }`;
    const response = await postGraphql(gateway, { query, extensions: persisted(query) } as never, { authorization });
    expect(response.status).toBe(400);
    expect(response.body.errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', limit: 'tokens' });
    const hashOnly = await postGraphql(gateway, { extensions: persisted(query) } as never, { authorization });
    expect(hashOnly.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });
});
