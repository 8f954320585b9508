import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** What travels with one request through every hop: its id, for logs and outgoing calls. */
export interface RequestContext {
  requestId: string;
  /**
   * When the caller stops waiting (epoch ms), as far as it said: backend calls made for the request
   * give up by then, so the service still answers (partially, with coded errors) in time.
   */
  deadlineAt?: number;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** The header that carries the request id between services. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** Runs `fn` with the given request context active. */
export function runWithRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The active request context, if any. */
export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

/** The header in which a caller says how long it will wait for the answer, in milliseconds. */
export const REQUEST_BUDGET_HEADER = 'x-request-budget-ms';

/**
 * The deadline of a request whose caller waits `header` ms: a little earlier, so the answer is
 * built and sent before the caller gives up. Undefined without a (sane) header.
 */
export function deadlineFrom(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const budget = Number(Array.isArray(header) ? header[0] : header);
  if (!Number.isFinite(budget) || budget <= 0 || budget > 600_000) return undefined;
  return now + budget - Math.min(1000, budget / 5);
}

/** Accepts a caller's request id when it looks sane, otherwise makes a new one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && /^[A-Za-z0-9._:-]{1,128}$/.test(value) ? value : randomUUID();
}
