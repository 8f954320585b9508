import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLObjectType,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
  getNamedType,
  isInterfaceType,
  isObjectType,
  visit,
} from 'graphql';
import { ErrorCode } from '../../platform/errors';
import { idsInArguments } from './argument-ids';
import { type FieldScopes, isAllowed } from './field-scopes';

/** A field taken out of an operation because the caller's role may not see it. */
export interface RefusedField {
  /** Response keys from the root to the field (aliases as sent); lists in between are walked. */
  path: string[];
  /** `Type.field`, for messages and the audit log. */
  coordinate: string;
  /** The schema type of each field on the path (the last is the refused field's): where a null may go. */
  types: GraphQLOutputType[];
  /** For a refused root mutation field: the ids its arguments named (for the audit log). */
  ids?: string[];
}

/** What the gateway decided for one request; read by the response plugin and the audit plugin. */
export interface AuthorizationOutcome {
  refused: RefusedField[];
  /** Paths of the placeholder `__typename` added where a selection set was left empty. */
  placeholders: string[][];
}

/** The response key of the placeholder selected where every field of a set was refused. */
export const PLACEHOLDER_KEY = '_refusedPlaceholder';
// Upper bound of fields visited while walking one operation, so a fragment bomb costs little.
const MAX_VISITS = 20_000;

/** The result of authorizing one operation. */
export interface AuthorizedDocument {
  /** The document to execute: the one sent when nothing was refused, else without the refused fields. */
  document: DocumentNode;
  changed: boolean;
  outcome: AuthorizationOutcome;
}

/** Thrown when an operation is too large to authorize; nothing runs. */
export class AuthorizationLimitError extends GraphQLError {
  constructor() {
    super('the operation is too large to authorize', { extensions: { code: ErrorCode.BAD_USER_INPUT, limit: 'cost', http: { status: 400 } } });
  }
}

/**
 * Removes from an operation every field the scopes do not allow and returns each refused field's
 * response path. Refusal depends only on the parent type and the field, so a field refused inside
 * a fragment is refused wherever the fragment is spread; the fragment is edited once and the walk
 * records one path per use. A selection set left empty gets a placeholder `__typename` (removed
 * from the answer again), variables no longer used lose their definitions, and fragments no
 * longer spread are dropped, so the rewritten document stays valid.
 * Returns undefined when the operation cannot be chosen (Apollo refuses it then without running anything).
 */
export function authorizeDocument(
  schema: GraphQLSchema,
  fieldScopes: FieldScopes,
  document: DocumentNode,
  operationName: string | undefined,
  scopes: ReadonlySet<string>,
  variables: Record<string, unknown> = {},
): AuthorizedDocument | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  if (!operation) return undefined;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const root = operation.operation === 'mutation' ? schema.getMutationType() : operation.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType();
  if (!root) return undefined;

  const refusedNodes = new Set<FieldNode>();
  const outcome: AuthorizationOutcome = { refused: [], placeholders: [] };
  const seenPaths = new Set<string>();
  let visits = 0;

  const fieldRefused = (parent: GraphQLNamedType, node: FieldNode): boolean => {
    if (node.name.value.startsWith('__')) return false;
    if (!isObjectType(parent) && !isInterfaceType(parent)) return false;
    const field = parent.getFields()[node.name.value];
    if (!field) return false;
    const returned = getNamedType(field.type).name;
    return !isAllowed(fieldScopes.fields.get(`${parent.name}.${node.name.value}`), scopes) || !isAllowed(fieldScopes.types.get(returned), scopes);
  };

  const walk = (selectionSet: SelectionSetNode, parent: GraphQLNamedType, path: string[], types: GraphQLOutputType[], spread: ReadonlySet<string>): void => {
    for (const selection of selectionSet.selections) {
      if (++visits > MAX_VISITS) throw new AuthorizationLimitError();
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || spread.has(fragment.name.value)) continue;
        walk(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) ?? parent, path, types, new Set([...spread, fragment.name.value]));
        continue;
      }
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : undefined;
        walk(selection.selectionSet, condition ?? parent, path, types, spread);
        continue;
      }
      const key = selection.alias?.value ?? selection.name.value;
      const fieldPath = [...path, key];
      if (fieldRefused(parent, selection)) {
        refusedNodes.add(selection);
        const id = fieldPath.join('\u0000');
        if (!seenPaths.has(id)) {
          seenPaths.add(id);
          const field = (parent as GraphQLObjectType).getFields()[selection.name.value];
          const refused: RefusedField = { path: fieldPath, coordinate: `${parent.name}.${selection.name.value}`, types: [...types, field.type] };
          if (path.length === 0 && operation.operation === 'mutation') refused.ids = idsInArguments(selection, variables);
          outcome.refused.push(refused);
        }
        continue;
      }
      if (!selection.selectionSet || !(isObjectType(parent) || isInterfaceType(parent))) continue;
      const field = parent.getFields()[selection.name.value];
      if (field) walk(selection.selectionSet, getNamedType(field.type), fieldPath, [...types, field.type], spread);
    }
  };
  walk(operation.selectionSet, root, [], [], new Set());
  if (refusedNodes.size === 0) return { document, changed: false, outcome };

  // Remove the refused fields; an emptied set gets the placeholder so the document stays valid.
  const placeholder: FieldNode = { kind: Kind.FIELD, alias: { kind: Kind.NAME, value: PLACEHOLDER_KEY }, name: { kind: Kind.NAME, value: '__typename' } };
  const pruned = visit(document, {
    Field: { enter: (node) => (refusedNodes.has(node) ? null : undefined) },
    SelectionSet: {
      leave: (node) => {
        if (node.selections.length > 0) return undefined;
        return { ...node, selections: [placeholder] };
      },
    },
  });
  // Record where placeholders landed, to strip them from the answer.
  const placeholderPaths = new Set<string>();
  collectPlaceholderPaths(pruned, operation, outcome, placeholderPaths);

  const rewritten = dropUnused(pruned, operation.name?.value, operations.length);
  return { document: rewritten, changed: true, outcome };
}

