import { DATABASE_KINDS, openTestDatabase } from '../../../../test-support/databases';
import { describeOn } from '../../../../test-support/services';
import type { Database } from '../../../../platform/db';
import { createLogger } from '../../../../platform/logger';
import { jobExecutor, startJobQueue } from './job-queue';

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
