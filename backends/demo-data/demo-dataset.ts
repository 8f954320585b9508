import { AppError, ErrorCode } from '../../platform/errors';
import { Money, formatAmount } from '../../platform/money';
import type { CrmDemoData, DemoAnomaly, DemoDataset, ErpDemoData } from './demo-dataset.types';
import { DemoRandom } from './demo-random';
import {
  ACTIVITY_SUBJECTS,
  CARRIERS,
  CASE_SUBJECTS,
  COUNTRIES,
  DESCRIPTORS,
  FIRST_NAMES,
  MAILBOXES,
  MANUFACTURED_TYPES,
  OPPORTUNITY_PURPOSES,
  PLACES,
  PURCHASED_TYPES,
  SECTORS,
  SERIES,
  SURNAMES,
  TITLES,
} from './demo-words';

/** "Now" for the demo data: every date is derived from it, so the data is the same whenever it is built. */
export const DEMO_ANCHOR = '2026-11-01T00:00:00.000Z';

/** How much demo data a build makes when no option says otherwise. */
export const DEMO_DEFAULTS = { customers: 320, salesOrders: 2000, opportunities: 400, seed: 20261101 } as const;

/** The ERP's warehouses, in the code order the ERP seed allocates reservations in. */
export const DEMO_WAREHOUSES = [
  { code: 'WH-MAIN', name: 'Main warehouse' },
  { code: 'WH-NORTH', name: 'North distribution centre' },
  { code: 'WH-SOUTH', name: 'South distribution centre' },
] as const;

/** Sales order statuses whose lines hold stock reservations. */
export const RESERVING_ORDER_STATUSES: readonly string[] = ['CONFIRMED', 'IN_PRODUCTION', 'READY_TO_SHIP', 'PARTIALLY_SHIPPED'];

/** Sales order numbers the ERP never assigns (below its first number); orphaned opportunities point here. */
const ORPHAN_ORDER_BASE = 99001;
const PRODUCT_COUNT = 80;
const CURRENCY = 'EUR';
const ANCHOR_MS = Date.parse(DEMO_ANCHOR);
const ANCHOR_DATE = DEMO_ANCHOR.slice(0, 10);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Sizes and seed of a build; defaults are DEMO_DEFAULTS. */
export interface DemoDatasetOptions {
  customers?: number;
  salesOrders?: number;
  opportunities?: number;
  seed?: number;
}

type ErpCustomerRow = ErpDemoData['customers'][number];
type ProductRow = ErpDemoData['products'][number];
type SalesOrderRow = ErpDemoData['salesOrders'][number];
type OrderLineRow = SalesOrderRow['lines'][number];
type ProductionOrderRow = ErpDemoData['productionOrders'][number];
type ShipmentRow = ErpDemoData['shipments'][number];
type InvoiceRow = ErpDemoData['invoices'][number];
type AccountRow = CrmDemoData['accounts'][number];
type OpportunityRow = CrmDemoData['opportunities'][number];

type OrderStatus = 'DRAFT' | 'CONFIRMED' | 'IN_PRODUCTION' | 'READY_TO_SHIP' | 'PARTIALLY_SHIPPED' | 'SHIPPED' | 'INVOICED' | 'PAID' | 'CANCELLED';
type Country = (typeof COUNTRIES)[number];
type CustomerRole = 'LINKED' | 'MISSING_IN_ERP' | 'MISSING_IN_CRM' | 'FIELD_MISMATCH' | 'DUPLICATE';

interface ProductPlan {
  index: number;
  row: ProductRow;
  /** Largest quantity a line orders; expensive machines are bought a few at a time. */
  maxQuantity: number;
  /** ZERO: nothing on hand; SHORT: everything on hand is reserved and open orders want more. */
  stockState: 'OK' | 'SHORT' | 'ZERO';
}

interface CustomerPlan {
  name: string;
  /** The name without its legal form, e.g. "Nordic Precision Tools". */
  base: string;
  legalForm: string;
  email: string;
  industry: string;
  country: Country;
  domain: string;
  mailbox: string;
  createdAtMs: number;
  role: CustomerRole;
  /** What the ERP holds; differs from the CRM values only for FIELD_MISMATCH. */
  erp: { name: string; email: string; country: string };
  mismatchField: 'name' | 'email' | 'country' | null;
  duplicateOf: CustomerPlan | null;
  duplicateBy: 'name and country' | 'email' | null;
  /** Relative share of the sales orders this customer places. */
  weight: number;
  customerNo: string | null;
  accountId: string | null;
  accountCreatedAtMs: number;
  ownerId: string | null;
  orders: OrderPlan[];
}

interface OrderPlan {
  row: SalesOrderRow;
  status: OrderStatus;
  customer: CustomerPlan;
  createdAtMs: number;
  total: Money;
  /** When the order reached its current status; activities and cases refer to it. */
  lastEventMs: number;
}

interface DraftLine {
  product: ProductPlan;
  quantity: number;
  reservedQuantity: number;
  shippedQuantity: number;
}

/**
 * Builds the whole demo picture deterministically from a seed: the ERP part, the CRM part and the
 * anomalies planted between them for the reconciliation to find.
 */
