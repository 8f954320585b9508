import { createHash } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import { Supergraph } from '@apollo/federation-internals';
import {
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLFormattedError,
  type GraphQLNamedType,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
  type ValueNode,
  getNamedType,
  isInterfaceType,
  isObjectType,
  parse,
  print,
  visit,
} from 'graphql';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Cache } from '../platform/cache';
import { ErrorCode } from '../platform/errors';
import type { Principal } from './auth';
import { LruCache, type LruLimits } from '../platform/lru-cache';

/**
 * Who may read or call a field: any one of the inner lists, all of whose scopes the caller holds
 * (the shape of Federation's `@requiresScopes(scopes: [["finance"], ["admin"]])`).
 */
export type ScopeRule = string[][];

/** The scope rules of a supergraph: per `Type.field`, and per type for every field returning it. */
export interface FieldScopes {
  fields: Map<string, ScopeRule>;
  types: Map<string, ScopeRule>;
}

/** A field taken out of an operation because the caller's role may not see it. */
export interface RefusedField {
  /** Response keys from the root to the field (aliases as sent); lists in between are walked. */
  path: string[];
  /** `Type.field`, for messages and the audit log. */
  coordinate: string;
  /** For a refused root mutation field: the ids its arguments named (for the audit log). */
  ids?: string[];
}

/** What the gateway decided for one request; read by the response plugin and the audit plugin. */
export interface AuthorizationOutcome {
  refused: RefusedField[];
  /** Paths of the placeholder `__typename` added where a selection set was left empty. */
  placeholders: string[][];
}

/** The response key of the placeholder selected where every field of a set was refused. */
export const PLACEHOLDER_KEY = '_refusedPlaceholder';
const REQUIRES_SCOPES_LINK = /@link\(url: "https:\/\/specs\.apollo\.dev\/requiresScopes\/v0\.1", for: SECURITY\)/;
// Upper bound of fields visited while walking one operation, so a fragment bomb costs little.
const MAX_VISITS = 20_000;

/**
 * The supergraph as @apollo/gateway accepts it: the Node gateway refuses every `for: SECURITY`
 * feature it does not enforce itself, and @requiresScopes is enforced here (authorizationHook and
 * authorizationPlugin), so the link is kept without the purpose.
 */
export function gatewaySupergraphSdl(supergraphSdl: string): string {
  return supergraphSdl.replace(REQUIRES_SCOPES_LINK, '@link(url: "https://specs.apollo.dev/requiresScopes/v0.1")');
}

/** The client-facing schema of a supergraph (what operations are validated against). */
export function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(gatewaySupergraphSdl(supergraphSdl)).apiSchema().toGraphQLJSSchema();
}

/** Reads every @requiresScopes of the composed supergraph SDL. */
export function readFieldScopes(supergraphSdl: string): FieldScopes {
  const fields = new Map<string, ScopeRule>();
  const types = new Map<string, ScopeRule>();
  for (const definition of parse(supergraphSdl).definitions) {
    if (
      definition.kind !== Kind.OBJECT_TYPE_DEFINITION &&
      definition.kind !== Kind.OBJECT_TYPE_EXTENSION &&
      definition.kind !== Kind.INTERFACE_TYPE_DEFINITION &&
      definition.kind !== Kind.INTERFACE_TYPE_EXTENSION
    ) {
      continue;
    }
    const typeRule = scopeRuleOf(definition.directives);
    if (typeRule) types.set(definition.name.value, typeRule);
    for (const field of definition.fields ?? []) {
      const rule = scopeRuleOf(field.directives);
      if (rule) fields.set(`${definition.name.value}.${field.name.value}`, rule);
    }
  }
  return { fields, types };
}

function scopeRuleOf(directives: readonly DirectiveNode[] | undefined): ScopeRule | undefined {
  const directive = directives?.find((d) => d.name.value === 'requiresScopes');
  const argument = directive?.arguments?.find((a) => a.name.value === 'scopes');
  if (!argument || argument.value.kind !== Kind.LIST) return undefined;
  return argument.value.values.map((inner) => (inner.kind === Kind.LIST ? inner.values.map((v) => (v.kind === Kind.STRING ? v.value : '')) : []));
}

/** The scopes a principal holds: its role. */
export function scopesOf(principal: Principal): ReadonlySet<string> {
  return new Set([principal.role]);
}

/** True when the scopes satisfy the rule (no rule: open to every authenticated caller). */
export function isAllowed(rule: ScopeRule | undefined, scopes: ReadonlySet<string>): boolean {
  if (!rule) return true;
  return rule.some((all) => all.every((scope) => scopes.has(scope)));
}

/** The result of authorizing one operation. */
export interface AuthorizedDocument {
  /** The document to execute: the one sent when nothing was refused, else without the refused fields. */
  document: DocumentNode;
  changed: boolean;
  outcome: AuthorizationOutcome;
}

/** Thrown when an operation is too large to authorize; nothing runs. */
export class AuthorizationLimitError extends GraphQLError {
  constructor() {
    super('the operation is too large to authorize', { extensions: { code: ErrorCode.BAD_USER_INPUT, limit: 'cost', http: { status: 400 } } });
  }
}

