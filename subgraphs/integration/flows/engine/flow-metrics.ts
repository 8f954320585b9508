import { Counter, Gauge, Histogram } from 'prom-client';
import type { ServiceMetrics } from '../../../../platform/metrics';

/** The metrics of durable flows on the service's registry. */
export interface FlowMetrics {
  started: Counter<'flow'>;
  stepDuration: Histogram<'flow' | 'step' | 'outcome'>;
  retries: Counter<'flow' | 'step'>;
  finished: Counter<'flow' | 'status'>;
}

/** What the gauges count from the runs table at each scrape. */
export interface FlowCounts {
  byStatus(): Promise<{ status: string; n: number }[]>;
  /** Runs waiting on the outside world (cause: the waiting step) or retrying (cause: the error code). */
  waitingByCause(): Promise<{ status: string; cause: string; n: number }[]>;
}

/**
 * Registers flow metrics: `flow_runs{flow,status}` and `flow_runs_waiting{flow,status,cause}`
 * (gauges counted from the runs table at each scrape, so every replica reports the same truth),
 * runs started and finished, step durations and retries.
 */
export function createFlowMetrics(metrics: ServiceMetrics, flow: string, counts: FlowCounts): FlowMetrics {
  const registry = metrics.registry;
  new Gauge({
    name: 'flow_runs',
    help: 'Flow runs by status',
    labelNames: ['flow', 'status'],
    registers: [registry],
    async collect() {
      try {
        this.reset();
        for (const { status, n } of await counts.byStatus()) this.set({ flow, status }, n);
      } catch {
        // A scrape while the database is closing reports nothing rather than failing /metrics.
      }
    },
  });
  new Gauge({
    name: 'flow_runs_waiting',
    help: 'Flow runs waiting, by status and cause: WAITING on a step (production, shipment, payment), or RETRYING (or COMPENSATING) after a transient failure with this error code',
    labelNames: ['flow', 'status', 'cause'],
    registers: [registry],
    async collect() {
      try {
        this.reset();
        for (const { status, cause, n } of await counts.waitingByCause()) this.set({ flow, status, cause }, n);
      } catch {
        // As above: nothing rather than a failed scrape.
      }
    },
  });
  return {
    started: new Counter({ name: 'flow_runs_started_total', help: 'Flow runs started (a repeated idempotency key starts none)', labelNames: ['flow'], registers: [registry] }),
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
