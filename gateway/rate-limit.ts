import type Redis from 'ioredis';
import type { RedisConnection } from './redis-connection';

/** How many requests one token may send per window. */
export interface RateLimitOptions {
  /** Requests allowed per window per token; 0 turns the limit off. */
  limit: number;
  windowSeconds: number;
}

/** The answer for one request: allowed, or refused with the seconds until the window resets. */
export type RateLimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Counts requests per key in fixed windows. */
export interface RateLimiter {
  hit(key: string): Promise<RateLimitDecision>;
  close(): Promise<void>;
}

/** A per-process limiter; enough for one replica. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, { count: number; resetsAt: number }>();

  constructor(private readonly options: RateLimitOptions) {}

  async hit(key: string): Promise<RateLimitDecision> {
    if (this.options.limit === 0) return { allowed: true };
    const now = Date.now();
    let window = this.windows.get(key);
    if (!window || window.resetsAt <= now) {
      window = { count: 0, resetsAt: now + this.options.windowSeconds * 1000 };
      this.windows.set(key, window);
      // Old windows are dropped as they are replaced; an occasional sweep bounds the map.
      if (this.windows.size > 100_000) for (const [k, w] of this.windows) if (w.resetsAt <= now) this.windows.delete(k);
    }
    window.count++;
    return window.count <= this.options.limit ? { allowed: true } : { allowed: false, retryAfterSeconds: Math.ceil((window.resetsAt - now) / 1000) };
  }

  async close(): Promise<void> {
    this.windows.clear();
  }
}

/** A limiter in Redis, so every gateway replica counts against the same window. */
export class RedisRateLimiter implements RateLimiter {
  constructor(private readonly redis: Redis, private readonly options: RateLimitOptions, private readonly prefix = 'gateway:rate:') {}

  async hit(key: string): Promise<RateLimitDecision> {
    if (this.options.limit === 0) return { allowed: true };
    const window = Math.floor(Date.now() / 1000 / this.options.windowSeconds);
    const redisKey = `${this.prefix}${key}:${window}`;
    // The window's key expires with the window; NX keeps the first expiry so it never slides.
    const results = await this.redis.multi().incr(redisKey).expire(redisKey, this.options.windowSeconds, 'NX').exec();
    const failed = results?.find(([error]) => error);
    if (!results || failed) throw failed?.[0] ?? new Error('rate limit transaction was not run');
    const count = Number(results[0][1]);
    if (count <= this.options.limit) return { allowed: true };
    const resetsAt = (window + 1) * this.options.windowSeconds * 1000;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((resetsAt - Date.now()) / 1000)) };
  }

  async close(): Promise<void> {
    // The connection belongs to its owner, who closes it.
  }
}

/**
 * Redis while it answers, this process's own windows while it does not: an outage loosens the
 * limit to one window per replica instead of refusing every request.
 */
export class FallbackRateLimiter implements RateLimiter {
  private readonly shared: RedisRateLimiter;
  private readonly local: MemoryRateLimiter;

  constructor(private readonly connection: RedisConnection, options: RateLimitOptions) {
    this.shared = new RedisRateLimiter(connection.client, options);
    this.local = new MemoryRateLimiter(options);
  }

  hit(key: string): Promise<RateLimitDecision> {
    return this.connection.attempt('rate-limit', () => this.shared.hit(key), () => this.local.hit(key));
  }

  async close(): Promise<void> {
    await this.local.close();
  }
}
