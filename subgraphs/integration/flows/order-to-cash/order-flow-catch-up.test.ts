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
  }, 180_000);

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
  }, 180_000);

  it('looks at a flow that has waited long less often: after a quarter of its wait, at most every 5 minutes', async () => {
    const id = (await world.gql(PLACE, { key: 'long-wait' })).data.placeOrder.id;
    await eventually(() => stepOf(world, id, 'wait-for-shipment'), (s) => s.step === 'WAITING');
    const nextCheckInMs = async () => {
      const { rows } = await world.integrationDb.query<{ ms: number }>('SELECT (extract(epoch FROM next_check_at - now()) * 1000)::float8 AS ms FROM flow_runs WHERE id = $1', [id]);
      return Number(rows[0].ms);
    };
    // Freshly waiting, it is looked at again within the poll interval (250 ms here).
    expect(await nextCheckInMs()).toBeLessThanOrEqual(250);

    // As if it had waited four minutes, then an hour: each look finds nothing and sets the next one.
    for (const [waited, expected] of [['4 minutes', 60_000], ['1 hour', 300_000]] as const) {
      await world.integrationDb.query(`UPDATE flow_steps SET started_at = now() - $2::interval WHERE run_id = $1 AND name = 'wait-for-shipment'`, [id, waited]);
      await world.integrationDb.query('UPDATE flow_runs SET next_check_at = now() WHERE id = $1', [id]);
      const next = await eventually(nextCheckInMs, (ms) => ms > 10_000);
      // A quarter of the wait as it was when looked at (a few moments past the four minutes), or the cap.
      expect(next).toBeGreaterThan(expected - 10_000);
      expect(next).toBeLessThanOrEqual(expected + 2000);
    }

    // A change event still wakes it at once (this world's ERP keeps its events: the test hands one over).
    const [shipment] = await world.erp.listShipmentsBySalesOrders([(await stepOf(world, id, 'wait-for-shipment')).salesOrderId!]);
    await world.erp.confirmShipment(shipment.id, { carrier: 'DHL', trackingNumber: 'LONG-1' });
    expect(await world.integration.orderFlows!.engine.wake([{ entity: 'shipment', entityId: shipment.id, version: 1_000_000 }])).toBe(1);
    await eventually(() => stepOf(world, id, 'wait-for-shipment'), (s) => s.step === 'DONE', 5000);
  }, 180_000);
});

describe('a flow retrying on a backend that is away', () => {
  let world: OrderFlowWorld;

  beforeAll(async () => {
    // Backoff of half a minute and more: a flow that moves on within seconds was woken, not due.
    world = await startOrderFlowWorld({ settings: { retry: { baseMs: 30_000, maxDelayMs: 60_000, windowMs: 3_600_000 }, probeMs: 200 } });
  }, 180_000);

  afterAll(async () => {
    await world?.close();
  });

  it('is tried again as soon as the backend answers the probe, not after its backoff', async () => {
    // The step fails once; the probe (the ERP's warehouse list) fails a few more times, then the ERP is back.
    world.faults.failNext('reserveStock');
    world.faults.failNext('listWarehouses', { times: 3 });
    const id = (await world.gql(PLACE, { key: 'woken-by-probe' })).data.placeOrder.id;
    const retrying = await eventually(() => world.gql(`query ($id: ID!) { orderFlow(id: $id) { status retry { cause system nextAttemptAt } } }`, { id }), (a) => a.data.orderFlow.status === 'RETRYING');
    const { retry } = retrying.data.orderFlow;
    expect(retry).toMatchObject({ cause: 'UPSTREAM_UNAVAILABLE', system: 'erp' });
    expect(Date.parse(retry.nextAttemptAt) - Date.now()).toBeGreaterThan(10_000);

    const woken = Date.now();
    const moved = await eventually(() => stepOf(world, id, 'reserve-stock'), (s) => s.step === 'DONE', 10_000);
    expect(Date.now() - woken).toBeLessThan(10_000);
    expect(moved.status).not.toBe('RETRYING');
    expect((await world.gql(`query ($id: ID!) { orderFlow(id: $id) { retry { cause } } }`, { id })).data.orderFlow.retry).toBeNull();
  }, 30_000);
});

describeOn(DATABASE_KINDS, 'order flows whose integration database is %s', (kind) => {
  let world: OrderFlowWorld;
  let dispose: () => Promise<void> = async () => {};

  beforeAll(async () => {
    const opened = await openTestDatabase(kind, 'integration');
    dispose = opened.dispose;
    world = await startOrderFlowWorld({ integrationDb: opened.db });
  }, 180_000);

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
      // The step log and the run's status are written one after the other: wait for both.
    }, (s) => s.step === 'WAITING' && s.status === 'WAITING');
    expect(resumed.status).toBe('WAITING');
    expect(await world.erp.listInvoicesBySalesOrders([resumed.salesOrderId!])).toHaveLength(1);
  }, 180_000);
});