export function buildDemoDataset(options: DemoDatasetOptions = {}): DemoDataset {
  const sizes = resolveOptions(options);
  const rng = new DemoRandom(sizes.seed);
  const anomalies: DemoAnomaly[] = [];

  const products = buildProducts(rng);
  const customers = planCustomers(rng, sizes.customers);
  const users = buildUsers(rng);
  assignIdentities(rng, customers, users);
  anomalies.push(...customerAnomalies(customers));

  const orderBook = buildOrderBook(rng, customers, products, sizes.salesOrders);
  const stock = buildStock(rng, products, orderBook.orders);
  const opportunities = buildOpportunities(rng, customers, products, orderBook.orders, sizes.opportunities, anomalies);

  const erp: ErpDemoData = {
    warehouses: DEMO_WAREHOUSES.map((w) => ({ code: w.code, name: w.name })),
    products: products.map((p) => p.row),
    stock,
    customers: customers.filter((c) => c.customerNo !== null).map(erpCustomerRow),
    salesOrders: orderBook.orders.map((o) => o.row),
    productionOrders: orderBook.productionOrders,
    shipments: orderBook.shipments,
    invoices: orderBook.invoices,
    payments: orderBook.payments,
  };
  const accounts = customers.filter((c) => c.accountId !== null);
  const crm: CrmDemoData = {
    users,
    accounts: accounts.map(accountRow),
    contacts: buildContacts(rng, accounts),
    opportunities,
    activities: buildActivities(rng, accounts),
    cases: buildCases(rng, accounts),
  };
  return { erp, crm, anomalies };
}

function resolveOptions(options: DemoDatasetOptions): Required<DemoDatasetOptions> {
  const sizes = { ...DEMO_DEFAULTS, ...options };
  const minimum = { customers: 40, salesOrders: 20, opportunities: 20 } as const;
  for (const key of ['customers', 'salesOrders', 'opportunities'] as const) {
    if (!Number.isInteger(sizes[key]) || sizes[key] < minimum[key]) {
      throw new AppError(ErrorCode.BAD_USER_INPUT, `${key} must be an integer of at least ${minimum[key]}`, { field: key });
    }
  }
  if (!Number.isInteger(sizes.seed)) throw new AppError(ErrorCode.BAD_USER_INPUT, 'seed must be an integer', { field: 'seed' });
  return sizes;
}

// ---------------------------------------------------------------- products

function buildProducts(rng: DemoRandom): ProductPlan[] {
  const names = new Set<string>();
  const products: ProductPlan[] = [];
  for (let i = 0; i < PRODUCT_COUNT; i++) {
    const manufactured = i % 2 === 0;
    let name: string;
    do {
      name = `${rng.pick(manufactured ? MANUFACTURED_TYPES : PURCHASED_TYPES)} ${rng.pick(SERIES)}`;
    } while (names.has(name));
    names.add(name);
    const cents = manufactured ? rng.int(15_000, 480_000) : rng.int(250, 35_000);
    const maxQuantity = cents > 100_000 ? 4 : cents > 20_000 ? 10 : 25;
    const row: ProductRow = { sku: `P-${1001 + i}`, name, unitPrice: formatAmount(new Money(cents).div(100)), currency: CURRENCY, manufactured };
    products.push({ index: i, row, maxQuantity, stockState: 'OK' });
  }
  const made = rng.shuffle(products.filter((p) => p.row.manufactured));
  const bought = rng.shuffle(products.filter((p) => !p.row.manufactured));
  for (const p of [...made.slice(0, 2), ...bought.slice(0, 2)]) p.stockState = 'ZERO';
  for (const p of made.slice(2, 8)) p.stockState = 'SHORT';
  return products;
}

// ---------------------------------------------------------------- customers

function planCustomers(rng: DemoRandom, count: number): CustomerPlan[] {
  const usedSlugs = new Set<string>();
  const countryWeights = COUNTRIES.map((c) => [c, c.weight] as const);
  const plans: CustomerPlan[] = [];
  for (let i = 0; i < count; i++) {
    const country = rng.weighted(countryWeights);
    const { base, industry, slug } = companyBase(rng, usedSlugs);
    const legalForm = rng.pick(country.legalForms);
    const name = `${base} ${legalForm}`;
    const domain = `${slug}.${country.tld}`;
    const mailbox = rng.pick(MAILBOXES);
    const email = `${mailbox}@${domain}`;
    plans.push({
      name,
      base,
      legalForm,
      email,
      industry,
      country,
      domain,
      mailbox,
      createdAtMs: ANCHOR_MS - rng.int(730, 2500) * DAY - rng.int(0, 86_399) * 1000,
      role: 'LINKED',
      erp: { name, email, country: country.code },
      mismatchField: null,
      duplicateOf: null,
      duplicateBy: null,
      weight: 1 + Math.floor(rng.next() ** 3 * 20),
      customerNo: null,
      accountId: null,
      accountCreatedAtMs: 0,
      ownerId: null,
      orders: [],
    });
  }

  // Anomalies go to randomly chosen, distinct customers; a few of each kind, growing with the size.
  const chosen = rng.shuffle(plans);
  const missing = Math.max(2, Math.round(count * 0.0125));
  const mismatches = Math.max(3, Math.round(count * 0.015));
  const duplicatePairs = Math.max(2, Math.round(count * 0.01));
  let next = 0;
  for (let k = 0; k < missing; k++) {
    const plan = chosen[next++];
    plan.role = 'MISSING_IN_ERP';
    // Leads entered in the CRM recently, not yet customers in the ERP.
    plan.createdAtMs = ANCHOR_MS - rng.int(1, 60) * DAY - rng.int(0, 86_399) * 1000;
  }
  for (let k = 0; k < missing; k++) chosen[next++].role = 'MISSING_IN_CRM';
  const fields = ['name', 'email', 'country'] as const;
  for (let k = 0; k < mismatches; k++) {
    const plan = chosen[next++];
    plan.role = 'FIELD_MISMATCH';
    plan.mismatchField = fields[k % fields.length];
    if (plan.mismatchField === 'name') plan.erp.name = `${plan.base} Group ${plan.legalForm}`;
    if (plan.mismatchField === 'email') plan.erp.email = `accounts.payable@${plan.domain}`;
    if (plan.mismatchField === 'country') plan.erp.country = COUNTRIES[(COUNTRIES.indexOf(plan.country) + 1) % COUNTRIES.length].code;
  }
  for (let k = 0; k < duplicatePairs; k++) {
    const original = chosen[next++];
    const duplicate = chosen[next++];
    duplicate.role = 'DUPLICATE';
    duplicate.duplicateOf = original;
    if (k % 2 === 0) {
      duplicate.duplicateBy = 'name and country';
      duplicate.name = original.name;
      duplicate.base = original.base;
      duplicate.legalForm = original.legalForm;
      duplicate.country = original.country;
      duplicate.industry = original.industry;
      duplicate.domain = original.domain;
      duplicate.mailbox = MAILBOXES.find((m) => m !== original.mailbox) ?? 'office';
      duplicate.email = `${duplicate.mailbox}@${original.domain}`;
    } else {
      duplicate.duplicateBy = 'email';
      duplicate.email = original.email;
    }
    duplicate.erp = { name: duplicate.name, email: duplicate.email, country: duplicate.country.code };
  }
  return plans.sort((a, b) => a.createdAtMs - b.createdAtMs);
}

