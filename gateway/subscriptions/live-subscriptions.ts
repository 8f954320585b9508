import type { ApolloServer } from '@apollo/server';
import {
  type DocumentNode,
  type FieldNode,
  GraphQLError,
  type FormattedExecutionResult,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  type ValueNode,
  type VariableDefinitionNode,
  getOperationAST,
  parse,
  print,
  validate,
  valueFromAST,
  visit,
} from 'graphql';
import { ErrorCode } from '../../platform/errors';
import type { Logger } from '../../platform/logger';
import { type LiveEvent, type LiveEventType, compareEventIds } from '../../platform/live-event';
import type { Principal } from '../auth';
import { AuthorizationLimitError, type AuthorizationOutcome, type FieldScopes, authorizeDocument, scopesOf } from '../authorization';
import type { GatewayContext } from '../context';
import { type QueryLimits, QueryLimitError, checkOperation } from '../limits';
import type { LiveEventHub } from './live-event-hub';

/** How each subscription field is fed: the events it follows and the query field that reads their entity. */
interface LiveField {
  types: readonly LiveEventType[];
  queryField: string;
  /** The subscription's argument that narrows the events, and what of the event it matches. */
  filter?: { argument: string; on: 'key' | 'customerId' };
}

/** The Subscription fields of the API (schema/integration.graphql). */
export const LIVE_FIELDS: Readonly<Record<string, LiveField>> = {
  orderFlowUpdated: { types: ['orderFlow.updated'], queryField: 'orderFlow', filter: { argument: 'id', on: 'key' } },
  salesOrderUpdated: { types: ['salesOrder.updated'], queryField: 'salesOrder', filter: { argument: 'customerId', on: 'customerId' } },
  customerChanged: { types: ['customer.changed'], queryField: 'customer', filter: { argument: 'id', on: 'key' } },
  dataQualityIssueRaised: { types: ['dataQualityIssue.raised'], queryField: 'dataQualityIssue' },
};

/** The variable the event's entity key is passed in. */
const KEY_VARIABLE = 'liveEventKey';

/** The limits of live subscriptions. */
export interface LiveLimits {
  /** Open subscriptions per token subject across connections and gateways' protocols; default 20. */
  perToken: number;
  /** Open subscriptions on this gateway; default 10,000. */
  total: number;
  /** Events waiting for one slow subscriber before its stream is ended; default 1,000. */
  backlog: number;
}

/** What live subscriptions are built from. */
export interface LiveSubscriptionsDeps {
  server: ApolloServer<GatewayContext>;
  schema: GraphQLSchema;
  fieldScopes: FieldScopes;
  hub: LiveEventHub;
  logger: Logger;
  queryLimits: QueryLimits;
  limits: LiveLimits;
  maxTokens: number;
}

