import { AppError, ErrorCode } from './errors';
import { formatAmount } from './money';
import { pageSize } from './pagination';

/**
 * Small translations every subgraph makes between backend rows and GraphQL values: money,
 * connections from backend pages, and the checks on free-text input.
 */

/** A GraphQL `Money`: the amount with exactly two decimals, and its currency. */
export interface MoneyValue {
  amount: string;
  currency: string;
}

/** Formats a backend amount (a decimal string) as API money. */
export function money(amount: string, currency: string): MoneyValue {
  return { amount: formatAmount(amount), currency };
}

/** A GraphQL connection over a backend page. */
export interface ConnectionValue<Node> {
  nodes: Node[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

/** A backend page: rows, the cursor of the next page, the total match count. */
interface BackendPage<Row> {
  items: Row[];
  nextCursor: string | null;
  totalCount: number;
}

/**
 * Validates `first` (0..100, BAD_USER_INPUT otherwise), fetches one backend page from `after`,
 * and answers the connection; the backend's next cursor becomes `endCursor`.
 */
export async function fetchConnection<Row>(
  args: { first?: number | null; after?: string | null },
  fallbackSize: number,
  fetch: (params: { first: number; after?: string }) => Promise<BackendPage<Row>>,
): Promise<ConnectionValue<Row>> {
  const size = pageSize(args.first, fallbackSize);
  const after = args.after || undefined;
  // Backends serve pages of one row or more; `first: 0` still asks one to learn the total.
  const page = await fetch({ first: Math.max(size, 1), after });
  if (size === 0) {
    return { nodes: [], pageInfo: { hasNextPage: page.items.length > 0, endCursor: after ?? null }, totalCount: page.totalCount };
  }
  return { nodes: page.items, pageInfo: { hasNextPage: page.nextCursor !== null, endCursor: page.nextCursor }, totalCount: page.totalCount };
}

/** Trims free text and checks its length; empty or too long is BAD_USER_INPUT naming `field`. */
export function requiredText(value: string, field: string, maxLength: number): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (text === '') throw new AppError(ErrorCode.BAD_USER_INPUT, `${field} must not be empty`, { field });
  if (text.length > maxLength) throw new AppError(ErrorCode.BAD_USER_INPUT, `${field} must be at most ${maxLength} characters`, { field });
  return text;
}

/** Like requiredText, but absent or blank text is null. */
export function optionalText(value: string | null | undefined, field: string, maxLength: number): string | null {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return null;
  return requiredText(value, field, maxLength);
}

/** The connection of a filter that matches nothing, e.g. a customer the backend does not know. */
export function emptyConnection<Node>(): ConnectionValue<Node> {
  return { nodes: [], pageInfo: { hasNextPage: false, endCursor: null }, totalCount: 0 };
}
