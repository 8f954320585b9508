import { buildDemoDataset } from '../../../backends/demo-data/demo-dataset';
import { Money, formatAmount, sumAmounts } from '../../../platform/money';
import type { TestStack } from '../../../test-support/stack';

const dataset = buildDemoDataset();
const OPEN_ORDER_STATUSES = new Set(['CONFIRMED', 'IN_PRODUCTION', 'READY_TO_SHIP', 'PARTIALLY_SHIPPED']);

const CUSTOMER_360 = /* GraphQL */ `
  query Customer360($first: Int!) {
    customers(first: $first) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes {
        id crmAccountId erpCustomerNo name email country
        sync { inCrm inErp state }
        contacts { id name email }
        opportunities { id name stage amount { amount currency } lines { quantity unitPrice { amount } product { sku name } } }
        activities(last: 5) { id type subject occurredAt }
        cases { id status priority }
        creditLimit { amount currency }
        openBalance { amount currency }
        paymentTerms
        orders(first: 20) {
          id number status total { amount currency }
          lines { quantity unitPrice { amount } reservedQuantity shippedQuantity product { sku name available stock { onHand reserved available warehouse { code name } } } }
        }
        invoices { id number status total { amount } amountDue { amount } dueDate }
      }
    }
  }
`;

/**
 * What the stack these cases run on is configured with: no background polls, which would add
 * their own backend calls to the ones the cases count (changes still arrive by webhook).
 */
export const CUSTOMER_360_STACK_ENV: NodeJS.ProcessEnv = { SYNC_POLL_INTERVAL_MS: '3600000', RECONCILIATION_INTERVAL_MS: '3600000' };

/**
 * Customer 360 through the gateway on a running stack started with CUSTOMER_360_STACK_ENV, first
 * on it: the cases compare the answers with the seed (reservations exactly) and count backend calls.
 * What a client sees must be the same on PGlite and on PostgreSQL + Redis.
 */
export function customer360Cases(stackOf: () => TestStack): void {
  let stack: TestStack;

  beforeAll(() => {
    stack = stackOf();
  });

  it('answers a Customer 360 for 50 customers consistently from both systems', async () => {
    const { data, errors } = await stack.gql(CUSTOMER_360, { first: 50 });
    expect(errors).toBeUndefined();
    const customers = data.customers.nodes;
    expect(customers).toHaveLength(50);
    expect(data.customers.totalCount).toBeGreaterThanOrEqual(300);

    let linked = 0;
    for (const customer of customers) {
      // ERP and CRM identifiers are separate and never equal.
      expect(customer.crmAccountId).not.toEqual(customer.erpCustomerNo);
      if (customer.crmAccountId && customer.erpCustomerNo) linked++;

      const account = dataset.crm.accounts.find((a) => a.id === customer.crmAccountId);
      if (account) {
        expect(customer.name).toBe(account.name);
        expect(customer.contacts.map((c: { id: string }) => c.id).sort()).toEqual(
          dataset.crm.contacts.filter((c) => c.accountId === account.id).map((c) => c.id).sort(),
        );
        expect(customer.opportunities).toHaveLength(dataset.crm.opportunities.filter((o) => o.accountId === account.id).length);
      }

      // The open balance is exactly the sum of the amounts due on OPEN and OVERDUE invoices.
      const openInvoices = customer.invoices.filter((i: { status: string }) => i.status === 'OPEN' || i.status === 'OVERDUE');
      expect(customer.openBalance.amount).toBe(formatAmount(sumAmounts(openInvoices.map((i: { amountDue: { amount: string } }) => i.amountDue.amount))));
      if (customer.erpCustomerNo) {
        const seededDue = dataset.erp.invoices
          .filter((i) => i.customerNo === customer.erpCustomerNo && (i.status === 'OPEN' || i.status === 'OVERDUE'))
          .map((i) => i.amountDue);
        expect(customer.openBalance.amount).toBe(formatAmount(sumAmounts(seededDue)));
      }

      for (const order of customer.orders) {
        // An order's total is exactly the sum of its lines.
        const lineSum = sumAmounts(order.lines.map((l: { quantity: number; unitPrice: { amount: string } }) => new Money(l.unitPrice.amount).times(l.quantity)));
        expect(order.total.amount).toBe(formatAmount(lineSum));
        const seeded = dataset.erp.salesOrders.find((o) => o.number === order.number)!;
        expect(seeded.customerNo).toBe(customer.erpCustomerNo);
        for (const line of order.lines) {
          // Available stock is on hand minus reserved, per warehouse and in sum.
          const stock = line.product.stock as { onHand: number; reserved: number; available: number }[];
          for (const level of stock) expect(level.available).toBe(Math.max(0, level.onHand - level.reserved));
          expect(line.product.available).toBe(stock.reduce((n, l) => n + l.available, 0));
        }
      }
    }
    expect(linked).toBeGreaterThan(40);
  });

  it('reports stock reserved exactly as the open orders reserve it', async () => {
    const { data, errors } = await stack.gql(`{ products(first: 100) { totalCount nodes { sku stock { onHand reserved } } } }`);
    expect(errors).toBeUndefined();
    expect(data.products.totalCount).toBe(dataset.erp.products.length);
    for (const product of data.products.nodes) {
      const onHand = dataset.erp.stock.filter((s) => s.sku === product.sku).reduce((n, s) => n + s.onHand, 0);
      const reserved = dataset.erp.salesOrders
        .filter((o) => OPEN_ORDER_STATUSES.has(o.status))
        .flatMap((o) => o.lines)
        .filter((l) => l.sku === product.sku)
        .reduce((n, l) => n + l.reservedQuantity, 0);
      expect(product.stock.reduce((n: number, s: { onHand: number }) => n + s.onHand, 0)).toBe(onHand);
      expect(product.stock.reduce((n: number, s: { reserved: number }) => n + s.reserved, 0)).toBe(reserved);
    }
  });

  it('makes no more backend calls for 50 customers than for 5, plus 3', async () => {
    const callsFor = async (first: number) => {
      const services = ['erp-subgraph', 'crm-subgraph', 'integration'] as const;
      const before = await Promise.all(services.map((s) => stack!.counter(s, 'connector_requests_total')));
      const { errors } = await stack!.gql(CUSTOMER_360, { first });
      expect(errors).toBeUndefined();
      const after = await Promise.all(services.map((s) => stack!.counter(s, 'connector_requests_total')));
      return after.reduce((n, v, i) => n + v - before[i], 0);
    };
    // The least of two runs: anything else running in the stack can only add calls.
    const five = Math.min(await callsFor(5), await callsFor(5));
    const fifty = Math.min(await callsFor(50), await callsFor(50));
    expect(five).toBeGreaterThan(0);
    expect(fifty).toBeLessThanOrEqual(five + 3);
  });

  it('refuses a request without a token', async () => {
    const response = await fetch(stack.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ customers { totalCount } }"}' });
    expect(response.status).toBe(401);
    const body = (await response.json()) as { data?: unknown; errors: { extensions: { code: string } }[] };
    expect(body.data).toBeUndefined();
    expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });
}
