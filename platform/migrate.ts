import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Database } from './db';

/**
 * Applies the `NNN-name.sql` files of `folder` that have not run yet, in name order, each in its
 * own transaction, and records them in `schema_migrations`. Instances starting together on one
 * PostgreSQL database take turns through an advisory lock: the first applies what is pending, the
 * others then find nothing left to do.
 */
export async function migrate(db: Database, folder: string): Promise<string[]> {
  return db.exclusive('schema_migrations', async () => {
    await db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const done = new Set((await db.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name));
    const pending = readdirSync(folder)
      .filter((f) => f.endsWith('.sql') && !done.has(f))
      .sort();
    for (const name of pending) {
      const sql = readFileSync(path.join(folder, name), 'utf8');
      // exec takes several statements; it runs in one implicit transaction on both drivers.
      await db.exec(`BEGIN;\n${sql}\n;INSERT INTO schema_migrations (name) VALUES ('${name.replace(/'/g, "''")}');\nCOMMIT;`);
    }
    return pending;
  });
}
