import type { IncomingHttpHeaders } from 'node:http';

/**
 * The caller a subgraph serves, as the gateway forwarded it (x-user-sub, x-user-role,
 * x-user-customer-id). Trustworthy only because every subgraph route requires the service
 * credential and the gateway strips these headers from what clients send.
 */
export interface SubgraphPrincipal {
  sub: string;
  role: string;
  /** For partners: the API Customer.id whose data they may see. */
  customerId: string | null;
}

/** Reads the forwarded principal; null for internal callers (the integration) that send none. */
export function principalFromHeaders(headers: IncomingHttpHeaders): SubgraphPrincipal | null {
  const single = (name: string) => {
    const value = headers[name];
    return (Array.isArray(value) ? value[0] : value) || null;
  };
  const role = single('x-user-role');
  if (!role) return null;
  return { sub: single('x-user-sub') ?? '', role, customerId: single('x-user-customer-id') };
}

/** True for a partner principal, whose reads are limited to its own customer. */
export function isPartner(principal: SubgraphPrincipal | null | undefined): principal is SubgraphPrincipal {
  return principal?.role === 'partner';
}
