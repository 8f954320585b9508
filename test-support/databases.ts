import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { type Database, openDatabase } from '../platform/db';
import { SERVICE_URLS, assertReachable } from './services';

/** The PostgreSQL server tests use when it is reachable (CI always). */
export const POSTGRES_URL = SERVICE_URLS.postgres;

/** Creates a database on the test PostgreSQL server (empty, or a copy of `template`) and returns its URL and a dropper. */
export async function createScratchPostgres(template?: string): Promise<{ url: string; drop: () => Promise<void> }> {
  assertReachable('postgres');
  const name = `t_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
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
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
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
