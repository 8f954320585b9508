import { randomUUID } from 'node:crypto';
import { type Cache, MemoryCache, RedisCache } from './cache';
import { SERVICE_URLS, describeOn } from '../test-support/services';


// One contract, two implementations: what holds for the in-process cache must hold for Redis.
const implementations = {
  memory: (): Cache => new MemoryCache(3),
  redis: (): Cache => new RedisCache(SERVICE_URLS.redis, `test:${randomUUID()}:`),
};

describeOn(['memory', 'redis'] as const, '%s cache', (kind) => {
  let cache: Cache;
  beforeAll(async () => {
    cache = implementations[kind]();
  });
  afterAll(async () => {
    await cache?.close();
  });

  it('returns what was stored and forgets what was deleted', async () => {
    await cache.set('a', '1');
    expect(await cache.get('a')).toBe('1');
    await cache.delete('a');
    expect(await cache.get('a')).toBeUndefined();
  });

  it('expires an entry after its time to live', async () => {
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
