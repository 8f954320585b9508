import type { GraphQLFormattedError } from 'graphql';
import { ErrorCode } from '../../platform/errors';
import { type AuthorizationOutcome, PLACEHOLDER_KEY } from './operation-pruning';

/**
 * Writes the refusals into an answer: `null` at every concrete path of a refused field (lists on
 * the way are walked) with a FORBIDDEN error per path, and the placeholders removed. The null is
 * written even where the schema says non-null (e.g. Customer.openBalance): the issue asks that a
 * refused field be null while the rest of the answer stands, which nulling the parent would break.
 */
export function applyRefusals(data: Record<string, unknown>, outcome: AuthorizationOutcome): GraphQLFormattedError[] {
  const errors: GraphQLFormattedError[] = [];
  for (const refused of outcome.refused) {
    forEachParent(data, refused.path.slice(0, -1), [], (parent, at) => {
      const key = refused.path[refused.path.length - 1];
      // Defined, not assigned: answers are ordinary objects, where assigning an alias "__proto__" would set the prototype.
      Object.defineProperty(parent, key, { value: null, writable: true, enumerable: true, configurable: true });
      errors.push({ message: `your role may not see ${refused.coordinate}`, path: [...at, key], extensions: { code: ErrorCode.FORBIDDEN } });
    });
  }
  for (const path of outcome.placeholders) {
    forEachParent(data, path, [], (parent) => {
      delete parent[PLACEHOLDER_KEY];
    });
  }
  return errors;
}

// Calls `visit` with every object reached by following `keys` from `value`, through lists.
function forEachParent(value: unknown, keys: string[], at: (string | number)[], visitObject: (parent: Record<string, unknown>, at: (string | number)[]) => void): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => forEachParent(item, keys, [...at, index], visitObject));
    return;
  }
  if (typeof value !== 'object') return;
  if (keys.length === 0) {
    visitObject(value as Record<string, unknown>, at);
    return;
  }
  const [first, ...rest] = keys;
  forEachParent((value as Record<string, unknown>)[first], rest, [...at, first], visitObject);
}
