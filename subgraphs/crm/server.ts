import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { CrmConnector } from '../../connectors/crm/crm.connector';
import type { ErpConnector } from '../../connectors/erp/erp.connector';
import { type EntityCache, cacheWebhookPath, registerCacheInvalidationWebhooks } from '../../platform/entity-cache';
import { crmAnswers, erpAnswers } from '../../connectors/backend-probes';
import { createHttpService } from '../../platform/http-server';
import type { Logger } from '../../platform/logger';
import type { ServiceMetrics } from '../../platform/metrics';
import { mountSubgraph } from '../../platform/subgraph-server';
import { createCrmContext, type CrmContext } from './context';
import { principalFromHeaders } from '../../platform/subgraph-principal';
import { crmInvalidationRule } from './loaders';
import { crmResolvers } from './resolvers';

/** The subgraph's SDL, the one home of its shape. */
const typeDefs = readFileSync(path.resolve(__dirname, '../../schema/crm.graphql'), 'utf8');

/** What the CRM subgraph is built from. */
export interface CrmSubgraphDeps {
  crm: CrmConnector;
  /** The ERP's catalogue prices the lines of new opportunities. */
  erp: ErpConnector;
  logger: Logger;
  metrics: ServiceMetrics;
  /** When set, /graphql answers only callers holding the internal credential (gateway, integration). */
  internalSecret?: string;
  /** Introspection and error details; off in production. */
  development: boolean;
  /** Customer master data shared across requests; without it every request reads the backend. */
  entityCache?: EntityCache;
  /** Key of the CRM's webhook signatures; with entityCache, /webhooks/crm drops changed accounts. */
  webhookSecret?: string;
}

/** A built CRM subgraph: its Fastify app (not listening) and how to close it. */
export interface CrmSubgraph {
  app: FastifyInstance;
  close(): Promise<void>;
}

/** Builds the CRM subgraph's HTTP service with /graphql, /health, /ready, /health/dependencies and /metrics; never listens. */
export async function createCrmSubgraph(deps: CrmSubgraphDeps): Promise<CrmSubgraph> {
  const app = createHttpService({
    service: 'crm-subgraph',
    logger: deps.logger,
    metrics: deps.metrics,
    internalSecret: deps.internalSecret,
    openRoutes: deps.entityCache && deps.webhookSecret ? [cacheWebhookPath('crm')] : [],
    // Ready once it listens (its schema is mounted before): without the CRM it still answers, each
    // field with a coded error, so a backend outage never takes it out of its Service.
    ready: async () => {},
    // Without the ERP only new opportunities fail; reads still work.
    dependencies: { crm: () => crmAnswers(deps.crm), erp: () => erpAnswers(deps.erp) },
  });
  if (deps.entityCache && deps.webhookSecret) {
    await registerCacheInvalidationWebhooks(app, { secret: deps.webhookSecret, cache: deps.entityCache, rules: { crm: crmInvalidationRule }, logger: deps.logger });
  }
  await mountSubgraph<CrmContext>({
    app,
    typeDefs,
    resolvers: crmResolvers,
    context: async (request) => createCrmContext(deps.crm, deps.erp, request.id, deps.entityCache, principalFromHeaders(request.headers)),
    logger: deps.logger,
    development: deps.development,
  });
  return { app, close: () => app.close() };
}
