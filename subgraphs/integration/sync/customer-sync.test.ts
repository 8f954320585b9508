import { randomUUID } from 'node:crypto';
import type { ChangeEvent } from '../../../platform/outbox';
import { type IntegrationHarness, startIntegrationHarness } from '../test-support/integration-harness';

const CUSTOMER = `query ($id: ID!) { customer(id: $id) { id crmAccountId erpCustomerNo name sync { inCrm inErp state lastSyncedAt } } }`;
const REPORT = `mutation { runReconciliation { issues { kind field crmValue erpValue detail customer { id } } } }`;
const WRITES = new Set(['createAccount', 'updateAccount', 'createCustomer', 'updateCustomer']);

describe('customer sync', () => {
  let h: IntegrationHarness;
  let inFlight = 0;

  /** A change event as the backend's webhook would deliver it. */
  const event = (source: 'crm' | 'erp', entityId: string, version: number, occurredAt = new Date().toISOString()): ChangeEvent => ({
    eventId: randomUUID(),
    source,
    entity: source === 'crm' ? 'account' : 'customer',
    entityId,
    version,
    action: 'updated',
    occurredAt,
  });

  /** Every write to a backend delivers its webhook a moment later, as the reference backends do. */
  const relayWebhooks = () => {
    for (const [source, system] of [['crm', h.crm], ['erp', h.erp]] as const) {
      system.onChange = (change: { entityId: string; version: number; action: 'created' | 'updated' }) => {
        inFlight++;
        setTimeout(() => {
          void h.subgraph.events.publish([{ ...event(source, change.entityId, change.version), action: change.action }]).finally(() => inFlight--);
        }, 5);
      };
    }
  };

  /** Waits until every relayed webhook was handled and the sync's queue is empty. */
  const settle = async () => {
    for (let quiet = 0; quiet < 3; ) {
      await new Promise((resolve) => setTimeout(resolve, 15));
      await h.subgraph.sync.idle();
      quiet = inFlight === 0 ? quiet + 1 : 0;
    }
  };

  /** The service's first start: links built, the sync's baseline taken by its first poll. */
  const startSync = async () => {
    await h.subgraph.bootstrap.runOnce();
    await h.subgraph.sync.pollOnce();
  };

  const writesSince = (mark: number) => h.journal.slice(mark).filter((c) => WRITES.has(c.operation));
  const customer = async (id: string) => (await h.gql<{ customer: any }>(CUSTOMER, { id })).data!.customer;

  /** A CRM account and an ERP customer referring to each other, as the link bootstrap finds them. */
  const linkedPair = async (fields: { name: string; email?: string; country?: string; industry?: string }) => {
    const account = h.crm.seedAccount(fields);
    const erpCustomer = h.erp.seedCustomer({ ...fields, externalRef: account.id, creditLimit: '50000.00', paymentTerms: 'NET30' });
    h.crm.accounts.set(account.id, { ...account, erpCustomerNo: erpCustomer.customerNo });
    await startSync();
    return { account, erpCustomer, id: `crm:${account.id}` };
  };

  beforeAll(async () => {
    h = await startIntegrationHarness();
  });
  beforeEach(async () => {
    await h.reset();
    inFlight = 0;
  });
  afterAll(() => h.close());

  it('gives an account created in the CRM an ERP customer with its fields, linked both ways', async () => {
    await startSync();
    relayWebhooks();
    const account = await h.connectors.crm.createAccount({ name: 'Nordlicht Energie AG', email: 'info@nordlicht.example', industry: 'Energy', country: 'DE' });
    await settle();

    const erpCustomer = [...h.erp.customers.values()].find((c) => c.externalRef === account.id)!;
    expect(erpCustomer).toMatchObject({ name: 'Nordlicht Energie AG', email: 'info@nordlicht.example', industry: 'Energy', country: 'DE' });
    expect(h.crm.accounts.get(account.id)!.erpCustomerNo).toBe(erpCustomer.customerNo);
    expect(await customer(`crm:${account.id}`)).toMatchObject({ erpCustomerNo: erpCustomer.customerNo, sync: { inCrm: true, inErp: true, state: 'IN_SYNC' } });
    expect(h.erp.customers.size).toBe(1);
  });

  it('gives a customer created in the ERP a CRM account with its CRM fields, linked both ways', async () => {
    await startSync();
    relayWebhooks();
    const created = await h.connectors.erp.createCustomer({ name: 'Olsen Logistics AS', email: 'post@olsen.example', country: 'NO', creditLimit: '25000.00', paymentTerms: 'NET14' });
    await settle();

    const account = [...h.crm.accounts.values()].find((a) => a.erpCustomerNo === created.customerNo)!;
    expect(account).toMatchObject({ name: 'Olsen Logistics AS', email: 'post@olsen.example', country: 'NO' });
    expect(h.erp.customers.get(created.customerNo)).toMatchObject({ externalRef: account.id, creditLimit: '25000.00', paymentTerms: 'NET14' });
    expect(await customer(`erp:${created.customerNo}`)).toMatchObject({ crmAccountId: account.id, sync: { inCrm: true, inErp: true, state: 'IN_SYNC' } });
    expect(h.crm.accounts.size).toBe(1);
  });

  it('mirrors a CRM change to the ERP and leaves the ERP-owned fields alone, in one write', async () => {
    const { account, erpCustomer, id } = await linkedPair({ name: 'Brandt Maschinenbau', country: 'DE' });
    relayWebhooks();
    const mark = h.journal.length;
    await h.connectors.crm.updateAccount(account.id, { name: 'Brandt Maschinenbau GmbH', email: 'office@brandt.example' });
    await settle();

    expect(h.erp.customers.get(erpCustomer.customerNo)).toMatchObject({ name: 'Brandt Maschinenbau GmbH', email: 'office@brandt.example', creditLimit: '50000.00', paymentTerms: 'NET30' });
    // The user's write and the one mirror; the mirror's own webhook is recognised and ends there.
    expect(writesSince(mark).map((c) => `${c.system}.${c.operation}`)).toEqual(['crm.updateAccount', 'erp.updateCustomer']);
    expect(await customer(id)).toMatchObject({ name: 'Brandt Maschinenbau GmbH', sync: { state: 'IN_SYNC' } });
  });

  it('writes nothing to the CRM when the ERP changes a field it owns', async () => {
    const { erpCustomer, id } = await linkedPair({ name: 'Kessler AG', country: 'CH' });
    relayWebhooks();
    const mark = h.journal.length;
    await h.connectors.erp.updateCustomer(erpCustomer.customerNo, { creditLimit: '90000.00' });
    await settle();

    expect(writesSince(mark).map((c) => `${c.system}.${c.operation}`)).toEqual(['erp.updateCustomer']);
    expect(await customer(id)).toMatchObject({ sync: { state: 'IN_SYNC' } });
  });

  it('restores a CRM-owned field changed in the ERP, shows CONFLICT and reports it until the CRM changes again', async () => {
    const { account, erpCustomer, id } = await linkedPair({ name: 'Lindqvist AB', email: 'info@lindqvist.example', country: 'SE' });
    relayWebhooks();
    await h.connectors.erp.updateCustomer(erpCustomer.customerNo, { email: 'billing@lindqvist.example' });
    await settle();

    expect(h.erp.customers.get(erpCustomer.customerNo)!.email).toBe('info@lindqvist.example');
    expect(await customer(id)).toMatchObject({ sync: { state: 'CONFLICT' } });
    const report = (await h.gql<{ runReconciliation: { issues: any[] } }>(REPORT)).data!.runReconciliation;
    expect(report.issues).toEqual([
      expect.objectContaining({ kind: 'FIELD_MISMATCH', field: 'email', crmValue: 'info@lindqvist.example', erpValue: 'billing@lindqvist.example', customer: { id } }),
    ]);
    expect(report.issues[0].detail).toMatch(/^conflict: email was changed in the ERP/);

    await h.connectors.crm.updateAccount(account.id, { email: 'office@lindqvist.example' });
    await settle();
    expect(h.erp.customers.get(erpCustomer.customerNo)!.email).toBe('office@lindqvist.example');
    expect(await customer(id)).toMatchObject({ sync: { state: 'IN_SYNC' } });
    expect((await h.gql<{ runReconciliation: { issues: any[] } }>(REPORT)).data!.runReconciliation.issues).toEqual([]);
  });

  it('treats a late, older webhook as old news: it changes nothing', async () => {
    const { account, erpCustomer } = await linkedPair({ name: 'Acme Industrial', country: 'DE' });
    const first = await h.connectors.crm.updateAccount(account.id, { name: 'Acme Industrial GmbH' });
    const second = await h.connectors.crm.updateAccount(account.id, { name: 'Acme Industrial Group' });
    await h.subgraph.events.publish([event('crm', account.id, second.version)]);
    await h.subgraph.sync.idle();
    expect(h.erp.customers.get(erpCustomer.customerNo)!.name).toBe('Acme Industrial Group');

    const mark = h.journal.length;
    await h.subgraph.events.publish([event('crm', account.id, first.version, first.updatedAt)]);
    await h.subgraph.events.publish([event('crm', account.id, second.version)]);
    await h.subgraph.sync.idle();
    expect(h.erp.customers.get(erpCustomer.customerNo)!.name).toBe('Acme Industrial Group');
    expect(writesSince(mark)).toEqual([]);
  });

  it('catches a change whose webhook was lost with the catch-up poll', async () => {
    const { account, erpCustomer } = await linkedPair({ name: 'Phantom Trading', country: 'NL' });
    await h.connectors.crm.updateAccount(account.id, { country: 'BE' });
    expect(h.erp.customers.get(erpCustomer.customerNo)!.country).toBe('NL');

    expect(await h.subgraph.sync.pollOnce()).toEqual({ crm: 1, erp: 0 });
    await h.subgraph.sync.idle();
    expect(h.erp.customers.get(erpCustomer.customerNo)!.country).toBe('BE');
    // The next poll overlaps the last and finds nothing new, also not the mirror's own write.
    expect(await h.subgraph.sync.pollOnce()).toEqual({ crm: 0, erp: 0 });
  });

  it('does not echo the customer writes of the API: a createCustomer makes its three writes and no more', async () => {
    await startSync();
    relayWebhooks();
    const answer = await h.gql<{ createCustomer: { id: string } }>(
      `mutation { createCustomer(input: { name: "Weber Antriebe GmbH", email: "info@weber.example", country: "DE", creditLimit: "10000.00" }) { id } }`,
    );
    expect(answer.errors).toBeUndefined();
    await settle();
    expect(writesSince(0).map((c) => `${c.system}.${c.operation}`)).toEqual(['crm.createAccount', 'erp.createCustomer', 'crm.updateAccount']);
    expect(h.erp.customers.size).toBe(1);
    expect(await customer(answer.data!.createCustomer.id)).toMatchObject({ sync: { inCrm: true, inErp: true, state: 'IN_SYNC' } });

    const mark = h.journal.length;
    await h.gql(`mutation ($id: ID!) { updateCustomer(id: $id, input: { name: "Weber Antriebe AG" }) { id } }`, { id: answer.data!.createCustomer.id });
    await settle();
    expect(writesSince(mark).map((c) => `${c.system}.${c.operation}`)).toEqual(['crm.updateAccount', 'erp.updateCustomer']);
  });

  it('never merges look-alikes: two accounts of the same name each get their own ERP customer, reported as possible duplicates', async () => {
    await startSync();
    relayWebhooks();
    const older = await h.connectors.crm.createAccount({ name: 'Meyer Logistik GmbH', country: 'DE' });
    await settle();
    const newer = await h.connectors.crm.createAccount({ name: 'Meyer  Logistik GmbH', country: 'DE' });
    await settle();

    expect(h.erp.customers.size).toBe(2);
    const report = (await h.gql<{ runReconciliation: { issues: any[] } }>(REPORT)).data!.runReconciliation;
    expect(report.issues).toEqual([expect.objectContaining({ kind: 'DUPLICATE_CUSTOMER', customer: { id: `crm:${newer.id}` } })]);
    expect(report.issues[0].detail).toContain(older.id);
  });

  it('records the propagation delay of each applied change', async () => {
    const { account } = await linkedPair({ name: 'Svensson Verktyg AB', country: 'SE' });
    relayWebhooks();
    await h.connectors.crm.updateAccount(account.id, { name: 'Svensson Verktyg' });
    await settle();
    const metrics = await (await fetch(`${h.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/sync_propagation_seconds_count\{[^}]*source="crm"[^}]*\} 1/);
  });
});
