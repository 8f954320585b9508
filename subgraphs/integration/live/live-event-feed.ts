import Redis from 'ioredis';
import type { Logger } from '../../../platform/logger';
import { type LiveEvent, type LiveEventPage, compareEventIds, liveEventChannel } from '../../../platform/live-event';
import type { LiveEventFilter, LiveEventRepository } from './live-event.repository';

/** Tuning of the feed (config.ts LIVE_EVENT_* settings). */
export interface LiveEventFeedOptions {
  repository: LiveEventRepository;
  logger: Logger;
  /** How often the log is read for new events; default 50 ms. */
  pollMs?: number;
  /**
   * How long a hole in the ids is waited for before the events after it are released anyway; default
   * 2000 ms. Two transactions can commit in the other order than they took their ids: releasing 8
   * while 7 is still uncommitted would make every reader that moved past 8 miss 7 for ever. A hole
   * that stays is a rolled-back transaction's id, never an event.
   */
  gapWaitMs?: number;
  /** How long events are kept; default 24 hours. */
  retentionMs?: number;
  /** Redis to publish released events on, for gateways that follow the bus there; default none. */
  redisUrl?: string;
  /** REDIS_KEY_PREFIX of the stack, before the channel's name; default none. */
  redisKeyPrefix?: string;
  /**
   * The database's change count when only this process writes it (PGlite, Database.changes): while
   * it stands still the log is read every idleReadMs instead of every pollMs.
   */
  changes?: () => number;
  /** With `changes`: the longest the log goes unread while nothing seems to change; default 1000 ms. */
  idleReadMs?: number;
}

/** Called with every released batch, in id order, and the id the batch continues from. */
export type ReleaseListener = (events: readonly LiveEvent[], previousId: string) => void;

const PAGE = 500;

/**
 * Releases the events of `live_events` in id order, once every lower id is committed (or known
 * never to be), and hands them on: to long-polling readers of GET /internal/live-events (the
 * gateways without Redis), to Redis pub/sub when configured, and to in-process listeners (partner
 * webhooks). The log in the database is the truth; a reader that was away reads what it missed from
 * there, within the retention window.
 */
export class LiveEventFeed {
  private releasedId = '0';
  private holeSince: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private pruneTimer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  /** The change count the last complete read started at; -1 until then (or while more may wait). */
  private readAtChanges = -1;
  private readAt = 0;
  private readonly listeners = new Set<ReleaseListener>();
  // Long-polling readers; stop() answers them at once so a closing server does not wait on them.
  private readonly waiters = new Set<() => void>();
  private readonly redis: Redis | null;
  private readonly pollMs: number;
  private readonly gapWaitMs: number;
  readonly retentionMs: number;

  constructor(private readonly options: LiveEventFeedOptions) {
    this.pollMs = options.pollMs ?? 50;
    this.gapWaitMs = options.gapWaitMs ?? 2000;
    this.retentionMs = options.retentionMs ?? 24 * 3600_000;
    this.redis = options.redisUrl ? new Redis(options.redisUrl, { maxRetriesPerRequest: 2 }) : null;
    this.redis?.on('error', () => {
      // ioredis reconnects by itself; readers catch up from the log.
    });
  }

  /** Takes the newest committed id as released and starts reading; events before it are history. */
  async start(): Promise<void> {
    this.releasedId = await this.options.repository.latestId();
    this.timer = setInterval(() => void this.tick(), this.pollMs);
    this.pruneTimer = setInterval(() => {
      this.options.repository.prune(this.retentionMs).catch((error: unknown) => this.options.logger.warn({ err: error }, 'could not prune live events'));
    }, 60_000);
    this.pruneTimer.unref();
  }

  /** The newest released id. */
  get released(): string {
    return this.releasedId;
  }

  /** Calls `listener` with every batch released from now on; returns the unsubscribe. */
  onRelease(listener: ReleaseListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads the log once and releases what is ready; resolves when done (tests call it directly). */
  tick(): Promise<void> {
    this.ticking ??= this.readOnce().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  /**
   * Events after `after` that are released, up to a page: at once when there are any, else the next
   * ones released within `waitMs` (none when nothing happens).
   */
  async page(after: string, waitMs: number, filter: LiveEventFilter = {}): Promise<LiveEventPage> {
    const read = async (): Promise<LiveEventPage> => ({
      events: compareEventIds(after, this.releasedId) < 0 ? await this.options.repository.readAfter(after, PAGE, this.releasedId, filter) : [],
      releasedId: this.releasedId,
      oldestId: await this.options.repository.oldestId(),
    });
    const now = await read();
    if (now.events.length > 0 || waitMs <= 0 || compareEventIds(after, this.releasedId) < 0) return now;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timeout);
        this.waiters.delete(done);
        resolve();
      };
      const timeout = setTimeout(done, waitMs);
      this.waiters.add(done);
    });
    return read();
  }

  /** Stops reading and closes Redis. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.timer = null;
    for (const waiter of [...this.waiters]) waiter();
    await this.ticking;
    await this.redis?.quit().catch(() => undefined);
  }

  private async readOnce(): Promise<void> {
    const changes = this.options.changes?.();
    // Nothing was written since a read that left no hole and no full page: most likely nothing new
    // to read. "Most likely": a writing CTE may report no change, hence a read every idleReadMs.
    if (changes !== undefined && changes === this.readAtChanges && this.holeSince === null && Date.now() - this.readAt < (this.options.idleReadMs ?? 1000)) return;
    this.readAt = Date.now();
    let rows: LiveEvent[];
    try {
      rows = await this.options.repository.readAfter(this.releasedId, PAGE);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'could not read live events');
      return;
    }
    this.readAtChanges = changes === undefined || rows.length === PAGE ? -1 : changes;
    if (rows.length === 0) return;
    const released: LiveEvent[] = [];
    let expected = BigInt(this.releasedId) + 1n;
    for (const event of rows) {
      if (BigInt(event.id) !== expected) {
        this.holeSince ??= Date.now();
        if (Date.now() - this.holeSince < this.gapWaitMs) break;
      }
      this.holeSince = null;
      released.push(event);
      expected = BigInt(event.id) + 1n;
    }
    if (released.length === 0) return;
    const previousId = this.releasedId;
    this.releasedId = released[released.length - 1].id;
    for (const waiter of [...this.waiters]) waiter();
    for (const listener of this.listeners) {
      try {
        listener(released, previousId);
      } catch (error) {
        this.options.logger.warn({ err: error }, 'live event listener failed');
      }
    }
    if (this.redis) {
      this.redis.publish(liveEventChannel(this.options.redisKeyPrefix ?? ''), JSON.stringify({ previousId, events: released })).catch((error: unknown) => {
        this.options.logger.warn({ err: error }, 'could not publish live events to Redis; gateways catch up from the feed');
      });
    }
    // A full page means more may be waiting.
    if (rows.length === PAGE && released.length === rows.length) setImmediate(() => void this.tick());
  }
}
