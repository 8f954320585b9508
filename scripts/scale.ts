import { KILL_NOTICE_MS, type ScalePhaseResult, cleanUpPhasesUnderWay, exactlyOnceProblems, inFlightAtKill, runScalePhase, unexplainedFailures } from './scale-out';

/**
 * Scale-out on this machine's PostgreSQL and Redis: phase A runs one instance each of the gateway,
 * the ERP, CRM and integration subgraphs behind load balancers (balancer/), phase B two of each;
 * both drive N order flows plus Customer 360 reads through the gateway's balancer, and phase B
 * SIGKILLs one gateway and one integration worker half way through placing (the supervisor
 * restarts them). Each phase has its own fresh database (`scale_a_…`, `scale_b_…`) and Redis key
 * prefix (`scale:…:`), dropped and deleted at the end unless --keep. Prints flows completed
 * exactly once (checked with the integration and with the ERP backend), the failed requests (by
 * error, and whether they were in flight at the kill), and throughput with medians, A beside B.
 * Exits 1 when a check fails or a phase runs past --timeout.
 *
 *   npm run scale -- [--flows 1000] [--readers 4] [--concurrency 50] [--timeout 900] [--keep]
 *                    [--postgres postgres://postgres@127.0.0.1:5432/postgres] [--redis redis://127.0.0.1:6379]
 *                    [--port-base 4600] [--log-file scale.log]
 */
function argument(name: string, fallback: string): string;
function argument(name: string): string | undefined;
function argument(name: string, fallback?: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : fallback;
}

function fixed(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

function report(result: ScalePhaseResult): void {
  console.log(`\nphase ${result.phase}: ${result.instances} of each (gateway, erp-subgraph, crm-subgraph, integration)${result.kill ? ', one gateway and one integration worker SIGKILLed' : ''}`);
  const problems = exactlyOnceProblems(result);
  console.log(
    `  flows completed exactly once: ${problems.length === 0 ? result.completed : `NO (${problems.join('; ')})`} of ${result.flows}` +
      ` (ERP backend: ${result.erp.salesOrders} sales orders, ${result.erp.invoices} invoices, ${result.erp.salesOrdersInvoicedTwice} invoiced twice)`,
  );
  if (result.kill) {
    const inFlight = result.failedRequests.filter((request) => inFlightAtKill(request, result.kill));
    console.log(`  kill: both instances restarted and ready ${fixed((result.kill.recoveredAt - result.kill.at) / 1000)} s later`);
    console.log(`  failed requests in flight at the kill (or sent in the ${KILL_NOTICE_MS} ms before the balancers noticed): ${inFlight.length}${describe(inFlight)}`);
  }
  const timedOut = result.failedRequests.filter((request) => request.timedOut && !inFlightAtKill(request, result.kill));
  console.log(`  requests timed out by a busy service${result.kill ? ' (not in flight at the kill)' : ''}: ${timedOut.length}${describe(timedOut)}`);
  const others = unexplainedFailures(result);
  console.log(`  other failed requests${result.kill ? ' not in flight at the kill' : ''}: ${others.length}${describe(others)}`);
  const since = result.kill?.at ?? result.failedRequests[0]?.startedAt ?? 0;
  for (const request of others.slice(0, 10)) {
    console.log(`    ${request.purpose} ${fixed((request.startedAt - since) / 1000)} s → ${fixed((request.endedAt - since) / 1000)} s${result.kill ? ' from the kill' : ''}: ${request.error} ${request.detail.slice(0, 160)}`);
  }
  console.log(`  requests answered per instance: ${Object.entries(result.answeredPerInstance).map(([name, counts]) => `${name} ${counts.join(' + ')}`).join(', ')}`);
  console.log(`  shared in Redis: ${result.sharedInRedis.rateLimitWindows} rate-limit windows of the gateway(s), ${result.sharedInRedis.entityCacheRecords} entity-cache records`);
  console.log(`  throughput: ${fixed(result.flowsPerSecond, 2)} flows/s (${fixed(result.seconds)} s for ${result.completed}), ${fixed(result.readsPerSecond)} Customer 360 reads/s (${result.reads} reads)`);
  console.log(`  medians: placed → COMPLETED ${fixed(result.medianFlowSeconds)} s, Customer 360 read ${fixed(result.medianReadMs, 0)} ms`);
}

function describe(requests: ScalePhaseResult['failedRequests']): string {
  if (requests.length === 0) return '';
  const counts = new Map<string, number>();
  for (const request of requests) counts.set(`${request.purpose}: ${request.error}`, (counts.get(`${request.purpose}: ${request.error}`) ?? 0) + 1);
  return ` (${[...counts].map(([error, n]) => `${n}× ${error}`).join(', ')})`;
}

async function main(): Promise<void> {
  const flows = Number(argument('flows', '1000'));
  if (!Number.isInteger(flows) || flows < 2 || flows > 10_000) throw new Error(`--flows is a whole number from 2 to 10000, not ${argument('flows')}`);
  const timeoutSeconds = Number(argument('timeout', '900'));
  const common = {
    flows,
    postgresUrl: argument('postgres', process.env.SCALE_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'),
    redisUrl: argument('redis', process.env.SCALE_REDIS_URL ?? 'redis://127.0.0.1:6379'),
    portBase: Number(argument('port-base', '4600')),
    concurrency: Number(argument('concurrency', '50')),
    readers: Number(argument('readers', '4')),
    timeoutMs: timeoutSeconds * 1000,
    keep: process.argv.includes('--keep'),
    logFile: argument('log-file'),
    log: (line: string) => console.log(line),
  };
  const results: ScalePhaseResult[] = [];
  results.push(await runScalePhase({ ...common, phase: 'a', instances: 1, kill: false }));
  report(results[0]);
  results.push(await runScalePhase({ ...common, phase: 'b', instances: 2, kill: true }));
  report(results[1]);

  const [a, b] = results;
  console.log(`\none of each → two of each: ${fixed(a.flowsPerSecond, 2)} → ${fixed(b.flowsPerSecond, 2)} flows/s, ${fixed(a.readsPerSecond)} → ${fixed(b.readsPerSecond)} reads/s`);
  const failed = results.filter((result) => exactlyOnceProblems(result).length > 0);
  if (failed.length > 0) {
    console.error(`exactly-once check failed in phase ${failed.map((result) => result.phase).join(' and ')}`);
    process.exitCode = 1;
  }
}

// Stopped half way (Ctrl-C): the stack goes, and so do the phase's database and Redis keys.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`${signal}: stopping the stack and dropping the phase's database`);
    void cleanUpPhasesUnderWay().finally(() => process.exit(130));
  });
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
