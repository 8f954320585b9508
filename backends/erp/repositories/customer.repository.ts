import { type Queryable, isoText } from '../../../platform/db';
import type { ErpCustomer, ErpCustomerInput, ErpOpenBalance } from '../../../connectors/erp/erp.connector';
import type { Page } from '../../../connectors/page';
import { keysetPage, type ListOrder } from '../../../platform/pagination';

// A `customers` row as the API's customer document (see isoText in platform/db for why the database builds it).
const CUSTOMER_DOC = `json_build_object(
  'customerNo', customer_no, 'name', name, 'email', email, 'industry', industry, 'country', country, 'externalRef', external_ref,
  'creditLimit', credit_limit::text, 'paymentTerms', payment_terms, 'currency', currency, 'version', version,
  'createdAt', ${isoText('created_at')}, 'updatedAt', ${isoText('updated_at')})`;

type CustomerDoc = { doc: ErpCustomer };

const FIELD_COLUMNS: Record<keyof ErpCustomerInput, string> = {
  name: 'name',
  email: 'email',
  industry: 'industry',
  country: 'country',
  externalRef: 'external_ref',
  creditLimit: 'credit_limit',
  paymentTerms: 'payment_terms',
  currency: 'currency',
};

/** Customers by number; unknown numbers are left out. */
export async function getCustomers(q: Queryable, customerNos: readonly string[]): Promise<ErpCustomer[]> {
  const { rows } = await q.query<CustomerDoc>(`SELECT ${CUSTOMER_DOC} AS doc FROM customers WHERE customer_no = ANY($1::text[]) ORDER BY customer_no`, [customerNos]);
  return rows.map((row) => row.doc);
}

/** Customers linked to any of the given CRM account ids. */
export async function findCustomersByExternalRefs(q: Queryable, externalRefs: readonly string[]): Promise<ErpCustomer[]> {
  const { rows } = await q.query<CustomerDoc>(`SELECT ${CUSTOMER_DOC} AS doc FROM customers WHERE external_ref = ANY($1::text[]) ORDER BY customer_no`, [externalRefs]);
  return rows.map((row) => row.doc);
}

/** A page of customers, optionally matching `search` in number, name or email, case-insensitively. */
export async function listCustomers(
  q: Queryable,
  options: { first: number; after?: string | null; updatedSince?: string; search?: string },
): Promise<Page<ErpCustomer>> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (options.search) {
    params.push(`%${escapeLike(options.search)}%`);
    where.push(`(name ILIKE $${params.length} OR email ILIKE $${params.length} OR customer_no ILIKE $${params.length})`);
  }
  if (options.updatedSince) {
    params.push(options.updatedSince);
    where.push(`updated_at >= $${params.length}::timestamptz`);
  }
  const order: ListOrder = options.updatedSince ? 'changed' : 'key';
  const page = await keysetPage<{ key: string } & CustomerDoc>(q, { select: `customer_no AS key, ${CUSTOMER_DOC} AS doc`, from: 'customers', keyColumn: 'customer_no', where, params, order, first: options.first, after: options.after });
  return { ...page, items: page.items.map((row) => row.doc) };
}

/** A customer with its row locked until the transaction ends (null when it does not exist). */
export async function lockCustomer(q: Queryable, customerNo: string): Promise<ErpCustomer | null> {
  const { rows } = await q.query<CustomerDoc>(`SELECT ${CUSTOMER_DOC} AS doc FROM customers WHERE customer_no = $1 FOR UPDATE`, [customerNo]);
  return rows[0]?.doc ?? null;
}

/** Inserts a customer under the next free number. */
export async function insertCustomer(q: Queryable, input: ErpCustomerInput & { currency: string }): Promise<ErpCustomer> {
  const { rows } = await q.query<CustomerDoc>(
    `INSERT INTO customers (customer_no, name, email, industry, country, external_ref, credit_limit, payment_terms, currency)
     VALUES ('K-' || nextval('customer_no_seq'), $1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${CUSTOMER_DOC} AS doc`,
    [input.name, input.email ?? null, input.industry ?? null, input.country ?? null, input.externalRef ?? null, input.creditLimit ?? null, input.paymentTerms ?? null, input.currency],
  );
  return rows[0].doc;
}

/** Applies the given fields, bumping version; null when the customer does not exist. */
export async function updateCustomer(q: Queryable, customerNo: string, patch: Partial<ErpCustomerInput>): Promise<ErpCustomer | null> {
  const sets: string[] = [];
  const params: unknown[] = [customerNo];
  for (const [field, column] of Object.entries(FIELD_COLUMNS) as [keyof ErpCustomerInput, string][]) {
    if (patch[field] === undefined) continue;
    params.push(patch[field]);
    sets.push(`${column} = $${params.length}`);
  }
  const { rows } = await q.query<CustomerDoc>(
    `UPDATE customers SET ${[...sets, `version = version + 1`, `updated_at = date_trunc('milliseconds', now())`].join(', ')}
     WHERE customer_no = $1 RETURNING ${CUSTOMER_DOC} AS doc`,
    params,
  );
  return rows[0]?.doc ?? null;
}

/** The customer number holding a CRM account id, if any. */
export async function customerNoByExternalRef(q: Queryable, externalRef: string): Promise<string | null> {
  const { rows } = await q.query<{ customer_no: string }>('SELECT customer_no FROM customers WHERE external_ref = $1', [externalRef]);
  return rows[0]?.customer_no ?? null;
}

/** Sum of amount due over OPEN and OVERDUE invoices for each existing customer (zero included). */
export async function openBalances(q: Queryable, customerNos: readonly string[]): Promise<ErpOpenBalance[]> {
  const { rows } = await q.query<{ customer_no: string; amount: string; currency: string }>(
    // A sum per customer through invoices_customer: as a join, the planner read every open invoice.
    `SELECT c.customer_no, c.currency,
       (SELECT COALESCE(sum(i.amount_due), 0) FROM invoices i WHERE i.customer_no = c.customer_no AND i.status IN ('OPEN', 'OVERDUE'))::numeric(14,2)::text AS amount
     FROM customers c WHERE c.customer_no = ANY($1::text[]) ORDER BY c.customer_no`,
    [customerNos],
  );
  return rows.map((r) => ({ customerNo: r.customer_no, amount: r.amount, currency: r.currency }));
}

/** Escapes LIKE wildcards so a search for "50%" means the text "50%". */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
