/**
 * `npm run bench`: our gateway, Hive Gateway (its default JavaScript planner and its Rust planner
 * from @graphql-hive/router-runtime) and the no-federation baseline side by side on the same
 * seeded stack, each scenario driven by autocannon at fixed concurrency on 127.0.0.1, systems
 * alternated and rounds repeated so drift shows. Before the load every page of every scenario is
 * asked of every system and the whole answers (data and errors) compared. Prints RPS, p50, p99,
 * CPU per query, backend calls per query, the ratios to every peer against their targets, and
 * writes bench/results/<--out>.json.
 *
 *   npm run bench                       10,000 customers, 100,000 orders, 3 rounds of 10 s
 *   npm run bench -- --quick            small data, 1 round of 5 s (a fast check)
 *   npm run bench -- --scale 0.5        half the default data; --customers/--orders/--opportunities N
 *   npm run bench -- --rounds 5 --duration 20 --connections 8 --timeout 30 --systems gateway,hive-router-runtime
 *   npm run bench -- --scenarios customer-360,order   only the scenarios whose names start so
 *   npm run bench -- --apq              adds our gateway with hash-only persisted queries
 *   npm run bench -- --no-entity-cache  subgraphs (and baseline) without the entity cache
 *   npm run bench -- --erp tryton [--quick]  the Customer 360 and the order list through our gateway
 *                                       with the reference ERP and with Tryton 6.0 side by side
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { type BenchScale, type BenchStack, SYSTEMS, type SystemName, postGraphql, startBenchStack } from './bench-stack';
import { TRYTON_DEMO_SCALE } from '../scripts/tryton/tryton-demo';
import { type AnswerCheck, compareAnswers, printAnswerChecks } from './answers';
import { CUSTOMER_360, SCENARIO_NAMES, type Scenario, benchScenarios, readScenarioInputs } from './scenarios';

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
  /** The writes run beside the reads (mixed scenarios only). */
  writes?: { rps: number; p50: number; p99: number; requests: number; answersWithErrors: number; non2xx: number };
}

type Variant = SystemName | 'gateway+apq';

