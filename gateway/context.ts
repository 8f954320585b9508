import type { Principal } from './auth';
import type { AuthorizationOutcome } from './authorization/operation-pruning';

/** What every GraphQL operation at the gateway runs with. */
export interface GatewayContext {
  /** The verified caller; passed to subgraphs as x-user-* headers. */
  principal: Principal;
  /** The request id, passed to subgraphs as x-request-id. */
  requestId: string;
  /** The fields refused to this request, set by the authorization hook. */
  authorization?: AuthorizationOutcome;
}
