import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import pg from 'pg';
import { buildDemoDataset } from '../backends/demo-data/demo-dataset';
import { HttpErpConnector } from '../connectors/erp/http-erp.connector';
import type { ErpInvoice, ErpSalesOrder } from '../connectors/erp/erp.connector';
import { loadOrCreateLocalSecrets } from '../platform/secrets';
import { serviceTokenSigner } from '../platform/service-auth';
import { OrderFlowDepartments } from '../subgraphs/integration/flows/order-to-cash/test-support/order-flow-departments';
import { type GatewayCall, OrderFlowDriver, completedFlows } from '../subgraphs/integration/flows/order-to-cash/test-support/order-flow-driver';
import { freePorts } from '../platform/free-ports';
import { type TestStack, startTestStack } from '../test-support/stack';
import { BALANCER_STATUS_PATH, type TargetStatus } from '../balancer/load-balancer';
import { SERVICES, type ServiceName } from './services';

/** The services run as several instances behind a load balancer; the backends stay single. */
export const SCALED_SERVICES = ['gateway', 'erp-subgraph', 'crm-subgraph', 'integration'] as const satisfies readonly ServiceName[];

/** Flow job workers of all integration instances together (the default of one process on PostgreSQL). */
const FLOW_WORKERS_IN_ALL = 24;

/** One phase of the scale-out run. */
export interface ScalePhaseOptions {
  /** A name for logs and database names, e.g. "a". */
  phase: string;
  /** Instances of each scaled service (the gateway, each subgraph, the integration workers). */
  instances: number;
  /** Order flows to drive to COMPLETED. */
  flows: number;
  /** SIGKILL one gateway and one integration instance once half the orders are placed. */
  kill: boolean;
  /** PostgreSQL server URL; a fresh `scale_` database is made on it. */
  postgresUrl: string;
  /** Redis server URL; every key goes under a fresh `scale:` prefix. */
  redisUrl: string;
  /** First of 50 ports the phase may use (services at +0…+5, instances from +10); default free ports. */
  portBase?: number;
  /** Orders being placed at once; default 50. */
  concurrency?: number;
  /** Customer 360 readers running beside the flows; default 4. */
  readers?: number;
  /** The whole phase (start to last flow) must end within this; default 600 s. */
  timeoutMs?: number;
  /** Keep the database and the Redis keys for a look afterwards. */
  keep?: boolean;
  /** Append every service's output to this file. */
  logFile?: string;
  log?: (line: string) => void;
}

/** One request that did not get a full answer. */
export interface FailedRequest {
  /** What the driver was doing: place, read, department, watch. */
  purpose: string;
  /** HTTP status and error code, e.g. "502 UPSTREAM_UNAVAILABLE". */
  error: string;
  /** The first error's message and path, e.g. "customer.orders: erp is unavailable (timeout)". */
  detail: string;
  /**
   * Whether a live service was too busy to answer in time (the gateway's subgraph timeout, a
   * backend call's timeout), as opposed to a connection lost with a killed instance.
   */
  timedOut: boolean;
  startedAt: number;
  endedAt: number;
}

