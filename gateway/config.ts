import { z } from 'zod';
import { baseConfigSchema, loadConfig } from '../platform/config';
import { AppError, ErrorCode } from '../platform/errors';
import { loadOrCreateLocalSecrets } from '../platform/secrets';

/** Settings of the gateway. */
const gatewayConfigSchema = baseConfigSchema.extend({
  /** PORT the gateway listens on; default 4000. */
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  /** SUPERGRAPH_PATH: the composed supergraph SDL; default schema/supergraph.graphql. */
  SUPERGRAPH_PATH: z.string().default('schema/supergraph.graphql'),
  /** ERP_SUBGRAPH_URL: GraphQL endpoint of the ERP subgraph; default http://127.0.0.1:4001/graphql. */
  ERP_SUBGRAPH_URL: z.string().url().default('http://127.0.0.1:4001/graphql'),
  /** CRM_SUBGRAPH_URL: GraphQL endpoint of the CRM subgraph; default http://127.0.0.1:4002/graphql. */
  CRM_SUBGRAPH_URL: z.string().url().default('http://127.0.0.1:4002/graphql'),
  /** INTEGRATION_SUBGRAPH_URL: GraphQL endpoint of the integration subgraph; default http://127.0.0.1:4003/graphql. */
  INTEGRATION_SUBGRAPH_URL: z.string().url().default('http://127.0.0.1:4003/graphql'),
  /** SUBGRAPH_TIMEOUT_MS: longest wait for one subgraph fetch before its fields fail as UPSTREAM_UNAVAILABLE; default 5000. */
  SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  /** JWT_SECRET: HS256 key of client tokens; default from DATA_DIR/secrets.json (what `npm run token` signs with). */
  JWT_SECRET: z.string().min(16).optional(),
  /** AUTH_JWKS_URL: identity provider's JWKS; when set, tokens are verified against it instead of JWT_SECRET. Default unset. */
  AUTH_JWKS_URL: z.string().url().optional(),
  /** AUTH_ISSUER: required `iss` of tokens verified through AUTH_JWKS_URL; required with it. */
  AUTH_ISSUER: z.string().min(1).optional(),
  /** AUTH_AUDIENCE: required `aud` of tokens verified through AUTH_JWKS_URL; required with it. */
  AUTH_AUDIENCE: z.string().min(1).optional(),
  /** AUTH_MAX_TOKEN_AGE_SECONDS: oldest `iat` accepted from the identity provider (tokens must carry `iat`); default 3600. */
  AUTH_MAX_TOKEN_AGE_SECONDS: z.coerce.number().int().positive().default(3600),
  /** QUERY_PLAN_CACHE_MIB: approximate size of the in-memory query plan cache; default 64 MiB. */
  QUERY_PLAN_CACHE_MIB: z.coerce.number().int().positive().default(64),
  /** MAX_BODY_BYTES: largest accepted request body; default 1 MiB. */
  MAX_BODY_BYTES: z.coerce.number().int().positive().default(1024 * 1024),
  /** MAX_QUERY_DEPTH: deepest field nesting an operation may have; default 15. */
  MAX_QUERY_DEPTH: z.coerce.number().int().positive().default(15),
  /** MAX_QUERY_ALIASES: most aliased fields in one operation; default 30. */
  MAX_QUERY_ALIASES: z.coerce.number().int().nonnegative().default(30),
  /** MAX_QUERY_TOKENS: most lexical tokens in one document, refused while parsing; default 5000. */
  MAX_QUERY_TOKENS: z.coerce.number().int().positive().default(5000),
  /** MAX_QUERY_COST: highest estimated cost (fields × the list sizes around them); default 1,000,000. */
  MAX_QUERY_COST: z.coerce.number().int().positive().default(1_000_000),
  /** MAX_PAGE_SIZE: largest `first`/`last` a client may ask for; default 100. */
  MAX_PAGE_SIZE: z.coerce.number().int().positive().default(100),
  /** APQ_MAX_BYTES: bytes of persisted query text kept (per process, or in Redis for all replicas); default 16 MiB. */
  APQ_MAX_BYTES: z.coerce.number().int().positive().default(16 * 1024 * 1024),
  /** APQ_MAX_QUERY_BYTES: the largest query text remembered as a persisted query (larger ones run, unremembered); default 64 KiB. */
  APQ_MAX_QUERY_BYTES: z.coerce.number().int().positive().default(64 * 1024),
  /** APQ_TTL_SECONDS: how long a persisted query stays known after its registration; default 3600. */
  APQ_TTL_SECONDS: z.coerce.number().int().positive().default(3600),
  /** DOCUMENT_CACHE_MAX_BYTES: parsed operations kept, weighed by their query text; default 32 MiB. */
  DOCUMENT_CACHE_MAX_BYTES: z.coerce.number().int().positive().default(32 * 1024 * 1024),
  /** EXPORT_MAX_CONCURRENT: downloads from /export one token subject may run at once; default 2. */
  EXPORT_MAX_CONCURRENT: z.coerce.number().int().positive().default(2),
  /** APOLLO_USAGE_REPORTING: "true" sends usage data to Apollo GraphOS (with APOLLO_KEY and APOLLO_GRAPH_REF); default off. */
  APOLLO_USAGE_REPORTING: z.enum(['true', 'false']).default('false').transform((value) => value === 'true'),
  /** API_EXPLORER: serve GraphiQL at /explorer (and send browsers opening /graphql there); default on, off when NODE_ENV=production. */
  API_EXPLORER: z.enum(['true', 'false']).optional(),
  /** ERP_BACKEND_URL: the ERP's REST API, where imports from the console write; default http://127.0.0.1:4101. */
  ERP_BACKEND_URL: z.string().url().default('http://127.0.0.1:4101'),
  /** CRM_BACKEND_URL: the CRM's REST API, where imports from the console write; default http://127.0.0.1:4102. */
  CRM_BACKEND_URL: z.string().url().default('http://127.0.0.1:4102'),
  /** RATE_LIMIT_PER_MINUTE: requests per token subject per minute, in Redis when REDIS_URL is set; 0 is off; default 3000. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().nonnegative().default(3000),
  /** LIVE_MAX_SUBSCRIPTIONS_PER_TOKEN: open subscriptions one token subject may hold on a gateway; default 20. */
  LIVE_MAX_SUBSCRIPTIONS_PER_TOKEN: z.coerce.number().int().positive().default(20),
  /** LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION: subscriptions one WebSocket connection may hold; default 20. */
  LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION: z.coerce.number().int().positive().default(20),
  /** LIVE_MAX_SUBSCRIPTIONS: open subscriptions on one gateway; default 10,000. */
  LIVE_MAX_SUBSCRIPTIONS: z.coerce.number().int().positive().default(10_000),
});

