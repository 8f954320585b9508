import type { CrmAccount } from '../../../connectors/crm/crm.connector';
import type { ErpCustomer } from '../../../connectors/erp/erp.connector';
import { type IntegrationHarness, startIntegrationHarness } from '../test-support/integration-harness';

const ENTITIES = `query ($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Customer { id crmAccountId erpCustomerNo name country sync { inCrm inErp state } } }
}`;

interface EntityCustomer {
  id: string;
  crmAccountId: string | null;
  erpCustomerNo: string | null;
  name: string;
  country: string | null;
  sync: { inCrm: boolean; inErp: boolean; state: string };
}

describe('customer resolvers', () => {
  let h: IntegrationHarness;

  beforeAll(async () => {
    h = await startIntegrationHarness();
  });

  beforeEach(() => h.reset());

  afterAll(() => h.close());

  /** `pairs` customers in both systems, linked both ways, and `erpOnly` in the ERP only. */
  async function seedLinked(pairs: number, erpOnly = 0): Promise<{ accounts: CrmAccount[]; erpCustomers: ErpCustomer[] }> {
    const accounts: CrmAccount[] = [];
    const erpCustomers: ErpCustomer[] = [];
    for (let i = 0; i < pairs; i++) {
      const account = h.crm.seedAccount({ name: `Account ${String(i).padStart(2, '0')}`, country: 'DE' });
      const erpCustomer = h.erp.seedCustomer({ name: `ERP copy ${i}`, externalRef: account.id });
      h.crm.accounts.set(account.id, { ...account, erpCustomerNo: erpCustomer.customerNo });
      accounts.push(account);
      erpCustomers.push(erpCustomer);
    }
    for (let i = 0; i < erpOnly; i++) erpCustomers.push(h.erp.seedCustomer({ name: `ERP only ${i}`, country: 'AT' }));
    await h.subgraph.bootstrap.runOnce();
    forgetCalls();
    return { accounts, erpCustomers };
  }

  function forgetCalls(): void {
    h.journal.length = 0;
    h.faults.erp.calls.length = 0;
    h.faults.crm.calls.length = 0;
    h.sql.length = 0;
  }

  const linkQueries = () => h.sql.filter((text) => text.includes('FROM customer_links'));

  describe('entity resolution', () => {
    it('resolves 50 customers by ERP number with one link query and one call per system', async () => {
      const { erpCustomers } = await seedLinked(40, 10);
      const answer = await h.gql<{ _entities: EntityCustomer[] }>(ENTITIES, {
        representations: erpCustomers.map((c) => ({ __typename: 'Customer', erpCustomerNo: c.customerNo })),
      });

      expect(answer.errors).toBeUndefined();
      const customers = answer.data!._entities;
      expect(customers).toHaveLength(50);
      // Linked customers read their master data from the CRM, which owns it; ERP-only ones from the ERP.
      expect(customers[0]).toMatchObject({ name: 'Account 00', country: 'DE', erpCustomerNo: erpCustomers[0].customerNo, sync: { inCrm: true, inErp: true, state: 'IN_SYNC' } });
      expect(customers[45]).toEqual({ id: `erp:${erpCustomers[45].customerNo}`, crmAccountId: null, erpCustomerNo: erpCustomers[45].customerNo, name: 'ERP only 5', country: 'AT', sync: { inCrm: false, inErp: true, state: 'PENDING' } });
      expect(linkQueries()).toHaveLength(1);
      expect(h.faults.crm.callsOf('getAccounts')).toHaveLength(1);
      expect(h.faults.erp.callsOf('getCustomers')).toHaveLength(1);
    });

    it('resolves 50 customers by CRM account id with one link query and one CRM call', async () => {
      const { accounts } = await seedLinked(50);
      const answer = await h.gql<{ _entities: EntityCustomer[] }>(ENTITIES, {
        representations: accounts.map((a) => ({ __typename: 'Customer', crmAccountId: a.id })),
      });

      expect(answer.errors).toBeUndefined();
      expect(answer.data!._entities.map((c) => c.id)).toEqual(accounts.map((a) => `crm:${a.id}`));
      expect(answer.data!._entities[49].name).toBe('Account 49');
      expect(linkQueries()).toHaveLength(1);
      expect(h.faults.crm.callsOf('getAccounts')).toHaveLength(1);
      expect(h.faults.erp.calls).toHaveLength(0);
    });

    it('resolves 50 customers by API id, and mixed keys in one request, with one link query', async () => {
      const { accounts, erpCustomers } = await seedLinked(50);
      const byId = await h.gql<{ _entities: EntityCustomer[] }>(ENTITIES, {
        representations: accounts.map((a) => ({ __typename: 'Customer', id: `crm:${a.id}` })),
      });
      expect(byId.data!._entities.map((c) => c.erpCustomerNo)).toEqual(erpCustomers.map((c) => c.customerNo));
      expect(linkQueries()).toHaveLength(1);

      h.sql.length = 0;
      const mixed = await h.gql<{ _entities: EntityCustomer[] }>(ENTITIES, {
        representations: [
          { __typename: 'Customer', id: `crm:${accounts[0].id}` },
          { __typename: 'Customer', crmAccountId: accounts[1].id },
          { __typename: 'Customer', erpCustomerNo: erpCustomers[2].customerNo },
        ],
      });
      expect(mixed.data!._entities.map((c) => c.name)).toEqual(['Account 00', 'Account 01', 'Account 02']);
      expect(linkQueries()).toHaveLength(1);
    });

    it('resolves an ERP customer created after the bootstrap from the ERP, as PENDING', async () => {
      await seedLinked(1);
      const late = h.erp.seedCustomer({ name: 'Late Arrival Ltd', country: 'GB' });
      const answer = await h.gql<{ _entities: EntityCustomer[] }>(ENTITIES, {
        representations: [{ __typename: 'Customer', erpCustomerNo: late.customerNo }],
      });

      expect(answer.errors).toBeUndefined();
      expect(answer.data!._entities[0]).toEqual({
        id: `erp:${late.customerNo}`,
        crmAccountId: null,
        erpCustomerNo: late.customerNo,
        name: 'Late Arrival Ltd',
        country: 'GB',
        sync: { inCrm: false, inErp: true, state: 'PENDING' },
      });
    });

    it('answers null for a null key and for a customer no system knows', async () => {
      await seedLinked(1);
      const answer = await h.gql<{ _entities: (EntityCustomer | null)[] }>(ENTITIES, {
        representations: [
          { __typename: 'Customer', erpCustomerNo: null },
          { __typename: 'Customer', erpCustomerNo: 'K-99999' },
          { __typename: 'Customer', crmAccountId: '6f1c1c1e-0000-4000-8000-000000000000' },
          { __typename: 'Customer', crmAccountId: 'not-a-uuid' },
        ],
      });

      expect(answer.errors).toBeUndefined();
      expect(answer.data!._entities).toEqual([null, null, null, null]);
    });

    it('answers master data from the ERP copy when the CRM is down', async () => {
      const { erpCustomers } = await seedLinked(2);
      h.faults.crm.down = true;
      const answer = await h.gql<{ _entities: EntityCustomer[] }>(ENTITIES, {
        representations: erpCustomers.map((c) => ({ __typename: 'Customer', erpCustomerNo: c.customerNo })),
      });

      expect(answer.errors).toBeUndefined();
      expect(answer.data!._entities.map((c) => c.name)).toEqual(['ERP copy 0', 'ERP copy 1']);
    });
  });

  describe('customer(id)', () => {
    it('finds a linked customer by its id and answers null for unknown or malformed ids', async () => {
      const { accounts, erpCustomers } = await seedLinked(1, 1);
      const query = `query ($id: ID!) { customer(id: $id) { id name sync { inErp } } }`;

      expect((await h.gql(query, { id: `crm:${accounts[0].id}` })).data).toEqual({ customer: { id: `crm:${accounts[0].id}`, name: 'Account 00', sync: { inErp: true } } });
      expect((await h.gql(query, { id: `erp:${erpCustomers[1].customerNo}` })).data).toEqual({
        customer: { id: `erp:${erpCustomers[1].customerNo}`, name: 'ERP only 0', sync: { inErp: true } },
      });
      // The ERP customer of a pair is known by the pair's CRM id, never by an "erp:" id.
      expect((await h.gql(query, { id: `erp:${erpCustomers[0].customerNo}` })).data).toEqual({ customer: null });
      expect((await h.gql(query, { id: 'crm:6f1c1c1e-0000-4000-8000-000000000000' })).data).toEqual({ customer: null });
      expect((await h.gql(query, { id: 'erp:K-99999' })).data).toEqual({ customer: null });
      expect((await h.gql(query, { id: 'nonsense' })).data).toEqual({ customer: null });
    });
  });

  describe('customers', () => {
    const PAGE = `query ($first: Int, $after: String, $search: String) {
      customers(first: $first, after: $after, search: $search) { totalCount pageInfo { hasNextPage endCursor } nodes { id name } }
    }`;
    type PageAnswer = { customers: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: { id: string; name: string }[] } };

    it('pages through every customer in id order', async () => {
      await seedLinked(3, 2);
      const seen: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 3; page++) {
        const answer: { data?: PageAnswer | null } = await h.gql<PageAnswer>(PAGE, { first: 2, after });
        const { customers } = answer.data!;
        expect(customers.totalCount).toBe(5);
        expect(customers.pageInfo.hasNextPage).toBe(page < 2);
        seen.push(...customers.nodes.map((n) => n.id));
        after = customers.pageInfo.endCursor;
      }
      expect(seen).toHaveLength(5);
      expect(seen).toEqual([...seen].sort());
      // Master data of a page costs one call per system: pages 1-2 hold CRM customers, pages 2-3 ERP-only ones.
      expect(h.faults.crm.callsOf('getAccounts')).toHaveLength(2);
      expect(h.faults.erp.callsOf('getCustomers')).toHaveLength(2);
    });

    it('refuses a page larger than 100 and a forged cursor', async () => {
      expect((await h.gql(PAGE, { first: 101 })).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
      expect((await h.gql(PAGE, { after: '***' })).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    });

    it('searches both systems and answers each customer once, linked or not', async () => {
      const acme = h.crm.seedAccount({ name: 'Acme Industrial' });
      const acmeErp = h.erp.seedCustomer({ name: 'ACME Industrial GmbH', externalRef: acme.id });
      h.crm.accounts.set(acme.id, { ...acme, erpCustomerNo: acmeErp.customerNo });
      const acmeUk = h.erp.seedCustomer({ name: 'Acme UK Ltd' });
      h.crm.seedAccount({ name: 'Brandt Maschinenbau' });
      await h.subgraph.bootstrap.runOnce();
      const lateAcme = h.crm.seedAccount({ name: 'Acme Late Entry' });
      forgetCalls();

      const answer = await h.gql<PageAnswer>(PAGE, { search: 'acme', first: 10 });

      expect(answer.errors).toBeUndefined();
      const expected = [
        { id: `crm:${acme.id}`, name: 'Acme Industrial' },
        { id: `crm:${lateAcme.id}`, name: 'Acme Late Entry' },
        { id: `erp:${acmeUk.customerNo}`, name: 'Acme UK Ltd' },
      ].sort((a, b) => (a.id < b.id ? -1 : 1));
      expect(answer.data!.customers).toEqual({ totalCount: 3, pageInfo: { hasNextPage: false, endCursor: expect.any(String) }, nodes: expected });
      // The search results carry the master data; nothing is fetched twice.
      expect(h.journal.map((c) => c.operation).sort()).toEqual(['listAccounts', 'listCustomers']);

      const firstPage = await h.gql<PageAnswer>(PAGE, { search: 'acme', first: 2 });
      expect(firstPage.data!.customers.pageInfo.hasNextPage).toBe(true);
      const secondPage = await h.gql<PageAnswer>(PAGE, { search: 'acme', first: 2, after: firstPage.data!.customers.pageInfo.endCursor });
      expect(secondPage.data!.customers.nodes).toEqual([expected[2]]);
    });
  });
});
