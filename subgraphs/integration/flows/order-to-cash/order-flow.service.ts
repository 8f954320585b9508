import { requestHash } from '../../../../platform/idempotency';
import { AppError, ErrorCode } from '../../../../platform/errors';
import { isTransientFailure } from '../engine/flow-decisions';
import { customerId, parseCustomerId } from '../../../../platform/customer-id';
import type { CustomerModel } from '../../models';
import type { FlowEngine } from '../engine/flow-engine';
import type { CreditReview, CreditReviewStatus } from './credit-review.repository';
import type { FlowRun, FlowRunStatus, FlowStepRow } from '../engine/flow-run.repository';
import type { OrderFlowDeps, OrderFlowInput, OrderFlowLine, OrderFlowState } from './order-flow.types';
import { ORDER_TO_CASH } from './order-flow.types';
import { ORDER_FLOW_REF, orderFlowIdsOf } from './order-to-cash.flow';
import { AWAITING_FINANCE, CREDIT_REVIEW_ENTITY } from './steps/check-credit.step';
import { WAIT_FOR_SHIPMENT } from './steps/wait-for-shipment.step';
import { isUuid } from '../../../../platform/input-ids';

/** Largest quantity of one order line. */
export const MAX_LINE_QUANTITY = 100_000;
/** Most lines of one order. */
export const MAX_ORDER_LINES = 200;
const MAX_KEY_LENGTH = 200;
/** Order statuses after which an order can no longer be cancelled. */
const SHIPPED_STATUSES = new Set(['PARTIALLY_SHIPPED', 'SHIPPED', 'INVOICED', 'PAID']);

/** How the service looks customers up, through the request's loaders. */
export interface CustomerLookup {
  byId(id: string): Promise<CustomerModel | null>;
  byCrmAccountId(crmAccountId: string): Promise<CustomerModel | null>;
}

/** A run with its step log, as the API shows it. */
export interface OrderFlowView {
  run: FlowRun;
  steps: FlowStepRow[];
}

/**
 * Starts, cancels, resumes and reads order-to-cash flows. Every input is checked before anything
 * is written; the engine does the rest.
 */
export class OrderFlowService {
  constructor(
    private readonly engine: FlowEngine<OrderFlowState, OrderFlowDeps>,
    private readonly deps: OrderFlowDeps,
    private readonly options: { cancelWaitMs: number } = { cancelWaitMs: 10_000 },
  ) {}

  /**
   * Starts the flow from order lines; the same key returns the same flow. Only what needs no other
   * system is checked before (the key, the customer id's form, the lines), so orders are taken
   * while a backend is away; the steps find out an unknown customer or product (NOT_FOUND).
   */
  async placeOrder(input: { customerId: string; lines: { sku: string; quantity: number }[] }, idempotencyKey: string, requestId: string): Promise<OrderFlowView> {
    const key = validKey(idempotencyKey);
    const parsed = parseCustomerId(input.customerId, 'input.customerId');
    const lines = validLines(input.lines);
    return this.start({ customerId: customerId(parsed.origin, parsed.localId), opportunityId: null, lines }, key, requestId);
  }

