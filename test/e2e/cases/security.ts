import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SignJWT, UnsecuredJWT } from 'jose';
import { buildDemoDataset } from '../../../backends/demo-data/demo-dataset';
import { apiSchemaOf } from '../../../gateway/authorization/field-scopes';
import { nullsInNonNullPositions } from '../../../gateway/test-support/non-null-check';
import { loadOrCreateLocalSecrets } from '../../../platform/secrets';
import { signServiceToken } from '../../../platform/service-auth';
import { signWebhook } from '../../../platform/webhook-signature';
import { SUPERGRAPH_PATH } from '../../../scripts/compose';
import { QueryFuzzer } from '../../../test-support/query-fuzzer';
import type { TestStack } from '../../../test-support/stack';

const dataset = buildDemoDataset();

type Role = 'admin' | 'sales' | 'finance' | 'operations' | 'partner';
const ROLES: Role[] = ['admin', 'sales', 'finance', 'operations', 'partner'];
type GqlError = { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> };
type Answer = { status: number; body: { data?: any; errors?: GqlError[] } };

// The customer a partner token is issued for, and another customer whose data it must never see.
const ownNo = pickCustomerWithInvoicedShippedOrders(0);
const otherNo = pickCustomerWithInvoicedShippedOrders(1);
// Their API Customer.ids ("crm:<uuid>" when first created in the CRM), read in beforeAll.
let OWN: string;
let OTHER: string;

function pickCustomerWithInvoicedShippedOrders(index: number): string {
  const shippedOrders = new Set(dataset.erp.shipments.map((s) => s.salesOrderNumber));
  const invoicedOrders = new Set(dataset.erp.invoices.map((i) => i.salesOrderNumber));
  const candidates = [...new Set(dataset.erp.salesOrders.filter((o) => shippedOrders.has(o.number) && invoicedOrders.has(o.number)).map((o) => o.customerNo))];
  return candidates[index];
}

const ALL: Role[] = ['admin', 'sales', 'finance', 'operations', 'partner'];
const STAFF: Role[] = ['admin', 'sales', 'finance', 'operations'];

/**
 * Each role-guarded field of the README's scope table, asked under its own alias of its parent
 * (so a refusal, nulling the nearest nullable position, touches nothing else), with the roles that
 * may see it. Every field not listed is open to every authenticated role.
 */
const GUARDED: Record<string, { parent: 'customer' | 'order' | 'root'; select: string; roles: Role[] }> = {
  creditLimit: { parent: 'customer', select: 'creditLimit { amount }', roles: ['finance', 'admin'] },
  openBalance: { parent: 'customer', select: 'openBalance { amount }', roles: ['finance', 'admin'] },
  invoices: { parent: 'customer', select: 'invoices { number }', roles: ['finance', 'admin', 'partner'] },
  orders: { parent: 'customer', select: 'orders(first: 2) { number }', roles: ALL },
  paymentTerms: { parent: 'customer', select: 'paymentTerms', roles: ALL },
  contacts: { parent: 'customer', select: 'contacts { name }', roles: STAFF },
  opportunities: { parent: 'customer', select: 'opportunities { id }', roles: STAFF },
  sync: { parent: 'customer', select: 'sync { state }', roles: STAFF },
  invoices_: { parent: 'order', select: 'invoices { number }', roles: ['finance', 'admin', 'partner'] },
  shipments: { parent: 'order', select: 'shipments { number }', roles: ALL },
  productionOrders: { parent: 'order', select: 'productionOrders { number }', roles: STAFF },
  opportunity: { parent: 'order', select: 'opportunity { id }', roles: STAFF },
  flow: { parent: 'order', select: 'flow { id }', roles: ALL },
  opportunities_: { parent: 'root', select: 'opportunities(first: 1) { totalCount }', roles: STAFF },
  dataQualityReport: { parent: 'root', select: 'dataQualityReport { checkedAt }', roles: ['admin'] },
  auditLog: { parent: 'root', select: 'auditLog(first: 1) { nodes { id } }', roles: ['admin'] },
};

