import { z } from 'zod';
import { erpBackendConfigSchema } from '../../backends/erp/config';
import { baseConfigSchema, loadConfig } from '../../platform/config';

/**
 * Settings of the ERP slot when ERP=tryton, on top of the shared ones; the Tryton target itself
 * (TRYTON_URL, TRYTON_DB, TRYTON_USER, TRYTON_PASSWORD) is read by `trytonTarget`.
 */
const trytonServiceConfigSchema = baseConfigSchema.extend({
  /** PORT of its /health and /ready; default 4101, the ERP backend's. */
  PORT: z.coerce.number().int().min(0).max(65535).default(4101),
  /** TRYTON_PORT: where the trytond it starts listens; default 8000. */
  TRYTON_PORT: z.coerce.number().int().min(1).max(65535).default(8000),
  /** WEBHOOK_TARGETS: the receivers of the change events polled from Tryton, as for the reference ERP. */
  WEBHOOK_TARGETS: erpBackendConfigSchema.shape.WEBHOOK_TARGETS,
  /** OUTBOX_INTERVAL_MS: how often the outbox is polled for events to deliver; default 200. */
  OUTBOX_INTERVAL_MS: erpBackendConfigSchema.shape.OUTBOX_INTERVAL_MS,
  /** TRYTON_POLL_MS: pause between two polls of Tryton for changes; default 2000. */
  TRYTON_POLL_MS: z.coerce.number().int().min(100).default(2000),
  /**
   * TRYTON_POLL_OVERLAP_MS: how far before the newest change seen each poll reads again; longer than
   * Tryton's longest write transaction (a write is stamped when its transaction starts); default 30000.
   */
  TRYTON_POLL_OVERLAP_MS: z.coerce.number().int().min(0).default(30_000),
});

/** Reads the Tryton ERP slot's configuration from the environment. */
export function loadTrytonServiceConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(trytonServiceConfigSchema, env);
}
