import { z } from 'zod';
import { baseConfigSchema, loadConfig } from '../../../platform/config';
import { loadOrCreateLocalSecrets } from '../../../platform/secrets';

/** Settings of the import and export commands. */
const transferConfigSchema = baseConfigSchema.extend({
  /** ERP_BACKEND_URL: base URL of the ERP's REST API (imports); default http://127.0.0.1:4101. */
  ERP_BACKEND_URL: z.string().url().default('http://127.0.0.1:4101'),
  /** CRM_BACKEND_URL: base URL of the CRM's REST API (imports); default http://127.0.0.1:4102. */
  CRM_BACKEND_URL: z.string().url().default('http://127.0.0.1:4102'),
  /** GATEWAY_URL: the gateway's GraphQL endpoint (exports); default http://127.0.0.1:4000/graphql. */
  GATEWAY_URL: z.string().url().default('http://127.0.0.1:4000/graphql'),
  /** JWT_SECRET: key the export signs its admin token with; default from DATA_DIR/secrets.json. */
  JWT_SECRET: z.string().min(16).optional(),
  /** BACKEND_TIMEOUT_MS: per-attempt timeout of one bulk call in milliseconds; default 30000. */
  BACKEND_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
});

/** The transfer commands' validated, frozen configuration, secrets resolved. */
export type TransferConfig = ReturnType<typeof loadTransferConfig>;

/** Reads the transfer commands' configuration; missing secrets come from the local secrets file. */
export function loadTransferConfig(env: NodeJS.ProcessEnv = process.env) {
  const config = loadConfig(transferConfigSchema, env);
  return Object.freeze({ ...config, JWT_SECRET: config.JWT_SECRET ?? loadOrCreateLocalSecrets(config.DATA_DIR).jwtSecret });
}
