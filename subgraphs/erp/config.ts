import { z } from 'zod';
import { baseConfigSchema, loadConfig } from '../../platform/config';

/** Settings of the ERP subgraph. */
const erpSubgraphConfigSchema = baseConfigSchema.extend({
  /** PORT the subgraph listens on; default 4001. */
  PORT: z.coerce.number().int().min(0).max(65535).default(4001),
  /** ERP_BACKEND_URL: base URL of the ERP's REST API; default http://127.0.0.1:4101. */
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

/** Reads the ERP subgraph's configuration from the environment. */
export function loadErpSubgraphConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(erpSubgraphConfigSchema, env);
}
