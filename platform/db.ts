import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { SpanKind, traced, tracingEnabled } from './tracing';

/** One query's result rows. */
export interface QueryResult<Row> {
  rows: Row[];
}

/** What repositories need from a database: parameterised queries and transactions. */
export interface Queryable {
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<QueryResult<Row>>;
}

/** A service's database: PGlite in the embedded default, a PostgreSQL schema otherwise. */
export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs several `;`-separated statements with no parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Like exec, but returns the rows of the last statement (job engines send migrations this way). */
  execResult<Row = Record<string, unknown>>(sql: string): Promise<QueryResult<Row>>;
  /** Runs `fn` in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * PGlite only: a count that grows whenever a statement changed rows, as far as its result tells
   * (changed rows reported, or a writing statement that returned rows; any migration-style exec).
   * An embedded database belongs to this one process, so a poller may read less often while the
   * count stands still. A data-changing CTE can change rows and report none, so a poller still
   * reads now and then. Undefined on PostgreSQL, which other processes write too.
   */
  readonly changes?: () => number;
  /**
   * Runs `fn` while this process holds the PostgreSQL advisory lock `name` (per schema), so
   * processes sharing the database run it one at a time; the lock goes with the session, so a
   * process that dies holding it frees it. `fn` queries through the pool, which therefore needs
   * two connections or more. PGlite belongs to one process: `fn` just runs.
   */
  exclusive<T>(name: string, fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Where a service's data lives. */
export interface DatabaseOptions {
  /** Service name; it names the PGlite folder and the PostgreSQL schema. */
  service: string;
  /** PostgreSQL URL; when absent the service uses PGlite. */
  databaseUrl?: string;
  /** Folder for PGlite data; when absent PGlite keeps everything in memory (tests). */
  dataDir?: string;
  /** Connection pool size for PostgreSQL. */
  poolSize?: number;
}

/**
 * A timestamp column as the ISO text JavaScript writes (UTC, milliseconds, "Z"), for JSON documents
 * the database builds. The backends' hot reads (a Customer 360's orders with lines, invoices,
 * opportunities) select each row as one document shaped like the API instead of a dozen columns:
 * PGlite decodes every column value of every row in JavaScript, and one value per row costs a
 * fraction of twelve.
 */
export function isoText(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/** A timestamp column value (a Date from both drivers, or text) as the ISO string the APIs speak. */
export function iso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

/** A nullable timestamp column value as an ISO string or null. */
export function isoOrNull(value: Date | string | null): string | null {
  return value === null ? null : iso(value);
}

/** Opens the service's database, creating its schema or folder when needed. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const db = options.databaseUrl ? await openPostgres(options.databaseUrl, options.service, options.poolSize ?? 10) : await openPglite(options);
  return tracingEnabled() ? withStatementSpans(db) : db;
}

/** Longest statement text a span carries. */
const STATEMENT_ATTRIBUTE_CHARS = 2000;

/** Each statement as a span of the active trace: the last hop of a request, with its SQL text. */
function withStatementSpans(db: Database): Database {
  const system = db.kind === 'postgres' ? 'postgresql' : 'pglite';
  const tracedQuery = (target: Queryable): Queryable['query'] => (text, params) =>
    traced(`${text.trimStart().split(/\s/, 1)[0].toUpperCase()} ${system}`, SpanKind.CLIENT, { 'db.system': system, 'db.query.text': text.slice(0, STATEMENT_ATTRIBUTE_CHARS) }, () => target.query(text, params));
  return {
    ...db,
    query: tracedQuery(db),
    transaction: (fn) => db.transaction((tx) => fn({ query: tracedQuery(tx) })),
  };
}

// pg returns numeric and bigint as strings already; keep it that way so money stays exact.
// int8 counts (count(*)) are parsed to numbers since they never approach 2^53 here.
pg.types.setTypeParser(20, (value: string) => Number(value));

/** An advisory lock's 64-bit key: a hash of the schema and the name, so each service's schema locks on its own. */
const ADVISORY_KEY = "hashtextextended(current_schema() || ':' || $1, 0)";

/** PostgreSQL's SQLSTATE for a duplicate key. */
const UNIQUE_VIOLATION = '23505';

async function openPostgres(url: string, service: string, poolSize: number): Promise<Database> {
  const schema = service.replace(/[^a-z0-9_]/gi, '_');
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } catch (error) {
    // Two instances starting together both find the schema missing; the one that loses the race
    // is told the name is taken (23505 on pg_namespace), and the schema is there all the same.
    if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
  } finally {
    await admin.end();
  }
  const pool = new pg.Pool({ connectionString: url, max: poolSize, options: `-c search_path="${schema}"` });
  pool.on('error', () => {
    // An idle client lost its connection; the pool replaces it on next use.
  });
  return {
    kind: 'postgres',
    query: (text, params) => pool.query(text, params as unknown[]) as never,
    async exec(sql) {
      await pool.query(sql);
    },
    async execResult(sql) {
      // pg answers a multi-statement text with one result per statement.
      const result = (await pool.query(sql)) as unknown as { rows: never[] } | { rows: never[] }[];
      const last = Array.isArray(result) ? result[result.length - 1] : result;
      return { rows: last?.rows ?? [] };
    },
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn({ query: (text, params) => client.query(text, params as unknown[]) as never });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async exclusive(name, fn) {
      const session = await pool.connect();
      let broken: Error | undefined;
      try {
        await session.query(`SELECT pg_advisory_lock(${ADVISORY_KEY})`, [name]);
        try {
          return await fn();
        } finally {
          await session.query(`SELECT pg_advisory_unlock(${ADVISORY_KEY})`, [name]).catch((error: Error) => (broken = error));
        }
      } finally {
        // A session that could not unlock is closed instead of pooled: closing it frees the lock.
        session.release(broken);
      }
    },
    close: () => pool.end(),
  };
}

// A statement that only reads (its rows say nothing of changes).
const READ_ONLY_STATEMENT = /^\s*SELECT\b/i;

/** How often an embedded database refreshes its planner statistics. */
const PGLITE_ANALYZE_INTERVAL_MS = 5 * 60_000;

/**
 * Where new embedded databases find the freshly initialised cluster they start from (a tar of its
 * data folder, made by the first that needs it). Tests open dozens of in-memory databases and seed
 * stacks on disk, and initdb costs six to eight seconds of CPU each while loading the copy costs
 * under one; the test runner points this at a file every worker and every stack process shares.
 * Without it, an in-memory database copies a cluster made once per process and a new folder on
 * disk runs initdb.
 */
export const PGLITE_CLUSTER_TEMPLATE_ENV = 'PGLITE_CLUSTER_TEMPLATE';

// One copy per process, shared by databases opened side by side (each would run initdb otherwise).
let clusterTemplate: Promise<Blob> | undefined;

/** Makes the shared copy at PGLITE_CLUSTER_TEMPLATE now, if it is not there yet (the test runner's setup, before its workers start). */
export async function prepareClusterTemplate(): Promise<void> {
  await freshClusterCopy();
}

function freshClusterCopy(): Promise<Blob> {
  clusterTemplate ??= makeFreshClusterCopy().catch((error: unknown) => {
    clusterTemplate = undefined;
    throw error;
  });
  return clusterTemplate;
}

/**
 * The services use the cluster's `postgres` database only, and nothing here creates databases, so
 * the copy leaves out `template0` and `template1`: 15 of initdb's 40 MB, written into memory at
 * every open.
 */
const TRIM_FRESH_CLUSTER = [
  "UPDATE pg_database SET datistemplate = false WHERE datname IN ('template0', 'template1')",
  'DROP DATABASE template0',
  'DROP DATABASE template1',
  'CHECKPOINT',
];

async function makeFreshClusterCopy(): Promise<Blob> {
  const file = process.env[PGLITE_CLUSTER_TEMPLATE_ENV];
  if (file && existsSync(file)) return new Blob([readFileSync(file)]);
  const fresh = await PGlite.create();
  for (const statement of TRIM_FRESH_CLUSTER) await fresh.query(statement);
  const copy = await fresh.dumpDataDir('none');
  await fresh.close();
  if (file) {
    // Written aside and renamed: a worker that reads it meanwhile finds the whole file or none.
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, Buffer.from(await copy.arrayBuffer()));
    renameSync(partial, file);
  }
  return copy;
}

