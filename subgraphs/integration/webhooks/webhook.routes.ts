import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError, ErrorCode } from '../../../platform/errors';
import type { Logger } from '../../../platform/logger';
import type { ChangeEvent } from '../../../platform/outbox';
import { WEBHOOK_SIGNATURE_HEADER, verifyWebhook } from '../../../platform/webhook-signature';
import type { ChangeEventBus } from './change-event-bus';
import type { ReceivedEventRepository } from './received-event.repository';

/** The webhook paths; they are open to the service-token guard and check their own signature. */
export const WEBHOOK_ROUTES = { erp: '/webhooks/erp', crm: '/webhooks/crm' } as const;

const changeEventSchema = z.object({
  eventId: z.string().uuid(),
  source: z.enum(['erp', 'crm']).optional(),
  entity: z.string().min(1).max(100),
  entityId: z.string().min(1).max(200),
  version: z.number().int().nonnegative(),
  action: z.enum(['created', 'updated', 'deleted']),
  occurredAt: z.string().datetime({ offset: true }),
});

/**
 * Receives the backends' change events: verifies the HMAC signature over exactly the bytes that
 * arrived (so the body is kept as a string, never re-serialised), records each event once by its
 * id, hands new ones to the event bus, and answers 204, also for a redelivery, so the sender's
 * outbox moves on.
 */
export async function registerWebhookRoutes(app: FastifyInstance, deps: { secret: string; events: ReceivedEventRepository; bus: ChangeEventBus; logger: Logger }): Promise<void> {
  await app.register(async (scope) => {
    // Only in this scope: the GraphQL route keeps Fastify's JSON parser.
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    for (const source of ['erp', 'crm'] as const) {
      scope.post(WEBHOOK_ROUTES[source], async (req, reply) => {
        const raw = typeof req.body === 'string' ? req.body : '';
        const signature = req.headers[WEBHOOK_SIGNATURE_HEADER];
        if (!verifyWebhook(deps.secret, raw, Array.isArray(signature) ? signature[0] : signature)) {
          throw new AppError(ErrorCode.UNAUTHENTICATED, 'webhook signature missing, invalid or expired');
        }
        const event = parseEvent(raw, source);
        const fresh = await deps.events.record(event);
        deps.logger.debug({ source, entity: event.entity, entityId: event.entityId, version: event.version, fresh }, 'change event received');
        // A redelivery was already handed on the first time it arrived.
        if (fresh) await deps.bus.publish(event);
        return reply.code(204).send();
      });
    }
  });
}

function parseEvent(raw: string, source: 'erp' | 'crm'): ChangeEvent {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new AppError(ErrorCode.BAD_USER_INPUT, 'webhook body is not JSON');
  }
  const parsed = changeEventSchema.safeParse(json);
  if (!parsed.success) throw new AppError(ErrorCode.BAD_USER_INPUT, `not a change event: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  if (parsed.data.source !== undefined && parsed.data.source !== source) {
    throw new AppError(ErrorCode.BAD_USER_INPUT, `an event from ${parsed.data.source} was sent to the ${source} webhook`);
  }
  return { ...parsed.data, source };
}
