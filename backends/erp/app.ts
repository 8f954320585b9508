import type { FastifyInstance } from 'fastify';
import type { Database } from '../../platform/db';
import { createHttpService } from '../../platform/http-server';
import type { Logger } from '../../platform/logger';
import type { ServiceMetrics } from '../../platform/metrics';
import { registerCatalogueRoutes } from './routes/catalogue.routes';
import { registerCustomerRoutes } from './routes/customer.routes';
import { registerFinanceRoutes } from './routes/finance.routes';
import { registerFulfilmentRoutes } from './routes/fulfilment.routes';
import { registerImportRoutes } from './routes/import.routes';
import { registerSalesOrderRoutes } from './routes/sales-order.routes';
import { type CreditPolicy, DEFAULT_CREDIT_POLICY } from './services/credit.service';

/** The service name the ERP backend reports in logs, metrics and /health. */
export const ERP_BACKEND_SERVICE = 'erp-backend';

/** What the ERP's REST API is built from. */
export interface ErpAppDeps {
  db: Database;
  logger: Logger;
  metrics: ServiceMetrics;
  /** Every route but /health, /ready and /metrics requires an x-service-token signed with it. */
  internalSecret: string;
  /** The default credit limit (DEFAULT_CREDIT_LIMIT); default the built-in one. */
  credit?: CreditPolicy;
}

/** Builds the ERP's REST API on the shared HTTP service; it never listens. */
export function buildErpApp(deps: ErpAppDeps): FastifyInstance {
  const app = createHttpService({
    service: ERP_BACKEND_SERVICE,
    logger: deps.logger,
    metrics: deps.metrics,
    internalSecret: deps.internalSecret,
    // Its database was migrated before it listens; whether it still answers is a dependency.
    ready: async () => {},
    dependencies: { database: () => deps.db.query('SELECT 1') },
  });
  const credit = deps.credit ?? DEFAULT_CREDIT_POLICY;
  registerCustomerRoutes(app, deps.db, credit);
  registerCatalogueRoutes(app, deps.db);
  registerSalesOrderRoutes(app, deps.db, credit);
  registerFulfilmentRoutes(app, deps.db);
  registerFinanceRoutes(app, deps.db);
  registerImportRoutes(app, deps.db);
  return app;
}