/** What our gateway must reach against each peer, per scenario: RPS and CPU per query, medians of one run. */
const TARGETS = {
  customer360: { 'hive-router-runtime': 1.3, baseline: 1.0 },
  other: { 'hive-router-runtime': 1.1, baseline: 0.8 },
} as const;

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
      erp: { type: 'string' },
    },
  });
  const quick = values.quick!;
  if (values.erp !== undefined) {
    if (values.erp !== 'tryton') throw new Error(`--erp compares the reference ERP with tryton, not ${values.erp}`);
    return compareErps({
      rounds: Number(values.rounds ?? (quick ? 1 : 3)),
      // A Customer 360 page on Tryton takes seconds: a 5 s window would end before most answers.
      duration: Number(values.duration ?? (quick ? 20 : 30)),
      connections: Number(values.connections),
      timeout: Number(values.timeout),
      out: values.out === 'latest' ? 'erp-tryton' : values.out!,
    });
  }
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
  for (const system of systems) if (!SYSTEMS.includes(system)) throw new Error(`unknown system ${system}; known: ${SYSTEMS.join(', ')}`);
  const variants: Variant[] = [...systems, ...(values.apq ? (['gateway+apq'] as const) : [])];
  const entityCache = !values['no-entity-cache'];
  const loadBefore = os.loadavg();

  console.log(`bench: ${scale.customers} customers, ${scale.orders} orders, ${scale.opportunities} opportunities; ${rounds} round(s) × ${duration} s at ${connections} connections; entity cache ${entityCache ? 'on' : 'off'}`);
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`);
  const bench = await startBenchStack(scale, { env: entityCache ? {} : { ENTITY_CACHE: 'false' } });
  // Ctrl-C stops every process the bench started.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void bench.stop().finally(() => process.exit(130)));
  try {
    let scenarios = benchScenarios(await readScenarioInputs(bench, quick ? 4 : 20));
    if (values.scenarios) scenarios = scenarios.filter((s) => values.scenarios!.split(',').some((part) => s.name.startsWith(part.trim())));

    const answerChecks = await compareAnswers(bench, scenarios, systems);
    printAnswerChecks(answerChecks);
    const exportTimes = scenarios.some((s) => s.name === SCENARIO_NAMES.export) ? await sequentialExportTimes(bench, scenarios.find((s) => s.name === SCENARIO_NAMES.export)!, systems) : undefined;
    const callsByCustomers = await callsPerCustomerCount(bench, systems);

    const samples = new Map<string, Sample[]>();
    let writesSent = 0;
    // A scenario that places orders leaves flows working and waiting behind it (they read the ERP
    // until their event or re-check comes): its rounds run after every round of the read-only
    // ones, so no read pays for another scenario's flows.
    const phases = [scenarios.filter((s) => !s.writes), scenarios.filter((s) => s.writes)];
    for (const [phase, round] of phases.flatMap((phase) => Array.from({ length: rounds }, (_, i) => [phase, i + 1] as const))) {
      for (const scenario of phase) {
        // Each round starts with a different system, so warm-up and drift do not favour one.
        const order = variants.map((_, i) => variants[(i + round - 1 + scenarios.indexOf(scenario)) % variants.length]);
        for (const variant of order) {
          const sample = await runOnce(bench, scenario, variant, { duration, connections, round, timeout: Number(values.timeout), firstWrite: writesSent });
          writesSent += sample.writes?.requests ?? 0;
          const key = `${scenario.name}|${variant}`;
          samples.set(key, [...(samples.get(key) ?? []), sample]);
          const writes = sample.writes ? `  writes ${sample.writes.rps.toFixed(1)}/s p99 ${sample.writes.p99} ms${sample.writes.answersWithErrors || sample.writes.non2xx ? ` (${sample.writes.answersWithErrors} with errors, ${sample.writes.non2xx} non-2xx)` : ''}` : '';
          console.log(`  round ${round} ${scenario.name.slice(0, 34).padEnd(34)} ${variant.padEnd(19)} ${sample.rps.toFixed(1).padStart(8)} rps  p50 ${String(sample.p50).padStart(5)} ms  p99 ${String(sample.p99).padStart(5)} ms  ${sample.backendCallsPerQuery.toFixed(2)} backend calls/query  ${sample.cpuMsPerQuery.toFixed(1)} CPU ms/query${sample.non2xx || sample.errors || sample.answersWithErrors ? `  (${sample.non2xx} non-2xx, ${sample.errors} connection errors, ${sample.answersWithErrors} answers with GraphQL errors)` : ''}${writes}`);
        }
      }
    }

    const table = scenarios.map((scenario) => summarise(scenario, variants, samples.get.bind(samples)));
    const loadAfter = os.loadavg();
    printTable(table, variants, answerChecks);
    if (exportTimes) console.log(`\none export of 1,000 orders, pages of 100 one after another (median of 3, ms): ${Object.entries(exportTimes).map(([system, ms]) => `${system} ${ms}`).join(', ')}`);
    console.log(`\nbackend calls for one Customer 360 (cold loaders; entity cache ${entityCache ? 'warm' : 'off'}), by number of customers: ${JSON.stringify(callsByCustomers)}`);
    console.log(`load average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(2)).join(' ')}`);

    const result = {
      at: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadAverageBefore: loadBefore, loadAverageAfter: loadAfter },
      scale,
      settings: { rounds, durationSeconds: duration, connections, entityCache, systems: variants, rateLimit: 'off' },
      scenarios: table,
      answers: answerChecks,
      exportMs: exportTimes,
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

/**
 * `--erp tryton`: what a real ERP costs. The Customer 360 and the order list through our gateway,
 * first with the reference ERP, then with Tryton 6.0 (on a copy of its demo database), both holding
 * the same demo business at the size the Tryton demo is seeded with (40 customers and 40 orders,
 * so a page of 50 holds them all). Backend calls per query are HTTP calls to the reference ERP and JSON-RPC
 * calls to Tryton; CPU per query includes the ERP's own (the reference backend's, trytond's).
 */
async function compareErps(settings: { rounds: number; duration: number; connections: number; timeout: number; out: string }): Promise<void> {
  const scale: BenchScale = { customers: TRYTON_DEMO_SCALE.customers, orders: TRYTON_DEMO_SCALE.salesOrders, opportunities: TRYTON_DEMO_SCALE.opportunities };
  const pageSize = 50;
  // Background polls would add backend calls (and work for the ERP) that the figures would count.
  const env = { SYNC_POLL_INTERVAL_MS: '3600000', RECONCILIATION_INTERVAL_MS: '3600000', TRYTON_POLL_MS: '3600000' };
  console.log(`bench --erp tryton: ${scale.customers} customers, ${scale.orders} orders; pages of ${pageSize}; ${settings.rounds} round(s) × ${settings.duration} s at ${settings.connections} connections, our gateway only`);
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const rows: { scenario: string; erp: string; rps: number; p50: number; p99: number; backendCallsPerQuery: number; cpuMsPerQuery: number; requests: number; answersWithErrors: number }[] = [];
  const callsByCustomers: Record<string, Record<number, number>> = {};
  for (const erp of ['reference', 'tryton'] as const) {
    const bench = await startBenchStack(scale, { env, systems: ['gateway'], erp });
    const stop = () => void bench.stop().finally(() => process.exit(130));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      // Our gateway alone: every customer of the demo (40) on one page, linked in both systems or not.
      const scenarios = benchScenarios(await readScenarioInputs(bench, 2, { anyCustomerPage: true }))
        .filter((s) => s.name === SCENARIO_NAMES.customer360 || s.name === SCENARIO_NAMES.orderList)
        .map((s) => (s.name === SCENARIO_NAMES.customer360 ? { ...s, name: `customer-360 (${scale.customers} customers)` } : s));
      for (const scenario of scenarios) {
        const samples: Sample[] = [];
        for (let round = 1; round <= settings.rounds; round++) {
          const sample = await runOnce(bench, scenario, 'gateway', { duration: settings.duration, connections: settings.connections, round, timeout: settings.timeout, firstWrite: 0 });
          samples.push(sample);
          console.log(`  round ${round} ${scenario.name.padEnd(34)} ${erp.padEnd(10)} ${sample.rps.toFixed(1).padStart(8)} rps  p50 ${String(sample.p50).padStart(5)} ms  p99 ${String(sample.p99).padStart(5)} ms  ${sample.backendCallsPerQuery.toFixed(2)} backend calls/query  ${sample.cpuMsPerQuery.toFixed(0)} CPU ms/query`);
        }
        rows.push({
          scenario: scenario.name,
          erp,
          rps: median(samples.map((x) => x.rps)),
          p50: median(samples.map((x) => x.p50)),
          p99: median(samples.map((x) => x.p99)),
          backendCallsPerQuery: median(samples.map((x) => x.backendCallsPerQuery)),
          cpuMsPerQuery: median(samples.map((x) => x.cpuMsPerQuery)),
          requests: samples.reduce((sum, x) => sum + x.requests, 0),
          answersWithErrors: samples.reduce((sum, x) => sum + x.answersWithErrors, 0),
        });
      }
      callsByCustomers[erp] = (await callsPerCustomerCount(bench, ['gateway'])).gateway;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      await bench.stop();
    }
  }
  console.log('\n| scenario | ERP | RPS (median) | p50 ms | p99 ms | backend calls/query | CPU ms/query | answers with errors |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.scenario} | ${r.erp} | ${r.rps.toFixed(1)} | ${r.p50} | ${r.p99} | ${r.backendCallsPerQuery.toFixed(2)} | ${r.cpuMsPerQuery.toFixed(0)} | ${r.answersWithErrors} of ${r.requests} |`);
  console.log(`\nbackend calls for one Customer 360 (cold loaders), by number of customers: ${JSON.stringify(callsByCustomers)}`);
  const dir = path.resolve(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const result = { at: new Date().toISOString(), machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadAverage: os.loadavg() }, scale, settings, rows, backendCallsByCustomerCount: callsByCustomers, command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim() };
  writeFileSync(path.join(dir, `${settings.out}.json`), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\nwritten: bench/results/${settings.out}.json`);
}

interface SystemRow {
  rps: number;
  p50: number;
  p99: number;
  backendCallsPerQuery: number;
  cpuMsPerQuery: number;
  /** RPS of each round. */
  rounds: number[];
  requests: number;
  answersWithErrors: number;
  writes?: { rps: number; p99: number; requests: number; answersWithErrors: number };
}

interface Ratio {
  /** Our gateway's RPS ÷ the peer's. */
  rps: number;
  /** The peer's CPU per query ÷ our gateway's. */
  cpu: number;
  /** What both must reach, where a target is set. */
  target: number | null;
  met: boolean | null;
}

interface ScenarioRow {
  scenario: string;
  systems: Record<string, SystemRow>;
  /** Our gateway against each other system. */
  ratios: Record<string, Ratio>;
  /** Our gateway's p99 is no worse than any other system's. */
  p99NoWorse: boolean | null;
}

function summarise(scenario: Scenario, variants: Variant[], samplesOf: (key: string) => Sample[] | undefined): ScenarioRow {
  const rows: Record<string, SystemRow> = {};
  for (const variant of variants) {
    const list = samplesOf(`${scenario.name}|${variant}`) ?? [];
    if (list.length === 0) continue;
    const writes = list.flatMap((s) => (s.writes ? [s.writes] : []));
    rows[variant] = {
      rps: round1(median(list.map((s) => s.rps))),
      p50: median(list.map((s) => s.p50)),
      p99: median(list.map((s) => s.p99)),
      backendCallsPerQuery: round2(median(list.map((s) => s.backendCallsPerQuery))),
      cpuMsPerQuery: round1(median(list.map((s) => s.cpuMsPerQuery))),
      rounds: list.map((s) => round1(s.rps)),
      requests: list.reduce((sum, s) => sum + s.requests, 0),
      answersWithErrors: list.reduce((sum, s) => sum + s.answersWithErrors, 0),
      ...(writes.length ? { writes: { rps: round1(median(writes.map((w) => w.rps))), p99: median(writes.map((w) => w.p99)), requests: writes.reduce((sum, w) => sum + w.requests, 0), answersWithErrors: writes.reduce((sum, w) => sum + w.answersWithErrors, 0) } } : {}),
    };
  }
  const ours = rows.gateway;
  const targets = scenario.name === SCENARIO_NAMES.customer360 ? TARGETS.customer360 : TARGETS.other;
  const ratios: Record<string, Ratio> = {};
  // A system that answered nothing in the window (a run shorter than one answer) has no ratio.
  const answered = (row: SystemRow | undefined) => row !== undefined && row.requests > 0 && row.rps > 0;
  if (answered(ours)) {
    for (const [name, peer] of Object.entries(rows)) {
      if (name === 'gateway' || !answered(peer)) continue;
      const rps = round2(ours.rps / peer.rps);
      const cpu = round2(peer.cpuMsPerQuery / ours.cpuMsPerQuery);
      const target = (targets as Record<string, number>)[name] ?? null;
      ratios[name] = { rps, cpu, target, met: target === null ? null : rps >= target && cpu >= target };
    }
  }
  const peers = Object.entries(rows).filter(([name, row]) => name !== 'gateway' && name !== 'gateway+apq' && answered(row));
  return { scenario: scenario.name, systems: rows, ratios, p99NoWorse: answered(ours) && peers.length ? peers.every(([, peer]) => ours!.p99 <= peer.p99) : null };
}

// Runs one scenario against one system for `duration` seconds and counts the backend calls and CPU it caused.
async function runOnce(bench: BenchStack, scenario: Scenario, variant: Variant, options: { duration: number; connections: number; round: number; timeout: number; firstWrite: number }): Promise<Sample> {
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
  // With writes, every process that serves the reads or the writes (and runs the flows) counts.
  const serving: SystemName[] = scenario.writes ? [system, writeTarget(system)] : [system];
  const callsBefore = await bench.backendCalls(system);
  const cpuBefore = await bench.cpuSeconds(serving);
  const reads = autocannon({
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
          if (hasErrors(body)) withErrors++;
        },
      },
    ],
  });
  const writes = scenario.writes ? runWrites(bench, scenario.writes, writeTarget(system), options) : undefined;
  const [result, written] = await Promise.all([reads, writes]);
  if (written) await waitForFlowsToSettle(bench);
  const callsAfter = await bench.backendCalls(system);
  const cpuAfter = await bench.cpuSeconds(serving);
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
    ...(written ? { writes: written } : {}),
  };
}

/**
 * Where a system's writes go: through the system itself, except for the baseline, which has no
 * flow engine (flows need the integration's durable job queue); its reads then run while our
 * gateway places the same orders, so the backends and the integration do the same flow work.
 */
function writeTarget(system: SystemName): SystemName {
  return system === 'baseline' ? 'gateway' : system;
}

// The write stream of a mixed scenario: a fixed rate, each write with its own idempotency key.
async function runWrites(bench: BenchStack, writes: NonNullable<Scenario['writes']>, system: SystemName, options: { duration: number; timeout: number; firstWrite: number }): Promise<NonNullable<Sample['writes']>> {
  let n = options.firstWrite;
  let withErrors = 0;
  const result = await autocannon({
    url: bench.endpoints[system],
    method: 'POST',
    connections: writes.connections,
    overallRate: writes.perSecond,
    duration: options.duration,
    timeout: options.timeout,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bench.token}` },
    requests: [
      {
        setupRequest: (request) => ({ ...request, body: JSON.stringify({ query: writes.query, variables: writes.variables(n++) }) }),
        onResponse: (_status, body) => {
          if (hasErrors(body)) withErrors++;
        },
      },
    ],
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, requests: result.requests.total, answersWithErrors: withErrors, non2xx: result.non2xx };
}

