import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SignJWT } from 'jose';
import { loadOrCreateLocalSecrets } from '../platform/secrets';
import { SERVICES, type ServiceName } from '../scripts/services';
import { type RunningStack, startStack } from '../scripts/stack';
import { freePorts } from '../test-support/stack';

/** The systems the bench compares. */
export const SYSTEMS = ['gateway', 'hive', 'baseline'] as const;
/** One of SYSTEMS. */
export type SystemName = (typeof SYSTEMS)[number];

/** Seed sizes of a bench stack. */
export interface BenchScale {
  customers: number;
  orders: number;
  opportunities: number;
}

/** A running stack plus Hive Gateway and the baseline, all on 127.0.0.1. */
export interface BenchStack {
  stack: RunningStack;
  /** GraphQL endpoint of each system. */
  endpoints: Record<SystemName, string>;
  /** An admin JWT every system accepts. */
  token: string;
  /** Backend calls made so far by whatever answers for `system` (connector_requests_total). */
  backendCalls(system: SystemName): Promise<number>;
  /** CPU seconds used so far by every process that answers for `system` (its own process, subgraphs, backends). */
  cpuSeconds(system: SystemName): Promise<number>;
  /** Resident memory of each process, bytes (from process_resident_memory_bytes). */
  rss(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '..');
const SUBGRAPH_SERVICES: ServiceName[] = ['erp-subgraph', 'crm-subgraph', 'integration'];

/**
 * Starts the stack on seeded data at `scale` (the data folder is kept per scale, so only the
 * first run seeds), then Hive Gateway and the baseline beside it, and waits until all answer.
 */
export async function startBenchStack(scale: BenchScale, options: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {}): Promise<BenchStack> {
  const log = options.log ?? ((line: string) => console.log(line));
  const dataDir = path.join(ROOT, '.data', `bench-${scale.customers}-${scale.orders}-${scale.opportunities}`);
  if (!existsSync(dataDir)) {
    mkdirSync(dataDir, { recursive: true });
    log(`seeding ${scale.customers} customers, ${scale.orders} orders, ${scale.opportunities} opportunities into ${dataDir} (first run only; takes minutes)`);
  }
  const ports = await freePorts(SERVICES.length + 2);
  const stack = startStack({
    dataDir,
    output: process.env.BENCH_OUTPUT === 'inherit' ? 'inherit' : 'ignore',
    ports: Object.fromEntries(SERVICES.map((s, i) => [s.name, ports[i]])),
    env: {
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      DATABASE_URL: '',
      REDIS_URL: process.env.REDIS_URL ?? '',
      DEMO_SCALE_CUSTOMERS: String(scale.customers),
      DEMO_SCALE_ORDERS: String(scale.orders),
      DEMO_SCALE_OPPORTUNITIES: String(scale.opportunities),
      // The bench measures reads; the overdue sweep would only add noise.
      OVERDUE_SWEEP_MS: '3600000',
      ...options.env,
    },
    log,
  });
  await stack.waitUntilReady(1_800_000);
  const secrets = loadOrCreateLocalSecrets(dataDir);
  const [hivePort, baselinePort] = ports.slice(SERVICES.length);
  const shared = {
    ...process.env,
    ...options.env,
    INTERNAL_SECRET: secrets.internalSecret,
    JWT_SECRET: secrets.jwtSecret,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    ERP_BACKEND_URL: stack.urls['erp-backend'],
    CRM_BACKEND_URL: stack.urls['crm-backend'],
    ERP_SUBGRAPH_URL: `${stack.urls['erp-subgraph']}/graphql`,
    CRM_SUBGRAPH_URL: `${stack.urls['crm-subgraph']}/graphql`,
    INTEGRATION_SUBGRAPH_URL: `${stack.urls.integration}/graphql`,
  };
  const extras: ChildProcess[] = [
    spawnTsx('bench/hive/main.ts', { ...shared, PORT: String(hivePort) }),
    spawnTsx('bench/baseline/main.ts', { ...shared, PORT: String(baselinePort) }),
  ];
  const endpoints: Record<SystemName, string> = {
    gateway: stack.graphqlUrl,
    hive: `http://127.0.0.1:${hivePort}/graphql`,
    baseline: `http://127.0.0.1:${baselinePort}/graphql`,
  };
  const token = await new SignJWT({ role: 'admin' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('bench')
    .setIssuedAt()
    .setExpirationTime('12h')
    .sign(new TextEncoder().encode(secrets.jwtSecret));
  try {
    await waitForGraphql(endpoints.hive, token, 120_000, extras[0]);
    await waitForGraphql(endpoints.baseline, token, 600_000, extras[1]);
  } catch (error) {
    await Promise.all(extras.map((child) => stopChild(child)));
    await stack.stop();
    throw error;
  }

  const metricsOf = async (url: string) => (await fetch(`${url}/metrics`)).text();
  const baselineBase = endpoints.baseline.replace(/\/graphql$/, '');
  return {
    stack,
    endpoints,
    token,
    async backendCalls(system) {
      const urls = system === 'baseline' ? [baselineBase] : SUBGRAPH_SERVICES.map((s) => stack.urls[s]);
      const texts = await Promise.all(urls.map(metricsOf));
      return texts.reduce((sum, text) => sum + sumCounter(text, 'connector_requests_total'), 0);
    },
    async cpuSeconds(system) {
      const own = system === 'baseline' ? [baselineBase] : system === 'gateway' ? [stack.urls.gateway, ...SUBGRAPH_SERVICES.map((s) => stack.urls[s])] : SUBGRAPH_SERVICES.map((s) => stack.urls[s]);
      const urls = [...own, stack.urls['erp-backend'], stack.urls['crm-backend']];
      const texts = await Promise.all(urls.map(metricsOf));
      const fromMetrics = texts.reduce((sum, text) => sum + sumCounter(text, 'process_cpu_seconds_total'), 0);
      return system === 'hive' ? fromMetrics + processCpuSeconds(extras[0].pid) : fromMetrics;
    },
    async rss() {
      const entries = await Promise.all(
        [...SERVICES.map((s) => [s.name, stack.urls[s.name]] as const), ['baseline', baselineBase] as const].map(async ([name, url]) => [name, sumCounter(await metricsOf(url), 'process_resident_memory_bytes')] as const),
      );
      return Object.fromEntries(entries);
    },
    async stop() {
      await Promise.all(extras.map((child) => stopChild(child)));
      await stack.stop();
    },
  };
}

/** Sums every sample of one metric in a Prometheus text exposition. */
export function sumCounter(text: string, name: string): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+([0-9.eE+-]+)$/.exec(line);
    if (match && match[1] === name) total += Number(match[3]);
  }
  return total;
}

/** Posts one GraphQL operation and returns the parsed body. */
export async function postGraphql(url: string, token: string, body: unknown): Promise<{ data?: unknown; errors?: { message: string }[] }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  return (await response.json()) as { data?: unknown; errors?: { message: string }[] };
}

// utime + stime of a process from /proc (Hive serves no /metrics of its own); 0 where /proc is absent.
function processCpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

function spawnTsx(entry: string, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', process.env.BENCH_OUTPUT === 'inherit' ? 'inherit' : 'ignore'],
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function waitForGraphql(url: string, token: string, timeoutMs: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the process for ${url} exited (${child.exitCode}); rerun with BENCH_OUTPUT=inherit to see why`);
    const ok = await postGraphql(url, token, { query: '{ __typename }' }).then((body) => body.data !== undefined, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