/** A GraphQL request for a subscription, as a client sends it. */
export interface LiveRequest {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

/** The subscriber: its verified principal and when its token expires (epoch seconds). */
export interface Subscriber {
  principal: Principal;
  expiresAt: number | undefined;
  requestId: string;
}

/** One message of a live stream: a result and the id of the event it answers (none for a final error). */
export interface LiveMessage {
  eventId: string | null;
  result: FormattedExecutionResult;
}

const encodedResults = new WeakMap<LiveMessage, string>();

/** A message's result as JSON: a message is shared by every subscriber of its group, so it is encoded once for all. */
export function resultJson(message: LiveMessage): string {
  let text = encodedResults.get(message);
  if (text === undefined) encodedResults.set(message, (text = JSON.stringify(message.result)));
  return text;
}

/** An open subscription's stream; `return()` ends it. */
export type LiveStream = AsyncIterableIterator<LiveMessage> & { return(): Promise<IteratorResult<LiveMessage>> };

/** A refused subscription: errors to show, nothing runs. */
export interface LiveRefusal {
  errors: GraphQLError[];
}

/** A subscription turned into the query that reads its entity at every event. */
interface PreparedSubscription {
  field: LiveField;
  responseKey: string;
  queryText: string;
  variables: Record<string, unknown>;
  argument: unknown;
  outcome: AuthorizationOutcome;
  /** Subscribers whose events read alike: same scope (role, partner's customer), query and variables. */
  group: string;
}

/**
 * Serves the API's subscriptions at the gateway. @apollo/gateway cannot federate subscriptions, so
 * a subscription is turned into the query that reads its entity (`orderFlowUpdated(id) { … }` →
 * `orderFlow(id: $key) { … }`), authorized and limited like any operation, and at every event of
 * the bus that concerns it that query runs through the same Apollo server and query planner with
 * the subscriber's principal: any field of the entity from every system, the role's field rules,
 * the partner's scope. Subscribers with the same operation, variables and role share one execution
 * per event, and the events of one entity share executions while one runs: a flow's steps raise
 * a burst of events, and an execution that starts after an event arrived answers it (it reads the
 * entity as it is then), so each event still gets its message without one query per event.
 */
export class LiveSubscriptions {
  private readonly perToken = new Map<string, number>();
  private open = 0;
  // One execution per event, operation, variables and principal scope, shared by its subscribers.
  private readonly shared = new Map<string, Promise<LiveMessage | null>>();
  private readonly perEntity = new OneRunningOneQueued<FormattedExecutionResult>();

  constructor(private readonly deps: LiveSubscriptionsDeps) {}

  /** Open subscriptions on this gateway. */
  get size(): number {
    return this.open;
  }

  /** Checks a subscription and opens its stream, resuming after `lastEventId` when given. */
  async subscribe(subscriber: Subscriber, request: LiveRequest, lastEventId?: string): Promise<LiveStream | LiveRefusal> {
    const prepared = this.prepare(subscriber.principal, request);
    if ('errors' in prepared) return prepared;
    if (lastEventId !== undefined && !/^\d{1,19}$/.test(lastEventId)) return refusal('the last event id must be a decimal event id', ErrorCode.BAD_USER_INPUT);
    if (this.deps.hub.lastId === null) return refusal('live events are not available yet; retry shortly', ErrorCode.UPSTREAM_UNAVAILABLE);
    const tokenKey = `${subscriber.principal.role}:${subscriber.principal.sub}`;
    if (this.open >= this.deps.limits.total) return refusal('this gateway serves as many subscriptions as it may; retry later', ErrorCode.RATE_LIMITED);
    if ((this.perToken.get(tokenKey) ?? 0) >= this.deps.limits.perToken) {
      return refusal(`a token may hold ${this.deps.limits.perToken} open subscriptions at most`, ErrorCode.RATE_LIMITED);
    }
    this.open++;
    this.perToken.set(tokenKey, (this.perToken.get(tokenKey) ?? 0) + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.open--;
      const left = (this.perToken.get(tokenKey) ?? 1) - 1;
      if (left <= 0) this.perToken.delete(tokenKey);
      else this.perToken.set(tokenKey, left);
    };
    return this.stream(subscriber, prepared, lastEventId, release);
  }

