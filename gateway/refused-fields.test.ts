import type { GraphQLSchema } from 'graphql';
import { apiSchemaOf } from './authorization/field-scopes';
import type { BuiltGateway } from './gateway';
import { nullsInNonNullPositions } from './test-support/non-null-check';
import { TEST_SECRETS, buildTestGateway, postGraphql, testToken } from './test-support/test-gateway';
import { TEST_CUSTOMERS, type TestSubgraph, composeTestSupergraph, startTestSubgraph } from './test-support/test-subgraphs';

type GraphqlError = { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> };

describe('fields refused to a role keep the schema promises', () => {
  let crm: TestSubgraph;
  let erp: TestSubgraph;
  let gateway: BuiltGateway;
  let schema: GraphQLSchema;

  beforeAll(async () => {
    crm = await startTestSubgraph('crm', { internalSecret: TEST_SECRETS.INTERNAL_SECRET });
    erp = await startTestSubgraph('erp', { internalSecret: TEST_SECRETS.INTERNAL_SECRET });
    gateway = await buildTestGateway({ erpUrl: erp.url, crmUrl: crm.url });
    schema = apiSchemaOf(composeTestSupergraph());
  });
  afterAll(async () => {
    await gateway.close();
    await crm.close();
    await erp.close();
  });

  const ask = async (role: string, query: string) => {
    const response = await postGraphql(gateway, { query }, { authorization: `Bearer ${await testToken({ role })}` });
    expect(response.status).toBe(200);
    expect(nullsInNonNullPositions(schema, query, response.body.data)).toEqual([]);
    const forbidden = ((response.body.errors ?? []) as GraphqlError[]).filter((e) => e.extensions?.code === 'FORBIDDEN').map((e) => e.path);
    return { data: response.body.data, forbidden };
  };

  it('lets the role that may see them read them', async () => {
    const { data, forbidden } = await ask('finance', '{ customers { id creditLimit invoices { number } } }');
    expect(forbidden).toEqual([]);
    expect(data.customers).toEqual(TEST_CUSTOMERS.map(({ id }) => ({ id, creditLimit: '5000.00', invoices: [{ number: 'INV-1' }] })));
  });

  it('nulls the nearest nullable position above a refused non-null field, with FORBIDDEN at the field', async () => {
    // Customer.creditLimit is String!, customers is [Customer!]: the list is the nearest nullable position.
    // As in GraphQL execution, the first failing item nulls the list and ends its walk: one error.
    const { data, forbidden } = await ask('sales', '{ products { sku } customers { id name creditLimit } }');
    expect(data).toEqual({ products: [{ sku: 'P-100' }], customers: null });
    expect(forbidden).toEqual([['customers', 0, 'creditLimit']]);
  });

  it('does the same for a refused non-null list, and keeps the fields beside the nulled one', async () => {
    const { data, forbidden } = await ask('operations', '{ products { sku name } customers { invoices { number } } }');
    expect(data).toEqual({ products: [{ sku: 'P-100', name: 'Gear pump' }], customers: null });
    expect(forbidden).toEqual([['customers', 0, 'invoices']]);
  });

  it('answers data null when a refused field sits under non-null positions up to the root', async () => {
    const { data, forbidden } = await ask('sales', 'mutation { pay: recordPayment(invoiceId: "INV-1", amount: "1.00") { id } }');
    expect(data).toBeNull();
    expect(forbidden).toEqual([['pay']]);
  });

  it('reports every refused root field, also after the first has nulled the data (root fields run side by side)', async () => {
    const { data, forbidden } = await ask('sales', 'mutation { first: recordPayment(invoiceId: "INV-1", amount: "1.00") { id } second: recordPayment(invoiceId: "INV-1", amount: "2.00") { id } }');
    expect(data).toBeNull();
    expect(forbidden).toEqual([['first'], ['second']]);
  });

  it('leaves a refused field of a nullable type null in place', async () => {
    const { data, forbidden } = await ask('sales', '{ customers { id openBalance } }');
    expect(forbidden).toEqual([]);
    expect(data.customers).toHaveLength(2);
  });
});
