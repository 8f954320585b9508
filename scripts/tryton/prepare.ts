/**
 * `npm run tryton:prepare`: builds the Tryton databases this product uses, each only if missing
 * (a second run changes nothing): the configured base (modules, company, accounts, integration
 * user), the test template (the reference ERP's test fixtures, copied by every Tryton test) and,
 * with `--demo`, the demo database `npm start` uses with ERP=tryton (TRYTON_DB, default "tryton").
 */
import { tinyErpData } from '../../backends/erp/erp-test-fixtures';
import { trytonDemoData } from './tryton-demo';
import { TRYTON_TEST_TEMPLATE_DB } from './tryton-names';
import { ensureBaseDatabase, ensureSeededDatabase, trytonSettings } from './tryton-setup';



async function main(): Promise<void> {
  const settings = trytonSettings();
  const started = Date.now();
  const report = (name: string, outcome: string) => console.log(`${name}: ${outcome}`);
  report(settings.baseDb, await ensureBaseDatabase(settings));
  report(TRYTON_TEST_TEMPLATE_DB, await ensureSeededDatabase(settings, TRYTON_TEST_TEMPLATE_DB, tinyErpData));
  if (process.argv.includes('--demo')) {
    const database = process.env.TRYTON_DB ?? 'tryton';
    report(database, await ensureSeededDatabase(settings, database, () => trytonDemoData().erp));
  }
  console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error, (error as { details?: unknown }).details ?? '');
  process.exit(1);
});
