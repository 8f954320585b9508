import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, findBreakingChanges, findDangerousChanges } from 'graphql';
import { apiSchemaOf } from '../gateway/authorization/field-scopes';
import { SUPERGRAPH_PATH, composeSupergraph } from '../scripts/compose';

/**
 * The published API: what frontends, partners and reporting tools code against. It lives in the
 * repository so that a plain clone checks itself; changing it is the deliberate act that makes a
 * breaking change possible, and review of that file is where it is seen.
 */
const CONTRACT_PATH = path.resolve(__dirname, '..', 'schema', 'api.graphql');

describe('the supergraph', () => {
  const apiSchema = apiSchemaOf(readFileSync(SUPERGRAPH_PATH, 'utf8'));
  const contract = buildSchema(readFileSync(CONTRACT_PATH, 'utf8'));

  it('is the fresh composition of the subgraph SDL in schema/', () => {
    expect(readFileSync(SUPERGRAPH_PATH, 'utf8')).toBe(composeSupergraph());
  });

  it('serves the whole published contract: nothing in it is missing, renamed or narrowed', () => {
    // Built as the gateway builds it (it enforces @requiresScopes itself).
    expect(findBreakingChanges(contract, apiSchema)).toEqual([]);
  });

  it('adds no dangerous change to the published contract (new enum values, changed defaults) unless written there', () => {
    const dangerous = findDangerousChanges(contract, apiSchema)
      // An argument the served schema adds is optional by the check above; that is growth, not danger.
      .filter((change) => change.type !== 'OPTIONAL_ARG_ADDED');
    expect(dangerous).toEqual([]);
  });
});
