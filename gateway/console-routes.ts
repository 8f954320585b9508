import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpCrmConnector } from '../connectors/crm/http-crm.connector';
import { HttpErpConnector } from '../connectors/erp/http-erp.connector';
import { AppError, ErrorCode } from '../platform/errors';
import type { Logger } from '../platform/logger';
import { serviceTokenSigner } from '../platform/service-auth';
import { runImport } from '../subgraphs/integration/transfer/import/bulk-importer';
import { IMPORT_KINDS, type ImportKind } from '../subgraphs/integration/transfer/import/import-rows';
import type { TransferFormat } from '../subgraphs/integration/transfer/import/row-source';
import { unauthenticatedBody } from './auth';

/** Where the built console and explorer live (committed; `npm run console:build` refreshes them). */
export const CONSOLE_DIST = path.resolve(__dirname, '../console/dist');

/** What the console's routes need from the gateway. */
export interface ConsoleRouteDeps {
  /** The folder with index.html, explorer.html and assets/; default console/dist. */
  assetsDir?: string;
  /** Serve the API explorer at /explorer and send browsers asking /graphql for a page there. */
  explorer: boolean;
  authenticate: (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;
  /** The backends an import from the console writes to, with the service credential. */
  imports: { erpBackendUrl: string; crmBackendUrl: string; internalSecret: string; timeoutMs?: number };
  logger: Logger;
  /** Largest accepted upload; default 100 MiB. */
  maxUploadBytes?: number;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.map': 'application/json',
};

// Everything the pages load comes from this origin; React and CodeMirror set inline styles.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** Rejects files of console imports are kept this long for download. */
const REJECTS_KEPT_MS = 60 * 60 * 1000;

/**
 * The operations console (`/console`, a React app built by Vite into console/dist), the offline
 * API explorer (`/explorer`, GraphiQL from the same build) and the console's import upload
 * (`POST /import/{kind}.{csv|ndjson}`, admins only, progress streamed back as NDJSON; rejects
 * downloadable from `GET /import/rejects/{id}`). Pages and assets are public files; every call
 * they make carries the user's token and goes through the API's own rules.
 */
export function registerConsoleRoutes(app: FastifyInstance, deps: ConsoleRouteDeps): void {
  const root = deps.assetsDir ?? CONSOLE_DIST;
  const built = existsSync(path.join(root, 'index.html'));
  if (!built) deps.logger.warn({ root }, 'console assets are missing; run npm run console:build');

  const sendFile = (reply: FastifyReply, file: string) => {
    const extension = path.extname(file);
    const hashed = file.startsWith(path.join(root, 'assets') + path.sep);
    return reply
      .header('content-type', CONTENT_TYPES[extension] ?? 'application/octet-stream')
      .header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache')
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .send(createReadStream(file));
  };
  const page = (name: string) => async (_req: FastifyRequest, reply: FastifyReply) => {
    const file = path.join(root, name);
    if (!existsSync(file)) return reply.code(503).type('text/plain').send('the console is not built: run npm run console:build');
    return sendFile(reply, file);
  };

  app.get('/console', page('index.html'));
  app.get<{ Params: { '*': string } }>('/console/*', async (req, reply) => {
    const wanted = req.params['*'];
    const file = path.resolve(root, wanted);
    if (wanted.startsWith('assets/')) {
      if (!file.startsWith(root + path.sep) || !existsSync(file) || !statSync(file).isFile()) return reply.code(404).type('text/plain').send('not found');
      return sendFile(reply, file);
    }
    // Any other path is a page of the app (e.g. /console/flows/ID): the app routes it.
    return page('index.html')(req, reply);
  });

  if (deps.explorer) {
    app.get('/explorer', page('explorer.html'));
    // A browser opening the API's URL gets the explorer instead of a JSON error.
    app.addHook('onRequest', async (req, reply) => {
      if (req.method !== 'GET' || req.url.split('?', 1)[0] !== '/graphql' || req.headers.authorization) return undefined;
      // Only a page load, whose Accept leads with text/html; a client preferring JSON gets the API's answer.
      if (String(req.headers.accept ?? '').split(',', 1)[0].trim() !== 'text/html') return undefined;
      return reply.redirect('/explorer', 302);
    });
  }

  registerImportRoutes(app, deps);
}

interface KeptRejects {
  file: string;
  name: string;
  contentType: string;
  owner: string;
}

function registerImportRoutes(app: FastifyInstance, deps: ConsoleRouteDeps): void {
  const workDir = mkdtempSync(path.join(tmpdir(), 'console-imports-'));
  const kept = new Map<string, KeptRejects>();
  const serviceToken = serviceTokenSigner(deps.imports.internalSecret, 'console-import');
  const maxUploadBytes = deps.maxUploadBytes ?? 100 * 1024 * 1024;
  app.addHook('onClose', async () => rmSync(workDir, { recursive: true, force: true }));

  const admin = async (req: FastifyRequest, reply: FastifyReply) => {
    const refused = await deps.authenticate(req, reply);
    if (refused) return refused;
    if (!req.principal) return reply.code(401).header('www-authenticate', 'Bearer').send(unauthenticatedBody('authentication required: send Authorization: Bearer <token>'));
    if (req.principal.role !== 'admin') {
      return reply.code(403).send({ errors: [{ message: 'imports need the admin role', extensions: { code: ErrorCode.FORBIDDEN } }] });
    }
    return undefined;
  };

  void app.register(async (scope) => {
    // The upload is streamed to a file as it arrives, never held in memory.
    scope.addContentTypeParser('*', { bodyLimit: maxUploadBytes }, (_req, payload, done) => done(null, payload));
    scope.post<{ Params: { file: string } }>('/import/:file', { onRequest: admin, bodyLimit: maxUploadBytes }, async (req, reply) => {
      const match = /^([a-z]+)\.(csv|ndjson)$/.exec(req.params.file);
      if (!match || !IMPORT_KINDS.includes(match[1] as ImportKind)) {
        throw new AppError(ErrorCode.BAD_USER_INPUT, `import one of ${IMPORT_KINDS.join(', ')} as .csv or .ndjson, e.g. POST /import/customers.csv`, { field: 'file' });
      }
      const kind = match[1] as ImportKind;
      const format = match[2] as TransferFormat;
      const id = randomUUID();
      const dir = path.join(workDir, id);
      await mkdir(dir);
      const upload = path.join(dir, `${kind}.${format}`);
      await pipeline(req.body as NodeJS.ReadableStream, createWriteStream(upload));

      const crm = new HttpCrmConnector({ baseUrl: deps.imports.crmBackendUrl, serviceToken, timeoutMs: deps.imports.timeoutMs ?? 30_000 });
      const erp = new HttpErpConnector({ baseUrl: deps.imports.erpBackendUrl, serviceToken, timeoutMs: deps.imports.timeoutMs ?? 30_000 });
      reply.raw.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store', 'x-request-id': req.id });
      const send = (event: Record<string, unknown>) => reply.raw.write(`${JSON.stringify(event)}\n`);
      try {
        const summary = await runImport({ crm, erp }, { kind, file: upload, format, runId: `console-${id}`, onProgress: (p) => send({ type: 'progress', ...p }) });
        let rejectsUrl: string | null = null;
        if (summary.rejectsFile) {
          kept.set(id, { file: summary.rejectsFile, name: `${kind}.rejects.${format}`, contentType: format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8', owner: req.principal!.sub });
          rejectsUrl = `/import/rejects/${id}`;
          setTimeout(() => forget(id), REJECTS_KEPT_MS).unref();
        } else forget(id);
        const { file: _file, rejectsFile: _rejects, ...counts } = summary;
        send({ type: 'summary', ...counts, rejectsUrl });
      } catch (error) {
        deps.logger.warn({ err: error, kind }, 'console import failed');
        send({ type: 'failed', message: `import stopped: ${(error as Error).message}; rows written so far stay (importing the same file again is safe)` });
        forget(id);
      } finally {
        await Promise.all([crm.close(), erp.close()]);
        reply.raw.end();
      }
      return reply;
    });
  });

  const forget = (id: string) => {
    kept.delete(id);
    rmSync(path.join(workDir, id), { recursive: true, force: true });
  };

  app.get<{ Params: { id: string } }>('/import/rejects/:id', { onRequest: admin }, async (req, reply) => {
    const entry = kept.get(req.params.id);
    if (!entry || entry.owner !== req.principal!.sub) return reply.code(404).send({ errors: [{ message: 'no such rejects file (they are kept for an hour)', extensions: { code: ErrorCode.NOT_FOUND } }] });
    return reply
      .header('content-type', entry.contentType)
      .header('content-disposition', `attachment; filename="${entry.name}"`)
      .header('cache-control', 'no-store')
      .send(createReadStream(entry.file));
  });
}
