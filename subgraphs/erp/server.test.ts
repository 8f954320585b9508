import { listen } from '../../platform/http-server';
import { createLogger } from '../../platform/logger';
import { createMetrics } from '../../platform/metrics';
import { signServiceToken } from '../../platform/service-auth';
import { createErpSubgraph, type ErpSubgraph } from './server';
import { InMemoryErpConnector } from '../../connectors/erp/test-support/in-memory-erp.connector';
import { ConnectorFaults } from '../../connectors/test-support/connector-faults';
import { crmAccountIdOf, customerNoOf, erpFixture } from './test-support/erp-fixtures';

const SECRET = 'erp-subgraph-test-secret-0123456789';

interface GraphQLAnswer {
  data?: Record<string, any> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

let erp: InMemoryErpConnector;
let erpFaults: ConnectorFaults;
let subgraph: ErpSubgraph;
let baseUrl: string;

// Real HTTP on a free port: Fastify's inject pulls in an ESM-only module that jest does not transform.
beforeEach(async () => {
  // Writes are stamped at one instant, so an answer's timestamps can be asserted.
  erp = new InMemoryErpConnector(erpFixture(50), { now: () => '2026-03-02T09:00:00.000Z' });
  erpFaults = new ConnectorFaults('erp');
  subgraph = await createErpSubgraph({ erp: erpFaults.wrap(erp), logger: createLogger('erp-subgraph', 'silent'), metrics: createMetrics('erp-subgraph'), internalSecret: SECRET, development: true });
  baseUrl = `http://127.0.0.1:${await listen(subgraph.app, 0)}`;
});

afterEach(async () => {
  await subgraph.close();
});

async function graphql(query: string, variables: Record<string, unknown> = {}): Promise<GraphQLAnswer> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-service-token': signServiceToken(SECRET, 'gateway') },
    body: JSON.stringify({ query, variables }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as GraphQLAnswer;
}

const CUSTOMER_360 = `
  query ($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on Customer {
        erpCustomerNo
        creditLimit { amount currency }
        paymentTerms
        openBalance { amount currency }
        orders(first: 5) {
          id
          total { amount currency }
          customer { erpCustomerNo }
          lines {
            quantity
            unitPrice { amount currency }
            product { sku name available stock { warehouse { code name } onHand reserved available } }
          }
          shipments { id status }
          invoices { id amountDue { amount } }
          productionOrders { id status }
        }
        invoices { id status amountDue { amount currency } }
      }
    }
  }`;

function customerRepresentations(count: number): { __typename: 'Customer'; erpCustomerNo: string }[] {
  return Array.from({ length: count }, (_, i) => ({ __typename: 'Customer', erpCustomerNo: customerNoOf(i + 1) }));
}

describe('ERP subgraph: customers', () => {
  it('answers 50 customer references with one backend call per list type and level', async () => {
    const answer = await graphql(CUSTOMER_360, { representations: customerRepresentations(50) });

    expect(answer.errors).toBeUndefined();
    expect(answer.data?._entities).toHaveLength(50);
    const perOperation = erpFaults.callCounts();
    expect(perOperation).toEqual({
      getCustomers: 1,
      getOpenBalances: 1,
      listSalesOrdersByCustomers: 1,
      listInvoicesByCustomers: 1,
      getProducts: 1,
      getStockLevels: 1,
      listWarehouses: 1,
      listShipmentsBySalesOrders: 1,
      listInvoicesBySalesOrders: 1,
      listProductionOrdersBySalesOrders: 1,
    });
  });

  it('costs the same backend calls for 50 customers as for 5', async () => {
    await graphql(CUSTOMER_360, { representations: customerRepresentations(5) });
    const forFive = erpFaults.calls.length;
    erpFaults.calls.length = 0;
    await graphql(CUSTOMER_360, { representations: customerRepresentations(50) });
    expect(erpFaults.calls.length).toBe(forFive);
  });

  it('shows credit, balance, orders with lines, stock and invoices with exact money', async () => {
    const answer = await graphql(CUSTOMER_360, { representations: customerRepresentations(1) });
    const customer = answer.data?._entities[0];

    expect(customer.creditLimit).toEqual({ amount: '50000.00', currency: 'EUR' });
    expect(customer.paymentTerms).toBe('NET30');
    // 40.10 open + 1234.5 overdue; the paid invoice does not count.
    expect(customer.openBalance).toEqual({ amount: '1274.60', currency: 'EUR' });
    expect(customer.orders.map((o: { id: string }) => o.id)).toEqual(['SO-100012', 'SO-100011']);
    const order = customer.orders[1];
    expect(order.total).toEqual({ amount: '40.10', currency: 'EUR' });
    expect(order.customer).toEqual({ erpCustomerNo: 'K-10001' });
    expect(order.lines[0]).toEqual({
      quantity: 2,
      unitPrice: { amount: '19.90', currency: 'EUR' },
      product: {
        sku: 'P-100',
        name: 'Hydraulic pump HP-100',
        available: 7,
        stock: [
          { warehouse: { code: 'WH-HH', name: 'Hamburg Central' }, onHand: 10, reserved: 3, available: 7 },
          { warehouse: { code: 'WH-MU', name: 'Munich South' }, onHand: 2, reserved: 5, available: 0 },
        ],
      },
    });
    expect(order.lines[1].unitPrice).toEqual({ amount: '0.10', currency: 'EUR' });
    expect(order.shipments).toEqual([{ id: 'SH-70011', status: 'SHIPPED' }]);
    expect(order.invoices).toEqual([{ id: 'INV-30011', amountDue: { amount: '40.10' } }]);
    expect(order.productionOrders).toEqual([{ id: 'MO-50001', status: 'IN_PROGRESS' }]);
    expect(customer.invoices).toEqual([
      { id: 'INV-30011', status: 'OPEN', amountDue: { amount: '40.10', currency: 'EUR' } },
      { id: 'INV-30012', status: 'PAID', amountDue: { amount: '0.00', currency: 'EUR' } },
      { id: 'INV-39999', status: 'OVERDUE', amountDue: { amount: '1234.50', currency: 'EUR' } },
    ]);
  });

  it('answers a customer that exists only in the CRM with empty lists and a zero balance', async () => {
    const answer = await graphql(CUSTOMER_360, { representations: [{ __typename: 'Customer', erpCustomerNo: null }] });

    expect(answer.errors).toBeUndefined();
    expect(answer.data?._entities).toEqual([
      { erpCustomerNo: null, creditLimit: null, paymentTerms: null, openBalance: { amount: '0.00', currency: 'EUR' }, orders: [], invoices: [] },
    ]);
    expect(erpFaults.calls.length).toBe(0);
  });

  it('filters a customer\'s orders and invoices by status', async () => {
    const answer = await graphql(
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { orders(status: PAID) { id status } invoices(status: OPEN) { id } } } }`,
      { r: customerRepresentations(2) },
    );
    expect(answer.data?._entities).toEqual([
      { orders: [{ id: 'SO-100012', status: 'PAID' }], invoices: [{ id: 'INV-30011' }] },
      { orders: [{ id: 'SO-100022', status: 'PAID' }], invoices: [{ id: 'INV-30021' }] },
    ]);
  });
});

describe('ERP subgraph: queries', () => {
  it('pages through products with cursors and a total count', async () => {
    const query = `query ($after: String) { products(first: 2, after: $after) { nodes { sku unitPrice { amount } } pageInfo { hasNextPage endCursor } totalCount } }`;
    const first = (await graphql(query)).data?.products;
    expect(first.nodes).toEqual([
      { sku: 'P-100', unitPrice: { amount: '19.90' } },
      { sku: 'P-200', unitPrice: { amount: '1234.50' } },
    ]);
    expect(first.totalCount).toBe(5);
    expect(first.pageInfo.hasNextPage).toBe(true);

    const second = (await graphql(query, { after: first.pageInfo.endCursor })).data?.products;
    expect(second.nodes.map((p: { sku: string }) => p.sku)).toEqual(['P-300', 'P-400']);
    const third = (await graphql(query, { after: second.pageInfo.endCursor })).data?.products;
    expect(third.nodes.map((p: { sku: string }) => p.sku)).toEqual(['P-500']);
    expect(third.pageInfo).toEqual({ hasNextPage: false, endCursor: null });
  });

  it('refuses a page larger than 100 with BAD_USER_INPUT on first', async () => {
    const answer = await graphql(`{ salesOrders(first: 101) { totalCount } }`);
    expect(answer.errors?.[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'first' });
    expect(erpFaults.calls.length).toBe(0);
  });

  it('lists the sales orders of a customer given by its ERP or its CRM id', async () => {
    const query = `query ($c: ID) { salesOrders(customerId: $c) { nodes { id customer { erpCustomerNo } } totalCount } }`;
    const byErp = (await graphql(query, { c: 'erp:K-10003' })).data?.salesOrders;
    expect(byErp).toEqual({
      // Newest first, as the ERP lists orders.
      nodes: [
        { id: 'SO-100032', customer: { erpCustomerNo: 'K-10003' } },
        { id: 'SO-100031', customer: { erpCustomerNo: 'K-10003' } },
      ],
      totalCount: 2,
    });
    const byCrm = (await graphql(query, { c: `crm:${crmAccountIdOf(3)}` })).data?.salesOrders;
    expect(byCrm).toEqual(byErp);
    expect(erpFaults.callsOf('findCustomersByExternalRefs')).toHaveLength(1);
  });

  it('answers an empty list for a CRM customer the ERP does not hold, and BAD_USER_INPUT for a malformed id', async () => {
    const query = `query ($c: ID) { salesOrders(customerId: $c) { nodes { id } totalCount pageInfo { hasNextPage } } }`;
    const unknown = await graphql(query, { c: 'crm:b0000000-0000-4000-8000-000000000999' });
    expect(unknown.data?.salesOrders).toEqual({ nodes: [], totalCount: 0, pageInfo: { hasNextPage: false } });
    const malformed = await graphql(query, { c: 'K-10003' });
    expect(malformed.errors?.[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'customerId' });
  });

  it('returns null for a sales order or product that does not exist', async () => {
    const answer = await graphql(`{ salesOrder(id: "SO-404") { id } product(sku: "NOPE") { sku } }`);
    expect(answer).toEqual({ data: { salesOrder: null, product: null } });
  });

  it('reports an unreachable ERP on the affected field and keeps the rest of the answer', async () => {
    erpFaults.failNext('getSalesOrders', { times: Infinity });
    const answer = await graphql(`{ salesOrder(id: "SO-100011") { id } products(first: 1) { nodes { sku } } }`);
    expect(answer.data).toEqual({ salesOrder: null, products: { nodes: [{ sku: 'P-100' }] } });
    expect(answer.errors).toHaveLength(1);
    expect(answer.errors?.[0].path).toEqual(['salesOrder']);
    expect(answer.errors?.[0].extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
  });

  it('reports unreachable stock on each product\'s stock list and reads it once, with products and lines kept', async () => {
    erpFaults.failNext('getStockLevels', { times: Infinity });
    const answer = await graphql(
      `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Customer { orders(first: 1) { lines { product { sku stock { warehouse { code } } } } } } } }`,
      { representations: customerRepresentations(2) },
    );
    const lines = (answer.data?._entities as { orders: { lines: { product: { sku: string; stock: unknown[] } }[] }[] }[]).flatMap((c) => c.orders[0].lines);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line.product.stock).toEqual([]);
    expect(answer.errors?.map((e) => [e.path?.slice(-2), e.extensions?.code])).toEqual(lines.map(() => [['product', 'stock'], 'UPSTREAM_UNAVAILABLE']));
    expect(erpFaults.callCounts()).toEqual({ listSalesOrdersByCustomers: 1, getProducts: 1, getStockLevels: 1 });
  });

  it('reports an unreachable catalogue on each line\'s product and reads it once', async () => {
    erpFaults.failNext('getProducts', { times: Infinity });
    const answer = await graphql(
      `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Customer { orders(first: 1) { lines { product { sku available } } } } } }`,
      { representations: customerRepresentations(2) },
    );
    expect(answer.data?._entities).toEqual([null, null]);
    // Every line's product is reported at its own path (the executor may stop at the first of a list).
    const errors = answer.errors ?? [];
    expect(errors.every((e) => e.extensions?.code === 'UPSTREAM_UNAVAILABLE' && /^_entities\.[01]\.orders\.0\.lines\.\d+\.product$/.test((e.path ?? []).join('.')))).toBe(true);
    expect(new Set(errors.map((e) => e.path?.[1]))).toEqual(new Set([0, 1]));
    expect(erpFaults.callCounts()).toEqual({ listSalesOrdersByCustomers: 1, getProducts: 1 });
  });

  it('resolves sales order, invoice and production order references', async () => {
    const answer = await graphql(
      `query ($r: [_Any!]!) { _entities(representations: $r) {
        ... on SalesOrder { number status }
        ... on Invoice { number total { amount } customer { erpCustomerNo } salesOrder { id } }
        ... on ProductionOrder { number product { sku } salesOrder { id } }
        ... on Shipment { number trackingNumber }
      } }`,
      {
        r: [
          { __typename: 'SalesOrder', id: 'SO-100021' },
          { __typename: 'Invoice', id: 'INV-39999' },
          { __typename: 'ProductionOrder', id: 'MO-50002' },
          { __typename: 'Shipment', id: 'SH-70021' },
          { __typename: 'SalesOrder', id: 'SO-404' },
        ],
      },
    );
    expect(answer.data?._entities).toEqual([
      { number: 'SO-100021', status: 'INVOICED' },
      { number: 'INV-39999', total: { amount: '1234.50' }, customer: { erpCustomerNo: 'K-10001' }, salesOrder: null },
      { number: 'MO-50002', product: { sku: 'P-100' }, salesOrder: { id: 'SO-100021' } },
      { number: 'SH-70021', trackingNumber: 'TRK21' },
      null,
    ]);
  });
});

describe('ERP subgraph: mutations', () => {
  it('records a payment exactly and marks the invoice paid at zero', async () => {
    const mutation = `mutation ($amount: Decimal!) { recordPayment(invoiceId: "INV-39999", amount: $amount, reference: "  bank 42 ") { status amountDue { amount currency } } }`;
    const partial = await graphql(mutation, { amount: '1234.4' });
    expect(partial.data?.recordPayment).toEqual({ status: 'OVERDUE', amountDue: { amount: '0.10', currency: 'EUR' } });
    const rest = await graphql(mutation, { amount: '0.1' });
    expect(rest.data?.recordPayment).toEqual({ status: 'PAID', amountDue: { amount: '0.00', currency: 'EUR' } });
  });

  it.each([
    ['a negative amount', '-5.00'],
    ['zero', '0'],
    ['an exponent', '1e3'],
    ['more than two decimals', '10.005'],
    ['text', 'ten euros'],
  ])('refuses a payment of %s with BAD_USER_INPUT on amount', async (_case, amount) => {
    const answer = await graphql(`mutation ($amount: Decimal!) { recordPayment(invoiceId: "INV-30011", amount: $amount) { id } }`, { amount });
    expect(answer.data).toBeNull();
    expect(answer.errors?.[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'amount' });
    expect(erpFaults.callsOf('recordPayment')).toHaveLength(0);
  });

  it('confirms a shipment with the carrier and tracking number trimmed', async () => {
    erp.shipments.set('SH-79999', { ...erp.shipments.get('SH-70011')!, id: 'SH-79999', number: 'SH-79999', status: 'PENDING', carrier: null, trackingNumber: null, shippedAt: null });
    const answer = await graphql(`mutation { confirmShipment(id: "SH-79999", carrier: "  DHL Express ", trackingNumber: " 00340434 ") { status carrier trackingNumber shippedAt } }`);
    expect(answer.data?.confirmShipment).toEqual({ status: 'SHIPPED', carrier: 'DHL Express', trackingNumber: '00340434', shippedAt: '2026-03-02T09:00:00.000Z' });
  });

  it('refuses a blank carrier and an over-long tracking number, naming the field', async () => {
    const blank = await graphql(`mutation { confirmShipment(id: "SH-70011", carrier: "   ", trackingNumber: "X1") { id } }`);
    expect(blank.errors?.[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'carrier' });
    const long = await graphql(`mutation ($t: String!) { confirmShipment(id: "SH-70011", carrier: "DHL", trackingNumber: $t) { id } }`, { t: 'X'.repeat(101) });
    expect(long.errors?.[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'trackingNumber' });
    expect(erpFaults.callsOf('confirmShipment')).toHaveLength(0);
  });

  it('completes a production order and passes the ERP\'s NOT_FOUND through', async () => {
    const done = await graphql(`mutation { completeProductionOrder(id: "MO-50001") { number status product { sku } } }`);
    expect(done.data?.completeProductionOrder).toEqual({ number: 'MO-50001', status: 'COMPLETED', product: { sku: 'P-100' } });
    const missing = await graphql(`mutation { completeProductionOrder(id: "MO-404") { id } }`);
    expect(missing.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});

describe('ERP subgraph: service', () => {
  it('refuses /graphql without the internal credential but serves /health', async () => {
    const refused = await fetch(`${baseUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: { code: 'UNAUTHENTICATED', message: 'internal credential required' } });
    const forged = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-service-token': signServiceToken('another-secret-0123456789', 'gateway') },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(forged.status).toBe(401);
    const health = await fetch(`${baseUrl}/health`);
    expect(health.status).toBe(200);
  });

  it('stays ready while the ERP does not answer, and says so on /health/dependencies and in dependency_up', async () => {
    const dependencies = async () => {
      const response = await fetch(`${baseUrl}/health/dependencies`);
      return { status: response.status, body: (await response.json()) as { status: string; dependencies: Record<string, { up: boolean; reason?: string }> } };
    };
    const up = await dependencies();
    expect(up).toMatchObject({ status: 200, body: { status: 'up', dependencies: { erp: { up: true } } } });
    expect(await (await fetch(`${baseUrl}/metrics`)).text()).toMatch(/^dependency_up\{dependency="erp"[^}]*\} 1$/m);

    erpFaults.failNext('listWarehouses', { times: Infinity });
    try {
      expect((await fetch(`${baseUrl}/ready`)).status).toBe(200);
      expect((await fetch(`${baseUrl}/health`)).status).toBe(200);
      const down = await dependencies();
      expect(down).toMatchObject({ status: 503, body: { status: 'degraded', dependencies: { erp: { up: false, reason: expect.any(String) } } } });
      expect(await (await fetch(`${baseUrl}/metrics`)).text()).toMatch(/^dependency_up\{dependency="erp"[^}]*\} 0$/m);
    } finally {
      erpFaults.clear();
    }
  });
});