  /**
   * Starts the flow for a won opportunity; one opportunity becomes one flow. The opportunity is
   * read from the CRM (its lines are the order); the ERP is not asked, so opportunities convert
   * while it is away and the steps find out an unknown product (NOT_FOUND), as for placeOrder.
   */
  async convertOpportunity(opportunityId: string, idempotencyKey: string, customers: CustomerLookup, requestId: string): Promise<OrderFlowView> {
    const key = validKey(idempotencyKey);
    const existing = await this.engine.runs.findByKey(ORDER_TO_CASH, key);
    if (existing && orderFlowIdsOf(existing).opportunityId === opportunityId.toLowerCase()) return this.view(existing);
    if (!isUuid(opportunityId)) throw new AppError(ErrorCode.NOT_FOUND, `opportunity ${opportunityId} does not exist`, { field: 'opportunityId' });
    const id = opportunityId.toLowerCase();
    const [taken] = await this.engine.runs.findByRef(ORDER_TO_CASH, ORDER_FLOW_REF.opportunity, [id]);
    if (taken) throw conflictOnOpportunity(id, taken);
    const [opportunity] = await this.deps.crm.getOpportunities([id]);
    if (!opportunity) throw new AppError(ErrorCode.NOT_FOUND, `opportunity ${opportunityId} does not exist`, { field: 'opportunityId' });
    if (opportunity.stage === 'CLOSED_LOST') throw new AppError(ErrorCode.CONFLICT, `opportunity ${id} is CLOSED_LOST and cannot become an order`);
    if (opportunity.erpSalesOrderId) throw new AppError(ErrorCode.CONFLICT, `opportunity ${id} already became sales order ${opportunity.erpSalesOrderId}`);
    const lines = validLines(opportunity.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, unitPrice: l.unitPrice })), 'opportunity.lines');
    const customer = await customers.byCrmAccountId(opportunity.accountId);
    if (!customer) throw new AppError(ErrorCode.NOT_FOUND, `account ${opportunity.accountId} of opportunity ${id} does not exist`);
    return this.start({ customerId: customer.id, opportunityId: id, lines }, key, requestId);
  }

  /**
   * Cancels the order's flow until shipment, compensating in reverse; answers once undone (or after
   * a bounded wait). A shipment the flow saw, or the ERP reports, refuses the cancel. While the ERP
   * is away the cancel is taken on the flow's word: the undo waits for the ERP like any step, and an
   * order that shipped meanwhile is refused by the ERP then (the undo fails with that CONFLICT for a
   * person to look at, as when it ships between this check and the undo).
   */
  async cancelOrder(salesOrderId: string, reason: string | null): Promise<OrderFlowView> {
    const [run] = await this.engine.runs.findByRef(ORDER_TO_CASH, ORDER_FLOW_REF.salesOrder, [salesOrderId]);
    if (!run) throw new AppError(ErrorCode.NOT_FOUND, `sales order ${salesOrderId} has no order flow to cancel`, { field: 'salesOrderId' });
    if (run.status === 'COMPENSATED' || run.status === 'COMPENSATING') return this.view(run);
    if (run.status === 'COMPLETED') throw new AppError(ErrorCode.CONFLICT, `the order flow of ${salesOrderId} is completed; it cannot be cancelled`);
    const status = await this.erpStatusOf(salesOrderId);
    if (status && SHIPPED_STATUSES.has(status)) {
      throw new AppError(ErrorCode.CONFLICT, `sales order ${salesOrderId} is ${status}; an order can be cancelled only until it ships`, { status });
    }
    const shipped = (await this.engine.runs.stepsOf([run.id])).some((step) => step.name === WAIT_FOR_SHIPMENT && step.status === 'DONE');
    if (shipped) throw new AppError(ErrorCode.CONFLICT, `sales order ${salesOrderId} has shipped; an order can be cancelled only until it ships`);
    await this.engine.cancel(run.id, reason?.trim() || null);
    return this.waitForRest(run.id, this.options.cancelWaitMs);
  }

  /** The order's status in the ERP; null when the ERP does not answer now (or lost the order). */
  private async erpStatusOf(salesOrderId: string): Promise<string | null> {
    try {
      const [order] = await this.deps.erp.getSalesOrders([salesOrderId]);
      return order?.status ?? null;
    } catch (error) {
      if (isTransientFailure(error)) return null;
      throw error;
    }
  }

  /** Resumes a FAILED flow from its failed step. */
  async retry(id: string): Promise<OrderFlowView> {
    const [run] = await this.engine.runs.findByIds([id]);
    if (!run) throw new AppError(ErrorCode.NOT_FOUND, `order flow ${id} does not exist`, { field: 'id' });
    if (run.status !== 'FAILED' || !(await this.engine.resume(run.id))) {
      throw new AppError(ErrorCode.CONFLICT, `order flow ${id} is ${run.status}; only a FAILED flow can be retried`, { status: run.status });
    }
    return this.view((await this.engine.runs.findByIds([id]))[0]);
  }

  /**
   * Finance's decision on an order waiting for a credit review. Approved, the flow goes on (the
   * answer comes once it left the wait, or after a bounded wait); rejected, it is undone and ends
   * COMPENSATED with CREDIT_LIMIT_EXCEEDED. The same decision again returns the flow; the other one
   * is a CONFLICT (CreditReviewRepository.decide), as is the caller's key sent with another request.
   */
  async decideCredit(id: string, decision: 'APPROVED' | 'REJECTED', decidedBy: string, note: string | null, clientKey?: string): Promise<OrderFlowView> {
    const [run] = await this.engine.runs.findByIds([id]);
    if (!run) throw new AppError(ErrorCode.NOT_FOUND, `order flow ${id} does not exist`, { field: 'id' });
    if (clientKey) await this.deps.credit.reviews.claimClientKey(clientKey, requestHash('CREDIT_REVIEW', id, { decision, note }));
    const { changed } = await this.deps.credit.reviews.decide(run.id, decision, decidedBy, note);
    if (changed) await this.engine.wake([{ entity: CREDIT_REVIEW_ENTITY, entityId: run.id, version: 1 }]);
    return this.waitUntil(run.id, this.options.cancelWaitMs, (view) => !view.steps.some((step) => step.status === 'WAITING' && step.error === AWAITING_FINANCE) && view.run.status !== 'COMPENSATING');
  }

  /** The run and its steps. */
  async view(run: FlowRun): Promise<OrderFlowView> {
    return { run, steps: await this.engine.runs.stepsOf([run.id]) };
  }

  /** Runs by id (missing ids omitted). */
  async byIds(ids: readonly string[]): Promise<FlowRun[]> {
    return this.engine.runs.findByIds(ids);
  }

  /** The flows of these opportunities. */
  async byOpportunities(ids: readonly string[]): Promise<FlowRun[]> {
    return this.engine.runs.findByRef(ORDER_TO_CASH, ORDER_FLOW_REF.opportunity, ids.map((id) => id.toLowerCase()));
  }

  /** The flows of these sales orders. */
  async bySalesOrders(ids: readonly string[]): Promise<FlowRun[]> {
    return this.engine.runs.findByRef(ORDER_TO_CASH, ORDER_FLOW_REF.salesOrder, ids);
  }

  /** The credit reviews of these runs (runs without one omitted). */
  async creditReviewsOf(runIds: readonly string[]): Promise<CreditReview[]> {
    return this.deps.credit.reviews.findMany(runIds);
  }

  /** A page of credit reviews of one status, oldest request first. */
  async creditReviews(args: { status: CreditReviewStatus; first: number; after?: { requestedAt: string; flowRunId: string } }): Promise<{ reviews: CreditReview[]; hasNextPage: boolean; totalCount: number }> {
    const [rows, totalCount] = await Promise.all([
      this.deps.credit.reviews.page({ status: args.status, after: args.after, limit: args.first + 1 }),
      this.deps.credit.reviews.count(args.status),
    ]);
    return { reviews: rows.slice(0, args.first), hasNextPage: rows.length > args.first, totalCount };
  }

  /** Steps of these runs, in flow order. */
  async stepsOf(runIds: readonly string[]): Promise<FlowStepRow[]> {
    return this.engine.runs.stepsOf(runIds);
  }

  /** A page of flows ordered by start, optionally of one status and of one customer (its API id). */
  async list(args: { first: number; after?: { startedAt: string; id: string }; status?: FlowRunStatus | null; customerId?: string | null }): Promise<{ runs: FlowRun[]; hasNextPage: boolean; totalCount: number }> {
    const ref = args.customerId ? { name: ORDER_FLOW_REF.customer, value: args.customerId } : null;
    const [rows, totalCount] = await Promise.all([
      this.engine.runs.page({ status: args.status, ref, after: args.after, limit: args.first + 1 }),
      this.engine.runs.count(args.status, ref),
    ]);
    return { runs: rows.slice(0, args.first), hasNextPage: rows.length > args.first, totalCount };
  }

  private async start(input: OrderFlowInput, key: string, requestId: string): Promise<OrderFlowView> {
    const hash = requestHash('START', ORDER_TO_CASH, input);
    const started = await this.engine.startRun({ idempotencyKey: key, requestHash: hash, input, requestId });
    if (!started) {
      const [taken] = input.opportunityId ? await this.engine.runs.findByRef(ORDER_TO_CASH, ORDER_FLOW_REF.opportunity, [input.opportunityId]) : [];
      if (taken) throw conflictOnOpportunity(input.opportunityId!, taken);
      throw new AppError(ErrorCode.CONFLICT, 'the order flow could not be started; try again');
    }
    if (started.run.requestHash !== hash) {
      throw new AppError(ErrorCode.CONFLICT, 'this idempotencyKey was already used for another order', { field: 'idempotencyKey' });
    }
    return this.view(started.run);
  }

  private async waitForRest(runId: string, timeoutMs: number): Promise<OrderFlowView> {
    return this.waitUntil(runId, timeoutMs, (view) => view.run.status !== 'COMPENSATING');
  }

  /** The run once `settled` holds for it, or as it is after `timeoutMs`. */
  private async waitUntil(runId: string, timeoutMs: number, settled: (view: OrderFlowView) => boolean): Promise<OrderFlowView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [run] = await this.engine.runs.findByIds([runId]);
      const view = await this.view(run);
      if (settled(view) || Date.now() > deadline) return view;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}


