import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Database } from '../../../../platform/db';
import { migrate } from '../../../../platform/migrate';
import { DATABASE_KINDS, openTestDatabase } from '../../../../test-support/databases';
import { describeOn } from '../../../../test-support/services';
import { FlowRunRepository } from './flow-run.repository';

describeOn(DATABASE_KINDS, 'flow runs on %s', (kind) => {
  let db: Database;
  let dispose: () => Promise<void> = async () => {};

  beforeAll(async () => {
    const opened = await openTestDatabase(kind, 'integration');
    ({ db, dispose } = opened);
    await migrate(db, path.resolve(__dirname, '../../migrations'));
  }, 60_000);

  afterAll(() => dispose());

  const newRun = (n: number) => ({
    id: randomUUID(),
    flow: 'paging-test',
    idempotencyKey: `paging-${n}`,
    requestHash: 'h',
    customerId: 'crm:paging',
    opportunityId: null,
    input: {},
    requestId: null,
    steps: ['only'],
  });

  it('pages through runs started within the same millisecond without repeating or skipping one', async () => {
    // Inserted in one transaction: they share its start time, to the microsecond.
    await db.transaction(async (tx) => {
      for (let n = 0; n < 40; n++) await FlowRunRepository.insert(tx, newRun(n));
    });
    const repo = new FlowRunRepository(db);
    const seen: string[] = [];
    let after: { startedAt: string; id: string } | undefined;
    // Bounded: a cursor that repeats rows would otherwise page forever.
    for (let pages = 0; pages < 20; pages++) {
      const page = await repo.page({ after, limit: 7 });
      seen.push(...page.map((r) => r.id));
      if (page.length < 7) break;
      after = { startedAt: page[page.length - 1].startedAt, id: page[page.length - 1].id };
    }

    expect(seen).toHaveLength(40);
    expect(new Set(seen).size).toBe(40);
  });

  it('wakes a waiting run only for a version of the awaited record newer than the one its step saw', async () => {
    const run = newRun(100);
    await FlowRunRepository.insert(db, run);
    const repo = new FlowRunRepository(db);
    expect(await repo.acquireLease(run.id, 'worker-1', 30_000)).not.toBeNull();
    const status = await repo.finishStep(run.id, 'worker-1', 1, { status: 'WAITING' }, [
      { entity: 'shipment', entityId: 'SH-1', seenVersion: 1 },
      { entity: 'invoice', entityId: 'INV-1' },
    ], { status: 'WAITING' }, true);
    expect(status).toBe('WAITING');

    // The step's own "created" event (version 1) and a late redelivery tell it nothing new.
    expect(await repo.waitingOn([{ entity: 'shipment', entityId: 'SH-1', version: 1 }])).toEqual([]);
    expect(await repo.waitingOn([{ entity: 'shipment', entityId: 'SH-1', version: 2 }])).toEqual([run.id]);
    // Without a seen version every event wakes it; other records never do.
    expect(await repo.waitingOn([{ entity: 'invoice', entityId: 'INV-1', version: 1 }])).toEqual([run.id]);
    expect(await repo.waitingOn([{ entity: 'shipment', entityId: 'SH-2', version: 9 }])).toEqual([]);
    // Two matching changes in one batch wake the run once.
    expect(await repo.waitingOn([{ entity: 'shipment', entityId: 'SH-1', version: 3 }, { entity: 'invoice', entityId: 'INV-1', version: 2 }])).toEqual([run.id]);

    // A look again that still waits records the newer version it saw.
    expect(await repo.acquireLease(run.id, 'worker-1', 30_000)).not.toBeNull();
    await repo.finishStep(run.id, 'worker-1', 1, { status: 'WAITING' }, [{ entity: 'shipment', entityId: 'SH-1', seenVersion: 3 }], { status: 'WAITING' }, true);
    expect(await repo.waitingOn([{ entity: 'shipment', entityId: 'SH-1', version: 3 }])).toEqual([]);
    expect(await repo.waitingOn([{ entity: 'invoice', entityId: 'INV-1', version: 5 }])).toEqual([]);
  });
});
