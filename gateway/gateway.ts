import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import fastifyApollo, { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import type { FastifyInstance } from 'fastify';
import { GraphQLError } from 'graphql';
import { ErrorCode } from '../platform/errors';
import { createHttpService } from '../platform/http-server';
import { type Cache, MemoryCache } from '../platform/cache';
import type { Logger } from '../platform/logger';
import type { ServiceMetrics } from '../platform/metrics';
import { serviceTokenSigner } from '../platform/service-auth';
import { auditPlugin, httpAuditReporter } from './audit';
import { authenticationHook, createTokenVerifier } from './auth';
import { apiSchemaOf, authorizationHook, authorizationPlugin, gatewaySupergraphSdl, readFieldScopes } from './authorization';
import type { GatewayConfig } from './config';
import { subgraphUrlFor } from './config';
import type { GatewayContext } from './context';
import { formatGatewayError } from './errors';
import { registerExportRoutes } from './export.routes';
import { createGatewayMetrics, graphqlMetricsPlugin, operationLabeler } from './metrics';
import { queryLimitsPlugin } from './limits';
import { useFastResultShaping } from './result-shaping';
import { type RateLimiter, createRateLimiter } from './rate-limit';
import { SubgraphDataSource } from './subgraph-data-source';
import { registerLiveUpdates } from './subscriptions';

/** What the gateway is built from. */
export interface GatewayDeps {
  config: GatewayConfig;
  logger: Logger;
  metrics: ServiceMetrics;
  /** The composed supergraph SDL (schema/supergraph.graphql). */
  supergraphSdl: string;
  /** Holds automatic persisted queries; Redis when configured so every replica knows them. */
  cache?: Cache;
  /** Counts requests per token subject; default from config (Redis when REDIS_URL is set). */
  rateLimiter?: RateLimiter;
}

/** A built gateway: the Fastify app (not listening yet) and how to stop it. */
export interface BuiltGateway {
  app: FastifyInstance;
  server: ApolloServer<GatewayContext>;
  /** Stops Apollo, closes the app and the subgraph connection pools. */
  close(): Promise<void>;
}

const GRAPHQL_PATH = '/graphql';

/**
 * Builds the federation gateway on the supergraph: JWT authentication on /graphql, subgraph
 * fetches with timeouts and the service credential, partial answers with coded errors, metrics.
 * It never listens; main.ts does, tests use port 0.
 */
export async function createGateway({ config, logger, metrics, supergraphSdl, cache, ...deps }: GatewayDeps): Promise<BuiltGateway> {
  const gatewayMetrics = createGatewayMetrics(metrics.registry);
  const serviceToken = serviceTokenSigner(config.INTERNAL_SECRET, 'gateway');
  const dataSources: SubgraphDataSource[] = [];
  // Field rules (@requiresScopes) are enforced here, before execution; see authorization.ts.
  const fieldScopes = readFieldScopes(supergraphSdl);
  const apiSchema = apiSchemaOf(supergraphSdl);
  // The authorization hook reads persisted queries from the same cache Apollo keeps them in.
  const apqCache = cache ?? new MemoryCache();
  const auditReporter = httpAuditReporter({
    url: new URL('/internal/audit', config.INTEGRATION_SUBGRAPH_URL).toString(),
    serviceToken,
    logger,
  });

  // Shaping the merged answer was the gateway's largest cost per request; see result-shaping.ts.
  if (!useFastResultShaping()) logger.warn('@apollo/gateway is not the version result-shaping.ts was checked against; answers are shaped by Apollo');
  const gateway = new ApolloGateway({
    supergraphSdl: gatewaySupergraphSdl(supergraphSdl),
    logger,
    // Plans are cached per operation; sized so a busy API's operations all stay planned.
    experimental_approximateQueryPlanStoreMiB: config.QUERY_PLAN_CACHE_MIB,
    buildService: ({ name, url }) => {
      const subgraphUrl = subgraphUrlFor(config, name, url);
      if (!subgraphUrl) throw new Error(`no URL for subgraph ${name}`);
      const dataSource = new SubgraphDataSource({ name, url: subgraphUrl, timeoutMs: config.SUBGRAPH_TIMEOUT_MS, serviceToken, metrics: gatewayMetrics, logger });
      dataSources.push(dataSource);
      return dataSource;
    },
  });

  const queryLimits = {
    maxDepth: config.MAX_QUERY_DEPTH,
    maxAliases: config.MAX_QUERY_ALIASES,
    maxCost: config.MAX_QUERY_COST,
    maxPageSize: config.MAX_PAGE_SIZE,
    assumedListSize: 5,
  };

  // No internalSecret: clients prove themselves with JWTs, checked on /graphql below.
  const app = createHttpService({
    service: 'gateway',
    logger,
    metrics,
    bodyLimit: config.MAX_BODY_BYTES,
    ready: async () => {
      await Promise.all(dataSources.map((dataSource) => dataSource.ready()));
    },
  });

  const server = new ApolloServer<GatewayContext>({
    gateway,
    introspection: config.NODE_ENV !== 'production',
    // In production a typo gets no "did you mean" list of the schema's fields.
    hideSchemaDetailsFromClientErrors: config.NODE_ENV === 'production',
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    parseOptions: { maxTokens: config.MAX_QUERY_TOKENS },
    stopOnTerminationSignals: false,
    logger,
    cache: keyValueCacheOf(apqCache),
    formatError: (formatted, error) => formatGatewayError(formatted, error, logger),
    plugins: [
      fastifyApolloDrainPlugin(app),
      // Cache-control hints are unused; the default plugin still costs work on every request.
      ApolloServerPluginCacheControlDisabled(),
      authorizationPlugin<GatewayContext>(apiSchema, fieldScopes),
      auditPlugin<GatewayContext>(auditReporter),
      graphqlMetricsPlugin<GatewayContext>(gatewayMetrics, operationLabeler()),
      queryLimitsPlugin<GatewayContext>(queryLimits),
    ],
  });
  await server.start();

  const verify = createTokenVerifier({ jwtSecret: config.JWT_SECRET, jwksUrl: config.AUTH_JWKS_URL, issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE });
  const authenticate = authenticationHook(verify, () => gatewayMetrics.graphqlRequests.inc({ operation: 'unknown', outcome: 'unauthenticated' }));
  const rateLimiter = deps.rateLimiter ?? createRateLimiter({ limit: config.RATE_LIMIT_PER_MINUTE, windowSeconds: 60, redisUrl: config.REDIS_URL });
  app.addHook('onRequest', async (req, reply) => {
    if (req.url.split('?', 1)[0] !== GRAPHQL_PATH) return undefined;
    const refused = await authenticate(req, reply);
    if (refused) return refused;
    // Only the landing page comes through without a principal; it costs nothing to serve.
    if (!req.principal) return undefined;
    const decision = await rateLimiter.hit(`${req.principal.role}:${req.principal.sub}`);
    if (decision.allowed) return undefined;
    return reply
      .code(429)
      .header('retry-after', String(decision.retryAfterSeconds))
      .send({ errors: [{ message: `rate limit exceeded; retry in ${decision.retryAfterSeconds} s`, extensions: { code: ErrorCode.RATE_LIMITED } }] });
  });

  // Subscriptions (graphql-sse and graphql-ws on the same path) are served in gateway/subscriptions/.
  const live = registerLiveUpdates({ app, path: GRAPHQL_PATH, server, schema: apiSchema, fieldScopes, verify, rateLimiter, queryLimits, config, serviceToken, logger });

  const authorize = authorizationHook({ schema: apiSchema, fieldScopes, apqCache });
  app.addHook('preHandler', async (req, reply) => {
    if (req.url.split('?', 1)[0] !== GRAPHQL_PATH) return undefined;
    return authorize(req, reply);
  });

  await app.register(fastifyApollo(server), {
    path: GRAPHQL_PATH,
    context: async (req) => {
      // Only the landing page passes the hook without a token; any operation without one stops here.
      if (!req.principal) {
        throw new GraphQLError('authentication required', { extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401 } } });
      }
      return { principal: req.principal, requestId: req.id, authorization: req.authorization };
    },
  });
  registerExportRoutes(app, { server, authenticate, logger });

  return {
    app,
    server,
    close: async () => {
      await live.close();
      await server.stop();
      await app.close();
      await Promise.all([...dataSources.map((dataSource) => dataSource.close()), rateLimiter.close(), auditReporter.close()]);
      if (!cache) await apqCache.close();
    },
  };
}

/** Adapts the platform cache to the KeyValueCache Apollo Server keeps persisted queries in. */
function keyValueCacheOf(cache: Cache) {
  return {
    get: (key: string) => cache.get(key),
    set: (key: string, value: string, options?: { ttl?: number | null }) => cache.set(key, value, options?.ttl ?? undefined),
    delete: (key: string) => cache.delete(key),
  };
}
