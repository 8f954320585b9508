import { describeTryton } from '../../connectors/erp/tryton/tryton-test-support';
import { TrytonRpc, date, decimal } from '../../connectors/erp/tryton/tryton-rpc';
import { type DrivenFlow, OrderFlowDriver } from '../../subgraphs/integration/flows/order-to-cash/test-support/order-flow-driver';
import { type TestStack, startTestStack } from '../../test-support/stack';

// The stack with Tryton 6.0 as the ERP, on a copy of the Tryton test template (the reference ERP's
// test fixtures: K-20001 with SO-200001 holding 100 BOLT-1, K-20002 with SO-200002 shipped and
// invoiced; GEAR-1 and PUMP-1 produced, BOLT-1 bought; PUMP-1 has no stock).
//
// Neither the sync's nor the flows' catch-up poll runs during the suite: what Tryton changes reaches
// the integration only as the change events polled from Tryton, as webhooks would bring it.
const TRYTON_POLL_MS = 1000;
const CATCH_UP_OFF_MS = '3600000';

type Row = Record<string, any>;

jest.setTimeout(180_000);

const CUSTOMER_360 = /* GraphQL */ `
  query ($id: ID!) {
    customer(id: $id) {
      id erpCustomerNo name creditLimit { amount currency } openBalance { amount currency } paymentTerms
      orders(first: 10) { id number status total { amount currency } lines { quantity reservedQuantity shippedQuantity product { sku stock { warehouse { code } onHand reserved } } } }
      invoices { id number status total { amount } amountDue { amount } }
    }
  }
`;

