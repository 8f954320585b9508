import type PgBoss from 'pg-boss';
import type { Database } from '../../../../platform/db';
import type { Logger } from '../../../../platform/logger';
import type { ServiceMetrics } from '../../../../platform/metrics';
import type { CustomerLinkRepository } from '../../links/customer-link.repository';
import type { CustomerLinker } from '../../links/customer-linker';
import type { OrderFlowCrm, OrderFlowErp } from '../../ports';
import type { ChangeEventBus } from '../../webhooks/change-event-bus';
import { FlowEngine } from '../engine/flow-engine';
import { OrderFlowService } from './order-flow.service';
import type { OrderFlowDeps, OrderFlowState } from './order-flow.types';
import { orderToCashFlow } from './order-to-cash.flow';

/** ERP change events that may move a waiting order flow on. */
export const ORDER_FLOW_EVENTS = ['production_order', 'shipment', 'invoice'] as const;

/** Tuning of order flows (config.ts FLOW_* settings). */
export interface OrderFlowSettings {
  maxAttempts: number;
  retryBaseMs: number;
  leaseMs: number;
  pollMs: number;
  workers: number;
  /** How long cancelOrder waits for the compensation before answering with the flow as it is. */
  cancelWaitMs?: number;
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
  const stepDeps: OrderFlowDeps = { erp: deps.erp, crm: deps.crm, links: deps.links, linker: deps.linker };
  const engine = new FlowEngine(orderToCashFlow, stepDeps, {
    db: deps.db,
    boss,
    logger: deps.logger,
    metrics: deps.metrics,
    maxAttempts: settings.maxAttempts,
    retryBaseMs: settings.retryBaseMs,
    leaseMs: settings.leaseMs,
    pollMs: settings.pollMs,
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
