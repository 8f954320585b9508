import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled, ApolloServerPluginSchemaReportingDisabled, ApolloServerPluginUsageReportingDisabled } from '@apollo/server/plugin/disabled';
import fastifyApollo, { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import type { FastifyInstance } from 'fastify';
import { GraphQLError } from 'graphql';
import { ErrorCode } from '../platform/errors';
import { createHttpService } from '../platform/http-server';
import type { Logger } from '../platform/logger';
import type { ServiceMetrics } from '../platform/metrics';
import { serviceTokenSigner } from '../platform/service-auth';
import { auditPlugin, httpAuditReporter } from './audit';
import { authenticationHook, createTokenVerifier } from './auth';
import { apiSchemaOf, gatewaySupergraphSdl, readFieldScopes } from './authorization/field-scopes';
import { authorizationPlugin } from './authorization/plugin';
import { authorizationHook } from './authorization/request-hook';
import type { GatewayConfig } from './config';
import { subgraphUrlFor } from './config';
import type { GatewayContext } from './context';
import { formatGatewayError } from './errors';
import { registerConsoleRoutes } from './console-routes';
import { registerExportRoutes } from './export.routes';
import { boundedDocumentStore } from './document-store';
import { createGatewayMetrics, graphqlMetricsPlugin, operationLabeler, registerCacheSizes } from './metrics';
import { FallbackPersistedQueries, MemoryPersistedQueries, type PersistedQueryStore, queryTextHook } from './persisted-queries';
import { queryLimitsPlugin } from './limits';
import { useFastResultShaping } from './result-shaping';
import { FallbackRateLimiter, MemoryRateLimiter, type RateLimiter } from './rate-limit';
import { RedisConnection } from './redis-connection';
import { SubgraphDataSource } from './subgraph-data-source';
import { registerLiveUpdates } from './subscriptions';

/** What the gateway is built from. */
export interface GatewayDeps {
  config: GatewayConfig;
  logger: Logger;
  metrics: ServiceMetrics;
  /** The composed supergraph SDL (schema/supergraph.graphql). */
  supergraphSdl: string;
  /** Holds automatic persisted queries; default from config (Redis when REDIS_URL is set, so every replica knows them). */
  persistedQueries?: PersistedQueryStore;
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
export async function createGateway({ config, logger, metrics, supergraphSdl, ...deps }: GatewayDeps): Promise<BuiltGateway> {
  const gatewayMetrics = createGatewayMetrics(metrics.registry);
  const serviceToken = serviceTokenSigner(config.INTERNAL_SECRET, 'gateway');
  const dataSources: SubgraphDataSource[] = [];
  // Field rules (@requiresScopes) are enforced here, before execution; see authorization/.
  const fieldScopes = readFieldScopes(supergraphSdl);
  const apiSchema = apiSchemaOf(supergraphSdl);
  // Redis only shares state between replicas; without it (unset or down) each process keeps its own.
  const redis = config.REDIS_URL ? new RedisConnection(config.REDIS_URL, metrics.registry, logger, config.REDIS_KEY_PREFIX) : undefined;
  const apqLimits = { maxBytes: config.APQ_MAX_BYTES, maxQueryBytes: config.APQ_MAX_QUERY_BYTES, ttlSeconds: config.APQ_TTL_SECONDS };
  const persistedQueries = deps.persistedQueries ?? (redis ? new FallbackPersistedQueries(redis, apqLimits) : new MemoryPersistedQueries(apqLimits));
  const rateLimits = { limit: config.RATE_LIMIT_PER_MINUTE, windowSeconds: 60 };
  const rateLimiter = deps.rateLimiter ?? (redis ? new FallbackRateLimiter(redis, rateLimits) : new MemoryRateLimiter(rateLimits));
  const documentStore = boundedDocumentStore(config.DOCUMENT_CACHE_MAX_BYTES);
  registerCacheSizes(metrics.registry, { documents: async () => documentStore.bytes, 'persisted-queries': () => persistedQueries.bytes() });
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

  let started = false;
  // No internalSecret: clients prove themselves with JWTs, checked on /graphql below.
  const app = createHttpService({
    service: 'gateway',
    logger,
    metrics,
    bodyLimit: config.MAX_BODY_BYTES,
    // Ready once it has its supergraph (the server has started); never the subgraphs: with one of
    // them down it still answers, the missing fields null with UPSTREAM_UNAVAILABLE, so an outage
    // behind it never empties its Service.
    ready: async () => {
      if (!started) throw new Error('the supergraph is not loaded yet');
    },
    // Each subgraph by its name, answering its own /ready; Redis when configured (without it the
    // limits and persisted queries are kept in process).
    dependencies: () => ({
      ...Object.fromEntries(dataSources.map((dataSource) => [dataSource.name, () => dataSource.ready()])),
      ...(redis ? { redis: async () => {
        if (!redis.isAvailable) throw new Error('unavailable: rate limits and persisted queries kept in process');
      } } : {}),
    }),
    // Ready either way: without Redis the gateway serves on its in-process limiter and caches.
    readyDetails: () => (redis ? { redis: redis.isAvailable ? 'available' : 'unavailable: rate limits and persisted queries kept in process' } : {}),
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
    // Persisted queries are resolved before authorization (persisted-queries.ts), never by Apollo.
    persistedQueries: false,
    documentStore,
    formatError: (formatted, error) => formatGatewayError(formatted, error, logger),
    plugins: [
      fastifyApolloDrainPlugin(app),
      // Cache-control hints are unused; the default plugin still costs work on every request.
      ApolloServerPluginCacheControlDisabled(),
      // Nothing leaves for Apollo GraphOS unless asked for (APOLLO_KEY alone would turn reporting on).
      ...(config.APOLLO_USAGE_REPORTING ? [] : [ApolloServerPluginUsageReportingDisabled(), ApolloServerPluginSchemaReportingDisabled()]),
      // Apollo's landing pages load from its CDN; browsers get the local explorer (console-routes.ts).
      ApolloServerPluginLandingPageDisabled(),
      authorizationPlugin<GatewayContext>(apiSchema, fieldScopes),
      auditPlugin<GatewayContext>(auditReporter),
      graphqlMetricsPlugin<GatewayContext>(gatewayMetrics, operationLabeler()),
      queryLimitsPlugin<GatewayContext>(queryLimits),
    ],
  });
  await server.start();
  started = true;

  const verify = createTokenVerifier({
    jwtSecret: config.JWT_SECRET,
    jwksUrl: config.AUTH_JWKS_URL,
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
    maxTokenAgeSeconds: config.AUTH_MAX_TOKEN_AGE_SECONDS,
  });
  const authenticate = authenticationHook(verify, () => gatewayMetrics.graphqlRequests.inc({ operation: 'unknown', outcome: 'unauthenticated' }));
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

  const resolveQueryText = queryTextHook({ store: persistedQueries, maxTokens: config.MAX_QUERY_TOKENS });
  const authorize = authorizationHook({ schema: apiSchema, fieldScopes, maxTokens: config.MAX_QUERY_TOKENS });
  app.addHook('preHandler', async (req, reply) => {
    if (req.url.split('?', 1)[0] !== GRAPHQL_PATH) return undefined;
    return (await resolveQueryText(req, reply)) ?? authorize(req, reply);
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
  registerExportRoutes(app, { server, authenticate, logger, rateLimiter, maxConcurrent: config.EXPORT_MAX_CONCURRENT });
  registerConsoleRoutes(app, {
    explorer: config.API_EXPLORER,
    authenticate,
    logger,
    imports: { erpBackendUrl: config.ERP_BACKEND_URL, crmBackendUrl: config.CRM_BACKEND_URL, internalSecret: config.INTERNAL_SECRET },
  });

  return {
    app,
    server,
    close: async () => {
      await live.close();
      await server.stop();
      await app.close();
      await Promise.all([...dataSources.map((dataSource) => dataSource.close()), rateLimiter.close(), auditReporter.close(), persistedQueries.close()]);
      await redis?.close();
    },
  };
}
