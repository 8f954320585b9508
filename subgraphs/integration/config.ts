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
  /** SYNC_POLL_INTERVAL_MS: interval of the customer sync's catch-up poll for missed webhooks; default 2000. */
  SYNC_POLL_INTERVAL_MS: z.coerce.number().int().positive().default(2000),
  /** RECONCILIATION_INTERVAL_MS: interval of the scheduled reconciliation; default 900000 (15 minutes). */
  RECONCILIATION_INTERVAL_MS: z.coerce.number().int().positive().default(900_000),
  /**
   * FLOW_RETRY_WINDOW_MS: how long a flow step keeps being retried after transient failures (a
   * backend unreachable, timing out or overloaded), counted from its first failure in a row; the
   * flow is RETRYING meanwhile and FAILED after it (retryOrderFlow resumes it); default 3600000 (1 hour).
   */
  FLOW_RETRY_WINDOW_MS: z.coerce.number().int().min(0).default(3_600_000),
  /** FLOW_RETRY_BASE_MS: first retry delay of a flow step, doubled per attempt, less up to half as jitter; default 500. */
  FLOW_RETRY_BASE_MS: z.coerce.number().int().positive().default(500),
  /** FLOW_RETRY_MAX_DELAY_MS: longest delay between two retries of a flow step; default 60000. */
  FLOW_RETRY_MAX_DELAY_MS: z.coerce.number().int().positive().default(60_000),
  /**
   * FLOW_PROBE_MS: while flows retry on a backend, how often it is checked (a cheap read); the first
   * answer wakes them at once instead of after their backoff; default 2000.
   */
  FLOW_PROBE_MS: z.coerce.number().int().positive().default(2000),
  /** FLOW_LEASE_MS: how long a worker owns a flow it advances; a crashed worker's flows resume after it; default 30000. */
  FLOW_LEASE_MS: z.coerce.number().int().positive().default(30_000),
  /** FLOW_POLL_MS: interval of the catch-up poll that re-checks waiting flows (lost webhooks); default 5000. */
  FLOW_POLL_MS: z.coerce.number().int().positive().default(5000),
  /**
   * FLOW_WAIT_RECHECK_MAX_MS: the longest a waiting flow goes without being looked at again when no
   * change event wakes it; it is looked at after a quarter of the time it has waited (at least
   * FLOW_POLL_MS), so long waits cost the ERP little; default 300000 (5 minutes).
   */
  FLOW_WAIT_RECHECK_MAX_MS: z.coerce.number().int().positive().default(300_000),
  /**
   * CREDIT_REVIEW_WINDOW_HOURS: how long an order over the customer's credit waits for finance to
   * approve or reject it before it is refused (CREDIT_LIMIT_EXCEEDED, and undone); default 72.
   */
  CREDIT_REVIEW_WINDOW_HOURS: z.coerce.number().positive().max(24 * 90).default(72),
  /**
   * FLOW_WORKERS: job queue workers per process, each advancing up to 4 flows at once; default 24 on
   * PostgreSQL (advancing mostly waits on the backends, so many run at once) and 4 on the embedded
   * database (it runs one statement at a time: more workers only queue, and the API waits behind them).
   */
  FLOW_WORKERS: z.coerce.number().int().min(1).max(64).optional(),
  /** LIVE_EVENT_RETENTION_HOURS: how long live events are kept for subscribers that resume; default 24. */
  LIVE_EVENT_RETENTION_HOURS: z.coerce.number().positive().max(24 * 30).default(24),
  /** GATEWAY_URL: the gateway, which renders partner webhook bodies as the partner; default http://127.0.0.1:4000. */
  GATEWAY_URL: z.string().url().default('http://127.0.0.1:4000'),
  /** LIVE_EVENT_POLL_MS: how often new live events are read from the log and released; default 50. */
  LIVE_EVENT_POLL_MS: z.coerce.number().int().min(5).max(5000).default(50),
});

/** The integration subgraph's validated, frozen configuration. */
export type IntegrationConfig = ReturnType<typeof loadIntegrationConfig>;

/** Reads the integration subgraph's configuration from the environment. */
export function loadIntegrationConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(integrationConfigSchema, env);
}
