import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../../platform/db';
import { IDEMPOTENCY_TABLE_SQL } from '../../platform/idempotency';
import { type Logger, createLogger } from '../../platform/logger';
import { type ServiceMetrics, createMetrics } from '../../platform/metrics';
import { migrate } from '../../platform/migrate';
import { OUTBOX_TABLE_SQL, type OutboxDispatcher } from '../../platform/outbox';
import { CRM_SERVICE, buildCrmApp } from './app';
import { createCrmEventDispatcher } from './events';

/** What the CRM backend needs; the caller owns the database and closes it. */
export interface CrmBackendDeps {
  db: Database;
  /** Key of the service-to-service credential every API call must carry. */
  internalSecret: string;
  /** Key that signs the change-event webhooks. */
  webhookSecret: string;
  /** Where change events are delivered; none means they wait in the outbox. */
  webhookTargets?: string[];
  logger?: Logger;
  metrics?: ServiceMetrics;
  /** How often the outbox is polled, in milliseconds. */
  outboxIntervalMs?: number;
}

/** A built CRM backend: the app (not listening) and its event dispatcher (not started). */
export interface CrmBackend {
  app: FastifyInstance;
  dispatcher: OutboxDispatcher;
  /** Stops the dispatcher and the app; the database stays open. */
  close(): Promise<void>;
}

/** Creates the platform tables and applies the CRM's migrations. */
export async function prepareCrmDatabase(db: Database): Promise<string[]> {
  await db.exec(IDEMPOTENCY_TABLE_SQL);
  await db.exec(OUTBOX_TABLE_SQL);
  const applied = await migrate(db, path.join(__dirname, 'migrations'));
  // PGlite runs no autovacuum, so without ANALYZE the planner never has statistics and guesses:
  // batch reads by account then walk whole tables in index order instead of using their indexes.
  // Statistics are kept in the database: after the seed (which analyses what it fills) and the
  // embedded database's periodic ANALYZE, a start refreshes them only when the schema changed.
  if (db.kind === 'pglite' && applied.length > 0) await db.exec('ANALYZE');
  return applied;
}

/** Builds the CRM backend on a migrated database; `main.ts` listens, tests use port 0. */
export function createCrmBackend(deps: CrmBackendDeps): CrmBackend {
  const logger = deps.logger ?? createLogger(CRM_SERVICE, 'silent');
  const metrics = deps.metrics ?? createMetrics(CRM_SERVICE);
  const app = buildCrmApp({ db: deps.db, logger, metrics, internalSecret: deps.internalSecret });
  const dispatcher = createCrmEventDispatcher({
    db: deps.db,
    targets: deps.webhookTargets ?? [],
    secret: deps.webhookSecret,
    logger,
    intervalMs: deps.outboxIntervalMs,
    metrics,
  });
  return {
    app,
    dispatcher,
    async close() {
      await dispatcher.stop();
      await app.close();
    },
  };
}
