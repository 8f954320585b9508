import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { ErrorCode } from '../platform/errors';
import type { Logger } from '../platform/logger';

/** One balanced service: the port clients use and the instances behind it. */
export interface BalancedService {
  /** The service's name, for logs and the status page (e.g. "gateway"). */
  name: string;
  /** Base URLs of its instances, e.g. http://127.0.0.1:4610. */
  targets: string[];
}

/** How the balancer watches its instances. */
export interface LoadBalancerOptions {
  service: BalancedService;
  logger: Logger;
  /** The path each instance answers 200 on when it takes requests; default /ready. */
  healthPath?: string;
  /** How often every instance's health path is asked; default 500 ms. */
  healthIntervalMs?: number;
  /** How long a health check may take before the instance counts as down; default 1000 ms. */
  healthTimeoutMs?: number;
}

/** What the balancer knows of one instance (GET /balancer/status answers a list of these). */
export interface TargetStatus {
  url: string;
  /** False from a failed health check or connection until a health check passes again. */
  healthy: boolean;
  /** Requests answered by this instance. */
  answered: number;
  /** Requests sent elsewhere after this instance refused the connection or reset it. */
  retriedElsewhere: number;
  /** Requests that failed here and could not be sent again (502 to the client). */
  failed: number;
}

/** A running balancer: an HTTP server that does not listen yet, and its health checks. */
export interface LoadBalancer {
  server: http.Server;
  status(): TargetStatus[];
  /** Asks every instance's health path now (the timer does so every healthIntervalMs). */
  checkHealth(): Promise<void>;
  close(): Promise<void>;
}

/** The balancer's own page; every other path goes to an instance. */
export const BALANCER_STATUS_PATH = '/balancer/status';

/**
 * Bodies up to this size are read before forwarding so the request can be sent again to another
 * instance; larger or unsized ones (uploads) stream through and are never retried.
 */
const RETRYABLE_BODY_BYTES = 1024 * 1024;

/** HTTP methods the HTTP semantics call idempotent: sending one twice has the effect of once. */
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** Errors of a connection that never opened: the request did not leave, any request may go elsewhere. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/** Headers about one hop's connection, which a proxy must not pass on (RFC 9110 §7.6.1). */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'];

/**
 * A round-robin HTTP reverse proxy over the instances of one service, aware of their health:
 * instances whose health path does not answer 200 are skipped until it does (all are tried when
 * none is healthy). Retries: a request whose connection was refused (the instance is gone or not
 * yet listening) goes to the next instance whatever its method, since nothing was sent; a request
 * that was sent and then lost (connection reset, no answer) goes again only when its method is
 * idempotent (GET, HEAD, OPTIONS, PUT, DELETE) and its body was read first (at most 1 MiB).
 * Everything else (a POST in flight when its instance died: a GraphQL mutation or query) is
 * answered 502 with code UPSTREAM_UNAVAILABLE, and the client decides. Responses stream through;
 * WebSocket upgrades are piped to one instance. Each try waits for no timeout of its own: the
 * instances bound their work.
 */
