import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../platform/db';
import { crmAnswers, erpAnswers } from '../../connectors/backend-probes';
import { createHttpService } from '../../platform/http-server';
import { principalFromHeaders } from '../../platform/subgraph-principal';
import { AuditLogRepository } from './audit/audit-log.repository';
import { registerAuditRoutes } from './audit/audit.routes';
import type { Logger } from '../../platform/logger';
import type { ServiceMetrics } from '../../platform/metrics';
import { mountSubgraph } from '../../platform/subgraph-server';
import { type IntegrationContext, createContext } from './context';
import { CustomerService } from './customers/customer.service';
import { LinkBootstrap } from './links/bootstrap-links';
import { CustomerLinker } from './links/customer-linker';
import { startJobQueue } from './flows/engine/job-queue';
import { type OrderFlowSettings, type OrderFlows, orderFlowQueues, startOrderFlows } from './flows/order-to-cash/order-flows';
import { CustomerLinkRepository } from './links/customer-link.repository';
import type { IntegrationCrm, IntegrationErp, OrderFlowCrm, OrderFlowErp, ReconciliationCrm, ReconciliationErp } from './ports';
import { ReconciliationService } from './reconciliation/reconciliation.service';
import { resolvers } from './resolvers';
import { CustomerSync, customerSyncQueue } from './sync/customer-sync';
import { FullResync } from './sync/full-resync';
import { OwnWriteGate } from './sync/own-write-gate';
import { registerResyncRoutes } from './sync/resync.routes';
import { LiveEventFeed } from './live/live-event-feed';
import type { Resolver } from './partner-webhooks/endpoint-policy';
import { type PayloadRenderer, WebhookSender } from './partner-webhooks/webhook-sender';
import { WebhookService } from './partner-webhooks/webhook.service';
import { LiveEventRepository } from './live/live-event.repository';
import { registerLiveEventRoutes } from './live/live-events.routes';
import { SyncRepository } from './sync/sync.repository';
import { ChangeEventBus } from './webhooks/change-event-bus';
import { ReceivedEventRepository } from './webhooks/received-event.repository';
import { WEBHOOK_ROUTES, registerWebhookRoutes } from './webhooks/webhook.routes';

/** What the integration subgraph is built from. */
export interface IntegrationSubgraphDeps {
  /** Its own database, migrated (see migrations/). */
  db: Database;
  erp: IntegrationErp & ReconciliationErp;
  crm: IntegrationCrm & ReconciliationCrm;
  logger: Logger;
  metrics: ServiceMetrics;
  /** Key of the service credential; when set, every route but health and webhooks requires it. */
  internalSecret?: string;
  /** Key the backends sign their webhooks with. */
  webhookSecret: string;
  /** True outside production: introspection and error details. */
  development: boolean;
  /** First wait before retrying the link bootstrap; default 1000 ms. */
  bootstrapRetryMs?: number;
  /** Tuning of the customer writes (tests shorten the retry wait). */
  customerWrites?: { stepAttempts?: number; stepRetryMs?: number; newOperationId?: () => string };
  /** Customer sync and reconciliation timing (see config.ts). */
  syncPollIntervalMs?: number;
  reconciliationIntervalMs?: number;
  /** How long a sync job may run before another worker takes it again (a dead worker's); default 120 s. */
  syncJobExpireSeconds?: number;
  /** How often the job queue looks for expired jobs; default pg-boss's (tests shorten it). */
  jobMaintenanceIntervalSeconds?: number;
  /** Order-to-cash flows: the connectors they drive and their tuning; absent, the flow fields answer NOT_IMPLEMENTED. */
  orderFlows?: { erp: OrderFlowErp; crm: OrderFlowCrm; settings: OrderFlowSettings };
  /** The live event feed's tuning and its Redis (see live/live-event-feed.ts); defaults when absent. */
  liveEvents?: { pollMs?: number; retentionMs?: number; gapWaitMs?: number; redisUrl?: string; redisKeyPrefix?: string };
  /** Partner webhooks: how bodies are rendered (through the gateway) and the endpoint policy; absent, the webhook fields answer NOT_IMPLEMENTED. */
  partnerWebhooks?: { render: PayloadRenderer; production: boolean; resolve?: Resolver; retryScheduleMs?: number[]; intervalMs?: number };
}

/** A built integration subgraph: the app (not listening), the link bootstrap, and a closer. */
export interface IntegrationSubgraph {
  app: FastifyInstance;
  /** Builds the customer links from both systems; main starts it, tests may run it directly. */
  bootstrap: LinkBootstrap;
  /** Where received backend change events are handed on (flows and sync subscribe). */
  events: ChangeEventBus;
  /** The customer sync (subscribed to the events); main starts its catch-up poll. */
  sync: CustomerSync;
  /** The full resync behind POST /admin/resync. */
  resync: FullResync;
  /** The reconciliation; main starts its schedule. */
  reconciliation: ReconciliationService;
  /** Order-to-cash flows, when configured. */
  orderFlows: OrderFlows | null;
  /** Releases live events to the gateways (GET /internal/live-events, Redis) and partner webhooks. */
  liveEvents: LiveEventFeed;
  /** Sends partner webhook deliveries, when configured. */
  webhookSender: WebhookSender | null;
  /** Stops the bootstrap and closes the app (the database belongs to the caller). */
  close(): Promise<void>;
}

