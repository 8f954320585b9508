import { Counter, Gauge, Histogram } from 'prom-client';
import type { ServiceMetrics } from '../../../../platform/metrics';

/** The metrics of durable flows on the service's registry. */
export interface FlowMetrics {
  stepDuration: Histogram<'flow' | 'step' | 'outcome'>;
  retries: Counter<'flow' | 'step'>;
  finished: Counter<'flow' | 'status'>;
}

/**
 * Registers flow metrics: `flow_runs{flow,status}` (a gauge counted from the runs table at each
 * scrape, so every replica reports the same truth), step durations and retries.
 */
export function createFlowMetrics(metrics: ServiceMetrics, flow: string, countByStatus: () => Promise<{ status: string; n: number }[]>): FlowMetrics {
  const registry = metrics.registry;
  new Gauge({
    name: 'flow_runs',
    help: 'Flow runs by status',
    labelNames: ['flow', 'status'],
    registers: [registry],
    async collect() {
      try {
        this.reset();
        for (const { status, n } of await countByStatus()) this.set({ flow, status }, n);
      } catch {
        // A scrape while the database is closing reports nothing rather than failing /metrics.
      }
    },
  });
  return {
    stepDuration: new Histogram({
      name: 'flow_step_duration_seconds',
      help: 'Duration of one flow step invocation, by step and outcome',
      labelNames: ['flow', 'step', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    retries: new Counter({ name: 'flow_step_retries_total', help: 'Step attempts retried after a transient failure', labelNames: ['flow', 'step'], registers: [registry] }),
    finished: new Counter({ name: 'flow_runs_finished_total', help: 'Flow runs that reached a final or failed status', labelNames: ['flow', 'status'], registers: [registry] }),
  };
}
