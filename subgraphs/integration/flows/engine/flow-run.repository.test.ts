import { copyFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Database } from '../../../../platform/db';
import { migrate } from '../../../../platform/migrate';
import { DATABASE_KINDS, openTestDatabase } from '../../../../test-support/databases';
import { describeOn } from '../../../../test-support/services';
import { FlowRefTaken, FlowRunRepository } from './flow-run.repository';

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
    input: {},
    requestId: null,
    traceParent: null,
    steps: ['only'],
    refs: [],
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
    ], { status: 'WAITING' }, { release: true });
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
    await repo.finishStep(run.id, 'worker-1', 1, { status: 'WAITING' }, [{ entity: 'shipment', entityId: 'SH-1', seenVersion: 3 }], { status: 'WAITING' }, { release: true });
    expect(await repo.waitingOn([{ entity: 'shipment', entityId: 'SH-1', version: 3 }])).toEqual([]);
    expect(await repo.waitingOn([{ entity: 'invoice', entityId: 'INV-1', version: 5 }])).toEqual([]);
  });

  it('keeps a RETRYING run and step so through an attempt, wakes it for its backend, and turns it COMPENSATING when a cancel came meanwhile', async () => {
    const repo = new FlowRunRepository(db);
    const inAMinute = new Date(Date.now() + 60_000).toISOString();
    const retry = { cause: 'UPSTREAM_UNAVAILABLE', system: 'erp', since: new Date().toISOString(), until: new Date(Date.now() + 3_600_000).toISOString(), nextAttemptAt: inAMinute };
    const run = newRun(300);
    await FlowRunRepository.insert(db, run);
    expect(await repo.acquireLease(run.id, 'worker-1', 30_000)).not.toBeNull();
    expect(await repo.beginStep(run.id, 'worker-1', 1, 30_000)).toEqual({ attempts: 1 });
    await repo.setStep(run.id, 1, 'RETRYING', { error: 'attempt 1 failed: UPSTREAM_UNAVAILABLE: erp is unavailable' });
    expect(await repo.update(run.id, 'worker-1', { status: 'RETRYING', retry }, { release: true })).toBe('RETRYING');
    expect((await repo.findByIds([run.id]))[0]).toMatchObject({ status: 'RETRYING', retry });
    expect(await repo.retryingSystems()).toContain('erp');
    expect(await repo.countWaitingByCause()).toContainEqual({ status: 'RETRYING', cause: 'UPSTREAM_UNAVAILABLE', n: 1 });

    // Another backend's return wakes nothing; the ERP's claims the run once, for now.
    expect(await repo.claimRetrying('crm', 30_000)).toEqual([]);
    expect(await repo.claimRetrying('erp', 30_000)).toEqual([run.id]);
    expect(await repo.claimRetrying('erp', 30_000)).toEqual([]);

    // The next attempt leaves both RETRYING, with the last failure, until it succeeds.
    const leased = await repo.acquireLease(run.id, 'worker-2', 30_000);
    expect(leased?.run.retry).toMatchObject({ cause: 'UPSTREAM_UNAVAILABLE', system: 'erp' });
    expect(await repo.beginStep(run.id, 'worker-2', 1, 30_000)).toEqual({ attempts: 2 });
    expect((await repo.findByIds([run.id]))[0].status).toBe('RETRYING');
    expect((await repo.stepsOf([run.id]))[0]).toMatchObject({ status: 'RETRYING', attempts: 2, error: expect.stringContaining('attempt 1 failed') });

    // A cancel while the attempt runs: writing RETRYING again ends COMPENSATING, without a retry.
    await FlowRunRepository.requestCancel(db, run.id, 'changed their mind');
    expect(await repo.update(run.id, 'worker-2', { status: 'RETRYING', retry }, { release: true })).toBe('COMPENSATING');
    expect((await repo.findByIds([run.id]))[0]).toMatchObject({ status: 'COMPENSATING', phase: 'compensating', retry: null });
  });

  it('finds runs by the ids their flow declares, refuses a second run with a unique one and records one a step adds', async () => {
    const repo = new FlowRunRepository(db);
    const first = { ...newRun(200), flow: 'refs-test', refs: [{ name: 'opportunity', value: 'opp-1', unique: true }] };
    await db.transaction((tx) => FlowRunRepository.insert(tx, first));
    const second = { ...newRun(201), flow: 'refs-test', refs: [{ name: 'opportunity', value: 'opp-1', unique: true }] };
    await expect(db.transaction((tx) => FlowRunRepository.insert(tx, second))).rejects.toBeInstanceOf(FlowRefTaken);
    // The refused run left nothing behind.
    expect(await repo.findByKey('refs-test', second.idempotencyKey)).toBeNull();

    expect(await repo.acquireLease(first.id, 'worker-1', 30_000)).not.toBeNull();
    await repo.finishStep(first.id, 'worker-1', 1, { status: 'DONE' }, [], { status: 'RUNNING', refs: [{ name: 'salesOrder', value: 'SO-1', unique: false }] }, { release: true });
    const [bySalesOrder] = await repo.findByRef('refs-test', 'salesOrder', ['SO-1']);
    expect(bySalesOrder).toMatchObject({ id: first.id, refs: { opportunity: 'opp-1', salesOrder: 'SO-1' } });
    expect((await repo.findByRef('refs-test', 'opportunity', ['opp-1'])).map((r) => r.id)).toEqual([first.id]);
    // Another flow's ids are its own.
    expect(await repo.findByRef('another-flow', 'salesOrder', ['SO-1'])).toEqual([]);
  });
});

