import { createHash } from 'node:crypto';
import net from 'node:net';
import request from 'supertest';
import { SERVICE_URLS, describeNeeding } from '../test-support/services';
import type { BuiltGateway } from './gateway';
import { TEST_SECRETS, buildTestGateway, postGraphql, testToken } from './test-support/test-gateway';
import { type TestSubgraph, startTestSubgraph } from './test-support/test-subgraphs';

const redisUrl = SERVICE_URLS.redis;

/** A TCP proxy in front of Redis that the test can cut and restore, as a network outage would. */
async function redisProxy(target: URL) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `redis://127.0.0.1:${port}`,
    cut: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
    restore: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    close: () => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve())),
  };
}

async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describeNeeding(['redis'], 'the gateway while Redis is away', () => {
  let crm: TestSubgraph;
  let erp: TestSubgraph;
  let gateway: BuiltGateway;
  let proxy: Awaited<ReturnType<typeof redisProxy>>;
  let authorization: string;

  beforeAll(async () => {
    crm = await startTestSubgraph('crm', { internalSecret: TEST_SECRETS.INTERNAL_SECRET });
    erp = await startTestSubgraph('erp', { internalSecret: TEST_SECRETS.INTERNAL_SECRET });
    authorization = `Bearer ${await testToken({ role: 'admin' }, { sub: 'outage-check' })}`;
    proxy = await redisProxy(new URL(redisUrl));
    gateway = await buildTestGateway({ erpUrl: erp.url, crmUrl: crm.url, env: { REDIS_URL: proxy.url, RATE_LIMIT_PER_MINUTE: '1000' } });
  });
  afterAll(async () => {
    await gateway?.close();
    await proxy?.close();
    await crm.close();
    await erp.close();
  });

  const ready = async () => (await request(gateway.app.server).get('/ready')).body as { status: string; redis?: string };
  const metric = async (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'm').exec((await request(gateway.app.server).get('/metrics')).text)?.[1]);
  const customers = () => postGraphql(gateway, { query: '{ customers { id name } }' }, { authorization });

  it('keeps answering on its in-process limiter and store, says so on /ready and in metrics, and returns to Redis by itself', async () => {
    expect((await eventually(ready, (body) => body.redis === 'available')).redis).toBe('available');
    expect(await metric('gateway_redis_available')).toBe(1);
    expect((await customers()).body.data.customers).toHaveLength(2);

    await proxy.cut();
    const away = await eventually(ready, (body) => body.redis !== 'available');
    expect(away).toMatchObject({ status: 'ready', redis: expect.stringMatching(/^unavailable/) });
    expect(await metric('gateway_redis_available')).toBe(0);
    for (let i = 0; i < 5; i++) {
      const answer = await customers();
      expect(answer.status).toBe(200);
      expect(answer.body.data.customers).toHaveLength(2);
    }
    // Persisted queries register and resolve in process meanwhile.
    const query = '{ customers { id } }';
    const extensions = { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') } };
    expect((await postGraphql(gateway, { query, extensions } as never, { authorization })).body.data.customers).toHaveLength(2);
    expect((await postGraphql(gateway, { extensions } as never, { authorization })).body.data.customers).toHaveLength(2);
    expect(await metric('gateway_redis_fallbacks_total')).toBeGreaterThan(0);

    await proxy.restore();
    expect((await eventually(ready, (body) => body.redis === 'available')).redis).toBe('available');
    expect(await metric('gateway_redis_available')).toBe(1);
    expect((await customers()).status).toBe(200);
  }, 60_000);
});
