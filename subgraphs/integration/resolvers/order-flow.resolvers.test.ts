import { type IntegrationHarness, startIntegrationHarness } from '../testing/integration-harness';

describe('fields of later issues', () => {
  let h: IntegrationHarness;

  beforeAll(async () => {
    h = await startIntegrationHarness();
  });

  afterAll(() => h.close());

  it.each([
    ['orderFlow', `{ orderFlow(id: "f-1") { id } }`, /order flows/],
    ['orderFlows', `{ orderFlows { totalCount } }`, /order flows/],
    ['dataQualityReport', `{ dataQualityReport { checkedAt } }`, /reconciliation/],
    ['convertOpportunityToOrder', `mutation { convertOpportunityToOrder(opportunityId: "o-1", idempotencyKey: "k") { id } }`, /order flows/],
    ['placeOrder', `mutation { placeOrder(input: { customerId: "crm:x", lines: [{ sku: "P-1", quantity: 1 }] }, idempotencyKey: "k") { id } }`, /order flows/],
    ['cancelOrder', `mutation { cancelOrder(salesOrderId: "SO-1") { id } }`, /order flows/],
    ['retryOrderFlow', `mutation { retryOrderFlow(id: "f-1") { id } }`, /order flows/],
    ['runReconciliation', `mutation { runReconciliation { checkedAt } }`, /reconciliation/],
  ])('%s answers NOT_IMPLEMENTED', async (field, query, message) => {
    const answer = await h.gql(query);

    expect(answer.errors).toHaveLength(1);
    expect(answer.errors![0]).toMatchObject({ path: [field], extensions: { code: 'NOT_IMPLEMENTED' } });
    expect(answer.errors![0].message).toMatch(message);
  });

  it('answers no flow for an opportunity or a sales order, since none exists yet', async () => {
    const answer = await h.gql(`query ($representations: [_Any!]!) {
      _entities(representations: $representations) { ... on Opportunity { id orderFlow { id } } ... on SalesOrder { id flow { id } } }
    }`, { representations: [{ __typename: 'Opportunity', id: 'opp-1' }, { __typename: 'SalesOrder', id: 'SO-100001' }] });

    expect(answer.errors).toBeUndefined();
    expect(answer.data).toEqual({ _entities: [{ id: 'opp-1', orderFlow: null }, { id: 'SO-100001', flow: null }] });
  });
});
