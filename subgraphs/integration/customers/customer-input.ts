import { COUNTRY_RULE, EMAIL_MAX_LENGTH, EMAIL_PATTERN, PAYMENT_TERMS_PATTERN, isCountryCode } from '../../../platform/customer-fields';
import { AppError, ErrorCode } from '../../../platform/errors';
import { MAX_AMOUNT } from '../../../platform/input-ids';
import { formatAmount, parseDecimal } from '../../../platform/money';
import type { CreateCustomerInput, UpdateCustomerInput } from '../generated/resolvers-types';

/** Master data fields the CRM owns. */
export interface CrmOwnedFields {
  name?: string;
  email?: string | null;
  industry?: string | null;
  country?: string | null;
}

/** Master data fields the ERP owns. */
export interface ErpOwnedFields {
  /** Exact decimal with two fraction digits, e.g. "25000.00". */
  creditLimit?: string | null;
  /** "NET" and the days until an invoice is due, e.g. "NET30". */
  paymentTerms?: string | null;
}

/** Validated, normalised customer fields, split by the system that owns them. */
export interface CustomerChanges {
  crm: CrmOwnedFields;
  erp: ErpOwnedFields;
}

/** A validated new customer: the name is always present. */
export interface NewCustomer extends CustomerChanges {
  crm: CrmOwnedFields & { name: string };
}

/** Validates createCustomer's input; the first bad field is a BAD_USER_INPUT naming it. */
export function validateNewCustomer(input: CreateCustomerInput): NewCustomer {
  const changes = validateCustomerChanges(input);
  return { crm: { ...changes.crm, name: validName(input.name) }, erp: changes.erp };
}

/**
 * Validates updateCustomer's input. An omitted field stays as it is; an explicit null clears an
 * optional field (the name cannot be cleared).
 */
export function validateCustomerChanges(input: UpdateCustomerInput): CustomerChanges {
  const crm: CrmOwnedFields = {};
  const erp: ErpOwnedFields = {};
  if (input.name !== undefined) crm.name = validName(input.name);
  if (input.email !== undefined) crm.email = optional(input.email, 'email', (email) => (email.length <= EMAIL_MAX_LENGTH && EMAIL_PATTERN.test(email) ? email : fail('email', 'email is not a valid email address')));
  if (input.industry !== undefined) crm.industry = optional(input.industry, 'industry', (industry) => (industry.length <= 100 ? industry : fail('industry', 'industry is longer than 100 characters')));
  if (input.country !== undefined) {
    crm.country = optional(input.country, 'country', (country) =>
      isCountryCode(country) ? country : fail('country', `country ${COUNTRY_RULE}`),
    );
  }
  if (input.creditLimit !== undefined) erp.creditLimit = optional(input.creditLimit, 'creditLimit', validCreditLimit);
  if (input.paymentTerms !== undefined) {
    erp.paymentTerms = optional(input.paymentTerms, 'paymentTerms', (terms) => (PAYMENT_TERMS_PATTERN.test(terms) ? terms : fail('paymentTerms', 'paymentTerms must look like NET30')));
  }
  return { crm, erp };
}

function validName(name: string | null | undefined): string {
  const trimmed = name?.trim() ?? '';
  if (!trimmed) fail('name', 'name must not be empty');
  if (trimmed.length > 200) fail('name', 'name is longer than 200 characters');
  return trimmed;
}

function validCreditLimit(value: string): string {
  let amount;
  try {
    amount = parseDecimal(value);
  } catch {
    return fail('creditLimit', 'creditLimit must be a decimal number such as "25000.00"');
  }
  if (amount.isNegative()) fail('creditLimit', 'creditLimit must not be negative');
  if (amount.decimalPlaces() > 2) fail('creditLimit', 'creditLimit has more than two fraction digits');
  if (amount.gt(MAX_AMOUNT)) fail('creditLimit', `creditLimit must be at most ${MAX_AMOUNT}`);
  return formatAmount(amount);
}

// Blank text means "no value", the same as null.
function optional(value: string | null, field: string, check: (trimmed: string) => string): string | null {
  if (value === null) return null;
  if (typeof value !== 'string') fail(field, `${field} must be a string`);
  const trimmed = value.trim();
  return trimmed === '' ? null : check(trimmed);
}

function fail(field: string, message: string): never {
  throw new AppError(ErrorCode.BAD_USER_INPUT, message, { field });
}
