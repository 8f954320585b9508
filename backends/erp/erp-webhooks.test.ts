import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import type { Database } from '../../platform/db';
import { listen } from '../../platform/http-server';
import type { ChangeEvent } from '../../platform/outbox';
import { verifyWebhook } from '../../platform/webhook-signature';
import { openTestDatabase } from '../../test-support/databases';
import type { ErpCustomer } from '../../connectors/erp/erp.connector';
import { buildTestErpBackend, TEST_WEBHOOK_SECRET, testServiceToken } from './erp-test-fixtures';
import type { ErpBackend } from './server';

interface Delivery {
  body: string;
  signature: string | undefined;
}

/** A subscriber that records what it receives, and answers 503 while it is `down`. */
function startReceiver(deliveries: Delivery[], state: { down: boolean }): Promise<Server> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      if (state.down) {
        res.writeHead(503).end();
        return;
      }
      deliveries.push({ body, signature: req.headers['x-signature'] as string | undefined });
      res.writeHead(204).end();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('ERP change events', () => {
  let db: Database;
  let dispose: () => Promise<void>;
  let backend: ErpBackend;
  let receiver: Server | undefined;

  afterAll(async () => {
    await backend?.close();
    receiver?.close();
    await dispose?.();
  });

  it('delivers a signed event to a subscriber that was down when the change happened', async () => {
    // The subscriber is down (503) when the change happens. (A freed port could be taken by another test's server meanwhile.)
    const subscriber = { down: true };
    const deliveries: Delivery[] = [];
    receiver = await startReceiver(deliveries, subscriber);
    const port = (receiver.address() as AddressInfo).port;

    const opened = await openTestDatabase('pglite', 'erp');
    if (!opened) throw new Error('PGlite is always available');
    ({ db, dispose } = opened);
    backend = await buildTestErpBackend(db, { webhookTargets: [`http://127.0.0.1:${port}/events`], outboxIntervalMs: 50 });
    const baseUrl = `http://127.0.0.1:${await listen(backend.app, 0)}`;
    await backend.start();

    const created = await request(`${baseUrl}/customers`, {
      method: 'POST',
      headers: { 'x-service-token': testServiceToken(), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Golf Instruments Oy', country: 'FI' }),
    });
    const customer = (await created.body.json()) as ErpCustomer;

    // Events go out in order, so the first one that failed holds the customer's back until the subscriber is up.
    const failed = await until(async () => {
      const { rows } = await db.query<{ attempts: number; last_error: string | null }>('SELECT attempts, last_error FROM outbox_events WHERE attempts > 0 ORDER BY seq LIMIT 1');
      return rows[0];
    });
    expect(failed.last_error).toContain(`127.0.0.1:${port}`);
    const pending = await db.query<{ delivered: boolean }>('SELECT delivered_at IS NOT NULL AS delivered FROM outbox_events WHERE entity_id = $1', [customer.customerNo]);
    expect(pending.rows[0].delivered).toBe(false);

    subscriber.down = false;
    const eventsOf = (d: Delivery) => (JSON.parse(d.body) as { events: ChangeEvent[] }).events;
    // The subscriber's backoff grew with every failure while it was down (a busy machine fails more often before it is up).
    const delivery = await until(async () => deliveries.find((d) => eventsOf(d).some((e) => e.entityId === customer.customerNo)), 45_000);

    const event = eventsOf(delivery).find((e) => e.entityId === customer.customerNo)!;
    expect(event).toMatchObject({ source: 'erp', entity: 'customer', entityId: customer.customerNo, version: 1, action: 'created' });
    expect(Date.parse(event.occurredAt)).not.toBeNaN();
    expect(verifyWebhook(TEST_WEBHOOK_SECRET, delivery.body, delivery.signature)).toBe(true);
    expect(verifyWebhook('some-other-secret-0123456789', delivery.body, delivery.signature)).toBe(false);
    const { rows } = await db.query<{ delivered: boolean }>('SELECT delivered_at IS NOT NULL AS delivered FROM outbox_events WHERE entity_id = $1', [customer.customerNo]);
    expect(rows[0].delivered).toBe(true);
  }, 60_000);
});
