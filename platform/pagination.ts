import { createHash } from 'node:crypto';
import type { Queryable } from './db';
import { AppError, ErrorCode } from './errors';

/** One page of a list: the rows, the cursor of the next page, and the total match count. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
  totalCount: number;
}

/** One page asked of a backend list: size, the previous page's cursor, and an optional change-polling bound. */
export interface PageRequest {
  first: number;
  after?: string | null;
  /** When set, only rows changed at or after it, ordered by last change (catch-up polling). */
  updatedSince?: string;
}

/** Largest page any list returns. */
export const MAX_PAGE_SIZE = 100;

/** Opaque cursors: base64url of the sort key of the last row returned. */
export function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

/** Decodes a cursor made by encodeCursor; a malformed one is BAD_USER_INPUT. */
export function decodeCursor(cursor: string | undefined | null): string | undefined {
  if (cursor === undefined || cursor === null || cursor === '') return undefined;
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!key || encodeCursor(key) !== cursor) throw new AppError(ErrorCode.BAD_USER_INPUT, 'invalid cursor');
  return key;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z$/;

/** True for a UTC instant as cursors carry it ("2026-11-29T10:15:00.000Z"), which every database accepts. */
export function isIsoInstant(text: string): boolean {
  return ISO_INSTANT.test(text) && !Number.isNaN(Date.parse(text));
}

/** Validates a page size: 1 to MAX_PAGE_SIZE, defaulting to `fallback`. */
export function pageSize(first: number | undefined | null, fallback = 20, max = MAX_PAGE_SIZE): number {
  if (first === undefined || first === null) return fallback;
  if (!Number.isInteger(first) || first < 0 || first > max) {
    throw new AppError(ErrorCode.BAD_USER_INPUT, `first must be an integer from 0 to ${max}`, { field: 'first' });
  }
  return first;
}

/**
 * How a list is ordered. `key`: by the primary key; `changed`: by the time column (updated_at by
 * default) then key, for change polling; `oldest`: by the time column ascending then key, the
 * order records were created in; `newest`: by the time column descending then key descending, the
 * way people read orders. Each is a total order, so a cursor (the last row's sort values) never
 * skips or repeats a row, however many rows are added or changed meanwhile.
 */
export type ListOrder = 'key' | 'changed' | 'oldest' | 'newest';

/** One keyset-paged query: the filtered source and how to sort and cut it. */
export interface KeysetQuery {
  /** Columns to select; must include the key, and updated_at / created_at when ordered by them. */
  select: string;
  /** Table (with alias if needed) the rows come from. */
  from: string;
  /** A LATERAL subquery joined to each row for the select (e.g. an order's lines); not counted. */
  lateral?: string;
  /** Qualified key column, e.g. "c.customer_no"; its value must be selected as `key`. */
  keyColumn: string;
  /** Qualified timestamp column for the time orders; selected as `sort_at` by the query. */
  timeColumn?: string;
  /** What a key must look like (e.g. a UUID): a cursor with another key is refused, not sent to SQL. */
  keyPattern?: RegExp;
  where: string[];
  params: unknown[];
  order: ListOrder;
  first: number;
  after?: string | null;
}

interface KeysetRow {
  key: string;
  sort_at?: Date | string;
}

/**
 * A list of records browsed in creation order (`browse`: newest or oldest first) or, when
 * `updatedSince` is given, by change time from that instant on, for change polling. `created` and
 * `updated` name the timestamp columns (qualified when the source has an alias).
 */
export function browseOrChangedPage<Row extends KeysetRow>(
  q: Queryable,
  query: {
    select: string;
    from: string;
    lateral?: string;
    keyColumn?: string;
    keyPattern?: RegExp;
    created: string;
    updated?: string;
    browse: 'newest' | 'oldest';
    where: string[];
    params: unknown[];
    first: number;
    after?: string | null;
    updatedSince?: string;
  },
): Promise<Page<Row>> {
  const updated = query.updated ?? 'updated_at';
  const where = [...query.where];
  const params = [...query.params];
  if (query.updatedSince) {
    params.push(query.updatedSince);
    where.push(`${updated} >= $${params.length}::timestamptz`);
  }
  return keysetPage<Row>(q, {
    select: query.select,
    from: query.from,
    lateral: query.lateral,
    keyColumn: query.keyColumn ?? 'id',
    keyPattern: query.keyPattern,
    timeColumn: query.updatedSince ? updated : query.created,
    where,
    params,
    order: query.updatedSince ? 'changed' : query.browse,
    first: query.first,
    after: query.after,
  });
}

