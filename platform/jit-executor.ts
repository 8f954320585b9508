import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import { GraphQLError, type GraphQLSchema, printSchema } from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import { ErrorCode } from './errors';
import { LruCache, type LruLimits } from './lru-cache';

// A subgraph sees the gateway's few query plans, but any caller's operations may arrive: keep the
// most used, bounded by count and by query text (a compiled operation grows with its text).
const COMPILED_OPERATION_LIMITS: LruLimits = { maxEntries: 500, maxWeight: 4 * 1024 * 1024 };

/**
 * Executes a subgraph's operations with graphql-jit instead of graphql-js. A subgraph answers the
 * same few operations (the gateway's query plans) over and over, some of them with thousands of
 * fields (a Customer 360's order lines, products and stock); graphql-jit compiles each operation
 * once into plain JavaScript, which runs it at a fraction of graphql-js's cost and garbage.
 *
 * Apollo Server takes a custom executor only through its gateway interface, so this is a
 * "gateway" over one fixed schema. Everything before execution (parsing, validation, limits,
 * plugins) and after it (formatError) stays Apollo Server's.
 */
export function jitExecutedSchema(schema: GraphQLSchema, limits: LruLimits = COMPILED_OPERATION_LIMITS): GatewayInterface {
  const executor = jitExecutor(schema, limits);
  return {
    async load() {
      return { executor };
    },
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => {};
    },
    async stop() {},
  };
}

function jitExecutor(schema: GraphQLSchema, limits: LruLimits): GatewayExecutor {
  // Keyed by the query text's hash and the operation name, which picks one of several operations.
  const compiled = new LruCache<CompiledQuery>(limits);
  return async (requestContext) => {
    const { document, request, queryHash, source } = requestContext;
    const operationName = request.operationName ?? undefined;
    const key = `${queryHash}:${operationName ?? ''}`;
    let query = compiled.get(key);
    if (!query) {
      const result = compileQuery(schema, document, operationName, { disablingCapturingStackErrors: true });
      if (!isCompiledQuery(result)) return { errors: result.errors?.map((error) => asGraphQLError(error)) };
      query = result;
      compiled.set(key, query, source.length);
    }
    const result = await query.query(undefined, requestContext.context, request.variables ?? {});
    if (!result.errors) return result;
    // No data at all: the request failed before execution (variables that do not coerce), which
    // graphql-js with Apollo Server answers as BAD_USER_INPUT, and so does this.
    if (result.data === undefined) return { errors: result.errors.map((error) => asGraphQLError(error, { code: ErrorCode.BAD_USER_INPUT })) };
    return { ...result, errors: result.errors.map((error) => asGraphQLError(error)) };
  };
}

/**
 * graphql-jit's errors imitate graphql-js's but leave `extensions` undefined, which Apollo Server's
 * error formatting reads from; rebuilt as graphql-js errors they keep path, locations and cause.
 */
function asGraphQLError(error: GraphQLError, extensions?: GraphQLError['extensions']): GraphQLError {
  const rebuilt = new GraphQLError(error.message, { path: error.path, originalError: error.originalError ?? undefined, extensions: extensions ?? error.extensions ?? undefined });
  if (error.locations) (rebuilt as { locations?: GraphQLError['locations'] }).locations = error.locations;
  return rebuilt;
}
