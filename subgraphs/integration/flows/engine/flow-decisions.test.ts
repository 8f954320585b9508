import { AppError, ErrorCode } from '../../../../platform/errors';
import { backoffMs, changedRefs, decideFailure, decideUndoFailure, failureKind, nextStep, refsOf, systemOf, waitRecheckMs } from './flow-decisions';
import { defineFlow, defineStep, type FailureRule, type FlowRef } from './flow-step';

const RULES: FailureRule[] = [
  { code: ErrorCode.CREDIT_LIMIT_EXCEEDED, then: 'compensate' },
  { code: ErrorCode.OUT_OF_STOCK, then: 'compensate' },
];
/** Backoff from 100 ms, at most 1 s apart, for a window of one minute; no jitter. */
const POLICY = { baseMs: 100, maxDelayMs: 1000, windowMs: 60_000, random: () => 0 };
const coded = (code: ErrorCode, message = 'no', details?: Record<string, unknown>) => new AppError(code, message, details);
const T0 = Date.parse('2026-12-01T10:00:00Z');
/** A streak that began at T0, with the policy's window. */
const STREAK = { since: T0, until: T0 + POLICY.windowMs };
const at = (seconds: number) => T0 + seconds * 1000;
const INTERNAL = "INTERNAL_SERVER_ERROR: an internal error (logged with this flow's id)";

