import { AppError, ErrorCode } from '../../../platform/errors';
import { createLogger } from '../../../platform/logger';
import { signServiceToken } from '../../../platform/service-auth';
import { TEST_INTERNAL_SECRET, type IntegrationHarness, startIntegrationHarness } from '../test-support/integration-harness';
import { FullResync } from './full-resync';

describe('full resync', () => {
  let h: IntegrationHarness;

  beforeAll(async () => {
    h = await startIntegrationHarness();
  });
  beforeEach(() => h.reset());
  afterAll(() => h.close());

  /** Two systems that already hold data: one-sided records on both sides and a pair that disagrees. */
  const existingData = async () => {
    const crmOnly = ['Nordlicht Energie AG', 'Alpen Textil GmbH', 'Baltic Shipping AB'].map((name) => h.crm.seedAccount({ name, country: 'DE' }));
    const erpOnly = ['Olsen Logistics AS', 'Rossi Meccanica SpA'].map((name) => h.erp.seedCustomer({ name, country: 'IT', creditLimit: '10000.00' }));
    const account = h.crm.seedAccount({ name: 'Brandt Maschinenbau', email: 'office@brandt.example', country: 'DE' });
    const differing = h.erp.seedCustomer({ name: 'Brandt Maschinenbau', email: 'ap@brandt.example', country: 'DE', externalRef: account.id });
    h.crm.accounts.set(account.id, { ...account, erpCustomerNo: differing.customerNo });
    await h.subgraph.bootstrap.runOnce();
    await h.subgraph.sync.pollOnce();
    return { crmOnly, erpOnly, account, differing };
  };

  it('onboards both directions, corrects owner-wins with the difference recorded, and writes nothing when run again', async () => {
    const { crmOnly, erpOnly, account, differing } = await existingData();
    // The live sync leaves what existed before alone: the poll after the baseline changed nothing.
    expect(h.erp.customers.size).toBe(3);

    const token = signServiceToken(TEST_INTERNAL_SECRET, 'cli');
    const started = await fetch(`${h.baseUrl}/admin/resync`, { method: 'POST', headers: { 'x-service-token': token } });
    expect(started.status).toBe(202);
    await h.subgraph.resync.settled();
    const status = (await (await fetch(`${h.baseUrl}/admin/resync/status`, { headers: { 'x-service-token': token } })).json()) as { run: any };
    expect(status.run).toMatchObject({ status: 'COMPLETED', phase: 'done', processed: 10, total: 10, summary: { 'created-in-erp': 3, 'created-in-crm': 2, conflict: 1, unchanged: 4 } });

    for (const a of crmOnly) expect([...h.erp.customers.values()].filter((c) => c.externalRef === a.id)).toHaveLength(1);
    for (const c of erpOnly) expect(h.crm.accounts.get(h.erp.customers.get(c.customerNo)!.externalRef!)!.erpCustomerNo).toBe(c.customerNo);
    expect(h.erp.customers.get(differing.customerNo)!.email).toBe('office@brandt.example');
    const { data } = await h.gql<{ customer: { sync: { state: string } } }>(`query ($id: ID!) { customer(id: $id) { sync { state } } }`, { id: `crm:${account.id}` });
    expect(data!.customer.sync.state).toBe('CONFLICT');

    const writes = h.journal.length;
    await h.subgraph.resync.start();
    await h.subgraph.resync.settled();
    expect((await h.subgraph.resync.latest())!.summary).toEqual({ unchanged: 12 });
    expect(h.journal.slice(writes).filter((c) => /^(create|update)/.test(c.operation))).toEqual([]);
    expect((await fetch(`${h.baseUrl}/admin/resync`, { method: 'POST' })).status).toBe(401);
  });

  it('resumes an interrupted run from its last committed page', async () => {
    await existingData();
    let listCalls = 0;
    const afters: (string | null | undefined)[] = [];
    const crm = {
      listAccounts: (params: Parameters<typeof h.connectors.crm.listAccounts>[0]) => {
        listCalls++;
        afters.push(params.after);
        // The count, the first page, then the CRM goes away.
        if (listCalls === 3) return Promise.reject(new AppError(ErrorCode.UPSTREAM_UNAVAILABLE, 'crm is unreachable'));
        return h.connectors.crm.listAccounts(params);
      },
    };
    const resync = new FullResync({ db: h.db, erp: h.connectors.erp, crm, sync: h.subgraph.sync, logger: createLogger('test', 'silent'), pageSize: 2 });
    await resync.start();
    await resync.settled();
    expect(await resync.latest()).toMatchObject({ status: 'FAILED', phase: 'crm', processed: 2, error: 'UPSTREAM_UNAVAILABLE: crm is unreachable' });
    const firstPageEnd = afters[2];
    expect(firstPageEnd).toEqual(expect.any(String));

    await resync.start();
    await resync.settled();
    expect(afters[3]).toBe(firstPageEnd);
    expect(await resync.latest()).toMatchObject({ status: 'COMPLETED', processed: 10 });
    expect(h.erp.customers.size).toBe(6);
    expect(h.crm.accounts.size).toBe(6);
  });
});
