import { Readable } from 'node:stream';
import type { ApolloServer } from '@apollo/server';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ErrorCode } from '../platform/errors';
import type { Logger } from '../platform/logger';
import { exportKindOf, parseSince } from '../platform/export/export-kinds';
import { CONTENT_TYPES, type ExportFormat, type GraphqlExecutor, exportChunks } from '../platform/export/exporter';
import { unauthenticatedBody } from './auth';
import type { GatewayContext } from './context';
import type { RateLimiter } from './rate-limit';

/** What the export endpoint runs on: the gateway's own Apollo server and its authentication hook. */
export interface ExportRouteDeps {
  server: ApolloServer<GatewayContext>;
  authenticate: (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;
  logger: Logger;
  /** The same per-token window as /graphql: an export counts as one request. */
  rateLimiter: RateLimiter;
  /** Exports one token subject may run at once (EXPORT_MAX_CONCURRENT). */
  maxConcurrent: number;
}

/**
 * `GET /export/{customers|orders|invoices}.{csv|ndjson}[?since=DATE]`: the bulk export as a
 * chunked download, the same rows and columns as `npm run export`. Pages run through the
 * gateway's own schema execution (query plan, subgraph fetches, field rules) with the caller's
 * principal, so an export can see exactly what its token can query. It needs a valid JWT (401
 * otherwise), counts against the token's rate limit like a /graphql request, and a token runs at
 * most `maxConcurrent` exports at once (429 RATE_LIMITED beyond), since each holds pages in flight.
 */
export function registerExportRoutes(app: FastifyInstance, deps: ExportRouteDeps): void {
  // Running exports per token subject, for this gateway process.
  const running = new Map<string, number>();
  app.get<{ Params: { file: string }; Querystring: { since?: string } }>('/export/:file', { onRequest: deps.authenticate }, async (req, reply) => {
    const principal = req.principal;
    // The hook lets a browser's tokenless GET through (for the GraphQL landing page); an export never goes without a token.
    if (!principal) return reply.code(401).header('www-authenticate', 'Bearer').send(unauthenticatedBody('authentication required: send Authorization: Bearer <token>'));
    const match = /^([a-z]+)\.(csv|ndjson)$/.exec(req.params.file);
    if (!match) throw new AppError(ErrorCode.BAD_USER_INPUT, 'export one of customers, orders, invoices as .csv or .ndjson, e.g. /export/orders.csv', { field: 'file' });
    const kind = exportKindOf(match[1]);
    const format = match[2] as ExportFormat;
    parseSince(kind, req.query.since);

    const subject = `${principal.role}:${principal.sub}`;
    const decision = await deps.rateLimiter.hit(subject);
    if (!decision.allowed) {
      return reply
        .code(429)
        .header('retry-after', String(decision.retryAfterSeconds))
        .send({ errors: [{ message: `rate limit exceeded; retry in ${decision.retryAfterSeconds} s`, extensions: { code: ErrorCode.RATE_LIMITED } }] });
    }
    const active = running.get(subject) ?? 0;
    if (active >= deps.maxConcurrent) {
      return reply
        .code(429)
        .header('retry-after', '5')
        .send({ errors: [{ message: `${deps.maxConcurrent} exports are already running for this token; retry when one has finished`, extensions: { code: ErrorCode.RATE_LIMITED, limit: 'concurrentExports' } }] });
    }
    running.set(subject, active + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const left = (running.get(subject) ?? 1) - 1;
      if (left > 0) running.set(subject, left);
      else running.delete(subject);
    };
    // Finished, failed or abandoned by the client: the slot is free again.
    reply.raw.once('close', release);

    const execute: GraphqlExecutor = async (query, variables) => {
      const response = await deps.server.executeOperation({ query, variables }, { contextValue: { principal, requestId: req.id } });
      if (response.body.kind !== 'single') throw new AppError(ErrorCode.INTERNAL_SERVER_ERROR, 'an export page answered incrementally');
      return response.body.singleResult as { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
    };
    const body = Readable.from(exportChunks(execute, { kind, format, since: req.query.since }));
    body.on('error', (error) => deps.logger.warn({ err: error, kind }, 'export stopped mid-stream'));
    return reply
      .header('content-type', CONTENT_TYPES[format])
      .header('content-disposition', `attachment; filename="${kind}.${format}"`)
      .header('cache-control', 'no-store')
      .send(body);
  });
}
