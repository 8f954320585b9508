import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { type Database, openDatabase } from '../../../platform/db';
import { createLogger } from '../../../platform/logger';
import { migrate } from '../../../platform/migrate';
import { LiveEventFeed } from '../live/live-event-feed';
import { LiveEventRepository } from '../live/live-event.repository';
import { WebhookSender, signDelivery } from './webhook-sender';
import { WebhookService } from './webhook.service';

const MINE = 'crm:0b6f7c52-5a8e-4a57-9d33-5e1c1c2f4a10';
const THEIRS = 'erp:K-10042';
const logger = createLogger('test', 'silent');

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

describe('partner webhook deliveries', () => {
  let db: Database;
  let receiver: Server;
  let received: Received[];
  let answer: number;
  let url: string;
  let feed: LiveEventFeed;
  const rendered: { eventType: string; customerId: string }[] = [];

  beforeAll(async () => {
    db = await openDatabase({ service: 'integration' });
    await migrate(db, path.join(__dirname, '../migrations'));
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(answer).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  });

  beforeEach(async () => {
    received = [];
    answer = 204;
    rendered.length = 0;
    await db.exec('DELETE FROM webhook_subscriptions; DELETE FROM live_events;');
    feed = new LiveEventFeed({ repository: new LiveEventRepository(db), logger, gapWaitMs: 0 });
    await feed.start();
  });

  afterEach(() => feed.stop());

  afterAll(async () => {
    await new Promise((resolve) => receiver.close(resolve));
    await db.close();
  });

  const senderWith = (retryScheduleMs = [50, 50]) =>
    new WebhookSender({
      db,
      feed,
      logger,
      policy: { production: false },
      masterKey: 'test-master-key-0123456789',
      retryScheduleMs,
      render: async (delivery) => {
        rendered.push(delivery);
        return { salesOrder: { id: delivery.entityKey, customer: { id: delivery.customerId } } };
      },
    });
  const register = async (events: ('ORDER_SHIPPED' | 'INVOICE_ISSUED')[]) =>
    new WebhookService({ db, policy: { production: false }, masterKey: 'test-master-key-0123456789' }).create({ sub: 'partner-1', customerId: MINE }, url, events);
  const happen = async (...events: { type: 'order.shipped' | 'invoice.issued'; key: string; customerId: string }[]) => {
    await new LiveEventRepository(db).append(events.map((e) => ({ ...e, data: {} })));
    await feed.tick();
  };

  it("sends its own customer's events signed in the Standard Webhooks format, verified by the reference library, and no one else's", async () => {
    const { secret, subscription } = await register(['ORDER_SHIPPED', 'INVOICE_ISSUED']);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    await happen({ type: 'order.shipped', key: 'SO-1', customerId: MINE }, { type: 'order.shipped', key: 'SO-2', customerId: THEIRS }, { type: 'invoice.issued', key: 'SO-1', customerId: MINE });
    await senderWith().kick();

    expect(received).toHaveLength(2);
    const verifier = new Webhook(secret);
    const payloads = received.map((r) => verifier.verify(r.body, { 'webhook-id': String(r.headers['webhook-id']), 'webhook-timestamp': String(r.headers['webhook-timestamp']), 'webhook-signature': String(r.headers['webhook-signature']) }));
    expect(payloads.map((p) => (p as { type: string }).type).sort()).toEqual(['invoice.issued', 'order.shipped']);
    expect(payloads.every((p) => (p as { data: { salesOrder: { id: string } } }).data.salesOrder.id === 'SO-1')).toBe(true);
    expect(rendered.every((r) => r.customerId === MINE)).toBe(true);
    // A forged body fails the same check.
    expect(() => verifier.verify(received[0].body.replace('SO-1', 'SO-9'), received[0].headers as Record<string, string>)).toThrow();
    expect(received[0].headers['webhook-id']).toMatch(new RegExp(`^msg_${subscription.id.replace(/-/g, '')}_\\d+$`));
  });

  it('retries an endpoint that is down with the same webhook-id and body, and logs status, attempts, response code and next try', async () => {
    await register(['ORDER_SHIPPED']);
    const webhooks = new WebhookService({ db, policy: { production: false }, masterKey: 'test-master-key-0123456789' });
    const owner = { sub: 'partner-1', customerId: MINE };
    answer = 503;
    await happen({ type: 'order.shipped', key: 'SO-7', customerId: MINE });
    const sender = senderWith([60_000]);
    await sender.kick();
    const failing = (await webhooks.deliveries(owner, { first: 10 })).nodes[0];
    expect(failing).toMatchObject({ status: 'PENDING', attempts: 1, lastResponseCode: 503, lastError: 'the endpoint answered 503' });
    expect(new Date(failing.nextAttemptAt!).getTime()).toBeGreaterThan(Date.now() + 50_000);

    // Replay makes it due now; the endpoint is back.
    answer = 200;
    await webhooks.replay(owner, failing.id);
    await sender.kick();
    const delivered = (await webhooks.deliveries(owner, { first: 10 })).nodes[0];
    expect(delivered).toMatchObject({ id: failing.id, status: 'DELIVERED', attempts: 2, lastResponseCode: 200 });
    expect(received.map((r) => r.headers['webhook-id'])).toEqual([failing.id, failing.id]);
    expect(received[1].body).toBe(received[0].body);
  });

  it('holds deliveries while the endpoint is paused and sends them on resume', async () => {
    const { subscription } = await register(['INVOICE_ISSUED']);
    const webhooks = new WebhookService({ db, policy: { production: false }, masterKey: 'test-master-key-0123456789' });
    const owner = { sub: 'partner-1', customerId: MINE };
    await webhooks.setPaused(owner, subscription.id, true);
    await happen({ type: 'invoice.issued', key: 'SO-3', customerId: MINE });
    const sender = senderWith();
    await sender.kick();
    expect(received).toHaveLength(0);
    await webhooks.setPaused(owner, subscription.id, false);
    await sender.kick();
    expect(received).toHaveLength(1);
  });

  it('refuses, at delivery time, an endpoint whose name now resolves to a private address', async () => {
    const webhooks = new WebhookService({ db, policy: { production: true }, masterKey: 'k'.repeat(20), resolve: async () => ['93.184.216.34'] });
    await webhooks.create({ sub: 'partner-1', customerId: MINE }, 'https://hooks.partner.example/x', ['ORDER_SHIPPED']);
    await happen({ type: 'order.shipped', key: 'SO-5', customerId: MINE });
    const sender = new WebhookSender({ db, feed, logger, policy: { production: true }, masterKey: 'k'.repeat(20), resolve: async () => ['10.0.0.5'], render: async () => ({ salesOrder: {} }) });
    await sender.kick();
    const [delivery] = (await webhooks.deliveries({ sub: 'partner-1', customerId: MINE }, { first: 1 })).nodes;
    expect(delivery).toMatchObject({ status: 'FAILED', lastError: expect.stringContaining('private, loopback or link-local') });
  });

  it('signs as the reference library does', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const timestamp = new Date(1_700_000_000_000);
    expect(signDelivery(secret, 'msg_1', 1_700_000_000, '{"a":1}')).toBe(new Webhook(secret).sign('msg_1', timestamp, '{"a":1}'));
  });
});
