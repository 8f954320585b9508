import type {
  CrmAccount,
  CrmActivityInput,
  CrmCaseInput,
  CrmOpportunityInput,
} from '../../connectors/crm/crm.connector';
import type { ErpConnector } from '../../connectors/erp/erp.connector';
import type { CreateOpportunityInput, LogActivityInput, OpenCaseInput } from './generated/resolvers-types';
import type { CrmLoaders } from './loaders';
import { AppError, ErrorCode } from '../../platform/errors';
import { parseCustomerId } from '../../platform/customer-id';
import { MAX_PAGE_SIZE } from '../../platform/pagination';
import { optionalText, requiredText } from '../../platform/graphql-values';

/** Longest opportunity name or activity/case subject. */
const MAX_TITLE_LENGTH = 200;
/** Longest ERP sales order id accepted as a reference. */
const MAX_REFERENCE_LENGTH = 100;
/** Most lines one opportunity may carry. */
const MAX_LINES = 100;
/** Largest quantity of one line. */
const MAX_QUANTITY = 1_000_000;

/**
 * The CRM account id an API customer id ("crm:<uuid>" or "erp:K-10023") stands for, or null when
 * no CRM account keeps that ERP number. A malformed id is BAD_USER_INPUT.
 */
export async function crmAccountIdOf(customerId: string, loaders: CrmLoaders, field = 'customerId'): Promise<string | null> {
  const parsed = parseCustomerId(customerId, field);
  if (parsed.origin === 'crm') return parsed.localId;
  return (await loaders.accountByErpCustomerNo.load(parsed.localId))?.id ?? null;
}

/** The CRM account a write is for; an unknown customer is NOT_FOUND. */
export async function accountForWrite(customerId: string, loaders: CrmLoaders): Promise<CrmAccount> {
  const field = 'input.customerId';
  const accountId = await crmAccountIdOf(customerId, loaders, field);
  const account = accountId ? await loaders.accountById.load(accountId) : null;
  if (!account) throw new AppError(ErrorCode.NOT_FOUND, `customer ${customerId} has no CRM account`, { field });
  return account;
}

/** A count argument such as `last`: 0 to 100, BAD_USER_INPUT naming it otherwise. */
export function countArgument(value: number | null | undefined, fallback: number, field: string): number {
  if (value === undefined || value === null) return fallback;
  if (!Number.isInteger(value) || value < 0 || value > MAX_PAGE_SIZE) {
    throw new AppError(ErrorCode.BAD_USER_INPUT, `${field} must be an integer from 0 to ${MAX_PAGE_SIZE}`, { field });
  }
  return value;
}

/**
 * A new opportunity for `accountId`: name trimmed, lines checked, and each line priced from the ERP
 * catalogue (an unknown SKU is BAD_USER_INPUT naming it; the currency is the products').
 */
export async function opportunityInput(input: CreateOpportunityInput, accountId: string, erp: ErpConnector): Promise<CrmOpportunityInput> {
  const name = requiredText(input.name, 'input.name', MAX_TITLE_LENGTH);
  const lines = input.lines ?? [];
  if (lines.length === 0) throw new AppError(ErrorCode.BAD_USER_INPUT, 'an opportunity needs at least one line', { field: 'input.lines' });
  if (lines.length > MAX_LINES) throw new AppError(ErrorCode.BAD_USER_INPUT, `an opportunity has at most ${MAX_LINES} lines`, { field: 'input.lines' });
  const seen = new Set<string>();
  const requested = lines.map((line, i) => {
    const sku = requiredText(line.sku, `input.lines[${i}].sku`, MAX_REFERENCE_LENGTH);
    if (seen.has(sku)) throw new AppError(ErrorCode.BAD_USER_INPUT, `sku ${sku} appears on more than one line`, { field: `input.lines[${i}].sku` });
    seen.add(sku);
    if (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > MAX_QUANTITY) {
      throw new AppError(ErrorCode.BAD_USER_INPUT, `quantity must be a whole number from 1 to ${MAX_QUANTITY}`, { field: `input.lines[${i}].quantity` });
    }
    return { sku, quantity: line.quantity };
  });
  const expectedCloseDate = input.expectedCloseDate == null ? null : calendarDate(input.expectedCloseDate, 'input.expectedCloseDate');

  const products = new Map((await erp.getProducts([...seen])).map((p) => [p.sku, p]));
  const priced = requested.map((line, i) => {
    const product = products.get(line.sku);
    if (!product) throw new AppError(ErrorCode.BAD_USER_INPUT, `unknown product sku ${line.sku}`, { field: `input.lines[${i}].sku` });
    return { ...line, unitPrice: product.unitPrice, currency: product.currency };
  });
  const currencies = new Set(priced.map((line) => line.currency));
  if (currencies.size > 1) throw new AppError(ErrorCode.BAD_USER_INPUT, `the products are priced in different currencies (${[...currencies].join(', ')})`, { field: 'input.lines' });
  return {
    accountId,
    name,
    lines: priced.map(({ sku, quantity, unitPrice }) => ({ sku, quantity, unitPrice })),
    currency: priced[0].currency,
    expectedCloseDate,
  };
}

/** A new activity for `accountId`; SYSTEM activities are written by the integration only. */
export function activityInput(input: LogActivityInput, accountId: string): CrmActivityInput {
  if (input.type === 'SYSTEM') throw new AppError(ErrorCode.BAD_USER_INPUT, 'SYSTEM activities are written by the integration only', { field: 'input.type' });
  return {
    accountId,
    type: input.type,
    subject: requiredText(input.subject, 'input.subject', MAX_TITLE_LENGTH),
    erpSalesOrderId: optionalText(input.salesOrderId, 'input.salesOrderId', MAX_REFERENCE_LENGTH),
  };
}

/** A new service case for `accountId`. */
export function caseInput(input: OpenCaseInput, accountId: string): CrmCaseInput {
  return {
    accountId,
    subject: requiredText(input.subject, 'input.subject', MAX_TITLE_LENGTH),
    priority: input.priority,
    erpSalesOrderId: optionalText(input.salesOrderId, 'input.salesOrderId', MAX_REFERENCE_LENGTH),
  };
}

/** Checks a calendar date "YYYY-MM-DD" that exists (no 2026-02-30). */
function calendarDate(value: string, field: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const date = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : null;
  if (!date || date.toISOString().slice(0, 10) !== value) throw new AppError(ErrorCode.BAD_USER_INPUT, `${field} must be a date such as 2026-12-31`, { field });
  return value;
}