/** A unique company name without its legal form, e.g. "Nordic Precision Tools", and its industry. */
function companyBase(rng: DemoRandom, usedSlugs: Set<string>): { base: string; industry: string; slug: string } {
  for (let attempt = 0; ; attempt++) {
    const [sector, industry] = rng.pick(SECTORS);
    const pattern = rng.weighted([['surname', 20], ['place', 15], ['place-descriptor', 35], ['partners', 30]] as const);
    let base =
      pattern === 'surname'
        ? `${rng.pick(SURNAMES)} ${sector}`
        : pattern === 'place'
          ? `${rng.pick(PLACES)} ${sector}`
          : pattern === 'place-descriptor'
            ? `${rng.pick(PLACES)} ${rng.pick(DESCRIPTORS)} ${sector}`
            : `${rng.pick(SURNAMES)} & ${rng.pick(SURNAMES)} ${sector}`;
    // Beyond what the word lists can combine, a number keeps very large builds unique.
    if (attempt > 40) base = `${base} ${attempt}`;
    const slug = slugOf(base);
    if (usedSlugs.has(slug)) continue;
    usedSlugs.add(slug);
    return { base, industry, slug };
  }
}

function slugOf(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

function buildUsers(rng: DemoRandom): CrmDemoData['users'] {
  const count = rng.int(8, 12);
  const taken = new Set<string>();
  const users: CrmDemoData['users'] = [];
  while (users.length < count) {
    const first = rng.pick(FIRST_NAMES);
    const last = rng.pick(SURNAMES);
    if (taken.has(`${first} ${last}`)) continue;
    taken.add(`${first} ${last}`);
    users.push({ id: rng.uuid(), name: `${first} ${last}`, email: `${first}.${last}@sales.example.com`.toLowerCase() });
  }
  return users;
}

/** ERP numbers follow creation order; CRM ids are UUIDs; both only where the customer exists. */
function assignIdentities(rng: DemoRandom, customers: CustomerPlan[], users: CrmDemoData['users']): void {
  let customerNo = 10001;
  for (const c of customers) {
    if (c.role !== 'MISSING_IN_ERP') c.customerNo = `K-${customerNo++}`;
    if (c.role !== 'MISSING_IN_CRM') {
      c.accountId = rng.uuid();
      c.ownerId = rng.pick(users).id;
      // Most customers were leads in the CRM for a while before the ERP knew them.
      c.accountCreatedAtMs = c.role === 'MISSING_IN_ERP' ? c.createdAtMs : c.createdAtMs - rng.int(0, 30) * DAY;
    }
  }
}

function customerAnomalies(customers: CustomerPlan[]): DemoAnomaly[] {
  const anomalies: DemoAnomaly[] = [];
  for (const c of customers.filter((x) => x.role === 'MISSING_IN_ERP')) {
    anomalies.push({ kind: 'MISSING_IN_ERP', crmAccountId: c.accountId!, detail: `CRM account "${c.name}" has no ERP customer` });
  }
  for (const c of customers.filter((x) => x.role === 'MISSING_IN_CRM')) {
    anomalies.push({ kind: 'MISSING_IN_CRM', erpCustomerNo: c.customerNo!, detail: `ERP customer ${c.customerNo} "${c.erp.name}" has no CRM account` });
  }
  for (const c of customers.filter((x) => x.role === 'FIELD_MISMATCH')) {
    const field = c.mismatchField!;
    const crmValue = field === 'country' ? c.country.code : c[field];
    anomalies.push({
      kind: 'FIELD_MISMATCH',
      crmAccountId: c.accountId!,
      erpCustomerNo: c.customerNo!,
      field,
      detail: `${field} differs: CRM "${crmValue}", ERP "${c.erp[field]}"`,
    });
  }
  for (const c of customers.filter((x) => x.role === 'DUPLICATE')) {
    // The newer of the two accounts is reported as the duplicate of the older one.
    const [older, newer] = c.createdAtMs < c.duplicateOf!.createdAtMs ? [c, c.duplicateOf!] : [c.duplicateOf!, c];
    anomalies.push({
      kind: 'DUPLICATE_CUSTOMER',
      crmAccountId: newer.accountId!,
      erpCustomerNo: newer.customerNo!,
      detail: `CRM account ${newer.accountId} (${newer.customerNo}) has the same ${c.duplicateBy} as account ${older.accountId} (${older.customerNo})`,
    });
  }
  return anomalies;
}

function erpCustomerRow(c: CustomerPlan): ErpCustomerRow {
  const creditLimit = c.weight < 3 ? [10_000, 25_000, 50_000] : c.weight < 10 ? [50_000, 100_000, 150_000] : [250_000, 500_000];
  // Derived from the customer's number, not drawn, so the row does not depend on call order.
  const n = Number(c.customerNo!.slice(2));
  return {
    customerNo: c.customerNo!,
    name: c.erp.name,
    email: c.erp.email,
    industry: c.industry,
    country: c.erp.country,
    externalRef: c.accountId,
    creditLimit: `${creditLimit[n % creditLimit.length]}.00`,
    paymentTerms: paymentTermsOf(c),
    currency: CURRENCY,
    createdAt: iso(c.createdAtMs),
  };
}

function paymentTermsOf(c: CustomerPlan): string {
  const n = Number(c.customerNo!.slice(2));
  return n % 5 === 0 ? 'NET14' : n % 5 === 1 ? 'NET60' : 'NET30';
}

function accountRow(c: CustomerPlan): AccountRow {
  return {
    id: c.accountId!,
    name: c.name,
    email: c.email,
    industry: c.industry,
    country: c.country.code,
    erpCustomerNo: c.customerNo,
    ownerId: c.ownerId!,
    createdAt: iso(c.accountCreatedAtMs),
  };
}

// ---------------------------------------------------------------- sales orders and what follows them

const ORDER_STATUSES: readonly OrderStatus[] = ['DRAFT', 'CONFIRMED', 'IN_PRODUCTION', 'READY_TO_SHIP', 'PARTIALLY_SHIPPED', 'SHIPPED', 'INVOICED', 'PAID', 'CANCELLED'];
const ORDER_STATUS_WEIGHTS: readonly (readonly [OrderStatus, number])[] = [
  ['DRAFT', 3], ['CONFIRMED', 5], ['IN_PRODUCTION', 4], ['READY_TO_SHIP', 3], ['PARTIALLY_SHIPPED', 3],
  ['SHIPPED', 5], ['INVOICED', 12], ['PAID', 58], ['CANCELLED', 7],
];
/** How many days before the anchor an order of each status was placed; leaves room for its shipment, invoice and payments. */
const ORDER_AGE_DAYS: Record<OrderStatus, readonly [number, number]> = {
  DRAFT: [0, 14],
  CONFIRMED: [1, 10],
  IN_PRODUCTION: [4, 30],
  READY_TO_SHIP: [3, 15],
  PARTIALLY_SHIPPED: [5, 25],
  SHIPPED: [4, 20],
  INVOICED: [8, 75],
  PAID: [30, 720],
  CANCELLED: [10, 400],
};

interface OrderBook {
  orders: OrderPlan[];
  productionOrders: ProductionOrderRow[];
  shipments: ShipmentRow[];
  invoices: InvoiceRow[];
  payments: ErpDemoData['payments'];
}

function buildOrderBook(rng: DemoRandom, customers: CustomerPlan[], products: ProductPlan[], count: number): OrderBook {
  const buyers = customers.filter((c) => c.customerNo !== null);
  const cumulative: number[] = [];
  let totalWeight = 0;
  for (const c of buyers) cumulative.push((totalWeight += c.weight));
  const amounts = new LineAmounts(products);

  const orders: OrderPlan[] = [];
  for (let i = 0; i < count; i++) {
    const status = i < ORDER_STATUSES.length ? ORDER_STATUSES[i] : rng.weighted(ORDER_STATUS_WEIGHTS);
    const customer = buyers[lowerBound(cumulative, rng.next() * totalWeight)];
    const [minAge, maxAge] = ORDER_AGE_DAYS[status];
    // Invoiced orders lean recent, so most invoices are still within their terms.
    const ageDays = status === 'INVOICED' ? minAge + Math.floor(rng.next() ** 2 * (maxAge - minAge)) : rng.int(minAge, maxAge);
    const createdAtMs = ANCHOR_MS - ageDays * DAY - rng.int(0, 86_399) * 1000;
    const lines = draftLines(rng, products, status);
    const total = lines.reduce((sum, l) => sum.plus(amounts.of(l.product, l.quantity)), new Money(0));
    const row: SalesOrderRow = {
      number: '',
      customerNo: customer.customerNo!,
      status,
      currency: CURRENCY,
      externalRef: null,
      createdAt: iso(createdAtMs),
      lines: lines.map((l, n): OrderLineRow => ({
        lineNo: n + 1,
        sku: l.product.row.sku,
        quantity: l.quantity,
        unitPrice: l.product.row.unitPrice,
        reservedQuantity: l.reservedQuantity,
        shippedQuantity: l.shippedQuantity,
      })),
    };
    orders.push({ row, status, customer, createdAtMs, total, lastEventMs: createdAtMs });
  }
  // Numbers follow the order in which the orders were placed (sort is stable on equal times).
  orders.sort((a, b) => a.createdAtMs - b.createdAtMs);
  orders.forEach((o, i) => {
    o.row.number = `SO-${100001 + i}`;
    o.customer.orders.push(o);
  });

  const production: { ms: number; row: ProductionOrderRow }[] = [];
  const shipments: { ms: number; row: ShipmentRow }[] = [];
  const invoices: { ms: number; row: InvoiceRow; payments: { ms: number; amount: string; reference: string | null }[] }[] = [];
  const productOf = new Map(products.map((p) => [p.row.sku, p]));

  for (const order of orders) {
    const { row, status } = order;
    const at = order.createdAtMs;
    if (status === 'IN_PRODUCTION') {
      for (const line of row.lines) {
        if (line.reservedQuantity >= line.quantity) continue;
        const productionStatus = rng.weighted([['PLANNED', 3], ['RELEASED', 3], ['IN_PROGRESS', 4]] as const);
        production.push({ ms: at + rng.int(1, 6) * HOUR, row: productionRow(line.sku, line.quantity - line.reservedQuantity, productionStatus, row.number, at) });
      }
      order.lastEventMs = at + 6 * HOUR;
    } else if (status === 'CANCELLED') {
      for (const line of row.lines) {
        if (productOf.get(line.sku)!.row.manufactured && rng.chance(0.3)) {
          production.push({ ms: at + 3 * HOUR, row: productionRow(line.sku, line.quantity, 'CANCELLED', row.number, at + 3 * HOUR) });
        }
      }
      order.lastEventMs = at + rng.int(1, 5) * DAY;
    } else if (status === 'CONFIRMED' || status === 'DRAFT') {
      order.lastEventMs = at + HOUR;
    }

    if (status === 'SHIPPED' || status === 'INVOICED' || status === 'PAID') {
      for (const line of row.lines) {
        if (productOf.get(line.sku)!.row.manufactured && rng.chance(0.12)) {
          production.push({ ms: at + 2 * HOUR, row: productionRow(line.sku, line.quantity, 'COMPLETED', row.number, at + 2 * HOUR) });
        }
      }
    }

    if (status === 'READY_TO_SHIP') {
      const createdMs = at + rng.int(20, 60) * HOUR;
      const lines = row.lines.map((l) => ({ sku: l.sku, quantity: l.reservedQuantity }));
      shipments.push({ ms: createdMs, row: { number: '', salesOrderNumber: row.number, status: 'PENDING', carrier: null, trackingNumber: null, shippedAt: null, createdAt: iso(createdMs), lines } });
      order.lastEventMs = createdMs;
    }

    if (status === 'PARTIALLY_SHIPPED' || status === 'SHIPPED' || status === 'INVOICED' || status === 'PAID') {
      const createdMs = at + rng.int(20, 60) * HOUR;
      const shippedMs = createdMs + rng.int(2, 30) * HOUR;
      const carrier = rng.pick(CARRIERS);
      const lines = row.lines.filter((l) => l.shippedQuantity > 0).map((l) => ({ sku: l.sku, quantity: l.shippedQuantity }));
      shipments.push({
        ms: createdMs,
        row: {
          number: '',
          salesOrderNumber: row.number,
          status: 'SHIPPED',
          carrier: carrier.name,
          trackingNumber: `${carrier.prefix}${rng.int(10_000_000, 99_999_999)}`,
          shippedAt: iso(shippedMs),
          createdAt: iso(createdMs),
          lines,
        },
      });
      order.lastEventMs = shippedMs;

      if (status === 'INVOICED' || status === 'PAID') {
        const issuedMs = shippedMs + rng.int(1, 30) * HOUR;
        const termDays = Number(paymentTermsOf(order.customer).slice(3));
        const dueDate = iso(issuedMs + termDays * DAY).slice(0, 10);
        const total = formatAmount(order.total);
        const invoice = { number: '', customerNo: row.customerNo, salesOrderNumber: row.number, status: 'OPEN', total, amountDue: total, currency: CURRENCY, dueDate, issuedAt: iso(issuedMs) };
        const payments: { ms: number; amount: string; reference: string | null }[] = [];
        order.lastEventMs = issuedMs;
        if (status === 'PAID') {
          const spanDays = Math.min(termDays + 15, Math.floor((ANCHOR_MS - DAY - issuedMs) / DAY));
          const lastDays = rng.int(3, spanDays);
          if (rng.chance(0.2)) {
            const first = order.total.times(rng.int(20, 80)).div(100).toDecimalPlaces(2, Money.ROUND_DOWN);
            payments.push({ ms: issuedMs + rng.int(1, lastDays - 1) * DAY, amount: formatAmount(first), reference: paymentReference(rng) });
            payments.push({ ms: issuedMs + lastDays * DAY, amount: formatAmount(order.total.minus(first)), reference: paymentReference(rng) });
          } else {
            payments.push({ ms: issuedMs + lastDays * DAY, amount: total, reference: paymentReference(rng) });
          }
          invoice.status = 'PAID';
          invoice.amountDue = '0.00';
          order.lastEventMs = issuedMs + lastDays * DAY;
        } else if (dueDate < ANCHOR_DATE) {
          invoice.status = 'OVERDUE';
        } else if (rng.chance(0.15)) {
          // A customer paying in instalments: part paid, the rest still open.
          const paid = order.total.times(rng.int(20, 80)).div(100).toDecimalPlaces(2, Money.ROUND_DOWN);
          if (paid.gt(0) && paid.lt(order.total)) {
            const hoursLeft = Math.floor((ANCHOR_MS - issuedMs) / HOUR);
            payments.push({ ms: issuedMs + rng.int(1, hoursLeft - 1) * HOUR, amount: formatAmount(paid), reference: paymentReference(rng) });
            invoice.amountDue = formatAmount(order.total.minus(paid));
          }
        }
        invoices.push({ ms: issuedMs, row: invoice, payments });
      }
    }
  }

  // Stock replenishment made to stock, not for a sales order.
  const manufactured = products.filter((p) => p.row.manufactured);
  for (let i = Math.max(3, Math.round(count / 250)); i > 0; i--) {
    const ms = ANCHOR_MS - rng.int(5, 600) * DAY;
    production.push({ ms, row: productionRow(rng.pick(manufactured).row.sku, rng.int(10, 100), 'COMPLETED', null, ms) });
  }

  const byTime = (a: { ms: number }, b: { ms: number }) => a.ms - b.ms;
  production.sort(byTime).forEach((p, i) => (p.row.number = `MO-${50001 + i}`));
  shipments.sort(byTime).forEach((s, i) => (s.row.number = `SH-${70001 + i}`));
  invoices.sort(byTime).forEach((v, i) => (v.row.number = `INV-${30001 + i}`));
  const payments = invoices
    .flatMap((v) => v.payments.map((p) => ({ ms: p.ms, row: { invoiceNumber: v.row.number, amount: p.amount, reference: p.reference, receivedAt: iso(p.ms) } })))
    .sort(byTime)
    .map((p) => p.row);

  return {
    orders,
    productionOrders: production.map((p) => p.row),
    shipments: shipments.map((s) => s.row),
    invoices: invoices.map((v) => v.row),
    payments,
  };
}

const LINE_COUNT_WEIGHTS = [[1, 30], [2, 25], [3, 20], [4, 15], [5, 10]] as const;

/** Lines of a new order with quantities that fit its status. */
function draftLines(rng: DemoRandom, products: ProductPlan[], status: OrderStatus): DraftLine[] {
  const reserving = RESERVING_ORDER_STATUSES.includes(status);
  const count = rng.weighted(LINE_COUNT_WEIGHTS);
  const chosen = new Set<ProductPlan>();
  if (status === 'IN_PRODUCTION') {
    // The reason it is in production: a manufactured product that is short of stock.
    const short = products.filter((p) => p.row.manufactured && p.stockState !== 'OK');
    chosen.add(rng.pick(short));
  }
  while (chosen.size < count) {
    const product = products[rng.int(0, products.length - 1)];
    // Reserving orders never hold a product with no stock at all (it has nothing to reserve).
    if (reserving && product.stockState === 'ZERO') continue;
    chosen.add(product);
  }
  return [...chosen].map((product, n) => {
    let quantity = 1 + Math.floor(rng.next() ** 2 * product.maxQuantity);
    let reservedQuantity = 0;
    let shippedQuantity = 0;
    switch (status) {
      case 'DRAFT':
      case 'CANCELLED':
        break;
      case 'CONFIRMED':
      case 'READY_TO_SHIP':
        reservedQuantity = quantity;
        break;
      case 'IN_PRODUCTION':
        reservedQuantity = n > 0 ? quantity : product.stockState === 'ZERO' ? 0 : rng.int(0, quantity - 1);
        break;
      case 'PARTIALLY_SHIPPED':
        if (n === 0) {
          quantity = Math.max(2, quantity);
          shippedQuantity = rng.int(1, quantity - 1);
        } else {
          shippedQuantity = rng.weighted([[quantity, 2], [0, 1], [rng.int(0, quantity), 1]] as const);
        }
        reservedQuantity = quantity - shippedQuantity;
        break;
      case 'SHIPPED':
      case 'INVOICED':
      case 'PAID':
        shippedQuantity = quantity;
        break;
    }
    return { product, quantity, reservedQuantity, shippedQuantity };
  });
}

function productionRow(sku: string, quantity: number, status: string, salesOrderNumber: string | null, createdAtMs: number): ProductionOrderRow {
  return { number: '', sku, quantity, status, salesOrderNumber, createdAt: iso(createdAtMs) };
}

function paymentReference(rng: DemoRandom): string | null {
  return rng.chance(0.1) ? null : `SEPA-${rng.int(100_000_000, 999_999_999)}`;
}

/** Exact line amounts (quantity × unit price), computed once per product and quantity. */
class LineAmounts {
  private readonly cache = new Map<number, Money>();
  private readonly prices: Money[];

  constructor(products: ProductPlan[]) {
    this.prices = products.map((p) => new Money(p.row.unitPrice));
  }

  of(product: ProductPlan, quantity: number): Money {
    const key = product.index * 100_000 + quantity;
    let amount = this.cache.get(key);
    if (!amount) {
      amount = this.prices[product.index].times(quantity);
      this.cache.set(key, amount);
    }
    return amount;
  }
}

function lowerBound(sorted: number[], value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] > value) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

