import { randomUUID } from 'node:crypto';
import { type Cache, MemoryCache, RedisCache } from './cache';
import { serviceAvailable } from '../test/support/services';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

// One contract, two implementations: what holds for the in-process cache must hold for Redis.
const implementations: [string, () => Promise<Cache | null>][] = [
  ['memory', async () => new MemoryCache(3)],
  ['redis', async () => ((await serviceAvailable('redis', redisUrl)) ? new RedisCache(redisUrl, `test:${randomUUID()}:`) : null)],
];

describe.each(implementations)('%s cache', (_name, make) => {
  let cache: Cache | null;
  beforeAll(async () => {
    cache = await make();
  });
  afterAll(async () => {
    await cache?.close();
  });

  it('returns what was stored and forgets what was deleted', async () => {
    if (!cache) return;
    await cache.set('a', '1');
    expect(await cache.get('a')).toBe('1');
    await cache.delete('a');
    expect(await cache.get('a')).toBeUndefined();
  });

  it('expires an entry after its time to live', async () => {
    if (!cache) return;
    await cache.set('short', 'x', 1);
    expect(await cache.get('short')).toBe('x');
    await new Promise((r) => setTimeout(r, 1100));
    expect(await cache.get('short')).toBeUndefined();
  });
});

describe('memory cache', () => {
  it('evicts the least recently used entry beyond its bound', async () => {
    const cache = new MemoryCache(2);
    await cache.set('a', '1');
    await cache.set('b', '2');
    await cache.get('a');
    await cache.set('c', '3');
    expect(await cache.get('b')).toBeUndefined();
    expect(await cache.get('a')).toBe('1');
    expect(await cache.get('c')).toBe('3');
  });
});
