import Redis from 'ioredis';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../platform/logger';

/** Where Redis serves the gateway: the shared rate limit and the shared persisted queries. */
export type RedisUse = 'rate-limit' | 'persisted-queries';

/**
 * The gateway's one Redis connection, and what to do while Redis is away. Redis only makes
 * replicas share their rate-limit windows and persisted queries; losing it must not take the API
 * down, so every call names an in-process fallback that runs instead while the connection is
 * down or when a call fails. ioredis reconnects by itself (with backoff); once it is ready again
 * calls go back to Redis. `/ready` and the `gateway_redis_available` metric say which is in use.
 */
export class RedisConnection {
  readonly client: Redis;
  private available = false;
  private readonly availableGauge: Gauge;
  private readonly fallbacks: Counter<'use'>;

  /** `keyPrefix` (REDIS_KEY_PREFIX) goes before every key the rate limit and persisted queries use. */
  constructor(url: string, registry: Registry, private readonly logger: Logger, keyPrefix = '') {
    this.availableGauge = new Gauge({ name: 'gateway_redis_available', help: '1 while the gateway reaches Redis, 0 while it runs on its in-process fallbacks', registers: [registry] });
    this.fallbacks = new Counter({ name: 'gateway_redis_fallbacks_total', help: 'Calls answered in process because Redis was unavailable, by use', labelNames: ['use'], registers: [registry] });
    this.availableGauge.set(0);
    this.client = new Redis(url, {
      keyPrefix,
      // Fail at once while disconnected instead of queueing: the fallback answers.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // A Redis that accepts connections but does not answer counts as away for that call.
      commandTimeout: 500,
      connectTimeout: 2000,
      retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
    });
    this.client.on('ready', () => this.setAvailable(true));
    this.client.on('close', () => this.setAvailable(false));
    this.client.on('error', () => {
      // The close that follows marks Redis away; ioredis keeps reconnecting.
    });
  }

  /** True while the connection is up. */
  get isAvailable(): boolean {
    return this.available;
  }

  /** Runs `viaRedis`, or `inProcess` while Redis is away or when the Redis call fails. */
  async attempt<T>(use: RedisUse, viaRedis: () => Promise<T>, inProcess: () => Promise<T>): Promise<T> {
    if (this.available) {
      try {
        return await viaRedis();
      } catch (error) {
        this.logger.warn({ use, reason: (error as Error).message }, 'redis call failed; answered in process');
      }
    }
    this.fallbacks.inc({ use });
    return inProcess();
  }

  async close(): Promise<void> {
    if (this.client.status === 'ready') await this.client.quit().catch(() => undefined);
    this.client.disconnect();
  }

  private setAvailable(available: boolean): void {
    if (available === this.available) return;
    this.available = available;
    this.availableGauge.set(available ? 1 : 0);
    if (available) this.logger.info('redis reachable; rate limits and persisted queries shared again');
    else this.logger.warn('redis unreachable; rate limits and persisted queries kept in process until it returns');
  }
}
