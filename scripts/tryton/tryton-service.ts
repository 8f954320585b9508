/**
 * The ERP slot of `npm start` when ERP=tryton: on a first start it prepares the Tryton database
 * (TRYTON_DB, default "tryton": the base with the modules and the company, then the demo business),
 * runs trytond on TRYTON_PORT (default 8000) and exits when trytond does, so the supervisor
 * restarts both. With TRYTON_URL set it starts nothing and only reports that Tryton's readiness.
 * It answers /health and /ready on PORT like every service of the stack.
 */
import { createServer } from 'node:http';
import { trytonTarget } from '../../connectors/erp/erp-connector.factory';
import { trytonDemoData } from './tryton-demo';
import { ensureSeededDatabase, startTrytond, trytonSettings } from './tryton-setup';

async function main(): Promise<void> {
  const target = trytonTarget();
  let ready = false;
  const server = createServer((req, res) => {
    if (req.url === '/health') return void res.writeHead(200).end('ok');
    if (req.url === '/ready') {
      void trytonAnswers(target.url).then((ok) => res.writeHead(ok && ready ? 200 : 503).end(ok && ready ? 'ready' : 'not ready'));
      return;
    }
    res.writeHead(404).end();
  });
  server.listen(Number(process.env.PORT ?? 4101), '127.0.0.1');

  let stopTrytond: (() => Promise<void>) | undefined;
  const shutdown = () => {
    void (stopTrytond?.() ?? Promise.resolve()).finally(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  if (!process.env.TRYTON_URL) {
    const settings = trytonSettings();
    const outcome = await ensureSeededDatabase(settings, target.database, () => trytonDemoData().erp, (line) => console.log(line));
    if (outcome === 'built') console.log(`tryton: database ${target.database} prepared`);
    const trytond = await startTrytond(settings, Number(process.env.TRYTON_PORT ?? 8000));
    stopTrytond = trytond.stop;
    trytond.process.once('exit', (code) => {
      console.error(`trytond exited (${code})`);
      process.exit(1);
    });
    console.log(`tryton: trytond serving ${target.database} at ${trytond.url}`);
  }
  ready = true;
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
