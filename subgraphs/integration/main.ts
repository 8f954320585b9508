import path from 'node:path';
import { HttpCrmConnector } from '../../connectors/crm/http-crm.connector';
import { createErpConnector } from '../../connectors/erp/erp-connector.factory';
import { openDatabase } from '../../platform/db';
import { listen } from '../../platform/http-server';
import { createLogger } from '../../platform/logger';
import { createMetrics } from '../../platform/metrics';
import { migrate } from '../../platform/migrate';
import { serviceTokenSigner } from '../../platform/service-auth';
import { loadIntegrationConfig } from './config';
import { gatewayPayloadRenderer } from './partner-webhooks/webhook.service';
import { createIntegrationSubgraph } from './server';
import { stopOnSignals } from '../../platform/shutdown';
import { startTracing } from '../../platform/tracing';

/** Runs the integration subgraph: migrate, build, listen, build the customer links in the background. */
async function main(): Promise<void> {
  // First, so the spans of everything opened below (database, clients) are recorded.
  const tracing = startTracing('integration');
  const config = loadIntegrationConfig();
  const logger = createLogger('integration', config.LOG_LEVEL);
  const metrics = createMetrics('integration');
  const db = await openDatabase({ service: 'integration', databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
  await migrate(db, path.join(__dirname, 'migrations'));

  const serviceToken = serviceTokenSigner(config.INTERNAL_SECRET, 'integration');
  const timeoutMs = config.BACKEND_TIMEOUT_MS;
  const erp = createErpConnector({ baseUrl: config.ERP_BACKEND_URL, serviceToken, timeoutMs, metrics });
  const crm = new HttpCrmConnector({ baseUrl: config.CRM_BACKEND_URL, serviceToken, timeoutMs, metrics });

  const subgraph = await createIntegrationSubgraph({
    db,
    erp,
    crm,
    logger,
    metrics,
    internalSecret: config.INTERNAL_SECRET,
    webhookSecret: config.WEBHOOK_SECRET,
    development: config.NODE_ENV !== 'production',
    bootstrapRetryMs: config.LINK_BOOTSTRAP_RETRY_MS,
    syncPollIntervalMs: config.SYNC_POLL_INTERVAL_MS,
    reconciliationIntervalMs: config.RECONCILIATION_INTERVAL_MS,
    partnerWebhooks: { render: gatewayPayloadRenderer(config.GATEWAY_URL, serviceToken), production: config.NODE_ENV === 'production' },
    liveEvents: { pollMs: config.LIVE_EVENT_POLL_MS, retentionMs: config.LIVE_EVENT_RETENTION_HOURS * 3600_000, redisUrl: config.REDIS_URL, redisKeyPrefix: config.REDIS_KEY_PREFIX },
    orderFlows: {
      erp,
      crm,
      settings: {
        retry: { baseMs: config.FLOW_RETRY_BASE_MS, maxDelayMs: config.FLOW_RETRY_MAX_DELAY_MS, windowMs: config.FLOW_RETRY_WINDOW_MS },
        probeMs: config.FLOW_PROBE_MS,
        leaseMs: config.FLOW_LEASE_MS,
        pollMs: config.FLOW_POLL_MS,
        waitRecheckMaxMs: config.FLOW_WAIT_RECHECK_MAX_MS,
        creditReviewWindowMs: config.CREDIT_REVIEW_WINDOW_HOURS * 3600_000,
        workers: config.FLOW_WORKERS ?? (db.kind === 'pglite' ? 4 : 24),
      },
    },
  });
  const port = await listen(subgraph.app, config.PORT, config.HOST, { metricsPort: config.METRICS_PORT });
  logger.info({ port }, 'integration subgraph listening');
  // The backends may still be starting; the bootstrap retries without holding up /health.
  subgraph.bootstrap.start();
  // Both wait for the links themselves; a full resync cut short by the last stop resumes once they exist.
  subgraph.sync.start();
  subgraph.reconciliation.start();
  const resumeResync = setInterval(() => {
    if (!subgraph.bootstrap.isDone()) return;
    clearInterval(resumeResync);
    subgraph.resync.resumeInterrupted().catch((error: unknown) => logger.warn({ err: error }, 'could not resume the full resync'));
  }, 200);

  stopOnSignals(logger, async () => {
    clearInterval(resumeResync);
    await subgraph.close();
    await db.close();
    await tracing.shutdown();
  });
}

main().catch((error: unknown) => {
  console.error('integration subgraph failed to start', error);
  process.exit(1);
});
