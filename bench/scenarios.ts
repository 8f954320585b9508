/** One benchmark scenario: a named operation and the variables its requests cycle through. */
export interface Scenario {
  name: string;
  query: string;
  /** Different pages or ids per request, as different users would ask (no two neighbours equal). */
  pool: Record<string, unknown>[];
}

/** Where pages start and which customers exist, read from the seeded data before the load. */
export interface ScenarioInputs {
  customerCursors: (string | null)[];
  orderCursors: (string | null)[];
  opportunityCursors: (string | null)[];
  customerIds: string[];
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

/** The four scenarios of `npm run bench`, over pages and ids that exist in the seeded data. */
export function benchScenarios(inputs: ScenarioInputs): Scenario[] {
  const pages = (cursors: (string | null)[]) => cursors.map((after) => ({ first: 50, after }));
  return [
    { name: 'customer-360 (50 linked customers)', query: CUSTOMER_360, pool: pages(inputs.customerCursors) },
    { name: 'order list (50 orders)', query: ORDER_LIST, pool: pages(inputs.orderCursors) },
    { name: 'sales pipeline (50 opportunities)', query: PIPELINE, pool: pages(inputs.opportunityCursors) },
    { name: 'one customer by id', query: ONE_CUSTOMER, pool: inputs.customerIds.map((id) => ({ id })) },
  ];
}

/** Start cursors of the first `pages` pages of 50 of a connection field. */
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
