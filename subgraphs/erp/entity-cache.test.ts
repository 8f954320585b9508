import { randomUUID } from 'node:crypto';
import { type Cache, MemoryCache, RedisCache } from '../../platform/cache';
import { EntityCache } from '../../platform/entity-cache';
import { listen } from '../../platform/http-server';
import { createLogger } from '../../platform/logger';
import { createMetrics } from '../../platform/metrics';
import { signServiceToken } from '../../platform/service-auth';
import { WEBHOOK_SIGNATURE_HEADER, signWebhook } from '../../platform/webhook-signature';
import { SERVICE_URLS, describeOn } from '../../test-support/services';
import { ERP_CACHE_TTL, createErpLoaders } from './loaders';
import { type ErpSubgraph, createErpSubgraph } from './server';
import { InMemoryErpConnector } from './test-support/in-memory-erp.connector';
import { erpFixture } from './test-support/erp-fixtures';

const INTERNAL_SECRET = 'erp-cache-test-internal-secret-0123';
const WEBHOOK_SECRET = 'erp-cache-test-webhook-secret-0123';

// The same contract on both stores: in process by default, Redis when REDIS_URL is set.
const stores = {
  memory: (): Cache => new MemoryCache(1000),
  redis: (): Cache => new RedisCache(SERVICE_URLS.redis, `test:${randomUUID()}:`),
};

const PRODUCT_QUERY = `query ($sku: ID!) { product(sku: $sku) { sku unitPrice { amount currency } available } }`;

describeOn(['memory', 'redis'] as const, 'the ERP entity cache on %s', (kind) => {
  let store: Cache;
  let erp: InMemoryErpConnector;
  let subgraph: ErpSubgraph | undefined;
  let baseUrl: string;

  beforeEach(async () => {
    store = stores[kind]();
    erp = new InMemoryErpConnector(erpFixture(5));
  });
  afterEach(async () => {
    await subgraph?.close();
    subgraph = undefined;
    await store?.close();
  });

  async function startSubgraph(cache: EntityCache): Promise<void> {
    subgraph = await createErpSubgraph({
      erp,
      logger: createLogger('erp-subgraph', 'silent'),
      metrics: createMetrics('erp-subgraph'),
      internalSecret: INTERNAL_SECRET,
      development: true,
      entityCache: cache,
      webhookSecret: WEBHOOK_SECRET,
    });
    baseUrl = `http://127.0.0.1:${await listen(subgraph.app, 0)}`;
  }

  async function productPrice(sku: string): Promise<string> {
    const response = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-service-token': signServiceToken(INTERNAL_SECRET, 'gateway') },
      body: JSON.stringify({ query: PRODUCT_QUERY, variables: { sku } }),
    });
    const body = (await response.json()) as { data: { product: { unitPrice: { amount: string } } } };
    return body.data.product.unitPrice.amount;
  }

  function sendChange(event: object, signature?: string): Promise<Response> {
    const body = JSON.stringify({ eventId: randomUUID(), source: 'erp', version: 2, action: 'updated', occurredAt: new Date().toISOString(), ...event });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (signature !== undefined) headers[WEBHOOK_SIGNATURE_HEADER] = signature;
    else headers[WEBHOOK_SIGNATURE_HEADER] = signWebhook(WEBHOOK_SECRET, body);
    return fetch(`${baseUrl}/webhooks/erp`, { method: 'POST', headers, body });
  }

  it('serves a product from the cache on the next request without asking the ERP again', async () => {
    await startSubgraph(new EntityCache(store));
    const sku = erp.products[0].sku;

    const first = await productPrice(sku);
    const calls = erp.callsOf('getProducts');
    expect(await productPrice(sku)).toBe(first);
    expect(erp.callsOf('getProducts')).toBe(calls);
  });

  it('shows a changed price on the next query once the ERP signals the change', async () => {
    await startSubgraph(new EntityCache(store));
    const product = erp.products[0];
    const before = await productPrice(product.sku);

    product.unitPrice = '777.00';
    // Until the event arrives the cached row stands (the TTL is minutes).
    expect(await productPrice(product.sku)).toBe(before);
    const response = await sendChange({ entity: 'product', entityId: product.sku });

    expect(response.status).toBe(204);
    expect(await productPrice(product.sku)).toBe('777.00');
  });

  it('refuses an unsigned or forged change event and keeps the cached record', async () => {
    await startSubgraph(new EntityCache(store));
    const product = erp.products[0];
    const before = await productPrice(product.sku);
    product.unitPrice = '888.00';

    const unsigned = await sendChange({ entity: 'product', entityId: product.sku }, '');
    const forged = await sendChange({ entity: 'product', entityId: product.sku }, signWebhook('some-other-secret-0123456789', '{}'));

    expect(unsigned.status).toBe(401);
    expect(((await unsigned.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
    expect(forged.status).toBe(401);
    expect(await productPrice(product.sku)).toBe(before);
  });

  it('keeps stock only for its short time to live', async () => {
    const cache = new EntityCache(store);
    const ttl = { ...ERP_CACHE_TTL, stock: 1 };
    const sku = erp.stock[0].sku;
    const onHandNow = async () => (await createErpLoaders(erp, cache, ttl).stockBySku.load(sku)).reduce((sum, level) => sum + level.onHand, 0);

    const before = await onHandNow();
    erp.stock[0].onHand += 5;
    expect(await onHandNow()).toBe(before);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await onHandNow()).toBe(before + 5);
  });

  it("reads a request's products in one backend call, and a later request's from the cache", async () => {
    const cache = new EntityCache(store);
    const skus = erp.products.map((p) => p.sku);
    const oneRequest = () => {
      const loaders = createErpLoaders(erp, cache);
      return Promise.all(skus.map((sku) => loaders.productsBySku.load(sku)));
    };

    const names = (await oneRequest()).map((p) => p?.name);
    expect(erp.callsOf('getProducts')).toBe(1);
    expect((await oneRequest()).map((p) => p?.name)).toEqual(names);
    expect(erp.callsOf('getProducts')).toBe(1);
    expect(cache.stats()).toEqual({ hits: skus.length, misses: skus.length });
  });
});