/**
 * Runs a keyset-paged list and its total count; rows come back as selected.
 *
 * The count is exact on every page but is not recounted while nothing has been committed since
 * the page before: a cursor carries the total it was cut with, stamped with the database's
 * snapshot and the count's own filter, and a page whose stamp still matches takes the total from
 * it. Counting is a scan of every matching row, so a bulk export recounting 58,000 orders on each
 * of its 580 pages spent more there than on the pages themselves.
 */
export async function keysetPage<Row extends KeysetRow>(q: Queryable, query: KeysetQuery): Promise<Page<Row>> {
  const params = [...query.params];
  const filters = [...query.where];
  const countSql = `SELECT count(*)::int AS n FROM ${query.from}${filters.length ? ` WHERE ${filters.join(' AND ')}` : ''}`;
  const countParams = [...params];
  const cursor = parseCursor(query.after, query.order === 'key' ? 1 : 2, query.keyPattern);
  const time = query.timeColumn ?? 'updated_at';
  if (cursor) {
    if (query.order === 'key') {
      params.push(cursor.position[0]);
      filters.push(`${query.keyColumn} > $${params.length}`);
    } else {
      params.push(cursor.position[0], cursor.position[1]);
      const op = query.order === 'newest' ? '<' : '>';
      filters.push(`(${time}, ${query.keyColumn}) ${op} ($${params.length - 1}::timestamptz, $${params.length})`);
    }
  }
  const orderBy = query.order === 'key' ? `${query.keyColumn}` : query.order === 'newest' ? `${time} DESC, ${query.keyColumn} DESC` : `${time}, ${query.keyColumn}`;
  params.push(query.first + 1);
  const sql = `SELECT ${query.select}${query.order === 'key' ? '' : `, ${time} AS sort_at`} FROM ${query.from}${query.lateral ? `, ${query.lateral}` : ''}${
    filters.length ? ` WHERE ${filters.join(' AND ')}` : ''
  } ORDER BY ${orderBy} LIMIT $${params.length}`;
  // Taken before counting: a commit between the two then makes the next page recount.
  const stamp = await countStamp(q, countSql, countParams);
  const carried = cursor?.total !== undefined && cursor.stamp === stamp ? cursor.total : undefined;
  const [rows, totalCount] = await Promise.all([
    q.query<Row>(sql, params),
    carried ?? q.query<{ n: number }>(countSql, countParams).then((count) => Number(count.rows[0]?.n ?? 0)),
  ]);
  const items = rows.rows.slice(0, query.first);
  const last = items[items.length - 1];
  const more = rows.rows.length > query.first && last !== undefined;
  const position = last === undefined ? [] : query.order === 'key' ? [last.key] : [new Date(last.sort_at as string).toISOString(), last.key];
  return {
    items,
    nextCursor: more ? encodeCursor(JSON.stringify([...position, String(totalCount), stamp])) : null,
    totalCount,
  };
}

/**
 * What a carried total is valid for: the committed state of the database (its snapshot changes
 * with every commit) and the count's statement and arguments (so a cursor reused with another
 * filter recounts). Hashed, so a cursor shows no transaction ids.
 */
async function countStamp(q: Queryable, countSql: string, countParams: unknown[]): Promise<string> {
  const { rows } = await q.query<{ snapshot: string }>('SELECT pg_current_snapshot()::text AS snapshot');
  return createHash('sha256').update(JSON.stringify([rows[0].snapshot, countSql, countParams])).digest('base64url').slice(0, 22);
}

interface Cursor {
  /** The sort values of the last row of the page before. */
  position: string[];
  /** The total that page counted, and the stamp it holds for. */
  total?: number;
  stamp?: string;
}

/**
 * A cursor of `length` sort values, optionally followed by the total and its stamp; one that is not
 * is BAD_USER_INPUT on `after`. The connectors' in-memory fakes read their cursors with it too.
 */
export function parseCursor(after: string | null | undefined, length: number, keyPattern?: RegExp): Cursor | undefined {
  const text = decodeCursor(after);
  if (text === undefined) return undefined;
  let values: unknown;
  try {
    values = JSON.parse(text);
  } catch {
    values = undefined;
  }
  const valid =
    Array.isArray(values) &&
    (values.length === length || values.length === length + 2) &&
    values.every((v) => typeof v === 'string') &&
    (values.length === length || /^\d{1,15}$/.test(values[length])) &&
    (length === 1 || isIsoInstant(values[0])) &&
    (!keyPattern || keyPattern.test(values[length - 1]));
  if (!valid) throw new AppError(ErrorCode.BAD_USER_INPUT, 'after is not a cursor of this list', { field: 'after' });
  const strings = values as string[];
  return strings.length === length ? { position: strings } : { position: strings.slice(0, length), total: Number(strings[length]), stamp: strings[length + 1] };
}
