import type PgBoss from 'pg-boss';
import type { Database } from '../../../../platform/db';
import type { Logger } from '../../../../platform/logger';
import type { ServiceMetrics } from '../../../../platform/metrics';
import type { CustomerLinkRepository } from '../../links/customer-link.repository';
import type { CustomerLinker } from '../../links/customer-linker';
import type { OrderFlowCrm, OrderFlowErp } from '../../ports';
import type { ChangeEventBus } from '../../webhooks/change-event-bus';
import { crmAnswers, erpAnswers } from '../../../../connectors/backend-probes';
import { FlowEngine, type FlowEngineOptions } from '../engine/flow-engine';
import { CreditReviewRepository } from './credit-review.repository';
import { OrderFlowService } from './order-flow.service';
import type { OrderFlowDeps, OrderFlowState } from './order-flow.types';
import { orderToCashFlow } from './order-to-cash.flow';

/** ERP change events that may move a waiting order flow on. */
export const ORDER_FLOW_EVENTS = ['production_order', 'shipment', 'invoice'] as const;

/** Tuning of order flows (config.ts FLOW_* settings). */
export interface OrderFlowSettings {
  /** Backoff, its cap and the window of transient-failure retries (FLOW_RETRY_*). */
  retry: FlowEngineOptions['retry'];
  /** How often a backend flows retry on is checked (FLOW_PROBE_MS); default 2000. */
  probeMs?: number;
  leaseMs: number;
  pollMs: number;
  /** The longest a waiting flow goes without a look when no event wakes it (FLOW_WAIT_RECHECK_MAX_MS). */
  waitRecheckMaxMs?: number;
  workers: number;
  /** How long cancelOrder waits for the compensation before answering with the flow as it is. */
  cancelWaitMs?: number;
  /** How long an order over the customer's credit waits for finance's decision; default 72 h. */
  creditReviewWindowMs?: number;
}

/** What order flows are built from. */
export interface OrderFlowsDeps {
  db: Database;
  erp: OrderFlowErp;
  crm: OrderFlowCrm;
  links: CustomerLinkRepository;
  linker: CustomerLinker;
  events: ChangeEventBus;
  logger: Logger;
  metrics: ServiceMetrics;
  settings: OrderFlowSettings;
  /** The service's job queue, with `orderFlowQueues()` created on it. */
  boss: PgBoss;
}

/** The job queues order flows run on. */
export function orderFlowQueues(): string[] {
  return [`flow-${orderToCashFlow.name}`];
}

/** Running order flows: the service the resolvers call, the engine, and a closer. */
export interface OrderFlows {
  service: OrderFlowService;
  engine: FlowEngine<OrderFlowState, OrderFlowDeps>;
  /** Stops workers and the poll (the job queue and the database belong to the caller). */
  close(): Promise<void>;
}

/** Starts order-to-cash: the engine's workers and catch-up poll, and the ERP change events that wake waiting flows. */
export async function startOrderFlows(deps: OrderFlowsDeps): Promise<OrderFlows> {
  const { settings } = deps;
  const { boss } = deps;
  const stepDeps: OrderFlowDeps = {
    erp: deps.erp,
    crm: deps.crm,
    links: deps.links,
    linker: deps.linker,
    credit: { reviews: new CreditReviewRepository(deps.db), windowMs: settings.creditReviewWindowMs ?? 72 * 3600_000 },
  };
  const engine = new FlowEngine(orderToCashFlow, stepDeps, {
    db: deps.db,
    boss,
    logger: deps.logger,
    metrics: deps.metrics,
    retry: settings.retry,
    // The connectors' cheapest reads: a backend that answers them is back.
    probes: { erp: () => erpAnswers(deps.erp), crm: () => crmAnswers(deps.crm) },
    probeMs: settings.probeMs,
    leaseMs: settings.leaseMs,
    pollMs: settings.pollMs,
    waitRecheckMaxMs: settings.waitRecheckMaxMs,
    workers: settings.workers,
  });
  deps.events.subscribe('erp', ORDER_FLOW_EVENTS, async (events) => {
    await engine.wake(events.map((e) => ({ entity: e.entity, entityId: e.entityId, version: e.version })));
  });
  await engine.start();
  return {
    service: new OrderFlowService(engine, stepDeps, { cancelWaitMs: settings.cancelWaitMs ?? 10_000 }),
    engine,
    async close() {
      await engine.stop();
    },
  };
}
