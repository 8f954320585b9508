import { Supergraph } from '@apollo/federation-internals';
import {
  type DirectiveNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  Kind,
  type ObjectTypeDefinitionNode,
  type ObjectTypeExtensionNode,
  type SelectionSetNode,
  getNamedType,
  isNonNullType,
  isObjectType,
  parse,
} from 'graphql';

/** The subgraphs' names as the supergraph's join__Graph enum spells them, lower-cased. */
export type GraphName = 'erp' | 'crm' | 'integration';

type AnyResolvers = Record<string, Record<string, unknown>>;

/** Per graph: its resolver map and how to get its per-request context from the baseline's. */
export interface BaselineGraph {
  resolvers: AnyResolvers;
}

/** Which graphs own each field, and which types each graph can resolve by key. */
interface Ownership {
  owners: Map<string, Map<string, GraphName[]>>;
  /** Per type: each graph's key field sets (entities only). */
  keys: Map<string, Map<GraphName, string[][]>>;
}

// The integration subgraph keys Customer by every id, so it is the bridge between the ERP's and the CRM's keys.
const BRIDGE: GraphName = 'integration';

/**
 * The no-federation baseline's schema: the public API schema (the supergraph minus federation),
 * each field answered in this process by the resolver of the subgraph that owns it, with the
 * subgraphs' own loaders and connectors. An entity reached from another subgraph is turned into
 * the owner's model by the owner's `__resolveReference`, as the gateway's entity fetch would,
 * but without any HTTP hop or query plan.
 */
export function buildBaselineSchema(supergraphSdl: string, graphs: Record<GraphName, BaselineGraph>): GraphQLSchema {
  // Security features (@requiresScopes) are the gateway's concern; the baseline serves the bench's admin token.
  const schema = Supergraph.build(supergraphSdl, { supportedFeatures: null }).apiSchema().toGraphQLJSSchema();
  const ownership = readOwnership(supergraphSdl);
  const origin = new WeakMap<object, GraphName>();
  const converted = new WeakMap<object, Map<GraphName, Promise<unknown>>>();

  const tag = (value: unknown, graph: GraphName): unknown => {
    if (value && typeof value === 'object') {
      if (typeof (value as PromiseLike<unknown>).then === 'function') return (value as Promise<unknown>).then((v) => tag(v, graph));
      if (Array.isArray(value)) for (const item of value) tag(item, graph);
      else if (!origin.has(value)) origin.set(value, graph);
    }
    return value;
  };

  const representationFor = (parent: Record<string, unknown>, typeName: string, graph: GraphName, context: BaselineContext, info: GraphQLResolveInfo): unknown => {
    let perGraph = converted.get(parent);
    if (!perGraph) converted.set(parent, (perGraph = new Map()));
    const done = perGraph.get(graph);
    if (done) return done;
    const resolveIn = async (target: GraphName, reference: Record<string, unknown>) => {
      const resolveReference = graphs[target].resolvers[typeName]?.__resolveReference as ((r: unknown, c: unknown, i: unknown) => unknown) | undefined;
      const result = resolveReference ? await resolveReference({ __typename: typeName, ...reference }, context[target], info) : reference;
      return tag(result, target);
    };
    const hasKey = (target: GraphName, object: Record<string, unknown>) =>
      (ownership.keys.get(typeName)?.get(target) ?? []).some((fields) => fields.every((f) => object[f] !== undefined && object[f] !== null));
    const work = (async () => {
      if (hasKey(graph, parent) || graph === BRIDGE) return resolveIn(graph, parent);
      const bridged = (await resolveIn(BRIDGE, parent)) as Record<string, unknown> | null;
      return bridged ? resolveIn(graph, bridged) : null;
    })();
    perGraph.set(graph, work);
    return work;
  };

  // Per selection of an entity-valued field: the other graphs its subfields come from, and whether
  // one of them is non-null there (the entity cannot stand without that graph's record).
  const neededGraphsBySelection = new WeakMap<readonly FieldNode[], { from: GraphName | undefined; graphs: GraphName[] }[]>();
  const neededGraphs = (entityType: string, from: GraphName | undefined, info: GraphQLResolveInfo): GraphName[] => {
    let perOrigin = neededGraphsBySelection.get(info.fieldNodes);
    if (!perOrigin) neededGraphsBySelection.set(info.fieldNodes, (perOrigin = []));
    const known = perOrigin.find((entry) => entry.from === from);
    if (known) return known.graphs;
    const objectType = schema.getType(entityType);
    const graphs: GraphName[] = [];
    if (isObjectType(objectType)) {
      for (const name of selectedFieldNames(info.fieldNodes, info.fragments)) {
        const field = objectType.getFields()[name];
        const fieldOwners = ownership.owners.get(entityType)?.get(name) ?? [];
        if (!field || fieldOwners.length === 0 || (from && fieldOwners.includes(from)) || !isNonNullType(field.type)) continue;
        if (!graphs.includes(fieldOwners[0])) graphs.push(fieldOwners[0]);
      }
    }
    perOrigin.push({ from, graphs });
    return graphs;
  };
  /**
   * An entity another graph must complete (a won opportunity's order, read from the ERP) is null
   * when that graph has no such record and a non-null field of it is selected: the gateway's
   * entity fetch returns null there and the object's missing non-null field nulls it (Apollo
   * reports that in extensions.valueCompletion, not as an error). Without this the baseline would
   * answer each of the object's fields with a non-null error.
   */
  const completeEntities = (value: unknown, entityType: string, context: BaselineContext, info: GraphQLResolveInfo): unknown => {
    if (value === null || value === undefined) return value;
    if (typeof (value as PromiseLike<unknown>).then === 'function') return (value as Promise<unknown>).then((v) => completeEntities(v, entityType, context, info));
    if (Array.isArray(value)) {
      const items = value.map((item) => completeEntities(item, entityType, context, info));
      return items.some((item) => item && typeof (item as PromiseLike<unknown>).then === 'function') ? Promise.all(items) : items;
    }
    const object = value as Record<string, unknown>;
    const graphs = neededGraphs(entityType, origin.get(object), info);
    if (graphs.length === 0) return value;
    return Promise.all(graphs.map((graph) => representationFor(object, entityType, graph, context, info))).then((natives) => (natives.includes(null) ? null : value));
  };

  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const owners = ownership.owners.get(type.name);
    const isEntity = ownership.keys.has(type.name);
    const isRoot = type.name === 'Query' || type.name === 'Mutation';
    for (const field of Object.values(type.getFields())) {
      const fieldOwners = owners?.get(field.name) ?? [];
      if (fieldOwners.length === 0) continue;
      const returnsEntity = ownership.keys.has(getNamedType(field.type).name) ? getNamedType(field.type).name : undefined;
      const resolveOwn: GraphQLFieldResolver<unknown, BaselineContext> = (parent, args, context, info) => {
        const parentObject = parent as Record<string, unknown> | undefined;
        const from = parentObject && typeof parentObject === 'object' ? origin.get(parentObject) : undefined;
        const graph = from && fieldOwners.includes(from) ? from : fieldOwners[0];
        const own = graphs[graph].resolvers[type.name]?.[field.name] as GraphQLFieldResolver<unknown, unknown> | undefined;
        const run = (native: unknown) => {
          if (own) return tag(own(native, args, context[graph], info), graph);
          const value = (native as Record<string, unknown> | null)?.[field.name];
          return tag(typeof value === 'function' ? (value as () => unknown).call(native) : value, graph);
        };
        // A key field every graph holds, or a parent this graph produced, needs no conversion.
        if (isRoot || !isEntity || from === graph || !parentObject || (fieldOwners.length > 1 && parentObject[field.name] !== undefined)) return run(parentObject);
        return (representationFor(parentObject, type.name, graph, context, info) as Promise<unknown>).then((native) => (native === null ? null : run(native)));
      };
      field.resolve = returnsEntity ? (parent, args, context, info) => completeEntities(resolveOwn(parent, args, context, info), returnsEntity, context, info) : resolveOwn;
    }
  }
  return schema;
}

