import { AppError } from '../../../../../platform/errors';
import { createLogger } from '../../../../../platform/logger';
import type { StepContext } from '../../engine/flow-step';
import type { CreditReview } from '../credit-review.repository';
import type { OrderFlowDeps, WithCustomer } from '../order-flow.types';
import { AWAITING_FINANCE, CREDIT_RECHECK_MS, CREDIT_REVIEW_ENTITY, creditDecision } from './check-credit.step';

const HOUR = 3_600_000;
const deps = { credit: { windowMs: 72 * HOUR } } as OrderFlowDeps;
const state: WithCustomer = { customerId: 'crm:a', opportunityId: null, lines: [{ sku: 'P-1', quantity: 1 }], customerNo: 'K-1', crmAccountId: 'a' };
const ctx: StepContext = { runId: '6f1c0c1e-0000-4000-8000-000000000001', key: () => 'k', logger: createLogger('test', 'silent') };

function review(status: CreditReview['status'], requestedHoursAgo: number, note: string | null = null): CreditReview {
  return {
    flowRunId: ctx.runId,
    customerId: 'crm:a',
    status,
    currency: 'EUR',
    orderTotal: '120.00',
    exposure: '60.00',
    creditLimit: '100.00',
    requestedAt: new Date(Date.now() - requestedHoursAgo * HOUR).toISOString(),
    decidedAt: status === 'PENDING' ? null : new Date().toISOString(),
    decidedBy: status === 'PENDING' ? null : 'finance-anna',
    note,
  };
}

function refusal(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    return error as AppError;
  }
  throw new Error('expected a refusal');
}

describe('what finance’s credit review means for the order flow', () => {
  it('waits on the review while it is pending, with a text that names no figures', () => {
    expect(creditDecision(deps, state, ctx, review('PENDING', 1))).toMatchObject({ kind: 'waiting', on: [{ entity: CREDIT_REVIEW_ENTITY, entityId: ctx.runId }], reason: AWAITING_FINANCE });
    expect(AWAITING_FINANCE).not.toMatch(/\d/);
  });

  it('is looked at without a decision every few minutes, and again right when the window closes', () => {
    const early = creditDecision(deps, state, ctx, review('PENDING', 1));
    expect(early).toMatchObject({ kind: 'waiting', checkAgainInMs: CREDIT_RECHECK_MS });
    const closing = creditDecision(deps, state, ctx, review('PENDING', 72 - 1 / 60));
    const nextLookMs = closing.kind === 'waiting' ? closing.checkAgainInMs! : NaN;
    expect(nextLookMs).toBeGreaterThan(60_000);
    expect(nextLookMs).toBeLessThanOrEqual(62_000);
  });

  it('goes on with the approver once approved, however long the review took', () => {
    expect(creditDecision(deps, state, ctx, review('APPROVED', 100))).toEqual({ kind: 'approved', approvedBy: 'finance-anna' });
  });

  it('refuses with CREDIT_LIMIT_EXCEEDED, the figures and finance’s reason once rejected', () => {
    const error = refusal(() => creditDecision(deps, state, ctx, review('REJECTED', 1, 'overdue invoices')));
    expect(error.code).toBe('CREDIT_LIMIT_EXCEEDED');
    expect(error.message).toBe('finance rejected the order: exposure 60.00 plus order total 120.00 exceeds the credit limit 100.00 EUR of customer K-1 (overdue invoices)');
    expect(error.details).toEqual({ customerNo: 'K-1', exposure: '60.00', orderTotal: '120.00', creditLimit: '100.00' });
  });

  it('refuses a review nobody decided within the window', () => {
    const error = refusal(() => creditDecision(deps, state, ctx, review('PENDING', 73)));
    expect(error.code).toBe('CREDIT_LIMIT_EXCEEDED');
    expect(error.message).toMatch(/^finance did not review the order within 72 h: exposure 60\.00/);
  });
});