/** What one phase measured. */
export interface ScalePhaseResult {
  phase: string;
  instances: number;
  flows: number;
  /** COMPLETED flows started in this phase. */
  completed: number;
  /** Flows of this phase that ended FAILED or COMPENSATED. */
  notCompleted: number;
  /** Completed flows sharing a sales order with another (must be 0). */
  flowsSharingAnOrder: number;
  /** What the ERP backend itself holds for the phase's customer. */
  erp: {
    salesOrders: number;
    /** ERP sales orders no completed flow names, or named by two flows (must be 0). */
    salesOrdersNotOnceInFlows: number;
    invoices: number;
    /** Sales orders with more than one invoice (must be 0). */
    salesOrdersInvoicedTwice: number;
    /** Completed flows whose sales order has no invoice in the ERP (must be 0). */
    flowsWithoutInvoice: number;
  };
  /** Wall time from the first order placed to the last flow ended, seconds. */
  seconds: number;
  flowsPerSecond: number;
  /** Median time from placed to COMPLETED, seconds. */
  medianFlowSeconds: number;
  reads: number;
  readsPerSecond: number;
  medianReadMs: number;
  /** Every request that failed, the driver's retries included. */
  failedRequests: FailedRequest[];
  /** Requests each instance answered, per scaled service, as its load balancer counted them. */
  answeredPerInstance: Record<string, number[]>;
  /** What the instances kept in Redis under the phase's prefix: rate-limit windows and entity-cache records. */
  sharedInRedis: { rateLimitWindows: number; entityCacheRecords: number };
  /** When the kill happened and when both killed instances were ready again (epoch ms). */
  kill?: { at: number; recoveredAt: number; gatewayPid?: number; integrationPid?: number };
}

/**
 * How long after a SIGKILL requests may still be sent to the dead instance: until its balancer's
 * next health check (every 500 ms) or first refused connection, a request can go out on a kept-alive
 * connection to it, which the dead process's kernel resets. Two health-check intervals.
 */
export const KILL_NOTICE_MS = 1000;

/**
 * Whether a failed request was lost with the killed instances: under way at the kill, or sent in
 * the moment before the balancers noticed (KILL_NOTICE_MS).
 */
export function inFlightAtKill(request: FailedRequest, kill: ScalePhaseResult['kill']): boolean {
  return kill !== undefined && request.startedAt <= kill.at + KILL_NOTICE_MS && request.endedAt >= kill.at;
}

/**
 * The failures neither the kill nor a busy machine explains: a request lost outside the moment of
 * the kill means a balancer sent it to a dead instance, or a live one dropped it. Timeouts are
 * counted apart: on a small machine running fourteen processes, a live service may answer past its
 * caller's timeout, which the caller gets as a coded UPSTREAM_UNAVAILABLE and retries.
 */
export function unexplainedFailures(result: ScalePhaseResult): FailedRequest[] {
  return result.failedRequests.filter((request) => !request.timedOut && !inFlightAtKill(request, result.kill));
}

/**
 * The timeouts of the gateway ("did not answer within 5000 ms"), of the connectors ("erp is
 * unavailable (timeout)"), of undici's own headers and body timeouts (UND_ERR_*_TIMEOUT, for a
 * client that sets them) and of the driver's own fetch.
 */
const TIMEOUT_MESSAGE = /did not answer within|\b(timeout|UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT|TimeoutError)\b/;

/** The exactly-once verdict of one phase: empty when every check holds. */
export function exactlyOnceProblems(result: ScalePhaseResult): string[] {
  const problems: string[] = [];
  if (result.completed !== result.flows) problems.push(`${result.completed} of ${result.flows} flows COMPLETED`);
  if (result.notCompleted > 0) problems.push(`${result.notCompleted} flows FAILED or COMPENSATED`);
  if (result.flowsSharingAnOrder > 0) problems.push(`${result.flowsSharingAnOrder} flows share a sales order`);
  if (result.erp.salesOrders !== result.flows) problems.push(`the ERP holds ${result.erp.salesOrders} sales orders for ${result.flows} flows`);
  if (result.erp.salesOrdersNotOnceInFlows > 0) problems.push(`${result.erp.salesOrdersNotOnceInFlows} ERP sales orders are not exactly one completed flow's`);
  if (result.erp.invoices !== result.flows) problems.push(`the ERP holds ${result.erp.invoices} invoices for ${result.flows} flows`);
  if (result.erp.salesOrdersInvoicedTwice > 0) problems.push(`${result.erp.salesOrdersInvoicedTwice} sales orders invoiced twice`);
  if (result.erp.flowsWithoutInvoice > 0) problems.push(`${result.erp.flowsWithoutInvoice} completed flows without an invoice in the ERP`);
  return problems;
}