// ---------------------------------------------------------------- stock

/** On hand per product and warehouse: always enough for every reservation, nothing spare for short products. */
function buildStock(rng: DemoRandom, products: ProductPlan[], orders: OrderPlan[]): ErpDemoData['stock'] {
  const reserved = new Map<string, number>();
  for (const order of orders) {
    if (!RESERVING_ORDER_STATUSES.includes(order.status)) continue;
    for (const line of order.row.lines) reserved.set(line.sku, (reserved.get(line.sku) ?? 0) + line.reservedQuantity);
  }
  const stock: ErpDemoData['stock'] = [];
  for (const product of products) {
    const needed = reserved.get(product.row.sku) ?? 0;
    const total = product.stockState === 'ZERO' ? 0 : product.stockState === 'SHORT' ? needed : needed + rng.int(20, 400);
    const main = Math.floor((total * rng.int(40, 60)) / 100);
    const north = Math.floor(((total - main) * rng.int(40, 70)) / 100);
    const onHand = [main, north, total - main - north];
    DEMO_WAREHOUSES.forEach((w, i) => stock.push({ sku: product.row.sku, warehouseCode: w.code, onHand: onHand[i] }));
  }
  return stock;
}

// ---------------------------------------------------------------- CRM

const STAGES = ['PROSPECTING', 'QUALIFICATION', 'PROPOSAL', 'NEGOTIATION', 'CLOSED_WON', 'CLOSED_LOST'] as const;
const STAGE_WEIGHTS = [['PROSPECTING', 18], ['QUALIFICATION', 16], ['PROPOSAL', 16], ['NEGOTIATION', 12], ['CLOSED_WON', 22], ['CLOSED_LOST', 16]] as const;

