import type { ApolloServerPlugin } from '@apollo/server';
import { type DocumentNode, GraphQLError, type GraphQLSchema } from 'graphql';
import { ErrorCode } from '../../platform/errors';
import type { Principal } from '../auth';
import { applyRefusals } from './answer-refusals';
import { type FieldScopes, scopesKey, scopesOf } from './field-scopes';
import { type AuthorizationOutcome, authorizeDocument } from './operation-pruning';

/** The part of the gateway context the authorization plugin reads. */
export interface AuthorizationContext {
  principal: Principal;
  authorization?: AuthorizationOutcome;
}

/**
 * The Apollo side of authorization. Before execution it checks the resolved operation once more,
 * so an operation that reached Apollo without passing the hook's rewrite can never run a refused
 * field (it is refused whole with FORBIDDEN). After execution it writes the nulls and the FORBIDDEN
 * errors of the fields the hook removed.
 */
export function authorizationPlugin<Context extends AuthorizationContext>(schema: GraphQLSchema, fieldScopes: FieldScopes): ApolloServerPlugin<Context> {
  // Apollo hands the same document object to every request with the same text (its document store),
  // and whether a walk would remove a field depends only on the document, the operation and the scopes.
  const refusesFields = new WeakMap<DocumentNode, Map<string, boolean>>();
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operationName, contextValue, request }) {
          const scopes = scopesOf(contextValue.principal);
          const key = `${scopesKey(scopes)}\u0000${operationName ?? ''}`;
          let byKey = refusesFields.get(document);
          let refuses = byKey?.get(key);
          if (refuses === undefined) {
            const check = authorizeDocument(schema, fieldScopes, document, operationName ?? undefined, scopes, (request.variables ?? {}) as Record<string, unknown>);
            refuses = check?.changed ?? false;
            if (!byKey) refusesFields.set(document, (byKey = new Map()));
            byKey.set(key, refuses);
          }
          if (refuses) {
            throw new GraphQLError('the operation selects fields your role may not see', { extensions: { code: ErrorCode.FORBIDDEN, http: { status: 403 } } });
          }
        },
        async willSendResponse({ response, contextValue }) {
          const outcome = contextValue.authorization;
          if (!outcome || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          if (!result.data) return;
          const refused = applyRefusals(result.data as Record<string, unknown>, outcome);
          result.data = refused.data;
          if (refused.errors.length > 0) result.errors = [...(result.errors ?? []), ...refused.errors];
        },
      };
    },
  };
}
