import { Agent, request, errors as undiciErrors } from 'undici';
import { AppError, ErrorCode } from '../../../platform/errors';

/** How the client reaches one Tryton database. */
export interface TrytonRpcOptions {
  /** trytond's web root, e.g. http://127.0.0.1:8000 */
  url: string;
  database: string;
  login: string;
  password: string;
  /** Per-call timeout in milliseconds; default 20000 (a workflow step posts moves). */
  timeoutMs?: number;
  /** Called once per RPC with the connector operation it serves. */
  onRequest?: (operation: string) => void;
}

/** Tryton's JSON encoding of Decimal, date and datetime values. */
export interface TrytonDecimal {
  __class__: 'Decimal';
  decimal: string;
}

export function decimal(value: string): TrytonDecimal {
  return { __class__: 'Decimal', decimal: value };
}

export function date(iso: string): { __class__: 'date'; year: number; month: number; day: number } {
  const [year, month, day] = iso.slice(0, 10).split('-').map(Number);
  return { __class__: 'date', year, month, day };
}

export function datetime(value: Date): Record<string, unknown> {
  return {
    __class__: 'datetime',
    year: value.getUTCFullYear(),
    month: value.getUTCMonth() + 1,
    day: value.getUTCDate(),
    hour: value.getUTCHours(),
    minute: value.getUTCMinutes(),
    second: value.getUTCSeconds(),
    microsecond: value.getUTCMilliseconds() * 1000,
  };
}

/** Tryton's values turned into plain JSON: Decimal → string, date → "YYYY-MM-DD", datetime → ISO (UTC). */
export function revive(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revive);
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  switch (object.__class__) {
    case 'Decimal':
      return object.decimal as string;
    case 'date':
      return `${pad(object.year, 4)}-${pad(object.month)}-${pad(object.day)}`;
    case 'datetime':
      return `${pad(object.year, 4)}-${pad(object.month)}-${pad(object.day)}T${pad(object.hour)}:${pad(object.minute)}:${pad(object.second)}.${pad(Math.floor(Number(object.microsecond ?? 0) / 1000), 3)}Z`;
    case 'bytes':
    case 'timedelta':
    case 'time':
      return object;
    default: {
      const out: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(object)) out[key] = revive(inner);
      return out;
    }
  }
}

function pad(value: unknown, width = 2): string {
  return String(value ?? 0).padStart(width, '0');
}

/** A Tryton error as the dispatcher sends it: `["UserError", [message, description, domain]]` and kin. */
export class TrytonError extends AppError {}

/**
 * The code an error raised inside Tryton maps to: a refusal of the business rules is the caller's
 * to act on, not an outage. Tryton sends messages, not codes; the credit-limit and stock messages
 * of the modules this product activates are recognised by their text.
 */
export function codeOfTrytonError(kind: string, message: string): ErrorCode {
  if (kind === 'UserError' || kind === 'UserWarning') {
    if (/credit limit/i.test(message)) return ErrorCode.CREDIT_LIMIT_EXCEEDED;
    if (/not enough|could not be assigned|cannot be assigned|not assigned/i.test(message)) return ErrorCode.OUT_OF_STOCK;
    if (/does not exist|has been deleted/i.test(message)) return ErrorCode.NOT_FOUND;
    return ErrorCode.CONFLICT;
  }
  if (kind === 'ConcurrencyException') return ErrorCode.CONFLICT;
  if (kind === 'LoginException') return ErrorCode.UNAUTHENTICATED;
  if (kind === 'AccessError') return ErrorCode.FORBIDDEN;
  return ErrorCode.INTERNAL_SERVER_ERROR;
}

/**
 * A JSON-RPC client of one Tryton database: logs in with `common.db.login`, sends the session on
 * every call, logs in again once when the session expired (401/403), and turns Tryton's errors
 * into AppErrors. The user's preferences (company, language) are every call's base context, as
 * Tryton's own clients do.
 */
export class TrytonRpc {
  private readonly agent = new Agent({ connections: 32, keepAliveTimeout: 30_000 });
  private session?: Promise<{ uid: number; authorization: string; context: Record<string, unknown> }>;
  private sequence = 0;

  constructor(private readonly options: TrytonRpcOptions) {}

  async close(): Promise<void> {
    await this.agent.close();
  }

  /** The id of the user the calls run as (res.user). */
  async userId(): Promise<number> {
    return (await this.login()).uid;
  }

  /** `model.<model>.<method>(...args, context)`. */
  model<T = unknown>(operation: string, model: string, method: string, args: unknown[], context: Record<string, unknown> = {}): Promise<T> {
    return this.call<T>(operation, `model.${model}.${method}`, args, context);
  }

  /** search_read with Tryton's arguments; rows come back revived. */
  searchRead<T = Record<string, unknown>>(
    operation: string,
    model: string,
    domain: unknown[],
    fields: string[],
    options: { offset?: number; limit?: number | null; order?: [string, 'ASC' | 'DESC'][] | null; context?: Record<string, unknown> } = {},
  ): Promise<T[]> {
    return this.model<T[]>(operation, model, 'search_read', [domain, options.offset ?? 0, options.limit ?? null, options.order ?? null, fields], options.context);
  }

