import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { loadOrCreateLocalSecrets } from '../../platform/secrets';
import { SERVICES, type ServiceName } from '../../scripts/services';
import { type RunningStack, startStack } from '../../scripts/stack';
import { createScratchPostgres } from './databases';
import { serviceAvailable } from './services';

/** Which storage a test stack runs on. */
export type StackKind = 'pglite' | 'postgres';

/** A whole stack on free ports and a private data folder (and database), for one suite. */
export interface TestStack extends RunningStack {
  kind: StackKind;
  /** Sends a GraphQL request to the gateway as a user of `role`. */
  gql<T = any>(query: string, variables?: Record<string, unknown>, options?: { role?: string; customerId?: string }): Promise<GqlResponse<T>>;
  /** Reads one counter's total from a service's /metrics, summed over label sets matching `labels`. */
  counter(service: ServiceName, name: string, labels?: Record<string, string>): Promise<number>;
  /** Stops everything and deletes the data folder and database. */
  dispose(): Promise<void>;
}

/** A GraphQL answer as a client sees it. */
export interface GqlResponse<T> {
  status: number;
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

/** Finds `count` free TCP ports on 127.0.0.1. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<net.Server>((resolve) => {
      const server = net.createServer();
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** Starts a stack of `kind`; null when that kind's server is absent locally (skip, with a reason). */
export async function startTestStack(
  kind: StackKind,
  options: { dataDir?: string; databaseUrl?: string; /** Capture every service's output here. */ logFile?: string; /** Extra environment (e.g. LOG_LEVEL). */ env?: NodeJS.ProcessEnv; /** Longest wait for every service's /ready; default 180 s. */ readyTimeoutMs?: number } = {},
): Promise<TestStack | null> {
  // Suites drive many requests through a few tokens; the rate limit has its own tests (gateway/).
  let env: NodeJS.ProcessEnv = { LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn', NODE_ENV: 'test', RATE_LIMIT_PER_MINUTE: '0', ...options.env };
  let dropDatabase = async () => {};
  if (kind === 'postgres') {
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    let databaseUrl = options.databaseUrl;
    if (!databaseUrl) {
      const scratch = await createScratchPostgres();
      if (!scratch || !(await serviceAvailable('redis', redisUrl))) return null;
      databaseUrl = scratch.url;
      dropDatabase = scratch.drop;
    }
    env = { ...env, DATABASE_URL: databaseUrl, REDIS_URL: redisUrl };
  } else {
    env = { ...env, DATABASE_URL: '', REDIS_URL: '' };
  }
  env = { ...env, ...options.env };
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'supergraph-e2e-'));
  const ports = await freePorts(SERVICES.length);
  const stack = startStack({
    dataDir,
    env,
    output: process.env.E2E_OUTPUT === 'inherit' ? 'inherit' : 'ignore',
    logFile: options.logFile,
    ports: Object.fromEntries(SERVICES.map((s, i) => [s.name, ports[i]])),
    log: () => undefined,
  });
  await stack.waitUntilReady(options.readyTimeoutMs ?? 180_000);
  const jwtSecret = new TextEncoder().encode(loadOrCreateLocalSecrets(dataDir).jwtSecret);
  const tokens = new Map<string, string>();
  const tokenFor = async (role: string, customerId?: string) => {
    const key = `${role}:${customerId ?? ''}`;
    if (!tokens.has(key)) {
      const token = await new SignJWT({ role, ...(customerId ? { customer_id: customerId } : {}) })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(`e2e-${role}`)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(jwtSecret);
      tokens.set(key, token);
    }
    return tokens.get(key)!;
  };
  return {
    ...stack,
    kind,
    async gql(query, variables, options = {}) {
      const response = await fetch(stack.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await tokenFor(options.role ?? 'admin', options.customerId)}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as GqlResponse<any>;
      return { status: response.status, data: body.data ?? undefined, errors: body.errors };
    },
    async counter(service, name, labels = {}) {
      const text = await (await fetch(`${stack.urls[service]}/metrics`)).text();
      let total = 0;
      for (const line of text.split('\n')) {
        if (!line.startsWith(name)) continue;
        const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+([0-9.eE+-]+)$/.exec(line);
        if (!match || match[1] !== name) continue;
        const set = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
        if (Object.entries(labels).every(([k, v]) => set[k] === v)) total += Number(match[3]);
      }
      return total;
    },
    async dispose() {
      await stack.stop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
      await dropDatabase();
    },
  };
}
