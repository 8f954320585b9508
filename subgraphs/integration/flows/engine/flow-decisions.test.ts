import { AppError, ErrorCode } from '../../../../platform/errors';
import { backoffMs, changedRefs, decideFailure, failureKind, nextStep, refsOf } from './flow-decisions';
import { defineFlow, defineStep, type FailureRule, type FlowRef } from './flow-step';

const RULES: FailureRule[] = [
  { code: ErrorCode.CREDIT_LIMIT_EXCEEDED, then: 'compensate' },
  { code: ErrorCode.OUT_OF_STOCK, then: 'compensate' },
];
const RETRY = { maxAttempts: 3, retryBaseMs: 100, random: () => 0 };
const coded = (code: ErrorCode, message = 'no') => new AppError(code, message);

describe('what a step failure does to its run', () => {
  it.each([
    ['an unavailable backend with attempts left', coded(ErrorCode.UPSTREAM_UNAVAILABLE), 1, { kind: 'retry', delayMs: 100 }],
    ['an error without a code, second attempt', new Error('socket hang up'), 2, { kind: 'retry', delayMs: 200 }],
    ['an unavailable backend after the last attempt', coded(ErrorCode.UPSTREAM_UNAVAILABLE, 'erp down'), 3, { kind: 'fail', code: 'UPSTREAM_UNAVAILABLE', error: 'reserve-stock failed after 3 attempts: UPSTREAM_UNAVAILABLE: erp down' }],
    // An uncoded error's message may name internals (a query, a host): the run keeps only that it was internal.
    ['an error without a code after the last attempt', new Error('connect ECONNREFUSED 10.0.0.7:5432'), 3, { kind: 'fail', code: 'UPSTREAM_UNAVAILABLE', error: 'reserve-stock failed after 3 attempts: INTERNAL_SERVER_ERROR: an internal error (logged with this flow\'s id)' }],
    ['a code the flow declares a business refusal', coded(ErrorCode.CREDIT_LIMIT_EXCEEDED, 'over the limit'), 1, { kind: 'compensate', code: 'CREDIT_LIMIT_EXCEEDED', error: 'CREDIT_LIMIT_EXCEEDED: over the limit' }],
    ['another declared refusal, even on a later attempt', coded(ErrorCode.OUT_OF_STOCK, 'short'), 2, { kind: 'compensate', code: 'OUT_OF_STOCK', error: 'OUT_OF_STOCK: short' }],
    ['a coded error the flow does not name', coded(ErrorCode.NOT_FOUND, 'no such product'), 1, { kind: 'fail', code: 'NOT_FOUND', error: 'reserve-stock failed: NOT_FOUND: no such product' }],
  ])('%s', (_case, error, attempts, decision) => {
    expect(decideFailure({ stepId: 'reserve-stock', error, attempts }, RULES, RETRY)).toEqual(decision);
  });

  it('lets a flow declare which codes are business failures: without the rule a refusal only fails the run', () => {
    const error = coded(ErrorCode.CREDIT_LIMIT_EXCEEDED);
    expect(failureKind(error, RULES)).toBe('compensate');
    expect(failureKind(error, [])).toBe('fail');
    expect(failureKind(coded(ErrorCode.CONFLICT), [{ code: ErrorCode.CONFLICT, then: 'retry' }])).toBe('retry');
  });

  it('backs off exponentially with up to half again of jitter', () => {
    expect([1, 2, 3, 4].map((attempt) => backoffMs(attempt, 500, () => 0))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffMs(2, 500, () => 0.999)).toBe(1500);
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