// The response path of a guarded field's FORBIDDEN error.
const guardedPath = (key: string): string => {
  const { parent, select } = GUARDED[key];
  const field = select.split(/[ ({]/, 1)[0];
  return parent === 'root' ? field.replace(/_$/, '') : `${parent}_${key}.${field}`;
};

/** One query asking every guarded field (each under its own alias) beside fields every role may read. */
const roleMatrixQuery = (withRootFields: boolean) => `
  query Everything($customerId: ID!, $orderId: ID!) {
    products(first: 2) { nodes { sku name } }
    customer(id: $customerId) { id name }
    order: salesOrder(id: $orderId) { number }
    ${Object.entries(GUARDED)
      .filter(([, { parent }]) => withRootFields || parent !== 'root')
      .map(([key, { parent, select }]) =>
        parent === 'customer' ? `customer_${key}: customer(id: $customerId) { ${select} }` : parent === 'order' ? `order_${key}: salesOrder(id: $orderId) { ${select} }` : select,
      )
      .join('\n    ')}
  }
`;
const ROLE_MATRIX_QUERY = roleMatrixQuery(true);
const ROLE_MATRIX_QUERY_BELOW_ROOT = roleMatrixQuery(false);

/** What the stack these cases run on is configured with: everything a service can log is logged. */
export const SECURITY_STACK_ENV: NodeJS.ProcessEnv = { LOG_LEVEL: 'debug' };

/**
 * Security as a client meets it, on a running embedded stack started with SECURITY_STACK_ENV that
 * writes every service's output to `logFile`; last on it, since the fuzzer sends random mutations.
 */
export function securityCases(stackOf: () => TestStack, logFile: string): void {
  describe('secure by default, through the gateway as a client sends it', () => {
    let stack: TestStack;
    let secrets: { jwtSecret: string; internalSecret: string; webhookSecret: string };
    // Every credential this suite sends; none may appear in any service's output.
    const sentCredentials = new Set<string>();
    const tokens = new Map<string, string>();
    let ownOrderId: string;
    let otherOrderId: string;

    const tokenFor = async (role: Role, customerId?: string): Promise<string> => {
      const key = `${role}:${customerId ?? ''}`;
      if (!tokens.has(key)) {
        const token = await new SignJWT({ role, ...(customerId ? { customer_id: customerId } : {}) })
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject(`security-${role}`)
          .setIssuedAt()
          .setExpirationTime('1h')
          .sign(new TextEncoder().encode(secrets.jwtSecret));
        tokens.set(key, token);
        sentCredentials.add(token);
      }
      return tokens.get(key)!;
    };

    const post = async (body: unknown, headers: Record<string, string>, url = stack!.graphqlUrl): Promise<Answer> => {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
      const text = await response.text();
      let parsed: Answer['body'] = {};
      try {
        parsed = JSON.parse(text) as Answer['body'];
      } catch {
        parsed = { errors: [{ message: text }] };
      }
      return { status: response.status, body: parsed };
    };

    const gql = async (query: string, variables: Record<string, unknown> = {}, role: Role = 'admin', customerId?: string): Promise<Answer> =>
      post({ query, variables }, { authorization: `Bearer ${await tokenFor(role, customerId)}` });

    beforeAll(async () => {
      stack = stackOf();
      secrets = loadOrCreateLocalSecrets(stack!.dataDir);
      const ordersOf = async (customerNo: string) => {
        const answer = await gql(`query($c: ID!) { salesOrders(customerId: $c, first: 50) { nodes { id customer { id } invoices { id } shipments { id } } } }`, { c: `erp:${customerNo}` });
        expect(answer.body.errors).toBeUndefined();
        const nodes = answer.body.data.salesOrders.nodes as { id: string; customer: { id: string }; invoices: { id: string }[]; shipments: { id: string }[] }[];
        return { customerId: nodes[0].customer.id, orderId: nodes.find((o) => o.invoices.length > 0 && o.shipments.length > 0)!.id };
      };
      ({ customerId: OWN, orderId: ownOrderId } = await ordersOf(ownNo));
      ({ customerId: OTHER, orderId: otherOrderId } = await ordersOf(otherNo));
    });

    describe('authorization per field', () => {
      it.each(ROLES)('shows %s exactly the fields of its role, FORBIDDEN on the others with null where the schema allows it, the rest intact', async (role) => {
        const answer = await gql(ROLE_MATRIX_QUERY, { customerId: OWN, orderId: ownOrderId }, role, role === 'partner' ? OWN : undefined);
        expect(answer.status).toBe(200);
        const data = answer.body.data;
        const forbidden = new Set((answer.body.errors ?? []).filter((e) => e.extensions?.code === 'FORBIDDEN').map((e) => e.path!.join('.')));
        for (const [key, { roles }] of Object.entries(GUARDED)) {
          expect([key, forbidden.has(guardedPath(key))]).toEqual([key, !roles.includes(role)]);
        }
        expect(forbidden.size).toBe(Object.values(GUARDED).filter(({ roles }) => !roles.includes(role)).length);
        // A refused field nulls the nearest position the schema lets be null, never a non-null one.
        const schema = apiSchemaOf(readFileSync(SUPERGRAPH_PATH, 'utf8'));
        expect(nullsInNonNullPositions(schema, ROLE_MATRIX_QUERY, data)).toEqual([]);
        // A refused root field of a non-null type nulls the whole data (GraphQL's own rule); without
        // the root fields, the fields every role may read stand beside the refused ones.
        const refusedAtRoot = Object.values(GUARDED).some(({ parent, roles }) => parent === 'root' && !roles.includes(role));
        if (refusedAtRoot) expect(data).toBeNull();
        const rest = (await gql(ROLE_MATRIX_QUERY_BELOW_ROOT, { customerId: OWN, orderId: ownOrderId }, role, role === 'partner' ? OWN : undefined)).body.data;
        expect(nullsInNonNullPositions(schema, ROLE_MATRIX_QUERY_BELOW_ROOT, rest)).toEqual([]);
        expect(rest.products.nodes).toHaveLength(2);
        expect(rest.customer.name).toBe(dataset.erp.customers.find((c) => c.customerNo === ownNo)!.name);
        expect(rest.order.number).toMatch(/\S/);
      });

      it('refuses a mutation a role may not call before it runs: FORBIDDEN, null, nothing written, audited', async () => {
        const invoice = await gql(`query($id: ID!) { salesOrder(id: $id) { invoices { id amountDue { amount } } } }`, { id: otherOrderId }, 'finance');
        const { id: invoiceId, amountDue } = invoice.body.data.salesOrder.invoices[0];

        const refused = await gql(`mutation Pay($id: ID!) { recordPayment(invoiceId: $id, amount: "1.00") { id amountDue { amount } } }`, { id: invoiceId }, 'sales');
        expect(refused.status).toBe(200);
        // recordPayment is non-null, so the refusal nulls the whole data.
        expect(refused.body.data).toBeNull();
        expect(refused.body.errors).toEqual([expect.objectContaining({ path: ['recordPayment'], extensions: { code: 'FORBIDDEN' } })]);

        const shipment = await gql(`mutation { confirmShipment(id: "x", carrier: "DHL", trackingNumber: "1") { id } }`, {}, 'finance');
        expect(shipment.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
        const reconciliation = await gql(`mutation { runReconciliation { checkedAt } }`, {}, 'sales');
        expect(reconciliation.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
        const createCustomer = await gql(`mutation { createCustomer(input: { name: "Never Made GmbH" }) { id } }`, {}, 'finance');
        expect(createCustomer.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');

        const after = await gql(`query($id: ID!) { salesOrder(id: $id) { invoices { id amountDue { amount } } } }`, { id: otherOrderId }, 'finance');
        expect(after.body.data.salesOrder.invoices.find((i: { id: string }) => i.id === invoiceId).amountDue).toEqual(amountDue);
        const search = await gql(`{ customers(search: "Never Made", first: 5) { totalCount } }`);
        expect(search.body.data.customers.totalCount).toBe(0);

        // The audit log (admins only) holds the refused call: who, what, which invoice, FORBIDDEN.
        const entry = await eventually(async () => {
          const log = await gql(`{ auditLog(first: 20) { nodes { sub role operationName field ids outcome at } } }`);
          return (log.body.data?.auditLog.nodes as any[]).find((n) => n.field === 'recordPayment' && n.sub === 'security-sales');
        });
        expect(entry).toEqual({ sub: 'security-sales', role: 'sales', operationName: 'Pay', field: 'recordPayment', ids: [invoiceId], outcome: 'FORBIDDEN', at: expect.any(String) });
        const denied = await gql(`{ auditLog { nodes { id } } }`, {}, 'finance');
        expect(denied.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      });

      it('records an allowed mutation in the audit log with the ids it touched and OK, and a refused input with its code', async () => {
        const logged = await gql(`mutation Note($c: ID!) { logActivity(input: { customerId: $c, type: NOTE, subject: "audit check" }) { id } }`, { c: OWN }, 'sales');
        expect(logged.body.errors).toBeUndefined();
        const activityId = logged.body.data.logActivity.id;
        const bad = await gql(`mutation Bad($c: ID!) { logActivity(input: { customerId: $c, type: NOTE, subject: "   " }) { id } }`, { c: OWN }, 'sales');
        expect(bad.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
        const entries = await eventually(async () => {
          const log = await gql(`{ auditLog(first: 50) { nodes { operationName field ids outcome } } }`);
          const nodes = log.body.data?.auditLog.nodes as any[];
          const ok = nodes.find((n) => n.operationName === 'Note');
          const refused = nodes.find((n) => n.operationName === 'Bad');
          return ok && refused ? { ok, refused } : undefined;
        });
        expect(entries.ok).toEqual({ operationName: 'Note', field: 'logActivity', ids: [OWN, activityId], outcome: 'OK' });
        expect(entries.refused).toEqual({ operationName: 'Bad', field: 'logActivity', ids: [OWN], outcome: 'BAD_USER_INPUT' });
      });

      it('rewrites GET queries and persisted queries too, per role', async () => {
        const query = `{ customer(id: "${OWN}") { name openBalance { amount } } }`;
        const url = `${stack!.graphqlUrl}?query=${encodeURIComponent(query)}`;
        const viaGet = await fetch(url, { headers: { authorization: `Bearer ${await tokenFor('sales')}`, 'apollo-require-preflight': 'true' } });
        const getBody = (await viaGet.json()) as Answer['body'];
        // Customer.openBalance is non-null: the customer, nullable, takes the null.
        expect(getBody.data.customer).toBeNull();
        expect(getBody.errors?.[0]).toMatchObject({ path: ['customer', 'openBalance'], extensions: { code: 'FORBIDDEN' } });

        const { createHash } = await import('node:crypto');
        const hash = createHash('sha256').update(query).digest('hex');
        const extensions = { persistedQuery: { version: 1, sha256Hash: hash } };
        const registered = await post({ query, extensions }, { authorization: `Bearer ${await tokenFor('finance')}` });
        expect(registered.body.data.customer.openBalance.amount).toMatch(/^\d+\.\d{2}$/);
        // The same hash without the text, from a role that may not see the balance.
        const hashOnly = await post({ extensions }, { authorization: `Bearer ${await tokenFor('sales')}` });
        expect(hashOnly.body.data.customer).toBeNull();
        expect(hashOnly.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
        const financeAgain = await post({ extensions }, { authorization: `Bearer ${await tokenFor('finance')}` });
        expect(financeAgain.body.data.customer.openBalance.amount).toMatch(/^\d+\.\d{2}$/);
      });
    });

    describe('partner scope', () => {
      const partner = (query: string, variables: Record<string, unknown> = {}) => gql(query, variables, 'partner', OWN);

      it('answers null for another customer, its orders and invoices, by id', async () => {
        const answer = await partner(`query($c: ID!, $o: ID!) { customer(id: $c) { id } salesOrder(id: $o) { id } }`, { c: OTHER, o: otherOrderId });
        expect(answer.body.data).toEqual({ customer: null, salesOrder: null });
        const own = await partner(`query($c: ID!, $o: ID!) { customer(id: $c) { erpCustomerNo } salesOrder(id: $o) { id customer { erpCustomerNo } } }`, { c: OWN, o: ownOrderId });
        expect(own.body.data).toEqual({ customer: { erpCustomerNo: ownNo }, salesOrder: { id: ownOrderId, customer: { erpCustomerNo: ownNo } } });
      });

      it('lists only its own customer, orders and invoices whatever the arguments say', async () => {
        const answer = await partner(`query($c: ID!) {
          customers(first: 50) { nodes { erpCustomerNo } totalCount }
          mine: salesOrders(first: 50) { nodes { customer { erpCustomerNo } invoices { customer { erpCustomerNo } } } }
          theirs: salesOrders(first: 50, customerId: $c) { nodes { id } }
        }`, { c: OTHER });
        expect(answer.body.errors).toBeUndefined();
        expect(answer.body.data.customers).toEqual({ nodes: [{ erpCustomerNo: ownNo }], totalCount: 1 });
        const mine = answer.body.data.mine.nodes as any[];
        expect(mine.length).toBeGreaterThan(0);
        for (const order of mine) {
          expect(order.customer.erpCustomerNo).toBe(ownNo);
          for (const invoice of order.invoices) expect(invoice.customer.erpCustomerNo).toBe(ownNo);
        }
        expect(answer.body.data.theirs.nodes).toEqual([]);
        const ownInvoices = new Set(dataset.erp.invoices.filter((i) => i.customerNo === ownNo).map((i) => i.number));
        const invoices = await partner(`query($c: ID!) { customer(id: $c) { invoices { number } } }`, { c: OWN });
        for (const invoice of invoices.body.data.customer.invoices) expect(ownInvoices.has(invoice.number)).toBe(true);
      });

      it('gets null for another customer through an entity reference sent to the ERP and integration subgraphs', async () => {
        const service = { 'x-service-token': signServiceToken(secrets.internalSecret, 'gateway'), 'x-user-sub': 'p', 'x-user-role': 'partner', 'x-user-customer-id': OWN };
        const entities = `query($r: [_Any!]!) { _entities(representations: $r) { ... on SalesOrder { id } ... on Customer { erpCustomerNo } ... on Invoice { id } } }`;
        const erp = await post(
          { query: entities, variables: { r: [{ __typename: 'SalesOrder', id: otherOrderId }, { __typename: 'Customer', erpCustomerNo: otherNo }, { __typename: 'SalesOrder', id: ownOrderId }] } },
          service,
          `${stack!.urls['erp-subgraph']}/graphql`,
        );
        expect(erp.body.data._entities).toEqual([null, null, { id: ownOrderId }]);
        const integration = await post(
          { query: `query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id } } }`, variables: { r: [{ __typename: 'Customer', erpCustomerNo: otherNo }] } },
          service,
          `${stack!.urls.integration}/graphql`,
        );
        expect(integration.body.data._entities).toEqual([null]);
      });

      it("sees its own order flows only, never another customer's", async () => {
        const sku = dataset.erp.products[0].sku;
        const placed = await gql(`mutation($c: ID!, $sku: ID!, $k: String!) { placeOrder(input: { customerId: $c, lines: [{ sku: $sku, quantity: 1 }] }, idempotencyKey: $k) { id } }`, {
          c: OTHER,
          sku,
          k: randomUUID(),
        }, 'sales');
        expect(placed.body.errors).toBeUndefined();
        const flowId = placed.body.data.placeOrder.id;
        const answer = await partner(`query($id: ID!) { orderFlow(id: $id) { id } orderFlows(first: 100) { nodes { id customer { erpCustomerNo } } } }`, { id: flowId });
        expect(answer.body.data.orderFlow).toBeNull();
        for (const flow of answer.body.data.orderFlows.nodes) expect(flow.customer.erpCustomerNo).toBe(ownNo);
        expect((await gql(`query($id: ID!) { orderFlow(id: $id) { id } }`, { id: flowId }, 'sales')).body.data.orderFlow).toEqual({ id: flowId });
      });
    });

    describe('input validation on every mutation', () => {
      const long = (n: number) => 'x'.repeat(n);
      // [mutation, variables, the field the refusal must name]; each is refused before anything is written.
      const cases: [string, string, () => Record<string, unknown>, string][] = [
        ['recordPayment: id', 'mutation($v: ID!) { recordPayment(invoiceId: $v, amount: "1.00") { id } }', () => ({ v: 'INV 1' }), 'invoiceId'],
        ['recordPayment: inexact amount', 'mutation($v: Decimal!) { recordPayment(invoiceId: "INV-1", amount: $v) { id } }', () => ({ v: '1.001' }), 'amount'],
        ['recordPayment: amount out of range', 'mutation($v: Decimal!) { recordPayment(invoiceId: "INV-1", amount: $v) { id } }', () => ({ v: '1000000000000.00' }), 'amount'],
        ['recordPayment: negative amount', 'mutation($v: Decimal!) { recordPayment(invoiceId: "INV-1", amount: $v) { id } }', () => ({ v: '-5.00' }), 'amount'],
        ['recordPayment: long reference', 'mutation($v: String) { recordPayment(invoiceId: "INV-1", amount: "1.00", reference: $v) { id } }', () => ({ v: long(101) }), 'reference'],
        ['confirmShipment: blank carrier', 'mutation($v: String!) { confirmShipment(id: "SH-1", carrier: $v, trackingNumber: "1") { id } }', () => ({ v: '   ' }), 'carrier'],
        ['confirmShipment: long tracking number', 'mutation($v: String!) { confirmShipment(id: "SH-1", carrier: "DHL", trackingNumber: $v) { id } }', () => ({ v: long(101) }), 'trackingNumber'],
        ['completeProductionOrder: id', 'mutation($v: ID!) { completeProductionOrder(id: $v) { id } }', () => ({ v: '../PO-1' }), 'id'],
        ['createCustomer: blank name', 'mutation($v: String!) { createCustomer(input: { name: $v }) { id } }', () => ({ v: '  ' }), 'name'],
        ['createCustomer: long name', 'mutation($v: String!) { createCustomer(input: { name: $v }) { id } }', () => ({ v: long(201) }), 'name'],
        ['createCustomer: credit limit out of range', 'mutation($v: Decimal) { createCustomer(input: { name: "Range GmbH", creditLimit: $v }) { id } }', () => ({ v: '1000000000000' }), 'creditLimit'],
        ['createCustomer: inexact credit limit', 'mutation($v: Decimal) { createCustomer(input: { name: "Range GmbH", creditLimit: $v }) { id } }', () => ({ v: '10.005' }), 'creditLimit'],
        ['createCustomer: country', 'mutation($v: String) { createCustomer(input: { name: "Range GmbH", country: $v }) { id } }', () => ({ v: 'Germany' }), 'country'],
        ['updateCustomer: id', 'mutation($v: ID!) { updateCustomer(id: $v, input: { name: "X" }) { id } }', () => ({ v: 'K-1' }), 'id'],
        ['createOpportunity: customer id', 'mutation($v: ID!) { createOpportunity(input: { customerId: $v, name: "N", lines: [{ sku: "P", quantity: 1 }] }) { id } }', () => ({ v: 'nobody' }), 'input.customerId'],
        ['createOpportunity: zero quantity', 'mutation($c: ID!, $s: ID!) { createOpportunity(input: { customerId: $c, name: "N", lines: [{ sku: $s, quantity: 0 }] }) { id } }', () => ({ c: OWN, s: dataset.erp.products[0].sku }), 'input.lines[0].quantity'],
        ['createOpportunity: huge quantity', 'mutation($c: ID!, $s: ID!) { createOpportunity(input: { customerId: $c, name: "N", lines: [{ sku: $s, quantity: 2000000 }] }) { id } }', () => ({ c: OWN, s: dataset.erp.products[0].sku }), 'input.lines[0].quantity'],
        ['updateOpportunityStage: id', 'mutation($v: ID!) { updateOpportunityStage(id: $v, stage: CLOSED_WON) { id } }', () => ({ v: 'a b' }), 'id'],
        ['logActivity: blank subject', 'mutation($c: ID!) { logActivity(input: { customerId: $c, type: CALL, subject: "  " }) { id } }', () => ({ c: OWN }), 'input.subject'],
        ['openCase: long subject', 'mutation($c: ID!, $v: String!) { openCase(input: { customerId: $c, subject: $v, priority: LOW }) { id } }', () => ({ c: OWN, v: long(201) }), 'input.subject'],
        ['placeOrder: zero quantity', 'mutation($c: ID!, $s: ID!) { placeOrder(input: { customerId: $c, lines: [{ sku: $s, quantity: 0 }] }, idempotencyKey: "k-zero") { id } }', () => ({ c: OWN, s: dataset.erp.products[0].sku }), 'quantity'],
        ['placeOrder: blank key', 'mutation($c: ID!, $s: ID!) { placeOrder(input: { customerId: $c, lines: [{ sku: $s, quantity: 1 }] }, idempotencyKey: "  ") { id } }', () => ({ c: OWN, s: dataset.erp.products[0].sku }), 'idempotencyKey'],
        ['convertOpportunityToOrder: id', 'mutation($v: ID!) { convertOpportunityToOrder(opportunityId: $v, idempotencyKey: "k") { id } }', () => ({ v: "x' OR 1=1" }), 'opportunityId'],
        ['cancelOrder: id', 'mutation($v: ID!) { cancelOrder(salesOrderId: $v) { id } }', () => ({ v: '' }), 'salesOrderId'],
        ['cancelOrder: long reason', 'mutation($v: String) { cancelOrder(salesOrderId: "SO-1", reason: $v) { id } }', () => ({ v: long(501) }), 'reason'],
        ['retryOrderFlow: id', 'mutation($v: ID!) { retryOrderFlow(id: $v) { id } }', () => ({ v: long(101) }), 'id'],
      ];

      it.each(cases)('refuses %s with BAD_USER_INPUT naming the field', async (_name, mutation, variables, field) => {
        const answer = await gql(mutation, variables(), 'admin');
        expect(answer.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
        expect(String(answer.body.errors?.[0].extensions?.field)).toContain(field);
      });

      it('wrote nothing for any refused input', async () => {
        const customers = await gql(`{ customers(search: "Range GmbH", first: 5) { totalCount } }`);
        expect(customers.body.data.customers.totalCount).toBe(0);
      });
    });

    describe('authentication and closed services', () => {
      it('answers 401 with no data for forged, expired, alg none and malformed tokens', async () => {
        const forged = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('mallory').setExpirationTime('1h').sign(new TextEncoder().encode('not-the-secret-0123456789abcdef'));
        const expired = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('late').setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(new TextEncoder().encode(secrets.jwtSecret));
        const none = new UnsecuredJWT({ role: 'admin' }).setSubject('nobody').setExpirationTime('1h').encode();
        for (const token of [forged, expired, none, 'not.a.jwt']) {
          sentCredentials.add(token);
          const answer = await post({ query: '{ products(first: 1) { nodes { sku } } }' }, { authorization: `Bearer ${token}` });
          expect(answer.status).toBe(401);
          expect(answer.body.data).toBeUndefined();
          expect(answer.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
        }
      });

      it('refuses every direct call to a subgraph or backend without the service credential, or with a client token instead', async () => {
        const clientToken = await tokenFor('admin');
        const targets = [
          `${stack!.urls['erp-subgraph']}/graphql`,
          `${stack!.urls['crm-subgraph']}/graphql`,
          `${stack!.urls.integration}/graphql`,
          `${stack!.urls.integration}/internal/audit`,
          `${stack!.urls['erp-backend']}/customers`,
          `${stack!.urls['crm-backend']}/accounts`,
        ];
        const body = { query: '{ _entities(representations: [{ __typename: "SalesOrder", id: "x" }]) { __typename } }' };
        for (const url of targets) {
          expect([url, (await post(body, {}, url)).status]).toEqual([url, 401]);
          expect([url, (await post(body, { 'x-service-token': clientToken, authorization: `Bearer ${clientToken}` }, url)).status]).toEqual([url, 401]);
          const get = await fetch(url, { headers: { authorization: `Bearer ${clientToken}` } });
          expect([url, get.status]).toEqual([url, 401]);
        }
      });

      it('strips internal headers a client sends to the gateway', async () => {
        const answer = await post(
          { query: `query($c: ID!) { customer(id: $c) { openBalance { amount } } }`, variables: { c: OTHER } },
          { authorization: `Bearer ${await tokenFor('partner', OWN)}`, 'x-user-role': 'admin', 'x-user-customer-id': OTHER, 'x-service-token': 'forged' },
        );
        expect(answer.body.data.customer).toBeNull();
      });

      it('refuses a webhook replayed outside its window and accepts a redelivery only once', async () => {
        const url = `${stack!.urls.integration}/webhooks/erp`;
        const event = JSON.stringify({ eventId: randomUUID(), source: 'erp', entity: 'product', entityId: dataset.erp.products[0].sku, version: 999, action: 'updated', occurredAt: new Date().toISOString() });
        const stale = signWebhook(secrets.webhookSecret, event, Date.now() - 10 * 60_000);
        const fresh = signWebhook(secrets.webhookSecret, event);
        sentCredentials.add(stale.split('v1=')[1]).add(fresh.split('v1=')[1]);
        const send = (signature: string, body = event) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-signature': signature }, body });
        expect((await send(stale)).status).toBe(401);
        expect((await send(fresh, event.replace('999', '1000'))).status).toBe(401);
        expect((await send(fresh)).status).toBe(204);
        // A redelivery is acknowledged (so the sender's outbox moves on) but recorded only once.
        expect((await send(fresh)).status).toBe(204);
      });
    });

    it('survives a few thousand generated and mutated requests: no 5xx, no stack trace, a ready gateway afterwards', async () => {
      const schema = apiSchemaOf(readFileSync(SUPERGRAPH_PATH, 'utf8'));
      const fuzzer = new QueryFuzzer(schema, 20261129);
      const roleTokens = await Promise.all(ROLES.map((role) => tokenFor(role, role === 'partner' ? OWN : undefined)));
      const deadline = Date.now() + 90_000;
      const failures: string[] = [];
      let sent = 0;
      const worker = async (lane: number) => {
        for (let i = lane; i < 2500 && Date.now() < deadline; i += 16) {
          const request = fuzzer.next();
          const raw = i % 50 === 0 ? request.query : JSON.stringify(request);
          const response = await fetch(stack!.graphqlUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${roleTokens[i % roleTokens.length]}` },
            body: raw,
          });
          const text = await response.text();
          sent++;
          if (response.status >= 500 || /\n\s+at |node_modules|\.ts:\d+/.test(text)) failures.push(`${response.status} ${raw.slice(0, 300)} => ${text.slice(0, 300)}`);
        }
      };
      await Promise.all(Array.from({ length: 16 }, (_, lane) => worker(lane)));
      expect(sent).toBeGreaterThan(1000);
      expect(failures).toEqual([]);
      expect((await fetch(`${stack!.urls.gateway}/ready`)).status).toBe(200);
    }, 180_000);

    it('never writes a token, secret or signature into any log', async () => {
      // Let the last audit deliveries and log lines land.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const output = readFileSync(logFile, 'utf8');
      expect(output.length).toBeGreaterThan(0);
      const secretValues = [secrets.jwtSecret, secrets.internalSecret, secrets.webhookSecret, ...sentCredentials];
      const leaked = secretValues.filter((value) => value.length >= 8 && output.includes(value));
      expect(leaked).toEqual([]);
      // Nothing shaped like a JWT or a service token either.
      expect(output.match(/eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]*/g) ?? []).toEqual([]);
      expect(output.match(/\b(gateway|integration)\.\d{10}\.[0-9a-f]{64}\b/g) ?? []).toEqual([]);
    });
  });
}

async function eventually<T>(read: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
