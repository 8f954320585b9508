import { AppError, ErrorCode } from '../../../platform/errors';
import { isPartner } from '../../../platform/subgraph-principal';
import type { IntegrationContext } from '../context';
import type { Resolvers, WebhookEventType } from '../generated/resolvers-types';
import type { WebhookDeliveryRow, WebhookSubscriptionRow } from '../partner-webhooks/webhook.repository';
import { WEBHOOK_EVENTS, type WebhookOwner, type WebhookService } from '../partner-webhooks/webhook.service';

const EVENT_NAMES = Object.fromEntries(Object.entries(WEBHOOK_EVENTS).map(([name, type]) => [type, name])) as Record<string, WebhookEventType>;

// Webhooks belong to a partner's customer; the field rules admit partners only, this names the customer.
function ownerOf(ctx: IntegrationContext): { service: WebhookService; owner: WebhookOwner } {
  if (!ctx.webhooks) throw new AppError(ErrorCode.NOT_IMPLEMENTED, 'partner webhooks are not configured');
  if (!isPartner(ctx.principal) || !ctx.principal.customerId) throw new AppError(ErrorCode.FORBIDDEN, 'webhook subscriptions belong to a partner token');
  return { service: ctx.webhooks, owner: { sub: ctx.principal.sub, customerId: ctx.principal.customerId } };
}

const toSubscription = (row: WebhookSubscriptionRow) => ({ id: row.id, url: row.url, events: row.events.map((type) => EVENT_NAMES[type]), status: row.status, createdAt: row.createdAt });
const toDelivery = (row: WebhookDeliveryRow) => ({
  id: row.id,
  subscriptionId: row.subscriptionId,
  eventType: EVENT_NAMES[row.eventType],
  status: row.status,
  attempts: row.attempts,
  lastResponseCode: row.lastResponseCode,
  lastError: row.lastError,
  nextAttemptAt: row.status === 'PENDING' ? row.nextAttemptAt : null,
  createdAt: row.createdAt,
  deliveredAt: row.deliveredAt,
});

/** Partner webhook endpoints, their delivery log and replays (partner-webhooks/). */
export const webhookResolvers: Resolvers = {
  Query: {
    webhookSubscriptions: async (_parent, _args, ctx) => {
      const { service, owner } = ownerOf(ctx);
      return (await service.list(owner)).map(toSubscription);
    },
    webhookDeliveries: async (_parent, { subscriptionId, first, after }, ctx) => {
      const { service, owner } = ownerOf(ctx);
      const page = await service.deliveries(owner, { subscriptionId, first: first ?? 20, after });
      return { nodes: page.nodes.map(toDelivery), pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor } };
    },
  },
  Mutation: {
    createWebhookSubscription: async (_parent, { url, events }, ctx) => {
      const { service, owner } = ownerOf(ctx);
      const created = await service.create(owner, url, events);
      return { subscription: toSubscription(created.subscription), secret: created.secret };
    },
    pauseWebhookSubscription: async (_parent, { id }, ctx) => {
      const { service, owner } = ownerOf(ctx);
      return toSubscription(await service.setPaused(owner, id, true));
    },
    resumeWebhookSubscription: async (_parent, { id }, ctx) => {
      const { service, owner } = ownerOf(ctx);
      return toSubscription(await service.setPaused(owner, id, false));
    },
    deleteWebhookSubscription: async (_parent, { id }, ctx) => {
      const { service, owner } = ownerOf(ctx);
      return service.delete(owner, id);
    },
    replayWebhookDelivery: async (_parent, { id }, ctx) => {
      const { service, owner } = ownerOf(ctx);
      return toDelivery(await service.replay(owner, id));
    },
  },
};
