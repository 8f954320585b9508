import type { ApolloServerPlugin } from '@apollo/server';
import {
  type DocumentNode,
  type FieldNode,
  type GraphQLFormattedError,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  getDirectiveValues,
} from 'graphql';
import { request } from 'undici';
import { ErrorCode } from '../platform/errors';
import type { Logger } from '../platform/logger';
import { SERVICE_TOKEN_HEADER } from '../platform/service-auth';
import type { Principal } from './auth';
import { idsInArguments } from './authorization/argument-ids';
import type { AuthorizationOutcome } from './authorization/operation-pruning';

/** One mutation as the gateway answered it (the integration stores it in its audit log). */
export interface AuditEntry {
  at: string;
  sub: string;
  role: string;
  operationName: string | null;
  field: string;
  ids: string[];
  /** OK, or the error code the field was answered with. */
  outcome: string;
}

/** Sends audit entries to where they are stored. */
export interface AuditReporter {
  report(entries: AuditEntry[]): void;
  /** Waits for entries still being sent, retries included, up to 3 s. */
  close(): Promise<void>;
}

/** Where and how the reporter delivers. */
export interface HttpAuditReporterOptions {
  /** The integration's internal route, e.g. http://127.0.0.1:4003/internal/audit. */
  url: string;
  serviceToken: () => string;
  logger: Logger;
  /** Attempts per batch before it is logged as lost; default 4. */
  attempts?: number;
  /** First retry delay; doubles each time; default 200 ms. */
  retryDelayMs?: number;
  /** How long entries wait for others to travel with; default 20 ms. */
  batchWindowMs?: number;
  /** Entries sent at once at most; default 100, what the integration accepts per request. */
  maxBatch?: number;
}

/**
 * Delivers audit entries to the integration over its internal route without holding up the
 * client's answer. A failed delivery is retried with backoff; one that still fails is logged as
 * an error with the entries (never a token), so no entry is lost silently.
 */
export function httpAuditReporter(options: HttpAuditReporterOptions): AuditReporter {
  const attempts = options.attempts ?? 4;
  const baseDelay = options.retryDelayMs ?? 200;
  const pending = new Set<Promise<void>>();

  const deliver = async (entries: AuditEntry[]): Promise<void> => {
    let lastError = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const response = await request(options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [SERVICE_TOKEN_HEADER]: options.serviceToken() },
          body: JSON.stringify({ entries }),
          headersTimeout: 5000,
          bodyTimeout: 5000,
        });
        await response.body.dump();
        if (response.statusCode < 300) return;
        lastError = `HTTP ${response.statusCode}`;
        // A refusal of the entries themselves will not change on retry.
        if (response.statusCode >= 400 && response.statusCode < 500) break;
      } catch (error) {
        lastError = (error as { code?: string }).code ?? (error as Error).name ?? 'error';
      }
      if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, baseDelay * 2 ** (attempt - 1)).unref());
    }
    options.logger.error({ entries, reason: lastError }, 'audit entries could not be stored');
  };

  // Entries of mutations answered within a few milliseconds of each other travel together: on a
  // busy gateway that is one request per batch instead of one per mutation.
  let buffered: AuditEntry[] = [];
  let flushTimer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = undefined;
    if (buffered.length === 0) return;
    const batch = buffered;
    buffered = [];
    const sending = deliver(batch).finally(() => pending.delete(sending));
    pending.add(sending);
  };

  return {
    report(entries) {
      if (entries.length === 0) return;
      buffered.push(...entries);
      if (buffered.length >= (options.maxBatch ?? 100)) flush();
      else flushTimer ??= setTimeout(flush, options.batchWindowMs ?? 20);
    },
    async close() {
      flush();
      await Promise.race([Promise.allSettled([...pending]), new Promise((resolve) => setTimeout(resolve, 3000).unref())]);
    },
  };
}

/** The part of the gateway context the audit plugin reads. */
export interface AuditContext {
  principal: Principal;
  authorization?: AuthorizationOutcome;
}

/**
 * Reports every mutation field once its answer is ready: who (sub, role), the operation name,
 * the field, the ids its arguments named and the `id` it returned, and the outcome (OK, FORBIDDEN
 * for a field the role may not call, else the code of the field's error).
 */
export function auditPlugin<Context extends AuditContext>(reporter: AuditReporter): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ document, operation, operationName, contextValue, response, request: graphqlRequest }) {
          if (operation?.operation !== 'mutation' || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          const variables = (graphqlRequest.variables ?? {}) as Record<string, unknown>;
          const data = (result.data ?? {}) as Record<string, unknown>;
          const at = new Date().toISOString();
          const who = { sub: contextValue.principal.sub, role: contextValue.principal.role, operationName: operationName ?? null };
          const entries: AuditEntry[] = [];
          for (const [key, selection] of rootFields(document, operation, variables)) {
            if (selection.name.value === '__typename') continue;
            const returned = data[key] as { id?: unknown } | null | undefined;
            const ids = idsInArguments(selection, variables);
            if (returned && typeof returned === 'object' && (typeof returned.id === 'string' || typeof returned.id === 'number')) ids.push(String(returned.id));
            entries.push({ at, ...who, field: selection.name.value, ids: [...new Set(ids)], outcome: outcomeOf(result.errors, key) });
          }
          for (const refused of contextValue.authorization?.refused ?? []) {
            if (refused.path.length !== 1) continue;
            entries.push({ at, ...who, field: refused.coordinate.split('.')[1], ids: refused.ids ?? [], outcome: ErrorCode.FORBIDDEN });
          }
          reporter.report(entries);
        },
      };
    },
  };
}

function outcomeOf(errors: readonly GraphQLFormattedError[] | undefined, key: string): string {
  const error = errors?.find((e) => e.path?.[0] === key) ?? errors?.find((e) => !e.path);
  if (!error) return 'OK';
  const code = error.extensions?.code;
  return typeof code === 'string' ? code : ErrorCode.INTERNAL_SERVER_ERROR;
}

/**
 * The root fields an operation runs, by response key, as execution collects them: through inline
 * fragments and named fragments, without those @skip or @include leave out. A mutation written
 * `... on Mutation { recordPayment(…) }` is audited like one written plainly.
 */
export function rootFields(document: DocumentNode | undefined, operation: OperationDefinitionNode, variables: Record<string, unknown>): Map<string, FieldNode> {
  const fragments = new Map(
    (document?.definitions ?? []).flatMap((definition) => (definition.kind === Kind.FRAGMENT_DEFINITION ? [[definition.name.value, definition] as const] : [])),
  );
  const fields = new Map<string, FieldNode>();
  const included = (node: Parameters<typeof getDirectiveValues>[1]): boolean =>
    getDirectiveValues(GraphQLSkipDirective, node, variables)?.if !== true && getDirectiveValues(GraphQLIncludeDirective, node, variables)?.if !== false;
  const collect = (selectionSet: SelectionSetNode, spread: ReadonlySet<string>): void => {
    for (const selection of selectionSet.selections) {
      if (!included(selection)) continue;
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        if (!fields.has(key)) fields.set(key, selection);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        collect(selection.selectionSet, spread);
      } else {
        const fragment = fragments.get(selection.name.value);
        if (fragment && !spread.has(fragment.name.value)) collect(fragment.selectionSet, new Set([...spread, fragment.name.value]));
      }
    }
  };
  collect(operation.selectionSet, new Set());
  return fields;
}
