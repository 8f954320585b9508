import { freePorts } from './free-ports';
import { createHttpService, listen } from './http-server';
import { createLogger } from './logger';
import { createMetrics } from './metrics';

function service(dependencies?: Record<string, () => Promise<unknown>>) {
  return createHttpService({ service: 'probe', logger: createLogger('probe', 'silent'), metrics: createMetrics('probe'), ready: async () => {}, dependencies });
}

describe('metrics port', () => {
  it('serves /metrics on the public port when no private port is set', async () => {
    const app = service();
    const port = await listen(app, 0);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('http_requests_total');
    } finally {
      await app.close();
    }
  });

  it('moves /metrics to the private port: the public port answers 404 there, health and readiness stay', async () => {
    const app = service();
    const [metricsPort] = await freePorts(1);
    const port = await listen(app, 0, '127.0.0.1', { metricsPort });
    try {
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(200);
      const scraped = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain('service="probe"');
      expect((await fetch(`http://127.0.0.1:${metricsPort}/graphql`)).status).toBe(404);
    } finally {
      await app.close();
    }
    // Closing the service frees the private port too.
    await expect(fetch(`http://127.0.0.1:${metricsPort}/metrics`)).rejects.toThrow();
  });

  it('moves /health/dependencies to the private port with /metrics', async () => {
    const app = service({ backend: async () => {} });
    const [metricsPort] = await freePorts(1);
    const port = await listen(app, 0, '127.0.0.1', { metricsPort });
    try {
      expect((await fetch(`http://127.0.0.1:${port}/health/dependencies`)).status).toBe(404);
      const report = await fetch(`http://127.0.0.1:${metricsPort}/health/dependencies`);
      expect(report.status).toBe(200);
      expect(await report.json()).toMatchObject({ status: 'up', service: 'probe', dependencies: { backend: { up: true } } });
    } finally {
      await app.close();
    }
  });
});

describe('readiness and dependencies', () => {
  it('keeps /ready and /health up while a dependency is down or hangs, and reports each on /health/dependencies and dependency_up', async () => {
    let backendUp = false;
    const app = service({
      backend: async () => {
        if (!backendUp) throw new Error('backend is unavailable (ECONNREFUSED)');
      },
      // A frozen host: the check never settles, and counts as down after the check timeout.
      frozen: () => new Promise(() => {}),
    });
    const port = await listen(app, 0);
    try {
      expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
      const started = Date.now();
      const down = await fetch(`http://127.0.0.1:${port}/health/dependencies`);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({
        status: 'degraded',
        dependencies: { backend: { up: false, reason: 'backend is unavailable (ECONNREFUSED)' }, frozen: { up: false, reason: expect.stringMatching(/^no answer within \d+ ms$/) } },
      });
      backendUp = true;
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/^dependency_up\{dependency="backend",service="probe"\} 1$/m);
      expect(metrics).toMatch(/^dependency_up\{dependency="frozen",service="probe"\} 0$/m);
    } finally {
      await app.close();
    }
  }, 30_000);
});
