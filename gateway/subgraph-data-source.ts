import { type GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import type { FetcherResponse } from '@apollo/utils.fetcher';
import { type FragmentDefinitionNode, GraphQLError, Kind, type SelectionSetNode, parse } from 'graphql';
import { STATUS_CODES, type IncomingHttpHeaders } from 'node:http';
import { Agent, type Dispatcher, fetch, request } from 'undici';
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
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  private readonly agent: Agent;
  private readonly settings: SubgraphDataSourceOptions;

  constructor(settings: SubgraphDataSourceOptions) {
    super({ url: settings.url });
    this.settings = settings;
    this.agent = new Agent({ keepAliveTimeout: 30_000, connections: 128 });
    this.fetcher = async (url, init) => {
      // undici's request, not fetch: fetch read bodies through WHATWG streams, about a sixth of the
      // gateway's CPU on a Customer 360. The body is read here, under the same timeout as the headers.
      const response = await request(url, {
        method: (init?.method ?? 'POST') as Dispatcher.HttpMethod,
        headers: init?.headers as Record<string, string> | undefined,
        body: init?.body as string | undefined,
        dispatcher: this.agent,
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
      return bufferedResponse(url, response.statusCode, response.headers, await response.body.text());
    };
  }

  /** Sets the headers only the gateway may set, after removing any a client tried to pass on. */
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    const headers = request.http!.headers;
    const clientSent = [...headers].map(([name]) => name);
    for (const name of clientSent) {
      if (isTrustedOnlyHeader(name)) headers.delete(name);
    }
    headers.set(SERVICE_TOKEN_HEADER, this.settings.serviceToken());
    // How long the gateway waits: the subgraph's backend calls give up before, so it answers what it
    // has (lists empty with a coded error) instead of the whole fetch timing out here.
    headers.set(REQUEST_BUDGET_HEADER, String(this.settings.timeoutMs));
    const gatewayContext = context as Partial<GatewayContext>;
    if (gatewayContext.requestId) headers.set(REQUEST_ID_HEADER, gatewayContext.requestId);
    // Apollo's gateway.fetch span is active here: the subgraph's spans become its children.
    const traceHeaders: Record<string, string> = {};
    injectTraceHeaders(traceHeaders);
    for (const [name, value] of Object.entries(traceHeaders)) headers.set(name, value);
    if (gatewayContext.principal) {
      for (const [name, value] of Object.entries(principalHeaders(gatewayContext.principal))) headers.set(name, value);
    }
  }

  /** Runs one fetch, counting and timing it, and turns an unreachable subgraph into coded field errors. */
  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const { name, metrics } = this.settings;
    const started = process.hrtime.bigint();
    let outcome: SubgraphFetchOutcome = 'success';
    try {
      const response = await super.process(options);
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

// What RemoteGraphQLDataSource reads of a response (status, headers, body as text or JSON), with the body already read.
function bufferedResponse(url: string, status: number, headers: IncomingHttpHeaders, body: string): FetcherResponse {
  const response = {
    ok: status >= 200 && status < 300,
    status,
    statusText: STATUS_CODES[status] ?? '',
    url,
    redirected: false,
    headers: {
      get: (name: string) => {
        const value = headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
    },
    text: async () => body,
    json: async () => JSON.parse(body) as unknown,
  };
  return response as unknown as FetcherResponse;
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
