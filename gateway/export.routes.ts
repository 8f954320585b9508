import { Readable } from 'node:stream';
import type { ApolloServer } from '@apollo/server';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ErrorCode } from '../platform/errors';
import type { Logger } from '../platform/logger';
import { exportKindOf, parseSince } from '../subgraphs/integration/transfer/export/export-kinds';
import { CONTENT_TYPES, type GraphqlExecutor, exportChunks } from '../subgraphs/integration/transfer/export/exporter';
import type { TransferFormat } from '../subgraphs/integration/transfer/import/row-source';
import { unauthenticatedBody } from './auth';
import type { GatewayContext } from './context';

/** What the export endpoint runs on: the gateway's own Apollo server and its authentication hook. */
export interface ExportRouteDeps {
  server: ApolloServer<GatewayContext>;
  authenticate: (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;
  logger: Logger;
}

/**
 * `GET /export/{customers|orders|invoices}.{csv|ndjson}[?since=DATE]`: the bulk export as a
 * chunked download, the same rows and columns as `npm run export`. Pages run through the
 * gateway's own schema execution (query plan, subgraph fetches, field rules) with the caller's
 * principal, so an export can see exactly what its token can query. It needs a valid JWT (401
 * otherwise); when role checks arrive, this is where export becomes admin-only.
 */
export function registerExportRoutes(app: FastifyInstance, deps: ExportRouteDeps): void {
  app.get<{ Params: { file: string }; Querystring: { since?: string } }>('/export/:file', { onRequest: deps.authenticate }, async (req, reply) => {
    const principal = req.principal;
    // The hook lets a browser's tokenless GET through (for the GraphQL landing page); an export never goes without a token.
    if (!principal) return reply.code(401).header('www-authenticate', 'Bearer').send(unauthenticatedBody('authentication required: send Authorization: Bearer <token>'));
    const match = /^([a-z]+)\.(csv|ndjson)$/.exec(req.params.file);
    if (!match) throw new AppError(ErrorCode.BAD_USER_INPUT, 'export one of customers, orders, invoices as .csv or .ndjson, e.g. /export/orders.csv', { field: 'file' });
    const kind = exportKindOf(match[1]);
    const format = match[2] as TransferFormat;
    parseSince(kind, req.query.since);

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
