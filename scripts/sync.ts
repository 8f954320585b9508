/**
 * Runs a full customer resync in the running integration service and shows its progress:
 *   npm run sync -- --full
 * The integration process holds its database, so the resync runs there; this command starts it
 * (or resumes the unfinished one) through POST /admin/resync with the service credential
 * (INTERNAL_SECRET, by default from DATA_DIR/secrets.json), follows GET /admin/resync/status with
 * a progress bar on stderr and prints a summary. Interrupting this command does not stop the run;
 * running it again follows (or resumes) the same run.
 */
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { z } from 'zod';
import { baseConfigSchema, loadConfig } from '../platform/config';
import { AppError, ErrorCode } from '../platform/errors';
import { signServiceToken } from '../platform/service-auth';
import type { ResyncRun } from '../subgraphs/integration/sync/full-resync';

const syncCommandConfig = baseConfigSchema.extend({
  /** INTEGRATION_URL: where the integration service listens; default http://127.0.0.1:4003. */
  INTEGRATION_URL: z.string().url().default('http://127.0.0.1:4003'),
});

const OUTCOMES: [keyof ResyncRun['summary'], string][] = [
  ['created-in-erp', 'ERP customers created for CRM accounts'],
  ['created-in-crm', 'CRM accounts created for ERP customers'],
  ['updated', 'pairs brought in step'],
  ['conflict', 'pairs with an ERP value replaced by the CRM\'s (recorded as conflicts)'],
  ['unchanged', 'pairs already in step'],
  ['missing', 'records gone meanwhile'],
  ['failed', 'records a system refused (their customers show sync state ERROR)'],
];

/** Starts or resumes the resync and follows it to the end; exit code 0 done, 1 failed, 2 usage. */
export async function runSyncCommand(argv: string[], env: NodeJS.ProcessEnv = process.env, pollMs = 300): Promise<number> {
  let values: { full?: boolean };
  try {
    values = parseArgs({ args: argv, options: { full: { type: 'boolean' } }, strict: true }).values;
    if (!values.full) throw new AppError(ErrorCode.BAD_USER_INPUT, 'only a full resync exists: pass --full');
  } catch (error) {
    process.stderr.write(`sync: ${(error as Error).message}\nusage: npm run sync -- --full\n`);
    return 2;
  }
  const config = loadConfig(syncCommandConfig, env);
  const call = async (method: 'GET' | 'POST', route: string): Promise<ResyncRun> => {
    let response: Response;
    try {
      response = await fetch(`${config.INTEGRATION_URL}${route}`, { method, headers: { 'x-service-token': signServiceToken(config.INTERNAL_SECRET, 'sync-cli') } });
    } catch {
      throw new AppError(ErrorCode.UPSTREAM_UNAVAILABLE, `the integration service is not reachable at ${config.INTEGRATION_URL} (is the stack running? npm start)`);
    }
    const body = (await response.json()) as { run?: ResyncRun; error?: { code: string; message: string } };
    if (!response.ok || !body.run) throw new AppError(ErrorCode.UPSTREAM_UNAVAILABLE, `integration answered ${response.status}: ${body.error?.message ?? 'no run'}`);
    return body.run;
  };

  const bar = new SingleBar({ stream: process.stderr, format: 'resync [{bar}] {value}/{total} {phase} | {eta_formatted} left', hideCursor: true, etaBuffer: 50 });
  try {
    let run = await call('POST', '/admin/resync');
    process.stderr.write(run.processed > 0 ? `resuming resync #${run.id} at record ${run.processed}\n` : `resync #${run.id} started\n`);
    bar.start(Math.max(run.total, 1), run.processed, { phase: run.phase });
    while (run.status === 'RUNNING') {
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      run = await call('GET', '/admin/resync/status');
      bar.setTotal(Math.max(run.total, run.processed, 1));
      bar.update(run.processed, { phase: run.phase });
    }
    bar.stop();
    const seconds = ((new Date(run.finishedAt ?? Date.now()).getTime() - new Date(run.startedAt).getTime()) / 1000).toFixed(1);
    const lines = OUTCOMES.filter(([key]) => run.summary[key]).map(([key, label]) => `  ${String(run.summary[key]).padStart(7)}  ${label}`);
    if (run.status === 'COMPLETED') {
      process.stdout.write(`resync #${run.id} completed: ${run.processed} records in ${seconds} s\n${lines.join('\n')}\n`);
      if (run.summary.conflict) process.stdout.write('conflicts are listed in the data-quality report (dataQualityReport, FIELD_MISMATCH "conflict: …")\n');
      return 0;
    }
    process.stderr.write(`resync #${run.id} stopped after ${run.processed} records: ${run.error}\nrun "npm run sync -- --full" again to resume from there\n${lines.join('\n')}\n`);
    return 1;
  } catch (error) {
    bar.stop();
    process.stderr.write(`sync: ${(error as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) {
  runSyncCommand(process.argv.slice(2)).then((code) => process.exit(code));
}
