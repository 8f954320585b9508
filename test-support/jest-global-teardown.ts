import { TEMPLATE_DIR_ENV, removeSeedTemplates } from './stack';

/** Removes the run's seeded stack templates (and their PostgreSQL database). */
export default async function globalTeardown(): Promise<void> {
  const root = process.env[TEMPLATE_DIR_ENV];
  if (root) await removeSeedTemplates(root);
}
