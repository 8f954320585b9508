import type { FastifyInstance } from 'fastify';
import { AppError, ErrorCode } from '../../../platform/errors';
import type { FullResync } from './full-resync';

/** The admin paths of the full resync; the service-token guard protects them like every route. */
export const RESYNC_ROUTES = { start: '/admin/resync', status: '/admin/resync/status' } as const;

/**
 * Lets `npm run sync -- --full` drive the resync in the running service (which holds the
 * integration database): POST starts a run or resumes the unfinished one and answers 202 with
 * its status; GET answers the newest run's status, 404 when none ever ran.
 */
export function registerResyncRoutes(app: FastifyInstance, resync: FullResync): void {
  app.post(RESYNC_ROUTES.start, async (_req, reply) => reply.code(202).send({ run: await resync.start() }));
  app.get(RESYNC_ROUTES.status, async () => {
    const run = await resync.latest();
    if (!run) throw new AppError(ErrorCode.NOT_FOUND, 'no full resync has run yet');
    return { run };
  });
}
