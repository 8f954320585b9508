import { type GraphQLFormattedError, type GraphQLOutputType, getNullableType, isListType, isNonNullType } from 'graphql';
import { ErrorCode } from '../../platform/errors';
import { type AuthorizationOutcome, PLACEHOLDER_KEY, type RefusedField } from './operation-pruning';

/** An answer's data once the refusals are written in: null when a refusal reached the root. */
export interface RefusedAnswer {
  data: Record<string, unknown> | null;
  errors: GraphQLFormattedError[];
}

/**
 * Writes the refusals into an answer, as GraphQL's own null rules would had the refused fields
 * failed: a FORBIDDEN error at every concrete path of a refused field (lists on the way are
 * walked), and `null` at that path when its type allows it, else at the nearest position above
 * that does (a list item, a field, or the whole data). A non-null field is never null, so a client
 * typed from the schema can read every answer. Placeholders are removed.
 */
export function applyRefusals(data: Record<string, unknown>, outcome: AuthorizationOutcome): RefusedAnswer {
  for (const path of outcome.placeholders) {
    forEachParent(data, path, (parent) => {
      delete parent[PLACEHOLDER_KEY];
    });
  }
  const errors: GraphQLFormattedError[] = [];
  // Every refusal is reported, also after one has nulled the whole data: root fields run side by
  // side in GraphQL, and each one's error stands whichever of them reaches the root.
  let rootIsNull = false;
  for (const refused of outcome.refused) {
    if (refuseBelow(data, refused, 0, [], errors)) rootIsNull = true;
  }
  return { data: rootIsNull ? null : data, errors };
}

// Refuses the field at `refused.path[depth]` of `parent` and below; true when `parent` itself must be null.
function refuseBelow(parent: Record<string, unknown>, refused: RefusedField, depth: number, at: (string | number)[], errors: GraphQLFormattedError[]): boolean {
  const key = refused.path[depth];
  const type = refused.types[depth];
  const path = [...at, key];
  let mustBeNull: boolean;
  if (depth === refused.path.length - 1) {
    errors.push({ message: `your role may not see ${refused.coordinate}`, path, extensions: { code: ErrorCode.FORBIDDEN } });
    mustBeNull = true;
  } else {
    mustBeNull = refuseInValue(Object.prototype.hasOwnProperty.call(parent, key) ? parent[key] : undefined, getNullableType(type), refused, depth, path, errors);
  }
  if (!mustBeNull) return false;
  if (isNonNullType(type)) return true;
  // Defined, not assigned: answers are ordinary objects, where assigning an alias "__proto__" would set the prototype.
  Object.defineProperty(parent, key, { value: null, writable: true, enumerable: true, configurable: true });
  return false;
}

// Walks a field's value (through its lists) to the objects holding the next path key; true when the value must be null.
function refuseInValue(value: unknown, type: GraphQLOutputType, refused: RefusedField, depth: number, at: (string | number)[], errors: GraphQLFormattedError[]): boolean {
  if (value === null || value === undefined || typeof value !== 'object') return false;
  if (isListType(type) && Array.isArray(value)) {
    const itemType = type.ofType as GraphQLOutputType;
    for (let index = 0; index < value.length; index++) {
      if (!refuseInValue(value[index], getNullableType(itemType), refused, depth, [...at, index], errors)) continue;
      if (isNonNullType(itemType)) return true;
      value[index] = null;
    }
    return false;
  }
  return refuseBelow(value as Record<string, unknown>, refused, depth + 1, at, errors);
}

// Calls `visitObject` with every object reached by following `keys` from `value`, through lists.
function forEachParent(value: unknown, keys: string[], visitObject: (parent: Record<string, unknown>) => void): void {
  if (value === null || value === undefined || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const item of value) forEachParent(item, keys, visitObject);
    return;
  }
  if (keys.length === 0) {
    visitObject(value as Record<string, unknown>);
    return;
  }
  const [first, ...rest] = keys;
  forEachParent((value as Record<string, unknown>)[first], rest, visitObject);
}
