import { z } from 'zod';
import { baseConfigSchema, loadConfig } from '../../platform/config';

const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** The CRM backend's settings. */
export const crmBackendConfigSchema = baseConfigSchema.extend({
  /** PORT the REST API listens on; default 4102. */
  PORT: z.coerce.number().int().min(0).max(65535).default(4102),
  /** WEBHOOK_TARGETS: comma-separated URLs that receive the signed change events; default none. */
  WEBHOOK_TARGETS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((s) => s.trim()).filter((s) => s.length > 0))
    .pipe(z.array(z.url())),
  /** SEED: load the demo data on first start, when there are no accounts yet; default true. */
  SEED: flag.default(true),
  /** OUTBOX_INTERVAL_MS: how often undelivered change events are looked for; default 200. */
  OUTBOX_INTERVAL_MS: z.coerce.number().int().min(10).default(200),
  /** DEMO_SCALE_CUSTOMERS: customers in the first-start demo seed (both backends must agree); default the dataset's own. */
  DEMO_SCALE_CUSTOMERS: z.coerce.number().int().min(40).optional(),
  /** DEMO_SCALE_ORDERS: sales orders in the first-start demo seed; default the dataset's own. */
  DEMO_SCALE_ORDERS: z.coerce.number().int().min(20).optional(),
  /** DEMO_SCALE_OPPORTUNITIES: opportunities in the first-start demo seed; default the dataset's own. */
  DEMO_SCALE_OPPORTUNITIES: z.coerce.number().int().min(20).optional(),
});

/** The validated, frozen CRM backend configuration. */
export type CrmBackendConfig = ReturnType<typeof loadCrmBackendConfig>;

/** Reads the CRM backend's configuration from the environment. */
export function loadCrmBackendConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(crmBackendConfigSchema, env);
}

/** The demo seed's sizes from DEMO_SCALE_*; absent values keep the dataset's defaults. */
export function demoScaleOf(config: { DEMO_SCALE_CUSTOMERS?: number; DEMO_SCALE_ORDERS?: number; DEMO_SCALE_OPPORTUNITIES?: number }) {
  return {
    ...(config.DEMO_SCALE_CUSTOMERS !== undefined ? { customers: config.DEMO_SCALE_CUSTOMERS } : {}),
    ...(config.DEMO_SCALE_ORDERS !== undefined ? { salesOrders: config.DEMO_SCALE_ORDERS } : {}),
    ...(config.DEMO_SCALE_OPPORTUNITIES !== undefined ? { opportunities: config.DEMO_SCALE_OPPORTUNITIES } : {}),
  };
}
