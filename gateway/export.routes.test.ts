import { readFileSync } from 'node:fs';
import net from 'node:net';
import { request } from 'undici';
import { createLogger } from '../platform/logger';
import { createMetrics } from '../platform/metrics';
import { SUPERGRAPH_PATH } from '../scripts/compose';
import { loadGatewayConfig } from './config';
import { type BuiltGateway, createGateway } from './gateway';
import { TEST_SECRETS, testToken } from './test-support/test-gateway';

// Subgraphs that accept connections and never answer: an export stays running until it is abandoned.
async function silentSubgraphs() {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/graphql`,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

describe('/export limits per token', () => {
  let subgraphs: Awaited<ReturnType<typeof silentSubgraphs>>;
  let gateway: BuiltGateway;
  let base: string;
  const downloads: AbortController[] = [];
  let exporterToken: string;

  beforeAll(async () => {
    subgraphs = await silentSubgraphs();
    const config = loadGatewayConfig({
      ...TEST_SECRETS,
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      ERP_SUBGRAPH_URL: subgraphs.url,
      CRM_SUBGRAPH_URL: subgraphs.url,
      INTEGRATION_SUBGRAPH_URL: subgraphs.url,
      SUBGRAPH_TIMEOUT_MS: '30000',
      EXPORT_MAX_CONCURRENT: '2',
      RATE_LIMIT_PER_MINUTE: '6',
    });
    gateway = await createGateway({ config, logger: createLogger('gateway-test', 'silent'), metrics: createMetrics('gateway'), supergraphSdl: readFileSync(SUPERGRAPH_PATH, 'utf8') });
    const address = await gateway.app.listen({ port: 0, host: '127.0.0.1' });
    base = address;
  });
  afterAll(async () => {
    for (const download of downloads) download.abort();
    // The silent subgraphs first: the exports still waiting on them then fail at once, instead of
    // holding the gateway's close until their 30 s subgraph timeout.
    await subgraphs.close();
    await gateway.close();
  });

  let hits = 0;
  const startExport = async (token: string) => {
    if (token === exporterToken) hits++;
    const controller = new AbortController();
    downloads.push(controller);
    const response = await request(`${base}/export/customers.csv`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
    if (response.statusCode !== 200) return { status: response.statusCode, body: (await response.body.json()) as { errors: { extensions: Record<string, unknown> }[] }, abort: () => undefined };
    response.body.on('error', () => undefined);
    return { status: response.statusCode, body: undefined, abort: () => controller.abort() };
  };

  it('runs at most EXPORT_MAX_CONCURRENT exports per token at once, frees a slot when one ends, and counts exports against the rate limit', async () => {
    const token = (exporterToken = await testToken({ role: 'admin' }, { sub: 'exporter' }));
    const first = await startExport(token);
    const second = await startExport(token);
    expect([first.status, second.status]).toEqual([200, 200]);

    const third = await startExport(token);
    expect(third.status).toBe(429);
    expect(third.body?.errors[0].extensions).toEqual({ code: 'RATE_LIMITED', limit: 'concurrentExports' });
    // Another token has its own slots.
    expect((await startExport(await testToken({ role: 'admin' }, { sub: 'someone-else' }))).status).toBe(200);

    first.abort();
    let fourth = await startExport(token);
    for (let attempt = 0; fourth.status === 429 && fourth.body?.errors[0].extensions.limit === 'concurrentExports' && attempt < 50; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      fourth = await startExport(token);
    }
    expect(fourth.status).toBe(200);

    // Six requests per minute for this token, exports included: the seventh is refused whatever is running.
    second.abort();
    fourth.abort();
    while (hits < 6) (await startExport(token)).abort();
    const limited = await startExport(token);
    expect(limited.status).toBe(429);
    expect(limited.body?.errors[0].extensions.code).toBe('RATE_LIMITED');
    expect(limited.body?.errors[0].extensions.limit).toBeUndefined();
  }, 60_000);
});
