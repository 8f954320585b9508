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
  /**
   * Scale-out: how many instances of each listed service to run. A listed service (even with 1)
   * gets a load balancer (balancer/) on its port and its instances on `instancePort` ports; the
   * others, and every service's address the stack hands out, stay as they are, so clients, the
   * gateway's subgraph URLs and the backends' webhooks all go through the balancers.
   */
  instances?: Partial<Record<ServiceName, number>>;
  /** With `instances`: the port of instance `index` (0-based) of a balanced service. */
  instancePort?: (name: ServiceName, index: number) => number;
  /** Only these services (default all; the tests seed a template with the backends and the integration, which hold every database). */
  services?: readonly ServiceName[];
}

/** A running stack. */
export interface RunningStack {
  urls: Record<ServiceName, string>;
  /** Each service's instances: its own URL alone, or the URLs behind its load balancer. */
  instanceUrls: Record<ServiceName, string[]>;
  /** The gateway's GraphQL endpoint. */
  graphqlUrl: string;
  dataDir: string;
  /** Stops every instance of one service (SIGTERM, then SIGKILL after 5 s) and keeps them stopped. */
  stopService(name: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a stopped service's instances again. */
  startService(name: ServiceName): void;
  /** Kills one instance's process (default the first) as a crash would (the supervisor restarts it); returns the old pid. */
  crashService(name: ServiceName, instance?: number): number | undefined;
  /**
   * Sends a signal to one instance's process (default the first) and returns its pid: SIGSTOP
   * freezes it as a hung host would (connections are accepted, nothing answers), SIGCONT lets it go on.
   */
  signalService(name: ServiceName, signal: NodeJS.Signals, instance?: number): number | undefined;
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
    // With Tryton, changes arrive as the change events the ERP slot polls, so the integration's
    // catch-up polls are only a safety net, and every read they make is a Tryton RPC costing tens of
    // milliseconds of trytond's CPU: every 5 s for each waiting flow would keep trytond busy.
    if (name === 'integration' && shared.ERP === 'tryton') {
      env.FLOW_POLL_MS ??= '30000';
      env.SYNC_POLL_INTERVAL_MS ??= '30000';
    }
    return env;
  };

  // One process per instance, keyed "name" or "name#index"; a balanced service's balancer is "name balancer".
  interface Process {
    entry: string;
    env: NodeJS.ProcessEnv;
  }
  const processes = new Map<string, Process>();
  const instanceUrls = {} as Record<ServiceName, string[]>;
  const keysOf = new Map<ServiceName, string[]>();
  const started = SERVICES.filter((service) => !options.services || options.services.includes(service.name));
  for (const service of started) {
    // ERP=tryton: the ERP slot runs (or watches) Tryton instead of the reference ERP backend.
    const entry = service.name === 'erp-backend' && shared.ERP === 'tryton' ? 'scripts/tryton/tryton-service.ts' : service.entry;
    const count = options.instances?.[service.name];
    if (count === undefined) {
      processes.set(service.name, { entry, env: envFor(service.name) });
      instanceUrls[service.name] = [url(service.name)];
      keysOf.set(service.name, [service.name]);
      continue;
    }
    if (!options.instancePort) throw new Error('startStack: instances needs instancePort');
    const ports = Array.from({ length: count }, (_, i) => options.instancePort!(service.name, i));
    ports.forEach((instancePort, i) => processes.set(`${service.name}#${i}`, { entry, env: { ...envFor(service.name), PORT: String(instancePort) } }));
    instanceUrls[service.name] = ports.map((instancePort) => `http://127.0.0.1:${instancePort}`);
    keysOf.set(service.name, ports.map((_, i) => `${service.name}#${i}`));
    processes.set(`${service.name} balancer`, {
      entry: 'balancer/main.ts',
      env: { ...shared, PORT: String(port(service.name)), BALANCED_SERVICE: service.name, BALANCER_TARGETS: instanceUrls[service.name].join(',') },
    });
  }

  const children = new Map<string, ChildProcess>();
  const wanted = new Set<string>();
  let stopping = false;

  const launch = (key: string) => {
    const { entry, env } = processes.get(key)!;
    const output = options.logFile ? openSync(options.logFile, 'a') : (options.output ?? 'inherit');
    // STACK_NODE_ARGS passes Node flags to every service, e.g. "--cpu-prof --cpu-prof-dir=prof" to profile the stack.
    const nodeArgs = (process.env.STACK_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(ROOT, entry)], {
      cwd: ROOT,
      env,
      stdio: ['ignore', output, output],
    });
    // The child holds its own copy of the file descriptor.
    if (typeof output === 'number') closeSync(output);
    children.set(key, child);
    const startedAt = Date.now();
    child.on('exit', (code, signal) => {
      if (children.get(key) === child) children.delete(key);
      if (stopping || !wanted.has(key)) return;
      log(`${key} exited (${signal ?? code}); ${restart ? 'restarting' : 'not restarting'}`);
      if (!restart) return;
      // A service that dies right after starting waits longer, so a broken one does not spin.
      const delay = Date.now() - startedAt < 5000 ? 2000 : 500;
      setTimeout(() => {
        if (!stopping && wanted.has(key) && !children.has(key)) launch(key);
      }, delay);
    });
  };

  for (const key of processes.keys()) {
    wanted.add(key);
    launch(key);
  }

  const stopProcess = async (key: string, signal: NodeJS.Signals = 'SIGTERM') => {
    wanted.delete(key);
    const child = children.get(key);
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  const stopService = async (name: ServiceName, signal: NodeJS.Signals = 'SIGTERM') => {
    await Promise.all(keysOf.get(name)!.map((key) => stopProcess(key, signal)));
  };

  const signalService = (name: ServiceName, signal: NodeJS.Signals, instance = 0) => {
    const child = children.get(keysOf.get(name)![instance]);
    child?.kill(signal);
    return child?.pid;
  };

  const urls = Object.fromEntries(SERVICES.map((s) => [s.name, url(s.name)])) as Record<ServiceName, string>;
  return {
    urls,
    graphqlUrl: `${url('gateway')}/graphql`,
    dataDir,
    instanceUrls,
    stopService,
    startService(name) {
      stopping = false;
      for (const key of keysOf.get(name)!) {
        wanted.add(key);
        if (!children.has(key)) launch(key);
      }
    },
    crashService(name, instance) {
      return signalService(name, 'SIGKILL', instance);
    },
    signalService,
    async waitUntilReady(timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      // Every instance, then the service's own address (its balancer, when it has one).
      for (const service of started) {
        for (const target of [...new Set([...instanceUrls[service.name], url(service.name)])]) {
          for (;;) {
            const ok = await fetch(`${target}/ready`).then((r) => r.ok, () => false);
            if (ok) break;
            if (Date.now() > deadline) throw new Error(`${service.name} at ${target} not ready after ${timeoutMs} ms`);
            await new Promise((r) => setTimeout(r, 250));
          }
        }
      }
    },
    async stop() {
      stopping = true;
      await Promise.all([...children.keys()].map((key) => stopProcess(key)));
    },
  };
}
