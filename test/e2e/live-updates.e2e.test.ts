import { type IncomingHttpHeaders, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { buildDemoDataset } from '../../backends/demo-data/demo-dataset';
import { OrderFlowDriver } from '../../subgraphs/integration/flows/order-to-cash/test-support/order-flow-driver';
import { type LiveCollector, type LiveResult, signToken, sseSubscribe, startSecondGateway, wsSubscribe } from '../../test-support/live-clients';
import { describeOn } from '../../test-support/services';
import { type StackKind, STACK_NEEDS, type TestStack, startTestStack } from '../../test-support/stack';

const dataset = buildDemoDataset();
const stockOf = (sku: string) => dataset.erp.stock.filter((s) => s.sku === sku).reduce((sum, s) => sum + s.onHand, 0);
const BOUGHT = dataset.erp.products.find((p) => !p.manufactured && stockOf(p.sku) >= 300)!;

Object.assign(process.env, { FLOW_POLL_MS: '1000', FLOW_RETRY_BASE_MS: '200' });

const FLOW_UPDATES = `subscription ($id: ID) { orderFlowUpdated(id: $id) {
  id status steps { name status }
  salesOrder { id status total { amount currency } customer { id name openBalance { amount } } } } }`;
const ORDER_UPDATES = `subscription { salesOrderUpdated { id status customer { id } shipments { status } invoices { number status } } }`;

// The events of one flow in what a client received, in order.
const ofFlow = (results: LiveResult[], flowId: string) => results.filter((r) => r.data?.orderFlowUpdated?.id === flowId);
const completed = (flowId: string) => (results: LiveResult[]) => ofFlow(results, flowId).some((r) => r.data.orderFlowUpdated.status === 'COMPLETED');
const ids = (results: LiveResult[]) => results.map((r) => r.eventId);

describeOn<StackKind>(['pglite', 'postgres'], 'live updates through the gateway on %s', (kind) => {
  let stack: TestStack;
  let driver: OrderFlowDriver;
  let customerId: string;
  let otherCustomerId: string;
  let admin: string;
  let keyNo = 0;
  const open: LiveCollector[] = [];
  const key = () => `live-${kind}-${Date.now()}-${++keyNo}`;
  const track = (collector: LiveCollector) => {
    open.push(collector);
    return collector;
  };

  beforeAll(async () => {
    // A busy machine seeds the embedded stack slowly; the wait is generous so the suite fails on behaviour, not load.
    stack = await startTestStack(kind, { env: { LIVE_MAX_SUBSCRIPTIONS_PER_TOKEN: '6' }, readyTimeoutMs: 480_000 });
    driver = new OrderFlowDriver((query, variables, options) => stack.gql(query, variables, options), { timeoutMs: 120_000 });
    const create = async (name: string) => {
      const created = await stack.gql(`mutation ($name: String!) { createCustomer(input: { name: $name, country: "DE", creditLimit: "90000000.00", paymentTerms: "NET30" }) { id } }`, { name });
      expect(created.errors).toBeUndefined();
      return created.data.createCustomer.id as string;
    };
    customerId = await create('Live Works GmbH');
    otherCustomerId = await create('Other Works AG');
    admin = await signToken(stack.dataDir, { role: 'admin', sub: 'live-admin' });
  }, 600_000);

  afterEach(() => {
    for (const collector of open.splice(0)) collector.dispose();
  });

  afterAll(async () => {
    await stack?.dispose();
  }, 60_000);

  const place = async (customer = customerId) => (await driver.placeOrder(customer, [{ sku: BOUGHT.sku, quantity: 1 }], key())).id;

  it('shows a placed order reaching COMPLETED over graphql-sse and graphql-ws, the same events in the same order, each read through the supergraph', async () => {
    const sse = track(sseSubscribe(stack.graphqlUrl, admin, FLOW_UPDATES));
    const ws = track(wsSubscribe(stack.graphqlUrl, admin, FLOW_UPDATES));
    // Both streams are open once the gateway answers a request after them; give the WebSocket its handshake.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const flowId = await place();
    await driver.driveToEnd(flowId);
    await Promise.all([sse.until(completed(flowId)), ws.until(completed(flowId))]);
    // The last step's own event may trail the COMPLETED one on either stream: compare once both hold the same number.
    const settledCount = (results: LiveResult[]) => ofFlow(results, flowId).length;
    await Promise.all([sse.until((r) => settledCount(r) >= settledCount(ws.results)), ws.until((r) => settledCount(r) >= settledCount(sse.results))]);

    const overSse = ofFlow(sse.results, flowId);
    const overWs = ofFlow(ws.results, flowId);
    expect(ids(overSse)).toEqual(ids(overWs));
    const numeric = overSse.map((r) => BigInt(r.eventId!));
    expect(numeric).toEqual([...numeric].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(new Set(numeric).size).toBe(numeric.length);
    // Every step change is an event: at least one per step, and the last says COMPLETED.
    expect(overSse.length).toBeGreaterThanOrEqual(10);
    const last = overSse[overSse.length - 1].data.orderFlowUpdated;
    expect(last.status).toBe('COMPLETED');
    expect(last.steps.every((s: { status: string }) => s.status === 'DONE' || s.status === 'SKIPPED')).toBe(true);
    // Fields of the ERP (order, total, balance) and the integration in one payload.
    expect(last.salesOrder.status).toBe('PAID');
    expect(last.salesOrder.customer).toMatchObject({ id: customerId, name: 'Live Works GmbH' });
    expect(last.salesOrder.total.amount).toMatch(/^\d+\.\d{2}$/);
    expect(overSse.every((r) => r.errors === undefined)).toBe(true);
  }, 240_000);

  it('misses nothing across a reconnect with the last event id (Last-Event-ID over SSE, lastEventId over WebSocket)', async () => {
    const witness = track(sseSubscribe(stack.graphqlUrl, admin, FLOW_UPDATES));
    const firstSse = track(sseSubscribe(stack.graphqlUrl, admin, FLOW_UPDATES));
    const firstWs = track(wsSubscribe(stack.graphqlUrl, admin, FLOW_UPDATES));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const flowId = await place();
    // Both see the flow start, then drop; the flow moves on while nobody listens.
    await Promise.all([firstSse.until((r) => ofFlow(r, flowId).length >= 1), firstWs.until((r) => ofFlow(r, flowId).length >= 1)]);
    firstSse.dispose();
    firstWs.dispose();
    const seenSse = ofFlow(firstSse.results, flowId);
    const seenWs = ofFlow(firstWs.results, flowId);
    await driver.driveToEnd(flowId);
    await witness.until(completed(flowId));
    const resumedSse = track(sseSubscribe(stack.graphqlUrl, admin, FLOW_UPDATES, { id: flowId }, seenSse[seenSse.length - 1].eventId!));
    const resumedWs = track(wsSubscribe(stack.graphqlUrl, admin, FLOW_UPDATES, { id: flowId }, seenWs[seenWs.length - 1].eventId!));
    // A replayed event is read now, so each already says COMPLETED: wait for the last event id instead.
    const all = ids(ofFlow(witness.results, flowId));
    const reachedLast = (results: LiveResult[]) => ofFlow(results, flowId).some((r) => r.eventId === all[all.length - 1]);
    await Promise.all([resumedSse.until(reachedLast), resumedWs.until(reachedLast)]);

    // The witness may have heard more of the flow since (the completed flow's last step events): compare what both saw.
    const witnessed = ids(ofFlow(witness.results, flowId));
    for (const [seen, resumed] of [[seenSse, resumedSse], [seenWs, resumedWs]] as const) {
      const received = [...ids(seen), ...ids(ofFlow(resumed.results, flowId))];
      expect(received.length).toBeGreaterThanOrEqual(all.length);
      expect(received).toEqual(witnessed.slice(0, received.length));
    }
  }, 240_000);

  it("gives a partner only its own customer's events, with the partner's field rules", async () => {
    const partner = await signToken(stack.dataDir, { role: 'partner', sub: 'live-partner', customerId });
    const partnerFlows = track(wsSubscribe(stack.graphqlUrl, partner, `subscription { orderFlowUpdated { id status customer { id } } }`));
    const partnerOrders = track(sseSubscribe(stack.graphqlUrl, partner, `subscription { salesOrderUpdated { id status customer { id creditLimit { amount } } invoices { number } } }`));
    const adminOrders = track(sseSubscribe(stack.graphqlUrl, admin, ORDER_UPDATES));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const [mine, theirs] = await Promise.all([place(customerId), place(otherCustomerId)]);
    const [mineDone, theirsDone] = await Promise.all([driver.driveToEnd(mine), driver.driveToEnd(theirs)]);
    await adminOrders.until((r) => r.some((x) => x.data?.salesOrderUpdated?.id === theirsDone.salesOrder!.id && x.data.salesOrderUpdated.status === 'PAID'));
    await partnerFlows.until(completed(mine));
    await partnerOrders.until((r) => r.some((x) => x.data?.salesOrderUpdated?.status === 'PAID'));

    expect(partnerFlows.results.length).toBeGreaterThan(0);
    expect(partnerFlows.results.every((r) => r.data.orderFlowUpdated.customer.id === customerId)).toBe(true);
    expect(partnerFlows.results.some((r) => r.data.orderFlowUpdated.id === theirs)).toBe(false);
    expect(partnerOrders.results.every((r) => r.data.salesOrderUpdated.id === mineDone.salesOrder!.id)).toBe(true);
    // Invoices are the partner's to read; the credit limit is not (FORBIDDEN at its path, the rest stands).
    const paid = partnerOrders.results.find((r) => r.data.salesOrderUpdated.status === 'PAID')!;
    expect(paid.data.salesOrderUpdated.invoices).toHaveLength(1);
    expect(paid.data.salesOrderUpdated.customer.creditLimit).toBeNull();
    expect(paid.errors).toEqual([expect.objectContaining({ path: ['salesOrderUpdated', 'customer', 'creditLimit'], extensions: { code: 'FORBIDDEN' } })]);
    // The admin saw the other customer's order too.
    expect(adminOrders.results.some((r) => r.data.salesOrderUpdated.customer.id === otherCustomerId)).toBe(true);
  }, 240_000);

  it('delivers every event once to subscribers on either of two gateway instances', async () => {
    const second = await startSecondGateway(stack, kind === 'postgres' ? { REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' } : {});
    try {
      const onFirst = track(sseSubscribe(stack.graphqlUrl, admin, FLOW_UPDATES));
      const onSecond = track(wsSubscribe(second.graphqlUrl, admin, FLOW_UPDATES));
      const onSecondSse = track(sseSubscribe(second.graphqlUrl, admin, FLOW_UPDATES));
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const flowId = await place();
      await driver.driveToEnd(flowId);
      const collectors = [onFirst, onSecond, onSecondSse];
      await Promise.all(collectors.map((c) => c.until(completed(flowId))));
      // The flow's last event any subscriber has seen; each stream may still be a step behind the
      // others, so every one is awaited up to it before the streams are compared.
      const lastOf = (results: LiveResult[]) => ofFlow(results, flowId).reduce((max, r) => (BigInt(r.eventId!) > max ? BigInt(r.eventId!) : max), 0n);
      const last = collectors.map((c) => lastOf(c.results)).reduce((a, b) => (a > b ? a : b));
      await Promise.all(collectors.map((c) => c.until((results) => results.some((r) => r.eventId !== null && BigInt(r.eventId) >= last))));
      // Every event from the flow's first to its last, whatever each gateway's answer was (a busy
      // backend may answer one gateway's query with an error and not the other's).
      const firstId = BigInt(ofFlow(onFirst.results, flowId)[0].eventId!);
      const span = (results: LiveResult[]) => ids(results.filter((r) => r.eventId && BigInt(r.eventId) >= firstId && BigInt(r.eventId) <= last));
      const first = span(onFirst.results);
      expect(new Set(first).size).toBe(first.length);
      expect(span(onSecond.results)).toEqual(first);
      expect(span(onSecondSse.results)).toEqual(first);
    } finally {
      await second.stop();
    }
  }, 240_000);

  it("signs order.shipped and invoice.issued for a partner's own customer only, retried while its endpoint is down", async () => {
    // The partner's endpoint: down (503) for its first two calls, then verifying every delivery with the reference library.
    const received: { headers: IncomingHttpHeaders; body: string }[] = [];
    let calls = 0;
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        calls++;
        if (calls <= 2) return res.writeHead(503).end();
        received.push({ headers: req.headers, body });
        return res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/erp-events`;
      const created = await stack.gql(`mutation ($url: String!) { createWebhookSubscription(url: $url, events: [ORDER_SHIPPED, INVOICE_ISSUED]) { secret subscription { id status } } }`, { url }, { role: 'partner', sub: 'webhook-partner', customerId });
      expect(created.errors).toBeUndefined();
      const { secret } = created.data.createWebhookSubscription;

      const [mine, theirs] = await Promise.all([place(customerId), place(otherCustomerId)]);
      const [mineDone] = await Promise.all([driver.driveToEnd(mine), driver.driveToEnd(theirs)]);
      // The first retry comes 5 s after a failed attempt; two failures, then both deliveries.
      const deadline = Date.now() + 90_000;
      while (received.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 500));
      const verifier = new Webhook(secret);
      const events = received.map((r) => verifier.verify(r.body, { 'webhook-id': String(r.headers['webhook-id']), 'webhook-timestamp': String(r.headers['webhook-timestamp']), 'webhook-signature': String(r.headers['webhook-signature']) }) as { type: string; data: { salesOrder: { id: string; customer: { id: string } } } });
      expect(events.map((e) => e.type).sort()).toEqual(['invoice.issued', 'order.shipped']);
      for (const event of events) expect(event.data.salesOrder).toMatchObject({ id: mineDone.salesOrder!.id, customer: { id: customerId } });
      expect(calls).toBe(4);

      const log = await stack.gql(`{ webhookDeliveries(first: 10) { nodes { eventType status attempts lastResponseCode } } }`, {}, { role: 'partner', sub: 'webhook-partner', customerId });
      expect(log.errors).toBeUndefined();
      const delivered = log.data.webhookDeliveries.nodes.filter((d: { status: string }) => d.status === 'DELIVERED');
      expect(delivered).toHaveLength(2);
      expect(delivered.reduce((sum: number, d: { attempts: number }) => sum + d.attempts, 0)).toBe(4);
      expect(delivered.every((d: { lastResponseCode: number }) => d.lastResponseCode === 204)).toBe(true);
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  }, 240_000);

  it('refuses what a role may not subscribe to, floods beyond the per-token limit, and ends a stream when its token expires', async () => {
    const sales = await signToken(stack.dataDir, { role: 'sales', sub: 'live-sales' });
    const refused = track(sseSubscribe(stack.graphqlUrl, sales, `subscription { dataQualityIssueRaised { id kind } }`));
    expect(await refused.ended).toBeUndefined();
    expect(refused.results[0].errors?.[0].extensions?.code).toBe('FORBIDDEN');

    const flood = await signToken(stack.dataDir, { role: 'operations', sub: 'live-flood' });
    const streams = Array.from({ length: 7 }, () => track(wsSubscribe(stack.graphqlUrl, flood, FLOW_UPDATES)));
    const outcomes = await Promise.all(streams.map((s) => Promise.race([s.ended, new Promise((resolve) => setTimeout(() => resolve('open'), 3000))])));
    expect(outcomes.filter((o) => o === 'open')).toHaveLength(6);
    const refusedFlood = outcomes.find((o) => o !== 'open') as { extensions?: { code?: string } }[];
    expect(refusedFlood[0].extensions?.code).toBe('RATE_LIMITED');

    const shortLived = await signToken(stack.dataDir, { role: 'admin', sub: 'live-short', expiresIn: Math.floor(Date.now() / 1000) + 3 });
    const expiring = track(sseSubscribe(stack.graphqlUrl, shortLived, FLOW_UPDATES));
    await expiring.ended;
    const final = expiring.results[expiring.results.length - 1];
    expect(final.errors?.[0]).toMatchObject({ message: expect.stringContaining('token expired'), extensions: { code: 'UNAUTHENTICATED' } });
  }, 120_000);
}, STACK_NEEDS);
