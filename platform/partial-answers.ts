import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import {
  type GraphQLFieldResolver,
  type GraphQLFormattedError,
  type GraphQLSchema,
  defaultFieldResolver,
  isListType,
  isNonNullType,
  isObjectType,
  responsePathAsArray,
} from 'graphql';
import { ErrorCode, isAppError } from './errors';

/**
 * Partial answers under a non-null contract. The public API declares a customer's lists non-null
 * (`contacts: [Contact!]!`), so a list whose backend is down would, by GraphQL's null rules, null
 * the whole customer and with it what the other system did answer. Instead, such a list answers
 * empty and the response carries an UPSTREAM_UNAVAILABLE error at the list's path, so a client
 * sees both what is there and exactly what is missing.
 */

/** The part of a request's context where its degraded lists are noted, for the response plugin. */
export interface PartialAnswersContext {
  degradedLists?: GraphQLFormattedError[];
}

/** Wraps every non-null list field below the root types so an unavailable backend degrades it. */
export function degradeUnavailableLists(schema: GraphQLSchema): GraphQLSchema {
  const roots = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].filter(Boolean));
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || roots.has(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (!isNonNullType(field.type) || !isListType(field.type.ofType)) continue;
      const resolve: GraphQLFieldResolver<unknown, object> = field.resolve ?? defaultFieldResolver;
      const degrade = (error: unknown, context: object, info: Parameters<GraphQLFieldResolver<unknown, object>>[3]) => {
        if (!isAppError(error) || error.code !== ErrorCode.UPSTREAM_UNAVAILABLE || typeof context !== 'object' || context === null) throw error;
        const noted = context as PartialAnswersContext;
        (noted.degradedLists ??= []).push({ message: error.message, path: responsePathAsArray(info.path), extensions: { code: error.code } });
        return [];
      };
      // A list resolved synchronously stays synchronous: a promise per list is a measurable cost on large answers.
      field.resolve = (source, args, context, info) => {
        let result: unknown;
        try {
          result = resolve(source, args, context, info);
        } catch (error) {
          return degrade(error, context, info);
        }
        if (result && typeof (result as PromiseLike<unknown>).then === 'function') return (result as Promise<unknown>).catch((error: unknown) => degrade(error, context, info));
        return result;
      };
    }
  }
  return schema;
}

/** Adds the errors of degraded lists to the response. */
export function partialAnswersPlugin<Context extends BaseContext>(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          const errors = (contextValue as PartialAnswersContext).degradedLists;
          if (!errors?.length || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          result.errors = [...(result.errors ?? []), ...errors];
        },
      };
    },
  };
}