function buildOpportunities(
  rng: DemoRandom,
  customers: CustomerPlan[],
  products: ProductPlan[],
  orders: OrderPlan[],
  count: number,
  anomalies: DemoAnomaly[],
): OpportunityRow[] {
  const accounts = customers.filter((c) => c.accountId !== null);
  const linked = customers.filter((c) => c.accountId !== null && c.customerNo !== null);
  // Orders a won opportunity can have become: placed by a customer the CRM knows, and not a draft or cancelled.
  const convertible = orders.filter((o) => o.customer.accountId !== null && o.status !== 'DRAFT' && o.status !== 'CANCELLED');
  const orphans = Math.max(2, Math.round(count * 0.0075));
  const amountMismatches = Math.max(2, Math.round(count * 0.0075));
  const amounts = new LineAmounts(products);
  const productOf = new Map(products.map((p) => [p.row.sku, p]));
  const opportunities: OpportunityRow[] = [];
  let won = 0;

  for (let i = 0; i < count; i++) {
    const stage = i < STAGES.length ? STAGES[i] : rng.weighted(STAGE_WEIGHTS);
    const id = rng.uuid();
    if (stage === 'CLOSED_WON' && won < orphans) {
      won++;
      const account = rng.pick(linked);
      const createdMs = Math.max(ANCHOR_MS - rng.int(30, 300) * DAY - rng.int(0, 86_399) * 1000, account.accountCreatedAtMs + DAY);
      const number = `SO-0${ORPHAN_ORDER_BASE + won - 1}`;
      const lines = randomLines(rng, products);
      opportunities.push(opportunityRow(id, account, stage, createdMs, date(createdMs + rng.int(10, 40) * DAY), number, lines, productOf.get(lines[0].sku)!.row.name, rng));
      anomalies.push({
        kind: 'ORPHAN_RECORD',
        crmAccountId: account.accountId!,
        erpCustomerNo: account.customerNo!,
        detail: `Opportunity ${id} names sales order ${number}, which the ERP does not have`,
      });
    } else if (stage === 'CLOSED_WON' && convertible.length > 0) {
      won++;
      const pick = rng.int(0, convertible.length - 1);
      const order = convertible[pick];
      convertible[pick] = convertible[convertible.length - 1];
      convertible.pop();
      const account = order.customer;
      const createdMs = Math.max(order.createdAtMs - rng.int(3, 45) * DAY, account.accountCreatedAtMs + DAY);
      const lines = order.row.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, unitPrice: l.unitPrice }));
      const mismatch = won <= orphans + amountMismatches;
      // The order was entered with one more unit than the opportunity was won with.
      if (mismatch) lines[0].quantity += 1;
      order.row.externalRef = id;
      opportunities.push(opportunityRow(id, account, stage, createdMs, date(order.createdAtMs), order.row.number, lines, productOf.get(lines[0].sku)!.row.name, rng));
      if (mismatch) {
        const amount = lines.reduce((sum, l) => sum.plus(amounts.of(productOf.get(l.sku)!, l.quantity)), new Money(0));
        anomalies.push({
          kind: 'AMOUNT_MISMATCH',
          crmAccountId: account.accountId!,
          erpCustomerNo: account.customerNo!,
          detail: `Opportunity ${id} amount ${formatAmount(amount)} differs from sales order ${order.row.number} total ${formatAmount(order.total)}`,
        });
      }
    } else {
      const finalStage = stage === 'CLOSED_WON' ? 'CLOSED_LOST' : stage;
      const account = rng.pick(accounts);
      const lines = randomLines(rng, products);
      if (finalStage === 'CLOSED_LOST') {
        const createdMs = Math.max(ANCHOR_MS - rng.int(30, 500) * DAY - rng.int(0, 86_399) * 1000, account.accountCreatedAtMs + HOUR);
        const closeMs = Math.min(createdMs + rng.int(14, 90) * DAY, ANCHOR_MS - HOUR);
        opportunities.push(opportunityRow(id, account, finalStage, createdMs, date(closeMs), null, lines, productOf.get(lines[0].sku)!.row.name, rng));
      } else {
        const createdMs = Math.max(ANCHOR_MS - rng.int(1, 150) * DAY - rng.int(0, 86_399) * 1000, account.accountCreatedAtMs + HOUR);
        opportunities.push(opportunityRow(id, account, finalStage, createdMs, date(ANCHOR_MS + rng.int(7, 180) * DAY), null, lines, productOf.get(lines[0].sku)!.row.name, rng));
      }
    }
  }
  return opportunities;
}

