import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { InMemoryCrmConnector } from '../../../connectors/crm/test-support/in-memory-crm.connector';
import { InMemoryErpConnector } from '../../../connectors/erp/test-support/in-memory-erp.connector';
import { ConnectorFaults } from '../../../connectors/test-support/connector-faults';
import type PgBoss from 'pg-boss';
import type { Database } from '../../../platform/db';
import { createLogger } from '../../../platform/logger';
import { migrate } from '../../../platform/migrate';
import { DATABASE_KINDS, openTestDatabase } from '../../../test-support/databases';
import { describeOn } from '../../../test-support/services';
import { startJobQueue } from '../flows/engine/job-queue';
import { CustomerLinkRepository } from '../links/customer-link.repository';
import { CustomerLinker } from '../links/customer-linker';
import type { IntegrationCrm, IntegrationErp } from '../ports';
import { CustomerSync, customerSyncQueue } from './customer-sync';
import { OwnWriteGate } from './own-write-gate';

/** Waits until `read` gives something truthy, or fails after `timeoutMs`. */
async function until<T>(read: () => Promise<T> | T, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describeOn(DATABASE_KINDS, 'the customer sync after a crash, on %s', (kind) => {
  let db: Database;
  let dispose: () => Promise<void> = async () => {};
  const logger = createLogger('sync-resume-test', 'silent');

  beforeAll(async () => {
    const opened = await openTestDatabase(kind, 'integration');
    if (!opened) {
      console.log(`skipping the sync crash test on ${kind}: no server reachable`);
      return;
    }
    ({ db, dispose } = opened);
    await migrate(db, path.resolve(__dirname, '../migrations'));
  }, 60_000);

  afterAll(() => dispose());

  /** One integration process's sync: its own job queue client and worker over the shared database. */
  async function startProcess(erp: IntegrationErp, crm: IntegrationCrm): Promise<{ sync: CustomerSync; boss: PgBoss }> {
    // Jobs of a dead worker expire after a second and are looked for every second.
    const boss = await startJobQueue(db!, logger, { queues: [customerSyncQueue({ expireInSeconds: 1 })], maintenanceIntervalSeconds: 1 });
    const sync = new CustomerSync({ db: db!, erp, crm, logger, boss, gate: new OwnWriteGate(), linker: new CustomerLinker({ db: db!, erp, crm, logger, retryMs: 1 }), ready: () => true });
    await sync.startWorker();
    return { sync, boss };
  }

  it('finishes the sync of a change whose worker died mid-write: one ERP customer, linked both ways', async () => {
    const erp = new InMemoryErpConnector();
    const crm = new InMemoryCrmConnector();
    // The first process dies while the ERP is creating the customer: the call never answers.
    const dying = new ConnectorFaults('erp');
    dying.hangNext('createCustomer');
    const first = await startProcess(dying.wrap(erp), crm);
    await first.sync.pollOnce();
    const account = await crm.createAccount({ name: 'Absturz Maschinen AG', email: 'info@absturz.example', country: 'DE' });
    await first.sync.onEvent({ eventId: randomUUID(), source: 'crm', entity: 'account', entityId: account.id, version: account.version, action: 'created', occurredAt: account.updatedAt });
    await until(() => dying.callsOf('createCustomer').length > 0);
    // The crash: the queue client goes away with the job taken and unfinished.
    await first.boss.stop({ graceful: false, close: false, wait: false });

    const restarted = await startProcess(erp, crm);
    try {
      const erpCustomer = (await until(() => [...erp.customers.values()].find((c) => c.externalRef === account.id)))!;
      await restarted.sync.idle();
      expect(erp.customers.size).toBe(1);
      expect(erpCustomer).toMatchObject({ name: 'Absturz Maschinen AG', email: 'info@absturz.example', country: 'DE' });
      expect(crm.accounts.get(account.id)!.erpCustomerNo).toBe(erpCustomer.customerNo);
      const [link] = await new CustomerLinkRepository(db).findByCrmAccountIds([account.id]);
      expect(link).toMatchObject({ erpCustomerNo: erpCustomer.customerNo, syncState: 'IN_SYNC' });
    } finally {
      await restarted.sync.stop();
      await restarted.boss.stop({ graceful: false, close: false, wait: true });
    }
  }, 90_000);
});
