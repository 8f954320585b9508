import DataLoader from 'dataloader';
import { AppError, ErrorCode } from '../../../platform/errors';
import { MAX_PAGE_SIZE, decodeCursor, encodeCursor, isIsoInstant, pageSize } from '../../../platform/pagination';
import { optionalText } from '../../../platform/graphql-values';
import { callerScopedKey } from '../../../platform/idempotency';
import { isUuid, wellFormedId } from '../../../platform/input-ids';
import type { IntegrationContext } from '../context';
import type { FlowRun, FlowStepRow } from '../flows/engine/flow-run.repository';
import type { OrderFlowService, OrderFlowView } from '../flows/order-to-cash/order-flow.service';
import type { OrderFlowState } from '../flows/order-to-cash/order-flow.types';
import type { CreditReview } from '../flows/order-to-cash/credit-review.repository';
import { flowErrorFor } from '../flows/order-to-cash/flow-error-text';
import { orderFlowIdsOf } from '../flows/order-to-cash/order-to-cash.flow';
import type { FlowStep, OrderFlow, Resolvers, ResolversTypes } from '../generated/resolvers-types';
import type { CustomerModel } from '../models';
import { mayReadCustomerOf, partnerCustomer } from '../partner-scope';

type OrderFlowParent = ResolversTypes['OrderFlow'];

/** Per-request loaders of flows by id, opportunity and sales order, and of step logs. */
interface FlowLoaders {
  byId: DataLoader<string, FlowRun | null>;
  byOpportunity: DataLoader<string, FlowRun | null>;
  bySalesOrder: DataLoader<string, FlowRun | null>;
  steps: DataLoader<string, FlowStepRow[]>;
  creditReview: DataLoader<string, CreditReview | null>;
}

const loadersOfRequest = new WeakMap<IntegrationContext, FlowLoaders>();

function flows(ctx: IntegrationContext): OrderFlowService {
  if (!ctx.orderFlows) throw new AppError(ErrorCode.NOT_IMPLEMENTED, 'order flows are not running in this service');
  return ctx.orderFlows;
}

function loaders(ctx: IntegrationContext): FlowLoaders {
  let found = loadersOfRequest.get(ctx);
  if (!found) {
    const service = flows(ctx);
    const keyed = (rows: FlowRun[], key: (run: FlowRun) => string | null, keys: readonly string[]) => {
      const map = new Map(rows.map((r) => [key(r), r]));
      return keys.map((k) => map.get(k) ?? null);
    };
    found = {
      byId: new DataLoader(async (ids) => keyed(await service.byIds(ids), (r) => r.id, ids)),
      byOpportunity: new DataLoader(async (ids) => keyed(await service.byOpportunities(ids), (r) => orderFlowIdsOf(r).opportunityId, ids.map((id) => id.toLowerCase()))),
      bySalesOrder: new DataLoader(async (ids) => keyed(await service.bySalesOrders(ids), (r) => orderFlowIdsOf(r).salesOrderId, ids)),
      steps: new DataLoader(async (runIds) => {
        const rows = await service.stepsOf(runIds);
        return runIds.map((id) => rows.filter((s) => s.runId === id));
      }),
      creditReview: new DataLoader(async (runIds) => keyedReviews(await service.creditReviewsOf(runIds), runIds)),
    };
    loadersOfRequest.set(ctx, found);
  }
  return found;
}

/** The API shape of a run; steps and customer resolve on demand through the loaders. */
function toOrderFlow(run: FlowRun, steps?: FlowStepRow[]): OrderFlowParent {
  const state = run.state as unknown as OrderFlowState;
  const ids = orderFlowIdsOf(run);
  return {
    id: run.id,
    status: run.status,
    // Resolved by OrderFlow.customer; the parent only carries the id to look up.
    customer: { id: ids.customerId, crmAccountId: state.crmAccountId ?? null, erpCustomerNo: state.customerNo ?? null, syncState: 'PENDING', lastSyncedAt: null },
    opportunity: ids.opportunityId ? { id: ids.opportunityId } : null,
    salesOrder: ids.salesOrderId ? { id: ids.salesOrderId } : null,
    steps: steps ? steps.map(toFlowStep) : [],
    error: run.error,
    startedAt: run.startedAt,
    updatedAt: run.updatedAt,
    // Codes and times only: the failure's message stays on the step, shaped per reader (flow-error-text.ts).
    retry: run.retry ? { cause: run.retry.cause, system: run.retry.system, since: run.retry.since, nextAttemptAt: run.retry.nextAttemptAt, giveUpAt: run.retry.until } : null,
    // The step log is loaded per request when this parent came without it.
    ...(steps ? {} : { [UNLOADED_STEPS]: true }),
  } as OrderFlowParent;
}

