import type { SyncState } from './generated/resolvers-types';

/**
 * What the integration subgraph's resolvers receive as parents (codegen `mappers`). A customer is
 * its kept link: the stable id, the id in each system and the sync state. Master data (name,
 * email...) is read from the owning system only when a query asks for it.
 */
export interface CustomerModel {
  /** The API id, "crm:<uuid>" or "erp:K-…". */
  id: string;
  crmAccountId: string | null;
  erpCustomerNo: string | null;
  syncState: SyncState;
  /** ISO date-time of the last successful write to both systems, or null. */
  lastSyncedAt: string | null;
}
