import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { freePorts } from '../platform/free-ports';
import { loadOrCreateLocalSecrets } from '../platform/secrets';
import { SERVICES, type ServiceName } from '../scripts/services';
import { type RunningStack, startStack } from '../scripts/stack';
import pg from 'pg';
import { POSTGRES_URL, copyTrytonTestTemplate, createScratchPostgres } from './databases';
import { SERVICE_URLS, type TestService, assertReachable } from './services';

/** Which storage a test stack runs on. */
export type StackKind = 'pglite' | 'postgres';

/** The servers a stack of each kind needs (for describeOn). */
export const STACK_NEEDS = (kind: StackKind): TestService[] => (kind === 'postgres' ? ['postgres', 'redis'] : []);

/** A whole stack on free ports and a private data folder (and database), for one suite. */
export interface TestStack extends RunningStack {
  kind: StackKind;
  /** Sends a GraphQL request to the gateway as a user of `role`. */
  gql<T = any>(query: string, variables?: Record<string, unknown>, options?: { role?: string; customerId?: string; /** Token subject; default `e2e-<role>`. */ sub?: string }): Promise<GqlResponse<T>>;
  /** Reads one counter's total from a service's /metrics, summed over label sets matching `labels`. */
  counter(service: ServiceName, name: string, labels?: Record<string, string>): Promise<number>;
  /** With the `tryton` ERP: where its trytond serves the stack's own Tryton database. */
  tryton?: { url: string; database: string };
  /** Stops everything and deletes the data folder and database. */
  dispose(): Promise<void>;
}

