import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Database, Queryable } from './db';
import { AppError, ErrorCode } from './errors';
import { withBatchedChanges } from './outbox';

/** Header set on an answer replayed from an earlier call with the same Idempotency-Key. */
export const REPLAYED_HEADER = 'idempotent-replayed';

/** The table a backend needs for idempotent writes (put it in one of its migrations). */
export const IDEMPOTENCY_TABLE_SQL = `
CREATE TABLE IF NOT EXISTS idempotency_keys (
  key text PRIMARY KEY,
  request_hash text NOT NULL,
  status integer,
  response jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);`;

/** What a write produced: replayed verbatim for the same key. */
export interface StoredResponse<T = unknown> {
  status: number;
  body: T;
  /** True when this answer is a replay of an earlier call. */
  replayed: boolean;
}

/** Hashes what identifies a request: method, route and body. */
export function requestHash(method: string, route: string, body: unknown): string {
  return createHash('sha256').update(`${method} ${route}\n${JSON.stringify(body ?? null)}`).digest('hex');
}

/**
 * Runs `work` at most once per key. The key row is inserted in the same transaction as the write,
 * so a crash leaves either both or neither. A concurrent call with the same key waits on the row
 * lock and then replays the stored answer; the same key with another request is a CONFLICT.
 * Without a key, `work` simply runs in a transaction.
 */
export async function runIdempotent<T>(
  db: Database,
  key: string | undefined,
  hash: string,
  work: (tx: Queryable) => Promise<{ status: number; body: T }>,
): Promise<StoredResponse<T>> {
  if (key !== undefined && (key.length === 0 || key.length > 255)) {
    throw new AppError(ErrorCode.BAD_USER_INPUT, 'Idempotency-Key must be 1 to 255 characters');
  }
  return db.transaction(async (tx) => {
    if (key === undefined) return { ...(await work(tx)), replayed: false };
    const inserted = await tx.query('INSERT INTO idempotency_keys (key, request_hash) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING key', [key, hash]);
    if (inserted.rows.length === 0) {
      const stored = await tx.query<{ request_hash: string; status: number; response: T }>(
        'SELECT request_hash, status, response FROM idempotency_keys WHERE key = $1',
        [key],
      );
      const row = stored.rows[0];
      if (row.request_hash !== hash) {
        throw new AppError(ErrorCode.CONFLICT, 'Idempotency-Key was already used for a different request');
      }
      return { status: row.status, body: row.response, replayed: true };
    }
    const result = await work(tx);
    await tx.query('UPDATE idempotency_keys SET status = $2, response = $3 WHERE key = $1', [key, result.status, JSON.stringify(result.body)]);
    return { ...result, replayed: false };
  });
}

/** Longest idempotencyKey a client may send. */
export const MAX_CLIENT_KEY_LENGTH = 200;

/**
 * The backend Idempotency-Key for a client's `idempotencyKey` on one API operation, or undefined
 * without one. Scoped to the caller (the token's subject) and the operation, and hashed so the
 * backend key has a fixed length: two users who pick the same key never share an answer, and a
 * key reused for another operation is another key. The backend stores the first answer under it
 * (runIdempotent) and refuses the same key with a different request as a CONFLICT.
 */
export function callerScopedKey(operation: string, callerSub: string | null | undefined, idempotencyKey: string | null | undefined, field = 'idempotencyKey'): string | undefined {
  if (idempotencyKey === undefined || idempotencyKey === null) return undefined;
  const key = idempotencyKey.trim();
  if (key.length === 0 || key.length > MAX_CLIENT_KEY_LENGTH) {
    throw new AppError(ErrorCode.BAD_USER_INPUT, `${field} must be 1 to ${MAX_CLIENT_KEY_LENGTH} characters`, { field });
  }
  const scoped = createHash('sha256').update(JSON.stringify([callerSub ?? '', operation, key])).digest('base64url');
  return `api:${operation}:${scoped}`;
}

/**
 * Records that `key` stands for the request hashed as `hash`, for a write made of several
 * backend calls that each replay under keys derived from it (so no answer is stored here). The
 * same key with the same request passes, and its calls replay; with another request it is a
 * CONFLICT before anything is written.
 */
export async function claimIdempotencyKey(db: Queryable, key: string, hash: string): Promise<void> {
  await db.query('INSERT INTO idempotency_keys (key, request_hash) VALUES ($1, $2) ON CONFLICT DO NOTHING', [key, hash]);
  const stored = await db.query<{ request_hash: string }>('SELECT request_hash FROM idempotency_keys WHERE key = $1', [key]);
  if (stored.rows[0]?.request_hash !== hash) {
    throw new AppError(ErrorCode.CONFLICT, 'idempotencyKey was already used for a different request', { field: 'idempotencyKey' });
  }
}

/**
 * The one way a backend route writes: in one transaction under the request's `Idempotency-Key`
 * (if any), with the change events it records. The first call's status and body are stored with
 * the change and replayed for a retry (marked `idempotent-replayed`); the same key with another
 * method, path or body is refused with CONFLICT, and a key given twice with BAD_USER_INPUT.
 */
export async function idempotentWrite<T>(db: Database, req: FastifyRequest, reply: FastifyReply, status: number, work: (tx: Queryable) => Promise<T>): Promise<FastifyReply> {
  const header = req.headers['idempotency-key'];
  if (Array.isArray(header)) throw new AppError(ErrorCode.BAD_USER_INPUT, 'Idempotency-Key may be given once', { field: 'Idempotency-Key' });
  const path = req.url.split('?', 1)[0];
  const result = await runIdempotent(db, header, requestHash(req.method, path, req.body), async (tx) => ({ status, body: await withBatchedChanges(tx, work) }));
  if (result.replayed) reply.header(REPLAYED_HEADER, 'true');
  return reply.code(result.status).send(result.body);
}
