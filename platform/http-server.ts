import { createServer } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { type DependencySource, type DependencyState, checkDependencies, registerDependencyGauge } from './dependency-health';
import type { Logger } from './logger';
import type { ServiceMetrics } from './metrics';
import { AppError, ErrorCode, httpStatusOf, isAppError } from './errors';
import { REQUEST_BUDGET_HEADER, REQUEST_ID_HEADER, deadlineFrom, requestIdFrom, runWithRequestContext } from './request-context';
import { SERVICE_TOKEN_HEADER, serviceTokenVerifier } from './service-auth';
import { type Span, SpanKind, contextFromHeaders, markFailed, startSpan, tracingEnabled, withSpan } from './tracing';

/** What every HTTP service is built from. */
export interface HttpServiceOptions {
  service: string;
  logger: Logger;
  metrics: ServiceMetrics;
  /**
   * Resolves when this service can answer: its own configuration, schema and state are loaded.
   * Never another service (those are `dependencies`): a backend outage must leave the service
   * answering partially, not take it out of its load balancer. Drives `/ready`.
   */
  ready: () => Promise<void>;
  /** What `/ready` adds to its answer, e.g. a shared store the service runs without for now. */
  readyDetails?: () => Record<string, unknown>;
  /** What it needs from others to answer in full: reported on `/health/dependencies` and as `dependency_up`. */
  dependencies?: DependencySource;
  /** When set, every route but the open ones requires a valid `x-service-token`. */
  internalSecret?: string;
  /** Routes reachable without the internal credential besides /health, /ready, /health/dependencies, /metrics. */
  openRoutes?: string[];
  /** Largest accepted request body in bytes; default 1 MiB. */
  bodyLimit?: number;
}

const DEPENDENCIES_PATH = '/health/dependencies';
const ALWAYS_OPEN = ['/health', '/ready', DEPENDENCIES_PATH, '/metrics'];

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's server span while tracing is on. */
    traceSpan?: Span;
  }
  interface FastifyInstance {
    /** The service's metrics, served on `/metrics` or on a private port (see `listen`). */
    serviceMetrics: ServiceMetrics;
    /** Checks the service's dependencies: the answer of `/health/dependencies`. */
    dependencyReport(): Promise<DependencyReport>;
    /** True once `/metrics` and `/health/dependencies` moved to a private port: the public port then answers 404 there. */
    operationsOnPrivatePort: boolean;
  }
}

/**
 * Builds a Fastify app with what every service shares: request ids carried into the async
 * context, `/health` (alive: the process answers), `/ready` (it can serve: `ready`),
 * `/health/dependencies` (what it needs from others, each up or down), `/metrics`, the
 * internal-credential guard and coded JSON errors. It never listens; `main.ts` does.
 */
