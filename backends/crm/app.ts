import type { FastifyInstance } from 'fastify';
import type { Database } from '../../platform/db';
import { createHttpService } from '../../platform/http-server';
import type { Logger } from '../../platform/logger';
import type { ServiceMetrics } from '../../platform/metrics';
import { registerAccountRoutes } from './routes/account.routes';
import { registerActivityRoutes } from './routes/activity.routes';
import { registerImportRoutes } from './routes/import.routes';
import { registerOpportunityRoutes } from './routes/opportunity.routes';

/** The service name in logs, metrics and /health. */
export const CRM_SERVICE = 'crm-backend';

/** What the CRM's REST API is built from. */
export interface CrmAppDeps {
  db: Database;
  logger: Logger;
  metrics: ServiceMetrics;
  /** Every route but /health, /ready and /metrics requires a service token signed with it. */
  internalSecret: string;
}

/** Builds the CRM's REST API (never listens). */
export function buildCrmApp(deps: CrmAppDeps): FastifyInstance {
  const app = createHttpService({
    service: CRM_SERVICE,
    logger: deps.logger,
    metrics: deps.metrics,
    internalSecret: deps.internalSecret,
    // Its database was migrated before it listens; whether it still answers is a dependency.
    ready: async () => {},
    dependencies: { database: () => deps.db.query('SELECT 1') },
  });
  registerAccountRoutes(app, deps.db);
  registerOpportunityRoutes(app, deps.db);
  registerActivityRoutes(app, deps.db);
  registerImportRoutes(app, deps.db);
  return app;
}