  /** Runs a wizard from `start` through the given states with the given form values, then deletes its session. */
  async wizard(operation: string, name: string, activeModel: string, activeId: number, steps: { state: string; data: Record<string, unknown> }[]): Promise<unknown[]> {
    const context = { active_model: activeModel, active_id: activeId, active_ids: [activeId] };
    const [sessionId] = await this.call<[number, string, string]>(operation, `wizard.${name}.create`, [], {});
    const results: unknown[] = [];
    try {
      for (const step of steps) results.push(await this.call(operation, `wizard.${name}.execute`, [sessionId, step.data, step.state], context));
    } finally {
      await this.call(operation, `wizard.${name}.delete`, [sessionId], {}).catch(() => undefined);
    }
    return results;
  }

  /**
   * One RPC; a rejected session logs in again once. A call that lost a row lock to a concurrent
   * one is tried again: Tryton rolled its whole transaction back, so nothing of it was applied.
   */
  async call<T>(operation: string, method: string, args: unknown[], context: Record<string, unknown>): Promise<T> {
    let relogged = false;
    for (let attempt = 0; ; attempt++) {
      const session = await this.login();
      try {
        return await this.post<T>(operation, method, [...args, { ...session.context, ...context }], session.authorization);
      } catch (error) {
        if (!relogged && error instanceof SessionRejected) {
          relogged = true;
          this.session = undefined;
          continue;
        }
        if (error instanceof TrytonError && error.details?.lockConflict && attempt < LOCK_RETRIES) {
          await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt * (0.5 + Math.random())));
          continue;
        }
        throw error;
      }
    }
  }

  private login(): Promise<{ uid: number; authorization: string; context: Record<string, unknown> }> {
    this.session ??= (async () => {
      const { login, password } = this.options;
      const [uid, key] = await this.post<[number, string]>('login', 'common.db.login', [login, { password }], null);
      const authorization = `Session ${Buffer.from(`${login}:${uid}:${key}`).toString('base64')}`;
      const context = await this.post<Record<string, unknown>>('login', 'model.res.user.get_preferences', [true, {}], authorization);
      return { uid, authorization, context };
    })().catch((error: unknown) => {
      this.session = undefined;
      throw error;
    });
    return this.session;
  }

  private async post<T>(operation: string, method: string, params: unknown[], authorization: string | null): Promise<T> {
    this.options.onRequest?.(operation);
    const url = `${this.options.url.replace(/\/$/, '')}/${encodeURIComponent(this.options.database)}/`;
    const id = ++this.sequence;
    let status: number;
    let text: string;
    try {
      const response = await request(url, {
        method: 'POST',
        dispatcher: this.agent,
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ id, method, params }),
        headersTimeout: this.options.timeoutMs ?? 20_000,
        bodyTimeout: this.options.timeoutMs ?? 20_000,
      });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      const timedOut = error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError;
      throw new AppError(ErrorCode.UPSTREAM_UNAVAILABLE, `Tryton ${timedOut ? 'timed out' : 'unreachable'} (${operation})`, { system: 'erp', operation });
    }
    if (status === 401 || status === 403) {
      if (method === 'common.db.login') throw new AppError(ErrorCode.UNAUTHENTICATED, 'Tryton refused the integration login', { system: 'erp', operation });
      throw new SessionRejected();
    }
    if (status === 429) throw new AppError(ErrorCode.RATE_LIMITED, 'Tryton rate limit reached', { system: 'erp', operation });
    if (status >= 500) throw new AppError(ErrorCode.UPSTREAM_UNAVAILABLE, `Tryton answered ${status} (${operation})`, { system: 'erp', operation, status });
    let body: { result?: unknown; error?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new AppError(ErrorCode.UPSTREAM_UNAVAILABLE, `Tryton answered ${status} without JSON (${operation})`, { system: 'erp', operation, status });
    }
    if (body.error !== undefined && body.error !== null) throw toAppError(body.error, operation);
    return revive(body.result) as T;
  }
}

class SessionRejected extends Error {}

/** Attempts after a lost row lock before the conflict is reported. */
const LOCK_RETRIES = 6;

const LOCK_CONFLICT = /could not obtain lock|could not serialize|deadlock detected/i;

function toAppError(error: unknown, operation: string): AppError {
  if (Array.isArray(error) && typeof error[0] === 'string') {
    const [kind, args] = error as [string, unknown];
    const parts = Array.isArray(args) ? args : [args];
    // UserError: [message, description, domain]; UserWarning: [name, message, description].
    const message = String((kind === 'UserWarning' ? parts[1] : parts[0]) ?? kind);
    const known = ['UserError', 'UserWarning', 'ConcurrencyException', 'LoginException', 'AccessError'].includes(kind);
    if (!known && LOCK_CONFLICT.test(kind)) {
      return new TrytonError(ErrorCode.UPSTREAM_UNAVAILABLE, 'Tryton was busy with the same records; try again', { system: 'erp', operation, trytonError: 'Exception', lockConflict: true });
    }
    return new TrytonError(codeOfTrytonError(kind, message), known ? message : `Tryton failed: ${kind.split('\n')[0].slice(0, 300)}`, { system: 'erp', operation, trytonError: known ? kind : 'Exception' });
  }
  return new TrytonError(ErrorCode.INTERNAL_SERVER_ERROR, 'Tryton failed', { system: 'erp', operation });
}