/**
 * Placed orders go on as flows after their mutation answered; waits (up to 30 s) until the
 * integration and the ERP backend are idle again, so the next system's run does not pay for them.
 */
async function waitForFlowsToSettle(bench: BenchStack): Promise<void> {
  const deadline = Date.now() + 30_000;
  let last = await bench.cpuSeconds('gateway');
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = await bench.cpuSeconds('gateway');
    // The gateway, subgraphs and backends together under a tenth of a core.
    if (now - last < 0.1) return;
    last = now;
  }
}

// A GraphQL answer carrying errors (a top-level "errors" key; error-free answers have none).
function hasErrors(body: string): boolean {
  return body.startsWith('{"errors"') || body.includes('"errors":[');
}

/**
 * The 1,000-order export as a reporting tool runs it: each page asked after the previous one
 * answered (its cursor), one connection; the time to the last page, median of three.
 */
async function sequentialExportTimes(bench: BenchStack, scenario: Scenario, systems: SystemName[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const system of systems) {
    const times: number[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const started = performance.now();
      let after: string | null = null;
      for (let page = 0; page < scenario.pool.length; page++) {
        const body = (await postGraphql(bench.endpoints[system], bench.token, { query: scenario.query, variables: { ...scenario.pool[0], after } })) as { data?: { salesOrders: { pageInfo: { endCursor: string | null; hasNextPage: boolean } } } };
        const info = body.data?.salesOrders.pageInfo;
        if (!info?.hasNextPage) break;
        after = info.endCursor;
      }
      times.push(performance.now() - started);
    }
    out[system] = Math.round(median(times));
  }
  return out;
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

function printTable(table: ScenarioRow[], variants: Variant[], checks: AnswerCheck[]): void {
  console.log('\n| scenario | system | RPS (median) | per round | p50 ms | p99 ms | backend calls/query | CPU ms/query | answers with errors | answers before the load vs gateway |');
  console.log('|---|---|---:|---|---:|---:|---:|---:|---:|---|');
  for (const row of table) {
    for (const variant of variants) {
      const s = row.systems[variant];
      if (!s) continue;
      const writes = s.writes ? ` (+ ${s.writes.rps} placeOrder/s, p99 ${s.writes.p99} ms)` : '';
      const check = checks.find((c) => c.scenario === row.scenario)?.systems[variant === 'gateway+apq' ? 'gateway' : variant];
      const compared = !check ? '-' : check.differing === 0 ? `same (${check.same})` : `${check.differing} of ${check.same + check.differing} differ (${check.differ === 'errors only' ? 'errors only' : 'DATA'})${check.explanation ? '¹' : ''}`;
      console.log(`| ${row.scenario} | ${variant} | ${s.rps.toFixed(1)}${writes} | ${s.rounds.join(' / ')} | ${s.p50} | ${s.p99} | ${s.backendCallsPerQuery.toFixed(2)} | ${s.cpuMsPerQuery.toFixed(1)} | ${s.answersWithErrors} of ${s.requests} | ${compared} |`);
    }
  }
  const explained = new Set(checks.flatMap((c) => Object.values(c.systems).flatMap((sys) => (sys.explanation ? [sys.explanation] : []))));
  for (const text of explained) console.log(`¹ ${text}`);
  const peers = variants.filter((v) => v !== 'gateway' && v !== 'gateway+apq');
  console.log(`\nOur gateway against each peer: RPS ours ÷ theirs, CPU per query theirs ÷ ours (higher is better for us; target in brackets, ✓ when both meet it).`);
  console.log(`| scenario | ${peers.map((p) => `${p}: RPS | ${p}: CPU`).join(' | ')} | p99 no worse than every peer |`);
  console.log(`|---|${peers.map(() => '---:|---:').join('|')}|---|`);
  for (const row of table) {
    const cells = peers.map((peer) => {
      const ratio = row.ratios[peer];
      if (!ratio) return '- | -';
      const mark = ratio.target === null ? '' : ` (${ratio.target}) ${ratio.met ? '✓' : '✗'}`;
      return `${ratio.rps} | ${ratio.cpu}${mark}`;
    });
    const best = Math.min(...peers.map((p) => (row.systems[p]?.requests ? row.systems[p].p99 : Infinity)));
    const p99 = row.p99NoWorse === null ? '-' : row.p99NoWorse ? `✓ (${row.systems.gateway?.p99} ms)` : `✗ (ours ${row.systems.gateway?.p99} ms; best peer ${best} ms)`;
    console.log(`| ${row.scenario} | ${cells.join(' | ')} | ${p99} |`);
  }
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