  /** Validates, limits and authorizes the subscription and derives its per-event query. */
  private prepare(principal: Principal, request: LiveRequest): PreparedSubscription | LiveRefusal {
    let document: DocumentNode;
    try {
      document = parse(request.query, { maxTokens: this.deps.maxTokens });
    } catch (error) {
      return refusal(error instanceof GraphQLError ? error.message : 'the operation could not be parsed', ErrorCode.BAD_USER_INPUT);
    }
    const operation = getOperationAST(document, request.operationName ?? undefined);
    if (!operation) return refusal('the document must name one operation to run', ErrorCode.BAD_USER_INPUT);
    if (operation.operation !== 'subscription') return refusal('only subscriptions are served as a stream; send queries and mutations as JSON', ErrorCode.BAD_USER_INPUT);
    const validationErrors = validate(this.deps.schema, document);
    if (validationErrors.length > 0) return { errors: validationErrors.map((error) => new GraphQLError(error.message, { extensions: { code: ErrorCode.BAD_USER_INPUT } })) };
    const variables = { ...(request.variables ?? {}) };
    if (KEY_VARIABLE in variables || operation.variableDefinitions?.some((v) => v.variable.name.value === KEY_VARIABLE)) {
      return refusal(`the variable name $${KEY_VARIABLE} is reserved`, ErrorCode.BAD_USER_INPUT);
    }
    try {
      checkOperation(this.deps.schema, document, operation, variables, this.deps.queryLimits);
    } catch (error) {
      if (error instanceof QueryLimitError) return { errors: [error] };
      throw error;
    }
    let authorized;
    try {
      authorized = authorizeDocument(this.deps.schema, this.deps.fieldScopes, document, operation.name?.value, scopesOf(principal), variables);
    } catch (error) {
      if (error instanceof AuthorizationLimitError) return { errors: [error] };
      throw error;
    }
    if (!authorized) return refusal('the document must name one operation to run', ErrorCode.BAD_USER_INPUT);
    const root = operation.selectionSet.selections[0] as FieldNode;
    const responseKey = root.alias?.value ?? root.name.value;
    if (authorized.outcome.refused.some((refused) => refused.path.length === 1)) {
      return refusal(`your role may not subscribe to ${root.name.value}`, ErrorCode.FORBIDDEN);
    }
    const field = LIVE_FIELDS[root.name.value];
    if (!field) return refusal(`${root.name.value} is not a live field`, ErrorCode.BAD_USER_INPUT);
    const argumentNode = field.filter && root.arguments?.find((a) => a.name.value === field.filter!.argument);
    const argument = argumentNode ? valueFromAST(argumentNode.value, this.deps.schema.getSubscriptionType()!.getFields()[root.name.value].args.find((a) => a.name === field.filter!.argument)!.type, variables) : undefined;
    const queryDocument = toQuery(authorized.document, operation.name?.value, field, responseKey);
    const queryText = print(queryDocument);
    const group = `${principal.role}\u0000${principal.customerId ?? ''}\u0000${queryText}\u0000${JSON.stringify(variables)}`;
    return { field, responseKey, queryText, variables, argument: argument ?? undefined, outcome: authorized.outcome, group };
  }