// The names of the fields selected directly under these field nodes, through fragments.
function selectedFieldNames(fieldNodes: readonly FieldNode[], fragments: Record<string, FragmentDefinitionNode>): Set<string> {
  const names = new Set<string>();
  const visit = (selectionSet: SelectionSetNode | undefined) => {
    for (const selection of selectionSet?.selections ?? []) {
      if (selection.kind === Kind.FIELD) names.add(selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet);
      else visit(fragments[selection.name.value]?.selectionSet);
    }
  };
  for (const node of fieldNodes) visit(node.selectionSet);
  return names;
}

/** One request's contexts, one per subgraph. */
export type BaselineContext = Record<GraphName, unknown>;

// Reads @join__type and @join__field from the supergraph: who resolves each field, and each graph's keys.
function readOwnership(supergraphSdl: string): Ownership {
  const document = parse(supergraphSdl);
  const owners = new Map<string, Map<string, GraphName[]>>();
  const keys = new Map<string, Map<GraphName, string[][]>>();
  const graphOf = (directive: DirectiveNode) => {
    const arg = directive.arguments?.find((a) => a.name.value === 'graph');
    return arg && arg.value.kind === Kind.ENUM ? (arg.value.value.toLowerCase() as GraphName) : undefined;
  };
  const stringArg = (directive: DirectiveNode, name: string) => {
    const arg = directive.arguments?.find((a) => a.name.value === name);
    return arg && arg.value.kind === Kind.STRING ? arg.value.value : undefined;
  };
  const boolArg = (directive: DirectiveNode, name: string, absent = false) => {
    const arg = directive.arguments?.find((a) => a.name.value === name);
    return arg?.value.kind === Kind.BOOLEAN ? arg.value.value : absent;
  };
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    const type = definition as ObjectTypeDefinitionNode | ObjectTypeExtensionNode;
    const typeGraphs: GraphName[] = [];
    for (const directive of type.directives ?? []) {
      if (directive.name.value !== 'join__type') continue;
      const graph = graphOf(directive);
      if (!graph) continue;
      if (!typeGraphs.includes(graph)) typeGraphs.push(graph);
      const key = stringArg(directive, 'key');
      if (key && boolArg(directive, 'resolvable', true)) {
        const perGraph = keys.get(type.name.value) ?? new Map<GraphName, string[][]>();
        perGraph.set(graph, [...(perGraph.get(graph) ?? []), key.split(/\s+/).filter(Boolean)]);
        keys.set(type.name.value, perGraph);
      }
    }
    const fields = new Map<string, GraphName[]>();
    for (const field of type.fields ?? []) {
      const joins = (field.directives ?? []).filter((d) => d.name.value === 'join__field');
      const fieldGraphs = joins.length === 0 ? typeGraphs : joins.filter((d) => !boolArg(d, 'external')).map(graphOf).filter((g): g is GraphName => g !== undefined);
      fields.set(field.name.value, fieldGraphs);
    }
    owners.set(type.name.value, fields);
  }
  return { owners, keys };
}
