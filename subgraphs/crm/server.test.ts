import { InMemoryCrmConnector } from '../../connectors/crm/test-support/in-memory-crm.connector';
import { InMemoryErpConnector } from '../../connectors/erp/test-support/in-memory-erp.connector';
import { ConnectorFaults } from '../../connectors/test-support/connector-faults';
import { listen } from '../../platform/http-server';
import { createLogger } from '../../platform/logger';
import { createMetrics } from '../../platform/metrics';
import { signServiceToken } from '../../platform/service-auth';
import { erpFixture } from '../erp/test-support/erp-fixtures';
import { createCrmSubgraph, type CrmSubgraph } from './server';
import { LAST_LINKED_ACCOUNT, accountIdOf, crmFixture } from './test-support/crm-fixtures';

const SECRET = 'crm-subgraph-test-secret-0123456789';

interface GraphQLAnswer {
  data?: Record<string, any> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

let crm: InMemoryCrmConnector;
let crmFaults: ConnectorFaults;
let erpFaults: ConnectorFaults;
let subgraph: CrmSubgraph;
let baseUrl: string;

// Real HTTP on a free port: Fastify's inject pulls in an ESM-only module that jest does not transform.
beforeEach(async () => {
  crm = new InMemoryCrmConnector(crmFixture(50));
  crmFaults = new ConnectorFaults('crm');
  erpFaults = new ConnectorFaults('erp');
  const erp = new InMemoryErpConnector({ products: erpFixture(0).products });
  subgraph = await createCrmSubgraph({ crm: crmFaults.wrap(crm), erp: erpFaults.wrap(erp), logger: createLogger('crm-subgraph', 'silent'), metrics: createMetrics('crm-subgraph'), internalSecret: SECRET, development: true });
  baseUrl = `http://127.0.0.1:${await listen(subgraph.app, 0)}`;
});

afterEach(async () => {
  await subgraph.close();
});

async function graphql(query: string, variables: Record<string, unknown> = {}): Promise<GraphQLAnswer> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-service-token': signServiceToken(SECRET, 'gateway') },
    body: JSON.stringify({ query, variables }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as GraphQLAnswer;
}

const CUSTOMER_360 = `
  query ($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on Customer {
        crmAccountId
        contacts { name email title customer { crmAccountId } }
        opportunities { name stage amount { amount currency } expectedCloseDate lines { product { sku } quantity unitPrice { amount currency } } salesOrder { id } }
        activities(last: 2) { type subject occurredAt salesOrder { id } }
        cases { subject status priority salesOrder { id } }
      }
    }
  }`;

function customerRepresentations(count: number): { __typename: 'Customer'; crmAccountId: string }[] {
  return Array.from({ length: count }, (_, i) => ({ __typename: 'Customer', crmAccountId: accountIdOf(i + 1) }));
}

const CREATE_OPPORTUNITY = `
  mutation ($input: CreateOpportunityInput!) {
    createOpportunity(input: $input) {
      name stage expectedCloseDate customer { crmAccountId }
      amount { amount currency }
      lines { product { sku } quantity unitPrice { amount currency } }
    }
  }`;

describe('CRM subgraph: customers', () => {
  it('answers 50 customer references with one backend call per list type', async () => {
    const answer = await graphql(CUSTOMER_360, { representations: customerRepresentations(50) });

    expect(answer.errors).toBeUndefined();
    expect(answer.data?._entities).toHaveLength(50);
    expect(crmFaults.callCounts()).toEqual({
      listContactsByAccounts: 1,
      listOpportunitiesByAccounts: 1,
      listActivitiesByAccounts: 1,
      listCasesByAccounts: 1,
    });
    expect(erpFaults.calls.length).toBe(0);
  });

  it('shows contacts, opportunities with exact money, the newest activities and cases', async () => {
    const answer = await graphql(CUSTOMER_360, { representations: customerRepresentations(1) });
    const accountId = accountIdOf(1);

    expect(answer.data?._entities[0]).toEqual({
      crmAccountId: accountId,
      contacts: [
        { name: 'Contact 1.1', email: 'c1@customer1.example', title: 'Purchasing', customer: { crmAccountId: accountId } },
        { name: 'Contact 1.2', email: 'c2@customer1.example', title: null, customer: { crmAccountId: accountId } },
      ],
      opportunities: [
        {
          name: 'Gear units for customer 1',
          stage: 'PROPOSAL',
          amount: { amount: '1234.50', currency: 'EUR' },
          expectedCloseDate: '2026-06-30',
          lines: [{ product: { sku: 'P-200' }, quantity: 1, unitPrice: { amount: '1234.50', currency: 'EUR' } }],
          salesOrder: null,
        },
        {
          name: 'Pumps for customer 1',
          stage: 'CLOSED_WON',
          amount: { amount: '39.80', currency: 'EUR' },
          expectedCloseDate: null,
          lines: [{ product: { sku: 'P-100' }, quantity: 2, unitPrice: { amount: '19.90', currency: 'EUR' } }],
          salesOrder: { id: 'SO-100011' },
        },
      ],
      activities: [
        { type: 'SYSTEM', subject: 'Order SO-100011 shipped', occurredAt: '2026-02-03T09:00:00.000Z', salesOrder: { id: 'SO-100011' } },
        { type: 'CALL', subject: 'Call 2', occurredAt: '2026-02-02T09:00:00.000Z', salesOrder: null },
      ],
      cases: [{ subject: 'Pump leaks', status: 'OPEN', priority: 'HIGH', salesOrder: { id: 'SO-100011' } }],
    });
  });

  it('answers a customer that exists only in the ERP with empty lists', async () => {
    const answer = await graphql(CUSTOMER_360, { representations: [{ __typename: 'Customer', crmAccountId: null }] });
    expect(answer.errors).toBeUndefined();
    expect(answer.data?._entities).toEqual([{ crmAccountId: null, contacts: [], opportunities: [], activities: [], cases: [] }]);
    expect(crmFaults.calls.length).toBe(0);
  });

  it('filters opportunities by stage and cases by status', async () => {
    const answer = await graphql(
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { opportunities(stage: CLOSED_WON) { name } cases(status: CLOSED) { id } } } }`,
      { r: customerRepresentations(1) },
    );
    expect(answer.data?._entities).toEqual([{ opportunities: [{ name: 'Pumps for customer 1' }], cases: [] }]);
  });

  it('refuses more than 100 activities with BAD_USER_INPUT on last', async () => {
    const answer = await graphql(`query ($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { activities(last: 101) { id } } } }`, {
      r: customerRepresentations(1),
    });
    expect(answer.errors?.[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'last' });
  });

  it('tells which opportunity an ERP sales order came from', async () => {
    const answer = await graphql(`query ($r: [_Any!]!) { _entities(representations: $r) { ... on SalesOrder { id opportunity { name stage } } } }`, {
      r: [
        { __typename: 'SalesOrder', id: 'SO-100021' },
        { __typename: 'SalesOrder', id: 'SO-999999' },
      ],
    });
    expect(answer.data?._entities).toEqual([
      { id: 'SO-100021', opportunity: { name: 'Pumps for customer 2', stage: 'CLOSED_WON' } },
      { id: 'SO-999999', opportunity: null },
    ]);
    expect(crmFaults.callsOf('findOpportunitiesBySalesOrders')).toHaveLength(1);
  });
});

describe('CRM subgraph: queries', () => {
  it('pages through opportunities with cursors and a total count', async () => {
    const query = `query ($after: String) { opportunities(first: 40, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } totalCount } }`;
    const first = (await graphql(query)).data?.opportunities;
    expect(first.nodes).toHaveLength(40);
    expect(first.totalCount).toBe(100);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = (await graphql(query, { after: first.pageInfo.endCursor })).data?.opportunities;
    const third = (await graphql(query, { after: second.pageInfo.endCursor })).data?.opportunities;
    expect(third.nodes).toHaveLength(20);
    expect(third.pageInfo).toEqual({ hasNextPage: false, endCursor: null });
    const ids = new Set([...first.nodes, ...second.nodes, ...third.nodes].map((o: { id: string }) => o.id));
    expect(ids.size).toBe(100);
  });

  it('refuses a page larger than 100 with BAD_USER_INPUT on first', async () => {
    const answer = await graphql(`{ opportunities(first: 101) { totalCount } }`);
    expect(answer.errors?.[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'first' });
    expect(crmFaults.calls.length).toBe(0);
  });

  it('lists the opportunities of a customer given by its CRM or its ERP id', async () => {
    const query = `query ($c: ID) { opportunities(customerId: $c) { nodes { name customer { crmAccountId } } totalCount } }`;
    const byCrm = (await graphql(query, { c: `crm:${accountIdOf(3)}` })).data?.opportunities;
    expect(byCrm).toEqual({
      nodes: [
        { name: 'Gear units for customer 3', customer: { crmAccountId: accountIdOf(3) } },
        { name: 'Pumps for customer 3', customer: { crmAccountId: accountIdOf(3) } },
      ],
      totalCount: 2,
    });
    const byErp = (await graphql(query, { c: 'erp:K-10003' })).data?.opportunities;
    expect(byErp).toEqual(byCrm);
    expect(crmFaults.callsOf('findAccountsByErpCustomerNos')).toHaveLength(1);
  });

  it('answers an empty list for an ERP customer without CRM account, and BAD_USER_INPUT for a malformed id', async () => {
    const query = `query ($c: ID) { opportunities(customerId: $c) { nodes { id } totalCount } }`;
    expect((await graphql(query, { c: 'erp:K-99999' })).data?.opportunities).toEqual({ nodes: [], totalCount: 0 });
    const malformed = await graphql(query, { c: 'crm:not-a-uuid' });
    expect(malformed.errors?.[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'customerId' });
  });

  it('returns null for an opportunity that does not exist', async () => {
    const answer = await graphql(`{ opportunity(id: "e0000009-0000-4000-8000-000000000000") { id } }`);
    expect(answer).toEqual({ data: { opportunity: null } });
  });

  it('reports an unreachable CRM on the affected field and keeps the rest of the answer', async () => {
    crmFaults.failNext('getOpportunities', { times: Infinity });
    const answer = await graphql(`{ opportunity(id: "e0000001-0000-4000-8000-000000000001") { id } opportunities(first: 1) { totalCount } }`);
    expect(answer.data).toEqual({ opportunity: null, opportunities: { totalCount: 100 } });
    expect(answer.errors).toHaveLength(1);
    expect(answer.errors?.[0].path).toEqual(['opportunity']);
    expect(answer.errors?.[0].extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
  });
});

describe('CRM subgraph: mutations', () => {
  it('creates an opportunity priced from the ERP catalogue for a customer given by its ERP id', async () => {
    const answer = await graphql(CREATE_OPPORTUNITY, {
      input: {
        customerId: 'erp:K-10002',
        name: '  Spring refit ',
        expectedCloseDate: '2026-09-30',
        lines: [
          { sku: 'P-100', quantity: 3 },
          { sku: 'P-300', quantity: 10 },
        ],
      },
    });
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.createOpportunity).toEqual({
      name: 'Spring refit',
      stage: 'PROSPECTING',
      expectedCloseDate: '2026-09-30',
      customer: { crmAccountId: accountIdOf(2) },
      // 3 × 19.90 + 10 × 0.10
      amount: { amount: '60.70', currency: 'EUR' },
      lines: [
        { product: { sku: 'P-100' }, quantity: 3, unitPrice: { amount: '19.90', currency: 'EUR' } },
        { product: { sku: 'P-300' }, quantity: 10, unitPrice: { amount: '0.10', currency: 'EUR' } },
      ],
    });
    expect(erpFaults.callsOf('getProducts')).toHaveLength(1);
  });

  it.each([
    ['no lines', { lines: [] }, 'input.lines'],
    ['a zero quantity', { lines: [{ sku: 'P-100', quantity: 0 }] }, 'input.lines[0].quantity'],
    ['a quantity above a million', { lines: [{ sku: 'P-100', quantity: 1_000_001 }] }, 'input.lines[0].quantity'],
    ['the same sku twice', { lines: [{ sku: 'P-100', quantity: 1 }, { sku: 'P-100', quantity: 2 }] }, 'input.lines[1].sku'],
    ['a blank name', { name: '   ' }, 'input.name'],
    ['a name over 200 characters', { name: 'x'.repeat(201) }, 'input.name'],
    ['an impossible close date', { expectedCloseDate: '2026-02-30' }, 'input.expectedCloseDate'],
  ])('refuses an opportunity with %s, naming the field', async (_case, change, field) => {
    const input = { customerId: `crm:${accountIdOf(1)}`, name: 'Refit', lines: [{ sku: 'P-100', quantity: 1 }], ...change };
    const answer = await graphql(CREATE_OPPORTUNITY, { input });
    expect(answer.errors?.[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field });
    expect(crmFaults.callsOf('createOpportunity')).toHaveLength(0);
  });

  it('refuses an opportunity for a product the ERP does not sell, naming the sku', async () => {
    const answer = await graphql(CREATE_OPPORTUNITY, {
      input: { customerId: `crm:${accountIdOf(1)}`, name: 'Refit', lines: [{ sku: 'P-100', quantity: 1 }, { sku: 'P-999', quantity: 1 }] },
    });
    expect(answer.errors?.[0].message).toBe('unknown product sku P-999');
    expect(answer.errors?.[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.lines[1].sku' });
  });

  it('answers NOT_FOUND for a customer without CRM account and BAD_USER_INPUT for a malformed id', async () => {
    const unknown = await graphql(CREATE_OPPORTUNITY, { input: { customerId: 'erp:K-99999', name: 'Refit', lines: [{ sku: 'P-100', quantity: 1 }] } });
    expect(unknown.errors?.[0].extensions).toEqual({ code: 'NOT_FOUND', field: 'input.customerId' });
    const missingAccount = await graphql(CREATE_OPPORTUNITY, {
      input: { customerId: 'crm:c0000000-0000-4000-8000-000000009999', name: 'Refit', lines: [{ sku: 'P-100', quantity: 1 }] },
    });
    expect(missingAccount.errors?.[0].extensions).toEqual({ code: 'NOT_FOUND', field: 'input.customerId' });
    const malformed = await graphql(CREATE_OPPORTUNITY, { input: { customerId: '42', name: 'Refit', lines: [{ sku: 'P-100', quantity: 1 }] } });
    expect(malformed.errors?.[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.customerId' });
  });

  it('answers UPSTREAM_UNAVAILABLE and writes nothing when the ERP catalogue is down', async () => {
    erpFaults.failNext('getProducts', { times: Infinity });
    const answer = await graphql(CREATE_OPPORTUNITY, { input: { customerId: `crm:${accountIdOf(1)}`, name: 'Refit', lines: [{ sku: 'P-100', quantity: 1 }] } });
    expect(answer.errors?.[0].extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(crmFaults.callsOf('createOpportunity')).toHaveLength(0);
  });

  it('moves an opportunity to another stage and answers NOT_FOUND for an unknown one', async () => {
    const moved = await graphql(`mutation { updateOpportunityStage(id: "e0000001-0000-4000-8000-000000000004", stage: NEGOTIATION) { name stage } }`);
    expect(moved.data?.updateOpportunityStage).toEqual({ name: 'Gear units for customer 4', stage: 'NEGOTIATION' });
    const unknown = await graphql(`mutation { updateOpportunityStage(id: "e0000009-0000-4000-8000-000000000000", stage: NEGOTIATION) { id } }`);
    expect(unknown.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('logs an activity with its subject trimmed and refuses the reserved SYSTEM type', async () => {
    const logged = await graphql(
      `mutation ($input: LogActivityInput!) { logActivity(input: $input) { type subject salesOrder { id } } }`,
      { input: { customerId: 'erp:K-10005', type: 'MEETING', subject: '  Plant visit ', salesOrderId: 'SO-100051' } },
    );
    expect(logged.data?.logActivity).toEqual({ type: 'MEETING', subject: 'Plant visit', salesOrder: { id: 'SO-100051' } });
    expect([...crm.activities.values()].at(-1)?.accountId).toBe(accountIdOf(5));

    const system = await graphql(`mutation ($input: LogActivityInput!) { logActivity(input: $input) { id } }`, {
      input: { customerId: 'erp:K-10005', type: 'SYSTEM', subject: 'Order shipped' },
    });
    expect(system.errors?.[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.type' });
    expect(crmFaults.callsOf('createActivity')).toHaveLength(1);
  });

  it('opens a case for a CRM-only customer', async () => {
    const accountId = accountIdOf(LAST_LINKED_ACCOUNT + 1);
    const answer = await graphql(`mutation ($input: OpenCaseInput!) { openCase(input: $input) { subject status priority salesOrder { id } } }`, {
      input: { customerId: `crm:${accountId}`, subject: 'Invoice address wrong', priority: 'LOW' },
    });
    expect(answer.data?.openCase).toEqual({ subject: 'Invoice address wrong', status: 'OPEN', priority: 'LOW', salesOrder: null });
    expect([...crm.cases.values()].at(-1)?.accountId).toBe(accountId);
  });
});

describe('CRM subgraph: service', () => {
  it('refuses /graphql without the internal credential but serves /health and /metrics', async () => {
    const refused = await fetch(`${baseUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(refused.status).toBe(401);
    expect((await fetch(`${baseUrl}/health`)).status).toBe(200);
    expect(await (await fetch(`${baseUrl}/metrics`)).text()).toContain('connector_requests_total');
  });

  it('stays ready while the CRM does not answer, and says so on /health/dependencies and in dependency_up', async () => {
    expect((await fetch(`${baseUrl}/health/dependencies`)).status).toBe(200);
    crmFaults.failNext('listAccounts', { times: Infinity });
    try {
      expect((await fetch(`${baseUrl}/ready`)).status).toBe(200);
      const down = await fetch(`${baseUrl}/health/dependencies`);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ status: 'degraded', service: 'crm-subgraph', dependencies: { crm: { up: false }, erp: { up: true } } });
      expect(await (await fetch(`${baseUrl}/metrics`)).text()).toMatch(/^dependency_up\{dependency="crm"[^}]*\} 0$/m);
    } finally {
      crmFaults.clear();
    }
  });
});
