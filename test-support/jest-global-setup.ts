import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { reachableServices } from './services';
import { PGLITE_CLUSTER_TEMPLATE_ENV, prepareClusterTemplate } from '../platform/db';
import { TEMPLATE_DIR_ENV } from './stack';

/**
 * Once per jest run, before any worker starts (workers inherit this environment): probes
 * PostgreSQL and Redis once for every suite, and makes the folder where the first stack of each
 * kind leaves its seeded template, and where new PGlite databases (in memory and the stacks' on disk)
 * find the fresh cluster they copy.
 */
export default async function globalSetup(): Promise<void> {
  reachableServices();
  const templates = mkdtempSync(path.join(tmpdir(), 'supergraph-templates-'));
  process.env[TEMPLATE_DIR_ENV] = templates;
  process.env[PGLITE_CLUSTER_TEMPLATE_ENV] = path.join(templates, 'pglite-fresh-cluster.tar');
  // Once, before the workers start: otherwise the first suites and stack processes would each run
  // initdb at the same moment, on the same two cores.
  await prepareClusterTemplate();
}
