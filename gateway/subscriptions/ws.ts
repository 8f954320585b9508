import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { type ExecutionArgs, GraphQLError, type GraphQLSchema, parse } from 'graphql';
import { CloseCode, type Context } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { decodeJwt } from 'jose';
import { type WebSocket, WebSocketServer } from 'ws';
import { ErrorCode } from '../../platform/errors';
import { type Principal, type TokenVerifier, AuthenticationError, bearerToken } from '../auth';
import type { RateLimiter } from '../rate-limit';
import { type LiveStream, type LiveSubscriptions, resultJson } from './live-subscriptions';

/** The WebSocket subprotocol of graphql-ws. */
export const GRAPHQL_TRANSPORT_WS = 'graphql-transport-ws';

/** What the WebSocket transport needs. */
export interface WebSocketTransportOptions {
  path: string;
  live: LiveSubscriptions;
  schema: GraphQLSchema;
  verify: TokenVerifier;
  rateLimiter: RateLimiter;
  /** Subscriptions one connection may hold at once. */
  maxPerConnection: number;
  /** Largest message a client may send, in bytes. */
  maxPayloadBytes: number;
}

/** What a connection carries once its connection_init was accepted. */
interface ConnectionState {
  principal?: Principal;
  expiresAt?: number;
  lastEventId?: string;
  streams: Map<string, LiveStream>;
  expiry?: NodeJS.Timeout;
}

/**
 * Serves subscriptions over WebSocket (the graphql-transport-ws protocol of graphql-ws) on the
 * GraphQL path. Browsers cannot set headers on a WebSocket, so the token comes in the
 * connection_init payload (`{"authorization": "Bearer …"}`); `lastEventId` there resumes every
 * subscription of the connection after that event. The token's expiry closes the connection
 * (4403) after each stream got a coded UNAUTHENTICATED error.
 */
export function registerWebSocketTransport(app: FastifyInstance, options: WebSocketTransportOptions): () => Promise<void> {
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes, handleProtocols: (protocols) => (protocols.has(GRAPHQL_TRANSPORT_WS) ? GRAPHQL_TRANSPORT_WS : false) });
  const states = new WeakMap<object, ConnectionState>();
  const stateOf = (ctx: Context): ConnectionState => {
    let state = states.get(ctx);
    if (!state) states.set(ctx, (state = { streams: new Map() }));
    return state;
  };

  const server = useServer<Record<string, unknown> | undefined>(
    {
      schema: options.schema,
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const header = typeof params.authorization === 'string' ? params.authorization : typeof params.Authorization === 'string' ? params.Authorization : undefined;
        let token: string | null;
        try {
          token = bearerToken(header);
        } catch {
          return false;
        }
        if (!token) return false;
        let principal: Principal;
        try {
          principal = await options.verify(token);
        } catch (error) {
          if (error instanceof AuthenticationError) return false;
          throw error;
        }
        const state = stateOf(ctx);
        state.principal = principal;
        const exp = decodeJwt(token).exp;
        state.expiresAt = typeof exp === 'number' ? exp : undefined;
        if (typeof params.lastEventId === 'string' && params.lastEventId !== '') state.lastEventId = params.lastEventId;
        if (state.expiresAt !== undefined) {
          state.expiry = setTimeout(() => ctx.extra.socket.close(CloseCode.Forbidden, 'token expired'), Math.max(0, state.expiresAt * 1000 - Date.now() + 50));
          state.expiry.unref();
        }
        return true;
      },
      onSubscribe: async (ctx, id, payload) => {
        const state = stateOf(ctx);
        if (!state.principal) return [new GraphQLError('connection not initialised', { extensions: { code: ErrorCode.UNAUTHENTICATED } })];
        if (state.streams.size >= options.maxPerConnection) {
          return [new GraphQLError(`a connection may hold ${options.maxPerConnection} subscriptions at most`, { extensions: { code: ErrorCode.RATE_LIMITED } })];
        }
        const decision = await options.rateLimiter.hit(`${state.principal.role}:${state.principal.sub}`);
        if (!decision.allowed) return [new GraphQLError(`rate limit exceeded; retry in ${decision.retryAfterSeconds} s`, { extensions: { code: ErrorCode.RATE_LIMITED } })];
        const opened = await options.live.subscribe(
          { principal: state.principal, expiresAt: state.expiresAt, requestId: `ws-${id}` },
          { query: payload.query, operationName: payload.operationName, variables: payload.variables ?? undefined },
          typeof payload.extensions?.lastEventId === 'string' ? payload.extensions.lastEventId : state.lastEventId,
        );
        if ('errors' in opened) return opened.errors;
        state.streams.set(id, opened);
        // graphql-ws runs `subscribe` with these arguments; the stream travels in the context value.
        const context: StreamContext = { stream: opened, socket: ctx.extra.socket, id };
        const args: ExecutionArgs = { schema: options.schema, document: parse(payload.query), operationName: payload.operationName, variableValues: payload.variables, contextValue: context };
        return args;
      },
      subscribe: (args) => writeResults(args.contextValue as StreamContext),
      onComplete: (ctx, id) => {
        const state = stateOf(ctx);
        const stream = state.streams.get(id);
        state.streams.delete(id);
        void stream?.return();
      },
      onClose: (ctx) => {
        const state = stateOf(ctx);
        if (state.expiry) clearTimeout(state.expiry);
        for (const stream of state.streams.values()) void stream.return();
        state.streams.clear();
      },
    },
    wss,
  );

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if ((req.url ?? '').split('?', 1)[0] !== options.path) return;
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  app.server.on('upgrade', onUpgrade);
  return async () => {
    app.server.off('upgrade', onUpgrade);
    for (const client of wss.clients) client.close(1001, 'gateway stopping');
    await server.dispose();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  };
}

/** What `subscribe` needs of a subscription: its stream, and where and under which id to write it. */
interface StreamContext {
  stream: LiveStream;
  socket: WebSocket;
  id: string;
}

// graphql-ws would encode each `next` message for each subscriber, although a message is shared by
// every subscriber of its group; so the gateway writes the `next` messages itself, around the
// result encoded once (resultJson), and yields nothing: graphql-ws sends `complete` when it ends.
// Each write waits for the socket to take it, as graphql-ws's own sends do.
async function* writeResults({ stream, socket, id }: StreamContext): AsyncGenerator<never> {
  const prefix = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
  try {
    for await (const message of stream) {
      if (socket.readyState !== socket.OPEN) break;
      await new Promise<void>((resolve, reject) => socket.send(`${prefix}${resultJson(message)}}`, (error) => (error ? reject(error) : resolve())));
    }
  } finally {
    await stream.return();
  }
}
