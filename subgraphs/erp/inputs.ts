import type { ErpLoaders } from './loaders';
import { AppError, ErrorCode } from '../../platform/errors';
import { parseCustomerId } from '../../platform/customer-id';
import { formatAmount, parseDecimal } from '../../platform/money';
import { optionalText, requiredText } from '../../platform/graphql-values';
import { MAX_AMOUNT } from '../../platform/input-ids';

/** Longest carrier name, tracking number or payment reference the ERP accepts. */
const MAX_REFERENCE_LENGTH = 100;

/**
 * The ERP customer number an API customer id ("erp:K-10023" or "crm:<uuid>") stands for, or null
 * when the ERP holds no customer linked to that CRM account. A malformed id is BAD_USER_INPUT.
 */
export async function erpCustomerNoOf(customerId: string, loaders: ErpLoaders): Promise<string | null> {
  const parsed = parseCustomerId(customerId, 'customerId');
  if (parsed.origin === 'erp') return parsed.localId;
  return (await loaders.customerByCrmAccount.load(parsed.localId))?.customerNo ?? null;
}

/** What the warehouse reports when it hands a shipment to the carrier, trimmed and checked. */
export function shipmentConfirmation(carrier: string, trackingNumber: string): { carrier: string; trackingNumber: string } {
  return {
    carrier: requiredText(carrier, 'carrier', MAX_REFERENCE_LENGTH),
    trackingNumber: requiredText(trackingNumber, 'trackingNumber', MAX_REFERENCE_LENGTH),
  };
}

/**
 * An incoming payment: the amount parsed exactly (a positive decimal string with at most two
 * decimals, normalised to "120.50") and the optional reference trimmed.
 */
export function paymentInput(amount: unknown, reference: string | null | undefined): { amount: string; reference: string | null } {
  const invalid = (message: string) => new AppError(ErrorCode.BAD_USER_INPUT, message, { field: 'amount' });
  if (typeof amount !== 'string') throw invalid('amount must be a decimal string such as "120.50"');
  let value;
  try {
    value = parseDecimal(amount);
  } catch {
    throw invalid('amount must be a decimal string such as "120.50"');
  }
  if (value.lte(0)) throw invalid('amount must be greater than zero');
  if (value.decimalPlaces() > 2) throw invalid('amount must have at most two decimal places');
  if (value.gt(MAX_AMOUNT)) throw invalid(`amount must be at most ${MAX_AMOUNT}`);
  return { amount: formatAmount(value), reference: optionalText(reference, 'reference', MAX_REFERENCE_LENGTH) };
}
