import { Supergraph } from '@apollo/federation-internals';
import { type DirectiveNode, type GraphQLSchema, Kind, parse } from 'graphql';
import type { Principal } from '../auth';

/**
 * Who may read or call a field: any one of the inner lists, all of whose scopes the caller holds
 * (the shape of Federation's `@requiresScopes(scopes: [["finance"], ["admin"]])`).
 */
export type ScopeRule = string[][];

/** The scope rules of a supergraph: per `Type.field`, and per type for every field returning it. */
export interface FieldScopes {
  fields: Map<string, ScopeRule>;
  types: Map<string, ScopeRule>;
}

const REQUIRES_SCOPES_LINK = /@link\(url: "https:\/\/specs\.apollo\.dev\/requiresScopes\/v0\.1", for: SECURITY\)/;

/**
 * The supergraph as @apollo/gateway accepts it: the Node gateway refuses every `for: SECURITY`
 * feature it does not enforce itself, and @requiresScopes is enforced here (the request hook and
 * the authorization plugin), so the link is kept without the purpose.
 */
export function gatewaySupergraphSdl(supergraphSdl: string): string {
  return supergraphSdl.replace(REQUIRES_SCOPES_LINK, '@link(url: "https://specs.apollo.dev/requiresScopes/v0.1")');
}

/** The client-facing schema of a supergraph (what operations are validated against). */
export function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(gatewaySupergraphSdl(supergraphSdl)).apiSchema().toGraphQLJSSchema();
}

/** Reads every @requiresScopes of the composed supergraph SDL. */
export function readFieldScopes(supergraphSdl: string): FieldScopes {
  const fields = new Map<string, ScopeRule>();
  const types = new Map<string, ScopeRule>();
  for (const definition of parse(supergraphSdl).definitions) {
    if (
      definition.kind !== Kind.OBJECT_TYPE_DEFINITION &&
      definition.kind !== Kind.OBJECT_TYPE_EXTENSION &&
      definition.kind !== Kind.INTERFACE_TYPE_DEFINITION &&
      definition.kind !== Kind.INTERFACE_TYPE_EXTENSION
    ) {
      continue;
    }
    const typeRule = scopeRuleOf(definition.directives);
    if (typeRule) types.set(definition.name.value, typeRule);
    for (const field of definition.fields ?? []) {
      const rule = scopeRuleOf(field.directives);
      if (rule) fields.set(`${definition.name.value}.${field.name.value}`, rule);
    }
  }
  return { fields, types };
}

function scopeRuleOf(directives: readonly DirectiveNode[] | undefined): ScopeRule | undefined {
  const directive = directives?.find((d) => d.name.value === 'requiresScopes');
  const argument = directive?.arguments?.find((a) => a.name.value === 'scopes');
  if (!argument || argument.value.kind !== Kind.LIST) return undefined;
  return argument.value.values.map((inner) => (inner.kind === Kind.LIST ? inner.values.map((v) => (v.kind === Kind.STRING ? v.value : '')) : []));
}

/** The scopes a principal holds: its role. */
export function scopesOf(principal: Principal): ReadonlySet<string> {
  return new Set([principal.role]);
}

/** True when the scopes satisfy the rule (no rule: open to every authenticated caller). */
export function isAllowed(rule: ScopeRule | undefined, scopes: ReadonlySet<string>): boolean {
  if (!rule) return true;
  return rule.some((all) => all.every((scope) => scopes.has(scope)));
}

/** A key naming a set of scopes, the same whatever their order. */
export function scopesKey(scopes: ReadonlySet<string>): string {
  return [...scopes].sort().join(' ');
}