// Walks the pruned operation and records the response paths of every placeholder.
function collectPlaceholderPaths(document: DocumentNode, original: OperationDefinitionNode, outcome: AuthorizationOutcome, paths: Set<string>): void {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && d.name?.value === original.name?.value && d.operation === original.operation);
  if (!operation) return;
  let visits = 0;
  const walk = (selections: readonly SelectionNode[], path: string[], spread: ReadonlySet<string>): void => {
    for (const selection of selections) {
      if (++visits > MAX_VISITS) throw new AuthorizationLimitError();
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (fragment && !spread.has(fragment.name.value)) walk(fragment.selectionSet.selections, path, new Set([...spread, fragment.name.value]));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet.selections, path, spread);
      } else if (selection.alias?.value === PLACEHOLDER_KEY && selection.name.value === '__typename') {
        const id = path.join('\u0000');
        if (!paths.has(id)) {
          paths.add(id);
          outcome.placeholders.push(path);
        }
      } else if (selection.selectionSet) {
        walk(selection.selectionSet.selections, [...path, selection.alias?.value ?? selection.name.value], spread);
      }
    }
  };
  walk(operation.selectionSet.selections, [], new Set());
}

// Keeps only the chosen operation, the fragments it still spreads and the variables it still uses.
function dropUnused(document: DocumentNode, operationName: string | undefined, operationCount: number): DocumentNode {
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && (operationCount === 1 || d.name?.value === operationName),
  );
  if (!operation) return document;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const usedFragments = new Set<string>();
  const usedVariables = new Set<string>();
  const collect = (node: OperationDefinitionNode['selectionSet'] | FragmentDefinitionNode): void => {
    visit(node, {
      FragmentSpread: (spread) => {
        if (usedFragments.has(spread.name.value)) return;
        usedFragments.add(spread.name.value);
        const fragment = fragments.get(spread.name.value);
        if (fragment) collect(fragment);
      },
      Variable: (variable) => {
        usedVariables.add(variable.name.value);
      },
    });
  };
  collect(operation.selectionSet);
  // Variables used in the operation's own directives stay too.
  for (const directive of operation.directives ?? []) visit(directive, { Variable: (v) => void usedVariables.add(v.name.value) });
  const keptOperation: OperationDefinitionNode = {
    ...operation,
    variableDefinitions: operation.variableDefinitions?.filter((v) => usedVariables.has(v.variable.name.value)),
  };
  return {
    ...document,
    definitions: [keptOperation, ...[...fragments.values()].filter((f) => usedFragments.has(f.name.value))],
  };
}
