import { z } from 'zod';
import { AppError, ErrorCode } from './errors';
import type { ChangeEvent } from './outbox';

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
