import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { type FragmentDefinitionNode, GraphQLError, Kind, type SelectionSetNode, parse } from 'graphql';
import { STATUS_CODES } from 'node:http';
import { Agent, fetch, request } from 'undici';
import { ErrorCode } from '../platform/errors';
import type { Logger } from '../platform/logger';
import { REQUEST_BUDGET_HEADER, REQUEST_ID_HEADER } from '../platform/request-context';
import { injectTraceHeaders } from '../platform/tracing';
import { SERVICE_TOKEN_HEADER } from '../platform/service-auth';
import { isTrustedOnlyHeader, principalHeaders } from './auth';
import type { GatewayContext } from './context';
import type { GatewayMetrics, SubgraphFetchOutcome } from './metrics';

/** What one subgraph's data source needs. */
export interface SubgraphDataSourceOptions {
  /** The subgraph's name in the supergraph (erp, crm, integration). */
  name: string;
  /** Its GraphQL endpoint. */
  url: string;
  /** Longest wait for one fetch, body included. */
  timeoutMs: number;
  /** Gives the current x-service-token value. */
  serviceToken: () => string;
  metrics: GatewayMetrics;
  logger: Logger;
}

type ResponsePath = (string | number)[];

/**
 * Sends the gateway's fetches to one subgraph over a keep-alive connection pool with a per-call
 * timeout, carrying the service credential, the request id and the verified principal. When the
 * subgraph cannot answer (down, timed out, a 5xx), the fields it was asked for fail with
 * UPSTREAM_UNAVAILABLE and the rest of the answer stands.
 *
 * It implements Apollo's `GraphQLDataSource` itself rather than extending its
 * `RemoteGraphQLDataSource`, which builds WHATWG `Headers` and a `Request` per fetch and reads
 * bodies through streams: a gateway answering a Customer 360 makes a dozen fetches. What this
 * product used of it is kept: the client's headers passed on (Apollo's executor sets one when it
 * wants a subgraph trace), JSON bodies, and a non-2xx answer's GraphQL errors.
 */
export class SubgraphDataSource implements GraphQLDataSource<GatewayContext> {
  private readonly agent: Agent;
  private readonly settings: SubgraphDataSourceOptions;

  constructor(settings: SubgraphDataSourceOptions) {
    this.settings = settings;
    this.agent = new Agent({ keepAliveTimeout: 30_000, connections: 128 });
  }

