import { buildDemoDataset } from '../backends/demo-data/demo-dataset';
import { OrderFlowDriver } from '../subgraphs/integration/flows/order-to-cash/test-support/order-flow-driver';
import { type LiveCollector, signToken, sseSubscribe, wsSubscribe } from '../test-support/live-clients';
import { startTestStack } from '../test-support/stack';

/**
 * Live updates under load: opens N subscribers to `orderFlowUpdated` on one gateway (half
 * graphql-ws, half graphql-sse, each with its own token; roles admin, sales and operations in turn),
 * runs F order flows to COMPLETED through the API meanwhile, and prints the delivery latency from
 * the change in the integration's database (the event's occurredAt) to the client, p50/p99, and the
 * gateway's used heap per subscriber (the lowest of a few seconds of samples, so garbage is left
 * out) beside its resident memory. Bounded: it stops after --timeout-s whatever happened.
 * Starts its own embedded stack unless --gateway and --data-dir name a running one.
 *
 * `--postgres` runs it on the machine's PostgreSQL and Redis (the stack's production setup) instead.
 *
 *   npm run bench:live -- --subscribers 1000 --flows 20 [--timeout-s 300] [--postgres] [--gateway URL --data-dir DIR]
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

/** The gateway's resident memory and its used heap, from its /metrics. */
async function gatewayMemory(graphqlUrl: string): Promise<{ rss: number; heapUsed: number }> {
  const text = await (await fetch(new URL('/metrics', graphqlUrl))).text();
  const gauge = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: gauge('process_resident_memory_bytes'), heapUsed: gauge('nodejs_heap_size_used_bytes') };
}

/**
 * The gateway's live heap, as near as /metrics tells it: the lowest used heap over a few seconds of
 * samples (each collection drops the garbage; RSS alone hides it, and falls when the heap shrinks).
 */
async function gatewayLiveHeap(graphqlUrl: string, samples = 15): Promise<{ rss: number; heapUsed: number }> {
  let lowest = { rss: NaN, heapUsed: Infinity };
  for (let i = 0; i < samples; i++) {
    const now = await gatewayMemory(graphqlUrl);
    if (now.heapUsed < lowest.heapUsed) lowest = now;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return lowest;
}

async function main(): Promise<void> {
  const subscribers = Number(argument('subscribers', '1000'));
  const flows = Number(argument('flows', '20'));
  const timeoutMs = Number(argument('timeout-s', '300')) * 1000;
  const deadline = Date.now() + timeoutMs;
  const givenGateway = process.argv.includes('--gateway') ? argument('gateway', '') : null;
  // The embedded default (PGlite, events long-polled) or the machine's PostgreSQL and Redis (events by pub/sub).
  const kind = process.argv.includes('--postgres') ? 'postgres' : 'pglite';
  console.log(`bench:live: ${subscribers} subscribers, ${flows} flows, at most ${timeoutMs / 1000} s${givenGateway ? ` on ${givenGateway}` : ` on a fresh ${kind === 'postgres' ? 'PostgreSQL + Redis' : 'embedded (PGlite)'} stack`}`);
  const stack = givenGateway
    ? null
    : await startTestStack(kind, { env: { LIVE_MAX_SUBSCRIPTIONS: String(Math.max(10_000, subscribers + 10)), FLOW_POLL_MS: '1000' } });
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

    const before = await gatewayLiveHeap(graphqlUrl);
    const opening = Date.now();
    for (let i = 0; i < subscribers; i++) {
      const token = await signToken(dataDir, { role: ROLES[i % ROLES.length], sub: `bench-live-${i}` });
      collectors.push(i % 2 === 0 ? wsSubscribe(graphqlUrl, token, SUBSCRIPTION) : sseSubscribe(graphqlUrl, token, SUBSCRIPTION));
      if (i % 100 === 99) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // Let every stream open before anything happens.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const open = await gatewayLiveHeap(graphqlUrl);
    const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
    console.log(`opened ${subscribers} subscriptions in ${((Date.now() - opening) / 1000).toFixed(1)} s; gateway heap ${mib(before.heapUsed)} → ${mib(open.heapUsed)} MiB, RSS ${mib(before.rss)} → ${mib(open.rss)} MiB`);

    const driver = new OrderFlowDriver((query, variables) => gql(query, variables), { timeoutMs: Math.max(10_000, deadline - Date.now()) });
    const started = Date.now();
    const placed = await Promise.all(Array.from({ length: flows }, (_, i) => driver.placeOrder(customerId, [{ sku: product.sku, quantity: 1 }], `bench-live-${started}-${i}`)));
    const ended = await Promise.all(placed.map((flow) => driver.driveToEnd(flow.id).catch((error: Error) => ({ id: flow.id, status: `not done: ${error.message}` }))));
    const flowIds = new Set(placed.map((f) => f.id));
    const done = ended.filter((f) => f.status === 'COMPLETED').length;
    // Wait until every subscriber saw every flow complete, or the deadline.
    const everyoneDone = (c: LiveCollector) => new Set(c.results.filter((r) => r.data?.orderFlowUpdated?.status === 'COMPLETED' && flowIds.has(r.data.orderFlowUpdated.id)).map((r) => r.data.orderFlowUpdated.id)).size >= done;
    while (Date.now() < deadline && !collectors.every(everyoneDone)) await new Promise((resolve) => setTimeout(resolve, 500));
    const end = await gatewayMemory(graphqlUrl);
    const metrics = await (await fetch(new URL('/metrics', graphqlUrl))).text();
    const subgraphFetches = Object.fromEntries(
      [...metrics.matchAll(/^subgraph_fetches_total\{([^}]*)\} (\S+)$/gm)].map(([, labels, value]) => [labels.replace(/"/g, ''), Number(value)]),
    );

    const latencies: number[] = [];
    let messages = 0;
    let errors = 0;
    const errorKinds = new Map<string, number>();
    for (const c of collectors) {
      for (const r of c.results) {
        if (r.errors?.length) errors++;
        for (const e of r.errors ?? []) {
          const kind = `${String(e.extensions?.code ?? 'NO_CODE')}: ${e.message}`;
          errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
        }
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
      errorsByKind: Object.fromEntries([...errorKinds].sort((a, b) => b[1] - a[1]).slice(0, 10)),
      subscribersThatSawEveryFlowComplete: complete,
      // Every subgraph fetch of the gateway in the run: the live executions' and the driver's.
      subgraphFetches,
      latencyMs: { p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99), max: latencies[latencies.length - 1] },
      gatewayRssMiB: { before: Math.round(before.rss / 2 ** 20), subscribed: Math.round(open.rss / 2 ** 20), end: Math.round(end.rss / 2 ** 20) },
      gatewayHeapUsedMiB: { before: Math.round(before.heapUsed / 2 ** 20), subscribed: Math.round(open.heapUsed / 2 ** 20), end: Math.round(end.heapUsed / 2 ** 20) },
      // The growth of the lowest used heap (garbage collected), per subscriber.
      heapPerSubscriberKiB: Number(((open.heapUsed - before.heapUsed) / subscribers / 1024).toFixed(1)),
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