function randomLines(rng: DemoRandom, products: ProductPlan[]): OpportunityRow['lines'] {
  const count = rng.int(1, 3);
  const chosen = new Set<ProductPlan>();
  while (chosen.size < count) chosen.add(products[rng.int(0, products.length - 1)]);
  return [...chosen].map((p) => ({ sku: p.row.sku, quantity: 1 + Math.floor(rng.next() ** 2 * p.maxQuantity), unitPrice: p.row.unitPrice }));
}

function opportunityRow(
  id: string,
  account: CustomerPlan,
  stage: string,
  createdMs: number,
  expectedCloseDate: string,
  erpSalesOrderId: string | null,
  lines: OpportunityRow['lines'],
  productName: string,
  rng: DemoRandom,
): OpportunityRow {
  const shortName = account.base.split(' ').slice(0, 2).join(' ');
  return {
    id,
    accountId: account.accountId!,
    name: `${shortName}: ${productName} ${rng.pick(OPPORTUNITY_PURPOSES)}`,
    stage,
    currency: CURRENCY,
    expectedCloseDate,
    erpSalesOrderId,
    ownerId: account.ownerId!,
    createdAt: iso(createdMs),
    lines,
  };
}

function buildContacts(rng: DemoRandom, accounts: CustomerPlan[]): CrmDemoData['contacts'] {
  const contacts: CrmDemoData['contacts'] = [];
  for (const account of accounts) {
    const count = rng.weighted([[1, 30], [2, 35], [3, 20], [4, 15]] as const);
    const names = new Set<string>();
    while (names.size < count) {
      const first = rng.pick(FIRST_NAMES);
      const last = rng.pick(SURNAMES);
      const name = `${first} ${last}`;
      if (names.has(name)) continue;
      names.add(name);
      contacts.push({
        id: rng.uuid(),
        accountId: account.accountId!,
        name,
        email: rng.chance(0.95) ? `${first}.${last}@${account.domain}`.toLowerCase() : null,
        phone: rng.chance(0.9) ? `${account.country.phone} ${rng.int(10, 99)} ${rng.int(1_000_000, 9_999_999)}` : null,
        title: rng.chance(0.9) ? rng.pick(TITLES) : null,
      });
    }
  }
  return contacts;
}