const SCHEMA_FILE = path.resolve(__dirname, '../../schema/integration.graphql');

/** Builds the integration subgraph: GraphQL at /graphql, webhook receivers, health and metrics. */
export async function createIntegrationSubgraph(deps: IntegrationSubgraphDeps): Promise<IntegrationSubgraph> {
  const { db, erp, crm, logger } = deps;
  const links = new CustomerLinkRepository(db);
  const bootstrap = new LinkBootstrap({ db, erp, crm, logger, retryMs: deps.bootstrapRetryMs });
  const ownWrites = new OwnWriteGate();
  const linker = new CustomerLinker({ db, erp, crm, logger, attempts: deps.customerWrites?.stepAttempts, retryMs: deps.customerWrites?.stepRetryMs });
  const customerWrites = new CustomerService({ db, erp, crm, logger, ownWrites, linker, ...deps.customerWrites });
  const events = new ChangeEventBus(logger);
  const ready = () => bootstrap.isDone();
  // One durable job queue for the service: order flows and the customer sync run on it.
  const boss = await startJobQueue(db, logger, {
    queues: [customerSyncQueue({ expireInSeconds: deps.syncJobExpireSeconds }), ...(deps.orderFlows ? orderFlowQueues() : [])],
    maintenanceIntervalSeconds: deps.jobMaintenanceIntervalSeconds,
  });
  const sync = new CustomerSync({ db, erp, crm, logger, linker, boss, gate: ownWrites, metrics: deps.metrics, ready, pollIntervalMs: deps.syncPollIntervalMs });
  sync.subscribe(events);
  await sync.startWorker();
  const resync = new FullResync({ db, erp, crm, sync, logger });
  const reconciliation = new ReconciliationService({ db, erp, crm, logger, ready, intervalMs: deps.reconciliationIntervalMs });

  const orderFlows = deps.orderFlows
    ? await startOrderFlows({ db, links, linker, boss, events, logger, metrics: deps.metrics, ...deps.orderFlows })
    : null;

  const liveEvents = new LiveEventFeed({ repository: new LiveEventRepository(db), logger, changes: db.changes, ...deps.liveEvents });
  await liveEvents.start();
  const policy = { production: deps.partnerWebhooks?.production ?? !deps.development };
  const webhooks = deps.partnerWebhooks ? new WebhookService({ db, policy, masterKey: deps.webhookSecret, resolve: deps.partnerWebhooks.resolve }) : undefined;
  const webhookSender = deps.partnerWebhooks
    ? new WebhookSender({
        db,
        feed: liveEvents,
        logger,
        render: deps.partnerWebhooks.render,
        policy,
        masterKey: deps.webhookSecret,
        resolve: deps.partnerWebhooks.resolve,
        retryScheduleMs: deps.partnerWebhooks.retryScheduleMs,
        intervalMs: deps.partnerWebhooks.intervalMs,
      })
    : null;
  webhookSender?.start();

  let baselineTaken = false;
  const app = createHttpService({
    service: 'integration',
    logger,
    metrics: deps.metrics,
    internalSecret: deps.internalSecret,
    openRoutes: Object.values(WEBHOOK_ROUTES),
    // Ready once its own state exists: the customer links (built once, from both systems, on a
    // first start; found in its database on every later one) and the sync's baseline, so it can tell
    // a new change from old data. Both stay taken, so a backend outage later changes nothing here.
    ready: async () => {
      if (!bootstrap.isDone()) throw new Error('customer links are not built yet (waiting for the ERP and CRM)');
      if (!baselineTaken && !(baselineTaken = await sync.hasBaseline())) throw new Error('customer sync baseline not taken yet');
    },
    dependencies: { database: () => db.query('SELECT 1'), erp: () => erpAnswers(erp), crm: () => crmAnswers(crm) },
  });
  registerResyncRoutes(app, resync);
  registerLiveEventRoutes(app, liveEvents);
  const auditLog = new AuditLogRepository(db);
  registerAuditRoutes(app, auditLog);
  await registerWebhookRoutes(app, { secret: deps.webhookSecret, events: new ReceivedEventRepository(db), bus: events, logger });
  await mountSubgraph<IntegrationContext>({
    app,
    typeDefs: readFileSync(SCHEMA_FILE, 'utf8'),
    resolvers,
    context: async (request) => createContext({ links, customerWrites, reconciliation, orderFlows: orderFlows?.service, erp, crm, logger, auditLog, webhooks, sync: new SyncRepository(db) }, request.id, principalFromHeaders(request.headers)),
    logger,
    development: deps.development,
  });
  return {
    app,
    bootstrap,
    events,
    sync,
    resync,
    reconciliation,
    orderFlows,
    liveEvents,
    webhookSender,
    async close() {
      await orderFlows?.close();
      await webhookSender?.stop();
      await liveEvents.stop();
      await bootstrap.stop();
      await reconciliation.stop();
      await resync.stop();
      await sync.stop();
      await boss.stop({ graceful: false, close: false, wait: true }).catch(() => undefined);
      await app.close();
    },
  };
}
