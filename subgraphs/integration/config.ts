import { z } from 'zod';
import { baseConfigSchema, loadConfig } from '../../platform/config';

/** Settings of the integration subgraph. */
const integrationConfigSchema = baseConfigSchema.extend({
  /** PORT the subgraph listens on; default 4003. */
  PORT: z.coerce.number().int().min(0).max(65535).default(4003),
  /** ERP_BACKEND_URL: base URL of the ERP's REST API; default http://127.0.0.1:4101. */
  ERP_BACKEND_URL: z.string().url().default('http://127.0.0.1:4101'),
  /** CRM_BACKEND_URL: base URL of the CRM's REST API; default http://127.0.0.1:4102. */
  CRM_BACKEND_URL: z.string().url().default('http://127.0.0.1:4102'),
  /** BACKEND_TIMEOUT_MS: per-attempt timeout of a backend call in milliseconds; default 5000. */
  BACKEND_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  /** LINK_BOOTSTRAP_RETRY_MS: first wait before retrying the customer link bootstrap; default 1000. */
  LINK_BOOTSTRAP_RETRY_MS: z.coerce.number().int().positive().default(1000),
});

/** The integration subgraph's validated, frozen configuration. */
export type IntegrationConfig = ReturnType<typeof loadIntegrationConfig>;

/** Reads the integration subgraph's configuration from the environment. */
export function loadIntegrationConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(integrationConfigSchema, env);
}
