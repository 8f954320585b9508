import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import fastifyApollo, { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GraphQLError, type GraphQLFormattedError, parse } from 'graphql';
import { ErrorCode, isAppError } from './errors';
import type { Logger } from './logger';
import { jitExecutedSchema } from './jit-executor';
import { degradeUnavailableLists, partialAnswersPlugin } from './partial-answers';

/** How a subgraph is mounted on a service's Fastify app. */
export interface SubgraphMountOptions<Context extends BaseContext> {
  app: FastifyInstance;
  /** The subgraph's SDL (from schema/<name>.graphql). */
  typeDefs: string;
  resolvers: unknown;
  /** Builds the per-request context (DataLoaders live here). */
  context: (request: FastifyRequest) => Promise<Context>;
  logger: Logger;
  /** True outside production: introspection and error details. */
  development: boolean;
}

/**
 * Mounts an Apollo Federation subgraph at POST/GET /graphql, executed by graphql-jit (see
 * jit-executor.ts). Errors leave with a code: an
 * AppError keeps its own, GraphQL validation keeps Apollo's, and anything unknown is logged
 * with the request id and answered as INTERNAL_SERVER_ERROR without details.
 */
export async function mountSubgraph<Context extends BaseContext>(options: SubgraphMountOptions<Context>): Promise<ApolloServer<Context>> {
  const schema = degradeUnavailableLists(buildSubgraphSchema({ typeDefs: parse(options.typeDefs), resolvers: options.resolvers as GraphQLResolverMap<unknown> }));
  const server = new ApolloServer<Context>({
    gateway: jitExecutedSchema(schema),
    introspection: options.development,
    includeStacktraceInErrorResponses: false,
    // Inline traces are for Apollo's hosted reporting, which this product does not use. Cache
    // control hints are unused too, and its per-field hook wraps every resolver (a top CPU cost).
    plugins: [fastifyApolloDrainPlugin(options.app), ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginCacheControlDisabled(), partialAnswersPlugin<Context>()],
    formatError: (formatted, error) => formatSubgraphError(formatted, error, options.logger),
  });
  await server.start();
  await options.app.register(fastifyApollo(server), { context: options.context });
  return server;
}

/** Maps any error leaving a subgraph to a coded GraphQL error. */
export function formatSubgraphError(formatted: GraphQLFormattedError, error: unknown, logger: Logger): GraphQLFormattedError {
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (isAppError(original)) {
    return { message: original.message, path: formatted.path, locations: formatted.locations, extensions: { code: original.code, ...safeDetails(original.details) } };
  }
  const code = formatted.extensions?.code;
  if (!original && typeof code === 'string' && code !== ErrorCode.INTERNAL_SERVER_ERROR) return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code } };
  if (original instanceof GraphQLError || (typeof code === 'string' && code !== ErrorCode.INTERNAL_SERVER_ERROR)) {
    return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code: code ?? ErrorCode.BAD_USER_INPUT } };
  }
  logger.error({ err: original ?? error, path: formatted.path }, 'unexpected resolver error');
  return { message: 'Internal server error', path: formatted.path, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
}

function safeDetails(details: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!details) return {};
  const { field, system } = details as { field?: unknown; system?: unknown };
  return { ...(field !== undefined ? { field } : {}), ...(system !== undefined ? { system } : {}) };
}
