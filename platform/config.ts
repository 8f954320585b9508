import { z } from 'zod';
import { AppError, ErrorCode } from './errors';
import { loadOrCreateLocalSecrets } from './secrets';

/** Settings every service shares; each service's config.ts extends this schema. */
export const baseConfigSchema = z.object({
  /** NODE_ENV; "production" turns off introspection and detailed errors. Default development. */
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** LOG_LEVEL for pino; default info. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** DATA_DIR: where the embedded default keeps PGlite folders and secrets; default .data. */
  DATA_DIR: z.string().default('.data'),
  /** DATABASE_URL: PostgreSQL; unset means PGlite under DATA_DIR. */
  DATABASE_URL: z.string().url().optional(),
  /** REDIS_URL: Redis for shared caches; unset means in-process caches. */
  REDIS_URL: z.string().url().optional(),
  /**
   * REDIS_KEY_PREFIX: put before every Redis key and channel this stack uses, so stacks sharing one
   * Redis (a test run beside a developer's) neither see nor flush each other's; default none.
   */
  REDIS_KEY_PREFIX: z.string().regex(/^[\w:.-]*$/, 'letters, digits and _ : . - only').default(''),
  /** INTERNAL_SECRET: key of the service-to-service credential; default from DATA_DIR/secrets.json. */
  INTERNAL_SECRET: z.string().min(16).optional(),
  /** WEBHOOK_SECRET: key of webhook signatures; default from DATA_DIR/secrets.json. */
  WEBHOOK_SECRET: z.string().min(16).optional(),
  /** HOST to bind; default 127.0.0.1. */
  HOST: z.string().default('127.0.0.1'),
  /** METRICS_PORT: serve /metrics only on this port (not on PORT); unset serves it on PORT. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
});

/** The base settings with the secrets resolved. */
export type BaseConfig = Omit<z.infer<typeof baseConfigSchema>, 'INTERNAL_SECRET' | 'WEBHOOK_SECRET'> & {
  INTERNAL_SECRET: string;
  WEBHOOK_SECRET: string;
};

/**
 * Validates `env` against a service's schema and returns a frozen object. Missing secrets are
 * taken from the local secrets file, so a service started alone still joins the embedded stack.
 */
export function loadConfig<S extends z.ZodObject<z.ZodRawShape>>(schema: S, env: NodeJS.ProcessEnv = process.env): Readonly<z.infer<S> & BaseConfig> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new AppError(ErrorCode.BAD_USER_INPUT, `invalid configuration: ${problems}`);
  }
  const config = parsed.data as z.infer<S> & z.infer<typeof baseConfigSchema>;
  if (!config.INTERNAL_SECRET || !config.WEBHOOK_SECRET) {
    const local = loadOrCreateLocalSecrets(config.DATA_DIR);
    config.INTERNAL_SECRET ??= local.internalSecret;
    config.WEBHOOK_SECRET ??= local.webhookSecret;
  }
  return Object.freeze(config) as Readonly<z.infer<S> & BaseConfig>;
}
