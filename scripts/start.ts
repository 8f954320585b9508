/**
 * `npm start`: runs the whole stack on this machine, each service its own process, restarted if
 * it crashes, stopped cleanly on Ctrl-C. With no configuration it keeps data in PGlite under
 * .data/ and seeds demo data on first start; DATABASE_URL and REDIS_URL switch to PostgreSQL
 * and Redis.
 */
import { SERVICES, type ServiceName } from './services';
import { startStack } from './stack';

/** Ports can be moved one by one, e.g. GATEWAY_PORT=5000 or ERP_BACKEND_PORT=5101. */
function portOverrides(): Partial<Record<ServiceName, number>> {
  const ports: Partial<Record<ServiceName, number>> = {};
  for (const service of SERVICES) {
    const value = process.env[`${service.name.toUpperCase().replace(/-/g, '_')}_PORT`];
    if (value && /^\d+$/.test(value)) ports[service.name] = Number(value);
  }
  return ports;
}

function main(): void {
  const stack = startStack({ dataDir: process.env.DATA_DIR, ports: portOverrides() });
  let shuttingDown = false;
  const shutdown = (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    console.log(`\n${signal}: stopping every service…`);
    stack.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  // A first start with ERP=tryton prepares Tryton's database first (trytond-admin, then the demo
  // business): minutes, not seconds.
  const tryton = process.env.ERP === 'tryton';
  if (tryton) console.log('ERP=tryton: a first start prepares the Tryton database (up to half an hour on a small machine); later starts take seconds.');
  stack.waitUntilReady(tryton ? 45 * 60_000 : 300_000).then(
    () => {
      const store = process.env.DATABASE_URL ? 'PostgreSQL' : `PGlite under ${stack.dataDir}`;
      const origin = new URL(stack.graphqlUrl).origin;
      console.log(
        [
          '',
          `  Supergraph ready at ${stack.graphqlUrl}   (data: ${store})`,
          `  Operations console at ${origin}/console   API explorer at ${origin}/explorer`,
          '',
          '  Get a token:   npm run token -- --role admin   (paste it to sign in to the console)',
          `  Then:          curl -s ${stack.graphqlUrl} -H "authorization: Bearer $TOKEN" \\`,
          `                   -H 'content-type: application/json' -d '{"query":"{ customers(first: 3) { nodes { id name openBalance { amount } } } }"}'`,
          '',
          '  Ctrl-C stops everything.',
          '',
        ].join('\n'),
      );
    },
    (error) => console.error(`the stack did not become ready: ${(error as Error).message}`),
  );
}

main();
