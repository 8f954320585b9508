/**
 * Composes schema/{erp,crm,integration}.graphql into schema/supergraph.graphql with
 * @apollo/composition. `npm run compose` writes it; `--check` exits 1 when the file is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';

/** The subgraphs in the supergraph, with the URL the gateway reaches each at by default. */
export const SUBGRAPHS = [
  { name: 'erp', url: 'http://127.0.0.1:4001/graphql' },
  { name: 'crm', url: 'http://127.0.0.1:4002/graphql' },
  { name: 'integration', url: 'http://127.0.0.1:4003/graphql' },
] as const;

const SCHEMA_DIR = path.resolve(__dirname, '..', 'schema');
/** Where the composed supergraph is checked in. */
export const SUPERGRAPH_PATH = path.join(SCHEMA_DIR, 'supergraph.graphql');

/** Reads a subgraph's SDL from schema/. */
export function subgraphSdl(name: string): string {
  return readFileSync(path.join(SCHEMA_DIR, `${name}.graphql`), 'utf8');
}

/** Composes the subgraphs' SDL; throws with every composition error. */
export function composeSupergraph(): string {
  const result = composeServices(SUBGRAPHS.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(subgraphSdl(s.name)) })));
  if (result.errors) throw new Error(`composition failed:\n${result.errors.map((e) => e.message).join('\n')}`);
  return result.supergraphSdl;
}

if (require.main === module) {
  const sdl = composeSupergraph();
  if (process.argv.includes('--check')) {
    const current = readFileSync(SUPERGRAPH_PATH, 'utf8');
    if (current !== sdl) {
      console.error('schema/supergraph.graphql is stale: run npm run compose');
      process.exit(1);
    }
    console.log('schema/supergraph.graphql is up to date');
  } else {
    writeFileSync(SUPERGRAPH_PATH, sdl);
    console.log(`wrote ${path.relative(process.cwd(), SUPERGRAPH_PATH)}`);
  }
}
