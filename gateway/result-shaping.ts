import * as federation from '@apollo/federation-internals';
import type { CompositeType, FieldSelection, FragmentSelection, NamedType, Schema, Selection, SelectionSet, Type } from '@apollo/federation-internals';
import type * as apolloResultShaping from '@apollo/gateway/dist/resultShaping';
import gatewayPackage from '@apollo/gateway/package.json';
import type { GraphQLError } from 'graphql';

/**
 * The answer shaping @apollo/gateway runs after every query plan (`computeResponse`: the subgraphs'
 * merged data cut down to what the client selected, nulls bubbled to the nearest nullable field,
 * invalid values reported), done with the same rules at a fraction of the cost. Profiling the
 * gateway on Customer 360 (a 630 KB answer) showed Apollo's version as more than half of the
 * gateway's CPU per request: per value it re-reads @skip/@include, allocates assertion closures
 * and result records, and creates prototype-less objects that V8 keeps in dictionary mode (which
 * also slows the JSON serialisation of the answer). Here every selection set is read once per
 * request, values are walked without allocations besides the answer itself, and answer objects
 * are ordinary objects. gateway/result-shaping.test.ts checks the result against Apollo's own
 * function, answer and errors, so an upgrade that changes the rules fails there.
 */
export function computeResponse({ operation, variables, input, introspectionHandling }: ComputeResponseArgs): ComputeResponseResult {
  if (!input) return { data: input, errors: [] };
  const schema = operation.schema();
  const shaping: Shaping = {
    schema,
    variables: { __proto__: null, ...operation.collectDefaultedVariableValues(), ...variables },
    errors: [],
    introspectionHandling,
    compiled: new Map(),
    typeByName: new Map(),
  };
  const data = {};
  const result = applySelectionSet(shaping, input, operation.selectionSet, data, [], schema.schemaDefinition.rootType(operation.rootKind)!);
  return { data: result === NULL_BUBBLE_UP ? null : data, errors: shaping.errors };
}

// Read once: the package re-exports through getters, and these run for every value of every answer.
const { ERRORS, Variable, isCompositeType, isCustomScalarType, isEnumType, isListType, isNonNullType, isObjectType, isSubtype, isValidLeafValue, typenameFieldName } = federation;
const assert: typeof federation.assert = federation.assert;

type ComputeResponseArgs = Parameters<typeof apolloResultShaping.computeResponse>[0];
type ComputeResponseResult = ReturnType<typeof apolloResultShaping.computeResponse>;

/** The @apollo/gateway version computeResponse was compared against (result-shaping.fuzz.test.ts). */
export const SUPPORTED_GATEWAY_VERSION = '2.14.4';

/**
 * Makes @apollo/gateway shape answers with computeResponse above. Its query-plan executor calls
 * the function through its module's exports, so replacing the export is enough. Only done for the
 * version the equivalence test ran against; any other version keeps Apollo's own function, and
 * result-shaping.test.ts fails until the comparison is rerun on it and the version updated.
 */
export function useFastResultShaping(): boolean {
  if (gatewayPackage.version !== SUPPORTED_GATEWAY_VERSION) return false;
  // The module's own exports object: an ES import would give a copy the executor never reads.
  const resultShapingModule = require('@apollo/gateway/dist/resultShaping') as { computeResponse: typeof computeResponse };
  resultShapingModule.computeResponse = computeResponse;
  return true;
}

/** One request's shaping: its variables, the errors found, and its selection sets read once. */
interface Shaping {
  schema: Schema;
  variables: Record<string, unknown>;
  errors: GraphQLError[];
  introspectionHandling: ComputeResponseArgs['introspectionHandling'];
  compiled: Map<SelectionSet, CompiledSelection[]>;
  typeByName: Map<string, NamedType | undefined>;
}

