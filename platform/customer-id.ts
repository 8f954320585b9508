import { AppError, ErrorCode } from './errors';
import { isUuid } from './input-ids';

/**
 * `Customer.id` in the API: the system that first held the customer and its id there, e.g.
 * "crm:3f1c…" or "erp:K-10023". It never changes once the other system is linked, so it stays
 * stable for the customer's life, and any service can tell which system to look in first.
 */
export type CustomerOrigin = 'crm' | 'erp';

/** The parts of a Customer.id. */
export interface ParsedCustomerId {
  origin: CustomerOrigin;
  /** The CRM account id or the ERP customer number. */
  localId: string;
}

const ERP_NO = /^K-\d{4,10}$/;

/** Builds the API id. */
export function customerId(origin: CustomerOrigin, localId: string): string {
  return `${origin}:${localId}`;
}

/** Parses an API id; a malformed one is BAD_USER_INPUT naming `field`. */
export function parseCustomerId(id: string, field = 'customerId'): ParsedCustomerId {
  const [origin, localId, extra] = id.split(':');
  if (extra === undefined && origin === 'crm' && isUuid(localId ?? '')) return { origin, localId: localId.toLowerCase() };
  if (extra === undefined && origin === 'erp' && ERP_NO.test(localId ?? '')) return { origin, localId };
  throw new AppError(ErrorCode.BAD_USER_INPUT, `${field} is not a customer id`, { field });
}

/** Like parseCustomerId but answers null for malformed ids (lookups of unknown ids return null). */
export function tryParseCustomerId(id: string): ParsedCustomerId | null {
  try {
    return parseCustomerId(id);
  } catch {
    return null;
  }
}
