import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** How one GraphQL request ended: every field answered, some fields failed, or nothing answered. */
export type GraphqlOutcome = 'success' | 'partial' | 'error' | 'unauthenticated';
/** How one subgraph fetch ended: answered, answered with errors, or not reachable in time. */
export type SubgraphFetchOutcome = 'success' | 'error' | 'unavailable';

/** The gateway's own Prometheus metrics, registered in the service's registry. */
export interface GatewayMetrics {
  graphqlRequests: Counter<'operation' | 'outcome'>;
  graphqlDuration: Histogram<'operation'>;
  subgraphFetches: Counter<'subgraph' | 'outcome'>;
  subgraphDuration: Histogram<'subgraph'>;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Registers the gateway metrics in `registry`. */
export function createGatewayMetrics(registry: Registry): GatewayMetrics {
  return {
    graphqlRequests: new Counter({
      name: 'graphql_requests_total',
      help: 'GraphQL requests answered by the gateway, by operation name and outcome',
      labelNames: ['operation', 'outcome'],
      registers: [registry],
    }),
    graphqlDuration: new Histogram({
      name: 'graphql_request_duration_seconds',
      help: 'GraphQL request latency at the gateway, by operation name',
      labelNames: ['operation'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    subgraphFetches: new Counter({
      name: 'subgraph_fetches_total',
      help: 'Fetches the gateway sent to subgraphs, by subgraph and outcome',
      labelNames: ['subgraph', 'outcome'],
      registers: [registry],
    }),
    subgraphDuration: new Histogram({
      name: 'subgraph_fetch_duration_seconds',
      help: 'Latency of subgraph fetches, by subgraph',
      labelNames: ['subgraph'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
  };
}

// Operation names come from clients; bounding them keeps the label set (and Prometheus) small.
const MAX_OPERATION_NAMES = 200;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Maps client-chosen operation names to a bounded set of label values. */
export function operationLabeler(): (name: string | null | undefined) => string {
  const seen = new Set<string>();
  return (name) => {
    if (!name || !OPERATION_NAME.test(name)) return 'anonymous';
    if (seen.has(name)) return name;
    if (seen.size >= MAX_OPERATION_NAMES) return 'other';
    seen.add(name);
    return name;
  };
}

/** An Apollo plugin counting requests by operation and outcome and timing them. */
export function graphqlMetricsPlugin<Context extends BaseContext>(metrics: GatewayMetrics, label: (name: string | null | undefined) => string): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ request, operationName, response }) {
          const operation = label(operationName ?? request.operationName);
          const body = response.body;
          let outcome: GraphqlOutcome = 'success';
          if (body.kind === 'single' && body.singleResult.errors?.length) {
            outcome = body.singleResult.data ? 'partial' : 'error';
          }
          metrics.graphqlRequests.inc({ operation, outcome });
          metrics.graphqlDuration.observe({ operation }, Number(process.hrtime.bigint() - started) / 1e9);
        },
      };
    },
  };
}

/** Exposes the bytes each bounded cache holds as `gateway_cache_bytes{cache}`, read at scrape time. */
export function registerCacheSizes(registry: Registry, sizes: Record<string, () => Promise<number>>): void {
  new Gauge({
    name: 'gateway_cache_bytes',
    help: 'Bytes of query text held by the gateway caches, by cache (persisted-queries: what Redis holds for all replicas when REDIS_URL is set)',
    labelNames: ['cache'],
    registers: [registry],
    async collect() {
      for (const [cache, size] of Object.entries(sizes)) this.set({ cache }, await size().catch(() => 0));
    },
  });
}
