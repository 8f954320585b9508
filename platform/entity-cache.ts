import type { FastifyInstance } from 'fastify';
import type { Cache } from './cache';
import { registerChangeEventReceivers } from './change-event-wire';
import type { Logger } from './logger';
import type { ChangeEvent } from './outbox';

/**
 * A read-through cache of hot backend records (products, warehouses, customer master data,
 * stock) shared by every request of a subgraph, and by every replica when the cache is Redis.
 * Rows are kept per id under `<kind>:<id>`; a backend change event deletes the key, so the next
 * query reads the record fresh. The TTL bounds staleness should an event ever be lost.
 */
export class EntityCache {
  private hits = 0;
  private misses = 0;

  constructor(private readonly cache: Cache) {}

  /**
   * The value of each id: cached ones from the cache, the rest with one `fetch` of the missing
   * ids, stored for `ttlSeconds`. Ids `fetch` has no value for are not cached (a new record is
   * seen as soon as it exists).
   */
  async many<Value>(kind: string, ids: readonly string[], ttlSeconds: number, fetch: (missing: string[]) => Promise<Map<string, Value>>): Promise<Map<string, Value>> {
    const found = new Map<string, Value>();
    const cached = await Promise.all(ids.map((id) => this.cache.get(keyOf(kind, id)).catch(() => undefined)));
    const missing: string[] = [];
    ids.forEach((id, i) => {
      const text = cached[i];
      if (text === undefined) missing.push(id);
      else found.set(id, JSON.parse(text) as Value);
    });
    this.hits += ids.length - missing.length;
    this.misses += missing.length;
    if (missing.length === 0) return found;
    const fetched = await fetch(missing);
    await Promise.all(
      [...fetched].map(([id, value]) => {
        found.set(id, value);
        // A cache that cannot store only costs speed; the answer is already at hand.
        return this.cache.set(keyOf(kind, id), JSON.stringify(value), ttlSeconds).catch(() => undefined);
      }),
    );
    return found;
  }

  /** Forgets one record, so the next read goes to the backend. */
  async invalidate(kind: string, id: string): Promise<void> {
    await this.cache.delete(keyOf(kind, id));
  }

  /** Hits and misses since start (for the benchmark's report and tests). */
  stats(): { hits: number; misses: number } {
    return { hits: this.hits, misses: this.misses };
  }
}

function keyOf(kind: string, id: string): string {
  return `${kind}:${id}`;
}

/** A batch read by id through the entity cache: only ids not cached reach the backend. */
export function cachedRows<Row>(cache: EntityCache, kind: string, ttlSeconds: number, fetch: (ids: readonly string[]) => Promise<Row[]>, idOf: (row: Row) => string) {
  return async (ids: readonly string[]): Promise<Row[]> => {
    const found = await cache.many<Row>(kind, ids, ttlSeconds, async (missing) => new Map((await fetch(missing)).map((row) => [idOf(row), row])));
    return [...found.values()];
  };
}

/** A batch read of rows per owner through the entity cache; an owner with no rows is cached as empty. */
export function cachedGroups<Row>(cache: EntityCache, kind: string, ttlSeconds: number, fetch: (ids: readonly string[]) => Promise<Row[]>, ownerOf: (row: Row) => string) {
  return async (ids: readonly string[]): Promise<Row[]> => {
    const found = await cache.many<Row[]>(kind, ids, ttlSeconds, async (missing) => {
      const groups = new Map<string, Row[]>(missing.map((id) => [id, []]));
      for (const row of await fetch(missing)) groups.get(ownerOf(row))?.push(row);
      return groups;
    });
    return [...found.values()].flat();
  };
}

/** What a change event from one source invalidates: the cache keys of the records it touched. */
export type InvalidationRule = (event: { entity: string; entityId: string }) => { kind: string; id: string }[];

/**
 * Registers `POST /webhooks/<source>` receivers that delete the cached records a signed backend
 * change event touches, and refuses unsigned or forged ones (401). Add the path to the service's
 * open routes: it proves itself by the webhook signature, not the service token.
 */
export async function registerCacheInvalidationWebhooks(
  app: FastifyInstance,
  deps: { secret: string; cache: EntityCache; rules: Partial<Record<'erp' | 'crm', InvalidationRule>>; logger: Logger },
): Promise<void> {
  const receivers = (Object.entries(deps.rules) as ['erp' | 'crm', InvalidationRule][]).map(([source, rule]) => ({
    source,
    path: cacheWebhookPath(source),
    handle: async (events: ChangeEvent[]) => {
      const keys = new Map(events.flatMap((event) => rule(event)).map((key) => [keyOf(key.kind, key.id), key]));
      await Promise.all([...keys.values()].map((key) => deps.cache.invalidate(key.kind, key.id)));
      deps.logger.debug({ source, events: events.length, invalidated: keys.size }, 'cache invalidated');
    },
  }));
  await registerChangeEventReceivers(app, deps.secret, receivers);
}

/** The path a subgraph receives one backend's change events on. */
export function cacheWebhookPath(source: 'erp' | 'crm'): string {
  return `/webhooks/${source}`;
}
