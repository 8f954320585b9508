import { CustomerLinkRepository } from '../links/customer-link.repository';
import { type IntegrationHarness, startIntegrationHarness } from '../test-support/integration-harness';

const CREATE = `mutation ($input: CreateCustomerInput!) {
  createCustomer(input: $input) { id crmAccountId erpCustomerNo name email industry country sync { inCrm inErp state lastSyncedAt } }
}`;
const UPDATE = `mutation ($id: ID!, $input: UpdateCustomerInput!) {
  updateCustomer(id: $id, input: $input) { id name email country sync { inCrm inErp state lastSyncedAt } }
}`;

interface WrittenCustomer {
  id: string;
  crmAccountId: string | null;
  erpCustomerNo: string | null;
  name: string;
  email: string | null;
  industry: string | null;
  country: string | null;
  sync: { inCrm: boolean; inErp: boolean; state: string; lastSyncedAt: string | null };
}

const NEW_CUSTOMER = { name: '  Hansen Werkzeuge  ', email: 'einkauf@hansen.example', industry: 'Manufacturing', country: 'DK', creditLimit: '25000', paymentTerms: 'NET30' };

describe('customer writes', () => {
  let h: IntegrationHarness;

  beforeAll(async () => {
    h = await startIntegrationHarness();
  });

  beforeEach(() => h.reset());

  afterAll(() => h.close());

  const links = () => new CustomerLinkRepository(h.db);
  /** The backend writes made so far, as "system.operation". */
  const writes = () => h.journal.filter((c) => /^(create|update)/.test(c.operation)).map((c) => `${c.system}.${c.operation}`);

  describe('createCustomer', () => {
    it('creates the CRM account, then the ERP customer referring to it, then writes the ERP number back, each with its own key', async () => {
      h.operationId = 'op-1';
      const answer = await h.gql<{ createCustomer: WrittenCustomer }>(CREATE, { input: NEW_CUSTOMER });

      expect(answer.errors).toBeUndefined();
      const customer = answer.data!.createCustomer;
      const [account] = [...h.crm.accounts.values()];
      const [erpCustomer] = [...h.erp.customers.values()];
      expect(customer).toMatchObject({
        id: `crm:${account.id}`,
        crmAccountId: account.id,
        erpCustomerNo: erpCustomer.customerNo,
        name: 'Hansen Werkzeuge',
        email: 'einkauf@hansen.example',
        industry: 'Manufacturing',
        country: 'DK',
        sync: { inCrm: true, inErp: true, state: 'IN_SYNC' },
      });
      expect(customer.sync.lastSyncedAt).not.toBeNull();
      expect(h.journal).toEqual([
        { system: 'crm', operation: 'createAccount', idempotencyKey: 'integration:create-customer:op-1:crm-account' },
        // Linking the account is keyed by the account, the same key the sync and an order flow would send.
        { system: 'erp', operation: 'createCustomer', idempotencyKey: `integration:link:erp-customer:${account.id}` },
        { system: 'crm', operation: 'updateAccount', idempotencyKey: `integration:link:erp-no:${account.id}:${erpCustomer.customerNo}` },
      ]);
      expect(erpCustomer).toMatchObject({ name: 'Hansen Werkzeuge', country: 'DK', externalRef: account.id, creditLimit: '25000.00', paymentTerms: 'NET30' });
      expect(account.erpCustomerNo).toBe(erpCustomer.customerNo);
      expect(await links().count()).toBe(1);
    });

    it('retries an ERP write whose answer was lost with the same key, creating one ERP customer', async () => {
      h.faults.erp.failNext('createCustomer', { afterApply: true });
      const answer = await h.gql<{ createCustomer: WrittenCustomer }>(CREATE, { input: NEW_CUSTOMER });

      expect(answer.errors).toBeUndefined();
      expect(answer.data!.createCustomer.sync.state).toBe('IN_SYNC');
      const attempts = h.faults.erp.callsOf('createCustomer');
      expect(attempts).toHaveLength(2);
      expect(attempts[1].idempotencyKey).toBe(attempts[0].idempotencyKey);
      expect(h.erp.customers.size).toBe(1);
      expect(h.crm.accounts.size).toBe(1);
      expect(answer.data!.createCustomer.erpCustomerNo).toBe([...h.erp.customers.keys()][0]);
    });

    it('keeps the customer in the CRM with sync state ERROR when the ERP is down', async () => {
      h.faults.erp.down = true;
      const answer = await h.gql<{ createCustomer: WrittenCustomer }>(CREATE, { input: NEW_CUSTOMER });

      expect(answer.errors).toBeUndefined();
      const customer = answer.data!.createCustomer;
      expect(customer).toMatchObject({ name: 'Hansen Werkzeuge', erpCustomerNo: null, sync: { inCrm: true, inErp: false, state: 'ERROR', lastSyncedAt: null } });
      const [link] = await links().findByIds([customer.id]);
      expect(link.syncError).toMatch(/ERP customer not created/);

      const again = await h.gql<{ customer: WrittenCustomer }>(`query ($id: ID!) { customer(id: $id) { name sync { state } } }`, { id: customer.id });
      expect(again.data!.customer).toEqual({ name: 'Hansen Werkzeuge', sync: { state: 'ERROR' } });
    });

    it.each([
      ['name', { name: '   ' }],
      ['name', { name: 'x'.repeat(201) }],
      ['email', { email: 'not-an-email' }],
      ['country', { country: 'Germany' }],
      ['country', { country: 'de' }],
      ['country', { country: 'XX' }],
      ['creditLimit', { creditLimit: '-1' }],
      ['creditLimit', { creditLimit: '1e3' }],
      ['creditLimit', { creditLimit: '10.125' }],
      ['paymentTerms', { paymentTerms: 'net30' }],
      ['paymentTerms', { paymentTerms: 'NET1234' }],
    ])('refuses a bad %s (%j) naming the field and writes nothing', async (field, override) => {
      const answer = await h.gql(CREATE, { input: { ...NEW_CUSTOMER, ...override } });

      expect(answer.data).toBeNull();
      expect(answer.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(answer.errors?.[0].message).toContain(field);
      expect(h.journal).toEqual([]);
      expect(await links().count()).toBe(0);
    });
  });

  describe('updateCustomer', () => {
    async function createLinked(): Promise<WrittenCustomer> {
      const answer = await h.gql<{ createCustomer: WrittenCustomer }>(CREATE, { input: NEW_CUSTOMER });
      h.journal.length = 0;
      return answer.data!.createCustomer;
    }

    it('sends CRM-owned fields to the CRM first, then mirrors them to the ERP with the ERP-owned fields', async () => {
      const created = await createLinked();
      h.operationId = 'op-2';
      const answer = await h.gql<{ updateCustomer: WrittenCustomer }>(UPDATE, { id: created.id, input: { name: 'Hansen Tools', country: 'SE', creditLimit: '40000.50' } });

      expect(answer.errors).toBeUndefined();
      expect(answer.data!.updateCustomer).toMatchObject({ id: created.id, name: 'Hansen Tools', country: 'SE', sync: { inCrm: true, inErp: true, state: 'IN_SYNC' } });
      expect(answer.data!.updateCustomer.sync.lastSyncedAt! >= created.sync.lastSyncedAt!).toBe(true);
      expect(h.journal).toEqual([
        { system: 'crm', operation: 'updateAccount', idempotencyKey: 'integration:update-customer:op-2:crm-account' },
        { system: 'erp', operation: 'updateCustomer', idempotencyKey: 'integration:update-customer:op-2:erp-customer' },
      ]);
      const account = h.crm.accounts.get(created.crmAccountId!)!;
      const erpCustomer = h.erp.customers.get(created.erpCustomerNo!)!;
      expect(account).toMatchObject({ name: 'Hansen Tools', country: 'SE' });
      expect(account).not.toHaveProperty('creditLimit');
      expect(erpCustomer).toMatchObject({ name: 'Hansen Tools', country: 'SE', creditLimit: '40000.50', paymentTerms: 'NET30' });
    });

    it('sends credit limit and payment terms to the ERP only', async () => {
      const created = await createLinked();
      const answer = await h.gql<{ updateCustomer: WrittenCustomer }>(UPDATE, { id: created.id, input: { paymentTerms: 'NET60' } });

      expect(answer.errors).toBeUndefined();
      expect(writes()).toEqual(['erp.updateCustomer']);
      expect(h.erp.customers.get(created.erpCustomerNo!)!.paymentTerms).toBe('NET60');
    });

    it('writes every field to the ERP record of a customer that exists only in the ERP', async () => {
      const erpOnly = h.erp.seedCustomer({ name: 'Olsen Logistics' });
      await h.subgraph.bootstrap.runOnce();
      const answer = await h.gql<{ updateCustomer: WrittenCustomer }>(UPDATE, { id: `erp:${erpOnly.customerNo}`, input: { email: 'ops@olsen.example', creditLimit: '1000' } });

      expect(answer.errors).toBeUndefined();
      expect(answer.data!.updateCustomer).toMatchObject({ email: 'ops@olsen.example', sync: { inCrm: false, inErp: true, state: 'PENDING' } });
      expect(h.erp.customers.get(erpOnly.customerNo)).toMatchObject({ email: 'ops@olsen.example', creditLimit: '1000.00' });
      expect(writes()).toEqual(['erp.updateCustomer']);
    });

    it('keeps the CRM change and marks the customer ERROR when the mirror to the ERP fails', async () => {
      const created = await createLinked();
      h.faults.erp.down = true;
      const answer = await h.gql<{ updateCustomer: WrittenCustomer }>(UPDATE, { id: created.id, input: { name: 'Hansen Tools' } });

      expect(answer.errors).toBeUndefined();
      expect(answer.data!.updateCustomer).toMatchObject({ name: 'Hansen Tools', sync: { state: 'ERROR' } });
    });

    it('answers NOT_FOUND for an unknown customer and CONFLICT for an ERP field of a CRM-only customer, writing nothing', async () => {
      const notFound = await h.gql(UPDATE, { id: 'crm:6f1c1c1e-0000-4000-8000-000000000000', input: { name: 'Nobody' } });
      expect(notFound.errors?.[0].extensions?.code).toBe('NOT_FOUND');

      const crmOnly = h.crm.seedAccount({ name: 'Nordlicht Energie' });
      await h.subgraph.bootstrap.runOnce();
      h.journal.length = 0;
      const conflict = await h.gql(UPDATE, { id: `crm:${crmOnly.id}`, input: { name: 'Nordlicht', creditLimit: '500' } });
      expect(conflict.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'creditLimit' });
      expect(writes()).toEqual([]);
      expect(h.crm.accounts.get(crmOnly.id)!.name).toBe('Nordlicht Energie');
    });

    it('refuses a bad field naming it before writing anything', async () => {
      const created = await createLinked();
      const answer = await h.gql(UPDATE, { id: created.id, input: { name: 'Fine', email: 'broken@' } });

      expect(answer.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'email' });
      expect(h.journal).toEqual([]);
    });
  });
});
