import { z } from 'zod';
import { baseConfigSchema, loadConfig } from '../../platform/config';
import { formatAmount } from '../../platform/money';
import { DEFAULT_CREDIT_LIMIT } from './services/credit.service';

/** The ERP backend's settings on top of the shared ones. */
export const erpBackendConfigSchema = baseConfigSchema.extend({
  /** PORT to listen on; default 4101. */
  PORT: z.coerce.number().int().min(0).max(65535).default(4101),
  /** WEBHOOK_TARGETS: comma-separated URLs that receive change events; default none. */
  WEBHOOK_TARGETS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((url) => url.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().url())),
  /** SEED: seed the demo data on first start when the database is empty; default true. */
  SEED: z
    .enum(['true', 'false', '1', '0'])
    .default('true')
    .transform((value) => value === 'true' || value === '1'),
  /** OVERDUE_SWEEP_MS: how often OPEN invoices past their due date are marked OVERDUE; default 60000. */
  OVERDUE_SWEEP_MS: z.coerce.number().int().min(1000).default(60_000),
  /** OUTBOX_INTERVAL_MS: how often the outbox is polled for events to deliver; default 200. */
  OUTBOX_INTERVAL_MS: z.coerce.number().int().min(10).default(200),
  /** DEFAULT_CREDIT_LIMIT: credit limit of a customer created without one, and of one whose limit was cleared; `0` refuses every order until finance sets one. */
  DEFAULT_CREDIT_LIMIT: z
    .string()
    .regex(/^\d{1,12}(\.\d{1,2})?$/, 'a decimal amount such as 10000.00')
    .default(DEFAULT_CREDIT_LIMIT)
    .transform((value) => formatAmount(value)),
  /** DEMO_SCALE_CUSTOMERS: customers in the first-start demo seed (both backends must agree); default the dataset's own. */
  DEMO_SCALE_CUSTOMERS: z.coerce.number().int().min(40).optional(),
  /** DEMO_SCALE_ORDERS: sales orders in the first-start demo seed; default the dataset's own. */
  DEMO_SCALE_ORDERS: z.coerce.number().int().min(20).optional(),
  /** DEMO_SCALE_OPPORTUNITIES: opportunities in the first-start demo seed; default the dataset's own. */
  DEMO_SCALE_OPPORTUNITIES: z.coerce.number().int().min(20).optional(),
});

/** The ERP backend's validated, frozen configuration. */
export type ErpBackendConfig = ReturnType<typeof loadErpBackendConfig>;

/** Reads the ERP backend's configuration from the environment. */
export function loadErpBackendConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(erpBackendConfigSchema, env);
}

/** The demo seed's sizes from DEMO_SCALE_*; absent values keep the dataset's defaults. */
export function demoScaleOf(config: { DEMO_SCALE_CUSTOMERS?: number; DEMO_SCALE_ORDERS?: number; DEMO_SCALE_OPPORTUNITIES?: number }) {
  return {
    ...(config.DEMO_SCALE_CUSTOMERS !== undefined ? { customers: config.DEMO_SCALE_CUSTOMERS } : {}),
    ...(config.DEMO_SCALE_ORDERS !== undefined ? { salesOrders: config.DEMO_SCALE_ORDERS } : {}),
    ...(config.DEMO_SCALE_OPPORTUNITIES !== undefined ? { opportunities: config.DEMO_SCALE_OPPORTUNITIES } : {}),
  };
}