const ORDER_MILESTONES: Record<OrderStatus, string> = {
  DRAFT: 'drafted',
  CONFIRMED: 'confirmed',
  IN_PRODUCTION: 'in production',
  READY_TO_SHIP: 'ready to ship',
  PARTIALLY_SHIPPED: 'partially shipped',
  SHIPPED: 'shipped',
  INVOICED: 'invoiced',
  PAID: 'paid',
  CANCELLED: 'cancelled',
};

function buildActivities(rng: DemoRandom, accounts: CustomerPlan[]): CrmDemoData['activities'] {
  const activities: CrmDemoData['activities'] = [];
  const manualTypes = ['CALL', 'EMAIL', 'MEETING', 'NOTE'] as const;
  for (const account of accounts) {
    const spanHours = Math.floor(Math.min(365 * DAY, ANCHOR_MS - account.accountCreatedAtMs) / HOUR);
    for (let k = rng.int(1, 5); k > 0; k--) {
      const type = rng.pick(manualTypes);
      activities.push({
        id: rng.uuid(),
        accountId: account.accountId!,
        type,
        subject: rng.pick(ACTIVITY_SUBJECTS[type]),
        occurredAt: iso(ANCHOR_MS - rng.int(1, spanHours) * HOUR),
        erpSalesOrderId: null,
      });
    }
    // What the integration wrote to the CRM as the account's orders moved on.
    for (const order of account.orders) {
      if (order.status === 'DRAFT' || !(order.status === 'SHIPPED' || rng.chance(0.25))) continue;
      activities.push({
        id: rng.uuid(),
        accountId: account.accountId!,
        type: 'SYSTEM',
        subject: `Order ${order.row.number} ${ORDER_MILESTONES[order.status]}`,
        occurredAt: iso(Math.min(order.lastEventMs, ANCHOR_MS - HOUR)),
        erpSalesOrderId: order.row.number,
      });
    }
  }
  return activities;
}

