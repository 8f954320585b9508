import { readFileSync } from 'node:fs';
import { Supergraph, operationFromDocument } from '@apollo/federation-internals';
import { computeResponse as apolloResultShaping } from '@apollo/gateway/dist/resultShaping';
import {
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  parse,
} from 'graphql';
import { SUPERGRAPH_PATH } from '../scripts/compose';
import { randomSource } from '../test-support/query-fuzzer';
import { gatewaySupergraphSdl } from './authorization/field-scopes';
import { computeResponse } from './result-shaping';

const CASES = 10_000;
const supergraph = Supergraph.build(gatewaySupergraphSdl(readFileSync(SUPERGRAPH_PATH, 'utf8')));
const apiSchema = supergraph.apiSchema();
const schema = apiSchema.toGraphQLJSSchema();

/** One generated case: an operation of the API, its variables, and a merged subgraph answer for it. */
interface ShapingCase {
  query: string;
  variables: Record<string, unknown>;
  input: Record<string, unknown>;
}

/**
 * Random valid operations of the API schema (aliases, repeated fields, inline and named fragments,
 * __typename, @skip/@include on variables and literals, nested lists) and random answers for them:
 * mostly well-formed, sometimes with missing fields, nulls in non-null places, values of the wrong
 * type, unknown enum values and unknown __typename values, as a subgraph could send.
 */
class ShapingCaseGenerator {
  private readonly random: () => number;
  private fragments: string[] = [];
  private variableDefinitions: string[] = [];
  private variables: Record<string, unknown> = {};

  constructor(private readonly schema: GraphQLSchema, seed: number) {
    this.random = randomSource(seed);
  }

  next(): ShapingCase {
    this.fragments = [];
    this.variableDefinitions = [];
    this.variables = {};
    const root = this.schema.getQueryType()!;
    const selection = this.selectionSet(root, 0);
    const definitions = this.variableDefinitions.length ? `(${this.variableDefinitions.join(', ')})` : '';
    const query = [`query Shaping${definitions} ${selection.text}`, ...this.fragments].join('\n');
    return { query, variables: this.variables, input: this.objectFor(root, selection.fields) as Record<string, unknown> };
  }

  private chance(p: number): boolean {
    return this.random() < p;
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)];
  }

  // A selection set as text plus what the answer must hold for it: response name → field and sub-selection.
  private selectionSet(type: GraphQLObjectType, depth: number): { text: string; fields: SelectedField[] } {
    const fields: SelectedField[] = [];
    const parts: string[] = [];
    const count = 1 + Math.floor(this.random() * (depth === 0 ? 3 : 4));
    const candidates = Object.values(type.getFields()).filter((f) => this.arguments(f) !== undefined);
    for (let i = 0; i < count && candidates.length > 0; i++) {
      const field = this.pick(candidates);
      const alias = this.chance(0.2) ? `a${depth}_${i}` : undefined;
      const directive = this.directive();
      const named = getNamedType(field.type);
      let sub: { text: string; fields: SelectedField[] } | undefined;
      if (isObjectType(named)) sub = depth >= 4 ? { text: '{ __typename }', fields: [{ name: '__typename', field: undefined, sub: undefined }] } : this.selectionSet(named, depth + 1);
      const text = `${alias ? `${alias}: ` : ''}${field.name}${this.arguments(field)}${directive}${sub ? ` ${sub.text}` : ''}`;
      const wrapped = this.chance(0.15) ? this.inFragment(type, text) : text;
      parts.push(wrapped);
      fields.push({ name: alias ?? field.name, field, sub: sub?.fields });
    }
    if (this.chance(0.1)) {
      const alias = this.chance(0.5) ? 'kind' : '__typename';
      parts.push(alias === 'kind' ? 'kind: __typename' : '__typename');
      fields.push({ name: alias, field: undefined, sub: undefined });
    }
    return { text: `{ ${parts.join(' ')} }`, fields };
  }

  private inFragment(type: GraphQLObjectType, text: string): string {
    if (this.chance(0.5)) return `... on ${type.name}${this.directive()} { ${text} }`;
    const name = `F${this.fragments.length}`;
    this.fragments.push(`fragment ${name} on ${type.name} { ${text} }`);
    return `...${name}`;
  }

  private directive(): string {
    if (!this.chance(0.15)) return '';
    const kind = this.chance(0.5) ? 'skip' : 'include';
    if (this.chance(0.5)) return ` @${kind}(if: ${this.chance(0.5)})`;
    const name = `b${this.variableDefinitions.length}`;
    this.variableDefinitions.push(`$${name}: Boolean!`);
    this.variables[name] = this.chance(0.5);
    return ` @${kind}(if: $${name})`;
  }

  // Literal arguments for the required ones (and some optional page sizes); undefined when a required argument cannot be made.
  private arguments(field: GraphQLField<unknown, unknown>): string | undefined {
    const parts: string[] = [];
    for (const arg of field.args) {
      const required = isNonNullType(arg.type);
      if (!required && !(arg.name === 'first' && this.chance(0.3))) continue;
      const named = getNamedType(arg.type);
      if (isInputObjectType(named) || isListType(getNullableType(arg.type))) {
        if (required) return undefined;
        continue;
      }
      if (isEnumType(named)) parts.push(`${arg.name}: ${named.getValues()[0].name}`);
      else if (named.name === 'Int') parts.push(`${arg.name}: ${1 + Math.floor(this.random() * 5)}`);
      else if (named.name === 'Boolean') parts.push(`${arg.name}: true`);
      else parts.push(`${arg.name}: "x${Math.floor(this.random() * 100)}"`);
    }
    return parts.length ? `(${parts.join(', ')})` : '';
  }

  private objectFor(type: GraphQLObjectType, fields: SelectedField[]): unknown {
    const object: Record<string, unknown> = {};
    if (this.chance(0.7)) object.__typename = this.chance(0.02) ? 'NoSuchType' : type.name;
    for (const selected of fields) {
      if (this.chance(0.03)) continue;
      if (selected.field === undefined) {
        object[selected.name] = this.chance(0.9) ? type.name : this.pick(['Nope', 'Query', null]);
        continue;
      }
      object[selected.name] = this.valueFor(selected.field.type, selected.sub);
    }
    return object;
  }

  private valueFor(type: GraphQLOutputType, sub: SelectedField[] | undefined): unknown {
    if (this.chance(isNonNullType(type) ? 0.02 : 0.1)) return null;
    const nullable = getNullableType(type);
    if (isListType(nullable)) {
      const length = Math.floor(this.random() * 4);
      return Array.from({ length }, () => this.valueFor(nullable.ofType as GraphQLOutputType, sub));
    }
    if (isObjectType(nullable)) return this.objectFor(nullable, sub ?? []);
    if (isEnumType(nullable)) return this.chance(0.03) ? 'NOT_A_VALUE' : this.pick(nullable.getValues()).name;
    if (this.chance(0.03)) return this.pick([{}, 'text', 3.5, true, 2 ** 40]);
    if (isScalarType(nullable)) {
      switch (nullable.name) {
        case 'Int':
          return Math.floor(this.random() * 1000);
        case 'Float':
          return this.random() * 1000;
        case 'Boolean':
          return this.chance(0.5);
        default:
          return `v${Math.floor(this.random() * 1000)}`;
      }
    }
    return null;
  }
}

