import type { ErpConnector } from '../../connectors/erp/erp.connector';
import { createErpLoaders, type ErpLoaders } from './loaders';

/** Per-request context of the ERP subgraph: the request id, the connector and fresh loaders. */
export interface ErpContext {
  requestId: string;
  erp: ErpConnector;
  loaders: ErpLoaders;
}

/** Builds the context of one request. */
export function createErpContext(erp: ErpConnector, requestId: string): ErpContext {
  return { requestId, erp, loaders: createErpLoaders(erp) };
}
