import type { ErpConnector } from '../../connectors/erp/erp.connector';
import type { EntityCache } from '../../platform/entity-cache';
import type { SubgraphPrincipal } from '../../platform/subgraph-principal';
import { createErpLoaders, type ErpLoaders } from './loaders';

/** Per-request context of the ERP subgraph: the request id, the connector and fresh loaders. */
export interface ErpContext {
  requestId: string;
  erp: ErpConnector;
  loaders: ErpLoaders;
  /** The caller as the gateway forwarded it; a partner sees its own customer only (partner-scope.ts). */
  principal: SubgraphPrincipal | null;
}

/** Builds the context of one request. */
export function createErpContext(erp: ErpConnector, requestId: string, cache?: EntityCache, principal: SubgraphPrincipal | null = null): ErpContext {
  return { requestId, erp, loaders: createErpLoaders(erp, cache), principal };
}
