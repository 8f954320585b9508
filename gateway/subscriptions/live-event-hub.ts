import Redis from 'ioredis';
import { request } from 'undici';
import type { Logger } from '../../platform/logger';
import { type LiveEvent, type LiveEventPage, type LiveEventType, compareEventIds, liveEventChannel } from '../../platform/live-event';
import { SERVICE_TOKEN_HEADER } from '../../platform/service-auth';

/** What the hub follows. */
export interface LiveEventHubOptions {
  /** Base URL of the integration (its GET /internal/live-events feed). */
  integrationUrl: string;
  serviceToken: () => string;
  logger: Logger;
  /** When set, new events arrive by Redis pub/sub and the feed only fills gaps; else the feed is long-polled. */
  redisUrl?: string;
  /** REDIS_KEY_PREFIX of the stack, before the channel's name; default none. */
  redisKeyPrefix?: string;
  /** Longest wait of one long-poll; default 20 s. */
  longPollMs?: number;
}

/** Narrows a replay of the log. */
export interface ReplayFilter {
  types: readonly LiveEventType[];
  key?: string;
}

/** Called with each batch of new events, in id order, each event once. */
export type HubListener = (events: readonly LiveEvent[]) => void;

// Larger than any id: asks the feed for its position without reading events.
const AFTER_EVERYTHING = '9223372036854775807';
const SAFETY_POLL_MS = 5000;

/**
 * The gateway's side of the live event bus: follows the integration's released events (Redis
 * pub/sub when configured, else a long-poll of its feed, both carrying the integration's ids) and
 * hands each new event once, in order, to the subscriptions of this gateway. Every gateway
 * instance follows the whole bus, so a subscriber on any of them sees every event; a batch that
 * does not continue from the last id seen (a lost Redis message) is filled from the feed first.
 */
export class LiveEventHub {
  private position: string | null = null;
  private readonly listeners = new Set<HubListener>();
  private redis: Redis | null = null;
  private stopped = false;
  private chain: Promise<void> = Promise.resolve();
  private loop: Promise<void> | null = null;
  private safetyTimer: NodeJS.Timeout | null = null;
  private readonly abort = new AbortController();

  constructor(private readonly options: LiveEventHubOptions) {}

  /** The id of the newest event handed on (null until the feed answered once). */
  get lastId(): string | null {
    return this.position;
  }

  /** Starts following; resolves once the position is known (retries while the integration is away). */
  async start(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        this.position = (await this.page(AFTER_EVERYTHING, 0)).releasedId;
        break;
      } catch (error) {
        if (this.stopped) return;
        // The integration usually starts at the same time; say so once, then every minute or so.
        if (attempt % 60 === 10) this.options.logger.warn({ err: error }, 'live event feed not reachable yet; subscriptions are refused until it is');
        await delay(1000);
      }
    }
    if (this.options.redisUrl) {
      this.redis = new Redis(this.options.redisUrl, { maxRetriesPerRequest: null });
      this.redis.on('error', () => {
        // ioredis reconnects by itself; the safety poll catches up meanwhile.
      });
      this.redis.on('message', (_channel: string, message: string) => {
        let parsed: { previousId: string; events: LiveEvent[] };
        try {
          parsed = JSON.parse(message);
        } catch {
          return;
        }
        this.serialized(() => this.accept(parsed.previousId, parsed.events));
      });
      await this.redis.subscribe(liveEventChannel(this.options.redisKeyPrefix ?? ''));
      this.safetyTimer = setInterval(() => this.serialized(() => this.catchUp()), SAFETY_POLL_MS);
      // Events released between reading the position and subscribing.
      this.serialized(() => this.catchUp());
    } else {
      this.loop = this.longPoll();
    }
  }

  /** Calls `listener` with every new batch; returns the unsubscribe. */
  subscribe(listener: HubListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Number of listeners (one per open subscription). */
  get size(): number {
    return this.listeners.size;
  }

  /**
   * The kept events after `after` up to `upTo` that match `filter`, oldest first, read from the
   * integration's log (what a resuming subscriber missed).
   */
  async replay(after: string, upTo: string, filter: ReplayFilter): Promise<LiveEvent[]> {
    const events: LiveEvent[] = [];
    let cursor = after;
    while (compareEventIds(cursor, upTo) < 0) {
      const page = await this.page(cursor, 0, filter);
      const inRange = page.events.filter((event) => compareEventIds(event.id, upTo) <= 0);
      events.push(...inRange);
      if (page.events.length < 500 || inRange.length < page.events.length) break;
      cursor = page.events[page.events.length - 1].id;
    }
    return events;
  }

  /** Stops following. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    if (this.safetyTimer) clearInterval(this.safetyTimer);
    await this.redis?.quit().catch(() => undefined);
    await this.loop?.catch(() => undefined);
    this.listeners.clear();
  }

  private serialized(work: () => Promise<void> | void): void {
    this.chain = this.chain.then(work).catch((error: unknown) => {
      if (!this.stopped) this.options.logger.warn({ err: error }, 'live events could not be followed; catching up at the next poll');
    });
  }

  private async accept(previousId: string, events: readonly LiveEvent[]): Promise<void> {
    if (this.position === null) return;
    // A batch that starts after a gap: read what was skipped (and this batch) from the feed instead.
    if (compareEventIds(previousId, this.position) > 0) return this.catchUp();
    this.emit(events);
  }

  private async catchUp(): Promise<void> {
    for (;;) {
      if (this.stopped || this.position === null) return;
      const page = await this.page(this.position, 0);
      this.emit(page.events);
      if (page.events.length < 500) return;
    }
  }

  private async longPoll(): Promise<void> {
    while (!this.stopped) {
      try {
        const page = await this.page(this.position ?? '0', this.options.longPollMs ?? 20_000);
        await new Promise<void>((resolve) => this.serialized(() => resolve(this.emit(page.events))));
      } catch (error) {
        if (this.stopped) return;
        this.options.logger.warn({ err: error }, 'live event feed failed; retrying');
        await delay(1000);
      }
    }
  }

  // Hands on the events newer than the position, each once.
  private emit(events: readonly LiveEvent[]): void {
    const fresh = this.position === null ? events : events.filter((event) => compareEventIds(event.id, this.position as string) > 0);
    if (fresh.length === 0) return;
    this.position = fresh[fresh.length - 1].id;
    for (const listener of this.listeners) {
      try {
        listener(fresh);
      } catch (error) {
        this.options.logger.warn({ err: error }, 'live subscription failed to take an event');
      }
    }
  }

  private async page(after: string, waitMs: number, filter?: ReplayFilter): Promise<LiveEventPage> {
    const url = new URL('/internal/live-events', this.options.integrationUrl);
    url.searchParams.set('after', after);
    url.searchParams.set('waitMs', String(waitMs));
    if (filter) {
      url.searchParams.set('types', filter.types.join(','));
      if (filter.key !== undefined) url.searchParams.set('key', filter.key);
    }
    const response = await request(url, {
      headers: { [SERVICE_TOKEN_HEADER]: this.options.serviceToken() },
      headersTimeout: waitMs + 10_000,
      bodyTimeout: waitMs + 10_000,
      signal: this.abort.signal,
    });
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw new Error(`live event feed answered ${response.statusCode}`);
    }
    return (await response.body.json()) as LiveEventPage;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
