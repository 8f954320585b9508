import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { loadOrCreateLocalSecrets } from '../platform/secrets';
import type { RunningStack } from '../scripts/stack';
import { freePorts } from '../platform/free-ports';

/** One result a live client received, with the event id the gateway put in its extensions. */
export interface LiveResult {
  eventId: string | null;
  data?: any;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
  receivedAt: number;
  occurredAt?: string;
}

/** A running subscription of a real client: what it received so far, and how to stop it. */
export interface LiveCollector {
  results: LiveResult[];
  /** Resolves when `done` holds for the results (checked on every result), rejects after `timeoutMs`. */
  until(done: (results: LiveResult[]) => boolean, timeoutMs?: number): Promise<LiveResult[]>;
  /** Resolves when the server completed the stream (or it failed); the error, if any. */
  ended: Promise<unknown>;
  dispose(): void;
}

/** Signs a token as `npm run token` does, with the stack's local secret. */
export async function signToken(dataDir: string, claims: { role: string; sub?: string; customerId?: string; expiresIn?: string | number }): Promise<string> {
  const key = new TextEncoder().encode(loadOrCreateLocalSecrets(dataDir).jwtSecret);
  return new SignJWT({ role: claims.role, ...(claims.customerId ? { customer_id: claims.customerId } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub ?? `live-${claims.role}`)
    .setIssuedAt()
    .setExpirationTime(claims.expiresIn ?? '1h')
    .sign(key);
}

function collector(start: (push: (result: Omit<LiveResult, 'receivedAt' | 'eventId' | 'occurredAt'> & { extensions?: any }) => void, end: (error?: unknown) => void) => () => void): LiveCollector {
  const results: LiveResult[] = [];
  const watchers = new Set<() => void>();
  let endResolve!: (error: unknown) => void;
  const ended = new Promise<unknown>((resolve) => (endResolve = resolve));
  const stop = start(
    (result) => {
      const liveEvent = result.extensions?.liveEvent;
      results.push({ eventId: liveEvent?.id ?? null, occurredAt: liveEvent?.occurredAt, data: result.data, errors: result.errors, receivedAt: Date.now() });
      for (const watch of watchers) watch();
    },
    (error) => {
      endResolve(error);
      for (const watch of watchers) watch();
    },
  );
  return {
    results,
    ended,
    until(done, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (done(results)) {
            watchers.delete(check);
            clearTimeout(timer);
            resolve(results);
          }
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`live results did not arrive in ${timeoutMs} ms; got ${JSON.stringify(results.slice(-5))}`));
        }, timeoutMs);
        watchers.add(check);
        check();
      });
    },
    dispose: stop,
  };
}

/** Subscribes with the graphql-sse client (distinct connections mode), resuming after `lastEventId` when given. */
export function sseSubscribe(url: string, token: string, query: string, variables: Record<string, unknown> = {}, lastEventId?: string): LiveCollector {
  const client = createSseClient({
    url,
    headers: () => ({ authorization: `Bearer ${token}`, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) }),
    retryAttempts: 0,
  });
  return collector((push, end) => {
    const unsubscribe = client.subscribe({ query, variables }, { next: (result) => push(result as never), error: (error) => end(error ?? new Error('stream failed')), complete: () => end() });
    return () => {
      unsubscribe();
      client.dispose();
    };
  });
}

/** Subscribes with the graphql-ws client over a WebSocket, resuming after `lastEventId` when given. */
export function wsSubscribe(url: string, token: string, query: string, variables: Record<string, unknown> = {}, lastEventId?: string): LiveCollector {
  const client = createWsClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}`, ...(lastEventId ? { lastEventId } : {}) },
    retryAttempts: 0,
    lazy: true,
  });
  return collector((push, end) => {
    const unsubscribe = client.subscribe({ query, variables }, { next: (result) => push(result as never), error: (error) => end(error ?? new Error('stream failed')), complete: () => end() });
    return () => {
      unsubscribe();
      void client.dispose();
    };
  });
}

/** A second gateway process against the same subgraphs and bus as `stack`'s. */
export async function startSecondGateway(stack: RunningStack, env: NodeJS.ProcessEnv = {}): Promise<{ graphqlUrl: string; stop(): Promise<void> }> {
  const [port] = await freePorts(1);
  const secrets = loadOrCreateLocalSecrets(stack.dataDir);
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'test',
    RATE_LIMIT_PER_MINUTE: '0',
    ...env,
    PORT: String(port),
    DATA_DIR: stack.dataDir,
    INTERNAL_SECRET: secrets.internalSecret,
    JWT_SECRET: secrets.jwtSecret,
    ERP_SUBGRAPH_URL: `${stack.urls['erp-subgraph']}/graphql`,
    CRM_SUBGRAPH_URL: `${stack.urls['crm-subgraph']}/graphql`,
    INTEGRATION_SUBGRAPH_URL: `${stack.urls.integration}/graphql`,
  };
  for (const [key, value] of Object.entries(childEnv)) if (value === '') delete childEnv[key];
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.resolve(__dirname, '../gateway/main.ts')], { env: childEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000;
  while (!(await fetch(`${base}/ready`).then((r) => r.ok, () => false))) {
    if (child.exitCode !== null) throw new Error(`the second gateway exited with code ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`the second gateway did not become ready: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    graphqlUrl: `${base}/graphql`,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
