import { freePorts } from '../test-support/stack';
import { createHttpService, listen } from './http-server';
import { createLogger } from './logger';
import { createMetrics } from './metrics';

function service() {
  return createHttpService({ service: 'probe', logger: createLogger('probe', 'silent'), metrics: createMetrics('probe'), ready: async () => {} });
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
});
