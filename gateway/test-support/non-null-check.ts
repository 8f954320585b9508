import {
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLOutputType,
  type GraphQLSchema,
  Kind,
  type SelectionSetNode,
  getNamedType,
  getNullableType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  parse,
} from 'graphql';

/**
 * The paths where an answer holds null although the schema says non-null: what a client typed
 * from the schema (or a normalized cache) cannot read. Empty for every well-formed answer.
 */
export function nullsInNonNullPositions(schema: GraphQLSchema, query: string, data: unknown): string[] {
  const document: DocumentNode = parse(query);
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (!operation || operation.kind !== Kind.OPERATION_DEFINITION) return [];
  const root = operation.operation === 'mutation' ? schema.getMutationType()! : schema.getQueryType()!;
  const found: string[] = [];

  const checkValue = (value: unknown, type: GraphQLOutputType, selectionSet: SelectionSetNode | undefined, path: string): void => {
    if (value === null || value === undefined) {
      if (isNonNullType(type)) found.push(path);
      return;
    }
    const nullable = getNullableType(type);
    if (isListType(nullable)) {
      (value as unknown[]).forEach((item, index) => checkValue(item, nullable.ofType as GraphQLOutputType, selectionSet, `${path}.${index}`));
      return;
    }
    if (selectionSet) checkObject(value as Record<string, unknown>, getNamedType(nullable), selectionSet, path);
  };
  const checkObject = (value: Record<string, unknown>, type: ReturnType<typeof getNamedType>, selectionSet: SelectionSetNode, path: string): void => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        checkObject(value, type, selection.selectionSet, path);
      } else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (fragment) checkObject(value, type, fragment.selectionSet, path);
      } else if ((isObjectType(type) || isInterfaceType(type)) && !selection.name.value.startsWith('__')) {
        const field = type.getFields()[selection.name.value];
        const key = selection.alias?.value ?? selection.name.value;
        if (field && key in value) checkValue(value[key], field.type, selection.selectionSet, path ? `${path}.${key}` : key);
      }
    }
  };
  if (data !== null && data !== undefined) checkObject(data as Record<string, unknown>, root, operation.selectionSet, '');
  return found;
}
