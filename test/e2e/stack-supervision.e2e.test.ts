import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SERVICES } from '../../scripts/services';
import { freePorts } from '../../platform/free-ports';
import { type TestStack, startTestStack } from '../../test-support/stack';

const ROOT = path.resolve(__dirname, '..', '..');

describe('the stack supervisor', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack('pglite');
  }, 240_000);
  afterAll(async () => {
    await stack?.dispose();
  }, 60_000);

  it('restarts a service that crashes, within seconds, and the API answers again', async () => {
    const oldPid = stack!.crashService('erp-subgraph');
    expect(oldPid).toBeGreaterThan(0);
    const started = Date.now();
    await stack!.waitUntilReady(30_000);
    expect(Date.now() - started).toBeLessThan(20_000);
    const { data, errors } = await stack!.gql(`{ products(first: 2) { nodes { sku available } } }`);
    expect(errors).toBeUndefined();
    expect(data.products.nodes).toHaveLength(2);
  });
});

describe('npm start', () => {
  it('prints the gateway URL once ready and stops every service cleanly on Ctrl-C', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'supergraph-start-'));
    const ports = await freePorts(SERVICES.length);
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
    SERVICES.forEach((s, i) => (env[`${s.name.toUpperCase().replace(/-/g, '_')}_PORT`] = String(ports[i])));
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/start.ts')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    try {
      const gatewayUrl = `http://127.0.0.1:${ports[SERVICES.findIndex((s) => s.name === 'gateway')]}/graphql`;
      const deadline = Date.now() + 180_000;
      while (!output.includes('Supergraph ready') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      expect(output).toContain(`Supergraph ready at ${gatewayUrl}`);
      expect(output).toContain('npm run token -- --role admin');

      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      // Every service let go of its port: nothing answers any more.
      for (const port of ports) {
        await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
      }
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 240_000);
});
