import { z } from 'zod';
import { countrySchema, emailSchema } from '../../platform/customer-fields';
import { AppError, ErrorCode } from '../../platform/errors';

/**
 * What the CRM accepts, field by field. A refusal is BAD_USER_INPUT naming the field
 * (`lines[0].quantity`) so a caller can point at it.
 */

const STAGES = ['PROSPECTING', 'QUALIFICATION', 'PROPOSAL', 'NEGOTIATION', 'CLOSED_WON', 'CLOSED_LOST'] as const;
const ACTIVITY_TYPES = ['CALL', 'EMAIL', 'MEETING', 'NOTE', 'SYSTEM'] as const;
const CASE_STATUSES = ['OPEN', 'IN_PROGRESS', 'RESOLVED', 'CLOSED'] as const;
const CASE_PRIORITIES = ['LOW', 'MEDIUM', 'HIGH', 'URGENT'] as const;

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const optionalText = (max: number) => text(max).nullable().optional();
const uuid = z.guid('must be a UUID');
// numeric(14,2): up to 12 integer digits and 2 decimals, as a string so no float ever carries it.
const unitPrice = z.string('must be a decimal string such as "19.99"').regex(/^\d{1,12}(\.\d{1,2})?$/, 'must be a decimal string such as "19.99" (at most 2 decimals)');
const salesOrderId = text(64);

/** A new account. */
export const accountInputSchema = z.strictObject({
  name: text(200),
  email: emailSchema.nullable().optional(),
  industry: optionalText(100),
  country: countrySchema.nullable().optional(),
  erpCustomerNo: optionalText(64),
  ownerId: uuid.nullable().optional(),
});

/** Changes to an account: any subset of its fields; the name cannot be removed. */
export const accountPatchSchema = accountInputSchema.partial();

const opportunityLine = z.strictObject({
  sku: text(64),
  quantity: z.number('must be a number').int('must be a whole number').positive('must be positive').max(1_000_000),
  unitPrice,
});

/** A new opportunity with its lines. */
export const opportunityInputSchema = z.strictObject({
  accountId: uuid,
  name: text(200),
  lines: z.array(opportunityLine).min(1, 'needs at least one line').max(200),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO-4217 code such as "EUR"'),
  expectedCloseDate: z.iso.date('must be a date such as "2026-12-31"').nullable().optional(),
  stage: z.enum(STAGES).optional(),
  ownerId: uuid.nullable().optional(),
});

/** A stage move and/or the link to the ERP sales order it became. */
export const opportunityPatchSchema = z.strictObject({
  stage: z.enum(STAGES).optional(),
  erpSalesOrderId: salesOrderId.nullable().optional(),
});

/** A logged activity. */
export const activityInputSchema = z.strictObject({
  accountId: uuid,
  type: z.enum(ACTIVITY_TYPES),
  subject: text(500),
  erpSalesOrderId: salesOrderId.nullable().optional(),
  occurredAt: z.iso.datetime({ offset: true, message: 'must be an ISO date-time' }).optional(),
});

/** A new service case. */
export const caseInputSchema = z.strictObject({
  accountId: uuid,
  subject: text(500),
  priority: z.enum(CASE_PRIORITIES),
  erpSalesOrderId: salesOrderId.nullable().optional(),
});

/** Query parameters of the lists; batch parameters are comma-separated. */
export const listQuerySchema = z.object({
  first: z.coerce.number('must be a number').int('must be a whole number').min(0, 'must not be negative').optional(),
  after: z.string().optional(),
  updated_since: z.iso.datetime({ offset: true, message: 'must be an ISO date-time' }).optional(),
  search: z.string().trim().max(200).optional(),
  stage: z.enum(STAGES).optional(),
  status: z.enum(CASE_STATUSES).optional(),
  account_id: uuid.optional(),
  last: z.coerce.number('must be a number').int('must be a whole number').min(0).max(100, 'must be at most 100').optional(),
});

/** Validates `value` against `schema`, or throws BAD_USER_INPUT naming the first bad field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(value ?? {}, { reportInput: true });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const unknownKeys = issue.code === 'unrecognized_keys' ? issue.keys : [];
  const field = unknownKeys.length > 0 ? unknownKeys.join(', ') : formatPath(issue.path);
  const reason = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.code === 'invalid_value' ? `must be one of ${issue.values.join(', ')}` : issue.message;
  const message = unknownKeys.length > 0 ? `unknown field ${field}` : field ? `${field} ${reason}` : reason;
  throw new AppError(ErrorCode.BAD_USER_INPUT, `invalid ${what}: ${message}`, field ? { field } : undefined);
}

function formatPath(path: PropertyKey[]): string {
  return path.reduce<string>((out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${String(part)}` : String(part)), '');
}

const importKey = text(200);

/** One account of a bulk import, keyed by the source system's id. */
export const accountImportSchema = accountInputSchema.omit({ erpCustomerNo: true }).extend({ importKey });

/** One opportunity of a bulk import, keyed by its source id, naming its account by the account's import key. */
export const opportunityImportSchema = opportunityInputSchema.omit({ accountId: true, ownerId: true }).extend({ importKey, accountImportKey: importKey });

/** A bulk request: up to 500 rows, each checked on its own so one bad row does not sink the rest. */
export const bulkRowsSchema = (field: string) => z.strictObject({ [field]: z.array(z.unknown()).min(1, 'needs at least one row').max(500, 'takes at most 500 rows') });
