import { HttpCrmConnector } from '../../../connectors/crm/http-crm.connector';
import { HttpErpConnector } from '../../../connectors/erp/http-erp.connector';
import { Money } from '../../../platform/money';
import { loadOrCreateLocalSecrets } from '../../../platform/secrets';
import { serviceTokenSigner } from '../../../platform/service-auth';
import type { TestStack } from '../../../test-support/stack';

// The stack's configured default credit limit, small enough that one order of a seeded product passes it.
const DEFAULT_LIMIT = '500.00';

interface FlowView {
  id: string;
  status: string;
  error: string | null;
  salesOrder: { id: string } | null;
  steps: { name: string; status: string; error: string | null }[];
}
const FLOW_FIELDS = 'id status error salesOrder { id } steps { name status error }';
const PLACE = `mutation ($input: PlaceOrderInput!, $key: String!) { placeOrder(input: $input, idempotencyKey: $key) { ${FLOW_FIELDS} } }`;
const SETTLED = new Set(['WAITING', 'COMPLETED', 'COMPENSATED', 'FAILED']);

/** Credit, money, idempotency and bad input as a client meets them through the gateway. */
/** What the stack these cases run on is configured with. */
export const MONEY_STACK_ENV: NodeJS.ProcessEnv = {
  DEFAULT_CREDIT_LIMIT: DEFAULT_LIMIT,
  // Twenty flows at once on a shared machine: a slow answer is not what these cases test.
  SUBGRAPH_TIMEOUT_MS: '60000',
  BACKEND_TIMEOUT_MS: '30000',
};

