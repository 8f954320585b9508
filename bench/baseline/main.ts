/**
 * The no-federation baseline for `npm run bench`: the public API answered in ONE process by the
 * subgraphs' own resolvers, loaders and HTTP connectors (bench/baseline/baseline-schema.ts), with
 * the same JWT verification as the gateway and the same entity cache as the subgraphs. Customer
 * links live in an in-memory PGlite built by the integration's own link bootstrap at start.
 * Environment: PORT, SUPERGRAPH_PATH, ERP_BACKEND_URL, CRM_BACKEND_URL, INTERNAL_SECRET, JWT_SECRET.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { jitExecutedSchema } from '../../platform/jit-executor';
import fastifyApollo, { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import { GraphQLError } from 'graphql';
import { HttpCrmConnector } from '../../connectors/crm/http-crm.connector';
import { HttpErpConnector } from '../../connectors/erp/http-erp.connector';
import { authenticationHook, createTokenVerifier } from '../../gateway/auth';
import { MemoryCache } from '../../platform/cache';
import { openDatabase } from '../../platform/db';
import { EntityCache } from '../../platform/entity-cache';
import { ErrorCode } from '../../platform/errors';
import { createHttpService, listen } from '../../platform/http-server';
import { createLogger } from '../../platform/logger';
import { createMetrics } from '../../platform/metrics';
import { migrate } from '../../platform/migrate';
import { serviceTokenSigner } from '../../platform/service-auth';
import { formatSubgraphError } from '../../platform/subgraph-server';
import { createCrmContext } from '../../subgraphs/crm/context';
import { crmResolvers } from '../../subgraphs/crm/resolvers';
import { createErpContext } from '../../subgraphs/erp/context';
import { erpResolvers } from '../../subgraphs/erp/resolvers';
import { createContext } from '../../subgraphs/integration/context';
import { CustomerService } from '../../subgraphs/integration/customers/customer.service';
import { LinkBootstrap } from '../../subgraphs/integration/links/bootstrap-links';
import { CustomerLinkRepository } from '../../subgraphs/integration/links/customer-link.repository';
import { CustomerLinker } from '../../subgraphs/integration/links/customer-linker';
import { ReconciliationService } from '../../subgraphs/integration/reconciliation/reconciliation.service';
import { resolvers as integrationResolvers } from '../../subgraphs/integration/resolvers';
import { type BaselineContext, buildBaselineSchema } from './baseline-schema';

const ROOT = path.resolve(__dirname, '../..');

async function main(): Promise<void> {
  const env = process.env;
  const internalSecret = required('INTERNAL_SECRET');
  const logger = createLogger('baseline', (env.LOG_LEVEL as 'warn') ?? 'warn');
  const metrics = createMetrics('baseline');
  const serviceToken = serviceTokenSigner(internalSecret, 'baseline');
  const erp = new HttpErpConnector({ baseUrl: env.ERP_BACKEND_URL ?? 'http://127.0.0.1:4101', serviceToken, metrics });
  const crm = new HttpCrmConnector({ baseUrl: env.CRM_BACKEND_URL ?? 'http://127.0.0.1:4102', serviceToken, metrics });
  const entityCache = env.ENTITY_CACHE === 'false' ? undefined : new EntityCache(new MemoryCache(50_000));

  const db = await openDatabase({ service: 'integration', dataDir: undefined });
  await migrate(db, path.join(ROOT, 'subgraphs/integration/migrations'));
  await new LinkBootstrap({ db, erp, crm, logger }).runOnce();
  const links = new CustomerLinkRepository(db);
  const customerWrites = new CustomerService({ db, erp, crm, logger, linker: new CustomerLinker({ db, erp, crm, logger }) });
  // Answers the reconciliation fields on demand; the baseline schedules no runs.
  const reconciliation = new ReconciliationService({ db, erp, crm, logger, ready: () => true });

  const schema = buildBaselineSchema(readFileSync(path.resolve(ROOT, env.SUPERGRAPH_PATH ?? 'schema/supergraph.graphql'), 'utf8'), {
    erp: { resolvers: erpResolvers as never },
    crm: { resolvers: crmResolvers as never },
    integration: { resolvers: integrationResolvers as never },
  });

  const app = createHttpService({ service: 'baseline', logger, metrics, ready: async () => undefined });
  // Executed and configured as the subgraphs are (graphql-jit, no cache-control hook), so the
  // baseline stays what it is meant to be: the same work without the gateway hop.
  const server = new ApolloServer<BaselineContext>({
    gateway: jitExecutedSchema(schema),
    includeStacktraceInErrorResponses: false,
    formatError: (formatted, error) => formatSubgraphError(formatted, error, logger),
    plugins: [fastifyApolloDrainPlugin(app), ApolloServerPluginCacheControlDisabled()],
  });
  await server.start();
  const verify = createTokenVerifier({ jwtSecret: required('JWT_SECRET') });
  const authenticate = authenticationHook(verify, () => undefined);
  app.addHook('onRequest', async (req, reply) => (req.url.split('?', 1)[0] === '/graphql' ? authenticate(req, reply) : undefined));
  await app.register(fastifyApollo(server), {
    path: '/graphql',
    context: async (req) => {
      if (!req.principal) throw new GraphQLError('authentication required', { extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401 } } });
      return {
        erp: createErpContext(erp, req.id, entityCache),
        crm: createCrmContext(crm, erp, req.id, entityCache),
        integration: createContext({ links, customerWrites, reconciliation, erp, crm, logger }, req.id),
      };
    },
  });
  const port = await listen(app, Number(env.PORT ?? 4090), '127.0.0.1');
  console.log(`baseline listening on http://127.0.0.1:${port}/graphql`);
  const stop = () => void Promise.all([server.stop(), app.close(), erp.close(), crm.close(), db.close()]).finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

main().catch((error: unknown) => {
  console.error('baseline failed to start:', error);
  process.exit(1);
});
