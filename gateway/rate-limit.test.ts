import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { SERVICE_URLS, itNeeding } from '../test-support/services';
import { Registry } from 'prom-client';
import { createLogger } from '../platform/logger';
import { FallbackRateLimiter, MemoryRateLimiter, RedisRateLimiter } from './rate-limit';
import { RedisConnection } from './redis-connection';

const redisUrl = SERVICE_URLS.redis;

describe('rate limiter', () => {
  it('allows the limit per window in memory, then tells how long to wait', async () => {
    const limiter = new MemoryRateLimiter({ limit: 2, windowSeconds: 60 });
    expect(await limiter.hit('sales:ann')).toEqual({ allowed: true });
    expect(await limiter.hit('sales:ann')).toEqual({ allowed: true });
    const refused = await limiter.hit('sales:ann');
    expect(refused.allowed).toBe(false);
    expect(refused.allowed === false && refused.retryAfterSeconds).toBeGreaterThan(0);
    expect(await limiter.hit('sales:bob')).toEqual({ allowed: true });
  });

  it('is off when the limit is 0', async () => {
    const limiter = new MemoryRateLimiter({ limit: 0, windowSeconds: 60 });
    for (let i = 0; i < 100; i++) expect((await limiter.hit('k')).allowed).toBe(true);
  });

  itNeeding(['redis'], 'shares one window between replicas through Redis', async () => {
    const prefix = `test:rate:${randomUUID()}:`;
    const connectionA = new Redis(redisUrl);
    const connectionB = new Redis(redisUrl);
    const replicaA = new RedisRateLimiter(connectionA, { limit: 3, windowSeconds: 60 }, prefix);
    const replicaB = new RedisRateLimiter(connectionB, { limit: 3, windowSeconds: 60 }, prefix);
    try {
      const decisions = [await replicaA.hit('t'), await replicaB.hit('t'), await replicaA.hit('t'), await replicaB.hit('t')];
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
    } finally {
      await connectionA.quit();
      await connectionB.quit();
    }
  });

  itNeeding(['redis'], "keeps two stacks' windows apart when they share one Redis under different REDIS_KEY_PREFIX", async () => {
    const [scale, other] = [`test:scale:${randomUUID()}:`, `test:other:${randomUUID()}:`].map(
      (keyPrefix) => new RedisConnection(redisUrl, new Registry(), createLogger('gateway', 'silent'), keyPrefix),
    );
    const raw = new Redis(redisUrl);
    try {
      await Promise.all([scale, other].map((connection) => new Promise((resolve) => connection.client.once('ready', resolve))));
      const limiters = [scale, other].map((connection) => new FallbackRateLimiter(connection, { limit: 1, windowSeconds: 60 }));
      // The same token subject at both stacks: one allowed request each, not one between them.
      expect((await limiters[0].hit('sales:ann')).allowed).toBe(true);
      expect((await limiters[1].hit('sales:ann')).allowed).toBe(true);
      expect((await limiters[0].hit('sales:ann')).allowed).toBe(false);
      expect(await raw.keys(`${scale.client.options.keyPrefix}gateway:rate:sales:ann:*`)).toHaveLength(1);
    } finally {
      await Promise.all([scale.close(), other.close(), raw.quit()]);
    }
  });
});
