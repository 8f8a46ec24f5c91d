// deploy/: every object validates against its Kubernetes schema with the project's own
// validation (src/analysis/schemas.ts); kustomizations name only files that exist and
// every manifest is named by one; the pod runs under the restricted Pod Security
// Standard with a read-only root filesystem, probes /healthz and /readyz, takes the
// GitHub App's identity from a Secret and writes only to its volumes; the Service, the
// PodDisruptionBudget and the optional ServiceMonitor select it.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCHEMA_KINDS, validateManifestSchema } from '../../src/analysis/schemas.ts';
import { parseStream, toJS } from '../../src/manifests/yaml.ts';
import { ROOT, envOf, execForm, lastOf, readDockerfile } from './dockerfile.ts';

const DEPLOY = path.join(ROOT, 'deploy');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

interface Manifest {
  file: string;
  doc: Obj;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.ya?ml$/.test(f)).sort();
}

function load(rel: string): Obj[] {
  const { docs, error } = parseStream(readFileSync(path.join(DEPLOY, rel), 'utf8'));
  expect(error, rel).toBeUndefined();
  return docs.map((d) => toJS(d) as Obj);
}

const isKustomization = (f: string) => /(^|\/)kustomization\.ya?ml$/.test(f);
const manifests: Manifest[] = yamlFiles(DEPLOY).filter((f) => !isKustomization(f)).flatMap((file) => load(file).map((doc) => ({ file, doc })));
const one = (kind: string, file?: string) => {
  const found = manifests.filter((m) => m.doc.kind === kind && (!file || m.file.startsWith(file)));
  expect(found.map((m) => m.file), kind).toHaveLength(1);
  return found[0].doc;
};
const deployment = one('Deployment');
const pod = deployment.spec.template.spec;
const container = pod.containers[0];
const podLabels = deployment.spec.template.metadata.labels as Record<string, string>;
const runtime = readDockerfile().at(-1)!;

