/**
 * Hive Gateway for `npm run bench`: `createGatewayRuntime` on the same supergraph and the same
 * subgraphs as our gateway, doing the same work per request: the client's JWT verified with the
 * gateway's own verifier (HS256, same secret) before Hive sees the request, and the service
 * credential (x-service-token, signed as "gateway") plus the principal (x-user-*) sent to every
 * subgraph. With HIVE_QUERY_PLANNER=rust it plans with the Rust query planner of
 * `@graphql-hive/router-runtime` (Hive's documented fast mode) instead of its JavaScript one;
 * everything else stays the same.
 * Environment: PORT, SUPERGRAPH_PATH, ERP/CRM/INTEGRATION_SUBGRAPH_URL, INTERNAL_SECRET, JWT_SECRET, HIVE_QUERY_PLANNER.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { createGatewayRuntime } from '@graphql-hive/gateway';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';
import { AuthenticationError, PRINCIPAL_HEADERS, bearerToken, createTokenVerifier, principalHeaders, unauthenticatedBody } from '../../gateway/auth';
import { SERVICE_TOKEN_HEADER, serviceTokenSigner } from '../../platform/service-auth';

const ROOT = path.resolve(__dirname, '../..');

function main(): void {
  const env = process.env;
  const internalSecret = required('INTERNAL_SECRET');
  const verify = createTokenVerifier({ jwtSecret: required('JWT_SECRET') });
  const serviceToken = serviceTokenSigner(internalSecret, 'gateway');
  let supergraph = readFileSync(path.resolve(ROOT, env.SUPERGRAPH_PATH ?? 'schema/supergraph.graphql'), 'utf8');
  // The supergraph names the default ports; the bench runs the subgraphs where it chooses.
  const urls: Record<string, string | undefined> = { crm: env.CRM_SUBGRAPH_URL, erp: env.ERP_SUBGRAPH_URL, integration: env.INTEGRATION_SUBGRAPH_URL };
  supergraph = supergraph.replace(/@join__graph\(name: "(\w+)", url: "([^"]+)"\)/g, (whole, name: string) => (urls[name] ? `@join__graph(name: "${name}", url: "${urls[name]}")` : whole));

  const planner = env.HIVE_QUERY_PLANNER ?? 'javascript';
  if (planner !== 'javascript' && planner !== 'rust') throw new Error(`HIVE_QUERY_PLANNER must be javascript or rust, not ${planner}`);

  const gateway = createGatewayRuntime({
    supergraph,
    ...(planner === 'rust' ? { unifiedGraphHandler } : {}),
    logging: false,
    maskedErrors: false,
    graphiql: false,
    landingPage: false,
    propagateHeaders: {
      fromClientToSubgraphs: ({ request }) => ({
        [SERVICE_TOKEN_HEADER]: serviceToken(),
        [PRINCIPAL_HEADERS.sub]: request.headers.get(PRINCIPAL_HEADERS.sub),
        [PRINCIPAL_HEADERS.role]: request.headers.get(PRINCIPAL_HEADERS.role),
        [PRINCIPAL_HEADERS.customerId]: request.headers.get(PRINCIPAL_HEADERS.customerId),
      }),
    },
  });

  const server = createServer((req, res) => {
    // Only a verified principal reaches Hive; client-sent x-user-* and service tokens are dropped.
    for (const name of Object.keys(req.headers)) if (name.startsWith('x-user-') || name === SERVICE_TOKEN_HEADER) delete req.headers[name];
    let token: string | null;
    try {
      token = bearerToken(req.headers.authorization);
    } catch (error) {
      return refuse(res, (error as Error).message);
    }
    if (!token) return refuse(res, 'authentication required');
    verify(token).then(
      (principal) => {
        Object.assign(req.headers, principalHeaders(principal));
        void gateway(req, res);
      },
      (error: unknown) => refuse(res, error instanceof AuthenticationError ? error.message : 'token could not be verified'),
    );
    return undefined;
  });
  server.keepAliveTimeout = 30_000;
  server.listen(Number(env.PORT ?? 4091), '127.0.0.1', () => console.log(`hive gateway (${planner} planner) listening on http://127.0.0.1:${env.PORT ?? 4091}/graphql`));
  const stop = () => void Promise.resolve(gateway.dispose()).finally(() => server.close(() => process.exit(0)));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function refuse(res: import('node:http').ServerResponse, message: string): void {
  res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' });
  res.end(JSON.stringify(unauthenticatedBody(message)));
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

main();
