import PgBoss from 'pg-boss';
import type { Database, Queryable } from '../../../../platform/db';
import type { Logger } from '../../../../platform/logger';

/** The pg-boss schema, beside the service's own tables (same PGlite or PostgreSQL database). */
export const JOB_SCHEMA = 'pgboss';

/** pg-boss's executor over one of our transactions, so a job commits with the rows it belongs to. */
export function jobExecutor(tx: Queryable): PgBoss.Db {
  return { executeSql: (text, values) => tx.query(text, values) as Promise<{ rows: any[] }> };
}

/**
 * Starts pg-boss on the service's own database through its `db` option, the same way on PGlite
 * and PostgreSQL: statements without parameters (its migrations send several at once) go through
 * the multi-statement path, the others as parameterised queries.
 */
export async function startJobQueue(db: Database, logger: Logger, options: { queues: string[] }): Promise<PgBoss> {
  const boss = new PgBoss({
    db: {
      executeSql: (text: string, values?: unknown[]) =>
        (values && values.length > 0 ? db.query(text, values) : db.execResult(text)) as Promise<{ rows: any[] }>,
    },
    schema: JOB_SCHEMA,
    migrate: true,
    supervise: true,
    schedule: false,
  });
  boss.on('error', (error) => logger.warn({ err: error }, 'job queue error'));
  await boss.start();
  for (const name of options.queues) await boss.createQueue(name, { name, retryLimit: 0, expireInSeconds: 300 });
  return boss;
}
