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
import type { ErpConnector } from '../../connectors/erp/erp.connector';
import { InMemoryErpConnector } from '../../connectors/erp/test-support/in-memory-erp.connector';
import { ConnectorFaults } from '../../connectors/test-support/connector-faults';
import { erpFixture } from './test-support/erp-fixtures';

const INTERNAL_SECRET = 'erp-cache-test-internal-secret-0123';
const WEBHOOK_SECRET = 'erp-cache-test-webhook-secret-0123';

// The same contract on both stores: in process by default, Redis when REDIS_URL is set.
const stores = {
  memory: (): Cache => new MemoryCache(1000),
  redis: (): Cache => new RedisCache(SERVICE_URLS.redis, `test:${randomUUID()}:`),
};

const PRODUCT_QUERY = `query ($sku: ID!) { product(sku: $sku) { sku unitPrice { amount currency } available } }`;

/** An ERP subgraph on a free port over `erp`, keeping records in `cache`. */
async function startErpSubgraph(erp: ErpConnector, cache: EntityCache): Promise<ErpSubgraph & { baseUrl: string }> {
  const subgraph = await createErpSubgraph({
    erp,
    logger: createLogger('erp-subgraph', 'silent'),
    metrics: createMetrics('erp-subgraph'),
    internalSecret: INTERNAL_SECRET,
    development: true,
    entityCache: cache,
    webhookSecret: WEBHOOK_SECRET,
  });
  return Object.assign(subgraph, { baseUrl: `http://127.0.0.1:${await listen(subgraph.app, 0)}` });
}

/** A product's unit price as the subgraph at `baseUrl` answers it. */
async function productPriceAt(baseUrl: string, sku: string): Promise<string> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-service-token': signServiceToken(INTERNAL_SECRET, 'gateway') },
    body: JSON.stringify({ query: PRODUCT_QUERY, variables: { sku } }),
  });
  const body = (await response.json()) as { data: { product: { unitPrice: { amount: string } } } };
  return body.data.product.unitPrice.amount;
}

/** Posts an ERP change event to the subgraph at `baseUrl`, signed unless `signature` is given. */
function sendChangeTo(baseUrl: string, event: object, signature?: string): Promise<Response> {
  const body = JSON.stringify({ eventId: randomUUID(), source: 'erp', version: 2, action: 'updated', occurredAt: new Date().toISOString(), ...event });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  headers[WEBHOOK_SIGNATURE_HEADER] = signature ?? signWebhook(WEBHOOK_SECRET, body);
  return fetch(`${baseUrl}/webhooks/erp`, { method: 'POST', headers, body });
}

describeOn(['memory', 'redis'] as const, 'the ERP entity cache on %s', (kind) => {
  let store: Cache;
  let erp: InMemoryErpConnector;
  let erpFaults: ConnectorFaults;
  let subgraph: (ErpSubgraph & { baseUrl: string }) | undefined;
  let baseUrl: string;

  beforeEach(async () => {
    store = stores[kind]();
    erp = new InMemoryErpConnector(erpFixture(5));
    erpFaults = new ConnectorFaults('erp');
  });
  afterEach(async () => {
    await subgraph?.close();
    subgraph = undefined;
    await store?.close();
  });

  async function startSubgraph(cache: EntityCache): Promise<void> {
    subgraph = await startErpSubgraph(erpFaults.wrap(erp), cache);
    baseUrl = subgraph.baseUrl;
  }

  const productPrice = (sku: string) => productPriceAt(baseUrl, sku);
  const sendChange = (event: object, signature?: string) => sendChangeTo(baseUrl, event, signature);

  it('serves a product from the cache on the next request without asking the ERP again', async () => {
    await startSubgraph(new EntityCache(store));
    const [sku] = erp.products.keys();

    const first = await productPrice(sku);
    const calls = erpFaults.callsOf('getProducts').length;
    expect(await productPrice(sku)).toBe(first);
    expect(erpFaults.callsOf('getProducts')).toHaveLength(calls);
  });

  it('shows a changed price on the next query once the ERP signals the change', async () => {
    await startSubgraph(new EntityCache(store));
    const [product] = erp.products.values();
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
    const [product] = erp.products.values();
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
    const skus = [...erp.products.keys()];
    const oneRequest = () => {
      const loaders = createErpLoaders(erpFaults.wrap(erp), cache);
      return Promise.all(skus.map((sku) => loaders.productsBySku.load(sku)));
    };

    const names = (await oneRequest()).map((p) => p?.name);
    expect(erpFaults.callsOf('getProducts')).toHaveLength(1);
    expect((await oneRequest()).map((p) => p?.name)).toEqual(names);
    expect(erpFaults.callsOf('getProducts')).toHaveLength(1);
    expect(cache.stats()).toEqual({ hits: skus.length, misses: skus.length });
  });
});

// Scaled out, a backend's change event reaches one instance (through the load balancer); every
// instance must stop answering the old record. With Redis the records live only there, under one
// prefix for all instances, so the one delete is seen by all of them.
describeOn(['redis'] as const, 'two ERP subgraph instances sharing the entity cache on %s', () => {
  const instances: (ErpSubgraph & { baseUrl: string })[] = [];
  const stores: Cache[] = [];
  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.close()));
    await Promise.all(stores.map((store) => store.close()));
  });

  it('shows the changed price at the other instance once one of them received the change event', async () => {
    const erp = new InMemoryErpConnector(erpFixture(5));
    const prefix = `test:${randomUUID()}:erp-subgraph:entity:`;
    for (let i = 0; i < 2; i++) {
      // Each instance has its own connection, as two processes would.
      const store = new RedisCache(SERVICE_URLS.redis, prefix);
      stores.push(store);
      instances.push(await startErpSubgraph(erp, new EntityCache(store)));
    }
    const [receiver, other] = instances;
    const [product] = erp.products.values();
    const before = await productPriceAt(other.baseUrl, product.sku);
    expect(await productPriceAt(receiver.baseUrl, product.sku)).toBe(before);

    product.unitPrice = '654.00';
    expect(await productPriceAt(other.baseUrl, product.sku)).toBe(before);
    expect((await sendChangeTo(receiver.baseUrl, { entity: 'product', entityId: product.sku })).status).toBe(204);

    expect(await productPriceAt(other.baseUrl, product.sku)).toBe('654.00');
  });
});
