import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError, ErrorCode } from './errors';
import type { ChangeEvent } from './outbox';
import { WEBHOOK_SIGNATURE_HEADER, verifyWebhook } from './webhook-signature';

/** The most events one webhook delivery carries. */
export const MAX_EVENTS_PER_DELIVERY = 500;

const changeEventSchema = z.object({
  eventId: z.string().uuid(),
  source: z.enum(['erp', 'crm']).optional(),
  entity: z.string().min(1).max(100),
  entityId: z.string().min(1).max(200),
  version: z.number().int().nonnegative(),
  action: z.enum(['created', 'updated', 'deleted']),
  occurredAt: z.string().datetime({ offset: true }),
});

const deliverySchema = z.union([z.object({ events: z.array(changeEventSchema).min(1).max(MAX_EVENTS_PER_DELIVERY) }), changeEventSchema]);

/**
 * The body of one webhook delivery: `{"events":[…]}`, oldest first. Batching is what lets a
 * backend's outbox keep up with a busy day (one signed round trip for up to a page of events
 * instead of one per event); receivers deduplicate by eventId, so a resent batch is harmless.
 */
export function encodeChangeEvents(events: readonly ChangeEvent[]): string {
  return JSON.stringify({ events });
}

/**
 * Reads a verified webhook body sent by `source`: a batch, or one bare event as older senders
 * post. Refuses anything else, and events claiming another source, with BAD_USER_INPUT.
 */
export function decodeChangeEvents(raw: string, source: 'erp' | 'crm'): ChangeEvent[] {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new AppError(ErrorCode.BAD_USER_INPUT, 'webhook body is not JSON');
  }
  const parsed = deliverySchema.safeParse(json);
  if (!parsed.success) throw new AppError(ErrorCode.BAD_USER_INPUT, `not a change event: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  const events = 'events' in parsed.data ? parsed.data.events : [parsed.data];
  for (const event of events) {
    if (event.source !== undefined && event.source !== source) {
      throw new AppError(ErrorCode.BAD_USER_INPUT, `an event from ${event.source} was sent to the ${source} webhook`);
    }
  }
  return events.map((event) => ({ ...event, source }));
}

/**
 * Registers `POST <path>` receivers of one backend's change events each: the HMAC signature is
 * checked over exactly the bytes that arrived (so the body stays a string, in this scope only),
 * a missing, forged or stale one is a 401, a body that is not a batch of that source's events a
 * 400, and `handle` gets the events in order before the 204. Add the paths to the service's open
 * routes: they prove themselves by the signature, not the service token.
 */
export async function registerChangeEventReceivers(
  app: FastifyInstance,
  secret: string,
  receivers: readonly { source: 'erp' | 'crm'; path: string; handle: (events: ChangeEvent[]) => Promise<void> }[],
): Promise<void> {
  await app.register(async (scope) => {
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    for (const { source, path, handle } of receivers) {
      scope.post(path, async (req, reply) => {
        const raw = typeof req.body === 'string' ? req.body : '';
        const signature = req.headers[WEBHOOK_SIGNATURE_HEADER];
        if (!verifyWebhook(secret, raw, Array.isArray(signature) ? signature[0] : signature)) {
          throw new AppError(ErrorCode.UNAUTHENTICATED, 'webhook signature missing, invalid or expired');
        }
        await handle(decodeChangeEvents(raw, source));
        return reply.code(204).send();
      });
    }
  });
}
