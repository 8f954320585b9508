import type { CrmConnector } from '../../connectors/crm/crm.connector';
import type { ErpConnector } from '../../connectors/erp/erp.connector';
import type { EntityCache } from '../../platform/entity-cache';
import type { SubgraphPrincipal } from '../../platform/subgraph-principal';
import { createCrmLoaders, type CrmLoaders } from './loaders';

/**
 * Per-request context of the CRM subgraph: the request id, the CRM connector, the ERP connector
 * (the catalogue prices new opportunities) and fresh loaders.
 */
export interface CrmContext {
  requestId: string;
  crm: CrmConnector;
  erp: ErpConnector;
  loaders: CrmLoaders;
  /** The caller as the gateway forwarded it; its subject scopes idempotency keys. */
  principal: SubgraphPrincipal | null;
}

/** Builds the context of one request. */
export function createCrmContext(crm: CrmConnector, erp: ErpConnector, requestId: string, cache?: EntityCache, principal: SubgraphPrincipal | null = null): CrmContext {
  return { requestId, crm, erp, loaders: createCrmLoaders(crm, cache), principal };
}
