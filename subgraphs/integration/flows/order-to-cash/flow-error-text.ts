import { ErrorCode } from '../../../../platform/errors';
import type { SubgraphPrincipal } from '../../../../platform/subgraph-principal';

/** Roles that may read credit limits and balances (Customer.creditLimit's scopes), and so a refusal's figures. */
const CREDIT_READERS = new Set(['finance', 'admin']);

/** What a flow's failure means, without figures or internals, for readers who may not see them. */
const GENERIC_REASONS: Partial<Record<ErrorCode, string>> = {
  [ErrorCode.CREDIT_LIMIT_EXCEEDED]: "the order exceeds the customer's credit; finance can review it",
  [ErrorCode.CURRENCY_MISMATCH]: "a product is priced in another currency than the customer's",
  [ErrorCode.OUT_OF_STOCK]: 'products of the order are out of stock',
  [ErrorCode.UPSTREAM_UNAVAILABLE]: 'a backend system was unavailable',
  [ErrorCode.NOT_FOUND]: 'a record the flow needs does not exist',
  [ErrorCode.CONFLICT]: 'a record the flow needs was in the wrong state',
};

const CODE_IN_TEXT = new RegExp(`\\b(${Object.values(ErrorCode).join('|')})\\b`);

/**
 * OrderFlow.error and FlowStep.error as this caller may read them. Finance, admins and internal
 * callers (no forwarded role) read the stored text, which holds a code and, for coded failures,
 * their message (never an internal one: failure-text.ts). Every other role reads the code and a
 * generic reason: a refused order's text names the credit limit and the exposure, which only
 * finance and admins may see. Texts without a code are the engine's own fixed phrases.
 */
export function flowErrorFor(principal: SubgraphPrincipal | null, text: string | null | undefined): string | null {
  if (text === null || text === undefined) return null;
  if (principal === null || CREDIT_READERS.has(principal.role)) return text;
  const code = CODE_IN_TEXT.exec(text)?.[1] as ErrorCode | undefined;
  if (!code) return text;
  return `${code}: ${GENERIC_REASONS[code] ?? 'the step failed'}`;
}