describe('what a step failure does to its run', () => {
  it.each([
    ['a first unavailable backend: retried after the base delay, a streak starting now', coded(ErrorCode.UPSTREAM_UNAVAILABLE, 'erp is unavailable', { system: 'erp' }), 1, null, 0,
      { kind: 'retry', delayMs: 100, code: 'UPSTREAM_UNAVAILABLE', system: 'erp', streak: STREAK }],
    ['an error without a code, third attempt: the delay doubled twice, same streak', new Error('socket hang up'), 3, STREAK, 2,
      { kind: 'retry', delayMs: 400, code: 'UPSTREAM_UNAVAILABLE', system: null, streak: STREAK }],
    ['an overloaded backend (429) is transient too', coded(ErrorCode.RATE_LIMITED, 'slow down', { system: 'crm' }), 1, null, 0,
      { kind: 'retry', delayMs: 100, code: 'RATE_LIMITED', system: 'crm', streak: STREAK }],
    ['many attempts in: the delay is capped', coded(ErrorCode.UPSTREAM_UNAVAILABLE), 40, STREAK, 30,
      { kind: 'retry', delayMs: 1000, code: 'UPSTREAM_UNAVAILABLE', system: null, streak: STREAK }],
    ['just before the window ends: the last attempt is at its end', coded(ErrorCode.UPSTREAM_UNAVAILABLE), 40, STREAK, 59.7,
      { kind: 'retry', delayMs: 300, code: 'UPSTREAM_UNAVAILABLE', system: null, streak: STREAK }],
    ['a failure once the window is over', coded(ErrorCode.UPSTREAM_UNAVAILABLE, 'erp down'), 63, STREAK, 60,
      { kind: 'fail', code: 'UPSTREAM_UNAVAILABLE', error: 'reserve-stock failed after 63 attempts over 60 s: UPSTREAM_UNAVAILABLE: erp down' }],
    // An uncoded error's message may name internals (a query, a host): the run keeps only that it was internal.
    ['an error without a code once the window is over', new Error('connect ECONNREFUSED 10.0.0.7:5432'), 70, STREAK, 61,
      { kind: 'fail', code: 'UPSTREAM_UNAVAILABLE', error: `reserve-stock failed after 70 attempts over 61 s: ${INTERNAL}` }],
    ['a code the flow declares a business refusal', coded(ErrorCode.CREDIT_LIMIT_EXCEEDED, 'over the limit'), 1, null, 0,
      { kind: 'compensate', code: 'CREDIT_LIMIT_EXCEEDED', error: 'CREDIT_LIMIT_EXCEEDED: over the limit' }],
    ['a declared refusal in the middle of a streak: the refusal wins', coded(ErrorCode.OUT_OF_STOCK, 'short'), 5, STREAK, 30,
      { kind: 'compensate', code: 'OUT_OF_STOCK', error: 'OUT_OF_STOCK: short' }],
    ['a coded error the flow does not name: FAILED at once, inside the window', coded(ErrorCode.NOT_FOUND, 'no such product'), 1, STREAK, 1,
      { kind: 'fail', code: 'NOT_FOUND', error: 'reserve-stock failed: NOT_FOUND: no such product' }],
  ])('%s', (_case, error, attempts, streak, seconds, decision) => {
    expect(decideFailure({ stepId: 'reserve-stock', error, attempts, streak, now: at(seconds) }, RULES, POLICY)).toEqual(decision);
  });

  it('fails a transient failure at once when the window is zero', () => {
    expect(decideFailure({ stepId: 's', error: coded(ErrorCode.UPSTREAM_UNAVAILABLE, 'down'), attempts: 1, streak: null, now: T0 }, RULES, { ...POLICY, windowMs: 0 })).toEqual({
      kind: 'fail',
      code: 'UPSTREAM_UNAVAILABLE',
      error: 's failed after 1 attempts over 0 s: UPSTREAM_UNAVAILABLE: down',
    });
  });

  it('lets a flow declare which codes are business failures: without the rule a refusal only fails the run', () => {
    const error = coded(ErrorCode.CREDIT_LIMIT_EXCEEDED);
    expect(failureKind(error, RULES)).toBe('compensate');
    expect(failureKind(error, [])).toBe('fail');
    expect(failureKind(coded(ErrorCode.CONFLICT), [{ code: ErrorCode.CONFLICT, then: 'retry' }])).toBe('retry');
  });

  it('backs off exponentially up to the cap, with jitter taking up to half off', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((attempt) => backoffMs(attempt, 500, 10_000, () => 0))).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(backoffMs(2, 500, 10_000, () => 0.999)).toBe(501);
    expect(backoffMs(10, 500, 60_000, () => 0.5)).toBe(45_000);
    // Attempts far beyond any real streak stay finite.
    expect(backoffMs(10_000, 500, 60_000, () => 0)).toBe(60_000);
  });

  it('looks at a waiting run again after a quarter of its wait so far, between the poll interval and the cap', () => {
    const minutes = (n: number) => n * 60_000;
    // Just begun, or waiting under 20 s: every poll (5 s).
    expect([0, 1000, 20_000].map((waited) => waitRecheckMs(waited, 5000, minutes(5)))).toEqual([5000, 5000, 5000]);
    // A minute: 15 s; ten minutes: 2.5 min; from twenty minutes on: the cap.
    expect([minutes(1), minutes(10), minutes(20), minutes(60 * 24 * 3)].map((waited) => waitRecheckMs(waited, 5000, minutes(5)))).toEqual([15_000, 150_000, minutes(5), minutes(5)]);
    // A cap below the poll interval cannot make the runs look more often than the poll.
    expect(waitRecheckMs(minutes(60), 5000, 1000)).toBe(5000);
  });

  it('names the system a connector error came from, none for other errors', () => {
    expect(systemOf(coded(ErrorCode.UPSTREAM_UNAVAILABLE, 'x', { system: 'erp', operation: 'reserveStock' }))).toBe('erp');
    expect(systemOf(coded(ErrorCode.UPSTREAM_UNAVAILABLE, 'x'))).toBeNull();
    expect(systemOf(new Error('socket hang up'))).toBeNull();
  });
});

