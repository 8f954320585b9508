import type { Logger } from './logger';

/**
 * Stops a service cleanly on SIGTERM or SIGINT (Ctrl-C, the stack runner, Kubernetes): runs `stop`
 * once, then exits 0, or 1 when stopping failed. A second signal while stopping changes nothing.
 */
export function stopOnSignals(logger: Logger, stop: () => Promise<unknown>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'did not stop cleanly');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
