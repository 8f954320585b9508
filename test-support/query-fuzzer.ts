import {
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isObjectType,
  isScalarType,
} from 'graphql';

/** One generated request body. */
export interface FuzzRequest {
  query: string;
  variables?: Record<string, unknown>;
}

/** A small deterministic PRNG (mulberry32), so a failing case can be reproduced from its seed. */
export function randomSource(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOSTILE_STRINGS = ['', ' ', 'crm:', 'erp:K-', 'crm:not-a-uuid', "'; DROP TABLE x; --", '\u0000', '😀'.repeat(50), 'x'.repeat(5000), '{"$gt":""}', '../../etc/passwd', '1e309', '-0', 'NaN'];
const HOSTILE_NUMBERS = [0, -1, 1, 101, 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, 1e20, 3.5, Number.MAX_SAFE_INTEGER];

/**
 * Generates GraphQL requests from a schema: random selections of real fields with arguments that
 * are sometimes right, sometimes the wrong type, huge, negative or very long, and sometimes the
 * text mutated into broken syntax. Deterministic for a given seed.
 */
export class QueryFuzzer {
  private readonly random: () => number;

  constructor(private readonly schema: GraphQLSchema, seed: number) {
    this.random = randomSource(seed);
  }

  /** The next request. */
  next(): FuzzRequest {
    const roll = this.random();
    const root = roll < 0.75 ? this.schema.getQueryType()! : this.schema.getMutationType()!;
    const keyword = root === this.schema.getQueryType() ? 'query' : 'mutation';
    const variables: Record<string, unknown> = {};
    const definitions: string[] = [];
    const body = this.selection(root, 0, 1 + Math.floor(this.random() * 3), variables, definitions);
    let query = `${keyword} Fuzz${definitions.length ? `(${definitions.join(', ')})` : ''} ${body}`;
    if (this.random() < 0.2) query = this.mutate(query);
    if (this.random() < 0.1) return { query, variables: this.wrongVariables(variables) };
    return { query, variables };
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)];
  }

  private selection(type: GraphQLObjectType, depth: number, count: number, variables: Record<string, unknown>, definitions: string[]): string {
    const fields = Object.values(type.getFields());
    const parts: string[] = [];
    for (let i = 0; i < count; i++) {
      const field = this.pick(fields);
      const alias = this.random() < 0.1 ? `a${i}: ` : '';
      parts.push(`${alias}${field.name}${this.arguments(field, variables, definitions)}${this.subSelection(field, depth, variables, definitions)}`);
    }
    if (this.random() < 0.05) parts.push('__typename');
    return `{ ${parts.join(' ')} }`;
  }

  private subSelection(field: GraphQLField<unknown, unknown>, depth: number, variables: Record<string, unknown>, definitions: string[]): string {
    const named = getNamedType(field.type);
    if (!isObjectType(named)) return this.random() < 0.03 ? ' { id }' : '';
    if (depth >= 4) return ' { __typename }';
    return ` ${this.selection(named, depth + 1, 1 + Math.floor(this.random() * 3), variables, definitions)}`;
  }

  private arguments(field: GraphQLField<unknown, unknown>, variables: Record<string, unknown>, definitions: string[]): string {
    if (field.args.length === 0) return this.random() < 0.03 ? '(bogus: 1)' : '';
    const parts: string[] = [];
    for (const arg of field.args) {
      if (this.random() < 0.2) continue;
      if (this.random() < 0.3) {
        const name = `v${definitions.length}`;
        definitions.push(`$${name}: ${arg.type.toString()}`);
        variables[name] = this.value(arg.type, 0);
        parts.push(`${arg.name}: $${name}`);
      } else {
        parts.push(`${arg.name}: ${this.literal(arg, 0)}`);
      }
    }
    return parts.length ? `(${parts.join(', ')})` : '';
  }

  private literal(arg: GraphQLArgument, depth: number): string {
    return toLiteral(this.value(arg.type, depth), getNamedType(arg.type));
  }

  // A value for an input type: mostly plausible, sometimes hostile or of the wrong type.
  private value(type: GraphQLInputType, depth: number): unknown {
    if (this.random() < 0.1) return this.pick<unknown>([null, ...HOSTILE_STRINGS, ...HOSTILE_NUMBERS, true, [], {}]);
    const nullable = getNullableType(type);
    if (isListType(nullable)) return depth > 2 ? [] : Array.from({ length: Math.floor(this.random() * 3) }, () => this.value(nullable.ofType, depth + 1));
    if (isEnumType(nullable)) return this.pick(nullable.getValues()).name;
    if (isInputObjectType(nullable)) {
      if (depth > 2) return {};
      return Object.fromEntries(Object.values(nullable.getFields()).map((f) => [f.name, this.value(f.type, depth + 1)]));
    }
    if (isScalarType(nullable)) {
      switch (nullable.name) {
        case 'Int':
          return this.pick(HOSTILE_NUMBERS.concat([1, 2, 5, 20]));
        case 'Boolean':
          return this.random() < 0.5;
        case 'Decimal':
          return this.pick(['10.00', '0', '-5', '1e9', '0.001', '99999999999999999.99', 'abc', '12,50']);
        case 'DateTime':
        case 'Date':
          return this.pick(['2026-12-31', '2026-11-29T10:15:00Z', 'yesterday', '']);
        default:
          return this.pick(['crm:00000000-0000-4000-8000-000000000000', 'erp:K-10001', 'SO-1001', 'P-1000', ...HOSTILE_STRINGS]);
      }
    }
    return null;
  }

  private wrongVariables(variables: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(Object.keys(variables).map((k) => [k, this.pick<unknown>([{ nested: [1, 2] }, 'x'.repeat(3000), 1e308, -1, true, null])]));
  }

  // Breaks the text: drops, duplicates or swaps characters, or cuts it short.
  private mutate(query: string): string {
    const at = Math.floor(this.random() * query.length);
    switch (Math.floor(this.random() * 5)) {
      case 0:
        return query.slice(0, at);
      case 1:
        return query.slice(0, at) + query.slice(at + 1);
      case 2:
        return query.slice(0, at) + this.pick(['{', '}', '(', ')', '$', '"', '\\', '...', '@skip', '#', ':']) + query.slice(at);
      case 3:
        return query.replace(/\{/g, () => (this.random() < 0.3 ? '{{' : '{'));
      default:
        return `${query}${'{ a '.repeat(50)}`;
    }
  }
}

// Prints a JS value as a GraphQL literal; enum names stay bare when the target is an enum.
function toLiteral(value: unknown, named: ReturnType<typeof getNamedType>): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return isEnumType(named) && /^[A-Z_]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '1e999';
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map((v) => toLiteral(v, named)).join(', ')}]`;
  if (typeof value === 'object') {
    const fields = isInputObjectType(named) ? named.getFields() : {};
    return `{ ${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k}: ${toLiteral(v, fields[k] ? getNamedType(fields[k].type) : named)}`)
      .join(', ')} }`;
  }
  return 'null';
}
