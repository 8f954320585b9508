import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { SERVICES } from '../scripts/services';

const ROOT = path.resolve(__dirname, '..');

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

// Compose understands YAML merge keys (<<: *anchor), so the test reads the file the same way.
const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
const portOf = Object.fromEntries(SERVICES.map((s) => [s.name, s.port])) as Record<string, number>;
/** A value compose takes from the environment and refuses to start without: ${NAME:?message}. */
const REQUIRED_VARIABLE = /^\$\{[A-Z_]+:\?[^}]+\}$/;

describe('docker-compose.yml', () => {
  it('names exactly the services of `npm start` plus PostgreSQL and Redis', () => {
    expect(Object.keys(compose.services).sort()).toEqual([...SERVICES.map((s) => s.name), 'postgres', 'redis'].sort());
    expect(compose.services.postgres.image).toMatch(/^postgres:16/);
    expect(compose.services.redis.image).toMatch(/^redis:7/);
  });

  it.each(SERVICES.map((s) => [s.name, s] as const))('runs %s from its entry file on its standard port', (name, service) => {
    const definition = compose.services[name];
    expect(definition.command).toContain(service.entry);
    expect(existsSync(path.join(ROOT, service.entry))).toBe(true);
    expect(definition.environment?.[service.portEnv]).toBe(String(service.port));
    expect(definition.environment?.HOST).toBe('0.0.0.0');
    expect(definition.ports).toEqual([`${service.port}:${service.port}`]);
    expect(definition.healthcheck?.test.join(' ')).toContain(`http://127.0.0.1:${service.port}/ready`);
    for (const dependency of Object.values(definition.depends_on ?? {})) expect(dependency.condition).toBe('service_healthy');
  });

  it('gives every service a health check and starts each after what it calls is healthy', () => {
    for (const [name, definition] of Object.entries(compose.services)) expect([name, Boolean(definition.healthcheck?.test?.length)]).toEqual([name, true]);
    expect(Object.keys(compose.services['erp-backend'].depends_on ?? {})).toEqual(expect.arrayContaining(['postgres', 'redis']));
    expect(Object.keys(compose.services.gateway.depends_on ?? {}).sort()).toEqual(['crm-subgraph', 'erp-subgraph', 'integration']);
  });

  it('points every service at PostgreSQL, Redis and the others by compose service name and port', () => {
    const env = (name: string) => compose.services[name].environment ?? {};
    for (const service of SERVICES) {
      expect(env(service.name).DATABASE_URL).toMatch(/^postgres:\/\/[^@]+@postgres:5432\//);
      expect(env(service.name).REDIS_URL).toBe('redis://redis:6379');
    }
    // The integration acts on changes; the subgraphs drop what their entity caches hold.
    expect(env('erp-backend').WEBHOOK_TARGETS).toBe(`http://integration:${portOf.integration}/webhooks/erp,http://erp-subgraph:${portOf['erp-subgraph']}/webhooks/erp`);
    expect(env('crm-backend').WEBHOOK_TARGETS).toBe(`http://integration:${portOf.integration}/webhooks/crm,http://crm-subgraph:${portOf['crm-subgraph']}/webhooks/crm`);
    expect(env('erp-subgraph').ERP_BACKEND_URL).toBe(`http://erp-backend:${portOf['erp-backend']}`);
    expect(env('crm-subgraph').CRM_BACKEND_URL).toBe(`http://crm-backend:${portOf['crm-backend']}`);
    expect(env('integration')).toMatchObject({
      ERP_BACKEND_URL: `http://erp-backend:${portOf['erp-backend']}`,
      CRM_BACKEND_URL: `http://crm-backend:${portOf['crm-backend']}`,
    });
    expect(env('gateway')).toMatchObject({
      ERP_SUBGRAPH_URL: `http://erp-subgraph:${portOf['erp-subgraph']}/graphql`,
      CRM_SUBGRAPH_URL: `http://crm-subgraph:${portOf['crm-subgraph']}/graphql`,
      INTEGRATION_SUBGRAPH_URL: `http://integration:${portOf.integration}/graphql`,
    });
  });

  it('holds no literal secret: each comes from the environment and is required', () => {
    for (const [name, definition] of Object.entries(compose.services)) {
      for (const [key, value] of Object.entries(definition.environment ?? {})) {
        if (/SECRET|PASSWORD|TOKEN/.test(key)) expect([name, key, value]).toEqual([name, key, expect.stringMatching(REQUIRED_VARIABLE)]);
      }
      const url = definition.environment?.DATABASE_URL;
      if (url) expect(url).toContain(':${POSTGRES_PASSWORD:?');
    }
    expect(compose.services.gateway.environment?.JWT_SECRET).toMatch(REQUIRED_VARIABLE);
  });
});

describe('Dockerfile', () => {
  it('builds one slim Node 20 image that runs as a non-root user', () => {
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim$/m);
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
    expect(dockerfile).toMatch(/^USER node$/m);
  });
});

describe('deploy/ Kubernetes manifests', () => {
  interface Manifest {
    kind: string;
    metadata: { name: string };
    spec?: Record<string, any>;
    data?: Record<string, string>;
  }
  const manifests: Manifest[] = readdirSync(path.join(ROOT, 'deploy'))
    .filter((file) => file.endsWith('.yaml'))
    .flatMap((file) => parseAllDocuments(readFileSync(path.join(ROOT, 'deploy', file), 'utf8')).map((doc) => doc.toJSON() as Manifest))
    .filter(Boolean);
  const find = (kind: string, name: string) => manifests.find((m) => m.kind === kind && m.metadata?.name === name);

  it.each(SERVICES.map((s) => [s.name, s] as const))('deploys %s with a Service on its port and health probes', (name, service) => {
    const deployment = find('Deployment', name);
    const container = deployment?.spec?.template.spec.containers[0];
    expect(container.args ?? container.command).toContain(service.entry);
    expect(container.ports[0].containerPort).toBe(service.port);
    expect(container.readinessProbe.httpGet.path).toBe('/ready');
    expect(container.livenessProbe.httpGet.path).toBe('/health');
    expect(container.envFrom.map((e: Record<string, unknown>) => Object.keys(e)[0]).sort()).toEqual(['configMapRef', 'secretRef']);
    expect(find('Service', name)?.spec?.ports[0].port).toBe(service.port);
  });

  it('scales the gateway and the subgraphs out: an autoscaler of two or more replicas owns the count', () => {
    for (const name of ['gateway', 'erp-subgraph', 'crm-subgraph', 'integration']) {
      expect([name, find('Deployment', name)?.spec?.replicas]).toEqual([name, undefined]);
      expect(find('HorizontalPodAutoscaler', name)?.spec?.minReplicas).toBeGreaterThanOrEqual(2);
    }
  });

  it('keeps configuration in a ConfigMap and no secret values in the manifests', () => {
    expect(find('ConfigMap', 'supergraph-config')?.data?.ERP_BACKEND_URL).toBe('http://erp-backend:4101');
    expect(manifests.filter((m) => m.kind === 'Secret')).toEqual([]);
  });
});
