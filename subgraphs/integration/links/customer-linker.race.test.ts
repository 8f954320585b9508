import type { ErpConnector, ErpCustomerInput } from '../../../connectors/erp/erp.connector';
import type { Database } from '../../../platform/db';
import { createLogger } from '../../../platform/logger';
import { DATABASE_KINDS, openTestDatabase } from '../../../test-support/databases';
import { describeOn } from '../../../test-support/services';
import { startJobQueue } from '../flows/engine/job-queue';
import { type OrderFlowWorld, eventually, startOrderFlowWorld } from '../flows/order-to-cash/test-support/order-flow-world';
import { CustomerSync, customerSyncQueue } from '../sync/customer-sync';
import { OwnWriteGate } from '../sync/own-write-gate';
import { CustomerLinkRepository } from './customer-link.repository';
import { CustomerLinker } from './customer-linker';

/**
 * Holds every ERP createCustomer until `writers` calls arrived (or a timeout passed), then lets
 * them all go at once: the writers have each decided that the account has no ERP customer yet.
 */
class CreateCustomerBarrier {
  readonly held: ErpCustomerInput[] = [];
  private release!: () => void;
  private readonly released = new Promise<void>((resolve) => (this.release = resolve));

  constructor(private readonly writers: number) {}

  wrap(erp: ErpConnector): ErpConnector {
    return new Proxy(erp, {
      get: (target, property, receiver) => {
        const value = Reflect.get(target, property, receiver);
        if (property !== 'createCustomer') return typeof value === 'function' ? value.bind(target) : value;
        return async (input: ErpCustomerInput, key?: string) => {
          this.held.push(input);
          // A writer that never comes must not hold the others forever.
          if (this.held.length === 1) setTimeout(() => this.release(), 20_000).unref();
          if (this.held.length >= this.writers) this.release();
          await this.released;
          return target.createCustomer(input, key);
        };
      },
    });
  }
}

const CREATE = `mutation ($input: CreateCustomerInput!) { createCustomer(input: $input) { id crmAccountId erpCustomerNo sync { state } } }`;
const PLACE = `mutation ($input: PlaceOrderInput!, $key: String!) { placeOrder(input: $input, idempotencyKey: $key) { id } }`;
const FLOW = `query ($id: ID!) { orderFlow(id: $id) { status steps { name status error } } }`;

describeOn(DATABASE_KINDS, 'linking one new account from three writers at once, integration database on %s', (kind) => {
  let world: OrderFlowWorld;
  let db: Database;
  let dispose: () => Promise<void> = async () => {};
  const barrier = new CreateCustomerBarrier(3);

  beforeAll(async () => {
    ({ db, dispose } = await openTestDatabase(kind, 'integration'));
    world = await startOrderFlowWorld({ integrationDb: db, wrapErp: (erp) => barrier.wrap(erp) });
    // The sync's baseline, so the replica below tells the new account from old data.
    await world.integration.sync.pollOnce();
  }, 180_000);

  afterAll(async () => {
    await world?.close();
    await dispose();
  }, 60_000);

  it('creates one ERP customer and one link when createCustomer, an order flow and the sync of another replica race', async () => {
    const logger = createLogger('replica', 'silent');
    // Another replica of the integration: its own job queue worker, sync and own-write gate, the same database and backends.
    const replicaErp = barrier.wrap(world.erp);
    const replicaBoss = await startJobQueue(db, logger, { queues: [customerSyncQueue()] });
    const replica = new CustomerSync({
      db,
      erp: replicaErp,
      crm: world.crm,
      logger,
      boss: replicaBoss,
      gate: new OwnWriteGate(),
      linker: new CustomerLinker({ db, erp: replicaErp, crm: world.crm, logger }),
      ready: () => true,
    });
    try {
      const created = world.gql<{ createCustomer: { id: string; crmAccountId: string; erpCustomerNo: string | null; sync: { state: string } } }>(CREATE, {
        input: { name: 'Racing Pumps GmbH', email: 'info@racing.example', country: 'DE', creditLimit: '25000', paymentTerms: 'NET30' },
      });
      // createCustomer made the account and its link and now waits at the ERP: the account is what the others race for.
      await eventually(async () => barrier.held.length, (n) => n >= 1);
      const accountId = barrier.held[0].externalRef!;
      const placed = world.gql<{ placeOrder: { id: string } }>(PLACE, { input: { customerId: `crm:${accountId}`, lines: [{ sku: 'BOLT-1', quantity: 2 }] }, key: `race-${kind}` });
      const synced = replica.syncRecord('crm', accountId);

      const [customer, flow, outcome] = await Promise.all([created, placed, synced]);
      expect(barrier.held).toHaveLength(3);
      expect(customer.errors).toBeUndefined();
      expect(flow.errors).toBeUndefined();

      const erpCustomers = await world.erp.findCustomersByExternalRefs([accountId]);
      expect(erpCustomers).toHaveLength(1);
      const [erpCustomer] = erpCustomers;
      // Whoever won, the customer has what createCustomer asked of the ERP.
      expect(erpCustomer).toMatchObject({ name: 'Racing Pumps GmbH', country: 'DE', creditLimit: '25000.00', paymentTerms: 'NET30' });
      expect(customer.data!.createCustomer).toMatchObject({ id: `crm:${accountId}`, erpCustomerNo: erpCustomer.customerNo, sync: { state: 'IN_SYNC' } });
      expect(['created-in-erp', 'unchanged', 'updated']).toContain(outcome);

      const links = await new CustomerLinkRepository(db).findByKeys({ crmAccountIds: [accountId], erpCustomerNos: [erpCustomer.customerNo] });
      expect(links).toEqual([expect.objectContaining({ id: `crm:${accountId}`, crmAccountId: accountId, erpCustomerNo: erpCustomer.customerNo })]);
      expect((await world.crm.getAccounts([accountId]))[0].erpCustomerNo).toBe(erpCustomer.customerNo);

      // The flow went on with that customer.
      const steps = await eventually(
        async () => (await world!.gql<{ orderFlow: { steps: { name: string; status: string }[] } }>(FLOW, { id: flow.data!.placeOrder.id })).data!.orderFlow.steps,
        (s) => s[0].status === 'DONE' && s[2].status === 'DONE',
        30_000,
      );
      expect(steps[0]).toMatchObject({ name: 'ensure-customer', status: 'DONE' });
      const [order] = (await world.erp.listSalesOrders({ first: 5, customerNo: erpCustomer.customerNo })).items;
      expect(order?.customerNo).toBe(erpCustomer.customerNo);
    } finally {
      await replica.stop();
      await replicaBoss.stop({ graceful: false, close: false, wait: true });
    }
  }, 120_000);
});
