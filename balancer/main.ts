import { createLogger } from '../platform/logger';
import { stopOnSignals } from '../platform/shutdown';
import { loadBalancerConfig } from './config';
import { createLoadBalancer } from './load-balancer';

/** Runs one service's load balancer on its port and closes it on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadBalancerConfig();
  const logger = createLogger(`${config.BALANCED_SERVICE}-balancer`, config.LOG_LEVEL);
  const balancer = createLoadBalancer({
    service: { name: config.BALANCED_SERVICE, targets: config.BALANCER_TARGETS },
    logger,
    healthPath: config.BALANCER_HEALTH_PATH,
    healthIntervalMs: config.BALANCER_HEALTH_INTERVAL_MS,
  });
  await new Promise<void>((resolve, reject) => {
    balancer.server.once('error', reject);
    balancer.server.listen(config.PORT, config.HOST, () => resolve());
  });
  logger.info({ port: config.PORT, targets: config.BALANCER_TARGETS }, 'load balancer listening');
  stopOnSignals(logger, () => balancer.close());
}

main().catch((error: unknown) => {
  console.error('load balancer failed to start', error);
  process.exit(1);
});
