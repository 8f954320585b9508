import type { Page } from '../../../connectors/page';
import type { Queryable } from '../../../platform/db';
import { AppError, ErrorCode } from '../../../platform/errors';
import { decodeCursor, encodeCursor, isIsoInstant } from '../../../platform/pagination';

/** One page request: size, the previous page's cursor, and an optional change-polling bound. */
export interface PageRequest {
  first: number;
  after?: string;
  /** When set, only rows changed at or after it, ordered by last change (catch-up polling). */
  updatedSince?: string;
}

/** A row that can be paged: every paged table has these columns. */
interface Timestamped {
  id: string;
  createdAt: string;
  updatedAt: string;
}

/** A filtered list to page through; `conditions` use `$n` placeholders numbered after `params`. */
export interface KeysetQuery<Row extends Timestamped> {
  /** The select list, columns qualified with `alias`. */
  columns: string;
  table: string;
  alias: string;
  conditions: string[];
  params: unknown[];
  page: PageRequest;
  toRow: (raw: Record<string, unknown>) => Row;
}

/**
 * Pages by (created_at, id) for browsing, or by (updated_at, id) when polling for changes, so a
 * cursor stays valid however many rows are added or changed meanwhile: nothing is skipped, and a
 * row changed while a poller pages through simply shows up again later.
 */
export async function keysetPage<Row extends Timestamped>(q: Queryable, query: KeysetQuery<Row>): Promise<Page<Row>> {
  const { alias, page } = query;
  const polling = page.updatedSince !== undefined;
  const sortColumn = polling ? 'updated_at' : 'created_at';
  const conditions = [...query.conditions];
  const params = [...query.params];
  if (polling) {
    params.push(page.updatedSince);
    conditions.push(`${alias}.updated_at >= $${params.length}::timestamptz`);
  }
  const filterParams = params.length;
  const where = (list: string[]) => (list.length > 0 ? `WHERE ${list.join(' AND ')}` : '');
  const total = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${query.table} ${alias} ${where(conditions)}`, params.slice(0, filterParams));

  const after = parseCursor(page.after, polling ? 'u' : 'c');
  if (after) {
    params.push(after.at, after.id);
    conditions.push(`(${alias}.${sortColumn}, ${alias}.id) > ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
  }
  params.push(page.first + 1);
  const rows = await q.query(
    `SELECT ${query.columns} FROM ${query.table} ${alias} ${where(conditions)}
     ORDER BY ${alias}.${sortColumn}, ${alias}.id LIMIT $${params.length}`,
    params,
  );
  const items = rows.rows.slice(0, page.first).map(query.toRow);
  const last = items[items.length - 1];
  const hasMore = rows.rows.length > page.first;
  return {
    items,
    nextCursor: hasMore && last ? encodeCursor(`${polling ? 'u' : 'c'}|${polling ? last.updatedAt : last.createdAt}|${last.id}`) : null,
    totalCount: total.rows[0]?.n ?? 0,
  };
}

function parseCursor(cursor: string | undefined, mode: 'u' | 'c'): { at: string; id: string } | undefined {
  const key = decodeCursor(cursor);
  if (key === undefined) return undefined;
  const [kind, at, id] = key.split('|');
  // A cursor from a browsing list is meaningless for a polling one and the other way round.
  if (kind !== mode || !at || !isIsoInstant(at) || !id || !UUID_PATTERN.test(id)) {
    throw new AppError(ErrorCode.BAD_USER_INPUT, 'invalid cursor', { field: 'after' });
  }
  return { at, id };
}

/** Any 8-4-4-4-12 hex id, the format PostgreSQL's uuid type accepts. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Keeps the ids that can exist: a malformed one matches nothing, so it is dropped, not an error. */
export function wellFormedUuids(ids: readonly string[]): string[] {
  return [...new Set(ids.filter((id) => UUID_PATTERN.test(id)).map((id) => id.toLowerCase()))];
}

/** Timestamps come back as Date from both drivers; the API speaks ISO strings. */
export function isoTimestamp(value: unknown): string {
  return (value instanceof Date ? value : new Date(String(value))).toISOString();
}

/** The database's clock, to the millisecond, so stored times equal the ISO strings returned. */
export const NOW = "date_trunc('milliseconds', now())";

/** Escapes LIKE wildcards so a search for "50%" finds the text "50%". */
export function likeContains(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** True when a database error is a unique-constraint violation. */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string }).code === '23505';
}