/** One selection of a selection set, with what the walk asks of it on every value. */
interface CompiledSelection {
  selection: Selection;
  /** @skip/@include, read on first use (as Apollo does: a selection never reached is never read). */
  skipped: boolean | undefined;
  field: FieldSelection | undefined;
  responseName: string;
  /** The response name is also a property of Object.prototype ("constructor", "__proto__"...). */
  inheritedName: boolean;
  isIntrospection: boolean;
  isTypename: boolean;
  type: Type | undefined;
  fragment: FragmentSelection | undefined;
  /** Whether the fragment's type condition applies, per __typename (or per parent type without one). */
  conditionApplies: Map<string | NamedType, boolean>;
  /**
   * For a field of a scalar or enum type (non-null or not): true for a value that is certainly
   * valid, which is then copied as it is; anything else takes the general path, which reports it.
   * Null for every other field; undefined until first needed.
   */
  leafCheck: ((value: unknown) => boolean) | null | undefined;
}

const OK = 0;
const NULL_BUBBLE_UP = 1;

// Set by updateOutputValue beside its return value (the walk is synchronous), instead of a record per value.
let lastInvalid = false;
let lastHasErrors = false;

function compile(shaping: Shaping, selectionSet: SelectionSet): CompiledSelection[] {
  let compiled = shaping.compiled.get(selectionSet);
  if (compiled) return compiled;
  compiled = selectionSet.selections().map((selection): CompiledSelection => {
    if (selection.kind === 'FieldSelection') {
      const field = selection.element;
      const responseName = field.responseName();
      return {
        selection,
        skipped: undefined,
        field: selection,
        responseName,
        inheritedName: responseName in Object.prototype,
        isIntrospection: field.definition.isSchemaIntrospectionField(),
        isTypename: field.name === typenameFieldName,
        type: field.definition.type,
        fragment: undefined,
        conditionApplies: new Map(),
        leafCheck: undefined,
      };
    }
    return {
      selection,
      skipped: undefined,
      field: undefined,
      responseName: '',
      inheritedName: false,
      isIntrospection: false,
      isTypename: false,
      type: undefined,
      fragment: selection,
      conditionApplies: new Map(),
      leafCheck: null,
    };
  });
  shaping.compiled.set(selectionSet, compiled);
  return compiled;
}

const isString = (value: unknown) => typeof value === 'string';
const isBoolean = (value: unknown) => typeof value === 'boolean';
const isFiniteNumber = (value: unknown) => typeof value === 'number' && Number.isFinite(value);
const isAny = () => true;

// The values isValidLeafValue certainly accepts for `type`, decided without it (see CompiledSelection.leafCheck).
function leafCheckOf(schema: Schema, type: Type): ((value: unknown) => boolean) | null {
  const base = isNonNullType(type) ? type.ofType : type;
  if (isListType(base) || isCompositeType(base)) return null;
  if (isCustomScalarType(base)) return isAny;
  if (base === schema.stringType() || base === schema.idType()) return isString;
  if (base === schema.booleanType()) return isBoolean;
  // A safe integer prints without an exponent, so it matches Apollo's integer pattern.
  if (base === schema.intType()) return Number.isSafeInteger;
  if (base === schema.floatType()) return isFiniteNumber;
  if (isEnumType(base)) {
    const enumType = base;
    return (value) => typeof value === 'string' && enumType.value(value) !== undefined;
  }
  return null;
}

function isSkipped(shaping: Shaping, selection: Selection): boolean {
  const element = selection.element;
  const skip = element.appliedDirectivesOf(shaping.schema.skipDirective())[0];
  const include = element.appliedDirectivesOf(shaping.schema.includeDirective())[0];
  return Boolean((skip && ifValue(skip, shaping.variables)) || (include && !ifValue(include, shaping.variables)));
}

function ifValue(directive: { arguments(): Record<string, unknown> }, variables: Record<string, unknown>): boolean {
  const ifArgument = directive.arguments().if;
  if (ifArgument instanceof Variable) {
    const value = variables[ifArgument.name];
    assert(value !== undefined && typeof value === 'boolean', () => `Unexpected value ${value} for variable ${ifArgument} of ${directive}`);
    return value as boolean;
  }
  return ifArgument as boolean;
}

function typeNamed(shaping: Shaping, name: string): NamedType | undefined {
  if (shaping.typeByName.has(name)) return shaping.typeByName.get(name);
  const type = shaping.schema.type(name);
  shaping.typeByName.set(name, type);
  return type;
}