/**
 * Removes from an operation every field the scopes do not allow and returns each refused field's
 * response path. Refusal depends only on the parent type and the field, so a field refused inside
 * a fragment is refused wherever the fragment is spread; the fragment is edited once and the walk
 * records one path per use. A selection set left empty gets a placeholder `__typename` (removed
 * from the answer again), variables no longer used lose their definitions, and fragments no
 * longer spread are dropped, so the rewritten document stays valid.
 * Returns undefined when the operation cannot be chosen (Apollo refuses it then without running anything).
 */
export function authorizeDocument(
  schema: GraphQLSchema,
  fieldScopes: FieldScopes,
  document: DocumentNode,
  operationName: string | undefined,
  scopes: ReadonlySet<string>,
  variables: Record<string, unknown> = {},
): AuthorizedDocument | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  if (!operation) return undefined;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const root = operation.operation === 'mutation' ? schema.getMutationType() : operation.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType();
  if (!root) return undefined;

  const refusedNodes = new Set<FieldNode>();
  const outcome: AuthorizationOutcome = { refused: [], placeholders: [] };
  const seenPaths = new Set<string>();
  let visits = 0;

  const fieldRefused = (parent: GraphQLNamedType, node: FieldNode): boolean => {
    if (node.name.value.startsWith('__')) return false;
    if (!isObjectType(parent) && !isInterfaceType(parent)) return false;
    const field = parent.getFields()[node.name.value];
    if (!field) return false;
    const returned = getNamedType(field.type).name;
    return !isAllowed(fieldScopes.fields.get(`${parent.name}.${node.name.value}`), scopes) || !isAllowed(fieldScopes.types.get(returned), scopes);
  };

  const walk = (selectionSet: SelectionSetNode, parent: GraphQLNamedType, path: string[], spread: ReadonlySet<string>): void => {
    for (const selection of selectionSet.selections) {
      if (++visits > MAX_VISITS) throw new AuthorizationLimitError();
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || spread.has(fragment.name.value)) continue;
        walk(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) ?? parent, path, new Set([...spread, fragment.name.value]));
        continue;
      }
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : undefined;
        walk(selection.selectionSet, condition ?? parent, path, spread);
        continue;
      }
      const key = selection.alias?.value ?? selection.name.value;
      const fieldPath = [...path, key];
      if (fieldRefused(parent, selection)) {
        refusedNodes.add(selection);
        const id = fieldPath.join('\u0000');
        if (!seenPaths.has(id)) {
          seenPaths.add(id);
          const refused: RefusedField = { path: fieldPath, coordinate: `${parent.name}.${selection.name.value}` };
          if (path.length === 0 && operation.operation === 'mutation') refused.ids = idsInArguments(selection, variables);
          outcome.refused.push(refused);
        }
        continue;
      }
      if (!selection.selectionSet || !(isObjectType(parent) || isInterfaceType(parent))) continue;
      const field = parent.getFields()[selection.name.value];
      if (field) walk(selection.selectionSet, getNamedType(field.type), fieldPath, spread);
    }
  };
  walk(operation.selectionSet, root, [], new Set());
  if (refusedNodes.size === 0) return { document, changed: false, outcome };

  // Remove the refused fields; an emptied set gets the placeholder so the document stays valid.
  const placeholder: FieldNode = { kind: Kind.FIELD, alias: { kind: Kind.NAME, value: PLACEHOLDER_KEY }, name: { kind: Kind.NAME, value: '__typename' } };
  const pruned = visit(document, {
    Field: { enter: (node) => (refusedNodes.has(node) ? null : undefined) },
    SelectionSet: {
      leave: (node) => {
        if (node.selections.length > 0) return undefined;
        return { ...node, selections: [placeholder] };
      },
    },
  });
  // Record where placeholders landed, to strip them from the answer.
  const placeholderPaths = new Set<string>();
  collectPlaceholderPaths(pruned, operation, outcome, placeholderPaths);

  const rewritten = dropUnused(pruned, operation.name?.value, operations.length);
  return { document: rewritten, changed: true, outcome };
}

// Walks the pruned operation and records the response paths of every placeholder.
function collectPlaceholderPaths(document: DocumentNode, original: OperationDefinitionNode, outcome: AuthorizationOutcome, paths: Set<string>): void {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && d.name?.value === original.name?.value && d.operation === original.operation);
  if (!operation) return;
  let visits = 0;
  const walk = (selections: readonly SelectionNode[], path: string[], spread: ReadonlySet<string>): void => {
    for (const selection of selections) {
      if (++visits > MAX_VISITS) throw new AuthorizationLimitError();
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (fragment && !spread.has(fragment.name.value)) walk(fragment.selectionSet.selections, path, new Set([...spread, fragment.name.value]));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet.selections, path, spread);
      } else if (selection.alias?.value === PLACEHOLDER_KEY && selection.name.value === '__typename') {
        const id = path.join('\u0000');
        if (!paths.has(id)) {
          paths.add(id);
          outcome.placeholders.push(path);
        }
      } else if (selection.selectionSet) {
        walk(selection.selectionSet.selections, [...path, selection.alias?.value ?? selection.name.value], spread);
      }
    }
  };
  walk(operation.selectionSet.selections, [], new Set());
}

