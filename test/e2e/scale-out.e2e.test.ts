import { exactlyOnceProblems, runScalePhase, unexplainedFailures, type ScalePhaseResult } from '../../scripts/scale-out';
import { SERVICE_URLS, describeNeeding } from '../../test-support/services';

// `npm run scale` in small: two instances each of the gateway, the subgraphs and the integration
// workers behind load balancers on PostgreSQL and Redis, one gateway and one worker SIGKILLed while
// orders are placed. Slow set: it starts fourteen processes and kills two of them.
describeNeeding(['postgres', 'redis'], 'scale-out behind load balancers', () => {
  let result: ScalePhaseResult;
  const lines: string[] = [];

  beforeAll(async () => {
    result = await runScalePhase({
      phase: 'e2e',
      instances: 2,
      flows: 100,
      kill: true,
      postgresUrl: SERVICE_URLS.postgres,
      redisUrl: SERVICE_URLS.redis,
      timeoutMs: 150_000,
      log: (line) => lines.push(line),
    });
  }, 240_000);

  it('completes every order flow exactly once while a gateway and an integration worker are killed', () => {
    expect(result.kill).toBeDefined();
    expect({ problems: exactlyOnceProblems(result), log: lines }).toEqual({ problems: [], log: lines });
    expect(result.completed).toBe(100);
    // The ERP backend itself holds one sales order and one invoice per flow.
    expect([result.erp.salesOrders, result.erp.invoices]).toEqual([100, 100]);
  });

  it('loses only requests that were in flight at the kill (or sent before the balancers noticed it); every failure has a code', () => {
    // Timeouts of a busy service are apart (unexplainedFailures): the order flows above still
    // complete exactly once through them, as the callers retry with their keys.
    expect(unexplainedFailures(result)).toEqual([]);
    for (const request of result.failedRequests) expect(request.error).toMatch(/^\d{3} [A-Z_+]+$/);
  });

  it('kept answering Customer 360 reads throughout', () => {
    const timedOut = result.failedRequests.filter((request) => request.timedOut).length;
    console.log(`${result.reads} Customer 360 reads; ${result.failedRequests.length} failed requests, ${timedOut} of them timeouts of a busy service`);
    expect(result.reads).toBeGreaterThan(20);
  });
});
