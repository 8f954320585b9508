/**
 * The ERP slot of `npm start` when ERP=tryton: on a first start it prepares the Tryton database
 * (TRYTON_DB, default "tryton": the base with the modules and the company, then the demo business),
 * runs trytond on TRYTON_PORT (default 8000) and exits when trytond does, so the supervisor
 * restarts both. With TRYTON_URL set it starts nothing and uses that Tryton.
 *
 * Tryton sends no webhooks, so this slot sends them for it, as the reference ERP backend does: it
 * polls Tryton for changes every TRYTON_POLL_MS and delivers them as signed change events to
 * WEBHOOK_TARGETS (the integration and the ERP subgraph) from its own outbox. It answers /health
 * and /ready on PORT like every service of the stack; ready once trytond answers and the first
 * poll has taken its baseline.
 */
import { createServer } from 'node:http';
import { trytonTarget } from '../../connectors/erp/erp-connector.factory';
import { TrytonChangeFeed } from '../../connectors/erp/tryton/tryton-change-feed';
import { TrytonChangePoller, migrateTrytonChangeDatabase } from '../../connectors/erp/tryton/tryton-change-poller';
import { TrytonRpc } from '../../connectors/erp/tryton/tryton-rpc';
import { openDatabase } from '../../platform/db';
import { createLogger } from '../../platform/logger';
import { OutboxDispatcher } from '../../platform/outbox';
import { stopOnSignals } from '../../platform/shutdown';
import { trytonDemoData } from './tryton-demo';
import { loadTrytonServiceConfig } from './tryton-service.config';
import { ensureSeededDatabase, startTrytond, trytonSettings } from './tryton-setup';

/** Its PGlite folder and PostgreSQL schema: the outbox and the polling cursors. */
const CHANGE_DATABASE_SERVICE = 'tryton-changes';

async function main(): Promise<void> {
  const config = loadTrytonServiceConfig();
  const logger = createLogger('tryton-service', config.LOG_LEVEL);
  const target = trytonTarget();
  let poller: TrytonChangePoller | undefined;
  const stops: (() => Promise<unknown>)[] = [];
  let stopping = false;
  const server = createServer((req, res) => {
    if (req.url === '/health') return void res.writeHead(200).end('ok');
    if (req.url === '/ready') {
      void trytonAnswers(target.url).then((answers) => {
        const ready = answers && poller?.hasBaseline() === true;
        res.writeHead(ready ? 200 : 503).end(ready ? 'ready' : 'not ready');
      });
      return;
    }
    res.writeHead(404).end();
  });
  server.listen(config.PORT, config.HOST);
  stopOnSignals(logger, async () => {
    stopping = true;
    // Last started, first stopped: the poller and the outbox before trytond, trytond before the database.
    for (const stop of stops.reverse()) await stop().catch((error: unknown) => logger.warn({ err: error }, 'stopping a part failed'));
    server.close();
  });

  if (!process.env.TRYTON_URL) {
    const settings = trytonSettings();
    const outcome = await ensureSeededDatabase(settings, target.database, () => trytonDemoData().erp, (line) => logger.info(line));
    if (outcome === 'built') logger.info({ database: target.database }, 'tryton database prepared');
    const trytond = await startTrytond(settings, config.TRYTON_PORT);
    stops.push(trytond.stop);
    trytond.process.once('exit', (code) => {
      if (stopping) return;
      // The supervisor restarts this slot, and with it trytond.
      logger.error({ code }, 'trytond exited');
      process.exit(1);
    });
    logger.info({ database: target.database, url: trytond.url }, 'trytond serving');
  }

  const db = await openDatabase({ service: CHANGE_DATABASE_SERVICE, databaseUrl: config.DATABASE_URL, dataDir: config.DATABASE_URL ? undefined : config.DATA_DIR });
  stops.push(() => db.close());
  await migrateTrytonChangeDatabase(db);
  const rpc = new TrytonRpc({ ...target, timeoutMs: 60_000 });
  stops.push(() => rpc.close());
  const dispatcher = new OutboxDispatcher({ db, source: 'erp', targets: config.WEBHOOK_TARGETS, secret: config.WEBHOOK_SECRET, logger, intervalMs: config.OUTBOX_INTERVAL_MS });
  dispatcher.start();
  stops.push(() => dispatcher.stop());
  poller = new TrytonChangePoller({
    db,
    feed: new TrytonChangeFeed(rpc, target.database),
    database: target.database,
    logger,
    intervalMs: config.TRYTON_POLL_MS,
    overlapMs: config.TRYTON_POLL_OVERLAP_MS,
  });
  poller.start();
  const started = poller;
  stops.push(() => started.stop());
  logger.info({ database: target.database, pollMs: config.TRYTON_POLL_MS, targets: config.WEBHOOK_TARGETS }, 'polling Tryton for changes');
}

async function trytonAnswers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 0, method: 'common.server.version', params: [] }) });
    return response.ok;
  } catch {
    return false;
  }
}

main().catch((error: unknown) => {
  console.error('tryton service failed', error);
  process.exit(1);
});
