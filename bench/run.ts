/**
 * `npm run bench`: our gateway, Hive Gateway and the no-federation baseline side by side on the
 * same seeded stack, each scenario driven by autocannon at fixed concurrency on 127.0.0.1,
 * systems alternated and rounds repeated so drift shows. Prints RPS, p50, p99, the ratios to both
 * baselines and backend calls per query, and writes bench/results/latest.json.
 *
 *   npm run bench                       10,000 customers, 100,000 orders, 3 rounds of 10 s
 *   npm run bench -- --quick            small data, 1 round of 5 s (a fast check)
 *   npm run bench -- --scale 0.5        half the default data; --customers/--orders/--opportunities N
 *   npm run bench -- --rounds 5 --duration 20 --connections 8 --timeout 30 --systems gateway,hive
 *   npm run bench -- --apq              adds our gateway with hash-only persisted queries
 *   npm run bench -- --no-entity-cache  subgraphs (and baseline) without the entity cache
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { encodeCursor } from '../platform/pagination';
import autocannon from 'autocannon';
import { type BenchScale, type BenchStack, SYSTEMS, type SystemName, postGraphql, startBenchStack } from './bench-stack';
import { CUSTOMER_360, type Scenario, type ScenarioInputs, benchScenarios, pageCursors } from './scenarios';

/** One autocannon run of one scenario against one system. */
interface Sample {
  round: number;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
  /** 2xx answers that carried GraphQL errors. */
  answersWithErrors: number;
  backendCallsPerQuery: number;
  /** CPU milliseconds all processes serving the system spent per answered query: robust to machine noise. */
  cpuMsPerQuery: number;
}