function conflictOnOpportunity(opportunityId: string, run: FlowRun): AppError {
  return new AppError(ErrorCode.CONFLICT, `opportunity ${opportunityId} already has order flow ${run.id} (started with another idempotencyKey)`, {
    field: 'opportunityId',
    orderFlowId: run.id,
  });
}

function validKey(idempotencyKey: string): string {
  const key = idempotencyKey.trim();
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new AppError(ErrorCode.BAD_USER_INPUT, `idempotencyKey must be 1 to ${MAX_KEY_LENGTH} characters`, { field: 'idempotencyKey' });
  }
  return key;
}

function validLines(lines: OrderFlowLine[], field = 'input.lines'): OrderFlowLine[] {
  if (lines.length === 0) throw new AppError(ErrorCode.BAD_USER_INPUT, `${field}: an order needs at least one line`, { field });
  if (lines.length > MAX_ORDER_LINES) throw new AppError(ErrorCode.BAD_USER_INPUT, `${field}: at most ${MAX_ORDER_LINES} lines`, { field });
  const seen = new Set<string>();
  return lines.map((line, i) => {
    const sku = line.sku.trim();
    if (!sku) throw new AppError(ErrorCode.BAD_USER_INPUT, `${field}.${i}.sku must not be empty`, { field: `${field}.${i}.sku` });
    if (seen.has(sku)) throw new AppError(ErrorCode.BAD_USER_INPUT, `${field}.${i}.sku: ${sku} appears on more than one line`, { field: `${field}.${i}.sku` });
    seen.add(sku);
    if (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > MAX_LINE_QUANTITY) {
      throw new AppError(ErrorCode.BAD_USER_INPUT, `${field}.${i}.quantity must be a whole number from 1 to ${MAX_LINE_QUANTITY}`, { field: `${field}.${i}.quantity` });
    }
    return { sku, quantity: line.quantity, ...(line.unitPrice ? { unitPrice: line.unitPrice } : {}) };
  });
}
