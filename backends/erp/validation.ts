import { z } from 'zod';
import { countrySchema, emailSchema, paymentTermsSchema } from '../../platform/customer-fields';
import { AppError, ErrorCode } from '../../platform/errors';
import { pageSize } from '../../platform/pagination';

/** Largest page and largest batch of ids one call may ask for. */
export const ERP_MAX_PAGE_SIZE = 500;
/** Page size when a list call names none. */
export const ERP_DEFAULT_PAGE_SIZE = 50;

/** An amount as numeric(14,2) holds it: up to 12 integer and 2 fraction digits, no sign. */
export const amountSchema = z.string().regex(/^\d{1,12}(\.\d{1,2})?$/, 'must be a decimal string with at most 2 fraction digits, e.g. "1250.50"');

const text = (max: number) => z.string().trim().min(1).max(max);

/** A new customer. */
export const customerInputSchema = z.strictObject({
  name: text(200),
  email: emailSchema.nullish(),
  industry: text(100).nullish(),
  country: countrySchema.nullish(),
  externalRef: text(100).nullish(),
  creditLimit: amountSchema.nullish(),
  paymentTerms: paymentTermsSchema.nullish(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO-4217 code such as "EUR"').optional(),
});

/** Changed fields of a customer; at least one. */
export const customerPatchSchema = customerInputSchema.partial().refine((patch) => Object.keys(patch).length > 0, 'give at least one field to change');

/** A new sales order. */
/** The lines of an order whose credit is assessed without creating it. */
export const creditAssessmentInputSchema = z.strictObject({ lines: z.array(z.strictObject({ sku: text(60), quantity: z.number().int().positive().max(1_000_000), unitPrice: amountSchema.optional() })).min(1).max(500) });

export const salesOrderInputSchema = z.strictObject({
  customerNo: text(40),
  lines: z
    .array(
      z.strictObject({
        sku: text(60),
        quantity: z.number().int().positive().max(1_000_000),
        unitPrice: amountSchema.optional(),
      }),
    )
    .min(1)
    .max(200),
  status: z.enum(['DRAFT', 'CONFIRMED']).optional(),
  externalRef: text(100).nullish(),
  creditApprovedBy: text(200).nullish(),
});

/** Every sales order status. */
export const salesOrderStatusSchema = z.enum(['DRAFT', 'CONFIRMED', 'IN_PRODUCTION', 'READY_TO_SHIP', 'PARTIALLY_SHIPPED', 'SHIPPED', 'INVOICED', 'PAID', 'CANCELLED']);

/** A status change request. */
export const statusInputSchema = z.strictObject({ status: salesOrderStatusSchema });

/** A new production order. */
export const productionOrderInputSchema = z.strictObject({
  sku: text(60),
  quantity: z.number().int().positive().max(1_000_000),
  salesOrderId: text(40).nullish(),
});

/** What a shipment or invoice is made from. */
export const salesOrderRefSchema = z.strictObject({ salesOrderId: text(40) });

/** The carrier's hand-over of a shipment. */
export const confirmShipmentSchema = z.strictObject({ carrier: text(100), trackingNumber: text(100) });

/** A payment received. */
export const paymentInputSchema = z.strictObject({ amount: amountSchema, reference: text(200).nullish() });

/** Validates `value` against `schema`; a failure is BAD_USER_INPUT naming the first bad field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where = 'body'): z.infer<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue.path.length ? issue.path.map(String).join('.') : where;
  const message = issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.join(', ')}` : issue.message;
  throw new AppError(ErrorCode.BAD_USER_INPUT, `${field}: ${message}`, { field });
}

/** The query string as Fastify parses it. */
export type QueryString = Record<string, string | string[] | undefined>;

function single(query: QueryString, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw new AppError(ErrorCode.BAD_USER_INPUT, `${name} may be given once`, { field: name });
  return value === undefined || value === '' ? undefined : value;
}

/** A comma-separated id list (`?ids=a,b`), deduplicated; undefined when absent. */
export function idList(query: QueryString, name: string): string[] | undefined {
  const value = single(query, name);
  if (value === undefined) return undefined;
  const ids = [...new Set(value.split(',').map((id) => id.trim()).filter(Boolean))];
  if (ids.length > ERP_MAX_PAGE_SIZE) {
    throw new AppError(ErrorCode.BAD_USER_INPUT, `${name} may hold at most ${ERP_MAX_PAGE_SIZE} ids`, { field: name });
  }
  return ids;
}

/** An optional text parameter. */
export function textParam(query: QueryString, name: string): string | undefined {
  const value = single(query, name);
  if (value !== undefined && value.length > 200) throw new AppError(ErrorCode.BAD_USER_INPUT, `${name} is too long`, { field: name });
  return value;
}

/** An optional parameter that must be one of `allowed`. */
export function enumParam<T extends string>(query: QueryString, name: string, allowed: readonly T[]): T | undefined {
  const value = single(query, name);
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new AppError(ErrorCode.BAD_USER_INPUT, `${name} must be one of ${allowed.join(', ')}`, { field: name });
  }
  return value as T;
}

/** An optional positive integer parameter no larger than `max`. */
export function intParam(query: QueryString, name: string, max: number): number | undefined {
  const value = single(query, name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > max) throw new AppError(ErrorCode.BAD_USER_INPUT, `${name} must be an integer from 1 to ${max}`, { field: name });
  return n;
}

/** Paging and change polling: `first` (1..500), `after` (a cursor), `updated_since` (ISO date-time). */
export function listParams(query: QueryString): { first: number; after?: string; updatedSince?: string } {
  const firstText = single(query, 'first');
  const first = firstText === undefined ? undefined : /^\d+$/.test(firstText) ? Number(firstText) : NaN;
  const size = pageSize(first, ERP_DEFAULT_PAGE_SIZE, ERP_MAX_PAGE_SIZE);
  const updatedSince = single(query, 'updated_since');
  if (updatedSince !== undefined && (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(updatedSince) || Number.isNaN(Date.parse(updatedSince)))) {
    throw new AppError(ErrorCode.BAD_USER_INPUT, 'updated_since must be an ISO date-time such as 2024-05-01T12:00:00Z', { field: 'updated_since' });
  }
  return { first: size, after: single(query, 'after'), updatedSince };
}

/** One customer of a bulk import, found again by its CRM account id (`externalRef`). */
export const customerImportSchema = customerInputSchema.extend({ externalRef: text(100) });

/** One product of a bulk import, found again by its SKU. */
export const productImportSchema = z.strictObject({
  sku: text(60),
  name: text(200),
  unitPrice: amountSchema,
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO-4217 code such as "EUR"'),
  manufactured: z.boolean(),
});

/** A bulk request: up to 500 rows, each checked on its own so one bad row does not sink the rest. */
export const bulkRowsSchema = (field: string) => z.strictObject({ [field]: z.array(z.unknown()).min(1).max(ERP_MAX_PAGE_SIZE) });
