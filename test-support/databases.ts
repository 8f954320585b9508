import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { type Database, openDatabase } from '../platform/db';
import { TRYTON_TEST_TEMPLATE_DB } from '../scripts/tryton/tryton-names';
import { databaseExists, trytonSettings } from '../scripts/tryton/tryton-setup';
import { SERVICE_URLS, assertReachable } from './services';

/** The PostgreSQL server tests use when it is reachable (CI always). */
export const POSTGRES_URL = SERVICE_URLS.postgres;

/**
 * Creates a database on the test PostgreSQL server, or on `server` (a PostgreSQL URL), empty or a
 * copy of `template`, and returns its name, its URL and a dropper.
 */
export async function createScratchPostgres(template?: string, server = POSTGRES_URL): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  if (server === POSTGRES_URL) assertReachable('postgres');
  const name = `t_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  try {
    // Copying a template fails while another session is still connected to it; that is brief.
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
        break;
      } catch (error) {
        if (!template || attempt >= 20 || !/being accessed by other users/.test(String(error))) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  } finally {
    await admin.end();
  }
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: server });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** The database kinds a contract suite runs against: PGlite always, PostgreSQL when reachable. */
export const DATABASE_KINDS = ['pglite', 'postgres'] as const;

/** Opens a fresh database of a kind for one suite (guard PostgreSQL suites with describeOn). */
export async function openTestDatabase(kind: (typeof DATABASE_KINDS)[number], service: string): Promise<{ db: Database; dispose: () => Promise<void> }> {
  if (kind === 'pglite') {
    const db = await openDatabase({ service });
    return { db, dispose: () => db.close() };
  }
  const scratch = await createScratchPostgres();
  const db = await openDatabase({ service, databaseUrl: scratch.url, poolSize: 4 });
  return {
    db,
    async dispose() {
      await db.close();
      await scratch.drop();
    },
  };
}

/**
 * A fresh copy of the Tryton test template (`npm run tryton:prepare` builds it) on Tryton's
 * PostgreSQL server, for one suite or one stack.
 */
export async function copyTrytonTestTemplate(): Promise<{ database: string; drop: () => Promise<void> }> {
  const settings = trytonSettings();
  if (!(await databaseExists(settings, TRYTON_TEST_TEMPLATE_DB))) {
    throw new Error(`the Tryton test template ${TRYTON_TEST_TEMPLATE_DB} does not exist: build it with \`npm run tryton:prepare\``);
  }
  const server = new URL(settings.databaseUri.replace(/^postgresql:/, 'postgres:'));
  server.pathname = '/postgres';
  const copy = await createScratchPostgres(TRYTON_TEST_TEMPLATE_DB, server.toString());
  return { database: copy.name, drop: copy.drop };
}