const UNLOADED_STEPS = '__stepsNotLoaded';

function keyedReviews(reviews: CreditReview[], runIds: readonly string[]): (CreditReview | null)[] {
  const byRun = new Map(reviews.map((r) => [r.flowRunId, r]));
  return runIds.map((id) => byRun.get(id) ?? null);
}

function toFlowStep(step: FlowStepRow): FlowStep {
  return { name: step.name, status: step.status, attempts: step.attempts, startedAt: step.startedAt, finishedAt: step.finishedAt, error: step.error };
}

function fromView(view: OrderFlowView): OrderFlowParent {
  return toOrderFlow(view.run, view.steps);
}


/** Cursor of the orderFlows listing: start time and id of the last flow of the page. */
function cursorOf(run: FlowRun): string {
  return encodeCursor(`${run.startedAt}|${run.id}`);
}

function afterOf(cursor: string | null | undefined): { startedAt: string; id: string } | undefined {
  const decoded = decodeCursor(cursor);
  if (decoded === undefined) return undefined;
  const [startedAt, id, ...rest] = decoded.split('|');
  if (rest.length > 0 || !startedAt || !isIsoInstant(startedAt) || !id || !isUuid(id)) throw new AppError(ErrorCode.BAD_USER_INPUT, 'after is not a cursor of this list', { field: 'after' });
  return { startedAt, id };
}

/**
 * The run key of a flow started with the client's idempotencyKey: scoped to the caller, so two
 * users who pick the same key each get their own flow. placeOrder and convertOpportunityToOrder
 * share the scope, as they share the flow.
 */
function flowKey(ctx: IntegrationContext, idempotencyKey: string): string {
  return callerScopedKey('order-to-cash', ctx.principal?.sub, idempotencyKey)!;
}

/** A flow the caller may see: for a partner only its own customer's (partner-scope.ts). */
async function visibleRun(ctx: IntegrationContext, run: FlowRun | null): Promise<FlowRun | null> {
  return run && (await mayReadCustomerOf(ctx, orderFlowIdsOf(run).customerId)) ? run : null;
}

