import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { SERVICES } from '../scripts/services';

/**
 * The Kubernetes manifests in deploy/, validated offline against the Kubernetes API schemas
 * (kubernetes-models) and against the rules a reviewer of a production rollout checks.
 */
const DEPLOY = path.resolve(__dirname, '..', 'deploy');
const MODELS: Record<string, new (json: any) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

type Manifest = { apiVersion: string; kind: string; metadata: { name: string }; spec?: any; data?: Record<string, string> };
const files = readdirSync(DEPLOY).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
const manifests: (Manifest & { file: string })[] = files.flatMap((file) =>
  parseAllDocuments(readFileSync(path.join(DEPLOY, file), 'utf8')).map((doc) => ({ ...(doc.toJS() as Manifest), file })),
);
const ofKind = (kind: string) => manifests.filter((m) => m.kind === kind);
const deployments = ofKind('Deployment');
const autoscaled = new Set(ofKind('HorizontalPodAutoscaler').map((h) => h.spec.scaleTargetRef.name as string));
const disruptionBudgets = ofKind('PodDisruptionBudget');
const configMap = ofKind('ConfigMap')[0];

function secretKeysOf(deploymentName: string): string[] {
  const text = readFileSync(path.join(DEPLOY, 'secrets', `${deploymentName}.env.example`), 'utf8');
  return Object.keys(parse(text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.replace('=', ': ')).join('\n') || '{}') ?? {});
}

describe('deploy/ manifests', () => {
  it('are every one valid against the Kubernetes API schemas', () => {
    expect(manifests.length).toBeGreaterThan(0);
    for (const manifest of manifests) {
      const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
      expect({ file: manifest.file, kind: manifest.kind, known: Boolean(Model) }).toEqual({ file: manifest.file, kind: manifest.kind, known: true });
      expect(() => new Model(manifest).validate()).not.toThrow();
    }
  });

  it('are all applied by the kustomization, and every service of the stack has a Deployment', () => {
    const kustomization = parse(readFileSync(path.join(DEPLOY, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    expect([...kustomization.resources].sort()).toEqual([...files].sort());
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(SERVICES.map((s) => s.name).sort());
  });

  it.each(deployments.map((d) => [d.metadata.name, d] as const))('%s runs hardened: no API token, RuntimeDefault seccomp, non-root, read-only, preStop pause', (_name, deployment) => {
    const pod = deployment.spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    for (const container of pod.containers) {
      expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(container.lifecycle?.preStop?.exec?.command?.[0]).toBe('sleep');
      // Liveness asks the process only, readiness whether the pod can answer: neither asks another service.
      expect(container.livenessProbe.httpGet.path).toBe('/health');
      expect(container.readinessProbe.httpGet.path).toBe('/ready');
      expect(container.resources.requests).toBeDefined();
      expect(container.resources.limits.memory).toBeDefined();
    }
  });

  it('leaves the replica count to the HorizontalPodAutoscaler wherever one owns it', () => {
    expect(autoscaled.size).toBeGreaterThan(0);
    for (const deployment of deployments) {
      if (autoscaled.has(deployment.metadata.name)) expect({ name: deployment.metadata.name, replicas: deployment.spec.replicas }).toEqual({ name: deployment.metadata.name, replicas: undefined });
      else expect({ name: deployment.metadata.name, replicas: deployment.spec.replicas }).toEqual({ name: deployment.metadata.name, replicas: 1 });
    }
  });

  it('gives every replicated part a PodDisruptionBudget and a topology spread', () => {
    for (const name of autoscaled) {
      const deployment = deployments.find((d) => d.metadata.name === name)!;
      const labels = deployment.spec.template.metadata.labels;
      const budget = disruptionBudgets.find((b) => Object.entries(b.spec.selector.matchLabels).every(([k, v]) => labels[k] === v));
      expect({ name, budget: budget?.spec.minAvailable }).toEqual({ name, budget: 1 });
      const spread = deployment.spec.template.spec.topologySpreadConstraints ?? [];
      expect(spread.map((c: any) => c.topologyKey)).toEqual(expect.arrayContaining(['kubernetes.io/hostname']));
      for (const constraint of spread) expect(constraint.labelSelector.matchLabels['app.kubernetes.io/name']).toBe(name);
    }
  });

  it('keeps /metrics off the ports the Services expose', () => {
    const metricsPort = Number(configMap.data?.METRICS_PORT);
    expect(metricsPort).toBeGreaterThan(0);
    for (const deployment of deployments) {
      const ports = deployment.spec.template.spec.containers[0].ports as { name: string; containerPort: number }[];
      expect(ports.find((p) => p.name === 'metrics')?.containerPort).toBe(metricsPort);
    }
    for (const service of ofKind('Service')) {
      for (const port of service.spec.ports) expect({ service: service.metadata.name, port: port.targetPort }).toEqual({ service: service.metadata.name, port: 'http' });
    }
  });

  it('gives each service its own Secret with only the keys it uses: the gateway no database, no subgraph or backend the JWT key', () => {
    const holds = Object.fromEntries(deployments.map((d) => {
      const refs = d.spec.template.spec.containers[0].envFrom.filter((e: any) => e.secretRef).map((e: any) => e.secretRef.name);
      expect(refs).toEqual([`${d.metadata.name}-secrets`]);
      return [d.metadata.name, secretKeysOf(d.metadata.name)];
    }));
    expect(holds.gateway).not.toContain('DATABASE_URL');
    expect(holds.gateway).not.toContain('WEBHOOK_SECRET');
    expect(holds.gateway).toContain('JWT_SECRET');
    for (const [name, keys] of Object.entries(holds)) {
      if (name !== 'gateway') expect({ name, jwt: keys.includes('JWT_SECRET') }).toEqual({ name, jwt: false });
      expect(keys).toContain('INTERNAL_SECRET');
    }
    for (const name of ['erp-subgraph', 'crm-subgraph']) expect(holds[name]).not.toContain('DATABASE_URL');
    // The ConfigMap holds nothing secret.
    expect(Object.keys(configMap.data ?? {}).filter((k) => /SECRET|PASSWORD|DATABASE_URL|REDIS_URL/.test(k))).toEqual([]);
  });
});
