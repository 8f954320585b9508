import { z } from 'zod';
import { baseConfigSchema, loadConfig } from '../../platform/config';

/** Settings of the CRM subgraph. */
const crmSubgraphConfigSchema = baseConfigSchema.extend({
  /** PORT the subgraph listens on; default 4002. */
  PORT: z.coerce.number().int().min(0).max(65535).default(4002),
  /** CRM_BACKEND_URL: base URL of the CRM's REST API; default http://127.0.0.1:4102. */
  CRM_BACKEND_URL: z.string().url().default('http://127.0.0.1:4102'),
  /** ERP_BACKEND_URL: base URL of the ERP's REST API, for catalogue prices; default http://127.0.0.1:4101. */
  ERP_BACKEND_URL: z.string().url().default('http://127.0.0.1:4101'),
  /** BACKEND_TIMEOUT_MS: per-attempt timeout of a backend call in milliseconds; default 5000. */
  BACKEND_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  /** ENTITY_CACHE: keep hot master data across requests (Redis when REDIS_URL is set), invalidated by webhooks; default true. */
  ENTITY_CACHE: z
    .enum(['true', 'false', '1', '0'])
    .default('true')
    .transform((value) => value === 'true' || value === '1'),
  /** ENTITY_CACHE_MAX_ENTRIES: bound of the in-process entity cache; default 50000. */
  ENTITY_CACHE_MAX_ENTRIES: z.coerce.number().int().positive().default(50_000),
});

/** Reads the CRM subgraph's configuration from the environment. */
export function loadCrmSubgraphConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(crmSubgraphConfigSchema, env);
}