/** Order-to-cash flows: start, cancel, retry and read them; thin over OrderFlowService. */
export const orderFlowResolvers: Resolvers = {
  Query: {
    orderFlow: async (_parent, { id }, ctx) => {
      const run = await visibleRun(ctx, await loaders(ctx).byId.load(id));
      return run ? toOrderFlow(run) : null;
    },
    creditReviews: async (_parent, args, ctx) => {
      const first = pageSize(args.first, 20, MAX_PAGE_SIZE);
      const page = await flows(ctx).creditReviews({ status: args.status ?? 'PENDING', first, after: reviewAfterOf(args.after) });
      return {
        nodes: page.reviews.map(toCreditReview),
        totalCount: page.totalCount,
        pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.reviews.length ? reviewCursorOf(page.reviews[page.reviews.length - 1]) : null },
      };
    },
    orderFlows: async (_parent, args, ctx) => {
      const first = pageSize(args.first, 20, MAX_PAGE_SIZE);
      const after = afterOf(args.after);
      // A partner's list is its own customer's flows: page, cursor and count all come from those rows.
      const own = partnerCustomer(ctx);
      const mine = own === undefined ? undefined : await own;
      if (mine === null) return { nodes: [], totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null } };
      const customerId = args.customerId ? wellFormedId(args.customerId, 'customerId') : null;
      // A partner asking for another customer's flows gets none (its own are all it may list).
      if (mine && customerId && customerId !== mine.id) return { nodes: [], totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null } };
      const page = await flows(ctx).list({ first, after, status: args.status ?? null, customerId: mine?.id ?? customerId });
      // Steps of the page load in one query through the steps loader when asked for.
      return {
        nodes: page.runs.map((run) => toOrderFlow(run)),
        totalCount: page.totalCount,
        pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.runs.length ? cursorOf(page.runs[page.runs.length - 1]) : null },
      };
    },
  },
  Mutation: {
    placeOrder: async (_parent, { input, idempotencyKey }, ctx) => fromView(await flows(ctx).placeOrder(input, flowKey(ctx, idempotencyKey), ctx.requestId)),
    convertOpportunityToOrder: async (_parent, { opportunityId, idempotencyKey }, ctx) =>
      fromView(await flows(ctx).convertOpportunity(wellFormedId(opportunityId, 'opportunityId'), flowKey(ctx, idempotencyKey), ctx.customers, ctx.requestId)),
    cancelOrder: async (_parent, { salesOrderId, reason }, ctx) => fromView(await flows(ctx).cancelOrder(wellFormedId(salesOrderId, 'salesOrderId'), optionalText(reason, 'reason', 500))),
    retryOrderFlow: async (_parent, { id }, ctx) => fromView(await flows(ctx).retry(wellFormedId(id, 'id'))),
    approveOrderCredit: async (_parent, { id, note, idempotencyKey }, ctx) => decideCredit(ctx, 'approveOrderCredit', 'APPROVED', id, optionalText(note, 'note', 500), idempotencyKey),
    rejectOrderCredit: async (_parent, { id, reason, idempotencyKey }, ctx) => {
      const text = optionalText(reason, 'reason', 500);
      if (!text) throw new AppError(ErrorCode.BAD_USER_INPUT, 'reason must say why the order is rejected', { field: 'reason' });
      return decideCredit(ctx, 'rejectOrderCredit', 'REJECTED', id, text, idempotencyKey);
    },
  },
  Opportunity: {
    __resolveReference: (reference) => reference,
    orderFlow: async (opportunity, _args, ctx) => {
      if (!ctx.orderFlows) return null;
      const run = await loaders(ctx).byOpportunity.load(opportunity.id);
      return run ? toOrderFlow(run) : null;
    },
  },
  SalesOrder: {
    __resolveReference: (reference) => reference,
    flow: async (order, _args, ctx) => {
      if (!ctx.orderFlows) return null;
      const run = await visibleRun(ctx, await loaders(ctx).bySalesOrder.load(order.id));
      return run ? toOrderFlow(run) : null;
    },
  },
  OrderFlow: {
    creditReview: async (flow, _args, ctx) => {
      const review = await loaders(ctx).creditReview.load((flow as unknown as OrderFlow).id);
      return review ? toCreditReview(review) : null;
    },
    __resolveReference: async (reference, ctx) => {
      if (!ctx.orderFlows) return null;
      const run = await visibleRun(ctx, await loaders(ctx).byId.load(reference.id));
      return run ? toOrderFlow(run) : null;
    },
    customer: async (flow, _args, ctx) => {
      const parent = flow as unknown as { customer: CustomerModel };
      return (await ctx.customers.byId(parent.customer.id)) ?? parent.customer;
    },
    steps: async (flow, _args, ctx) => {
      const parent = flow as unknown as OrderFlow;
      if (!(UNLOADED_STEPS in parent)) return parent.steps;
      return (await loaders(ctx).steps.load(parent.id)).map(toFlowStep);
    },
    error: (flow, _args, ctx) => flowErrorFor(ctx.principal, (flow as unknown as OrderFlow).error),
  },
  FlowStep: {
    error: (step, _args, ctx) => flowErrorFor(ctx.principal, step.error),
  },
  CreditReview: {
    orderFlow: async (review, _args, ctx) => {
      const run = await loaders(ctx).byId.load((review as unknown as { flowRunId: string }).flowRunId);
      if (!run) throw new AppError(ErrorCode.NOT_FOUND, 'the order flow of this credit review no longer exists');
      return toOrderFlow(run);
    },
  },
};

/** The API shape of a review; its flow resolves through the loaders. */
function toCreditReview(review: CreditReview): ResolversTypes['CreditReview'] {
  return { ...review, orderFlow: { id: review.flowRunId } } as unknown as ResolversTypes['CreditReview'];
}

/** approveOrderCredit and rejectOrderCredit: one decision per review, under the caller's optional idempotencyKey. */
async function decideCredit(
  ctx: IntegrationContext,
  operation: string,
  decision: 'APPROVED' | 'REJECTED',
  id: string,
  note: string | null,
  idempotencyKey: string | null | undefined,
): Promise<OrderFlowParent> {
  const flowId = wellFormedId(id, 'id');
  if (!isUuid(flowId)) throw new AppError(ErrorCode.NOT_FOUND, `order flow ${id} does not exist`, { field: 'id' });
  const decidedBy = ctx.principal?.sub || 'internal';
  const key = callerScopedKey(operation, ctx.principal?.sub, idempotencyKey);
  return fromView(await flows(ctx).decideCredit(flowId, decision, decidedBy, note, key));
}

/** Cursor of the creditReviews listing: request time and flow id of the last review of the page. */
function reviewCursorOf(review: CreditReview): string {
  return encodeCursor(`${review.requestedAt}|${review.flowRunId}`);
}

function reviewAfterOf(cursor: string | null | undefined): { requestedAt: string; flowRunId: string } | undefined {
  const after = afterOf(cursor);
  return after && { requestedAt: after.startedAt, flowRunId: after.id };
}
