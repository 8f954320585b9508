import type { ErpCreditAssessment } from '../../../../connectors/erp/erp.connector';
import type { Queryable } from '../../../../platform/db';
import { AppError, ErrorCode } from '../../../../platform/errors';
import { claimIdempotencyKey } from '../../../../platform/idempotency';
import { isUuid } from '../../../../platform/input-ids';

export type CreditReviewStatus = 'PENDING' | 'APPROVED' | 'REJECTED';

/** Finance's review of one order flow whose order exceeds the customer's credit. */
export interface CreditReview {
  flowRunId: string;
  customerId: string;
  status: CreditReviewStatus;
  currency: string;
  orderTotal: string;
  exposure: string;
  creditLimit: string;
  requestedAt: string;
  decidedAt: string | null;
  decidedBy: string | null;
  note: string | null;
}

interface CreditReviewRow {
  flow_run_id: string;
  customer_id: string;
  status: CreditReviewStatus;
  currency: string;
  order_total: string;
  exposure: string;
  credit_limit: string;
  requested_at: Date | string;
  decided_at: Date | string | null;
  decided_by: string | null;
  note: string | null;
}

const COLUMNS = 'flow_run_id, customer_id, status, currency, order_total::text, exposure::text, credit_limit::text, requested_at, decided_at, decided_by, note';

/**
 * Credit reviews: asked for by the order flow (once per run, with the figures of the first
 * refusal) and decided once by finance. A decision is final: approving an approved review again
 * changes nothing, deciding the other way is a CONFLICT.
 */
export class CreditReviewRepository {
  constructor(private readonly db: Queryable) {}

  /** The run's review, asking for one with these figures if there is none yet. */
  async request(flowRunId: string, customerId: string, assessment: ErpCreditAssessment): Promise<CreditReview> {
    await this.db.query(
      `INSERT INTO credit_reviews (flow_run_id, customer_id, status, currency, order_total, exposure, credit_limit)
       VALUES ($1, $2, 'PENDING', $3, $4, $5, $6) ON CONFLICT (flow_run_id) DO NOTHING`,
      [flowRunId, customerId, assessment.currency, assessment.orderTotal, assessment.exposure, assessment.creditLimit],
    );
    return (await this.find(flowRunId))!;
  }

  /** The run's review, if one was asked for. */
  async find(flowRunId: string): Promise<CreditReview | null> {
    return (await this.findMany([flowRunId]))[0] ?? null;
  }

  /** The reviews of these runs (runs without one, and ids that are no run's, omitted). */
  async findMany(flowRunIds: readonly string[]): Promise<CreditReview[]> {
    const valid = flowRunIds.filter(isUuid);
    if (valid.length === 0) return [];
    const { rows } = await this.db.query<CreditReviewRow>(`SELECT ${COLUMNS} FROM credit_reviews WHERE flow_run_id = ANY($1::uuid[])`, [valid]);
    return rows.map(toReview);
  }

  /**
   * Records finance's decision on a PENDING review. The same decision again returns the review as
   * it is; the other decision on a decided review is a CONFLICT; no review is NOT_FOUND.
   */
  async decide(flowRunId: string, decision: 'APPROVED' | 'REJECTED', decidedBy: string, note: string | null): Promise<{ review: CreditReview; changed: boolean }> {
    const { rows } = await this.db.query<CreditReviewRow>(
      `UPDATE credit_reviews SET status = $2, decided_at = now(), decided_by = $3, note = $4
        WHERE flow_run_id = $1 AND status = 'PENDING' RETURNING ${COLUMNS}`,
      [flowRunId, decision, decidedBy, note],
    );
    if (rows[0]) return { review: toReview(rows[0]), changed: true };
    const current = await this.find(flowRunId);
    if (!current) throw new AppError(ErrorCode.NOT_FOUND, `order flow ${flowRunId} is not waiting for a credit review`, { field: 'id' });
    if (current.status !== decision) {
      throw new AppError(ErrorCode.CONFLICT, `the credit review of order flow ${flowRunId} is already ${current.status}`, { field: 'id', status: current.status });
    }
    return { review: current, changed: false };
  }

  /** Claims a client's idempotencyKey for a decision (CONFLICT when it stood for another request). */
  async claimClientKey(key: string, requestHash: string): Promise<void> {
    await claimIdempotencyKey(this.db, key, requestHash);
  }

  /** A page of reviews of one status, oldest request first, after the (requestedAt, flowRunId) cursor. */
  async page(args: { status: CreditReviewStatus; after?: { requestedAt: string; flowRunId: string }; limit: number; customerId?: string | null }): Promise<CreditReview[]> {
    const { rows } = await this.db.query<CreditReviewRow>(
      `SELECT ${COLUMNS} FROM credit_reviews
        WHERE status = $1
          AND ($2::timestamptz IS NULL OR (requested_at, flow_run_id) > ($2::timestamptz, $3::uuid))
          AND ($4::text IS NULL OR customer_id = $4)
        ORDER BY requested_at, flow_run_id LIMIT $5`,
      [args.status, args.after?.requestedAt ?? null, args.after?.flowRunId ?? null, args.customerId ?? null, args.limit],
    );
    return rows.map(toReview);
  }

  /** How many reviews have this status. */
  async count(status: CreditReviewStatus, customerId?: string | null): Promise<number> {
    const { rows } = await this.db.query<{ n: string }>('SELECT count(*)::text AS n FROM credit_reviews WHERE status = $1 AND ($2::text IS NULL OR customer_id = $2)', [status, customerId ?? null]);
    return Number(rows[0].n);
  }
}

function toReview(row: CreditReviewRow): CreditReview {
  return {
    flowRunId: row.flow_run_id,
    customerId: row.customer_id,
    status: row.status,
    currency: row.currency,
    orderTotal: row.order_total,
    exposure: row.exposure,
    creditLimit: row.credit_limit,
    requestedAt: iso(row.requested_at)!,
    decidedAt: iso(row.decided_at),
    decidedBy: row.decided_by,
    note: row.note,
  };
}

function iso(value: Date | string | null): string | null {
  if (value === null) return null;
  return (value instanceof Date ? value : new Date(value)).toISOString();
}
