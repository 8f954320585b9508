import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Database, Queryable } from '../../../platform/db';
import { AppError, ErrorCode } from '../../../platform/errors';
import { requestHash, runIdempotent } from '../../../platform/idempotency';
import { withBatchedChanges } from '../../../platform/outbox';

/** Header set on an answer replayed from an earlier call with the same Idempotency-Key. */
export const REPLAYED_HEADER = 'idempotent-replayed';

/**
 * Runs a write in one transaction under the request's `Idempotency-Key` (if any) and sends its
 * answer: the first call's status and body are stored with the change and replayed for a retry.
 */
export async function idempotentWrite<T>(db: Database, req: FastifyRequest, reply: FastifyReply, status: number, work: (tx: Queryable) => Promise<T>): Promise<FastifyReply> {
  const header = req.headers['idempotency-key'];
  if (Array.isArray(header)) throw new AppError(ErrorCode.BAD_USER_INPUT, 'Idempotency-Key may be given once', { field: 'Idempotency-Key' });
  const path = req.url.split('?', 1)[0];
  const result = await runIdempotent(db, header, requestHash(req.method, path, req.body), async (tx) => ({ status, body: await withBatchedChanges(tx, work) }));
  if (result.replayed) reply.header(REPLAYED_HEADER, 'true');
  return reply.code(result.status).send(result.body);
}