/** A GraphQL answer as a client sees it. */
export interface GqlResponse<T> {
  status: number;
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

/** Starts a stack of `kind` (guard PostgreSQL suites with describeOn and STACK_NEEDS). */
export async function startTestStack(
  kind: StackKind,
  options: {
    dataDir?: string;
    databaseUrl?: string;
    /** Capture every service's output here. */ logFile?: string;
    /** Extra environment (e.g. LOG_LEVEL). */ env?: NodeJS.ProcessEnv;
    /** Told of each service that exits and is restarted; default silent. */ log?: (line: string) => void;
    /** How long every service may take to be ready; default 180 s. */ readyTimeoutMs?: number;
    /** Seed this stack itself instead of starting from a copy of the run's seeded template. */ fresh?: boolean;
    /**
     * The ERP behind the stack: the reference backend (default) or Tryton on its own copy of the
     * Tryton test template (guard such suites with describeTryton). A Tryton stack's CRM starts
     * empty: the template's customers get their accounts through the sync.
     */
    erp?: 'reference' | 'tryton';
    /** Fixed ports per service instead of free ones (a balanced service's balancer listens on its port). */
    ports?: Partial<Record<ServiceName, number>>;
    /** Scale-out: instances per service behind load balancers (see startStack). */
    instances?: Partial<Record<ServiceName, number>>;
    /** With `instances`: the port of each instance. */
    instancePort?: (name: ServiceName, index: number) => number;
    /** Only these services (see startStack). */
    services?: readonly ServiceName[];
  } = {},
): Promise<TestStack> {
  // Suites drive many requests through a few tokens; the rate limit has its own tests (gateway/).
  let env: NodeJS.ProcessEnv = { LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn', NODE_ENV: 'test', RATE_LIMIT_PER_MINUTE: '0', ...options.env };
  let dropDatabase = async () => {};
  let dropTryton = async () => {};
  let trytonTarget: TestStack['tryton'];
  const tryton = options.erp === 'tryton';
  // The run's seeded template holds the reference ERP's data: a Tryton stack seeds its own CRM.
  const template = tryton || options.fresh || options.dataDir || options.databaseUrl ? undefined : await seededTemplate(kind);
  if (tryton) {
    const copy = await copyTrytonTestTemplate();
    dropTryton = copy.drop;
    const [trytonPort] = await freePorts(1);
    // The CRM's demo accounts name customers the template does not hold: the sync would create each in Tryton.
    env = { ...env, ERP: 'tryton', TRYTON_DB: copy.database, TRYTON_PORT: String(trytonPort), TRYTON_URL: '', SEED: 'false' };
    trytonTarget = { url: `http://127.0.0.1:${trytonPort}`, database: copy.database };
  }
  if (kind === 'postgres') {
    assertReachable('redis');
    const redisUrl = SERVICE_URLS.redis;
    let databaseUrl = options.databaseUrl;
    if (!databaseUrl) {
      const scratch = await createScratchPostgres(template?.database);
      databaseUrl = scratch.url;
      dropDatabase = scratch.drop;
    }
    env = { ...env, DATABASE_URL: databaseUrl, REDIS_URL: redisUrl };
  } else {
    env = { ...env, DATABASE_URL: '', REDIS_URL: '' };
  }
  env = { ...env, ...options.env };
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'supergraph-e2e-'));
  // The data folder holds the secrets and, on PGlite, every database: a copy is a seeded stack.
  if (template) cpSync(template.dataDir, dataDir, { recursive: true });
  const ports = await freePorts(SERVICES.length);
  const stack = startStack({
    dataDir,
    env,
    output: process.env.E2E_OUTPUT === 'inherit' ? 'inherit' : 'ignore',
    logFile: options.logFile,
    ports: { ...Object.fromEntries(SERVICES.map((s, i) => [s.name, ports[i]])), ...options.ports },
    instances: options.instances,
    instancePort: options.instancePort,
    services: options.services,
    log: options.log ?? (() => undefined),
  });
  try {
    await stack.waitUntilReady(options.readyTimeoutMs ?? 180_000);
  } catch (error) {
    // A stack that never got ready would otherwise outlive the suite, six processes strong.
    await stack.stop();
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    await dropDatabase();
    await dropTryton();
    throw error;
  }
  const jwtSecret = new TextEncoder().encode(loadOrCreateLocalSecrets(dataDir).jwtSecret);
  const tokens = new Map<string, string>();
  const tokenFor = async (role: string, customerId?: string, sub = `e2e-${role}`) => {
    const key = `${role}:${customerId ?? ''}:${sub}`;
    if (!tokens.has(key)) {
      const token = await new SignJWT({ role, ...(customerId ? { customer_id: customerId } : {}) })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(sub)
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
    tryton: trytonTarget,
    async gql(query, variables, options = {}) {
      const response = await fetch(stack.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await tokenFor(options.role ?? 'admin', options.customerId, options.sub)}` },
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
      await dropTryton();
    },
  };
}

/** The seeded starting point of every stack of one kind in this jest run. */
interface SeedTemplate {
  /** A stopped stack's data folder (secrets, and every PGlite database). */
  dataDir: string;
  /** On PostgreSQL: the database to copy with CREATE DATABASE … TEMPLATE. */
  database?: string;
}

/** The services whose first start leaves the seeded data (every database is theirs). */
const SEEDING_SERVICES: readonly ServiceName[] = ['erp-backend', 'crm-backend', 'integration'];

/** Environment key of the folder the jest global setup makes for this run's templates. */
export const TEMPLATE_DIR_ENV = 'TEST_STACK_TEMPLATES';

/**
 * Seeds a stack of `kind` once per jest run and keeps it stopped as a template: the first suite
 * to ask builds it while the others wait on a lock folder, and each stack then starts from a copy
 * instead of seeding the demo data again. Outside a jest run with the global setup, undefined.
 */
async function seededTemplate(kind: StackKind): Promise<SeedTemplate | undefined> {
  const root = process.env[TEMPLATE_DIR_ENV];
  if (!root) return undefined;
  const ready = path.join(root, `${kind}.json`);
  const lock = path.join(root, `${kind}.lock`);
  for (;;) {
    if (existsSync(ready)) return JSON.parse(readFileSync(ready, 'utf8')) as SeedTemplate;
    try {
      mkdirSync(lock);
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    const dataDir = path.join(root, kind);
    mkdirSync(dataDir, { recursive: true });
    let database: string | undefined;
    let databaseUrl: string | undefined;
    if (kind === 'postgres') {
      database = `t_template_${path.basename(root).replace(/[^a-z0-9]/gi, '').toLowerCase()}`;
      await withAdmin((admin) => admin.query(`CREATE DATABASE ${database}`));
      const url = new URL(POSTGRES_URL);
      url.pathname = `/${database}`;
      databaseUrl = url.toString();
    }
    // The backends seed their demo data and the integration links it at their first start; the
    // subgraphs and the gateway hold no data, so they are not started for it.
    const seeding = await startTestStack(kind, { dataDir, databaseUrl, fresh: true, services: SEEDING_SERVICES });
    await seeding.dispose();
    const template: SeedTemplate = { dataDir, database };
    writeFileSync(ready, JSON.stringify(template));
    return template;
  } finally {
    rmdirSync(lock);
  }
}

/** Removes this run's templates (jest global teardown). */
export async function removeSeedTemplates(root: string): Promise<void> {
  const postgres = path.join(root, 'postgres.json');
  if (existsSync(postgres)) {
    const { database } = JSON.parse(readFileSync(postgres, 'utf8')) as SeedTemplate;
    await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
  }
  rmSync(root, { recursive: true, force: true });
}

async function withAdmin<T>(work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}
