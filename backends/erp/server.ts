import type { FastifyInstance } from 'fastify';
import type { Database } from '../../platform/db';
import { createLogger, type Logger } from '../../platform/logger';
import { createMetrics, type ServiceMetrics } from '../../platform/metrics';
import { OutboxDispatcher } from '../../platform/outbox';
import { buildErpApp, ERP_BACKEND_SERVICE } from './app';
import type { CreditPolicy } from './services/credit.service';
import { sweepOverdueInvoices } from './services/invoice.service';

/** What the ERP backend needs; the caller owns (opens, migrates and closes) the database. */
export interface ErpBackendDeps {
  db: Database;
  /** Key of the x-service-token every caller must present. */
  internalSecret: string;
  /** Key the change events are signed with. */
  webhookSecret: string;
  /** URLs that receive every change event; default none. */
  webhookTargets?: string[];
  logger?: Logger;
  metrics?: ServiceMetrics;
  /** Outbox poll interval in milliseconds; default 200. */
  outboxIntervalMs?: number;
  /** How often OPEN invoices past due become OVERDUE, in milliseconds; default 60000. */
  overdueSweepMs?: number;
  /** The default credit limit of customers without their own; default DEFAULT_CREDIT_LIMIT. */
  credit?: CreditPolicy;
}

/** A built ERP backend: its app, its event dispatcher and its background work. */
export interface ErpBackend {
  app: FastifyInstance;
  dispatcher: OutboxDispatcher;
  metrics: ServiceMetrics;
  /** Starts delivering change events and sweeping overdue invoices (once now, then periodically). */
  start(): Promise<void>;
  /** Marks OPEN invoices past their due date OVERDUE; returns how many changed. */
  sweepOverdueInvoices(): Promise<number>;
  /** Stops background work and the app; the database stays open. */
  close(): Promise<void>;
}

/** Builds the ERP reference backend; it never listens (main.ts and tests do). */
export function createErpBackend(deps: ErpBackendDeps): ErpBackend {
  const logger = deps.logger ?? createLogger(ERP_BACKEND_SERVICE);
  const metrics = deps.metrics ?? createMetrics(ERP_BACKEND_SERVICE);
  const app = buildErpApp({ db: deps.db, logger, metrics, internalSecret: deps.internalSecret, credit: deps.credit });
  const dispatcher = new OutboxDispatcher({
    db: deps.db,
    source: 'erp',
    targets: deps.webhookTargets ?? [],
    secret: deps.webhookSecret,
    logger,
    intervalMs: deps.outboxIntervalMs,
    metrics,
  });
  let sweepTimer: NodeJS.Timeout | undefined;
  let sweeping: Promise<unknown> = Promise.resolve();
  const sweep = async (): Promise<number> => {
    const run = sweepOverdueInvoices(deps.db);
    sweeping = run.catch(() => undefined);
    const changed = await run;
    if (changed > 0) logger.info({ changed }, 'invoices past due marked OVERDUE');
    return changed;
  };
  return {
    app,
    dispatcher,
    metrics,
    async start() {
      await sweep();
      sweepTimer = setInterval(() => {
        sweep().catch((error) => logger.warn({ err: error }, 'overdue sweep failed'));
      }, deps.overdueSweepMs ?? 60_000);
      sweepTimer.unref();
      // With no subscriber there is nobody to deliver to; events wait until one is configured.
      if ((deps.webhookTargets ?? []).length > 0) dispatcher.start();
    },
    sweepOverdueInvoices: sweep,
    async close() {
      if (sweepTimer) clearInterval(sweepTimer);
      await dispatcher.stop();
      await sweeping;
      await app.close();
    },
  };
}
