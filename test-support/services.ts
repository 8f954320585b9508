import { spawnSync } from 'node:child_process';

/** Servers that some suites need beside the embedded defaults. */
export type TestService = 'postgres' | 'redis';

/** Where the tests find each server. */
export const SERVICE_URLS: Record<TestService, string> = {
  postgres: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  redis: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
};

/** The storage a contract suite runs on, and the servers each one needs. */
export type Backing = 'pglite' | 'memory' | 'postgres' | 'redis';
export const BACKING_NEEDS: Record<Backing, TestService[]> = { pglite: [], memory: [], postgres: ['postgres'], redis: ['redis'] };

/** Set by the jest global setup (one probe per run) and read by every worker. */
const REACHABLE_ENV = 'TEST_SERVICES_REACHABLE';

/** Probes every server once (a TCP connect, 1 s at most each); the answer is kept in the environment. */
export function reachableServices(): Record<TestService, boolean> {
  const known = process.env[REACHABLE_ENV];
  if (known) return JSON.parse(known) as Record<TestService, boolean>;
  // describe() collects synchronously, so the asynchronous probe runs in a child process.
  const probe = `
    const net = require('node:net');
    const urls = ${JSON.stringify(SERVICE_URLS)};
    const check = (url) => new Promise((resolve) => {
      const { hostname, port } = new URL(url);
      const socket = net.connect({ host: hostname, port: Number(port) }, () => { socket.end(); resolve(true); });
      socket.setTimeout(1000, () => { socket.destroy(); resolve(false); });
      socket.on('error', () => resolve(false));
    });
    Promise.all(Object.entries(urls).map(async ([name, url]) => [name, await check(url)]))
      .then((entries) => process.stdout.write(JSON.stringify(Object.fromEntries(entries))));`;
  const result = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', timeout: 10_000 });
  const reachable = result.status === 0 ? (JSON.parse(result.stdout) as Record<TestService, boolean>) : { postgres: false, redis: false };
  process.env[REACHABLE_ENV] = JSON.stringify(reachable);
  return reachable;
}

/** The servers among `needed` that do not answer. */
export function missingServices(needed: readonly TestService[]): TestService[] {
  const reachable = reachableServices();
  return needed.filter((name) => !reachable[name]);
}

/**
 * The one way a suite that cannot run says so: locally it is skipped with a printed reason; in CI
 * (CI=true), where every server must be up, it fails with that reason instead.
 */
function unavailable(title: string, missing: TestService[]): string | undefined {
  if (missing.length === 0) return undefined;
  const reason = `${missing.map((name) => `${name} (${SERVICE_URLS[name]})`).join(' and ')} not reachable`;
  if (process.env.CI !== 'true') console.warn(`skipping "${title}": ${reason}`);
  return reason;
}

/** `describe` when every server in `needed` answers, otherwise skipped (or failed in CI) with the reason. */
export function describeNeeding(needed: readonly TestService[], title: string, body: () => void): void {
  const reason = unavailable(title, missingServices(needed));
  if (reason === undefined) describe(title, body);
  else if (process.env.CI === 'true') describe(title, () => it('has the servers it needs', () => failInCi(reason)));
  else describe.skip(title, body);
}

/** `it` when every server in `needed` answers, otherwise skipped (or failed in CI) with the reason. */
export function itNeeding(needed: readonly TestService[], title: string, body: () => Promise<void>, timeout?: number): void {
  const reason = unavailable(title, missingServices(needed));
  if (reason === undefined) it(title, body, timeout);
  else if (process.env.CI === 'true') it(title, () => failInCi(reason));
  else it.skip(title, body);
}

/** One describe per backing (its name replaces `%s` in the title), each run only where its servers answer. */
export function describeOn<K extends string>(
  kinds: readonly K[],
  title: string,
  body: (kind: K) => void,
  needs: (kind: K) => readonly TestService[] = (kind) => BACKING_NEEDS[kind as unknown as Backing] ?? [],
): void {
  for (const kind of kinds) describeNeeding(needs(kind), title.replace('%s', kind), () => body(kind));
}

function failInCi(reason: string): never {
  throw new Error(`${reason}: CI=true requires it`);
}

/** For helpers that open a server: a clear error when called for one that is absent. */
export function assertReachable(name: TestService): void {
  if (missingServices([name]).length > 0) throw new Error(`${name} at ${SERVICE_URLS[name]} is not reachable; guard the suite with describeNeeding/describeOn`);
}
