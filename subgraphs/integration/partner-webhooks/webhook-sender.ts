import { createHmac } from 'node:crypto';
import { isIP } from 'node:net';
import { Agent, request } from 'undici';
import type { Database } from '../../../platform/db';
import { isAppError } from '../../../platform/errors';
import type { Logger } from '../../../platform/logger';
import { WEBHOOK_EVENT_TYPES } from '../../../platform/live-event';
import type { LiveEventFeed } from '../live/live-event-feed';
import { type EndpointPolicy, type Resolver, checkEndpoint, systemResolver } from './endpoint-policy';
import { openSecret } from './sealed-secret';
import { type ClaimedDelivery, WebhookRepository } from './webhook.repository';

/**
 * Waits before each retry after a failed attempt (Standard Webhooks' suggested schedule): 5 s,
 * 5 min, 30 min, 2 h, 5 h, 10 h, 10 h; over a day in all. A delivery not through by then (or by
 * its give-up time) is FAILED and can be replayed.
 */
export const RETRY_SCHEDULE_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];
/** How long a delivery is retried: the whole schedule. */
export const RETRY_WINDOW_MS = RETRY_SCHEDULE_MS.reduce((sum, ms) => sum + ms, 0);

/** Renders a delivery's body through the supergraph as the partner; null when the partner may not see the entity. */
export type PayloadRenderer = (delivery: { eventType: string; entityKey: string; customerId: string; subscriptionId: string }) => Promise<Record<string, unknown> | null>;

/** What the sender needs. */
export interface WebhookSenderOptions {
  db: Database;
  feed: LiveEventFeed;
  logger: Logger;
  render: PayloadRenderer;
  policy: EndpointPolicy;
  /** Key the endpoint secrets are sealed under. */
  masterKey: string;
  resolve?: Resolver;
  /** Poll interval for due deliveries; default 1000 ms. */
  intervalMs?: number;
  /** Waits between attempts; default RETRY_SCHEDULE_MS (tests shorten it). */
  retryScheduleMs?: number[];
  /** Per-attempt timeout; default 10 s. */
  timeoutMs?: number;
}

/** The Standard Webhooks signature of a body: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` under the whsec_ secret. */
export function signDelivery(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}

/**
 * Turns released live events into deliveries for the endpoints that asked for them and sends
 * what is due: the body rendered once through the gateway as the partner, signed per attempt
 * (webhook-id, webhook-timestamp, webhook-signature), to the address the endpoint's host resolves
 * to at that moment and passes the policy (the connection goes to exactly that checked address,
 * so a name re-pointed between check and connect cannot reach an internal host). Several
 * integration replicas share the work: claims are leases taken with SKIP LOCKED.
 */
export class WebhookSender {
  private readonly repository: WebhookRepository;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly options: WebhookSenderOptions) {
    this.repository = new WebhookRepository(options.db);
  }

  /** Starts fanning out and sending. */
  start(): void {
    this.stopped = false;
    this.unsubscribe = this.options.feed.onRelease(() => this.kick());
    this.timer = setInterval(() => this.kick(), this.options.intervalMs ?? 1000);
    this.kick();
  }

  /** Stops and waits for the round in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One round: fan out released events, then send what is due (tests call it directly). */
  kick(): Promise<void> {
    if (this.stopped && this.timer !== null) return Promise.resolve();
    this.running ??= this.round()
      .catch((error: unknown) => this.options.logger.warn({ err: error }, 'partner webhook round failed'))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  private async round(): Promise<void> {
    await this.repository.fanOut(WEBHOOK_EVENT_TYPES, this.options.feed.released, RETRY_WINDOW_MS + 3_600_000);
    for (;;) {
      const due = await this.repository.claimDue(20, (this.options.timeoutMs ?? 10_000) * 3);
      if (due.length === 0) return;
      await Promise.all(due.map((delivery) => this.send(delivery)));
      if (this.stopped) return;
    }
  }

  private async send(delivery: ClaimedDelivery): Promise<void> {
    const schedule = this.options.retryScheduleMs ?? RETRY_SCHEDULE_MS;
    const retryOrFail = async (responseCode: number | null, error: string) => {
      const wait = schedule[Math.min(delivery.attempts, schedule.length - 1)];
      const next = new Date(Date.now() + wait);
      const givingUp = delivery.attempts + 1 > schedule.length || next.getTime() > new Date(delivery.giveUpAt).getTime();
      await this.repository.recordAttempt(delivery.id, { status: givingUp ? 'FAILED' : 'PENDING', responseCode, error, nextAttemptAt: givingUp ? null : next });
    };
    let body = delivery.body;
    if (body === null) {
      let data: Record<string, unknown> | null;
      try {
        data = await this.options.render(delivery);
      } catch (error) {
        await retryOrFail(null, `payload could not be rendered: ${(error as Error).message}`);
        return;
      }
      if (data === null) {
        // The partner may not read the entity (any more): nothing is sent.
        await this.repository.recordAttempt(delivery.id, { status: 'FAILED', responseCode: null, error: 'the entity is not visible to the partner', nextAttemptAt: null });
        return;
      }
      body = JSON.stringify({ type: delivery.eventType, timestamp: delivery.createdAt, data });
      await this.repository.saveBody(delivery.id, body);
    }
    let target: { url: URL; address: string };
    try {
      target = await this.pinned(delivery.url);
    } catch (error) {
      const message = isAppError(error) ? error.message : 'the endpoint could not be checked';
      await this.repository.recordAttempt(delivery.id, { status: 'FAILED', responseCode: null, error: `endpoint refused at delivery: ${message}`, nextAttemptAt: null });
      return;
    }
    const secret = openSecret(this.options.masterKey, delivery.secretSealed);
    const timestamp = Math.floor(Date.now() / 1000);
    const dispatcher = new Agent({
      connect: {
        lookup: (_host, _options, callback) => callback(null, [{ address: target.address, family: isIP(target.address) }] as never, undefined as never),
      },
    });
    try {
      const response = await request(target.url, {
        method: 'POST',
        dispatcher,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'erp-crm-supergraph-webhooks',
          'webhook-id': delivery.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signDelivery(secret, delivery.id, timestamp, body),
        },
        body,
        headersTimeout: this.options.timeoutMs ?? 10_000,
        bodyTimeout: this.options.timeoutMs ?? 10_000,
      });
      await response.body.dump();
      if (response.statusCode >= 200 && response.statusCode < 300) {
        await this.repository.recordAttempt(delivery.id, { status: 'DELIVERED', responseCode: response.statusCode, error: null, nextAttemptAt: null });
      } else {
        await retryOrFail(response.statusCode, `the endpoint answered ${response.statusCode}`);
      }
    } catch (error) {
      await retryOrFail(null, `the endpoint could not be reached: ${(error as { code?: string }).code ?? (error as Error).message}`);
    } finally {
      await dispatcher.close().catch(() => undefined);
    }
  }

  // Checks the endpoint as it resolves now and returns the one address the connection may use.
  private async pinned(raw: string): Promise<{ url: URL; address: string }> {
    const resolve = this.options.resolve ?? systemResolver;
    let addresses: string[] = [];
    const recording: Resolver = async (host) => (addresses = await resolve(host));
    const url = await checkEndpoint(raw, this.options.policy, recording);
    return { url, address: addresses[0] };
  }
}
