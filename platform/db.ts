import { mkdirSync } from 'node:fs';
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

async function openPostgres(url: string, service: string, poolSize: number): Promise<Database> {
  const schema = service.replace(/[^a-z0-9_]/gi, '_');
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
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
    close: () => pool.end(),
  };
}

/** How often an embedded database refreshes its planner statistics. */
const PGLITE_ANALYZE_INTERVAL_MS = 5 * 60_000;

async function openPglite(options: DatabaseOptions): Promise<Database> {
  let dataDir: string | undefined;
  if (options.dataDir) {
    dataDir = path.resolve(options.dataDir, options.service);
    mkdirSync(dataDir, { recursive: true });
  }
  const db = await PGlite.create(dataDir ? { dataDir } : {});
  // PGlite runs one statement at a time; transactions are serialised through this chain so that
  // a plain query never slips into another caller's open transaction.
  let queue: Promise<unknown> = Promise.resolve();
  const serialise = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };
  const normalise = <Row>(result: { rows: Row[] }): QueryResult<Row> => ({ rows: result.rows });
  // PGlite has no autovacuum, so nothing gathers planner statistics: without them a page of a large
  // list is planned as a scan and sort of every row. Analyze now and then (it samples, so it is quick).
  const analyze = setInterval(() => void serialise(() => db.exec('ANALYZE')).catch(() => undefined), PGLITE_ANALYZE_INTERVAL_MS);
  analyze.unref();
  return {
    kind: 'pglite',
    query: (text, params) => serialise(async () => normalise(await db.query(text, params as unknown[]))) as never,
    exec: (sql) => serialise(async () => void (await db.exec(sql))),
    execResult: (sql) =>
      serialise(async () => {
        const results = await db.exec(sql);
        return { rows: (results[results.length - 1]?.rows ?? []) as never[] };
      }),
    transaction: (fn) =>
      serialise(() => db.transaction((tx) => fn({ query: async (text, params) => normalise(await tx.query(text, params as unknown[])) as never }))),
    close: () => {
      clearInterval(analyze);
      return serialise(() => db.close());
    },
  };
}
