import { ACCOUNT, OPPORTUNITY, type OrderFlowWorld, eventually, startOrderFlowWorld } from '../flows/order-to-cash/test-support/order-flow-world';
import { type IntegrationHarness, startIntegrationHarness } from '../test-support/integration-harness';

describe('order flow fields without order flows running', () => {
  let h: IntegrationHarness;

  beforeAll(async () => {
    h = await startIntegrationHarness();
  });

  afterAll(() => h.close());

  it.each([
    ['orderFlows', `{ orderFlows { totalCount } }`],
    ['placeOrder', `mutation { placeOrder(input: { customerId: "crm:x", lines: [{ sku: "P-1", quantity: 1 }] }, idempotencyKey: "k") { id } }`],
    ['cancelOrder', `mutation { cancelOrder(salesOrderId: "SO-1") { id } }`],
  ])('%s answers NOT_IMPLEMENTED naming order flows', async (field, query) => {
    const answer = await h.gql(query);

    expect(answer.errors?.[0]).toMatchObject({ path: [field], extensions: { code: 'NOT_IMPLEMENTED' } });
    expect(answer.errors![0].message).toMatch(/order flows/);
  });

  it('answers no flow for an opportunity or a sales order', async () => {
    const answer = await h.gql(`query ($representations: [_Any!]!) {
      _entities(representations: $representations) { ... on Opportunity { id orderFlow { id } } ... on SalesOrder { id flow { id } } }
    }`, { representations: [{ __typename: 'Opportunity', id: 'opp-1' }, { __typename: 'SalesOrder', id: 'SO-100001' }] });

    expect(answer.errors).toBeUndefined();
    expect(answer.data).toEqual({ _entities: [{ id: 'opp-1', orderFlow: null }, { id: 'SO-100001', flow: null }] });
  });
});

describe('order flow reads', () => {
  let world: OrderFlowWorld;
  let flowId: string;
  let salesOrderId: string;

  beforeAll(async () => {
    world = await startOrderFlowWorld();
    const started = await world.gql(`mutation { convertOpportunityToOrder(opportunityId: "${OPPORTUNITY.acmeGears}", idempotencyKey: "reads-1") { id } }`);
    flowId = started.data.convertOpportunityToOrder.id;
    const waiting = await eventually(
      () => world.gql(`{ orderFlow(id: "${flowId}") { status salesOrder { id } } }`),
      (a) => a.data?.orderFlow.status === 'WAITING',
    );
    salesOrderId = waiting.data.orderFlow.salesOrder.id;
  }, 180_000);

  afterAll(async () => {
    await world?.close();
  });

  it('shows the flow of an opportunity and of its sales order, with the customer and every step in order', async () => {
    // Read while the flow waits: the catch-up poll's re-check shows it RUNNING for a moment.
    const answer = await eventually(() => world.gql(`query ($representations: [_Any!]!) {
      _entities(representations: $representations) {
        ... on Opportunity { id orderFlow { id customer { id erpCustomerNo } opportunity { id } steps { name status } } }
        ... on SalesOrder { id flow { id status } }
      }
    }`, { representations: [{ __typename: 'Opportunity', id: OPPORTUNITY.acmeGears }, { __typename: 'SalesOrder', id: salesOrderId }] }), (a) => a.data?._entities[1]?.flow?.status === 'WAITING');

    expect(answer.errors).toBeUndefined();
    const [opportunity, order] = answer.data._entities;
    expect(opportunity.orderFlow).toMatchObject({ id: flowId, customer: { id: `crm:${ACCOUNT.acme}`, erpCustomerNo: 'K-30001' }, opportunity: { id: OPPORTUNITY.acmeGears } });
    expect(opportunity.orderFlow.steps).toHaveLength(10);
    expect(opportunity.orderFlow.steps[0]).toEqual({ name: 'ensure-customer', status: 'DONE' });
    expect(opportunity.orderFlow.steps[9]).toEqual({ name: 'wait-for-payment', status: 'PENDING' });
    expect(order).toEqual({ id: salesOrderId, flow: { id: flowId, status: 'WAITING' } });
  });

  it('lists flows by status, page by page', async () => {
    await world.gql(`mutation { placeOrder(input: { customerId: "crm:${ACCOUNT.acme}", lines: [{ sku: "BOLT-1", quantity: 1 }] }, idempotencyKey: "reads-2") { id } }`);
    await eventually(() => world.gql(`{ orderFlows(status: WAITING) { totalCount } }`), (a) => a.data?.orderFlows.totalCount === 2);

    // The catch-up poll re-checks waiting flows, and for that moment a flow shows RUNNING: read both
    // pages again until they were taken while both flows were waiting.
    const [first, second] = await eventually(
      async () => {
        const page1 = await world.gql(`{ orderFlows(first: 1, status: WAITING) { totalCount nodes { id } pageInfo { hasNextPage endCursor } } }`);
        const page2 = await world.gql(`query ($after: String) { orderFlows(first: 1, after: $after, status: WAITING) { totalCount nodes { id } pageInfo { hasNextPage } } }`, {
          after: page1.data.orderFlows.pageInfo.endCursor,
        });
        return [page1, page2] as const;
      },
      ([page1, page2]) => page1.data.orderFlows.totalCount === 2 && page2.data.orderFlows.totalCount === 2,
    );

    expect(first.data.orderFlows).toMatchObject({ totalCount: 2, nodes: [{ id: flowId }], pageInfo: { hasNextPage: true } });
    expect(second.data.orderFlows.nodes).toHaveLength(1);
    expect(second.data.orderFlows.nodes[0].id).not.toBe(flowId);
    expect(second.data.orderFlows.pageInfo.hasNextPage).toBe(false);
    expect((await world.gql(`{ orderFlows(status: COMPLETED) { totalCount } }`)).data.orderFlows.totalCount).toBe(0);
  });

  it('answers null for an unknown flow id and NOT_FOUND for retrying one', async () => {
    expect((await world.gql(`{ orderFlow(id: "00000000-0000-4000-8000-000000000000") { id } }`)).data).toEqual({ orderFlow: null });
    const retry = await world.gql(`mutation { retryOrderFlow(id: "nope") { id } }`);
    expect(retry.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});
