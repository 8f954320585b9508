import { AppError, ErrorCode } from '../../platform/errors';

/** One call that reached a connector through ConnectorFaults.wrap. */
export interface ConnectorCall {
  system: string;
  operation: string;
  /** The write's idempotency key, when the call carried one. */
  idempotencyKey?: string;
}

/** How one planned fault plays out. */
export interface FaultOptions {
  /** How many calls of the operation fail; default 1, Infinity until `clear()`. */
  times?: number;
  /**
   * Let the call take effect, then fail it: an answer lost on the way back, the case a retry with
   * the same idempotency key exists for.
   */
  afterApply?: boolean;
  /** What the call throws instead; default UPSTREAM_UNAVAILABLE as the HTTP connectors say it. */
  error?: () => Error;
}

/** A fault planned for the next `remaining` calls of an operation: a failure, or no answer at all. */
type PlannedFault = { remaining: number } & ({ kind: 'fail'; afterApply: boolean; error: () => Error } | { kind: 'hang' });

/**
 * The one way tests make a connector fail, for the in-memory fakes and the HTTP connectors alike:
 * `wrap` puts a proxy in front of a connector that fails planned calls before they reach it (the
 * backend unreachable), after they took effect (the answer lost), or leaves them unanswered (a
 * process dying mid-call), and journals every call with its idempotency key. Errors carry the
 * code and details the HTTP client gives (UPSTREAM_UNAVAILABLE, { system, operation }), so the
 * code under test cannot tell an injected fault from a real one. `Operation` narrows the names
 * faults can be planned for (e.g. `keyof ErpConnector`), so a misspelt one does not compile.
 */
export class ConnectorFaults<Operation extends string = string> {
  /** Every call made through a wrapped connector, in order. */
  readonly calls: ConnectorCall[] = [];
  /** While true every call fails before reaching the connector, as an unreachable backend does. */
  down = false;
  private readonly plan = new Map<string, PlannedFault[]>();

  /**
   * `system` names the backend in errors and calls ("erp", "crm"); `journal`, when given, also
   * receives every call, so a test can see the order of calls across systems.
   */
  constructor(
    readonly system: string,
    private readonly journal?: ConnectorCall[],
  ) {}

  /** Makes the next `times` calls of `operation` fail (planned faults of one operation play in the order planned). */
  failNext(operation: Operation, options: FaultOptions = {}): void {
    const error = options.error ?? (() => this.unavailable(operation, options.afterApply ?? false));
    this.add(operation, { kind: 'fail', remaining: options.times ?? 1, afterApply: options.afterApply ?? false, error });
  }

  /** The next `times` calls of `operation` never answer: the caller waits forever, as for a backend that died mid-call. */
  hangNext(operation: Operation, times = 1): void {
    this.add(operation, { kind: 'hang', remaining: times });
  }

  /** Forgets every planned fault and brings the backend back up; the call journal stays. */
  clear(): void {
    this.plan.clear();
    this.down = false;
  }

  /** The calls of one operation, in order. */
  callsOf(operation: Operation): ConnectorCall[] {
    return this.calls.filter((call) => call.operation === operation);
  }

  /** How many calls each operation received, for operations called at least once. */
  callCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const call of this.calls) counts[call.operation] = (counts[call.operation] ?? 0) + 1;
    return counts;
  }

  /**
   * The connector behind the planned faults. Every method call goes through: a connector's writes
   * take their idempotency key as the last declared parameter (erp.connector.ts, crm.connector.ts),
   * so a string passed in that position is journalled as the key.
   */
  wrap<T extends object>(connector: T): T {
    return new Proxy(connector, {
      get: (target, property, receiver) => {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function' || typeof property !== 'string') return value;
        const method = value as (...args: unknown[]) => unknown;
        return (...args: unknown[]) => this.call(property, method.length, args, () => method.apply(target, args));
      },
    });
  }

  private async call(operation: string, arity: number, args: unknown[], invoke: () => unknown): Promise<unknown> {
    // Every keyed write takes something to write before its key, so a one-parameter method has none.
    const key = arity >= 2 && args.length === arity && typeof args[arity - 1] === 'string' ? (args[arity - 1] as string) : undefined;
    const call: ConnectorCall = key === undefined ? { system: this.system, operation } : { system: this.system, operation, idempotencyKey: key };
    this.calls.push(call);
    this.journal?.push(call);
    if (this.down) throw this.unavailable(operation, false);
    const fault = this.take(operation);
    if (!fault) return invoke();
    if (fault.kind === 'hang') return new Promise<never>(() => undefined);
    if (!fault.afterApply) throw fault.error();
    await invoke();
    throw fault.error();
  }

  private take(operation: string): PlannedFault | undefined {
    const queue = this.plan.get(operation);
    const fault = queue?.[0];
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) queue!.shift();
    return fault;
  }

  private add(operation: string, fault: PlannedFault): void {
    const queue = this.plan.get(operation) ?? [];
    queue.push(fault);
    this.plan.set(operation, queue);
  }

  private unavailable(operation: string, afterApply: boolean): AppError {
    // The HTTP client's words for a backend that did not answer and for an answer cut off.
    const message = afterApply ? `${this.system} answer was lost (${operation})` : `${this.system} is unavailable (${operation})`;
    return new AppError(ErrorCode.UPSTREAM_UNAVAILABLE, message, { system: this.system, operation });
  }
}
