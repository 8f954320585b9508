import { readFileSync } from 'node:fs';
import path from 'node:path';
import { listen } from '../platform/http-server';
import { createLogger } from '../platform/logger';
import { createMetrics } from '../platform/metrics';
import { loadGatewayConfig } from './config';
import { createGateway } from './gateway';
import { stopOnSignals } from '../platform/shutdown';

/** Starts the gateway on PORT and stops it cleanly on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadGatewayConfig();
  const logger = createLogger('gateway', config.LOG_LEVEL);
  const supergraphSdl = readFileSync(path.resolve(config.SUPERGRAPH_PATH), 'utf8');
  const gateway = await createGateway({ config, logger, metrics: createMetrics('gateway'), supergraphSdl });
  const port = await listen(gateway.app, config.PORT, config.HOST);
  const url = `http://${config.HOST}:${port}/graphql`;
  logger.info({ url }, 'gateway listening');
  console.log(`GraphQL API at ${url} (get a token: npm run token -- --role admin)`);

  stopOnSignals(logger, async () => {
    await gateway.close();
  });
}

main().catch((error: unknown) => {
  console.error('gateway failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
