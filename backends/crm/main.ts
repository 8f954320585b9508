import { openDatabase } from '../../platform/db';
import { listen } from '../../platform/http-server';
import { createLogger } from '../../platform/logger';
import { buildDemoDataset } from '../demo-data/demo-dataset';
import { CRM_SERVICE } from './app';
import { demoScaleOf, loadCrmBackendConfig } from './config';
import { seedCrm } from './seed';
import { createCrmBackend, prepareCrmDatabase } from './server';
import { stopOnSignals } from '../../platform/shutdown';
import { startTracing } from '../../platform/tracing';

/** Starts the CRM backend: database, migrations, first-start seed, REST API, webhook delivery. */
async function main(): Promise<void> {
  // First, so the spans of everything opened below (database, clients) are recorded.
  const tracing = startTracing('crm-backend');
  const config = loadCrmBackendConfig();
  const logger = createLogger(CRM_SERVICE, config.LOG_LEVEL);
  const db = await openDatabase({ service: 'crm', databaseUrl: config.DATABASE_URL, dataDir: config.DATABASE_URL ? undefined : config.DATA_DIR });
  const applied = await prepareCrmDatabase(db);
  if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');
  if (config.SEED) {
    const started = Date.now();
    if (await seedCrm(db, () => buildDemoDataset(demoScaleOf(config)).crm)) logger.info({ ms: Date.now() - started }, 'demo data seeded');
  }
  const backend = createCrmBackend({
    db,
    logger,
    internalSecret: config.INTERNAL_SECRET,
    webhookSecret: config.WEBHOOK_SECRET,
    webhookTargets: config.WEBHOOK_TARGETS,
    outboxIntervalMs: config.OUTBOX_INTERVAL_MS,
  });
  const port = await listen(backend.app, config.PORT, config.HOST, { metricsPort: config.METRICS_PORT });
  backend.dispatcher.start();
  logger.info({ port, webhookTargets: config.WEBHOOK_TARGETS }, 'crm backend listening');

  stopOnSignals(logger, async () => {
    await backend.close();
    await db.close();
    await tracing.shutdown();
  });
}

main().catch((error) => {
  createLogger(CRM_SERVICE).fatal({ err: error }, 'crm backend failed to start');
  process.exit(1);
});
