import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, findBreakingChanges } from 'graphql';
import { apiSchemaOf } from '../gateway/authorization';
import { SUPERGRAPH_PATH, composeSupergraph } from '../scripts/compose';

const CONTRACT_PATH = path.resolve(__dirname, '..', '..', 'shared', 'contract', 'api.graphql');

describe('the supergraph', () => {
  it('is the fresh composition of the subgraph SDL in schema/', () => {
    expect(readFileSync(SUPERGRAPH_PATH, 'utf8')).toBe(composeSupergraph());
  });

  it('serves the whole public contract: nothing in it is missing, renamed or narrowed', () => {
    // Built as the gateway builds it (it enforces @requiresScopes itself).
    const apiSchema = apiSchemaOf(readFileSync(SUPERGRAPH_PATH, 'utf8'));
    const contract = buildSchema(readFileSync(CONTRACT_PATH, 'utf8'));
    expect(findBreakingChanges(contract, apiSchema)).toEqual([]);
  });
});
