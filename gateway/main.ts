import { readFileSync } from 'node:fs';
import path from 'node:path';
import { listen } from '../platform/http-server';
import { createLogger } from '../platform/logger';
import { createMetrics } from '../platform/metrics';
import { loadGatewayConfig } from './config';
import { createGateway } from './gateway';
import { stopOnSignals } from '../platform/shutdown';
import { startTracing } from '../platform/tracing';

/** Starts the gateway on PORT and stops it cleanly on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  // First, so the spans of everything opened below (database, clients) are recorded.
  const tracing = startTracing('gateway');
  const config = loadGatewayConfig();
  const logger = createLogger('gateway', config.LOG_LEVEL);
  const supergraphSdl = readFileSync(path.resolve(config.SUPERGRAPH_PATH), 'utf8');
  const gateway = await createGateway({ config, logger, metrics: createMetrics('gateway'), supergraphSdl });
  const port = await listen(gateway.app, config.PORT, config.HOST, { metricsPort: config.METRICS_PORT });
  const url = `http://${config.HOST}:${port}/graphql`;
  logger.info({ url }, 'gateway listening');
  console.log(`GraphQL API at ${url} (get a token: npm run token -- --role admin)`);

  stopOnSignals(logger, async () => {
    await gateway.close();
    await tracing.shutdown();
  });
}

main().catch((error: unknown) => {
  console.error('gateway failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
