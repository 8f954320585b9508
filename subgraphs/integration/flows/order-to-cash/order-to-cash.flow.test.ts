import { ACCOUNT, OPPORTUNITY, type OrderFlowWorld, eventually, startOrderFlowWorld } from './test-support/order-flow-world';

const FLOW_FIELDS = `id status error salesOrder { id } opportunity { id } customer { id erpCustomerNo }
  retry { cause system since nextAttemptAt giveUpAt } steps { name status attempts startedAt finishedAt error }`;
const PLACE = `mutation ($input: PlaceOrderInput!, $key: String!) { placeOrder(input: $input, idempotencyKey: $key) { ${FLOW_FIELDS} } }`;
const CONVERT = `mutation ($id: ID!, $key: String!) { convertOpportunityToOrder(opportunityId: $id, idempotencyKey: $key) { ${FLOW_FIELDS} } }`;
const FLOW = `query ($id: ID!) { orderFlow(id: $id) { ${FLOW_FIELDS} } }`;
const CANCEL = `mutation ($id: ID!) { cancelOrder(salesOrderId: $id, reason: "customer changed their mind") { ${FLOW_FIELDS} } }`;
const RETRY = `mutation ($id: ID!) { retryOrderFlow(id: $id) { ${FLOW_FIELDS} } }`;

interface FlowView {
  id: string;
  status: string;
  error: string | null;
  salesOrder: { id: string } | null;
  customer: { id: string; erpCustomerNo: string | null };
  retry: { cause: string; system: string | null; since: string; nextAttemptAt: string; giveUpAt: string } | null;
  steps: { name: string; status: string; attempts: number; startedAt: string | null; finishedAt: string | null; error: string | null }[];
}

const ACME = `crm:${ACCOUNT.acme}`;
let world: OrderFlowWorld;
let keyNo = 0;
const newKey = () => `flow-test-${Date.now()}-${++keyNo}`;

beforeAll(async () => {
  world = await startOrderFlowWorld();
}, 180_000);

afterAll(async () => {
  await world?.close();
});

afterEach(() => world.faults.clear());

async function flow(id: string): Promise<FlowView> {
  const answer = await world.gql<{ orderFlow: FlowView }>(FLOW, { id });
  if (answer.errors) throw new Error(JSON.stringify(answer.errors));
  return answer.data!.orderFlow;
}

async function flowUntil(id: string, done: (f: FlowView) => boolean, timeoutMs?: number): Promise<FlowView> {
  return eventually(() => flow(id), done, timeoutMs);
}

async function place(customerId: string, lines: { sku: string; quantity: number }[], key = newKey()): Promise<FlowView> {
  const answer = await world.gql<{ placeOrder: FlowView }>(PLACE, { input: { customerId, lines }, key });
  if (answer.errors) throw new Error(JSON.stringify(answer.errors));
  return answer.data!.placeOrder;
}

const stepStatus = (f: FlowView) => Object.fromEntries(f.steps.map((s) => [s.name, s.status]));

async function available(sku: string): Promise<number> {
  const levels = await world.erp.getStockLevels([sku]);
  return levels.reduce((sum, l) => sum + l.onHand - l.reserved, 0);
}

async function activitySubjects(accountId: string): Promise<string[]> {
  return (await world.crm.listActivitiesByAccounts([accountId], { last: 100 })).map((a) => a.subject);
}

