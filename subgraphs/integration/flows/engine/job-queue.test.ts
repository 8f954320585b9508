import { DATABASE_KINDS, createScratchPostgres, openTestDatabase } from '../../../../test-support/databases';
import { describeOn } from '../../../../test-support/services';
import { type Database, openDatabase } from '../../../../platform/db';
import { createLogger } from '../../../../platform/logger';
import { JOB_SCHEMA, jobExecutor, startJobQueue } from './job-queue';

describeOn(DATABASE_KINDS, 'the job queue on %s', (kind) => {
  let db: Database;
  let dispose: () => Promise<void> = async () => {};

  beforeAll(async () => {
    const opened = await openTestDatabase(kind, 'integration');
    db = opened.db;
    dispose = opened.dispose;
    await db.exec('CREATE TABLE orders_seen (id text PRIMARY KEY)');
  }, 60_000);

  afterAll(() => dispose());

  it('commits a job with the rows of its transaction and drops it when the transaction rolls back', async () => {
    const boss = await startJobQueue(db, createLogger('test', 'silent'), { queues: ['test-queue'] });
    try {
      await db.transaction(async (tx) => {
        await tx.query(`INSERT INTO orders_seen VALUES ('kept')`);
        await boss.send('test-queue', { order: 'kept' }, { db: jobExecutor(tx) });
      });
      await db
        .transaction(async (tx) => {
          await tx.query(`INSERT INTO orders_seen VALUES ('dropped')`);
          await boss.send('test-queue', { order: 'dropped' }, { db: jobExecutor(tx) });
          throw new Error('the order was refused');
        })
        .catch(() => undefined);

      const jobs = await boss.fetch<{ order: string }>('test-queue', { batchSize: 10 });
      expect(jobs.map((j) => j.data.order)).toEqual(['kept']);
      expect((await db.query('SELECT id FROM orders_seen')).rows).toEqual([{ id: 'kept' }]);
    } finally {
      await boss.stop({ graceful: false, close: false, wait: true });
    }
  }, 60_000);

  it('starts again on an installed schema without migrating twice', async () => {
    const boss = await startJobQueue(db, createLogger('test', 'silent'), { queues: ['test-queue'] });
    expect(await boss.getQueue('test-queue')).toMatchObject({ name: 'test-queue' });
    await boss.stop({ graceful: false, close: false, wait: true });
  }, 60_000);
});

// Two integration instances starting together on one fresh database, as `npm run scale` starts them.
describeOn(['postgres'] as const, 'the job queues of two instances starting together on %s', () => {
  it('are created once, without a deadlock between the instances', async () => {
    const scratch = await createScratchPostgres();
    const instances = await Promise.all([0, 1].map(() => openDatabase({ service: 'integration', databaseUrl: scratch.url, poolSize: 4 })));
    const queues = ['customer-sync', 'flow-order-to-cash', 'flow-order-to-cash-retry', 'partner-webhooks'];
    try {
      // Several rounds: a deadlock between the two needs their statements to interleave.
      for (let round = 0; round < 3; round++) {
        const started = await Promise.allSettled(instances.map((db) => startJobQueue(db, createLogger('test', 'silent'), { queues: queues.map((name) => `${name}-${round}`) })));
        await Promise.all(started.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value.stop({ graceful: false, close: false, wait: true }) : undefined)));
        expect(started.map((outcome) => (outcome.status === 'rejected' ? String(outcome.reason) : 'started'))).toEqual(['started', 'started']);
      }
      const { rows } = await instances[0].query<{ name: string }>(`SELECT name FROM ${JOB_SCHEMA}.queue ORDER BY name`);
      expect(rows).toHaveLength(queues.length * 3);
    } finally {
      await Promise.all(instances.map((db) => db.close()));
      await scratch.drop();
    }
  }, 60_000);
});
