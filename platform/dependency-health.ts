import { Gauge } from 'prom-client';
import type { ServiceMetrics } from './metrics';

/**
 * What a service needs from others to answer in full (a backend, a database, a subgraph, Redis):
 * each name with a check that resolves when it answers. A service answers without them (partially,
 * with coded errors), so they never decide readiness or liveness: they are reported on
 * `/health/dependencies` and as `dependency_up{dependency}`.
 */
export type DependencyChecks = Readonly<Record<string, () => Promise<unknown>>>;

/** The checks, or how to list them when they are known only once the service runs (a gateway's subgraphs). */
export type DependencySource = DependencyChecks | (() => DependencyChecks);

/** One dependency as just checked. */
export interface DependencyState {
  up: boolean;
  latencyMs: number;
  /** Why it is down (the check's error). */
  reason?: string;
}

/** How long one check may take before its dependency counts as down (a frozen host never answers). */
export const DEPENDENCY_CHECK_TIMEOUT_MS = 3000;

/** Runs every check at once, each bounded by `timeoutMs`. */
export async function checkDependencies(source: DependencySource, timeoutMs = DEPENDENCY_CHECK_TIMEOUT_MS): Promise<Record<string, DependencyState>> {
  const checks = typeof source === 'function' ? source() : source;
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<[string, DependencyState]> => {
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([check(), timedOut]);
        return [name, { up: true, latencyMs: Date.now() - started }];
      } catch (error) {
        return [name, { up: false, latencyMs: Date.now() - started, reason: error instanceof Error ? error.message : String(error) }];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return Object.fromEntries(entries);
}

/** Registers `dependency_up{dependency}` (1 up, 0 down), checked at each scrape. */
export function registerDependencyGauge(metrics: ServiceMetrics, checks: DependencySource, timeoutMs = DEPENDENCY_CHECK_TIMEOUT_MS): void {
  new Gauge({
    name: 'dependency_up',
    help: 'Whether a service this one needs to answer in full (backend, database, subgraph, Redis) answered its check at this scrape',
    labelNames: ['dependency'],
    registers: [metrics.registry],
    async collect() {
      for (const [dependency, state] of Object.entries(await checkDependencies(checks, timeoutMs))) this.set({ dependency }, state.up ? 1 : 0);
    },
  });
}
