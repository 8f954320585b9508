import { listen } from '../../../platform/http-server';
import { createLogger } from '../../../platform/logger';
import { createMetrics } from '../../../platform/metrics';
import { createIntegrationSubgraph } from '../server';
import { type IntegrationHarness, TEST_WEBHOOK_SECRET, startIntegrationHarness } from '../test-support/integration-harness';
import { LinkBootstrap } from './bootstrap-links';
import { CustomerLinkRepository } from './customer-link.repository';

const CUSTOMERS = `{ customers(first: 100) { totalCount nodes { id crmAccountId erpCustomerNo name sync { inCrm inErp state lastSyncedAt } } } }`;

interface Node {
  id: string;
  crmAccountId: string | null;
  erpCustomerNo: string | null;
  name: string;
  sync: { inCrm: boolean; inErp: boolean; state: string; lastSyncedAt: string | null };
}

describe('customer link bootstrap', () => {
  let h: IntegrationHarness;

  beforeAll(async () => {
    h = await startIntegrationHarness();
  });

  beforeEach(() => h.reset());

  afterAll(() => h.close());

  it('links records by the references each system keeps, leaves one-sided records PENDING and never matches by name', async () => {
    const both = h.crm.seedAccount({ name: 'Brandt Maschinenbau' });
    const bothErp = h.erp.seedCustomer({ name: 'Brandt Maschinenbau GmbH', externalRef: both.id });
    h.crm.accounts.set(both.id, { ...both, erpCustomerNo: bothErp.customerNo });
    // Half-linked: only the CRM knows the ERP number.
    const crmSideErp = h.erp.seedCustomer({ name: 'Kessler AG' });
    const crmSide = h.crm.seedAccount({ name: 'Kessler AG', erpCustomerNo: crmSideErp.customerNo });
    // Half-linked: only the ERP knows the CRM id.
    const erpSide = h.crm.seedAccount({ name: 'Lindqvist AB' });
    const erpSideErp = h.erp.seedCustomer({ name: 'Lindqvist AB', externalRef: erpSide.id });
    const crmOnly = h.crm.seedAccount({ name: 'Nordlicht Energie' });
    const erpOnly = h.erp.seedCustomer({ name: 'Olsen Logistics' });
    // Same name, same email, no kept reference: two customers, not one.
    const twinAccount = h.crm.seedAccount({ name: 'Acme Industrial', email: 'office@acme.example', country: 'DE' });
    const twinErp = h.erp.seedCustomer({ name: 'Acme Industrial', email: 'office@acme.example', country: 'DE' });
    // A reference to a record that does not exist links nothing.
    const dangling = h.crm.seedAccount({ name: 'Phantom Trading', erpCustomerNo: 'K-99999' });

    const result = await h.subgraph.bootstrap.runOnce();
    expect(result).toEqual({ created: 8, skipped: false });

    const answer = await h.gql<{ customers: { totalCount: number; nodes: Node[] } }>(CUSTOMERS);
    expect(answer.errors).toBeUndefined();
    const byId = new Map(answer.data!.customers.nodes.map((n) => [n.id, n]));
    expect(answer.data!.customers.totalCount).toBe(8);

    const pair = byId.get(`crm:${both.id}`)!;
    expect(pair).toMatchObject({ crmAccountId: both.id, erpCustomerNo: bothErp.customerNo, name: 'Brandt Maschinenbau', sync: { inCrm: true, inErp: true, state: 'IN_SYNC' } });
    expect(pair.sync.lastSyncedAt).not.toBeNull();
    expect(byId.get(`crm:${crmSide.id}`)).toMatchObject({ erpCustomerNo: crmSideErp.customerNo, sync: { state: 'IN_SYNC' } });
    expect(byId.get(`crm:${erpSide.id}`)).toMatchObject({ erpCustomerNo: erpSideErp.customerNo, sync: { state: 'IN_SYNC' } });
    expect(byId.get(`crm:${crmOnly.id}`)).toMatchObject({ erpCustomerNo: null, sync: { inCrm: true, inErp: false, state: 'PENDING', lastSyncedAt: null } });
    expect(byId.get(`erp:${erpOnly.customerNo}`)).toMatchObject({ crmAccountId: null, name: 'Olsen Logistics', sync: { inCrm: false, inErp: true, state: 'PENDING' } });
    expect(byId.get(`crm:${twinAccount.id}`)).toMatchObject({ erpCustomerNo: null, sync: { state: 'PENDING' } });
    expect(byId.get(`erp:${twinErp.customerNo}`)).toMatchObject({ crmAccountId: null, sync: { state: 'PENDING' } });
    expect(byId.get(`crm:${dangling.id}`)).toMatchObject({ erpCustomerNo: null, sync: { state: 'PENDING' } });
  });

  it('pages through both systems and runs only once', async () => {
    for (let i = 0; i < 7; i++) {
      const account = h.crm.seedAccount({ name: `Account ${i}` });
      h.erp.seedCustomer({ name: `Customer ${i}`, externalRef: account.id });
    }
    h.erp.seedCustomer({ name: 'ERP only' });
    const bootstrap = new LinkBootstrap({ db: h.db, erp: h.connectors.erp, crm: h.connectors.crm, logger: createLogger('test', 'silent'), pageSize: 3 });

    expect(await bootstrap.runOnce()).toEqual({ created: 8, skipped: false });
    expect(h.faults.crm.callsOf('listAccounts')).toHaveLength(3);
    expect(h.faults.erp.callsOf('listCustomers')).toHaveLength(3);

    expect(await bootstrap.runOnce()).toEqual({ created: 0, skipped: true });
    expect(h.faults.crm.callsOf('listAccounts')).toHaveLength(3);
    expect(await new CustomerLinkRepository(h.db).count()).toBe(8);
  });

  it('inserting the same links again changes nothing', async () => {
    const account = h.crm.seedAccount({ name: 'Brandt' });
    h.erp.seedCustomer({ name: 'Brandt', externalRef: account.id });
    await h.subgraph.bootstrap.runOnce();
    const repository = new CustomerLinkRepository(h.db);
    const [link] = await repository.findByCrmAccountIds([account.id]);

    expect(await repository.insertMany([{ ...link, syncState: 'PENDING' }, { ...link, id: 'erp:K-10001', crmAccountId: null }])).toEqual([]);
    expect(await repository.count()).toBe(1);
  });

  it('keeps the link count exact through inserts in bulk, deletes and a reset', async () => {
    const repository = new CustomerLinkRepository(h.db);
    const links = ['a', 'b', 'c'].map((n) => ({ id: `crm:${n}`, crmAccountId: null, erpCustomerNo: `K-2000${n.charCodeAt(0)}`, syncState: 'PENDING' as const, lastSyncedAt: null }));
    expect(await repository.insertMany(links)).toHaveLength(3);
    await h.db.query('DELETE FROM customer_links WHERE id = $1', ['crm:b']);
    const counted = await h.db.query<{ n: number }>('SELECT count(*)::int AS n FROM customer_links');
    expect(await repository.count()).toBe(2);
    expect(counted.rows[0].n).toBe(2);
    await h.reset();
    expect(await repository.count()).toBe(0);
  });

  it('retries until both backends answer, healthy meanwhile and ready only once links exist', async () => {
    // A subgraph of its own, since the shared one's bootstrap may have finished in another test.
    const subgraph = await createIntegrationSubgraph({
      db: h.db,
      erp: h.connectors.erp,
      crm: h.connectors.crm,
      logger: createLogger('test', 'silent'),
      metrics: createMetrics('integration'),
      webhookSecret: TEST_WEBHOOK_SECRET,
      development: true,
      bootstrapRetryMs: 20,
    });
    const baseUrl = `http://127.0.0.1:${await listen(subgraph.app, 0)}`;
    try {
      h.crm.seedAccount({ name: 'Brandt' });
      h.faults.crm.down = true;
      subgraph.bootstrap.start();

      expect((await fetch(`${baseUrl}/health`)).status).toBe(200);
      const unready = await fetch(`${baseUrl}/ready`);
      expect(unready.status).toBe(503);
      expect(((await unready.json()) as { reason: string }).reason).toMatch(/customer links/);
      await until(() => h.faults.crm.callsOf('listAccounts').length >= 2);

      h.faults.crm.down = false;
      await until(() => subgraph.bootstrap.isDone());
      // Links alone are not enough: the sync's first poll must have taken its baseline too.
      expect((await fetch(`${baseUrl}/ready`)).status).toBe(503);
      await subgraph.sync.pollOnce();
      expect((await fetch(`${baseUrl}/ready`)).status).toBe(200);
      expect(await new CustomerLinkRepository(h.db).count()).toBe(1);
    } finally {
      await subgraph.close();
    }
  });
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
