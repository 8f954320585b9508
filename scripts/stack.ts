import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import { loadOrCreateLocalSecrets } from '../platform/secrets';
import { SERVICES, type ServiceName } from './services';
import { TRYTON_DEMO_SCALE } from './tryton/tryton-demo';

function trytonDemoScaleEnv(): NodeJS.ProcessEnv {
  return {
    DEMO_SCALE_CUSTOMERS: String(TRYTON_DEMO_SCALE.customers),
    DEMO_SCALE_ORDERS: String(TRYTON_DEMO_SCALE.salesOrders),
    DEMO_SCALE_OPPORTUNITIES: String(TRYTON_DEMO_SCALE.opportunities),
  };
}

/** How to run the whole stack as separate processes. */
export interface StackOptions {
  /** Folder for PGlite data and the local secrets; default .data. */
  dataDir?: string;
  /** Port per service; default the standard ports of scripts/services.ts. */
  ports?: Partial<Record<ServiceName, number>>;
  /** Extra environment for every service (DATABASE_URL, REDIS_URL, LOG_LEVEL...). */
  env?: NodeJS.ProcessEnv;
  /** Restart a service that exits on its own; default true. */
  restart?: boolean;
  /** Where service output goes: inherit the terminal (default) or ignore it. */
  output?: 'inherit' | 'ignore';
  /** Append every service's output to this file instead (tests scan it for secrets). */
  logFile?: string;
  /** Called with one line about each lifecycle event (started, crashed, restarting). */
  log?: (line: string) => void;
}

/** A running stack. */
export interface RunningStack {
  urls: Record<ServiceName, string>;
  /** The gateway's GraphQL endpoint. */
  graphqlUrl: string;
  dataDir: string;
  /** Stops one service (SIGTERM, then SIGKILL after 5 s) and keeps it stopped. */
  stopService(name: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a stopped service again. */
  startService(name: ServiceName): void;
  /** Kills a service's process as a crash would (the supervisor restarts it); returns the old pid. */
  crashService(name: ServiceName): number | undefined;
  /** Resolves when every service's /ready answers 200. */
  waitUntilReady(timeoutMs?: number): Promise<void>;
  /** Stops everything cleanly. */
  stop(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '..');

/** Starts each service as its own Node process, restarted if it crashes. */
export function startStack(options: StackOptions = {}): RunningStack {
  const dataDir = path.resolve(options.dataDir ?? path.join(ROOT, '.data'));
  const secrets = loadOrCreateLocalSecrets(dataDir);
  const port = (name: ServiceName) => options.ports?.[name] ?? SERVICES.find((s) => s.name === name)!.port;
  const url = (name: ServiceName) => `http://127.0.0.1:${port(name)}`;
  const log = options.log ?? ((line: string) => console.log(line));
  const restart = options.restart ?? true;

  // Every service gets the same secrets and the addresses of the others; PORT is its own.
  const shared: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    DATA_DIR: dataDir,
    INTERNAL_SECRET: secrets.internalSecret,
    WEBHOOK_SECRET: secrets.webhookSecret,
    JWT_SECRET: secrets.jwtSecret,
    ERP_BACKEND_URL: url('erp-backend'),
    CRM_BACKEND_URL: url('crm-backend'),
    ERP_SUBGRAPH_URL: `${url('erp-subgraph')}/graphql`,
    CRM_SUBGRAPH_URL: `${url('crm-subgraph')}/graphql`,
    INTEGRATION_SUBGRAPH_URL: `${url('integration')}/graphql`,
    GATEWAY_URL: url('gateway'),
  };
  // An empty value means "unset" (e.g. a PGlite stack started from a shell that has DATABASE_URL).
  for (const [key, value] of Object.entries(shared)) if (value === '') delete shared[key];
  const envFor = (name: ServiceName): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { ...shared, PORT: String(port(name)) };
    // The subgraphs hear changes too: their entity caches drop changed records.
    if (name === 'erp-backend') env.WEBHOOK_TARGETS = `${url('integration')}/webhooks/erp,${url('erp-subgraph')}/webhooks/erp`;
    // The CRM's demo accounts link to the customers the Tryton demo database holds.
    if (name === 'crm-backend' && shared.ERP === 'tryton' && !shared.DEMO_SCALE_CUSTOMERS) Object.assign(env, trytonDemoScaleEnv());
    if (name === 'crm-backend') env.WEBHOOK_TARGETS = `${url('integration')}/webhooks/crm,${url('crm-subgraph')}/webhooks/crm`;
    return env;
  };

  const children = new Map<ServiceName, ChildProcess>();
  const wanted = new Set<ServiceName>();
  let stopping = false;

  const launch = (name: ServiceName) => {
    const service = SERVICES.find((s) => s.name === name)!;
    // ERP=tryton: the ERP slot runs (or watches) Tryton instead of the reference ERP backend.
    const entry = name === 'erp-backend' && shared.ERP === 'tryton' ? 'scripts/tryton/tryton-service.ts' : service.entry;
    const output = options.logFile ? openSync(options.logFile, 'a') : (options.output ?? 'inherit');
    // STACK_NODE_ARGS passes Node flags to every service, e.g. "--cpu-prof --cpu-prof-dir=prof" to profile the stack.
    const nodeArgs = (process.env.STACK_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(ROOT, entry)], {
      cwd: ROOT,
      env: envFor(name),
      stdio: ['ignore', output, output],
    });
    // The child holds its own copy of the file descriptor.
    if (typeof output === 'number') closeSync(output);
    children.set(name, child);
    const startedAt = Date.now();
    child.on('exit', (code, signal) => {
      if (children.get(name) === child) children.delete(name);
      if (stopping || !wanted.has(name)) return;
      log(`${name} exited (${signal ?? code}); ${restart ? 'restarting' : 'not restarting'}`);
      if (!restart) return;
      // A service that dies right after starting waits longer, so a broken one does not spin.
      const delay = Date.now() - startedAt < 5000 ? 2000 : 500;
      setTimeout(() => {
        if (!stopping && wanted.has(name) && !children.has(name)) launch(name);
      }, delay);
    });
  };

  for (const service of SERVICES) {
    wanted.add(service.name);
    launch(service.name);
  }

  const stopService = async (name: ServiceName, signal: NodeJS.Signals = 'SIGTERM') => {
    wanted.delete(name);
    const child = children.get(name);
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  const urls = Object.fromEntries(SERVICES.map((s) => [s.name, url(s.name)])) as Record<ServiceName, string>;
  return {
    urls,
    graphqlUrl: `${url('gateway')}/graphql`,
    dataDir,
    stopService,
    startService(name) {
      stopping = false;
      wanted.add(name);
      if (!children.has(name)) launch(name);
    },
    crashService(name) {
      const child = children.get(name);
      child?.kill('SIGKILL');
      return child?.pid;
    },
    async waitUntilReady(timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      for (const service of SERVICES) {
        for (;;) {
          const ok = await fetch(`${url(service.name)}/ready`).then((r) => r.ok, () => false);
          if (ok) break;
          if (Date.now() > deadline) throw new Error(`${service.name} not ready after ${timeoutMs} ms`);
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    },
    async stop() {
      stopping = true;
      await Promise.all([...children.keys()].map((name) => stopService(name)));
    },
  };
}