function readOutput(output: Record<string, unknown>, entry: CompiledSelection): unknown {
  return entry.inheritedName ? (Object.prototype.hasOwnProperty.call(output, entry.responseName) ? output[entry.responseName] : undefined) : output[entry.responseName];
}

function writeOutput(output: Record<string, unknown>, entry: CompiledSelection, value: unknown): void {
  if (entry.inheritedName) Object.defineProperty(output, entry.responseName, { value, writable: true, enumerable: true, configurable: true });
  else output[entry.responseName] = value;
}

function applySelectionSet(shaping: Shaping, input: Record<string, unknown>, selectionSet: SelectionSet, output: Record<string, unknown>, path: (string | number)[], parentType: CompositeType): number {
  const entries = compile(shaping, selectionSet);
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    if (entry.skipped === undefined) entry.skipped = isSkipped(shaping, entry.selection);
    if (entry.skipped) continue;
    if (entry.field) {
      const responseName = entry.responseName;
      const outputValue = readOutput(output, entry);
      if (entry.isIntrospection) {
        if (outputValue === undefined) writeOutput(output, entry, shaping.introspectionHandling(entry.field));
        continue;
      }
      let inputValue = Object.prototype.hasOwnProperty.call(input, responseName) ? (input[responseName] ?? null) : null;
      if (entry.isTypename) {
        if (outputValue === undefined) {
          if (inputValue === null && responseName !== typenameFieldName) inputValue = input[typenameFieldName] ?? null;
          const type = inputValue !== null && typeof inputValue === 'string' ? (typeNamed(shaping, inputValue) ?? parentType) : parentType;
          if (!isObjectType(type)) return NULL_BUBBLE_UP;
          writeOutput(output, entry, type.name);
        }
        continue;
      }
      if (outputValue === undefined && inputValue !== null) {
        if (entry.leafCheck === undefined) entry.leafCheck = leafCheckOf(shaping.schema, entry.type!);
        // A valid scalar answers as it came, as the general path would, without walking its type.
        if (entry.leafCheck !== null && entry.leafCheck(inputValue)) {
          writeOutput(output, entry, inputValue);
          continue;
        }
      }
      path.push(responseName);
      const updated = updateOutputValue(shaping, outputValue, entry.type!, inputValue, entry.field.selectionSet, path, parentType);
      const invalid = lastInvalid;
      writeOutput(output, entry, updated);
      path.pop();
      if (invalid) return NULL_BUBBLE_UP;
    } else {
      const fragment = entry.fragment!;
      const typename = input[typenameFieldName];
      if (typename && typeof typename !== 'string') assert(false, () => `Got unexpected value for __typename: ${typename}`);
      const typeCondition = fragment.element.typeCondition;
      let applies = true;
      if (typeCondition) {
        const key = (typename as string | undefined) || parentType;
        const known = entry.conditionApplies.get(key);
        if (known === undefined) {
          if (typename) {
            const type = typeNamed(shaping, typename as string);
            applies = !!type && isSubtype(typeCondition, type);
          } else {
            applies = isSubtype(typeCondition, parentType);
          }
          entry.conditionApplies.set(key, applies);
        } else {
          applies = known;
        }
      }
      if (applies) {
        const result = applySelectionSet(shaping, input, fragment.selectionSet, output, path, typeCondition ?? parentType);
        if (result === NULL_BUBBLE_UP) return NULL_BUBBLE_UP;
      }
    }
  }
  return OK;
}

function pathLastElementDescription(path: (string | number)[], currentType: Type, parentType: CompositeType): string {
  const element = path[path.length - 1];
  assert(element !== undefined, 'Should not have been called on an empty path');
  return typeof element === 'string' ? `field ${parentType}.${element}` : `array element of type ${currentType} at index ${element}`;
}

