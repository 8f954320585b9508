import { AppError, ErrorCode } from './errors';
import type { SubgraphPrincipal } from './subgraph-principal';

/**
 * Roles that may set an input field, by "InputType.field". Output fields are guarded by
 * `@requiresScopes` at the gateway; Federation has no such directive for input fields, so the
 * subgraph that owns the input enforces these before anything is written.
 */
export type InputFieldRoles = Readonly<Record<string, readonly string[]>>;

/**
 * Refuses the whole call with FORBIDDEN, naming the fields, when the caller's role may not set a
 * field the input gives (null included: clearing is a change too). Internal callers, which carry
 * no forwarded role, are not limited.
 */
export function requireInputFieldRoles(principal: SubgraphPrincipal | null, inputType: string, input: object, rules: InputFieldRoles): void {
  if (principal === null) return;
  const refused = Object.keys(input).filter((field) => {
    const roles = rules[`${inputType}.${field}`];
    return roles !== undefined && (input as Record<string, unknown>)[field] !== undefined && !roles.includes(principal.role);
  });
  if (refused.length === 0) return;
  const roles = [...new Set(refused.flatMap((field) => rules[`${inputType}.${field}`]))];
  throw new AppError(ErrorCode.FORBIDDEN, `role ${principal.role} may not set ${refused.map((f) => `input.${f}`).join(', ')} (only ${roles.join(', ')}); nothing was written`, {
    field: `input.${refused[0]}`,
    fields: refused.map((f) => `input.${f}`),
  });
}