type Variant = SystemName | 'gateway+apq';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      scale: { type: 'string' },
      customers: { type: 'string' },
      orders: { type: 'string' },
      opportunities: { type: 'string' },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string', default: '4' },
      timeout: { type: 'string', default: '30' },
      systems: { type: 'string', default: SYSTEMS.join(',') },
      scenarios: { type: 'string' },
      apq: { type: 'boolean', default: false },
      'no-entity-cache': { type: 'boolean', default: false },
      out: { type: 'string', default: 'latest' },
    },
  });
  const quick = values.quick!;
  const factor = Number(values.scale ?? (quick ? 0.04 : 1));
  const scale: BenchScale = {
    customers: Number(values.customers ?? Math.round(10_000 * factor)),
    orders: Number(values.orders ?? Math.round(100_000 * factor)),
    opportunities: Number(values.opportunities ?? Math.round(20_000 * factor)),
  };
  const rounds = Number(values.rounds ?? (quick ? 1 : 3));
  const duration = Number(values.duration ?? (quick ? 5 : 10));
  const connections = Number(values.connections);
  const systems = values.systems!.split(',').map((s) => s.trim()) as SystemName[];
  const variants: Variant[] = [...systems, ...(values.apq ? (['gateway+apq'] as const) : [])];
  const entityCache = !values['no-entity-cache'];

  console.log(`bench: ${scale.customers} customers, ${scale.orders} orders, ${scale.opportunities} opportunities; ${rounds} round(s) × ${duration} s at ${connections} connections; entity cache ${entityCache ? 'on' : 'off'}`);
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
  const bench = await startBenchStack(scale, { env: entityCache ? {} : { ENTITY_CACHE: 'false' } });
  // Ctrl-C stops every process the bench started.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void bench.stop().finally(() => process.exit(130)));
  try {
    let scenarios = benchScenarios(await scenarioInputs(bench, quick ? 4 : 20));
    if (values.scenarios) scenarios = scenarios.filter((s) => values.scenarios!.split(',').some((part) => s.name.startsWith(part.trim())));

    await checkSameAnswers(bench, scenarios, systems);
    const callsByCustomers = await callsPerCustomerCount(bench, systems);

    const samples = new Map<string, Sample[]>();
    for (let round = 1; round <= rounds; round++) {
      for (const scenario of scenarios) {
        // Each round starts with a different system, so warm-up and drift do not favour one.
        const order = variants.map((_, i) => variants[(i + round - 1 + scenarios.indexOf(scenario)) % variants.length]);
        for (const variant of order) {
          const sample = await runOnce(bench, scenario, variant, { duration, connections, round, timeout: Number(values.timeout) });
          const key = `${scenario.name}|${variant}`;
          samples.set(key, [...(samples.get(key) ?? []), sample]);
          console.log(`  round ${round} ${scenario.name.padEnd(34)} ${variant.padEnd(12)} ${sample.rps.toFixed(1).padStart(8)} rps  p50 ${String(sample.p50).padStart(5)} ms  p99 ${String(sample.p99).padStart(5)} ms  ${sample.backendCallsPerQuery.toFixed(2)} backend calls/query  ${sample.cpuMsPerQuery.toFixed(0)} CPU ms/query${sample.non2xx || sample.errors || sample.answersWithErrors ? `  (${sample.non2xx} non-2xx, ${sample.errors} connection errors, ${sample.answersWithErrors} answers with GraphQL errors)` : ''}`);
        }
      }
    }

    const table = scenarios.map((scenario) => {
      const rows = Object.fromEntries(
        variants.map((variant) => {
          const list = samples.get(`${scenario.name}|${variant}`) ?? [];
          return [variant, { answersWithErrors: list.reduce((sum, s) => sum + s.answersWithErrors, 0), requests: list.reduce((sum, s) => sum + s.requests, 0), rps: median(list.map((s) => s.rps)), p50: median(list.map((s) => s.p50)), p99: median(list.map((s) => s.p99)), backendCallsPerQuery: median(list.map((s) => s.backendCallsPerQuery)), cpuMsPerQuery: median(list.map((s) => s.cpuMsPerQuery)), rounds: list.map((s) => round1(s.rps)) }];
        }),
      );
      const ours = rows.gateway?.rps;
      return {
        scenario: scenario.name,
        systems: rows,
        gatewayVsHive: ours && rows.hive ? round2(ours / rows.hive.rps) : null,
        gatewayVsBaseline: ours && rows.baseline ? round2(ours / rows.baseline.rps) : null,
        // Efficiency ratios from CPU per query: what the RPS ratios would be on a quiet machine.
        cpuHiveVsGateway: rows.gateway && rows.hive ? round2(rows.hive.cpuMsPerQuery / rows.gateway.cpuMsPerQuery) : null,
        cpuBaselineVsGateway: rows.gateway && rows.baseline ? round2(rows.baseline.cpuMsPerQuery / rows.gateway.cpuMsPerQuery) : null,
      };
    });
    printTable(table, variants);
    console.log(`\nbackend calls for one Customer 360 (cold loaders; entity cache ${entityCache ? 'warm' : 'off'}), by number of customers: ${JSON.stringify(callsByCustomers)}`);

    const result = {
      at: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
      scale,
      settings: { rounds, durationSeconds: duration, connections, entityCache, systems: variants },
      scenarios: table,
      backendCallsByCustomerCount: callsByCustomers,
      command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    };
    const dir = path.resolve(__dirname, 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${values.out}.json`), `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nwritten: bench/results/${values.out}.json`);
  } finally {
    await bench.stop();
  }
}

// Pages and ids the load cycles through, read once through our gateway.
async function scenarioInputs(bench: BenchStack, pages: number): Promise<ScenarioInputs> {
  const pageOf = (field: string) => async (after: string | null) => {
    const body = (await postGraphql(bench.endpoints.gateway, bench.token, { query: `query($after: String) { ${field}(first: 50, after: $after) { pageInfo { hasNextPage endCursor } } }`, variables: { after } })) as { data?: Record<string, { pageInfo: { hasNextPage: boolean; endCursor: string | null } }> };
    if (!body.data) throw new Error(`the gateway could not list ${field}: ${JSON.stringify(body)}`);
    return body.data[field].pageInfo;
  };
  const ids = (await postGraphql(bench.endpoints.gateway, bench.token, { query: '{ customers(first: 100) { nodes { id } } }' })) as { data?: { customers: { nodes: { id: string }[] } } };
  return {
    customerCursors: await fullyLinkedWindows(bench, pages),
    orderCursors: await pageCursors(pageOf('salesOrders'), pages),
    opportunityCursors: await pageCursors(pageOf('opportunities'), pages),
    customerIds: (ids.data?.customers.nodes ?? []).map((node) => node.id),
  };
}

/**
 * Cursors of pages of 50 customers that each exist in both systems. Hive Gateway does not fetch
 * an entity whose key is null (a customer only in the CRM has no ERP number) and then fails the
 * whole page on the non-null `openBalance`; on such pages the systems would not do the same work.
 */
async function fullyLinkedWindows(bench: BenchStack, wanted: number): Promise<(string | null)[]> {
  const customers: { id: string; crmAccountId: string | null; erpCustomerNo: string | null }[] = [];
  let after: string | null = null;
  while (customers.length < 5000) {
    const body = (await postGraphql(bench.endpoints.gateway, bench.token, { query: 'query($after: String) { customers(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { id crmAccountId erpCustomerNo } } }', variables: { after } })) as { data: { customers: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: typeof customers } } };
    customers.push(...body.data.customers.nodes);
    if (!body.data.customers.pageInfo.hasNextPage) break;
    after = body.data.customers.pageInfo.endCursor;
  }
  const cursors: (string | null)[] = [];
  let run = 0;
  for (let i = 0; i < customers.length && cursors.length < wanted; i++) {
    run = customers[i].crmAccountId && customers[i].erpCustomerNo ? run + 1 : 0;
    if (run === 50) {
      const start = i - 49;
      cursors.push(start === 0 ? null : encodeCursor(customers[start - 1].id));
      run = 0;
    }
  }
  if (cursors.length === 0) throw new Error('no page of 50 customers linked in both systems; try a larger --scale');
  return cursors;
}

// Runs one scenario against one system for `duration` seconds and counts the backend calls it caused.
async function runOnce(bench: BenchStack, scenario: Scenario, variant: Variant, options: { duration: number; connections: number; round: number; timeout: number }): Promise<Sample> {
  const system: SystemName = variant === 'gateway+apq' ? 'gateway' : variant;
  let bodies: string[];
  if (variant === 'gateway+apq') {
    const sha256Hash = createHash('sha256').update(scenario.query).digest('hex');
    const extensions = { persistedQuery: { version: 1, sha256Hash } };
    // Registers the query once; the load then sends only its hash.
    await postGraphql(bench.endpoints.gateway, bench.token, { query: scenario.query, variables: scenario.pool[0], extensions });
    bodies = scenario.pool.map((variables) => JSON.stringify({ variables, extensions }));
  } else {
    bodies = scenario.pool.map((variables) => JSON.stringify({ query: scenario.query, variables }));
  }
  let next = 0;
  let withErrors = 0;
  const callsBefore = await bench.backendCalls(system);
  const cpuBefore = await bench.cpuSeconds(system);
  const result = await autocannon({
    url: bench.endpoints[system],
    method: 'POST',
    connections: options.connections,
    duration: options.duration,
    timeout: options.timeout,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bench.token}` },
    requests: [
      {
        setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] }),
        onResponse: (_status, body) => {
          if (body.startsWith('{"errors"') || body.includes('"errors":[')) withErrors++;
        },
      },
    ],
  });
  const callsAfter = await bench.backendCalls(system);
  const cpuAfter = await bench.cpuSeconds(system);
  const completed = Math.max(1, result.requests.total);
  return {
    round: options.round,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    answersWithErrors: withErrors,
    backendCallsPerQuery: (callsAfter - callsBefore) / completed,
    cpuMsPerQuery: ((cpuAfter - cpuBefore) * 1000) / completed,
  };
}