/** Credit, money, idempotency and bad input on a running embedded stack started with MONEY_STACK_ENV; they make their own customers. */
export function moneyCases(stackOf: () => TestStack): void {
  describe('money and writes through the gateway (embedded stack)', () => {
    let stack: TestStack;
    let erp: HttpErpConnector;
    let crm: HttpCrmConnector;
    let keyNo = 0;
    const key = (label: string) => `money-${label}-${Date.now()}-${++keyNo}`;

    beforeAll(() => {
      stack = stackOf();
      const serviceToken = serviceTokenSigner(loadOrCreateLocalSecrets(stack.dataDir).internalSecret, 'e2e');
      erp = new HttpErpConnector({ baseUrl: stack.urls['erp-backend'], serviceToken });
      crm = new HttpCrmConnector({ baseUrl: stack.urls['crm-backend'], serviceToken });
    });

    async function ok<T = any>(query: string, variables?: Record<string, unknown>, options?: { role?: string; sub?: string; customerId?: string }): Promise<T> {
      const answer = await stack.gql<T>(query, variables, options);
      if (answer.errors) throw new Error(`${query.slice(0, 60)}… answered ${JSON.stringify(answer.errors)}`);
      return answer.data as T;
    }

    async function newCustomer(name: string, creditLimit?: string): Promise<{ id: string; erpCustomerNo: string }> {
      const input = { name, country: 'DE', ...(creditLimit ? { creditLimit } : {}) };
      const data = await ok(`mutation ($input: CreateCustomerInput!) { createCustomer(input: $input) { id erpCustomerNo } }`, { input });
      return data.createCustomer;
    }

    async function manufacturedProduct(): Promise<{ sku: string; price: string }> {
      const data = await ok(`{ products(first: 100) { nodes { sku manufactured unitPrice { amount currency } } } }`);
      const product = data.products.nodes.find((p: any) => p.manufactured && new Money(p.unitPrice.amount).gt(0) && new Money(p.unitPrice.amount).lt(DEFAULT_LIMIT));
      return { sku: product.sku, price: product.unitPrice.amount };
    }

    async function flow(id: string, role = 'admin'): Promise<FlowView> {
      return (await ok(`query ($id: ID!) { orderFlow(id: $id) { ${FLOW_FIELDS} } }`, { id }, { role })).orderFlow;
    }

    /** The flow once it waits (for finance, or with its order created: production, shipment or payment pending) or ended. */
    async function settled(id: string, timeoutMs = 120_000): Promise<FlowView> {
      return flowUntil(id, (f) => SETTLED.has(f.status), timeoutMs);
    }

    async function flowUntil(id: string, done: (f: FlowView) => boolean, timeoutMs = 120_000): Promise<FlowView> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const current = await flow(id);
        if (done(current)) return current;
        if (Date.now() > deadline) throw new Error(`flow ${id} still ${current.status}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }

    /** True while the flow waits for finance's credit review. */
    const awaitingFinance = (f: FlowView) => f.status === 'WAITING' && f.steps.some((s) => s.status === 'WAITING' && s.error === 'waiting for finance to review the credit');

    async function reject(id: string, reason = 'over the limit'): Promise<FlowView> {
      await ok(`mutation ($id: ID!, $reason: String!) { rejectOrderCredit(id: $id, reason: $reason) { id } }`, { id, reason }, { role: 'finance' });
      return flowUntil(id, (f) => f.status === 'COMPENSATED' || f.status === 'FAILED');
    }

    async function place(customerId: string, lines: { sku: string; quantity: number }[], options: { role?: string; sub?: string; idempotencyKey?: string } = {}): Promise<FlowView> {
      return (await ok(PLACE, { input: { customerId, lines }, key: options.idempotencyKey ?? key('order') }, { role: options.role ?? 'sales', sub: options.sub })).placeOrder;
    }

    describe('credit limits are finance’s', () => {
      it('refuses a credit limit or payment terms from sales with FORBIDDEN and writes nothing, not even the other fields', async () => {
        const name = `Forbidden Credit ${Date.now()} GmbH`;
        const created = await stack.gql(`mutation ($name: String!) { createCustomer(input: { name: $name, creditLimit: "999999.00" }) { id } }`, { name }, { role: 'sales' });
        expect(created.errors?.[0].extensions?.code).toBe('FORBIDDEN');
        expect(created.errors?.[0].message).toContain('input.creditLimit');
        const found = await ok(`query ($s: String!) { customers(search: $s) { totalCount } }`, { s: name });
        expect(found.customers.totalCount).toBe(0);

        const customer = await newCustomer(`Kept Terms ${Date.now()} AG`, '1000.00');
        const cleared = await stack.gql(`mutation ($id: ID!) { updateCustomer(id: $id, input: { name: "Renamed By Sales", creditLimit: null }) { id } }`, { id: customer.id }, { role: 'sales' });
        expect(cleared.errors?.[0].extensions?.code).toBe('FORBIDDEN');
        const terms = await stack.gql(`mutation ($id: ID!) { updateCustomer(id: $id, input: { paymentTerms: "NET90" }) { id } }`, { id: customer.id }, { role: 'sales' });
        expect(terms.errors?.[0].extensions?.code).toBe('FORBIDDEN');
        const after = await ok(`query ($id: ID!) { customer(id: $id) { name creditLimit { amount } paymentTerms } }`, { id: customer.id }, { role: 'finance' });
        expect(after.customer).toEqual({ name: expect.stringContaining('Kept Terms'), creditLimit: { amount: '1000.00' }, paymentTerms: null });

        // Finance sets credit terms, and nothing else.
        const raised = await ok(`mutation ($id: ID!) { updateCustomer(id: $id, input: { creditLimit: "2000.00", paymentTerms: "NET30" }) { creditLimit { amount } paymentTerms } }`, { id: customer.id }, { role: 'finance' });
        expect(raised.updateCustomer).toEqual({ creditLimit: { amount: '2000.00' }, paymentTerms: 'NET30' });
        const renamed = await stack.gql(`mutation ($id: ID!) { updateCustomer(id: $id, input: { name: "Finance Renamed" }) { id } }`, { id: customer.id }, { role: 'finance' });
        expect(renamed.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      }, 60_000);

      it('gives new customers from the API and from the sync the configured default limit, never none', async () => {
        const fromApi = await ok(`mutation { createCustomer(input: { name: "Default Limit GmbH" }) { id } }`, {}, { role: 'sales' });
        const read = await ok(`query ($id: ID!) { customer(id: $id) { creditLimit { amount } } }`, { id: fromApi.createCustomer.id }, { role: 'finance' });
        expect(read.customer.creditLimit).toEqual({ amount: DEFAULT_LIMIT });

        const account = await crm.createAccount({ name: `Synced Default ${Date.now()} AB`, country: 'SE' });
        const deadline = Date.now() + 30_000;
        let synced: { creditLimit: string | null } | undefined;
        while (!synced && Date.now() < deadline) {
          [synced] = await erp.findCustomersByExternalRefs([account.id]);
          if (!synced) await new Promise((resolve) => setTimeout(resolve, 250));
        }
        expect(synced?.creditLimit).toBe(DEFAULT_LIMIT);
      }, 60_000);

      it('checks a customer whose limit finance cleared against the default limit, not as unlimited', async () => {
        const product = await manufacturedProduct();
        const customer = await newCustomer(`Cleared Limit ${Date.now()} GmbH`, '90000000.00');
        await ok(`mutation ($id: ID!) { updateCustomer(id: $id, input: { creditLimit: null }) { id } }`, { id: customer.id }, { role: 'finance' });
        const quantity = new Money(DEFAULT_LIMIT).div(product.price).floor().plus(1).toNumber();
        const waiting = await settled((await place(customer.id, [{ sku: product.sku, quantity }])).id);
        expect(awaitingFinance(waiting)).toBe(true);
        expect(waiting.salesOrder).toBeNull();
        const review = await ok(`query ($id: ID!) { orderFlow(id: $id) { creditReview { status creditLimit } } }`, { id: waiting.id }, { role: 'finance' });
        expect(review.orderFlow.creditReview).toEqual({ status: 'PENDING', creditLimit: DEFAULT_LIMIT });
        const ended = await reject(waiting.id);
        expect(ended.status).toBe('COMPENSATED');
        expect(ended.salesOrder).toBeNull();
        expect((await flow(ended.id, 'finance')).error).toMatch(new RegExp(`^CREDIT_LIMIT_EXCEEDED: .*${DEFAULT_LIMIT.replace('.', '\\.')}`));
      }, 180_000);

      it('with a limit of 0 every order waits for finance; only finance or admin approves it, and it goes on', async () => {
        const product = await manufacturedProduct();
        const customer = await newCustomer(`Zero Limit ${Date.now()} GmbH`, '0.00');
        const waiting = await settled((await place(customer.id, [{ sku: product.sku, quantity: 1 }])).id);
        expect(awaitingFinance(waiting)).toBe(true);
        expect(waiting.salesOrder).toBeNull();
        const bySales = await stack.gql(`mutation ($id: ID!) { approveOrderCredit(id: $id) { id } }`, { id: waiting.id }, { role: 'sales' });
        expect(bySales.errors?.[0].extensions?.code).toBe('FORBIDDEN');
        const queue = await ok(`{ creditReviews(first: 100) { nodes { orderFlow { id } orderTotal exposure creditLimit } } }`, {}, { role: 'finance' });
        expect(queue.creditReviews.nodes).toContainEqual({ orderFlow: { id: waiting.id }, orderTotal: product.price, exposure: '0.00', creditLimit: '0.00' });
        const approved = await ok(`mutation ($id: ID!) { approveOrderCredit(id: $id, note: "prepaid", idempotencyKey: "zero-1") { creditReview { status decidedBy } } }`, { id: waiting.id }, { role: 'finance', sub: 'finance-anna' });
        expect(approved.approveOrderCredit.creditReview).toEqual({ status: 'APPROVED', decidedBy: 'finance-anna' });
        const going = await flowUntil(waiting.id, (f) => f.salesOrder !== null);
        expect(going.steps.find((s) => s.name === 'create-sales-order')?.status).toBe('DONE');
      }, 180_000);

      it('lets 20 concurrent orders of one customer jointly stay within its limit, open orders counted', async () => {
        const product = await manufacturedProduct();
        const fits = 5;
        const limit = new Money(product.price).times(fits).toFixed(2);
        const customer = await newCustomer(`Racing Orders ${Date.now()} GmbH`, limit);
        const started = await Promise.all(Array.from({ length: 20 }, () => place(customer.id, [{ sku: product.sku, quantity: 1 }])));
        const ended = await Promise.all(started.map((f) => settled(f.id, 240_000)));
        const accepted = ended.filter((f) => f.salesOrder !== null && f.status !== 'COMPENSATED');
        const held = ended.filter(awaitingFinance);
        expect(accepted).toHaveLength(fits);
        expect(held).toHaveLength(20 - fits);
        for (const f of held) expect(f.salesOrder).toBeNull();
        const refused = await Promise.all(held.map((f) => reject(f.id)));
        for (const f of refused) expect(f).toMatchObject({ status: 'COMPENSATED', error: expect.stringMatching(/^CREDIT_LIMIT_EXCEEDED/) });
        // What the ERP holds for the customer: open orders worth the limit, not more.
        const orders = await ok(`query ($id: ID!) { salesOrders(first: 100, customerId: $id) { nodes { status total { amount } } } }`, { id: customer.id }, { role: 'finance' });
        const open = orders.salesOrders.nodes.filter((o: any) => o.status !== 'CANCELLED');
        expect(open.reduce((sum: Money, o: any) => sum.plus(o.total.amount), new Money(0)).toFixed(2)).toBe(limit);
      }, 300_000);

      it('refuses an order for a product priced in another currency than the customer’s with CURRENCY_MISMATCH and creates no order', async () => {
        const sku = `USD-${Date.now()}`;
        await erp.upsertProducts([{ sku, name: 'Imported valve', unitPrice: '10.00', currency: 'USD', manufactured: true }]);
        const customer = await newCustomer(`Euro Only ${Date.now()} GmbH`, '100000.00');
        const ended = await settled((await place(customer.id, [{ sku, quantity: 1 }])).id);
        expect(ended.status).toBe('COMPENSATED');
        expect(ended.salesOrder).toBeNull();
        expect(ended.error).toMatch(/^CURRENCY_MISMATCH/);
        const orders = await ok(`query ($id: ID!) { salesOrders(first: 10, customerId: $id) { totalCount } }`, { id: customer.id });
        expect(orders.salesOrders.totalCount).toBe(0);
      }, 180_000);

      it('tells sales and partners a refused order’s code and a generic reason, never the limit, the balance or internals', async () => {
        const product = await manufacturedProduct();
        const customer = await newCustomer(`Quiet Refusal ${Date.now()} GmbH`, '1.00');
        const ended = await reject((await settled((await place(customer.id, [{ sku: product.sku, quantity: 1 }])).id)).id);
        expect(ended.status).toBe('COMPENSATED');
        const forFinance = await flow(ended.id, 'finance');
        expect(forFinance.error).toContain('1.00');
        for (const reader of [{ role: 'sales' }, { role: 'operations' }, { role: 'partner', customerId: customer.id }]) {
          const seen = (await ok(`query ($id: ID!) { orderFlow(id: $id) { error steps { name error } } }`, { id: ended.id }, reader)).orderFlow;
          expect(seen.error).toMatch(/^CREDIT_LIMIT_EXCEEDED: /);
          const texts = [seen.error, ...seen.steps.map((s: { error: string | null }) => s.error)].filter(Boolean).join(' | ');
          expect(texts).not.toMatch(/\d+\.\d\d/);
          expect(texts).not.toContain(customer.erpCustomerNo);
        }
      }, 180_000);
    });

    describe('idempotency keys', () => {
      async function openInvoice(): Promise<{ id: string; amountDue: string }> {
        const data = await ok(`{ customers(first: 60) { nodes { invoices(status: OPEN) { id amountDue { amount } } } } }`, {}, { role: 'finance' });
        const invoice = data.customers.nodes.flatMap((c: any) => c.invoices).find((i: any) => new Money(i.amountDue.amount).gt(2));
        return { id: invoice.id, amountDue: invoice.amountDue.amount };
      }

      it('records a payment once for a retried key, refuses the key with other input, and keeps keys apart per user', async () => {
        const invoice = await openInvoice();
        const pay = (amount: string, idempotencyKey: string, sub?: string) =>
          stack.gql(`mutation ($id: ID!, $amount: Decimal!, $key: String) { recordPayment(invoiceId: $id, amount: $amount, idempotencyKey: $key) { amountDue { amount } } }`, { id: invoice.id, amount, key: idempotencyKey }, { role: 'finance', sub });
        const k = key('payment');
        const first = await pay('1.00', k);
        const retried = await pay('1.00', k);
        expect(first.errors).toBeUndefined();
        expect(retried.data).toEqual(first.data);
        const expected = new Money(invoice.amountDue).minus(1).toFixed(2);
        expect(first.data.recordPayment.amountDue.amount).toBe(expected);
        const conflict = await pay('2.00', k);
        expect(conflict.errors?.[0].extensions?.code).toBe('CONFLICT');
        // Another finance user with the same key records its own payment.
        const other = await pay('1.00', k, 'e2e-finance-second');
        expect(other.errors).toBeUndefined();
        expect(other.data.recordPayment.amountDue.amount).toBe(new Money(expected).minus(1).toFixed(2));
      }, 60_000);

      it('creates one customer, opportunity, activity and case per key', async () => {
        const name = `Once Only ${Date.now()} GmbH`;
        const create = (k: string, input: Record<string, unknown>) => stack.gql(`mutation ($input: CreateCustomerInput!, $key: String) { createCustomer(input: $input, idempotencyKey: $key) { id } }`, { input, key: k }, { role: 'sales' });
        const k = key('customer');
        const first = await create(k, { name });
        const again = await create(k, { name });
        expect(first.errors).toBeUndefined();
        expect(again.data).toEqual(first.data);
        expect((await create(k, { name, country: 'FR' })).errors?.[0].extensions?.code).toBe('CONFLICT');
        expect((await ok(`query ($s: String!) { customers(search: $s) { totalCount } }`, { s: name })).customers.totalCount).toBe(1);
        const customerId = first.data.createCustomer.id;

        const product = await manufacturedProduct();
        const writes: [string, string, Record<string, unknown>][] = [
          ['createOpportunity', 'mutation ($input: CreateOpportunityInput!, $key: String) { createOpportunity(input: $input, idempotencyKey: $key) { id } }', { customerId, name: 'Once', lines: [{ sku: product.sku, quantity: 1 }] }],
          ['logActivity', 'mutation ($input: LogActivityInput!, $key: String) { logActivity(input: $input, idempotencyKey: $key) { id } }', { customerId, type: 'CALL', subject: 'Called once' }],
          ['openCase', 'mutation ($input: OpenCaseInput!, $key: String) { openCase(input: $input, idempotencyKey: $key) { id } }', { customerId, subject: 'Opened once', priority: 'LOW' }],
        ];
        for (const [field, mutation, input] of writes) {
          const k2 = key(field);
          const a = await stack.gql(mutation, { input, key: k2 }, { role: 'sales' });
          const b = await stack.gql(mutation, { input, key: k2 }, { role: 'sales' });
          expect(a.errors).toBeUndefined();
          expect(b.data[field].id).toBe(a.data[field].id);
        }
        const crmSide = await ok(`query ($id: ID!) { customer(id: $id) { opportunities { id } activities { subject } cases { subject } } }`, { id: customerId });
        expect(crmSide.customer.opportunities).toHaveLength(1);
        expect(crmSide.customer.activities.filter((a: { subject: string }) => a.subject === 'Called once')).toHaveLength(1);
        expect(crmSide.customer.cases).toHaveLength(1);
      }, 60_000);

      it('keeps placeOrder keys per user: two users with the same key get their own flows', async () => {
        const product = await manufacturedProduct();
        const customer = await newCustomer(`Shared Key ${Date.now()} GmbH`, '100000.00');
        const shared = key('shared');
        const mine = await place(customer.id, [{ sku: product.sku, quantity: 1 }], { sub: 'e2e-sales-anna', idempotencyKey: shared });
        const again = await place(customer.id, [{ sku: product.sku, quantity: 1 }], { sub: 'e2e-sales-anna', idempotencyKey: shared });
        const theirs = await place(customer.id, [{ sku: product.sku, quantity: 2 }], { sub: 'e2e-sales-ben', idempotencyKey: shared });
        expect(again.id).toBe(mine.id);
        expect(theirs.id).not.toBe(mine.id);
      }, 60_000);
    });

    describe('paging and bad input', () => {
      it('pages a partner through its own flows only, with its own count', async () => {
        const product = await manufacturedProduct();
        const own = await newCustomer(`Partner Own ${Date.now()} GmbH`, '100000.00');
        const other = await newCustomer(`Partner Other ${Date.now()} GmbH`, '100000.00');
        for (let i = 0; i < 3; i++) await place(own.id, [{ sku: product.sku, quantity: 1 }]);
        for (let i = 0; i < 4; i++) await place(other.id, [{ sku: product.sku, quantity: 1 }]);
        const seen: string[] = [];
        let after: string | null = null;
        for (let page = 0; page < 10; page++) {
          const data: any = await ok(`query ($after: String) { orderFlows(first: 1, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id customer { id } } } }`, { after }, { role: 'partner', customerId: own.id });
          expect(data.orderFlows.totalCount).toBe(3);
          expect(data.orderFlows.nodes).toHaveLength(1);
          expect(data.orderFlows.nodes[0].customer.id).toBe(own.id);
          seen.push(data.orderFlows.nodes[0].id);
          if (!data.orderFlows.pageInfo.hasNextPage) break;
          after = data.orderFlows.pageInfo.endCursor;
        }
        expect(new Set(seen).size).toBe(3);
      }, 120_000);

      it('answers crafted and foreign cursors with BAD_USER_INPUT, not an upstream failure', async () => {
        const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
        const orderCursor = (await ok(`{ salesOrders(first: 1) { pageInfo { endCursor } } }`)).salesOrders.pageInfo.endCursor;
        const cases: [string, string][] = [
          ['salesOrders', b64('["1","SO-1"]')],
          ['salesOrders', b64('["garbage","x"]')],
          ['opportunities', b64('c|1|0453dcac-d3ee-4851-aa50-73997958a62a')],
          ['orderFlows', b64('2026-01-01T00:00:00.000Z|not-a-uuid')],
          ['orderFlows', orderCursor],
          ['customers', orderCursor],
          ['customers', b64('garbage')],
        ];
        const before = await stack.counter('erp-subgraph', 'connector_requests_total', { operation: 'listSalesOrders' });
        for (const [list, cursor] of cases) {
          const answer = await stack.gql(`query ($after: String) { ${list}(first: 2, after: $after) { totalCount } }`, { after: cursor });
          expect({ list, cursor, code: answer.errors?.[0].extensions?.code }).toEqual({ list, cursor, code: 'BAD_USER_INPUT' });
        }
        // One call per bad cursor: a refusal is not retried.
        expect((await stack.counter('erp-subgraph', 'connector_requests_total', { operation: 'listSalesOrders' })) - before).toBe(2);
      }, 60_000);

      it('answers a numeric literal out of range with BAD_USER_INPUT and HTTP 400, not 500', async () => {
        const literal = await stack.gql(`mutation { recordPayment(invoiceId: "INV-1", amount: 1e400) { id } }`, {}, { role: 'finance' });
        expect(literal.status).toBe(400);
        expect(literal.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
        const nested = await stack.gql(`mutation { createCustomer(input: { name: "Huge", creditLimit: -1e400 }) { id } }`);
        expect(nested.status).toBe(400);
        expect(nested.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      }, 30_000);
    });
  });
}
