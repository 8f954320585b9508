import PgBoss from 'pg-boss';
import type { Database, Queryable } from '../../../../platform/db';
import type { Logger } from '../../../../platform/logger';

/** The pg-boss schema, beside the service's own tables (same PGlite or PostgreSQL database). */
export const JOB_SCHEMA = 'pgboss';

/** pg-boss's executor over one of our transactions, so a job commits with the rows it belongs to. */
export function jobExecutor(tx: Queryable): PgBoss.Db {
  return { executeSql: (text, values) => tx.query(text, values) as Promise<{ rows: any[] }> };
}

/** A queue and how its jobs are kept: a name alone is a plain queue without retries (flows retry by themselves). */
export type JobQueueDefinition = string | (PgBoss.Queue & { name: string });

/**
 * Starts pg-boss on the service's own database through its `db` option, the same way on PGlite
 * and PostgreSQL: statements without parameters (its migrations send several at once) go through
 * the multi-statement path, the others as parameterised queries. `maintenanceIntervalSeconds`
 * (default pg-boss's) bounds how long a job of a dead worker stays taken after it expired.
 */
export async function startJobQueue(db: Database, logger: Logger, options: { queues: readonly JobQueueDefinition[]; maintenanceIntervalSeconds?: number }): Promise<PgBoss> {
  const boss = new PgBoss({
    db: {
      executeSql: (text: string, values?: unknown[]) =>
        (values && values.length > 0 ? db.query(text, values) : db.execResult(text)) as Promise<{ rows: any[] }>,
    },
    schema: JOB_SCHEMA,
    migrate: true,
    supervise: true,
    schedule: false,
    ...(options.maintenanceIntervalSeconds ? { maintenanceIntervalSeconds: options.maintenanceIntervalSeconds } : {}),
  });
  boss.on('error', (error) => logger.warn({ err: error }, 'job queue error'));
  await boss.start();
  // Instances starting together on one PostgreSQL database deadlock in pg-boss's createQueue
  // (each inserts its queues and their partitions); they take turns instead.
  await db.exclusive('job-queues', async () => {
    for (const queue of options.queues) {
      const definition = typeof queue === 'string' ? { name: queue, retryLimit: 0, expireInSeconds: 300 } : queue;
      await boss.createQueue(definition.name, definition);
    }
  });
  return boss;
}