// Every system must give the same answer, or the comparison would not be of the same work.
async function checkSameAnswers(bench: BenchStack, scenarios: Scenario[], systems: SystemName[]): Promise<void> {
  for (const scenario of scenarios) {
    const answers = await Promise.all(systems.map((system) => postGraphql(bench.endpoints[system], bench.token, { query: scenario.query, variables: scenario.pool[0] })));
    answers.forEach((answer, i) => {
      if (answer.errors?.length) console.warn(`  ! ${systems[i]} answered ${scenario.name} with errors: ${answer.errors.slice(0, 3).map((e) => e.message).join('; ')}`);
    });
    const reference = JSON.stringify(answers[0].data) ?? 'null';
    const differing = systems.filter((_, i) => JSON.stringify(answers[i].data) !== reference);
    console.log(`  answers for ${scenario.name}: ${differing.length === 0 ? `identical across ${systems.join(', ')} (${reference.length} bytes)` : `DIFFER on ${differing.join(', ')}`}`);
  }
}

// Backend calls of one Customer 360 for growing numbers of customers: batching keeps it flat.
async function callsPerCustomerCount(bench: BenchStack, systems: SystemName[]): Promise<Record<string, Record<number, number>>> {
  const out: Record<string, Record<number, number>> = {};
  for (const system of systems) {
    out[system] = {};
    for (const first of [1, 10, 50, 100]) {
      const before = await bench.backendCalls(system);
      await postGraphql(bench.endpoints[system], bench.token, { query: CUSTOMER_360, variables: { first } });
      out[system][first] = (await bench.backendCalls(system)) - before;
    }
  }
  return out;
}

function printTable(table: { scenario: string; systems: Record<string, { rps: number; p50: number; p99: number; backendCallsPerQuery: number; cpuMsPerQuery: number; rounds: number[]; requests: number; answersWithErrors: number }>; gatewayVsHive: number | null; gatewayVsBaseline: number | null; cpuHiveVsGateway: number | null; cpuBaselineVsGateway: number | null }[], variants: Variant[]): void {
  console.log('\n| scenario | system | RPS (median) | per round | p50 ms | p99 ms | backend calls/query | CPU ms/query | answers with errors |');
  console.log('|---|---|---:|---|---:|---:|---:|---:|---:|');
  for (const row of table) {
    for (const variant of variants) {
      const s = row.systems[variant];
      if (!s) continue;
      console.log(`| ${row.scenario} | ${variant} | ${s.rps.toFixed(1)} | ${s.rounds.join(' / ')} | ${s.p50} | ${s.p99} | ${s.backendCallsPerQuery.toFixed(2)} | ${s.cpuMsPerQuery.toFixed(0)} | ${s.answersWithErrors} of ${s.requests} |`);
    }
  }
  console.log('\n| scenario | RPS gateway ÷ Hive | RPS gateway ÷ baseline | CPU/query Hive ÷ gateway | CPU/query baseline ÷ gateway |');
  console.log('|---|---:|---:|---:|---:|');
  for (const row of table) console.log(`| ${row.scenario} | ${row.gatewayVsHive ?? '-'} | ${row.gatewayVsBaseline ?? '-'} | ${row.cpuHiveVsGateway ?? '-'} | ${row.cpuBaselineVsGateway ?? '-'} |`);
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

main().catch((error: unknown) => {
  console.error('bench failed:', error);
  process.exit(1);
});
