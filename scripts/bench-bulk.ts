/**
 * Measures bulk import and export on a fresh embedded stack:
 *   npm run bench:bulk -- [--customers 100000] [--orders 100000] [--keep]
 * Seeds a stack with `--orders` sales orders (DEMO_SCALE_ORDERS), imports `--customers` new
 * customers from a generated CSV with `npm run import` (a third of them with a credit limit and
 * payment terms, so the ERP is written too), after exporting every order with `npm run export`
 * and through `GET /export/orders.ndjson`. Prints rows, seconds, rows/s and each CLI's peak RSS.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadOrCreateLocalSecrets } from '../platform/secrets';
import { SERVICES } from './services';
import { startStack } from './stack';
import { signToken } from './token';
import { freePorts } from '../platform/free-ports';

const ROOT = path.resolve(__dirname, '..');

/** Writes `count` customers as CSV, streamed, so the generator's memory stays flat too. */
async function writeCustomersCsv(file: string, count: number): Promise<void> {
  const out = createWriteStream(file);
  const countries = ['DE', 'FR', 'NL', 'SE', 'GB', 'IT', 'ES', 'PL'];
  out.write('key,name,email,industry,country,creditLimit,paymentTerms\n');
  for (let i = 1; i <= count; i++) {
    const financial = i % 3 === 0;
    const line = `BENCH-${i},Bench Customer ${i} GmbH,buyer${i}@bench.example,Wholesale,${countries[i % countries.length]},${financial ? `${(i % 50) * 1000 + 5000}.00` : ''},${financial ? 'NET30' : ''}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** Runs a CLI to the end; stdout and stderr (progress bars dropped) come back as text. */
async function runCli(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string; seconds: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', script), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr: stderr.split(/\r|\n/).filter((l) => l && !l.includes('|')).join('\n'), seconds: (Date.now() - started) / 1000 };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { customers: { type: 'string', default: '100000' }, orders: { type: 'string', default: '100000' }, keep: { type: 'boolean', default: false } } });
  const customers = Number(values.customers);
  const orders = Number(values.orders);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-bulk-'));
  const ports = await freePorts(SERVICES.length);
  console.log(`seeding a stack with ${orders} sales orders in ${dataDir} ...`);
  const seedStarted = Date.now();
  const stack = startStack({
    dataDir,
    output: process.env.BENCH_OUTPUT === 'inherit' ? 'inherit' : 'ignore',
    ports: Object.fromEntries(SERVICES.map((s, i) => [s.name, ports[i]])),
    env: { LOG_LEVEL: 'warn', DATABASE_URL: '', REDIS_URL: '', DEMO_SCALE_ORDERS: String(orders), RATE_LIMIT_PER_MINUTE: '0', OVERDUE_SWEEP_MS: '3600000' },
    log: (line) => console.log(line),
  });
  try {
    await stack.waitUntilReady(1_800_000);
    console.log(`stack ready in ${((Date.now() - seedStarted) / 1000).toFixed(0)} s`);
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, ERP_BACKEND_URL: stack.urls['erp-backend'], CRM_BACKEND_URL: stack.urls['crm-backend'], GATEWAY_URL: stack.graphqlUrl };
    for (const name of ['INTERNAL_SECRET', 'WEBHOOK_SECRET', 'JWT_SECRET', 'DATABASE_URL']) delete env[name];

    // Export first, on a quiet stack: after an import the sync is still busy with its change events.
    const exportedFile = path.join(dataDir, 'orders.csv');
    const exported = await runCli('export.ts', ['orders', '--out', exportedFile], env);
    console.log(`\n== export of orders with the CLI (exit ${exported.code}, ${exported.seconds.toFixed(1)} s with process start)\n${exported.stderr}`);

    const token = await signToken({ secret: loadOrCreateLocalSecrets(dataDir).jwtSecret, role: 'admin', sub: 'bench', ttl: '1h' });
    const started = Date.now();
    const response = await fetch(stack.graphqlUrl.replace(/\/graphql$/, '/export/orders.ndjson'), { headers: { authorization: `Bearer ${token}` } });
    let lines = 0;
    const decoder = new TextDecoder();
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) lines += (decoder.decode(chunk, { stream: true }).match(/\n/g) ?? []).length;
    const seconds = (Date.now() - started) / 1000;
    console.log(`\n== GET /export/orders.ndjson: status ${response.status}, ${lines} rows in ${seconds.toFixed(1)} s, ${Math.round(lines / seconds)} rows/s`);

    const csv = path.join(dataDir, 'bench-customers.csv');
    await writeCustomersCsv(csv, customers);
    const imported = await runCli('import.ts', ['customers', csv], env);
    console.log(`\n== import of ${customers} customers (exit ${imported.code}, ${imported.seconds.toFixed(1)} s with process start)\n${imported.stdout}${imported.stderr}`);
  } finally {
    await stack.stop();
    if (!values.keep) rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error('bench failed:', error);
  process.exit(1);
});