// Keeps only the chosen operation, the fragments it still spreads and the variables it still uses.
function dropUnused(document: DocumentNode, operationName: string | undefined, operationCount: number): DocumentNode {
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && (operationCount === 1 || d.name?.value === operationName),
  );
  if (!operation) return document;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const usedFragments = new Set<string>();
  const usedVariables = new Set<string>();
  const collect = (node: OperationDefinitionNode['selectionSet'] | FragmentDefinitionNode): void => {
    visit(node, {
      FragmentSpread: (spread) => {
        if (usedFragments.has(spread.name.value)) return;
        usedFragments.add(spread.name.value);
        const fragment = fragments.get(spread.name.value);
        if (fragment) collect(fragment);
      },
      Variable: (variable) => {
        usedVariables.add(variable.name.value);
      },
    });
  };
  collect(operation.selectionSet);
  // Variables used in the operation's own directives stay too.
  for (const directive of operation.directives ?? []) visit(directive, { Variable: (v) => void usedVariables.add(v.name.value) });
  const keptOperation: OperationDefinitionNode = {
    ...operation,
    variableDefinitions: operation.variableDefinitions?.filter((v) => usedVariables.has(v.variable.name.value)),
  };
  return {
    ...document,
    definitions: [keptOperation, ...[...fragments.values()].filter((f) => usedFragments.has(f.name.value))],
  };
}

/** Ids named by a mutation field's arguments: any argument or input field called `id` or ending in `Id`. */
export function idsInArguments(field: FieldNode, variables: Record<string, unknown>): string[] {
  const ids: string[] = [];
  const fromValue = (name: string, value: unknown): void => {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) {
      for (const item of value) fromValue(name, item);
    } else if (typeof value === 'object') {
      for (const [key, inner] of Object.entries(value as Record<string, unknown>)) fromValue(key, inner);
    } else if ((name === 'id' || name.endsWith('Id')) && (typeof value === 'string' || typeof value === 'number')) {
      ids.push(String(value));
    }
  };
  for (const argument of field.arguments ?? []) fromValue(argument.name.value, valueOfNode(argument.value, variables));
  return [...new Set(ids)].slice(0, 50);
}

function valueOfNode(node: ValueNode, variables: Record<string, unknown>): unknown {
  switch (node.kind) {
    case Kind.VARIABLE:
      return variables[node.name.value];
    case Kind.STRING:
    case Kind.INT:
    case Kind.FLOAT:
    case Kind.ENUM:
      return node.value;
    case Kind.LIST:
      return node.values.map((v) => valueOfNode(v, variables));
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((f) => [f.name.value, valueOfNode(f.value, variables)]));
    default:
      return undefined;
  }
}

/**
 * Writes the refusals into an answer: `null` at every concrete path of a refused field (lists on
 * the way are walked) with a FORBIDDEN error per path, and the placeholders removed. The null is
 * written even where the schema says non-null (e.g. Customer.openBalance): the issue asks that a
 * refused field be null while the rest of the answer stands, which nulling the parent would break.
 */
export function applyRefusals(data: Record<string, unknown>, outcome: AuthorizationOutcome): GraphQLFormattedError[] {
  const errors: GraphQLFormattedError[] = [];
  for (const refused of outcome.refused) {
    forEachParent(data, refused.path.slice(0, -1), [], (parent, at) => {
      const key = refused.path[refused.path.length - 1];
      // Defined, not assigned: answers are ordinary objects, where assigning an alias "__proto__" would set the prototype.
      Object.defineProperty(parent, key, { value: null, writable: true, enumerable: true, configurable: true });
      errors.push({ message: `your role may not see ${refused.coordinate}`, path: [...at, key], extensions: { code: ErrorCode.FORBIDDEN } });
    });
  }
  for (const path of outcome.placeholders) {
    forEachParent(data, path, [], (parent) => {
      delete parent[PLACEHOLDER_KEY];
    });
  }
  return errors;
}

// Calls `visit` with every object reached by following `keys` from `value`, through lists.
function forEachParent(value: unknown, keys: string[], at: (string | number)[], visitObject: (parent: Record<string, unknown>, at: (string | number)[]) => void): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => forEachParent(item, keys, [...at, index], visitObject));
    return;
  }
  if (typeof value !== 'object') return;
  if (keys.length === 0) {
    visitObject(value as Record<string, unknown>, at);
    return;
  }
  const [first, ...rest] = keys;
  forEachParent((value as Record<string, unknown>)[first], rest, [...at, first], visitObject);
}

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
    const decisionKey = `${[...scopes].sort().join(' ')}\u0000${operationName ?? ''}\u0000${query}`;
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
          const key = `${[...scopes].sort().join(' ')}\u0000${operationName ?? ''}`;
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
          const errors = applyRefusals(result.data as Record<string, unknown>, outcome);
          if (errors.length > 0) result.errors = [...(result.errors ?? []), ...errors];
        },
      };
    },
  };
}
