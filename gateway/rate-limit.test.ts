import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { SERVICE_URLS, itNeeding } from '../test-support/services';
import { MemoryRateLimiter, RedisRateLimiter } from './rate-limit';

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
});
