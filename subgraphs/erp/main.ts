import { createErpConnector } from '../../connectors/erp/erp-connector.factory';
import { createCache } from '../../platform/cache';
import { EntityCache } from '../../platform/entity-cache';
import { listen } from '../../platform/http-server';
import { createLogger } from '../../platform/logger';
import { createMetrics } from '../../platform/metrics';
import { serviceTokenSigner } from '../../platform/service-auth';
import { loadErpSubgraphConfig } from './config';
import { createErpSubgraph } from './server';
import { stopOnSignals } from '../../platform/shutdown';
import { startTracing } from '../../platform/tracing';

/** Starts the ERP subgraph on its port and closes it cleanly on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  // First, so the spans of everything opened below (database, clients) are recorded.
  const tracing = startTracing('erp-subgraph');
  const config = loadErpSubgraphConfig();
  const logger = createLogger('erp-subgraph', config.LOG_LEVEL);
  const metrics = createMetrics('erp-subgraph');
  const erp = createErpConnector({
    baseUrl: config.ERP_BACKEND_URL,
    serviceToken: serviceTokenSigner(config.INTERNAL_SECRET, 'erp-subgraph'),
    timeoutMs: config.BACKEND_TIMEOUT_MS,
    metrics,
  });
  const cache = config.ENTITY_CACHE ? createCache({ redisUrl: config.REDIS_URL, prefix: `${config.REDIS_KEY_PREFIX}erp-subgraph:entity:`, maxEntries: config.ENTITY_CACHE_MAX_ENTRIES }) : undefined;
  const subgraph = await createErpSubgraph({
    entityCache: cache ? new EntityCache(cache) : undefined,
    webhookSecret: config.WEBHOOK_SECRET,
    erp,
    logger,
    metrics,
    internalSecret: config.INTERNAL_SECRET,
    development: config.NODE_ENV !== 'production',
  });
  const port = await listen(subgraph.app, config.PORT, config.HOST, { metricsPort: config.METRICS_PORT });
  logger.info({ port, erp: config.ERP_BACKEND_URL }, 'erp subgraph listening');

  stopOnSignals(logger, async () => {
    await Promise.all([subgraph.close(), cache?.close()]);
    await tracing.shutdown();
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