// Returns the updated value; lastInvalid and lastHasErrors say what Apollo's { isInvalid, hasErrors } would.
function updateOutputValue(shaping: Shaping, outputValue: unknown, type: Type, inputValue: unknown, selectionSet: SelectionSet | undefined, path: (string | number)[], parentType: CompositeType): unknown {
  if (inputValue === undefined) assert(false, 'Should not pass undefined for `inputValue` to this method');
  if (outputValue === null || (outputValue !== undefined && !selectionSet)) return done(outputValue, false, false);

  if (isNonNullType(type)) {
    const updated = updateOutputValue(shaping, outputValue, type.ofType, inputValue, selectionSet, path, parentType);
    if (updated === null) {
      if (!lastHasErrors) {
        shaping.errors.push(ERRORS.INVALID_GRAPHQL.err(`Cannot return null for non-nullable ${pathLastElementDescription(path, type.ofType, parentType)}.`, { path: Array.from(path) }));
      }
      return done(null, true, true);
    }
    return done(updated, false, false);
  }
  if (inputValue === null) return done(null, false, false);

  if (isListType(type)) {
    if (!Array.isArray(inputValue)) assert(false, () => `Invalid non-list value ${inputValue} returned by subgraph for list type ${type}`);
    if (outputValue !== undefined && !Array.isArray(outputValue)) assert(false, () => `Invalid non-list value ${outputValue} returned by subgraph for list type ${type}`);
    const inputList = inputValue as unknown[];
    const outputList = outputValue as unknown[] | undefined;
    if (outputList && inputList.length !== outputList.length) {
      assert(false, () => `[${inputList}].length (${inputList.length}) !== [${outputList}].length (${outputList.length})`);
    }
    let shouldNullify = false;
    let hasErrors = false;
    const updated = new Array<unknown>(inputList.length);
    for (let index = 0; index < inputList.length; index++) {
      path.push(index);
      updated[index] = updateOutputValue(shaping, outputList ? outputList[index] : undefined, type.ofType, inputList[index], selectionSet, path, parentType);
      path.pop();
      shouldNullify ||= lastInvalid;
      hasErrors ||= lastHasErrors;
    }
    return done(shouldNullify ? null : updated, false, hasErrors);
  }

  if (isCompositeType(type)) {
    if (!selectionSet) assert(false, () => `Invalid empty selection set for composite type ${type}`);
    if (typeof inputValue !== 'object') assert(false, () => `Invalid non-object value ${inputValue} returned by subgraph for composite type ${type}`);
    if (outputValue !== undefined && typeof outputValue !== 'object') assert(false, () => `Invalid non-object value ${inputValue} returned by subgraph for composite type ${type}`);
    const inputObject = inputValue as Record<string, unknown>;
    const inputTypename = inputObject[typenameFieldName];
    if (inputTypename !== undefined && typeof inputTypename !== 'string') assert(false, () => `Invalid non-string value ${inputTypename} for __typename at ${path}`);
    let objectType: CompositeType = type;
    if (inputTypename) {
      const typenameType = typeNamed(shaping, inputTypename as string);
      if (!typenameType || !isCompositeType(typenameType)) {
        shaping.errors.push(ERRORS.INVALID_GRAPHQL.err(`Invalid __typename found for object at ${pathLastElementDescription(path, type, parentType)}.`, { path: Array.from(path) }));
        return done(null, false, true);
      }
      objectType = typenameType;
    }
    const outputObject = (outputValue ?? {}) as Record<string, unknown>;
    const hasErrors = applySelectionSet(shaping, inputObject, selectionSet!, outputObject, path, objectType) === NULL_BUBBLE_UP;
    return done(hasErrors ? null : outputObject, false, hasErrors);
  }

  if (outputValue !== undefined) assert(false, () => `Excepted output to be undefined but got ${type} for type ${type}`);
  const isValidValue = isCustomScalarType(type) || isValidLeafValue(shaping.schema, inputValue, type as Parameters<typeof isValidLeafValue>[2]);
  if (!isValidValue) {
    shaping.errors.push(ERRORS.INVALID_GRAPHQL.err(`Invalid value found for ${pathLastElementDescription(path, type, parentType)}.`, { path: Array.from(path) }));
  }
  return done(isValidValue ? inputValue : null, false, !isValidValue);
}

function done(value: unknown, invalid: boolean, hasErrors: boolean): unknown {
  lastInvalid = invalid;
  lastHasErrors = hasErrors;
  return value;
}
