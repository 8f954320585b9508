import type { ApolloServer } from '@apollo/server';
import type { FastifyInstance } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from '../../platform/logger';
import type { TokenVerifier } from '../auth';
import type { FieldScopes } from '../authorization';
import type { GatewayConfig } from '../config';
import type { GatewayContext } from '../context';
import type { QueryLimits } from '../limits';
import type { RateLimiter } from '../rate-limit';
import { LiveEventHub } from './live-event-hub';
import { LiveSubscriptions } from './live-subscriptions';
import { registerEventStream } from './sse';
import { registerWebhookPayloadRoute } from './webhook-payload';
import { registerWebSocketTransport } from './ws';

/** What live updates at the gateway are built from (all of it already built by createGateway). */
export interface LiveUpdatesDeps {
  app: FastifyInstance;
  path: string;
  server: ApolloServer<GatewayContext>;
  schema: GraphQLSchema;
  fieldScopes: FieldScopes;
  verify: TokenVerifier;
  rateLimiter: RateLimiter;
  queryLimits: QueryLimits;
  config: GatewayConfig;
  serviceToken: () => string;
  logger: Logger;
}

/** Live updates as registered: the hub and subscriptions (for tests and metrics) and how to stop them. */
export interface LiveUpdates {
  hub: LiveEventHub;
  subscriptions: LiveSubscriptions;
  close(): Promise<void>;
}

/**
 * Serves the API's subscriptions on the GraphQL path over graphql-sse (Accept: text/event-stream)
 * and graphql-ws (WebSocket upgrade, subprotocol graphql-transport-ws), fed by the integration's
 * live event bus. Starting does not wait for the integration: subscriptions are refused with
 * UPSTREAM_UNAVAILABLE until the bus answered once.
 */
export function registerLiveUpdates(deps: LiveUpdatesDeps): LiveUpdates {
  const { config } = deps;
  const hub = new LiveEventHub({ integrationUrl: config.INTEGRATION_SUBGRAPH_URL, serviceToken: deps.serviceToken, logger: deps.logger, redisUrl: config.REDIS_URL, redisKeyPrefix: config.REDIS_KEY_PREFIX });
  const subscriptions = new LiveSubscriptions({
    server: deps.server,
    schema: deps.schema,
    fieldScopes: deps.fieldScopes,
    hub,
    logger: deps.logger,
    queryLimits: deps.queryLimits,
    maxTokens: config.MAX_QUERY_TOKENS,
    limits: { perToken: config.LIVE_MAX_SUBSCRIPTIONS_PER_TOKEN, total: config.LIVE_MAX_SUBSCRIPTIONS, backlog: 1000 },
  });
  registerEventStream(deps.app, deps.path, subscriptions);
  registerWebhookPayloadRoute(deps.app, { server: deps.server, schema: deps.schema, fieldScopes: deps.fieldScopes, internalSecret: config.INTERNAL_SECRET });
  const closeWebSockets = registerWebSocketTransport(deps.app, {
    path: deps.path,
    live: subscriptions,
    schema: deps.schema,
    verify: deps.verify,
    rateLimiter: deps.rateLimiter,
    maxPerConnection: config.LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION,
    maxPayloadBytes: config.MAX_BODY_BYTES,
  });
  const started = hub.start().catch((error: unknown) => deps.logger.error({ err: error }, 'live events could not be followed'));
  return {
    hub,
    subscriptions,
    async close() {
      await closeWebSockets();
      await hub.stop();
      await started;
    },
  };
}
