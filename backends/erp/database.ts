import path from 'node:path';
import type { Database } from '../../platform/db';
import { IDEMPOTENCY_TABLE_SQL } from '../../platform/idempotency';
import { migrate } from '../../platform/migrate';
import { OUTBOX_TABLE_SQL } from '../../platform/outbox';

/** Folder of the ERP's numbered SQL migrations. */
export const ERP_MIGRATIONS_DIR = path.join(__dirname, 'migrations');

/**
 * Brings the ERP database to the current schema: the platform's idempotency and outbox tables
 * (their SQL is owned by the platform and safe to re-run), then the ERP's own migrations.
 */
export async function migrateErpDatabase(db: Database): Promise<string[]> {
  await db.exec(`${IDEMPOTENCY_TABLE_SQL}\n${OUTBOX_TABLE_SQL}`);
  const applied = await migrate(db, ERP_MIGRATIONS_DIR);
  // PGlite runs no autovacuum, so without ANALYZE the planner never has statistics and guesses:
  // batch reads by customer then walk whole tables in index order instead of using their indexes.
  // Statistics are kept in the database: after the seed (which analyses what it fills) and the
  // embedded database's periodic ANALYZE, a start refreshes them only when the schema changed.
  if (db.kind === 'pglite' && applied.length > 0) await db.exec('ANALYZE');
  return applied;
}
