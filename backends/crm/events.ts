import type { Database, Queryable } from '../../platform/db';
import type { Logger } from '../../platform/logger';
import type { ServiceMetrics } from '../../platform/metrics';
import { type ChangeEvent, OutboxDispatcher, recordChange } from '../../platform/outbox';

/** The CRM records whose changes subscribers hear about. */
export type CrmEntity = 'account' | 'contact' | 'opportunity' | 'activity' | 'case';

/** Records that `entity` changed, in the caller's transaction, so the event exists exactly when the change does. */
export function recordCrmChange(tx: Queryable, entity: CrmEntity, record: { id: string; version: number }, action: ChangeEvent['action']): Promise<void> {
  return recordChange(tx, { entity, entityId: record.id, version: record.version, action });
}

/** Builds the dispatcher that delivers the CRM's change events as signed webhooks (source "crm"). */
export function createCrmEventDispatcher(options: { db: Database; targets: string[]; secret: string; logger: Logger; intervalMs?: number; metrics?: ServiceMetrics }): OutboxDispatcher {
  return new OutboxDispatcher({ ...options, source: 'crm' });
}
