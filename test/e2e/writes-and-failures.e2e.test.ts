import { buildDemoDataset } from '../../backends/demo-data/demo-dataset';
import { Money, formatAmount } from '../../platform/money';
import { type StackKind, STACK_NEEDS, type TestStack, startTestStack } from '../../test-support/stack';
import { describeOn } from '../../test-support/services';

const dataset = buildDemoDataset();

describeOn<StackKind>(['pglite', 'postgres'], 'writes, outages and restarts on %s', (kind) => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack(kind);
  }, 240_000);
  afterAll(async () => {
    await stack?.dispose();
  }, 60_000);

  it('creates a customer in the CRM, links a new ERP customer, and updates each field at its owner', async () => {
    const created = await stack.gql(
      `mutation { createCustomer(input: { name: "Acme Test GmbH", email: "buy@acme.test", country: "DE", creditLimit: "25000.50", paymentTerms: "NET30" }) {
        id crmAccountId erpCustomerNo name creditLimit { amount } paymentTerms sync { inCrm inErp state } } }`,
    );
    expect(created.errors).toBeUndefined();
    const customer = created.data.createCustomer;
    expect(customer.id).toBe(`crm:${customer.crmAccountId}`);
    expect(customer.erpCustomerNo).toMatch(/^K-\d+$/);
    expect(customer.creditLimit.amount).toBe('25000.50');
    expect(customer.sync).toEqual({ inCrm: true, inErp: true, state: 'IN_SYNC' });

    const updated = await stack.gql(
      `mutation($id: ID!) { updateCustomer(id: $id, input: { name: "Acme Test AG", creditLimit: "30000.00" }) { id name creditLimit { amount } } }`,
      { id: customer.id },
    );
    expect(updated.errors).toBeUndefined();
    expect(updated.data.updateCustomer).toEqual({ id: customer.id, name: 'Acme Test AG', creditLimit: { amount: '30000.00' } });
  });

  it('refuses bad input with BAD_USER_INPUT and writes nothing', async () => {
    const before = await stack.gql(`{ customers(first: 1) { totalCount } }`);
    const bad = await stack.gql(`mutation { createCustomer(input: { name: "  ", creditLimit: "1e9" }) { id } }`);
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const after = await stack.gql(`{ customers(first: 1) { totalCount } }`);
    expect(after.data.customers.totalCount).toBe(before.data.customers.totalCount);
  });

  it('writes opportunities, activities and cases to the CRM for a customer known by either id', async () => {
    const account = dataset.crm.accounts.find((a) => a.erpCustomerNo)!;
    const product = dataset.erp.products[0];
    const opportunity = await stack.gql(
      `mutation($c: ID!, $sku: ID!) { createOpportunity(input: { customerId: $c, name: "Retrofit", lines: [{ sku: $sku, quantity: 3 }] }) {
        id stage amount { amount currency } customer { id name } } }`,
      { c: `erp:${account.erpCustomerNo}`, sku: product.sku },
    );
    expect(opportunity.errors).toBeUndefined();
    const opp = opportunity.data.createOpportunity;
    expect(opp.stage).toBe('PROSPECTING');
    expect(opp.amount.amount).toBe(formatAmount(new Money(product.unitPrice).times(3)));
    expect(opp.customer.name).toBe(account.name);

    const staged = await stack.gql(`mutation($id: ID!) { updateOpportunityStage(id: $id, stage: NEGOTIATION) { stage } }`, { id: opp.id });
    expect(staged.data.updateOpportunityStage.stage).toBe('NEGOTIATION');

    const activity = await stack.gql(`mutation($c: ID!) { logActivity(input: { customerId: $c, type: CALL, subject: "Follow-up" }) { type subject } }`, { c: `crm:${account.id}` });
    expect(activity.data.logActivity).toEqual({ type: 'CALL', subject: 'Follow-up' });
    const serviceCase = await stack.gql(`mutation($c: ID!) { openCase(input: { customerId: $c, subject: "Broken part", priority: HIGH }) { status priority } }`, { c: `crm:${account.id}` });
    expect(serviceCase.data.openCase).toEqual({ status: 'OPEN', priority: 'HIGH' });
  });

  it('records shop floor, warehouse and finance events in the ERP', async () => {
    const production = dataset.erp.productionOrders.find((p) => p.status === 'RELEASED' || p.status === 'IN_PROGRESS' || p.status === 'PLANNED')!;
    const completed = await stack.gql(`mutation($id: ID!) { completeProductionOrder(id: $id) { number status } }`, { id: production.number });
    expect(completed.errors).toBeUndefined();
    expect(completed.data.completeProductionOrder).toEqual({ number: production.number, status: 'COMPLETED' });

    const pending = dataset.erp.shipments.find((s) => s.status === 'PENDING')!;
    const shipped = await stack.gql(`mutation($id: ID!) { confirmShipment(id: $id, carrier: " DHL ", trackingNumber: "00340434") { number status carrier trackingNumber shippedAt } }`, { id: pending.number });
    expect(shipped.errors).toBeUndefined();
    expect(shipped.data.confirmShipment).toMatchObject({ number: pending.number, status: 'SHIPPED', carrier: 'DHL', trackingNumber: '00340434' });
    expect(new Date(shipped.data.confirmShipment.shippedAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    const order = await stack.gql(`query($id: ID!) { salesOrder(id: $id) { status shipments { number status } } }`, { id: pending.salesOrderNumber });
    expect(order.data.salesOrder.status).toMatch(/^(SHIPPED|PARTIALLY_SHIPPED)$/);
    expect(order.data.salesOrder.shipments).toContainEqual({ number: pending.number, status: 'SHIPPED' });

    const invoice = dataset.erp.invoices.find((i) => i.status === 'OPEN' && new Money(i.amountDue).gt(10))!;
    const paid = await stack.gql(`mutation($id: ID!) { recordPayment(invoiceId: $id, amount: "10.00", reference: "e2e") { amountDue { amount } status } }`, { id: invoice.number });
    expect(paid.errors).toBeUndefined();
    expect(paid.data.recordPayment.amountDue.amount).toBe(formatAmount(new Money(invoice.amountDue).minus('10.00')));

    const tooMuch = await stack.gql(`mutation($id: ID!) { recordPayment(invoiceId: $id, amount: "abc") { status } }`, { id: invoice.number });
    expect(tooMuch.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('still answers from the ERP while the CRM backend is down, with a coded error on the CRM fields', async () => {
    const account = dataset.crm.accounts.find((a) => a.erpCustomerNo)!;
    await stack.stopService('crm-backend');
    try {
      const started = Date.now();
      const result = await stack.gql(`query($id: ID!) { customer(id: $id) { id erpCustomerNo contacts { id } openBalance { amount } } }`, { id: `crm:${account.id}` });
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(result.data?.customer?.openBalance?.amount).toMatch(/^\d+\.\d{2}$/);
      // The CRM's list answers empty, and an error at its path says why.
      expect(result.data?.customer?.erpCustomerNo).toBe(account.erpCustomerNo);
      expect(result.data?.customer?.contacts).toEqual([]);
      expect(result.errors).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ path: ['customer', 'contacts'], extensions: expect.objectContaining({ code: 'UPSTREAM_UNAVAILABLE', serviceName: 'crm' }) }),
        ]),
      );
    } finally {
      stack.startService('crm-backend');
      await stack.waitUntilReady();
    }
  });

  it('stays ready with the ERP backend stopped and answers a Customer 360 partially: the CRM fields, the ERP fields null or empty with UPSTREAM_UNAVAILABLE', async () => {
    const account = dataset.crm.accounts.find((a) => a.erpCustomerNo && dataset.crm.contacts.some((c) => c.accountId === a.id))!;
    await stack.stopService('erp-backend');
    try {
      for (const service of ['gateway', 'erp-subgraph', 'crm-subgraph', 'integration'] as const) {
        expect({ service, ready: (await fetch(`${stack.urls[service]}/ready`)).status }).toEqual({ service, ready: 200 });
      }
      const started = Date.now();
      // Nullable ERP fields and lists: openBalance is non-null in the contract, so asking for it nulls the customer.
      const result = await stack.gql(`query($id: ID!) { customer(id: $id) { id name contacts { name } creditLimit { amount } paymentTerms orders(first: 3) { number } } }`, { id: `crm:${account.id}` });
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(result.data?.customer).toMatchObject({ id: `crm:${account.id}`, name: account.name, creditLimit: null, paymentTerms: null, orders: [] });
      expect(result.data?.customer?.contacts.length).toBeGreaterThan(0);
      expect(result.errors?.length).toBeGreaterThan(0);
      for (const error of result.errors!) expect(error.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', serviceName: 'erp' });
      expect(result.errors!.map((e) => e.path?.join('.'))).toEqual(expect.arrayContaining(['customer.creditLimit', 'customer.orders']));
      // What is down is told apart from what cannot answer: on the dependency report and in metrics.
      const dependencies = await fetch(`${stack.urls['erp-subgraph']}/health/dependencies`);
      expect(dependencies.status).toBe(503);
      expect(await dependencies.json()).toMatchObject({ status: 'degraded', dependencies: { erp: { up: false } } });
      expect(await stack.counter('integration', 'dependency_up', { dependency: 'erp' })).toBe(0);
      expect(await stack.counter('integration', 'dependency_up', { dependency: 'crm' })).toBe(1);
    } finally {
      stack.startService('erp-backend');
      await stack.waitUntilReady();
    }
  });

  it('keeps every write across a restart of the whole stack', async () => {
    const created = await stack.gql(`mutation { createCustomer(input: { name: "Persistent Parts Ltd", country: "GB" }) { id } }`);
    const id = created.data.createCustomer.id;
    await stack.stop();
    const names = ['erp-backend', 'crm-backend', 'erp-subgraph', 'crm-subgraph', 'integration', 'gateway'] as const;
    for (const name of names) stack.startService(name);
    await stack.waitUntilReady();
    const again = await stack.gql(`query($id: ID!) { customer(id: $id) { name erpCustomerNo } }`, { id });
    expect(again.errors).toBeUndefined();
    expect(again.data.customer.name).toBe('Persistent Parts Ltd');
    expect(again.data.customer.erpCustomerNo).toMatch(/^K-/);
  });
}, STACK_NEEDS);
