import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { buildDemoDataset } from '../../backends/demo-data/demo-dataset';
import { SERVICES } from '../../scripts/services';
import { freePorts } from '../../platform/free-ports';
import { type TestStack, startTestStack } from '../../test-support/stack';

/** A span as the OTLP/HTTP JSON encoding carries it, with its service. */
interface CollectedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

/** An OTLP/HTTP receiver in the test process: what an OpenTelemetry collector would get. */
function startCollector(port: number): { server: Server; spans: CollectedSpan[] } {
  const spans: CollectedSpan[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      for (const resourceSpans of body.resourceSpans ?? []) {
        const service = resourceSpans.resource.attributes.find((a: any) => a.key === 'service.name')?.value.stringValue;
        for (const scope of resourceSpans.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) {
            const attributes = Object.fromEntries((span.attributes ?? []).map((a: any) => [a.key, Object.values(a.value)[0]]));
            spans.push({ service, traceId: span.traceId, spanId: span.spanId, parentSpanId: span.parentSpanId || undefined, name: span.name, kind: span.kind, attributes });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(port, '127.0.0.1');
  return { server, spans };
}

/** Every span under `root` in `trace`. */
function descendants(trace: CollectedSpan[], root: CollectedSpan): CollectedSpan[] {
  const below: CollectedSpan[] = [];
  let frontier = [root.spanId];
  while (frontier.length > 0) {
    const children = trace.filter((s) => s.parentSpanId && frontier.includes(s.parentSpanId));
    below.push(...children);
    frontier = children.map((s) => s.spanId);
  }
  return below;
}

// A purchased product in stock: the placed order's flow creates its sales order without production.
const dataset = buildDemoDataset();
const BOUGHT = dataset.erp.products.find((p) => !p.manufactured && dataset.erp.stock.filter((s) => s.sku === p.sku).reduce((sum, s) => sum + s.onHand, 0) >= 5)!;

const OBSERVABILITY = path.resolve(__dirname, '..', '..', 'deploy', 'observability');

/** The metric names a PromQL expression reads (histogram series named by their metric). */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"[^"]*"/g, '')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const names = [...stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*\b(?!\s*\()/g)]
    .map((m) => m[0])
    .filter((name) => !/^(and|or|unless|bool|offset|e\d*)$/.test(name) && !/^\d/.test(name));
  return [...new Set(names.map((name) => name.replace(/_(bucket|sum|count)$/, '')))];
}

/** Every expression of the shipped Grafana dashboard and Prometheus alert rules. */
function shippedExpressions(): string[] {
  const dashboard = JSON.parse(readFileSync(path.join(OBSERVABILITY, 'grafana-dashboard.json'), 'utf8')) as { panels: { targets?: { expr: string }[] }[] };
  const rules = parse(readFileSync(path.join(OBSERVABILITY, 'alert-rules.yaml'), 'utf8')) as { groups: { rules: { expr: string }[] }[] };
  return [...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)), ...rules.groups.flatMap((g) => g.rules.map((r) => r.expr))];
}

const CUSTOMER_360 = /* GraphQL */ `
  query Customer360 {
    customers(first: 3) {
      nodes {
        id name contacts { name } opportunities { name amount { amount } }
        openBalance { amount } orders(first: 5) { number total { amount } lines { product { sku available } } }
        invoices { number amountDue { amount } }
        sync { state }
      }
    }
  }
`;

