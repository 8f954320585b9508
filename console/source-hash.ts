import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** The files console/dist is built from (relative to console/). */
const SOURCES = ['index.html', 'explorer.html', 'vite.config.ts', 'source-hash.ts', 'src', '../schema/api.graphql'];

function filesUnder(root: string, entry: string): string[] {
  const full = path.join(root, entry);
  if (!statSync(full).isDirectory()) return [entry];
  return readdirSync(full).flatMap((name) => filesUnder(root, path.join(entry, name)));
}

/**
 * A hash of the console's sources. The build writes it to dist/source-hash.txt and a test compares
 * it with the sources, so a change to the console committed without its rebuilt dist/ fails `npm test`.
 */
export function consoleSourceHash(consoleDir: string): string {
  const hash = createHash('sha256');
  for (const file of SOURCES.flatMap((entry) => filesUnder(consoleDir, entry)).sort()) {
    hash.update(file.split(path.sep).join('/')).update('\0').update(readFileSync(path.join(consoleDir, file))).update('\0');
  }
  return hash.digest('hex');
}
