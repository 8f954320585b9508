import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One service's Prometheus registry with the metrics every service exposes. */
export interface ServiceMetrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
  /** Calls that a connector made to a backend, by system and operation. */
  connectorRequests: Counter<'system' | 'operation'>;
  /** Calls that failed, by system, operation and the error code the caller saw. */
  connectorErrors: Counter<'system' | 'operation' | 'code'>;
}

/** Creates a fresh registry (never the global one, so tests can build many services). */
export function createMetrics(service: string): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests served',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    connectorRequests: new Counter({
      name: 'connector_requests_total',
      help: 'Requests a connector sent to a backend system',
      labelNames: ['system', 'operation'],
      registers: [registry],
    }),
    connectorErrors: new Counter({
      name: 'connector_errors_total',
      help: 'Connector calls to a backend system that failed, by error code (UPSTREAM_UNAVAILABLE, CONFLICT, …)',
      labelNames: ['system', 'operation', 'code'],
      registers: [registry],
    }),
  };
}