export function createLoadBalancer(options: LoadBalancerOptions): LoadBalancer {
  const { service, logger } = options;
  const healthPath = options.healthPath ?? '/ready';
  const healthTimeoutMs = options.healthTimeoutMs ?? 1000;
  const targets: TargetStatus[] = service.targets.map((url) => ({ url, healthy: true, answered: 0, retriedElsewhere: 0, failed: 0 }));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  let next = 0;

  /** The instances to try for one request, in order: healthy ones from the round-robin position first. */
  const order = (): TargetStatus[] => {
    const start = next++ % targets.length;
    const rotated = [...targets.slice(start), ...targets.slice(0, start)];
    const healthy = rotated.filter((target) => target.healthy);
    return healthy.length > 0 ? [...healthy, ...rotated.filter((target) => !target.healthy)] : rotated;
  };

  const markDown = (target: TargetStatus, reason: string) => {
    if (target.healthy) logger.warn({ service: service.name, target: target.url, reason }, 'instance taken out of rotation');
    target.healthy = false;
  };

  const check = async (target: TargetStatus) => {
    const healthy = await fetch(new URL(healthPath, target.url), { signal: AbortSignal.timeout(healthTimeoutMs) }).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy && !target.healthy) logger.info({ service: service.name, target: target.url }, 'instance back in rotation');
    if (!healthy) markDown(target, `${healthPath} did not answer 200`);
    target.healthy = healthy;
  };
  const checkHealth = async () => {
    await Promise.all(targets.map(check));
  };
  let checking = false;
  const healthTimer = setInterval(() => {
    if (checking) return;
    checking = true;
    void checkHealth().finally(() => (checking = false));
  }, options.healthIntervalMs ?? 500);
  healthTimer.unref();

  const headersFor = (request: http.IncomingMessage, body: Buffer | null): http.OutgoingHttpHeaders => {
    const headers: http.OutgoingHttpHeaders = { ...request.headers };
    for (const name of HOP_BY_HOP) delete headers[name];
    headers['x-forwarded-for'] = [request.headers['x-forwarded-for'], request.socket.remoteAddress].filter(Boolean).join(', ');
    if (body) headers['content-length'] = String(body.length);
    return headers;
  };

  const fail = (response: http.ServerResponse, message: string) => {
    if (response.headersSent) {
      response.destroy();
      return;
    }
    response.writeHead(502, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: { code: ErrorCode.UPSTREAM_UNAVAILABLE, message } }));
  };

  /** Sends the request to `candidates[0]`, and on to the next ones as the retry rules allow. */
  const forward = (request: http.IncomingMessage, response: http.ServerResponse, body: Buffer | null, candidates: TargetStatus[]) => {
    const [target, ...rest] = candidates;
    const url = new URL(request.url ?? '/', target.url);
    const upstream = http.request(url, { method: request.method, headers: headersFor(request, body), agent });
    let connected = false;
    upstream.on('socket', (socket) => {
      if (!(socket as net.Socket).connecting) connected = true;
      else socket.once('connect', () => (connected = true));
    });
    upstream.on('response', (answer) => {
      target.answered++;
      response.writeHead(answer.statusCode ?? 502, answer.statusMessage, stripHopByHop(answer.headers));
      answer.pipe(response);
      answer.on('error', () => response.destroy());
    });
    // A client that goes away takes its request with it; that says nothing about the instance.
    let abandoned = false;
    response.on('close', () => {
      if (response.writableFinished) return;
      abandoned = true;
      upstream.destroy();
    });
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (abandoned) return;
      const neverSent = !connected && NOT_CONNECTED.has(error.code ?? '');
      markDown(target, error.code ?? error.message);
      const again = rest.length > 0 && !response.headersSent && (neverSent || (body !== null && IDEMPOTENT_METHODS.has(request.method ?? '')));
      if (again) {
        target.retriedElsewhere++;
        forward(request, response, body, rest);
        return;
      }
      target.failed++;
      logger.warn({ service: service.name, target: target.url, method: request.method, path: url.pathname, reason: error.code ?? error.message }, 'request lost with its instance');
      fail(response, `${service.name} instance ${target.url} failed: ${error.code ?? error.message}`);
    });
    if (body) upstream.end(body);
    else request.pipe(upstream);
  };

  const server = http.createServer((request, response) => {
    if (request.url === BALANCER_STATUS_PATH && request.method === 'GET') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ service: service.name, targets }));
      return;
    }
    const length = Number(request.headers['content-length'] ?? (request.headers['transfer-encoding'] ? NaN : 0));
    if (!(length <= RETRYABLE_BODY_BYTES)) {
      forward(request, response, null, order());
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => forward(request, response, Buffer.concat(chunks), order()));
    request.on('error', () => response.destroy());
  });

  server.on('upgrade', (request: http.IncomingMessage, client: Duplex, head: Buffer) => {
    const target = order()[0];
    const { hostname, port } = new URL(target.url);
    const upstream = net.connect({ host: hostname, port: Number(port) }, () => {
      const lines = [`${request.method} ${request.url} HTTP/1.1`];
      for (let i = 0; i < request.rawHeaders.length; i += 2) lines.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      markDown(target, error.code ?? error.message);
    });
    // Either side closing closes the other: a socket left open would outlive its peer.
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.on('error', () => upstream.destroy());
  });

  return {
    server,
    status: () => targets.map((target) => ({ ...target })),
    checkHealth,
    async close() {
      clearInterval(healthTimer);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Idle keep-alive connections would hold close() open.
      server.closeIdleConnections();
      await closed;
      agent.destroy();
    },
  };
}

function stripHopByHop(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const copy: http.OutgoingHttpHeaders = { ...headers };
  for (const name of HOP_BY_HOP) delete copy[name];
  return copy;
}
