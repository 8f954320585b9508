import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type Redis from 'ioredis';
import { LruCache } from '../platform/lru-cache';
import { QUERY_LIMIT_STATUS, tokensWithComments } from './limits';
import type { RedisConnection } from './redis-connection';

/** How much the persisted-query store holds and for how long. */
export interface PersistedQueryLimits {
  /** Bytes of query text held at most (in this process, or in Redis for all replicas). */
  maxBytes: number;
  /** The largest query text kept; a larger one still runs, it is just not remembered. */
  maxQueryBytes: number;
  /** How long a query stays known after it was registered. */
  ttlSeconds: number;
}

/** Automatic persisted queries: query texts by their SHA-256, bounded in bytes and time. */
export interface PersistedQueryStore {
  get(hash: string): Promise<string | undefined>;
  /** Remembers a query text; false when it is larger than one entry may be. */
  set(hash: string, query: string): Promise<boolean>;
  /** Bytes of query text held now. */
  bytes(): Promise<number>;
  close(): Promise<void>;
}

/** A store in this process: least recently used texts go first once the byte budget is spent. */
export class MemoryPersistedQueries implements PersistedQueryStore {
  private readonly entries: LruCache<{ query: string; expiresAt: number }>;

  constructor(private readonly limits: PersistedQueryLimits) {
    this.entries = new LruCache({ maxEntries: Number.MAX_SAFE_INTEGER, maxWeight: limits.maxBytes });
  }

  async get(hash: string): Promise<string | undefined> {
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    if (entry.expiresAt > Date.now()) return entry.query;
    this.entries.delete(hash);
    return undefined;
  }

  async set(hash: string, query: string): Promise<boolean> {
    const size = Buffer.byteLength(query);
    if (size > this.limits.maxQueryBytes) return false;
    this.entries.set(hash, { query, expiresAt: Date.now() + this.limits.ttlSeconds * 1000 }, size);
    return true;
  }

  async bytes(): Promise<number> {
    return this.entries.totalWeight;
  }

  async close(): Promise<void> {
    this.entries.clear();
  }
}

// Stores one text under the byte budget shared by every replica: expired entries are forgotten,
// then the oldest go until the new one fits. Sizes are kept beside the texts so the sum is exact.
const STORE_SCRIPT = `
local prefix = KEYS[1]
local index, sizes, total = prefix .. 'index', prefix .. 'sizes', prefix .. 'bytes'
local hash, query = ARGV[1], ARGV[2]
local ttlMs, maxBytes, now = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local size = string.len(query)
local function forget(h)
  local s = tonumber(redis.call('HGET', sizes, h) or '0')
  redis.call('HDEL', sizes, h)
  redis.call('ZREM', index, h)
  redis.call('DEL', prefix .. 'q:' .. h)
  redis.call('DECRBY', total, s)
end
for _, h in ipairs(redis.call('ZRANGEBYSCORE', index, '-inf', now - ttlMs)) do forget(h) end
if redis.call('HEXISTS', sizes, hash) == 1 then forget(hash) end
local used = tonumber(redis.call('GET', total) or '0')
while used + size > maxBytes do
  local oldest = redis.call('ZRANGE', index, 0, 0)
  if #oldest == 0 then break end
  forget(oldest[1])
  used = tonumber(redis.call('GET', total) or '0')
end
redis.call('SET', prefix .. 'q:' .. hash, query, 'PX', ttlMs)
redis.call('ZADD', index, now, hash)
redis.call('HSET', sizes, hash, size)
redis.call('INCRBY', total, size)
return 1
`;

/** A store in Redis shared by every replica, under one byte budget and the same expiry. */
export class RedisPersistedQueries implements PersistedQueryStore {
  constructor(private readonly redis: Redis, private readonly limits: PersistedQueryLimits, private readonly prefix = 'gateway:apq:') {}

  async get(hash: string): Promise<string | undefined> {
    return (await this.redis.get(`${this.prefix}q:${hash}`)) ?? undefined;
  }

  async set(hash: string, query: string): Promise<boolean> {
    if (Buffer.byteLength(query) > this.limits.maxQueryBytes) return false;
    await this.redis.eval(STORE_SCRIPT, 1, this.prefix, hash, query, this.limits.ttlSeconds * 1000, this.limits.maxBytes, Date.now());
    return true;
  }

  async bytes(): Promise<number> {
    return Number((await this.redis.get(`${this.prefix}bytes`)) ?? 0);
  }

  async close(): Promise<void> {
    // The connection belongs to its owner, who closes it.
  }
}

/**
 * Redis while it answers, this process while it does not. A text registered during an outage is
 * found here afterwards too; one that is in neither is registered again by the client (the APQ
 * protocol's "not found, send the text").
 */
export class FallbackPersistedQueries implements PersistedQueryStore {
  private readonly shared: RedisPersistedQueries;
  private readonly local: MemoryPersistedQueries;

  constructor(private readonly connection: RedisConnection, limits: PersistedQueryLimits, prefix?: string) {
    this.shared = new RedisPersistedQueries(connection.client, limits, prefix);
    this.local = new MemoryPersistedQueries(limits);
  }

  async get(hash: string): Promise<string | undefined> {
    return (await this.connection.attempt('persisted-queries', () => this.shared.get(hash), async () => undefined)) ?? this.local.get(hash);
  }

