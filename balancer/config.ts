import { z } from 'zod';
import { baseConfigSchema, loadConfig } from '../platform/config';

/** Settings of one service's load balancer. */
const balancerConfigSchema = baseConfigSchema.extend({
  /** PORT clients of the balanced service use; required. */
  PORT: z.coerce.number().int().min(0).max(65535),
  /** BALANCED_SERVICE: the name of the service behind it, for logs (e.g. gateway); required. */
  BALANCED_SERVICE: z.string().min(1),
  /** BALANCER_TARGETS: comma-separated base URLs of its instances; required. */
  BALANCER_TARGETS: z
    .string()
    .transform((list) => list.split(',').map((url) => url.trim()).filter(Boolean))
    .pipe(z.array(z.string().url()).min(1)),
  /** BALANCER_HEALTH_PATH: what each instance answers 200 on while it takes requests; default /ready. */
  BALANCER_HEALTH_PATH: z.string().startsWith('/').default('/ready'),
  /** BALANCER_HEALTH_INTERVAL_MS: how often each instance is checked; default 500. */
  BALANCER_HEALTH_INTERVAL_MS: z.coerce.number().int().positive().default(500),
});

/** Reads the balancer's configuration from the environment. */
export function loadBalancerConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(balancerConfigSchema, env);
}