/** The gateway's validated, frozen configuration, JWT_SECRET resolved. */
export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;

/** Reads the gateway's configuration; a missing JWT_SECRET comes from the local secrets file. */
export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env) {
  const config = loadConfig(gatewayConfigSchema, env);
  // Without both, any token the provider ever signed (for any application) would be accepted.
  if (config.AUTH_JWKS_URL && (!config.AUTH_ISSUER || !config.AUTH_AUDIENCE)) {
    throw new AppError(ErrorCode.BAD_USER_INPUT, 'invalid configuration: AUTH_JWKS_URL needs AUTH_ISSUER and AUTH_AUDIENCE');
  }
  const jwtSecret = config.JWT_SECRET ?? loadOrCreateLocalSecrets(config.DATA_DIR).jwtSecret;
  const apiExplorer = config.API_EXPLORER ? config.API_EXPLORER === 'true' : config.NODE_ENV !== 'production';
  return Object.freeze({ ...config, JWT_SECRET: jwtSecret, API_EXPLORER: apiExplorer });
}

/** The subgraph URL the gateway uses for a supergraph service name; unknown names keep the supergraph's URL. */
export function subgraphUrlFor(config: GatewayConfig, name: string, supergraphUrl: string | undefined): string | undefined {
  switch (name) {
    case 'erp':
      return config.ERP_SUBGRAPH_URL;
    case 'crm':
      return config.CRM_SUBGRAPH_URL;
    case 'integration':
      return config.INTEGRATION_SUBGRAPH_URL;
    default:
      return supergraphUrl;
  }
}
