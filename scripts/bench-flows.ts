import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import pg from 'pg';
import { processCpuSeconds } from '../bench/bench-stack';
import { buildDemoDataset } from '../backends/demo-data/demo-dataset';
import { tinyErpData } from '../backends/erp/erp-test-fixtures';
import { OrderFlowDepartments } from '../subgraphs/integration/flows/order-to-cash/test-support/order-flow-departments';
import { type DrivenFlow, OrderFlowDriver, completedFlows } from '../subgraphs/integration/flows/order-to-cash/test-support/order-flow-driver';
import { startTestStack } from '../test-support/stack';
import { trytonSettings, trytondPidFile } from './tryton/tryton-setup';

/**
 * Drives N order-to-cash flows through every step via the gateway against a stack it starts
 * (temp data folder; PGlite, or PostgreSQL with --postgres URL), acting for production,
 * warehouse and finance through the API, and prints flows per second and step latencies.
 * By default sales places the orders (`--concurrency` calls at a time) while the departments
 * work their queues (one list query per pass, as many actions at once); `--driver per-flow` instead polls every flow on
 * its own, `--concurrency` flows at a time.
 *
 * With `--erp tryton` the stack's ERP is Tryton 6.0 on a copy of the Tryton test template
 * (`npm run tryton:prepare` builds it), and trytond's CPU is counted beside the services'.
 *
 * `--timeout` bounds the run in seconds (default 600); `--poll-ms` is the departments' pause between
 * passes (default 250, 2000 with Tryton).
 *
 *   npm run bench:flows -- --flows 1000 --concurrency 50 [--poll-ms 250] [--driver departments|per-flow] [--postgres postgres://postgres@127.0.0.1:5432/postgres] [--erp tryton] [--timeout 600]
 */
function argument(name: string, fallback?: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : fallback;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function scratchDatabase(url: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const scratch = new URL(url);
  scratch.pathname = `/${name}`;
  return {
    url: scratch.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** Requests each service served so far, by route ("service METHOD route" → count), from its /metrics. */
async function servedRequests(urls: Record<string, string>): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const [service, url] of Object.entries(urls)) {
    const text = await (await fetch(`${url}/metrics`)).text();
    for (const match of text.matchAll(/^http_requests_total\{([^}]*)\} ([0-9.e+]+)$/gm)) {
      const labels = Object.fromEntries([...match[1].matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
      if (labels.route === '/metrics') continue;
      const key = `${service} ${labels.method} ${labels.route}`;
      counts.set(key, (counts.get(key) ?? 0) + Number(match[2]));
    }
  }
  return counts;
}

/** CPU seconds each service used so far (process_cpu_seconds_total on its /metrics), trytond's and all postgres processes' from /proc. */
async function cpuSeconds(urls: Record<string, string>, trytondPid?: number): Promise<Map<string, number>> {
  const used = new Map<string, number>();
  if (trytondPid) used.set('trytond', processCpuSeconds(trytondPid));
  for (const [service, url] of Object.entries(urls)) {
    const match = /^process_cpu_seconds_total(?:\{[^}]*\})? ([0-9.e+]+)$/m.exec(await (await fetch(`${url}/metrics`)).text());
    if (match) used.set(service, Number(match[1]));
  }
  let postgres = 0;
  const ticks = 100; // USER_HZ on Linux
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      postgres += (Number(fields[11]) + Number(fields[12])) / ticks;
    } catch {
      // The process ended meanwhile.
    }
  }
  if (postgres > 0) used.set('postgres (all)', postgres);
  return used;
}

/** Names the flows that have not ended and where each stands, so a stuck run says why. */
async function printUnfinished(gql: (query: string) => Promise<{ data?: any; errors?: { message: string }[] }>): Promise<void> {
  for (const status of ['RUNNING', 'WAITING', 'RETRYING']) {
    const answer = await gql(`{ orderFlows(status: ${status}, first: 20) { totalCount nodes { id status retry { cause system } steps { name status attempts error } salesOrder { number productionOrders { number status } shipments { number status } } } } }`).catch(() => null);
    const list = answer?.data?.orderFlows;
    if (!list?.totalCount) continue;
    console.error(`${list.totalCount} flow(s) ${status}:`);
    for (const flow of list.nodes) {
      const current = flow.steps.filter((s: { status: string }) => s.status !== 'COMPLETED' && s.status !== 'SKIPPED').map((s: { name: string; status: string; attempts: number; error: { code: string; message: string } | null }) => `${s.name} ${s.status}×${s.attempts}${s.error ? ` ${s.error.code}: ${s.error.message}` : ''}`);
      console.error(`  ${flow.id} order ${flow.salesOrder?.number ?? '-'} productions ${JSON.stringify(flow.salesOrder?.productionOrders ?? [])} shipments ${JSON.stringify(flow.salesOrder?.shipments ?? [])}${flow.retry ? ` retrying on ${flow.retry.system} ${flow.retry.cause}` : ''}: ${current.join('; ')}`);
    }
  }
}

