import { type IncomingMessage, type Server, type ServerResponse, createServer, request } from 'node:http';
import pg from 'pg';
import { startTrytond, trytonSettings, type TrytonSettings } from '../../../scripts/tryton/tryton-setup';
import { copyTrytonTestTemplate } from '../../../test-support/databases';

/**
 * Tryton suites run under `npm run test:tryton` (TRYTON_TESTS=1), which CI runs after installing
 * the Debian packages and building the template; a plain `npm test` skips them with this reason.
 */
export const TRYTON_TESTS_ENABLED = process.env.TRYTON_TESTS === '1';

export const describeTryton: jest.Describe = TRYTON_TESTS_ENABLED ? describe : describe.skip;

if (!TRYTON_TESTS_ENABLED) {
  console.warn('skipping Tryton suites: they need the Debian tryton packages and a template database; run them with `npm run test:tryton`');
}

/** A fresh copy of the test template and a trytond serving it. */
export interface TrytonTestDatabase {
  settings: TrytonSettings;
  database: string;
  url: string;
  dispose: () => Promise<void>;
}

export async function openTrytonTestDatabase(): Promise<TrytonTestDatabase> {
  const settings = trytonSettings();
  const copy = await copyTrytonTestTemplate();
  const server = await startTrytond(settings);
  return {
    settings,
    database: copy.database,
    url: server.url,
    async dispose() {
      await server.stop();
      await copy.drop();
    },
  };
}

/**
 * A PostgreSQL session on the test database itself, for what no RPC can do: end every session as an
 * expiry would, or hold a write transaction open the way a slow Tryton request does.
 */
export async function connectToTrytonDatabase(tryton: TrytonTestDatabase): Promise<pg.Client> {
  const url = new URL(tryton.settings.databaseUri.replace(/^postgresql:/, 'postgres:'));
  url.pathname = `/${tryton.database}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  return client;
}

/**
 * A proxy in front of trytond that forwards every call and, while armed for an RPC method, lets
 * that call reach Tryton and commit but cuts the connection before the answer arrives: a lost
 * response, as a network fault produces it.
 */
export async function startLossyProxy(target: string): Promise<{ url: string; loseNextResponseOf: (method: string) => void; close: () => Promise<void> }> {
  const armed = new Set<string>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let method = '';
      try {
        method = String((JSON.parse(body.toString()) as { method?: string }).method ?? '');
      } catch {
        // not JSON: forward as is
      }
      const lose = armed.delete(method);
      const url = new URL(req.url ?? '/', target);
      const upstream = request(url, { method: req.method, headers: { ...req.headers, host: url.host } }, (answer) => {
        const parts: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => parts.push(chunk));
        answer.on('end', () => {
          if (lose) {
            res.socket?.destroy();
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.end(Buffer.concat(parts));
        });
      });
      upstream.on('error', () => res.socket?.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    loseNextResponseOf: (method) => armed.add(method),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
