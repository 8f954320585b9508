import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decodeJwt } from 'jose';
import { type LiveMessage, type LiveRequest, type LiveSubscriptions, resultJson } from './live-subscriptions';

/** How often an idle stream sends a comment so proxies keep it open. */
const KEEP_ALIVE_MS = 15_000;

/** True for a request that asks for an event stream (the graphql-sse protocol). */
export function wantsEventStream(req: FastifyRequest): boolean {
  return /text\/event-stream/.test(req.headers.accept ?? '');
}

/**
 * Serves subscriptions over Server-Sent Events on the GraphQL path (the graphql-sse protocol's
 * "distinct connections" mode: one request per subscription, POST with the GraphQL request as JSON
 * or GET with it in the query string). Each event is `id: <event id>`, `event: next`, the result as
 * data; the stream ends with `event: complete`. A client resumes with `Last-Event-ID`.
 * Authentication and the per-token rate limit ran in the gateway's onRequest hook already; this
 * runs before the query-authorization hook, which is for operations Apollo executes.
 */
export function registerEventStream(app: FastifyInstance, path: string, live: LiveSubscriptions): void {
  app.addHook('preValidation', async (req, reply) => {
    if (req.url.split('?', 1)[0] !== path || !wantsEventStream(req) || !req.principal) return undefined;
    if (req.method !== 'POST' && req.method !== 'GET') return undefined;
    return serve(req, reply, live);
  });
}

async function serve(req: FastifyRequest, reply: FastifyReply, live: LiveSubscriptions): Promise<FastifyReply> {
  const params = readRequest(req);
  const lastEventIdHeader = req.headers['last-event-id'];
  const lastEventId = (Array.isArray(lastEventIdHeader) ? lastEventIdHeader[0] : lastEventIdHeader)?.trim() || undefined;
  const opened = params
    ? await live.subscribe({ principal: req.principal!, expiresAt: tokenExpiry(req.headers.authorization), requestId: req.id }, params, lastEventId)
    : { errors: [{ message: 'send a GraphQL request: {"query": "subscription { … }"}', extensions: { code: 'BAD_USER_INPUT' } }] };

  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': req.id,
  });
  if ('errors' in opened) {
    res.write(frame({ eventId: null, result: { errors: opened.errors.map((error) => ('toJSON' in error ? error.toJSON() : error)) } }));
    res.end('event: complete\ndata:\n\n');
    return reply;
  }
  const stream = opened;
  const keepAlive = setInterval(() => res.write(':\n\n'), KEEP_ALIVE_MS);
  const stop = () => {
    clearInterval(keepAlive);
    void stream.return();
  };
  res.on('close', stop);
  // The stream is written from here on; the hook returns so Fastify holds nothing for it.
  void (async () => {
    try {
      for await (const message of stream) {
        if (res.destroyed) break;
        if (!res.write(frame(message))) await new Promise((resolve) => {
          res.once('drain', resolve);
          res.once('close', resolve);
        });
      }
      if (!res.writableEnded) res.end('event: complete\ndata:\n\n');
    } catch {
      res.destroy();
    } finally {
      clearInterval(keepAlive);
    }
  })();
  return reply;
}

// A message is shared by every subscriber of its group (live-subscriptions.ts): its frame is made once for all.
const frames = new WeakMap<LiveMessage, string>();

function frame(message: LiveMessage): string {
  let text = frames.get(message);
  if (text === undefined) {
    text = `${message.eventId ? `id: ${message.eventId}\n` : ''}event: next\ndata: ${resultJson(message)}\n\n`;
    frames.set(message, text);
  }
  return text;
}

function readRequest(req: FastifyRequest): LiveRequest | null {
  let raw: Record<string, unknown>;
  if (req.method === 'GET') {
    const search = new URL(req.url, 'http://gateway.invalid').searchParams;
    let variables: unknown;
    try {
      variables = search.has('variables') ? JSON.parse(search.get('variables') as string) : undefined;
    } catch {
      return null;
    }
    raw = { query: search.get('query') ?? undefined, operationName: search.get('operationName') ?? undefined, variables };
  } else {
    raw = (req.body ?? {}) as Record<string, unknown>;
  }
  if (typeof raw !== 'object' || raw === null || typeof raw.query !== 'string') return null;
  const variables = raw.variables;
  if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) return null;
  return {
    query: raw.query,
    operationName: typeof raw.operationName === 'string' ? raw.operationName : undefined,
    variables: (variables as Record<string, unknown> | undefined) ?? undefined,
  };
}

/** The `exp` of a bearer token that was verified already; undefined when it has none. */
export function tokenExpiry(authorization: string | string[] | undefined): number | undefined {
  const value = Array.isArray(authorization) ? authorization[0] : authorization;
  const token = value?.replace(/^Bearer\s+/i, '').trim();
  if (!token) return undefined;
  try {
    const exp = decodeJwt(token).exp;
    return typeof exp === 'number' ? exp : undefined;
  } catch {
    return undefined;
  }
}
