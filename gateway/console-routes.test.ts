import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import request from 'supertest';
import { createLogger } from '../platform/logger';
import { authenticationHook, createTokenVerifier } from './auth';
import { registerConsoleRoutes } from './console-routes';
import type { BuiltGateway } from './gateway';
import { TEST_SECRETS, buildTestGateway, testToken } from './test-support/test-gateway';
import { type TestSubgraph, startTestSubgraph } from './test-support/test-subgraphs';

describe('console routes', () => {
  let app: FastifyInstance;
  let assets: string;

  beforeAll(async () => {
    assets = mkdtempSync(path.join(tmpdir(), 'console-assets-'));
    mkdirSync(path.join(assets, 'assets'));
    writeFileSync(path.join(assets, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(path.join(assets, 'explorer.html'), '<!doctype html><title>explorer</title>');
    writeFileSync(path.join(assets, 'assets', 'app-1234.js'), 'console.log(1)');
    writeFileSync(path.join(tmpdir(), 'outside-console.txt'), 'secret');
    app = Fastify();
    const verify = createTokenVerifier({ jwtSecret: TEST_SECRETS.JWT_SECRET });
    registerConsoleRoutes(app, {
      assetsDir: assets,
      explorer: true,
      authenticate: authenticationHook(verify, () => undefined),
      logger: createLogger('console-test', 'silent'),
      // Nothing listens here: the tests below never get as far as writing.
      imports: { erpBackendUrl: 'http://127.0.0.1:9', crmBackendUrl: 'http://127.0.0.1:9', internalSecret: TEST_SECRETS.INTERNAL_SECRET },
    });
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
    rmSync(assets, { recursive: true, force: true });
  });

  it('serves the app at /console and at every route of the app, with a policy that allows this origin only', async () => {
    for (const url of ['/console', '/console/flows/3f1c', '/console/sync']) {
      const response = await request(app.server).get(url);
      expect(response.status).toBe(200);
      expect(response.text).toContain('<title>console</title>');
      expect(response.headers['content-security-policy']).toContain("default-src 'self'");
      expect(response.headers['content-security-policy']).toContain("connect-src 'self'");
      expect(response.headers['cache-control']).toBe('no-cache');
    }
  });

  it('serves built assets as immutable and refuses paths outside the build', async () => {
    const asset = await request(app.server).get('/console/assets/app-1234.js');
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toMatch(/^text\/javascript/);
    expect(asset.headers['cache-control']).toContain('immutable');
    expect((await request(app.server).get('/console/assets/missing.js')).status).toBe(404);
    const escaped = await request(app.server).get('/console/assets/..%2F..%2Foutside-console.txt');
    expect(escaped.status).toBe(404);
    expect(escaped.text).not.toContain('secret');
  });

  it('takes imports from admins only', async () => {
    const csv = 'key,name\nk1,One\n';
    expect((await request(app.server).post('/import/customers.csv').set('content-type', 'text/csv').send(csv)).status).toBe(401);
    const sales = await testToken({ role: 'sales' });
    const refused = await request(app.server).post('/import/customers.csv').set('authorization', `Bearer ${sales}`).set('content-type', 'text/csv').send(csv);
    expect(refused.status).toBe(403);
    expect(refused.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const admin = await testToken({ role: 'admin' });
    expect((await request(app.server).get('/import/rejects/nope').set('authorization', `Bearer ${admin}`)).status).toBe(404);
  });
});

describe('the gateway sends browsers to the local explorer', () => {
  let crm: TestSubgraph;
  let erp: TestSubgraph;
  const gateways: BuiltGateway[] = [];

  beforeAll(async () => {
    crm = await startTestSubgraph('crm', { internalSecret: TEST_SECRETS.INTERNAL_SECRET });
    erp = await startTestSubgraph('erp', { internalSecret: TEST_SECRETS.INTERNAL_SECRET });
  });
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await crm.close();
    await erp.close();
  });

  it('in development: /graphql opened in a browser redirects to /explorer, never to a CDN page', async () => {
    const gateway = await buildTestGateway({ erpUrl: erp.url, crmUrl: crm.url });
    gateways.push(gateway);
    const page = await request(gateway.app.server).get('/graphql').set('accept', 'text/html');
    expect(page.status).toBe(302);
    expect(page.headers.location).toBe('/explorer');
    const explorer = await request(gateway.app.server).get('/explorer');
    expect(explorer.status).toBe(200);
    expect(explorer.text).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
  });

  it('in production: no explorer unless API_EXPLORER=true', async () => {
    const closed = await buildTestGateway({ erpUrl: erp.url, crmUrl: crm.url, nodeEnv: 'production' });
    gateways.push(closed);
    expect((await request(closed.app.server).get('/explorer')).status).toBe(404);
    const page = await request(closed.app.server).get('/graphql').set('accept', 'text/html');
    expect(page.status).not.toBe(302);
    expect(page.headers['content-type']).not.toMatch(/text\/html/);

    const open = await buildTestGateway({ erpUrl: erp.url, crmUrl: crm.url, nodeEnv: 'production', env: { API_EXPLORER: 'true' } });
    gateways.push(open);
    expect((await request(open.app.server).get('/explorer')).status).toBe(200);
  });
});
