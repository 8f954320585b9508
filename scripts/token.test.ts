import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { createTokenVerifier } from '../gateway/auth';
import { loadOrCreateLocalSecrets } from '../platform/secrets';
import { signToken } from './token';

const SECRET = 'token-test-secret-0123456789abcdef';
const ROOT = path.resolve(__dirname, '..');

describe('signToken', () => {
  it('signs a token the gateway verifier accepts with the same secret', async () => {
    const token = await signToken({ secret: SECRET, role: 'finance', sub: 'fiona' });
    await expect(createTokenVerifier({ jwtSecret: SECRET })(token)).resolves.toEqual({ sub: 'fiona', role: 'finance' });
  });

  it("carries a partner's customer id", async () => {
    const token = await signToken({ secret: SECRET, role: 'partner', customerId: 'erp:K-10023' });
    await expect(createTokenVerifier({ jwtSecret: SECRET })(token)).resolves.toEqual({ sub: 'local-partner', role: 'partner', customerId: 'erp:K-10023' });
  });

  it('expires after the requested time, 8 hours by default', async () => {
    const now = Math.floor(Date.now() / 1000);
    const byDefault = decodeJwt(await signToken({ secret: SECRET, role: 'admin' }));
    expect(byDefault.exp! - now).toBeGreaterThanOrEqual(8 * 3600 - 5);
    expect(byDefault.exp! - now).toBeLessThanOrEqual(8 * 3600 + 5);
    const short = decodeJwt(await signToken({ secret: SECRET, role: 'admin', ttl: '30m' }));
    expect(short.exp! - now).toBeLessThanOrEqual(30 * 60 + 5);
  });

  it('is refused by a gateway with another secret', async () => {
    const token = await signToken({ secret: SECRET, role: 'admin' });
    await expect(createTokenVerifier({ jwtSecret: 'another-secret-0123456789abcdef' })(token)).rejects.toThrow('token signature is invalid');
  });

  it('refuses an unknown role', async () => {
    await expect(signToken({ secret: SECRET, role: 'superuser' })).rejects.toThrow('unknown role "superuser": use one of admin, sales, finance, operations, partner');
  });

  it('refuses a partner without a customer and a customer id that is not one', async () => {
    await expect(signToken({ secret: SECRET, role: 'partner' })).rejects.toThrow(/partner token needs --customer/);
    await expect(signToken({ secret: SECRET, role: 'partner', customerId: '10023' })).rejects.toThrow(/is not a customer id/);
  });

  it('refuses a lifetime it cannot read', async () => {
    await expect(signToken({ secret: SECRET, role: 'admin', ttl: 'forever' })).rejects.toThrow(/--ttl "forever"/);
  });
});

describe('npm run token', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'token-script-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const run = (args: string[]) => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, DATA_DIR: dataDir };
    return spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/token.ts'), ...args], { cwd: ROOT, env, encoding: 'utf8' });
  };

  it('prints a token signed with the local secret of DATA_DIR, creating it when absent', async () => {
    const result = run(['--role', 'sales', '--sub', 'sam']);
    expect(result.status).toBe(0);
    const token = result.stdout.trim();
    const { jwtSecret } = loadOrCreateLocalSecrets(dataDir);
    await expect(createTokenVerifier({ jwtSecret })(token)).resolves.toEqual({ sub: 'sam', role: 'sales' });
  });

  it('exits with code 2 and a clear message for an unknown role', () => {
    const result = run(['--role', 'boss']);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('unknown role "boss": use one of admin, sales, finance, operations, partner');
  });

  it('exits with code 2 for a partner without --customer', () => {
    const result = run(['--role', 'partner']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('a partner token needs --customer');
  });
});
