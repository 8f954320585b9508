import type { ListParams, Page } from '../page';
import { AppError, ErrorCode } from '../../platform/errors';
import { encodeCursor, pageSize, parseCursor } from '../../platform/pagination';

/** Page size when a list call names none, and the largest one served, as the reference backends have them. */
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 500;

/**
 * How a fake list is ordered without `updatedSince`, as the reference backend orders it
 * (platform/pagination.ts ListOrder): by key, or by creation time then key, oldest or newest first.
 * With `updatedSince` every list is ordered by change time then key, for change polling.
 */
export type ListOrdering<Row> = {
  key: (row: Row) => string;
  updatedAt: (row: Row) => string;
} & ({ browse: 'key' } | { browse: 'oldest' | 'newest'; createdAt: (row: Row) => string });

/**
 * One keyset page of `rows` as the backends cut it: a cursor holds the sort values of the last
 * row returned, so rows added or changed between pages are neither skipped nor repeated.
 * A cursor that is not one of this list's is BAD_USER_INPUT on `after`.
 */
export function keysetPageOf<Row>(rows: Iterable<Row>, params: ListParams, ordering: ListOrdering<Row>): Page<Row> {
  const first = pageSize(params.first, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  const polling = params.updatedSince !== undefined;
  const time = polling ? ordering.updatedAt : ordering.browse === 'key' ? undefined : ordering.createdAt;
  const descending = !polling && ordering.browse === 'newest';
  const sortValues = (row: Row): string[] => (time ? [new Date(time(row)).toISOString(), ordering.key(row)] : [ordering.key(row)]);
  const compare = (a: string[], b: string[]): number => {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return (a[i] < b[i] ? -1 : 1) * (descending ? -1 : 1);
    return 0;
  };
  const matching = [...rows].filter((row) => !polling || Date.parse(ordering.updatedAt(row)) >= Date.parse(params.updatedSince!));
  const sorted = matching.map((row) => ({ row, position: sortValues(row) })).sort((a, b) => compare(a.position, b.position));
  const after = parseCursor(params.after, time ? 2 : 1)?.position;
  const rest = after ? sorted.filter((entry) => compare(entry.position, after) > 0) : sorted;
  const items = rest.slice(0, first);
  const last = items[items.length - 1];
  return {
    items: items.map((entry) => entry.row),
    nextCursor: rest.length > items.length && last ? encodeCursor(JSON.stringify(last.position)) : null,
    totalCount: matching.length,
  };
}

/**
 * The first answer of each idempotent write, as the backends keep them (platform/idempotency.ts):
 * the same key with the same request returns that answer without writing again, the same key with
 * another request is a CONFLICT, and a write that failed stores nothing, so its retry runs anew.
 */
export class IdempotentReplies {
  private readonly replies = new Map<string, { request: string; result: unknown }>();

  /**
   * Runs `work` unless `key` already holds an answer. `request` is what the key stands for,
   * compared as the JSON a backend would receive (absent and undefined fields alike).
   */
  run<T>(key: string | undefined, request: unknown, work: () => T): T {
    if (key === undefined) return structuredClone(work());
    if (key.length === 0 || key.length > 255) throw new AppError(ErrorCode.BAD_USER_INPUT, 'Idempotency-Key must be 1 to 255 characters');
    const fingerprint = JSON.stringify(request);
    const stored = this.replies.get(key);
    if (stored) {
      if (stored.request !== fingerprint) throw new AppError(ErrorCode.CONFLICT, 'Idempotency-Key was already used for a different request');
      return structuredClone(stored.result as T);
    }
    const result = work();
    this.replies.set(key, { request: fingerprint, result: structuredClone(result) });
    return structuredClone(result);
  }

  clear(): void {
    this.replies.clear();
  }
}

/** The fields of `input` that are not undefined: what a JSON body that omits the others would carry. */
export function definedFields<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** The next number of a series such as "K-10001" after the rows already numbered, starting at `start`. */
export function nextNumber(existing: Iterable<string>, prefix: string, start: number): number {
  let next = start;
  for (const id of existing) {
    const n = id.startsWith(prefix) ? Number(id.slice(prefix.length)) : NaN;
    if (Number.isInteger(n) && n >= next) next = n + 1;
  }
  return next;
}

/** The rows of the ids that exist, each once: what a batch read answers. */
export function found<Row>(rows: Map<string, Row>, ids: readonly string[]): Row[] {
  return copies([...new Set(ids)].flatMap((id) => rows.get(id) ?? []));
}

/** Copies of rows, as a backend's answer is: a caller changing them changes nothing stored. */
export function copies<Row>(rows: Row[]): Row[] {
  return structuredClone(rows);
}

/** A page whose rows are copies. */
export function copyPage<Row>(page: Page<Row>): Page<Row> {
  return { ...page, items: copies(page.items) };
}
