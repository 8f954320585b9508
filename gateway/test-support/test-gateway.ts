import { SignJWT } from 'jose';
import request from 'supertest';
import { createLogger } from '../../platform/logger';
import { createMetrics } from '../../platform/metrics';
import { jwtKey } from '../auth';
import { loadGatewayConfig } from '../config';
import { type BuiltGateway, createGateway } from '../gateway';
import type { PersistedQueryStore } from '../persisted-queries';
import { composeTestSupergraph } from './test-subgraphs';

/** Secrets of the test stack; the subgraphs require the same internal secret. */
export const TEST_SECRETS = {
  JWT_SECRET: 'test-jwt-secret-0123456789abcdef',
  INTERNAL_SECRET: 'test-internal-secret-0123456789ab',
  WEBHOOK_SECRET: 'test-webhook-secret-0123456789abc',
};

/** Where the test gateway sends its fetches, and how it is configured. */
export interface TestGatewayOptions {
  erpUrl: string;
  crmUrl: string;
  timeoutMs?: number;
  nodeEnv?: 'test' | 'production';
  /** Further settings, e.g. limits: { RATE_LIMIT_PER_MINUTE: '3' }. */
  env?: Record<string, string>;
  /** Where persisted queries live; default the gateway's own (from env: REDIS_URL or in process). */
  persistedQueries?: PersistedQueryStore;
}

/** Builds a gateway on the test supergraph (not listening; use `post`/`get` through supertest). */
export async function buildTestGateway(options: TestGatewayOptions): Promise<BuiltGateway> {
  const config = loadGatewayConfig({
    ...TEST_SECRETS,
    NODE_ENV: options.nodeEnv ?? 'test',
    LOG_LEVEL: 'silent',
    ERP_SUBGRAPH_URL: options.erpUrl,
    CRM_SUBGRAPH_URL: options.crmUrl,
    SUBGRAPH_TIMEOUT_MS: String(options.timeoutMs ?? 2000),
    ...options.env,
  });
  const gateway = await createGateway({ config, logger: createLogger('gateway-test', 'silent'), metrics: createMetrics('gateway'), supergraphSdl: composeTestSupergraph(), persistedQueries: options.persistedQueries });
  await gateway.app.ready();
  return gateway;
}

/** Signs a test token with the test stack's JWT secret. */
export function testToken(claims: Record<string, unknown>, options: { sub?: string; expiresAt?: number | string; secret?: string } = {}): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(options.sub ?? 'test-user')
    .setIssuedAt()
    .setExpirationTime(options.expiresAt ?? '5m')
    .sign(jwtKey(options.secret ?? TEST_SECRETS.JWT_SECRET));
}

/** POSTs a GraphQL operation as a client would. */
export function postGraphql(gateway: BuiltGateway, body: { query: string; operationName?: string; variables?: Record<string, unknown> }, headers: Record<string, string> = {}) {
  return request(gateway.app.server).post('/graphql').set('content-type', 'application/json').set(headers).send(body);
}