const CUSTOMER_360 = /* GraphQL */ `
  query Customer360($id: ID!) {
    customer(id: $id) {
      id crmAccountId erpCustomerNo name
      contacts { id name email }
      opportunities { id name stage amount { amount currency } }
      activities(last: 5) { id type subject occurredAt }
      cases { id status priority }
      creditLimit { amount currency }
      openBalance { amount currency }
      orders(first: 10) { id number status total { amount currency } lines { quantity product { sku name available } } }
      invoices { id number status amountDue { amount } dueDate }
    }
  }
`;

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Ports of a phase: from `base`, each service on base + its index and instance i of the n-th service
 * on base + 10 + 4n + i; without a base, free ports.
 */
async function portsOf(base: number | undefined, instances: number): Promise<{ ports: Record<ServiceName, number>; instancePort: (name: ServiceName, i: number) => number }> {
  const index = (name: ServiceName) => SERVICES.findIndex((s) => s.name === name);
  if (base !== undefined) {
    if (instances > 4) throw new Error('a port base leaves room for 4 instances of each service');
    return {
      ports: Object.fromEntries(SERVICES.map((s, i) => [s.name, base + i])) as Record<ServiceName, number>,
      instancePort: (name, i) => base + 10 + 4 * index(name) + i,
    };
  }
  const free = await freePorts(SERVICES.length * (1 + instances));
  return {
    ports: Object.fromEntries(SERVICES.map((s, i) => [s.name, free[i]])) as Record<ServiceName, number>,
    instancePort: (name, i) => free[SERVICES.length * (1 + i) + index(name)],
  };
}

/**
 * Runs one phase: a fresh database and Redis prefix, the stack with `instances` of each scaled
 * service behind load balancers, `flows` order flows placed through the gateway's balancer while
 * the departments work their queues and readers ask for Customer 360s, optionally SIGKILLing one
 * gateway and one integration instance half way through placing (the supervisor restarts them).
 * Then checks exactly-once completion with the integration and with the ERP backend itself.
 */
export async function runScalePhase(options: ScalePhaseOptions): Promise<ScalePhaseResult> {
  const log = options.log ?? (() => undefined);
  const id = randomUUID().replace(/-/g, '').slice(0, 10);
  const databaseName = `scale_${options.phase}_${id}`;
  const redisPrefix = `scale:${id}:`;
  const timeoutMs = options.timeoutMs ?? 600_000;
  const deadline = Date.now() + timeoutMs;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'scale-'));
  const databaseUrl = await createDatabase(options.postgresUrl, databaseName);
  let stack: TestStack | undefined;
  let cleaned: Promise<void> | undefined;
  const cleanUp = () =>
    (cleaned ??= (async () => {
      await stack?.dispose();
      rmSync(dataDir, { recursive: true, force: true });
      if (!options.keep) {
        await dropDatabase(options.postgresUrl, databaseName);
        await deleteRedisKeys(options.redisUrl, redisPrefix);
      } else {
        log(`kept database ${databaseName} and Redis keys ${redisPrefix}*`);
      }
    })());
  phasesUnderWay.add(cleanUp);
  try {
    const { ports, instancePort } = await portsOf(options.portBase, options.instances);
    log(`phase ${options.phase}: ${options.instances} instance(s) of ${SCALED_SERVICES.join(', ')}; database ${databaseName}, Redis prefix ${redisPrefix}`);
    stack = await startTestStack('postgres', {
      databaseUrl,
      dataDir,
      logFile: options.logFile,
      ports,
      instances: Object.fromEntries(SCALED_SERVICES.map((name) => [name, options.instances])),
      instancePort,
      log: (line) => log(`  supervisor: ${line}`),
      env: {
        REDIS_URL: options.redisUrl,
        REDIS_KEY_PREFIX: redisPrefix,
        // On, and shared through Redis by the gateways, but above what the driver's few tokens send.
        RATE_LIMIT_PER_MINUTE: '1000000',
        // A killed worker's flows are taken over once their lease runs out: 10 s instead of 30 s.
        FLOW_LEASE_MS: '10000',
        // The 24 job workers of one integration process on PostgreSQL, shared out among the
        // instances: the single ERP backend is what every flow step waits on, and twice the calls
        // at once only make it answer later (past the 5 s timeout, and then the steps back off).
        FLOW_WORKERS: String(Math.ceil(FLOW_WORKERS_IN_ALL / options.instances)),
      },
    });
    log(`phase ${options.phase}: stack ready`);
    const result = await drive(stack, options, deadline, log);
    const balancers = await Promise.all(
      SCALED_SERVICES.map(async (name) => [name, ((await (await fetch(`${stack!.urls[name]}${BALANCER_STATUS_PATH}`)).json()) as { targets: TargetStatus[] }).targets.map((t) => t.answered)] as const),
    );
    return {
      ...result,
      answeredPerInstance: Object.fromEntries(balancers),
      sharedInRedis: {
        rateLimitWindows: await countRedisKeys(options.redisUrl, `${redisPrefix}gateway:rate:*`),
        entityCacheRecords: await countRedisKeys(options.redisUrl, `${redisPrefix}*-subgraph:entity:*`),
      },
    };
  } finally {
    await cleanUp();
    phasesUnderWay.delete(cleanUp);
  }
}