describe('order-to-cash', () => {
  it('takes an order from stock through shipment, invoice and payment to COMPLETED, telling the CRM at every milestone', async () => {
    const started = await place(`crm:${ACCOUNT.acme}`, [{ sku: 'BOLT-1', quantity: 20 }]);
    expect(started.steps.map((s) => s.name)).toEqual([
      'ensure-customer',
      'check-credit',
      'create-sales-order',
      'reserve-stock',
      'plan-production',
      'wait-for-production',
      'create-shipment',
      'wait-for-shipment',
      'create-invoice',
      'wait-for-payment',
    ]);

    const waitingForShipment = await flowUntil(started.id, (f) => stepStatus(f)['wait-for-shipment'] === 'WAITING');
    expect(waitingForShipment.status).toBe('WAITING');
    expect(stepStatus(waitingForShipment)).toMatchObject({ 'plan-production': 'SKIPPED', 'wait-for-production': 'SKIPPED', 'create-shipment': 'DONE', 'create-invoice': 'PENDING' });
    const orderId = waitingForShipment.salesOrder!.id;
    const [shipment] = await world.erp.listShipmentsBySalesOrders([orderId]);
    await world.erp.confirmShipment(shipment.id, { carrier: 'DHL', trackingNumber: 'T-1' });

    const waitingForPayment = await flowUntil(started.id, (f) => stepStatus(f)['wait-for-payment'] === 'WAITING');
    const [invoice] = await world.erp.listInvoicesBySalesOrders([orderId]);
    expect(invoice).toMatchObject({ total: '2.00', status: 'OPEN' });
    expect(waitingForPayment.status).toBe('WAITING');
    await world.erp.recordPayment(invoice.id, { amount: invoice.amountDue });

    const completed = await flowUntil(started.id, (f) => f.status === 'COMPLETED');
    expect(completed.steps.every((s) => ['DONE', 'SKIPPED'].includes(s.status))).toBe(true);
    expect(completed.steps.find((s) => s.name === 'create-sales-order')).toMatchObject({ attempts: 1, error: null });
    expect((await world.erp.getSalesOrders([orderId]))[0].status).toBe('PAID');
    expect(await world.erp.listShipmentsBySalesOrders([orderId])).toHaveLength(1);
    expect(await world.erp.listInvoicesBySalesOrders([orderId])).toHaveLength(1);
    const subjects = await activitySubjects(ACCOUNT.acme);
    for (const milestone of ['confirmed', 'shipped', 'invoiced', 'paid']) {
      expect(subjects.filter((s) => s.startsWith(`Order ${orderId} ${milestone}`))).toHaveLength(1);
    }
  }, 60_000);

  it('converts a won opportunity of a CRM-only account: creates and links the ERP customer, marks the opportunity CLOSED_WON with the order id', async () => {
    const key = newKey();
    // The ERP's product list does not answer: converting asks only the CRM, the steps find the products.
    world.faults.failNext('getProducts');
    const answers = await Promise.all(Array.from({ length: 10 }, () => world.gql<{ convertOpportunityToOrder: FlowView }>(CONVERT, { id: OPPORTUNITY.newcoBolts, key })));
    expect(answers.map((a) => a.errors)).toEqual(Array(10).fill(undefined));
    const ids = new Set(answers.map((a) => a.data!.convertOpportunityToOrder.id));
    expect(ids.size).toBe(1);
    const [id] = ids;

    const waiting = await flowUntil(id, (f) => f.status === 'WAITING');
    const customerNo = waiting.customer.erpCustomerNo!;
    expect(customerNo).toMatch(/^K-/);
    const [erpCustomer] = await world.erp.getCustomers([customerNo]);
    expect(erpCustomer).toMatchObject({ name: 'Newco Pumps', externalRef: ACCOUNT.newco });
    expect((await world.crm.getAccounts([ACCOUNT.newco]))[0].erpCustomerNo).toBe(customerNo);
    const [opportunity] = await world.crm.getOpportunities([OPPORTUNITY.newcoBolts]);
    expect(opportunity).toMatchObject({ stage: 'CLOSED_WON', erpSalesOrderId: waiting.salesOrder!.id });
    const orders = await world.erp.listSalesOrdersByCustomers([customerNo], { perCustomer: 10 });
    expect(orders.map((o) => o.id)).toEqual([waiting.salesOrder!.id]);
    expect(orders[0]).toMatchObject({ total: '0.30', externalRef: OPPORTUNITY.newcoBolts });

    const again = await world.gql(CONVERT, { id: OPPORTUNITY.newcoBolts, key: newKey() });
    expect(again.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT' } });
    expect(again.errors![0].message).toContain(id);
  }, 60_000);

  it('answers ten concurrent placeOrder calls with one key with one flow and one ERP order', async () => {
    const key = newKey();
    const answers = await Promise.all(Array.from({ length: 10 }, () => world.gql<{ placeOrder: FlowView }>(PLACE, { input: { customerId: ACME, lines: [{ sku: 'BOLT-1', quantity: 7 }] }, key })));
    const ids = new Set(answers.map((a) => a.data?.placeOrder.id));
    expect(ids.size).toBe(1);
    const [id] = ids;
    const waiting = await flowUntil(id!, (f) => f.status === 'WAITING');
    const orders = await world.erp.listSalesOrdersByCustomers(['K-30001'], { perCustomer: 100 });
    expect(orders.filter((o) => o.lines[0].sku === 'BOLT-1' && o.lines[0].quantity === 7).map((o) => o.id)).toEqual([waiting.salesOrder!.id]);

    const otherOrder = await world.gql(PLACE, { input: { customerId: ACME, lines: [{ sku: 'BOLT-1', quantity: 8 }] }, key });
    expect(otherOrder.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT' } });
  }, 60_000);

  it('gives the last units to one of two racing flows; the other ends COMPENSATED with OUT_OF_STOCK and holds nothing', async () => {
    const before = await available('LAST-1');
    expect(before).toBe(5);
    const [a, b] = await Promise.all([place(ACME, [{ sku: 'LAST-1', quantity: 4 }, { sku: 'BOLT-1', quantity: 1 }]), place(ACME, [{ sku: 'LAST-1', quantity: 4 }, { sku: 'BOLT-1', quantity: 1 }])]);
    const ends = await Promise.all([a, b].map((f) => flowUntil(f.id, (x) => x.status === 'WAITING' || x.status === 'COMPENSATED')));
    expect(ends.map((f) => f.status).sort()).toEqual(['COMPENSATED', 'WAITING']);
    const loser = ends.find((f) => f.status === 'COMPENSATED')!;
    expect(loser.error).toContain('OUT_OF_STOCK');
    expect(stepStatus(loser)).toMatchObject({ 'create-sales-order': 'COMPENSATED', 'reserve-stock': 'COMPENSATED', 'plan-production': 'FAILED', 'create-shipment': 'PENDING' });
    expect((await world.erp.getSalesOrders([loser.salesOrder!.id]))[0].status).toBe('CANCELLED');
    expect(await available('LAST-1')).toBe(1);
    expect(await activitySubjects(ACCOUNT.acme)).toContain(`Order ${loser.salesOrder!.id} cancelled`);
  }, 60_000);

  it('an order over the credit limit waits for finance with no sales order; rejected, it ends COMPENSATED with CREDIT_LIMIT_EXCEEDED', async () => {
    const started = await place(`crm:${ACCOUNT.tight}`, [{ sku: 'PUMP-1', quantity: 1 }]);
    const waiting = await flowUntil(started.id, (f) => stepStatus(f)['check-credit'] === 'WAITING');
    expect(waiting.status).toBe('WAITING');
    expect(waiting.salesOrder).toBeNull();
    expect(waiting.steps.find((s) => s.name === 'check-credit')!.error).toBe('waiting for finance to review the credit');
    const review = await world.gql(`query ($id: ID!) { orderFlow(id: $id) { creditReview { status currency orderTotal exposure creditLimit decidedAt } } }`, { id: started.id });
    expect(review.data.orderFlow.creditReview).toEqual({ status: 'PENDING', currency: 'EUR', orderTotal: '120.00', exposure: '60.00', creditLimit: '100.00', decidedAt: null });
    const pending = await world.gql(`{ creditReviews { totalCount nodes { status orderFlow { id } } } }`);
    expect(pending.data.creditReviews.nodes).toContainEqual({ status: 'PENDING', orderFlow: { id: started.id } });
    expect(await world.erp.listSalesOrdersByCustomers(['K-30002'], { perCustomer: 10 })).toHaveLength(1);

    const REJECT = `mutation ($id: ID!, $key: String) { rejectOrderCredit(id: $id, reason: "overdue invoices", idempotencyKey: $key) { ${FLOW_FIELDS} } }`;
    const answer = await world.gql<{ rejectOrderCredit: FlowView }>(REJECT, { id: started.id, key: 'reject-1' });
    expect(answer.errors).toBeUndefined();
    const ended = answer.data!.rejectOrderCredit.status === 'COMPENSATED' ? answer.data!.rejectOrderCredit : await flowUntil(started.id, (f) => f.status === 'COMPENSATED');
    expect(ended.error).toMatch(/CREDIT_LIMIT_EXCEEDED: finance rejected the order: exposure 60\.00 plus order total 120\.00 exceeds the credit limit 100\.00 EUR .*overdue invoices/);
    expect(stepStatus(ended)).toMatchObject({ 'ensure-customer': 'DONE', 'check-credit': 'FAILED', 'create-sales-order': 'PENDING' });
    const orders = await world.erp.listSalesOrdersByCustomers(['K-30002'], { perCustomer: 10 });
    expect(orders.map((o) => o.id)).toEqual(['SO-300001']);

    // The same key replays; approving a rejected order, or the key with another request, is a CONFLICT.
    expect((await world.gql(REJECT, { id: started.id, key: 'reject-1' })).errors).toBeUndefined();
    const approve = await world.gql(`mutation ($id: ID!) { approveOrderCredit(id: $id) { id } }`, { id: started.id });
    expect(approve.errors?.[0].extensions?.code).toBe('CONFLICT');
    const reused = await world.gql(`mutation ($id: ID!) { rejectOrderCredit(id: $id, reason: "another reason", idempotencyKey: "reject-1") { id } }`, { id: started.id });
    expect(reused.errors?.[0].extensions?.code).toBe('CONFLICT');
  }, 60_000);

  it('an order over the credit limit that finance approves is confirmed over the limit and goes on', async () => {
    // 500 × 0.10 = 50.00 on top of 60.00 open: over the 100.00 limit.
    const started = await place(`crm:${ACCOUNT.tight}`, [{ sku: 'BOLT-1', quantity: 500 }]);
    await flowUntil(started.id, (f) => stepStatus(f)['check-credit'] === 'WAITING');
    const APPROVE = `mutation ($id: ID!) { approveOrderCredit(id: $id, note: "paid by wire today") { ${FLOW_FIELDS} creditReview { status decidedBy note } } }`;
    const answer = await world.gql(APPROVE, { id: started.id });
    expect(answer.errors).toBeUndefined();
    expect(answer.data.approveOrderCredit.creditReview).toEqual({ status: 'APPROVED', decidedBy: 'internal', note: 'paid by wire today' });
    const going = await flowUntil(started.id, (f) => stepStatus(f)['wait-for-shipment'] === 'WAITING');
    expect(stepStatus(going)).toMatchObject({ 'check-credit': 'DONE', 'create-sales-order': 'DONE', 'reserve-stock': 'DONE' });
    const [order] = await world.erp.getSalesOrders([going.salesOrder!.id]);
    expect(order.customerNo).toBe('K-30002');
    expect(order.status).not.toBe('CANCELLED');
    // Approving again changes nothing; the flow is undone on cancel like any other.
    expect((await world.gql(APPROVE, { id: started.id })).data.approveOrderCredit.creditReview.status).toBe('APPROVED');
    expect((await world.gql(CANCEL, { id: going.salesOrder!.id })).errors).toBeUndefined();
    await flowUntil(started.id, (f) => f.status === 'COMPENSATED');
  }, 60_000);

  it('plans production for a manufactured shortage and, cancelled during production, cancels it, releases the stock and tells the CRM', async () => {
    const boltsBefore = await available('BOLT-1');
    const started = await place(`crm:${ACCOUNT.acme}`, [{ sku: 'PUMP-1', quantity: 3 }, { sku: 'BOLT-1', quantity: 50 }]);
    const inProduction = await flowUntil(started.id, (f) => stepStatus(f)['wait-for-production'] === 'WAITING');
    const orderId = inProduction.salesOrder!.id;
    const [production] = await world.erp.listProductionOrdersBySalesOrders([orderId]);
    expect(production).toMatchObject({ sku: 'PUMP-1', quantity: 3, status: 'PLANNED' });
    expect((await world.erp.getSalesOrders([orderId]))[0].status).toBe('IN_PRODUCTION');
    expect(await available('BOLT-1')).toBe(boltsBefore - 50);

    const answer = await world.gql<{ cancelOrder: FlowView }>(CANCEL, { id: orderId });
    expect(answer.errors).toBeUndefined();
    const cancelled = answer.data!.cancelOrder.status === 'COMPENSATED' ? answer.data!.cancelOrder : await flowUntil(started.id, (f) => f.status === 'COMPENSATED');
    expect(stepStatus(cancelled)).toMatchObject({ 'create-sales-order': 'COMPENSATED', 'reserve-stock': 'COMPENSATED', 'plan-production': 'COMPENSATED', 'wait-for-production': 'SKIPPED' });
    expect((await world.erp.getProductionOrders([production.id]))[0].status).toBe('CANCELLED');
    expect((await world.erp.getSalesOrders([orderId]))[0].status).toBe('CANCELLED');
    expect(await available('BOLT-1')).toBe(boltsBefore);
    const subjects = await activitySubjects(ACCOUNT.acme);
    expect(subjects).toContain(`Order ${orderId} cancelled`);
    expect(subjects.some((s) => s.startsWith(`Order ${orderId} in production`))).toBe(true);

    const twice = await world.gql<{ cancelOrder: FlowView }>(CANCEL, { id: orderId });
    expect(twice.data?.cancelOrder.status).toBe('COMPENSATED');
  }, 60_000);

  it('cancelled while the shipment waits for the warehouse: cancels the pending shipment and gives every unit back', async () => {
    const boltsBefore = await available('BOLT-1');
    const started = await place(ACME, [{ sku: 'BOLT-1', quantity: 7 }]);
    const waiting = await flowUntil(started.id, (f) => stepStatus(f)['wait-for-shipment'] === 'WAITING');
    const orderId = waiting.salesOrder!.id;
    const [shipment] = await world.erp.listShipmentsBySalesOrders([orderId]);
    expect(shipment.status).toBe('PENDING');

    const answer = await world.gql<{ cancelOrder: FlowView }>(CANCEL, { id: orderId });
    expect(answer.errors).toBeUndefined();
    const cancelled = answer.data!.cancelOrder.status === 'COMPENSATED' ? answer.data!.cancelOrder : await flowUntil(started.id, (f) => f.status === 'COMPENSATED');
    expect(stepStatus(cancelled)).toMatchObject({ 'create-shipment': 'COMPENSATED', 'reserve-stock': 'COMPENSATED', 'create-sales-order': 'COMPENSATED', 'wait-for-shipment': 'SKIPPED' });
    expect((await world.erp.getShipments([shipment.id]))[0].status).toBe('CANCELLED');
    expect((await world.erp.getSalesOrders([orderId]))[0].status).toBe('CANCELLED');
    expect(await available('BOLT-1')).toBe(boltsBefore);
    // The warehouse can no longer ship it.
    await expect(world.erp.confirmShipment(shipment.id, { carrier: 'DHL', trackingNumber: 'LATE-1' })).rejects.toMatchObject({ code: 'CONFLICT' });
  }, 60_000);

  it('completes production, ships the output and refuses to cancel once shipped', async () => {
    const started = await place(ACME, [{ sku: 'PUMP-1', quantity: 2 }]);
    const inProduction = await flowUntil(started.id, (f) => stepStatus(f)['wait-for-production'] === 'WAITING');
    const orderId = inProduction.salesOrder!.id;
    const [production] = await world.erp.listProductionOrdersBySalesOrders([orderId]);
    await world.erp.completeProductionOrder(production.id);
    const readyToShip = await flowUntil(started.id, (f) => stepStatus(f)['wait-for-shipment'] === 'WAITING');
    expect(stepStatus(readyToShip)['wait-for-production']).toBe('DONE');
    const [shipment] = await world.erp.listShipmentsBySalesOrders([orderId]);
    expect(shipment.lines).toEqual([{ sku: 'PUMP-1', quantity: 2 }]);
    await world.erp.confirmShipment(shipment.id, { carrier: 'UPS', trackingNumber: 'U-1' });
    await flowUntil(started.id, (f) => stepStatus(f)['wait-for-payment'] === 'WAITING');

    const refused = await world.gql(CANCEL, { id: orderId });
    expect(refused.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT' } });
    expect(refused.errors![0].message).toMatch(/INVOICED.*until it ships/);
  }, 60_000);

  it('plans production again, once, when the order loses its reservation while it waits for the warehouse', async () => {
    const gearsBefore = await available('GEAR-1');
    const started = await place(ACME, [{ sku: 'GEAR-1', quantity: 1 }]);
    const waiting = await flowUntil(started.id, (f) => stepStatus(f)['wait-for-shipment'] === 'WAITING');
    expect(stepStatus(waiting)['plan-production']).toBe('SKIPPED');
    const orderId = waiting.salesOrder!.id;

    // The unit goes elsewhere (as when a user of the ERP ships it to another customer).
    await world.erp.releaseReservations(orderId, `lost-${orderId}`);
    expect((await world.erp.getSalesOrders([orderId]))[0].lines[0].reservedQuantity).toBe(0);
    const [again] = await eventually(() => world.erp.listProductionOrdersBySalesOrders([orderId]), (list) => list.length > 0);
    expect(again).toMatchObject({ sku: 'GEAR-1', quantity: 1, status: 'PLANNED' });
    await world.erp.completeProductionOrder(again.id);
    expect((await world.erp.getSalesOrders([orderId]))[0].lines[0].reservedQuantity).toBe(1);
    const [shipment] = await world.erp.listShipmentsBySalesOrders([orderId]);
    await world.erp.confirmShipment(shipment.id, { carrier: 'UPS', trackingNumber: 'U-AGAIN' });
    await flowUntil(started.id, (f) => stepStatus(f)['wait-for-payment'] === 'WAITING');
    // One production for the one lost unit, however often the flow looked meanwhile.
    expect(await world.erp.listProductionOrdersBySalesOrders([orderId])).toHaveLength(1);
    expect(await available('GEAR-1')).toBe(gearsBefore);
  }, 60_000);

  it('cancelled after it planned production again, cancels that production too', async () => {
    const started = await place(ACME, [{ sku: 'GEAR-1', quantity: 1 }]);
    const waiting = await flowUntil(started.id, (f) => stepStatus(f)['wait-for-shipment'] === 'WAITING');
    const orderId = waiting.salesOrder!.id;
    await world.erp.releaseReservations(orderId, `lost-${orderId}`);
    const [again] = await eventually(() => world.erp.listProductionOrdersBySalesOrders([orderId]), (list) => list.length > 0);

    const answer = await world.gql<{ cancelOrder: FlowView }>(CANCEL, { id: orderId });
    expect(answer.errors).toBeUndefined();
    await flowUntil(started.id, (f) => f.status === 'COMPENSATED');
    expect((await world.erp.getProductionOrders([again.id]))[0].status).toBe('CANCELLED');
  }, 60_000);

  it('takes a cancel while the ERP does not answer, on the flow’s word, and undoes the order once it is back', async () => {
    const started = await place(ACME, [{ sku: 'BOLT-1', quantity: 2 }]);
    const waiting = await flowUntil(started.id, (f) => stepStatus(f)['wait-for-shipment'] === 'WAITING');
    const orderId = waiting.salesOrder!.id;
    // The ERP is away for the status read and the first undo attempts.
    world.faults.failNext('getSalesOrders');
    world.faults.failNext('setSalesOrderStatus', { times: 2 });

    const answer = await world.gql<{ cancelOrder: FlowView }>(CANCEL, { id: orderId });
    expect(answer.errors).toBeUndefined();
    const cancelled = await flowUntil(started.id, (f) => f.status === 'COMPENSATED');
    expect(stepStatus(cancelled)).toMatchObject({ 'create-shipment': 'COMPENSATED', 'create-sales-order': 'COMPENSATED' });
    expect((await world.erp.getSalesOrders([orderId]))[0].status).toBe('CANCELLED');
  }, 60_000);

  it('refuses a cancel the ERP cannot confirm when the flow already saw the shipment', async () => {
    const started = await place(ACME, [{ sku: 'BOLT-1', quantity: 1 }]);
    const waiting = await flowUntil(started.id, (f) => stepStatus(f)['wait-for-shipment'] === 'WAITING');
    const orderId = waiting.salesOrder!.id;
    const [shipment] = await world.erp.listShipmentsBySalesOrders([orderId]);
    await world.erp.confirmShipment(shipment.id, { carrier: 'DHL', trackingNumber: 'AWAY-1' });
    await flowUntil(started.id, (f) => stepStatus(f)['wait-for-shipment'] === 'DONE');
    world.faults.failNext('getSalesOrders');

    const refused = await world.gql(CANCEL, { id: orderId });
    expect(refused.errors?.[0]).toMatchObject({ message: `sales order ${orderId} has shipped; an order can be cancelled only until it ships`, extensions: { code: 'CONFLICT' } });
    expect((await world.erp.getSalesOrders([orderId]))[0].status).not.toBe('CANCELLED');
  }, 60_000);

  it('answers NOT_FOUND when cancelling an order that no flow started', async () => {
    const answer = await world.gql(CANCEL, { id: 'SO-300001' });
    expect(answer.errors?.[0]).toMatchObject({ message: 'sales order SO-300001 has no order flow to cancel', extensions: { code: 'NOT_FOUND' } });
  });

  it('undoes earlier steps in reverse when a later step cannot succeed', async () => {
    const boltsBefore = await available('BOLT-1');
    const started = await place(ACME, [{ sku: 'PUMP-1', quantity: 1 }, { sku: 'BOLT-1', quantity: 30 }]);
    const inProduction = await flowUntil(started.id, (f) => stepStatus(f)['wait-for-production'] === 'WAITING');
    const orderId = inProduction.salesOrder!.id;
    const { AppError, ErrorCode } = await import('../../../../platform/errors');
    world.faults.failNext('createShipment', { error: () => new AppError(ErrorCode.OUT_OF_STOCK, 'OUT_OF_STOCK: the warehouse lost the pallet') });
    const [production] = await world.erp.listProductionOrdersBySalesOrders([orderId]);
    await world.erp.completeProductionOrder(production.id);

    const undone = await flowUntil(started.id, (f) => f.status === 'COMPENSATED');
    expect(undone.error).toContain('OUT_OF_STOCK');
    expect(stepStatus(undone)).toMatchObject({ 'create-shipment': 'FAILED', 'plan-production': 'COMPENSATED', 'reserve-stock': 'COMPENSATED', 'create-sales-order': 'COMPENSATED' });
    // Completed production cannot be undone: its output stays on stock, no longer reserved.
    expect((await world.erp.getProductionOrders([production.id]))[0].status).toBe('COMPLETED');
    expect((await world.erp.getSalesOrders([orderId]))[0]).toMatchObject({ status: 'CANCELLED', lines: [expect.objectContaining({ reservedQuantity: 0 }), expect.objectContaining({ reservedQuantity: 0 })] });
    expect(await available('BOLT-1')).toBe(boltsBefore);
  }, 60_000);

  it('retries a step after transient ERP failures and counts the attempts', async () => {
    world.faults.failNext('createShipment', { times: 2 });
    const started = await place(ACME, [{ sku: 'BOLT-1', quantity: 2 }]);
    const waiting = await flowUntil(started.id, (f) => stepStatus(f)['wait-for-shipment'] === 'WAITING');
    expect(waiting.steps.find((s) => s.name === 'create-shipment')).toMatchObject({ status: 'DONE', attempts: 3, error: null });
    expect(await world.erp.listShipmentsBySalesOrders([waiting.salesOrder!.id])).toHaveLength(1);
  }, 60_000);

  it('shows the flow RETRYING with the cause and the next attempt, fails it when the retry window ends, and retryOrderFlow resumes it from the failed step', async () => {
    world.faults.failNext('reserveStock', { times: 100_000 });
    const started = await place(ACME, [{ sku: 'BOLT-1', quantity: 3 }]);
    const retrying = await flowUntil(started.id, (f) => f.status === 'RETRYING');
    expect(retrying.retry).toMatchObject({ cause: 'UPSTREAM_UNAVAILABLE', system: 'erp' });
    // The world's window is two seconds, counted from the first failure.
    expect(Date.parse(retrying.retry!.giveUpAt) - Date.parse(retrying.retry!.since)).toBe(2000);
    expect(Date.parse(retrying.retry!.nextAttemptAt)).toBeGreaterThanOrEqual(Date.parse(retrying.retry!.since));
    expect(Date.parse(retrying.retry!.nextAttemptAt)).toBeLessThanOrEqual(Date.parse(retrying.retry!.giveUpAt));
    expect(retrying.steps.find((s) => s.name === 'reserve-stock')).toMatchObject({ status: 'RETRYING', error: expect.stringMatching(/^attempt \d+ failed: UPSTREAM_UNAVAILABLE: erp is unavailable/) });

    const failed = await flowUntil(started.id, (f) => f.status === 'FAILED');
    const sawFailedAt = Date.now();
    expect(failed.error).toMatch(/^reserve-stock failed after \d+ attempts over \d+ s: UPSTREAM_UNAVAILABLE: erp is unavailable/);
    // It names how long the streak was retried: the whole two-second window, and no more than the
    // time until the test saw it (the last attempt, due at the window's end, can finish later on a
    // loaded machine: CI once read "over 3 s").
    const retriedSeconds = Number(/ over (\d+) s:/.exec(failed.error!)![1]);
    expect(retriedSeconds).toBeGreaterThanOrEqual(2);
    expect(retriedSeconds).toBeLessThanOrEqual(Math.round((sawFailedAt - Date.parse(retrying.retry!.since)) / 1000));
    expect(failed.retry).toBeNull();
    const reserve = failed.steps.find((s) => s.name === 'reserve-stock')!;
    expect(reserve.status).toBe('FAILED');
    expect(reserve.attempts).toBeGreaterThan(3);
    expect(stepStatus(failed)['create-sales-order']).toBe('DONE');
    world.faults.clear();

    const resumed = await world.gql<{ retryOrderFlow: FlowView }>(RETRY, { id: started.id });
    expect(resumed.errors).toBeUndefined();
    expect(['RUNNING', 'WAITING']).toContain(resumed.data!.retryOrderFlow.status);
    const waiting = await flowUntil(started.id, (f) => stepStatus(f)['wait-for-shipment'] === 'WAITING');
    expect(waiting.steps.find((s) => s.name === 'create-sales-order')).toMatchObject({ attempts: 1 });
    const orders = await world.erp.listSalesOrdersByCustomers(['K-30001'], { perCustomer: 100 });
    expect(orders.filter((o) => o.id === waiting.salesOrder!.id)).toHaveLength(1);

    const notFailed = await world.gql(RETRY, { id: started.id });
    expect(notFailed.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT' } });
  }, 60_000);

  it('lets only one worker advance a run at a time', async () => {
    const started = await place(ACME, [{ sku: 'BOLT-1', quantity: 4 }]);
    const engine = world.integration.orderFlows!.engine;
    await Promise.all(Array.from({ length: 5 }, () => engine.advance(started.id)));
    const waiting = await flowUntil(started.id, (f) => f.status === 'WAITING');
    expect(waiting.steps.filter((s) => s.status === 'DONE').every((s) => s.attempts === 1)).toBe(true);
  }, 60_000);

  it.each([
    ['a malformed customer id', { customerId: 'K-1', lines: [{ sku: 'BOLT-1', quantity: 1 }] }, 'k', 'BAD_USER_INPUT'],
    ['a zero quantity', { customerId: ACME, lines: [{ sku: 'BOLT-1', quantity: 0 }] }, 'k', 'BAD_USER_INPUT'],
    ['a quantity over 100000', { customerId: ACME, lines: [{ sku: 'BOLT-1', quantity: 100_001 }] }, 'k', 'BAD_USER_INPUT'],
    ['no lines', { customerId: ACME, lines: [] }, 'k', 'BAD_USER_INPUT'],
    ['a SKU on two lines', { customerId: ACME, lines: [{ sku: 'BOLT-1', quantity: 1 }, { sku: 'BOLT-1', quantity: 2 }] }, 'k', 'BAD_USER_INPUT'],
    ['an empty idempotency key', { customerId: ACME, lines: [{ sku: 'BOLT-1', quantity: 1 }] }, '   ', 'BAD_USER_INPUT'],
    ['an over-long idempotency key', { customerId: ACME, lines: [{ sku: 'BOLT-1', quantity: 1 }] }, 'k'.repeat(201), 'BAD_USER_INPUT'],
  ])('refuses an order with %s and writes nothing anywhere', async (_case, input, key, code) => {
    const flowsBefore = (await world.gql(`{ orderFlows { totalCount } }`)).data!.orderFlows.totalCount;
    const ordersBefore = (await world.erp.listSalesOrders({ first: 1 })).totalCount;
    const answer = await world.gql(PLACE, { input, key: `${key}` === 'k' ? newKey() : key });
    expect(answer.errors?.[0].extensions?.code).toBe(code);
    expect((await world.gql(`{ orderFlows { totalCount } }`)).data!.orderFlows.totalCount).toBe(flowsBefore);
    expect((await world.erp.listSalesOrders({ first: 1 })).totalCount).toBe(ordersBefore);
  });

  // placeOrder asks no backend (so orders are taken while one is away): the flow's steps find these out.
  it.each([
    ['an unknown customer', { customerId: 'erp:K-99999', lines: [{ sku: 'BOLT-1', quantity: 1 }] }, 'ensure-customer'],
    ['an unknown CRM account', { customerId: 'crm:00000002-0000-4000-8000-0000000000ff', lines: [{ sku: 'BOLT-1', quantity: 1 }] }, 'ensure-customer'],
    ["the ERP number of a customer whose API id is its CRM account's", { customerId: 'erp:K-30001', lines: [{ sku: 'BOLT-1', quantity: 1 }] }, 'ensure-customer'],
    ['an unknown SKU', { customerId: ACME, lines: [{ sku: 'NOPE-1', quantity: 1 }] }, 'check-credit'],
  ])('accepts an order with %s, then refuses it with NOT_FOUND and writes no sales order', async (_case, input, step) => {
    const ordersBefore = (await world.erp.listSalesOrders({ first: 1 })).totalCount;
    const accepted = await place(input.customerId, input.lines);
    expect(accepted.status).toBe('RUNNING');
    const refused = await flowUntil(accepted.id, (f) => f.status === 'FAILED');
    expect(refused.error).toMatch(new RegExp(`^${step} failed: NOT_FOUND: `));
    expect(refused.steps.find((s) => s.name === step)?.status).toBe('FAILED');
    expect(refused.salesOrder).toBeNull();
    expect((await world.erp.listSalesOrders({ first: 1 })).totalCount).toBe(ordersBefore);
  });
});

describe('watching flows', () => {
  it('exposes flows by status, step durations and retries on /metrics', async () => {
    const text = await (await fetch(`${world.integrationUrl}/metrics`)).text();
    const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? NaN);

    expect(value(/^flow_runs_started_total\{[^}]*\} (\d+)/m)).toBeGreaterThanOrEqual(10);
    expect(value(/^flow_runs_waiting\{[^}]*status="WAITING"[^}]*cause="wait-for-shipment"[^}]*\} (\d+)/m)).toBeGreaterThanOrEqual(1);
    expect(value(/^flow_runs\{[^}]*status="COMPLETED"[^}]*\} (\d+)/m)).toBeGreaterThanOrEqual(1);
    expect(value(/^flow_runs\{[^}]*status="COMPENSATED"[^}]*\} (\d+)/m)).toBeGreaterThanOrEqual(3);
    expect(value(/^flow_step_retries_total\{[^}]*step="create-shipment"[^}]*\} (\d+)/m)).toBe(2);
    expect(value(/^flow_step_duration_seconds_count\{[^}]*step="create-sales-order"[^}]*outcome="done"[^}]*\} (\d+)/m)).toBeGreaterThanOrEqual(5);
  });
});