describe('what an undo step failure does to its run', () => {
  it('retries a transient failure within the window', () => {
    expect(decideUndoFailure({ stepId: 'create-sales-order', error: coded(ErrorCode.UPSTREAM_UNAVAILABLE, 'down', { system: 'erp' }), attempts: 2, streak: null, now: T0 }, RULES, POLICY)).toEqual({
      kind: 'retry',
      delayMs: 200,
      code: 'UPSTREAM_UNAVAILABLE',
      system: 'erp',
      streak: STREAK,
    });
  });

  it('fails the run once the window is over', () => {
    expect(decideUndoFailure({ stepId: 'create-sales-order', error: coded(ErrorCode.UPSTREAM_UNAVAILABLE, 'down'), attempts: 9, streak: STREAK, now: at(75) }, RULES, POLICY)).toEqual({
      kind: 'fail',
      error: 'undoing create-sales-order failed after 9 attempts over 75 s: UPSTREAM_UNAVAILABLE: down',
    });
  });

  it('fails the run at once for a failure that will not pass, a declared refusal included', () => {
    for (const error of [coded(ErrorCode.CONFLICT, 'shipped already'), coded(ErrorCode.OUT_OF_STOCK, 'short')]) {
      expect(decideUndoFailure({ stepId: 'reserve-stock', error, attempts: 1, streak: STREAK, now: at(1) }, RULES, POLICY)).toEqual({
        kind: 'fail',
        error: `undoing reserve-stock failed: ${error.code}: ${error.message}`,
      });
    }
  });
});

describe('which step runs next', () => {
  it('is the first one neither DONE nor SKIPPED, none when all are', () => {
    const steps = [
      { position: 1, status: 'DONE' },
      { position: 2, status: 'SKIPPED' },
      { position: 3, status: 'WAITING' },
      { position: 4, status: 'PENDING' },
    ];
    expect(nextStep(steps)?.position).toBe(3);
    expect(nextStep(steps.slice(0, 2))).toBeUndefined();
  });
});

describe('the ids a run is found by', () => {
  interface State {
    opportunityId: string | null;
    salesOrderId?: string;
  }
  const refs: FlowRef<State>[] = [
    { name: 'opportunity', of: (s) => s.opportunityId, unique: true },
    { name: 'salesOrder', of: (s) => s.salesOrderId },
  ];

  it('are read from the state, leaving out those it does not hold yet', () => {
    expect(refsOf(refs, { opportunityId: 'opp-1' })).toEqual([{ name: 'opportunity', value: 'opp-1', unique: true }]);
    expect(refsOf(refs, { opportunityId: null })).toEqual([]);
  });

  it('are recorded again only when a step changed them', () => {
    const known = { opportunity: 'opp-1' };
    expect(changedRefs(refs, known, { opportunityId: 'opp-1' })).toEqual([]);
    expect(changedRefs(refs, known, { opportunityId: 'opp-1', salesOrderId: 'SO-1' })).toEqual([{ name: 'salesOrder', value: 'SO-1', unique: false }]);
  });
});

describe('a flow definition', () => {
  interface Deps {
    log: string[];
  }
  const priced = defineStep<{ sku: string }, { total: string }, Deps>({
    id: 'price',
    async invoke(state, deps) {
      deps.log.push(`price ${state.sku}`);
      return { kind: 'done', output: { total: '1.00' } };
    },
  });
  const ordered = defineStep<{ sku: string; total: string }, { orderId: string }, Deps>({
    id: 'order',
    async invoke(state) {
      return { kind: 'done', output: { orderId: `SO-${state.total}` } };
    },
  });

  it('lists its steps in order with its failure rules and ids', () => {
    const flow = defineFlow<{ sku: string }, Deps>('test-flow')
      .step(priced)
      .step(ordered)
      .build({ failures: RULES, refs: [{ name: 'order', of: (s) => s.orderId }] });
    expect(flow.steps.map((s) => s.id)).toEqual(['price', 'order']);
    expect(flow.failures).toBe(RULES);
    expect(refsOf(flow.refs, { sku: 'A', orderId: 'SO-1' })).toEqual([{ name: 'order', value: 'SO-1', unique: false }]);
  });

  it('does not compile a step that needs state no earlier step provides', () => {
    const build = () =>
      defineFlow<{ sku: string }, Deps>('test-flow')
        // @ts-expect-error: "order" needs the total, which only "price" provides.
        .step(ordered)
        .build({ failures: [], refs: [] });
    expect(build().steps).toHaveLength(1);
  });
});