interface SelectedField {
  name: string;
  field: GraphQLField<unknown, unknown> | undefined;
  sub: SelectedField[] | undefined;
}

// What a shaping produced, comparable across the two functions: the answer as serialised, the errors, or the failure.
function outcomeOf(run: () => { data?: unknown; errors: { message: string; path?: readonly (string | number)[]; extensions?: Record<string, unknown> }[] }) {
  try {
    const result = run();
    return { data: JSON.stringify(result.data), errors: result.errors.map((e) => ({ message: e.message, path: e.path, code: e.extensions?.code })) };
  } catch (error) {
    return { threw: (error as Error).message };
  }
}

describe('computeResponse against Apollo’s own, on generated operations and answers', () => {
  it(`shapes ${CASES} random cases exactly as @apollo/gateway does`, () => {
    const generator = new ShapingCaseGenerator(schema, 20261202);
    let compared = 0;
    let withErrors = 0;
    let invalid = 0;
    const introspectionHandling = () => ({ introspected: true });
    while (compared < CASES) {
      const shapingCase = generator.next();
      // A generated text can break a validation rule (two fields under one response name); those are not cases.
      let operation: ReturnType<typeof operationFromDocument>;
      try {
        operation = operationFromDocument(apiSchema, parse(shapingCase.query), { validate: true });
      } catch {
        invalid++;
        continue;
      }
      const ours = outcomeOf(() => computeResponse({ operation, variables: shapingCase.variables, input: structuredClone(shapingCase.input), introspectionHandling }));
      const apollo = outcomeOf(() => apolloResultShaping({ operation, variables: shapingCase.variables, input: structuredClone(shapingCase.input), introspectionHandling }));
      if (JSON.stringify(ours) !== JSON.stringify(apollo)) {
        // The case, to reproduce it by hand.
        expect({ case: shapingCase, ours }).toEqual({ case: shapingCase, ours: apollo });
      }
      if (apollo.errors?.length) withErrors++;
      compared++;
    }
    expect(compared).toBe(CASES);
    expect(invalid).toBeLessThan(CASES / 2);
    // The generator reaches the error paths (null bubbling, invalid values), not only clean answers.
    expect(withErrors).toBeGreaterThan(CASES / 10);
  }, 300_000);
});
