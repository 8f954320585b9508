import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { type AuditEntry, httpAuditReporter } from './audit';
import type { BuiltGateway } from './gateway';
import { TEST_SECRETS, buildTestGateway, postGraphql, testToken } from './test-support/test-gateway';
import { type TestSubgraph, startTestSubgraph } from './test-support/test-subgraphs';

const ENTRY: AuditEntry = { at: '2026-11-29T10:00:00.000Z', sub: 'sam', role: 'sales', operationName: 'Pay', field: 'recordPayment', ids: ['INV-1'], outcome: 'FORBIDDEN' };
const SERVICE_TOKEN = 'gateway.1795980000.' + 'ab'.repeat(32);

// A logger whose lines the test can read.
function capturedLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

// An audit endpoint that fails `failures` times with 503, then stores what it gets.
async function flakyEndpoint(failures: number) {
  const received: { body: unknown; token: string | undefined }[] = [];
  let calls = 0;
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      // The gateway also follows the integration's live events at the same origin; only audit counts here.
      if (req.url?.split('?', 1)[0] !== '/internal/audit') {
        res.writeHead(404, { connection: 'close' }).end();
        return;
      }
      calls++;
      if (calls <= failures) {
        res.writeHead(503, { connection: 'close' }).end();
        return;
      }
      received.push({ body: JSON.parse(body), token: req.headers['x-service-token'] as string | undefined });
      res.writeHead(204, { connection: 'close' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/internal/audit`;
  return { url, received, calls: () => calls, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe('the audit reporter', () => {
  it('retries a failed delivery and stores the entries once, with the service credential', async () => {
    const endpoint = await flakyEndpoint(2);
    const { logger, lines } = capturedLogger();
    const reporter = httpAuditReporter({ url: endpoint.url, serviceToken: () => SERVICE_TOKEN, logger, retryDelayMs: 10 });
    reporter.report([ENTRY]);
    await reporter.close();
    expect(endpoint.received).toEqual([{ body: { entries: [ENTRY] }, token: SERVICE_TOKEN }]);
    expect(endpoint.calls()).toBe(3);
    expect(lines).toEqual([]);
    await endpoint.close();
  });

  it('logs entries it could not store after its attempts, without the credential', async () => {
    const endpoint = await flakyEndpoint(100);
    const { logger, lines } = capturedLogger();
    const reporter = httpAuditReporter({ url: endpoint.url, serviceToken: () => SERVICE_TOKEN, logger, attempts: 3, retryDelayMs: 10 });
    reporter.report([ENTRY]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await reporter.close();
    expect(endpoint.calls()).toBe(3);
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]);
    expect(line).toMatchObject({ msg: 'audit entries could not be stored', reason: 'HTTP 503', entries: [ENTRY] });
    expect(lines[0]).not.toContain(SERVICE_TOKEN);
    await endpoint.close();
  });

  it('sends the entries of mutations answered close together in one request, in order, and splits at the batch size', async () => {
    const endpoint = await flakyEndpoint(0);
    const { logger } = capturedLogger();
    const reporter = httpAuditReporter({ url: endpoint.url, serviceToken: () => SERVICE_TOKEN, logger, batchWindowMs: 50, maxBatch: 3 });
    const entries = Array.from({ length: 5 }, (_, i) => ({ ...ENTRY, ids: [`INV-${i}`] }));
    for (const entry of entries) reporter.report([entry]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await reporter.close();
    expect(endpoint.received.map((r) => (r.body as { entries: AuditEntry[] }).entries.map((e) => e.ids[0]))).toEqual([
      ['INV-0', 'INV-1', 'INV-2'],
      ['INV-3', 'INV-4'],
    ]);
    await endpoint.close();
  });
});

describe('the audit log through the gateway', () => {
  let crm: TestSubgraph;
  let erp: TestSubgraph;
  let endpoint: Awaited<ReturnType<typeof flakyEndpoint>>;
  let gateway: BuiltGateway;

  beforeAll(async () => {
    crm = await startTestSubgraph('crm', { internalSecret: TEST_SECRETS.INTERNAL_SECRET });
    erp = await startTestSubgraph('erp', { internalSecret: TEST_SECRETS.INTERNAL_SECRET });
    endpoint = await flakyEndpoint(0);
    // The reporter posts to the integration's /internal/audit; here that is the capturing endpoint.
    gateway = await buildTestGateway({ erpUrl: erp.url, crmUrl: crm.url, env: { INTEGRATION_SUBGRAPH_URL: endpoint.url.replace('/internal/audit', '/graphql') } });
  });
  afterAll(async () => {
    await gateway.close();
    await endpoint.close();
    await crm.close();
    await erp.close();
  });

  const received = () => endpoint.received.flatMap((r) => (r.body as { entries: AuditEntry[] }).entries);
  const entriesOf = async (operationName: string, count: number) => {
    const deadline = Date.now() + 5000;
    while (received().filter((e) => e.operationName === operationName).length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    return received()
      .filter((e) => e.operationName === operationName)
      .map(({ field, ids, outcome, sub }) => ({ field, ids, outcome, sub }))
      .sort((a, b) => a.ids.join().localeCompare(b.ids.join()));
  };

  it('records every mutation field however it is written: inline fragment, named fragment, aliases; not one left out by @skip', async () => {
    const token = await testToken({ role: 'finance' }, { sub: 'fiona' });
    const query = `
      mutation Written($skip: Boolean!) {
        ... on Mutation { inline: recordPayment(invoiceId: "INV-1", amount: "1.00") { id } }
        ...Pay
        plain: logNote(customerId: "erp:K-10023", text: "hi") { id }
        skipped: recordPayment(invoiceId: "INV-9", amount: "9.00") @skip(if: $skip) { id }
      }
      fragment Pay on Mutation { named: recordPayment(invoiceId: "INV-2", amount: "2.00") { id } }
    `;
    const response = await postGraphql(gateway, { query, variables: { skip: true } }, { authorization: `Bearer ${token}` });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data).toEqual({ inline: { id: 'PAY-INV-1' }, named: { id: 'PAY-INV-2' }, plain: { id: 'NOTE-erp:K-10023' } });
    expect(await entriesOf('Written', 3)).toEqual([
      { field: 'logNote', ids: ['erp:K-10023', 'NOTE-erp:K-10023'], outcome: 'OK', sub: 'fiona' },
      { field: 'recordPayment', ids: ['INV-1', 'PAY-INV-1'], outcome: 'OK', sub: 'fiona' },
      { field: 'recordPayment', ids: ['INV-2', 'PAY-INV-2'], outcome: 'OK', sub: 'fiona' },
    ]);
  });

  it('records a refused mutation inside a fragment as FORBIDDEN', async () => {
    const token = await testToken({ role: 'sales' }, { sub: 'sam' });
    const query = `mutation Refused { ... on Mutation { pay: recordPayment(invoiceId: "INV-3", amount: "3.00") { id } } }`;
    const response = await postGraphql(gateway, { query }, { authorization: `Bearer ${token}` });
    expect(response.body.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['FORBIDDEN']);
    expect(await entriesOf('Refused', 1)).toEqual([{ field: 'recordPayment', ids: ['INV-3'], outcome: 'FORBIDDEN', sub: 'sam' }]);
  });
});