async function main(): Promise<void> {
  const flows = Number(argument('flows', '1000'));
  const concurrency = Number(argument('concurrency', '50'));
  const postgres = argument('postgres');
  const erp = argument('erp', 'reference');
  if (erp !== 'reference' && erp !== 'tryton') throw new Error(`--erp is reference or tryton, not ${erp}`);
  process.env.LOG_LEVEL ??= 'warn';
  const database = postgres ? await scratchDatabase(postgres) : null;
  console.log(`starting the stack on ${postgres ? 'PostgreSQL' : 'PGlite'} with the ${erp === 'tryton' ? 'Tryton 6.0' : 'reference'} ERP…`);
  const stack = await startTestStack(postgres ? 'postgres' : 'pglite', { ...(database ? { databaseUrl: database.url } : {}), erp });
  if (!stack) throw new Error('the stack did not start');
  const trytondPid = stack.tryton ? Number(readFileSync(trytondPidFile(trytonSettings({ DATA_DIR: stack.dataDir }), Number(new URL(stack.tryton.url).port)), 'utf8')) : undefined;
  // Stopped by a signal, the run still stops its stack (and trytond) and drops its database.
  const stopped = (signal: NodeJS.Signals) => {
    console.log(`\n${signal}: stopping the stack…`);
    void Promise.allSettled([stack.dispose(), database?.drop()]).finally(() => process.exit(130));
  };
  process.once('SIGINT', stopped);
  process.once('SIGTERM', stopped);
  try {
    // Tryton runs on the test template, which holds the reference ERP's test fixtures.
    const erpData = erp === 'tryton' ? tinyErpData() : buildDemoDataset().erp;
    const stockOf = (sku: string) => erpData.stock.filter((s) => s.sku === sku).reduce((sum, s) => sum + s.onHand, 0);
    // Every flow goes through production: a manufactured product with nothing on hand.
    const made = erpData.products.filter((p) => p.manufactured && stockOf(p.sku) === 0);
    const created = await stack.gql(`mutation { createCustomer(input: { name: "Bench Buyer AG", country: "DE", creditLimit: "900000000.00", paymentTerms: "NET30" }) { id } }`);
    if (created.errors) throw new Error(JSON.stringify(created.errors));
    const customerId: string = created.data.createCustomer.id;
    // A departments' pass reads every waiting flow's order: from Tryton that is seconds of trytond's time, not milliseconds.
    const pollMs = Number(argument('poll-ms', erp === 'tryton' ? '2000' : '250'));
    const mode = argument('driver', 'departments');
    const requestsBefore = await servedRequests(stack.urls);
    const cpuBefore = await cpuSeconds(stack.urls, trytondPid);
    const results: DrivenFlow[] = [];
    const flowSeconds: number[] = [];
    let failures = 0;
    const started = Date.now();
    const progress = setInterval(() => console.log(`  ${results.length || finishedSoFar}/${flows} flows finished (${((Date.now() - started) / 1000).toFixed(0)} s)`), 5000);
    let finishedSoFar = 0;
    const lines = (n: number) => [{ sku: made[n % made.length].sku, quantity: 1 }];
    const timeoutMs = Number(argument('timeout', '600')) * 1000;
    const driver = new OrderFlowDriver((query, variables, options) => stack.gql(query, variables, options), { pollMs, timeoutMs });
    if (mode === 'per-flow') {
      // Each flow has its own client polling it: the watching costs as much as the flows.
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < flows) {
            const n = next++;
            const begin = Date.now();
            try {
              const flow = await driver.placeOrder(customerId, lines(n), `bench-${n}-${started}`);
              const ended = await driver.driveToEnd(flow.id);
              if (ended.status !== 'COMPLETED') failures++;
              results.push(ended);
              flowSeconds.push((Date.now() - begin) / 1000);
            } catch (error) {
              failures++;
              console.error(`flow ${n} failed: ${error instanceof Error ? error.message : String(error)}`);
            }
          }
        }),
      );
    } else {
      // Sales places every order (`concurrency` calls at a time) while the departments work their queues.
      const departments = new OrderFlowDepartments((query, variables, options) => stack.gql(query, variables, options), {
        pollMs,
        parallel: concurrency,
        onError: (error) => console.error(`a departments' pass failed (retried): ${error instanceof Error ? error.message : String(error)}`),
      });
      // The demo data holds a few flows of its own: count only the ones started here.
      const before = await departments.finished();
      const endedBefore = before.completed + before.compensated + before.failed;
      let next = 0;
      const placing = Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < flows) {
            const n = next++;
            try {
              await driver.placeOrder(customerId, lines(n), `bench-${n}-${started}`);
            } catch (error) {
              failures++;
              console.error(`order ${n} was not placed: ${error instanceof Error ? error.message : String(error)}`);
            }
          }
        }),
      );
      const watching = setInterval(() => void departments.finished().then((c) => (finishedSoFar = c.completed + c.compensated + c.failed - endedBefore), () => undefined), 5000);
      const counts = await departments.workUntil(endedBefore + flows, timeoutMs).catch(async (error: unknown) => {
        await printUnfinished(stack.gql.bind(stack));
        throw error;
      }).finally(() => clearInterval(watching));
      await placing;
      failures += counts.compensated - before.compensated + counts.failed - before.failed;
      const completed = (await completedFlows(stack.gql.bind(stack))).filter((flow) => Date.parse(flow.startedAt) >= started);
      results.push(...completed);
      for (const flow of completed) flowSeconds.push((Date.parse(flow.updatedAt) - Date.parse(flow.startedAt)) / 1000);
      console.log(`the departments sent ${departments.actionsTaken} production completions, shipment confirmations and payments`);
    }
    clearInterval(progress);
    const seconds = (Date.now() - started) / 1000;

    const requestsAfter = await servedRequests(stack.urls);
    const cpuAfter = await cpuSeconds(stack.urls, trytondPid);
    const perStep = new Map<string, number[]>();
    for (const flow of results) {
      for (const step of flow.steps) {
        if (!step.startedAt || !step.finishedAt) continue;
        const list = perStep.get(step.name) ?? [];
        list.push(Date.parse(step.finishedAt) - Date.parse(step.startedAt));
        perStep.set(step.name, list);
      }
    }
    flowSeconds.sort((a, b) => a - b);
    const completed = results.filter((f) => f.status === 'COMPLETED').length;
    console.log(`\n${completed} of ${flows} flows COMPLETED, ${failures} not, on ${postgres ? 'PostgreSQL' : 'PGlite'} with the ${erp} ERP, concurrency ${concurrency}, driver ${mode}`);
    console.log(`${seconds.toFixed(1)} s: ${(results.length / seconds).toFixed(1)} flows/s`);
    console.log(`flow duration (placed → paid, queueing included): p50 ${percentile(flowSeconds, 50).toFixed(2)} s, p99 ${percentile(flowSeconds, 99).toFixed(2)} s`);
    console.log('step latency (started → finished; waits include the time until production, warehouse or finance acted):');
    for (const [name, list] of perStep) {
      list.sort((a, b) => a - b);
      console.log(`  ${name.padEnd(22)} p50 ${String(percentile(list, 50)).padStart(6)} ms   p99 ${String(percentile(list, 99)).padStart(6)} ms`);
    }
    const cpu = [...cpuAfter].map(([name, after]) => [name, ((after - (cpuBefore.get(name) ?? 0)) * 1000) / flows] as const);
    console.log(`CPU per flow: ${cpu.reduce((sum, [, ms]) => sum + ms, 0).toFixed(0)} ms in all (${cpu.map(([name, ms]) => `${name} ${ms.toFixed(0)}`).join(', ')}); postgres counts every database on this machine`);
    console.log('requests served per flow (every hop, the departments\' included):');
    const perService = new Map<string, number>();
    const routes = [...requestsAfter].map(([key, n]) => [key, (n - (requestsBefore.get(key) ?? 0)) / flows] as const).filter(([, n]) => n >= 0.05);
    for (const [key, n] of routes) perService.set(key.split(' ')[0], (perService.get(key.split(' ')[0]) ?? 0) + n);
    for (const [service, n] of perService) {
      console.log(`  ${service.padEnd(16)} ${n.toFixed(1).padStart(6)}   ${routes.filter(([k]) => k.startsWith(`${service} `)).sort((a, b) => b[1] - a[1]).slice(0, 14).map(([k, v]) => `${k.slice(service.length + 1)} ${v.toFixed(1)}`).join(', ')}`);
    }
  } finally {
    await stack.dispose();
    await database?.drop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