const CASE_STATUSES = ['OPEN', 'IN_PROGRESS', 'RESOLVED', 'CLOSED'] as const;
const CASE_PRIORITIES = ['LOW', 'MEDIUM', 'HIGH', 'URGENT'] as const;

function buildCases(rng: DemoRandom, accounts: CustomerPlan[]): CrmDemoData['cases'] {
  const cases: CrmDemoData['cases'] = [];
  for (const account of accounts) {
    const placed = account.orders.filter((o) => o.status !== 'DRAFT');
    for (let k = rng.weighted([[0, 60], [1, 28], [2, 10], [3, 2]] as const); k > 0; k--) {
      const n = cases.length;
      const status = n < CASE_STATUSES.length ? CASE_STATUSES[n] : rng.weighted([['OPEN', 25], ['IN_PROGRESS', 20], ['RESOLVED', 25], ['CLOSED', 30]] as const);
      const priority = n < CASE_PRIORITIES.length ? CASE_PRIORITIES[n] : rng.weighted([['LOW', 30], ['MEDIUM', 40], ['HIGH', 22], ['URGENT', 8]] as const);
      const order = placed.length > 0 && rng.chance(0.5) ? rng.pick(placed) : null;
      const recent = status === 'OPEN' || status === 'IN_PROGRESS';
      const openedMs = order
        ? Math.min(order.lastEventMs + rng.int(1, 10) * DAY, ANCHOR_MS - HOUR)
        : Math.max(ANCHOR_MS - (recent ? rng.int(1, 30) : rng.int(10, 400)) * DAY, account.accountCreatedAtMs + HOUR);
      cases.push({
        id: rng.uuid(),
        accountId: account.accountId!,
        subject: rng.pick(CASE_SUBJECTS),
        status,
        priority,
        openedAt: iso(openedMs),
        erpSalesOrderId: order ? order.row.number : null,
      });
    }
  }
  return cases;
}

// ---------------------------------------------------------------- dates

const dayPrefixes = new Map<number, string>();

function two(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

/** ISO timestamp; the date part is cached per day because large builds format hundreds of thousands. */
function iso(ms: number): string {
  const day = Math.floor(ms / DAY);
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    prefix = new Date(day * DAY).toISOString().slice(0, 11);
    dayPrefixes.set(day, prefix);
  }
  const rest = ms - day * DAY;
  const millis = rest % 1000;
  return `${prefix}${two(Math.floor(rest / HOUR))}:${two(Math.floor(rest / 60_000) % 60)}:${two(Math.floor(rest / 1000) % 60)}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
}

function date(ms: number): string {
  return iso(ms).slice(0, 10);
}