/** How to clean up each phase under way: stop its stack, drop its database and Redis keys. */
const phasesUnderWay = new Set<() => Promise<void>>();

/** Cleans up the phases under way, for a runner stopped by a signal (Ctrl-C). */
export async function cleanUpPhasesUnderWay(): Promise<void> {
  await Promise.allSettled([...phasesUnderWay].map((cleanUp) => cleanUp()));
}

async function drive(stack: TestStack, options: ScalePhaseOptions, deadline: number, log: (line: string) => void): Promise<Omit<ScalePhaseResult, 'answeredPerInstance' | 'sharedInRedis'>> {
  const failedRequests: FailedRequest[] = [];
  // Every request of the driver goes through here: a failure is recorded and handed back as a
  // GraphQL error with its code, so the driver's own retries (placeOrder with its key, the
  // departments' next pass) see what a client would.
  const recording = (purpose: string): GatewayCall => async (query, variables, callOptions) => {
    const startedAt = Date.now();
    let failure: string | undefined;
    let detail = '';
    let answer: Awaited<ReturnType<GatewayCall>>;
    try {
      const response = await stack.gql(query, variables, callOptions);
      answer = response;
      if (response.errors?.length) {
        failure = `${response.status} ${[...new Set(response.errors.map((e) => String(e.extensions?.code ?? 'NO_CODE')))].join('+')}`;
        detail = `${response.errors[0].path?.join('.') ?? ''}: ${response.errors[0].message}`;
      }
      else if (response.status !== 200 || !response.data) failure = `${response.status} UPSTREAM_UNAVAILABLE`;
      if (failure && !response.errors?.length) answer = { errors: [{ message: `HTTP ${response.status} from the gateway's balancer`, extensions: { code: 'UPSTREAM_UNAVAILABLE' } }] };
    } catch (error) {
      failure = `no answer ${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message}`;
      detail = String(error);
      answer = { errors: [{ message: `fetch failed: ${failure}`, extensions: { code: 'UPSTREAM_UNAVAILABLE' } }] };
    }
    if (failure) failedRequests.push({ purpose, error: failure, detail: detail || `HTTP ${failure}`, timedOut: TIMEOUT_MESSAGE.test(`${failure} ${detail}`), startedAt, endedAt: Date.now() });
    return answer;
  };

  const erpData = buildDemoDataset().erp;
  const stockOf = (sku: string) => erpData.stock.filter((s) => s.sku === sku).reduce((sum, s) => sum + s.onHand, 0);
  // Every flow goes through production: a manufactured product with nothing on hand (as bench:flows).
  const made = erpData.products.filter((p) => p.manufactured && stockOf(p.sku) === 0);
  const created = await stack.gql(`mutation { createCustomer(input: { name: "Scale Buyer AG", country: "DE", creditLimit: "900000000.00", paymentTerms: "NET30" }) { id erpCustomerNo } }`);
  if (created.errors || !created.data.createCustomer.erpCustomerNo) throw new Error(`the scale customer was not created: ${JSON.stringify(created.errors ?? created.data)}`);
  const customerId: string = created.data.createCustomer.id;
  const customerNo: string = created.data.createCustomer.erpCustomerNo;
  const listed = await stack.gql(`{ customers(first: 50) { nodes { id } } }`);
  if (listed.errors) throw new Error(`customers could not be listed: ${JSON.stringify(listed.errors)}`);
  const readIds: string[] = listed.data.customers.nodes.map((node: { id: string }) => node.id);

  const place = recording('place');
  const driver = new OrderFlowDriver(place, { timeoutMs: deadline - Date.now() });
  const departments = new OrderFlowDepartments(recording('department'), { parallel: options.concurrency ?? 50, pollMs: 250 });
  const before = await departments.finished();
  const endedBefore = before.completed + before.compensated + before.failed;

  // Customer 360 readers, until the flows are done.
  const readLatencies: number[] = [];
  let reading = true;
  const read = recording('read');
  const readers = Promise.all(
    Array.from({ length: options.readers ?? 4 }, async (_, reader) => {
      for (let n = reader; reading; n++) {
        const begin = Date.now();
        const answer = await read(CUSTOMER_360, { id: readIds[n % readIds.length] });
        if (!answer.errors?.length) readLatencies.push(Date.now() - begin);
      }
    }),
  );

  const started = Date.now();
  let placed = 0;
  let kill: ScalePhaseResult['kill'];
  let killing: Promise<void> | undefined;
  const placeKey = `scale-${options.phase}-${started}`;
  let next = 0;
  const placing = Promise.all(
    Array.from({ length: options.concurrency ?? 50 }, async () => {
      while (next < options.flows) {
        const n = next++;
        // placeOrder sends a lost call again with the same key: the same flow, never a second order.
        await driver.placeOrder(customerId, [{ sku: made[n % made.length].sku, quantity: 1 }], `${placeKey}-${n}`).catch((error: unknown) => {
          log(`  order ${n} was not placed: ${error instanceof Error ? error.message : String(error)}`);
        });
        placed++;
        if (options.kill && !killing && placed >= options.flows / 2) killing = killOneOfEach(stack, log).then((k) => void (kill = k));
      }
    }),
  );
  const progress = setInterval(() => {
    void departments.finished().then(
      (counts) => log(`  ${((Date.now() - started) / 1000).toFixed(0)} s: ${placed} placed, ${counts.completed + counts.compensated + counts.failed - endedBefore} ended, ${readLatencies.length} reads`),
      () => undefined,
    );
  }, 10_000);
  let counts;
  try {
    counts = await departments.workUntil(endedBefore + options.flows, deadline - Date.now());
  } finally {
    clearInterval(progress);
    reading = false;
  }
  const ended = Date.now();
  await Promise.all([placing, readers, killing]);
  const seconds = (ended - started) / 1000;
  const readingSeconds = (Date.now() - started) / 1000;

  const completed = (await completedFlows(stack.gql.bind(stack))).filter((flow) => Date.parse(flow.startedAt) >= started);
  const orderIds = completed.map((flow) => flow.salesOrder?.id).filter((orderId): orderId is string => Boolean(orderId));
  const erp = await erpRecords(stack, customerNo);
  const flowsPerOrder = countBy(orderIds);
  const invoicesPerOrder = countBy(erp.invoices.map((invoice) => invoice.salesOrderId ?? 'none'));
  const erpOrderIds = new Set(erp.salesOrders.map((order) => order.id));
  return {
    phase: options.phase,
    instances: options.instances,
    flows: options.flows,
    completed: completed.length,
    notCompleted: counts.compensated - before.compensated + counts.failed - before.failed,
    flowsSharingAnOrder: [...flowsPerOrder.values()].filter((n) => n > 1).reduce((sum, n) => sum + n, 0),
    erp: {
      salesOrders: erp.salesOrders.length,
      salesOrdersNotOnceInFlows: erp.salesOrders.filter((order) => flowsPerOrder.get(order.id) !== 1).length + orderIds.filter((orderId) => !erpOrderIds.has(orderId)).length,
      invoices: erp.invoices.length,
      salesOrdersInvoicedTwice: [...invoicesPerOrder.values()].filter((n) => n > 1).length,
      flowsWithoutInvoice: orderIds.filter((orderId) => !invoicesPerOrder.has(orderId)).length,
    },
    seconds,
    flowsPerSecond: completed.length / seconds,
    medianFlowSeconds: median(completed.map((flow) => (Date.parse(flow.updatedAt) - Date.parse(flow.startedAt)) / 1000)),
    reads: readLatencies.length,
    readsPerSecond: readLatencies.length / readingSeconds,
    medianReadMs: median(readLatencies),
    failedRequests,
    kill,
  };
}

