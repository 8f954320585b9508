import type { FastifyReply, FastifyRequest } from 'fastify';
import { type DocumentNode, type GraphQLSchema, parse, print } from 'graphql';
import { ErrorCode } from '../../platform/errors';
import { LruCache, type LruLimits } from '../../platform/lru-cache';
import { graphqlParamsOf, replaceQueryText } from '../persisted-queries';
import { type FieldScopes, scopesKey, scopesOf } from './field-scopes';
import { AuthorizationLimitError, type AuthorizationOutcome, type AuthorizedDocument, authorizeDocument } from './operation-pruning';

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
  /** MAX_QUERY_TOKENS, the parser's limit for the texts the hook reads. */
  maxTokens: number;
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

/**
 * A Fastify preHandler for /graphql that runs before Apollo reads the request (and after the
 * query-text hook resolved a persisted query): it removes every field the caller's role may not
 * see and puts the rewritten text back where Apollo reads it. The plan cache is keyed by the
 * text, so a plan made for one role is never reused for another. What was refused is kept on the
 * request, which the GraphQL context carries to the authorization plugin.
 */
export function authorizationHook({ schema, fieldScopes, maxTokens, cacheLimits = AUTHORIZATION_CACHE_LIMITS }: AuthorizationHookOptions) {
  // Parsing and walking an operation cost more than the rest of the hook; clients repeat a few texts.
  const documents = new LruCache<DocumentNode>(cacheLimits);
  const decisions = new LruCache<HookDecision>(cacheLimits);
  return async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    if (!req.principal) return undefined;
    const params = graphqlParamsOf(req);
    if (!params || typeof params.query !== 'string') return undefined;
    const query = params.query;
    const operationName = typeof params.operationName === 'string' ? params.operationName : undefined;
    const scopes = scopesOf(req.principal);
    const decisionKey = `${scopesKey(scopes)}\u0000${operationName ?? ''}\u0000${query}`;
    let decision = decisions.get(decisionKey);
    if (!decision) {
      let document = documents.get(query);
      if (!document) {
        try {
          document = parse(query, { maxTokens, noLocation: true });
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
    if (decision.rewritten !== undefined) replaceQueryText(req, decision.rewritten);
    return undefined;
  };
}
