import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ErpConnector } from '../../connectors/erp/erp.connector';
import { type EntityCache, cacheWebhookPath, registerCacheInvalidationWebhooks } from '../../platform/entity-cache';
import { erpAnswers } from '../../connectors/backend-probes';
import { createHttpService } from '../../platform/http-server';
import type { Logger } from '../../platform/logger';
import type { ServiceMetrics } from '../../platform/metrics';
import { mountSubgraph } from '../../platform/subgraph-server';
import { principalFromHeaders } from '../../platform/subgraph-principal';
import { createErpContext, type ErpContext } from './context';
import { erpInvalidationRule } from './loaders';
import { erpResolvers } from './resolvers';

/** The subgraph's SDL, the one home of its shape. */
const typeDefs = readFileSync(path.resolve(__dirname, '../../schema/erp.graphql'), 'utf8');

/** What the ERP subgraph is built from. */
export interface ErpSubgraphDeps {
  erp: ErpConnector;
  logger: Logger;
  metrics: ServiceMetrics;
  /** When set, /graphql answers only callers holding the internal credential (gateway, integration). */
  internalSecret?: string;
  /** Introspection and error details; off in production. */
  development: boolean;
  /** Hot ERP records shared across requests; without it every request reads the backend. */
  entityCache?: EntityCache;
  /** Key of the ERP's webhook signatures; with entityCache, /webhooks/erp drops changed records. */
  webhookSecret?: string;
}

/** A built ERP subgraph: its Fastify app (not listening) and how to close it. */
export interface ErpSubgraph {
  app: FastifyInstance;
  close(): Promise<void>;
}

/** Builds the ERP subgraph's HTTP service with /graphql, /health, /ready, /health/dependencies and /metrics; never listens. */
export async function createErpSubgraph(deps: ErpSubgraphDeps): Promise<ErpSubgraph> {
  const app = createHttpService({
    service: 'erp-subgraph',
    logger: deps.logger,
    metrics: deps.metrics,
    internalSecret: deps.internalSecret,
    openRoutes: deps.entityCache && deps.webhookSecret ? [cacheWebhookPath('erp')] : [],
    // Ready once it listens (its schema is mounted before): without the ERP it still answers, each
    // field with a coded error, so a backend outage never takes it out of its Service.
    ready: async () => {},
    dependencies: { erp: () => erpAnswers(deps.erp) },
  });
  if (deps.entityCache && deps.webhookSecret) {
    await registerCacheInvalidationWebhooks(app, { secret: deps.webhookSecret, cache: deps.entityCache, rules: { erp: erpInvalidationRule }, logger: deps.logger });
  }
  await mountSubgraph<ErpContext>({
    app,
    typeDefs,
    resolvers: erpResolvers,
    context: async (request) => createErpContext(deps.erp, request.id, deps.entityCache, principalFromHeaders(request.headers)),
    logger: deps.logger,
    development: deps.development,
  });
  return { app, close: () => app.close() };
}
