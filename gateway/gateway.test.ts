import { SignJWT, UnsecuredJWT } from 'jose';
import request from 'supertest';
import { verifyServiceToken } from '../platform/service-auth';
import { jwtKey } from './auth';
import type { BuiltGateway } from './gateway';
import { TEST_SECRETS, buildTestGateway, postGraphql, testToken } from './test-support/test-gateway';
import { LEAKY_ERROR_TEXT, TEST_CUSTOMERS, type TestSubgraph, startTestSubgraph } from './test-support/test-subgraphs';

const CUSTOMER_VIEW = `
  query CustomerView {
    customers { id name openBalance salesOrders { number total } }
  }
`;

type GraphqlError = { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> };

describe('gateway with both subgraphs up', () => {
  let crm: TestSubgraph;
  let erp: TestSubgraph;
  let gateway: BuiltGateway;

  beforeAll(async () => {
    crm = await startTestSubgraph('crm', { internalSecret: TEST_SECRETS.INTERNAL_SECRET });
    erp = await startTestSubgraph('erp', { internalSecret: TEST_SECRETS.INTERNAL_SECRET });
    gateway = await buildTestGateway({ erpUrl: erp.url, crmUrl: crm.url });
  });

  afterAll(async () => {
    await gateway.close();
    await crm.close();
    await erp.close();
  });

  it('joins CRM names with ERP balances and sales orders for a valid token', async () => {
    const token = await testToken({ role: 'finance' }, { sub: 'fiona' });
    const response = await postGraphql(gateway, { query: CUSTOMER_VIEW }, { authorization: `Bearer ${token}` });

    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data.customers).toEqual([
      { id: TEST_CUSTOMERS[0].id, name: 'Kessler Maschinenbau GmbH', openBalance: '1250.00', salesOrders: [{ number: 'SO-1001', total: '1250.00' }] },
      { id: 'erp:K-10023', name: 'Nordwind Logistik AG', openBalance: '0.00', salesOrders: [] },
    ]);
  });

  it('sends each subgraph the service credential, the request id and the verified principal', async () => {
    const token = await testToken({ role: 'partner', customer_id: 'erp:K-10023' }, { sub: 'partner-portal' });
    const crmBefore = crm.received.length;
    const erpBefore = erp.received.length;
    const response = await postGraphql(gateway, { query: CUSTOMER_VIEW }, { authorization: `Bearer ${token}`, 'x-request-id': 'req-customer-view-1' });

    expect(response.status).toBe(200);
    for (const headers of [...crm.received.slice(crmBefore), ...erp.received.slice(erpBefore)]) {
      expect(verifyServiceToken(TEST_SECRETS.INTERNAL_SECRET, headers['x-service-token'] as string)).toBe('gateway');
      expect(headers['x-request-id']).toBe('req-customer-view-1');
      expect(headers['x-user-sub']).toBe('partner-portal');
      expect(headers['x-user-role']).toBe('partner');
      expect(headers['x-user-customer-id']).toBe('erp:K-10023');
    }
    expect(crm.received.length).toBeGreaterThan(crmBefore);
    expect(erp.received.length).toBeGreaterThan(erpBefore);
  });

  it('never forwards x-service-token or x-user-* headers that a client sends', async () => {
    const token = await testToken({ role: 'sales' }, { sub: 'sam' });
    const before = crm.received.length;
    const response = await postGraphql(
      gateway,
      { query: '{ customers { id } }' },
      { authorization: `Bearer ${token}`, 'x-service-token': 'gateway.1.forged', 'x-user-role': 'admin', 'x-user-customer-id': 'erp:K-99999' },
    );

    expect(response.status).toBe(200);
    const [headers] = crm.received.slice(before);
    expect(headers['x-user-role']).toBe('sales');
    expect(headers['x-user-sub']).toBe('sam');
    expect(headers['x-user-customer-id']).toBeUndefined();
    expect(headers['x-service-token']).not.toBe('gateway.1.forged');
    expect(verifyServiceToken(TEST_SECRETS.INTERNAL_SECRET, headers['x-service-token'] as string)).toBe('gateway');
  });

  describe('refuses requests without a valid token with 401 UNAUTHENTICATED and no data', () => {
    const cases: [string, () => Promise<Record<string, string>>][] = [
      ['no token', async () => ({})],
      ['an expired token', async () => ({ authorization: `Bearer ${await testToken({ role: 'admin' }, { expiresAt: Math.floor(Date.now() / 1000) - 60 })}` })],
      ['a token signed with another secret', async () => ({ authorization: `Bearer ${await testToken({ role: 'admin' }, { secret: 'someone-elses-secret-0123456789' })}` })],
      ['an unsigned token (alg none)', async () => ({ authorization: `Bearer ${new UnsecuredJWT({ role: 'admin' }).setSubject('mallory').setExpirationTime('1h').encode()}` })],
      ['a malformed token', async () => ({ authorization: 'Bearer not.a.jwt' })],
      ['a non-bearer authorization', async () => ({ authorization: 'Basic YWRtaW46YWRtaW4=' })],
      ['a token without an expiry', async () => ({ authorization: `Bearer ${await noExpiryToken()}` })],
      ['a token with an unknown role', async () => ({ authorization: `Bearer ${await testToken({ role: 'superuser' })}` })],
      ['a partner token without customer_id', async () => ({ authorization: `Bearer ${await testToken({ role: 'partner' })}` })],
    ];

    it.each(cases)('%s', async (_name, headersFor) => {
      const before = crm.received.length + erp.received.length;
      const response = await postGraphql(gateway, { query: CUSTOMER_VIEW }, await headersFor());

      expect(response.status).toBe(401);
      expect(response.body.data).toBeUndefined();
      expect(response.body.errors).toHaveLength(1);
      expect(response.body.errors[0].extensions).toEqual({ code: 'UNAUTHENTICATED' });
      expect(typeof response.body.errors[0].message).toBe('string');
      expect(crm.received.length + erp.received.length).toBe(before);
    });
  });

  it('tells the client why a token was refused', async () => {
    const expired = await testToken({ role: 'admin' }, { expiresAt: Math.floor(Date.now() / 1000) - 60 });
    const response = await postGraphql(gateway, { query: CUSTOMER_VIEW }, { authorization: `Bearer ${expired}` });
    expect(response.body.errors[0].message).toBe('token expired');
  });

  it('refuses a GET operation without a token', async () => {
    const response = await request(gateway.app.server).get('/graphql').query({ query: '{ customers { id } }' }).set('accept', 'application/json');
    expect(response.status).toBe(401);
    expect(response.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('sends a browser without a token to the API explorer but runs no operation for it', async () => {
    const response = await request(gateway.app.server).get('/graphql').query({ query: '{ customers { id } }' }).set('accept', 'text/html');
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe('/explorer');
    expect(response.text).not.toContain('Kessler');
  });

  it('refuses an operation without a token even when the browser-style Accept header lets it past the first check', async () => {
    const before = crm.received.length;
    const response = await request(gateway.app.server).get('/graphql').query({ query: '{ customers { id } }' }).set('accept', 'text/html;q=0.1, application/json').set('apollo-require-preflight', 'true');
    expect(response.status).toBe(401);
    expect(response.body.data).toBeUndefined();
    expect(response.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(crm.received.length).toBe(before);
  });

  it("keeps a subgraph error's code and adds the subgraph's name", async () => {
    const token = await testToken({ role: 'sales' });
    const response = await postGraphql(gateway, { query: '{ creditCheck products { sku } }' }, { authorization: `Bearer ${token}` });

    expect(response.status).toBe(200);
    expect(response.body.data).toEqual({ creditCheck: null, products: [{ sku: 'P-100' }] });
    expect(response.body.errors).toEqual([
      { message: 'credit limit exceeded for erp:K-10023', path: ['creditCheck'], extensions: { code: 'CREDIT_LIMIT_EXCEEDED', serviceName: 'erp' } },
    ]);
  });

  it('answers an unexpected subgraph failure as INTERNAL_SERVER_ERROR without details or stack trace', async () => {
    const token = await testToken({ role: 'admin' });
    const response = await postGraphql(gateway, { query: '{ brokenReport }' }, { authorization: `Bearer ${token}` });

    expect(response.status).toBe(200);
    const [error] = response.body.errors as GraphqlError[];
    expect(error.message).toBe('Internal server error');
    expect(error.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', serviceName: 'erp' });
    expect(JSON.stringify(response.body)).not.toContain('erp_admin');
    expect(JSON.stringify(response.body)).not.toContain(LEAKY_ERROR_TEXT);
  });

  it('answers invalid operations with a coded validation error', async () => {
    const token = await testToken({ role: 'admin' });
    const response = await postGraphql(gateway, { query: '{ customers { creditRating } }' }, { authorization: `Bearer ${token}` });
    expect(response.status).toBe(400);
    expect(response.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('answers a document without the operation to run with 400 BAD_USER_INPUT, calling no subgraph', async () => {
    const token = await testToken({ role: 'admin' });
    const before = crm.received.length + erp.received.length;
    const unknown = await postGraphql(gateway, { query: 'query A { customers { id } }', operationName: 'B' }, { authorization: `Bearer ${token}` });
    const ambiguous = await postGraphql(gateway, { query: 'query A { customers { id } } query C { customers { name } }' }, { authorization: `Bearer ${token}` });
    expect([unknown.status, ambiguous.status]).toEqual([400, 400]);
    expect(unknown.body.errors).toEqual([{ message: 'Unknown operation named "B".', extensions: { code: 'BAD_USER_INPUT', field: 'operationName' } }]);
    expect(ambiguous.body.errors[0].message).toBe('Must provide operation name if query contains multiple operations.');
    expect(crm.received.length + erp.received.length).toBe(before);
  });

  it('refuses a cross-site form POST (CSRF prevention)', async () => {
    const token = await testToken({ role: 'admin' });
    const response = await request(gateway.app.server)
      .post('/graphql')
      .set('authorization', `Bearer ${token}`)
      .set('content-type', 'text/plain')
      .send(JSON.stringify({ query: '{ customers { id } }' }));
    expect(response.status).toBe(400);
    expect(response.text).not.toContain('Kessler');
  });

  it('keeps /health, /ready and /metrics open without a token', async () => {
    const health = await request(gateway.app.server).get('/health');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok', service: 'gateway' });

    const ready = await request(gateway.app.server).get('/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', service: 'gateway' });

    const token = await testToken({ role: 'admin' });
    await postGraphql(gateway, { query: CUSTOMER_VIEW, operationName: 'CustomerView' }, { authorization: `Bearer ${token}` });
    const metrics = await request(gateway.app.server).get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metricValue(metrics.text, 'graphql_requests_total', { operation: 'CustomerView', outcome: 'success' })).toBeGreaterThan(0);
    expect(metricValue(metrics.text, 'graphql_requests_total', { operation: 'unknown', outcome: 'unauthenticated' })).toBeGreaterThan(0);
    expect(metricValue(metrics.text, 'graphql_request_duration_seconds_count', { operation: 'CustomerView' })).toBeGreaterThan(0);
    expect(metricValue(metrics.text, 'subgraph_fetches_total', { subgraph: 'crm', outcome: 'success' })).toBeGreaterThan(0);
    expect(metricValue(metrics.text, 'subgraph_fetches_total', { subgraph: 'erp', outcome: 'error' })).toBeGreaterThan(0);
    expect(metricValue(metrics.text, 'subgraph_fetch_duration_seconds_count', { subgraph: 'erp' })).toBeGreaterThan(0);
  });
});

describe('gateway with a subgraph down', () => {
  let crm: TestSubgraph;
  let erp: TestSubgraph;
  let gateway: BuiltGateway;
  let token: string;

  beforeAll(async () => {
    crm = await startTestSubgraph('crm', { internalSecret: TEST_SECRETS.INTERNAL_SECRET });
    erp = await startTestSubgraph('erp', { internalSecret: TEST_SECRETS.INTERNAL_SECRET });
    gateway = await buildTestGateway({ erpUrl: erp.url, crmUrl: crm.url, timeoutMs: 1500 });
    token = await testToken({ role: 'admin' });
    // One answer first so the gateway holds keep-alive connections to the subgraph that then stops.
    const warm = await postGraphql(gateway, { query: CUSTOMER_VIEW }, { authorization: `Bearer ${token}` });
    expect(warm.body.data.customers[0].openBalance).toBe('1250.00');
    await erp.close();
  });

  afterAll(async () => {
    await gateway.close();
    await crm.close();
  });

  it('answers the CRM fields and marks each missing ERP field UPSTREAM_UNAVAILABLE with serviceName, within the timeout', async () => {
    const started = Date.now();
    const response = await postGraphql(gateway, { query: `query CustomerView { customers { id name openBalance salesOrders { number } } products { sku } }` }, { authorization: `Bearer ${token}` });
    const elapsed = Date.now() - started;

    expect(elapsed).toBeLessThan(1500);
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual({
      customers: [
        { id: TEST_CUSTOMERS[0].id, name: 'Kessler Maschinenbau GmbH', openBalance: null, salesOrders: null },
        { id: 'erp:K-10023', name: 'Nordwind Logistik AG', openBalance: null, salesOrders: null },
      ],
      products: null,
    });
    const errors = response.body.errors as GraphqlError[];
    for (const error of errors) {
      expect(error.extensions).toEqual({ code: 'UPSTREAM_UNAVAILABLE', serviceName: 'erp' });
      expect(error.message).toBe('the erp service is unavailable');
    }
    expect(errors.map((e) => e.path)).toEqual(
      expect.arrayContaining([['products'], ['customers', 0, 'openBalance'], ['customers', 0, 'salesOrders'], ['customers', 1, 'openBalance'], ['customers', 1, 'salesOrders']]),
    );
    expect(errors).toHaveLength(5);
  });

  it('stays ready and healthy while a subgraph is down (it answers partially), and reports the subgraph down on /health/dependencies and in dependency_up', async () => {
    const ready = await request(gateway.app.server).get('/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ready');
    expect((await request(gateway.app.server).get('/health')).status).toBe(200);

    const dependencies = await request(gateway.app.server).get('/health/dependencies');
    expect(dependencies.status).toBe(503);
    expect(dependencies.body).toMatchObject({ status: 'degraded', service: 'gateway', dependencies: { crm: { up: true }, erp: { up: false, reason: expect.stringContaining('erp') } } });
    const metrics = await request(gateway.app.server).get('/metrics');
    expect(metricValue(metrics.text, 'dependency_up', { dependency: 'erp' })).toBe(0);
    expect(metricValue(metrics.text, 'dependency_up', { dependency: 'crm' })).toBe(1);
  });

  it('counts the failed fetches as unavailable', async () => {
    const metrics = await request(gateway.app.server).get('/metrics');
    expect(metricValue(metrics.text, 'subgraph_fetches_total', { subgraph: 'erp', outcome: 'unavailable' })).toBeGreaterThan(0);
    expect(metricValue(metrics.text, 'graphql_requests_total', { operation: 'CustomerView', outcome: 'partial' })).toBeGreaterThan(0);
  });
});

describe('gateway with the root subgraph down', () => {
  it('answers the other root fields when the subgraph owning a root field is stopped', async () => {
    const crm = await startTestSubgraph('crm', { internalSecret: TEST_SECRETS.INTERNAL_SECRET });
    const erp = await startTestSubgraph('erp', { internalSecret: TEST_SECRETS.INTERNAL_SECRET });
    await crm.close();
    const gateway = await buildTestGateway({ erpUrl: erp.url, crmUrl: crm.url });
    try {
      const token = await testToken({ role: 'admin' });
      const response = await postGraphql(gateway, { query: '{ customers { id name } products { sku name } }' }, { authorization: `Bearer ${token}` });

      expect(response.status).toBe(200);
      expect(response.body.data).toEqual({ customers: null, products: [{ sku: 'P-100', name: 'Gear pump' }] });
      expect(response.body.errors).toEqual([
        { message: 'the crm service is unavailable', path: ['customers'], extensions: { code: 'UPSTREAM_UNAVAILABLE', serviceName: 'crm' } },
      ]);
    } finally {
      await gateway.close();
      await erp.close();
    }
  });
});

describe('gateway with a subgraph that hangs', () => {
  it('gives up after SUBGRAPH_TIMEOUT_MS and answers the rest with UPSTREAM_UNAVAILABLE on the late fields', async () => {
    const crm = await startTestSubgraph('crm', { internalSecret: TEST_SECRETS.INTERNAL_SECRET });
    const erp = await startTestSubgraph('erp', { internalSecret: TEST_SECRETS.INTERNAL_SECRET, hang: true });
    const gateway = await buildTestGateway({ erpUrl: erp.url, crmUrl: crm.url, timeoutMs: 300 });
    try {
      const token = await testToken({ role: 'admin' });
      const started = Date.now();
      const response = await postGraphql(gateway, { query: '{ customers { id name openBalance } }' }, { authorization: `Bearer ${token}` });
      const elapsed = Date.now() - started;

      expect(elapsed).toBeGreaterThanOrEqual(300);
      expect(elapsed).toBeLessThan(1500);
      expect(response.status).toBe(200);
      expect(response.body.data.customers).toEqual([
        { id: TEST_CUSTOMERS[0].id, name: 'Kessler Maschinenbau GmbH', openBalance: null },
        { id: 'erp:K-10023', name: 'Nordwind Logistik AG', openBalance: null },
      ]);
      expect(response.body.errors).toEqual([
        { message: 'the erp service did not answer within 300 ms', path: ['customers', 0, 'openBalance'], extensions: { code: 'UPSTREAM_UNAVAILABLE', serviceName: 'erp' } },
        { message: 'the erp service did not answer within 300 ms', path: ['customers', 1, 'openBalance'], extensions: { code: 'UPSTREAM_UNAVAILABLE', serviceName: 'erp' } },
      ]);
    } finally {
      await gateway.close();
      await erp.close();
      await crm.close();
    }
  });
});

describe('gateway in production', () => {
  it('turns introspection off', async () => {
    const crm = await startTestSubgraph('crm', { internalSecret: TEST_SECRETS.INTERNAL_SECRET });
    const erp = await startTestSubgraph('erp', { internalSecret: TEST_SECRETS.INTERNAL_SECRET });
    const gateway = await buildTestGateway({ erpUrl: erp.url, crmUrl: crm.url, nodeEnv: 'production' });
    try {
      const token = await testToken({ role: 'admin' });
      const response = await postGraphql(gateway, { query: '{ __schema { types { name } } }' }, { authorization: `Bearer ${token}` });
      expect(response.body.data).toBeUndefined();
      expect(response.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(response.body.errors[0].message).toMatch(/introspection/i);
    } finally {
      await gateway.close();
      await erp.close();
      await crm.close();
    }
  });
});

// jose's SignJWT only adds exp when asked, so a token without one is easy to make by mistake.
function noExpiryToken(): Promise<string> {
  return new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('no-expiry').sign(jwtKey(TEST_SECRETS.JWT_SECRET));
}

// The value of the Prometheus sample `name` whose labels include `labels` (in any order); 0 when absent.
function metricValue(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labelText = line.slice(name.length + 1, line.lastIndexOf('}'));
    if (Object.entries(labels).every(([key, value]) => labelText.split(',').includes(`${key}="${value}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}
