import { type DocumentNode, GraphQLError, visit } from 'graphql';
import { ErrorCode } from '../platform/errors';

/** Documents whose literals are all finite numbers. */
const checkedLiterals = new WeakSet<DocumentNode>();

/**
 * Refuses numbers no client can mean: a literal such as `1e400` or a JSON variable that parses to
 * Infinity. GraphQL reads a literal of a custom scalar (Decimal) as a double, so it would become
 * Infinity and fail later, deep in query planning, as an internal error.
 */
export function checkNumericInputs(document: DocumentNode, variables: Record<string, unknown> | undefined): void {
  // Apollo Server keeps one parsed document per query text, so its literals are checked once.
  if (!checkedLiterals.has(document)) {
    visit(document, {
      FloatValue: (node) => refuseUnlessFinite(Number(node.value), node.value),
      IntValue: (node) => refuseUnlessFinite(Number(node.value), node.value),
    });
    checkedLiterals.add(document);
  }
  const walk = (value: unknown, path: string): void => {
    if (typeof value === 'number') refuseUnlessFinite(value, `$${path}`);
    else if (Array.isArray(value)) value.forEach((item, i) => walk(item, `${path}.${i}`));
    else if (value !== null && typeof value === 'object') for (const [key, item] of Object.entries(value)) walk(item, `${path}.${key}`);
  };
  for (const [name, value] of Object.entries(variables ?? {})) walk(value, name);
}

function refuseUnlessFinite(value: number, text: string): void {
  if (Number.isFinite(value)) return;
  throw new GraphQLError(`${text.length > 40 ? `${text.slice(0, 40)}…` : text} is out of range for any number; send amounts as decimal strings such as "120.50"`, {
    extensions: { code: ErrorCode.BAD_USER_INPUT, http: { status: 400 } },
  });
}

