import { Money, formatAmount, sumAmounts } from '../../platform/money';
import { DEMO_ANCHOR, DEMO_WAREHOUSES, RESERVING_ORDER_STATUSES, buildDemoDataset } from './demo-dataset';
import type { DemoAnomalyKind, DemoDataset } from './demo-dataset.types';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ANCHOR_DATE = DEMO_ANCHOR.slice(0, 10);

const data: DemoDataset = buildDemoDataset();
const { erp, crm } = data;
const orderByNumber = new Map(erp.salesOrders.map((o) => [o.number, o]));
const customerByNo = new Map(erp.customers.map((c) => [c.customerNo, c]));
const accountById = new Map(crm.accounts.map((a) => [a.id, a]));

function orderTotal(lines: { quantity: number; unitPrice: string }[]): string {
  return formatAmount(sumAmounts(lines.map((l) => new Money(l.unitPrice).times(l.quantity))));
}

function anomaliesOf(kind: DemoAnomalyKind) {
  return data.anomalies.filter((a) => a.kind === kind);
}

function normalisedName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
}

describe('demo dataset', () => {
  it('is the same on every build with the same seed, and different with another seed', () => {
    // Compared as JSON: the same deep equality, far quicker than a structural diff of 20,000 rows.
    expect(JSON.stringify(buildDemoDataset())).toBe(JSON.stringify(data));
    const other = buildDemoDataset({ seed: 7 });
    expect(other.crm.accounts[0].id).not.toBe(crm.accounts[0].id);
  });

  it('has the promised size: 300+ customers, 80 products, 3 warehouses, 2,000 orders, 400 opportunities', () => {
    expect(erp.customers.length).toBeGreaterThanOrEqual(300);
    expect(crm.accounts.length).toBeGreaterThanOrEqual(300);
    expect(erp.products).toHaveLength(80);
    expect(erp.warehouses.map((w) => w.code)).toEqual(['WH-MAIN', 'WH-NORTH', 'WH-SOUTH']);
    expect(erp.salesOrders).toHaveLength(2000);
    expect(crm.opportunities).toHaveLength(400);
    expect(crm.users.length).toBeGreaterThanOrEqual(8);
    expect(crm.users.length).toBeLessThanOrEqual(12);
    const manufactured = erp.products.filter((p) => p.manufactured).length;
    expect(manufactured).toBeGreaterThan(30);
    expect(manufactured).toBeLessThan(50);
  });

  it('covers every sales order status, opportunity stage, invoice status, case status and priority', () => {
    const statuses = new Set(erp.salesOrders.map((o) => o.status));
    for (const s of ['DRAFT', 'CONFIRMED', 'IN_PRODUCTION', 'READY_TO_SHIP', 'PARTIALLY_SHIPPED', 'SHIPPED', 'INVOICED', 'PAID', 'CANCELLED']) expect(statuses).toContain(s);
    const stages = new Set(crm.opportunities.map((o) => o.stage));
    for (const s of ['PROSPECTING', 'QUALIFICATION', 'PROPOSAL', 'NEGOTIATION', 'CLOSED_WON', 'CLOSED_LOST']) expect(stages).toContain(s);
    expect(new Set(erp.invoices.map((i) => i.status))).toEqual(new Set(['OPEN', 'PAID', 'OVERDUE']));
    expect(new Set(crm.cases.map((c) => c.status))).toEqual(new Set(['OPEN', 'IN_PROGRESS', 'RESOLVED', 'CLOSED']));
    expect(new Set(crm.cases.map((c) => c.priority))).toEqual(new Set(['LOW', 'MEDIUM', 'HIGH', 'URGENT']));
    expect(new Set(crm.activities.map((a) => a.type))).toEqual(new Set(['CALL', 'EMAIL', 'MEETING', 'NOTE', 'SYSTEM']));
    expect(crm.activities.some((a) => a.type === 'SYSTEM' && /^Order SO-\d{6} shipped$/.test(a.subject))).toBe(true);
    expect(crm.cases.some((c) => c.erpSalesOrderId !== null && orderByNumber.has(c.erpSalesOrderId))).toBe(true);
  });

  it('uses ERP numbers and CRM UUIDs that never coincide', () => {
    const erpIds = [
      ...erp.customers.map((c) => c.customerNo),
      ...erp.salesOrders.map((o) => o.number),
      ...erp.productionOrders.map((p) => p.number),
      ...erp.shipments.map((s) => s.number),
      ...erp.invoices.map((i) => i.number),
    ];
    const crmIds = [...crm.users, ...crm.accounts, ...crm.contacts, ...crm.opportunities, ...crm.activities, ...crm.cases].map((r) => r.id);
    expect(new Set(crmIds).size).toBe(crmIds.length);
    expect(new Set(erpIds).size).toBe(erpIds.length);
    expect(crmIds.filter((id) => !UUID_V4.test(id))).toEqual([]);
    const erpSet = new Set(erpIds);
    expect(crmIds.filter((id) => erpSet.has(id))).toEqual([]);
    expect(erp.customers[0].customerNo).toBe('K-10001');
    expect(erp.salesOrders[0].number).toBe('SO-100001');
    const malformed = erpIds.filter((id) => !/^(K|SO|MO|SH|INV)-\d{5,}$/.test(id));
    expect(malformed).toEqual([]);
  });

  it('links accounts and customers both ways with the same master data, except where an anomaly is planted', () => {
    const mismatched = new Set(anomaliesOf('FIELD_MISMATCH').map((a) => a.erpCustomerNo));
    let linked = 0;
    for (const account of crm.accounts) {
      if (account.erpCustomerNo === null) continue;
      const customer = customerByNo.get(account.erpCustomerNo);
      expect(customer?.externalRef).toBe(account.id);
      linked++;
      if (mismatched.has(customer!.customerNo)) continue;
      expect([customer!.name, customer!.email, customer!.industry, customer!.country]).toEqual([account.name, account.email, account.industry, account.country]);
    }
    for (const customer of erp.customers) {
      if (customer.externalRef !== null) expect(accountById.get(customer.externalRef)?.erpCustomerNo).toBe(customer.customerNo);
    }
    const everyone = erp.customers.length + crm.accounts.length - linked;
    expect(linked / everyone).toBeGreaterThan(0.94);
  });

  it('gives customers unique names except the planted duplicates, with money and terms the ERP can use', () => {
    const byName = anomaliesOf('DUPLICATE_CUSTOMER').filter((a) => a.detail.includes('same name')).length;
    expect(new Set(crm.accounts.map((a) => a.name)).size).toBe(crm.accounts.length - byName);
    for (const c of erp.customers) {
      expect(c.creditLimit).toMatch(/^\d+\.00$/);
      expect(['NET14', 'NET30', 'NET60']).toContain(c.paymentTerms);
      expect(c.currency).toBe('EUR');
      expect(c.country).toMatch(/^[A-Z]{2}$/);
      expect(c.email).toMatch(/^[a-z.]+@[a-z0-9-]+\.[a-z.]+$/);
    }
    for (const p of erp.products) expect(p.unitPrice).toMatch(/^\d+\.\d{2}$/);
  });

  it('plants at least two of every anomaly kind, each visible in the data', () => {
    for (const kind of ['MISSING_IN_ERP', 'MISSING_IN_CRM', 'FIELD_MISMATCH', 'DUPLICATE_CUSTOMER', 'ORPHAN_RECORD', 'AMOUNT_MISMATCH'] as const) {
      expect(anomaliesOf(kind).length).toBeGreaterThanOrEqual(2);
    }
    const refs = new Set(erp.customers.map((c) => c.externalRef));
    for (const a of anomaliesOf('MISSING_IN_ERP')) {
      expect(accountById.get(a.crmAccountId!)?.erpCustomerNo).toBeNull();
      expect(refs.has(a.crmAccountId!)).toBe(false);
    }
    const linkedNos = new Set(crm.accounts.map((a) => a.erpCustomerNo));
    for (const a of anomaliesOf('MISSING_IN_CRM')) {
      expect(customerByNo.get(a.erpCustomerNo!)?.externalRef).toBeNull();
      expect(linkedNos.has(a.erpCustomerNo!)).toBe(false);
    }
    for (const a of anomaliesOf('FIELD_MISMATCH')) {
      const field = a.field as 'name' | 'email' | 'country';
      expect(accountById.get(a.crmAccountId!)![field]).not.toBe(customerByNo.get(a.erpCustomerNo!)![field]);
    }
    for (const a of anomaliesOf('DUPLICATE_CUSTOMER')) {
      const account = accountById.get(a.crmAccountId!)!;
      const twins = crm.accounts.filter(
        (b) =>
          b.id !== account.id &&
          ((normalisedName(b.name) === normalisedName(account.name) && b.country === account.country) || b.email === account.email),
      );
      expect(twins).toHaveLength(1);
      expect(twins[0].erpCustomerNo).not.toBeNull();
      expect(twins[0].erpCustomerNo).not.toBe(account.erpCustomerNo);
    }
    const opportunityOf = new Map(crm.opportunities.map((o) => [o.id, o]));
    for (const a of anomaliesOf('ORPHAN_RECORD')) {
      const opportunity = opportunityOf.get(a.detail.split(' ')[1])!;
      expect(opportunity.accountId).toBe(a.crmAccountId);
      expect(opportunity.erpSalesOrderId).toMatch(/^SO-\d{6}$/);
      expect(orderByNumber.has(opportunity.erpSalesOrderId!)).toBe(false);
    }
    for (const a of anomaliesOf('AMOUNT_MISMATCH')) {
      const opportunity = opportunityOf.get(a.detail.split(' ')[1])!;
      const order = orderByNumber.get(opportunity.erpSalesOrderId!)!;
      expect(opportunity.stage).toBe('CLOSED_WON');
      expect(order.customerNo).toBe(a.erpCustomerNo);
      expect(orderTotal(opportunity.lines)).not.toBe(orderTotal(order.lines));
    }
  });

  it('links won opportunities to an order of the same customer with the same amount', () => {
    const planted = new Set(data.anomalies.filter((a) => a.kind === 'AMOUNT_MISMATCH' || a.kind === 'ORPHAN_RECORD').map((a) => a.detail.split(' ')[1]));
    const won = crm.opportunities.filter((o) => o.stage === 'CLOSED_WON' && !planted.has(o.id));
    expect(won.length).toBeGreaterThan(40);
    for (const opportunity of won) {
      const order = orderByNumber.get(opportunity.erpSalesOrderId!)!;
      expect(order.customerNo).toBe(accountById.get(opportunity.accountId)!.erpCustomerNo);
      expect(order.externalRef).toBe(opportunity.id);
      expect(orderTotal(opportunity.lines)).toBe(orderTotal(order.lines));
    }
    for (const opportunity of crm.opportunities.filter((o) => o.stage !== 'CLOSED_WON')) expect(opportunity.erpSalesOrderId).toBeNull();
  });

  it('places orders only for ERP customers, priced from the catalogue, with quantities that fit the status', () => {
    const priceOf = new Map(erp.products.map((p) => [p.sku, p.unitPrice]));
    // [shipped, reserved] each line of an order in this status must have.
    const expected: Record<string, (q: number) => [number, number]> = {
      DRAFT: () => [0, 0],
      CANCELLED: () => [0, 0],
      CONFIRMED: (q) => [0, q],
      READY_TO_SHIP: (q) => [0, q],
      SHIPPED: (q) => [q, 0],
      INVOICED: (q) => [q, 0],
      PAID: (q) => [q, 0],
    };
    const problems: string[] = [];
    for (const order of erp.salesOrders) {
      if (!customerByNo.has(order.customerNo)) problems.push(`${order.number}: unknown customer`);
      if (order.lines.length < 1 || order.lines.length > 5) problems.push(`${order.number}: ${order.lines.length} lines`);
      if (new Set(order.lines.map((l) => l.sku)).size !== order.lines.length) problems.push(`${order.number}: repeated product`);
      for (const line of order.lines) {
        if (line.unitPrice !== priceOf.get(line.sku)) problems.push(`${order.number}/${line.lineNo}: price`);
        if (line.reservedQuantity + line.shippedQuantity > line.quantity) problems.push(`${order.number}/${line.lineNo}: over-allocated`);
        const want = expected[order.status]?.(line.quantity);
        if (want && (want[0] !== line.shippedQuantity || want[1] !== line.reservedQuantity)) problems.push(`${order.number}/${line.lineNo}: quantities for ${order.status}`);
        if (order.status === 'PARTIALLY_SHIPPED' && line.reservedQuantity !== line.quantity - line.shippedQuantity) problems.push(`${order.number}/${line.lineNo}: remainder not reserved`);
      }
      if (order.status === 'PARTIALLY_SHIPPED' && !(order.lines.some((l) => l.shippedQuantity > 0) && order.lines.some((l) => l.shippedQuantity < l.quantity))) {
        problems.push(`${order.number}: not partially shipped`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('covers every shortage of an order in production with an open production order', () => {
    const open = erp.productionOrders.filter((p) => ['PLANNED', 'RELEASED', 'IN_PROGRESS'].includes(p.status));
    const manufactured = new Set(erp.products.filter((p) => p.manufactured).map((p) => p.sku));
    for (const order of erp.salesOrders.filter((o) => o.status === 'IN_PRODUCTION')) {
      const short = order.lines.filter((l) => l.reservedQuantity < l.quantity);
      expect(short.length).toBeGreaterThan(0);
      for (const line of short) {
        expect(manufactured.has(line.sku)).toBe(true);
        const covering = open.filter((p) => p.salesOrderNumber === order.number && p.sku === line.sku);
        expect(covering.map((p) => p.quantity)).toEqual([line.quantity - line.reservedQuantity]);
      }
    }
    expect(new Set(erp.productionOrders.map((p) => p.status))).toEqual(new Set(['PLANNED', 'RELEASED', 'IN_PROGRESS', 'COMPLETED', 'CANCELLED']));
  });

  it('ships what the order says was shipped, with carrier and tracking once it left', () => {
    const shipmentsOf = new Map<string, (typeof erp.shipments)[number][]>();
    for (const s of erp.shipments) shipmentsOf.set(s.salesOrderNumber, [...(shipmentsOf.get(s.salesOrderNumber) ?? []), s]);
    const problems: string[] = [];
    for (const order of erp.salesOrders) {
      const shipments = shipmentsOf.get(order.number) ?? [];
      const shipped = shipments.filter((s) => s.status === 'SHIPPED');
      for (const s of shipped) {
        if (!s.carrier || !s.trackingNumber || !(s.shippedAt! < DEMO_ANCHOR)) problems.push(`${s.number}: carrier, tracking or time`);
      }
      const shippedQuantity = (sku: string) => shipped.flatMap((s) => s.lines).filter((l) => l.sku === sku).reduce((n, l) => n + l.quantity, 0);
      for (const line of order.lines) if (shippedQuantity(line.sku) !== line.shippedQuantity) problems.push(`${order.number}/${line.lineNo}: shipped quantity`);
      if (order.status === 'READY_TO_SHIP' && shipments.map((s) => s.status).join() !== 'PENDING') problems.push(`${order.number}: no pending shipment`);
    }
    expect(problems).toEqual([]);
  });

  it('invoices exactly the order total and keeps invoice, payments and amount due in step', () => {
    const paymentsOf = new Map<string, string[]>();
    for (const p of erp.payments) paymentsOf.set(p.invoiceNumber, [...(paymentsOf.get(p.invoiceNumber) ?? []), p.amount]);
    const invoiced = erp.salesOrders.filter((o) => o.status === 'INVOICED' || o.status === 'PAID');
    expect(erp.invoices).toHaveLength(invoiced.length);
    let partlyPaid = 0;
    const problems: string[] = [];
    for (const invoice of erp.invoices) {
      const order = orderByNumber.get(invoice.salesOrderNumber!)!;
      if (invoice.customerNo !== order.customerNo) problems.push(`${invoice.number}: customer`);
      if (invoice.total !== orderTotal(order.lines)) problems.push(`${invoice.number}: total ${invoice.total}`);
      const paid = formatAmount(sumAmounts(paymentsOf.get(invoice.number) ?? []));
      if (formatAmount(new Money(invoice.total).minus(paid)) !== invoice.amountDue) problems.push(`${invoice.number}: amount due`);
      if (order.status === 'PAID' && (invoice.status !== 'PAID' || invoice.amountDue !== '0.00')) problems.push(`${invoice.number}: not paid`);
      if (order.status === 'INVOICED' && invoice.status !== (invoice.dueDate < ANCHOR_DATE ? 'OVERDUE' : 'OPEN')) problems.push(`${invoice.number}: ${invoice.status}`);
      if (invoice.status === 'OPEN' && invoice.amountDue !== invoice.total) partlyPaid++;
    }
    expect(problems).toEqual([]);
    expect(partlyPaid).toBeGreaterThanOrEqual(2);
    expect(erp.payments.filter((p) => !/^\d+\.\d{2}$/.test(p.amount))).toEqual([]);
  });

  it('has stock for every reservation in the warehouses the ERP seed fills in code order, with some products short', () => {
    const onHand = new Map(erp.stock.map((s) => [`${s.sku}|${s.warehouseCode}`, s.onHand]));
    const reserved = new Map<string, number>();
    for (const order of erp.salesOrders.filter((o) => RESERVING_ORDER_STATUSES.includes(o.status))) {
      for (const line of order.lines) {
        let need = line.reservedQuantity;
        for (const w of DEMO_WAREHOUSES) {
          const key = `${line.sku}|${w.code}`;
          const take = Math.min(need, onHand.get(key)! - (reserved.get(key) ?? 0));
          reserved.set(key, (reserved.get(key) ?? 0) + take);
          need -= take;
        }
        expect(need).toBe(0);
      }
    }
    const totalOnHand = (sku: string) => erp.stock.filter((s) => s.sku === sku).reduce((n, s) => n + s.onHand, 0);
    const openDemand = new Map<string, number>();
    for (const order of erp.salesOrders.filter((o) => RESERVING_ORDER_STATUSES.includes(o.status))) {
      for (const line of order.lines) openDemand.set(line.sku, (openDemand.get(line.sku) ?? 0) + line.quantity - line.shippedQuantity);
    }
    const short = erp.products.filter((p) => totalOnHand(p.sku) < (openDemand.get(p.sku) ?? 0));
    expect(short.length).toBeGreaterThanOrEqual(3);
    expect(erp.products.filter((p) => totalOnHand(p.sku) === 0).length).toBeGreaterThanOrEqual(2);
  });

  it('dates everything that happened before the anchor, and open opportunities after it', () => {
    const past = [
      ...erp.customers.map((c) => c.createdAt),
      ...erp.salesOrders.map((o) => o.createdAt),
      ...erp.invoices.map((i) => i.issuedAt),
      ...erp.payments.map((p) => p.receivedAt),
      ...crm.accounts.map((a) => a.createdAt),
      ...crm.activities.map((a) => a.occurredAt),
      ...crm.cases.map((c) => c.openedAt),
      ...crm.opportunities.map((o) => o.createdAt),
    ];
    expect(past.filter((d) => !(d < DEMO_ANCHOR))).toEqual([]);
    for (const o of crm.opportunities.filter((x) => !x.stage.startsWith('CLOSED'))) expect(o.expectedCloseDate! > ANCHOR_DATE).toBe(true);
  });

  it('scales with its options and refuses sizes it cannot fill', () => {
    const bigger = buildDemoDataset({ customers: 800, salesOrders: 5000, opportunities: 800 });
    expect(bigger.erp.salesOrders).toHaveLength(5000);
    expect(bigger.crm.opportunities).toHaveLength(800);
    expect(bigger.erp.customers.length + bigger.anomalies.filter((a) => a.kind === 'MISSING_IN_ERP').length).toBe(800);
    expect(bigger.anomalies.filter((a) => a.kind === 'MISSING_IN_CRM').length).toBeGreaterThan(anomaliesOf('MISSING_IN_CRM').length);
    expect(() => buildDemoDataset({ customers: 3 })).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  });
});
