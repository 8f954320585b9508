import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLField,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  Kind,
  getNamedType,
  getNullableType,
  Lexer,
  Source,
  TokenKind,
  isCompositeType,
  isListType,
  isObjectType,
  isInterfaceType,
  valueFromAST,
} from 'graphql';
import { ErrorCode } from '../platform/errors';
import { checkNumericInputs } from './numeric-literals';

/** The static limits every operation is checked against before it runs. */
export interface QueryLimits {
  /** Deepest field nesting; the default is 15. */
  maxDepth: number;
  /** Most aliased fields in one operation. */
  maxAliases: number;
  /** Highest estimated cost: each field counts once per item its enclosing lists may hold. */
  maxCost: number;
  /** Largest `first`/`last` any field may be asked for. */
  maxPageSize: number;
  /** Items assumed for a list without a `first`/`last` argument (contacts, lines, stock…). */
  assumedListSize: number;
}

/** Why an operation was refused: the limit's name, what it measured and what is allowed. */
export class QueryLimitError extends GraphQLError {
  constructor(message: string, limit: string, field?: string) {
    super(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, limit, ...(field ? { field } : {}), http: { status: 400 } } });
  }
}

/**
 * Refuses an operation that is too deep, too aliased, too costly or asks for too large a page,
 * after validation and before any subgraph is called, so an abusive query costs nothing; and a
 * document without the operation to run (an unknown operationName, or several operations and no
 * name), which Apollo Server would hand to the gateway's executor and answer with a 500.
 */
export function queryLimitsPlugin<Context extends BaseContext>(limits: QueryLimits): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, schema, request }) {
          if (!operation) {
            const message = request.operationName ? `Unknown operation named "${request.operationName}".` : 'Must provide operation name if query contains multiple operations.';
            throw new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, field: 'operationName', http: { status: 400 } } });
          }
          checkNumericInputs(document, request.variables);
          checkOperation(schema, document, operation, (request.variables ?? {}) as Record<string, unknown>, limits);
        },
      };
    },
  };
}

/** Measures one operation and throws QueryLimitError at the first limit it breaks. */
export function checkOperation(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>, limits: QueryLimits): void {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const root = operation.operation === 'mutation' ? schema.getMutationType() : operation.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType();
  if (!root) return;
  let aliases = 0;

  // Returns the estimated cost of a selection set under `parentType`, checking depth and pages on the way.
  const walk = (selectionSet: SelectionSetNode, parentType: GraphQLOutputType, depth: number, seen: ReadonlySet<string>): number => {
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        // A fragment spread inside itself is refused by validation already; `seen` guards the walk.
        if (!fragment || seen.has(fragment.name.value)) continue;
        const typeCondition = schema.getType(fragment.typeCondition.name.value);
        cost += walk(fragment.selectionSet, (typeCondition as GraphQLOutputType) ?? parentType, depth, new Set([...seen, fragment.name.value]));
        continue;
      }
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const typeCondition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : undefined;
        cost += walk(selection.selectionSet, (typeCondition as GraphQLOutputType) ?? parentType, depth, seen);
        continue;
      }
      if (selection.alias) aliases++;
      if (aliases > limits.maxAliases) throw new QueryLimitError(`the operation uses more than ${limits.maxAliases} aliases`, 'aliases');
      const field = fieldOf(parentType, selection);
      if (!field) continue;
      const fieldDepth = depth + 1;
      if (fieldDepth > limits.maxDepth) throw new QueryLimitError(`the operation is nested deeper than ${limits.maxDepth} levels`, 'depth');
      // A connection's page size already counts its nodes.
      const items = getNamedType(parentType).name.endsWith('Connection') ? 1 : itemsOf(field, selection, variables, limits);
      const children = selection.selectionSet ? walk(selection.selectionSet, getNamedType(field.type) as GraphQLOutputType, fieldDepth, seen) : 0;
      cost += items * (1 + children);
      if (cost > limits.maxCost) throw new QueryLimitError(`the operation's estimated cost exceeds ${limits.maxCost}`, 'cost');
    }
    return cost;
  };
  walk(operation.selectionSet, root, 0, new Set());
}

function fieldOf(parentType: GraphQLOutputType, selection: FieldNode): GraphQLField<unknown, unknown> | undefined {
  const type = getNamedType(parentType);
  if (!isCompositeType(type) || !(isObjectType(type) || isInterfaceType(type))) return undefined;
  return type.getFields()[selection.name.value];
}

// How many items a field stands for: its page size for lists and connections, else one.
function itemsOf(field: GraphQLField<unknown, unknown>, selection: FieldNode, variables: Record<string, unknown>, limits: QueryLimits): number {
  let page: number | undefined;
  for (const name of ['first', 'last']) {
    const definition = field.args.find((a) => a.name === name);
    if (!definition) continue;
    const node = selection.arguments?.find((a) => a.name.value === name);
    const value = node ? valueFromAST(node.value, definition.type, variables) : definition.defaultValue;
    if (typeof value !== 'number') continue;
    if (value > limits.maxPageSize || value < 0) {
      throw new QueryLimitError(`${selection.name.value}(${name}:) must be between 0 and ${limits.maxPageSize}`, 'pageSize', name);
    }
    page = value;
  }
  const isList = isListType(getNullableType(field.type));
  const isConnection = getNamedType(field.type).name.endsWith('Connection');
  if (isList || isConnection) return Math.max(1, page ?? limits.assumedListSize);
  return 1;
}

/** The HTTP status of an operation refused by a limit. */
export const QUERY_LIMIT_STATUS = 400;

/**
 * Lexical tokens of a query text, comments included (graphql-js's `maxTokens` skips comments,
 * which would let a megabyte of them through); counting stops past `max`. A text that does not
 * lex counts what it had so far: Apollo answers its syntax error.
 */
export function tokensWithComments(text: string, max: number): number {
  const lexer = new Lexer(new Source(text));
  let count = 0;
  try {
    let previous = lexer.token;
    while (previous.kind !== TokenKind.EOF && count <= max) {
      const next = lexer.advance();
      for (let token = previous.next; token && token !== next; token = token.next) count++;
      count++;
      previous = next;
    }
  } catch {
    return count;
  }
  return count;
}
