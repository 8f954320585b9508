import { z } from 'zod';
import type { CrmAccountImport, CrmOpportunityImport } from '../../../../connectors/crm/crm.connector';
import type { ErpCustomerImport, ErpProductImport } from '../../../../connectors/erp/erp.connector';

/**
 * The columns (CSV header names, NDJSON keys) each import accepts, and how each is checked.
 * An empty cell is the same as an absent field. Amounts are decimal strings (in NDJSON too: a
 * JSON number is refused, so no amount ever passes through a float).
 *
 * customers:     key*, name*, email, industry, country (ISO alpha-2), ownerId (CRM user UUID),
 *                creditLimit, paymentTerms (NET30), currency (ISO-4217)
 * products:      sku*, name*, unitPrice*, currency*, manufactured* (true/false)
 * opportunities: key*, customerKey* (the customer's import key), name*, currency*, stage,
 *                expectedCloseDate (YYYY-MM-DD), and either sku*, quantity*, unitPrice* (one line)
 *                or, in NDJSON, lines* ([{sku, quantity, unitPrice}])
 */
export type ImportKind = 'customers' | 'products' | 'opportunities';

/** Every kind, for usage messages. */
export const IMPORT_KINDS: readonly ImportKind[] = ['customers', 'products', 'opportunities'];

const blankIsAbsent = (value: unknown) => (typeof value === 'string' ? (value.trim() === '' ? undefined : value.trim()) : value === null ? undefined : value);
const cell = <T extends z.ZodType>(schema: T) => z.preprocess(blankIsAbsent, schema);
const required = (max: number) => cell(z.string('is required').max(max, `must be at most ${max} characters`));
const optional = <T extends z.ZodType>(schema: T) => cell(schema.optional());
const amount = z.string('must be a decimal string such as "1250.50"').regex(/^\d{1,12}(\.\d{1,2})?$/, 'must be a decimal such as "1250.50" (at most 2 decimals)');
const currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO-4217 code such as "EUR"');
const wholeNumber = z.union([z.number(), z.string().regex(/^\d+$/, 'must be a whole number').transform(Number)]).pipe(z.number().int('must be a whole number').positive('must be positive').max(1_000_000));
const line = z.strictObject({ sku: required(64), quantity: cell(wholeNumber), unitPrice: cell(amount) });

const customerRow = z.strictObject({
  key: required(200),
  name: required(200),
  email: optional(z.string().max(254).regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'must be an email address')),
  industry: optional(z.string().max(100)),
  country: optional(z.string().transform((c) => c.toUpperCase()).pipe(z.string().regex(/^[A-Z]{2}$/, 'must be an ISO-3166 alpha-2 code such as "DE"'))),
  ownerId: optional(z.guid('must be a CRM user id (UUID)')),
  creditLimit: optional(amount),
  paymentTerms: optional(z.string().regex(/^NET\d{1,3}$/, 'must be NET followed by days, e.g. "NET30"')),
  currency: optional(currency),
});

const productRow = z.strictObject({
  sku: required(60),
  name: required(200),
  unitPrice: cell(amount),
  currency: cell(currency),
  manufactured: z.preprocess((v) => {
    const text = blankIsAbsent(v);
    if (typeof text !== 'string') return text;
    const lower = text.toLowerCase();
    return ['true', 'yes', '1'].includes(lower) ? true : ['false', 'no', '0'].includes(lower) ? false : text;
  }, z.boolean('must be true or false')),
});

const STAGES = ['PROSPECTING', 'QUALIFICATION', 'PROPOSAL', 'NEGOTIATION', 'CLOSED_WON', 'CLOSED_LOST'] as const;
const opportunityRow = z
  .strictObject({
    key: required(200),
    customerKey: required(200),
    name: required(200),
    currency: cell(currency),
    stage: optional(z.enum(STAGES, `must be one of ${STAGES.join(', ')}`)),
    expectedCloseDate: optional(z.iso.date('must be a date such as "2026-12-31"')),
    sku: optional(z.string().max(64)),
    quantity: optional(wholeNumber),
    unitPrice: optional(amount),
    lines: z.array(line).min(1, 'needs at least one line').max(200).optional(),
  })
  .superRefine((row, ctx) => {
    if (row.lines) return;
    for (const field of ['sku', 'quantity', 'unitPrice'] as const) {
      if (row[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'is required (or give lines)' });
    }
  });

/** A customer row: the CRM account, and the ERP-owned fields when the row has any. */
export interface CustomerImportRow {
  key: string;
  account: CrmAccountImport;
  /** Present when the row sets a credit limit, payment terms or currency; externalRef is filled in once the account id is known. */
  financials?: Omit<ErpCustomerImport, 'externalRef'>;
}

/** A validated row of any kind, with its external key. */
export type ImportRow =
  | { kind: 'customers'; key: string; customer: CustomerImportRow }
  | { kind: 'products'; key: string; product: ErpProductImport }
  | { kind: 'opportunities'; key: string; opportunity: CrmOpportunityImport };

/** Validates one row; the reason of a refusal names the first bad field, e.g. `email: must be an email address`. */
export function validateRow(kind: ImportKind, fields: Record<string, unknown>): { ok: true; row: ImportRow } | { ok: false; reason: string } {
  switch (kind) {
    case 'customers': {
      const parsed = customerRow.safeParse(fields, { reportInput: true });
      if (!parsed.success) return { ok: false, reason: reasonOf(parsed.error) };
      const r = parsed.data;
      const account: CrmAccountImport = { importKey: r.key, name: r.name, email: r.email ?? null, industry: r.industry ?? null, country: r.country ?? null, ownerId: r.ownerId?.toLowerCase() ?? null };
      const hasFinancials = r.creditLimit !== undefined || r.paymentTerms !== undefined || r.currency !== undefined;
      const financials = hasFinancials
        ? { name: r.name, email: r.email ?? null, industry: r.industry ?? null, country: r.country ?? null, creditLimit: r.creditLimit ?? null, paymentTerms: r.paymentTerms ?? null, ...(r.currency ? { currency: r.currency } : {}) }
        : undefined;
      return { ok: true, row: { kind, key: r.key, customer: { key: r.key, account, financials } } };
    }
    case 'products': {
      const parsed = productRow.safeParse(fields, { reportInput: true });
      if (!parsed.success) return { ok: false, reason: reasonOf(parsed.error) };
      return { ok: true, row: { kind, key: parsed.data.sku, product: parsed.data } };
    }
    case 'opportunities': {
      const parsed = opportunityRow.safeParse(fields, { reportInput: true });
      if (!parsed.success) return { ok: false, reason: reasonOf(parsed.error) };
      const r = parsed.data;
      const lines = r.lines ?? [{ sku: r.sku!, quantity: r.quantity!, unitPrice: r.unitPrice! }];
      return {
        ok: true,
        row: {
          kind,
          key: r.key,
          opportunity: { importKey: r.key, accountImportKey: r.customerKey, name: r.name, currency: r.currency, stage: r.stage, expectedCloseDate: r.expectedCloseDate ?? null, lines },
        },
      };
    }
  }
}

function reasonOf(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue.code === 'unrecognized_keys') return `unknown column ${issue.keys.join(', ')}`;
  const path = issue.path.reduce<string>((out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${String(part)}` : String(part)), '');
  const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
  return path ? `${path}: ${message}` : message;
}
