/**
 * Bulk import into the running stack, straight to the backends with the internal credential:
 *   npm run import -- customers|products|opportunities FILE [--format csv|ndjson] [--batch-size 500] [--concurrency 2]
 * Columns: see subgraphs/integration/transfer/import/import-rows.ts (and the README). Refused rows
 * go to FILE.rejects.csv|ndjson with their line and reason; a summary is printed at the end.
 */
import { parseArgs } from 'node:util';
import { Presets, SingleBar } from 'cli-progress';
import { HttpCrmConnector } from '../connectors/crm/http-crm.connector';
import { HttpErpConnector } from '../connectors/erp/http-erp.connector';
import { serviceTokenSigner } from '../platform/service-auth';
import { type ImportSummary, runImport } from '../subgraphs/integration/transfer/import/bulk-importer';
import { IMPORT_KINDS, type ImportKind } from '../subgraphs/integration/transfer/import/import-rows';
import { formatOf } from '../subgraphs/integration/transfer/import/row-source';
import { loadTransferConfig } from '../subgraphs/integration/transfer/transfer-config';

const USAGE = `usage: npm run import -- ${IMPORT_KINDS.join('|')} FILE [--format csv|ndjson] [--batch-size 500] [--concurrency 2]`;

/** Formats the summary printed at the end of an import. */
export function formatImportSummary(s: ImportSummary): string {
  return [
    `imported ${s.kind} from ${s.file}`,
    `  read      ${s.read}`,
    `  created   ${s.created}`,
    `  updated   ${s.updated}`,
    `  unchanged ${s.unchanged}`,
    `  rejected  ${s.rejected}${s.rejectsFile ? ` (see ${s.rejectsFile})` : ''}`,
    `  seconds   ${s.seconds.toFixed(1)}`,
    `  rows/s    ${s.rowsPerSecond}`,
    `  peak RSS  ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`,
  ].join('\n');
}

/** Runs the command; exit code 0 when the file was read to the end, 1 on failure, 2 on a usage mistake. */
export async function runImportCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { format: { type: 'string' }, 'batch-size': { type: 'string' }, concurrency: { type: 'string' } },
    });
    const [kind, file] = parsed.positionals;
    if (!IMPORT_KINDS.includes(kind as ImportKind) || !file || parsed.positionals.length !== 2) throw new Error('give what to import and the file');
    formatOf(file, parsed.values.format);
  } catch (error) {
    process.stderr.write(`import: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const [kind, file] = parsed.positionals as [ImportKind, string];
  let config;
  try {
    config = loadTransferConfig();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const crm = new HttpCrmConnector({ baseUrl: config.CRM_BACKEND_URL, serviceToken: serviceTokenSigner(config.INTERNAL_SECRET, 'import'), timeoutMs: config.BACKEND_TIMEOUT_MS });
  const erp = new HttpErpConnector({ baseUrl: config.ERP_BACKEND_URL, serviceToken: serviceTokenSigner(config.INTERNAL_SECRET, 'import'), timeoutMs: config.BACKEND_TIMEOUT_MS });
  const bar = new SingleBar(
    { stream: process.stderr, format: `import ${kind} |{bar}| {percentage}% | {read} rows | {rejected} rejected | {rate} rows/s`, hideCursor: true, etaBuffer: 20 },
    Presets.shades_classic,
  );
  const started = Date.now();
  let barStarted = false;
  try {
    const summary = await runImport(
      { crm, erp },
      {
        kind,
        file,
        format: formatOf(file, parsed.values.format),
        batchSize: parsed.values['batch-size'] ? Number(parsed.values['batch-size']) : undefined,
        concurrency: parsed.values.concurrency ? Number(parsed.values.concurrency) : undefined,
        onProgress: (p) => {
          const payload = { read: p.read, rejected: p.rejected, rate: Math.round(p.read / Math.max((Date.now() - started) / 1000, 0.001)) };
          if (!barStarted) {
            bar.start(p.totalBytes, p.bytesRead, payload);
            barStarted = true;
          } else bar.update(p.bytesRead, payload);
        },
      },
    );
    if (barStarted) bar.stop();
    process.stdout.write(`${formatImportSummary(summary)}\n`);
    return 0;
  } catch (error) {
    if (barStarted) bar.stop();
    process.stderr.write(`import failed: ${(error as Error).message}\n(an import is idempotent by each row's key: running it again is safe)\n`);
    return 1;
  } finally {
    await Promise.all([crm.close(), erp.close()]);
  }
}

if (require.main === module) {
  runImportCommand(process.argv.slice(2)).then((code) => process.exit(code));
}
