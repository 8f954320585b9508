import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadGatewayConfig } from './config';

describe('gateway configuration', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'gateway-config-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('defaults to port 4000, the checked-in supergraph, the local subgraphs and a 5 s timeout', () => {
    const config = loadGatewayConfig({ DATA_DIR: dataDir });
    expect(config).toMatchObject({
      PORT: 4000,
      SUPERGRAPH_PATH: 'schema/supergraph.graphql',
      ERP_SUBGRAPH_URL: 'http://127.0.0.1:4001/graphql',
      CRM_SUBGRAPH_URL: 'http://127.0.0.1:4002/graphql',
      INTEGRATION_SUBGRAPH_URL: 'http://127.0.0.1:4003/graphql',
      SUBGRAPH_TIMEOUT_MS: 5000,
      MAX_BODY_BYTES: 1048576,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('takes the JWT secret from DATA_DIR/secrets.json when JWT_SECRET is unset, creating it once', () => {
    const first = loadGatewayConfig({ DATA_DIR: dataDir });
    const stored = JSON.parse(readFileSync(path.join(dataDir, 'secrets.json'), 'utf8')) as { jwtSecret: string };
    expect(first.JWT_SECRET).toBe(stored.jwtSecret);
    expect(first.JWT_SECRET.length).toBeGreaterThanOrEqual(32);
    expect(loadGatewayConfig({ DATA_DIR: dataDir }).JWT_SECRET).toBe(stored.jwtSecret);
  });

  it('prefers JWT_SECRET from the environment', () => {
    expect(loadGatewayConfig({ DATA_DIR: dataDir, JWT_SECRET: 'from-the-environment-0123456789' }).JWT_SECRET).toBe('from-the-environment-0123456789');
  });

  it('refuses a timeout that is not a positive number', () => {
    expect(() => loadGatewayConfig({ DATA_DIR: dataDir, SUBGRAPH_TIMEOUT_MS: 'soon' })).toThrow(/SUBGRAPH_TIMEOUT_MS/);
  });
});
