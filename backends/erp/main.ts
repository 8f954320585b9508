import { openDatabase } from '../../platform/db';
import { listen } from '../../platform/http-server';
import { createLogger } from '../../platform/logger';
import { buildDemoDataset } from '../demo-data/demo-dataset';
import { ERP_BACKEND_SERVICE } from './app';
import { demoScaleOf, loadErpBackendConfig } from './config';
import { migrateErpDatabase } from './database';
import { seedErpDatabase } from './seed';
import { createErpBackend } from './server';
import { stopOnSignals } from '../../platform/shutdown';
import { startTracing } from '../../platform/tracing';

/** Starts the ERP backend: database, migrations, first-start seed, REST API, webhooks, overdue sweep. */
async function main(): Promise<void> {
  // First, so the spans of everything opened below (database, clients) are recorded.
  const tracing = startTracing('erp-backend');
  const config = loadErpBackendConfig();
  const logger = createLogger(ERP_BACKEND_SERVICE, config.LOG_LEVEL);
  const db = await openDatabase({ service: 'erp', databaseUrl: config.DATABASE_URL, dataDir: config.DATABASE_URL ? undefined : config.DATA_DIR });
  const applied = await migrateErpDatabase(db);
  if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');
  if (config.SEED) {
    const started = Date.now();
    const counts = await seedErpDatabase(db, () => buildDemoDataset(demoScaleOf(config)).erp);
    if (counts) logger.info({ ms: Date.now() - started, ...counts }, 'demo data seeded');
  }
  const backend = createErpBackend({
    db,
    logger,
    internalSecret: config.INTERNAL_SECRET,
    webhookSecret: config.WEBHOOK_SECRET,
    webhookTargets: config.WEBHOOK_TARGETS,
    outboxIntervalMs: config.OUTBOX_INTERVAL_MS,
    overdueSweepMs: config.OVERDUE_SWEEP_MS,
    credit: { defaultCreditLimit: config.DEFAULT_CREDIT_LIMIT },
  });
  const port = await listen(backend.app, config.PORT, config.HOST, { metricsPort: config.METRICS_PORT });
  await backend.start();
  logger.info({ port, webhookTargets: config.WEBHOOK_TARGETS }, 'erp backend listening');

  stopOnSignals(logger, async () => {
    await backend.close();
    await db.close();
    await tracing.shutdown();
  });
}

main().catch((error) => {
  createLogger(ERP_BACKEND_SERVICE).fatal({ err: error }, 'erp backend failed to start');
  process.exit(1);
});
