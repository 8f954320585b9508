import { buildDemoDataset } from '../../backends/demo-data/demo-dataset';
import { OrderFlowDriver } from '../../subgraphs/integration/flows/order-to-cash/test-support/order-flow-driver';
import { type StackKind, STACK_NEEDS, type TestStack, startTestStack } from '../../test-support/stack';
import { describeOn } from '../../test-support/services';

const dataset = buildDemoDataset();
// A manufactured product with nothing on hand (every order needs production) and a purchased one in stock.
const stockOf = (sku: string) => dataset.erp.stock.filter((s) => s.sku === sku).reduce((sum, s) => sum + s.onHand, 0);
const MADE = dataset.erp.products.find((p) => p.manufactured && stockOf(p.sku) === 0)!;
const BOUGHT = dataset.erp.products.find((p) => !p.manufactured && stockOf(p.sku) >= 300)!;

// Short leases and polls so a killed worker's flows resume within seconds; retries (an hour by default) outlast an ERP restart.
Object.assign(process.env, { FLOW_LEASE_MS: '3000', FLOW_POLL_MS: '1000', FLOW_RETRY_BASE_MS: '200' });

describeOn<StackKind>(['pglite', 'postgres'], 'order-to-cash through the gateway on %s', (kind) => {
  let stack: TestStack;
  let driver: OrderFlowDriver;
  let customerId: string;
  let keyNo = 0;
  const key = () => `e2e-${kind}-${Date.now()}-${++keyNo}`;

  beforeAll(async () => {
    stack = await startTestStack(kind);
    driver = new OrderFlowDriver((query, variables, options) => stack!.gql(query, variables, options), { timeoutMs: 120_000 });
    const created = await stack.gql(`mutation { createCustomer(input: { name: "Flow Works GmbH", country: "DE", creditLimit: "90000000.00", paymentTerms: "NET30" }) { id } }`);
    expect(created.errors).toBeUndefined();
    customerId = created.data.createCustomer.id;
  }, 240_000);

  afterAll(async () => {
    await stack?.dispose();
  }, 60_000);

  async function ordersOfCustomer(): Promise<{ id: string; status: string }[]> {
    const answer = await stack!.gql(`query ($id: ID!) { salesOrders(first: 100, customerId: $id) { nodes { id status } } }`, { id: customerId });
    expect(answer.errors).toBeUndefined();
    return answer.data.salesOrders.nodes;
  }

  it('places an order and converts an opportunity; production, shipment and payment through the API complete both with one order, shipment and invoice each', async () => {
    const placed = await driver.placeOrder(customerId, [{ sku: MADE.sku, quantity: 2 }, { sku: BOUGHT.sku, quantity: 3 }], key());
    const opportunity = await stack.gql(`mutation ($c: ID!, $sku: ID!) { createOpportunity(input: { customerId: $c, name: "Flow deal", lines: [{ sku: $sku, quantity: 4 }] }) { id } }`, {
      c: customerId,
      sku: BOUGHT.sku,
    });
    expect(opportunity.errors).toBeUndefined();
    const opportunityId = opportunity.data.createOpportunity.id;
    const converted = await stack.gql(`mutation ($id: ID!, $key: String!) { convertOpportunityToOrder(opportunityId: $id, idempotencyKey: $key) { id status } }`, { id: opportunityId, key: key() });
    expect(converted.errors).toBeUndefined();

    const [first, second] = await Promise.all([driver.driveToEnd(placed.id), driver.driveToEnd(converted.data.convertOpportunityToOrder.id)]);
    for (const flow of [first, second]) {
      expect(flow.status).toBe('COMPLETED');
      expect(flow.steps.every((s) => s.status === 'DONE' || s.status === 'SKIPPED')).toBe(true);
      const order = await driver.order(flow.salesOrder!.id);
      expect(order.status).toBe('PAID');
      expect(order.shipments).toHaveLength(1);
      expect(order.invoices).toHaveLength(1);
    }
    expect((await driver.order(first.salesOrder!.id)).productionOrders).toHaveLength(1);
    const linked = await stack.gql(`query ($id: ID!) { salesOrder(id: $id) { id flow { id status } } }`, { id: second.salesOrder!.id });
    expect(linked.data.salesOrder.flow).toEqual({ id: second.id, status: 'COMPLETED' });
  }, 240_000);

  it('loses no flow when the ERP backend and the integration are SIGKILLed mid-flow', async () => {
    const ordersBefore = (await ordersOfCustomer()).length;
    const flows = [];
    for (let i = 0; i < 6; i++) flows.push(await driver.placeOrder(customerId, [{ sku: MADE.sku, quantity: 1 }, { sku: BOUGHT.sku, quantity: 1 }], key()));
    await stack.stopService('erp-backend', 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 500));
    await stack.stopService('integration', 'SIGKILL');
    stack.startService('erp-backend');
    stack.startService('integration');
    await stack.waitUntilReady(120_000);

    const ended = await Promise.all(flows.map((f) => driver.driveToEnd(f.id)));
    expect(ended.map((f) => f.status)).toEqual(Array(6).fill('COMPLETED'));
    const orderIds = ended.map((f) => f.salesOrder!.id);
    expect(new Set(orderIds).size).toBe(6);
    expect((await ordersOfCustomer()).length).toBe(ordersBefore + 6);
    for (const id of orderIds) {
      const order = await driver.order(id);
      expect({ status: order.status, shipments: order.shipments.length, invoices: order.invoices.length, production: order.productionOrders.length }).toEqual({
        status: 'PAID',
        shipments: 1,
        invoices: 1,
        production: 1,
      });
    }
  }, 300_000);
}, STACK_NEEDS);