describe('what an operator sees: traces, access logs, metrics', () => {
  let stack: TestStack | null = null;
  let collector: { server: Server; spans: CollectedSpan[] };
  const logFile = path.join(mkdtempSync(path.join(tmpdir(), 'tracing-e2e-')), 'stack.log');

  beforeAll(async () => {
    const [collectorPort] = await freePorts(1);
    collector = startCollector(collectorPort);
    stack = await startTestStack('pglite', {
      logFile,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collectorPort}`, LOG_LEVEL: 'info', SYNC_POLL_INTERVAL_MS: '3600000', RECONCILIATION_INTERVAL_MS: '3600000' },
    });
  }, 240_000);
  afterAll(async () => {
    await stack?.dispose();
    collector?.server.closeAllConnections();
    collector?.server.close();
  }, 60_000);

  it('follows one Customer 360 from the gateway through every subgraph and backend down to the SQL', async () => {
    const { data, errors } = await stack!.gql(CUSTOMER_360);
    expect(errors).toBeUndefined();
    expect(data.customers.nodes.length).toBe(3);

    // The gateway's server span for this request is the root of the trace.
    let trace: CollectedSpan[] = [];
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const roots = collector.spans.filter((s) => s.service === 'gateway' && !s.parentSpanId && s.name === 'POST /graphql');
      const traceIds = new Set(roots.map((r) => r.traceId));
      trace = collector.spans.filter((s) => traceIds.has(s.traceId));
      const services = new Set(trace.map((s) => s.service));
      if (SERVICES.every((s) => services.has(s.name)) && trace.some((s) => s.service === 'erp-backend' && s.attributes['db.system'])) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const traceIds = [...new Set(trace.map((s) => s.traceId))];
    expect(traceIds).toHaveLength(1);
    expect([...new Set(trace.map((s) => s.service))].sort()).toEqual(SERVICES.map((s) => s.name).sort());

    // Apollo's own spans: the plan and a fetch per subgraph call.
    const names = new Set(trace.map((s) => s.name));
    expect(names).toContain('gateway.plan');
    expect(names).toContain('gateway.fetch');
    // Each hop is a child of the one before: the trace is one tree with the gateway at its root.
    const ids = new Set(trace.map((s) => s.spanId));
    const orphans = trace.filter((s) => s.parentSpanId && !ids.has(s.parentSpanId));
    expect(orphans.map((s) => `${s.service} ${s.name}`)).toEqual([]);
    // Connector calls (client spans) and the statements at the bottom, in both backends.
    for (const backend of ['erp-backend', 'crm-backend']) {
      const statement = trace.find((s) => s.service === backend && s.attributes['db.system']);
      expect(String(statement?.attributes['db.query.text'] ?? '')).toMatch(/select/i);
    }
    expect(trace.some((s) => s.service === 'erp-subgraph' && s.kind === 3 /* CLIENT */ && s.name.startsWith('erp '))).toBe(true);
  }, 60_000);

  it('follows a placed order from the gateway into the flow steps the job queue runs later, down to the ERP backend', async () => {
    const created = await stack!.gql(`mutation { createCustomer(input: { name: "Traced Orders GmbH", country: "DE", creditLimit: "900000.00", paymentTerms: "NET30" }) { id } }`);
    expect(created.errors).toBeUndefined();
    const placed = await stack!.gql(`mutation ($input: PlaceOrderInput!) { placeOrder(input: $input, idempotencyKey: "traced-order-1") { id } }`, {
      input: { customerId: created.data.createCustomer.id, lines: [{ sku: BOUGHT.sku, quantity: 1 }] },
    });
    expect(placed.errors).toBeUndefined();
    const runId = placed.data.placeOrder.id as string;

    // The steps run in the integration's job queue after the mutation answered; they carry the run's id.
    let trace: CollectedSpan[] = [];
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const salesOrderStep = collector.spans.find((s) => s.attributes['flow.run_id'] === runId && s.name === 'flow step create-sales-order');
      trace = salesOrderStep ? collector.spans.filter((s) => s.traceId === salesOrderStep.traceId) : [];
      const underStep = salesOrderStep && descendants(trace, salesOrderStep);
      // Each service exports in its own batches: wait for the gateway's root as well as the SQL.
      const rooted = trace.some((s) => s.service === 'gateway' && !s.parentSpanId);
      if (rooted && underStep?.some((s) => s.service === 'erp-backend' && s.attributes['db.system'])) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    // One trace: the gateway's request at its root, the integration's resolver, then the steps.
    const roots = trace.filter((s) => !s.parentSpanId);
    expect(roots.map((s) => `${s.service} ${s.name}`)).toEqual(['gateway POST /graphql']);
    const steps = trace.filter((s) => s.service === 'integration' && s.name.startsWith('flow step ')).map((s) => s.name);
    expect(steps).toEqual(expect.arrayContaining(['flow step ensure-customer', 'flow step check-credit', 'flow step create-sales-order']));
    // The flow goes on after this snapshot (later steps read the order again), and each service
    // exports in its own batches: a backend's server span can arrive before the client span that
    // is its parent. Every span of the snapshot must find its parent once the batches are in.
    const parentless = () => {
      const ids = new Set(collector.spans.map((s) => s.spanId));
      return trace.filter((s) => s.parentSpanId && !ids.has(s.parentSpanId)).map((s) => `${s.service} ${s.name}`);
    };
    const settled = Date.now() + 10_000;
    while (parentless().length > 0 && Date.now() < settled) await new Promise((r) => setTimeout(r, 250));
    expect(parentless()).toEqual([]);
    expect(new Set(collector.spans.filter((s) => trace.some((t) => t.parentSpanId === s.spanId)).map((s) => s.traceId))).toEqual(new Set([trace[0].traceId]));
    // The sales order step's connector call reaches the ERP backend and its SQL.
    const salesOrderStep = trace.find((s) => s.name === 'flow step create-sales-order')!;
    const below = descendants(trace, salesOrderStep);
    expect(below.some((s) => s.service === 'integration' && s.kind === 3 /* CLIENT */)).toBe(true);
    expect(String(below.find((s) => s.service === 'erp-backend' && s.attributes['db.system'])?.attributes['db.query.text'] ?? '')).toMatch(/insert/i);
  }, 60_000);

  it('writes one access log line per request in every service, with route, status, duration, request id and trace id', async () => {
    await stack!.gql('{ __typename }');
    const lines = readFileSync(logFile, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const access = lines.filter((l) => l.msg === 'request');
    for (const service of SERVICES) {
      const line = access.find((l) => l.name === service.name && l.route !== '/health' && l.route !== '/ready');
      expect({ service: service.name, found: Boolean(line) }).toEqual({ service: service.name, found: true });
    }
    const gatewayLine = access.find((l) => l.route === '/graphql' && l.method === 'POST')!;
    expect(gatewayLine).toMatchObject({ status: 200 });
    expect(typeof gatewayLine.durationMs).toBe('number');
    expect(gatewayLine.requestId).toEqual(expect.any(String));
    expect(gatewayLine.traceId).toMatch(/^[0-9a-f]{32}$/);
  }, 30_000);

  it('exports every metric the shipped Grafana dashboard and alert rules name', async () => {
    const exported = new Set<string>();
    for (const service of SERVICES) {
      const text = await (await fetch(`${stack!.urls[service.name]}/metrics`)).text();
      for (const match of text.matchAll(/^# TYPE (\S+) /gm)) exported.add(match[1]);
    }
    const named = [...new Set(shippedExpressions().flatMap(metricNamesIn))].filter((name) => name !== 'up' /* Prometheus's own */);
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter((name) => !exported.has(name))).toEqual([]);
  }, 30_000);
});

describe('metricNamesIn', () => {
  it('finds the metrics of an expression and nothing else', () => {
    expect(metricNamesIn('histogram_quantile(0.99, sum by (le, step) (rate(flow_step_duration_seconds_bucket{flow="x"}[10m])))')).toEqual(['flow_step_duration_seconds']);
    expect(metricNamesIn('sum(rate(a_total{outcome=~"error|partial"}[5m])) / clamp_min(sum(rate(b_total[5m])), 1e-9) > 0.05').sort()).toEqual(['a_total', 'b_total']);
    expect(metricNamesIn('max by (service, subscriber) (webhook_delivery_backlog) > 1000')).toEqual(['webhook_delivery_backlog']);
  });
});
