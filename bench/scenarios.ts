import { randomUUID } from 'node:crypto';
import { encodeCursor } from '../platform/pagination';
import { type BenchStack, postGraphql } from './bench-stack';

/** One benchmark scenario: a named operation and the variables its requests cycle through. */
export interface Scenario {
  name: string;
  query: string;
  /** Different pages or ids per request, as different users would ask (no two neighbours equal). */
  pool: Record<string, unknown>[];
  /** Writes sent at a fixed rate beside the reads, for as long as they run. */
  writes?: ScenarioWrites;
}

/** A stream of mutations run beside a scenario's reads. */
export interface ScenarioWrites {
  query: string;
  /** Variables of the n-th write (each with its own idempotency key, so each does the whole work). */
  variables(n: number): Record<string, unknown>;
  /** Writes per second, over all connections. */
  perSecond: number;
  connections: number;
}

/** Where pages start and which customers exist, read from the seeded data before the load. */
export interface ScenarioInputs {
  customerCursors: (string | null)[];
  orderCursors: (string | null)[];
  opportunityCursors: (string | null)[];
  customerIds: string[];
  /** Start cursors of consecutive pages of EXPORT_PAGE_SIZE orders, as an export reads them. */
  exportCursors: (string | null)[];
  /** Customers in both systems outside every Customer 360 page: orders placed for them change no read's work. */
  placementCustomerIds: string[];
  /** Products orders are placed for. */
  placementSkus: string[];
  /** Unique within one bench run, so every write's idempotency key is new. */
  runId: string;
}

/** Customer 360 for `first` customers: CRM and ERP data joined per customer. */
export const CUSTOMER_360 = /* GraphQL */ `
  query Customer360($first: Int!, $after: String) {
    customers(first: $first, after: $after) {
      totalCount
      nodes {
        id crmAccountId erpCustomerNo name email country
        contacts { id name email }
        opportunities { id name stage amount { amount currency } }
        creditLimit { amount currency }
        openBalance { amount currency }
        orders(first: 20) {
          id number status total { amount currency }
          lines { quantity unitPrice { amount } product { sku name available stock { onHand reserved available warehouse { code name } } } }
        }
        invoices { id number status total { amount } amountDue { amount } dueDate }
      }
    }
  }
`;

const ORDER_LIST = /* GraphQL */ `
  query OrderList($first: Int!, $after: String) {
    salesOrders(first: $first, after: $after) {
      nodes {
        id number status total { amount currency }
        lines { quantity unitPrice { amount } product { sku name available stock { onHand reserved available warehouse { code name } } } }
      }
    }
  }
`;

const PIPELINE = /* GraphQL */ `
  query Pipeline($first: Int!, $after: String) {
    opportunities(first: $first, after: $after) {
      nodes {
        id name stage amount { amount currency }
        customer { id name }
        salesOrder { id number status total { amount currency } }
      }
    }
  }
`;

const ONE_CUSTOMER = /* GraphQL */ `
  query OneCustomer($id: ID!) {
    customer(id: $id) {
      id name email
      contacts { id name }
      openBalance { amount currency }
      orders(first: 5) { id number status total { amount currency } }
    }
  }
`;

/**
 * What a reporting tool's export reads: orders with their customer from both systems (name and
 * email from the integration, credit limit and payment terms from the ERP, the account from the
 * CRM), a page of 100 (the API's largest) at a time by cursor, as `npm run export` pages.
 */
const ORDER_EXPORT = /* GraphQL */ `
  query OrderExport($first: Int!, $after: String) {
    salesOrders(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id number status createdAt total { amount currency }
        customer { id name email country crmAccountId erpCustomerNo creditLimit { amount currency } paymentTerms }
      }
    }
  }
`;

const PLACE_ORDER = /* GraphQL */ `
  mutation PlaceOrder($input: PlaceOrderInput!, $idempotencyKey: String!) {
    placeOrder(input: $input, idempotencyKey: $idempotencyKey) { id customer { id name } }
  }
`;

/** Rows per page of the export scenario: the API's largest page, as `npm run export` asks. */
export const EXPORT_PAGE_SIZE = 100;
/** Orders one export reads. */
export const EXPORT_ORDERS = 1000;

/** Scenario names, also what --scenarios matches the start of. */
export const SCENARIO_NAMES = {
  customer360: 'customer-360 (50 linked customers)',
  orderList: 'order list (50 orders)',
  pipeline: 'sales pipeline (50 opportunities)',
  oneCustomer: 'one customer by id',
  export: 'order export (1,000 orders, pages of 100, with customer)',
  readsWhileOrdering: 'customer-360 while orders are placed',
} as const;

/** Orders placed per second in the mixed scenario: a steady stream of flows, bounded in count. */
export const PLACEMENTS_PER_SECOND = 4;

