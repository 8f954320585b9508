import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { SignJWT } from 'jose';
import { loadOrCreateLocalSecrets } from '../platform/secrets';
import { SERVICES, type ServiceName } from '../scripts/services';
import { type RunningStack, startStack } from '../scripts/stack';
import { trytonDemoData } from '../scripts/tryton/tryton-demo';
import { ensureSeededDatabase, trytonSettings, trytondPidFile } from '../scripts/tryton/tryton-setup';
import { createScratchPostgres } from '../test-support/databases';
import { freePorts } from '../platform/free-ports';

/**
 * The systems the bench compares: our gateway, Hive Gateway with its JavaScript query planner
 * (its default), Hive Gateway with the Rust planner of @graphql-hive/router-runtime (its fastest
 * mode), and the no-federation baseline.
 */
export const SYSTEMS = ['gateway', 'hive', 'hive-router-runtime', 'baseline'] as const;
/** One of SYSTEMS. */
export type SystemName = (typeof SYSTEMS)[number];

/** Seed sizes of a bench stack. */
export interface BenchScale {
  customers: number;
  orders: number;
  opportunities: number;
}

/** A running stack plus both Hive Gateways and the baseline, all on 127.0.0.1. */
export interface BenchStack {
  stack: RunningStack;
  /** GraphQL endpoint of each system. */
  endpoints: Record<SystemName, string>;
  /** An admin JWT every system accepts. */
  token: string;
  /** Backend calls made so far by whatever answers for `system` (connector_requests_total). */
  backendCalls(system: SystemName): Promise<number>;
  /** CPU seconds used so far by every process that answers for these systems (their own processes, subgraphs, backends), each process once. */
  cpuSeconds(systems: SystemName | SystemName[]): Promise<number>;
  /** Resident memory of each process, bytes (from process_resident_memory_bytes). */
  rss(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '..');
const SUBGRAPH_SERVICES: ServiceName[] = ['erp-subgraph', 'crm-subgraph', 'integration'];

/**
 * Starts the stack on seeded data at `scale` (the data folder is kept per scale, so only the
 * first run seeds), then both Hive Gateways and the baseline beside it (those of `systems` asked for),
 * and waits until all answer.
 *
 * With `erp: 'tryton'` the ERP is Tryton 6.0 on a copy of the Tryton demo database (TRYTON_DB,
 * default "tryton"; prepared first if missing, as `ERP=tryton npm start` does), whose business is
 * the demo dataset at TRYTON_DEMO_SCALE: `scale` must be that. The copy and the data folder are
 * the run's own and go when it stops; trytond's CPU counts with the stack's.
 */
export async function startBenchStack(
  scale: BenchScale,
  options: { env?: NodeJS.ProcessEnv; log?: (line: string) => void; systems?: readonly SystemName[]; erp?: 'reference' | 'tryton' } = {},
): Promise<BenchStack> {
  const log = options.log ?? ((line: string) => console.log(line));
  const systems = options.systems ?? SYSTEMS;
  const ports = await freePorts(SERVICES.length + 3);
  let env = options.env ?? {};
  let dataDir = path.join(ROOT, '.data', `bench-${scale.customers}-${scale.orders}-${scale.opportunities}`);
  let trytondPid = () => 0;
  let dropTryton = async () => {};
  if (options.erp === 'tryton') {
    const settings = trytonSettings();
    const demo = process.env.TRYTON_DB || 'tryton';
    if ((await ensureSeededDatabase(settings, demo, () => trytonDemoData().erp, log)) === 'built') log(`prepared the Tryton demo database ${demo}`);
    const server = new URL(settings.databaseUri.replace(/^postgresql:/, 'postgres:'));
    server.pathname = '/postgres';
    const copy = await createScratchPostgres(demo, server.toString());
    dropTryton = copy.drop;
    dataDir = path.join(ROOT, '.data', `bench-tryton-${copy.name}`);
    const trytonPort = ports[SERVICES.length + 2];
    env = { ...env, ERP: 'tryton', TRYTON_DB: copy.name, TRYTON_PORT: String(trytonPort), TRYTON_URL: '' };
    const pidFile = trytondPidFile(trytonSettings({ DATA_DIR: dataDir }), trytonPort);
    trytondPid = () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0);
  }
  if (!existsSync(dataDir)) {
    mkdirSync(dataDir, { recursive: true });
    log(`seeding ${scale.customers} customers, ${scale.orders} orders, ${scale.opportunities} opportunities into ${dataDir} (first run only; takes minutes)`);
  }
  const removeRunData = async () => {
    await dropTryton();
    if (options.erp === 'tryton') rmSync(dataDir, { recursive: true, force: true });
  };
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
      // One token sends every request: the per-subject limit would answer fast 429s above 50 RPS.
      RATE_LIMIT_PER_MINUTE: '0',
      ...env,
    },
    log,
  });
  try {
    await stack.waitUntilReady(1_800_000);
  } catch (error) {
    await stack.stop();
    await removeRunData();
    throw error;
  }
  const secrets = loadOrCreateLocalSecrets(dataDir);
  const [hivePort, hiveRustPort, baselinePort] = ports.slice(SERVICES.length);
  const shared = {
    ...process.env,
    ...env,
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
  const hive = systems.includes('hive') ? spawnTsx('bench/hive/main.ts', { ...shared, PORT: String(hivePort), HIVE_QUERY_PLANNER: 'javascript' }) : undefined;
  const hiveRust = systems.includes('hive-router-runtime') ? spawnTsx('bench/hive/main.ts', { ...shared, PORT: String(hiveRustPort), HIVE_QUERY_PLANNER: 'rust' }) : undefined;
  const baseline = systems.includes('baseline') ? spawnTsx('bench/baseline/main.ts', { ...shared, PORT: String(baselinePort) }) : undefined;
  const extras = [hive, hiveRust, baseline].filter((child): child is ChildProcess => child !== undefined);
  const endpoints: Record<SystemName, string> = {
    gateway: stack.graphqlUrl,
    hive: `http://127.0.0.1:${hivePort}/graphql`,
    'hive-router-runtime': `http://127.0.0.1:${hiveRustPort}/graphql`,
    baseline: `http://127.0.0.1:${baselinePort}/graphql`,
  };
  const token = await new SignJWT({ role: 'admin' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('bench')
    .setIssuedAt()
    .setExpirationTime('12h')
    .sign(new TextEncoder().encode(secrets.jwtSecret));
  try {
    if (hive) await waitForGraphql(endpoints.hive, token, 120_000, hive);
    if (hiveRust) await waitForGraphql(endpoints['hive-router-runtime'], token, 120_000, hiveRust);
    if (baseline) await waitForGraphql(endpoints.baseline, token, 600_000, baseline);
  } catch (error) {
    await Promise.all(extras.map((child) => stopChild(child)));
    await stack.stop();
    await removeRunData();
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
    async cpuSeconds(systems) {
      const list = Array.isArray(systems) ? systems : [systems];
      const urls = new Set<string>([stack.urls['erp-backend'], stack.urls['crm-backend']]);
      let ownProcesses = 0;
      for (const system of list) {
        if (system === 'baseline') urls.add(baselineBase);
        else for (const s of SUBGRAPH_SERVICES) urls.add(stack.urls[s]);
        if (system === 'gateway') urls.add(stack.urls.gateway);
        // Hive serves no /metrics of its own: its process's CPU is read from /proc.
        if (system === 'hive') ownProcesses += processCpuSeconds(hive?.pid);
        if (system === 'hive-router-runtime') ownProcesses += processCpuSeconds(hiveRust?.pid);
      }
      const texts = await Promise.all([...urls].map(metricsOf));
      // With Tryton the ERP slot serves no /metrics: trytond's own CPU is the ERP's.
      return ownProcesses + processCpuSeconds(trytondPid()) + texts.reduce((sum, text) => sum + sumCounter(text, 'process_cpu_seconds_total'), 0);
    },
    async rss() {
      const entries = await Promise.all(
        [...SERVICES.map((s) => [s.name, stack.urls[s.name]] as const), ...(baseline ? [['baseline', baselineBase] as const] : [])].map(async ([name, url]) => [name, sumCounter(await metricsOf(url), 'process_resident_memory_bytes')] as const),
      );
      return Object.fromEntries(entries);
    },
    async stop() {
      await Promise.all(extras.map((child) => stopChild(child)));
      await stack.stop();
      await removeRunData();
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

/** utime + stime of a process from /proc (for processes without /metrics: Hive, trytond); 0 where /proc is absent. */
export function processCpuSeconds(pid: number | undefined): number {
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