describe('deploy/', () => {
  it('validates every object against its Kubernetes schema', async () => {
    const known = manifests.filter((m) => SCHEMA_KINDS.includes(`${m.doc.apiVersion} ${m.doc.kind}`));
    expect(known.map((m) => m.doc.kind).sort()).toEqual(['Deployment', 'Namespace', 'PodDisruptionBudget', 'Service', 'ServiceAccount']);
    for (const m of known) expect(await validateManifestSchema(m.doc, { file: m.file }), m.file).toEqual([]);
    // the validation has teeth: the same Deployment with a mistake is refused
    const broken = structuredClone(deployment);
    broken.spec.template.spec.containers[0].securityContext.runAsNonRoot = 'yes';
    delete broken.spec.selector;
    const findings = await validateManifestSchema(broken, { file: 'deployment.yaml' });
    expect(findings.map((f) => f.field).sort()).toEqual(['spec.selector', 'spec.template.spec.containers[0].securityContext.runAsNonRoot']);
  });

  it('has no object the schemas do not know but the ServiceMonitor, which is well formed and selects the Service', () => {
    const unknown = manifests.filter((m) => !SCHEMA_KINDS.includes(`${m.doc.apiVersion} ${m.doc.kind}`));
    expect(unknown.map((m) => `${m.doc.apiVersion} ${m.doc.kind}`)).toEqual(['monitoring.coreos.com/v1 ServiceMonitor']);
    const sm = unknown[0].doc;
    expect(sm.metadata.name).toBe('gitops-canary');
    const service = one('Service');
    expect(sm.spec.selector.matchLabels).toEqual(service.metadata.labels);
    expect(sm.spec.endpoints).toEqual([expect.objectContaining({ port: service.spec.ports[0].name, path: '/metrics' })]);
  });

  it('names in its kustomizations exactly the manifests there are, and tags the image the Deployment runs', () => {
    const named: string[] = [];
    for (const k of yamlFiles(DEPLOY).filter(isKustomization)) {
      const [doc] = load(k);
      const dir = path.dirname(k);
      expect(`${doc.apiVersion} ${doc.kind}`).toMatch(/^kustomize\.config\.k8s\.io\/v1(beta1 Kustomization|alpha1 Component)$/);
      for (const r of doc.resources ?? []) named.push(path.join(dir, r));
      for (const c of doc.components ?? []) expect(yamlFiles(path.join(DEPLOY, dir, c)), c).toContain('kustomization.yaml');
      for (const image of doc.images ?? []) expect(container.image).toBe(image.name);
    }
    expect(named.sort()).toEqual([...new Set(manifests.map((m) => m.file))].sort());
    const [top] = load('kustomization.yaml');
    expect(top.images).toEqual([expect.objectContaining({ newTag: expect.stringMatching(/^\d+\.\d+\.\d+$/) })]);
    // the component is opt-in: the base applies without the Prometheus Operator's CRDs
    expect(top.components).toBeUndefined();
  });

  it('runs the pod under the restricted Pod Security Standard with a read-only root filesystem', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    // the image's user, so files in the volumes are the bot's own (fsGroup for the volumes)
    expect(`${pod.securityContext.runAsUser}:${pod.securityContext.runAsGroup}`).toBe(lastOf(runtime, 'USER'));
    expect(pod.securityContext.fsGroup).toBe(pod.securityContext.runAsGroup);
    expect(one('Namespace').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it('gives the bot writable volumes for its data directory and /tmp, and nothing else to write', () => {
    const [volume] = execForm(runtime, 'VOLUME')!;
    const mounts = Object.fromEntries((container.volumeMounts as Obj[]).map((m) => [m.mountPath as string, m.name as string]));
    expect(Object.keys(mounts).sort()).toEqual([volume, '/tmp'].sort());
    for (const name of Object.values(mounts)) expect(pod.volumes.find((v: Obj) => v.name === name), name).toBeDefined();
    const env = Object.fromEntries((container.env as Obj[]).filter((e) => 'value' in e).map((e) => [e.name, e.value]));
    const image = envOf(runtime);
    expect((env.WORK_DIR ?? image.WORK_DIR).startsWith(`${volume}/`)).toBe(true);
    expect(env.HOST ?? image.HOST).toBe('0.0.0.0');
  });

  it('takes APP_ID, PRIVATE_KEY and WEBHOOK_SECRET from the Secret and gives shutdown its grace', () => {
    const fromSecret = Object.fromEntries((container.env as Obj[]).filter((e) => e.valueFrom?.secretKeyRef).map((e) => [e.name, e.valueFrom.secretKeyRef]));
    for (const key of ['APP_ID', 'PRIVATE_KEY', 'WEBHOOK_SECRET']) expect(fromSecret[key], key).toEqual({ name: 'gitops-canary', key });
    const grace = Number((container.env as Obj[]).find((e) => e.name === 'SHUTDOWN_GRACE_SECONDS')?.value ?? 25);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(grace);
  });

  it('probes liveness on /healthz and readiness on /readyz, and sets requests and a memory limit', () => {
    const port = container.ports[0];
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: port.name });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: port.name });
    expect(String(port.containerPort)).toBe(envOf(runtime).PORT);
    expect(container.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container.resources.limits.memory).toEqual(expect.any(String));
  });

  it('selects the pods from the Service and the PodDisruptionBudget, which leaves one replica up', () => {
    expect(deployment.spec.selector.matchLabels).toEqual(podLabels);
    const service = one('Service');
    expect(service.spec.selector).toEqual(podLabels);
    expect(service.spec.ports[0].targetPort).toBe(container.ports[0].name);
    const pdb = one('PodDisruptionBudget');
    expect(pdb.spec.selector.matchLabels).toEqual(podLabels);
    expect(deployment.spec.replicas - (pdb.spec.maxUnavailable ?? 0)).toBeGreaterThanOrEqual(1);
  });
});
