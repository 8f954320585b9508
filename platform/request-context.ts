import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** What travels with one request through every hop: its id, for logs and outgoing calls. */
export interface RequestContext {
  requestId: string;
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

/** Accepts a caller's request id when it looks sane, otherwise makes a new one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && /^[A-Za-z0-9._:-]{1,128}$/.test(value) ? value : randomUUID();
}