describeTryton('the supergraph with Tryton 6.0 as the ERP', () => {
  let stack: TestStack;
  let tryton: TrytonRpc;
  let driver: OrderFlowDriver;
  let customerId: string;
  let customerNo: string;
  let keyNo = 0;
  const key = () => `tryton-e2e-${Date.now()}-${++keyNo}`;

  beforeAll(async () => {
    stack = await startTestStack('pglite', {
      erp: 'tryton',
      env: { TRYTON_POLL_MS: String(TRYTON_POLL_MS), SYNC_POLL_INTERVAL_MS: CATCH_UP_OFF_MS, FLOW_POLL_MS: CATCH_UP_OFF_MS, RECONCILIATION_INTERVAL_MS: CATCH_UP_OFF_MS },
      readyTimeoutMs: 240_000,
    });
    tryton = new TrytonRpc({ url: stack.tryton!.url, database: stack.tryton!.database, login: 'integration', password: process.env.TRYTON_PASSWORD || 'Sync-Tryton6!Ok' });
    driver = new OrderFlowDriver((query, variables, options) => stack.gql(query, variables, options), { timeoutMs: 120_000 });
    const created = await stack.gql(`mutation { createCustomer(input: { name: "Tryton Flow Works GmbH", country: "DE", creditLimit: "90000.00", paymentTerms: "NET30" }) { id erpCustomerNo } }`);
    expect(created.errors).toBeUndefined();
    ({ id: customerId, erpCustomerNo: customerNo } = created.data.createCustomer);
    expect(customerNo).toMatch(/^K-\d+$/);
  }, 300_000);

  afterAll(async () => {
    await tryton?.close();
    await stack?.dispose();
  }, 60_000);

  const sales = (domain: unknown[]) => tryton.searchRead<Row>('e2e', 'sale.sale', domain, ['number', 'state', 'total_amount', 'shipments', 'invoices'], { order: [['id', 'DESC']] });

  it('answers a Customer 360 with the orders, stock and invoices Tryton’s own search_read returns', async () => {
    for (const no of ['K-20001', 'K-20002']) {
      const answer = await stack.gql(CUSTOMER_360, { id: `erp:${no}` });
      expect(answer.errors).toBeUndefined();
      const customer = answer.data.customer;
      const [party] = await tryton.searchRead<Row>('e2e', 'party.party', [['code', '=', no]], ['name', 'credit_limit_amount', 'customer_payment_term.name']);
      expect([customer.erpCustomerNo, customer.name, customer.creditLimit?.amount ?? null, customer.paymentTerms]).toEqual([
        no,
        party.name,
        party.credit_limit_amount === null ? null : Number(party.credit_limit_amount).toFixed(2),
        party['customer_payment_term.']?.name ?? null,
      ]);

      const theirs = await sales([['party.code', '=', no]]);
      expect(customer.orders.map((o: Row) => [o.id, o.number, o.total.amount])).toEqual(theirs.map((s) => [String(s.id), s.number, Number(s.total_amount).toFixed(2)]));

      const invoices = await tryton.searchRead<Row>('e2e', 'account.invoice', [['party.code', '=', no], ['type', '=', 'out'], ['state', 'in', ['posted', 'paid']]], ['number', 'state', 'total_amount', 'amount_to_pay'], { order: [['id', 'DESC']] });
      expect(customer.invoices.map((i: Row) => [i.number, i.total.amount, i.amountDue.amount])).toEqual(
        invoices.map((i) => [i.number, Number(i.total_amount).toFixed(2), i.state === 'posted' ? Number(i.amount_to_pay).toFixed(2) : '0.00']),
      );
      const due = invoices.filter((i) => i.state === 'posted').reduce((sum, i) => sum + Number(i.amount_to_pay), 0);
      expect(customer.openBalance.amount).toBe(due.toFixed(2));

      // Stock per warehouse: Tryton's quantity in each warehouse's location context.
      const warehouses = await tryton.searchRead<Row>('e2e', 'stock.location', [['type', '=', 'warehouse']], ['code']);
      for (const line of customer.orders.flatMap((o: Row) => o.lines)) {
        const onHand: Record<string, number> = {};
        for (const warehouse of warehouses) {
          const [product] = await tryton.searchRead<Row>('e2e', 'product.product', [['code', '=', line.product.sku]], ['quantity'], {
            context: { locations: [warehouse.id], with_childs: true, stock_date_end: date(new Date().toISOString()) },
          });
          if (Number(product.quantity) !== 0) onHand[warehouse.code] = Number(product.quantity);
        }
        expect(Object.fromEntries(line.product.stock.filter((s: Row) => s.onHand !== 0).map((s: Row) => [s.warehouse.code, s.onHand]))).toEqual(onHand);
      }
    }
    const k20001 = (await stack.gql(CUSTOMER_360, { id: 'erp:K-20001' })).data.customer;
    expect(k20001.orders[0]).toMatchObject({ number: 'SO-200001', status: 'READY_TO_SHIP', lines: [{ quantity: 100, reservedQuantity: 100, product: { sku: 'BOLT-1', stock: [{ warehouse: { code: 'WH-A' }, onHand: 1000, reserved: 100 }] } }] });
    const k20002 = (await stack.gql(CUSTOMER_360, { id: 'erp:K-20002' })).data.customer;
    expect(k20002).toMatchObject({ openBalance: { amount: '1200.00' }, orders: [{ number: 'SO-200002', status: 'INVOICED' }], invoices: [{ status: 'OPEN', amountDue: { amount: '1200.00' } }] });
  });

  it('hears of a party created in Tryton and gives it its CRM account', async () => {
    const name = `Papa Hydraulics ${Date.now()}`;
    const started = Date.now();
    const [id] = await tryton.model<number[]>('e2e', 'party.party', 'create', [[{ name }]]);
    const [party] = await tryton.searchRead<Row>('e2e', 'party.party', [['id', '=', id]], ['code']);
    let found: Row | undefined;
    while (!found && Date.now() - started < 30_000) {
      const answer = await stack.gql(`query ($id: ID!) { customer(id: $id) { id crmAccountId name sync { inCrm inErp } } }`, { id: `erp:${party.code}` });
      if (answer.data?.customer?.crmAccountId) found = answer.data.customer;
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    console.log(`a party created in Tryton had its CRM account after ${Date.now() - started} ms (Tryton polled every ${TRYTON_POLL_MS} ms)`);
    expect(found).toMatchObject({ name, sync: { inCrm: true, inErp: true } });
  });

  it('drives placeOrder with a shortage through a sale, a production, a shipment, an invoice and a payment in Tryton to COMPLETED', async () => {
    const placed = await driver.placeOrder(customerId, [{ sku: 'PUMP-1', quantity: 1 }, { sku: 'BOLT-1', quantity: 5 }], key());
    const ended = await driver.driveToEnd(placed.id);
    expect(ended.status).toBe('COMPLETED');
    const order = await driver.order(ended.salesOrder!.id);
    expect(order.status).toBe('PAID');
    expect(order.productionOrders.map((p) => p.status)).toEqual(['COMPLETED']);

    const [sale] = await sales([['id', '=', Number(order.id)]]);
    expect(sale).toMatchObject({ state: 'done', total_amount: '1200.50' });
    const productions = await tryton.searchRead<Row>('e2e', 'production', [['reference', 'like', `sale:${sale.id}|%`]], ['state', 'product.code', 'quantity']);
    expect(productions.map((p) => [p['product.'].code, p.quantity, p.state])).toEqual([['PUMP-1', 1, 'done']]);
    const shipments = await tryton.searchRead<Row>('e2e', 'stock.shipment.out', [['id', 'in', sale.shipments]], ['state']);
    expect(shipments.map((s) => s.state)).toEqual(['done']);
    const invoices = await tryton.searchRead<Row>('e2e', 'account.invoice', [['id', 'in', sale.invoices]], ['state', 'amount_to_pay']);
    expect(invoices.map((i) => [i.state, Number(i.amount_to_pay)])).toEqual([['paid', 0]]);
  });

  it('moves a waiting flow on when the warehouse and finance work in Tryton itself', async () => {
    const placed = await driver.placeOrder(customerId, [{ sku: 'BOLT-1', quantity: 2 }], key());
    const waitingOn = (step: string) => (f: DrivenFlow) => f.steps.some((s) => s.name === step && s.status === 'WAITING');
    let flow = await driver.until(placed.id, waitingOn('wait-for-shipment'));
    const [shipment] = (await driver.order(flow.salesOrder!.id)).shipments;
    for (const button of ['pick', 'pack', 'done']) await tryton.model('e2e', 'stock.shipment.out', button, [[Number(shipment.id)]]);

    flow = await driver.until(placed.id, waitingOn('wait-for-payment'));
    const [invoice] = (await driver.order(flow.salesOrder!.id)).invoices;
    const [open] = await tryton.searchRead<Row>('e2e', 'account.invoice', [['id', '=', Number(invoice.id)]], ['amount_to_pay', 'currency']);
    const [method] = await tryton.searchRead<Row>('e2e', 'account.invoice.payment.method', [], ['id'], { limit: 1 });
    await tryton.wizard('e2e', 'account.invoice.pay', 'account.invoice', Number(invoice.id), [
      { state: 'start', data: {} },
      { state: 'choice', data: { start: { currency: open.currency, amount: decimal(String(open.amount_to_pay)), date: date(new Date().toISOString()), payment_method: method.id, description: 'paid at the bank' } } },
    ]);

    flow = await driver.until(placed.id, (f) => f.status !== 'WAITING' && f.status !== 'RUNNING');
    expect(flow.status).toBe('COMPLETED');
    expect((await driver.order(flow.salesOrder!.id)).status).toBe('PAID');
  });

  it('cancelOrder compensates in Tryton: the shipment is cancelled and the order called off', async () => {
    const placed = await driver.placeOrder(customerId, [{ sku: 'BOLT-1', quantity: 7 }], key());
    const waiting = await driver.until(placed.id, (f) => f.steps.some((s) => s.name === 'wait-for-shipment' && s.status === 'WAITING'));
    const orderId = waiting.salesOrder!.id;
    const cancel = await stack.gql(`mutation ($id: ID!) { cancelOrder(salesOrderId: $id, reason: "customer changed their mind") { id status } }`, { id: orderId });
    expect(cancel.errors).toBeUndefined();
    const ended = await driver.until(placed.id, (f) => f.status === 'COMPENSATED' || f.status === 'FAILED');
    expect(ended.status).toBe('COMPENSATED');
    expect((await driver.order(orderId)).status).toBe('CANCELLED');
    const [sale] = await sales([['id', '=', Number(orderId)]]);
    const shipments = await tryton.searchRead<Row>('e2e', 'stock.shipment.out', [['id', 'in', sale.shipments]], ['state']);
    expect(shipments.map((s) => s.state)).toEqual(['cancelled']);
  });

  it('concurrent placeOrder calls with one key leave one flow and one sale in Tryton', async () => {
    const before = (await sales([['party.code', '=', customerNo]])).length;
    const same = key();
    const flows = await Promise.all(Array.from({ length: 4 }, () => driver.placeOrder(customerId, [{ sku: 'BOLT-1', quantity: 1 }], same)));
    expect(new Set(flows.map((f) => f.id)).size).toBe(1);
    const withOrder = await driver.until(flows[0].id, (f) => f.salesOrder !== null && f.steps.some((s) => s.name === 'reserve-stock' && s.status === 'DONE'));
    const again = await driver.placeOrder(customerId, [{ sku: 'BOLT-1', quantity: 1 }], same);
    expect(again.id).toBe(flows[0].id);
    const after = await sales([['party.code', '=', customerNo]]);
    expect(after).toHaveLength(before + 1);
    expect(String(after[0].id)).toBe(withOrder.salesOrder!.id);
  });

  it('holds an order over the credit limit Tryton keeps for finance, and undoes it when finance rejects it', async () => {
    const tight = await stack.gql(`mutation { createCustomer(input: { name: "Quebec Tight Credit Oy", creditLimit: "10.00", paymentTerms: "NET30" }) { id erpCustomerNo } }`);
    expect(tight.errors).toBeUndefined();
    const { id, erpCustomerNo } = tight.data.createCustomer;
    const placed = await driver.placeOrder(id, [{ sku: 'PUMP-1', quantity: 1 }], key());
    const waiting = await driver.until(placed.id, (f) => f.status !== 'RUNNING');
    expect(waiting).toMatchObject({ status: 'WAITING', salesOrder: null });
    expect(waiting.steps.find((s) => s.status === 'WAITING')?.name).toBe('check-credit');
    const review = await stack.gql(`query ($id: ID!) { orderFlow(id: $id) { creditReview { status creditLimit orderTotal } } }`, { id: placed.id }, { role: 'finance' });
    expect(review.data.orderFlow.creditReview).toEqual({ status: 'PENDING', creditLimit: '10.00', orderTotal: '1200.00' });

    const rejected = await stack.gql(`mutation ($id: ID!) { rejectOrderCredit(id: $id, reason: "no more credit") { id } }`, { id: placed.id }, { role: 'finance' });
    expect(rejected.errors).toBeUndefined();
    const ended = await driver.until(placed.id, (f) => f.status === 'COMPENSATED' || f.status === 'FAILED');
    expect(ended.status).toBe('COMPENSATED');
    expect(ended.error).toMatch(/^CREDIT_LIMIT_EXCEEDED/);
    expect(await sales([['party.code', '=', erpCustomerNo]])).toEqual([]);
  });
});