  private stream(subscriber: Subscriber, prepared: PreparedSubscription, lastEventId: string | undefined, release: () => void): LiveStream {
    const { principal } = subscriber;
    const queue: LiveMessage[] = [];
    let waiting: ((result: IteratorResult<LiveMessage>) => void) | null = null;
    let ended = false;
    let pending: LiveEvent[] = [];
    let delivered = lastEventId ?? this.deps.hub.lastId ?? '0';
    // Until the missed events are read, new ones wait behind them.
    let replaying = lastEventId !== undefined;
    const hub = this.deps.hub;

    const push = (message: LiveMessage) => {
      if (ended) return;
      if (waiting) {
        const resolve = waiting;
        waiting = null;
        resolve({ value: message, done: false });
      } else {
        queue.push(message);
      }
    };
    const finish = (final?: LiveMessage) => {
      if (ended) return;
      if (final) push(final);
      ended = true;
      unsubscribe();
      clearTimeout(expiry);
      release();
      if (waiting && queue.length === 0) {
        const resolve = waiting;
        waiting = null;
        resolve({ value: undefined, done: true });
      }
    };
    const concerns = (event: LiveEvent): boolean => {
      if (!prepared.field.types.includes(event.type)) return false;
      if (prepared.field.filter && prepared.argument !== undefined && prepared.argument !== null) {
        const value = prepared.field.filter.on === 'key' ? event.key : event.customerId;
        if (value !== String(prepared.argument)) return false;
      }
      // A partner never hears of another customer's entity; the query would answer null anyway.
      if (principal.role === 'partner' && event.customerId !== null && event.customerId !== principal.customerId) return false;
      return true;
    };
    // Each event's query starts as soon as it arrives; answers are delivered in event order.
    let tail: Promise<void> = Promise.resolve();
    let inFlight = 0;
    const start = (events: readonly LiveEvent[]) => {
      for (const event of events) {
        if (compareEventIds(event.id, delivered) <= 0) continue;
        delivered = event.id;
        inFlight++;
        const result = this.messageFor(event, subscriber, prepared);
        tail = tail.then(async () => {
          const message = await result;
          inFlight--;
          if (message) push(message);
        });
      }
    };
    const take = (events: readonly LiveEvent[]) => {
      if (ended) return;
      const mine = events.filter(concerns);
      if (mine.length === 0) return;
      if (replaying) pending.push(...mine);
      else start(mine);
      if (inFlight + pending.length + queue.length > this.deps.limits.backlog) {
        finish(errorMessage('the subscriber fell too far behind; resume with the last event id', ErrorCode.RATE_LIMITED));
      }
    };
    const unsubscribe = hub.subscribe(take);
    const expiresInMs = subscriber.expiresAt === undefined ? undefined : subscriber.expiresAt * 1000 - Date.now();
    const expiry = setTimeout(() => finish(errorMessage('token expired; subscribe again with a fresh token and the last event id', ErrorCode.UNAUTHENTICATED)), Math.max(0, Math.min(expiresInMs ?? 2 ** 31 - 1, 2 ** 31 - 1)));
    expiry.unref();

    if (replaying && lastEventId !== undefined) {
      const upTo = hub.lastId ?? lastEventId;
      hub
        .replay(lastEventId, upTo, { types: prepared.field.types, key: prepared.field.filter?.on === 'key' && prepared.argument ? String(prepared.argument) : undefined })
        .then((missed) => {
          replaying = false;
          start([...missed.filter(concerns), ...pending]);
          pending = [];
        })
        .catch((error: unknown) => {
          this.deps.logger.warn({ err: error }, 'could not read the events a subscriber missed');
          finish(errorMessage('the missed events could not be read; resume again shortly', ErrorCode.UPSTREAM_UNAVAILABLE));
        });
    }

    const iterator: LiveStream = {
      next: () => {
        const message = queue.shift();
        if (message) return Promise.resolve({ value: message, done: false });
        if (ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          waiting = resolve;
        });
      },
      return: async () => {
        finish();
        queue.length = 0;
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  /**
   * The subscription's message for one event (null when the subscriber may not see the entity):
   * one object per event and group, shared by the group's subscribers, so a transport can encode
   * it once for all of them.
   */
  private messageFor(event: LiveEvent, subscriber: Subscriber, prepared: PreparedSubscription): Promise<LiveMessage | null> {
    const entity = `${prepared.group}\u0000${event.key}`;
    const key = `${event.id}\u0000${entity}`;
    let message = this.shared.get(key);
    if (!message) {
      const variables = { ...prepared.variables, [KEY_VARIABLE]: event.key };
      message = this.perEntity.run(entity, () => this.execute(prepared, variables, subscriber)).then((result) => {
        const data = result.data as Record<string, unknown> | null | undefined;
        if ((!data || data[prepared.responseKey] === null) && !result.errors?.length) return null;
        return { eventId: event.id, result: withEventExtensions(result, event) };
      });
      this.shared.set(key, message);
      // Subscribers of this event take it within moments; later ones (a replay) run it again.
      setTimeout(() => this.shared.delete(key), 10_000).unref();
    }
    return message;
  }

  private async execute(prepared: PreparedSubscription, variables: Record<string, unknown>, subscriber: Subscriber): Promise<FormattedExecutionResult> {
    try {
      const response = await this.deps.server.executeOperation(
        { query: prepared.queryText, variables },
        // The refusals were decided once for the subscription; the authorization plugin writes them into each answer.
        { contextValue: { principal: subscriber.principal, requestId: subscriber.requestId, authorization: prepared.outcome } },
      );
      if (response.body.kind !== 'single') throw new Error('a live query answered incrementally');
      return response.body.singleResult as FormattedExecutionResult;
    } catch (error) {
      this.deps.logger.error({ err: error }, 'live event query failed');
      return { errors: [{ message: 'internal error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }] };
    }
  }
}

/**
 * Runs the tasks of a lane one at a time, and at most one more behind the one running: a task
 * asked for while one runs is answered by the queued one, which starts when the running one ends.
 * Every answer comes from a run that started after it was asked for.
 */
export class OneRunningOneQueued<T> {
  private readonly lanes = new Map<string, { ended: Promise<void>; queued: Promise<T> | null }>();

  run(lane: string, task: () => Promise<T>): Promise<T> {
    const current = this.lanes.get(lane);
    if (!current) return this.start(lane, task);
    current.queued ??= current.ended.then(() => this.start(lane, task));
    return current.queued;
  }

  /** Lanes with a run under way (for tests). */
  get size(): number {
    return this.lanes.size;
  }

  private start(lane: string, task: () => Promise<T>): Promise<T> {
    const result = task();
    const entry = { ended: result.then(noop, noop), queued: null as Promise<T> | null };
    this.lanes.set(lane, entry);
    // Runs before a queued task's start (registered first), which replaces the entry itself.
    void entry.ended.then(() => {
      if (this.lanes.get(lane) === entry && entry.queued === null) this.lanes.delete(lane);
    });
    return result;
  }
}

function noop(): void {}

/** A refusal with one coded error. */
function refusal(message: string, code: ErrorCode): LiveRefusal {
  return { errors: [new GraphQLError(message, { extensions: { code } })] };
}

/** A final stream message carrying one coded error. */
function errorMessage(message: string, code: ErrorCode): LiveMessage {
  return { eventId: null, result: { errors: [{ message, extensions: { code } }] } };
}

function withEventExtensions(result: FormattedExecutionResult, event: LiveEvent): FormattedExecutionResult {
  return { ...result, extensions: { ...result.extensions, liveEvent: { id: event.id, type: event.type, occurredAt: event.occurredAt } } };
}

/**
 * The subscription operation as the query that reads its entity: the root field becomes the query
 * field with `id: $liveEventKey` (its alias keeps the subscription's response key), the rest of the
 * document (selections, fragments, variables still used) stays as authorized.
 */
function toQuery(document: DocumentNode, operationName: string | undefined, field: LiveField, responseKey: string): DocumentNode {
  const keyVariable: VariableDefinitionNode = {
    kind: Kind.VARIABLE_DEFINITION,
    variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: KEY_VARIABLE } },
    type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'ID' } } },
  };
  const keyArgument: ValueNode = { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: KEY_VARIABLE } };
  const chosen = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && d.operation === 'subscription' && (!operationName || d.name?.value === operationName),
  ) as OperationDefinitionNode;
  const root = chosen.selectionSet.selections[0] as FieldNode;
  const queryRoot: FieldNode = {
    ...root,
    alias: { kind: Kind.NAME, value: responseKey },
    name: { kind: Kind.NAME, value: field.queryField },
    arguments: [{ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'id' }, value: keyArgument }],
  };
  const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
  // The root's own arguments are replaced, so variables only they used must go (unused variables are invalid).
  const used = new Set<string>();
  for (const node of [queryRoot, ...fragments, ...(chosen.directives ?? [])]) visit(node, { Variable: (v) => void used.add(v.name.value) });
  const query: OperationDefinitionNode = {
    ...chosen,
    operation: 'query' as OperationDefinitionNode['operation'],
    variableDefinitions: [...(chosen.variableDefinitions ?? []).filter((v) => used.has(v.variable.name.value)), keyVariable],
    selectionSet: { ...chosen.selectionSet, selections: [queryRoot] },
  };
  return { ...document, definitions: [query, ...fragments] };
}
