import { Agent, request, errors as undiciErrors } from 'undici';
import { AppError, ErrorCode, codeOfHttpStatus, isAppError } from './errors';
import type { ServiceMetrics } from './metrics';
import { REQUEST_ID_HEADER, currentRequestContext } from './request-context';
import { SERVICE_TOKEN_HEADER } from './service-auth';
import { SpanKind, injectTraceHeaders, traced } from './tracing';

/** How a service client reaches one backend. */
export interface HttpClientOptions {
  /** Name of the system called, for errors and metrics ("erp", "crm"). */
  system: string;
  baseUrl: string;
  /** Produces the internal credential for each call. */
  serviceToken: () => string;
  /** Per-attempt timeout in milliseconds; default 5000. */
  timeoutMs?: number;
  /** Extra attempts for calls that are safe to repeat; default 2. */
  retries?: number;
  /** Where attempts and failures are counted (connector_requests_total, connector_errors_total). */
  metrics?: Pick<ServiceMetrics, 'connectorRequests' | 'connectorErrors'>;
  /** Keep-alive connections per origin; default 64. */
  connections?: number;
}

/** One call to a backend. */
export interface HttpCall {
  /** Operation name for metrics, e.g. "getCustomers". */
  operation: string;
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined | null | string[]>;
  body?: unknown;
  /** Sent as `Idempotency-Key`; a write with a key is safe to retry. */
  idempotencyKey?: string;
}

/**
 * A JSON client over a keep-alive pool. Reads and keyed writes are retried with backoff on
 * connection errors, timeouts and 5xx answers; an unkeyed write never is, since the backend may
 * have applied it. Within a request whose caller set a deadline (request-context.ts), attempts and
 * retries end by it. Failures become AppErrors carrying the backend's code when it sent one.
 */
export class JsonHttpClient {
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly retries: number;

  constructor(private readonly options: HttpClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.retries = options.retries ?? 2;
    this.agent = new Agent({ connections: options.connections ?? 64, keepAliveTimeout: 30_000, pipelining: 1 });
  }

  /** Performs the call and returns the parsed JSON body. */
  async call<T>(call: HttpCall): Promise<T> {
    const safe = call.method === 'GET' || call.idempotencyKey !== undefined;
    const attempts = safe ? this.retries + 1 : 1;
    const deadlineAt = currentRequestContext()?.deadlineAt;
    // Built only when thrown: an error captures a stack trace, and nearly every call succeeds.
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) {
        const pause = Math.min(1000, 50 * 2 ** attempt) * (0.5 + Math.random());
        if (deadlineAt !== undefined && Date.now() + pause >= deadlineAt) break;
        await sleep(pause);
      }
      const left = deadlineAt === undefined ? this.timeoutMs : Math.min(this.timeoutMs, deadlineAt - Date.now());
      if (left <= 0) break;
      try {
        return await this.once<T>(call, left);
      } catch (error) {
        lastError = error;
        if (!(error instanceof AppError) || error.code !== ErrorCode.UPSTREAM_UNAVAILABLE) throw error;
      }
    }
    throw lastError ?? new AppError(ErrorCode.UPSTREAM_UNAVAILABLE, `${this.options.system} was not called: the request's time was up`, { system: this.options.system, operation: call.operation });
  }

  /** One attempt, counted, and a client span of the caller's trace when tracing is on. */
  private async once<T>(call: HttpCall, timeoutMs: number): Promise<T> {
    const { system, metrics } = this.options;
    metrics?.connectorRequests.inc({ system, operation: call.operation });
    try {
      return await traced(`${system} ${call.operation}`, SpanKind.CLIENT, { 'http.request.method': call.method, 'peer.service': system }, () => this.attempt<T>(call, timeoutMs));
    } catch (error) {
      metrics?.connectorErrors.inc({ system, operation: call.operation, code: isAppError(error) ? error.code : ErrorCode.INTERNAL_SERVER_ERROR });
      throw error;
    }
  }

  private async attempt<T>(call: HttpCall, timeoutMs: number): Promise<T> {
    const url = new URL(call.path, this.options.baseUrl);
    for (const [key, value] of Object.entries(call.query ?? {})) {
      if (value === undefined || value === null) continue;
      url.searchParams.set(key, Array.isArray(value) ? value.join(',') : String(value));
    }
    const headers: Record<string, string> = {
      accept: 'application/json',
      [SERVICE_TOKEN_HEADER]: this.options.serviceToken(),
    };
    const requestId = currentRequestContext()?.requestId;
    if (requestId) headers[REQUEST_ID_HEADER] = requestId;
    if (call.idempotencyKey) headers['idempotency-key'] = call.idempotencyKey;
    injectTraceHeaders(headers);
    let body: string | undefined;
    if (call.body !== undefined) {
      body = JSON.stringify(call.body);
      headers['content-type'] = 'application/json';
    }
    let response;
    try {
      response = await request(url, {
        method: call.method,
        headers,
        body,
        dispatcher: this.agent,
        // The attempt's limit is the signal alone, which covers the headers and the body. undici's
        // own headers and body timeouts run on a coarse clock (half-second ticks) and can fire up to
        // half a second early, which cut an attempt short of the caller's deadline and let another
        // attempt start inside it.
        headersTimeout: 0,
        bodyTimeout: 0,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new AppError(ErrorCode.UPSTREAM_UNAVAILABLE, `${this.options.system} is unavailable (${describe(error)})`, {
        system: this.options.system,
        operation: call.operation,
      });
    }
    let text: string;
    try {
      text = await response.body.text();
    } catch (error) {
      // The answer was cut off (timeout, reset): a lost response, not an empty one.
      throw new AppError(ErrorCode.UPSTREAM_UNAVAILABLE, `${this.options.system} answer was lost (${describe(error)})`, {
        system: this.options.system,
        operation: call.operation,
      });
    }
    if (response.statusCode >= 200 && response.statusCode < 300) {
      return (text ? JSON.parse(text) : undefined) as T;
    }
    let payload: { error?: { code?: string; message?: string; details?: Record<string, unknown> } } = {};
    try {
      payload = JSON.parse(text);
    } catch {
      // A proxy or a crash answered with something that is not our JSON; the status still tells.
    }
    const known = payload.error?.code as ErrorCode | undefined;
    const code = known && known in ErrorCode ? known : codeOfHttpStatus(response.statusCode);
    const message = payload.error?.message ?? `${this.options.system} answered ${response.statusCode}`;
    throw new AppError(response.statusCode >= 500 ? ErrorCode.UPSTREAM_UNAVAILABLE : code, message, {
      system: this.options.system,
      operation: call.operation,
      status: response.statusCode,
      ...payload.error?.details,
    });
  }

  /** Closes the pooled connections. */
  close(): Promise<void> {
    return this.agent.close();
  }
}

function describe(error: unknown): string {
  if (error instanceof undiciErrors.UndiciError) return error.code;
  if (error instanceof Error && error.name === 'TimeoutError') return 'timeout';
  return (error as { code?: string }).code ?? (error as Error).message ?? 'error';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