/** The scenarios of `npm run bench`, over pages and ids that exist in the seeded data. */
export function benchScenarios(inputs: ScenarioInputs): Scenario[] {
  const pages = (cursors: (string | null)[]) => cursors.map((after) => ({ first: 50, after }));
  const customer360 = pages(inputs.customerCursors);
  return [
    { name: SCENARIO_NAMES.customer360, query: CUSTOMER_360, pool: customer360 },
    { name: SCENARIO_NAMES.orderList, query: ORDER_LIST, pool: pages(inputs.orderCursors) },
    { name: SCENARIO_NAMES.pipeline, query: PIPELINE, pool: pages(inputs.opportunityCursors) },
    { name: SCENARIO_NAMES.oneCustomer, query: ONE_CUSTOMER, pool: inputs.customerIds.map((id) => ({ id })) },
    { name: SCENARIO_NAMES.export, query: ORDER_EXPORT, pool: inputs.exportCursors.map((after) => ({ first: EXPORT_PAGE_SIZE, after })) },
    {
      // Run after every round of the others (bench/run.ts): the orders it places shift the order
      // lists the scenarios above page through, and their flows keep working afterwards.
      name: SCENARIO_NAMES.readsWhileOrdering,
      query: CUSTOMER_360,
      pool: customer360,
      writes: {
        query: PLACE_ORDER,
        perSecond: PLACEMENTS_PER_SECOND,
        connections: 2,
        variables: (n) => ({
          input: {
            customerId: inputs.placementCustomerIds[n % inputs.placementCustomerIds.length],
            lines: [{ sku: inputs.placementSkus[n % inputs.placementSkus.length], quantity: 1 + (n % 3) }],
          },
          idempotencyKey: `bench-${inputs.runId}-${n}`,
        }),
      },
    },
  ];
}

/** Start cursors of the first `pages` pages of a connection field. */
export async function pageCursors(fetchPage: (after: string | null) => Promise<{ endCursor: string | null; hasNextPage: boolean }>, pages: number): Promise<(string | null)[]> {
  const cursors: (string | null)[] = [null];
  let after: string | null = null;
  while (cursors.length < pages) {
    const info = await fetchPage(after);
    if (!info.hasNextPage || !info.endCursor) break;
    after = info.endCursor;
    cursors.push(after);
  }
  return cursors;
}

/**
 * Pages and ids the load cycles through, read once through our gateway: `pages` pages of each
 * list, the first 100 customers' ids, the export's pages and what orders are placed for.
 */
export async function readScenarioInputs(bench: BenchStack, pages: number, options: { anyCustomerPage?: boolean } = {}): Promise<ScenarioInputs> {
  const pageOf = (field: string, size: number) => async (after: string | null) => {
    const body = (await postGraphql(bench.endpoints.gateway, bench.token, { query: `query($after: String) { ${field}(first: ${size}, after: $after) { pageInfo { hasNextPage endCursor } } }`, variables: { after } })) as { data?: Record<string, { pageInfo: { hasNextPage: boolean; endCursor: string | null } }> };
    if (!body.data) throw new Error(`the gateway could not list ${field}: ${JSON.stringify(body)}`);
    return body.data[field].pageInfo;
  };
  const ids = (await postGraphql(bench.endpoints.gateway, bench.token, { query: '{ customers(first: 100) { nodes { id } } }' })) as { data?: { customers: { nodes: { id: string }[] } } };
  // Pages of customers linked in both systems keep the peers comparable (fullyLinkedWindows); a run
  // of our gateway alone (e.g. against two ERPs) may page through every customer.
  const linked = options.anyCustomerPage
    ? { cursors: await pageCursors(pageOf('customers', 50), pages), outsidePages: (ids.data?.customers.nodes ?? []).map((node) => node.id) }
    : await fullyLinkedWindows(bench, pages);
  const products = (await postGraphql(bench.endpoints.gateway, bench.token, { query: '{ products(first: 50) { nodes { sku } } }' })) as { data?: { products: { nodes: { sku: string }[] } } };
  return {
    customerCursors: linked.cursors,
    orderCursors: await pageCursors(pageOf('salesOrders', 50), pages),
    opportunityCursors: await pageCursors(pageOf('opportunities', 50), pages),
    customerIds: (ids.data?.customers.nodes ?? []).map((node) => node.id),
    exportCursors: await pageCursors(pageOf('salesOrders', EXPORT_PAGE_SIZE), EXPORT_ORDERS / EXPORT_PAGE_SIZE),
    placementCustomerIds: linked.outsidePages.slice(0, 50),
    placementSkus: (products.data?.products.nodes ?? []).map((node) => node.sku).slice(0, 20),
    runId: randomUUID().slice(0, 8),
  };
}

/**
 * Cursors of pages of 50 customers that each exist in both systems, and the linked customers on
 * no such page. Hive Gateway does not fetch an entity whose key is null (a customer only in the
 * CRM has no ERP number) and then fails the whole page on the non-null `openBalance`; on such
 * pages the systems would not do the same work.
 */
async function fullyLinkedWindows(bench: BenchStack, wanted: number): Promise<{ cursors: (string | null)[]; outsidePages: string[] }> {
  const customers: { id: string; crmAccountId: string | null; erpCustomerNo: string | null }[] = [];
  let after: string | null = null;
  while (customers.length < 5000) {
    const body = (await postGraphql(bench.endpoints.gateway, bench.token, { query: 'query($after: String) { customers(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { id crmAccountId erpCustomerNo } } }', variables: { after } })) as { data: { customers: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: typeof customers } } };
    customers.push(...body.data.customers.nodes);
    if (!body.data.customers.pageInfo.hasNextPage) break;
    after = body.data.customers.pageInfo.endCursor;
  }
  const cursors: (string | null)[] = [];
  const onPages = new Set<number>();
  let run = 0;
  for (let i = 0; i < customers.length && cursors.length < wanted; i++) {
    run = customers[i].crmAccountId && customers[i].erpCustomerNo ? run + 1 : 0;
    if (run === 50) {
      const start = i - 49;
      cursors.push(start === 0 ? null : encodeCursor(customers[start - 1].id));
      for (let j = start; j <= i; j++) onPages.add(j);
      run = 0;
    }
  }
  if (cursors.length === 0) throw new Error('no page of 50 customers linked in both systems; try a larger --scale');
  const outsidePages = customers.filter((c, i) => !onPages.has(i) && c.crmAccountId && c.erpCustomerNo).map((c) => c.id);
  return { cursors, outsidePages };
}
