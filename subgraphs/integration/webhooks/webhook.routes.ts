import type { FastifyInstance } from 'fastify';
import { registerChangeEventReceivers } from '../../../platform/change-event-wire';
import type { Logger } from '../../../platform/logger';
import type { ChangeEventBus } from './change-event-bus';
import type { ReceivedEventRepository } from './received-event.repository';

/** The webhook paths; they are open to the service-token guard and check their own signature. */
export const WEBHOOK_ROUTES = { erp: '/webhooks/erp', crm: '/webhooks/crm' } as const;

/**
 * Receives the backends' change events: verifies the HMAC signature over exactly the bytes that
 * arrived (so the body is kept as a string, never re-serialised), records each event of the batch
 * once by its id, hands the new ones to the event bus in order, and answers 204, also for a redelivery, so the sender's
 * outbox moves on.
 */
export async function registerWebhookRoutes(app: FastifyInstance, deps: { secret: string; events: ReceivedEventRepository; bus: ChangeEventBus; logger: Logger }): Promise<void> {
  await registerChangeEventReceivers(
    app,
    deps.secret,
    (['erp', 'crm'] as const).map((source) => ({
      source,
      path: WEBHOOK_ROUTES[source],
      handle: async (events) => {
        const fresh = await deps.events.recordNew(events);
        deps.logger.debug({ source, received: events.length, fresh: fresh.length }, 'change events received');
        // A redelivered event was already handed on the first time it arrived.
        if (fresh.length > 0) await deps.bus.publish(fresh);
      },
    })),
  );
}
