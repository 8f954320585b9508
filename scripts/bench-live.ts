import { buildDemoDataset } from '../backends/demo-data/demo-dataset';
import { OrderFlowDriver } from '../subgraphs/integration/flows/order-to-cash/test-support/order-flow-driver';
import { type LiveCollector, signToken, sseSubscribe, wsSubscribe } from '../test-support/live-clients';
import { startTestStack } from '../test-support/stack';

/**
 * Live updates under load: opens N subscribers to `orderFlowUpdated` on one gateway (half
 * graphql-ws, half graphql-sse, each with its own token; roles admin, sales and operations in turn),
 * runs F order flows to COMPLETED through the API meanwhile, and prints the delivery latency from
 * the change in the integration's database (the event's occurredAt) to the client, p50/p99, and the
 * gateway's resident memory per subscriber. Bounded: it stops after --timeout-s whatever happened.
 * Starts its own embedded stack unless --gateway and --data-dir name a running one.
 *
 *   npm run bench:live -- --subscribers 1000 --flows 20 [--timeout-s 300] [--gateway URL --data-dir DIR]
 */
function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : fallback;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const SUBSCRIPTION = `subscription { orderFlowUpdated { id status steps { name status } salesOrder { id status total { amount currency } } } }`;
const ROLES = ['admin', 'sales', 'operations'] as const;

async function gatewayRss(graphqlUrl: string): Promise<number> {
  const text = await (await fetch(new URL('/metrics', graphqlUrl))).text();
  const match = /^process_resident_memory_bytes(?:\{[^}]*\})? (\S+)$/m.exec(text);
  return match ? Number(match[1]) : NaN;
}

async function main(): Promise<void> {
  const subscribers = Number(argument('subscribers', '1000'));
  const flows = Number(argument('flows', '20'));
  const timeoutMs = Number(argument('timeout-s', '300')) * 1000;
  const deadline = Date.now() + timeoutMs;
  const givenGateway = process.argv.includes('--gateway') ? argument('gateway', '') : null;
  console.log(`bench:live: ${subscribers} subscribers, ${flows} flows, at most ${timeoutMs / 1000} s${givenGateway ? ` on ${givenGateway}` : ' on a fresh embedded stack'}`);
  const stack = givenGateway
    ? null
    : await startTestStack('pglite', { env: { LIVE_MAX_SUBSCRIPTIONS: String(Math.max(10_000, subscribers + 10)), FLOW_POLL_MS: '1000' } });
  const graphqlUrl = givenGateway ?? stack!.graphqlUrl;
  const dataDir = givenGateway ? argument('data-dir', '.data') : stack!.dataDir;
  const collectors: LiveCollector[] = [];
  try {
    const admin = await signToken(dataDir, { role: 'admin', sub: 'bench-live-admin' });
    const gql = async (query: string, variables?: Record<string, unknown>) => {
      const response = await fetch(graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` }, body: JSON.stringify({ query, variables }) });
      return (await response.json()) as { data?: any; errors?: { message: string }[] };
    };
    const customer = await gql(`mutation { createCustomer(input: { name: "Live Bench GmbH", country: "DE", creditLimit: "900000000.00", paymentTerms: "NET30" }) { id } }`);
    if (customer.errors) throw new Error(customer.errors.map((e) => e.message).join('; '));
    const customerId = customer.data.createCustomer.id as string;
    const dataset = buildDemoDataset();
    const stockOf = (sku: string) => dataset.erp.stock.filter((s) => s.sku === sku).reduce((sum, s) => sum + s.onHand, 0);
    const product = dataset.erp.products.find((p) => !p.manufactured && stockOf(p.sku) >= 300)!;

    const rssBefore = await gatewayRss(graphqlUrl);
    const opening = Date.now();
    for (let i = 0; i < subscribers; i++) {
      const token = await signToken(dataDir, { role: ROLES[i % ROLES.length], sub: `bench-live-${i}` });
      collectors.push(i % 2 === 0 ? wsSubscribe(graphqlUrl, token, SUBSCRIPTION) : sseSubscribe(graphqlUrl, token, SUBSCRIPTION));
      if (i % 100 === 99) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // Let every stream open before anything happens.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const rssOpen = await gatewayRss(graphqlUrl);
    console.log(`opened ${subscribers} subscriptions in ${((Date.now() - opening) / 1000).toFixed(1)} s; gateway RSS ${(rssBefore / 2 ** 20).toFixed(0)} → ${(rssOpen / 2 ** 20).toFixed(0)} MiB`);

    const driver = new OrderFlowDriver((query, variables) => gql(query, variables), { timeoutMs: Math.max(10_000, deadline - Date.now()) });
    const started = Date.now();
    const placed = await Promise.all(Array.from({ length: flows }, (_, i) => driver.placeOrder(customerId, [{ sku: product.sku, quantity: 1 }], `bench-live-${started}-${i}`)));
    const ended = await Promise.all(placed.map((flow) => driver.driveToEnd(flow.id).catch((error: Error) => ({ id: flow.id, status: `not done: ${error.message}` }))));
    const flowIds = new Set(placed.map((f) => f.id));
    const done = ended.filter((f) => f.status === 'COMPLETED').length;
    // Wait until every subscriber saw every flow complete, or the deadline.
    const everyoneDone = (c: LiveCollector) => new Set(c.results.filter((r) => r.data?.orderFlowUpdated?.status === 'COMPLETED' && flowIds.has(r.data.orderFlowUpdated.id)).map((r) => r.data.orderFlowUpdated.id)).size >= done;
    while (Date.now() < deadline && !collectors.every(everyoneDone)) await new Promise((resolve) => setTimeout(resolve, 500));
    const rssEnd = await gatewayRss(graphqlUrl);

    const latencies: number[] = [];
    let messages = 0;
    let errors = 0;
    for (const c of collectors) {
      for (const r of c.results) {
        if (r.errors?.length) errors++;
        if (!r.occurredAt || !flowIds.has(r.data?.orderFlowUpdated?.id)) continue;
        messages++;
        latencies.push(r.receivedAt - new Date(r.occurredAt).getTime());
      }
    }
    latencies.sort((a, b) => a - b);
    const complete = collectors.filter(everyoneDone).length;
    const summary = {
      subscribers,
      flows,
      flowsCompleted: done,
      flowSeconds: Number(((Date.now() - started) / 1000).toFixed(1)),
      messages,
      messagesWithErrors: errors,
      subscribersThatSawEveryFlowComplete: complete,
      latencyMs: { p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99), max: latencies[latencies.length - 1] },
      gatewayRssMiB: { before: Math.round(rssBefore / 2 ** 20), subscribed: Math.round(rssOpen / 2 ** 20), end: Math.round(rssEnd / 2 ** 20) },
      memoryPerSubscriberKiB: Number(((rssOpen - rssBefore) / subscribers / 1024).toFixed(1)),
    };
    console.log(JSON.stringify(summary, null, 2));
  } finally {
    for (const c of collectors) c.dispose();
    await stack?.dispose();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('bench:live failed:', error);
    process.exit(1);
  },
);