/**
 * An in-memory database (tests, and tools that keep nothing) holds little and reads its pages
 * from memory anyway, so it gets 16 MB of shared buffers instead of initdb's 128 MB: starting
 * PostgreSQL sets up every buffer, and that was 40 % of an open's CPU (1.2 s against 0.7 s, and
 * a test run opens about sixty). Databases on disk keep the default as their page cache.
 */
const IN_MEMORY_START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

async function openPglite(options: DatabaseOptions): Promise<Database> {
  let dataDir: string | undefined;
  if (options.dataDir) {
    dataDir = path.resolve(options.dataDir, options.service);
    mkdirSync(dataDir, { recursive: true });
  }
  // A new folder on disk starts from the shared copy when there is one (copying a cluster made in
  // this process first would cost more than initdb in place).
  const startsEmpty = !dataDir || !existsSync(path.join(dataDir, 'PG_VERSION'));
  const fromCopy = startsEmpty && (!dataDir || Boolean(process.env[PGLITE_CLUSTER_TEMPLATE_ENV]));
  const db = await PGlite.create({
    ...(dataDir ? { dataDir } : { startParams: IN_MEMORY_START_PARAMS }),
    ...(fromCopy ? { loadDataDir: await freshClusterCopy() } : {}),
  });
  // PGlite runs one statement at a time; transactions are serialised through this chain so that
  // a plain query never slips into another caller's open transaction.
  let queue: Promise<unknown> = Promise.resolve();
  const serialise = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };
  let changes = 0;
  const normalise = <Row>(text: string, result: { rows: Row[]; affectedRows?: number }): QueryResult<Row> => {
    if (result.affectedRows || (result.rows.length > 0 && !READ_ONLY_STATEMENT.test(text))) changes++;
    return { rows: result.rows };
  };
  // PGlite has no autovacuum, so nothing gathers planner statistics: without them a page of a large
  // list is planned as a scan and sort of every row. Analyze now and then (it samples, so it is quick).
  const analyze = setInterval(() => void serialise(() => db.exec('ANALYZE')).catch(() => undefined), PGLITE_ANALYZE_INTERVAL_MS);
  analyze.unref();
  return {
    kind: 'pglite',
    query: (text, params) => serialise(async () => normalise(text, await db.query(text, params as unknown[]))) as never,
    exec: (sql) =>
      serialise(async () => {
        changes++;
        await db.exec(sql);
      }),
    execResult: (sql) =>
      serialise(async () => {
        changes++;
        const results = await db.exec(sql);
        return { rows: (results[results.length - 1]?.rows ?? []) as never[] };
      }),
    transaction: (fn) =>
      serialise(() => db.transaction((tx) => fn({ query: async (text, params) => normalise(text, await tx.query(text, params as unknown[])) as never }))),
    changes: () => changes,
    exclusive: (_name, fn) => fn(),
    close: () => {
      clearInterval(analyze);
      return serialise(() => db.close());
    },
  };
}
