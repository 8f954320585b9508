import { type Queryable, isoText, iso } from '../../../platform/db';
import type { ErpInvoice, ErpInvoiceStatus } from '../../../connectors/erp/erp.connector';
import type { Page } from '../../../connectors/page';
import { browseOrChangedPage } from '../../../platform/pagination';

// An `invoices` row as the API's invoice document (see isoText in platform/db for why the database builds it).
// due_date as text: a calendar date must not pass through a JS Date and a time zone.
const INVOICE_DOC = `json_build_object(
  'id', id, 'number', id, 'customerNo', customer_no, 'salesOrderId', sales_order_id, 'status', status, 'total', total::text,
  'amountDue', amount_due::text, 'currency', currency, 'dueDate', due_date::text, 'issuedAt', ${isoText('issued_at')},
  'version', version, 'updatedAt', ${isoText('updated_at')})`;

type InvoiceDoc = { doc: ErpInvoice };

/** Invoices by id; unknown ids are left out. */
export async function getInvoices(q: Queryable, ids: readonly string[]): Promise<ErpInvoice[]> {
  const { rows } = await q.query<InvoiceDoc>(`SELECT ${INVOICE_DOC} AS doc FROM invoices WHERE id = ANY($1::text[]) ORDER BY id`, [ids]);
  return rows.map((row) => row.doc);
}

/** Invoices of any of the given customers, optionally of one status, newest first per customer. */
export async function listInvoicesByCustomers(q: Queryable, customerNos: readonly string[], status?: ErpInvoiceStatus): Promise<ErpInvoice[]> {
  const { rows } = await q.query<InvoiceDoc>(
    `SELECT ${INVOICE_DOC} AS doc FROM invoices WHERE customer_no = ANY($1::text[]) AND ($2::text IS NULL OR status = $2) ORDER BY customer_no, issued_at DESC, id DESC`,
    [customerNos, status ?? null],
  );
  return rows.map((row) => row.doc);
}

/** Invoices of any of the given sales orders. */
export async function listInvoicesBySalesOrders(q: Queryable, salesOrderIds: readonly string[]): Promise<ErpInvoice[]> {
  const { rows } = await q.query<InvoiceDoc>(`SELECT ${INVOICE_DOC} AS doc FROM invoices WHERE sales_order_id = ANY($1::text[]) ORDER BY id`, [salesOrderIds]);
  return rows.map((row) => row.doc);
}

/** A page of invoices, newest first (or by change time when polling), with the given filters. */
export async function listInvoices(
  q: Queryable,
  options: { first: number; after?: string | null; updatedSince?: string; status?: ErpInvoiceStatus; customerNo?: string },
): Promise<Page<ErpInvoice>> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (options.status) {
    params.push(options.status);
    where.push(`status = $${params.length}`);
  }
  if (options.customerNo) {
    params.push(options.customerNo);
    where.push(`customer_no = $${params.length}`);
  }
  const page = await browseOrChangedPage<{ key: string } & InvoiceDoc>(q, {
    select: `id AS key, ${INVOICE_DOC} AS doc`,
    from: 'invoices',
    created: 'issued_at',
    browse: 'newest',
    where,
    params,
    first: options.first,
    after: options.after,
    updatedSince: options.updatedSince,
  });
  return { ...page, items: page.items.map((row) => row.doc) };
}

/** Locks an invoice for a change; null when it does not exist. */
export async function lockInvoice(q: Queryable, id: string): Promise<ErpInvoice | null> {
  const { rows } = await q.query<InvoiceDoc>(`SELECT ${INVOICE_DOC} AS doc FROM invoices WHERE id = $1 FOR UPDATE`, [id]);
  return rows[0]?.doc ?? null;
}

/** Inserts an OPEN invoice due `dueInDays` after today (UTC) under the next free number. */
export async function insertInvoice(
  q: Queryable,
  input: { customerNo: string; salesOrderId: string; total: string; currency: string; dueInDays: number },
): Promise<ErpInvoice> {
  const { rows } = await q.query<InvoiceDoc>(
    `INSERT INTO invoices (id, customer_no, sales_order_id, status, total, amount_due, currency, due_date)
     VALUES ('INV-' || nextval('invoice_no_seq'), $1, $2, 'OPEN', $3, $3, $4, (now() AT TIME ZONE 'UTC')::date + $5::int) RETURNING ${INVOICE_DOC} AS doc`,
    [input.customerNo, input.salesOrderId, input.total, input.currency, input.dueInDays],
  );
  return rows[0].doc;
}

/** Sets amount due and status, bumping version. */
export async function updateInvoiceBalance(q: Queryable, id: string, amountDue: string, status: ErpInvoiceStatus): Promise<ErpInvoice> {
  const { rows } = await q.query<InvoiceDoc>(
    `UPDATE invoices SET amount_due = $2, status = $3, version = version + 1, updated_at = date_trunc('milliseconds', now()) WHERE id = $1 RETURNING ${INVOICE_DOC} AS doc`,
    [id, amountDue, status],
  );
  return rows[0].doc;
}

/** Marks OPEN invoices due before today (UTC) OVERDUE; returns what changed. */
export async function markOverdueInvoices(q: Queryable): Promise<{ id: string; version: number }[]> {
  const { rows } = await q.query<{ id: string; version: number }>(
    `UPDATE invoices SET status = 'OVERDUE', version = version + 1, updated_at = date_trunc('milliseconds', now())
     WHERE status = 'OPEN' AND due_date < (now() AT TIME ZONE 'UTC')::date RETURNING id, version`,
  );
  return rows;
}

/** Statuses of every invoice of a sales order. */
export async function invoiceStatusesOfSalesOrder(q: Queryable, salesOrderId: string): Promise<ErpInvoiceStatus[]> {
  const { rows } = await q.query<{ status: ErpInvoiceStatus }>('SELECT status FROM invoices WHERE sales_order_id = $1', [salesOrderId]);
  return rows.map((r) => r.status);
}

/** A payment received against an invoice. */
export interface PaymentRecord {
  id: string;
  invoiceId: string;
  amount: string;
  reference: string | null;
  receivedAt: string;
}

/** Records a payment; returns it. */
export async function insertPayment(q: Queryable, invoiceId: string, amount: string, reference: string | null): Promise<PaymentRecord> {
  const { rows } = await q.query<{ id: number | string; invoice_id: string; amount: string; reference: string | null; received_at: Date }>(
    'INSERT INTO payments (invoice_id, amount, reference) VALUES ($1, $2, $3) RETURNING id, invoice_id, amount, reference, received_at',
    [invoiceId, amount, reference],
  );
  return toPayment(rows[0]);
}

/** Payments of any of the given invoices, oldest first. */
export async function listPaymentsByInvoices(q: Queryable, invoiceIds: readonly string[]): Promise<PaymentRecord[]> {
  const { rows } = await q.query<{ id: number | string; invoice_id: string; amount: string; reference: string | null; received_at: Date }>(
    'SELECT id, invoice_id, amount, reference, received_at FROM payments WHERE invoice_id = ANY($1::text[]) ORDER BY received_at, id',
    [invoiceIds],
  );
  return rows.map(toPayment);
}

function toPayment(row: { id: number | string; invoice_id: string; amount: string; reference: string | null; received_at: Date }): PaymentRecord {
  return { id: String(row.id), invoiceId: row.invoice_id, amount: row.amount, reference: row.reference, receivedAt: iso(row.received_at) };
}