describeOn(DATABASE_KINDS, 'flow runs started before their ids moved out of flow_runs, on %s', (kind) => {
  let db: Database;
  let dispose: () => Promise<void> = async () => {};
  const migrations = path.resolve(__dirname, '../../migrations');

  beforeAll(async () => {
    const opened = await openTestDatabase(kind, 'integration');
    if (!opened) {
      console.log(`skipping the flow-run-refs migration on ${kind}: no server reachable`);
      return;
    }
    ({ db, dispose } = opened);
  }, 60_000);

  afterAll(() => dispose());

  it('keeps finding an order flow by its opportunity and sales order, and its customer in its state', async () => {
    // The schema as it was before the move: every migration up to 008.
    const before = mkdtempSync(path.join(tmpdir(), 'migrations-'));
    for (const file of readdirSync(migrations).filter((f) => f < '009')) copyFileSync(path.join(migrations, file), path.join(before, file));
    await migrate(db, before);
    const id = randomUUID();
    await db.query(
      `INSERT INTO flow_runs (id, flow, idempotency_key, request_hash, status, customer_id, opportunity_id, sales_order_id, input, state)
       VALUES ($1, 'order-to-cash', 'old-key', 'h', 'WAITING', 'crm:old', 'opp-old', 'SO-old', '{"customerId":"crm:old"}', '{"customerNo":"K-1"}')`,
      [id],
    );
    await migrate(db, migrations);

    const repo = new FlowRunRepository(db);
    const [run] = await repo.findByIds([id]);
    expect(run).toMatchObject({ status: 'WAITING', refs: { opportunity: 'opp-old', salesOrder: 'SO-old' }, state: { customerNo: 'K-1', customerId: 'crm:old' } });
    expect((await repo.findByRef('order-to-cash', 'salesOrder', ['SO-old'])).map((r) => r.id)).toEqual([id]);
    // The opportunity stays taken by its run.
    const again = { id: randomUUID(), flow: 'order-to-cash', idempotencyKey: 'new-key', requestHash: 'h', input: {}, requestId: null, traceParent: null, steps: ['only'], refs: [{ name: 'opportunity', value: 'opp-old', unique: true }] };
    await expect(db.transaction((tx) => FlowRunRepository.insert(tx, again))).rejects.toBeInstanceOf(FlowRefTaken);
  });
});
