import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type DocumentNode, type GraphQLSchema, parse, print } from 'graphql';
import type { Cache } from '../../platform/cache';
import { ErrorCode } from '../../platform/errors';
import { LruCache, type LruLimits } from '../../platform/lru-cache';
import { type FieldScopes, scopesKey, scopesOf } from './field-scopes';
import { AuthorizationLimitError, type AuthorizationOutcome, type AuthorizedDocument, authorizeDocument } from './operation-pruning';

/** A GraphQL request as it arrives over HTTP, before Apollo reads it. */
interface RawGraphqlRequest {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
  extensions?: unknown;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authorization hook: which fields were refused to this request. */
    authorization?: AuthorizationOutcome;
  }
}

/** What the authorization hook needs. */
export interface AuthorizationHookOptions {
  schema: GraphQLSchema;
  fieldScopes: FieldScopes;
  /** The cache Apollo keeps automatic persisted queries in (keys `apq:<sha256>`). */
  apqCache: Cache;
  /** Bounds of the parsed-document cache and of the decision cache (weight: characters of query text). */
  cacheLimits?: LruLimits;
}

/** Up to 1,000 operations and 2 million characters of query text per cache (a few tens of MB at most). */
export const AUTHORIZATION_CACHE_LIMITS: LruLimits = { maxEntries: 1000, maxWeight: 2_000_000 };

/** What the hook decided for one query text, operation name and set of scopes. */
interface HookDecision {
  /** Undefined when no operation could be chosen (Apollo refuses the request itself). */
  outcome: AuthorizationOutcome | undefined;
  /** The text to run instead of the client's, when fields were removed. */
  rewritten: string | undefined;
}

// Decisions are shared by every request with the same key; frozen, no request can change another's.
function frozenOutcome(outcome: AuthorizationOutcome): AuthorizationOutcome {
  for (const refused of outcome.refused) {
    Object.freeze(refused.path);
    if (refused.ids) Object.freeze(refused.ids);
    Object.freeze(refused);
  }
  for (const path of outcome.placeholders) Object.freeze(path);
  Object.freeze(outcome.refused);
  Object.freeze(outcome.placeholders);
  return Object.freeze(outcome);
}

const APQ_TTL_SECONDS = 300;

/**
 * A Fastify preHandler for /graphql that runs before Apollo reads the request: it resolves the
 * query (from the body, the query string, or the persisted-query cache for a hash-only request),
 * removes every field the caller's role may not see, and puts the rewritten text back where
 * Apollo reads it. The plan cache is keyed by the text, so a plan made for one role is never
 * reused for another. What was refused is kept on the request for authorizationPlugin.
 */
export function authorizationHook({ schema, fieldScopes, apqCache, cacheLimits = AUTHORIZATION_CACHE_LIMITS }: AuthorizationHookOptions) {
  // Parsing and walking an operation cost more than the rest of the hook; clients repeat a few texts.
  const documents = new LruCache<DocumentNode>(cacheLimits);
  const decisions = new LruCache<HookDecision>(cacheLimits);
  return async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    if (!req.principal) return undefined;
    const isGet = req.method === 'GET';
    const params: RawGraphqlRequest = isGet ? readSearchParams(req.url) : ((req.body as RawGraphqlRequest | undefined) ?? {});
    if (!params || typeof params !== 'object') return undefined;
    const persisted = persistedHash(params.extensions);
    let query = typeof params.query === 'string' ? params.query : undefined;
    if (query === undefined && persisted) query = await apqCache.get(`apq:${persisted}`);
    if (query === undefined) return undefined;
    const operationName = typeof params.operationName === 'string' ? params.operationName : undefined;
    const scopes = scopesOf(req.principal);
    const decisionKey = `${scopesKey(scopes)}\u0000${operationName ?? ''}\u0000${query}`;
    let decision = decisions.get(decisionKey);
    if (!decision) {
      let document = documents.get(query);
      if (!document) {
        try {
          document = parse(query, { maxTokens: 20_000 });
        } catch {
          // Apollo answers the syntax error itself; nothing runs.
          return undefined;
        }
        documents.set(query, document, query.length);
      }
      let authorized: AuthorizedDocument | undefined;
      try {
        const variables = params.variables && typeof params.variables === 'object' ? (params.variables as Record<string, unknown>) : {};
        authorized = authorizeDocument(schema, fieldScopes, document, operationName, scopes, variables);
      } catch (error) {
        if (error instanceof AuthorizationLimitError) {
          return reply.code(400).send({ errors: [{ message: error.message, extensions: { code: ErrorCode.BAD_USER_INPUT, limit: 'cost' } }] });
        }
        throw error;
      }
      decision = { outcome: authorized && frozenOutcome(authorized.outcome), rewritten: authorized?.changed ? print(authorized.document) : undefined };
      // A refused mutation's audit ids come from this request's variables; anything else holds for every request of the key.
      if (!authorized?.outcome.refused.some((refused) => refused.ids)) decisions.set(decisionKey, decision, decisionKey.length);
    }
    if (!decision.outcome) return undefined;
    req.authorization = decision.outcome;
    if (decision.rewritten === undefined) return undefined;

    const rewritten = decision.rewritten;
    // Remember the original text under its hash so a later hash-only request resolves (and is rewritten) too.
    if (persisted && typeof params.query === 'string' && sha256(params.query) === persisted) {
      await apqCache.set(`apq:${persisted}`, params.query, APQ_TTL_SECONDS);
    }
    if (isGet) {
      const url = new URL(req.url, 'http://gateway.invalid');
      url.searchParams.set('query', rewritten);
      url.searchParams.delete('extensions');
      req.raw.url = `${url.pathname}${url.search}`;
    } else {
      const body = params as Record<string, unknown>;
      body.query = rewritten;
      // The text no longer matches the client's hash; without the extension Apollo neither checks nor stores it.
      if (persisted) delete body.extensions;
    }
    return undefined;
  };
}

function readSearchParams(url: string): RawGraphqlRequest {
  const search = new URL(url, 'http://gateway.invalid').searchParams;
  let extensions: unknown;
  try {
    extensions = search.has('extensions') ? JSON.parse(search.get('extensions') as string) : undefined;
  } catch {
    extensions = undefined;
  }
  let variables: unknown;
  try {
    variables = search.has('variables') ? JSON.parse(search.get('variables') as string) : undefined;
  } catch {
    variables = undefined;
  }
  return { query: search.get('query') ?? undefined, operationName: search.get('operationName') ?? undefined, variables, extensions };
}

function persistedHash(extensions: unknown): string | undefined {
  const hash = (extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery?.sha256Hash;
  return typeof hash === 'string' && /^[0-9a-f]{64}$/.test(hash) ? hash : undefined;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
