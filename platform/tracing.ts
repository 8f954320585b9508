import { type Context, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';

/**
 * OpenTelemetry traces, off unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set. One trace follows a request
 * from the gateway (Apollo's own query-plan and fetch spans) through each subgraph, connector call and
 * backend route down to the SQL statement, carried between processes in `traceparent`.
 *
 * When off, nothing is registered: every helper below is then a cheap pass-through, so the hot paths
 * pay no span bookkeeping.
 */

const TRACER_NAME = 'erp-crm-supergraph';
let enabled = false;

/** What `startTracing` returns: flush and stop on shutdown. */
export interface Tracing {
  shutdown(): Promise<void>;
}

/** Registers the tracer for `service` when an OTLP endpoint is configured; idempotent per process. */
export function startTracing(service: string, env: NodeJS.ProcessEnv = process.env): Tracing {
  if (enabled || !env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_TRACES_EXPORTER === 'none') return { shutdown: async () => {} };
  // The SDK and the exporter are loaded only when tracing is on: every process and test file that
  // touches the database imports this module, and loading them costs about a quarter of a CPU second.
  const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks') as typeof import('@opentelemetry/context-async-hooks');
  const { W3CTraceContextPropagator } = require('@opentelemetry/core') as typeof import('@opentelemetry/core');
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME ?? service }),
    // The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT (and _HEADERS) itself and posts to /v1/traces.
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter(), { scheduledDelayMillis: 500 })],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  enabled = true;
  // A collector that is gone at shutdown loses the last batch; that is no reason to fail the stop.
  return { shutdown: () => provider.shutdown().catch(() => undefined) };
}

/** True when spans are recorded in this process. */
export function tracingEnabled(): boolean {
  return enabled;
}

/** The context a caller sent in `traceparent`/`tracestate` (the active one when none). */
export function contextFromHeaders(headers: Record<string, string | string[] | undefined>): Context {
  return enabled ? propagation.extract(context.active(), headers) : context.active();
}

/** Writes the active span's `traceparent` into outgoing request headers. */
export function injectTraceHeaders(headers: Record<string, string>, from: Context = context.active()): void {
  if (enabled) propagation.inject(from, headers);
}

/** Starts a span under `parent` (the active context by default); a non-recording span when off. */
export function startSpan(name: string, kind: SpanKind, attributes: Record<string, string | number> = {}, parent: Context = context.active()): Span {
  return trace.getTracer(TRACER_NAME).startSpan(name, { kind, attributes }, parent);
}

/** Runs `fn` with `span` active, so spans and headers made inside it are its children. */
export function withSpan<T>(span: Span, fn: () => T, parent: Context = context.active()): T {
  return enabled ? context.with(trace.setSpan(parent, span), fn) : fn();
}

/** Runs `work` inside a span that ends with it, marking a thrown error on the span. */
export async function traced<T>(name: string, kind: SpanKind, attributes: Record<string, string | number>, work: () => Promise<T>): Promise<T> {
  if (!enabled) return work();
  return inSpan(startSpan(name, kind, attributes), context.active(), work);
}

/** Runs `work` with `span` active under `parent`, marks a thrown error on it and ends it. */
async function inSpan<T>(span: Span, parent: Context, work: () => Promise<T>): Promise<T> {
  try {
    return await withSpan(span, work, parent);
  } catch (error) {
    markFailed(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** The active span as a W3C `traceparent`, to continue its trace later (e.g. in a job); null when off. */
export function currentTraceParent(): string | null {
  if (!enabled) return null;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? null;
}

/**
 * Runs `work` in a span that belongs to the trace `traceParent` names: as its child, or (`link`)
 * as the root of a new trace that links to it, for work that repeats too often to sit in one trace.
 * Without a traceParent the span is a root, as any work outside a request.
 */
export async function tracedFrom<T>(
  traceParent: string | null,
  relation: 'child' | 'link',
  name: string,
  attributes: Record<string, string | number>,
  work: () => Promise<T>,
): Promise<T> {
  if (!enabled) return work();
  const origin = traceParent ? trace.getSpanContext(propagation.extract(ROOT_CONTEXT, { traceparent: traceParent })) : undefined;
  const parent = origin && relation === 'child' ? trace.setSpanContext(ROOT_CONTEXT, origin) : ROOT_CONTEXT;
  const span = trace.getTracer(TRACER_NAME).startSpan(name, { kind: SpanKind.INTERNAL, attributes, links: origin && relation === 'link' ? [{ context: origin }] : [] }, parent);
  return inSpan(span, parent, work);
}

/** Records an error on a span. */
export function markFailed(span: Span, error: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/** The active trace id, for log lines; undefined when tracing is off or no span is active. */
export function currentTraceId(): string | undefined {
  if (!enabled) return undefined;
  const spanContext = trace.getSpan(context.active())?.spanContext();
  return spanContext && trace.isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

export { SpanKind, type Span };