export function createHttpService(options: HttpServiceOptions): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    genReqId: (req) => requestIdFrom(req.headers[REQUEST_ID_HEADER]),
  });
  const open = new Set([...ALWAYS_OPEN, ...(options.openRoutes ?? [])]);
  const verifyCaller = options.internalSecret ? serviceTokenVerifier(options.internalSecret) : undefined;

  app.decorateRequest('traceSpan', undefined);
  // Every handler runs inside the request's context (and its server span, when tracing is on) so
  // loggers and outgoing calls see its id and carry its trace on.
  app.addHook('onRequest', (req, reply, done) => {
    reply.header(REQUEST_ID_HEADER, req.id);
    const parent = contextFromHeaders(req.headers);
    if (tracingEnabled()) {
      req.traceSpan = startSpan(`${req.method} ${req.routeOptions.url ?? 'unmatched'}`, SpanKind.SERVER, { 'http.request.method': req.method, 'url.path': req.url.split('?', 1)[0] }, parent);
    }
    const run = () => runWithRequestContext({ requestId: req.id, deadlineAt: deadlineFrom(req.headers[REQUEST_BUDGET_HEADER]) }, () => {
      const path = req.url.split('?', 1)[0];
      if (verifyCaller && !open.has(path)) {
        const caller = verifyCaller(headerValue(req.headers[SERVICE_TOKEN_HEADER]));
        if (!caller) {
          void reply.code(401).send({ error: { code: ErrorCode.UNAUTHENTICATED, message: 'internal credential required' } });
          return;
        }
      }
      done();
    });
    if (req.traceSpan) withSpan(req.traceSpan, run, parent);
    else run();
  });

  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    options.metrics.httpRequests.inc({ method: req.method, route, status: String(status) });
    options.metrics.httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
    const span = req.traceSpan;
    if (span) {
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) markFailed(span, new Error(`answered ${status}`));
      span.end();
    }
    // The access log: one line per request. Probes and scrapes, every few seconds, go to debug.
    const line = { method: req.method, route, status, durationMs: Math.round(reply.elapsedTime * 10) / 10, requestId: req.id, traceId: span?.spanContext().traceId };
    if (ALWAYS_OPEN.includes(route)) options.logger.debug(line, 'request');
    else options.logger.info(line, 'request');
    done();
  });

  app.setErrorHandler((error: unknown, req: FastifyRequest, reply: FastifyReply) => {
    if (isAppError(error)) {
      return reply.code(httpStatusOf(error.code)).send({ error: { code: error.code, message: error.message, details: error.details } });
    }
    const fastifyError = error as { statusCode?: number; validation?: unknown; code?: string; message?: string };
    if (fastifyError.validation || (fastifyError.statusCode && fastifyError.statusCode < 500)) {
      const status = fastifyError.statusCode ?? 400;
      const code = status === 413 ? ErrorCode.BAD_USER_INPUT : status === 404 ? ErrorCode.NOT_FOUND : ErrorCode.BAD_USER_INPUT;
      return reply.code(status).send({ error: { code, message: fastifyError.message ?? 'bad request' } });
    }
    options.logger.error({ err: error, requestId: req.id, url: req.url }, 'unhandled error');
    return reply.code(500).send({ error: { code: ErrorCode.INTERNAL_SERVER_ERROR, message: 'internal error' } });
  });

  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: { code: ErrorCode.NOT_FOUND, message: `no route ${req.method} ${req.url.split('?', 1)[0]}` } });
  });

  app.get('/health', async () => ({ status: 'ok', service: options.service }));
  app.get('/ready', async (_req, reply) => {
    try {
      await options.ready();
      return { status: 'ready', service: options.service, ...options.readyDetails?.() };
    } catch (error) {
      return reply.code(503).send({ status: 'unavailable', service: options.service, reason: (error as Error).message });
    }
  });
  const dependencies = options.dependencies ?? {};
  if (options.dependencies) registerDependencyGauge(options.metrics, dependencies);
  app.decorate('serviceMetrics', options.metrics);
  app.decorate('dependencyReport', () => dependencyReport(options.service, dependencies));
  app.decorate('operationsOnPrivatePort', false);
  app.get(DEPENDENCIES_PATH, async (_req, reply) => {
    if (app.operationsOnPrivatePort) return reply.callNotFound();
    const report = await app.dependencyReport();
    return reply.code(report.status === 'up' ? 200 : 503).send(report);
  });
  app.get('/metrics', async (req, reply) => {
    if (app.operationsOnPrivatePort) return reply.callNotFound();
    reply.header('content-type', options.metrics.registry.contentType);
    return options.metrics.registry.metrics();
  });
  return app;
}

/** Throws BAD_USER_INPUT unless `value` is present. */
export function required<T>(value: T | undefined | null, name: string): T {
  if (value === undefined || value === null || value === '') throw new AppError(ErrorCode.BAD_USER_INPUT, `${name} is required`);
  return value;
}

/** The answer of /health/dependencies: every dependency as just checked; `degraded` (503) when one is down. */
export interface DependencyReport {
  status: 'up' | 'degraded';
  service: string;
  dependencies: Record<string, DependencyState>;
}

async function dependencyReport(service: string, dependencies: DependencySource): Promise<DependencyReport> {
  const states = await checkDependencies(dependencies);
  return { status: Object.values(states).every((s) => s.up) ? ('up' as const) : ('degraded' as const), service, dependencies: states };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Listens on `port` (0 for a free one) and returns the bound port. With `metricsPort`, `/metrics`
 * and `/health/dependencies` are served only there, so the port a load balancer or Ingress
 * exposes never shows the service's internals; scrapers and operators reach the private port on the pod.
 */
export async function listen(app: FastifyInstance, port: number, host = '127.0.0.1', options: { metricsPort?: number } = {}): Promise<number> {
  if (options.metricsPort !== undefined) {
    const operationsServer = createServer((req, res) => {
      const path = req.url?.split('?', 1)[0];
      const answer = (status: number, type: string, body: string) => res.writeHead(status, { 'content-type': type }).end(body);
      if (req.method === 'GET' && path === '/metrics') {
        app.serviceMetrics.registry.metrics().then((text) => answer(200, app.serviceMetrics.registry.contentType, text), () => res.writeHead(500).end());
        return;
      }
      if (req.method === 'GET' && path === DEPENDENCIES_PATH) {
        app.dependencyReport().then((report) => answer(report.status === 'up' ? 200 : 503, 'application/json', JSON.stringify(report)), () => res.writeHead(500).end());
        return;
      }
      answer(404, 'application/json', JSON.stringify({ error: { code: ErrorCode.NOT_FOUND, message: `only GET /metrics and ${DEPENDENCIES_PATH} here` } }));
    });
    await new Promise<void>((resolve, reject) => {
      operationsServer.once('error', reject);
      operationsServer.listen(options.metricsPort, host, () => resolve());
    });
    app.operationsOnPrivatePort = true;
    app.addHook('onClose', (_instance, done) => { operationsServer.close(() => done()); });
  }
  await app.listen({ port, host });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('server has no TCP address');
  return address.port;
}
