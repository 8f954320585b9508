import { type FieldNode, Kind, type ValueNode } from 'graphql';

/** Ids named by a mutation field's arguments: any argument or input field called `id` or ending in `Id`. */
export function idsInArguments(field: FieldNode, variables: Record<string, unknown>): string[] {
  const ids: string[] = [];
  const fromValue = (name: string, value: unknown): void => {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) {
      for (const item of value) fromValue(name, item);
    } else if (typeof value === 'object') {
      for (const [key, inner] of Object.entries(value as Record<string, unknown>)) fromValue(key, inner);
    } else if ((name === 'id' || name.endsWith('Id')) && (typeof value === 'string' || typeof value === 'number')) {
      ids.push(String(value));
    }
  };
  for (const argument of field.arguments ?? []) fromValue(argument.name.value, valueOfNode(argument.value, variables));
  return [...new Set(ids)].slice(0, 50);
}

function valueOfNode(node: ValueNode, variables: Record<string, unknown>): unknown {
  switch (node.kind) {
    case Kind.VARIABLE:
      return variables[node.name.value];
    case Kind.STRING:
    case Kind.INT:
    case Kind.FLOAT:
    case Kind.ENUM:
      return node.value;
    case Kind.LIST:
      return node.values.map((v) => valueOfNode(v, variables));
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((f) => [f.name.value, valueOfNode(f.value, variables)]));
    default:
      return undefined;
  }
}
