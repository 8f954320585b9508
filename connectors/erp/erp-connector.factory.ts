import type { ServiceMetrics } from '../../platform/metrics';
import type { ErpConnector } from './erp.connector';
import { HttpErpConnector } from './http-erp.connector';
import { TrytonErpConnector } from './tryton/tryton-erp.connector';

/** Where a service's ERP is: the reference backend (default) or, with ERP=tryton, a Tryton database. */
export interface ErpTargetOptions {
  /** The reference backend's URL (ERP_BACKEND_URL). */
  baseUrl: string;
  serviceToken: () => string;
  timeoutMs?: number;
  metrics?: ServiceMetrics;
  env?: NodeJS.ProcessEnv;
}

/** The Tryton the stack talks to with ERP=tryton; every value has a default that `npm start` uses. */
export function trytonTarget(env: NodeJS.ProcessEnv = process.env): { url: string; database: string; login: string; password: string } {
  return {
    url: env.TRYTON_URL || `http://127.0.0.1:${env.TRYTON_PORT || '8000'}`,
    database: env.TRYTON_DB || 'tryton',
    login: env.TRYTON_USER || 'integration',
    password: env.TRYTON_PASSWORD || 'Sync-Tryton6!Ok',
  };
}

export function erpIsTryton(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.ERP === 'tryton';
}

/** The ErpConnector the environment asks for. Tryton has no bulk import: the bulk connector is the reference ERP's only. */
export function createErpConnector(options: ErpTargetOptions): ErpConnector & { close(): Promise<void> } {
  const env = options.env ?? process.env;
  if (erpIsTryton(env)) return new TrytonErpConnector({ ...trytonTarget(env), timeoutMs: options.timeoutMs && Math.max(options.timeoutMs, 20_000), metrics: options.metrics });
  return new HttpErpConnector({ baseUrl: options.baseUrl, serviceToken: options.serviceToken, timeoutMs: options.timeoutMs, metrics: options.metrics });
}


