import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { type AuditEntry, httpAuditReporter } from './audit';

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
