import { randomUUID } from 'node:crypto';
import { signWebhook } from '../../../platform/webhook-signature';
import { type IntegrationHarness, TEST_WEBHOOK_SECRET, startIntegrationHarness } from '../test-support/integration-harness';
import { ReceivedEventRepository } from './received-event.repository';

describe('webhook receivers', () => {
  let h: IntegrationHarness;

  beforeAll(async () => {
    h = await startIntegrationHarness();
  });

  beforeEach(() => h.reset());

  afterAll(() => h.close());

  const event = (overrides: Record<string, unknown> = {}) => ({
    eventId: randomUUID(),
    source: 'erp',
    entity: 'customer',
    entityId: 'K-10023',
    version: 4,
    action: 'updated',
    occurredAt: '2026-11-29T10:15:00.000Z',
    ...overrides,
  });

  const post = (path: string, body: string, signature?: string) =>
    fetch(`${h.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(signature ? { 'x-signature': signature } : {}) },
      body,
    });

  const received = () => new ReceivedEventRepository(h.db).count();

  it('records a signed event without the service credential and answers 204', async () => {
    // Formatted JSON: the signature covers the bytes as sent, not a re-serialisation.
    const body = JSON.stringify(event(), null, 2);
    const response = await post('/webhooks/erp', body, signWebhook(TEST_WEBHOOK_SECRET, body));

    expect(response.status).toBe(204);
    expect(await received()).toBe(1);
    const rows = await h.db.query<{ source: string; entity_id: string; version: number }>('SELECT source, entity_id, version FROM received_events');
    expect(rows.rows).toEqual([{ source: 'erp', entity_id: 'K-10023', version: 4 }]);
  });

  it('records a batch in order and hands on only the events it had not received', async () => {
    const seen: string[] = [];
    h.subgraph.events.subscribe('erp', ['shipment'], async (events) => void seen.push(...events.map((e) => e.entityId)));
    const first = event({ entity: 'shipment', entityId: 'SH-1' });
    const once = JSON.stringify({ events: [first] });
    await post('/webhooks/erp', once, signWebhook(TEST_WEBHOOK_SECRET, once));

    const batch = JSON.stringify({ events: [first, event({ entity: 'shipment', entityId: 'SH-2' }), event({ entity: 'shipment', entityId: 'SH-3' })] });
    const response = await post('/webhooks/erp', batch, signWebhook(TEST_WEBHOOK_SECRET, batch));

    expect(response.status).toBe(204);
    expect(await received()).toBe(3);
    expect(seen).toEqual(['SH-1', 'SH-2', 'SH-3']);
  });

  it('refuses a whole batch with one bad event, recording none of it', async () => {
    const batch = JSON.stringify({ events: [event(), event({ version: -1 })] });
    const response = await post('/webhooks/erp', batch, signWebhook(TEST_WEBHOOK_SECRET, batch));

    expect(response.status).toBe(400);
    expect(await received()).toBe(0);
  });

  it('ignores a redelivered event but still answers 204', async () => {
    const body = JSON.stringify(event({ source: 'crm', entity: 'account', entityId: randomUUID() }));
    const signature = signWebhook(TEST_WEBHOOK_SECRET, body);

    expect((await post('/webhooks/crm', body, signature)).status).toBe(204);
    expect((await post('/webhooks/crm', body, signature)).status).toBe(204);
    expect(await received()).toBe(1);
  });

  it('refuses a missing, forged, stale or mismatched signature with 401 and records nothing', async () => {
    const body = JSON.stringify(event());
    const tampered = body.replace('"version":4', '"version":5');
    const cases = [
      await post('/webhooks/erp', body),
      await post('/webhooks/erp', body, signWebhook('another-secret-0123456789', body)),
      await post('/webhooks/erp', body, signWebhook(TEST_WEBHOOK_SECRET, body, Date.now() - 10 * 60 * 1000)),
      await post('/webhooks/erp', tampered, signWebhook(TEST_WEBHOOK_SECRET, body)),
    ];

    for (const response of cases) {
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
    }
    expect(await received()).toBe(0);
  });

  it('refuses a signed body that is not a change event, or comes from the other system, with 400', async () => {
    const notJson = 'hello';
    const wrongSource = JSON.stringify(event({ source: 'crm' }));
    const noId = JSON.stringify(event({ eventId: 'not-a-uuid' }));

    for (const body of [notJson, wrongSource, noId]) {
      const response = await post('/webhooks/erp', body, signWebhook(TEST_WEBHOOK_SECRET, body));
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('BAD_USER_INPUT');
    }
    expect(await received()).toBe(0);
  });

  it('keeps the GraphQL endpoint behind the service credential', async () => {
    const response = await fetch(`${h.baseUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });

    expect(response.status).toBe(401);
  });
});
