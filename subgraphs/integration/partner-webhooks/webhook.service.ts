import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import type { Database } from '../../../platform/db';
import { AppError, ErrorCode } from '../../../platform/errors';
import { SERVICE_TOKEN_HEADER } from '../../../platform/service-auth';
import { type EndpointPolicy, type Resolver, checkEndpoint } from './endpoint-policy';
import { newEndpointSecret, sealSecret } from './sealed-secret';
import { RETRY_WINDOW_MS, type PayloadRenderer } from './webhook-sender';
import { type WebhookDeliveryRow, WebhookRepository, type WebhookSubscriptionRow } from './webhook.repository';
import { isUuid } from '../../../platform/input-ids';

/** The partner events an endpoint may ask for, as the API names them and as deliveries carry them. */
export const WEBHOOK_EVENTS = { ORDER_SHIPPED: 'order.shipped', INVOICE_ISSUED: 'invoice.issued' } as const;
/** An API name of a webhook event. */
export type WebhookEventName = keyof typeof WEBHOOK_EVENTS;

/** Endpoints one customer may register. */
const MAX_ENDPOINTS = 10;

/** The partner a webhook operation runs for. */
export interface WebhookOwner {
  sub: string;
  customerId: string;
}

/** Registering, listing, pausing and deleting partner endpoints, the delivery log and replays. */
export class WebhookService {
  private readonly repository: WebhookRepository;

  constructor(private readonly deps: { db: Database; policy: EndpointPolicy; masterKey: string; resolve?: Resolver }) {
    this.repository = new WebhookRepository(deps.db);
  }

  /** Registers an endpoint; the secret is returned this once and kept only sealed. */
  async create(owner: WebhookOwner, url: string, events: readonly WebhookEventName[]): Promise<{ subscription: WebhookSubscriptionRow; secret: string }> {
    if (events.length === 0) throw new AppError(ErrorCode.BAD_USER_INPUT, 'events: name at least one event');
    const checked = await checkEndpoint(url.trim(), this.deps.policy, this.deps.resolve);
    if ((await this.repository.subscriptionsOf(owner.customerId)).length >= MAX_ENDPOINTS) {
      throw new AppError(ErrorCode.BAD_USER_INPUT, `a customer may register ${MAX_ENDPOINTS} endpoints at most`);
    }
    const secret = newEndpointSecret();
    const subscription = await this.repository.insertSubscription({
      id: randomUUID(),
      customerId: owner.customerId,
      createdBy: owner.sub,
      url: checked.toString(),
      events: [...new Set(events.map((event) => WEBHOOK_EVENTS[event]))],
      secretSealed: sealSecret(this.deps.masterKey, secret),
    });
    return { subscription, secret };
  }

  list(owner: WebhookOwner): Promise<WebhookSubscriptionRow[]> {
    return this.repository.subscriptionsOf(owner.customerId);
  }

  async setPaused(owner: WebhookOwner, id: string, paused: boolean): Promise<WebhookSubscriptionRow> {
    const updated = isUuid(id) ? await this.repository.setStatus(id, owner.customerId, paused ? 'PAUSED' : 'ACTIVE') : null;
    if (!updated) throw new AppError(ErrorCode.NOT_FOUND, `no webhook subscription ${id}`);
    return updated;
  }

  async delete(owner: WebhookOwner, id: string): Promise<boolean> {
    return isUuid(id) ? this.repository.deleteSubscription(id, owner.customerId) : false;
  }

  /** The delivery log, newest first; `after` is the cursor of the last delivery of the previous page. */
  async deliveries(owner: WebhookOwner, options: { subscriptionId?: string | null; first: number; after?: string | null }): Promise<{ nodes: WebhookDeliveryRow[]; hasNextPage: boolean; endCursor: string | null }> {
    if (options.first < 0 || options.first > 100) throw new AppError(ErrorCode.BAD_USER_INPUT, 'first must be between 0 and 100');
    if (options.subscriptionId && !isUuid(options.subscriptionId)) return { nodes: [], hasNextPage: false, endCursor: null };
    let after: { createdAt: string; id: string } | undefined;
    if (options.after) {
      try {
        after = JSON.parse(Buffer.from(options.after, 'base64url').toString('utf8'));
      } catch {
        throw new AppError(ErrorCode.BAD_USER_INPUT, 'after is not a cursor of this list');
      }
    }
    const rows = await this.repository.deliveriesOf(owner.customerId, { subscriptionId: options.subscriptionId ?? undefined, limit: options.first + 1, after });
    const nodes = rows.slice(0, options.first);
    const last = nodes[nodes.length - 1];
    return {
      nodes,
      hasNextPage: rows.length > options.first,
      endCursor: last ? Buffer.from(JSON.stringify({ createdAt: last.createdAt, id: last.id })).toString('base64url') : null,
    };
  }

  /** Sends a delivery again now with the same webhook-id (and body), retried like a new one. */
  async replay(owner: WebhookOwner, id: string): Promise<WebhookDeliveryRow> {
    const replayed = await this.repository.replay(id, owner.customerId, new Date(Date.now() + RETRY_WINDOW_MS + 3_600_000));
    if (!replayed) throw new AppError(ErrorCode.NOT_FOUND, `no webhook delivery ${id}`);
    return replayed;
  }
}

/** Renders delivery bodies through the gateway's POST /internal/webhook-payload (as the partner). */
export function gatewayPayloadRenderer(gatewayUrl: string, serviceToken: () => string): PayloadRenderer {
  return async (delivery) => {
    const response = await request(new URL('/internal/webhook-payload', gatewayUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SERVICE_TOKEN_HEADER]: serviceToken() },
      body: JSON.stringify(delivery),
      headersTimeout: 15_000,
      bodyTimeout: 15_000,
    });
    const body = (await response.body.json()) as { data?: Record<string, unknown> | null };
    if (response.statusCode !== 200) throw new Error(`the gateway answered ${response.statusCode}`);
    return body.data ?? null;
  };
}
