import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode } from './errors';
import { JsonHttpClient } from './http-client';
import { createMetrics } from './metrics';
import { deadlineFrom, runWithRequestContext } from './request-context';

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function counted(metrics: ReturnType<typeof createMetrics>, name: string): Promise<Record<string, number>> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return Object.fromEntries((metric?.values ?? []).map((v) => [Object.entries(v.labels).filter(([k]) => k !== 'service').map(([, l]) => l).join('|'), v.value]));
}

describe('JsonHttpClient', () => {
  it('treats an answer cut off mid-body as a lost response: retried, then UPSTREAM_UNAVAILABLE, never an empty result', async () => {
    let calls = 0;
    const { server, url } = await serve((_req, res) => {
      calls++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"items": [');
      // The body never ends; the socket is cut after the client's timeout.
      setTimeout(() => res.destroy(), 1500);
    });
    const metrics = createMetrics('client-test');
    const client = new JsonHttpClient({ system: 'erp', baseUrl: url, serviceToken: () => 't', timeoutMs: 300, retries: 1, metrics });
    try {
      await expect(client.call({ operation: 'listCustomers', method: 'GET', path: '/customers' })).rejects.toMatchObject({ code: ErrorCode.UPSTREAM_UNAVAILABLE });
      expect(calls).toBe(2);
      expect(await counted(metrics, 'connector_requests_total')).toEqual({ 'erp|listCustomers': 2 });
      expect(await counted(metrics, 'connector_errors_total')).toEqual({ 'erp|listCustomers|UPSTREAM_UNAVAILABLE': 2 });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it("gives up by the request's deadline: a backend that accepts and never answers costs the caller's budget, not every attempt's timeout", async () => {
    let calls = 0;
    // A frozen host: the connection is taken, no answer ever comes.
    const { server, url } = await serve(() => {
      calls++;
    });
    const client = new JsonHttpClient({ system: 'erp', baseUrl: url, serviceToken: () => 't', timeoutMs: 5000, retries: 2 });
    try {
      const started = Date.now();
      // The caller waits 1 s: the answer must be ready a little before.
      const deadlineAt = deadlineFrom('1000')!;
      expect(deadlineAt - started).toBeLessThan(1000);
      const call = runWithRequestContext({ requestId: 'r', deadlineAt }, () => client.call({ operation: 'listWarehouses', method: 'GET', path: '/warehouses' }));
      await expect(call).rejects.toMatchObject({ code: ErrorCode.UPSTREAM_UNAVAILABLE, details: { system: 'erp' } });
      expect(Date.now() - started).toBeLessThan(1000);
      expect(calls).toBe(1);
      // Past the deadline nothing is sent at all.
      await expect(runWithRequestContext({ requestId: 'r', deadlineAt: Date.now() - 1 }, () => client.call({ operation: 'listWarehouses', method: 'GET', path: '/warehouses' }))).rejects.toMatchObject({
        code: ErrorCode.UPSTREAM_UNAVAILABLE,
      });
      expect(calls).toBe(1);
    } finally {
      server.closeAllConnections();
      server.close();
      await client.close();
    }
  });

  it('counts a business refusal by its code and does not retry it', async () => {
    let calls = 0;
    const { server, url } = await serve((_req, res) => {
      calls++;
      res.writeHead(409, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'CONFLICT', message: 'already shipped' } }));
    });
    const metrics = createMetrics('client-test');
    const client = new JsonHttpClient({ system: 'erp', baseUrl: url, serviceToken: () => 't', metrics });
    try {
      await expect(client.call({ operation: 'cancelShipment', method: 'POST', path: '/shipments/1/cancel', idempotencyKey: 'k' })).rejects.toMatchObject({ code: ErrorCode.CONFLICT });
      expect(calls).toBe(1);
      expect(await counted(metrics, 'connector_errors_total')).toEqual({ 'erp|cancelShipment|CONFLICT': 1 });
    } finally {
      server.close();
    }
  });
});
