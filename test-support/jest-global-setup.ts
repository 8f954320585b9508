import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { reachableServices } from './services';
import { TEMPLATE_DIR_ENV } from './stack';

/**
 * Once per jest run, before any worker starts (workers inherit this environment): probes
 * PostgreSQL and Redis once for every suite, and makes the folder where the first stack of each
 * kind leaves its seeded template.
 */
export default async function globalSetup(): Promise<void> {
  reachableServices();
  process.env[TEMPLATE_DIR_ENV] = mkdtempSync(path.join(tmpdir(), 'supergraph-templates-'));
}