/** SIGKILLs the first gateway and the first integration instance and waits until the supervisor's restarts are ready. */
async function killOneOfEach(stack: TestStack, log: (line: string) => void): Promise<NonNullable<ScalePhaseResult['kill']>> {
  const at = Date.now();
  const gatewayPid = stack.crashService('gateway', 0);
  const integrationPid = stack.crashService('integration', 0);
  log(`  SIGKILL gateway instance 0 (pid ${gatewayPid}) and integration instance 0 (pid ${integrationPid})`);
  // The old processes still answer for a moment while they die; wait for the new ones' readiness.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  for (const target of [stack.instanceUrls.gateway[0], stack.instanceUrls.integration[0]]) {
    for (;;) {
      if (await fetch(`${target}/ready`).then((r) => r.ok, () => false)) break;
      if (Date.now() - at > 120_000) throw new Error(`${target} was not restarted within 120 s of the kill`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const recoveredAt = Date.now();
  log(`  both restarted and ready ${((recoveredAt - at) / 1000).toFixed(1)} s after the kill`);
  return { at, recoveredAt, gatewayPid, integrationPid };
}

/** The ERP backend's own sales orders and invoices of one customer, asked over its REST API. */
async function erpRecords(stack: TestStack, customerNo: string): Promise<{ salesOrders: ErpSalesOrder[]; invoices: ErpInvoice[] }> {
  const secret = loadOrCreateLocalSecrets(stack.dataDir).internalSecret;
  const erp = new HttpErpConnector({ baseUrl: stack.urls['erp-backend'], serviceToken: serviceTokenSigner(secret, 'integration'), timeoutMs: 30_000 });
  const salesOrders: ErpSalesOrder[] = [];
  let after: string | undefined;
  do {
    const page = await erp.listSalesOrders({ customerNo, first: 500, after });
    salesOrders.push(...page.items);
    after = page.nextCursor ?? undefined;
  } while (after);
  const invoices = await erp.listInvoicesByCustomers([customerNo], {});
  return { salesOrders, invoices };
}

function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

async function createDatabase(serverUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** Calls `each` with every batch of keys matching `pattern`. */
async function scanRedis(redisUrl: string, pattern: string, each: (redis: Redis, keys: string[]) => Promise<unknown>): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length > 0) await each(redis, keys);
      cursor = nextCursor;
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}

async function countRedisKeys(redisUrl: string, pattern: string): Promise<number> {
  let count = 0;
  await scanRedis(redisUrl, pattern, async (_redis, keys) => (count += keys.length));
  return count;
}

/** Deletes every key under `prefix` (the phase's own; nobody else's). */
async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<void> {
  await scanRedis(redisUrl, `${prefix}*`, (redis, keys) => redis.del(...keys));
}
