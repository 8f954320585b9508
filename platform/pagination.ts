import { AppError, ErrorCode } from './errors';

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
