import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../platform/db';
import { createHttpService } from '../../platform/http-server';
import type { Logger } from '../../platform/logger';
import type { ServiceMetrics } from '../../platform/metrics';
import { mountSubgraph } from '../../platform/subgraph-server';
import { type IntegrationContext, createContext } from './context';
import { CustomerService } from './customers/customer.service';
import { LinkBootstrap } from './links/bootstrap-links';
import { CustomerLinkRepository } from './links/customer-link.repository';
import type { IntegrationCrm, IntegrationErp } from './ports';
import { resolvers } from './resolvers';
import { ChangeEventBus } from './webhooks/change-event-bus';
import { ReceivedEventRepository } from './webhooks/received-event.repository';
import { WEBHOOK_ROUTES, registerWebhookRoutes } from './webhooks/webhook.routes';

/** What the integration subgraph is built from. */
export interface IntegrationSubgraphDeps {
  /** Its own database, migrated (see migrations/). */
  db: Database;
  erp: IntegrationErp;
  crm: IntegrationCrm;
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
}

/** A built integration subgraph: the app (not listening), the link bootstrap, and a closer. */
export interface IntegrationSubgraph {
  app: FastifyInstance;
  /** Builds the customer links from both systems; main starts it, tests may run it directly. */
  bootstrap: LinkBootstrap;
  /** Where received backend change events are handed on (flows and sync subscribe). */
  events: ChangeEventBus;
  /** Stops the bootstrap and closes the app (the database belongs to the caller). */
  close(): Promise<void>;
}

const SCHEMA_FILE = path.resolve(__dirname, '../../schema/integration.graphql');

/** Builds the integration subgraph: GraphQL at /graphql, webhook receivers, health and metrics. */
export async function createIntegrationSubgraph(deps: IntegrationSubgraphDeps): Promise<IntegrationSubgraph> {
  const { db, erp, crm, logger } = deps;
  const links = new CustomerLinkRepository(db);
  const bootstrap = new LinkBootstrap({ db, erp, crm, logger, retryMs: deps.bootstrapRetryMs });
  const customerWrites = new CustomerService({ db, erp, crm, logger, ...deps.customerWrites });
  const events = new ChangeEventBus(logger);

  const app = createHttpService({
    service: 'integration',
    logger,
    metrics: deps.metrics,
    internalSecret: deps.internalSecret,
    openRoutes: Object.values(WEBHOOK_ROUTES),
    ready: async () => {
      await db.query('SELECT 1');
      if (!bootstrap.isDone()) throw new Error('customer links are not built yet (waiting for the ERP and CRM)');
    },
  });
  await registerWebhookRoutes(app, { secret: deps.webhookSecret, events: new ReceivedEventRepository(db), bus: events, logger });
  await mountSubgraph<IntegrationContext>({
    app,
    typeDefs: readFileSync(SCHEMA_FILE, 'utf8'),
    resolvers,
    context: async (request) => createContext({ links, customerWrites, erp, crm, logger }, request.id),
    logger,
    development: deps.development,
  });
  return {
    app,
    bootstrap,
    events,
    async close() {
      await bootstrap.stop();
      await app.close();
    },
  };
}