  /**
   * The headers of one fetch: the client's (as Apollo's executor passes them) without any that
   * only the gateway may set, then the service token, the time the gateway waits, the request id,
   * the trace context and the verified principal.
   */
  private headersFor({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Record<string, string> {
    const headers: Record<string, string> = {};
    if (request.http?.headers) {
      for (const [name, value] of request.http.headers) {
        const lower = name.toLowerCase();
        if (!isTrustedOnlyHeader(lower)) headers[lower] = lower in headers ? `${headers[lower]}, ${value}` : value;
      }
    }
    headers['content-type'] = 'application/json';
    headers[SERVICE_TOKEN_HEADER] = this.settings.serviceToken();
    // How long the gateway waits: the subgraph's backend calls give up before, so it answers what it
    // has (lists empty with a coded error) instead of the whole fetch timing out here.
    headers[REQUEST_BUDGET_HEADER] = String(this.settings.timeoutMs);
    const gatewayContext = context as Partial<GatewayContext>;
    if (gatewayContext.requestId) headers[REQUEST_ID_HEADER] = gatewayContext.requestId;
    // Apollo's gateway.fetch span is active here: the subgraph's spans become its children.
    injectTraceHeaders(headers);
    if (gatewayContext.principal) Object.assign(headers, principalHeaders(gatewayContext.principal));
    return headers;
  }

  /** Runs one fetch, counting and timing it, and turns an unreachable subgraph into coded field errors. */
  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const { name, metrics } = this.settings;
    const started = process.hrtime.bigint();
    let outcome: SubgraphFetchOutcome = 'success';
    try {
      const response = await this.send(options);
      if (response.errors?.length) outcome = 'error';
      return response;
    } catch (error) {
      const passedOn = errorsInFailedResponse(error);
      if (passedOn) {
        outcome = 'error';
        return { errors: passedOn };
      }
      outcome = 'unavailable';
      // One line without a stack: a subgraph that is down fails every request, and the cause says enough.
      this.settings.logger.warn({ subgraph: name, reason: failureReason(error) }, 'subgraph unavailable');
      return { errors: this.unavailableErrors(options, error) };
    } finally {
      metrics.subgraphFetches.inc({ subgraph: name, outcome });
      metrics.subgraphDuration.observe({ subgraph: name }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  /** Posts the operation and reads the answer, under one timeout for headers and body. */
  private async send(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const { query, variables, operationName, extensions } = options.request;
    if (!query) throw new Error('Missing query');
    const response = await request(this.settings.url, {
      method: 'POST',
      headers: this.headersFor(options),
      body: JSON.stringify({ query, variables, operationName, extensions }),
      dispatcher: this.agent,
      signal: AbortSignal.timeout(this.settings.timeoutMs),
    });
    const text = await response.body.text();
    const type = response.headers['content-type'];
    const json = typeof type === 'string' && (type.startsWith('application/json') || type.startsWith('application/graphql-response+json'));
    const body: unknown = json ? JSON.parse(text) : text;
    if (response.statusCode < 200 || response.statusCode >= 300) throw failedResponse(this.settings.url, response.statusCode, body);
    if (typeof body !== 'object' || body === null) throw new Error(`Expected JSON response body, but received: ${text.slice(0, 200)}`);
    return body as GatewayGraphQLResponse;
  }

  /** The subgraph's name in the supergraph. */
  get name(): string {
    return this.settings.name;
  }

  /** Resolves when the subgraph's /ready answers 200 within the timeout (the gateway's dependency check). */
  async ready(): Promise<void> {
    const { name, url, timeoutMs } = this.settings;
    let status: number;
    try {
      const response = await fetch(new URL('/ready', url), { dispatcher: this.agent, signal: AbortSignal.timeout(timeoutMs) });
      await response.body?.cancel();
      status = response.status;
    } catch (error) {
      throw new Error(`${name} subgraph is not reachable (${failureReason(error)})`);
    }
    if (status !== 200) throw new Error(`${name} subgraph is not ready (HTTP ${status})`);
  }

  /** Closes the connection pool. */
  async close(): Promise<void> {
    await this.agent.close();
  }

  // One error per field the subgraph was asked for, with paths in the subgraph's terms; the
  // gateway maps `_entities` indexes back to where each entity sits in the client's answer.
  private unavailableErrors(options: GraphQLDataSourceProcessOptions<GatewayContext>, error: unknown): GraphQLError[] {
    const { name, timeoutMs } = this.settings;
    const timedOut = (error as { name?: string }).name === 'TimeoutError';
    const message = timedOut ? `the ${name} service did not answer within ${timeoutMs} ms` : `the ${name} service is unavailable`;
    const extensions = { code: ErrorCode.UPSTREAM_UNAVAILABLE };
    const paths = requestedPaths(options.request.query, options.request.variables);
    if (paths.length === 0) return [new GraphQLError(message, { extensions })];
    return paths.map((path) => new GraphQLError(message, { path, extensions }));
  }
}

// A non-2xx answer as RemoteGraphQLDataSource reported it (status and body under
// `extensions.response`), which errorsInFailedResponse reads.
function failedResponse(url: string, status: number, body: unknown): GraphQLError {
  const statusText = STATUS_CODES[status] ?? '';
  const code = status === 401 ? 'UNAUTHENTICATED' : status === 403 ? 'FORBIDDEN' : undefined;
  return new GraphQLError(`${status}: ${statusText}`, { extensions: { ...(code ? { code } : {}), response: { url, status, statusText, body } } });
}

// The innermost cause of a failed fetch, e.g. "connect ECONNREFUSED 127.0.0.1:4001".
function failureReason(error: unknown): string {
  let current = error as { message?: string; cause?: unknown } | undefined;
  while (current && typeof current.cause === 'object' && current.cause !== null) current = current.cause as typeof current;
  return current?.message ?? String(error);
}

// A subgraph that answered with a non-2xx status but a GraphQL error body (e.g. 400 for an
// invalid operation) keeps its coded errors; anything else means it could not answer.
function errorsInFailedResponse(error: unknown): GraphQLError[] | null {
  if (!(error instanceof GraphQLError)) return null;
  const response = error.extensions.response as { status?: number; body?: { errors?: unknown } } | undefined;
  if (!response || (response.status ?? 500) >= 500) return null;
  const errors = response.body?.errors;
  if (!Array.isArray(errors) || errors.length === 0) return null;
  return errors.map((e: { message?: string; path?: ResponsePath; extensions?: Record<string, unknown> }) =>
    new GraphQLError(e.message ?? 'subgraph error', { path: e.path, extensions: { code: ErrorCode.BAD_USER_INPUT, ...e.extensions } }),
  );
}

/**
 * The response paths a fetch asked for: top-level fields for a root fetch, or
 * `_entities.<i>.<field>` for each representation of an entity fetch.
 */
export function requestedPaths(query: string | undefined, variables: Record<string, unknown> | undefined): ResponsePath[] {
  if (!query) return [];
  let document;
  try {
    document = parse(query);
  } catch {
    return [];
  }
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (!operation || operation.kind !== Kind.OPERATION_DEFINITION) return [];
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const representations = variables?.representations;
  if (!Array.isArray(representations)) return responseKeys(operation.selectionSet, undefined, fragments).map((key) => [key]);

  const entitiesField = operation.selectionSet.selections.find((s) => s.kind === Kind.FIELD && s.name.value === '_entities');
  if (!entitiesField || entitiesField.kind !== Kind.FIELD || !entitiesField.selectionSet) return [];
  const entitiesKey = entitiesField.alias?.value ?? '_entities';
  const paths: ResponsePath[] = [];
  representations.forEach((representation: { __typename?: string }, index) => {
    for (const key of responseKeys(entitiesField.selectionSet!, representation?.__typename, fragments)) paths.push([entitiesKey, index, key]);
  });
  return paths;
}

// Response keys selected for an object of `typename` (all keys when the type is unknown).
function responseKeys(selectionSet: SelectionSetNode, typename: string | undefined, fragments: Map<string, FragmentDefinitionNode>): string[] {
  const keys = new Set<string>();
  const visit = (set: SelectionSetNode, matchType: boolean) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value !== '__typename') keys.add(selection.alias?.value ?? selection.name.value);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition?.name.value;
        if (!matchType || !condition || !typename || condition === typename) visit(selection.selectionSet, matchType);
      } else {
        const fragment = fragments.get(selection.name.value);
        const condition = fragment?.typeCondition.name.value;
        if (fragment && (!matchType || !typename || condition === typename)) visit(fragment.selectionSet, matchType);
      }
    }
  };
  visit(selectionSet, true);
  // An abstract type condition (an interface entity) matches no concrete typename; then every field counts.
  if (keys.size === 0) visit(selectionSet, false);
  return [...keys];
}
