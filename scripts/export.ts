/**
 * Bulk export of joined CRM + ERP data through the gateway, page by page, streamed:
 *   npm run export -- customers|orders|invoices [--format csv|ndjson] [--since DATE] [--out FILE] [--token JWT]
 * Columns and what --since means per kind: platform/export/export-kinds.ts
 * (and the README). Without --token it signs an admin token with the local JWT secret.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { Presets, SingleBar } from 'cli-progress';
import { EXPORT_KINDS, exportKindOf, parseSince } from '../platform/export/export-kinds';
import { httpGraphqlExecutor, runExport } from '../platform/export/exporter';
import { formatOf } from '../subgraphs/integration/transfer/import/row-source';
import { loadTransferConfig } from '../subgraphs/integration/transfer/transfer-config';
import { signToken } from './token';

const USAGE = `usage: npm run export -- ${EXPORT_KINDS.join('|')} [--format csv|ndjson] [--since DATE] [--out FILE] [--token JWT]`;

/** Runs the command; exit code 0 on success, 1 on failure, 2 on a usage mistake. */
export async function runExportCommand(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { format: { type: 'string' }, since: { type: 'string' }, out: { type: 'string' }, token: { type: 'string' } },
    });
    if (args.positionals.length !== 1) throw new Error('give one thing to export');
    const kind = exportKindOf(args.positionals[0]);
    formatOf(args.values.out ?? 'stdout.csv', args.values.format);
    parseSince(kind, args.values.since);
  } catch (error) {
    process.stderr.write(`export: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const kind = exportKindOf(args.positionals[0]);
  // Without --format the --out file's extension tells, and stdout gets CSV.
  const format = formatOf(args.values.out ?? 'stdout.csv', args.values.format);
  let config;
  try {
    config = loadTransferConfig();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const token = args.values.token ?? (await signToken({ secret: config.JWT_SECRET, role: 'admin', sub: 'export', ttl: '2h' }));
  const out = args.values.out ? createWriteStream(args.values.out) : process.stdout;
  const bar = new SingleBar({ stream: process.stderr, format: `export ${kind} |{bar}| {percentage}% | {rows} rows | {rate} rows/s`, hideCursor: true }, Presets.shades_classic);
  const started = Date.now();
  let barStarted = false;
  try {
    const summary = await runExport(httpGraphqlExecutor(config.GATEWAY_URL, token), out, {
      kind,
      format,
      since: args.values.since,
      onProgress: (p) => {
        const payload = { rows: p.rows, rate: Math.round(p.rows / Math.max((Date.now() - started) / 1000, 0.001)) };
        if (!barStarted) {
          bar.start(Math.max(p.totalCount, 1), p.listed, payload);
          barStarted = true;
        } else {
          // Each partition of a list reports its total with its first page.
          bar.setTotal(Math.max(p.totalCount, 1));
          bar.update(p.listed, payload);
        }
      },
    });
    if (barStarted) bar.stop();
    if (args.values.out) {
      out.end();
      await once(out, 'finish');
    }
    const peak = Math.round(process.resourceUsage().maxRSS / 1024);
    process.stderr.write(
      `exported ${summary.rows} ${kind} rows in ${summary.pages} pages${args.values.out ? ` to ${args.values.out}` : ''}: ${summary.seconds.toFixed(1)} s, ${summary.rowsPerSecond} rows/s, peak RSS ${peak} MB\n`,
    );
    return 0;
  } catch (error) {
    if (barStarted) bar.stop();
    process.stderr.write(`export failed: ${(error as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) {
  runExportCommand(process.argv.slice(2)).then((code) => process.exit(code));
}
