import { DATABASE_KINDS, openTestDatabase } from '../../../../test-support/databases';
import { describeOn } from '../../../../test-support/services';
import { ACCOUNT, type OrderFlowWorld, eventually, startOrderFlowWorld } from './test-support/order-flow-world';

const PLACE = `mutation ($key: String!) { placeOrder(input: { customerId: "crm:${ACCOUNT.acme}", lines: [{ sku: "BOLT-1", quantity: 5 }] }, idempotencyKey: $key) { id } }`;
const FLOW = `query ($id: ID!) { orderFlow(id: $id) { status salesOrder { id } steps { name status } } }`;

async function stepOf(world: OrderFlowWorld, id: string, name: string): Promise<{ status: string; salesOrderId?: string; step?: string }> {
  const flow = (await world.gql(FLOW, { id })).data.orderFlow;
  return { status: flow.status, salesOrderId: flow.salesOrder?.id, step: flow.steps.find((s: { name: string }) => s.name === name)?.status };
}

describe('a flow whose webhooks never arrive', () => {
  let world: OrderFlowWorld;

  beforeAll(async () => {
    // The ERP keeps its change events to itself: only the catch-up poll can see what happened.
    world = await startOrderFlowWorld({ deliverWebhooks: false, settings: { pollMs: 250 } });
  }, 60_000);

  afterAll(async () => {
    await world?.close();
  });

  it('is moved on by the catch-up poll after the shipment and the payment', async () => {
    const id = (await world.gql(PLACE, { key: 'lost-webhooks' })).data.placeOrder.id;
    const waiting = await eventually(() => stepOf(world, id, 'wait-for-shipment'), (s) => s.step === 'WAITING');
    const [shipment] = await world.erp.listShipmentsBySalesOrders([waiting.salesOrderId!]);
    await world.erp.confirmShipment(shipment.id, { carrier: 'DHL', trackingNumber: 'LOST-1' });

    await eventually(() => stepOf(world, id, 'wait-for-payment'), (s) => s.step === 'WAITING');
    const [invoice] = await world.erp.listInvoicesBySalesOrders([waiting.salesOrderId!]);
    await world.erp.recordPayment(invoice.id, { amount: invoice.amountDue });

    const done = await eventually(() => stepOf(world, id, 'wait-for-payment'), (s) => s.status === 'COMPLETED');
    expect(done.step).toBe('DONE');
    expect((await world.erp.getSalesOrders([waiting.salesOrderId!]))[0].status).toBe('PAID');
  }, 60_000);
});

describeOn(DATABASE_KINDS, 'order flows whose integration database is %s', (kind) => {
  let world: OrderFlowWorld;
  let dispose: () => Promise<void> = async () => {};

  beforeAll(async () => {
    const opened = await openTestDatabase(kind, 'integration');
    dispose = opened.dispose;
    world = await startOrderFlowWorld({ integrationDb: opened.db });
  }, 60_000);

  afterAll(async () => {
    await world?.close();
    await dispose();
  });

  it('resumes a flow whose worker died mid-step once its lease runs out', async () => {
    const engine = world.integration.orderFlows!.engine;
    const id = (await world.gql(PLACE, { key: `crash-${kind}` })).data.placeOrder.id;
    await eventually(() => stepOf(world!, id, 'wait-for-shipment'), (s) => s.step === 'WAITING');
    // A worker that took the lease and then vanished (SIGKILL) leaves the run leased and RUNNING.
    await world.integrationDb.query(
      `UPDATE flow_runs SET status = 'RUNNING', lease_owner = 'dead-worker', lease_until = now() + interval '300 milliseconds', next_check_at = now() WHERE id = $1`,
      [id],
    );
    const [before] = await world.erp.listShipmentsBySalesOrders([(await stepOf(world, id, 'x')).salesOrderId!]);
    await world.erp.confirmShipment(before.id, { carrier: 'DHL', trackingNumber: 'CRASH-1' });

    const resumed = await eventually(async () => {
      await engine.poll();
      return stepOf(world!, id, 'wait-for-payment');
    }, (s) => s.step === 'WAITING');
    expect(resumed.status).toBe('WAITING');
    expect(await world.erp.listInvoicesBySalesOrders([resumed.salesOrderId!])).toHaveLength(1);
  }, 60_000);
});
