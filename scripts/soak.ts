/**
 * `npm run soak`: the stack at a fixed load for 5 minutes, the resident memory (RSS) of every
 * process sampled every 10 s, and a verdict on whether memory stays flat. The load cycles through
 * the bench's read scenarios (Customer 360, order list, pipeline, one customer, order export) on our gateway, at a
 * fixed request rate on 127.0.0.1.
 *
 *   npm run soak                          5 minutes at 3 requests/s on 1,000 customers / 10,000 orders
 *   npm run soak -- --minutes 1 --rate 10 --customers 400 --orders 4000
 */
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { type BenchStack, startBenchStack } from '../bench/bench-stack';
import { benchScenarios, readScenarioInputs } from '../bench/scenarios';

const SAMPLE_EVERY_MS = 10_000;
const MIB = 2 ** 20;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '5' },
      rate: { type: 'string', default: '3' },
      connections: { type: 'string', default: '4' },
      customers: { type: 'string', default: '1000' },
      orders: { type: 'string', default: '10000' },
      opportunities: { type: 'string', default: '2000' },
    },
  });
  const minutes = Number(values.minutes);
  const rate = Number(values.rate);
  const scale = { customers: Number(values.customers), orders: Number(values.orders), opportunities: Number(values.opportunities) };
  console.log(`soak: ${minutes} min at ${rate} requests/s on ${scale.customers} customers / ${scale.orders} orders; RSS every ${SAMPLE_EVERY_MS / 1000} s`);
  const bench = await startBenchStack(scale);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void bench.stop().finally(() => process.exit(130)));
  try {
    const bodies = await requestBodies(bench);
    const samples: { atSeconds: number; rss: Record<string, number> }[] = [];
    const started = Date.now();
    const sample = async () => samples.push({ atSeconds: Math.round((Date.now() - started) / 1000), rss: await bench.rss() });
    await sample();
    const timer = setInterval(() => void sample().catch(() => undefined), SAMPLE_EVERY_MS);
    let next = 0;
    let withErrors = 0;
    const result = await autocannon({
      url: bench.endpoints.gateway,
      method: 'POST',
      connections: Number(values.connections),
      overallRate: rate,
      duration: minutes * 60,
      timeout: 30,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bench.token}` },
      requests: [
        {
          setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] }),
          onResponse: (_status, body) => {
            if (body.includes('"errors":[')) withErrors++;
          },
        },
      ],
    });
    clearInterval(timer);
    await sample();

    const names = Object.keys(samples[0].rss);
    console.log(`\n| t (s) | ${names.join(' | ')} |`);
    console.log(`|---:|${names.map(() => '---:').join('|')}|`);
    for (const s of samples) console.log(`| ${s.atSeconds} | ${names.map((n) => (s.rss[n] / MIB).toFixed(0)).join(' | ')} |`);

    // Flat: after the first minute's warm-up, the last third of the run is within 10% (or 15 MiB) of the middle third.
    const warm = samples.filter((s) => s.atSeconds >= Math.min(60, (minutes * 60) / 3));
    const third = Math.max(1, Math.floor(warm.length / 3));
    const mean = (list: typeof samples, name: string) => list.reduce((sum, s) => sum + s.rss[name], 0) / Math.max(1, list.length);
    let flat = true;
    console.log('\nprocess: RSS after warm-up → at the end (MiB)');
    for (const name of names) {
      const early = mean(warm.slice(0, third), name);
      const late = mean(warm.slice(-third), name);
      const grew = late - early;
      const ok = grew <= Math.max(0.1 * early, 15 * MIB);
      flat &&= ok;
      console.log(`  ${name.padEnd(14)} ${(early / MIB).toFixed(0).padStart(5)} → ${(late / MIB).toFixed(0).padStart(5)}  ${ok ? 'flat' : 'GROWING'}`);
    }
    console.log(`\n${result.requests.total} requests, ${result.non2xx} non-2xx, ${result.errors} connection errors, ${withErrors} answers with GraphQL errors; p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`);
    console.log(flat ? 'memory: flat' : 'memory: GROWING (see the table above)');
    process.exitCode = flat ? 0 : 1;
  } finally {
    await bench.stop();
  }
}

// The bench's read scenarios' bodies, over real pages and ids, interleaved.
async function requestBodies(bench: BenchStack): Promise<string[]> {
  const scenarios = benchScenarios(await readScenarioInputs(bench, 20)).filter((scenario) => !scenario.writes);
  const bodies: string[] = [];
  for (let i = 0; i < 100; i++) {
    for (const scenario of scenarios) bodies.push(JSON.stringify({ query: scenario.query, variables: scenario.pool[i % scenario.pool.length] }));
  }
  return bodies;
}

main().catch((error: unknown) => {
  console.error('soak failed:', error);
  process.exit(1);
});
