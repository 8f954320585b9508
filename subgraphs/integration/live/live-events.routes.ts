import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError, ErrorCode } from '../../../platform/errors';
import { LIVE_EVENT_TYPES } from '../../../platform/live-event';
import type { LiveEventFeed } from './live-event-feed';

/** The event feed's path; like every internal route it requires the service credential. */
export const LIVE_EVENTS_ROUTE = '/internal/live-events';
/** Longest a reader may wait for new events in one request. */
const MAX_WAIT_MS = 25_000;

const querySchema = z.object({
  after: z.string().regex(/^\d{1,19}$/).default('0'),
  waitMs: z.coerce.number().int().min(0).max(MAX_WAIT_MS).default(0),
  types: z
    .string()
    .optional()
    .transform((value) => (value ? value.split(',') : undefined))
    .pipe(z.array(z.enum(LIVE_EVENT_TYPES)).optional()),
  key: z.string().max(200).optional(),
  customerId: z.string().max(200).optional(),
});

/**
 * GET /internal/live-events?after=ID&waitMs=N[&types=a,b&key=K&customerId=C]: the released events
 * after ID, oldest first (a page of up to 500), waiting up to N ms when there are none yet. The
 * gateways follow the bus through it when Redis is not configured, and every gateway reads what a
 * resuming subscriber missed from it.
 */
export function registerLiveEventRoutes(app: FastifyInstance, feed: LiveEventFeed): void {
  app.get(LIVE_EVENTS_ROUTE, async (req) => {
    const parsed = querySchema.safeParse(req.query);
    if (!parsed.success) throw new AppError(ErrorCode.BAD_USER_INPUT, `bad live event query: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
    const { after, waitMs, ...filter } = parsed.data;
    return feed.page(after, waitMs, filter);
  });
}
