import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CrmAccount, CrmActivity, CrmCase, CrmContact, CrmOpportunity } from '../../connectors/crm/crm.connector';
import type { Page } from '../../connectors/page';
import type { Database } from '../../platform/db';
import { listen } from '../../platform/http-server';
import { signServiceToken } from '../../platform/service-auth';
import { verifyWebhook } from '../../platform/webhook-signature';
import { DATABASE_KINDS, openTestDatabase } from '../../test-support/databases';
import { describeOn } from '../../test-support/services';
import { formatAmount, sumAmounts, Money } from '../../platform/money';
import { buildDemoDataset } from '../demo-data/demo-dataset';
import { crmFixture, fixtureId } from './crm-fixtures';
import { findOpportunitiesByIds } from './repositories/opportunity.repository';
import { seedCrm } from './seed';
import { type CrmBackend, createCrmBackend, prepareCrmDatabase } from './server';

const INTERNAL_SECRET = 'internal-secret-for-tests-0123456789';
const WEBHOOK_SECRET = 'webhook-secret-for-tests-0123456789';
const ACME = fixtureId(2, 1);
const BOREALIS = fixtureId(2, 2);
const COBALT = fixtureId(2, 3);

describeOn(DATABASE_KINDS, 'CRM backend on %s', (kind) => {
  let db: Database;
  let backend: CrmBackend;
  let baseUrl: string;

  let dispose: (() => Promise<void>) | undefined;


  beforeAll(async () => {
    const opened = await openTestDatabase(kind, 'crm');
    ({ db, dispose } = opened);
    await prepareCrmDatabase(db);
    await seedCrm(db, crmFixture);
    backend = createCrmBackend({ db, internalSecret: INTERNAL_SECRET, webhookSecret: WEBHOOK_SECRET });
    // Real HTTP on a free port: Fastify's inject pulls in an ESM-only module that jest does not transform.
    baseUrl = `http://127.0.0.1:${await listen(backend.app, 0)}`;
  });

  afterAll(async () => {
    await backend?.close();
    await dispose?.();
  });

  async function call<T = unknown>(method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown, headers: Record<string, string> = {}, base = baseUrl) {
    const response = await fetch(`${base}${url}`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: { 'x-service-token': signServiceToken(INTERNAL_SECRET, 'test'), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    });
    return { status: response.status, body: (await response.json()) as T, headers: Object.fromEntries(response.headers) };
  }

  type ErrorBody = { error: { code: string; message: string; details?: { field?: string } } };

  const newOpportunity = (overrides: Record<string, unknown> = {}) => ({
    accountId: COBALT,
    name: 'Conveyor retrofit',
    currency: 'EUR',
    lines: [{ sku: 'SKU-001', quantity: 3, unitPrice: '19.99' }],
    ...overrides,
  });

  async function outboxCount(entityId?: string): Promise<number> {
    const rows = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox_events WHERE $1::text IS NULL OR entity_id = $1', [entityId ?? null]);
    return rows.rows[0].n;
  }

  describe('service credential', () => {
    test('refuses API calls without a valid x-service-token', async () => {
      const missing = await fetch(`${baseUrl}/accounts?ids=${ACME}`);
      expect(missing.status).toBe(401);
      expect(((await missing.json()) as ErrorBody).error.code).toBe('UNAUTHENTICATED');
      const forged = await fetch(`${baseUrl}/accounts`, { headers: { 'x-service-token': signServiceToken('another-secret-0123456789', 'test') } });
      expect(forged.status).toBe(401);
      const write = await fetch(`${baseUrl}/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Intruder Ltd' }) });
      expect(write.status).toBe(401);
    });

    test('leaves /health, /ready and /metrics open', async () => {
      expect(await (await fetch(`${baseUrl}/health`)).json()).toEqual({ status: 'ok', service: 'crm-backend' });
      expect((await fetch(`${baseUrl}/ready`)).status).toBe(200);
      expect(await (await fetch(`${baseUrl}/metrics`)).text()).toContain('http_requests_total');
    });
  });

  describe('batch reads', () => {
    test('returns the accounts asked for by id and omits unknown and malformed ids', async () => {
      const unknown = fixtureId(2, 99);
      const { status, body } = await call<Page<CrmAccount>>('GET', `/accounts?ids=${ACME},${BOREALIS},${unknown},not-a-uuid`);
      expect(status).toBe(200);
      expect(body.items.map((a) => a.name).sort()).toEqual(['Acme Tools', 'Borealis Foods']);
      expect(body.items.find((a) => a.id === ACME)).toEqual({
        id: ACME,
        name: 'Acme Tools',
        email: 'info@acme.example',
        industry: 'Manufacturing',
        country: 'DE',
        erpCustomerNo: 'K-10001',
        ownerId: fixtureId(1, 1),
        version: 1,
        createdAt: '2024-01-01T09:00:00.000Z',
        updatedAt: '2024-01-01T09:00:00.000Z',
      });
    });

    test('finds accounts by their kept ERP customer number', async () => {
      const { body } = await call<Page<CrmAccount>>('GET', '/accounts?erp_customer_nos=K-10002,K-99999');
      expect(body.items.map((a) => a.id)).toEqual([BOREALIS]);
    });

    test('refuses two batch parameters at once', async () => {
      const { status, body } = await call<ErrorBody>('GET', `/accounts?ids=${ACME}&erp_customer_nos=K-10001`);
      expect(status).toBe(400);
      expect(body.error.details?.field).toBe('erp_customer_nos');
    });

    test('lists the contacts of several accounts in one call', async () => {
      const { body } = await call<Page<CrmContact>>('GET', `/contacts?account_ids=${ACME},${BOREALIS}`);
      expect(body.items).toHaveLength(4);
      expect(body.items.filter((c) => c.accountId === ACME).map((c) => c.name)).toEqual(['Ann Acme Tools', 'Ben Acme Tools']);
    });

    test('finds the opportunity an ERP sales order came from', async () => {
      const { body } = await call<Page<CrmOpportunity>>('GET', '/opportunities?erp_sales_order_ids=SO-20002');
      expect(body.items.map((o) => [o.accountId, o.stage])).toEqual([[BOREALIS, 'CLOSED_WON']]);
    });

    test("lists accounts' opportunities, optionally in one stage", async () => {
      const all = await call<Page<CrmOpportunity>>('GET', `/opportunities?account_ids=${ACME},${BOREALIS}`);
      expect(all.body.items).toHaveLength(6);
      const won = await call<Page<CrmOpportunity>>('GET', `/opportunities?account_ids=${ACME},${BOREALIS}&stage=CLOSED_WON`);
      expect(won.body.items.map((o) => o.erpSalesOrderId).sort()).toEqual(['SO-20001', 'SO-20002']);
    });

    test('returns the newest `last` activities of each account, newest first', async () => {
      const { body } = await call<Page<CrmActivity>>('GET', `/activities?account_ids=${ACME},${BOREALIS},${COBALT}&last=2`);
      const acme = body.items.filter((a) => a.accountId === ACME);
      const borealis = body.items.filter((a) => a.accountId === BOREALIS);
      expect(body.items).toHaveLength(4);
      expect(acme.map((a) => a.occurredAt)).toEqual(['2024-03-15T08:00:00.000Z', '2024-03-14T08:00:00.000Z']);
      expect(borealis.map((a) => a.subject)).toEqual(['CALL 6 with Borealis Foods', 'SYSTEM 5 with Borealis Foods']);
    });

    test('lists cases of accounts, optionally in one status', async () => {
      const all = await call<Page<CrmCase>>('GET', `/cases?account_ids=${ACME},${BOREALIS}`);
      expect(all.body.items.map((c) => c.subject)).toEqual(['Invoice question', 'Late delivery', 'Damaged goods']);
      const open = await call<Page<CrmCase>>('GET', `/cases?account_ids=${ACME},${BOREALIS}&status=OPEN`);
      expect(open.body.items).toEqual([
        { id: fixtureId(6, 1), accountId: ACME, subject: 'Late delivery', status: 'OPEN', priority: 'HIGH', openedAt: '2024-04-01T08:00:00.000Z', erpSalesOrderId: 'SO-20001' },
      ]);
    });
  });

  describe('lists', () => {
    test('pages through accounts with a cursor, each account once, with the total', async () => {
      const seen: string[] = [];
      let after: string | null = null;
      let pages = 0;
      do {
        const query: string = after ? `/accounts?first=2&after=${after}` : '/accounts?first=2';
        const { body } = await call<Page<CrmAccount>>('GET', query);
        expect(body.totalCount).toBeGreaterThanOrEqual(5);
        seen.push(...body.items.map((a) => a.name));
        after = body.nextCursor;
        pages++;
      } while (after);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.slice(0, 5)).toEqual(['Acme Tools', 'Borealis Foods', 'Cobalt Mining', 'Delta Logistics', 'Echo Retail']);
      expect(pages).toBe(Math.ceil(seen.length / 2));
    });

    test('searches accounts by name or email, ignoring case', async () => {
      const byName = await call<Page<CrmAccount>>('GET', '/accounts?search=BOREALIS');
      expect(byName.body.items.map((a) => a.id)).toEqual([BOREALIS]);
      const byEmail = await call<Page<CrmAccount>>('GET', '/accounts?search=info@cobalt');
      expect(byEmail.body.items.map((a) => a.id)).toEqual([COBALT]);
    });

    test('filters opportunities by stage and account with a total count', async () => {
      const { body } = await call<Page<CrmOpportunity>>('GET', `/opportunities?stage=PROPOSAL&account_id=${COBALT}`);
      expect(body.totalCount).toBe(1);
      expect(body.items[0].name).toBe('Cobalt Mining proposal deal');
    });

    test('answers only accounts changed since a time, in order of change, for catch-up polling', async () => {
      const before = new Date(Date.now() - 1).toISOString();
      await call('PATCH', `/accounts/${fixtureId(2, 5)}`, { industry: 'Wholesale' });
      // A later millisecond, so the order of change is the order of the two writes.
      await new Promise((resolve) => setTimeout(resolve, 5));
      await call('PATCH', `/accounts/${fixtureId(2, 4)}`, { industry: 'Transport' });
      const first = await call<Page<CrmAccount>>('GET', `/accounts?updated_since=${encodeURIComponent(before)}&first=1`);
      expect(first.body.totalCount).toBe(2);
      expect(first.body.items.map((a) => a.name)).toEqual(['Echo Retail']);
      const second = await call<Page<CrmAccount>>('GET', `/accounts?updated_since=${encodeURIComponent(before)}&first=1&after=${first.body.nextCursor}`);
      expect(second.body.items.map((a) => [a.name, a.industry, a.version])).toEqual([['Delta Logistics', 'Transport', 2]]);
      expect(second.body.nextCursor).toBeNull();
    });

    test('refuses a malformed cursor', async () => {
      const { status, body } = await call<ErrorBody>('GET', '/accounts?after=garbage!');
      expect(status).toBe(400);
      expect(body.error.code).toBe('BAD_USER_INPUT');
    });
  });

  describe('opportunities', () => {
    test('computes the amount exactly from the lines (3 × 19.99 = 59.97)', async () => {
      const { status, body } = await call<CrmOpportunity>('POST', '/opportunities', newOpportunity());
      expect(status).toBe(201);
      expect(body).toMatchObject({ accountId: COBALT, stage: 'PROSPECTING', amount: '59.97', currency: 'EUR', version: 1, erpSalesOrderId: null });
      expect(body.lines).toEqual([{ sku: 'SKU-001', quantity: 3, unitPrice: '19.99' }]);
    });

    test('adds cents without floating-point drift (0.10 + 0.20 = 0.30)', async () => {
      const lines = [
        { sku: 'A', quantity: 1, unitPrice: '0.10' },
        { sku: 'B', quantity: 1, unitPrice: '0.2' },
      ];
      const { body } = await call<CrmOpportunity>('POST', '/opportunities', newOpportunity({ lines }));
      expect(body.amount).toBe('0.30');
      expect(body.lines.map((l) => l.unitPrice)).toEqual(['0.10', '0.20']);
    });

    test('moves the stage and links the sales order, bumping the version and emitting an event', async () => {
      const created = await call<CrmOpportunity>('POST', '/opportunities', newOpportunity());
      const updated = await call<CrmOpportunity>('PATCH', `/opportunities/${created.body.id}`, { stage: 'CLOSED_WON', erpSalesOrderId: 'SO-31337' });
      expect(updated.body).toMatchObject({ stage: 'CLOSED_WON', erpSalesOrderId: 'SO-31337', version: 2 });
      expect(await outboxCount(created.body.id)).toBe(2);
      const bySalesOrder = await call<Page<CrmOpportunity>>('GET', '/opportunities?erp_sales_order_ids=SO-31337');
      expect(bySalesOrder.body.items.map((o) => o.id)).toEqual([created.body.id]);
    });

    test('refuses to link an opportunity to a second sales order (409)', async () => {
      const { status, body } = await call<ErrorBody>('PATCH', `/opportunities/${fixtureId(4, 3)}`, { erpSalesOrderId: 'SO-99999' });
      expect(status).toBe(409);
      expect(body.error.code).toBe('CONFLICT');
    });

    test('answers 404 for an unknown opportunity', async () => {
      const { status, body } = await call<ErrorBody>('PATCH', `/opportunities/${fixtureId(4, 999)}`, { stage: 'PROPOSAL' });
      expect(status).toBe(404);
      expect(body.error.code).toBe('NOT_FOUND');
    });
  });

  describe('validation', () => {
    const invalidOpportunities: [string, Record<string, unknown>][] = [
      ['lines[0].quantity', { lines: [{ sku: 'X', quantity: 0, unitPrice: '1.00' }] }],
      ['lines[0].quantity', { lines: [{ sku: 'X', quantity: 1.5, unitPrice: '1.00' }] }],
      ['lines[0].unitPrice', { lines: [{ sku: 'X', quantity: 1, unitPrice: '19.999' }] }],
      ['lines[0].unitPrice', { lines: [{ sku: 'X', quantity: 1, unitPrice: 19.99 }] }],
      ['lines', { lines: [] }],
      ['stage', { stage: 'WON' }],
      ['name', { name: '   ' }],
      ['accountId', { accountId: 'acme' }],
      ['currency', { currency: 'euro' }],
      ['expectedCloseDate', { expectedCloseDate: '2025-02-30' }],
      ['discount', { discount: '10' }],
    ];
    for (const [field, overrides] of invalidOpportunities) {
      test(`refuses a new opportunity naming the bad field ${field} (${JSON.stringify(overrides)})`, async () => {
        const { status, body } = await call<ErrorBody>('POST', '/opportunities', newOpportunity(overrides));
        expect(status).toBe(400);
        expect(body.error.code).toBe('BAD_USER_INPUT');
        expect(body.error.details?.field).toBe(field);
        expect(body.error.message).toContain(field);
      });
    }

    test('says which field is missing', async () => {
      const { status, body } = await call<ErrorBody>('POST', '/activities', { accountId: ACME, type: 'CALL' });
      expect(status).toBe(400);
      expect(body.error.message).toBe('invalid activity: subject is required');
    });

    test('refuses an unknown activity type and case priority', async () => {
      const activity = await call<ErrorBody>('POST', '/activities', { accountId: ACME, type: 'FAX', subject: 'x' });
      expect(activity.body.error.details?.field).toBe('type');
      const opened = await call<ErrorBody>('POST', '/cases', { accountId: ACME, subject: 'x', priority: 'SOON' });
      expect(opened.body.error.details?.field).toBe('priority');
    });

    test('answers 404 naming the field when a referenced account does not exist', async () => {
      const { status, body } = await call<ErrorBody>('POST', '/cases', { accountId: fixtureId(2, 404), subject: 'Broken pump', priority: 'LOW' });
      expect(status).toBe(404);
      expect(body.error.details?.field).toBe('accountId');
      const activity = await call<ErrorBody>('POST', '/activities', { accountId: fixtureId(2, 404), type: 'NOTE', subject: 'Called' });
      expect(activity.status).toBe(404);
      expect(activity.body.error.details?.field).toBe('accountId');
    });

    test('refuses a page parameter that is not a number', async () => {
      const { status, body } = await call<ErrorBody>('GET', '/accounts?first=ten');
      expect(status).toBe(400);
      expect(body.error.details?.field).toBe('first');
    });
  });

  describe('writes', () => {
    test('creates an account under a new UUID with version 1', async () => {
      const { status, body } = await call<CrmAccount>('POST', '/accounts', { name: '  Foxtrot Media  ', email: 'hello@foxtrot.example', country: 'FR' });
      expect(status).toBe(201);
      expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(body).toMatchObject({ name: 'Foxtrot Media', email: 'hello@foxtrot.example', country: 'FR', industry: null, erpCustomerNo: null, version: 1 });
      expect(body.createdAt).toBe(body.updatedAt);
    });

    test('replays the stored answer for a repeated Idempotency-Key and creates nothing twice', async () => {
      const key = { 'idempotency-key': 'create-golf-1' };
      const first = await call<CrmAccount>('POST', '/accounts', { name: 'Golf Energy' }, key);
      const eventsAfterFirst = await outboxCount();
      const again = await call<CrmAccount>('POST', '/accounts', { name: 'Golf Energy' }, key);
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(await outboxCount()).toBe(eventsAfterFirst);
      const found = await call<Page<CrmAccount>>('GET', '/accounts?search=golf energy');
      expect(found.body.totalCount).toBe(1);
    });

    test('refuses a country that is not an ISO code ("Germany") as the ERP would, naming the field and writing nothing', async () => {
      const eventsBefore = await outboxCount();
      const created = await call<ErrorBody>('POST', '/accounts', { name: 'Hotel Logistik', country: 'Germany' });
      expect(created.status).toBe(400);
      expect(created.body.error).toMatchObject({ code: 'BAD_USER_INPUT', details: { field: 'country' } });
      expect(created.body.error.message).toContain('country');
      const changed = await call<ErrorBody>('PATCH', `/accounts/${ACME}`, { country: 'Germany' });
      expect(changed.status).toBe(400);
      expect(changed.body.error.details?.field).toBe('country');
      expect((await call<Page<CrmAccount>>('GET', '/accounts?search=hotel logistik')).body.totalCount).toBe(0);
      expect((await call<Page<CrmAccount>>('GET', `/accounts?ids=${ACME}`)).body.items[0].country).not.toBe('Germany');
      expect(await outboxCount()).toBe(eventsBefore);
    });

    test('answers 409 when an Idempotency-Key is reused for a different request', async () => {
      const key = { 'idempotency-key': 'activity-key-1' };
      const logged = await call<CrmActivity>('POST', '/activities', { accountId: ACME, type: 'NOTE', subject: 'Asked for a quote' }, key);
      expect(logged.status).toBe(201);
      const { status, body } = await call<ErrorBody>('POST', '/activities', { accountId: ACME, type: 'NOTE', subject: 'Something else' }, key);
      expect(status).toBe(409);
      expect(body.error.code).toBe('CONFLICT');
    });

    test('links an account to an ERP customer and refuses a second account for the same number (409)', async () => {
      const linked = await call<CrmAccount>('PATCH', `/accounts/${COBALT}`, { erpCustomerNo: 'K-10003' });
      expect(linked.body).toMatchObject({ erpCustomerNo: 'K-10003', version: 2 });
      const { status, body } = await call<ErrorBody>('POST', '/accounts', { name: 'Cobalt Copy', erpCustomerNo: 'K-10003' });
      expect(status).toBe(409);
      expect(body.error.details?.field).toBe('erpCustomerNo');
    });

    test('changes nothing, and tells no one, when a patch repeats the current values', async () => {
      const eventsBefore = await outboxCount(BOREALIS);
      const { body } = await call<CrmAccount>('PATCH', `/accounts/${BOREALIS}`, { name: 'Borealis Foods', industry: 'Retail' });
      expect(body.version).toBe(1);
      expect(body.updatedAt).toBe('2024-01-02T09:00:00.000Z');
      expect(await outboxCount(BOREALIS)).toBe(eventsBefore);
    });

    test('logs an activity and opens a case, each recorded as a change event', async () => {
      const activity = await call<CrmActivity>('POST', '/activities', { accountId: BOREALIS, type: 'SYSTEM', subject: 'Order SO-20002 shipped', erpSalesOrderId: 'SO-20002' });
      expect(activity.body).toMatchObject({ accountId: BOREALIS, type: 'SYSTEM', erpSalesOrderId: 'SO-20002' });
      const latest = await call<Page<CrmActivity>>('GET', `/activities?account_ids=${BOREALIS}&last=1`);
      expect(latest.body.items.map((a) => a.subject)).toEqual(['Order SO-20002 shipped']);
      const opened = await call<CrmCase>('POST', '/cases', { accountId: BOREALIS, subject: 'Wrong pallet', priority: 'MEDIUM' });
      expect(opened.body).toMatchObject({ status: 'OPEN', priority: 'MEDIUM', erpSalesOrderId: null });
      const events = await db.query<{ entity: string; action: string }>('SELECT entity, action FROM outbox_events WHERE entity_id = ANY($1::text[]) ORDER BY seq', [
        [activity.body.id, opened.body.id],
      ]);
      expect(events.rows).toEqual([
        { entity: 'activity', action: 'created' },
        { entity: 'case', action: 'created' },
      ]);
    });
  });

  describe('seed', () => {
    test('writes no change events and does nothing when accounts exist', async () => {
      const opened = await openTestDatabase(kind, 'crm');
      const fresh = opened.db;
      try {
        await prepareCrmDatabase(fresh);
        expect(await seedCrm(fresh, crmFixture)).toBe(true);
        let built = 0;
        expect(await seedCrm(fresh, () => (built++, crmFixture()))).toBe(false);
        expect(built).toBe(0);
        const counts = await fresh.query<{ accounts: number; lines: number; events: number }>(
          `SELECT (SELECT count(*)::int FROM accounts) AS accounts, (SELECT count(*)::int FROM opportunity_lines) AS lines,
                  (SELECT count(*)::int FROM outbox_events) AS events`,
        );
        expect(counts.rows[0]).toEqual({ accounts: 5, lines: 18, events: 0 });
      } finally {
        await opened.dispose();
      }
    });
  });

  describe('demo seed', () => {
    test('loads the demo dataset identically every time, in seconds, with amounts equal to their lines', async () => {
      const digests: Record<string, string>[] = [];
      for (let run = 0; run < 2; run++) {
        const opened = await openTestDatabase(kind, 'crm');
        try {
          const data = buildDemoDataset().crm;
          await prepareCrmDatabase(opened.db);
          const started = Date.now();
          expect(await seedCrm(opened.db, () => buildDemoDataset().crm)).toBe(true);
          expect(Date.now() - started).toBeLessThan(10_000);
          digests.push(await tableDigests(opened.db));

          const stored = await findOpportunitiesByIds(opened.db, data.opportunities.map((o) => o.id));
          expect(stored).toHaveLength(data.opportunities.length);
          const expected = new Map(data.opportunities.map((o) => [o.id, formatAmount(sumAmounts(o.lines.map((l) => new Money(l.unitPrice).times(l.quantity))))]));
          expect(stored.filter((o) => o.amount !== expected.get(o.id))).toEqual([]);
        } finally {
          await opened.dispose();
        }
      }
      expect(digests[1]).toEqual(digests[0]);
    });
  });

  describe('change events', () => {
    test('delivers a signed event to a receiver that was down, once it is back', async () => {
      const received: { body: string; signature: string | undefined }[] = [];
      const receiver = createServer((req: IncomingMessage, res) => {
        let body = '';
        req.on('data', (chunk) => (body += chunk));
        req.on('end', () => {
          received.push({ body, signature: req.headers['x-signature'] as string | undefined });
          res.writeHead(204).end();
        });
      });
      const port = await listenOn(receiver, 0);
      await new Promise((resolve) => receiver.close(resolve));

      const opened = await openTestDatabase(kind, 'crm');
      const eventDb = opened.db;
      await prepareCrmDatabase(eventDb);
      await seedCrm(eventDb, crmFixture);
      const events = createCrmBackend({
        db: eventDb,
        internalSecret: INTERNAL_SECRET,
        webhookSecret: WEBHOOK_SECRET,
        webhookTargets: [`http://127.0.0.1:${port}/webhooks/crm`],
        outboxIntervalMs: 20,
      });
      try {
        const eventsUrl = `http://127.0.0.1:${await listen(events.app, 0)}`;
        const { body: account } = await call<CrmAccount>('POST', '/accounts', { name: 'Hotel Textiles' }, {}, eventsUrl);

        expect(await events.dispatcher.deliverDue()).toBe(0);
        const pending = await eventDb.query<{ attempts: number; last_error: string }>('SELECT attempts, last_error FROM outbox_events');
        expect(pending.rows[0].attempts).toBe(1);
        expect(pending.rows[0].last_error).toContain('ECONNREFUSED');

        await listenOn(receiver, port);
        events.dispatcher.start();
        await waitFor(() => received.length > 0, 5000);

        const [event] = JSON.parse(received[0].body).events;
        expect(event).toMatchObject({ source: 'crm', entity: 'account', entityId: account.id, version: 1, action: 'created' });
        expect(verifyWebhook(WEBHOOK_SECRET, received[0].body, received[0].signature)).toBe(true);
        expect(verifyWebhook('some-other-secret-0123456789', received[0].body, received[0].signature)).toBe(false);
      } finally {
        await events.close();
        await opened.dispose();
        await new Promise((resolve) => receiver.close(resolve));
      }
    });
  });
});

/** A fingerprint of every CRM table's full contents. */
async function tableDigests(db: Database): Promise<Record<string, string>> {
  const digests: Record<string, string> = {};
  for (const [table, order] of Object.entries({ users: 'id', accounts: 'id', contacts: 'id', opportunities: 'id', opportunity_lines: 'opportunity_id, line_no', activities: 'id', cases: 'id' })) {
    const row = await db.query<{ digest: string }>(`SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY ${order})), '') AS digest FROM ${table} t`);
    digests[table] = row.rows[0].digest;
  }
  return digests;
}

function listenOn(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
