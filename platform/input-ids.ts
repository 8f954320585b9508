import { AppError, ErrorCode } from './errors';

/** Longest record id any backend issues or accepts as a reference. */
export const MAX_ID_LENGTH = 100;
// Letters, digits and the separators the systems' ids use ("SO-101717", "K-10023", UUIDs, "crm:<uuid>").
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

/** An id argument of a mutation: 1–100 characters of an id's alphabet, else BAD_USER_INPUT naming the field. */
export function wellFormedId(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH || !ID_PATTERN.test(value)) {
    throw new AppError(ErrorCode.BAD_USER_INPUT, `${field} must be an id of 1 to ${MAX_ID_LENGTH} letters, digits, '.', '_', ':' or '-'`, { field });
  }
  return value;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a UUID in its text form (any case): what a `uuid` column accepts, so nothing else is sent to one. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** The largest amount a `numeric(14,2)` column holds; larger money input is BAD_USER_INPUT. */
export const MAX_AMOUNT = '999999999999.99';