  set(hash: string, query: string): Promise<boolean> {
    return this.connection.attempt('persisted-queries', () => this.shared.set(hash, query), () => this.local.set(hash, query));
  }

  async bytes(): Promise<number> {
    return (await this.local.bytes()) + (await this.connection.attempt('persisted-queries', () => this.shared.bytes(), async () => 0));
  }

  async close(): Promise<void> {
    await this.local.close();
  }
}

/** What a request's persisted-query extension asks for, once looked up. */
export type PersistedQueryResolution =
  | { kind: 'none' }
  /** `register`: the text came with its hash and is to be remembered once it passed the limits. */
  | { kind: 'query'; query: string; hash: string; register: boolean }
  | { kind: 'refused'; status: number; code: string; message: string };

/**
 * The APQ protocol (Apollo's `extensions.persistedQuery`): a hash alone is answered from the
 * store (PERSISTED_QUERY_NOT_FOUND asks the client to send the text), a hash with its text
 * registers the text. Done here rather than inside Apollo so the authorization hook sees the
 * query before it runs and the store is this gateway's own, with its bounds.
 */
export async function resolvePersistedQuery(store: PersistedQueryStore, query: unknown, extensions: unknown): Promise<PersistedQueryResolution> {
  const persisted = (extensions as { persistedQuery?: { version?: unknown; sha256Hash?: unknown } } | undefined)?.persistedQuery;
  if (!persisted || typeof persisted !== 'object') return { kind: 'none' };
  if (persisted.version !== 1) return { kind: 'refused', status: 400, code: 'BAD_USER_INPUT', message: 'Unsupported persisted query version' };
  const hash = persisted.sha256Hash;
  if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) return { kind: 'refused', status: 400, code: 'BAD_USER_INPUT', message: 'persistedQuery.sha256Hash must be a hex SHA-256' };
  if (typeof query !== 'string') {
    const stored = await store.get(hash);
    if (stored === undefined) return { kind: 'refused', status: 200, code: 'PERSISTED_QUERY_NOT_FOUND', message: 'PersistedQueryNotFound' };
    return { kind: 'query', query: stored, hash, register: false };
  }
  if (createHash('sha256').update(query).digest('hex') !== hash) return { kind: 'refused', status: 400, code: 'BAD_USER_INPUT', message: 'provided sha does not match query' };
  return { kind: 'query', query, hash, register: true };
}

/** A GraphQL request as it arrives over HTTP, before Apollo reads it. */
export interface RawGraphqlRequest {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
  extensions?: unknown;
}

/** The GraphQL parameters of a GET (query string) or POST (body) request. */
export function graphqlParamsOf(req: FastifyRequest): RawGraphqlRequest | undefined {
  if (req.method !== 'GET') {
    const body = req.body;
    return body && typeof body === 'object' && !Array.isArray(body) ? (body as RawGraphqlRequest) : undefined;
  }
  const search = new URL(req.url, 'http://gateway.invalid').searchParams;
  const json = (name: string): unknown => {
    try {
      return search.has(name) ? JSON.parse(search.get(name) as string) : undefined;
    } catch {
      return undefined;
    }
  };
  return { query: search.get('query') ?? undefined, operationName: search.get('operationName') ?? undefined, variables: json('variables'), extensions: json('extensions') };
}

/** Puts a query text where Apollo reads it, in place of the client's text or hash. */
export function replaceQueryText(req: FastifyRequest, query: string): void {
  if (req.method === 'GET') {
    const url = new URL(req.url, 'http://gateway.invalid');
    url.searchParams.set('query', query);
    url.searchParams.delete('extensions');
    req.raw.url = `${url.pathname}${url.search}`;
    return;
  }
  const body = req.body as Record<string, unknown>;
  body.query = query;
  delete body.extensions;
}

/** What the query-text hook needs. */
export interface QueryTextHookOptions {
  store: PersistedQueryStore;
  /** MAX_QUERY_TOKENS: comments count, since they are part of what is parsed and stored. */
  maxTokens: number;
}

/**
 * A Fastify preHandler for /graphql, run before authorization: it resolves a persisted query to
 * its text, refuses a text with more tokens than allowed (comments included: a megabyte of
 * comments is refused like a megabyte of fields), registers a new persisted query, and hands
 * Apollo the plain text.
 */
export function queryTextHook({ store, maxTokens }: QueryTextHookOptions) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    if (!req.principal) return undefined;
    const params = graphqlParamsOf(req);
    if (!params) return undefined;
    const resolved = await resolvePersistedQuery(store, params.query, params.extensions);
    if (resolved.kind === 'refused') {
      if (resolved.status === 200) reply.header('cache-control', 'private, no-cache, must-revalidate');
      return reply.code(resolved.status).send({ errors: [{ message: resolved.message, extensions: { code: resolved.code } }] });
    }
    const query = resolved.kind === 'query' ? resolved.query : params.query;
    if (typeof query === 'string' && query.includes('#') && tokensWithComments(query, maxTokens) > maxTokens) {
      return reply.code(QUERY_LIMIT_STATUS).send({ errors: [{ message: `the operation has more than ${maxTokens} tokens (comments included)`, extensions: { code: 'BAD_USER_INPUT', limit: 'tokens' } }] });
    }
    if (resolved.kind !== 'query') return undefined;
    if (resolved.register) await store.set(resolved.hash, resolved.query);
    replaceQueryText(req, resolved.query);
    return undefined;
  };
}
